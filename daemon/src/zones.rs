//! The daemon's zones and workloads: a zone's API record, the agent's latest snapshot, and a
//! broadcast of its event batches to every `MonitorZoneKernelEvents` subscriber; a workload's
//! API record. Zone and workload changes are published on a broadcast that `WatchEvents`
//! subscribers read.

use edera_falco_agent::control::Request;
use edera_falco_proto::control::{
    WatchEventsReply, Workload, WorkloadChangedEvent, WorkloadState, Zone, ZoneChangedEvent,
    ZoneKernelThreadSnapshotEvent, ZoneNetworkStatus, ZoneState, watch_events_reply,
};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, watch};

/// Events of one zone, back to back, each as `cpu: u16 LE` then the raw libscap event (the
/// form of the `ScapBatch` extension).
pub type Batch = Arc<Vec<u8>>;

/// What a zone's broadcast carries, in order.
#[derive(Clone)]
pub enum ZoneItem {
    Events(Batch),
    /// A fresh snapshot the agent took on request; events after it follow it.
    Snapshot(
        Arc<ZoneKernelThreadSnapshotEvent>,
        Arc<edera_falco_proto::ext::ZoneUsers>,
    ),
    /// The zone is gone.
    End,
}

/// Batches a zone's broadcast holds for a slow subscriber before it misses some (counted).
pub const BROADCAST_BATCHES: usize = 1024;

/// One zone.
pub struct LocalZone {
    pub id: String,
    record: Mutex<Zone>,
    /// The host pid of the process that made the zone's namespaces (`unshare`), once started.
    pub host_pid: std::sync::OnceLock<u32>,
    /// The agent's snapshot, once it arrived, and the zone's users and groups with it.
    pub snapshot: watch::Sender<Option<Arc<ZoneKernelThreadSnapshotEvent>>>,
    pub users: Mutex<Option<edera_falco_proto::ext::ZoneUsers>>,
    pub events: broadcast::Sender<ZoneItem>,
    /// Events the zone's link could not keep (queues full).
    pub dropped: AtomicU64,
    /// A hostile zone for tests: it sends malformed events.
    pub garbage: bool,
    /// The agent's control input, and the ppm_sc codes asked for so far (the union over the
    /// zone's subscribers; `None` once one asked for everything).
    pub control: Mutex<Option<std::process::ChildStdin>>,
    pub enabled: Mutex<Option<std::collections::BTreeSet<u32>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl LocalZone {
    /// A zone in state `Creating`.
    pub fn new(zone: Zone) -> LocalZone {
        LocalZone {
            id: zone.id.clone(),
            record: Mutex::new(zone),
            host_pid: std::sync::OnceLock::new(),
            snapshot: watch::channel(None).0,
            users: Mutex::new(None),
            events: broadcast::channel(BROADCAST_BATCHES).0,
            dropped: AtomicU64::new(0),
            garbage: false,
            control: Mutex::new(None),
            enabled: Mutex::new(Some(Default::default())),
        }
    }

    /// Set the zone's network interfaces in its record (published with its next state).
    pub fn set_network(&self, network: ZoneNetworkStatus) {
        if let Some(s) = lock(&self.record).status.as_mut() {
            s.network_status = Some(network);
        }
    }

    /// Ask the zone's agent for a fresh snapshot (it arrives as [`ZoneItem::Snapshot`]); false
    /// when the zone has no agent (capture-file and garbage zones).
    pub fn request_snapshot(&self) -> bool {
        use std::io::Write;
        match lock(&self.control).as_mut() {
            Some(stdin) => writeln!(stdin, "{}", Request::Snapshot).is_ok(),
            None => false,
        }
    }

    /// A subscriber asks for the ppm_sc codes `codes` (empty: every syscall): the agent
    /// captures the union of what its subscribers asked for.
    pub fn ask_syscalls(&self, codes: &[u32]) {
        let mut enabled = lock(&self.enabled);
        let names: Option<Vec<String>> = match enabled.as_mut() {
            None => return,
            Some(_) if codes.is_empty() => {
                *enabled = None;
                Some(Vec::new())
            }
            Some(set) => {
                let before = set.len();
                set.extend(codes.iter().copied());
                if set.len() == before && before > 0 {
                    return;
                }
                let mut names: Vec<&str> = edera_scap::tables::syscalls::NATIVE
                    .iter()
                    .filter(|e| set.contains(&u32::from(e.ppm_sc)))
                    .map(|e| e.name)
                    .collect();
                names.sort_unstable();
                names.dedup();
                Some(names.into_iter().map(String::from).collect())
            }
        };
        if let (Some(names), Some(stdin)) = (names, lock(&self.control).as_mut()) {
            use std::io::Write;
            let _ = writeln!(stdin, "{}", Request::Syscalls(names));
        }
    }

    /// The zone's API record.
    pub fn zone(&self) -> Zone {
        lock(&self.record).clone()
    }
}

/// The zone table and the workload table (by id).
#[derive(Clone)]
pub struct Zones {
    inner: Arc<Mutex<BTreeMap<String, Arc<LocalZone>>>>,
    workloads: Arc<Mutex<BTreeMap<String, Workload>>>,
    changes: broadcast::Sender<WatchEventsReply>,
}

impl Default for Zones {
    fn default() -> Self {
        Zones {
            inner: Arc::default(),
            workloads: Arc::default(),
            changes: broadcast::channel(256).0,
        }
    }
}

impl Zones {
    /// Add a zone and publish it.
    pub fn insert(&self, z: LocalZone) -> Arc<LocalZone> {
        let z = Arc::new(z);
        lock(&self.inner).insert(z.id.clone(), z.clone());
        self.publish(&z.zone());
        z
    }

    /// Change a zone's state and publish it; a destroyed zone leaves the table.
    pub fn set_state(&self, id: &str, state: ZoneState) {
        let Some(z) = self.get(id) else { return };
        let zone = {
            let mut r = lock(&z.record);
            if let Some(s) = r.status.as_mut() {
                s.state = state as i32;
            }
            r.clone()
        };
        if state == ZoneState::Destroyed {
            lock(&self.inner).remove(id);
        }
        self.publish(&zone);
    }

    /// Set workload `w`'s state, keep its record and publish it as `WorkloadChanged`; a
    /// destroyed workload leaves the table.
    pub fn put_workload(&self, w: &mut Workload, state: WorkloadState) {
        if let Some(s) = w.status.as_mut() {
            s.state = state as i32;
        }
        {
            let mut table = lock(&self.workloads);
            if state == WorkloadState::Destroyed {
                table.remove(&w.id);
            } else {
                table.insert(w.id.clone(), w.clone());
            }
        }
        let _ = self.changes.send(WatchEventsReply {
            event: Some(watch_events_reply::Event::WorkloadChanged(
                WorkloadChangedEvent {
                    workload: Some(w.clone()),
                },
            )),
        });
    }

    /// Every workload.
    pub fn workloads(&self) -> Vec<Workload> {
        lock(&self.workloads).values().cloned().collect()
    }

    fn publish(&self, zone: &Zone) {
        let _ = self.changes.send(WatchEventsReply {
            event: Some(watch_events_reply::Event::ZoneChanged(ZoneChangedEvent {
                zone: Some(zone.clone()),
            })),
        });
    }

    /// The zone with this id.
    pub fn get(&self, id: &str) -> Option<Arc<LocalZone>> {
        lock(&self.inner).get(id).cloned()
    }

    /// Every zone.
    pub fn all(&self) -> Vec<Arc<LocalZone>> {
        lock(&self.inner).values().cloned().collect()
    }

    /// Zone changes from now on.
    pub fn watch(&self) -> broadcast::Receiver<WatchEventsReply> {
        self.changes.subscribe()
    }
}
