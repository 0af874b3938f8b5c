//! `evt.plugininfo`: the one-line rendering of an event (the source's event-to-string), as
//! libsinsp renders a syscall event: the event type, then `evt.args`
//! (`openat fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd ...`).

use crate::payload::ZoneEvent;
use crate::plugin::EderaPlugin;
use crate::render;
use crate::state::StateLookup;
use edera_scap::event::RawEvent;
use falco_plugin::anyhow::{self, anyhow};
use std::ffi::CString;

/// Render `event`, resolving fds, pids and paths against its zone's state when that state
/// answers for it; an undecodable raw event has no rendering (no value).
pub fn event_to_string(p: &EderaPlugin, event: &ZoneEvent<'_>) -> anyhow::Result<CString> {
    let raw = RawEvent::parse(event.raw).map_err(|e| anyhow!("{e}"))?;
    let state = p
        .zones
        .get(event.zone)
        .filter(|_| p.current.is(event.zone, &raw))
        .map(|z| StateLookup(&z.state));
    let mut line = render::event_line(&raw, &state);
    line.retain(|&b| b != 0);
    Ok(CString::new(line)?)
}
