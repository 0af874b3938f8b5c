//! Generates the event model from the checked-in schema (`*.toml` beside this file) with the
//! project's generator. The output lives in OUT_DIR only: nobody edits generated code.

use std::path::PathBuf;

fn main() {
    let dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    for f in codegen::schema_io::SCHEMA_FILES {
        println!("cargo::rerun-if-changed={}", dir.join(f).display());
    }
    let schema = codegen::schema_io::load_schema(&dir)
        .unwrap_or_else(|e| panic!("cannot load the schema in {}: {e}", dir.display()));
    let code = codegen::emit::generate_tables(&schema).unwrap_or_else(|e| panic!("{e}"));
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("tables.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));

    println!(
        "cargo::rerun-if-changed={}",
        dir.join(codegen::conversions::CONVERSIONS_FILE).display()
    );
    let conv = codegen::conversions::load_conversions(&dir).unwrap_or_else(|e| panic!("{e}"));
    let code =
        codegen::emit::generate_conversions(&schema, &conv).unwrap_or_else(|e| panic!("{e}"));
    let out = out.with_file_name("conversions.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));

    println!(
        "cargo::rerun-if-changed={}",
        dir.join(codegen::libsinsp::LIBSINSP_FILE).display()
    );
    let overlay = codegen::libsinsp::load_libsinsp(&dir).unwrap_or_else(|e| panic!("{e}"));
    let code =
        codegen::emit::generate_libsinsp(&schema, &overlay).unwrap_or_else(|e| panic!("{e}"));
    let out = out.with_file_name("libsinsp.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
