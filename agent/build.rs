//! Generates the capture plan from `capture.toml` and `../schema/` with the project's generator
//! (`OUT_DIR/capture_plan.rs`, included by `coverage`, and `OUT_DIR/capture_plan.h`, the
//! constants and records the eBPF program shares with it; `cargo run -p codegen -- emit DIR`
//! shows them),
//! then compiles the eBPF programs in `bpf/` with clang (`-target bpf`) into `OUT_DIR`, where the
//! agent embeds them. clang and the libbpf headers come from Debian (`clang`, `libbpf-dev`);
//! the README's commands install them (scripts/setup.sh).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let (schema, capture) = (manifest.join("../schema"), manifest.join("capture.toml"));
    for input in codegen::generated::agent_inputs(&schema, &capture) {
        println!("cargo::rerun-if-changed={}", input.display());
    }
    let files =
        codegen::generated::agent_files(&schema, &capture).unwrap_or_else(|e| panic!("{e}"));
    codegen::generated::write_all(&files, &out)
        .unwrap_or_else(|e| panic!("cannot write into {}: {e}", out.display()));

    let src = PathBuf::from("bpf/capture.bpf.c");
    println!("cargo::rerun-if-changed={}", src.display());
    let clang = std::env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let status = Command::new(&clang)
        .args(["-target", "bpf", "-O2", "-g", "-Wall", "-Werror", "-D__TARGET_ARCH_x86"])
        // Debian keeps asm/*.h under the multiarch directory, which a bpf target does not search.
        .arg("-I/usr/include/x86_64-linux-gnu")
        // The generated capture_plan.h.
        .arg(format!("-I{}", out.display()))
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(out.join("capture.bpf.o"))
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run `{clang}` to build the eBPF programs ({e}); install clang and libbpf-dev (./run does) or set CLANG")
        });
    assert!(
        status.success(),
        "{clang} failed on {} ({status}); are the libbpf headers (libbpf-dev) installed?",
        src.display()
    );
}
