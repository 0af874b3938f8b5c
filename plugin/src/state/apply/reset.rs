//! Which thread and fd an event is about, before its parser runs (libsinsp's
//! `sinsp_parser::reset`).
//!
//! - Events flagged "skip parse reset" get no thread, except `procinfo`, which gets its thread
//!   if known. Meta events (container, user and group records, plugin and async events) get none.
//! - Every other event gets the thread of its header tid, created on first sight
//!   ([`super::super::Thread::unknown`]), except clone/fork exits, `switch` and `procexit`,
//!   which only look it up (a dead or not yet born thread must not be invented).
//! - Enter events remember their type (to pair the exit with it) and, if they use an fd, that
//!   fd. An exit event that does not follow its own enter forgets the thread's last fd; one that
//!   uses an fd then takes it from its fd parameter and looks it up.

use edera_scap::event::RawEvent;
use edera_scap::info::{Direction, EventInfo};
use edera_scap::libsinsp;
use edera_scap::tables::{EventCode as C, ef};

use super::params::{PResult, empty, num};
use super::{FdOrigin, ZoneState};
use crate::state::thread::cl;

pub(super) fn reset(z: &mut ZoneState, ev: &RawEvent<'_>, info: &EventInfo) -> PResult {
    let etype = ev.header.etype;
    let code = C::from_u16(etype);
    if info.flags & ef::SKIPPARSERESET != 0 {
        if code == Some(C::ProcinfoE) {
            z.event.tid = Some(ev.header.tid as i64).filter(|t| z.threads.get(*t).is_some());
        }
        return Ok(());
    }
    if matches!(
        code,
        Some(
            C::ContainerJsonV2E
                | C::UserAddedE
                | C::UserDeletedE
                | C::GroupAddedE
                | C::GroupDeletedE
                | C::PlugineventE
                | C::AsynceventE
        )
    ) {
        return Ok(());
    }
    let tid = ev.header.tid as i64;
    let lookup_only =
        libsinsp::clone_exit(etype) || matches!(code, Some(C::SchedswitchV6E | C::ProcexitV1E));
    if !lookup_only {
        z.threads.get_or_create(tid);
    }
    let Some(t) = z.threads.get_mut(tid) else {
        return Ok(());
    };
    z.event.tid = Some(tid);
    if code == Some(C::SchedswitchV6E) {
        return Ok(());
    }
    if !lookup_only {
        t.flags |= cl::ACTIVE;
    }
    let uses_fd = info.flags & ef::USES_FD != 0;
    if info.direction == Direction::Enter {
        t.lastevent_fd = -1;
        t.last_enter_type = Some(etype);
        if uses_fd {
            let fd: i64 = num(ev, enter_fd_param(code))?;
            t.lastevent_fd = fd;
            look_up_event_fd(z, tid, fd);
        }
        return Ok(());
    }
    let after_execveat =
        code == Some(C::SyscallExecveV19X) && t.last_enter_type == Some(C::SyscallExecveatE as u16);
    let after_own_enter = t
        .last_enter_type
        .is_some_and(|e| u32::from(e) + 1 == u32::from(etype));
    z.event.enter_valid = after_execveat || after_own_enter;
    if !z.event.enter_valid {
        t.lastevent_fd = -1;
    }
    if !uses_fd {
        return Ok(());
    }
    if t.lastevent_fd == -1
        && let Some(i) = exit_fd_param(code)
        && i < ev.nparams()
        && !empty(ev, i)
    {
        t.lastevent_fd = num(ev, i)?;
    }
    let fd = t.lastevent_fd;
    look_up_event_fd(z, tid, fd);
    Ok(())
}

/// Makes fd `fd` of `tid` (if it exists) the event's fd. Its name before parsing is recorded
/// only if a parser renames it ([`ZoneState::rename_event_fd`]).
fn look_up_event_fd(z: &mut ZoneState, tid: i64, fd: i64) {
    if z.threads.get_fd(tid, fd).is_some() {
        z.event.fd = Some(fd);
        z.event.fd_origin = FdOrigin::Lookup;
    }
}

/// The fd parameter of an enter event (libscap's convention: the first, with exceptions).
fn enter_fd_param(code: Option<C>) -> usize {
    match code {
        Some(C::SyscallMmapE | C::SyscallMmap2E) => 4,
        Some(C::SyscallSpliceE) => 1,
        _ => 0,
    }
}

/// The fd parameter of an exit event that uses an fd (libscap's table).
fn exit_fd_param(code: Option<C>) -> Option<usize> {
    use C::*;
    Some(match code? {
        SyscallSetnsX
        | SocketListenX
        | SocketShutdownX
        | SyscallFchdirX
        | SyscallLseekX
        | SyscallLlseekX
        | SyscallIoctlV3X
        | SyscallFstatX
        | SyscallCloseX
        | SyscallGetdentsX
        | SyscallGetdents64X
        | SyscallFlockX
        | SyscallCopyFileRangeX
        | SyscallFcntlX
        | SyscallDupV1X
        | SyscallDup2X
        | SyscallDup3X
        | SyscallNewfstatatX
        | SyscallFchownatX
        | SyscallFchmodatX
        | SyscallMkdiratX
        | SyscallUnlinkatV2X
        | SyscallMknodatX
        | SocketSendmmsgX
        | SocketRecvmmsgX
        | SyscallIoUringRegisterX
        | SyscallIoUringEnterX
        | SocketSetsockoptX
        | SocketGetsockoptX
        | SyscallFsconfigX
        | SyscallFinitModuleX
        | SyscallFchmodX
        | SyscallFchownX => 1,
        SyscallReadX | SyscallPreadX | SocketBindX | SyscallWriteX | SyscallPwriteX
        | SocketRecvX | SocketSendX | SocketSendtoX | SocketSendmsgX | SyscallSendfileX
        | SyscallSpliceX | SyscallWritevX | SyscallPwritevX | SocketConnectX
        | SyscallSymlinkatX => 2,
        SocketRecvfromX | SyscallReadvX | SyscallPreadvX => 3,
        SocketRecvmsgX => 5,
        SyscallMmapX | SyscallMmap2X => 8,
        _ => return None,
    })
}
