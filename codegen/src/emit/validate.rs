//! Cross-checks of the schema before anything is emitted. Each problem names the schema file
//! and the entry, so a bad import or a hand edit is easy to find.

use std::collections::BTreeSet;

use super::index::SchemaIndex;
use super::types::accessor_type;
use crate::model::{NameValue, Schema};

/// One validation problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {entry}: {message}")]
pub struct Problem {
    pub file: String,
    pub entry: String,
    pub message: String,
}

fn has(values: &[NameValue], name: &str) -> bool {
    values.iter().any(|v| v.name == name)
}

/// All problems of `schema` (empty when it is sound).
pub fn validate_schema(schema: &Schema) -> Vec<Problem> {
    let mut out = Vec::new();
    let c = &schema.constants;
    let ix = SchemaIndex::new(schema);
    let mut push = |file: &str, entry: String, message: String| {
        out.push(Problem {
            file: format!("schema/{file}"),
            entry,
            message,
        })
    };
    let flag_tables: BTreeSet<&str> = schema.flag_tables.iter().map(|t| t.name.as_str()).collect();
    let dyn_tables: BTreeSet<&str> = schema.dyn_tables.iter().map(|t| t.name.as_str()).collect();
    let mut ids = BTreeSet::new();
    let mut rust_names = std::collections::BTreeMap::new();
    for (i, e) in schema.events.iter().enumerate() {
        let entry = format!("event {} ({})", e.code, e.id);
        if usize::from(e.code) != i {
            push(
                "events.toml",
                entry.clone(),
                format!(
                    "code {} at position {i}: codes must be 0..N in order",
                    e.code
                ),
            );
        }
        if !ids.insert(e.id.as_str()) {
            push("events.toml", entry.clone(), "duplicate event id".into());
        }
        let rust_name = super::names::camel(&e.id, "PPME_");
        if let Some(other) = rust_names.insert(rust_name.clone(), e.id.as_str()) {
            push(
                "events.toml",
                entry.clone(),
                format!("its Rust name {rust_name} collides with {other}'s"),
            );
        }
        for cat in &e.category {
            if !has(&c.event_categories, cat) {
                push(
                    "events.toml",
                    entry.clone(),
                    format!("unknown category {cat}"),
                );
            }
        }
        for f in &e.flags {
            if !has(&c.event_flags, f) {
                push("events.toml", entry.clone(), format!("unknown flag {f}"));
            }
        }
        let mut seen = BTreeSet::new();
        for (pi, p) in e.params.iter().enumerate() {
            let pentry = format!("{entry} param {pi} '{}'", p.name);
            if !seen.insert(p.name.as_str()) {
                push(
                    "events.toml",
                    pentry.clone(),
                    "duplicate parameter name".into(),
                );
            }
            if !has(&c.param_types, &p.ptype) {
                push(
                    "events.toml",
                    pentry.clone(),
                    format!("unknown type {}", p.ptype),
                );
            } else if accessor_type(&p.ptype).is_none() {
                push(
                    "events.toml",
                    pentry.clone(),
                    format!(
                        "type {} has no accessor mapping in codegen/src/emit/types.rs",
                        p.ptype
                    ),
                );
            }
            if !has(&c.print_formats, &p.fmt) {
                push(
                    "events.toml",
                    pentry.clone(),
                    format!("unknown print format {}", p.fmt),
                );
            }
            if let Some(t) = &p.flags
                && !flag_tables.contains(t.as_str())
            {
                push(
                    "events.toml",
                    pentry.clone(),
                    format!("unknown flags table {t}"),
                );
            }
            if let Some(t) = &p.dyn_table {
                if !dyn_tables.contains(t.as_str()) {
                    push(
                        "events.toml",
                        pentry.clone(),
                        format!("unknown dynamic table {t}"),
                    );
                }
                if p.ptype != "PT_DYN" {
                    push(
                        "events.toml",
                        pentry.clone(),
                        format!("dynamic table on a {} parameter", p.ptype),
                    );
                }
            }
            if let Some(d) = p.dirfd {
                match e.params.get(d as usize) {
                    Some(dp) if dp.ptype == "PT_FD" || dp.ptype == "PT_FD32" => {}
                    Some(dp) => push(
                        "events.toml",
                        pentry.clone(),
                        format!(
                            "dirfd {d} names '{}' of type {}, not an fd",
                            dp.name, dp.ptype
                        ),
                    ),
                    None => push(
                        "events.toml",
                        pentry.clone(),
                        format!("dirfd {d} is past the last parameter"),
                    ),
                }
            }
        }
    }
    for t in &schema.dyn_tables {
        for (i, d) in t.entries.iter().enumerate() {
            if d.index as usize != i {
                push(
                    "dyn_params.toml",
                    format!("table {} entry {}", t.name, d.id),
                    format!(
                        "index {} at position {i}: indexes must be 0..N in order",
                        d.index
                    ),
                );
            }
            if !has(&c.param_types, &d.ptype) || !has(&c.print_formats, &d.fmt) {
                push(
                    "dyn_params.toml",
                    format!("table {} entry {}", t.name, d.id),
                    format!("unknown type or format {} {}", d.ptype, d.fmt),
                );
            }
        }
    }
    for m in &schema.syscalls {
        // The generated lookup by number searches the map by bisection.
        for w in m.entries.windows(2) {
            if w[0].nr >= w[1].nr {
                let entry = format!("{} syscall {} ({})", m.arch, w[1].nr, w[1].name);
                push(
                    "syscalls.toml",
                    entry,
                    format!("not after syscall {}: the map is sorted by number", w[0].nr),
                );
            }
        }
        for s in &m.entries {
            let entry = format!("{} syscall {} ({})", m.arch, s.nr, s.name);
            for id in [&s.enter, &s.exit] {
                if !ix.has_event(id) {
                    push(
                        "syscalls.toml",
                        entry.clone(),
                        format!("unknown event {id}"),
                    );
                }
            }
            if !has(&c.ppm_sc, &s.ppm_sc) {
                push(
                    "syscalls.toml",
                    entry.clone(),
                    format!("unknown ppm_sc {}", s.ppm_sc),
                );
            }
            for f in &s.flags {
                if !has(&c.syscall_flags, f) {
                    push("syscalls.toml", entry.clone(), format!("unknown flag {f}"));
                }
            }
        }
    }
    out
}
