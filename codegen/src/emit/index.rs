//! Lookups over a validated schema that several emitters share.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Schema;

/// Name → code and parameter-name ids, built once per generation.
pub struct SchemaIndex {
    codes: BTreeMap<String, u16>,
    /// Every distinct parameter name, sorted.
    pub param_names: Vec<String>,
}

impl SchemaIndex {
    pub fn new(schema: &Schema) -> Self {
        let codes = schema
            .events
            .iter()
            .map(|e| (e.id.clone(), e.code))
            .collect();
        let names: BTreeSet<&str> = schema
            .events
            .iter()
            .flat_map(|e| e.params.iter().map(|p| p.name.as_str()))
            .collect();
        SchemaIndex {
            codes,
            param_names: names.into_iter().map(str::to_string).collect(),
        }
    }

    /// The code of an event id; validation guarantees it exists.
    pub fn code(&self, id: &str) -> u16 {
        self.codes.get(id).copied().unwrap_or(0)
    }

    pub fn has_event(&self, id: &str) -> bool {
        self.codes.contains_key(id)
    }

    /// Position of a parameter name in [`Self::param_names`].
    pub fn name_id(&self, name: &str) -> u16 {
        self.param_names
            .binary_search_by(|n| n.as_str().cmp(name))
            .map(|i| i as u16)
            .unwrap_or(u16::MAX)
    }
}
