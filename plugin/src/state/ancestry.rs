//! Walking up the process tree as libsinsp's field extractors do (`proc.pname`, `proc.aname`,
//! `proc.apid`, session and process-group leaders).

use super::table::ThreadTable;
use super::thread::Thread;

/// The most ancestor levels [`ThreadTable::ancestor_process`] climbs.
pub const MAX_ANCESTOR_LEVELS: u32 = 1 << 16;

impl ThreadTable {
    /// Calls `visit` on the parent of `start`, then its parent, and so on (libsinsp's
    /// `traverse_parent_state`) until `visit` returns false, a parent is missing, or a loop in
    /// the parent links is found (two walkers at different speeds meet, or an entry is its own
    /// parent). Bounded by the table size.
    pub fn for_each_ancestor<'a>(
        &'a self,
        start: &Thread,
        mut visit: impl FnMut(&'a Thread) -> bool,
    ) {
        let parent = |t: Option<&'a Thread>| t.and_then(|t| self.threads.get(&t.ptid));
        let mut slow = self.threads.get(&start.ptid);
        let mut fast = parent(slow);
        while let Some(s) = slow {
            if s.tid == -1 || !visit(s) {
                return;
            }
            slow = self.threads.get(&s.ptid);
            for _ in 0..2 {
                fast = parent(fast);
                if let Some(sl) = slow
                    && (fast.is_some_and(|f| f.tid == sl.tid) || sl.tid == sl.ptid)
                {
                    return;
                }
            }
        }
    }

    /// The ancestors of `tid`'s process (starting from its main thread's parent), nearest
    /// first, as [`ThreadTable::for_each_ancestor`] visits them.
    pub fn ancestors(&self, tid: i64) -> Vec<&Thread> {
        let mut out = Vec::new();
        if let Some(mt) = self.main_thread(tid) {
            self.for_each_ancestor(mt, |t| {
                out.push(t);
                true
            });
        }
        out
    }

    /// The process `n` levels up from `tid`'s (libsinsp's `get_ancestor_process`): `n = 0` is
    /// the thread's own main thread, `1` the parent process's main thread, ...
    pub fn ancestor_process(&self, tid: i64, n: u32) -> Option<&Thread> {
        let mut mt = self.main_thread(tid)?;
        for _ in 0..n.min(MAX_ANCESTOR_LEVELS) {
            mt = self.main_thread(self.threads.get(&mt.ptid)?.tid)?;
        }
        Some(mt)
    }

    /// The parent process of `tid` (`proc.ppid`, `proc.pname`).
    pub fn parent_process(&self, tid: i64) -> Option<&Thread> {
        self.ancestor_process(tid, 1)
    }

    /// libsinsp's `get_oldest_matching_ancestor`, used for session and process-group leaders:
    /// the entry whose tid is `id_of(thread)` when that can be looked up directly (host ids, or
    /// virtual ids outside pid namespaces), else the furthest ancestor in an unbroken line of
    /// ancestors sharing the same id. `None` when the id is `-1`.
    pub fn oldest_matching_ancestor(
        &self,
        tid: i64,
        id_of: impl Fn(&Thread) -> i64,
        is_virtual: bool,
    ) -> Option<&Thread> {
        let t = self.threads.get(&tid)?;
        let id = id_of(t);
        if id == -1 {
            return None;
        }
        if (!is_virtual || !t.is_in_pid_namespace())
            && let Some(l) = self.threads.get(&id)
        {
            return Some(l);
        }
        let mut leader = None;
        self.for_each_ancestor(t, |p| {
            if id_of(p) != id {
                return false;
            }
            leader = Some(p);
            true
        });
        leader
    }
}
