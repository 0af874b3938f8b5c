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

/// libstdc++'s bucket counts (`__prime_list`), as far as fd tables can reach.
const PRIMES: [u64; 93] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
    97, 103, 109, 113, 127, 137, 139, 149, 157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293,
    313, 337, 359, 383, 409, 439, 467, 503, 541, 577, 619, 661, 709, 761, 823, 887, 953, 1031,
    1109, 1193, 1289, 1381, 1493, 1613, 1741, 1879, 2029, 2179, 2357, 2549, 2753, 2971, 3209,
    3469, 3739, 4027, 4349, 4703, 5087, 5503, 5953, 6427, 6949, 7517, 8123, 8783, 9497, 10273,
    11113, 12011,
];

/// The small-size shortcut of libstdc++'s `_M_next_bkt`.
const FAST_BKT: [u64; 14] = [2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13];

/// The keys of one table in libsinsp's iteration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashOrder {
    keys: Vec<i64>,
    buckets: u64,
    /// Element count above which the next insert considers a rehash (0: nothing allocated).
    next_resize: u64,
}

impl Default for HashOrder {
    /// A default-constructed map: one bucket, nothing allocated.
    fn default() -> Self {
        HashOrder {
            keys: Vec::new(),
            buckets: 1,
            next_resize: 0,
        }
    }
}

impl HashOrder {
    /// Keys in iteration order.
    pub fn keys(&self) -> &[i64] {
        &self.keys
    }

    fn bucket(&self, k: i64) -> u64 {
        (k as u64) % self.buckets.max(1)
    }

    /// Adds a key that is not there yet.
    pub fn insert(&mut self, k: i64) {
        if let Some(n) = self.need_rehash() {
            self.rehash(n);
        }
        self.place(k);
    }

    /// Removes `k` (the others keep their order).
    pub fn remove(&mut self, k: i64) {
        if let Some(i) = self.keys.iter().position(|&x| x == k) {
            self.keys.remove(i);
        }
    }

    /// Keeps the keys for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&i64) -> bool) {
        self.keys.retain(keep);
    }

    /// A fresh map filled with these keys in this order (libsinsp's clone: a new table, then
    /// one insert per entry of the parent's, as the parent's walk yields them).
    pub fn refilled(&self) -> HashOrder {
        let mut h = HashOrder::default();
        for &k in &self.keys {
            h.insert(k);
        }
        h
    }

    fn place(&mut self, k: i64) {
        let b = self.bucket(k);
        let at = self.keys.iter().position(|&x| self.bucket(x) == b).unwrap_or(0);
        self.keys.insert(at, k);
    }

    fn rehash(&mut self, n: u64) {
        let old = std::mem::take(&mut self.keys);
        self.buckets = n;
        for k in old {
            self.place(k);
        }
    }

    /// libstdc++'s `_Prime_rehash_policy::_M_need_rehash` for one insert.
    fn need_rehash(&mut self) -> Option<u64> {
        let want = self.keys.len() as u64 + 1;
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
        h.keys().to_vec()
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
}
