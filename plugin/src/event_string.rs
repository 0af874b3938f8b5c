//! `evt.plugininfo`: the one-line rendering of an event (the source's event-to-string), as
//! libsinsp renders a syscall event: the event type, then `evt.args`
//! (`openat fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd ...`).

use crate::payload::ZoneEvent;
use crate::render::{self, NoState};
use crate::zones::ZoneRegistry;
use edera_scap::event::RawEvent;
use falco_plugin::anyhow::{self, anyhow};
use std::ffi::CString;

/// Render `event`; an undecodable raw event has no rendering (no value).
pub fn event_to_string(_zones: &ZoneRegistry, event: &ZoneEvent<'_>) -> anyhow::Result<CString> {
    let raw = RawEvent::parse(event.raw).map_err(|e| anyhow!("{e}"))?;
    // The per-zone state will resolve fds, pids and paths here once it exists.
    let mut line = render::event_line(&raw, &NoState);
    line.retain(|&b| b != 0);
    Ok(CString::new(line)?)
}
