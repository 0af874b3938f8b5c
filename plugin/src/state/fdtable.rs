//! A process's fd table: fd number → [`FdInfo`], bounded.
//!
//! The table is owned by one thread entry (libsinsp gives every thread one, and threads sharing
//! their leader's files use the leader's: see [`super::table::ThreadTable::fd_owner`]). At its
//! cap the table keeps the lowest-numbered fds: the kernel hands out the lowest free number, so
//! long-lived descriptors (stdio, listening sockets) stay and the newest high ones go.

use std::collections::BTreeMap;

use super::fd::FdInfo;
use super::fdorder::HashOrder;

/// What [`FdTable::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// A new number.
    New,
    /// An existing entry was replaced (libsinsp overwrites, as `dup2` does).
    Replaced,
    /// The table was full: the new fd was not kept.
    Refused,
}

/// One fd table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FdTable {
    map: BTreeMap<i64, FdInfo>,
    /// String bytes of all entries, as counted in the zone's budget.
    bytes: usize,
    /// The keys in libsinsp's iteration order.
    order: HashOrder,
}

impl FdTable {
    /// The entry for `fd`.
    pub fn get(&self, fd: i64) -> Option<&FdInfo> {
        self.map.get(&fd)
    }

    pub(crate) fn get_mut(&mut self, fd: i64) -> Option<&mut FdInfo> {
        self.map.get_mut(&fd)
    }

    /// Number of entries (`proc.fdopencount`).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Entries in fd order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &FdInfo)> {
        self.map.iter().map(|(k, v)| (*k, v))
    }

    /// Entries in libsinsp's iteration order (see [`super::fdorder`]).
    pub fn iter_libsinsp_order(&self) -> impl Iterator<Item = (i64, &FdInfo)> {
        self.order
            .keys()
            .into_iter()
            .filter_map(move |k| Some((k, self.map.get(&k)?)))
    }

    /// A copy as libsinsp's clone builds it: a fresh table filled in this one's walk order.
    pub(crate) fn refilled(&self) -> FdTable {
        FdTable {
            map: self.map.clone(),
            bytes: self.bytes,
            order: self.order.refilled(),
        }
    }

    /// String bytes held by the entries.
    pub fn string_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds or replaces `fd`, keeping at most `max` entries. The entry's `num` is set to `fd`.
    pub(crate) fn insert(&mut self, fd: i64, mut info: FdInfo, max: usize) -> Inserted {
        info.num = fd;
        info.accounted = clamp_u32(info.string_bytes());
        let added = info.accounted as usize;
        if let Some(old) = self.map.get_mut(&fd) {
            self.bytes = (self.bytes + added).saturating_sub(old.accounted as usize);
            *old = info;
            return Inserted::Replaced;
        }
        if self.map.len() >= max {
            return Inserted::Refused;
        }
        self.bytes += added;
        self.map.insert(fd, info);
        self.order.insert(fd);
        Inserted::New
    }

    /// Removes `fd`.
    pub(crate) fn remove(&mut self, fd: i64) -> Option<FdInfo> {
        let old = self.map.remove(&fd)?;
        self.order.remove(fd);
        self.bytes = self.bytes.saturating_sub(old.accounted as usize);
        Some(old)
    }

    /// Keeps the entries for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(i64, &FdInfo) -> bool) {
        let mut bytes = self.bytes;
        self.map.retain(|k, v| {
            let k2 = keep(*k, v);
            if !k2 {
                bytes = bytes.saturating_sub(v.accounted as usize);
            }
            k2
        });
        self.bytes = bytes;
        let map = &self.map;
        self.order.retain(|k| map.contains_key(k));
    }

    /// Applies `f` to every entry (their strings must not change).
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(i64, &mut FdInfo)) {
        for (k, v) in self.map.iter_mut() {
            f(*k, v);
        }
        self.reaccount_all();
    }

    /// Re-counts the strings of `fd` after an in-place change.
    pub(crate) fn reaccount(&mut self, fd: i64) {
        if let Some(e) = self.map.get_mut(&fd) {
            let now = clamp_u32(e.string_bytes());
            self.bytes = (self.bytes + now as usize).saturating_sub(e.accounted as usize);
            e.accounted = now;
        }
    }

    fn reaccount_all(&mut self) {
        let mut total = 0usize;
        for e in self.map.values_mut() {
            e.accounted = clamp_u32(e.string_bytes());
            total += e.accounted as usize;
        }
        self.bytes = total;
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fd::FdType;

    fn named(n: &str) -> FdInfo {
        let mut f = FdInfo::new(FdType::FileV2);
        f.name = n.as_bytes().to_vec();
        f
    }

    #[test]
    fn cap_refuses_new_numbers() {
        let mut t = FdTable::default();
        assert_eq!(t.insert(5, named("a"), 2), Inserted::New);
        assert_eq!(t.insert(3, named("c"), 2), Inserted::New);
        assert_eq!(t.insert(7, named("d"), 2), Inserted::Refused);
        assert_eq!(t.insert(5, named("eee"), 2), Inserted::Replaced);
        assert_eq!(t.string_bytes(), 4);
        assert_eq!(t.get(5).map(|f| f.num), Some(5));
        t.retain(|k, _| k != 3);
        assert_eq!((t.len(), t.string_bytes()), (1, 3));
        t.get_mut(5).unwrap().name.clear();
        t.reaccount(5);
        assert_eq!(t.string_bytes(), 0);
    }
}
