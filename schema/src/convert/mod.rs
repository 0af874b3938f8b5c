//! The event converter: events of older layouts become events of the current ones, as
//! libscap's savefile engine converts them on read (so that Falco 0.45 and this project see the
//! same event stream).
//!
//! Every event goes through the eligibility rules ([`eligibility`]). Events that need a
//! conversion are looked up in the conversion table ([`rule`], generated from
//! `schema/conversions.toml`) by (type, parameter count) and rewritten one step at a time
//! (`step.rs`) until the rules let the result pass, drop it, or fail; at most 50 steps, as in
//! libscap. Enter events of converted syscalls are kept per thread ([`store`]) and their
//! parameters merged into the exit event; most of them are then not handed on.
//!
//! Differences from libscap, all on input libscap mishandles or cannot survive: failures are
//! reported per event ([`Outcome::Error`]) instead of ending the capture; the pending-enter store
//! is bounded ([`ConverterLimits`]); events are validated here too (libscap's reader does it), so
//! the converter can take events from any source.
//!
//! `evt.num`: libsinsp numbers the events libscap hands it, 1, 2, 3, ... Events the converter
//! drops (stored enter events, unused and old enter layouts) and events of unknown types are not
//! numbered. [`Converter::handed_out`] is that count: right after `convert` returns
//! [`Outcome::Pass`] or [`Outcome::Converted`], it is the event's `evt.num`.

mod callback;
pub mod eligibility;
mod error;
mod frame;
pub mod rule;
mod step;
pub mod store;

pub use error::ConvertError;

use eligibility::{Verdict, verdict};
use frame::Frame;
use step::Step;
use store::PendingEnters;

use crate::event::{EventHeader, HEADER_LEN};
use crate::info::{EventInfo, event_info};

/// libscap's conversion buffer size (`MAX_EVENT_SIZE`): no event larger than this is converted,
/// and no conversion may produce a larger one.
pub const MAX_EVENT_SIZE: usize = 64 * 1024;

/// libscap's bound on consecutive conversions of one event (`MAX_CONVERSION_BOUNDARY`).
pub const MAX_CONVERSIONS: usize = 50;

/// Why an event was not handed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dropped {
    /// Kept as its thread's pending enter event.
    Stored,
    /// The event table marks the type unused.
    Unused,
    /// An old enter layout the converter does not manage.
    OldEnter,
    /// A type the current table does not have (libscap's reader skips these).
    UnknownType,
}

/// The result of converting one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The event needs no conversion: these are the input bytes (up to the header's `len`).
    Pass(&'a [u8]),
    /// The event was rewritten: these bytes live in the converter until the next call.
    Converted(&'a [u8]),
    /// Nothing to hand on.
    Drop(Dropped),
    /// The event cannot be converted; libscap would stop reading here.
    Error(ConvertError),
}

/// Caps on the converter's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConverterLimits {
    /// Most threads with a pending enter event (libscap: unbounded). Default 65536.
    pub max_pending: usize,
    /// Most bytes of pending enter events (one event may exceed it). Default 64 MiB.
    pub max_pending_bytes: usize,
}

impl Default for ConverterLimits {
    fn default() -> Self {
        ConverterLimits {
            max_pending: 65_536,
            max_pending_bytes: 64 << 20,
        }
    }
}

/// Counters, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConverterStats {
    pub passed: u64,
    pub converted: u64,
    pub stored: u64,
    /// Unused types and old enter layouts.
    pub dropped: u64,
    pub unknown_types: u64,
    pub errors: u64,
    /// Pending enter events forgotten because of [`ConverterLimits`].
    pub evictions: u64,
}

/// The converter of one event stream (one capture, or one zone): it holds that stream's pending
/// enter events.
#[derive(Debug)]
pub struct Converter {
    store: PendingEnters,
    /// The current event and the next one, swapped after each step.
    cur: Vec<u8>,
    next: Vec<u8>,
    scratch: Vec<u8>,
    stats: ConverterStats,
}

impl Converter {
    pub fn new(limits: ConverterLimits) -> Self {
        Converter {
            store: PendingEnters::new(limits.max_pending, limits.max_pending_bytes),
            cur: Vec::new(),
            next: Vec::new(),
            scratch: Vec::new(),
            stats: ConverterStats::default(),
        }
    }

    /// Converts one event in the in-memory form (26-byte header). Trailing bytes after the
    /// header's `len` are ignored.
    pub fn convert<'a>(&'a mut self, ev: &'a [u8]) -> Outcome<'a> {
        let out = self.run(ev);
        let s = &mut self.stats;
        match out {
            Done::Pass => s.passed += 1,
            Done::Converted => s.converted += 1,
            Done::Drop(Dropped::Stored) => s.stored += 1,
            Done::Drop(Dropped::UnknownType) => s.unknown_types += 1,
            Done::Drop(_) => s.dropped += 1,
            Done::Error(_) => s.errors += 1,
        }
        s.evictions = self.store.evictions();
        match out {
            Done::Pass => {
                let len = ev
                    .get(16..20)
                    .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                Outcome::Pass(&ev[..len as usize])
            }
            Done::Converted => Outcome::Converted(&self.cur),
            Done::Drop(d) => Outcome::Drop(d),
            Done::Error(e) => Outcome::Error(e),
        }
    }

    /// [`Self::convert`] for an event already checked whole (as the capture reader checks its
    /// events): one that passes unchanged is handed back without checking its lengths again.
    pub fn convert_checked<'a>(&'a mut self, ev: &'a [u8]) -> Outcome<'a> {
        if let Some(bytes) = unchanged(ev) {
            self.stats.passed += 1;
            return Outcome::Pass(bytes);
        }
        self.convert(ev)
    }

    fn run(&mut self, ev: &[u8]) -> Done {
        // As libscap's reader: the header must be there; unknown types are skipped unchecked.
        if ev.len() < HEADER_LEN {
            return Done::Error(ConvertError::ShortHeader(ev.len()));
        }
        let etype = u16::from_le_bytes([ev[20], ev[21]]);
        let Some(info) = event_info(etype) else {
            return Done::Drop(Dropped::UnknownType);
        };
        let frame = match Frame::parse(ev) {
            Ok(f) => f,
            Err(e) => return Done::Error(e),
        };
        if passes(info, frame.header.nparams, frame.bytes.len()) {
            return Done::Pass;
        }
        match verdict(info, frame.header.nparams) {
            Verdict::Pass => return Done::Pass,
            Verdict::Drop(d) => return Done::Drop(d),
            Verdict::Error(e) => return Done::Error(e),
            Verdict::Convert => {}
        }
        let mut steps = 0;
        let mut result = Step::Continue;
        let mut from_input = true;
        while steps < MAX_CONVERSIONS && result == Step::Continue {
            let src = if from_input {
                frame
            } else {
                match Frame::parse(&self.cur) {
                    Ok(f) => f,
                    Err(e) => return Done::Error(e),
                }
            };
            if src.bytes.len() > MAX_EVENT_SIZE {
                return Done::Error(ConvertError::TooLarge(src.header.len));
            }
            result = step::step(&src, &mut self.store, &mut self.next, &mut self.scratch);
            std::mem::swap(&mut self.cur, &mut self.next);
            from_input = false;
            steps += 1;
        }
        if let Step::Error(e) = result {
            return Done::Error(e);
        }
        if steps == MAX_CONVERSIONS {
            let h = Frame::parse(&self.cur).map(|f| f.header);
            let (etype, nparams) = h.map_or((etype, 0), |h| (h.etype, h.nparams));
            return Done::Error(ConvertError::TooManyConversions { etype, nparams });
        }
        match result {
            Step::Drop(d) => Done::Drop(d),
            _ if self.cur[..] == frame.bytes[..] => Done::Pass,
            _ => Done::Converted,
        }
    }

    /// Events handed on so far ([`Outcome::Pass`] and [`Outcome::Converted`]): the `evt.num`
    /// libsinsp gives the last one.
    pub fn handed_out(&self) -> u64 {
        self.stats.passed + self.stats.converted
    }

    pub fn stats(&self) -> ConverterStats {
        self.stats
    }

    /// Threads with a pending enter event.
    pub fn pending(&self) -> usize {
        self.store.len()
    }

    /// Bytes held by the pending enter events.
    pub fn pending_bytes(&self) -> usize {
        self.store.held_bytes()
    }

    /// Forgets the pending enter events (as libscap does when a capture is reopened).
    pub fn reset(&mut self) {
        self.store.clear();
    }
}

impl Default for Converter {
    fn default() -> Self {
        Converter::new(ConverterLimits::default())
    }
}

/// Whether an event of type `info` with `nparams` parameters and `len` bytes comes out of the
/// converter unchanged, its state untouched: the eligibility rules pass it, or the table's rule
/// for it hands it on as it is (the step would copy it; the size check is the conversion loop's).
fn passes(info: &EventInfo, nparams: u32, len: usize) -> bool {
    match verdict(info, nparams) {
        Verdict::Pass => true,
        Verdict::Convert => rule::passes(info.code, nparams) && len <= MAX_EVENT_SIZE,
        Verdict::Drop(_) | Verdict::Error(_) => false,
    }
}

/// `ev` up to its `len`, when it [`passes`] by its header (its lengths are not checked).
fn unchanged(ev: &[u8]) -> Option<&[u8]> {
    let h = EventHeader::parse(ev).ok()?;
    let bytes = ev.get(..h.len as usize).filter(|b| b.len() >= HEADER_LEN)?;
    passes(event_info(h.etype)?, h.nparams, bytes.len()).then_some(bytes)
}

/// `Outcome` without the borrowed bytes.
#[derive(Debug, Clone, Copy)]
enum Done {
    Pass,
    Converted,
    Drop(Dropped),
    Error(ConvertError),
}
