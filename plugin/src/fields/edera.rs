//! `edera.*`: which zone an event comes from.

use std::ffi::CString;

use falco_plugin::anyhow;

use super::ctx::{Req, with_event};
use crate::plugin::EderaPlugin;

/// `edera.zone.id`: the zone's id; no value when the zone is no longer registered.
pub fn zone_id(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| c.zone.map(|z| z.id_c().clone()))
}

/// `edera.zone.name`: the zone's name as the daemon reports it (the file name for replays).
pub fn zone_name(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| c.zone.map(|z| z.name_c().clone()))
}
