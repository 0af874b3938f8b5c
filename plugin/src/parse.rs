//! The parse capability: every event passes here, in order, before any extraction.
//!
//! # falco_plugin 0.5.1
//!
//! `ParsePlugin::parse_event(&mut self, event: &EventInput<Self::Event<'_>>, input: &ParseInput)
//! -> anyhow::Result<()>`; `Self::Event` declares the wanted sources and event types, like for
//! extraction. An `Err` makes libsinsp fail the whole capture, so damaged events are counted
//! and skipped, never reported as errors.

use crate::ffi::guarded;
use crate::metrics::Metrics;
use crate::payload::ZoneEvent;
use crate::plugin::EderaPlugin;
use falco_plugin::anyhow;
use falco_plugin::parse::{EventInput, ParseInput, ParsePlugin};

impl ParsePlugin for EderaPlugin {
    type Event<'a> = ZoneEvent<'a>;

    fn parse_event(
        &mut self,
        event: &EventInput<ZoneEvent<'_>>,
        _input: &ParseInput,
    ) -> anyhow::Result<()> {
        guarded("parse_event", || {
            match event.event() {
                // TODO(state): update the zone's thread/fd/user state from `event`.
                Ok(_event) => {}
                Err(_) => Metrics::add(&self.metrics.malformed, 1),
            }
            Ok(())
        })
    }
}
