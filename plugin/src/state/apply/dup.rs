//! Duplicating fds: `dup`, `dup2`, `dup3`, `fcntl(F_DUPFD, F_DUPFD_CLOEXEC)` (and
//! `fcntl(F_SETFD)`, which sets close-on-exec), `pidfd_getfd`.
//!
//! The new fd is a copy of the old entry without its close-on-exec bits (plus `O_CLOEXEC` when
//! the call asked for it); a `dup2`/`dup3` target that was open is simply replaced.

use edera_scap::event::RawEvent;
use edera_scap::tables::{EventCode as C, ppm_o};

use super::ZoneState;
use super::params::{PResult, num, retval};
use crate::state::thread::cl;

const F_DUPFD: u8 = 1;
const F_SETFD: u8 = 3;
const F_DUPFD_CLOEXEC: u8 = 26;
/// `FD_CLOEXEC` in an `F_SETFD` argument.
const FD_CLOEXEC: u64 = 1;
const O_CLOEXEC: u32 = ppm_o::CLOEXEC as u32;

pub(super) fn dup(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let res = retval(ev);
    let Some(old) = event_fd_copy(z) else {
        return Ok(());
    };
    if res < 0 {
        return Ok(());
    }
    if let Some(t) = z.threads.get_mut(tid) {
        // libsinsp's guess that the thread is part of a shell pipe.
        match res {
            0 => t.flags |= cl::PIPE_DST,
            1 => t.flags |= cl::PIPE_SRC,
            _ => {}
        }
    }
    let mut f = old;
    f.clear_close_on_exec();
    if code == C::SyscallDup3X && num::<u32>(ev, 3)? & O_CLOEXEC != 0 {
        f.open_flags |= O_CLOEXEC;
    }
    z.attach_copied_fd(tid, res, f);
    Ok(())
}

pub(super) fn fcntl(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let cmd: u8 = num(ev, 2)?;
    if !matches!(cmd, F_DUPFD | F_DUPFD_CLOEXEC | F_SETFD) {
        return Ok(());
    }
    let res = retval(ev);
    if res < 0 || z.event.fd.is_none() {
        return Ok(());
    }
    if cmd == F_SETFD {
        let arg: u64 = num(ev, 3)?;
        if let Some(f) = z.event_fd_mut() {
            f.clear_close_on_exec();
            if arg & FD_CLOEXEC != 0 {
                f.open_flags |= O_CLOEXEC;
            }
        }
        return Ok(());
    }
    let Some(mut f) = event_fd_copy(z) else {
        return Ok(());
    };
    f.clear_close_on_exec();
    if cmd == F_DUPFD_CLOEXEC {
        f.open_flags |= O_CLOEXEC;
    }
    z.attach_copied_fd(tid, res, f);
    Ok(())
}

pub(super) fn pidfd_getfd(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let fd = retval(ev);
    let pidfd: i64 = num(ev, 1)?;
    let target: i64 = num(ev, 2)?;
    let Some(p) = z.threads.get_fd(tid, pidfd).filter(|f| f.is_pidfd()) else {
        return Ok(());
    };
    let owner = p.pid;
    if z.threads.get(owner).is_none() {
        return Ok(());
    }
    let Some(mut f) = z.threads.get_fd(owner, target).cloned() else {
        return Ok(());
    };
    f.clear_close_on_exec();
    f.open_flags |= O_CLOEXEC;
    z.attach_copied_fd(tid, fd, f);
    Ok(())
}

/// A copy of the event's fd entry.
fn event_fd_copy(z: &ZoneState) -> Option<crate::state::FdInfo> {
    let (tid, k) = (z.event.tid?, z.event.fd?);
    z.threads.fd_table(tid)?.get(k).cloned()
}
