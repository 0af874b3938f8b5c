//! The order in which libsinsp walks a process's fd table (`fd.types`, the one field whose
//! value shows it).
//!
//! libsinsp keeps fds in a `std::unordered_map<int64_t, ...>`; built with GNU libstdc++ (as
//! Falco is), its iteration order follows from the history of inserts, erases and rehashes:
//! keys hash to themselves, bucket = key mod bucket count; a key whose bucket already holds
//! entries goes in front of that bucket's first entry, otherwise at the very front of the
//! list; a rehash re-places every entry, in the old order, by the same rule; erasing keeps the
//! order of the rest; replacing the value of an existing key changes nothing. Bucket counts
//! grow by libstdc++'s prime rehash policy (max load factor 1, growth factor 2, the first
//! insert allocates 13 buckets). This module replays exactly that on the keys alone.

use foldhash::HashMap;

/// libstdc++'s bucket counts (`__prime_list`), as far as fd tables can reach.
const PRIMES: [u64; 93] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    103, 109, 113, 127, 137, 139, 149, 157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293, 313,
    337, 359, 383, 409, 439, 467, 503, 541, 577, 619, 661, 709, 761, 823, 887, 953, 1031, 1109,
    1193, 1289, 1381, 1493, 1613, 1741, 1879, 2029, 2179, 2357, 2549, 2753, 2971, 3209, 3469, 3739,
    4027, 4349, 4703, 5087, 5503, 5953, 6427, 6949, 7517, 8123, 8783, 9497, 10273, 11113, 12011,
];

/// The small-size shortcut of libstdc++'s `_M_next_bkt`.
const FAST_BKT: [u64; 14] = [2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13];

/// The keys of one table, with what their iteration order needs.
///
/// Entries of one bucket are contiguous in libstdc++'s list and every insert goes to the front
/// of its bucket's run, or of the whole list for an empty bucket; so the order is: runs by the
/// time their bucket last became non-empty, newest first, and within a run keys by insert
/// time, newest first. Keeping those two stamps makes every operation cheap (a rehash or a
/// walk sorts once) instead of a list scan per insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashOrder {
    /// Key → its insert stamp.
    keys: HashMap<i64, u64>,
    /// Bucket → (stamp of the run's creation, entries in it).
    runs: HashMap<u64, (u64, u32)>,
    stamp: u64,
    buckets: u64,
    /// Element count above which the next insert considers a rehash (0: nothing allocated).
    next_resize: u64,
}

impl Default for HashOrder {
    /// A default-constructed map: one bucket, nothing allocated.
    fn default() -> Self {
        HashOrder {
            keys: HashMap::default(),
            runs: HashMap::default(),
            stamp: 0,
            buckets: 1,
            next_resize: 0,
        }
    }
}

impl HashOrder {
    /// Keys in iteration order.
    pub fn keys(&self) -> Vec<i64> {
        let mut v: Vec<(u64, u64, i64)> = self
            .keys
            .iter()
            .map(|(&k, &ks)| {
                let run = self.runs.get(&self.bucket(k)).map_or(0, |r| r.0);
                (run, ks, k)
            })
            .collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.into_iter().map(|(_, _, k)| k).collect()
    }

    fn bucket(&self, k: i64) -> u64 {
        (k as u64) % self.buckets.max(1)
    }

    /// Adds a key that is not there yet.
    pub fn insert(&mut self, k: i64) {
        if self.keys.contains_key(&k) {
            return;
        }
        if let Some(n) = self.need_rehash() {
            self.rehash(n);
        }
        self.place(k);
    }

    /// Removes `k` (the others keep their order).
    pub fn remove(&mut self, k: i64) {
        if self.keys.remove(&k).is_none() {
            return;
        }
        let b = self.bucket(k);
        if let Some(r) = self.runs.get_mut(&b) {
            r.1 = r.1.saturating_sub(1);
            if r.1 == 0 {
                self.runs.remove(&b);
            }
        }
    }

    /// Keeps the keys for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&i64) -> bool) {
        let gone: Vec<i64> = self.keys.keys().copied().filter(|k| !keep(k)).collect();
        for k in gone {
            self.remove(k);
        }
    }

    /// A fresh map filled with these keys in this order (libsinsp's clone: a new table, then
    /// one insert per entry of the parent's, as the parent's walk yields them).
    pub fn refilled(&self) -> HashOrder {
        let mut h = HashOrder::default();
        for k in self.keys() {
            h.insert(k);
        }
        h
    }

    fn place(&mut self, k: i64) {
        self.stamp += 1;
        let stamp = self.stamp;
        let b = self.bucket(k);
        self.runs.entry(b).or_insert((stamp, 0)).1 += 1;
        self.keys.insert(k, stamp);
    }

    fn rehash(&mut self, n: u64) {
        let old = self.keys();
        self.keys.clear();
        self.runs.clear();
        self.buckets = n;
        for k in old {
            self.place(k);
        }
    }

    /// libstdc++'s `_Prime_rehash_policy::_M_need_rehash` for one insert.
    fn need_rehash(&mut self) -> Option<u64> {
        self.need_rehash_for(self.keys.len())
    }

    fn need_rehash_for(&mut self, len: usize) -> Option<u64> {
        let want = len as u64 + 1;
        if want <= self.next_resize {
            return None;
        }
        let min_bkts = want.max(if self.next_resize == 0 { 11 } else { 0 });
        if min_bkts >= self.buckets {
            return Some(self.next_bkt((min_bkts + 1).max(self.buckets * 2)));
        }
        self.next_resize = self.buckets;
        None
    }

    /// libstdc++'s `_M_next_bkt`: the first listed prime not below `n`.
    fn next_bkt(&mut self, n: u64) -> u64 {
        if let Some(&b) = FAST_BKT.get(n as usize) {
            self.next_resize = b;
            return b;
        }
        let p = PRIMES[6..]
            .iter()
            .copied()
            .find(|&p| p >= n)
            .unwrap_or(PRIMES[PRIMES.len() - 1]);
        self.next_resize = if p >= n { p } else { u64::MAX };
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(ops: &[i64]) -> Vec<i64> {
        let mut h = HashOrder::default();
        for &k in ops {
            if k < 0 {
                h.remove(-k);
            } else {
                h.insert(k);
            }
        }
        h.keys()
    }

    #[test]
    fn like_libstdcxx() {
        // 13 buckets: each new bucket goes to the front.
        assert_eq!(order(&[0, 1, 2, 3]), vec![3, 2, 1, 0]);
        // Same bucket (mod 13): in front of the bucket's first entry.
        assert_eq!(order(&[0, 1, 13]), vec![1, 13, 0]);
        // The 14th insert rehashes to 29 buckets, replaying the old order.
        let v: Vec<i64> = (0..14).collect();
        let o = order(&v);
        assert_eq!(o.first(), Some(&13));
        assert_eq!(o.len(), 14);
        assert_eq!(order(&[0, 1, 2, -1, 5]), vec![5, 2, 0]);
        assert_eq!(order(&[4, 9]).len(), 2);
        let h = HashOrder::default();
        assert_eq!(h.refilled(), h);
    }

    /// The plain list model: scan for the bucket's first entry, insert before it or at front.
    fn naive(ops: &[(bool, i64)]) -> Vec<i64> {
        let mut h = HashOrder::default();
        let mut list: Vec<i64> = Vec::new();
        for &(add, k) in ops {
            if add {
                if list.contains(&k) {
                    continue;
                }
                if let Some(n) = h.need_rehash_for(list.len()) {
                    h.buckets = n;
                    let old = std::mem::take(&mut list);
                    for x in old {
                        let b = (x as u64) % n;
                        let at = list.iter().position(|&y| (y as u64) % n == b).unwrap_or(0);
                        list.insert(at, x);
                    }
                }
                let b = (k as u64) % h.buckets;
                let at = list
                    .iter()
                    .position(|&y| (y as u64) % h.buckets == b)
                    .unwrap_or(0);
                list.insert(at, k);
            } else {
                list.retain(|&x| x != k);
            }
        }
        list
    }

    #[test]
    fn stamps_equal_list_model() {
        let mut seed = 12345u64;
        let mut ops = Vec::new();
        for _ in 0..3000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let k = ((seed >> 33) % 400) as i64;
            ops.push((!(seed >> 20).is_multiple_of(4), k));
        }
        let mut h = HashOrder::default();
        for (i, &(add, k)) in ops.iter().enumerate() {
            if add {
                h.insert(k)
            } else {
                h.remove(k)
            }
            if i % 97 == 0 {
                assert_eq!(h.keys(), naive(&ops[..=i]), "after op {i} {:?}", ops[i]);
            }
        }
        assert_eq!(h.keys(), naive(&ops));
    }
}
