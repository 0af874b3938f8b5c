//! Generates the plugin's extract-field table (`OUT_DIR/fields.rs`) from the event table in
//! `schema/` and the field catalog in `schema/fields/`, with the project's generator.
//!
//! Every catalog class is declared. Its `fn` sources are paths into `crate::fields::<class>`, so
//! a class without its implementation module fails to compile, naming the module.

use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let schema_dir = manifest.join("../schema");
    let fields_dir = schema_dir.join("fields");
    for f in codegen::schema_io::SCHEMA_FILES {
        println!("cargo::rerun-if-changed={}", schema_dir.join(f).display());
    }
    println!("cargo::rerun-if-changed={}", fields_dir.display());

    let schema = codegen::schema_io::load_schema(&schema_dir)
        .unwrap_or_else(|e| panic!("cannot load the schema in {}: {e}", schema_dir.display()));
    let catalog = codegen::catalog::load_catalog(&fields_dir).unwrap_or_else(|e| {
        panic!(
            "cannot load the field catalog in {}: {e}",
            fields_dir.display()
        )
    });
    let code = codegen::emit::generate_fields(&schema, &catalog, "crate::EderaPlugin")
        .unwrap_or_else(|e| panic!("{e}"));
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("fields.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
