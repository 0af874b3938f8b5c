//! The thread table of one zone: threads by tid, thread groups by pid, and the fd tables that
//! hang off the threads.
//!
//! fd tables are owned by thread entries. A thread flagged `CLONE_FILES` (every thread created
//! with `CLONE_THREAD`: libsinsp forces the flag) uses its main thread's table; any other thread
//! uses its own, which is a copy of its parent's taken at clone time. So sharing is resolved by
//! lookup ([`ThreadTable::fd_owner`]), never by aliasing.
//!
//! Entries are referred to by tid; references that must survive tid reuse carry the entry's
//! serial number ([`ThreadRef`]). Lifecycle (adding, removing, reparenting) is in
//! `lifecycle.rs`, parent walks in `ancestry.rs`, eviction at the caps in `evict.rs`.

use foldhash::HashMap;
use std::collections::VecDeque;

use super::fd::FdInfo;
use super::fdtable::{FdTable, Inserted};
use super::thread::{Thread, ThreadRef, cl};
use super::thread_group::ThreadGroup;

/// Caps the table enforces by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCaps {
    /// Most fds one process keeps (new numbers beyond are not tracked).
    pub max_fds_per_process: usize,
}

/// Counters the table keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounts {
    /// fds dropped because a process's table was full.
    pub evicted_fds: u64,
}

/// All threads of one zone.
#[derive(Debug, Clone)]
pub struct ThreadTable {
    pub(crate) threads: HashMap<i64, Thread>,
    pub(crate) groups: HashMap<i64, ThreadGroup>,
    pub(crate) next_serial: u64,
    /// Eviction order (see `evict.rs`).
    pub(crate) clock: VecDeque<ThreadRef>,
    /// Recently exited (ptid, tid) pairs (see `evict.rs`).
    pub(crate) exits: super::evict::RecentExits,
    pub(crate) total_fds: usize,
    /// String bytes of all entries and their fd tables, as last counted.
    pub(crate) total_bytes: usize,
    pub(crate) caps: TableCaps,
    pub(crate) counts: TableCounts,
}

impl ThreadTable {
    pub fn new(caps: TableCaps) -> ThreadTable {
        ThreadTable {
            threads: HashMap::default(),
            groups: HashMap::default(),
            next_serial: 1,
            clock: VecDeque::new(),
            exits: Default::default(),
            total_fds: 0,
            total_bytes: 0,
            caps,
            counts: TableCounts::default(),
        }
    }

    /// The entry of `tid`.
    pub fn get(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }

    pub(crate) fn get_mut(&mut self, tid: i64) -> Option<&mut Thread> {
        self.threads.get_mut(&tid)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Thread> {
        self.threads.values()
    }

    /// Number of fds over all tables.
    pub fn total_fds(&self) -> usize {
        self.total_fds
    }

    /// Counters.
    pub fn counts(&self) -> TableCounts {
        self.counts
    }

    /// Whether `r` still names the entry it was taken from.
    pub fn is_live(&self, r: ThreadRef) -> bool {
        self.threads
            .get(&r.tid)
            .is_some_and(|t| t.serial == r.serial)
    }

    /// The entry `r` names, if it is still there.
    pub fn resolve(&self, r: ThreadRef) -> Option<&Thread> {
        self.threads.get(&r.tid).filter(|t| t.serial == r.serial)
    }

    /// The group `t` joined, if it still exists.
    pub(crate) fn group_of(&self, t: &Thread) -> Option<&ThreadGroup> {
        t.group.and_then(|pid| self.groups.get(&pid))
    }

    /// The tid of the main thread of `tid`'s process (libsinsp's `get_main_thread`): the thread
    /// itself if it is a main thread, else the first member of its group if that is one.
    pub fn main_tid(&self, tid: i64) -> Option<i64> {
        let t = self.threads.get(&tid)?;
        if t.is_main_thread() {
            return Some(tid);
        }
        let first = self.group_of(t)?.first()?;
        let m = self.resolve(first)?;
        m.is_main_thread().then_some(m.tid)
    }

    /// The main thread of `tid`'s process.
    pub fn main_thread(&self, tid: i64) -> Option<&Thread> {
        self.main_tid(tid).and_then(|m| self.threads.get(&m))
    }

    /// The thread whose fd table `tid` uses.
    pub fn fd_owner(&self, tid: i64) -> Option<i64> {
        let t = self.threads.get(&tid)?;
        if t.flags & cl::CLONE_FILES == 0 {
            Some(tid)
        } else {
            self.main_tid(tid)
        }
    }

    /// The fd table `tid` uses.
    pub fn fd_table(&self, tid: i64) -> Option<&FdTable> {
        self.fd_owner(tid)
            .and_then(|o| self.threads.get(&o))
            .map(|t| &t.fds)
    }

    /// fd `fd` of `tid` (negative numbers are never looked up).
    pub fn get_fd(&self, tid: i64, fd: i64) -> Option<&FdInfo> {
        if fd < 0 {
            return None;
        }
        self.fd_table(tid)?.get(fd)
    }

    pub(crate) fn fd_mut(&mut self, tid: i64, fd: i64) -> Option<&mut FdInfo> {
        if fd < 0 {
            return None;
        }
        let owner = self.fd_owner(tid)?;
        self.threads.get_mut(&owner)?.fds.get_mut(fd)
    }

    /// Runs `f` on the fd table `tid` uses, keeping the zone's fd count right.
    pub(crate) fn with_fds<R>(&mut self, tid: i64, f: impl FnOnce(&mut FdTable) -> R) -> Option<R> {
        let owner = self.fd_owner(tid)?;
        let table = &mut self.threads.get_mut(&owner)?.fds;
        let (len0, bytes0) = (table.len(), table.string_bytes());
        let r = f(table);
        let (len1, bytes1) = (table.len(), table.string_bytes());
        self.total_fds = (self.total_fds + len1).saturating_sub(len0);
        self.total_bytes = (self.total_bytes + bytes1).saturating_sub(bytes0);
        Some(r)
    }

    /// Adds `info` as fd `fd` of `tid` (libsinsp's `add_fd`): the thread's last event fd
    /// becomes `fd` when it has a table. Returns whether the entry was kept (false without a
    /// table, or when the table is full).
    pub(crate) fn add_fd(&mut self, tid: i64, fd: i64, info: FdInfo) -> bool {
        let max = self.caps.max_fds_per_process;
        let Some(r) = self.with_fds(tid, |t| t.insert(fd, info, max)) else {
            return false;
        };
        if r == Inserted::Refused {
            self.counts.evicted_fds += 1;
        }
        if let Some(t) = self.threads.get_mut(&tid) {
            t.lastevent_fd = fd;
        }
        r != Inserted::Refused
    }

    /// Removes fd `fd` of `tid`.
    pub(crate) fn remove_fd(&mut self, tid: i64, fd: i64) {
        self.with_fds(tid, |t| t.remove(fd));
    }

    /// Keeps the fds of `tid`'s table for which `keep` is true.
    pub(crate) fn retain_fds(&mut self, tid: i64, keep: impl FnMut(i64, &FdInfo) -> bool) {
        self.with_fds(tid, |t| t.retain(keep));
    }

    /// Re-counts the strings of one fd after an in-place change.
    pub(crate) fn reaccount_fd(&mut self, tid: i64, fd: i64) {
        self.with_fds(tid, |t| t.reaccount(fd));
    }

    /// Marks `tid` (and its main thread) as recently active.
    pub(crate) fn touch(&mut self, tid: i64) {
        let main = self.main_tid(tid);
        for x in [Some(tid), main].into_iter().flatten() {
            if let Some(t) = self.threads.get_mut(&x) {
                t.accessed = true;
            }
        }
    }

    /// String bytes over all entries and their fd tables, as last counted.
    pub fn string_bytes(&self) -> usize {
        self.total_bytes
    }

    /// Re-counts the strings of `tid` after its columns changed.
    pub(crate) fn reaccount(&mut self, tid: i64) {
        if let Some(t) = self.threads.get_mut(&tid) {
            let now = t.string_bytes();
            self.total_bytes = (self.total_bytes + now).saturating_sub(t.accounted);
            t.accounted = now;
        }
    }
}
