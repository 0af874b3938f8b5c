//! Generates the event model (`OUT_DIR/tables.rs`, `OUT_DIR/conversions.rs`) from the
//! checked-in schema (`*.toml` beside this file) with the project's generator. The output lives
//! in OUT_DIR only: nobody edits generated code (`cargo run -p codegen -- emit DIR` shows it).

use std::path::PathBuf;

fn main() {
    let dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    for input in codegen::generated::scap_inputs(&dir) {
        println!("cargo::rerun-if-changed={}", input.display());
    }
    let files = codegen::generated::scap_files(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    codegen::generated::write_all(&files, &out)
        .unwrap_or_else(|e| panic!("cannot write into {}: {e}", out.display()));
}
