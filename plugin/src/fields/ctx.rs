//! What a field function sees of one event: the decoded payload (zone and raw scap event, borrowed
//! from Falco's buffer), the zone it came from and, when `parse_event` has just applied this
//! event, the zone's state for it. Decoding is a bounds check and a walk over the parameter
//! lengths, so it is done per call; the expensive part, resolving the event's thread and fd, was
//! done once by `parse_event` and is kept in the zone state until the next event.

use edera_scap::event::RawEvent;
use falco_plugin::anyhow;
use falco_plugin::extract::ExtractRequest;

use crate::payload::ZoneEvent;
use crate::plugin::EderaPlugin;
use crate::render::Lookup;
use crate::state::{FdInfo, Thread};
use crate::state::{StateLookup, ZoneState};
use crate::zones::Zone;

/// The SDK's request type for this plugin.
pub type Req<'c, 'e, 'r, 't> = ExtractRequest<'c, 'e, 'r, 't, EderaPlugin>;

/// One event, decoded.
pub struct Ctx<'e, 'p> {
    /// The payload: zone slot, header timestamp, raw bytes.
    pub event: ZoneEvent<'e>,
    /// The raw scap event, parsed.
    pub raw: RawEvent<'e>,
    /// The zone, if it is still registered.
    pub zone: Option<&'p Zone>,
    /// The plugin (state, config).
    pub plugin: &'p EderaPlugin,
}

/// Runs `f` on the decoded event; a payload or raw event that does not decode is no value
/// (it was counted as malformed when it was parsed).
pub fn with_event<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&Ctx<'_, '_>) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    let Ok(event) = req.event.event() else {
        return Ok(None);
    };
    let Ok(raw) = RawEvent::parse(event.raw) else {
        return Ok(None);
    };
    let ctx = Ctx {
        event,
        raw,
        zone: p.zones.get(event.zone),
        plugin: p,
    };
    Ok(f(&ctx))
}

impl<'e, 'p> Ctx<'e, 'p> {
    /// The zone's state, when it answers for this event (the event was the last one parsed).
    /// `None` when the host did not run `parse_event` on it, or the zone is gone.
    pub fn state(&self) -> Option<&'p ZoneState> {
        let zone = self.zone?;
        self.plugin
            .current
            .is(self.event.zone, &self.raw)
            .then_some(&zone.state)
    }

    /// What rendering may consult of the zone's state for this event.
    pub fn lookup(&self) -> impl Lookup + 'p {
        self.state().map(StateLookup)
    }
}

/// Shortcuts to the state as field functions use it; all `None` when the state does not
/// answer for this event.
impl<'e, 'p> Ctx<'e, 'p> {
    /// The event's thread (libsinsp's `evt.get_thread_info()`).
    pub fn thread(&self) -> Option<&'p Thread> {
        self.state()?.event_thread()
    }

    /// The fd entry the event refers to.
    pub fn fd(&self) -> Option<&'p FdInfo> {
        self.state()?.event_fd()
    }
}
