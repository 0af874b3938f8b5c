//! Generates the protect API subset and edera-falco's extensions from the `.proto` files with
//! prost and tonic (client and server). Needs `protoc` (Debian's `protobuf-compiler`, which the
//! README's commands install), or `PROTOC` pointing at one.

fn main() {
    let protos = [
        "protect/control/v1/control.proto",
        "protect/control/v1/common.proto",
        "edera/falco/v1/extensions.proto",
    ];
    for p in protos {
        println!("cargo::rerun-if-changed={p}");
    }
    if let Err(e) = tonic_prost_build::configure().compile_protos(&protos, &["."]) {
        panic!(
            "generating the protect API from proto/ failed: {e}\n(protoc is needed: apt-get install protobuf-compiler, or set PROTOC)"
        );
    }
}
