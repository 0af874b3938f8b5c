//! libscap's static conversion eligibility rules, applied to every event read and again after
//! every conversion step (converter README and `test_event_convertibility`):
//!
//! 1. unused events are dropped;
//! 2. events the converter does not manage need no conversion: current layouts pass, old enter
//!    layouts are dropped, and an old exit layout is an error (the table must manage it);
//! 3. enter events the converter manages always go through the table;
//! 4. managed exit events go through the table when their layout is old or their parameter count
//!    differs from the current layout's; more parameters than the layout has is an error;
//! 5. everything else passes.

use super::{ConvertError, Dropped};
use crate::info::{Direction, EventInfo};
use crate::tables::ef;

/// What the rules say about one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Drop(Dropped),
    Convert,
    Error(ConvertError),
}

/// The verdict for an event of type `info` carrying `nparams` parameters.
pub fn verdict(info: &EventInfo, nparams: u32) -> Verdict {
    let has = |f: u32| info.flags & f != 0;
    if has(ef::UNUSED) {
        return Verdict::Drop(Dropped::Unused);
    }
    if !has(ef::CONVERTER_MANAGED) {
        return match (has(ef::OLD_VERSION), info.direction) {
            (false, _) => Verdict::Pass,
            (true, Direction::Enter) => Verdict::Drop(Dropped::OldEnter),
            (true, Direction::Exit) => Verdict::Error(ConvertError::OldExitNotManaged(info.code)),
        };
    }
    if info.direction == Direction::Enter {
        return Verdict::Convert;
    }
    let expected = info.params.len();
    if nparams as usize > expected {
        Verdict::Error(ConvertError::TooManyParams {
            etype: info.code,
            nparams,
            expected,
        })
    } else if has(ef::OLD_VERSION) || nparams as usize != expected {
        Verdict::Convert
    } else {
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::EventCode as C;

    fn v(c: C, n: u32) -> Verdict {
        verdict(c.info(), n)
    }

    #[test]
    fn rules() {
        assert_eq!(v(C::SyscallReadE, 2), Verdict::Convert);
        assert_eq!(v(C::SyscallReadX, 4), Verdict::Pass);
        assert_eq!(v(C::SyscallReadX, 2), Verdict::Convert);
        assert!(matches!(
            v(C::SyscallReadX, 5),
            Verdict::Error(ConvertError::TooManyParams { .. })
        ));
        assert_eq!(v(C::SyscallLinkX, 1), Verdict::Convert, "old exit layout");
        assert_eq!(v(C::ProcinfoE, 2), Verdict::Pass, "not managed, current");
        assert_eq!(
            v(C::ProcinfoE, 0),
            Verdict::Pass,
            "not managed: the count is not checked"
        );
        let unused = crate::tables::EVENTS.iter().find(|e| e.unused()).unwrap();
        assert_eq!(verdict(unused, 0), Verdict::Drop(Dropped::Unused));
    }
}
