//! Identity and limits: `setuid`, `setreuid`, `setresuid` (effective uid), the gid
//! equivalents, `setsid`, `capset`, `unshare`/`setns` (a new user namespace grants every
//! capability), `getrlimit`/`setrlimit`/`prlimit` (`RLIMIT_NOFILE` is the process fd limit),
//! and `prctl(PR_SET_CHILD_SUBREAPER)`. libsinsp does not track `setpgid`, nor `comm` changes
//! through `prctl(PR_SET_NAME)`: neither is tracked here.

use edera_scap::event::RawEvent;
use edera_scap::tables::EventCode as C;

use super::ZoneState;
use super::params::{PResult, empty, num, opt, retval};
use crate::state::thread::cl;

/// Every capability libsinsp knows (41) set.
const ALL_CAPS: u64 = (1 << 41) - 1;
/// `RLIMIT_NOFILE` as the driver encodes it.
const RLIMIT_NOFILE: u8 = 7;
const PR_SET_CHILD_SUBREAPER: u32 = 36;
const PR_GET_CHILD_SUBREAPER: u32 = 37;

/// The effective uid (parameter `at`) of a successful set*uid.
pub(super) fn set_uid(z: &mut ZoneState, ev: &RawEvent<'_>, at: usize) -> PResult {
    if retval(ev) != 0 || empty(ev, at) {
        return Ok(());
    }
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let uid: u32 = num(ev, at)?;
    if let Some(t) = z.threads.get_mut(tid) {
        t.uid = uid;
        z.users.seen(uid, t.gid);
    }
    Ok(())
}

/// The effective gid (parameter `at`) of a successful set*gid.
pub(super) fn set_gid(z: &mut ZoneState, ev: &RawEvent<'_>, at: usize) -> PResult {
    if retval(ev) != 0 || empty(ev, at) {
        return Ok(());
    }
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let gid: u32 = num(ev, at)?;
    if let Some(t) = z.threads.get_mut(tid) {
        t.gid = gid;
        z.groups.seen(gid);
    }
    Ok(())
}

pub(super) fn setsid(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let res = retval(ev);
    if let Some(t) = z
        .event
        .tid
        .filter(|_| res >= 0)
        .and_then(|t| z.threads.get_mut(t))
    {
        t.sid = res;
    }
    Ok(())
}

pub(super) fn capset(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid.filter(|_| retval(ev) >= 0) else {
        return Ok(());
    };
    let (i, p, e) = (num(ev, 1)?, num(ev, 2)?, num(ev, 3)?);
    if let Some(t) = z.threads.get_mut(tid) {
        (t.cap_inheritable, t.cap_permitted, t.cap_effective) = (i, p, e);
    }
    Ok(())
}

pub(super) fn unshare_setns(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid.filter(|_| retval(ev) >= 0) else {
        return Ok(());
    };
    let flags: u32 = match code {
        C::SyscallUnshareX => num(ev, 1)?,
        _ => opt(ev, 2)?.unwrap_or(0),
    };
    if flags & cl::CLONE_NEWUSER == 0 {
        return Ok(());
    }
    if let Some(t) = z.threads.get_mut(tid) {
        (t.cap_inheritable, t.cap_permitted, t.cap_effective) = (ALL_CAPS, ALL_CAPS, ALL_CAPS);
    }
    Ok(())
}

/// `getrlimit`/`setrlimit`: the current `RLIMIT_NOFILE` value becomes the process fd limit.
pub(super) fn rlimit(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid.filter(|_| retval(ev) >= 0) else {
        return Ok(());
    };
    if num::<u8>(ev, 3)? != RLIMIT_NOFILE {
        return Ok(());
    }
    let cur: i64 = num(ev, 1)?;
    if cur != -1 {
        set_fdlimit(z, tid, cur);
    }
    Ok(())
}

/// `prlimit`: the same for the target process (`pid` 0: the caller), which is created on
/// first sight like any thread libsinsp looks up.
pub(super) fn prlimit(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    if retval(ev) != 0 {
        return Ok(());
    }
    match opt::<u8>(ev, 6)? {
        Some(RLIMIT_NOFILE) => {}
        _ => return Ok(()),
    }
    let cur: i64 = num(ev, 1)?;
    if cur == -1 {
        return Ok(());
    }
    let Some(mut tid) = opt::<i64>(ev, 5)? else {
        return Ok(());
    };
    if tid == 0 {
        tid = ev.header.tid as i64;
    }
    z.threads.get_or_create(tid);
    if z.threads.get(tid).is_some_and(|t| !t.is_invalid()) {
        set_fdlimit(z, tid, cur);
    }
    Ok(())
}

fn set_fdlimit(z: &mut ZoneState, tid: i64, limit: i64) {
    if let Some(m) = z.threads.main_tid(tid).and_then(|m| z.threads.get_mut(m)) {
        m.fdlimit = limit;
    }
}

/// `prctl(PR_SET_CHILD_SUBREAPER, n)`: the process adopts orphaned descendants when `n != 0`.
pub(super) fn prctl(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    if retval(ev) < 0 {
        return Ok(());
    }
    let Some(t) = z
        .event
        .tid
        .and_then(|t| z.threads.get(t))
        .filter(|t| !t.is_invalid())
    else {
        return Ok(());
    };
    let gkey = t.group;
    let option: u32 = num(ev, 1)?;
    if option != PR_SET_CHILD_SUBREAPER && option != PR_GET_CHILD_SUBREAPER {
        return Ok(());
    }
    let arg: i64 = num(ev, 3)?;
    if let Some(g) = gkey.and_then(|g| z.threads.groups.get_mut(&g)) {
        g.reaper = arg != 0;
    }
    Ok(())
}
