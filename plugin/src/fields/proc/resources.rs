//! The process's fds and threads: `proc.fd*`, `proc.nthreads`, `proc.nchilds`, and the
//! standard streams `proc.std{in,out,err}.{type,name}` (fds 0-2 of its fd table).

use std::ffi::CString;

use falco_plugin::anyhow;

use super::super::ctx::Req;
use super::super::value::text;
use super::with_proc;
use crate::plugin::EderaPlugin;
use crate::state::FdInfo;

/// `proc.fdopencount`.
pub fn fdopencount(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, s, t| Some(s.fd_open_count_of(t.tid)))
}

/// `proc.fdlimit`.
pub fn fdlimit(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, s, t| {
        Some(u64::try_from(s.fd_limit_of(t.tid)).unwrap_or(0))
    })
}

/// `proc.fdusage`: percent of the limit in use, capped at 100 (0 without a limit), as the
/// shortest round-trip decimal.
pub fn fdusage(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        let limit = s.fd_limit_of(t.tid);
        let usage = if limit > 0 {
            (100.0 * s.fd_open_count_of(t.tid) as f64 / limit as f64).min(100.0)
        } else {
            0.0
        };
        // A computed double prints with a fraction, as in Falco's output ('0.0', '100.0').
        let shown = if usage.fract() == 0.0 {
            format!("{usage:.1}")
        } else {
            usage.to_string()
        };
        text(shown)
    })
}

/// `proc.nthreads`.
pub fn nthreads(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, s, t| Some(s.thread_count_of(t.tid)))
}

/// `proc.nchilds`.
pub fn nchilds(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, s, t| Some(s.non_leader_count_of(t.tid)))
}

fn std_fd(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    fd: i64,
    f: impl FnOnce(&FdInfo) -> Option<CString>,
) -> anyhow::Result<Option<CString>> {
    with_proc(p, req, |_, s, t| f(s.fd_table_of(t.tid)?.get(fd)?))
}

/// `proc.stdin.type`.
pub fn stdin_type(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    std_fd(p, &req, 0, |f| text(f.type_name()))
}

/// `proc.stdout.type`.
pub fn stdout_type(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    std_fd(p, &req, 1, |f| text(f.type_name()))
}

/// `proc.stderr.type`.
pub fn stderr_type(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    std_fd(p, &req, 2, |f| text(f.type_name()))
}

/// `proc.stdin.name`.
pub fn stdin_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    std_fd(p, &req, 0, |f| text(f.name.as_slice()))
}

/// `proc.stdout.name`.
pub fn stdout_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    std_fd(p, &req, 1, |f| text(f.name.as_slice()))
}

/// `proc.stderr.name`.
pub fn stderr_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    std_fd(p, &req, 2, |f| text(f.name.as_slice()))
}
