//! Large benchmark captures, made by repeating a fixture's events.
//!
//! A [`Template`] is a fixture cut at the block level: its head (the section header and every
//! state block before the first event: machine, interfaces, users, process list, fd lists) and
//! its event blocks, all kept as raw bytes. [`Template::write`] writes the head verbatim, then
//! the event blocks over and over until it has written the number of events asked for. Copy `k`
//! is byte-identical to the fixture's events except for the 8-byte timestamp of each event
//! header, which is moved forward by `k` periods, a period being the fixture's time span plus
//! 1 µs: copy `k + 1` starts after copy `k` ends, so the stream stays as monotonic as the
//! fixture itself (libscap never reorders events; a fixture's few cross-cpu inversions are
//! repeated as they are). The output is always plain (uncompressed).
//!
//! sysdig 0.29.3 only knows event types below [`SYSDIG_EVENT_TYPES`] and silently drops the
//! others without counting them, so the template leaves such events out (and says how many):
//! both sides then see exactly the same events.

use edera_scap::file::block::{self, BlockKind, FRAMING_LEN};
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

/// Event types sysdig 0.29.3 knows: `0 .. SYSDIG_EVENT_TYPES`.
pub const SYSDIG_EVENT_TYPES: u16 = 336;

/// Time between the last event of one copy and the first event of the next one (ns).
const COPY_GAP_NS: u64 = 1_000;

/// An event block of the fixture.
#[derive(Debug, Clone)]
struct EventBlock {
    /// The whole block, framing included.
    bytes: Vec<u8>,
    /// Offset of the event's 8-byte timestamp in `bytes`.
    ts_at: usize,
    /// The timestamp as read.
    ts: u64,
}

/// A fixture cut into its head and its event blocks.
#[derive(Debug, Clone)]
pub struct Template {
    head: Vec<u8>,
    events: Vec<EventBlock>,
    /// Event blocks left out because sysdig 0.29.3 does not know their type.
    pub skipped_unknown_to_sysdig: u64,
    ts_min: u64,
    ts_max: u64,
}

/// What [`Template::write`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Event blocks written.
    pub events: u64,
    /// Copies of the fixture's events started (the last one may be partial).
    pub copies: u64,
    /// Bytes written.
    pub bytes: u64,
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// The bytes of a capture file, gunzipped if it is gzip-compressed.
pub fn read_capture_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut plain)
        .map_err(|e| format!("cannot gunzip {}: {e}", path.display()))?;
    Ok(plain)
}

impl Template {
    /// Cut the capture at `path` (plain or gzip) into head and event blocks.
    pub fn from_file(path: &Path) -> Result<Template, String> {
        let bytes = read_capture_bytes(path)?;
        Template::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Cut a plain capture into head and event blocks. Fails on damaged framing, on a file
    /// that does not start with a section header, on a second section, and on state blocks
    /// after the first event (repeating those would not be a copy of the same state).
    pub fn from_bytes(bytes: &[u8]) -> Result<Template, String> {
        let mut template = Template {
            head: Vec::new(),
            events: Vec::new(),
            skipped_unknown_to_sysdig: 0,
            ts_min: u64::MAX,
            ts_max: 0,
        };
        let mut at = 0usize;
        while at < bytes.len() {
            let (Some(block_type), Some(total)) = (le_u32(bytes, at), le_u32(bytes, at + 4)) else {
                return Err(format!("truncated block header at offset {at}"));
            };
            let end = at
                .checked_add(total as usize)
                .filter(|&end| total >= FRAMING_LEN && end <= bytes.len())
                .ok_or_else(|| format!("block at offset {at} has bad total length {total}"))?;
            if le_u32(bytes, end - 4) != Some(total) {
                return Err(format!(
                    "block at offset {at}: trailer differs from its length"
                ));
            }
            let block = &bytes[at..end];
            if at == 0 && block_type != block::SHB {
                return Err("the file does not start with a section header".into());
            }
            match BlockKind::of(block_type) {
                BlockKind::Section if at != 0 => {
                    return Err(format!(
                        "second section header at offset {at}: not supported"
                    ));
                }
                BlockKind::Event(kind) => template.push_event(block, kind.has_flags, at)?,
                _ if !template.events.is_empty() => {
                    return Err(format!(
                        "block of type {block_type:#x} after the first event (offset {at}): \
                         only state blocks before the events can be repeated"
                    ));
                }
                _ => template.head.extend_from_slice(block),
            }
            at = end;
        }
        if template.events.is_empty() {
            return Err("no events sysdig 0.29.3 can read".into());
        }
        Ok(template)
    }

    fn push_event(&mut self, block: &[u8], has_flags: bool, offset: usize) -> Result<(), String> {
        // Block header (8), cpu id (2), flags (4, EVF blocks only), then the event:
        // ts (8), tid (8), len (4), type (2), ...
        let ts_at = 8 + 2 + if has_flags { 4 } else { 0 };
        let (Some(ts), Some(event_type)) = (
            le_u64(block, ts_at),
            block
                .get(ts_at + 20..ts_at + 22)
                .map(|b| u16::from_le_bytes([b[0], b[1]])),
        ) else {
            return Err(format!("event block at offset {offset} is too short"));
        };
        if event_type >= SYSDIG_EVENT_TYPES {
            self.skipped_unknown_to_sysdig += 1;
            return Ok(());
        }
        self.ts_min = self.ts_min.min(ts);
        self.ts_max = self.ts_max.max(ts);
        self.events.push(EventBlock {
            bytes: block.to_vec(),
            ts_at,
            ts,
        });
        Ok(())
    }

    /// Number of events in one copy.
    pub fn events_per_copy(&self) -> usize {
        self.events.len()
    }

    /// How far each copy is moved in time from the previous one (ns).
    pub fn period_ns(&self) -> u64 {
        self.ts_max - self.ts_min + COPY_GAP_NS
    }

    /// Write the head, then `events` event blocks (copies of the fixture's, timestamps shifted).
    pub fn write(&self, out: &mut impl Write, events: u64) -> Result<Written, String> {
        let io = |e: std::io::Error| format!("write failed: {e}");
        out.write_all(&self.head).map_err(io)?;
        let mut written = Written {
            events: 0,
            copies: 0,
            bytes: self.head.len() as u64,
        };
        let mut block = Vec::new();
        while written.events < events {
            let shift = written
                .copies
                .checked_mul(self.period_ns())
                .ok_or("timestamps overflow: too many copies")?;
            written.copies += 1;
            for event in &self.events {
                if written.events == events {
                    break;
                }
                let ts = event.ts.checked_add(shift).ok_or("timestamps overflow")?;
                block.clear();
                block.extend_from_slice(&event.bytes);
                block[event.ts_at..event.ts_at + 8].copy_from_slice(&ts.to_le_bytes());
                out.write_all(&block).map_err(io)?;
                written.events += 1;
                written.bytes += block.len() as u64;
            }
        }
        out.flush().map_err(io)?;
        Ok(written)
    }

    /// Write a capture of `events` events to `path`, through a temporary file renamed at the
    /// end, so that an interrupted run never leaves a truncated capture behind.
    pub fn write_file(&self, path: &Path, events: u64) -> Result<Written, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let tmp = path.with_extension("scap.partial");
        let file =
            File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let written = self.write(&mut out, events)?;
        drop(out);
        std::fs::rename(&tmp, path)
            .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), path.display()))?;
        Ok(written)
    }
}

/// What the project's capture reader found when reading a capture to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderCheck {
    /// Events read.
    pub events: u64,
    /// Process list entries of the state blocks.
    pub threads: u64,
    /// Fd list entries.
    pub fds: u64,
    /// Events skipped because the event table does not know their type.
    pub unknown_type_events: u64,
    /// Timestamp of the last event.
    pub last_ts: u64,
    /// Events whose timestamp is smaller than the previous event's.
    pub backward_steps: u64,
}

/// Read `path` to the end with the project's capture reader; any error fails.
pub fn read_back(path: &Path) -> Result<ReaderCheck, String> {
    let err = |e: edera_scap::file::ReadError| format!("{}: {e}", path.display());
    let mut reader = CaptureReader::open(path, GeneratedTable, Limits::default()).map_err(err)?;
    let state = reader.read_state().map_err(err)?;
    let mut check = ReaderCheck {
        events: 0,
        threads: state.threads.len() as u64,
        fds: state.fds.values().map(|fds| fds.len() as u64).sum(),
        unknown_type_events: 0,
        last_ts: 0,
        backward_steps: 0,
    };
    while let Some(event) = reader.next_event().map_err(err)? {
        let ts = event.ts();
        if check.events > 0 && ts < check.last_ts {
            check.backward_steps += 1;
        }
        check.last_ts = ts;
        check.events += 1;
    }
    check.unknown_type_events = reader.stats().unknown_type_events;
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(block_type: u32, body: &[u8]) -> Vec<u8> {
        let total = (body.len() as u32) + FRAMING_LEN;
        let mut v = block_type.to_le_bytes().to_vec();
        v.extend_from_slice(&total.to_le_bytes());
        v.extend_from_slice(body);
        v.extend_from_slice(&total.to_le_bytes());
        v
    }

    fn event(ts: u64, event_type: u16) -> Vec<u8> {
        let mut body = 0u16.to_le_bytes().to_vec(); // cpu
        body.extend_from_slice(&ts.to_le_bytes());
        body.extend_from_slice(&7u64.to_le_bytes()); // tid
        body.extend_from_slice(&26u32.to_le_bytes()); // len
        body.extend_from_slice(&event_type.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes()); // nparams
        block(block::EV_V2, &body)
    }

    fn capture() -> Vec<u8> {
        let mut v = block(block::SHB, &[0; 16]);
        v.extend(block(block::MI, &[1; 8]));
        v.extend(event(100, 1));
        v.extend(event(150, 400)); // unknown to sysdig
        v.extend(event(130, 2));
        v
    }

    #[test]
    fn repeats_events_with_shifted_timestamps() {
        let t = Template::from_bytes(&capture()).unwrap();
        assert_eq!(t.events_per_copy(), 2);
        assert_eq!(t.skipped_unknown_to_sysdig, 1);
        assert_eq!(t.period_ns(), 30 + COPY_GAP_NS);
        let mut out = Vec::new();
        let w = t.write(&mut out, 5).unwrap();
        assert_eq!((w.events, w.copies, w.bytes), (5, 3, out.len() as u64));
        let again = Template::from_bytes(&out).unwrap();
        let ts: Vec<u64> = again.events.iter().map(|e| e.ts).collect();
        let p = t.period_ns();
        assert_eq!(ts, [100, 130, 100 + p, 130 + p, 100 + 2 * p]);
        assert_eq!(again.head, t.head);
        // Everything but the timestamp is identical.
        assert_eq!(again.events[3].bytes[18..], t.events[1].bytes[18..]);
    }

    #[test]
    fn rejects_damaged_framing() {
        let mut bytes = capture();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(
            Template::from_bytes(&bytes)
                .unwrap_err()
                .contains("trailer")
        );
        assert!(Template::from_bytes(&block(block::MI, &[0; 4])).is_err());
    }
}
