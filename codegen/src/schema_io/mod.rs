//! Reading and writing a [`Schema`] as the six TOML files of `schema/`:
//! `version.toml`, `constants.toml`, `events.toml`, `flags.toml`, `dyn_params.toml`,
//! `syscalls.toml`.
//!
//! Writing uses a small deterministic renderer ([`render`]): fixed key order, one event or
//! table per block, one inline table per line, a comment header naming the source, no dates
//! or paths, so the same input always gives the same bytes. Reading uses serde and the `toml`
//! crate; errors name the file. Only these six files are ever written; nothing else in the
//! output folder is touched.

pub mod render;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::model::{Constants, DynTable, Event, FlagTable, Schema, SyscallMap, VersionInfo};

pub const VERSION_FILE: &str = "version.toml";
pub const CONSTANTS_FILE: &str = "constants.toml";
pub const EVENTS_FILE: &str = "events.toml";
pub const FLAGS_FILE: &str = "flags.toml";
pub const DYN_PARAMS_FILE: &str = "dyn_params.toml";
pub const SYSCALLS_FILE: &str = "syscalls.toml";

/// The files of a schema, in the order they are written.
pub const SCHEMA_FILES: [&str; 6] = [
    VERSION_FILE,
    CONSTANTS_FILE,
    EVENTS_FILE,
    FLAGS_FILE,
    DYN_PARAMS_FILE,
    SYSCALLS_FILE,
];

#[derive(Debug, thiserror::Error)]
pub enum SchemaIoError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: invalid schema file: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{file}: cannot render {what}: {reason}")]
    Render {
        file: &'static str,
        what: String,
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsFile {
    #[serde(default)]
    event: Vec<Event>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlagsFile {
    #[serde(default)]
    table: Vec<FlagTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DynFile {
    #[serde(default)]
    table: Vec<DynTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyscallsFile {
    #[serde(default)]
    map: Vec<SyscallMap>,
}

/// Renders every schema file: `(file name, contents)` in [`SCHEMA_FILES`] order.
pub fn render_schema(schema: &Schema) -> Result<Vec<(&'static str, String)>, SchemaIoError> {
    let v = &schema.version;
    Ok(vec![
        (VERSION_FILE, render::version(v)),
        (CONSTANTS_FILE, render::constants(v, &schema.constants)?),
        (EVENTS_FILE, render::events(v, &schema.events)),
        (FLAGS_FILE, render::flag_tables(v, &schema.flag_tables)?),
        (DYN_PARAMS_FILE, render::dyn_tables(v, &schema.dyn_tables)),
        (SYSCALLS_FILE, render::syscalls(v, &schema.syscalls)),
    ])
}

/// Writes the six schema files into `dir` (created if missing). Everything is rendered before
/// the first write, so a rendering error leaves the folder as it was.
pub fn write_schema(schema: &Schema, dir: &Path) -> Result<(), SchemaIoError> {
    let files = render_schema(schema)?;
    fs::create_dir_all(dir).map_err(|source| SchemaIoError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, text) in files {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|source| SchemaIoError::Write { path, source })?;
    }
    Ok(())
}

/// Loads only `dir/version.toml`.
pub fn load_version(dir: &Path) -> Result<VersionInfo, SchemaIoError> {
    load(dir, VERSION_FILE)
}

/// Loads the schema written by [`write_schema`] from `dir`.
pub fn load_schema(dir: &Path) -> Result<Schema, SchemaIoError> {
    let version: VersionInfo = load(dir, VERSION_FILE)?;
    let constants: Constants = load(dir, CONSTANTS_FILE)?;
    let events: EventsFile = load(dir, EVENTS_FILE)?;
    let flags: FlagsFile = load(dir, FLAGS_FILE)?;
    let dyns: DynFile = load(dir, DYN_PARAMS_FILE)?;
    let syscalls: SyscallsFile = load(dir, SYSCALLS_FILE)?;
    Ok(Schema {
        version,
        constants,
        events: events.event,
        flag_tables: flags.table,
        dyn_tables: dyns.table,
        syscalls: syscalls.map,
    })
}

/// Reads and parses `dir/name`; errors name the file.
pub(crate) fn load<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<T, SchemaIoError> {
    let path = dir.join(name);
    let text = fs::read_to_string(&path).map_err(|source| SchemaIoError::Read {
        path: path.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| SchemaIoError::Parse {
        path,
        source: Box::new(source),
    })
}
