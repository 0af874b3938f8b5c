//! How closely the syscall-source mode's process fields follow libsinsp's own: a measure, not a
//! check (ignored; run by hand, it prints figures). The real Falco 0.45 (`../shared/falco`)
//! replays one capture twice with one rule printing `proc.name`, `proc.pname`, `proc.cmdline`,
//! `proc.exepath` and `proc.cwd` for every event: as its own syscall source (`engine.kind:
//! replay`: libsinsp reads the capture's process table itself) and through `edera_syscall` (the
//! plugin seeds libsinsp's tables from the same process table). Events are paired by timestamp
//! and type (in capture order among equal pairs); the test prints, for each field and for all
//! five, how many paired events agree.
//!
//! `EDERA_ACCURACY_CAPTURE` names the capture (default: the `sample.scap` fixture), and
//! `EDERA_ACCURACY_PLUGIN` another build of `libedera_falco_syscall.so` (to measure an earlier
//! version):
//!
//! ```sh
//! EDERA_ACCURACY_CAPTURE=/path/x.scap cargo test -p edera-falco-tests \
//!     --test syscall_source_accuracy -- --ignored --nocapture
//! ```

use edera_falco_harness::artifact;
use edera_falco_harness::falco;
use edera_falco_harness::fixtures::{fixture, replay_config};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The fields compared.
const FIELDS: [&str; 5] = [
    "proc.name",
    "proc.pname",
    "proc.cmdline",
    "proc.exepath",
    "proc.cwd",
];
/// Starts the rule's output, after Falco's time and priority.
const START: &str = "EDERA_EVT ";
/// Separates the output's parts.
const SEP: &str = " @@ ";

/// The rule printing the pairing key and [`FIELDS`] for every event.
fn rule() -> String {
    let fields: Vec<String> = FIELDS.iter().map(|f| format!("%{f}")).collect();
    let output = format!("{START}%evt.rawtime %evt.type{SEP}{}", fields.join(SEP));
    format!(
        "- rule: every event\n  desc: every event\n  condition: evt.num > 0\n  \
         output: {}\n  priority: WARNING\n",
        serde_json::to_string(&output).unwrap()
    )
}

/// Runs Falco with `engine` (its config's engine and plugins part) and the rule; its output
/// lines, each split into the pairing key and the fields.
fn run(falco_bin: &Path, dir: &Path, tag: &str, engine: &str) -> Vec<(String, Vec<String>)> {
    let alerts = dir.join(format!("{tag}.txt"));
    let config = dir.join(format!("{tag}.yaml"));
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, rule()).unwrap();
    std::fs::write(
        &config,
        format!(
            "json_output: false\nstdout_output: {{enabled: false}}\n\
             file_output: {{enabled: true, keep_alive: true, filename: {}}}\n\
             log_stderr: true\nlog_syslog: false\nlog_level: warning\n{engine}",
            serde_json::to_string(&alerts).unwrap()
        ),
    )
    .unwrap();
    let out = Command::new(falco_bin)
        .arg("-c")
        .arg(&config)
        .arg("-r")
        .arg(&rules)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Falco ({tag}) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read(&alerts).unwrap();
    String::from_utf8_lossy(&text)
        .lines()
        .filter_map(|l| {
            let mut parts = l[l.find(START)? + START.len()..].split(SEP);
            let key = parts.next()?.to_owned();
            Some((key, parts.map(str::to_owned).collect()))
        })
        .collect()
}

#[test]
#[ignore = "a measure: prints how often the syscall mode's process fields agree with libsinsp's"]
fn process_fields_agree_with_libsinsp_replaying_the_capture() {
    let Some(shared) = falco::shared_dir() else {
        println!("skipped: ../shared/falco is absent");
        return;
    };
    let capture = match std::env::var_os("EDERA_ACCURACY_CAPTURE") {
        Some(path) => PathBuf::from(path),
        None => match fixture("sample.scap") {
            Some(path) => path,
            None => return,
        },
    };
    let plugin = match std::env::var_os("EDERA_ACCURACY_PLUGIN") {
        Some(path) => PathBuf::from(path),
        None => artifact::build("edera-falco-syscall", "libedera_falco_syscall.so")
            .unwrap_or_else(|e| panic!("{e}")),
    };
    let falco_bin = shared.join("falco/bin/falco");
    let dir = tempfile::tempdir().unwrap();
    let quoted = |p: &Path| serde_json::to_string(p).unwrap();

    let libsinsp = run(
        &falco_bin,
        dir.path(),
        "libsinsp",
        &format!(
            "engine: {{kind: replay, replay: {{capture_file: {}}}}}\nbase_syscalls: {{all: true}}\n",
            quoted(&capture)
        ),
    );
    let syscall = run(
        &falco_bin,
        dir.path(),
        "syscall",
        &format!(
            "engine: {{kind: nodriver}}\nload_plugins: [edera_syscall]\nplugins:\n  \
             - name: edera_syscall\n    library_path: {}\n    init_config: {}\n",
            quoted(&plugin),
            replay_config(&capture, "")
        ),
    );

    let mut by_key: HashMap<&str, VecDeque<&[String]>> = HashMap::new();
    for (key, fields) in &libsinsp {
        by_key.entry(key).or_default().push_back(fields);
    }
    let (mut paired, mut all_agree) = (0u64, 0u64);
    let mut agree = [0u64; FIELDS.len()];
    for (key, fields) in &syscall {
        let Some(theirs) = by_key.get_mut(key.as_str()).and_then(VecDeque::pop_front) else {
            continue;
        };
        paired += 1;
        let same: Vec<bool> = (0..FIELDS.len())
            .map(|i| fields.get(i) == theirs.get(i))
            .collect();
        for (n, s) in agree.iter_mut().zip(&same) {
            *n += u64::from(*s);
        }
        all_agree += u64::from(same.iter().all(|s| *s));
    }
    let percent = |n: u64| 100.0 * n as f64 / paired.max(1) as f64;
    println!("capture {}", capture.display());
    println!(
        "events printed: libsinsp {}, syscall mode {}; paired {paired}",
        libsinsp.len(),
        syscall.len()
    );
    for (field, n) in FIELDS.iter().zip(agree) {
        println!("{field}: {n} agree ({:.2}%)", percent(n));
    }
    println!("all five: {all_agree} agree ({:.2}%)", percent(all_agree));
    assert!(paired > 0, "no event printed by both");
}
