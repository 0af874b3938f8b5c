//! `fd.*`: the file descriptor an event works on (libsinsp's fd filter checks).
//!
//! Which fd: only events whose type creates, uses or destroys an fd have one, and only with a
//! thread. The entry is the one the parser attached to the event, else the thread's last event
//! fd looked up in its table; when neither exists (an fd opened before the capture, a failed
//! call) `fd.num`, `fd.uid` and `fd.typechar` still have values and the name fields fall back
//! to the event's own parameters ([`name`]). Socket addresses and ports are in [`net`].

mod name;
mod net;

use std::ffi::CString;

use falco_plugin::anyhow;

use super::ctx::{Ctx, Req, with_event};
use crate::plugin::EderaPlugin;
use crate::state::fd::l4;
use crate::state::{FdInfo, FdType, ZoneState};

pub use net::*;

/// What the fd fields of one event see.
pub(crate) struct View<'p> {
    /// The zone state answering for the event.
    pub s: &'p ZoneState,
    /// The event thread's tid.
    pub tid: i64,
    /// `fd.num`: the thread's last event fd (`-1` when a creating call failed).
    pub num: i64,
    /// The fd entry, when the table has one.
    pub fd: Option<&'p FdInfo>,
}

/// Runs `f` for an event with an fd role and a thread; no value otherwise.
pub(crate) fn with_fd<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&Ctx<'_, '_>, &View<'_>) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    with_event(p, req, |c| {
        let s = c.state()?;
        let num = s.event_fd_num()?;
        let tid = s.event_tid()?;
        let v = View {
            s,
            tid,
            num,
            fd: s.event_fd(),
        };
        f(c, &v)
    })
}

/// Runs `f` on the event's fd entry; no value without one.
fn with_entry<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&View<'_>, &FdInfo) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    with_fd(p, req, |_, v| f(v, v.fd?))
}

pub(crate) use super::value::text;

/// `fd.num`: signed decimal.
pub fn num(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |_, v| text(v.num.to_string()))
}

/// `fd.type`.
pub fn type_(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |_, f| text(f.type_name()))
}

/// `fd.typechar`: the entry's type letter, else a guess from the event type.
pub fn typechar(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |c, v| {
        let ch = match v.fd {
            Some(f) => f.typechar,
            None => name::typechar_of_event(c.raw.header.etype),
        };
        text(vec![ch])
    })
}

/// `fd.name`.
pub fn name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |c, v| text(name::full_name(c, v)?))
}

/// `fd.directory`.
pub fn directory(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |c, v| text(name::directory(c, v)?))
}

/// `fd.filename`.
pub fn filename(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |_, f| {
        f.is_file().then(|| name::file_part(&f.name)).and_then(text)
    })
}

/// `fd.nameraw`: the path as passed, repeated `/` collapsed.
pub fn nameraw(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |c, v| {
        let raw = match v.fd {
            Some(f) => f.name_raw.clone(),
            None => name::from_event(c, v, true)?,
        };
        text(name::collapse_slashes(&raw))
    })
}

/// `fd.containername`: `:` and fd.name (zone events carry no container id).
pub fn containername(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |c, v| {
        text([b":".as_slice(), &name::full_name(c, v)?].concat())
    })
}

/// `fd.containerdirectory`: `:` and fd.directory.
pub fn containerdirectory(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |c, v| {
        text([b":".as_slice(), &name::directory(c, v)?].concat())
    })
}

/// `fd.uid`: tid then fd number, both decimal, concatenated.
pub fn uid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_fd(p, &req, |_, v| text(format!("{}{}", v.tid, v.num)))
}

/// `fd.l4proto`.
pub fn l4proto(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |_, f| text(l4::name(f.l4proto())))
}

/// `fd.sockfamily`.
pub fn sockfamily(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_entry(p, &req, |_, f| match f.fd_type() {
        FdType::Ipv4Sock | FdType::Ipv6Sock | FdType::Ipv4ServSock | FdType::Ipv6ServSock => {
            text("ip")
        }
        FdType::UnixSock => text("unix"),
        _ => None,
    })
}

/// `fd.is_server`: a listening socket, or a socket whose server address is the zone's own.
pub fn is_server(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_entry(p, &req, |v, f| {
        Some(match f.fd_type() {
            FdType::Ipv4ServSock | FdType::Ipv6ServSock => true,
            FdType::Ipv4Sock => v.s.ifaces.is_local_v4(f.sock.v4_dip()),
            FdType::Ipv6Sock => v.s.ifaces.is_local_v6(f.sock.v6_dip()),
            _ => false,
        })
    })
}

/// `fd.connected`.
pub fn connected(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_entry(p, &req, |_, f| Some(f.is_socket_connected()))
}

/// `fd.name_changed`: parsing this event renamed its fd.
pub fn name_changed(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_entry(p, &req, |v, _| Some(v.s.event().fd_name_changed))
}

/// `fd.dev.major` (the kernel's `new_encode_dev` layout).
pub fn dev_major(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_entry(p, &req, |_, f| Some(u64::from((f.dev & 0xfff00) >> 8)))
}

/// `fd.dev.minor`.
pub fn dev_minor(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_entry(p, &req, |_, f| {
        Some(u64::from((f.dev & 0xff) | ((f.dev >> 12) & 0xfff00)))
    })
}

/// `fd.is_upper_layer`.
pub fn is_upper_layer(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_entry(p, &req, |_, f| Some(f.is_upper_layer()))
}

/// `fd.is_lower_layer`.
pub fn is_lower_layer(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_entry(p, &req, |_, f| Some(f.is_lower_layer()))
}

/// `fd.types`: the distinct types over the process's fd table, in libsinsp's walk order
/// (see [`crate::state::fdorder`]); `fd.types[N]`: the type of fd
/// N as a one-element list (no value when the table has no fd N).
pub fn types(
    p: &mut EderaPlugin,
    req: Req,
    index: Option<u64>,
) -> anyhow::Result<Option<Vec<CString>>> {
    with_fd(p, &req, |_, v| match index {
        Some(n) => {
            let f = v.s.threads.get_fd(v.tid, i64::try_from(n).ok()?)?;
            Some(vec![text(f.type_name())?])
        }
        None => {
            let mut seen: Vec<&'static str> = Vec::new();
            if let Some(t) = v.s.fd_table_of(v.tid) {
                for (_, f) in t.iter_libsinsp_order() {
                    let n = f.type_name();
                    if !seen.contains(&n) {
                        seen.push(n);
                    }
                }
            }
            seen.into_iter().map(text).collect()
        }
    })
}

/// `fd.name` of the event, for other classes (fs.path of fchmod and fchown).
pub(crate) fn event_fd_name(c: &Ctx<'_, '_>) -> Option<Vec<u8>> {
    let s = c.state()?;
    let v = View {
        s,
        tid: s.event_tid()?,
        num: s.event_fd_num()?,
        fd: s.event_fd(),
    };
    name::full_name(c, &v)
}
