//! The generated event table as the reader's [`EventTable`].

use super::events::{EventShape, EventTable};
use crate::info::event_info;

/// Parameter counts and large-payload flags from the generated tables (`crate::tables`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GeneratedTable;

impl EventTable for GeneratedTable {
    #[inline]
    fn shape(&self, event_type: u16) -> Option<EventShape> {
        event_info(event_type).map(|e| EventShape {
            nparams: e.params.len() as u32,
            large_payload: e.large_payload(),
        })
    }
}
