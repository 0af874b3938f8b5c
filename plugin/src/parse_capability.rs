//! The parse capability: every event passes here, in order, before any extraction.
//!
//! # falco_plugin 0.5.1
//!
//! `ParsePlugin::parse_event(&mut self, event: &EventInput<Self::Event<'_>>, input: &ParseInput)
//! -> anyhow::Result<()>`; `Self::Event` declares the wanted sources and event types, like for
//! extraction. An `Err` makes libsinsp fail the whole capture, so damaged events are counted
//! and skipped, never reported as errors.
//!
//! Each event updates its own zone's state: first the state-only events carried in front of
//! it (see `payload.rs`), then the event itself. What the fields of the event need (its
//! thread, its fd, the previous event's time) is then known until the next event, and
//! [`Current`] records which event that is, so that extraction never answers for an event
//! with the state of another. It also keeps the event's `evt.type`, which every rule of the
//! `edera_zone` source asks first (Falco indexes plugin-source rules by nothing): extraction
//! answers it from here, without decoding the event again, when Falco's event number matches.

use crate::ffi::guarded;
use crate::metrics::Metrics;
use crate::payload::ZoneEvent;
use crate::plugin::EderaPlugin;
use crate::render::event_type_name;
use crate::zones::ZoneSlot;
use edera_scap::event::RawEvent;
use falco_plugin::anyhow;
use falco_plugin::parse::{EventInput, ParseInput, ParsePlugin};

/// The last parsed event: what the zone state currently answers for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Current {
    /// The event's zone.
    pub zone: Option<ZoneSlot>,
    /// Header of the raw event (timestamp, tid, type, length), as its identity.
    pub key: (u64, u64, u16, u32),
    /// Timestamp of the event parsed before it (any zone), for `evt.deltatime`; 0 for the first.
    pub prev_ts: u64,
    /// The event's number (the host's `evtnum`) and `evt.type`, when it decoded.
    pub evt_type: Option<(usize, &'static str)>,
}

impl Current {
    /// The identity of a raw event.
    pub fn key_of(raw: &RawEvent<'_>) -> (u64, u64, u16, u32) {
        let h = &raw.header;
        (h.ts, h.tid, h.etype, h.len)
    }

    /// Whether the state answers for this event of this zone.
    pub fn is(&self, zone: ZoneSlot, raw: &RawEvent<'_>) -> bool {
        self.zone == Some(zone) && self.key == Current::key_of(raw)
    }

    /// The `evt.type` of event number `number`, if it is the one parsed last.
    pub fn evt_type(&self, number: usize) -> Option<&'static str> {
        self.evt_type
            .and_then(|(n, name)| (n == number).then_some(name))
    }
}

impl EderaPlugin {
    /// Apply one plugin event, number `number`, to its zone's state.
    pub fn parse_zone_event(&mut self, event: &ZoneEvent<'_>, number: usize) {
        let prev_ts = self.current.key.0;
        self.current = Current {
            zone: None,
            key: (event.ts, 0, 0, 0),
            prev_ts,
            evt_type: None,
        };
        let Some(zone) = self.zones.get_mut(event.zone) else {
            return;
        };
        let before = zone.state.counters.malformed_events;
        for raw in event.state_only.iter() {
            match RawEvent::parse(raw) {
                Ok(raw) => {
                    zone.state.apply(&raw);
                }
                Err(_) => Metrics::add(&self.metrics.malformed, 1),
            }
        }
        let Ok(raw) = RawEvent::parse(event.raw) else {
            Metrics::add(&self.metrics.malformed, 1);
            return;
        };
        zone.state.apply(&raw);
        let newly = zone.state.counters.malformed_events - before;
        Metrics::add(&self.metrics.malformed, newly);
        self.current = Current {
            zone: Some(event.zone),
            key: Current::key_of(&raw),
            prev_ts,
            evt_type: Some((number, event_type_name(&raw, true))),
        };
    }
}

impl ParsePlugin for EderaPlugin {
    type Event<'a> = ZoneEvent<'a>;

    fn parse_event(
        &mut self,
        event: &EventInput<ZoneEvent<'_>>,
        _input: &ParseInput,
    ) -> anyhow::Result<()> {
        guarded("parse_event", || {
            match event.event() {
                Ok(ev) => self.parse_zone_event(&ev, event.event_number()),
                Err(_) => Metrics::add(&self.metrics.malformed, 1),
            }
            Ok(())
        })
    }
}
