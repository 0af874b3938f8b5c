//! The shared fixture captures (`../shared/fixtures/scap`, beside the workspace) and the init
//! config that replays a capture.

use crate::handle::{Next, load_plugin};
use std::path::{Path, PathBuf};

/// A fixture capture under `../shared/fixtures/scap` (relative to the workspace), or `None`
/// with the reason printed, so that the calling test can skip.
pub fn fixture(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/scap")
        .join(name);
    match path.canonicalize() {
        Ok(path) if path.is_file() => Some(path),
        _ => {
            eprintln!("SKIP: fixture {} is absent", path.display());
            None
        }
    }
}

/// `{"source": "file://<path>"}` with any extra keys from `extra` (a JSON object's inside,
/// e.g. `"batch_size": 8`), for replaying a capture.
pub fn replay_config(path: &Path, extra: &str) -> String {
    let source = serde_json::to_string(&format!("file://{}", path.display())).expect("string");
    if extra.trim().is_empty() {
        format!("{{\"source\": {source}}}")
    } else {
        format!("{{\"source\": {source}, {extra}}}")
    }
}

/// Replay capture `path` through the plugin, calling `visit` on every event with a function
/// that extracts a field as text (empty for no value): the fields libsinsp computes itself for
/// plugin events (`evt.rawtime`, ...) as [`generic`](crate::generic) does, the others from the
/// plugin. Panics on plugin errors (for tests).
pub fn replay_fields(path: &Path, mut visit: impl FnMut(&mut dyn FnMut(&str) -> String)) {
    let mut h = load_plugin(&replay_config(path, "")).expect("plugin loads");
    h.open().expect("capture opens");
    loop {
        let ev = match h.next_event().expect("next_event") {
            Next::Event(ev) => ev,
            Next::Timeout => continue,
            Next::Eof => break,
        };
        visit(&mut |name| match crate::generic::value(name, &ev) {
            Some(value) => value.unwrap_or_default(),
            None => h
                .extract_string(&ev, name)
                .ok()
                .flatten()
                .unwrap_or_default(),
        });
    }
}
