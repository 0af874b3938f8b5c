//! The events this plugin emits: `PPME_PLUGINEVENT_E` carrying a zone reference and one raw
//! scap event.
//!
//! # Byte layout
//!
//! A sourcing plugin with a non-zero id may only emit `PPME_PLUGINEVENT_E` (event type 322, two
//! parameters with `u32` lengths). Each event this plugin emits is, byte by byte:
//!
//! | offset | size | field | value |
//! | --- | --- | --- | --- |
//! | 0 | 8 | `ts` (native endian, like every scap header) | the captured event's own timestamp, ns since the epoch |
//! | 8 | 8 | `tid` | -1 (libscap forces -1 for plugin events anyway) |
//! | 16 | 4 | `len` | 42 + raw event length: the whole event |
//! | 20 | 2 | `type` | 322 |
//! | 22 | 4 | `nparams` | 2 |
//! | 26 | 4 | length of param 0 | 4 |
//! | 30 | 4 | length of param 1 | 4 + raw event length |
//! | 34 | 4 | param 0: plugin id | 26 |
//! | 38 | 4 | param 1 starts: zone slot, **little endian** `u32` | index into the plugin's [`ZoneRegistry`](crate::zones::ZoneRegistry) |
//! | 42 | 2 | cpu, little endian `u16` | the CPU the event was captured on (`evt.cpu`) |
//! | 44 | 2 | state-only count `k`, little endian `u16` | events that update state but that Falco does not show |
//! | 46 | n | `k` state-only raw scap events, then the event itself | each is a header (`ts`, `tid`, `len`, `type`, `nparams`) + lengths + params, exactly as in a capture file or as the zone agent encoded it; the `len` fields delimit them and the last one ends the payload |
//!
//! libsinsp filters out a few enter events after its parser has used them (`open`, `openat`,
//! `openat2`, `creat`, `connect`, `execve`, `execveat` enter events: `sinsp_evt_filter` in
//! upstream `sinsp.cpp`), and events a capture marks state-only (`SCAP_DF_STATE_ONLY`). Falco
//! never evaluates rules on them. To give rules exactly the events Falco would, the source
//! does not emit those as events of their own: it carries them, in order, in front of the next
//! event of the same zone, and `parse_event` applies them to the zone's state before that event.
//!
//! The plugin payload ("param 1", what `falco_plugin` calls `event_data`) therefore starts at byte
//! 38 of the event, as the SDK's `ExtractByteRange::in_plugin_data` assumes. The zone slot is
//! only meaningful inside the running plugin instance that emitted the event (slots are never
//! reused during its lifetime, see `zones.rs`); captures of these events written by Falco can be
//! replayed only for their raw scap content.
//!
//! # Reading it back (the SDK hook)
//!
//! The SDK hands every event to `parse_event`, the extractors and `event_to_string` as an
//! `EventInput<E>`, and `EventInput::event()` converts the raw event with
//! `E: TryFrom<&RawEvent>`. Declaring `E` also declares which events the capability wants:
//! `AnyEventPayload::SOURCES` becomes `get_*_event_sources` and `EVENT_TYPES` becomes
//! `get_*_event_types`. [`ZoneEvent`] is that `E`: sources `["edera_zone"]`, types `[322]`, and a
//! bounds-checked, zero-copy split of the payload. The SDK's own generated event types are not
//! used (falco_plugin 0.5.1 carries an older copy of the libscap event table); the raw scap event
//! is decoded by the project's generated decoder (`edera-scap`).

use crate::zones::ZoneSlot;
use edera_scap::event::{EventHeader, HEADER_LEN};
use falco_plugin::event::events::{AnyEventPayload, EventMetadata, EventToBytes, RawEvent};
use std::io::Write;

/// The plugin id registered for `edera` in the falcosecurity plugin registry.
pub const PLUGIN_ID: u32 = 26;
/// The event source name registered for `edera`.
pub const EVENT_SOURCE: &str = "edera_zone";
/// `PPME_PLUGINEVENT_E`.
pub const PPME_PLUGINEVENT_E: u16 = 322;
/// Offset of the plugin payload (param 1) in a plugin event: header + 2 lengths + plugin id.
pub const PAYLOAD_OFFSET: usize = HEADER_LEN + 2 * 4 + 4;
/// Size of the payload header: zone slot (u32), cpu (u16), state-only count (u16).
pub const PAYLOAD_HEADER_LEN: usize = 8;
/// Offset of the first raw scap event in a plugin event.
pub const RAW_EVENT_OFFSET: usize = PAYLOAD_OFFSET + PAYLOAD_HEADER_LEN;
/// Most state-only events carried in front of one event.
pub const MAX_STATE_ONLY: usize = u16::MAX as usize;
/// The largest raw event that fits (the plugin event's `len` is a `u32`).
pub const MAX_RAW_EVENT_LEN: usize = u32::MAX as usize - RAW_EVENT_OFFSET;

/// Why a plugin event is not one of ours, or is damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not a `PPME_PLUGINEVENT_E`.
    #[error("event type {0} is not PPME_PLUGINEVENT_E (322)")]
    NotPluginEvent(u16),
    /// Wrong parameter count.
    #[error("plugin event has {0} parameters, expected 2")]
    ParamCount(u32),
    /// The parameter lengths do not add up to the event size.
    #[error("plugin event parameter lengths do not match its size")]
    Lengths,
    /// Another plugin's event.
    #[error("plugin id {0} is not edera's (26)")]
    PluginId(u32),
    /// The payload is shorter than its header.
    #[error("payload of {0} bytes is too short for its header")]
    NoHeader(usize),
    /// The raw scap event is shorter than its header or its `len` field disagrees with its size.
    #[error("raw scap event of {got} bytes is damaged (its header says {claimed})")]
    RawEvent {
        /// Bytes present.
        got: usize,
        /// What its header's `len` field says (0 if there is no header).
        claimed: u32,
    },
}

/// One event as the plugin sees it in parse, extract and event-to-string: the emitting
/// zone and the raw scap event, borrowed from Falco's event buffer.
#[derive(Debug, Clone, Copy)]
pub struct ZoneEvent<'a> {
    /// The plugin event header's timestamp (= the raw event's timestamp for events we emitted).
    pub ts: u64,
    /// The zone the event came from.
    pub zone: ZoneSlot,
    /// The CPU the event was captured on.
    pub cpu: u16,
    /// State-only raw events to apply before this one (see the module docs), back to back.
    pub state_only: StateOnly<'a>,
    /// The raw scap event: at least [`HEADER_LEN`] bytes, its `len` field equal to its size.
    pub raw: &'a [u8],
}

/// The state-only events in front of an event: `count` raw events, back to back, each
/// already checked to be at least a header long and to fit.
#[derive(Debug, Clone, Copy, Default)]
pub struct StateOnly<'a> {
    bytes: &'a [u8],
}

impl<'a> StateOnly<'a> {
    /// The raw events, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut rest = self.bytes;
        std::iter::from_fn(move || {
            let len = raw_len(rest)?;
            let (ev, tail) = rest.split_at(len);
            rest = tail;
            Some(ev)
        })
    }
}

/// Length of the raw event at the start of `buf`, if its header is there, its `len` is at
/// least a header and it fits in `buf`.
fn raw_len(buf: &[u8]) -> Option<usize> {
    let len = claimed_len(buf) as usize;
    (len >= HEADER_LEN && len <= buf.len()).then_some(len)
}

/// The `len` field of the raw event header at the start of `buf` (0 when the header is cut).
fn claimed_len(buf: &[u8]) -> u32 {
    EventHeader::parse(buf).map_or(0, |h| h.len)
}

impl ZoneEvent<'_> {}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    let bytes = buf.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

/// A plugin event as the SDK hands it over, not checked yet: header fields and payload (the
/// parameter lengths and parameters). The extract capability's event type: the SDK makes it
/// per field without work, and extraction decodes it ([`ZoneEvent::decode`]) once per event
/// (see `fields::ctx`).
#[derive(Debug, Clone, Copy)]
pub struct PluginEvent<'a> {
    /// The header timestamp.
    pub ts: u64,
    pub event_type: u16,
    pub nparams: u32,
    /// Everything after the header.
    pub payload: &'a [u8],
}

impl<'a, 'b> From<&'b RawEvent<'a>> for PluginEvent<'a> {
    fn from(event: &'b RawEvent<'a>) -> Self {
        PluginEvent {
            ts: event.metadata.ts,
            event_type: event.event_type,
            nparams: event.nparams,
            payload: event.payload,
        }
    }
}

impl AnyEventPayload for PluginEvent<'_> {
    const SOURCES: &'static [Option<&'static str>] = ZoneEvent::SOURCES;
    const EVENT_TYPES: &'static [u16] = ZoneEvent::EVENT_TYPES;
}

/// Where a decoded [`ZoneEvent`] lies in its plugin event, without the bytes: the raw event
/// and the state-only events in front of it end the payload. Kept to view the same event again
/// without decoding it ([`ZoneEventLayout::view`]).
#[derive(Debug, Clone, Copy)]
pub struct ZoneEventLayout {
    zone: ZoneSlot,
    cpu: u16,
    state_only_len: usize,
    raw_len: usize,
}

impl ZoneEventLayout {
    /// The zone event of this layout in `event`, which must be the plugin event it was decoded
    /// from: `None` when its payload is too short for it (another payload of the same length
    /// gives other values, always within the payload).
    pub fn view<'a>(&self, event: &PluginEvent<'a>) -> Option<ZoneEvent<'a>> {
        let payload = event.payload;
        let raw_start = payload.len().checked_sub(self.raw_len)?;
        let state_start = raw_start.checked_sub(self.state_only_len)?;
        Some(ZoneEvent {
            ts: event.ts,
            zone: self.zone,
            cpu: self.cpu,
            state_only: StateOnly {
                bytes: &payload[state_start..raw_start],
            },
            raw: &payload[raw_start..],
        })
    }
}

impl<'a> ZoneEvent<'a> {
    /// Split a plugin event (header already decoded by the SDK) into zone slot and raw event.
    pub fn from_raw(event: &RawEvent<'a>) -> Result<Self, PayloadError> {
        ZoneEvent::decode(&PluginEvent::from(event))
    }

    /// Where this event lies in the plugin event it was decoded from.
    pub fn layout(&self) -> ZoneEventLayout {
        ZoneEventLayout {
            zone: self.zone,
            cpu: self.cpu,
            state_only_len: self.state_only.bytes.len(),
            raw_len: self.raw.len(),
        }
    }

    /// Split a plugin event into zone slot and raw event.
    pub fn decode(event: &PluginEvent<'a>) -> Result<Self, PayloadError> {
        if event.event_type != PPME_PLUGINEVENT_E {
            return Err(PayloadError::NotPluginEvent(event.event_type));
        }
        if event.nparams != 2 {
            return Err(PayloadError::ParamCount(event.nparams));
        }
        let payload = event.payload;
        let (Some(len0), Some(len1)) = (u32_at(payload, 0), u32_at(payload, 4)) else {
            return Err(PayloadError::Lengths);
        };
        let (len0, len1) = (len0 as usize, len1 as usize);
        let params = &payload[8..];
        if len0 != 4 || params.len().checked_sub(len0) != Some(len1) {
            return Err(PayloadError::Lengths);
        }
        let plugin_id = u32_at(params, 0).ok_or(PayloadError::Lengths)?;
        if plugin_id != PLUGIN_ID {
            return Err(PayloadError::PluginId(plugin_id));
        }
        let data = &params[len0..len0 + len1];
        let Some((head, events)) = data.split_first_chunk::<PAYLOAD_HEADER_LEN>() else {
            return Err(PayloadError::NoHeader(data.len()));
        };
        let slot = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let cpu = u16::from_le_bytes([head[4], head[5]]);
        let count = u16::from_le_bytes([head[6], head[7]]);
        let mut at = 0usize;
        for _ in 0..count {
            let len = raw_len(&events[at..]).ok_or(PayloadError::RawEvent {
                got: events.len() - at,
                claimed: claimed_len(&events[at..]),
            })?;
            at += len;
        }
        let (state_only, raw) = events.split_at(at);
        let claimed = claimed_len(raw);
        if raw.len() < HEADER_LEN || claimed as usize != raw.len() {
            return Err(PayloadError::RawEvent {
                got: raw.len(),
                claimed,
            });
        }
        Ok(ZoneEvent {
            ts: event.ts,
            zone: ZoneSlot(slot),
            cpu,
            state_only: StateOnly { bytes: state_only },
            raw,
        })
    }
}

impl<'a, 'b> TryFrom<&'b RawEvent<'a>> for ZoneEvent<'a> {
    type Error = PayloadError;

    fn try_from(event: &'b RawEvent<'a>) -> Result<Self, Self::Error> {
        ZoneEvent::from_raw(event)
    }
}

impl AnyEventPayload for ZoneEvent<'_> {
    const SOURCES: &'static [Option<&'static str>] = &[Some(EVENT_SOURCE)];
    const EVENT_TYPES: &'static [u16] = &[PPME_PLUGINEVENT_E];
}

/// An event to emit: written straight into the SDK's batch arena by `EventBatch::add`
/// (no intermediate buffer), with the header timestamp set to `ts`.
///
/// (The SDK's `SourcePluginInstance::plugin_event(data)` helper would build the same
/// `PPME_PLUGINEVENT_E` but with `ts = u64::MAX`, which libscap replaces with "now", and
/// it needs the payload in one contiguous slice.)
#[derive(Debug, Clone, Copy)]
pub struct OutgoingEvent<'a> {
    /// Header timestamp: the captured event's timestamp.
    pub ts: u64,
    /// The emitting zone.
    pub zone: ZoneSlot,
    /// The CPU the event was captured on.
    pub cpu: u16,
    /// `state_only.1` state-only raw events, back to back (`state_only.0`), applied before `raw`.
    pub state_only: (&'a [u8], u16),
    /// One raw scap event; with the state-only events at most [`MAX_RAW_EVENT_LEN`] bytes.
    pub raw: &'a [u8],
}

impl OutgoingEvent<'_> {
    fn data_len(&self) -> usize {
        self.state_only.0.len() + self.raw.len()
    }
}

impl EventToBytes for OutgoingEvent<'_> {
    fn binary_size(&self) -> usize {
        RAW_EVENT_OFFSET + self.data_len()
    }

    fn write<W: Write>(&self, mut writer: W) -> std::io::Result<()> {
        if self.data_len() > MAX_RAW_EVENT_LEN {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "raw event too large for a plugin event",
            ));
        }
        // Both fit in u32: checked just above.
        let total = (RAW_EVENT_OFFSET + self.data_len()) as u32;
        let data_len = (PAYLOAD_HEADER_LEN + self.data_len()) as u32;
        let metadata = EventMetadata {
            ts: self.ts,
            tid: -1,
        };
        metadata.write_header(total, PPME_PLUGINEVENT_E, 2, &mut writer)?;
        writer.write_all(&4u32.to_ne_bytes())?;
        writer.write_all(&data_len.to_ne_bytes())?;
        writer.write_all(&PLUGIN_ID.to_ne_bytes())?;
        writer.write_all(&self.zone.0.to_le_bytes())?;
        writer.write_all(&self.cpu.to_le_bytes())?;
        writer.write_all(&self.state_only.1.to_le_bytes())?;
        writer.write_all(self.state_only.0)?;
        writer.write_all(self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal raw scap event (header only) of the given type and timestamp.
    fn raw_event(ts: u64, ty: u16) -> Vec<u8> {
        let mut v = [0u8; HEADER_LEN];
        EventHeader {
            ts,
            tid: 7,
            len: HEADER_LEN as u32,
            etype: ty,
            nparams: 0,
        }
        .write(&mut v);
        v.to_vec()
    }

    fn encode(ev: OutgoingEvent<'_>) -> Vec<u8> {
        let mut buf = Vec::new();
        ev.write(&mut buf).unwrap();
        assert_eq!(buf.len(), ev.binary_size());
        buf
    }

    #[test]
    fn round_trip() {
        let raw = raw_event(1_700_000_000_123, 3);
        let buf = encode(OutgoingEvent {
            ts: 1_700_000_000_123,
            zone: ZoneSlot(5),
            cpu: 7,
            state_only: (&[], 0),
            raw: &raw,
        });
        assert_eq!(&buf[38..42], &5u32.to_le_bytes());
        assert_eq!(&buf[42..44], &7u16.to_le_bytes());
        assert_eq!(&buf[46..], raw.as_slice());
        let ev = RawEvent::from(&buf).unwrap();
        assert_eq!(ev.metadata.ts, 1_700_000_000_123);
        assert_eq!(ev.len as usize, buf.len());
        let z = ZoneEvent::try_from(&ev).unwrap();
        assert_eq!(z.zone, ZoneSlot(5));
        assert_eq!(z.cpu, 7);
        assert_eq!(z.state_only.iter().count(), 0);
        assert_eq!(z.raw, raw.as_slice());
        assert_eq!(EventHeader::parse(z.raw).map(|h| h.etype).ok(), Some(3));
    }

    #[test]
    fn state_only_events_come_first_in_order() {
        let (a, b, raw) = (raw_event(1, 2), raw_event(2, 306), raw_event(3, 3));
        let hidden = [a.clone(), b.clone()].concat();
        let buf = encode(OutgoingEvent {
            ts: 3,
            zone: ZoneSlot(1),
            cpu: 0,
            state_only: (&hidden, 2),
            raw: &raw,
        });
        let ev = RawEvent::from(&buf).unwrap();
        let z = ZoneEvent::try_from(&ev).unwrap();
        let got: Vec<&[u8]> = z.state_only.iter().collect();
        assert_eq!(got, vec![a.as_slice(), b.as_slice()]);
        assert_eq!(z.raw, raw.as_slice());
        // A count larger than the events present is damage, not a panic.
        let mut bad = buf.clone();
        bad[44..46].copy_from_slice(&3u16.to_le_bytes());
        let ev = RawEvent::from(&bad).unwrap();
        assert!(matches!(
            ZoneEvent::try_from(&ev),
            Err(PayloadError::RawEvent { .. })
        ));
    }

    #[test]
    fn damaged_events_are_rejected() {
        let raw = raw_event(1, 3);
        let good = encode(OutgoingEvent {
            ts: 1,
            zone: ZoneSlot(0),
            cpu: 0,
            state_only: (&[], 0),
            raw: &raw,
        });
        // Wrong plugin id.
        let mut bad = good.clone();
        bad[34..38].copy_from_slice(&27u32.to_ne_bytes());
        let ev = RawEvent::from(&bad).unwrap();
        assert_eq!(
            ZoneEvent::try_from(&ev).unwrap_err(),
            PayloadError::PluginId(27)
        );
        // Payload length past the end.
        let mut bad = good.clone();
        bad[30..34].copy_from_slice(&1000u32.to_ne_bytes());
        let ev = RawEvent::from(&bad).unwrap();
        assert_eq!(ZoneEvent::try_from(&ev).unwrap_err(), PayloadError::Lengths);
        // Raw event truncated (and lengths adjusted to match).
        let mut bad = good[..good.len() - 1].to_vec();
        bad[30..34].copy_from_slice(&((PAYLOAD_HEADER_LEN + raw.len() - 1) as u32).to_ne_bytes());
        let ev = RawEvent::from(&bad).unwrap();
        assert!(matches!(
            ZoneEvent::try_from(&ev).unwrap_err(),
            PayloadError::RawEvent { .. }
        ));
        // Every truncation of the whole event is rejected without panicking.
        for n in 0..good.len() {
            if let Ok(ev) = RawEvent::from(&good[..n]) {
                let _ = ZoneEvent::try_from(&ev);
            }
        }
    }
}
