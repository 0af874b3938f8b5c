//! The types of the generated conversion table ([`crate::conversions_table`], built from
//! `schema/conversions.toml`) and its lookup.

use crate::conversions_table::RULES;
use std::sync::OnceLock;

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

/// Whether the table hands an event of type `event` carrying `nparams` parameters on as it is
/// (an [`Action::Pass`] rule): the converter then need not run the step, which would copy it
/// unchanged. A per-type index of the table, built on first use.
pub(crate) fn passes(event: u16, nparams: u32) -> bool {
    /// By event type, one bit per parameter count key (the count truncated to 8 bits).
    static PASS_KEYS: OnceLock<Vec<[u64; 4]>> = OnceLock::new();
    let keys = PASS_KEYS.get_or_init(|| {
        let types = RULES.iter().map(|r| usize::from(r.event) + 1).max();
        let mut keys = vec![[0u64; 4]; types.unwrap_or(0)];
        for r in RULES.iter().filter(|r| r.action == Action::Pass) {
            let key = usize::from(r.nparams);
            keys[usize::from(r.event)][key / 64] |= 1 << (key % 64);
        }
        keys
    });
    let key = usize::from(nparams as u8);
    keys.get(usize::from(event))
        .is_some_and(|bits| bits[key / 64] & (1 << (key % 64)) != 0)
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
    fn the_pass_index_agrees_with_the_table() {
        for event in 0..=u16::try_from(crate::tables::EVENTS.len()).unwrap() {
            for nparams in (0..300).chain([u32::MAX]) {
                let rule = find(event, nparams);
                assert_eq!(
                    passes(event, nparams),
                    rule.is_some_and(|r| r.action == Action::Pass),
                    "{event} {nparams}"
                );
            }
        }
        // The current openat enter layout is handed on as it is.
        assert!(passes(EventCode::SyscallOpenatV2E as u16, 4));
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
