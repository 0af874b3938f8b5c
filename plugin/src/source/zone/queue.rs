//! What the zone client hands to Falco's thread: zones appearing and going (one control
//! channel), and per zone a bounded queue of its snapshot and event batches.

use edera_scap::file::CaptureState;
use tokio::sync::mpsc;

/// Batches (or snapshots) queued per zone; a full queue makes the zone's stream wait.
pub const ZONE_QUEUE: usize = 64;

/// A zone appears, with its queue. It goes when its queue's sender is dropped (the client
/// found it gone) and everything it queued was handed out.
pub enum Control {
    Added { id: String, name: String, rx: mpsc::Receiver<ZoneMsg> },
}

/// One item of a zone's queue.
pub enum ZoneMsg {
    /// A thread snapshot: the zone's state is rebuilt from it.
    Snapshot(Box<CaptureState>),
    /// The zone's users and groups (added to its state).
    Users(Box<CaptureState>),
    /// Events, each `cpu: u16 LE` then the raw libscap event.
    Events(Vec<u8>),
    /// Messages that could not be used, events the daemon or the zone reported lost, and
    /// resubscriptions after the zone's stream broke.
    Counts { malformed: u64, dropped: u64, reconnects: u64 },
}
