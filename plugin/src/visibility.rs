//! Which events Falco shows to rules, and which only update state.
//!
//! libsinsp's `sinsp_evt_filter` (upstream `userspace/libsinsp/sinsp.cpp`) marks a few enter
//! events as filtered out once its parser has used them: the TOCTOU-mitigation enters of
//! `open`, `openat`, `openat2`, `creat` and `connect`, and the fallback enters of `execve` and
//! `execveat` ([`libsinsp::hidden_after_parse`], from the `schema/libsinsp.toml` overlay).
//! Events a capture flags `SCAP_DF_STATE_ONLY` are filtered out too. Falco numbers those events
//! but never runs rules on them.
//!
//! When a capture is opened, libsinsp also consumes the leading run of "initial state" meta
//! events (`sinsp::consume_initialstate_events`: container JSON, user and group added/deleted,
//! async events; [`libsinsp::initial_state`]) before handing out the first event: they fill its tables and rules never see
//! them. The same events later in the stream are shown (privileged.scap has such a container
//! event; sample.scap's 95 leading user/group events and the leading container events of five
//! other fixtures are not). The sources carry them as state-only events in
//! front of the next shown event (see `payload.rs`).

use edera_scap::libsinsp;

/// `SCAP_DF_STATE_ONLY`: an event a capture kept only for the state it changes.
pub const SCAP_DF_STATE_ONLY: u32 = 1;

/// Whether Falco runs rules on an event of this type with these capture dump flags.
pub fn falco_shows(event_type: u16, dump_flags: u32) -> bool {
    if dump_flags & SCAP_DF_STATE_ONLY != 0 {
        return false;
    }
    !libsinsp::hidden_after_parse(event_type)
}

/// Whether libsinsp consumes an event of this type as initial state when it leads the capture.
pub fn is_initial_state(event_type: u16) -> bool {
    libsinsp::initial_state(event_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_events_libsinsp_filters_are_hidden() {
        for ty in [2u16, 22, 58, 292, 306, 326, 330] {
            assert!(!falco_shows(ty, 0), "{ty}");
        }
        // Their exits, other enters and ordinary events are shown.
        for ty in [3u16, 23, 59, 293, 307, 327, 331, 1, 0] {
            assert!(falco_shows(ty, 0), "{ty}");
        }
        assert!(!falco_shows(3, SCAP_DF_STATE_ONLY));
    }

    #[test]
    fn initial_state_events() {
        for ty in [324u16, 354, 356, 358, 360, 402] {
            assert!(is_initial_state(ty), "{ty}");
        }
        for ty in [272u16, 355, 3, 306] {
            assert!(!is_initial_state(ty), "{ty}");
        }
    }
}
