//! `agent/capture.toml`: the agent's capture plan as data. [`load_plan`] reads it,
//! [`validate::check`] checks it against the schema (every name, flag table and source kind,
//! and that every x86_64 syscall with an event of its own has a row or a reason), and
//! [`crate::emit::generate_capture`] turns it into the Rust table and the C header the agent
//! compiles.

pub mod layout;
pub mod model;
pub mod source;
pub mod validate;

use std::path::Path;

pub use model::*;

use crate::schema_io::SchemaIoError;

/// The file's path inside the workspace.
pub const CAPTURE_FILE: &str = "agent/capture.toml";

/// Loads the capture plan at `path`. Errors name the file (and, for syntax errors, the line).
pub fn load_plan(path: &Path) -> Result<CapturePlan, SchemaIoError> {
    let text = std::fs::read_to_string(path).map_err(|source| SchemaIoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_plan(&text).map_err(|source| SchemaIoError::Parse {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

/// Parses the text of a capture plan.
pub fn parse_plan(text: &str) -> Result<CapturePlan, toml::de::Error> {
    toml::from_str(text)
}
