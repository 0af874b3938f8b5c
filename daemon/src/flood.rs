//! A flooding zone (`--flood-zone NAME=FILE`; test-only, off unless asked for, used by
//! `edera-falco soak`): a hostile zone sending, as fast as its slowest subscriber takes them,
//! everything a compromised zone can put into what the daemon forwards. The daemon encodes the
//! protobuf itself, so a zone cannot damage the messages, only what they carry:
//!
//! - valid bursts: the events of capture FILE, timestamps shifted to follow on;
//! - damaged events ([`hostile_batch`]): parameters that do not fit their event, a parameter
//!   running past its event's end, an unknown type, random bytes, and last a header claiming
//!   more bytes than the batch has;
//! - huge strings in valid events: an open larger than libscap's 64 KiB buffer, and opens of
//!   60,000-byte non-UTF-8 names by threads and fds cycling over a range wider than the
//!   plugin's caps, so its tables fill and evict;
//! - bogus thread snapshots ([`bogus_snapshot`]): every [`SNAPSHOT_EVERY`] the zone publishes a
//!   new one and ends its subscribers' streams, so that they subscribe again and get it:
//!   thousands of threads in a parent cycle, long strings, absurd fds, and every third one
//!   larger than the 16 MiB a plugin takes.

use super::link::{read_events, shift_ts, wait_for_room};
use super::zones::{Batch, LocalZone, ZoneItem, Zones};
use edera_falco_agent::encode::event::write_event;
use edera_falco_proto::snapshot::snapshot_to_proto;
use edera_scap::event::{EventHeader, HEADER_LEN};
use edera_scap::file::{CaptureState, FdDetail, FdInfo, FdType, ThreadInfo};
use edera_scap::tables::EventCode;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the zone publishes a new bogus snapshot and ends its subscribers' streams.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(5);
/// Valid events between two hostile batches.
const BURST_EVENTS: usize = 1024;
/// Events per valid batch.
const BATCH_EVENTS: usize = 512;
/// Length of the huge names.
const HUGE_NAME: usize = 60_000;
/// Threads the huge-name opens cycle over (beyond a soak's thread cap), and fds per thread.
const HUGE_TIDS: u64 = 8192;
const HUGE_FDS: u64 = 4096;

/// A small xorshift generator: the garbage differs from batch to batch, reproducibly.
pub struct Noise(u64);

impl Default for Noise {
    fn default() -> Self {
        Noise(0x9e37_79b9_7f4a_7c15)
    }
}

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n.div_ceil(8))
            .flat_map(|_| self.next().to_le_bytes())
            .take(n)
            .collect()
    }
}

/// A raw event header alone, claiming `len` bytes and `nparams` parameters.
fn header(etype: u16, ts: u64, tid: u64, len: u32, nparams: u32) -> Vec<u8> {
    let mut h = [0u8; HEADER_LEN];
    EventHeader {
        ts,
        tid,
        len,
        etype,
        nparams,
    }
    .write(&mut h);
    h.to_vec()
}

/// An open (`openat` exit, current layout) of `name` as fd `fd` by thread `tid`.
fn open_event(ts: u64, tid: u64, fd: u64, name: &[u8]) -> Vec<u8> {
    let (fd, dirfd) = (fd.to_le_bytes(), (-100i64).to_le_bytes());
    let (flags, mode, dev, ino) = (1u32.to_le_bytes(), 0u32.to_le_bytes(), 0u32, 7u64);
    let dev = dev.to_le_bytes();
    let ino = ino.to_le_bytes();
    let params: [&[u8]; 7] = [&fd, &dirfd, name, &flags, &mode, &dev, &ino];
    let mut out = Vec::new();
    write_event(
        EventCode::SyscallOpenatV2X as u16,
        ts,
        tid,
        params.into_iter(),
        &mut out,
    );
    out
}

/// The damaged events of one hostile batch, each alone (without the batch's CPU prefix), in
/// the order they are sent; the last one claims more bytes than the batch holds.
pub fn hostile_events(noise: &mut Noise, ts: u64) -> Vec<Vec<u8>> {
    let open = EventCode::SyscallOpenatV2X as u16;
    let tid = 1 + noise.next() % HUGE_TIDS;
    // Parameters that do not fit: 60,000 of them in a 40-byte event.
    let mut too_many = header(open, ts, tid, 40, 60_000);
    too_many.extend(noise.bytes(14));
    // A parameter running past the end: the length table claims 65,535 bytes for the name.
    let mut past_end = open_event(ts, tid, 3, b"/x");
    past_end[HEADER_LEN + 4..HEADER_LEN + 6].copy_from_slice(&u16::MAX.to_le_bytes());
    // An unknown type, and random bytes behind a header of a random type.
    let mut unknown = header(65_000, ts, tid, 34, 1);
    unknown.extend(noise.bytes(8));
    let mut random = header(noise.next() as u16 % 400, ts, tid, 26 + 256, 3);
    random.extend(noise.bytes(256));
    // Last: a header claiming 4 GiB.
    let mut truncated = header(open, ts, tid, u32::MAX, 7);
    truncated.extend(noise.bytes(64));
    vec![too_many, past_end, unknown, random, truncated]
}

/// An open larger than libscap's 64 KiB conversion buffer: a name of 65,535 bytes, then 8 KiB
/// after the parameters (a valid event; the plugin takes it as it comes).
fn oversized_event(ts: u64, tid: u64) -> Vec<u8> {
    let mut ev = open_event(ts, tid, 4, &[b'a'; 65_535]);
    ev.extend(vec![0u8; 8_192]);
    let len = ev.len() as u32;
    ev[16..20].copy_from_slice(&len.to_le_bytes());
    ev
}

/// One hostile batch: huge-name opens and an oversized one (valid events), then
/// [`hostile_events`].
pub fn hostile_batch(noise: &mut Noise, ts: u64, round: u64) -> Vec<u8> {
    let mut b = Vec::new();
    edera_falco_proto::batch::push(&mut b, 0, &oversized_event(ts, 1 + round % HUGE_TIDS));
    let mut name = b"/flood/".to_vec();
    name.extend((0..HUGE_NAME).map(|i| 0x80 | (i as u8 & 0x7f)));
    for i in 0..8 {
        let n = round * 8 + i;
        let ev = open_event(ts, 1 + n % HUGE_TIDS, 3 + n / HUGE_TIDS % HUGE_FDS, &name);
        edera_falco_proto::batch::push(&mut b, 0, &ev);
    }
    for ev in hostile_events(noise, ts) {
        edera_falco_proto::batch::push(&mut b, 0, &ev);
    }
    b
}

/// A bogus thread snapshot: `threads` threads whose parents form one cycle, each with strings
/// of `string_len` bytes and fds with absurd numbers.
pub fn bogus_snapshot(noise: &mut Noise, threads: u64, string_len: usize) -> CaptureState {
    let mut state = CaptureState::default();
    for tid in 1..=threads {
        let text = noise.bytes(string_len);
        state.threads.push(ThreadInfo {
            tid,
            pid: tid,
            ptid: tid % threads + 1,
            comm: text[..string_len.min(64)].to_vec(),
            exe: text.clone(),
            args: text.clone(),
            cwd: text.clone(),
            env: Some(text.clone()),
            fdlimit: -1,
            vtid: Some(-(tid as i64)),
            vpid: Some(i64::MAX),
            ..ThreadInfo::default()
        });
        let fds = [i64::MIN, -1, i64::MAX, noise.next() as i64]
            .into_iter()
            .map(|fd| FdInfo {
                fd,
                ino: noise.next(),
                fd_type: FdType::Unsupported,
                raw_type: 0xee,
                detail: FdDetail::Name(text[..string_len.min(4096)].to_vec()),
            })
            .collect();
        state.fds.insert(tid, fds);
    }
    state
}

/// The `n`th bogus snapshot: two of three fit in a message the plugin takes (about 12 MB), the
/// third does not (about 25 MB: refused, the stream breaks, the plugin subscribes again).
fn nth_snapshot(noise: &mut Noise, n: u64) -> CaptureState {
    if n % 3 == 2 {
        bogus_snapshot(noise, 2_500, 1_000)
    } else {
        bogus_snapshot(noise, 1_500, 800)
    }
}

/// Start the flooding zone `name` with the events of capture `file`: ready at once (with a
/// bogus snapshot), it floods once it has a subscriber.
pub fn start_flood_zone(zones: &Zones, name: &str, file: &Path) -> Result<Arc<LocalZone>, String> {
    let events = std::fs::File::open(file)
        .map_err(|e| format!("{}: {e}", file.display()))
        .and_then(|f| read_events(std::io::BufReader::new(f)))?;
    if events.is_empty() {
        return Err(format!("{}: no events to flood with", file.display()));
    }
    let z = zones.insert(LocalZone::new(super::link::record(name)));
    let mut noise = Noise::default();
    publish_snapshot(&z, &mut noise, 0);
    zones.set_state(&z.id, edera_falco_proto::control::ZoneState::Ready);
    let fz = z.clone();
    std::thread::Builder::new()
        .name(format!("zone-{name}-flood"))
        .spawn(move || flood(&fz, &events, &mut noise))
        .map_err(|e| e.to_string())?;
    Ok(z)
}

fn publish_snapshot(z: &LocalZone, noise: &mut Noise, n: u64) {
    let snap = snapshot_to_proto(&z.id, &nth_snapshot(noise, n), 0);
    z.snapshot.send_replace(Some(Arc::new(snap)));
}

/// Flood forever: valid bursts and hostile batches, a new snapshot every [`SNAPSHOT_EVERY`].
fn flood(z: &LocalZone, events: &[(u16, Vec<u8>)], noise: &mut Noise) {
    let (first, last) = (
        events.first().map_or(0, |e| super::link::ev_ts(&e.1)),
        events.last().map_or(0, |e| super::link::ev_ts(&e.1)),
    );
    let span = last.saturating_sub(first) + 1;
    let mut next_snapshot = Instant::now() + SNAPSHOT_EVERY;
    let (mut round, mut snapshots, mut at) = (0u64, 1u64, 0usize);
    loop {
        while z.events.receiver_count() == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        let shift = round * span;
        for chunk in (0..BURST_EVENTS / BATCH_EVENTS).map(|_| {
            let end = (at + BATCH_EVENTS).min(events.len());
            let chunk = &events[at..end];
            at = if end == events.len() { 0 } else { end };
            chunk
        }) {
            let mut b = Vec::with_capacity(chunk.len() * 64);
            for (cpu, ev) in chunk {
                let mut ev = ev.clone();
                shift_ts(&mut ev, shift);
                edera_falco_proto::batch::push(&mut b, *cpu, &ev);
            }
            send(z, b);
        }
        send(z, hostile_batch(noise, last + shift, round));
        round += 1;
        if Instant::now() >= next_snapshot {
            publish_snapshot(z, noise, snapshots);
            snapshots += 1;
            // Subscribers' streams end; they subscribe again and start from the new snapshot.
            let _ = z.events.send(ZoneItem::End);
            next_snapshot = Instant::now() + SNAPSHOT_EVERY;
        }
    }
}

fn send(z: &LocalZone, b: Vec<u8>) {
    wait_for_room(z);
    let _ = z.events.send(ZoneItem::Events(Batch::new(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use edera_falco_proto::batch;
    use edera_scap::convert::{Converter, ConverterLimits, Outcome};

    /// What the plugin's zone source does with a batch: the events it hands on, and those it
    /// counts as malformed (conversion errors, and a damaged rest of the batch).
    fn through_the_plugins_path(b: &[u8]) -> (u64, u64) {
        let mut converter = Converter::new(ConverterLimits::default());
        let (mut handed, mut malformed) = (0, 0);
        for e in batch::entries(b) {
            match e {
                Ok(e) => match converter.convert(e.event) {
                    Outcome::Pass(_) | Outcome::Converted(_) => handed += 1,
                    Outcome::Drop(_) => {}
                    Outcome::Error(_) => malformed += 1,
                },
                Err(_) => malformed += 1,
            }
        }
        (handed, malformed)
    }

    #[test]
    fn every_damaged_event_is_counted_as_malformed() {
        let mut noise = Noise::default();
        let damaged = hostile_events(&mut noise, 1);
        // Each alone: all but the unknown type (skipped, as libscap skips them) are malformed.
        let mut malformed = 0;
        for ev in &damaged {
            let mut b = Vec::new();
            batch::push(&mut b, 0, ev);
            let (handed, bad) = through_the_plugins_path(&b);
            assert_eq!(handed, 0, "{:?}", &ev[..HEADER_LEN]);
            malformed += bad;
        }
        assert!(malformed >= damaged.len() as u64 - 1, "{malformed}");
        // In a hostile batch: the oversized and the eight huge-name opens are valid; the damage
        // is counted.
        let b = hostile_batch(&mut noise, 1, 0);
        let (handed, bad) = through_the_plugins_path(&b);
        assert_eq!(handed, 9);
        assert!(bad >= 4, "{bad}");
    }

    #[test]
    fn huge_names_are_valid_and_huge() {
        let mut noise = Noise::default();
        let b = hostile_batch(&mut noise, 1, 3);
        let opens: Vec<_> = batch::entries(&b).take(9).map(Result::unwrap).collect();
        assert!(opens[0].event.len() > 64 * 1024);
        for e in &opens {
            assert!(e.event.len() > HUGE_NAME);
            assert_eq!(e.event_type(), EventCode::SyscallOpenatV2X as u16);
        }
    }

    #[test]
    fn every_third_snapshot_is_larger_than_a_plugin_takes() {
        use prost::Message;
        let mut noise = Noise::default();
        let sizes: Vec<usize> = (0..3)
            .map(|n| snapshot_to_proto("z", &nth_snapshot(&mut noise, n), 0).encoded_len())
            .collect();
        const PLUGIN_MAX: usize = 16 << 20;
        assert!(sizes[0] < PLUGIN_MAX && sizes[1] < PLUGIN_MAX, "{sizes:?}");
        assert!(sizes[2] > PLUGIN_MAX, "{sizes:?}");
    }
}
