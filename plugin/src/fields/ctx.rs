//! What a field function sees of one event: the decoded payload (zone and raw scap event, borrowed
//! from Falco's buffer), the zone it came from and, when `parse_event` has just applied this
//! event, the zone's state for it. libsinsp asks one field per extraction call, hundreds per
//! event: the event is decoded once ([`DecodedEvent`], in the plugin) and each further field of
//! it views the kept layout. Resolving the event's thread and fd was done once by `parse_event`
//! and is kept in the zone state until the next event.

use edera_scap::event::{EventLayout, RawEvent};
use falco_plugin::anyhow;
use falco_plugin::extract::ExtractRequest;

use crate::payload::{PluginEvent, ZoneEvent, ZoneEventLayout};
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

/// The event extraction decoded last, and where its parts lie. Its identity is the host's
/// event number (unique per event in Falco and the harness) with the address and length of
/// its payload, so a kept layout never answers for another event; a layout viewed over other
/// bytes would still read only within them.
#[derive(Default)]
pub struct DecodedEvent {
    /// Event number, payload address and length.
    key: Option<(usize, usize, usize)>,
    /// `None` when the event does not decode.
    layouts: Option<(ZoneEventLayout, EventLayout)>,
}

impl DecodedEvent {
    /// Where the parts of `event` (number `number`) lie: kept when it is the event decoded
    /// last, else decoded.
    fn layouts(
        &mut self,
        number: usize,
        event: &PluginEvent<'_>,
    ) -> Option<(ZoneEventLayout, EventLayout)> {
        let key = Some((number, event.payload.as_ptr() as usize, event.payload.len()));
        if self.key != key {
            self.layouts = ZoneEvent::decode(event)
                .ok()
                .and_then(|z| Some((z.layout(), RawEvent::parse(z.raw).ok()?.layout())));
            self.key = key;
        }
        self.layouts
    }
}

/// Runs `f` on the decoded event; a payload or raw event that does not decode is no value
/// (it was counted as malformed when it was parsed).
pub fn with_event<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&Ctx<'_, '_>) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    let Ok(plugin_event) = req.event.event() else {
        return Ok(None);
    };
    let Some((zone_layout, raw_layout)) = p
        .decoded
        .borrow_mut()
        .layouts(req.event.event_number(), &plugin_event)
    else {
        return Ok(None);
    };
    let Some(event) = zone_layout.view(&plugin_event) else {
        return Ok(None);
    };
    let Some(raw) = raw_layout.view(event.raw) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::OutgoingEvent;
    use crate::zones::ZoneSlot;
    use edera_scap::event::{EventHeader, HEADER_LEN};
    use falco_plugin::event::events::EventToBytes;

    /// A raw scap event of one parameter.
    fn raw(param: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; HEADER_LEN];
        EventHeader {
            ts: 7,
            tid: 9,
            len: (HEADER_LEN + 2 + param.len()) as u32,
            etype: 3,
            nparams: 1,
        }
        .write((&mut v[..]).try_into().unwrap());
        v.extend_from_slice(&(param.len() as u16).to_le_bytes());
        v.extend_from_slice(param);
        v
    }

    /// A plugin event of zone `zone` carrying `raw`.
    fn plugin_event(zone: u32, raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        OutgoingEvent {
            ts: 5,
            zone: ZoneSlot(zone),
            cpu: 1,
            state_only: (&[], 0),
            raw,
        }
        .write(&mut out)
        .unwrap();
        out
    }

    fn as_input(bytes: &[u8]) -> PluginEvent<'_> {
        PluginEvent {
            ts: 5,
            event_type: crate::payload::PPME_PLUGINEVENT_E,
            nparams: 2,
            payload: &bytes[HEADER_LEN..],
        }
    }

    #[test]
    fn the_decoded_event_never_answers_for_another() {
        let a = plugin_event(1, &raw(b"aa"));
        let b = plugin_event(2, &raw(b"bb"));
        assert_eq!(a.len(), b.len());
        let mut damaged = a.clone();
        // The plugin id.
        damaged[HEADER_LEN + 8] ^= 1;
        // The host's buffer, reused for each event, as Falco's and the SDK's batch buffers are.
        let mut buffer = a.clone();
        let mut decoded = DecodedEvent::default();
        for (number, bytes, zone, param) in [
            (1, &a, 1, b"aa"),
            (1, &a, 1, b"aa"),
            (2, &b, 2, b"bb"),
            (3, &a, 1, b"aa"),
        ] {
            buffer.copy_from_slice(bytes);
            let input = as_input(&buffer);
            let (zone_layout, raw_layout) = decoded.layouts(number, &input).unwrap();
            let event = zone_layout.view(&input).unwrap();
            assert_eq!(event.zone, ZoneSlot(zone));
            assert_eq!(event.raw, &raw(param)[..]);
            assert_eq!(
                raw_layout.view(event.raw).unwrap().param(0),
                Some(&param[..])
            );
        }
        buffer.copy_from_slice(&damaged);
        assert!(decoded.layouts(4, &as_input(&buffer)).is_none());
        buffer.copy_from_slice(&a);
        assert!(decoded.layouts(5, &as_input(&buffer)).is_some());
    }
}
