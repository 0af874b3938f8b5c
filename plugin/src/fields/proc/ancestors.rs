//! Parent and ancestor fields: `proc.p*`, `proc.a*`, `proc.ppid`, `proc.pvpid`,
//! `proc.loginshellid`. Ancestor 0 is the process itself (its main thread), 1 its parent
//! process, and so on; without an index, the joined values of every known ancestor, nearest
//! first (the value libsinsp prints).

use std::ffi::{CStr, CString};

use falco_plugin::anyhow;

use super::super::ctx::Req;
use super::super::value::{joined, text};
use super::{env_value, pid_text, with_proc};
use crate::plugin::EderaPlugin;
use crate::state::{Thread, ZoneState};

/// How far `proc.aenv[NAME]` climbs (libsinsp's limit).
const AENV_LEVELS: usize = 20;

/// A column of ancestor `index`, or the joined column of every ancestor without one.
fn ancestor_column(
    s: &ZoneState,
    t: &Thread,
    index: Option<u64>,
    col: impl Fn(&Thread) -> Vec<u8>,
) -> Option<CString> {
    match index {
        Some(n) => text(col(s.ancestor_of(t.tid, u32::try_from(n).ok()?)?)),
        None => {
            s.process_of(t.tid)?;
            // libsinsp's accumulation: a space before each value once something was written,
            // so leading empty values vanish and later ones leave a space.
            let mut all = Vec::new();
            for a in s.ancestors_of(t.tid) {
                if !all.is_empty() {
                    all.push(b' ');
                }
                all.extend_from_slice(&col(a));
            }
            if all.is_empty() { None } else { text(all) }
        }
    }
}

/// A column of the parent process.
fn parent_column(s: &ZoneState, t: &Thread, col: impl Fn(&Thread) -> Vec<u8>) -> Option<CString> {
    text(col(s.ancestor_of(t.tid, 1)?))
}

/// `proc.pexe`.
pub fn pexe(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| parent_column(s, t, |a| a.exe.clone()))
}

/// `proc.aexe`.
pub fn aexe(p: &mut EderaPlugin, req: Req, index: Option<u64>) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        ancestor_column(s, t, index, |a| a.exe.clone())
    })
}

/// `proc.pexepath`.
pub fn pexepath(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        parent_column(s, t, |a| a.exepath.clone())
    })
}

/// `proc.aexepath`.
pub fn aexepath(
    p: &mut EderaPlugin,
    req: Req,
    index: Option<u64>,
) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        ancestor_column(s, t, index, |a| a.exepath.clone())
    })
}

/// `proc.pname`.
pub fn pname(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| parent_column(s, t, |a| a.comm.clone()))
}

/// `proc.aname`.
pub fn aname(p: &mut EderaPlugin, req: Req, index: Option<u64>) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        ancestor_column(s, t, index, |a| a.comm.clone())
    })
}

/// `proc.aargs`.
pub fn aargs(p: &mut EderaPlugin, req: Req, index: Option<u64>) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        ancestor_column(s, t, index, Thread::args_joined)
    })
}

/// `proc.pcmdline`.
pub fn pcmdline(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| parent_column(s, t, Thread::cmdline))
}

/// `proc.acmdline`.
pub fn acmdline(
    p: &mut EderaPlugin,
    req: Req,
    index: Option<u64>,
) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        ancestor_column(s, t, index, Thread::cmdline)
    })
}

/// `proc.aenv`: see the catalog (`[N]` an ancestor's environment, `[NAME]` the nearest
/// ancestor's value, none or `[0]` the process's own).
pub fn aenv(p: &mut EderaPlugin, req: Req, arg: Option<&CStr>) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        let arg = arg.map(CStr::to_bytes).filter(|a| !a.is_empty());
        let index = arg.and_then(|a| std::str::from_utf8(a).ok()?.parse::<u32>().ok());
        match (arg, index) {
            (None, _) | (_, Some(0)) => text(joined(s.env_of(t.tid).iter().map(Vec::as_slice))),
            (_, Some(n)) => {
                let a = s.ancestor_of(t.tid, n)?;
                text(joined(s.env_of(a.tid).iter().map(Vec::as_slice)))
            }
            (Some(name), None) => {
                let found = s
                    .ancestors_of(t.tid)
                    .into_iter()
                    .take(AENV_LEVELS)
                    .find_map(|a| env_value(s.env_of(a.tid), name).filter(|v| !v.is_empty()));
                text(found.unwrap_or_default())
            }
        }
    })
}

/// `proc.ppid`.
pub fn ppid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| pid_text(s.parent_of(t.tid)?.pid))
}

/// `proc.apid`: `[N]` the Nth ancestor's pid; without an index the process's own.
pub fn apid(p: &mut EderaPlugin, req: Req, index: Option<u64>) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        let n = u32::try_from(index.unwrap_or(0)).ok()?;
        pid_text(s.ancestor_of(t.tid, n)?.pid)
    })
}

/// `proc.pvpid`: the parent thread's vpid, -1 passed through.
pub fn pvpid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        super::super::value::dec(s.thread(t.ptid)?.vpid)
    })
}

/// `proc.loginshellid`: the eldest shell (name ending in `sh`) among the process and its
/// ancestors.
pub fn loginshellid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_proc(p, &req, |_, s, t| {
        let main = s.process_of(t.tid)?;
        let shell = |a: &Thread| a.comm.ends_with(b"sh");
        let mut found = shell(main).then_some(main.pid);
        for a in s.ancestors_of(t.tid) {
            if shell(a) {
                found = Some(a.pid);
            }
        }
        super::super::value::dec(found?)
    })
}
