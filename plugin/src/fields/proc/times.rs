//! Process times and executable inode data: `proc.duration`, `proc.ppid.duration`,
//! `proc.pid.ts`, `proc.ppid.ts`, `proc.exe_ino*`, `proc.pidns_init_start_ts`. Zero means
//! unknown and is no value, except where the catalog says otherwise.

use std::time::Duration;

use falco_plugin::anyhow;

use super::super::ctx::Req;
use super::super::types::{AbsTime, abstime_ns};
use super::with_proc;
use crate::plugin::EderaPlugin;

fn nonzero(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}

/// `proc.duration`: from the thread's start to this event.
pub fn duration(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    with_proc(p, &req, |c, _, t| {
        let start = nonzero(t.clone_ts)?;
        Some(Duration::from_nanos(c.raw.header.ts.wrapping_sub(start)))
    })
}

/// `proc.ppid.duration`: from the parent process's start to this event; the parent's fd
/// count when its start is unknown (as libsinsp does).
pub fn ppid_duration(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    with_proc(p, &req, |c, s, t| {
        let parent = s.parent_of(t.tid)?;
        Some(Duration::from_nanos(match nonzero(parent.clone_ts) {
            Some(start) => c.raw.header.ts.wrapping_sub(start),
            None => s.fd_open_count_of(t.tid),
        }))
    })
}

/// `proc.pid.ts`.
pub fn pid_ts(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    with_proc(p, &req, |_, _, t| {
        nonzero(t.clone_ts).map(Duration::from_nanos)
    })
}

/// `proc.ppid.ts`: the parent thread's start, 0 when unknown.
pub fn ppid_ts(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    with_proc(p, &req, |_, s, t| {
        Some(Duration::from_nanos(s.thread(t.ptid)?.clone_ts))
    })
}

/// `proc.exe_ino`.
pub fn exe_ino(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, _, t| nonzero(t.exe_ino))
}

/// `proc.exe_ino.ctime`.
pub fn exe_ino_ctime(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<AbsTime>> {
    with_proc(p, &req, |_, _, t| nonzero(t.exe_ino_ctime).map(abstime_ns))
}

/// `proc.exe_ino.mtime`.
pub fn exe_ino_mtime(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<AbsTime>> {
    with_proc(p, &req, |_, _, t| nonzero(t.exe_ino_mtime).map(abstime_ns))
}

/// `proc.exe_ino.ctime_duration_proc_start`.
pub fn exe_ino_ctime_duration_proc_start(
    p: &mut EderaPlugin,
    req: Req,
) -> anyhow::Result<Option<AbsTime>> {
    with_proc(p, &req, |_, _, t| {
        nonzero(t.exe_ino_ctime_duration_clone_ts).map(abstime_ns)
    })
}

/// `proc.exe_ino.ctime_duration_pidns_start`.
pub fn exe_ino_ctime_duration_pidns_start(
    p: &mut EderaPlugin,
    req: Req,
) -> anyhow::Result<Option<AbsTime>> {
    with_proc(p, &req, |_, _, t| {
        nonzero(t.exe_ino_ctime_duration_pidns_start).map(abstime_ns)
    })
}

/// `proc.pidns_init_start_ts`.
pub fn pidns_init_start_ts(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_proc(p, &req, |_, _, t| nonzero(t.pidns_init_start_ts))
}
