//! The source capability: open params, inputs, and `next_batch`.
//!
//! # How sourcing works in falco_plugin 0.5.1
//!
//! - `SourcePlugin::open(&mut self, params: Option<&str>) -> anyhow::Result<Self::Instance>`:
//!   `params` is `None` when the host passes NULL (as `falco_plugin_runner` 0.5.1 always does) and
//!   `Some("")` when Falco has no `open_params`. Hence [`select_input`]: open params first, then
//!   the init config's `source`, then zone mode.
//! - `SourcePluginInstance::next_batch(&mut self, plugin: &mut Plugin, batch: &mut EventBatch)
//!   -> anyhow::Result<()>`: add events with `batch.add(impl EventToBytes) -> io::Result<()>`,
//!   which serialises the event into an arena the SDK resets at the start of the next call (so
//!   event pointers handed to Falco stay valid until then). Return `Ok(())` with events in the
//!   batch, or an error carrying `FailureReason::Timeout` (nothing now, try again) or
//!   `FailureReason::Eof` (done) as context, e.g.
//!   `Err(anyhow!("no events").context(FailureReason::Timeout))`. **On any `Err` the SDK reports
//!   zero events**, so events already added are lost: EOF must be returned by a later call.
//! - An event's header timestamp is whatever the event bytes say; the SDK's `plugin_event()`
//!   helper uses `u64::MAX` ("now" for libscap), so we write events ourselves
//!   ([`payload::OutgoingEvent`]) with the captured timestamp.
//! - `SourcePlugin::event_to_string(&mut self, event: &EventInput<Self::Event<'_>>) ->
//!   anyhow::Result<CString>` backs `evt.plugininfo`; on `Err` the SDK returns NULL (no value).
//! - `SourcePluginInstance::get_progress(&mut self) -> ProgressInfo { value, detail }`, `value`
//!   in percent (0.0 to 100.0).

mod carry;
mod file;
pub mod zone;

pub use carry::Carry;

use crate::config::{Config, InputKind};
use crate::ffi::{contain, guarded};
use crate::metrics::Metrics;
use crate::payload::{self, OutgoingEvent, ZoneEvent};
use crate::plugin::EderaPlugin;
use crate::zones::{ZoneRegistry, ZoneSlot};
use falco_plugin::FailureReason;
use falco_plugin::anyhow::{self, anyhow};
use falco_plugin::source::{
    EventBatch, EventInput, ProgressInfo, SourcePlugin, SourcePluginInstance,
};
use std::ffi::CString;

/// Pick the input: non-empty open params, else the init config's `source`, else zones.
pub fn select_input(open_params: Option<&str>, config: &Config) -> anyhow::Result<InputKind> {
    if let Some(params) = open_params.filter(|p| !p.trim().is_empty()) {
        return InputKind::parse(params).map_err(|e| anyhow!("invalid open params: {e}"));
    }
    match &config.source {
        Some(source) => {
            InputKind::parse(source).map_err(|e| anyhow!("invalid init config: key `source`: {e}"))
        }
        None => Ok(InputKind::Zones),
    }
}

/// What a [`Source`] has to say after filling a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// Events were (or may have been) added; call again.
    Ready,
    /// Nothing available right now; call again later.
    Timeout,
    /// No more events, ever. Must not be returned in a call that added events.
    Eof,
}

/// Where a [`Source`] puts its events.
pub trait EventSink {
    /// Append one event (its timestamp, zone, cpu, the raw scap event bytes) with the zone's
    /// held state-only events in front of it; `carry` is cleared when they were written.
    fn push(
        &mut self,
        ts: u64,
        zone: ZoneSlot,
        cpu: u16,
        carry: &mut Carry,
        raw: &[u8],
    ) -> anyhow::Result<()>;
    /// Zone `zone`'s event `raw`, which Falco shows to no rule (see `visibility.rs`): by
    /// default held in `carry`, to go in front of the zone's next shown event ([`Self::push`]).
    fn hold(&mut self, _zone: ZoneSlot, carry: &mut Carry, raw: &[u8]) -> anyhow::Result<()> {
        carry.hold(raw);
        Ok(())
    }
    /// Zone `zone`'s state was (re)built from a snapshot: the events it pushes next come after
    /// it. Sinks that hand the snapshot on (the syscall mode's seeding) note it here.
    fn snapshot_taken(&mut self, _zone: ZoneSlot) {}
    /// Number of events pushed so far in this batch.
    fn len(&self) -> usize;
    /// Whether nothing was pushed yet.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A producer of raw scap events tagged with their zone: a capture file, or the zone client.
pub trait Source: Send {
    /// Push up to `max` events into `sink`. Zones the source discovers are registered in `zones`.
    fn fill(
        &mut self,
        zones: &mut ZoneRegistry,
        sink: &mut dyn EventSink,
        max: usize,
    ) -> anyhow::Result<Poll>;

    /// Events found damaged, and events dropped, since the last call (for metrics).
    fn take_counts(&mut self) -> (u64, u64) {
        (0, 0)
    }

    /// Progress in percent (0 to 100) for inputs with an end.
    fn progress(&self) -> f64 {
        0.0
    }
}

/// An open input: the [`Source`] that open params and config select, and the batch size.
pub struct Input {
    source: Box<dyn Source>,
    batch_size: usize,
}

impl Input {
    /// Open the input `open_params` and `config` select (see [`select_input`]), its zones
    /// registered in `zones` with the config's state limits.
    pub fn open(
        open_params: Option<&str>,
        config: &Config,
        zones: &mut ZoneRegistry,
    ) -> anyhow::Result<Input> {
        let kind = select_input(open_params, config)?;
        zones.set_limits(config.limits.state_limits());
        let source: Box<dyn Source> = match kind {
            InputKind::File(path) => Box::new(file::FileSource::open(&path, zones)?),
            InputKind::Zones => Box::new(zone::ZoneSource::new(config)?),
        };
        Ok(Input {
            source,
            batch_size: config.batch_size as usize,
        })
    }

    /// Most events in one batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// One `next_batch`: up to [`Self::batch_size`] events into `sink`, counted in `metrics`.
    /// `Ok` when events were added, else the error that tells the SDK "timeout" or "end of
    /// input".
    pub fn fill(
        &mut self,
        zones: &mut ZoneRegistry,
        sink: &mut dyn EventSink,
        metrics: &Metrics,
    ) -> anyhow::Result<()> {
        let poll = self.source.fill(zones, sink, self.batch_size)?;
        let count = sink.len();
        Metrics::add(&metrics.events, count as u64);
        let (malformed, dropped) = self.source.take_counts();
        Metrics::add(&metrics.malformed, malformed);
        Metrics::add(&metrics.drops, dropped);
        if count > 0 {
            return Ok(());
        }
        match poll {
            Poll::Ready | Poll::Timeout => {
                Err(anyhow!("no events right now").context(FailureReason::Timeout))
            }
            Poll::Eof => Err(anyhow!("end of input").context(FailureReason::Eof)),
        }
    }

    /// `get_progress`'s answer.
    pub fn progress(&self) -> ProgressInfo<'static> {
        let value = contain("get_progress", || self.source.progress(), || 0.0);
        ProgressInfo {
            value: value.clamp(0.0, 100.0),
            detail: None,
        }
    }
}

/// The SDK's batch as an [`EventSink`].
struct BatchSink<'b, 'a> {
    batch: &'b mut EventBatch<'a>,
    metrics: &'b Metrics,
    count: usize,
}

impl EventSink for BatchSink<'_, '_> {
    fn push(
        &mut self,
        ts: u64,
        zone: ZoneSlot,
        cpu: u16,
        carry: &mut Carry,
        raw: &[u8],
    ) -> anyhow::Result<()> {
        if raw.len() > payload::MAX_RAW_EVENT_LEN {
            Metrics::add(&self.metrics.drops, 1);
            return Ok(());
        }
        let state_only = carry.take(raw.len());
        self.batch.add(OutgoingEvent {
            ts,
            zone,
            cpu,
            state_only,
            raw,
        })?;
        carry.clear();
        self.count += 1;
        Ok(())
    }

    fn len(&self) -> usize {
        self.count
    }
}

/// An open capture: one input.
pub struct EderaInstance {
    input: Input,
}

impl SourcePlugin for EderaPlugin {
    type Instance = EderaInstance;
    const EVENT_SOURCE: &'static std::ffi::CStr = c"edera_zone";
    const PLUGIN_ID: u32 = payload::PLUGIN_ID;
    type Event<'a> = ZoneEvent<'a>;

    fn open(&mut self, params: Option<&str>) -> anyhow::Result<EderaInstance> {
        guarded("open", || {
            Ok(EderaInstance {
                input: Input::open(params, &self.config, &mut self.zones)?,
            })
        })
    }

    fn event_to_string(&mut self, event: &EventInput<ZoneEvent<'_>>) -> anyhow::Result<CString> {
        guarded("event_to_string", || {
            let event = event.event()?;
            crate::event_string::event_to_string(self, &event)
        })
    }
}

impl SourcePluginInstance for EderaInstance {
    type Plugin = EderaPlugin;

    fn next_batch(
        &mut self,
        plugin: &mut EderaPlugin,
        batch: &mut EventBatch,
    ) -> anyhow::Result<()> {
        guarded("next_batch", || {
            batch.reserve(self.input.batch_size());
            let mut sink = BatchSink {
                batch,
                metrics: &plugin.metrics,
                count: 0,
            };
            self.input
                .fill(&mut plugin.zones, &mut sink, &plugin.metrics)
        })
    }

    fn get_progress(&mut self) -> ProgressInfo<'_> {
        self.input.progress()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_kinds() {
        assert_eq!(InputKind::parse(""), Ok(InputKind::Zones));
        assert_eq!(
            InputKind::parse("file:///a/b.scap"),
            Ok(InputKind::File("/a/b.scap".into()))
        );
        assert!(InputKind::parse("file://a/b.scap").is_err());
        assert!(InputKind::parse("/a/b.scap").is_err());
    }

    #[test]
    fn open_params_win_over_config() {
        let config = Config {
            source: Some("file:///from/config.scap".into()),
            ..Config::default()
        };
        assert_eq!(
            select_input(None, &config).unwrap(),
            InputKind::File("/from/config.scap".into())
        );
        assert_eq!(
            select_input(Some(""), &config).unwrap(),
            InputKind::File("/from/config.scap".into())
        );
        assert_eq!(
            select_input(Some("file:///p.scap"), &config).unwrap(),
            InputKind::File("/p.scap".into())
        );
        assert_eq!(
            select_input(None, &Config::default()).unwrap(),
            InputKind::Zones
        );
        let e = select_input(Some("nope"), &config).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid open params: unsupported source `nope`"),
            "{e}"
        );
    }
}
