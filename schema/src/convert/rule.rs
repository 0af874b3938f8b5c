//! The types of the generated conversion table ([`crate::conversions_table`], built from
//! `schema/conversions.toml`) and its lookup.

use crate::conversions_table::RULES;

/// One entry of the table: what to do with an event of type `event` carrying `nparams`
/// parameters (libscap keys on the parameter count truncated to 8 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub event: u16,
    pub nparams: u8,
    pub action: Action,
    /// The parameters pushed by [`Action::AddParams`] and [`Action::ChangeType`], in order.
    pub instrs: &'static [Instr],
}

/// What a rule does with the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Hand the event on unchanged.
    Pass,
    /// Keep it as its thread's pending enter event; hand nothing on.
    Store,
    /// Keep it and hand it on.
    StoreAndPass,
    /// Append the instructions' parameters.
    AddParams,
    /// Make an event of this type out of the instructions' parameters.
    ChangeType(u16),
}

/// Where one pushed parameter comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instr {
    /// Parameter `n` of the event being converted.
    Old(u8),
    /// Parameter `param` of the thread's pending enter event; `fallback` when there is none.
    Enter { param: u8, fallback: Fallback },
    /// A zero-length parameter.
    Empty,
    /// The default value of the parameter's type.
    Default,
    /// Computed from the event being converted; `fallback` when that fails.
    Callback {
        callback: Callback,
        fallback: Fallback,
    },
}

/// What to push when a value cannot be obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    Empty,
    Default,
}

/// The named functions the table may call (implemented in `convert/callback.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    /// The JSON parameter of `PPME_CONTAINER_JSON_E` from the fields of `PPME_CONTAINER_E`.
    ContainerJson,
}

/// The lengths a parameter of a type may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenBounds {
    /// Exactly this many bytes.
    Fixed(u32),
    /// From 0 to the largest length the event's length width can express.
    Variable,
}

impl LenBounds {
    /// (min, max) for an event whose parameter lengths are `width` bytes wide.
    pub const fn range(self, width: usize) -> (u32, u32) {
        match self {
            LenBounds::Fixed(n) => (n, n),
            LenBounds::Variable if width == 4 => (0, u32::MAX),
            LenBounds::Variable => (0, u16::MAX as u32),
        }
    }
}

/// The rule for an event type and parameter count, if the table has one.
pub fn find(event: u16, nparams: u32) -> Option<&'static Rule> {
    let key = (event, nparams as u8);
    RULES
        .binary_search_by(|r| (r.event, r.nparams).cmp(&key))
        .ok()
        .map(|i| &RULES[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::EventCode;

    #[test]
    fn rules_are_sorted_and_unique() {
        assert!(
            RULES
                .windows(2)
                .all(|w| (w[0].event, w[0].nparams) < (w[1].event, w[1].nparams))
        );
    }

    #[test]
    fn lookups() {
        let r = find(EventCode::SyscallReadX as u16, 2).unwrap();
        assert_eq!(r.action, Action::AddParams);
        assert_eq!(r.instrs.len(), 2);
        assert!(find(EventCode::SyscallReadX as u16, 4).is_none());
        // libscap keys on the count truncated to 8 bits.
        assert_eq!(
            find(EventCode::SyscallReadE as u16, 258),
            find(EventCode::SyscallReadE as u16, 2)
        );
    }
}
