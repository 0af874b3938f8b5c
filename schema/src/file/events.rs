//! Event blocks, and their normalization to the in-memory event form libscap hands to libsinsp.
//!
//! # Block layout
//! Body: `cpu: u16`, then for EVF blocks (0x208, 0x217, 0x222) `flags: u32`, then the event, then
//! padding or pcapng options, which are ignored. Event types: EV 0x204 (also 0x8010ABCD) and EVF
//! 0x208 hold the *old* event, EV_V2 0x216, EVF_V2 0x217 and their LARGE variants 0x221 and
//! 0x222 the *current* one.
//!
//! # Event forms
//! Current: `{ts: u64, tid: u64, len: u32, type: u16, nparams: u32}` (26 bytes), `nparams`
//! parameter lengths, then the parameter data; `len` counts all of it. Old: the same without
//! `nparams` (22 bytes), lengths always u16.
//!
//! # How libscap reads them (and so this reader)
//! - A non-LARGE block may not exceed 65536 bytes after its 8-byte header; LARGE blocks may be
//!   larger (here: up to `Limits::max_block_bytes`). The LARGE block types only lift that cap:
//!   they say nothing about the width of the parameter lengths.
//! - An event whose type the current event table does not know (libscap: `type >=
//!   PPM_EVENT_MAX`; here: [`EventTable::shape`] returns `None`) is skipped silently.
//! - **Parameter-length width** is decided by the *current* table alone: u32 lengths when the
//!   type has `EF_LARGE_PAYLOAD` (today: pluginevent 322, container JSON 2 324, asyncevent 402),
//!   u16 otherwise, whatever the block type. Old-form events always have u16 lengths.
//! - **Current-form events** are taken verbatim after validation: `26 <= len <= bytes after the
//!   event start in the block`, `26 + nparams * width <= len`, and each parameter length fits in
//!   what is left of `len`. Bytes after `len` are ignored.
//! - **Old-form events** are converted: the header grows by 4 bytes, so `len += 4`; for the
//!   notification (280) and infrastructure (286) events old captures overstate `len` by 3, so
//!   `len -= 3` for those. `nparams` is not stored, so libscap searches it: starting from the
//!   current table's parameter count `N` and going down to 0, it skips every `n` whose `n` u16
//!   lengths do not fit in the event, and takes the first `n` whose lengths plus parameter sizes
//!   end exactly at `len`; if they end *before* `len` it is an error, and if no `n` matches, too.
//!   The old block (length + 4) must also fit libscap's 65536-byte buffer.
//! - libscap then runs its event-version converter (older parameter layouts to current ones);
//!   that step belongs to the event decoder, not to this reader: the bytes produced here are
//!   the ones libscap's file engine has before conversion.

use super::block::{BlockHeader, EventBlock};
use super::cursor::{le_u16, le_u32, le_u64};
use super::error::{ReadError, Result};
use crate::event::HEADER_LEN;

/// Size of the old event header (no `nparams`).
pub const OLD_EVENT_HEADER_LEN: usize = 22;
/// libscap's read buffer: the most a non-LARGE event block may hold after its 8-byte header.
pub const READER_BUF_SIZE: u64 = 65536;
/// Event types whose old-form `len` is 3 bytes too large (`PPME_NOTIFICATION_E`,
/// `PPME_INFRASTRUCTURE_EVENT_E`).
pub const OLD_LEN_OVERSTATED: [u16; 2] = [280, 286];

/// What the reader needs to know about an event type from the current event table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventShape {
    /// Number of parameters in the current table.
    pub nparams: u32,
    /// The type has `EF_LARGE_PAYLOAD`: its parameter lengths are u32.
    pub large_payload: bool,
}

/// The current event table, as far as the reader needs it. Implemented for any
/// `Fn(u16) -> Option<EventShape>`.
pub trait EventTable {
    /// The shape of `event_type`, or `None` if the current table does not have that type (the
    /// event is then skipped, as libscap skips types at or above `PPM_EVENT_MAX`).
    fn shape(&self, event_type: u16) -> Option<EventShape>;
}

impl<F: Fn(u16) -> Option<EventShape>> EventTable for F {
    fn shape(&self, event_type: u16) -> Option<EventShape> {
        self(event_type)
    }
}

/// Where a decoded event is: written by [`decode`] into the reader's own copy, field by field
/// (an enum returned through the reader's layers cost store-forwarding stalls on every event).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The event is `body[start..end]`, or the output buffer when `converted`.
    pub start: usize,
    pub end: usize,
    pub flags: u32,
    pub cpu: u16,
    /// Parameter lengths are u32.
    pub large: bool,
    /// The event was converted into the output buffer.
    pub converted: bool,
}

/// Decodes the event block whose header is `h` and body `body` into `at`; `false` (and `at` left
/// as it was) when the table does not know the event's type, which is skipped. Old-form events
/// are written to `out` (cleared first); current-form ones are left in place.
#[inline]
pub(crate) fn decode(
    kind: EventBlock,
    h: &BlockHeader,
    body: &[u8],
    table: &dyn EventTable,
    out: &mut Vec<u8>,
    at: &mut Decoded,
) -> Result<bool> {
    let bad = |problem: String| ReadError::BadEvent {
        offset: h.offset,
        block_type: h.block_type,
        problem,
    };
    let hdr_len = if kind.v2 {
        HEADER_LEN
    } else {
        OLD_EVENT_HEADER_LEN
    };
    let readlen = u64::from(h.total_length).saturating_sub(8);
    if !kind.large_block && readlen > READER_BUF_SIZE {
        return Err(bad(format!(
            "block of {} bytes is larger than the {READER_BUF_SIZE} (+8) a non-large event block \
             may have",
            h.total_length
        )));
    }
    if body.len() < hdr_len {
        return Err(bad(format!(
            "block length {} too short for an event",
            h.total_length
        )));
    }
    let evt_off = if kind.has_flags { 6 } else { 2 };
    let cpu = le_u16(body, 0).unwrap_or(0);
    let flags = if kind.has_flags {
        le_u32(body, 2).unwrap_or(0)
    } else {
        0
    };
    let avail = body.len().saturating_sub(evt_off);
    if avail < hdr_len {
        return Err(bad(format!(
            "event header ({hdr_len} bytes) exceeds the block payload: {avail} bytes after the \
             event offset {evt_off}"
        )));
    }
    let ev = &body[evt_off..];
    let len = le_u32(ev, 16).unwrap_or(0);
    let etype = le_u16(ev, 20).unwrap_or(0);
    let Some(shape) = table.shape(etype) else {
        return Ok(false);
    };
    if kind.v2 {
        let nparams = le_u32(ev, 22).unwrap_or(0);
        validate_current(ev, len, nparams, shape.large_payload).map_err(bad)?;
        *at = Decoded {
            start: evt_off,
            end: evt_off + len as usize,
            flags,
            cpu,
            large: shape.large_payload,
            converted: false,
        };
        return Ok(true);
    }
    if readlen + 4 > READER_BUF_SIZE {
        return Err(bad(format!(
            "cannot convert an old event block of {} bytes: libscap's limit is {READER_BUF_SIZE} \
             bytes after the block header, 4 of which the conversion needs",
            h.total_length
        )));
    }
    convert_old(ev, len, etype, shape.nparams, out).map_err(bad)?;
    *at = Decoded {
        start: 0,
        end: out.len(),
        flags,
        cpu,
        large: false,
        converted: true,
    };
    Ok(true)
}

/// Validates a current-form event at the start of `ev`.
#[inline]
fn validate_current(
    ev: &[u8],
    len: u32,
    nparams: u32,
    large: bool,
) -> std::result::Result<(), String> {
    if (len as usize) < HEADER_LEN {
        return Err(format!(
            "len {len} is smaller than the event header size {HEADER_LEN}"
        ));
    }
    if len as usize > ev.len() {
        return Err(format!(
            "len {len} is larger than the {} bytes available in the block",
            ev.len()
        ));
    }
    let width: u64 = if large { 4 } else { 2 };
    let len64 = u64::from(len);
    let mut data_at = HEADER_LEN as u64 + u64::from(nparams) * width;
    if data_at > len64 {
        return Err(format!("nparams {nparams} does not fit in event len {len}"));
    }
    for i in 0..nparams as usize {
        let at = HEADER_LEN + i * width as usize;
        let plen = if large {
            le_u32(ev, at)
        } else {
            le_u16(ev, at).map(u32::from)
        };
        let plen = u64::from(plen.unwrap_or(u32::MAX));
        if plen > len64 - data_at {
            return Err(format!("param {i} len {plen} exceeds event len {len}"));
        }
        data_at += plen;
    }
    Ok(())
}

/// Converts an old-form event at the start of `ev` (with the old `len` and type) into `out`.
fn convert_old(
    ev: &[u8],
    old_len: u32,
    etype: u16,
    table_nparams: u32,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let old_len = old_len as usize;
    if old_len < OLD_EVENT_HEADER_LEN {
        return Err(format!(
            "old event len {old_len} is smaller than its {OLD_EVENT_HEADER_LEN}-byte header"
        ));
    }
    if old_len > ev.len() {
        return Err(format!(
            "old event len {old_len} is larger than the {} bytes available in the block",
            ev.len()
        ));
    }
    let mut new_len = old_len + 4;
    if OLD_LEN_OVERSTATED.contains(&etype) {
        new_len -= 3;
    }
    let Some(payload_len) = new_len.checked_sub(HEADER_LEN) else {
        return Err(format!(
            "cannot compute nparams: event len {new_len} is smaller than the event header"
        ));
    };
    let payload = &ev[OLD_EVENT_HEADER_LEN..OLD_EVENT_HEADER_LEN + payload_len];
    let nparams = search_nparams(payload, table_nparams)?;
    out.clear();
    out.extend_from_slice(&ev[..16]); // ts, tid
    out.extend_from_slice(&(new_len as u32).to_le_bytes());
    out.extend_from_slice(&etype.to_le_bytes());
    out.extend_from_slice(&nparams.to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// libscap's search for the parameter count of an old event (see the module docs). `payload` is
/// the u16 lengths followed by the data. Runs in time linear in the candidate count.
fn search_nparams(payload: &[u8], table_nparams: u32) -> std::result::Result<u32, String> {
    let target = payload.len() as u64;
    let lens_fit = payload.len() / 2;
    let start = (table_nparams as usize).min(lens_fit);
    let len_at = |i: usize| u64::from(le_u16(payload, 2 * i).unwrap_or(0));
    let mut sum: u64 = (0..start).map(len_at).sum();
    let mut n = start;
    loop {
        let end = 2 * n as u64 + sum;
        if end < target {
            return Err(format!(
                "cannot compute nparams: with {n} parameters the data ends {} bytes before the \
                 event's end",
                target - end
            ));
        }
        if end == target {
            return Ok(n as u32);
        }
        if n == 0 {
            return Err(
                "cannot compute nparams: no parameter count matches the event length".into(),
            );
        }
        n -= 1;
        sum -= len_at(n);
    }
}

/// One event, normalized to the in-memory form, borrowed from the reader's buffers until the
/// next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// CPU the event was captured on (`evt.cpu`).
    pub cpu: u16,
    /// Dump flags of EVF blocks (0 for EV blocks).
    pub flags: u32,
    /// Offset of the event block in the decompressed stream.
    pub block_offset: u64,
    /// Block type it came from.
    pub block_type: u32,
    large: bool,
    bytes: &'a [u8],
}

impl<'a> EventRef<'a> {
    pub(crate) fn new(cpu: u16, flags: u32, h: &BlockHeader, large: bool, bytes: &'a [u8]) -> Self {
        EventRef {
            cpu,
            flags,
            block_offset: h.offset,
            block_type: h.block_type,
            large,
            bytes,
        }
    }

    /// The whole event: header, parameter lengths, data (`len` bytes).
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Timestamp, ns since the epoch (`evt.rawtime`).
    #[inline]
    pub fn ts(&self) -> u64 {
        le_u64(self.bytes, 0).unwrap_or(0)
    }

    /// Thread id.
    #[inline]
    pub fn tid(&self) -> u64 {
        le_u64(self.bytes, 8).unwrap_or(0)
    }

    /// Total length.
    pub fn len(&self) -> u32 {
        le_u32(self.bytes, 16).unwrap_or(0)
    }

    /// True if the event has no bytes (never for a decoded event).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Event type code.
    #[inline]
    pub fn event_type(&self) -> u16 {
        le_u16(self.bytes, 20).unwrap_or(0)
    }

    /// Number of parameters.
    pub fn nparams(&self) -> u32 {
        le_u32(self.bytes, 22).unwrap_or(0)
    }

    /// Parameter lengths are u32 (large-payload type) rather than u16.
    pub fn large_param_lengths(&self) -> bool {
        self.large
    }

    /// The parameters' bytes, in order.
    pub fn params(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes;
        let width = if self.large { 4 } else { 2 };
        let n = self.nparams() as usize;
        let mut data_at = HEADER_LEN + n * width;
        (0..n).map_while(move |i| {
            let at = HEADER_LEN + i * width;
            let len = if width == 4 {
                le_u32(bytes, at)?
            } else {
                u32::from(le_u16(bytes, at)?)
            };
            let end = data_at.checked_add(len as usize)?;
            let p = bytes.get(data_at..end)?;
            data_at = end;
            Some(p)
        })
    }

    /// Parameter `i`'s bytes.
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        self.params().nth(i)
    }

    /// An owned copy.
    pub fn to_owned_event(&self) -> Event {
        Event {
            cpu: self.cpu,
            flags: self.flags,
            block_offset: self.block_offset,
            block_type: self.block_type,
            large_param_lengths: self.large,
            bytes: self.bytes.to_vec(),
        }
    }
}

/// An owned event (see [`EventRef`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// CPU.
    pub cpu: u16,
    /// EVF dump flags.
    pub flags: u32,
    /// Offset of its block.
    pub block_offset: u64,
    /// Block type.
    pub block_type: u32,
    /// u32 parameter lengths.
    pub large_param_lengths: bool,
    /// The normalized event bytes.
    pub bytes: Vec<u8>,
}
