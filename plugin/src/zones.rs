//! The zone registry: which zone a [`ZoneSlot`] in an event payload refers to.
//!
//! A slot is a compact `u32` handle put in every event's payload (see `payload.rs`) instead of the
//! zone's id string. Slots are handed out in increasing order and **never reused** while the
//! plugin lives, so an event still queued for a zone that has since been removed resolves to
//! "no zone" rather than to a newer zone that happened to get the same number. Each [`Zone`] owns its state (threads, fds,
//! users): zones never share or see each other's.

use crate::ffi::c_safe;
use crate::state::{StateLimits, ZoneState};
use crate::workloads::WorkloadTable;
use falco_plugin::anyhow;
use std::ffi::CString;

/// Index of a zone in the [`ZoneRegistry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneSlot(pub u32);

/// One zone.
#[derive(Debug)]
pub struct Zone {
    id_c: CString,
    name_c: CString,
    /// The zone's threads, fds, users and groups.
    pub state: ZoneState,
    /// The zone's workloads (containers), from the protect API; empty for replays.
    pub workloads: WorkloadTable,
    /// The zone's own counters (reported per zone in the metrics).
    pub counters: ZoneCounters,
}

/// Per-zone counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct ZoneCounters {
    /// Events handed to Falco.
    pub events: u64,
    /// Events lost before reaching Falco (the zone's or the daemon's report, full queues).
    pub drops: u64,
    /// Messages or events from the zone that could not be used.
    pub malformed: u64,
    /// Times the zone's stream was subscribed again after it broke.
    pub reconnects: u64,
}

impl Zone {
    /// The zone's id (the pod sandbox's, for `k8s.pod.sandbox_id`).
    pub fn id(&self) -> &str {
        // Built from a Rust string, so always UTF-8.
        self.id_c.to_str().unwrap_or_default()
    }

    /// The zone's id as a C string, as extractors return it.
    pub fn id_c(&self) -> &CString {
        &self.id_c
    }

    /// The zone's name as a C string (the daemon's `Zone.spec.name`; the file name for replays).
    pub fn name_c(&self) -> &CString {
        &self.name_c
    }
}

/// All zones known to the plugin, by slot.
#[derive(Debug, Default)]
pub struct ZoneRegistry {
    slots: Vec<Option<Zone>>,
    limits: StateLimits,
}

impl ZoneRegistry {
    /// The state limits of zones registered from now on.
    pub fn limits(&self) -> StateLimits {
        self.limits
    }

    /// Set the state limits of zones registered from now on.
    pub fn set_limits(&mut self, limits: StateLimits) {
        self.limits = limits;
    }

    /// Add a zone and return its new slot. A NUL byte in `id` (ids come from the daemon, which
    /// is outside our control) is stored escaped as `\0`.
    pub fn register(&mut self, id: &str) -> anyhow::Result<ZoneSlot> {
        self.register_named(id, id)
    }

    /// Add a zone with a display name distinct from its id.
    pub fn register_named(&mut self, id: &str, name: &str) -> anyhow::Result<ZoneSlot> {
        let slot = u32::try_from(self.slots.len())
            .map_err(|_| anyhow::anyhow!("zone registry full: 2^32 zones registered"))?;
        let id_c = CString::new(c_safe(id))?;
        let name_c = CString::new(c_safe(name))?;
        let state = ZoneState::new(self.limits);
        self.slots.push(Some(Zone {
            id_c,
            name_c,
            state,
            workloads: WorkloadTable::default(),
            counters: ZoneCounters::default(),
        }));
        Ok(ZoneSlot(slot))
    }

    /// The zone in `slot`, if it is (still) registered.
    pub fn get(&self, slot: ZoneSlot) -> Option<&Zone> {
        self.slots.get(slot.0 as usize)?.as_ref()
    }

    /// The zone in `slot`, mutable.
    pub fn get_mut(&mut self, slot: ZoneSlot) -> Option<&mut Zone> {
        self.slots.get_mut(slot.0 as usize)?.as_mut()
    }

    /// Forget a zone (its slot is not reused).
    pub fn remove(&mut self, slot: ZoneSlot) -> Option<Zone> {
        self.slots.get_mut(slot.0 as usize)?.take()
    }

    /// The live zones.
    pub fn iter(&self) -> impl Iterator<Item = &Zone> {
        self.slots.iter().flatten()
    }

    /// Number of live zones.
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|z| z.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_not_reused() {
        let mut r = ZoneRegistry::default();
        let a = r.register("a").unwrap();
        assert_eq!(r.get(a).unwrap().id_c().as_bytes(), b"a");
        assert!(r.remove(a).is_some());
        let b = r.register("b").unwrap();
        assert_ne!(a, b);
        assert!(r.get(a).is_none());
        assert_eq!(r.get(b).unwrap().id_c().as_bytes(), b"b");
        assert_eq!(r.len(), 1);
        assert!(r.get(ZoneSlot(99)).is_none());
    }

    #[test]
    fn nul_in_id_is_escaped() {
        let mut r = ZoneRegistry::default();
        let s = r.register("a\0b").unwrap();
        assert_eq!(r.get(s).unwrap().id_c().as_bytes(), b"a\\0b");
    }
}
