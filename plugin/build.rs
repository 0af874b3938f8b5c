//! Generates the plugin's extract-field table (`OUT_DIR/fields.rs`) from the event table in
//! `schema/` and the field catalog in `schema/fields/`, with the project's generator
//! (`cargo run -p codegen -- emit DIR` shows it).
//!
//! Every catalog class is declared. Its `fn` sources are paths into `crate::fields::<class>`, so
//! a class without its implementation module fails to compile, naming the module.

use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let schema_dir = manifest.join("../schema");
    for input in codegen::generated::plugin_inputs(&schema_dir) {
        println!("cargo::rerun-if-changed={}", input.display());
    }
    let files = codegen::generated::plugin_files(&schema_dir).unwrap_or_else(|e| panic!("{e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    codegen::generated::write_all(&files, &out)
        .unwrap_or_else(|e| panic!("cannot write into {}: {e}", out.display()));
}
