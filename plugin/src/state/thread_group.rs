//! Thread groups (processes): which threads share a pid, how many are alive, and whether the
//! process reaps orphans (libsinsp's `thread_group_info`).

use super::thread::ThreadRef;

/// One thread group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadGroup {
    /// Threads of the group that have not exited. A dead main thread stays in the table (it
    /// owns the fd table) until this reaches zero.
    pub alive: u64,
    /// The process adopts orphans: an init process (pid or vpid 1) or a child subreaper.
    pub reaper: bool,
    /// Members in join order, the main thread first when it joined. May hold stale references
    /// to removed entries; they are pruned from time to time.
    pub(crate) members: Vec<ThreadRef>,
}

/// libsinsp prunes stale members once this many more entries than alive threads accumulate.
pub const PRUNE_SLACK: usize = 11;

impl ThreadGroup {
    /// A group created by its first member.
    pub fn new(first: ThreadRef, reaper: bool) -> ThreadGroup {
        ThreadGroup {
            alive: 1,
            reaper,
            members: vec![first],
        }
    }

    /// Adds a member (the main thread goes first) and counts it alive.
    pub fn join(&mut self, t: ThreadRef, main: bool) {
        if main {
            self.members.insert(0, t);
        } else {
            self.members.push(t);
        }
        self.alive += 1;
    }

    /// The first member (the main thread, when it is in the group).
    pub fn first(&self) -> Option<ThreadRef> {
        self.members.first().copied()
    }

    /// Members, main thread first.
    pub fn members(&self) -> &[ThreadRef] {
        &self.members
    }

    /// Counts one member dead; returns whether stale members should be pruned.
    pub fn exited(&mut self) -> bool {
        self.alive = self.alive.saturating_sub(1);
        self.members.len().saturating_sub(self.alive as usize) >= PRUNE_SLACK
    }
}
