//! The live second oracle: Debian's sysdig 0.29.3 (libsinsp of 2022) run on a capture.
//!
//! [`run`] runs `TZ=UTC sysdig -r FILE -j -p "*%evt.rawtime %thread.tid %evt.dir ..."` and keeps
//! its exit events (sysdig shows enter and exit events; today's libsinsp, and so the plugin,
//! shows exits with the enter parameters merged in), keyed by (evt.rawtime, thread.tid) in
//! stream order, every value as Falco's text (`oracle::value_text`).
//!
//! The two libsinsp generations differ on some fields and events (see
//! `../shared/fixtures/scap/SOURCES.md` and the oracle README), so the plugin is held to
//! sysdig's value only where sysdig agrees with Falco 0.45 on that event, or, for captures
//! without a Falco oracle (the agent's), on the fields where the two agree on every fixture
//! event ([`STABLE_FIELDS`], checked by the test that uses them).

use crate::oracle::value_text;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Fields both generations have (sysdig 0.29.3 lacks many newer ones).
pub const FIELDS: &[&str] = &[
    "evt.type",
    "evt.res",
    "evt.args",
    "proc.pid",
    "proc.ppid",
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "proc.pname",
    "proc.cwd",
    "user.uid",
    "user.name",
    "group.gid",
    "group.name",
    "fd.num",
    "fd.type",
    "fd.typechar",
    "fd.name",
    "fd.directory",
    "fd.filename",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
    "fd.l4proto",
    "fd.sockfamily",
];

/// Fields on which sysdig 0.29.3 and Falco 0.45 agree on every exit event of every fixture
/// they share (the `sysdig_oracle` test fails if that stops being true).
pub const STABLE_FIELDS: &[&str] = &[
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "user.uid",
];

/// sysdig's events of one capture, by (evt.rawtime, thread.tid), in stream order.
pub type Events = HashMap<(String, String), VecDeque<HashMap<String, Option<String>>>>;

/// The `sysdig` executable on `PATH`.
pub fn find() -> Option<PathBuf> {
    edera_falco_cli::bench_sysdig::find()
}

/// Run sysdig on `capture` and collect its exit events.
pub fn run(sysdig: &Path, capture: &Path) -> Result<Events, String> {
    let mut format = String::from("*%evt.rawtime %thread.tid %evt.dir");
    for f in FIELDS {
        format.push_str(" %");
        format.push_str(f);
    }
    let out = Command::new(sysdig)
        .env("TZ", "UTC")
        .arg("-r")
        .arg(capture)
        .args(["-j", "-p", &format])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", sysdig.display()))?;
    if !out.status.success() {
        return Err(format!(
            "sysdig -r {} failed ({}): {}",
            capture.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut events = Events::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(obj) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
        else {
            continue;
        };
        let get = |k: &str| obj.get(k).and_then(value_text);
        if get("evt.dir").as_deref() != Some("<") {
            continue;
        }
        let key = (
            get("evt.rawtime").unwrap_or_default(),
            get("thread.tid").unwrap_or_default(),
        );
        let values = FIELDS.iter().map(|f| (f.to_string(), get(f))).collect();
        events.entry(key).or_default().push_back(values);
    }
    Ok(events)
}
