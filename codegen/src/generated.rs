//! The generated Rust files of each crate, from `schema/`: what its build script writes to
//! `OUT_DIR` and what `codegen emit DIR` writes for reading. Both call these functions, so the
//! two cannot differ.

use std::path::{Path, PathBuf};

use crate::catalog::CatalogError;
use crate::emit::GenError;
use crate::schema_io::SchemaIoError;

/// One generated file: its name in `OUT_DIR` and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub name: &'static str,
    pub code: String,
}

/// Why a crate's files could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot load the schema: {0}")]
    Schema(#[from] SchemaIoError),
    #[error("cannot load the field catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Generate(#[from] GenError),
}

/// The files `edera-scap` includes: `tables.rs` (event model), `conversions.rs` (converter
/// table) and `libsinsp.rs` (libsinsp's behaviours, from the overlay). `schema_dir` is `schema/`.
pub fn scap_files(schema_dir: &Path) -> Result<Vec<GeneratedFile>, GenerateError> {
    let schema = crate::schema_io::load_schema(schema_dir)?;
    let conversions = crate::conversions::load_conversions(schema_dir)?;
    let overlay = crate::libsinsp::load_libsinsp(schema_dir)?;
    Ok(vec![
        GeneratedFile {
            name: "tables.rs",
            code: crate::emit::generate_tables(&schema)?,
        },
        GeneratedFile {
            name: "conversions.rs",
            code: crate::emit::generate_conversions(&schema, &conversions)?,
        },
        GeneratedFile {
            name: "libsinsp.rs",
            code: crate::emit::generate_libsinsp(&schema, &overlay)?,
        },
    ])
}

/// The files `edera-falco-plugin` includes: `fields.rs` (the extract-field table).
pub fn plugin_files(schema_dir: &Path) -> Result<Vec<GeneratedFile>, GenerateError> {
    let schema = crate::schema_io::load_schema(schema_dir)?;
    let catalog = crate::catalog::load_catalog(&schema_dir.join(FIELDS_DIR))?;
    Ok(vec![GeneratedFile {
        name: "fields.rs",
        code: crate::emit::generate_fields(&schema, &catalog, "crate::EderaPlugin")?,
    }])
}

/// The files `edera-falco-agent` includes: `capture_plan.rs` (the covered syscalls and their
/// parameter sources, and the records shared with the kernel side) and `capture_plan.h` (the
/// constants and records its eBPF program shares with it).
/// `capture` is `agent/capture.toml`.
pub fn agent_files(schema_dir: &Path, capture: &Path) -> Result<Vec<GeneratedFile>, GenerateError> {
    let schema = crate::schema_io::load_schema(schema_dir)?;
    let plan = crate::capture::load_plan(capture)?;
    let [rust, c] = crate::emit::generate_capture(&schema, &plan)?;
    Ok(vec![
        GeneratedFile {
            name: "capture_plan.rs",
            code: rust,
        },
        GeneratedFile {
            name: "capture_plan.h",
            code: c,
        },
    ])
}

/// The inputs of [`agent_files`], for `cargo::rerun-if-changed`.
pub fn agent_inputs(schema_dir: &Path, capture: &Path) -> Vec<PathBuf> {
    crate::schema_io::SCHEMA_FILES
        .iter()
        .map(|f| schema_dir.join(f))
        .chain([capture.to_path_buf()])
        .collect()
}

/// The inputs of [`scap_files`], for `cargo::rerun-if-changed`.
pub fn scap_inputs(schema_dir: &Path) -> Vec<PathBuf> {
    let mut files = inputs(schema_dir, crate::conversions::CONVERSIONS_FILE);
    files.push(schema_dir.join(crate::libsinsp::LIBSINSP_FILE));
    files
}

/// The inputs of [`plugin_files`], for `cargo::rerun-if-changed` (a folder counts with every
/// file in it).
pub fn plugin_inputs(schema_dir: &Path) -> Vec<PathBuf> {
    inputs(schema_dir, FIELDS_DIR)
}

/// Writes `files` into `dir` (which must exist).
pub fn write_all(files: &[GeneratedFile], dir: &Path) -> std::io::Result<()> {
    for f in files {
        std::fs::write(dir.join(f.name), &f.code)?;
    }
    Ok(())
}

/// The field catalog folder inside `schema/`.
const FIELDS_DIR: &str = "fields";

fn inputs(schema_dir: &Path, extra: &str) -> Vec<PathBuf> {
    crate::schema_io::SCHEMA_FILES
        .iter()
        .chain([&extra])
        .map(|f| schema_dir.join(f))
        .collect()
}
