//! The zone-snapshot marker: one `PPME_ASYNCEVENT_E` (plugin id 0, so libsinsp gives it the
//! syscall source) named `edera_zone_snapshot`, carrying a zone number, that the source emits
//! just before the first event after each of the zone's snapshots. The parse capability takes
//! only this event type, so libsinsp calls it once per snapshot instead of on every event.
//!
//! Falco indexes every rule under `PPME_ASYNCEVENT_E` as well; the marker's thread is Falco's
//! own process, whose events libsinsp parses (plugin parsers included) but does not hand to
//! Falco's rules (`sinsp_evt_filter`, outside debug mode). Zones cannot forge a marker: their
//! async events are refused ([`crate::namespace`]).

use edera_scap::event::{EventHeader, HEADER_LEN};
use falco_plugin::event::AsyncEvent;
use falco_plugin::event::events::Event;

/// `PPME_ASYNCEVENT_E`.
pub const ASYNC_EVENT: u16 = 402;
/// The marker's name.
const NAME: &[u8] = b"edera_zone_snapshot\0";

/// The marker as the parse capability receives it.
pub type Marker<'a> = Event<AsyncEvent<'a, &'a [u8]>>;

/// Writes the marker of zone `zone` (its number in namespaced ids), timestamped `ts`, into `out`
/// (cleared first).
pub fn write(zone: u32, ts: u64, out: &mut Vec<u8>) {
    let zone = zone.to_le_bytes();
    let params: [&[u8]; 3] = [&0u32.to_le_bytes(), NAME, &zone];
    out.clear();
    out.resize(HEADER_LEN, 0);
    for p in params {
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
    }
    for p in params {
        out.extend_from_slice(p);
    }
    let header = EventHeader {
        ts,
        tid: u64::from(std::process::id()),
        len: out.len() as u32,
        etype: ASYNC_EVENT,
        nparams: params.len() as u32,
    };
    if let Ok(head) = <&mut [u8; HEADER_LEN]>::try_from(&mut out[..HEADER_LEN]) {
        header.write(head);
    }
}

/// The zone a marker names; `None` for any other async event.
pub fn zone(event: &Marker<'_>) -> Option<u32> {
    let ev = &event.params;
    if ev.plugin_id != 0 || ev.name.to_bytes_with_nul() != NAME {
        return None;
    }
    Some(u32::from_le_bytes(ev.data.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use falco_plugin::event::events::RawEvent;

    #[test]
    fn a_marker_reads_back_as_its_zone() {
        let mut out = Vec::new();
        write(7, 1234, &mut out);
        let raw = RawEvent::from(&out).unwrap();
        assert_eq!(raw.event_type, ASYNC_EVENT);
        assert_eq!(raw.metadata.ts, 1234);
        assert_eq!(raw.metadata.tid, i64::from(std::process::id()));
        let marker: Marker<'_> = raw.load().unwrap();
        assert_eq!(zone(&marker), Some(7));
    }

    #[test]
    fn other_async_events_name_no_zone() {
        let mut out = Vec::new();
        write(7, 1, &mut out);
        // The name's first byte, after the header, three lengths and the plugin id.
        out[HEADER_LEN + 12 + 4] = b'x';
        let raw = RawEvent::from(&out).unwrap();
        assert_eq!(zone(&raw.load().unwrap()), None);
    }
}
