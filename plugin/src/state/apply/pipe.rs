//! Exits of syscalls that create anonymous fds: `pipe`, `pipe2`, `eventfd`, `eventfd2`,
//! `signalfd`, `signalfd4`, `timerfd_create`, `inotify_init`, `inotify_init1`, `bpf`,
//! `userfaultfd`, `io_uring_setup`, `epoll_create`, `epoll_create1`, `memfd_create`,
//! `pidfd_open`. Their fds have no name, except memfds (the name given) and pidfds
//! (`/proc/<pid>`; libsinsp prefixes the Falco host's `HOST_ROOT`, which has no meaning for a
//! zone and is left out).

use edera_scap::event::RawEvent;
use edera_scap::tables::{EventCode as C, ppm_o};

use super::ZoneState;
use super::params::{PResult, num, retval, text};
use crate::state::fd::{FdInfo, FdType};

/// `PPM_EPOLL_CLOEXEC`.
const EPOLL_CLOEXEC: u32 = 1;

pub(super) fn pipe(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    if retval(ev) < 0 {
        return Ok(());
    }
    let fd1: i64 = num(ev, 1)?;
    let fd2: i64 = num(ev, 2)?;
    let ino: u64 = num(ev, 3)?;
    let flags: u32 = if code == C::SyscallPipe2X {
        num(ev, 4)?
    } else {
        0
    };
    for fd in [fd1, fd2] {
        let mut f = FdInfo::new(FdType::Fifo);
        f.ino = ino;
        f.open_flags = flags;
        z.attach_new_fd(tid, fd, f);
    }
    Ok(())
}

pub(super) fn eventfd(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let fd = retval(ev);
    if fd < 0 {
        return Ok(());
    }
    let mut f = FdInfo::new(FdType::Event);
    if code == C::SyscallEventfd2X {
        f.open_flags = u32::from(num::<u16>(ev, 1)?);
    }
    z.attach_new_fd(tid, fd, f);
    Ok(())
}

/// The fd-creating syscalls whose fd is parameter 0 and has no name.
pub(super) fn single_fd(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let fd = retval(ev);
    if fd < 0 {
        return Ok(());
    }
    let t = match code {
        C::SyscallSignalfdX | C::SyscallSignalfd4X => FdType::Signalfd,
        C::SyscallTimerfdCreateX => FdType::Timerfd,
        C::SyscallInotifyInitX | C::SyscallInotifyInit1X => FdType::Inotify,
        C::SyscallBpfV2X => FdType::Bpf,
        C::SyscallUserfaultfdX => FdType::Userfaultfd,
        C::SyscallIoUringSetupX => FdType::Iouring,
        _ => FdType::Eventpoll,
    };
    let mut f = FdInfo::new(t);
    match code {
        C::SyscallInotifyInit1X | C::SyscallSignalfd4X => {
            f.open_flags = u32::from(num::<u16>(ev, 1)?);
        }
        C::SyscallTimerfdCreateX => f.open_flags = u32::from(num::<u8>(ev, 2)?),
        C::SyscallEpollCreate1X if num::<u32>(ev, 1)? & EPOLL_CLOEXEC != 0 => {
            f.open_flags |= ppm_o::CLOEXEC as u32;
        }
        _ => {}
    }
    z.attach_new_fd(tid, fd, f);
    Ok(())
}

/// `memfd_create`: libsinsp adds an entry even when the call failed (under the negative
/// return value, where no lookup finds it; it still counts in `proc.fdopencount`).
pub(super) fn memfd_create(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let fd = retval(ev);
    let mut f = FdInfo::default();
    if fd >= 0 {
        f.set_type(FdType::Memfd);
        f.name = text(ev, 1)?.to_vec();
        f.open_flags = num(ev, 2)?;
    }
    z.attach_new_fd(tid, fd, f);
    Ok(())
}

pub(super) fn pidfd_open(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let fd = retval(ev);
    if fd < 0 {
        return Ok(());
    }
    let pid: i64 = num(ev, 1)?;
    let mut f = FdInfo::new(FdType::Pidfd);
    f.name = format!("/proc/{pid}").into_bytes();
    f.open_flags = num(ev, 2)?;
    f.pid = pid;
    z.attach_new_fd(tid, fd, f);
    Ok(())
}
