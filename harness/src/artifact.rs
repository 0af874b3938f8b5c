//! Build a workspace package the way the running program was built, and find its output: the
//! plugin `.so` for [`library`](crate::library), the agent and daemon binaries for the
//! end-to-end tests.
//!
//! [`build`] runs `cargo build -p PACKAGE` with the same profile and target directory as the
//! running test executable (both read off its path, `<target>/<profile>/deps/<test>-<hash>`),
//! then uses `<target>/<profile>/<file>`. The build is
//! a no-op when nothing changed, and it guarantees the tests never run against a stale artifact.
//! Why not the alternatives: a build script calling cargo deadlocks on the target-dir lock;
//! `CARGO_BIN_EXE_*` exists only for the binaries of the test's own package; artifact
//! dependencies are unstable. (Cargo releases its build lock before running test binaries, so
//! the nested build does not deadlock; it waits like any other build while someone else holds
//! the lock.) Cross-compiled targets are not handled.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Build `package` and return the path of its output `file` (a library or binary file name).
pub fn build(package: &str, file: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let unexpected = || format!("unexpected test binary location {}", exe.display());
    // <target>/<profile>/deps/<test binary>
    let profile_dir = exe.parent().and_then(Path::parent).ok_or_else(unexpected)?;
    let target_dir = profile_dir.parent().ok_or_else(unexpected)?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => return Err(format!("no profile directory in {}", exe.display())),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("harness crate has no parent directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args(["build", "--quiet", "-p", package, "--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build -p {package} failed: {status}"));
    }
    let path = profile_dir.join(file);
    if !path.is_file() {
        return Err(format!("{} was not built", path.display()));
    }
    Ok(path)
}
