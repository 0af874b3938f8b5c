//! `schema/conversions.toml`: libscap's event converter table as data. [`load_conversions`]
//! reads it, [`validate::validate`] checks it against the schema, and
//! [`crate::emit::generate_conversions`] turns it into the static table compiled into
//! `edera-scap`.

pub mod model;
pub mod sizes;
pub mod validate;

use std::path::Path;

pub use model::*;

use crate::schema_io::SchemaIoError;

/// The file's name inside `schema/`.
pub const CONVERSIONS_FILE: &str = "conversions.toml";

/// Loads `dir/conversions.toml`. Errors name the file (and, for syntax and type errors, the line).
pub fn load_conversions(dir: &Path) -> Result<Conversions, SchemaIoError> {
    let path = dir.join(CONVERSIONS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| SchemaIoError::Read {
        path: path.clone(),
        source,
    })?;
    parse_conversions(&text).map_err(|source| SchemaIoError::Parse {
        path,
        source: Box::new(source),
    })
}

/// Parses the text of a conversions file.
pub fn parse_conversions(text: &str) -> Result<Conversions, toml::de::Error> {
    toml::from_str(text)
}
