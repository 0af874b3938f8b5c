//! What field functions read: the event's thread, process, parent, ancestors and fd, and the
//! per-process columns resolved through the main thread the way libsinsp's getters do.

use super::ZoneState;
use super::fd::FdInfo;
use super::fdtable::FdTable;
use super::thread::Thread;
use super::users::{User, UserGroup};

impl ZoneState {
    /// The entry of `tid`.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(tid)
    }

    /// The tid of the last applied event's thread as fields see it (libsinsp's
    /// `evt.get_thread_info()`): the thread the parsers attached, else the entry of the header
    /// tid if there is one.
    pub fn event_tid(&self) -> Option<i64> {
        match self.event.tid {
            Some(t) => Some(t),
            None => Some(self.event.header_tid).filter(|t| self.threads.get(*t).is_some()),
        }
    }

    /// The last applied event's thread (see [`ZoneState::event_tid`]). `None`: `proc.*`,
    /// `thread.*` (but `thread.tid`), `user.*`, `group.*` and `fd.*` have no value.
    pub fn event_thread(&self) -> Option<&Thread> {
        self.event_tid().and_then(|t| self.threads.get(t))
    }

    /// The main thread of `tid`'s process (libsinsp's `get_main_thread`): `None` for threads
    /// created on first sight and for threads whose main thread is gone.
    pub fn process_of(&self, tid: i64) -> Option<&Thread> {
        self.threads.main_thread(tid)
    }

    /// The parent process's main thread (`proc.ppid`, `proc.pname`, ...).
    pub fn parent_of(&self, tid: i64) -> Option<&Thread> {
        self.threads.parent_process(tid)
    }

    /// The process `n` levels up (`proc.apid[n]`, `proc.aname[n]`; 0 is the process itself).
    pub fn ancestor_of(&self, tid: i64, n: u32) -> Option<&Thread> {
        self.threads.ancestor_process(tid, n)
    }

    /// The ancestors of `tid`'s process, nearest first, loop-safe (`proc.aname` without index).
    pub fn ancestors_of(&self, tid: i64) -> Vec<&Thread> {
        self.threads.ancestors(tid)
    }

    /// The fd table `tid` uses (its main thread's when it shares files).
    pub fn fd_table_of(&self, tid: i64) -> Option<&FdTable> {
        self.threads.fd_table(tid)
    }

    /// `fd.num` of the last applied event (its thread's last event fd): `None` when the event
    /// has no fd role or no thread.
    pub fn event_fd_num(&self) -> Option<i64> {
        if !self.event.fd_event {
            return None;
        }
        self.event_thread().map(|t| t.lastevent_fd)
    }

    /// The fd entry the last applied event refers to (libsinsp's `extract_fd`): the entry the
    /// parser attached, else the thread's last event fd looked up in its table. A closed fd is
    /// still there: it goes when the next event is applied.
    pub fn event_fd(&self) -> Option<&FdInfo> {
        let num = self.event_fd_num()?;
        let tid = self.event_tid()?;
        match self.event.fd.filter(|_| self.event.tid == Some(tid)) {
            Some(k) => self.threads.fd_table(tid)?.get(k),
            None if num != -1 => self.threads.get_fd(tid, num),
            None => None,
        }
    }

    /// The process's cwd (`proc.cwd`): the main thread's, `./` without one.
    pub fn cwd_of(&self, tid: i64) -> &[u8] {
        self.threads
            .main_thread(tid)
            .map_or(b"./", |m| m.cwd.as_slice())
    }

    /// The process's environment (`proc.env`): the main thread's, the thread's own without one.
    pub fn env_of(&self, tid: i64) -> &[Vec<u8>] {
        match self.threads.main_thread(tid) {
            Some(m) => &m.env,
            None => self.threads.get(tid).map_or(&[], |t| t.env.as_slice()),
        }
    }

    /// `proc.fdlimit`: the main thread's limit, 0 without one.
    pub fn fd_limit_of(&self, tid: i64) -> i64 {
        self.threads.main_thread(tid).map_or(0, |m| m.fdlimit)
    }

    /// `proc.fdopencount`: fds in the main thread's table, 0 without one.
    pub fn fd_open_count_of(&self, tid: i64) -> u64 {
        self.threads
            .main_thread(tid)
            .map_or(0, |m| m.fds.len() as u64)
    }

    /// `proc.nthreads`: alive threads of the process (0 for threads in no group).
    pub fn thread_count_of(&self, tid: i64) -> u64 {
        self.threads
            .get(tid)
            .and_then(|t| self.threads.group_of(t))
            .map_or(0, |g| g.alive)
    }

    /// `proc.nchilds`: alive threads of the process other than its (alive) main thread.
    pub fn non_leader_count_of(&self, tid: i64) -> u64 {
        let Some(g) = self.threads.get(tid).and_then(|t| self.threads.group_of(t)) else {
            return 0;
        };
        match self.threads.main_thread(tid) {
            Some(m) if !m.is_dead() => g.alive.saturating_sub(1),
            _ => g.alive,
        }
    }

    /// The user `uid` (no container scoping: see [`super::users`]).
    pub fn user(&self, uid: u32) -> Option<&User> {
        self.users.get(uid)
    }

    /// The group `gid`.
    pub fn group(&self, gid: u32) -> Option<&UserGroup> {
        self.groups.get(gid)
    }
}
