//! An event the plugin emitted, copied out of its batch buffer (the runner's events point into
//! that buffer, valid only until the next `next_batch`), and hand-made events for tests. Headers
//! are read and written with `edera_scap::event` (little endian).

use edera_scap::event::{EventHeader, HEADER_LEN};
use falco_plugin_api as api;
use falco_plugin_runner::Event;
use std::ffi::c_char;

/// `PPME_PLUGINEVENT_E`, the only event a sourcing plugin with an id may emit.
const PLUGIN_EVENT: u16 = 322;

/// A header as bytes.
fn header_bytes(header: EventHeader) -> [u8; HEADER_LEN] {
    let mut bytes = [0; HEADER_LEN];
    header.write(&mut bytes);
    bytes
}

/// One event the plugin emitted, copied out of the plugin's batch buffer.
pub struct CapturedEvent {
    pub(crate) bytes: Vec<u8>,
    /// The event number the runner gave it (1, 2, ...).
    pub evt_num: u64,
    pub(crate) handle_id: u64,
    pub(crate) source: *const c_char,
    pub(crate) source_plugin: *mut api::ss_plugin_t,
    pub(crate) to_string: Option<
        unsafe extern "C-unwind" fn(
            *mut api::ss_plugin_t,
            *const api::ss_plugin_event_input,
        ) -> *const c_char,
    >,
}

impl CapturedEvent {
    pub(crate) fn copy_from(event: &Event, handle_id: u64) -> Result<Self, String> {
        if event.buf.is_null() {
            return Err("plugin returned a NULL event".into());
        }
        let base = event.buf as *const u8;
        // SAFETY: the runner hands us a pointer to a complete event in the plugin's batch,
        // valid until the next `next_batch`, which starts with a header.
        let header = unsafe { std::slice::from_raw_parts(base, HEADER_LEN) };
        let len = EventHeader::parse(header).map_err(|e| e.to_string())?.len as usize;
        if len < HEADER_LEN {
            return Err(format!("plugin returned an event of length {len}"));
        }
        let bytes = unsafe { std::slice::from_raw_parts(base, len) }.to_vec();
        Ok(CapturedEvent {
            bytes,
            evt_num: event.evt_num.unwrap_or_default(),
            handle_id,
            source: event.source,
            source_plugin: event.source_plugin,
            to_string: event.to_string,
        })
    }

    /// The whole event, header included.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap())
    }

    /// The header (hand-made events shorter than one read as all zeros).
    fn header(&self) -> EventHeader {
        EventHeader::parse(&self.bytes).unwrap_or(EventHeader {
            ts: 0,
            tid: 0,
            len: 0,
            etype: 0,
            nparams: 0,
        })
    }

    /// Header timestamp (ns since the epoch).
    pub fn ts(&self) -> u64 {
        self.header().ts
    }

    /// Header event type (322 for plugin events).
    pub fn event_type(&self) -> u16 {
        self.header().etype
    }

    /// For a plugin event: (plugin id, payload). `None` if the layout is not a plugin event's.
    pub fn plugin_payload(&self) -> Option<(u32, &[u8])> {
        // Header, two u32 parameter lengths, the u32 plugin id, the payload.
        let (lens, id) = (HEADER_LEN, HEADER_LEN + 8);
        let header = self.header();
        if header.etype != PLUGIN_EVENT || self.bytes.len() < id + 4 || header.nparams != 2 {
            return None;
        }
        let (len0, len1) = (self.u32_at(lens) as usize, self.u32_at(lens + 4) as usize);
        if len0 != 4 || id + len0 + len1 != self.bytes.len() {
            return None;
        }
        Some((self.u32_at(id), &self.bytes[id + 4..]))
    }

    /// For one of edera's plugin events: the raw scap event it carries, after the payload
    /// header and the state-only events (layout in plugin/src/payload.rs).
    pub fn scap_event(&self) -> Option<&[u8]> {
        let (_, payload) = self.plugin_payload()?;
        let count = u16::from_le_bytes(payload.get(6..8)?.try_into().ok()?);
        let mut rest = payload.get(8..)?;
        for _ in 0..count {
            let len = EventHeader::parse(rest).ok()?.len as usize;
            rest = rest.get(len.max(HEADER_LEN)..)?;
        }
        (rest.len() >= HEADER_LEN).then_some(rest)
    }

    /// The tid in the header of the carried raw scap event (`thread.tid` as libsinsp reads it).
    pub fn scap_tid(&self) -> Option<i64> {
        Some(EventHeader::parse(self.scap_event()?).ok()?.tid as i64)
    }

    /// The runner's view of this event, pointing at our copy.
    pub(crate) fn as_runner_event(&self) -> Event {
        Event {
            source: self.source,
            source_plugin: self.source_plugin,
            to_string: self.to_string,
            // The plugin only reads events; the API type is `*mut` for historical reasons.
            buf: self.bytes.as_ptr() as *mut api::ss_plugin_event,
            evt_num: Some(self.evt_num),
        }
    }
}

/// A minimal raw scap event: header only, no parameters (`len` = 26).
pub fn bare_scap_event(ts: u64, tid: i64, event_type: u16) -> Vec<u8> {
    header_bytes(EventHeader {
        ts,
        tid: tid as u64,
        len: HEADER_LEN as u32,
        etype: event_type,
        nparams: 0,
    })
    .to_vec()
}

/// A `PPME_PLUGINEVENT_E` laid out as plugin/src/payload.rs documents (written independently
/// here, so tests cross-check the documented layout): header with `ts`, params plugin id and
/// payload = little-endian `u32` zone slot, `u16` cpu 0, `u16` 0 state-only events, then `raw`.
pub fn plugin_event_bytes(ts: u64, plugin_id: u32, zone_slot: u32, raw: &[u8]) -> Vec<u8> {
    let data_len = 8 + raw.len();
    let total = HEADER_LEN + 8 + 4 + data_len;
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(&header_bytes(EventHeader {
        ts,
        tid: u64::MAX, // -1: no thread
        len: total as u32,
        etype: PLUGIN_EVENT,
        nparams: 2,
    }));
    v.extend_from_slice(&4u32.to_le_bytes());
    v.extend_from_slice(&(data_len as u32).to_le_bytes());
    v.extend_from_slice(&plugin_id.to_le_bytes());
    v.extend_from_slice(&zone_slot.to_le_bytes());
    v.extend_from_slice(&0u16.to_le_bytes()); // cpu
    v.extend_from_slice(&0u16.to_le_bytes()); // no state-only events
    v.extend_from_slice(raw);
    v
}
