#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with Rust, only when it is missing.
# Sourced by ./run; each function is idempotent.
set -euo pipefail

apt_updated=0
need_pkgs() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}" >&2
    if [ "$apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Build tools: clang compiles the agent's eBPF programs against the libbpf headers; protoc
# (protobuf-compiler) feeds prost/tonic for the protect API in proto/, with the well-known types
# (google/protobuf/timestamp.proto, from libprotobuf-dev) that Edera's messages use.
setup_build_tools() {
    need_pkgs clang libbpf-dev protobuf-compiler libprotobuf-dev
}

# The formatting and lint checks of `./run test` (no-ops when the components are installed).
setup_lint_tools() {
    if command -v rustup > /dev/null; then
        rustup component add rustfmt clippy
    fi
}

# Tools the test suite uses: Debian's sysdig 0.29.3 is the live second oracle.
# (--no-install-recommends keeps its kernel module package, sysdig-dkms, out.)
setup_test_tools() {
    need_pkgs ca-certificates sysdig
}

# The fuzz smoke of `./run test` (fuzz/, see README "Fuzzing"): cargo-fuzz on the nightly
# toolchain. Without a nightly toolchain it says so and returns 1: the smoke is skipped.
setup_fuzz_tools() {
    if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        echo "setup: no nightly toolchain: fuzz smoke skipped (rustup toolchain install nightly)" >&2
        return 1
    fi
    command -v cargo-fuzz > /dev/null || cargo install --locked cargo-fuzz >&2
}
