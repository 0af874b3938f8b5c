//! `evt.latency*`, `evt.wait_latency`, `evt.deltatime*` and `evt.outputtime`.
//!
//! libsinsp no longer pairs enter and exit events, so the latency fields are fixed at 0 (and
//! `0ns`) for old rules. `evt.deltatime` measures from the previous event libsinsp extracted
//! the field for; Falco extracts it for every event a rule sees, and the previous such event is
//! the previous one parsed (`Current::prev_ts`), 0 the first time.

use std::ffi::CString;
use std::time::Duration;

use falco_plugin::anyhow;

use super::super::ctx::{Req, with_event};
use super::super::value::text;
use crate::plugin::EderaPlugin;
use crate::render;

const NS_PER_S: u64 = 1_000_000_000;

/// A fixed zero duration for every event.
fn zero(p: &EderaPlugin, req: &Req<'_, '_, '_, '_>) -> anyhow::Result<Option<Duration>> {
    with_event(p, req, |_| Some(Duration::ZERO))
}

/// `evt.latency`: always 0.
pub fn latency(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    zero(p, &req)
}

/// `evt.latency.s`: always 0.
pub fn latency_s(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    zero(p, &req)
}

/// `evt.latency.ns`: always 0.
pub fn latency_ns(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    zero(p, &req)
}

/// `evt.wait_latency`: always 0.
pub fn wait_latency(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    zero(p, &req)
}

/// `evt.latency.quantized`: always 0.
pub fn latency_quantized(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, |_| Some(0))
}

/// `evt.latency.human`: always `0ns`.
pub fn latency_human(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |_| text("0ns"))
}

/// The gap in nanoseconds between the event and the previous one parsed, mapped by `part`;
/// 0 for the first event. Wraps like libsinsp's unsigned subtraction if time goes backwards.
fn delta(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    part: fn(u64) -> u64,
) -> anyhow::Result<Option<Duration>> {
    with_event(p, req, |c| {
        let prev = c.plugin.current.prev_ts;
        let ns = if prev == 0 {
            0
        } else {
            part(c.event.ts.wrapping_sub(prev))
        };
        Some(Duration::from_nanos(ns))
    })
}

/// `evt.deltatime`.
pub fn deltatime(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    delta(p, &req, |d| d)
}

/// `evt.deltatime.s`: whole seconds of the gap.
pub fn deltatime_s(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    delta(p, &req, |d| d / NS_PER_S)
}

/// `evt.deltatime.ns`: the sub-second remainder of the gap.
pub fn deltatime_ns(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    delta(p, &req, |d| d % NS_PER_S)
}

/// `HH:MM:SS.nnnnnnnnn` of `ns` since the epoch, UTC: the time part of an absolute time.
fn time_of_day(ns: u64) -> String {
    let mut full = Vec::with_capacity(32);
    render::time::write_abstime(&mut full, ns);
    let time = full
        .iter()
        .position(|&b| b == b' ')
        .map_or(&full[..], |i| &full[i + 1..]);
    String::from_utf8_lossy(time).into_owned()
}

/// `evt.outputtime`: the event's time of day (libsinsp's default time output mode).
pub fn outputtime(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| text(time_of_day(c.event.ts)))
}

#[cfg(test)]
mod tests {
    use super::time_of_day;

    #[test]
    fn time_of_day_is_utc_with_nanoseconds() {
        assert_eq!(time_of_day(1_523_545_099_999_999_999), "14:58:19.999999999");
        assert_eq!(time_of_day(0), "00:00:00.000000000");
        assert_eq!(
            time_of_day(86_400 * 1_000_000_000 + 5),
            "00:00:00.000000005"
        );
    }
}
