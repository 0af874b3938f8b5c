//! Replay of a libscap capture file (`file:///path/x.scap`) as one zone named after the file.
//!
//! Events are read with the capture reader, converted to the current event layouts exactly as
//! libscap does (old enter events merged into their exits), and handed to Falco with their
//! captured timestamps. The capture's process, fd and user tables become the zone's initial
//! state, seeded when the file is opened.

use super::{Carry, EventSink, Poll, Source};
use crate::visibility::{falco_shows, is_initial_state};
use crate::zones::{ZoneRegistry, ZoneSlot};
use edera_scap::convert::{Converter, ConverterLimits, Outcome};
use edera_scap::event::EventHeader;
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use falco_plugin::anyhow::{self, anyhow};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A capture file being replayed.
pub struct FileSource {
    path: PathBuf,
    reader: CaptureReader<File, GeneratedTable>,
    converter: Converter,
    zone: ZoneSlot,
    carry: Carry,
    /// Still in the leading run of initial-state events (see `visibility.rs`).
    leading: bool,
    /// Compressed or plain size of the file, for progress.
    file_len: u64,
    done: bool,
    /// Whether the sink was told of the zone's snapshot (at the first `fill`).
    snapshot_told: bool,
    /// Events the reader or the converter rejected (counted, skipped).
    pub malformed: u64,
}

impl FileSource {
    /// Open `path`, read its state tables, and register its zone (id = the file name).
    pub fn open(path: &Path, zones: &mut ZoneRegistry) -> anyhow::Result<FileSource> {
        let shown = path.display();
        let meta = std::fs::metadata(path)
            .map_err(|e| anyhow!("cannot open capture file `{shown}`: {e}"))?;
        if !meta.is_file() {
            return Err(anyhow!(
                "cannot open capture file `{shown}`: not a regular file"
            ));
        }
        // The capture's state blocks become the zone's state: read no more than it may hold.
        let caps = zones.limits();
        let limits = Limits {
            max_threads: caps.max_threads as u64,
            max_fds_per_thread: u32::try_from(caps.max_fds_per_process).unwrap_or(u32::MAX),
            ..Limits::default()
        };
        let mut reader = CaptureReader::open(path, GeneratedTable, limits)
            .map_err(|e| anyhow!("cannot open capture file `{shown}`: {e}"))?;
        let seed = reader
            .read_state()
            .map_err(|e| anyhow!("capture file `{shown}`: {e}"))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.to_string());
        let zone = zones.register(&name)?;
        if let Some(z) = zones.get_mut(zone) {
            z.state.seed(&seed);
        }
        Ok(FileSource {
            path: path.to_owned(),
            reader,
            converter: Converter::new(ConverterLimits::default()),
            zone,
            carry: Carry::default(),
            leading: true,
            file_len: meta.len(),
            done: false,
            snapshot_told: false,
            malformed: 0,
        })
    }
}

impl Source for FileSource {
    fn fill(
        &mut self,
        _zones: &mut ZoneRegistry,
        sink: &mut dyn EventSink,
        max: usize,
    ) -> anyhow::Result<Poll> {
        if self.done {
            return Ok(Poll::Eof);
        }
        if !self.snapshot_told {
            sink.snapshot_taken(self.zone);
            self.snapshot_told = true;
        }
        while sink.len() < max {
            let ev = match self.reader.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(e) if e.is_recoverable() => {
                    self.malformed += 1;
                    log::debug!("{}: skipped a damaged event: {e}", self.path.display());
                    continue;
                }
                Err(e) => {
                    // A damaged file ends the replay; what was read so far stays valid.
                    log::warn!("{}: replay stops: {e}", self.path.display());
                    self.done = true;
                    break;
                }
            };
            let (ts, cpu, flags) = (ev.ts(), ev.cpu, ev.flags);
            // The reader checked the event whole.
            match self.converter.convert_checked(ev.bytes()) {
                Outcome::Pass(bytes) | Outcome::Converted(bytes) => {
                    let ty = EventHeader::parse(bytes).map_or(0, |h| h.etype);
                    self.leading = self.leading && is_initial_state(ty);
                    if falco_shows(ty, flags) && !self.leading {
                        sink.push(ts, self.zone, cpu, &mut self.carry, bytes)?;
                    } else {
                        sink.hold(self.zone, &mut self.carry, bytes)?;
                    }
                }
                Outcome::Drop(_) => {}
                Outcome::Error(e) => {
                    self.malformed += 1;
                    log::debug!("{}: event not converted: {e}", self.path.display());
                }
            }
        }
        Ok(if self.done && sink.is_empty() {
            Poll::Eof
        } else {
            Poll::Ready
        })
    }

    fn take_counts(&mut self) -> (u64, u64) {
        let counts = (self.malformed, self.carry.dropped);
        self.malformed = 0;
        self.carry.dropped = 0;
        counts
    }

    fn progress(&self) -> f64 {
        if self.done || self.file_len == 0 {
            return 100.0;
        }
        // The reader's offset counts decompressed bytes: a rough figure for gzip captures.
        (100.0 * self.reader.offset() as f64 / self.file_len as f64).min(99.0)
    }
}
