//! `edera.zone.*` fields.

use crate::ffi::guarded;
use crate::plugin::EderaPlugin;
use falco_plugin::anyhow;
use falco_plugin::extract::ExtractRequest;
use std::ffi::CString;

impl EderaPlugin {
    /// `edera.zone.id`: the id of the zone the event came from; no value for a damaged event
    /// or a zone that is no longer registered.
    pub(crate) fn extract_zone_id(
        &mut self,
        req: ExtractRequest<Self>,
    ) -> anyhow::Result<Option<CString>> {
        guarded("edera.zone.id", || {
            let Ok(event) = req.event.event() else {
                return Ok(None);
            };
            Ok(self.zones.get(event.zone).map(|zone| zone.id_c().clone()))
        })
    }
}
