//! `proc.*`: the process of the event's thread and its ancestors (libsinsp's process filter
//! checks). Per-process columns come from the thread itself, as libsinsp reads them (its
//! parsers copy them to every thread of the group), except the cwd, the environment and the
//! fd table, which libsinsp keeps on the main thread. Ancestor fields are in [`ancestors`],
//! session and process-group leaders in [`leaders`], times and exe inode data in [`times`],
//! fds and resources in [`resources`].

mod ancestors;
mod leaders;
mod resources;
mod times;

pub use ancestors::*;
pub use leaders::*;
pub use resources::*;
pub use times::*;

use std::ffi::{CStr, CString};

use falco_plugin::anyhow;

use super::ctx::{Ctx, Req, with_event};
use super::value::{dec, joined, text};
use crate::plugin::EderaPlugin;
use crate::state::{Thread, ZoneState};

/// Runs `f` with the zone state and the event's thread; no value without a thread.
pub(crate) fn with_proc<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&Ctx<'_, '_>, &ZoneState, &Thread) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    with_event(p, req, |c| f(c, c.state()?, c.thread()?))
}

/// A pid as libsinsp shows it: signed decimal, only within `-1..=u32::MAX`.
pub(crate) fn pid_text(v: i64) -> Option<CString> {
    (-1..=i64::from(u32::MAX))
        .contains(&v)
        .then(|| dec(v))
        .flatten()
}

/// The value of `name` in an environment (`NAME=value` entries), spaces trimmed, as libsinsp's
/// `get_env` finds it.
pub(crate) fn env_value<'a>(env: &'a [Vec<u8>], name: &[u8]) -> Option<&'a [u8]> {
    env.iter().find_map(|e| {
        let rest = e.strip_prefix(name)?.strip_prefix(b"=")?;
        let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
        let end = rest
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(start, |e| e + 1);
        Some(&rest[start..end.max(start)])
    })
}

/// `proc.args` (no index) or `proc.args[N]` (argument N after argv[0], empty when absent).
pub fn args(p: &mut EderaPlugin, req: Req, index: Option<u64>) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, _, t| match index {
        None => text(t.args_joined()),
        Some(n) => {
            let arg = usize::try_from(n).ok().and_then(|n| t.args.get(n));
            text(arg.map_or(&[][..], Vec::as_slice))
        }
    })
}

/// `proc.cmdline`.
pub fn cmdline(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, _, t| text(t.cmdline()))
}

/// `proc.cmdnargs`.
pub fn cmdnargs(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, _, t| Some(t.args.len() as u64))
}

/// `proc.cmdlenargs`.
pub fn cmdlenargs(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, _, t| {
        Some(t.args.iter().map(|a| a.len() as u64).sum())
    })
}

/// `proc.exeline`: exe, a space, the arguments.
pub fn exeline(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, _, t| {
        text([t.exe.as_slice(), b" ", &t.args_joined()].concat())
    })
}

/// `proc.env` or `proc.env[NAME]` (empty when not set).
pub fn env(p: &mut EderaPlugin, req: Req, name: Option<&CStr>) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        let env = s.env_of(t.tid);
        match name {
            None => text(joined(env.iter().map(Vec::as_slice))),
            Some(n) => text(env_value(env, n.to_bytes()).unwrap_or_default()),
        }
    })
}

/// `proc.cwd`.
pub fn cwd(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| text(s.cwd_of(t.tid)))
}

/// `proc.pid`.
pub fn pid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, _, t| pid_text(t.pid))
}

/// `proc.vpid`: no value while unknown.
pub fn vpid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, _, t| u64::try_from(t.vpid).ok())
}

/// `proc.is_exe_writable`.
pub fn is_exe_writable(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_proc(p, &req, |_, _, t| Some(t.exe_writable))
}

/// `proc.is_exe_upper_layer`.
pub fn is_exe_upper_layer(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_proc(p, &req, |_, _, t| Some(t.exe_upper_layer))
}

/// `proc.is_exe_lower_layer`.
pub fn is_exe_lower_layer(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_proc(p, &req, |_, _, t| Some(t.exe_lower_layer))
}

/// `proc.is_exe_from_memfd`.
pub fn is_exe_from_memfd(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_proc(p, &req, |_, _, t| Some(t.exe_from_memfd))
}

/// `proc.is_sid_leader`: session id equals the virtual pid.
pub fn is_sid_leader(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_proc(p, &req, |_, _, t| Some(t.sid == t.vpid))
}

/// `proc.is_vpgid_leader`.
pub fn is_vpgid_leader(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_proc(p, &req, |_, _, t| Some(t.vpgid == t.vpid))
}

/// `proc.is_pgid_leader`.
pub fn is_pgid_leader(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_proc(p, &req, |_, _, t| Some(t.pgid == t.pid))
}
