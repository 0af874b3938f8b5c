//! Starting a local zone and reading its agent's stream (standing in for Edera's IDM channel).
//!
//! A zone is `unshare --pid --mount --uts --fork --mount-proc` running the agent in streaming
//! mode, which captures its own PID namespace only and runs the zone's workload. The agent's
//! standard output is the link: a libscap capture (snapshot, then events). A reader thread
//! turns the snapshot into the zone's `threadsnap` and hands every event to a batching thread,
//! which broadcasts batches to the zone's subscribers; when the agent exits the zone is
//! published as exited, then destroyed.

use super::zones::{BROADCAST_BATCHES, Batch, LocalZone, ZoneItem, Zones};
use edera_falco_proto::control::{AnnotationSpec, Zone, ZoneSpec, ZoneState, ZoneStatus};
use edera_falco_proto::network::network_to_proto;
use edera_falco_proto::snapshot::{snapshot_to_proto, users_to_proto};
use edera_scap::file::{CaptureReader, CaptureState, GeneratedTable, Item, Limits};
use std::path::Path;
use std::process::{Command, Stdio};
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
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The API record of a new zone.
pub(crate) fn record(name: &str) -> Zone {
    Zone {
        id: new_id(),
        spec: Some(ZoneSpec {
            name: name.to_string(),
            annotations: vec![AnnotationSpec {
                key: "dev.edera.falco/stand-in".into(),
                value: "true".into(),
            }],
        }),
        status: Some(ZoneStatus {
            state: ZoneState::Creating as i32,
            host: hostname(),
            ..ZoneStatus::default()
        }),
    }
}

/// Start zone `name` running `command` with the agent at `agent`; it is in the table at once
/// (creating), ready when the agent's snapshot arrived.
pub fn start_zone(
    zones: &Zones,
    agent: &Path,
    name: &str,
    command: &[String],
) -> Result<Arc<LocalZone>, String> {
    let zone = record(name);
    let mut child = Command::new("unshare")
        .args(["--pid", "--mount", "--uts", "--fork", "--mount-proc", "--"])
        .arg(agent)
        .args(["stream", "--own-pid-namespace", "--end-with-input", "--"])
        .args(command)
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting zone {name} (unshare {}): {e}", agent.display()))?;
    let stdout = child.stdout.take().ok_or("no link to the zone's agent")?;
    let local = LocalZone::new(zone);
    let _ = local.host_pid.set(child.id());
    *local.control.lock().unwrap_or_else(|e| e.into_inner()) = child.stdin.take();
    let z = zones.insert(local);
    let tx = start_batcher(&z, name)?;
    let (reader_zones, reader_zone, zone_name) = (zones.clone(), z.clone(), name.to_string());
    std::thread::Builder::new()
        .name(format!("zone-{name}-link"))
        .spawn(move || {
            let result = read_capture(
                &reader_zones,
                &reader_zone,
                &zone_name,
                stdout,
                &tx,
                1,
                false,
            );
            drop(tx);
            let status = child.wait().ok().and_then(|s| s.code());
            end_zone(&reader_zones, &reader_zone, &zone_name, result, status);
        })
        .map_err(|e| e.to_string())?;
    Ok(z)
}

/// Start zone `name` whose events are those of capture file `file`, `loops` times over, as
/// fast as its subscribers take them (for benchmarks and tests: no kernel involved).
pub fn start_capture_zone(
    zones: &Zones,
    name: &str,
    file: &Path,
    loops: u64,
) -> Result<Arc<LocalZone>, String> {
    let z = zones.insert(LocalZone::new(record(name)));
    let tx = start_batcher(&z, name)?;
    let (reader_zones, reader_zone, zone_name, file) =
        (zones.clone(), z.clone(), name.to_string(), file.to_owned());
    std::thread::Builder::new()
        .name(format!("zone-{name}-file"))
        .spawn(move || {
            let result = std::fs::File::open(&file)
                .map_err(|e| format!("{}: {e}", file.display()))
                .and_then(|f| {
                    read_capture(
                        &reader_zones,
                        &reader_zone,
                        &zone_name,
                        std::io::BufReader::new(f),
                        &tx,
                        loops,
                        true,
                    )
                });
            drop(tx);
            end_zone(&reader_zones, &reader_zone, &zone_name, result, None);
        })
        .map_err(|e| e.to_string())?;
    Ok(z)
}

/// Start zone `name` that behaves like a compromised zone: after an empty snapshot it sends,
/// every 10 ms, a batch of malformed events (truncated headers, absurd lengths, unknown types,
/// random bytes). For tests of the plugin's resilience.
pub fn start_garbage_zone(zones: &Zones, name: &str) -> Result<Arc<LocalZone>, String> {
    let mut local = LocalZone::new(record(name));
    local.garbage = true;
    let z = zones.insert(local);
    z.snapshot.send_replace(Some(Arc::new(snapshot_to_proto(
        &z.id,
        &Default::default(),
        0,
    ))));
    zones.set_state(&z.id, ZoneState::Ready);
    let gz = z.clone();
    std::thread::Builder::new()
        .name(format!("zone-{name}-garbage"))
        .spawn(move || {
            let mut seed = 0x9e37_79b9_7f4a_7c15u64;
            loop {
                let mut b = Vec::new();
                // A header claiming 4 GiB, one claiming less than a header, an unknown type,
                // then random bytes.
                b.extend_from_slice(&0u16.to_le_bytes());
                b.extend_from_slice(&[0xff; 16]);
                b.extend_from_slice(&u32::MAX.to_le_bytes());
                b.extend_from_slice(&[0u8; 6]);
                for _ in 0..64 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    b.extend_from_slice(&seed.to_le_bytes());
                }
                if gz.events.send(ZoneItem::Events(Batch::new(b))).is_err()
                    && gz.events.receiver_count() == 0
                {
                    // Nobody listening: keep going, subscribers may come.
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(z)
}

fn start_batcher(
    z: &Arc<LocalZone>,
    name: &str,
) -> Result<std::sync::mpsc::SyncSender<Link>, String> {
    let (tx, rx) = sync_channel::<Link>(LINK_QUEUE);
    let batcher_zone = z.clone();
    std::thread::Builder::new()
        .name(format!("zone-{name}-batch"))
        .spawn(move || batch(&batcher_zone, &rx))
        .map_err(|e| e.to_string())?;
    Ok(tx)
}

fn end_zone(
    zones: &Zones,
    z: &LocalZone,
    name: &str,
    result: Result<(), String>,
    status: Option<i32>,
) {
    if let Err(e) = result {
        log::warn!("zone {name}: link ended: {e}");
    }
    log::info!("zone {name} ({}) exited ({status:?})", z.id);
    zones.set_state(&z.id, ZoneState::Exited);
    zones.set_state(&z.id, ZoneState::Destroyed);
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Read a capture stream (the agent's link, or a file): the snapshot, then events into `tx`;
/// a file is read `loops` times (events only after the first), timestamps shifted to follow on.
fn read_capture(
    zones: &Zones,
    z: &Arc<LocalZone>,
    name: &str,
    link: impl std::io::Read,
    tx: &std::sync::mpsc::SyncSender<Link>,
    loops: u64,
    link_is_file: bool,
) -> Result<(), String> {
    let mut reader =
        CaptureReader::new(link, GeneratedTable, Limits::default()).map_err(|e| e.to_string())?;
    let state = reader.read_state().map_err(|e| e.to_string())?;
    let boot = state.machine.as_ref().map_or(0, |m| m.boot_ts_epoch);
    *z.users.lock().unwrap_or_else(|e| e.into_inner()) = Some(users_to_proto(&z.id, &state));
    // Edera's daemon reports a zone's interfaces in its status; the stand-in has the agent's.
    // Set before the snapshot is published: a subscriber reads the status when its snapshot
    // arrives.
    z.set_network(network_to_proto(&state.interfaces));
    z.snapshot
        .send_replace(Some(Arc::new(snapshot_to_proto(&z.id, &state, boot))));
    zones.set_state(&z.id, ZoneState::Ready);
    log::info!(
        "zone {name} ({}) ready: {} threads",
        z.id,
        state.threads.len()
    );
    if loops > 0 && link_is_file {
        // A file zone waits for its first subscriber, so that none of its events is lost.
        while z.events.receiver_count() == 0 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    if loops <= 1 {
        return forward(&mut reader, z, tx, 0).map(|_| ());
    }
    // Loops over a file: keep the events in memory once (bounded by the file itself).
    let events = events_of(&mut reader)?;
    let (first, last) = (
        events.first().map_or(0, |e| ev_ts(&e.1)),
        events.last().map_or(0, |e| ev_ts(&e.1)),
    );
    let span = last.saturating_sub(first) + 1;
    for n in 0..loops {
        for (cpu, ev) in &events {
            let mut ev = ev.clone();
            shift_ts(&mut ev, n * span);
            if tx.send(Link::Event(*cpu, ev)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The events of a capture (after its state), each with its CPU.
pub(crate) fn read_events(capture: impl std::io::Read) -> Result<Vec<(u16, Vec<u8>)>, String> {
    let mut reader = CaptureReader::new(capture, GeneratedTable, Limits::default())
        .map_err(|e| e.to_string())?;
    reader.read_state().map_err(|e| e.to_string())?;
    events_of(&mut reader)
}

/// The rest of a reader's events, each with its CPU; damaged ones the reader can skip are.
fn events_of(
    reader: &mut CaptureReader<impl std::io::Read, GeneratedTable>,
) -> Result<Vec<(u16, Vec<u8>)>, String> {
    let mut events = Vec::new();
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => events.push((ev.cpu, ev.bytes().to_vec())),
            Ok(None) => return Ok(events),
            Err(e) if e.is_recoverable() => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// A raw event's timestamp (its first 8 bytes; events here are at least a header long).
pub(crate) fn ev_ts(ev: &[u8]) -> u64 {
    ev.get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Move a raw event's timestamp `by` nanoseconds later.
pub(crate) fn shift_ts(ev: &mut [u8], by: u64) {
    let shifted = ev_ts(ev) + by;
    if let Some(ts) = ev.get_mut(..8) {
        ts.copy_from_slice(&shifted.to_le_bytes());
    }
}

/// What the link reader hands to the batcher, in stream order.
pub enum Link {
    Event(u16, Vec<u8>),
    /// A fresh snapshot the agent wrote into the stream (a new section ended by a machine block).
    Snapshot(Box<CaptureState>),
}

/// Forward a reader's events (and the fresh snapshots between them) into `tx` until its end;
/// the number of events forwarded.
fn forward(
    reader: &mut CaptureReader<impl std::io::Read, GeneratedTable>,
    z: &LocalZone,
    tx: &std::sync::mpsc::SyncSender<Link>,
    mut n: u64,
) -> Result<u64, String> {
    let mut pending: Option<CaptureState> = None;
    loop {
        let link = match reader.next_item() {
            Ok(Some(Item::Event(ev))) => Some(Link::Event(ev.cpu, ev.bytes().to_vec())),
            Ok(Some(Item::Section(_))) => {
                pending = Some(CaptureState::default());
                None
            }
            Ok(Some(item)) => match (pending.as_mut(), item) {
                (Some(p), Item::Thread(t)) => {
                    p.threads.push(*t);
                    None
                }
                (Some(p), Item::Fd { tid, fd }) => {
                    p.fds.entry(tid).or_default().push(fd);
                    None
                }
                (Some(p), Item::User(u)) => {
                    p.users.push(u);
                    None
                }
                (Some(p), Item::Group(g)) => {
                    p.groups.push(g);
                    None
                }
                (Some(_), Item::Machine(m)) => pending.take().map(|mut p| {
                    p.machine = Some(m);
                    Link::Snapshot(Box::new(p))
                }),
                _ => None,
            },
            Ok(None) => return Ok(n),
            Err(e) if e.is_recoverable() => {
                z.dropped.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => return Err(e.to_string()),
        };
        if let Some(link) = link {
            n += u64::from(matches!(link, Link::Event(..)));
            if tx.send(link).is_err() {
                return Ok(n);
            }
        }
    }
}

/// Broadcast the link's events in batches: whatever is queued, up to [`BATCH_EVENTS`]; an
/// empty batch at the end tells subscribers the zone is gone.
fn batch(z: &LocalZone, rx: &Receiver<Link>) {
    let mut next = rx.recv().ok();
    while let Some(first) = next.take() {
        let (cpu, ev) = match first {
            Link::Event(cpu, ev) => (cpu, ev),
            Link::Snapshot(state) => {
                let boot = state.machine.as_ref().map_or(0, |m| m.boot_ts_epoch);
                let snap = Arc::new(snapshot_to_proto(&z.id, &state, boot));
                let users = Arc::new(users_to_proto(&z.id, &state));
                let _ = z.events.send(ZoneItem::Snapshot(snap, users));
                next = rx.recv().ok();
                continue;
            }
        };
        let mut b = Vec::with_capacity(BATCH_EVENTS * 64);
        let mut push = |cpu: u16, ev: &[u8]| edera_falco_proto::batch::push(&mut b, cpu, ev);
        push(cpu, &ev);
        for _ in 1..BATCH_EVENTS {
            match rx.try_recv() {
                Ok(Link::Event(cpu, ev)) => push(cpu, &ev),
                // A snapshot ends the batch and is handled next.
                Ok(snapshot) => {
                    next = Some(snapshot);
                    break;
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        // Back-pressure: the link's queue then fills, and the agent's writes, then its kernel
        // ring buffers, which drop and count.
        wait_for_room(z);
        let _ = z.events.send(ZoneItem::Events(Batch::new(b)));
        if next.is_none() {
            next = rx.recv().ok();
        }
    }
    let _ = z.events.send(ZoneItem::End);
}

/// Back-pressure: wait while the zone's slowest subscriber is far behind. Without
/// subscribers, batches go nowhere and nothing waits.
pub(crate) fn wait_for_room(z: &LocalZone) {
    while z.events.len() >= BROADCAST_BATCHES - 8 && z.events.receiver_count() > 0 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}
