//! `clone`, `clone3`, `fork`, `vfork` exits (libsinsp's `parse_clone_exit_caller` and
//! `parse_clone_exit_child`).
//!
//! Both ends report the syscall. The caller's exit (return value = child tid) creates the child
//! when the child's own exit has not already done so, except when the child lives in another
//! pid namespace (its tid would be wrong from the caller's side), for vfork (the child may
//! already have exited), or when the child exited very recently. The child's exit (return value
//! 0) creates the entry itself unless the caller's exit created it less than 2 s ago; it is
//! flagged `CLONE_INVERTED` so the caller's exit leaves it alone.
//!
//! A new process copies its parent's fd table (every fd, marked cloned), cwd and environment;
//! a new thread (`CLONE_THREAD`) shares its process's (`CLONE_FILES` is forced). Process-wide
//! columns (exe path, session, process group, tty, loginuid, capabilities, exe inode) come
//! from the parent; a parent known only from first sight is patched from the event instead.

use edera_scap::event::RawEvent;
use edera_scap::tables::EventCode as C;

use super::ZoneState;
use super::params::{PResult, empty, num, retval, strings, text};
use super::util::cgroups_of;
use crate::state::fd::fdflags;
use crate::state::fdtable::FdTable;
use crate::state::thread::{Thread, cl};

/// A child entry younger than this was made by the caller's exit (libsinsp: 2 s).
const CLONE_STALE_NS: u64 = 2_000_000_000;

pub(super) fn clone_exit(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let child = retval(ev);
    match child {
        c if c < 0 => Ok(()),
        0 => in_child(z, ev),
        c => in_caller(z, ev, code, c),
    }
}

fn in_caller(z: &mut ZoneState, ev: &RawEvent<'_>, code: C, child_tid: i64) -> PResult {
    let caller_tid = ev.header.tid as i64;
    z.threads.get_or_create(caller_tid);
    z.event.tid = Some(caller_tid);
    let Some(caller) = z.threads.get(caller_tid) else {
        return Ok(());
    };
    let valid_caller = !caller.is_invalid();
    if !valid_caller {
        let (pid, ptid) = (num(ev, 4)?, num(ev, 5)?);
        let (vtid, vpid) = virtual_ids(ev, caller_tid)?;
        if let Some(c) = z.threads.get_mut(caller_tid) {
            (c.pid, c.ptid, c.vtid, c.vpid) = (pid, ptid, vtid, vpid);
        }
        z.threads.link(caller_tid);
    }
    let flags: u32 = num(ev, 15)?;
    let caller_vtid = z.threads.get(caller_tid).map_or(-1, |c| c.vtid);
    if flags & (cl::CHILD_IN_PIDNS | cl::CLONE_NEWPID | cl::CLONE_PARENT) != 0
        || caller_tid != caller_vtid
    {
        return Ok(());
    }
    if flags & cl::CLONE_VFORK != 0 || code == C::SyscallVforkV20X {
        return Ok(());
    }
    if z.threads
        .exits
        .contains(child_tid, caller_tid, ev.header.ts)
    {
        return Ok(());
    }
    if let Some(existing) = z.threads.get(child_tid) {
        if existing.flags & cl::CLONE_INVERTED != 0 {
            return Ok(());
        }
        z.threads.remove_thread(child_tid);
    }
    let Some(caller) = z.threads.get(caller_tid) else {
        return Ok(());
    };
    let mut t = Thread::new(child_tid);
    t.flags = flags;
    if flags & cl::CLONE_THREAD == 0 {
        if valid_caller {
            t.fds = cloned_fds(z, caller_tid);
            t.cwd = z.cwd_of(caller_tid).to_vec();
            t.env = caller.env.clone();
        }
        t.pid = child_tid;
        t.ptid = caller_tid;
    } else {
        t.pid = caller.pid;
        t.ptid = caller.ptid;
        t.flags |= cl::CLONE_FILES;
        t.lastexec_ts = caller.lastexec_ts;
    }
    t.vtid = t.tid;
    t.vpid = t.pid;
    from_event(&mut t, ev)?;
    t.pidns_init_start_ts = z.boot_ts;
    if valid_caller {
        inherit(&mut t, caller);
    } else if let Some(c) = z.threads.get_mut(caller_tid) {
        c.exe = t.exe.clone();
        c.comm = t.comm.clone();
        c.args = t.args.clone();
    }
    t.clone_ts = ev.header.ts;
    add_child(z, t);
    Ok(())
}

fn in_child(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let child_tid = ev.header.tid as i64;
    if let Some(t) = z.event.tid.and_then(|t| z.threads.get(t))
        && t.clone_ts != 0
    {
        if ev.header.ts.wrapping_sub(t.clone_ts) < CLONE_STALE_NS {
            return Ok(());
        }
        z.threads.remove_thread(child_tid);
        z.event.tid = None;
    }
    let mut t = Thread::new(child_tid);
    t.pid = num(ev, 4)?;
    t.ptid = num(ev, 5)?;
    (t.vtid, t.vpid) = virtual_ids(ev, child_tid)?;
    t.flags = num::<u32>(ev, 15)? | cl::CLONE_INVERTED;
    let leader = t.flags & cl::CLONE_THREAD == 0;
    let lookup_tid = if leader { t.ptid } else { t.pid };
    if !leader {
        t.flags |= cl::CLONE_FILES;
    }
    z.threads.get_or_create(lookup_tid);
    let valid_lookup = z.threads.get(lookup_tid).is_some_and(|l| !l.is_invalid());
    if !valid_lookup && !leader {
        if let Some(l) = z.threads.get_mut(lookup_tid) {
            (l.pid, l.ptid, l.vpid, l.vtid) = (t.pid, t.ptid, t.vpid, t.vpid);
        }
        z.threads.link(lookup_tid);
    }
    from_event(&mut t, ev)?;
    if valid_lookup {
        let Some(l) = z.threads.get(lookup_tid) else {
            return Ok(());
        };
        inherit(&mut t, l);
        if leader {
            t.fds = cloned_fds(z, lookup_tid);
            t.cwd = z.cwd_of(lookup_tid).to_vec();
            t.env = l.env.clone();
        } else {
            t.lastexec_ts = l.lastexec_ts;
        }
    } else if !leader && let Some(l) = z.threads.get_mut(lookup_tid) {
        l.exe = t.exe.clone();
        l.comm = t.comm.clone();
        l.args = t.args.clone();
    }
    t.clone_ts = ev.header.ts;
    let in_ns = t.flags & (cl::CHILD_IN_PIDNS | cl::CLONE_NEWPID) != 0 || t.tid != t.vtid;
    if !in_ns {
        t.pidns_init_start_ts = z.boot_ts;
    } else if !empty(ev, 20) {
        t.pidns_init_start_ts = num::<u64>(ev, 20)?.wrapping_add(z.boot_ts);
    }
    add_child(z, t);
    z.event.tid = Some(child_tid);
    Ok(())
}

/// `vtid`/`vpid` of the event, or (`tid`, -1) when the event has none.
fn virtual_ids(ev: &RawEvent<'_>, tid: i64) -> PResult<(i64, i64)> {
    if empty(ev, 19) {
        return Ok((tid, -1));
    }
    Ok((num(ev, 18)?, num(ev, 19)?))
}

/// exe, comm, args, fd limit, memory, uid, gid and cgroups from the clone exit.
fn from_event(t: &mut Thread, ev: &RawEvent<'_>) -> PResult {
    t.exe = text(ev, 1)?.to_vec();
    t.comm = if empty(ev, 13) {
        t.exe.clone()
    } else {
        text(ev, 13)?.to_vec()
    };
    t.args = strings(ev, 2);
    t.fdlimit = num(ev, 7)?;
    if !empty(ev, 12) {
        (t.pfmajor, t.pfminor) = (num(ev, 8)?, num(ev, 9)?);
        (t.vmsize_kb, t.vmrss_kb, t.vmswap_kb) = (num(ev, 10)?, num(ev, 11)?, num(ev, 12)?);
    }
    t.uid = num(ev, 16)?;
    t.gid = num(ev, 17)?;
    if !empty(ev, 14)
        && let Some(c) = cgroups_of(&strings(ev, 14))
    {
        t.cgroups = c;
    }
    Ok(())
}

/// The process-wide columns a new thread or process takes from its parent.
fn inherit(t: &mut Thread, p: &Thread) {
    t.exepath = p.exepath.clone();
    t.exe_writable = p.exe_writable;
    t.exe_upper_layer = p.exe_upper_layer;
    t.exe_lower_layer = p.exe_lower_layer;
    t.exe_from_memfd = p.exe_from_memfd;
    t.root = p.root.clone();
    t.sid = p.sid;
    t.vpgid = p.vpgid;
    t.pgid = p.pgid;
    t.tty = p.tty;
    t.loginuid = p.loginuid;
    t.cap_permitted = p.cap_permitted;
    t.cap_inheritable = p.cap_inheritable;
    t.cap_effective = p.cap_effective;
    t.exe_ino = p.exe_ino;
    t.exe_ino_ctime = p.exe_ino_ctime;
    t.exe_ino_mtime = p.exe_ino_mtime;
    t.exe_ino_ctime_duration_clone_ts = p.exe_ino_ctime_duration_clone_ts;
}

/// A copy of the fd table `tid` uses (refilled in its walk order, as libsinsp does), every
/// entry marked as cloned.
fn cloned_fds(z: &ZoneState, tid: i64) -> FdTable {
    let mut t = z
        .threads
        .fd_table(tid)
        .map(FdTable::refilled)
        .unwrap_or_default();
    t.for_each_mut(|_, f| f.flags |= fdflags::IS_CLONED);
    t
}

/// Adds the new entry (joining its process and parent) and records it for the event.
fn add_child(z: &mut ZoneState, t: Thread) {
    z.users.seen(t.uid, t.gid);
    z.groups.seen(t.gid);
    let tid = t.tid;
    z.threads.insert(t, true);
    z.event.child = Some(tid);
}
