//! Bounding a zone's thread table: least-recently-active eviction when a cap is exceeded, and
//! libsinsp's short memory of recently exited threads.
//!
//! Eviction is a clock (second chance) over the entries in insertion order: an entry used by an
//! event since the hand last passed gets another round; the first unused one is evicted with
//! its whole process (all its threads and their fd tables), unless that process is protected
//! (it is the current event's), in which case only a non-main thread may go. Amortized O(1).

use super::table::ThreadTable;

/// Entries libsinsp keeps of recently exited threads.
const RING: usize = 8192;
/// How long such an entry matters (libsinsp's stale-clone window, 2 s).
const MAX_AGE_NS: u64 = 2_000_000_000;

/// Recently exited (parent, thread) pairs with the time they were removed, so that a late
/// clone exit in the parent does not re-create a child that already exited.
#[derive(Debug, Clone, Default)]
pub struct RecentExits {
    ring: Vec<(u64, u64)>,
    next: usize,
}

fn key(ptid: i64, tid: i64) -> u64 {
    ((ptid as u64 & 0xffff_ffff) << 32) | (tid as u64 & 0xffff_ffff)
}

impl RecentExits {
    pub fn record(&mut self, tid: i64, ptid: i64, ts: u64) {
        let e = (key(ptid, tid), ts);
        if self.ring.len() < RING {
            self.ring.push(e);
        } else {
            self.ring[self.next] = e;
        }
        self.next = (self.next + 1) % RING;
    }

    pub fn contains(&self, tid: i64, ptid: i64, ts: u64) -> bool {
        let k = key(ptid, tid);
        self.ring
            .iter()
            .any(|&(ek, ets)| ek == k && ts >= ets && ts - ets < MAX_AGE_NS)
    }
}

impl ThreadTable {
    /// Evicts one process (or, inside a protected process, one thread) chosen by the clock.
    /// Returns the number of thread entries removed (0 when nothing could be evicted).
    pub(crate) fn evict_one(&mut self, protect: &[i64]) -> usize {
        let rounds = self.clock.len() * 2 + 2;
        for _ in 0..rounds {
            let Some(r) = self.clock.pop_front() else {
                return 0;
            };
            let Some(t) = self.threads.get_mut(&r.tid) else {
                continue;
            };
            if t.serial != r.serial {
                continue;
            }
            if t.accessed || protect.contains(&r.tid) {
                t.accessed = false;
                self.clock.push_back(r);
                continue;
            }
            let n = self.evict_process(r.tid, protect);
            if n > 0 {
                return n;
            }
            self.clock.push_back(r);
        }
        0
    }

    /// Removes `tid`'s whole process; only `tid` itself when the process is protected (and
    /// nothing when `tid` is that process's main thread).
    fn evict_process(&mut self, tid: i64, protect: &[i64]) -> usize {
        let Some(t) = self.threads.get(&tid) else {
            return 0;
        };
        let gkey = t.group;
        let mut victims: Vec<i64> = match gkey.and_then(|g| self.groups.get(&g)) {
            Some(g) => g
                .members()
                .iter()
                .filter(|r| self.is_live(**r))
                .map(|r| r.tid)
                .collect(),
            None => Vec::new(),
        };
        if !victims.contains(&tid) {
            victims.push(tid);
        }
        if victims.iter().any(|v| protect.contains(v)) {
            if t.is_main_thread() {
                return 0;
            }
            victims = vec![tid];
        } else if let Some(g) = gkey {
            self.groups.remove(&g);
        }
        let mut n = 0;
        for v in victims {
            if let Some(old) = self.erase(v) {
                n += 1;
                self.child_gone(old.ptid);
            }
        }
        n
    }

    /// Drops stale references from the eviction order once they dominate it.
    pub(crate) fn compact_clock(&mut self) {
        if self.clock.len() > self.threads.len() * 2 + 64 {
            let mut clock = std::mem::take(&mut self.clock);
            clock.retain(|r| self.is_live(*r));
            self.clock = clock;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_exits_expire() {
        let mut r = RecentExits::default();
        r.record(10, 1, 1_000);
        assert!(r.contains(10, 1, 1_500));
        assert!(!r.contains(10, 2, 1_500));
        assert!(!r.contains(10, 1, 500), "before the exit");
        assert!(!r.contains(10, 1, 1_000 + MAX_AGE_NS));
    }
}
