//! Event-level fields built from the parameters: `evt.args`/`evt.info`, `evt.arg[N]`,
//! `evt.arg.NAME`, `evt.rawarg.NAME`, `evt.res`, `evt.rawres`, `evt.failed`, the generic
//! event's `evt.type`, and the one-line form used for `evt.plugininfo`.
//!
//! Facts (libsinsp's event filter checks):
//! - `evt.info` is `evt.args` (libsinsp has no separate info line any more);
//! - `evt.args` is `name=text` per parameter present in the event, separated by single spaces,
//!   with `text` = `value(resolved)` or `value`; nothing is skipped, except that the exit event
//!   of a generic syscall (`PPME_GENERIC_X`) renders as the empty string;
//! - `evt.arg[N]` and `evt.arg.NAME` show the resolved text if any, else the value; no value
//!   when the event has no such parameter; `evt.arg.NAME` takes the first parameter of that name;
//! - an event has a return value (`evt.res`, `evt.rawres`, `evt.failed`) when it is a syscall
//!   exit event with at least one parameter, other than `PPME_GENERIC_X`; the return value is
//!   the first parameter read as a signed 32- or 64-bit number by its size (0 for other sizes);
//!   `evt.res` is `SUCCESS` when it is not negative, otherwise the first parameter's resolved
//!   text (e.g. `ENOENT`) or, when nothing resolves, its value.

use edera_scap::event::RawEvent;
use edera_scap::info::EventInfo;
use edera_scap::tables::{PPM_SC_NAMES, ec};

use super::Options;
use super::lookup::Lookup;
use super::param::write_param;
use super::raw::{RawText, write_raw};
use super::sink::{Join, Sink};

/// `PPME_GENERIC_X`.
const GENERIC_X: u16 = 1;

/// The event's table entry and how many of its parameters can be rendered: those present in
/// the event and described by the table (extra parameters of a hostile event are ignored).
fn described<'e>(ev: &RawEvent<'e>) -> Option<(&'static EventInfo, usize)> {
    let info = ev.info()?;
    Some((info, ev.nparams().min(info.params.len())))
}

/// Appends `evt.args` (also `evt.info`) of `ev` to `out`.
pub fn write_args(out: &mut Vec<u8>, ev: &RawEvent<'_>, lookup: &dyn Lookup, opts: &Options) {
    if ev.header.etype == GENERIC_X {
        return;
    }
    let Some((info, n)) = described(ev) else {
        return;
    };
    for (i, p) in info.params.iter().take(n).enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(p.name.as_bytes());
        out.push(b'=');
        write_param(Sink::new(out, Join::Both), ev, info, i, lookup, opts);
    }
}

/// Appends `evt.arg[n]`; `false` (nothing written) when the event has no parameter `n`.
pub fn write_arg(
    out: &mut Vec<u8>,
    ev: &RawEvent<'_>,
    n: usize,
    lookup: &dyn Lookup,
    opts: &Options,
) -> bool {
    match described(ev) {
        Some((info, count)) if n < count => {
            write_param(Sink::new(out, Join::Preferred), ev, info, n, lookup, opts);
            true
        }
        _ => false,
    }
}

/// The index of the first parameter present in `ev` whose name has id `name_id` (an index of
/// `edera_scap::tables::PARAM_NAMES`).
pub fn param_index(ev: &RawEvent<'_>, name_id: u16) -> Option<usize> {
    let (info, n) = described(ev)?;
    info.params
        .iter()
        .take(n)
        .position(|p| p.name_id == name_id)
}

/// Appends `evt.arg.NAME` for the name with id `name_id`; `false` when the event has no such
/// parameter.
pub fn write_arg_named(
    out: &mut Vec<u8>,
    ev: &RawEvent<'_>,
    name_id: u16,
    lookup: &dyn Lookup,
    opts: &Options,
) -> bool {
    match param_index(ev, name_id) {
        Some(i) => write_arg(out, ev, i, lookup, opts),
        None => false,
    }
}

/// Appends `evt.rawarg.NAME` for the name with id `name_id`. [`RawText::NoValue`] when the
/// event has no such parameter.
pub fn write_rawarg_named(
    out: &mut Vec<u8>,
    ev: &RawEvent<'_>,
    name_id: u16,
    opts: &Options,
) -> RawText {
    let Some(i) = param_index(ev, name_id) else {
        return RawText::NoValue;
    };
    let (Some(info), Some(data)) = (ev.info(), ev.param(i)) else {
        return RawText::NoValue;
    };
    let start = out.len();
    let t = write_raw(out, &info.params[i], data, opts.buffer_format);
    if t != RawText::Text {
        out.truncate(start);
    }
    t
}

/// Whether `ev` has a return value (`evt.res`, `evt.rawres` and `evt.failed` have values).
pub fn has_return_value(ev: &RawEvent<'_>) -> bool {
    let Some(info) = ev.info() else {
        return false;
    };
    ev.header.etype != GENERIC_X
        && info.category & ec::SYSCALL != 0
        && ev.header.etype & 1 == 1
        && ev.nparams() > 0
}

/// `evt.rawres`: the return value, if the event has one.
pub fn return_value(ev: &RawEvent<'_>) -> Option<i64> {
    if !has_return_value(ev) {
        return None;
    }
    let p = ev.param(0)?;
    Some(match p.len() {
        4 => i64::from(i32::from_le_bytes([p[0], p[1], p[2], p[3]])),
        8 => i64::from_le_bytes(p.try_into().unwrap_or([0; 8])),
        _ => 0,
    })
}

/// `evt.failed`: whether the return value is negative, if the event has one.
pub fn failed(ev: &RawEvent<'_>) -> Option<bool> {
    return_value(ev).map(|r| r < 0)
}

/// Appends `evt.res`; `false` when the event has no return value. The first parameter is
/// rendered in the normal buffer format whatever `opts` says, as libsinsp does.
pub fn write_res(
    out: &mut Vec<u8>,
    ev: &RawEvent<'_>,
    lookup: &dyn Lookup,
    opts: &Options,
) -> bool {
    let Some(res) = return_value(ev) else {
        return false;
    };
    if res >= 0 {
        out.extend_from_slice(b"SUCCESS");
        return true;
    }
    let normal = Options {
        buffer_format: Default::default(),
        ..*opts
    };
    write_arg(out, ev, 0, lookup, &normal)
}

/// `evt.type`: the table's name, except for generic syscall exits, named after their syscall
/// id parameter; when that is `unknown` (0) and `native_fallback` (libsinsp does this when
/// replaying a capture), after the native syscall number of this host's architecture.
pub fn event_type_name(ev: &RawEvent<'_>, native_fallback: bool) -> &'static str {
    let Some(info) = ev.info() else {
        return "unknown";
    };
    if ev.header.etype != GENERIC_X {
        return info.name;
    }
    let mut sc = ev.param_as::<u16>(0).unwrap_or(0);
    if sc == 0
        && native_fallback
        && let Some(native) = ev.param_as::<u16>(1)
    {
        sc = native_ppm_sc(native);
    }
    PPM_SC_NAMES
        .get(usize::from(sc))
        .copied()
        .unwrap_or("unknown")
}

/// The ppm_sc code of native syscall `nr` on this architecture (0 when unknown).
fn native_ppm_sc(nr: u16) -> u16 {
    edera_scap::tables::syscalls::native_by_nr(u32::from(nr)).map_or(0, |e| e.ppm_sc)
}

/// Appends the one-line form of `ev` (the source's event-to-string, `evt.plugininfo`):
/// `evt.type`, then a space and `evt.args` when there are any, as the tail of sysdig's default
/// line (`openat fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd ...`).
pub fn write_event_line(out: &mut Vec<u8>, ev: &RawEvent<'_>, lookup: &dyn Lookup, opts: &Options) {
    out.extend_from_slice(event_type_name(ev, true).as_bytes());
    let at = out.len();
    out.push(b' ');
    write_args(out, ev, lookup, opts);
    if out.len() == at + 1 {
        out.truncate(at);
    }
}
