//! The build script wrote exactly what `codegen emit` shows for this crate.

#[test]
fn out_dir_holds_what_codegen_emits() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = codegen::generated::agent_files(
        &manifest.join("../schema"),
        &manifest.join("capture.toml"),
    );
    for f in files.unwrap() {
        let built = std::fs::read_to_string(std::path::Path::new(env!("OUT_DIR")).join(f.name));
        assert!(built.unwrap() == f.code, "OUT_DIR/{} differs", f.name);
    }
}
