//! `execve` and `execveat` exits (libsinsp's `parse_execve_exit`): the thread becomes the new
//! program. Its close-on-exec fds are dropped, its flags reset, and every other thread of the
//! process is removed (the kernel kills them on exec).
//!
//! `proc.exepath` is the trusted path from the event; captures that predate it take the path of
//! the passed-on enter event joined to the cwd (`execve`) or to the directory fd (`execveat`).

use edera_scap::event::RawEvent;
use edera_scap::tables::{EventCode as C, ppm_exe};

use super::ZoneState;
use super::enter::retrieve;
use super::open::dirfd_base;
use super::params::{PResult, empty, num, retval, split, strings, text};
use super::util::{cgroups_of, set_exepath};
use crate::path;
use crate::state::thread::{StoredEnter, cl};

/// `PPM_EXVAT_AT_EMPTY_PATH`.
const AT_EMPTY_PATH: u32 = 1;

pub(super) fn execve_exit(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    if retval(ev) < 0 {
        return Ok(());
    }
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    resurrect(z, tid);
    let Some(t) = z.threads.get_mut(tid) else {
        return Ok(());
    };
    t.exe = text(ev, 1)?.to_vec();
    t.lastexec_ts = ev.header.ts;
    t.comm = if empty(ev, 13) {
        t.exe.clone()
    } else {
        text(ev, 13)?.to_vec()
    };
    t.args = strings(ev, 2);
    t.pid = num(ev, 4)?;
    if t.is_invalid() {
        t.ptid = num(ev, 5)?;
        if t.flags & cl::CHILD_IN_PIDNS == 0 {
            (t.vtid, t.vpid) = (t.tid, t.pid);
        }
        z.threads.link(tid);
    }
    let exepath = exepath_of(z, ev, tid, code)?;
    let Some(t) = z.threads.get_mut(tid) else {
        return Ok(());
    };
    t.fdlimit = num(ev, 7)?;
    if !empty(ev, 12) {
        (t.pfmajor, t.pfminor) = (num(ev, 8)?, num(ev, 9)?);
        (t.vmsize_kb, t.vmrss_kb, t.vmswap_kb) = (num(ev, 10)?, num(ev, 11)?, num(ev, 12)?);
    }
    if !empty(ev, 15) {
        t.env = split(super::params::raw(ev, 15));
    }
    if !empty(ev, 14)
        && let Some(c) = cgroups_of(&strings(ev, 14))
    {
        t.cgroups = c;
    }
    if !empty(ev, 16) {
        t.tty = num(ev, 16)?;
    }
    if let Some(p) = exepath {
        set_exepath(t, &p);
    }
    if !empty(ev, 17) {
        t.vpgid = num(ev, 17)?;
    }
    if !empty(ev, 18) {
        t.loginuid = num(ev, 18)?;
    }
    if !empty(ev, 19) {
        let f = u64::from(num::<u32>(ev, 19)?);
        t.exe_writable = f & ppm_exe::WRITABLE != 0;
        t.exe_upper_layer = f & ppm_exe::UPPER_LAYER != 0;
        t.exe_from_memfd = f & ppm_exe::FROM_MEMFD != 0;
        t.exe_lower_layer = f & ppm_exe::LOWER_LAYER != 0;
    }
    if !empty(ev, 22) {
        t.cap_inheritable = num(ev, 20)?;
        t.cap_permitted = num(ev, 21)?;
        t.cap_effective = num(ev, 22)?;
    }
    if !empty(ev, 25) {
        t.exe_ino = num(ev, 23)?;
        t.exe_ino_ctime = num(ev, 24)?;
        t.exe_ino_mtime = num(ev, 25)?;
        if t.clone_ts != 0 {
            t.exe_ino_ctime_duration_clone_ts = t.clone_ts.wrapping_sub(t.exe_ino_ctime);
        }
        if t.pidns_init_start_ts != 0 && t.exe_ino_ctime > t.pidns_init_start_ts {
            t.exe_ino_ctime_duration_pidns_start = t.exe_ino_ctime - t.pidns_init_start_ts;
        }
    }
    if !empty(ev, 26) {
        t.uid = num(ev, 26)?;
    }
    t.pgid = if empty(ev, 28) { -1 } else { num(ev, 28)? };
    if !empty(ev, 29) {
        t.gid = num(ev, 29)?;
    }
    let (uid, gid) = (t.uid, t.gid);
    let kept = t.flags & (cl::PIPE_SRC | cl::PIPE_DST | cl::IS_MAIN_THREAD | cl::CLONE_INVERTED);
    t.flags = cl::ACTIVE | kept | cl::NAME_CHANGED;
    z.users.seen(uid, gid);
    z.groups.seen(gid);
    z.threads.retain_fds(tid, |_, f| !f.is_close_on_exec());
    drop_other_threads(z, tid);
    Ok(())
}

/// An exec from a thread whose main thread already exited brings the entry back to life.
fn resurrect(z: &mut ZoneState, tid: i64) {
    let Some(t) = z.threads.get_mut(tid) else {
        return;
    };
    if !t.is_dead() {
        return;
    }
    t.flags &= !cl::CLOSED;
    if let Some(g) = t.group.and_then(|g| z.threads.groups.get_mut(&g)) {
        g.alive += 1;
    }
}

/// The new `exepath`: the trusted path if the event has one, else the one derived from the
/// passed-on enter event, else unchanged (`None`).
fn exepath_of(z: &ZoneState, ev: &RawEvent<'_>, tid: i64, code: C) -> PResult<Option<Vec<u8>>> {
    if !empty(ev, 27) {
        return Ok(Some(text(ev, 27)?.to_vec()));
    }
    Ok(match retrieve(z, tid, code) {
        Some(StoredEnter::Execve { filename }) if filename == b"<NA>" => Some(b"<NA>".to_vec()),
        Some(StoredEnter::Execve { filename }) => Some(path::join(z.cwd_of(tid), filename)),
        Some(StoredEnter::Execveat {
            dirfd,
            pathname,
            flags,
        }) => {
            let dir = dirfd_base(z, Some(tid), pathname, *dirfd);
            let empty_path = flags & AT_EMPTY_PATH != 0;
            Some(
                if (!empty_path && pathname == b"<NA>") || dir == b"<UNKNOWN>" {
                    b"<NA>".to_vec()
                } else if empty_path {
                    path::join(b"", &dir)
                } else {
                    path::join(&dir, pathname)
                },
            )
        }
        _ => None,
    })
}

/// Removes the other (non-main) threads of the process.
fn drop_other_threads(z: &mut ZoneState, tid: i64) {
    let Some(t) = z.threads.get(tid) else { return };
    let Some(g) = z.threads.group_of(t).filter(|g| g.alive > 1) else {
        return;
    };
    let others: Vec<i64> = g
        .members()
        .iter()
        .filter_map(|r| z.threads.resolve(*r))
        .filter(|m| !m.is_main_thread() && m.tid != tid)
        .map(|m| m.tid)
        .collect();
    for o in others {
        z.threads.remove_thread(o);
    }
}
