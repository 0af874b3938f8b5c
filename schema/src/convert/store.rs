//! Pending enter events, one per thread id, as libscap's converter keeps them until the exit
//! event that needs them: storing an enter event replaces the thread's previous one, and using
//! it removes it. libscap never forgets an entry otherwise; here the number of threads and the
//! bytes held are capped, and when a new thread would exceed a cap the oldest entries are
//! evicted (and counted).

use std::collections::{HashMap, VecDeque};

struct Slot {
    /// Insertion number of the current contents (matches one entry of `order`).
    seq: u64,
    bytes: Vec<u8>,
}

/// The per-thread store.
pub struct PendingEnters {
    slots: HashMap<u64, Slot>,
    /// (tid, seq) in insertion order; entries whose seq no longer matches are stale.
    order: VecDeque<(u64, u64)>,
    next_seq: u64,
    held_bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    evictions: u64,
    /// Buffers of removed entries, reused by later stores.
    spare: Vec<Vec<u8>>,
}

const SPARE_BUFFERS: usize = 64;

impl PendingEnters {
    /// A store holding at most `max_entries` threads (at least 1) and `max_bytes` bytes.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        PendingEnters {
            slots: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            held_bytes: 0,
            max_entries: max_entries.max(1),
            max_bytes,
            evictions: 0,
            spare: Vec::new(),
        }
    }

    /// Stores `ev` as the pending enter event of `tid`, replacing any previous one.
    pub fn put(&mut self, tid: u64, ev: &[u8]) {
        self.remove(tid);
        while !self.slots.is_empty()
            && (self.slots.len() >= self.max_entries || self.held_bytes + ev.len() > self.max_bytes)
        {
            self.evict_oldest();
        }
        let mut bytes = self.spare.pop().unwrap_or_default();
        bytes.clear();
        bytes.extend_from_slice(ev);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.held_bytes += bytes.len();
        self.slots.insert(tid, Slot { seq, bytes });
        self.order.push_back((tid, seq));
        self.compact();
    }

    /// The pending enter event of `tid`.
    pub fn get(&self, tid: u64) -> Option<&[u8]> {
        self.slots.get(&tid).map(|s| &s.bytes[..])
    }

    /// Forgets the pending enter event of `tid`.
    pub fn remove(&mut self, tid: u64) {
        if let Some(slot) = self.slots.remove(&tid) {
            self.release(slot);
        }
    }

    /// Forgets everything (libscap does this when a capture is reopened).
    pub fn clear(&mut self) {
        for (_, slot) in std::mem::take(&mut self.slots) {
            self.release(slot);
        }
        self.order.clear();
    }

    /// Threads with a pending enter event.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes of the pending events.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Entries evicted because a cap was reached.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    fn release(&mut self, slot: Slot) {
        self.held_bytes -= slot.bytes.len();
        if self.spare.len() < SPARE_BUFFERS && slot.bytes.capacity() <= 1 << 16 {
            self.spare.push(slot.bytes);
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((tid, seq)) = self.order.pop_front() {
            if self.slots.get(&tid).is_some_and(|s| s.seq == seq) {
                self.remove(tid);
                self.evictions += 1;
                return;
            }
        }
    }

    /// Drops stale order entries once they outnumber the live ones, so that the queue stays
    /// within a constant factor of the number of threads held.
    fn compact(&mut self) {
        if self.order.len() > 2 * self.slots.len() + 64 {
            let slots = &self.slots;
            self.order
                .retain(|(tid, seq)| slots.get(tid).is_some_and(|s| s.seq == *seq));
        }
    }
}

impl std::fmt::Debug for PendingEnters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingEnters")
            .field("threads", &self.slots.len())
            .field("held_bytes", &self.held_bytes)
            .field("evictions", &self.evictions)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_thread_replaced_and_removed() {
        let mut s = PendingEnters::new(10, 1000);
        s.put(1, b"a");
        s.put(1, b"bb");
        s.put(2, b"c");
        assert_eq!(s.get(1), Some(&b"bb"[..]));
        assert_eq!((s.len(), s.held_bytes()), (2, 3));
        s.remove(1);
        assert_eq!(s.get(1), None);
        assert_eq!((s.len(), s.held_bytes(), s.evictions()), (1, 1, 0));
    }

    #[test]
    fn caps_evict_the_oldest() {
        let mut s = PendingEnters::new(2, 1000);
        s.put(1, b"a");
        s.put(2, b"b");
        s.put(1, b"a2"); // refresh: thread 2 is now the oldest
        s.put(3, b"c");
        assert_eq!(
            (s.get(1), s.get(2), s.get(3)),
            (Some(&b"a2"[..]), None, Some(&b"c"[..]))
        );
        assert_eq!(s.evictions(), 1);
        let mut s = PendingEnters::new(100, 10);
        s.put(1, &[0; 6]);
        s.put(2, &[0; 6]);
        assert_eq!((s.get(1), s.len(), s.evictions()), (None, 1, 1));
    }

    #[test]
    fn churn_stays_bounded() {
        let mut s = PendingEnters::new(1000, 1 << 20);
        for tid in 0..200_000u64 {
            s.put(tid, &tid.to_le_bytes());
            s.put(tid % 7, b"x"); // repeated refreshes of a few threads
        }
        assert!(s.len() <= 1000);
        assert!(s.order.len() <= 2 * s.len() + 65);
        assert!(s.evictions() > 190_000);
        s.clear();
        assert_eq!((s.len(), s.held_bytes()), (0, 0));
    }
}
