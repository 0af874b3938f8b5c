//! What a field function sees of one event: the decoded payload (zone and raw scap event, borrowed
//! from Falco's buffer) and the zone it came from. Decoding is a bounds check and ~26 bytes of
//! header reads, so it is done per call rather than cached.

use edera_scap::event::RawEvent;
use falco_plugin::anyhow;
use falco_plugin::extract::ExtractRequest;

use crate::payload::ZoneEvent;
use crate::render::{Lookup, NoState};
use crate::plugin::EderaPlugin;
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

impl Ctx<'_, '_> {
    /// What rendering may consult of the zone's state for this event.
    // The per-zone state plugs in here; until it exists, renderings see no thread.
    pub fn lookup(&self) -> impl Lookup + '_ {
        NoState
    }
}
