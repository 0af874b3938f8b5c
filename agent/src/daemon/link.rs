//! Starting a local zone and reading its agent's stream (standing in for Edera's IDM channel).
//!
//! A zone is `unshare --pid --mount --uts --fork --mount-proc` running the agent in streaming
//! mode, which captures its own PID namespace only and runs the zone's workload. The agent's
//! standard output is the link: a libscap capture (snapshot, then events). A reader thread
//! turns the snapshot into the zone's `threadsnap` and hands every event to a batching thread,
//! which broadcasts batches to the zone's subscribers; when the agent exits the zone is
//! published as exited, then destroyed.

use super::zones::{Batch, LocalZone, Zones};
use edera_falco_proto::control::{
    AnnotationSpec, ProcessSpec, Workload, WorkloadSpec, WorkloadState, WorkloadStatus, Zone, ZoneSpec, ZoneState,
    ZoneStatus,
};
use edera_falco_proto::snapshot::snapshot_to_proto;
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};

/// Events queued between the link reader and the batcher; beyond, the reader waits (and the
/// agent's own ring buffers drop and count).
const LINK_QUEUE: usize = 65_536;
/// Most events in one batch.
const BATCH_EVENTS: usize = 512;

/// A random id in the UUID text form Edera uses.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut b);
    }
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Start zone `name` running `command` with the agent at `agent`; it is in the table at once
/// (creating), ready when the agent's snapshot arrived.
pub fn start_zone(zones: &Zones, agent: &Path, name: &str, command: &[String]) -> Result<Arc<LocalZone>, String> {
    let id = new_id();
    let zone = Zone {
        id: id.clone(),
        spec: Some(ZoneSpec { name: name.to_string(), annotations: vec![AnnotationSpec { key: "dev.edera.falco/stand-in".into(), value: "true".into() }] }),
        status: Some(ZoneStatus { state: ZoneState::Creating as i32, host: hostname(), ..ZoneStatus::default() }),
    };
    let workload = Workload {
        id: new_id(),
        spec: Some(WorkloadSpec {
            name: format!("{name}-workload"),
            zone_id: id.clone(),
            process: Some(ProcessSpec { command: command.to_vec(), working_directory: String::new() }),
            annotations: Vec::new(),
        }),
        status: Some(WorkloadStatus { state: WorkloadState::Creating as i32, ..WorkloadStatus::default() }),
    };
    let mut child = Command::new("unshare")
        .args(["--pid", "--mount", "--uts", "--fork", "--mount-proc", "--"])
        .arg(agent)
        .args(["stream", "--own-pid-namespace", "--"])
        .args(command)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting zone {name} (unshare {}): {e}", agent.display()))?;
    let stdout = child.stdout.take().ok_or("no link to the zone's agent")?;
    let z = zones.insert(LocalZone::new(zone, workload));
    let (tx, rx) = sync_channel::<(u16, Vec<u8>)>(LINK_QUEUE);
    let batcher_zone = z.clone();
    std::thread::Builder::new()
        .name(format!("zone-{name}-batch"))
        .spawn(move || batch(&batcher_zone, &rx))
        .map_err(|e| e.to_string())?;
    let (reader_zones, reader_zone, zone_name) = (zones.clone(), z.clone(), name.to_string());
    std::thread::Builder::new()
        .name(format!("zone-{name}-link"))
        .spawn(move || read_link(&reader_zones, &reader_zone, &zone_name, stdout, tx, child))
        .map_err(|e| e.to_string())?;
    Ok(z)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default()
}

/// Read the agent's stream: the snapshot, then events into `tx`, until the agent exits.
fn read_link(zones: &Zones, z: &Arc<LocalZone>, name: &str, link: std::process::ChildStdout, tx: std::sync::mpsc::SyncSender<(u16, Vec<u8>)>, mut child: Child) {
    let result = (|| -> Result<(), String> {
        let mut reader = CaptureReader::new(link, GeneratedTable, Limits::default()).map_err(|e| e.to_string())?;
        let state = reader.read_state().map_err(|e| e.to_string())?;
        let boot = state.machine.as_ref().map_or(0, |m| m.boot_ts_epoch);
        z.snapshot.send_replace(Some(Arc::new(snapshot_to_proto(&z.id, &state, boot))));
        zones.set_state(&z.id, ZoneState::Ready, WorkloadState::Running as i32);
        log::info!("zone {name} ({}) ready: {} threads", z.id, state.threads.len());
        loop {
            match reader.next_event() {
                Ok(Some(ev)) => {
                    if tx.send((ev.cpu, ev.bytes().to_vec())).is_err() {
                        return Ok(());
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) if e.is_recoverable() => {
                    z.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    })();
    if let Err(e) = result {
        log::warn!("zone {name}: link ended: {e}");
    }
    drop(tx);
    let status = child.wait().ok().and_then(|s| s.code());
    log::info!("zone {name} ({}) exited ({status:?})", z.id);
    zones.set_state(&z.id, ZoneState::Exited, WorkloadState::Completed as i32);
    zones.set_state(&z.id, ZoneState::Destroyed, WorkloadState::Destroyed as i32);
}

/// Broadcast the link's events in batches: whatever is queued, up to [`BATCH_EVENTS`]; an
/// empty batch at the end tells subscribers the zone is gone.
fn batch(z: &LocalZone, rx: &Receiver<(u16, Vec<u8>)>) {
    while let Ok((cpu, ev)) = rx.recv() {
        let mut b = Vec::with_capacity(BATCH_EVENTS * 64);
        let mut push = |cpu: u16, ev: &[u8]| {
            b.extend_from_slice(&cpu.to_le_bytes());
            b.extend_from_slice(ev);
        };
        push(cpu, &ev);
        for _ in 1..BATCH_EVENTS {
            match rx.try_recv() {
                Ok((cpu, ev)) => push(cpu, &ev),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let _ = z.events.send(Batch::new(b));
    }
    let _ = z.events.send(Batch::new(Vec::new()));
}
