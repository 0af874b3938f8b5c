//! Adding and removing thread entries as libsinsp's thread manager does: group membership and
//! parent links on add, and on removal the dead-thread bookkeeping, reparenting of children to a
//! reaper, and keeping a dead main thread until its process has no threads left.

use super::table::ThreadTable;
use super::thread::{Thread, ThreadRef, cl};

/// libsinsp prunes a child list once this many of its entries are stale.
const CHILD_PRUNE_SLACK: usize = 10;

impl ThreadTable {
    /// Adds `t` (replacing any entry with its tid). With `with_deps` the thread joins its group
    /// and its parent's child list, as when a thread appears in the event stream; a snapshot
    /// loads every thread first and links them afterwards ([`ThreadTable::link_all`]).
    pub(crate) fn insert(&mut self, mut t: Thread, with_deps: bool) -> ThreadRef {
        t.serial = self.next_serial;
        self.next_serial += 1;
        t.accounted = t.string_bytes();
        self.total_fds += t.fds.len();
        self.total_bytes += t.accounted + t.fds.string_bytes();
        let r = t.as_ref();
        if let Some(old) = self.threads.insert(r.tid, t) {
            self.forget_counts(&old);
        }
        self.clock.push_back(r);
        self.compact_clock();
        if with_deps {
            self.link(r.tid);
        }
        r
    }

    /// The entry of `tid`, created on first sight as libsinsp does for a capture (no /proc to
    /// ask): see [`Thread::unknown`].
    pub(crate) fn get_or_create(&mut self, tid: i64) -> i64 {
        if !self.threads.contains_key(&tid) {
            self.insert(Thread::unknown(tid), true);
        }
        tid
    }

    /// Links every entry to its group and parent, in tid order (after a snapshot load).
    pub(crate) fn link_all(&mut self) {
        let mut tids: Vec<i64> = self.threads.keys().copied().collect();
        tids.sort_unstable();
        for tid in tids {
            self.link(tid);
        }
    }

    /// libsinsp's `create_thread_dependencies`: join the group of `pid` (creating it, as a
    /// reaper for init processes) and the parent's children; an unknown or invalid parent makes
    /// the parent `0`. Invalid threads and threads already in a group are left alone.
    pub(crate) fn link(&mut self, tid: i64) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        if t.is_invalid() || t.group.is_some() {
            return;
        }
        let (r, pid, ptid, main) = (t.as_ref(), t.pid, t.ptid, t.is_main_thread());
        let reaper = pid == 1 || t.vpid == 1;
        match self.groups.get_mut(&pid) {
            Some(g) => g.join(r, main),
            None => {
                self.groups
                    .insert(pid, super::thread_group::ThreadGroup::new(r, reaper));
            }
        }
        if let Some(t) = self.threads.get_mut(&tid) {
            t.group = Some(pid);
        }
        if pid == 1 {
            return;
        }
        let parent_ok = self.threads.get(&ptid).is_some_and(|p| !p.is_invalid());
        if parent_ok {
            self.add_child(ptid, r);
        } else if let Some(t) = self.threads.get_mut(&tid) {
            t.ptid = 0;
        }
    }

    /// Makes `child` a child of `parent`.
    pub(crate) fn add_child(&mut self, parent: i64, child: ThreadRef) {
        if let Some(p) = self.threads.get_mut(&parent) {
            p.children.push(child);
            p.live_children += 1;
        }
        if let Some(c) = self.threads.get_mut(&child.tid)
            && c.serial == child.serial
        {
            c.ptid = parent;
        }
    }

    /// Drops the entry of `tid` outright.
    pub(crate) fn erase(&mut self, tid: i64) -> Option<Thread> {
        let old = self.threads.remove(&tid)?;
        self.forget_counts(&old);
        Some(old)
    }

    fn forget_counts(&mut self, old: &Thread) {
        self.total_fds = self.total_fds.saturating_sub(old.fds.len());
        self.total_bytes = self
            .total_bytes
            .saturating_sub(old.accounted + old.fds.string_bytes());
    }

    /// libsinsp's `remove_child_from_parent`: one child fewer; prune stale child references.
    pub(crate) fn child_gone(&mut self, ptid: i64) {
        let Some(p) = self.threads.get_mut(&ptid) else {
            return;
        };
        p.live_children = p.live_children.saturating_sub(1);
        if p.children.len().saturating_sub(p.live_children) < CHILD_PRUNE_SLACK {
            return;
        }
        let mut kids = std::mem::take(&mut p.children);
        kids.retain(|c| self.is_live(*c));
        if let Some(p) = self.threads.get_mut(&ptid) {
            p.children = kids;
        }
    }

    /// Marks `tid` dead (once) and counts it out of its group.
    pub(crate) fn mark_dead(&mut self, tid: i64) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        if t.is_dead() {
            return;
        }
        t.flags |= cl::CLOSED;
        let Some(gkey) = t.group else {
            return;
        };
        let prune = self.groups.get_mut(&gkey).is_some_and(|g| g.exited());
        if prune {
            let mut members = self
                .groups
                .get_mut(&gkey)
                .map(|g| std::mem::take(&mut g.members));
            if let Some(m) = members.as_mut() {
                m.retain(|r| self.is_live(*r));
            }
            if let (Some(g), Some(m)) = (self.groups.get_mut(&gkey), members) {
                g.members = m;
            }
        }
    }

    /// libsinsp's `remove_thread`: the thread is dead; its children go to a reaper; a main
    /// thread stays while other threads of its process are alive, and goes (with its group and
    /// fd table) when the last one does.
    pub(crate) fn remove_thread(&mut self, tid: i64) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let (ptid, pid, main) = (t.ptid, t.pid, t.is_main_thread());
        let gkey = t.group.filter(|g| self.groups.contains_key(g));
        let Some(gkey) = gkey.filter(|_| !t.is_invalid()) else {
            self.child_gone(ptid);
            self.erase(tid);
            return;
        };
        self.mark_dead(tid);
        if self
            .threads
            .get(&tid)
            .is_some_and(|t| !t.children.is_empty())
        {
            self.reparent_children(tid, pid);
        }
        if self.groups.get(&gkey).is_none_or(|g| g.alive == 0) {
            self.child_gone(ptid);
            self.groups.remove(&pid);
            self.erase(pid);
        }
        if !main {
            self.child_gone(ptid);
            self.erase(tid);
        }
    }

    /// Hands the children of the exiting `tid` to its reaper: the one the kernel named if we
    /// know it, else [`ThreadTable::find_new_reaper`]; without one they get parent `0`.
    fn reparent_children(&mut self, tid: i64, pid: i64) {
        let named = self.threads.get(&tid).map_or(-1, |t| t.reaper_tid);
        let mut reaper = None;
        if named > 0 {
            self.get_or_create(named);
            reaper = self
                .threads
                .get(&named)
                .filter(|r| !r.is_invalid())
                .map(|r| r.tid);
        }
        if reaper.is_none() {
            reaper = self.find_new_reaper(tid);
        }
        // libsinsp treats "reaper of itself" as impossible (it throws); give the children no
        // parent instead.
        let reaper = reaper.filter(|&r| r != tid);
        if let Some(r) = reaper {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.reaper_tid = r;
            }
            let other_process = self
                .threads
                .get(&r)
                .filter(|x| x.pid != pid)
                .and_then(|x| x.group);
            if let Some(g) = other_process.and_then(|g| self.groups.get_mut(&g)) {
                g.reaper = true;
            }
        }
        let kids = self
            .threads
            .get_mut(&tid)
            .map(|t| {
                t.live_children = 0;
                std::mem::take(&mut t.children)
            })
            .unwrap_or_default();
        let kids: Vec<_> = kids.into_iter().filter(|c| self.is_live(*c)).collect();
        for c in kids {
            match reaper {
                Some(r) => self.add_child(r, c),
                None => {
                    if let Some(ch) = self.threads.get_mut(&c.tid) {
                        ch.ptid = 0;
                    }
                }
            }
        }
    }

    /// libsinsp's `find_new_reaper`: a live thread of the same process, else the first live
    /// thread of the nearest ancestor process marked as a reaper (stopping at a pid-namespace
    /// boundary or a loop in the parent links).
    pub(crate) fn find_new_reaper(&self, tid: i64) -> Option<i64> {
        let t = self.threads.get(&tid)?;
        if let Some(g) = self.group_of(t).filter(|g| g.alive > 0) {
            let alive = g
                .members()
                .iter()
                .filter_map(|r| self.resolve(*r))
                .find(|m| !m.is_dead() && m.tid != tid);
            if let Some(m) = alive {
                return Some(m.tid);
            }
        }
        let mut seen = std::collections::HashSet::from([tid]);
        let mut parent = self.threads.get(&t.ptid);
        while let Some(p) = parent {
            if !seen.insert(p.tid) || p.is_in_pid_namespace() != t.is_in_pid_namespace() {
                break;
            }
            if let Some(g) = self.group_of(p).filter(|g| g.reaper && g.alive > 0) {
                let alive = g
                    .members()
                    .iter()
                    .filter_map(|r| self.resolve(*r))
                    .find(|m| !m.is_dead());
                if let Some(m) = alive {
                    return Some(m.tid);
                }
            }
            parent = self.threads.get(&p.ptid);
        }
        None
    }
}
