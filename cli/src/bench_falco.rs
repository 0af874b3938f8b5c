//! `edera-falco bench-falco`: the plugin inside the real Falco 0.45 (`../shared/falco`) against
//! Falco's own libsinsp, on the same capture with the same rules.
//!
//! The capture is made by the agent (`edera-falco-agent capture`) while a mixed shell workload
//! runs (file opens, reads and writes, execs, UDP and TCP sockets); the agent sees the whole
//! machine, so it holds whatever else ran too. Each rule set then runs three times: the capture
//! as Falco's syscall source (`engine.kind: replay`, libsinsp parsing it; the container stub
//! plugin answers `container.*`), the capture read by the plugin as `edera_zone` (`source:
//! file://...`), the rules converted by crate `edera-falco-rules`, and the capture read by the
//! syscall-source mode (`edera_syscall`, id 0: libsinsp parses the plugin's events), with the
//! syscall side's rules. Rules the converter leaves out are disabled on both syscall sides, so
//! all three run the same rules.
//!
//! What is timed: Falco's whole run (wall and user+system CPU of the process, from `wait4`)
//! minus the same run on the capture's head alone (its state blocks, no event): startup, rule
//! compilation and the snapshot are subtracted, what is left is the events. Alerts go to a file
//! and are counted, so both sides can be seen to agree.

use crate::bench_capture::{Template, read_back};
use crate::bench_sysdig::{seconds, wait_with_rusage};
use clap::Args;
use edera_falco_harness::falco::{build_container_stub, shared_dir};
use edera_falco_harness::fixtures::replay_config;
use edera_falco_harness::library::plugin_library;
use edera_falco_rules::{Options, Outcome, RulesFile, convert};
use serde_yaml_ng::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The 10 fields of rule sets (a) and (b): what a typical rule condition and output use.
const TEN_FIELDS: [&str; 10] = [
    "evt.type",
    "proc.name",
    "proc.cmdline",
    "proc.pname",
    "user.name",
    "fd.name",
    "fd.typechar",
    "evt.res",
    "thread.tid",
    "proc.exepath",
];

/// A value none of the or-chain's string fields has.
const NEVER: &str = "edera-bench-never";
/// An event type the workload never makes (`evt.type` takes only known types).
const NEVER_TYPE: &str = "mlock2";

/// Events one round of [`WORKLOAD`] makes, about (measured on this kernel, machine-wide).
const EVENTS_PER_ROUND: u64 = 950;

/// The mixed workload, `$1` rounds in directory `$2` (bash: `/dev/udp` and `/dev/tcp`).
const WORKLOAD: &str = r#"n=$1; d=$2; i=0
while [ "$i" -lt "$n" ]; do
  cat /etc/passwd > /dev/null
  printf 'line %s\n' "$i" >> "$d/log"
  head -c 4096 /dev/urandom > "$d/data"
  dd if="$d/data" of=/dev/null bs=256 2> /dev/null
  ls -l "$d" > /dev/null
  exec 3<> /dev/udp/127.0.0.1/9; printf x >&3; exec 3>&-
  (exec 3<> /dev/tcp/127.0.0.1/9) 2> /dev/null
  i=$((i + 1))
done
"#;

/// Options of `bench-falco`.
#[derive(Debug, Clone, Args)]
pub struct FalcoOptions {
    /// Runs of each side per rule set; the best (lowest CPU) counts.
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// Events wanted in the capture (about: the workload runs in rounds).
    #[arg(long, default_value_t = 500_000)]
    pub events: u64,
    /// The capture to replay, made with the agent first when the file does not exist (kept
    /// afterwards, so that another run can compare on the same events). Default: a
    /// temporary capture, made and removed.
    #[arg(long)]
    pub capture: Option<PathBuf>,
    /// Only these rule sets (letters a-d, comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "a,b,c,d")]
    pub sets: Vec<char>,
    /// The agent binary (default: edera-falco-agent beside this program).
    #[arg(long)]
    pub agent: Option<PathBuf>,
    /// The syscall-source mode's library (default: libedera_falco_syscall.so beside this
    /// program).
    #[arg(long)]
    pub syscall_plugin: Option<PathBuf>,
}

/// One rule set, for both sides.
pub struct RuleSet {
    pub letter: char,
    pub title: &'static str,
    /// Rules for the syscall source.
    pub syscall_yaml: String,
    /// The same rules converted for `edera_zone`.
    pub zone_yaml: String,
    /// Rules the converter left out: disabled on the syscall side.
    pub left_out: Vec<String>,
    /// Rule definitions kept.
    pub rules: usize,
}

/// The or-chain of (a): each of the 10 fields compared with a value it never has.
pub fn never_condition() -> String {
    TEN_FIELDS
        .iter()
        .map(|f| match *f {
            "evt.type" => format!("{f} = {NEVER_TYPE}"),
            "thread.tid" => format!("{f} = 4294967295"),
            "fd.typechar" => format!("{f} = Z"),
            _ => format!("{f} = \"{NEVER}\""),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn rule_yaml(name: &str, condition: &str, output: &str) -> String {
    format!(
        "- rule: {name}\n  desc: {name}\n  condition: {}\n  output: {}\n  priority: WARNING\n",
        json(condition),
        json(output)
    )
}

/// The stock rules files of `shared` for a rule set: (c) the stable file, (d) all three.
fn stock_files(shared: &Path, all: bool) -> Result<Vec<(String, String)>, String> {
    let names: &[&str] = if all {
        &[
            "falco_rules.yaml",
            "falco-incubating_rules.yaml",
            "falco-sandbox_rules.yaml",
        ]
    } else {
        &["falco_rules.yaml"]
    };
    names
        .iter()
        .map(|n| {
            let path = shared.join("reference/falco-rules").join(n);
            std::fs::read_to_string(&path)
                .map(|text| (n.to_string(), text))
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

/// `files` as one rules file for the syscall source with the container stub: the
/// `required_plugin_versions` items (the container plugin) left out, everything else as is.
fn syscall_rules(files: &[(String, String)]) -> Result<String, String> {
    let mut all = Vec::new();
    for (name, text) in files {
        let Value::Sequence(items) =
            serde_yaml_ng::from_str(text).map_err(|e| format!("{name}: {e}"))?
        else {
            return Err(format!("{name}: not a sequence of items"));
        };
        all.extend(
            items
                .into_iter()
                .filter(|i| i.get("required_plugin_versions").is_none()),
        );
    }
    serde_yaml_ng::to_string(&all).map_err(|e| e.to_string())
}

/// Rule set `letter` (a-d); the stock sets read `shared`.
pub fn rule_set(letter: char, shared: &Path) -> Result<RuleSet, String> {
    let (title, files): (&'static str, Vec<(String, String)>) = match letter {
        'a' => (
            "an or-chain over 10 fields that never matches",
            vec![(
                "or-chain".into(),
                rule_yaml("edera bench never", &never_condition(), "never %evt.num"),
            )],
        ),
        'b' => {
            let output: Vec<String> = TEN_FIELDS.iter().map(|f| format!("%{f}")).collect();
            (
                "one rule printing 10 fields for every event",
                vec![(
                    "every-event".into(),
                    rule_yaml("edera bench every", "evt.num > 0", &output.join(" ")),
                )],
            )
        }
        'c' => ("the stable stock rules", stock_files(shared, false)?),
        'd' => (
            "the stock rules: stable, incubating, sandbox",
            stock_files(shared, true)?,
        ),
        other => return Err(format!("no rule set {other:?} (a, b, c or d)")),
    };
    let inputs: Vec<RulesFile<'_>> = files
        .iter()
        .map(|(name, text)| RulesFile { name, text })
        .collect();
    let conversion = convert(&inputs, &Options::default()).map_err(|e| e.to_string())?;
    let definitions = conversion
        .report
        .files
        .iter()
        .flat_map(|f| &f.rules)
        .filter(|r| !r.change);
    let (mut left_out, mut rules) = (Vec::new(), 0);
    for r in definitions {
        match r.outcome {
            Outcome::LeftOut(_) => left_out.push(r.name.clone()),
            _ => rules += 1,
        }
    }
    Ok(RuleSet {
        letter,
        title,
        syscall_yaml: syscall_rules(&files)?,
        zone_yaml: conversion.yaml,
        left_out,
        rules,
    })
}

/// Which side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Libsinsp,
    Plugin,
    /// The syscall-source mode: the plugin's events parsed by libsinsp.
    Syscall,
}

impl Side {
    fn tag(self) -> &'static str {
        match self {
            Side::Libsinsp => "libsinsp",
            Side::Plugin => "plugin",
            Side::Syscall => "syscall",
        }
    }
}

/// One Falco run: wall and CPU seconds, alerts.
#[derive(Debug, Clone, Copy)]
struct FalcoRun {
    wall_s: f64,
    cpu_s: f64,
    alerts: u64,
}

/// Files and paths every run needs.
struct Setup {
    falco: PathBuf,
    stub: PathBuf,
    plugin: PathBuf,
    syscall_plugin: PathBuf,
    dir: PathBuf,
}

impl Setup {
    /// Falco's config for `side` replaying `capture`, the syscall side disabling `left_out`.
    fn config(&self, side: Side, capture: &Path, left_out: &[String], alerts: &Path) -> String {
        let common = format!(
            "json_output: false\nstdout_output: {{enabled: false}}\n\
             file_output: {{enabled: true, keep_alive: true, filename: {}}}\n\
             log_stderr: true\nlog_syslog: false\nlog_level: warning\n",
            json(&alerts.display().to_string())
        );
        let stub = format!(
            "  - name: container_stub\n    library_path: {}\n    init_config: \"\"\n",
            json(&self.stub.display().to_string())
        );
        let mut disabled = String::new();
        if !left_out.is_empty() {
            disabled += "rules:\n";
            for name in left_out {
                disabled += &format!("  - disable: {{rule: {}}}\n", json(name));
            }
        }
        match side {
            Side::Libsinsp => format!(
                "{common}engine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
                 base_syscalls: {{all: true}}\n\
                 load_plugins: [container_stub]\nplugins:\n{stub}{disabled}",
                json(&capture.display().to_string()),
            ),
            Side::Syscall => format!(
                "{common}engine: {{kind: nodriver}}\n\
                 load_plugins: [edera_syscall, container_stub]\nplugins:\n  \
                 - name: edera_syscall\n    library_path: {}\n    init_config: {}\n{stub}{disabled}",
                json(&self.syscall_plugin.display().to_string()),
                replay_config(capture, "")
            ),
            Side::Plugin => format!(
                "{common}engine: {{kind: nodriver}}\nload_plugins: [edera]\n\
                 plugins:\n  - name: edera\n    library_path: {}\n    init_config: {}\n    open_params: \"\"\n",
                json(&self.plugin.display().to_string()),
                replay_config(capture, "")
            ),
        }
    }

    /// Runs Falco once; its log goes to a file, shown when it fails.
    fn run(&self, side: Side, set: &RuleSet, capture: &Path) -> Result<FalcoRun, String> {
        let tag = side.tag();
        let rules = self.dir.join(format!("rules-{}-{tag}.yaml", set.letter));
        let yaml = match side {
            Side::Libsinsp | Side::Syscall => &set.syscall_yaml,
            Side::Plugin => &set.zone_yaml,
        };
        std::fs::write(&rules, yaml).map_err(|e| format!("{}: {e}", rules.display()))?;
        let alerts = self.dir.join("alerts.txt");
        let _ = std::fs::remove_file(&alerts);
        let config = self.dir.join("falco.yaml");
        std::fs::write(&config, self.config(side, capture, &set.left_out, &alerts))
            .map_err(|e| format!("{}: {e}", config.display()))?;
        let log = self.dir.join("falco.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let start = Instant::now();
        let child = Command::new(&self.falco)
            .arg("-c")
            .arg(&config)
            .arg("-r")
            .arg(&rules)
            .args(match side {
                Side::Libsinsp | Side::Syscall => &[][..],
                // Else the syscall source also opens, with no driver, and never ends.
                Side::Plugin => &["--enable-source", "edera_zone"][..],
            })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("{}: {e}", self.falco.display()))?;
        let (status, usage) = wait_with_rusage(&child)?;
        let wall_s = start.elapsed().as_secs_f64();
        if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            return Err(format!(
                "Falco ({tag}, rule set {}) failed, wait status {status:#x}:\n{}",
                set.letter,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        let alerts = std::fs::read(&alerts)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count() as u64)
            .unwrap_or(0);
        Ok(FalcoRun {
            wall_s,
            cpu_s: seconds(usage.ru_utime) + seconds(usage.ru_stime),
            alerts,
        })
    }

    /// The best of `runs` runs (lowest CPU).
    fn best(
        &self,
        side: Side,
        set: &RuleSet,
        capture: &Path,
        runs: u32,
    ) -> Result<FalcoRun, String> {
        let mut best: Option<FalcoRun> = None;
        for _ in 0..runs {
            let run = self.run(side, set, capture)?;
            if best.is_none_or(|b| run.cpu_s < b.cpu_s) {
                best = Some(run);
            }
        }
        best.ok_or_else(|| "no run".into())
    }
}

/// A string as a YAML (JSON) double-quoted scalar.
fn json(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Writes `capture` with the agent: rounds of [`WORKLOAD`] (run in `dir`) for about `events`
/// events.
fn make_capture(agent: &Path, events: u64, capture: &Path, dir: &Path) -> Result<(), String> {
    let script = dir.join("workload.sh");
    std::fs::write(&script, WORKLOAD).map_err(|e| format!("{}: {e}", script.display()))?;
    let work = dir.join("work");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let rounds = events.div_ceil(EVENTS_PER_ROUND).max(1);
    let status = Command::new(agent)
        .arg("capture")
        .arg("-w")
        .arg(capture)
        .arg("--")
        .arg("bash")
        .arg(&script)
        .arg(rounds.to_string())
        .arg(&work)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", agent.display()))?;
    if !status.success() {
        return Err(format!("{} capture failed: {status}", agent.display()));
    }
    Ok(())
}

/// Events per second of `seconds` (0 when it is not positive).
fn rate(events: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        events as f64 / seconds
    } else {
        0.0
    }
}

/// Run the benchmark and print its table.
pub fn run(o: &FalcoOptions) -> Result<(), String> {
    let runs = o.runs.max(1);
    let shared =
        shared_dir().ok_or("../shared/falco/bin/falco (beside the workspace) is absent")?;
    let dir = std::env::temp_dir().join(format!("edera-bench-falco-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = run_in(o, runs, &shared, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(o: &FalcoOptions, runs: u32, shared: &Path, dir: &Path) -> Result<(), String> {
    let sets = o
        .sets
        .iter()
        .map(|&l| rule_set(l, shared))
        .collect::<Result<Vec<_>, _>>()?;
    let capture = o
        .capture
        .clone()
        .unwrap_or_else(|| dir.join("capture.scap"));
    if !capture.exists() {
        let agent = match &o.agent {
            Some(a) => a.clone(),
            None => std::env::current_exe()
                .map_err(|e| e.to_string())?
                .with_file_name("edera-falco-agent"),
        };
        make_capture(&agent, o.events, &capture, dir)?;
    }
    let events = read_back(&capture)?.events;
    let head = dir.join("head.scap");
    Template::from_file(&capture)?.write_file(&head, 1)?;
    let beside_this = |name: &str| {
        std::env::current_exe()
            .map(|exe| exe.with_file_name(name))
            .map_err(|e| e.to_string())
    };
    let setup = Setup {
        falco: shared.join("falco/bin/falco"),
        stub: build_container_stub(shared, dir)?,
        plugin: plugin_library().path.clone(),
        syscall_plugin: match &o.syscall_plugin {
            Some(p) => p.clone(),
            None => beside_this("libedera_falco_syscall.so")?,
        },
        dir: dir.to_path_buf(),
    };
    println!(
        "capture: {events} events ({}); best of {runs} runs; timed: Falco's CPU (user+system) \
         and wall time for the capture minus the same run on its head alone (startup, rules, \
         snapshot)",
        capture.display()
    );
    println!(
        "| rules | rules converted | CPU s libsinsp / plugin / syscall mode | events/s libsinsp | \
         events/s plugin | events/s syscall mode | plugin / libsinsp | syscall mode / libsinsp | \
         wall s libsinsp / plugin / syscall mode | alerts libsinsp / plugin / syscall mode |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for set in &sets {
        let mut cpu = [0.0; 3];
        let mut wall = [0.0; 3];
        let mut alerts = [0; 3];
        for (i, side) in [Side::Libsinsp, Side::Plugin, Side::Syscall]
            .into_iter()
            .enumerate()
        {
            let full = setup.best(side, set, &capture, runs)?;
            let startup = setup.best(side, set, &head, runs)?;
            cpu[i] = (full.cpu_s - startup.cpu_s).max(0.0);
            wall[i] = (full.wall_s - startup.wall_s).max(0.0);
            alerts[i] = full.alerts;
        }
        let rates = cpu.map(|s| rate(events, s));
        let ratio = |r: f64| if rates[0] > 0.0 { r / rates[0] } else { 0.0 };
        println!(
            "| ({}) {} | {} | {:.2} / {:.2} / {:.2} | {:.0} | {:.0} | {:.0} | {:.2}x | {:.2}x | \
             {:.2} / {:.2} / {:.2} | {} / {} / {} |",
            set.letter,
            set.title,
            set.rules,
            cpu[0],
            cpu[1],
            cpu[2],
            rates[0],
            rates[1],
            rates[2],
            ratio(rates[1]),
            ratio(rates[2]),
            wall[0],
            wall[1],
            wall[2],
            alerts[0],
            alerts[1],
            alerts[2]
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use edera_falco_rules::condition::parse;

    #[test]
    fn the_or_chain_names_the_ten_fields_once_each() {
        let parsed = parse(&never_condition()).unwrap();
        let mut fields: Vec<&str> = parsed.checks.iter().map(|c| c.field.as_str()).collect();
        fields.sort_unstable();
        let mut want = TEN_FIELDS.to_vec();
        want.sort_unstable();
        assert_eq!(fields, want);
        assert!(parsed.checks.iter().all(|c| c.op == "="));
    }
}
