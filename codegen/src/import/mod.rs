//! `codegen import`: reads an upstream falcosecurity/libs `driver/` folder and builds the
//! project's [`Schema`] from it.
//!
//! One module per concern: [`lexer`] (tokens), [`preproc`] (conditionals), [`macros`] and
//! [`expr`] (macro expansion and constant expressions), [`decl`] (table initializers), then
//! one module per input file: [`header`] + [`constants`] (ppm_events_public.h), [`events`]
//! (event_table.c), [`flags`] (flags_table.c), [`dyn_params`] (dynamic_params_table.c) and
//! [`syscalls`] (syscall_table.c + syscall_compat_<arch>.h). [`upgrade`] describes what an
//! import changes relative to an older one.
//!
//! syscall_ia32_64_map.c, syscall_table64.c and feature_gates.h are not read: the first maps
//! 32-bit compat syscalls, the second only includes syscall_table.c for kernel builds, the
//! third selects kernel-side capture features; none defines events, parameters or the native
//! maps.

pub mod constants;
pub mod decl;
pub mod dyn_params;
pub mod error;
pub mod events;
pub mod expr;
pub mod flags;
pub mod header;
pub mod lexer;
pub mod macros;
pub mod preproc;
pub mod syscalls;
pub mod upgrade;

use std::fs;
use std::path::Path;

pub use error::ImportError;

use crate::model::{Schema, VersionInfo};
use crate::schema_io::{self, SchemaIoError};
use error::Result;
use header::{HEADER_FILE, Header};
use lexer::tokenize;
use macros::MacroTable;
use preproc::{preprocess, userspace_macros};

/// The result of an import: the schema, plus notes for the person running it (never written
/// to the schema files).
#[derive(Debug, Clone)]
pub struct Imported {
    pub schema: Schema,
    pub notes: Vec<String>,
}

/// A failed `codegen import`: reading the driver folder or writing the schema.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Write(#[from] SchemaIoError),
}

/// `codegen import DIR --out OUT [--revision REV]`: imports `dir` and writes the six schema
/// files into `out` (leaving everything else there alone).
///
/// Without `--revision`, a re-import of the folder `out` was made from (same folder name and
/// SCHEMA_VERSION) keeps the revision recorded there, so re-running the plain command leaves
/// the files byte-identical.
pub fn run(
    dir: &Path,
    out: &Path,
    revision: Option<&str>,
) -> std::result::Result<Imported, CommandError> {
    let mut imported = import_dir(dir, revision)?;
    if revision.is_none()
        && let Some(kept) = recorded_revision(out, &imported.schema.version)
    {
        imported.schema.version.source = format!("{}@{kept}", imported.schema.version.source);
        imported.notes.push(format!(
            "kept the revision recorded in {}: {kept}",
            out.display()
        ));
    }
    schema_io::write_schema(&imported.schema, out)?;
    Ok(imported)
}

/// The revision recorded in `out/version.toml` when it describes the same import as `new`.
fn recorded_revision(out: &Path, new: &VersionInfo) -> Option<String> {
    let old = schema_io::load_version(out).ok()?;
    let (old_folder, old_rev) = split_source(&old.source);
    (old_folder == new.source && old.schema_version == new.schema_version)
        .then(|| old_rev.map(str::to_string))
        .flatten()
}

/// Imports a driver folder. `revision`, when given, is recorded in the version info.
pub fn import_dir(dir: &Path, revision: Option<&str>) -> Result<Imported> {
    let version = version_info(dir, revision)?;

    let header_toks = tokenize(HEADER_FILE, &read(dir, HEADER_FILE)?)?;
    let header_pre = preprocess(&header_toks, userspace_macros())?;
    let header = Header::parse(&header_pre.tokens, &userspace_macros())?;
    let constants = constants::constants(&header)?;

    let flag_defs = c_file(dir, flags::FLAGS_FILE, &header)?;
    let flag_tables = flags::flag_tables(&flag_defs, &header)?;
    let dyn_defs = c_file(dir, dyn_params::DYN_FILE, &header)?;
    let dyn_tables = dyn_params::dyn_tables(&dyn_defs, &header)?;
    let event_defs = c_file(dir, events::EVENTS_FILE, &header)?;
    let refs = events::Refs {
        flags: &flag_tables,
        dyns: &dyn_tables,
    };
    let events = events::events(&event_defs, &header, &refs)?;

    let table_toks = tokenize(syscalls::SYSCALL_FILE, &read(dir, syscalls::SYSCALL_FILE)?)?;
    let known = syscalls::Known {
        header: &header,
        events: &events,
        ppm_sc: &constants.ppm_sc,
    };
    let mut maps = Vec::new();
    let mut notes = Vec::new();
    for arch in syscalls::ARCHES {
        let file = syscalls::compat_file(arch);
        let compat = preprocess(&tokenize(&file, &read(dir, &file)?)?, userspace_macros())?;
        let m = syscalls::syscall_map(arch, &compat.macros, &table_toks, &known)?;
        notes.push(format!("{arch}: {} native syscalls", m.map.entries.len()));
        if !m.absent.is_empty() {
            notes.push(format!(
                "{arch}: {} guarded entries of {} left out (no __NR_ number on {arch}): {}",
                m.absent.len(),
                syscalls::SYSCALL_FILE,
                m.absent.join(", ")
            ));
        }
        maps.push(m.map);
    }
    notes.insert(
        0,
        format!(
            "{} events, {} flag tables, {} dynamic-param tables",
            events.len(),
            flag_tables.len(),
            dyn_tables.len()
        ),
    );
    Ok(Imported {
        schema: Schema {
            version,
            constants,
            events,
            flag_tables,
            dyn_tables,
            syscalls: maps,
        },
        notes,
    })
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    fs::read(&path).map_err(|source| ImportError::Read { path, source })
}

/// Tokenizes and preprocesses a `.c` file that includes the header, and parses its tables.
fn c_file(dir: &Path, name: &str, header: &Header) -> Result<Vec<decl::ArrayDef>> {
    let toks = tokenize(name, &read(dir, name)?)?;
    let pre = preprocess(&toks, MacroTable::over(&header.macros))?;
    decl::parse_array_defs(&pre.tokens, name)
}

fn version_info(dir: &Path, revision: Option<&str>) -> Result<VersionInfo> {
    let folder = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "driver".to_string());
    let source = match revision {
        None => folder,
        Some(rev) if !rev.is_empty() && rev.chars().all(|c| c.is_ascii_graphic() && c != '@') => {
            format!("{folder}@{rev}")
        }
        Some(rev) => {
            return Err(ImportError::in_file(
                "--revision",
                "a revision of printable ASCII without spaces or `@`",
                format!("{rev:?}"),
            ));
        }
    };
    Ok(VersionInfo {
        schema_version: version_file(dir, "SCHEMA_VERSION")?,
        api_version: version_file(dir, "API_VERSION")?,
        source,
    })
}

/// SCHEMA_VERSION / API_VERSION: one line `MAJOR.MINOR.PATCH`.
fn version_file(dir: &Path, name: &str) -> Result<String> {
    let bytes = read(dir, name)?;
    let text = String::from_utf8_lossy(&bytes);
    let v = text.trim();
    let parts: Vec<&str> = v.split('.').collect();
    let ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !ok {
        return Err(ImportError::at(
            name,
            1,
            "a version MAJOR.MINOR.PATCH",
            format!("{v:?}"),
        ));
    }
    Ok(v.to_string())
}

/// Splits a [`VersionInfo::source`] into the folder name and the revision, if one was given.
pub fn split_source(source: &str) -> (&str, Option<&str>) {
    match source.rsplit_once('@') {
        Some((folder, rev)) => (folder, Some(rev)),
        None => (source, None),
    }
}
