//! The stand-in daemon's log as the end-to-end tests read it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Child;

/// Reads the daemon `child`'s standard error (piped) until it serves: the ids of the zones it
/// started, by name; `None`, after saying why the test skips, when it ended first. The rest of
/// its log is drained in the background so that it never blocks on a full pipe.
pub fn zone_ids_when_serving(child: &mut Child) -> Option<BTreeMap<String, String>> {
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut ids = BTreeMap::new();
    let mut line = String::new();
    loop {
        line.clear();
        if err.read_line(&mut line).unwrap_or(0) == 0 {
            let status = child.wait();
            eprintln!(
                "skipping: the daemon ended before serving ({status:?}; zones need root, eBPF and unshare)"
            );
            return None;
        }
        if let Some(rest) = line.strip_prefix("zone ")
            && let Some((name, id)) = rest.split_once(": ")
        {
            ids.insert(
                name.to_string(),
                id.split_whitespace().next().unwrap_or_default().to_string(),
            );
        }
        if line.starts_with("serving") {
            break;
        }
    }
    std::thread::spawn(move || for _ in err.lines() {});
    Some(ids)
}
