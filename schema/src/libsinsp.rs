//! What libsinsp does with some events that the driver's event table does not say: the
//! predicates generated from `schema/libsinsp.toml` (each names its events and the overlay
//! cites the upstream code), and the unions of them that their users ask about.

include!(concat!(env!("OUT_DIR"), "/libsinsp.rs"));

/// Enter events libsinsp's parser stores for their exit event and then filters out: Falco runs
/// no rules on them ([`toctou_enter`] and [`fallback_enter`]).
pub const fn hidden_after_parse(code: u16) -> bool {
    toctou_enter(code) || fallback_enter(code)
}

/// Exit events that carry a thread's process parameters ([`clone_exit`] and [`exec_exit`]).
pub const fn process_exit(code: u16) -> bool {
    clone_exit(code) || exec_exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numeric codes are upstream's (`ppm_events_public.h`), independent of the overlay.
    #[test]
    fn behaviours_cover_the_upstream_codes() {
        for code in [2u16, 22, 58, 306, 326] {
            assert!(toctou_enter(code) && hidden_after_parse(code), "{code}");
        }
        for code in [292u16, 330] {
            assert!(fallback_enter(code) && hidden_after_parse(code), "{code}");
            assert!(!toctou_enter(code) && !process_exit(code), "{code}");
        }
        for code in [223u16, 225, 227, 335] {
            assert!(clone_exit(code) && !exec_exit(code), "{code}");
        }
        for code in [293u16, 331] {
            assert!(exec_exit(code) && process_exit(code), "{code}");
        }
        for code in [324u16, 354, 356, 358, 360, 402] {
            assert!(initial_state(code), "{code}");
        }
        for code in [3u16, 23, 59, 1, 0, 272, 355] {
            assert!(!hidden_after_parse(code) && !process_exit(code), "{code}");
            assert!(!initial_state(code), "{code}");
        }
    }
}
