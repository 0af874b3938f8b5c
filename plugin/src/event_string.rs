//! `evt.plugininfo`: the one-line rendering of an event (the source's event-to-string).

use crate::payload::ZoneEvent;
use crate::zones::ZoneRegistry;
use falco_plugin::anyhow;
use std::ffi::CString;

/// Render `event`. Placeholder until the generated decoder can render libsinsp's
/// `evt.args`-style line: `zone=<id> type=<scap event type> len=<bytes>`.
pub fn event_to_string(zones: &ZoneRegistry, event: &ZoneEvent<'_>) -> anyhow::Result<CString> {
    let zone = zones.get(event.zone).map_or("<unknown>", |z| z.id());
    let text = format!(
        "zone={zone} type={} len={}",
        event.scap_type(),
        event.raw.len()
    );
    // Zone ids are stored NUL-free, so this cannot fail; stay total anyway.
    Ok(CString::new(crate::ffi::c_safe(text))?)
}
