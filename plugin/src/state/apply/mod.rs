//! Applying one event to the zone state: libsinsp's `sinsp::next` bookkeeping, `reset` (which
//! thread and fd the event is about) and `process_event` (the per-syscall parsers, one file per
//! family), then the cap enforcement.
//!
//! Order per event, as in libsinsp: (1) removals the previous event requested (an exited thread,
//! closed fds); (2) resolve the event's thread, creating it on first sight for most events, and
//! its fd; (3) run the parser of the event type; (4) compute what fields need of the event
//! ([`EventOutcome`]), drop the stored enter event after an exit event, and evict what exceeds
//! the caps.

mod clone;
mod close;
mod cwd;
mod dup;
mod enter;
mod exec;
mod exit;
mod ids;
mod meta;
pub mod open;
pub mod params;
mod pipe;
mod reset;
mod socket;
mod sockio;
mod tuple;
pub mod util;

use edera_scap::event::RawEvent;
use edera_scap::info::{Direction, event_info};
use edera_scap::libsinsp;
use edera_scap::tables::EventCode as C;

use super::ZoneState;
use params::PResult;

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Applied {
    /// Parsed (or of a kind that changes nothing).
    #[default]
    Parsed,
    /// A parameter could not be read; the event was skipped from that point and counted.
    Malformed,
    /// The event table has no such type; counted, nothing done.
    Unknown,
}

/// How the event's fd entry came to be (for `fd.name_changed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum FdOrigin {
    #[default]
    None,
    /// Looked up in the table when the event started.
    Lookup,
    /// Created by this event.
    New,
    /// Copied from another entry by this event (dup, fcntl, pidfd_getfd).
    Copy,
}

/// What the fields of the last applied event need from its parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventOutcome {
    /// The event type.
    pub etype: u16,
    pub status: Applied,
    /// The tid in the event header.
    pub header_tid: i64,
    /// The thread the parsers attached to the event (libsinsp's `evt.get_tinfo()`): `None` for
    /// events libsinsp attaches no thread to (meta events, procexit or clone of unknown threads,
    /// ...). Fields fall back to looking up `header_tid` ([`ZoneState::event_thread`]).
    pub tid: Option<i64>,
    /// The event type creates, uses or destroys an fd (its `fd.*` fields apply).
    pub fd_event: bool,
    /// `fd.num`: the thread's last event fd after parsing (`-1` when none).
    pub fd_num: i64,
    /// The fd-table key of the entry the event refers to (in the event thread's table), when
    /// the parser attached one.
    pub fd: Option<i64>,
    /// `fd.name_changed`.
    pub fd_name_changed: bool,
    /// A thread entry this event created (clone, fork), if any.
    pub child: Option<i64>,
    pub(crate) enter_valid: bool,
    /// A parser changed strings of a thread entry (they are re-counted for the budget).
    pub(crate) restring: bool,
    /// A parser renamed the event's fd (its strings are re-counted).
    pub(crate) renamed: bool,
    pub(crate) fd_origin: FdOrigin,
    pub(crate) fd_old_name: Option<Vec<u8>>,
}

/// Removals an event requests, done before the next event (libsinsp's parser verdict).
#[derive(Debug, Clone, Default)]
pub(crate) struct Pending {
    tid: Option<i64>,
    fds_tid: i64,
    fds: Vec<i64>,
}

impl ZoneState {
    /// Applies one event (current layout). Returns what fields need of it; the same is
    /// available from [`ZoneState::event`] until the next call.
    pub fn apply(&mut self, ev: &RawEvent<'_>) -> &EventOutcome {
        self.counters.events += 1;
        self.flush_pending(ev.header.ts);
        let etype = ev.header.etype;
        self.event = EventOutcome {
            etype,
            header_tid: ev.header.tid as i64,
            fd_num: -1,
            ..EventOutcome::default()
        };
        let Some(info) = event_info(etype).filter(|i| !i.unused()) else {
            self.event.status = Applied::Unknown;
            self.counters.unknown_events += 1;
            return &self.event;
        };
        let r = reset::reset(self, ev, info).and_then(|()| self.dispatch(ev));
        if r.is_err() {
            self.event.status = Applied::Malformed;
            self.counters.malformed_events += 1;
        }
        self.finish(info.direction, info.flags);
        &self.event
    }

    /// What the last applied event left for its fields.
    pub fn event(&self) -> &EventOutcome {
        &self.event
    }

    fn dispatch(&mut self, ev: &RawEvent<'_>) -> PResult {
        let Some(code) = C::from_u16(ev.header.etype) else {
            return Ok(());
        };
        let etype = ev.header.etype;
        // Parsers that change strings of thread entries (re-counted in `finish`): the stored
        // enter events, the process events and the cwd changes.
        self.event.restring = libsinsp::hidden_after_parse(etype)
            || libsinsp::process_exit(etype)
            || matches!(
                code,
                C::SyscallChdirX | C::SyscallFchdirX | C::SyscallGetcwdX | C::SyscallChrootX
            );
        if libsinsp::hidden_after_parse(etype) {
            return enter::store(self, ev, code);
        }
        if libsinsp::clone_exit(etype) {
            return clone::clone_exit(self, ev, code);
        }
        if libsinsp::exec_exit(etype) {
            return exec::execve_exit(self, ev, code);
        }
        match code {
            C::SyscallReadX
            | C::SyscallReadvX
            | C::SyscallPreadX
            | C::SyscallPreadvX
            | C::SocketRecvX
            | C::SocketRecvfromX
            | C::SocketRecvmsgX
            | C::SocketRecvmmsgX => sockio::read_exit(self, ev, code),
            C::SyscallWriteX
            | C::SyscallWritevX
            | C::SyscallPwriteX
            | C::SyscallPwritevX
            | C::SocketSendX
            | C::SocketSendtoX
            | C::SocketSendmsgX
            | C::SocketSendmmsgX => sockio::write_exit(self, ev, code),
            C::SyscallOpenX
            | C::SyscallCreatX
            | C::SyscallOpenatV2X
            | C::SyscallOpenat2X
            | C::SyscallOpenByHandleAtX => open::open_exit(self, ev, code),
            C::SyscallUnshareX | C::SyscallSetnsX => ids::unshare_setns(self, ev, code),
            C::SyscallMemfdCreateX => pipe::memfd_create(self, ev),
            C::SyscallPidfdOpenX => pipe::pidfd_open(self, ev),
            C::SyscallPidfdGetfdX => dup::pidfd_getfd(self, ev),
            C::ProcexitV1E => exit::procexit(self, ev),
            C::SyscallPipeX | C::SyscallPipe2X => pipe::pipe(self, ev, code),
            C::SocketSocketX => socket::socket(self, ev),
            C::SocketBindX => socket::bind(self, ev),
            C::SocketConnectX => socket::connect(self, ev),
            C::SocketAcceptV5X | C::SocketAccept4V6X => socket::accept(self, ev, code),
            C::SyscallCloseX => close::close(self, ev),
            C::SyscallCloseRangeX => close::close_range(self, ev),
            C::SyscallFcntlX => dup::fcntl(self, ev),
            C::SyscallEventfdX | C::SyscallEventfd2X => pipe::eventfd(self, ev, code),
            C::SyscallChdirX => cwd::chdir(self, ev),
            C::SyscallFchdirX => cwd::fchdir(self, ev),
            C::SyscallGetcwdX => cwd::getcwd(self, ev),
            C::SocketShutdownX => Ok(()),
            C::SyscallDupV1X | C::SyscallDup2X | C::SyscallDup3X => dup::dup(self, ev, code),
            C::SyscallSignalfdX
            | C::SyscallSignalfd4X
            | C::SyscallTimerfdCreateX
            | C::SyscallInotifyInitX
            | C::SyscallInotifyInit1X
            | C::SyscallBpfV2X
            | C::SyscallUserfaultfdX
            | C::SyscallIoUringSetupX
            | C::SyscallEpollCreateX
            | C::SyscallEpollCreate1X => pipe::single_fd(self, ev, code),
            C::SyscallGetrlimitX | C::SyscallSetrlimitX => ids::rlimit(self, ev),
            C::SyscallPrlimitX => ids::prlimit(self, ev),
            C::SocketSocketpairX => socket::socketpair(self, ev),
            C::SchedswitchV6E => meta::context_switch(self, ev),
            C::SyscallBrkV4X | C::SyscallMmapX | C::SyscallMmap2X | C::SyscallMunmapX => {
                meta::vm_update(self, ev)
            }
            C::SyscallSetresuidX | C::SyscallSetreuidX => ids::set_uid(self, ev, 2),
            C::SyscallSetuidX => ids::set_uid(self, ev, 1),
            C::SyscallSetresgidX | C::SyscallSetregidX => ids::set_gid(self, ev, 2),
            C::SyscallSetgidX => ids::set_gid(self, ev, 1),
            C::SyscallChrootX => cwd::chroot(self, ev),
            C::SyscallSetsidX => ids::setsid(self, ev),
            C::SyscallCapsetX => ids::capset(self, ev),
            C::UserAddedE | C::UserDeletedE => meta::user_event(self, ev, code),
            C::GroupAddedE | C::GroupDeletedE => meta::group_event(self, ev, code),
            C::SyscallPrctlX => ids::prctl(self, ev),
            _ => Ok(()),
        }
    }

    /// Removals requested by the previous event (libsinsp does them when the next one comes,
    /// so that the fields of `close` and `procexit` still see what goes).
    fn flush_pending(&mut self, ts: u64) {
        if let Some(tid) = self.pending.tid.take() {
            let ptid = self.threads.get(tid).map_or(-1, |t| t.ptid);
            self.threads.exits.record(tid, ptid, ts);
            self.threads.remove_thread(tid);
        }
        if !self.pending.fds.is_empty() {
            let tid = self.pending.fds_tid;
            for fd in std::mem::take(&mut self.pending.fds) {
                self.threads.remove_fd(tid, fd);
            }
        }
    }

    /// Adds `info` as fd `fd` of `tid` and makes it the event's fd (libsinsp's
    /// `evt.set_fd_info(tinfo->add_fd(..))`): no event fd when the table did not keep it.
    pub(crate) fn attach_new_fd(&mut self, tid: i64, fd: i64, info: crate::state::FdInfo) {
        let kept = self.threads.add_fd(tid, fd, info);
        self.event.fd = kept.then_some(fd);
        self.event.fd_origin = FdOrigin::New;
    }

    /// Like [`ZoneState::attach_new_fd`] for a copy of an existing entry (dup and friends).
    pub(crate) fn attach_copied_fd(&mut self, tid: i64, fd: i64, info: crate::state::FdInfo) {
        self.attach_new_fd(tid, fd, info);
        self.event.fd_origin = FdOrigin::Copy;
    }

    /// Renames the event's fd, remembering the first old name for `fd.name_changed`.
    pub(crate) fn rename_event_fd(&mut self, tid: i64, name: Vec<u8>) {
        let Some(k) = self.event.fd else { return };
        let Some(f) = self.threads.fd_mut(tid, k) else {
            return;
        };
        let old = std::mem::replace(&mut f.name, name);
        self.event.renamed = true;
        if self.event.fd_origin == FdOrigin::Lookup && self.event.fd_old_name.is_none() {
            self.event.fd_old_name = Some(old);
        }
    }

    /// The event's fd entry, for in-place changes.
    pub(crate) fn event_fd_mut(&mut self) -> Option<&mut crate::state::FdInfo> {
        let (tid, k) = (self.event.tid?, self.event.fd?);
        self.threads.fd_mut(tid, k)
    }

    /// Schedules the removal of fd `fd` of `tid` before the next event.
    pub(crate) fn remove_fd_later(&mut self, tid: i64, fd: i64) {
        self.pending.fds_tid = tid;
        if self.pending.fds.len() < 64 {
            self.pending.fds.push(fd);
        }
    }

    /// Schedules the removal of thread `tid` before the next event.
    pub(crate) fn remove_thread_later(&mut self, tid: i64) {
        self.pending.tid = Some(tid);
    }

    fn finish(&mut self, dir: Direction, flags: u32) {
        use edera_scap::tables::ef;
        let e = &mut self.event;
        e.fd_event = flags & (ef::CREATES_FD | ef::USES_FD | ef::DESTROYS_FD) != 0;
        let Some(tid) = e.tid else {
            e.fd = None;
            self.enforce_limits();
            return;
        };
        if let Some(t) = self.threads.get_mut(tid) {
            self.event.fd_num = t.lastevent_fd;
            if dir == Direction::Exit && t.last_enter.take().is_some() {
                self.event.restring = true;
            }
        }
        let name = self
            .event
            .fd
            .and_then(|k| self.threads.fd_table(tid)?.get(k))
            .map(|f| &f.name);
        self.event.fd_name_changed = match (self.event.fd_origin, name) {
            (_, None) => false,
            (FdOrigin::New, Some(n)) => !n.is_empty(),
            (FdOrigin::Lookup, Some(n)) => self.event.fd_old_name.as_ref().is_some_and(|o| o != n),
            (FdOrigin::Copy | FdOrigin::None, Some(_)) => false,
        };
        if let (Some(k), true) = (self.event.fd, self.event.renamed) {
            self.threads.reaccount_fd(tid, k);
        }
        for x in [Some(tid), self.threads.main_tid(tid), self.event.child]
            .into_iter()
            .flatten()
        {
            self.threads.reaccount(x);
        }
        self.threads.touch(tid);
        self.enforce_limits();
    }

    /// Evicts least recently active processes while a cap is exceeded; never the event's own
    /// thread, process or new child.
    fn enforce_limits(&mut self) {
        let l = self.limits;
        let mut protect = Vec::with_capacity(4);
        for x in [self.event.tid, self.event.child].into_iter().flatten() {
            protect.push(x);
            protect.extend(self.threads.main_tid(x));
        }
        while self.threads.len() > l.max_threads
            || self.threads.total_fds() > l.max_fds
            || self.threads.string_bytes() > l.max_string_bytes
        {
            let fds = self.threads.total_fds();
            let n = self.threads.evict_one(&protect);
            if n == 0 {
                break;
            }
            self.counters.evicted_threads += n as u64;
            self.threads.counts.evicted_fds += fds.saturating_sub(self.threads.total_fds()) as u64;
        }
        self.sync_counters();
    }

    pub(crate) fn sync_counters(&mut self) {
        let c = &mut self.counters;
        c.refused_users = self.users.refused + self.groups.refused;
        c.evicted_fds = self.threads.counts().evicted_fds;
    }
}
