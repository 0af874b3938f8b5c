//! `evt.*`: properties of the syscall event itself (libsinsp's event filter checks): its type,
//! direction, CPU, parameters and result here; times in [`time`], I/O classification, buffer
//! lengths and error counts in [`io`], open flags and absolute paths in [`open`].
//!
//! libsinsp answers most of these from the event alone. Those that look at "the event's fd"
//! use the entry the parser attached to the event (libsinsp's `evt.get_fd_info()`), which is
//! not quite what `fd.*` sees: `fd.*` falls back to the thread's last fd, these fields do not.

mod io;
mod open;
mod time;

use std::ffi::CString;
use std::sync::OnceLock;

use edera_scap::tables::{EVENTS, EventCode as C, ec};
use falco_plugin::anyhow;
use falco_plugin::extract::ExtractRequest;

use super::ctx::{Ctx, Req, with_event};
use super::value::{borrowed_text, text};
use crate::plugin::EderaPlugin;
use crate::render::{self, Options};
use crate::state::FdInfo;

pub use io::*;
pub use open::*;
pub use time::*;

/// The fd entry the parser attached to the event (libsinsp's `evt.get_fd_info()`).
pub(crate) fn attached_fd<'p>(c: &Ctx<'_, 'p>) -> Option<&'p FdInfo> {
    let s = c.state()?;
    let e = s.event();
    s.threads.fd_table(e.tid?)?.get(e.fd?)
}

/// Runs `f` on the event and turns the bytes it writes into a string value; no value when it
/// returns `false`.
fn rendered(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&Ctx<'_, '_>, &mut Vec<u8>) -> bool,
) -> anyhow::Result<Option<CString>> {
    with_event(p, req, |c| {
        let mut out = Vec::new();
        f(c, &mut out).then(|| text(out)).flatten()
    })
}

/// `evt.dir`: `>` for enter events, `<` for exit events (odd codes).
pub fn dir(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        text(if c.raw.header.etype & 1 == 0 {
            ">"
        } else {
            "<"
        })
    })
}

/// `evt.type`: the table name; generic syscalls are named after their syscall. Every rule asks
/// it first: for the event just parsed it comes from the parser's record, not a new decode.
pub fn type_(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    if let Some(name) = p.current.evt_type(req.event.event_number()) {
        return Ok(borrowed_text(name));
    }
    with_event(p, &req, |c| {
        borrowed_text(render::event_type_name(&c.raw, true))
    })
}

/// The event codes `evt.type.is[key]` selects: a number selects that code alone, a name the
/// first code of the table with that name and the code after it (its exit).
fn type_is_codes(key: &[u8]) -> Option<(u32, u32)> {
    if let Some(n) = std::str::from_utf8(key)
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    {
        return Some((n, u32::MAX));
    }
    let i = EVENTS.iter().position(|e| e.name.as_bytes() == key)?;
    let i = u32::try_from(i).ok()?;
    Some((i, i + 1))
}

/// `evt.type.is[name]`: whether the event's code is the one `name` selects (see
/// [`type_is_codes`]); false for a name no event has.
pub fn type_is(
    p: &mut EderaPlugin,
    req: Req,
    key: &std::ffi::CStr,
) -> anyhow::Result<Option<bool>> {
    with_event(p, &req, |c| {
        let t = u32::from(c.raw.header.etype);
        Some(type_is_codes(key.to_bytes()).is_some_and(|(a, b)| t == a || t == b))
    })
}

/// The name libsinsp gives to a category (the event table's, without the syscall bits); I/O
/// categories are named after the kind of fd (`file`, `net`, `ipc`, `unknown`).
fn category_name(c: &Ctx<'_, '_>, cat: u32) -> &'static str {
    match cat {
        ec::UNKNOWN => "unknown",
        ec::OTHER => "other",
        ec::FILE => "file",
        ec::NET => "net",
        ec::IPC => "IPC",
        ec::MEMORY => "memory",
        ec::PROCESS => "process",
        ec::SLEEP => "sleep",
        ec::SYSTEM => "system",
        ec::SIGNAL => "signal",
        ec::USER => "user",
        ec::TIME => "time",
        ec::PROCESSING => "processing",
        ec::IO_READ | ec::IO_WRITE | ec::IO_OTHER => io::subcategory(attached_fd(c)),
        ec::WAIT => "wait",
        ec::SCHEDULER => "scheduler",
        ec::INTERNAL => "internal",
        ec::SYSCALL => "syscall",
        ec::TRACEPOINT => "tracepoint",
        ec::PLUGIN => "plugin",
        ec::METAEVENT => "meta",
        _ => "unknown",
    }
}

/// The event's category without the source bits (libsinsp's `get_category()`).
pub(crate) fn category_of(c: &Ctx<'_, '_>) -> Option<u32> {
    Some(c.raw.info()?.category & (ec::SYSCALL - 1))
}

/// `evt.category`.
pub fn category(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| text(category_name(c, category_of(c)?)))
}

/// `evt.cpu`: the zone CPU from the payload.
pub fn cpu(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, |c| Some(u64::from(c.event.cpu)))
}

/// `evt.args`.
pub fn args(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    rendered(p, &req, |c, out| {
        render::write_args(out, &c.raw, &c.lookup(), &Options::default());
        true
    })
}

/// `evt.info`: the same text as `evt.args`.
pub fn info(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    args(p, req)
}

/// `evt.arg[N]`.
pub fn arg(p: &mut EderaPlugin, req: Req, n: u64) -> anyhow::Result<Option<CString>> {
    let Ok(n) = usize::try_from(n) else {
        return Ok(None);
    };
    rendered(p, &req, |c, out| {
        render::write_arg(out, &c.raw, n, &c.lookup(), &Options::default())
    })
}

/// The name id of the `data` parameter (an index of `PARAM_NAMES`).
fn data_name_id() -> Option<u16> {
    static ID: OnceLock<Option<u16>> = OnceLock::new();
    *ID.get_or_init(|| {
        let i = edera_scap::tables::PARAM_NAMES
            .iter()
            .position(|n| *n == "data")?;
        u16::try_from(i).ok()
    })
}

/// `evt.buffer`: the `data` parameter as printed.
pub fn buffer(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    let Some(id) = data_name_id() else {
        return Ok(None);
    };
    rendered(p, &req, |c, out| {
        render::write_arg_named(out, &c.raw, id, &c.lookup(), &Options::default())
    })
}

/// Runs `f` on the raw bytes of the event's `data` parameter (the bytes behind `evt.buffer`);
/// no value for events without one.
pub(crate) fn with_data<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&[u8]) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    let Some(id) = data_name_id() else {
        return Ok(None);
    };
    with_event(p, req, |c| {
        f(c.raw.param(render::param_index(&c.raw, id)?)?)
    })
}

/// `evt.res`.
pub fn res(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    rendered(p, &req, |c, out| {
        render::write_res(out, &c.raw, &c.lookup(), &Options::default())
    })
}

/// `evt.rawres`: signed decimal.
pub fn rawres(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| text(render::return_value(&c.raw)?.to_string()))
}

/// `evt.failed`.
pub fn failed(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_event(p, &req, |c| render::failed(&c.raw))
}

/// `evt.count`: always 1.
pub fn count(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, |_| Some(1))
}

/// `evt.count.exit`: 1 for exit events, no value for enter events.
pub fn count_exit(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, |c| (c.raw.header.etype & 1 == 1).then_some(1))
}

/// `evt.count.procinfo`: for procinfo events whether the thread is a main thread.
pub fn count_procinfo(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, |c| {
        if C::from_u16(c.raw.header.etype) != Some(C::ProcinfoE) {
            return Some(0);
        }
        Some(u64::from(c.thread().is_some_and(|t| t.is_main_thread())))
    })
}

/// `evt.count.threadinfo`: 1 for procinfo events, else 0.
pub fn count_threadinfo(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_event(p, &req, |c| {
        Some(u64::from(
            C::from_u16(c.raw.header.etype) == Some(C::ProcinfoE),
        ))
    })
}

/// The `evt.infra.docker.*` fields: zones send no infrastructure events, so never a value.
fn no_infra(
    p: &EderaPlugin,
    req: &ExtractRequest<'_, '_, '_, '_, EderaPlugin>,
) -> anyhow::Result<Option<CString>> {
    with_event(p, req, |_| None)
}

/// `evt.infra.docker.name`.
pub fn infra_docker_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    no_infra(p, &req)
}

/// `evt.infra.docker.container.id`.
pub fn infra_docker_container_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    no_infra(p, &req)
}

/// `evt.infra.docker.container.name`.
pub fn infra_docker_container_name(
    p: &mut EderaPlugin,
    req: Req,
) -> anyhow::Result<Option<CString>> {
    no_infra(p, &req)
}

/// `evt.infra.docker.container.image`.
pub fn infra_docker_container_image(
    p: &mut EderaPlugin,
    req: Req,
) -> anyhow::Result<Option<CString>> {
    no_infra(p, &req)
}

#[cfg(test)]
mod tests {
    use super::type_is_codes;
    use edera_scap::tables::EventCode as C;

    #[test]
    fn type_is_selects_the_first_pair_of_a_name_or_one_code() {
        let open = (C::SyscallOpenE as u32, C::SyscallOpenX as u32);
        assert_eq!(type_is_codes(b"open"), Some(open));
        // openat's first pair in the table is the old layout, as libsinsp picks it.
        let (e, x) = type_is_codes(b"openat").unwrap();
        assert_eq!(x, e + 1);
        assert!(e < C::SyscallOpenatV2E as u32);
        assert_eq!(type_is_codes(b"7"), Some((7, u32::MAX)));
        assert_eq!(type_is_codes(b"no_such_event"), None);
    }
}
