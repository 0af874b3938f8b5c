//! What the zone client hands to Falco's thread: zones appearing and going (one control
//! channel), per zone a bounded queue of its snapshot and event batches, and one bounded queue
//! of workload changes for all zones.

use crate::workloads::WorkloadChange;
use edera_scap::file::CaptureState;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Messages queued per zone; a full queue makes the zone's stream wait.
pub const ZONE_QUEUE: usize = 64;
/// Bytes of events queued per zone, at most: the client waits for room before queueing more
/// (the zone's stream then waits), so a zone can never hold more of the plugin's memory.
pub const ZONE_BYTES: usize = 32 << 20;
/// Largest message taken from the daemon (a thread snapshot of a big zone is the largest).
pub const MAX_MESSAGE: usize = 16 << 20;

/// Workload changes queued for Falco's thread; a full queue makes the daemon's event watch
/// wait.
pub const WORKLOAD_QUEUE: usize = 1024;

/// A change to the workloads of the zone `zone_id`, with the parts of the workload left out
/// to fit the caps.
pub struct WorkloadMsg {
    pub zone_id: String,
    pub change: WorkloadChange,
    pub clipped: u64,
}

/// A zone's byte budget.
#[derive(Clone)]
pub struct Budget(Arc<Semaphore>);

impl Default for Budget {
    fn default() -> Self {
        Budget(Arc::new(Semaphore::new(ZONE_BYTES)))
    }
}

impl Budget {
    /// Wait for room for `bytes` (a message larger than the whole budget takes all of it).
    pub async fn reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let n = bytes.clamp(1, ZONE_BYTES) as u32;
        self.0.clone().acquire_many_owned(n).await.ok()
    }
}

/// A zone appears, with its queue. It goes when its queue's sender is dropped (the client
/// found it gone) and everything it queued was handed out.
pub enum Control {
    Added {
        id: String,
        name: String,
        rx: mpsc::Receiver<ZoneMsg>,
    },
}

/// One item of a zone's queue.
pub enum ZoneMsg {
    /// A thread snapshot: the zone's state is rebuilt from it.
    Snapshot(Box<CaptureState>),
    /// The zone's users and groups (added to its state).
    Users(Box<CaptureState>),
    /// Events, each `cpu: u16 LE` then the raw libscap event, and the room they take in the
    /// zone's budget (given back when they have been handed out).
    Events(Vec<u8>, OwnedSemaphorePermit),
    /// Messages that could not be used, events the daemon or the zone reported lost, and
    /// resubscriptions after the zone's stream broke.
    Counts {
        malformed: u64,
        dropped: u64,
        reconnects: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_zone_cannot_queue_more_than_its_budget() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let b = Budget::default();
            let first = b.reserve(ZONE_BYTES - 10).await.unwrap();
            // 11 more bytes do not fit until the first reservation is given back.
            let blocked = tokio::time::timeout(Duration::from_millis(50), b.reserve(11)).await;
            assert!(blocked.is_err());
            drop(first);
            assert!(
                tokio::time::timeout(Duration::from_millis(50), b.reserve(11))
                    .await
                    .is_ok()
            );
            // A message larger than the whole budget takes all of it, and does not hang.
            assert!(
                tokio::time::timeout(Duration::from_millis(50), b.reserve(ZONE_BYTES * 4))
                    .await
                    .is_ok()
            );
        });
    }
}
