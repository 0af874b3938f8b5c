//! `schema/libsinsp.toml`: what libsinsp does with some events (stores and hides them, consumes
//! them as initial state, parses them as a clone or an exec), which the driver's event table
//! does not say. [`load_libsinsp`] reads it, [`validate_libsinsp`] checks it against the schema,
//! and [`crate::emit::generate_libsinsp`] turns it into the predicates of `edera_scap::libsinsp`.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::emit::Problem;
use crate::model::{Direction, Schema};
use crate::schema_io::SchemaIoError;

/// The file's name inside `schema/`.
pub const LIBSINSP_FILE: &str = "libsinsp.toml";

/// The overlay: one section per behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Libsinsp {
    pub toctou_enter: Behaviour,
    pub fallback_enter: Behaviour,
    pub initial_state: Behaviour,
    pub clone_exit: Behaviour,
    pub exec_exit: Behaviour,
}

/// One behaviour: what it means, and the events that have it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    pub about: String,
    pub events: Vec<Entry>,
}

/// One event with the behaviour, and the upstream code that gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The `PPME_*` id of an event of `events.toml`.
    pub id: String,
    /// Where in libsinsp the behaviour comes from.
    pub upstream: String,
}

impl Libsinsp {
    /// Every behaviour: its section name, the direction its events must have, and the section.
    pub fn behaviours(&self) -> [(&'static str, Direction, &Behaviour); 5] {
        [
            ("toctou_enter", Direction::Enter, &self.toctou_enter),
            ("fallback_enter", Direction::Enter, &self.fallback_enter),
            ("initial_state", Direction::Enter, &self.initial_state),
            ("clone_exit", Direction::Exit, &self.clone_exit),
            ("exec_exit", Direction::Exit, &self.exec_exit),
        ]
    }
}

/// Loads `dir/libsinsp.toml`. Errors name the file (and, for syntax and type errors, the line).
pub fn load_libsinsp(dir: &Path) -> Result<Libsinsp, SchemaIoError> {
    crate::schema_io::load(dir, LIBSINSP_FILE)
}

/// Parses the text of an overlay file.
pub fn parse_libsinsp(text: &str) -> Result<Libsinsp, toml::de::Error> {
    toml::from_str(text)
}

/// All problems of the overlay against `schema` (empty when it is sound): an id the event table
/// lacks, an event of the wrong direction, an entry twice in a section, a missing citation.
pub fn validate_libsinsp(schema: &Schema, overlay: &Libsinsp) -> Vec<Problem> {
    let mut out = Vec::new();
    for (section, direction, b) in overlay.behaviours() {
        let mut seen = BTreeSet::new();
        for (i, e) in b.events.iter().enumerate() {
            let mut problem = |message: String| {
                out.push(Problem {
                    file: format!("schema/{LIBSINSP_FILE}"),
                    entry: format!("{section}.events[{i}] ({})", e.id),
                    message,
                })
            };
            match schema.events.iter().find(|ev| ev.id == e.id) {
                None => problem("no event of schema/events.toml has this id".into()),
                Some(ev) if ev.direction != direction => problem(format!(
                    "is an {} event; `{section}` lists {} events",
                    dir_word(ev.direction),
                    dir_word(direction)
                )),
                Some(_) => {}
            }
            if !seen.insert(e.id.as_str()) {
                problem(format!("listed twice in `{section}`"));
            }
            if e.upstream.trim().is_empty() {
                problem("`upstream` must cite the libsinsp code of the behaviour".into());
            }
        }
    }
    out
}

fn dir_word(d: Direction) -> &'static str {
    match d {
        Direction::Enter => "enter",
        Direction::Exit => "exit",
    }
}
