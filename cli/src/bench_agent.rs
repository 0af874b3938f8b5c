//! `edera-falco bench-agent`: the agent's overhead beside Falco's own modern eBPF probe on the
//! same workloads. The agent's figures (plain, tracepoint floor, captured: times, events/s,
//! drops) come from `edera-falco-agent bench --json`, which also names the workloads; each
//! workload then runs under Falco 0.45 (`../shared/falco`) with its modern probe capturing every
//! syscall (`base_syscalls.all`, and the I/O syscalls Falco ignores unless a rule names them,
//! which `falco -i` lists, named by a rule that never matches) and one rule that only the
//! readiness marker matches. Falco's events and drops are the differences of its `scap.n_evts`
//! / `scap.n_drops` metrics around the workload's runs, each read once Falco has caught up (its
//! snapshots lag behind a backlog). Without Falco the agent's columns are printed alone, with
//! the reason.

use clap::Args;
use edera_falco_harness::falco::{self, Alert, Falco, WaitError};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long Falco gets to load its probe and see the readiness marker.
const READY_WITHIN: Duration = Duration::from_secs(120);
/// Falco's metrics interval: the resolution of its event and drop counters.
const METRICS_INTERVAL: &str = "1s";
/// How long Falco gets to catch up with a workload's events.
const METRICS_WITHIN: Duration = Duration::from_secs(600);
/// Fewer new events than this between two snapshots (a second apart): Falco has caught up.
const SETTLED_EVENTS: u64 = 50_000;
/// The rule Falco emits its metrics snapshots as.
const METRICS_RULE: &str = "Falco internal: metrics snapshot";
/// The rule that matches only the readiness marker's open.
const READY_RULE: &str = "edera bench ready";
/// A path no file has: the rule naming the ignored syscalls matches nothing.
const NO_FILE: &str = "/nonexistent/edera-bench";

#[derive(Debug, Clone, Args)]
pub struct AgentOptions {
    /// Runs of each workload per setting; the best time counts. Falco takes minutes to catch up
    /// with each run of the dd workload, hence one by default.
    #[arg(long, default_value_t = 1)]
    runs: u32,
    /// The agent binary (default: edera-falco-agent beside this program).
    #[arg(long)]
    agent: Option<PathBuf>,
}

/// The agent's figures for one workload, as `edera-falco-agent bench --json` prints them.
struct AgentFigures {
    workload: String,
    command: String,
    plain_s: f64,
    floor_s: f64,
    captured_s: f64,
    events_per_s: f64,
    events: u64,
    drops: u64,
}

impl AgentFigures {
    fn from_line(line: &str) -> Result<AgentFigures, String> {
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("agent output {line:?}: {e}"))?;
        let text = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or(format!("agent output lacks {k}"))
        };
        let float = |k: &str| v[k].as_f64().ok_or(format!("agent output lacks {k}"));
        let count = |k: &str| v[k].as_u64().ok_or(format!("agent output lacks {k}"));
        Ok(AgentFigures {
            workload: text("workload")?,
            command: text("command")?,
            plain_s: float("plain_s")?,
            floor_s: float("floor_s")?,
            captured_s: float("captured_s")?,
            events_per_s: float("events_per_s")?,
            events: count("events")?,
            drops: count("drops")?,
        })
    }
}

/// Falco's figures for one workload: the best time, and its probe's events and drops over
/// every run.
struct FalcoFigures {
    best_s: f64,
    events: u64,
    drops: u64,
}

fn time(cmd: &str) -> Result<f64, String> {
    let start = Instant::now();
    let status = Command::new("sh")
        .args(["-c", cmd])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("sh: {e}"))?;
    if !status.success() {
        return Err(format!("`{cmd}` failed: {status}"));
    }
    Ok(start.elapsed().as_secs_f64())
}

fn agent_figures(agent: &Path, runs: u32) -> Result<Vec<AgentFigures>, String> {
    let out = Command::new(agent)
        .args(["bench", "--json", "--runs", &runs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", agent.display()))?;
    if !out.status.success() {
        return Err(format!("{} bench failed: {}", agent.display(), out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(AgentFigures::from_line)
        .collect()
}

/// A running Falco with the modern probe on every syscall, ready (it has seen the marker).
struct FalcoProbe {
    falco: Falco,
}

impl FalcoProbe {
    /// Starts Falco with its files in `dir`.
    fn start(falco_bin: &Path, dir: &Path) -> Result<FalcoProbe, String> {
        falco::mount_probe_filesystems()?;
        let marker = dir.join("ready");
        std::fs::write(&marker, "").map_err(|e| format!("{}: {e}", marker.display()))?;
        let rules = dir.join("rules.yaml");
        let rule = format!(
            "- rule: {READY_RULE}\n  desc: the benchmark's readiness marker\n  \
             condition: evt.type in (open, openat, openat2) and fd.name = \"{}\"\n  \
             output: ready %fd.name\n  priority: WARNING\n\
             - rule: edera bench capture everything\n  desc: names what Falco ignores by default\n  \
             condition: evt.type in ({}) and fd.name = \"{NO_FILE}\"\n  \
             output: never %fd.name\n  priority: WARNING\n",
            marker.display(),
            ignored_syscalls(falco_bin)?.join(", ")
        );
        std::fs::write(&rules, rule).map_err(|e| format!("{}: {e}", rules.display()))?;
        let config = format!(
            "engine: {{kind: modern_ebpf, modern_ebpf: {{disable_iterators: true}}}}\n\
             base_syscalls: {{all: true}}\n\
             metrics: {{enabled: true, interval: {METRICS_INTERVAL}, output_rule: true, \
             kernel_event_counters_enabled: true, libbpf_stats_enabled: false, \
             resource_utilization_enabled: false, state_counters_enabled: false, \
             rules_counters_enabled: false}}\n"
        );
        let falco = Falco::start(dir, &config, &[rules], &[("LIBPMAN_AVOID_BPF_LOOP", "1")])?;
        let mut probe = FalcoProbe { falco };
        probe.wait_ready(&marker)?;
        Ok(probe)
    }

    /// Opens the marker until Falco alerts on it: its probe then captures.
    fn wait_ready(&mut self, marker: &Path) -> Result<(), String> {
        let start = Instant::now();
        loop {
            std::fs::read(marker).map_err(|e| format!("{}: {e}", marker.display()))?;
            let seen = self.falco.alerts_until(Duration::from_millis(500), |a| {
                a.iter().any(|a| a.rule == READY_RULE)
            });
            match seen {
                Ok(()) => return Ok(()),
                Err(e @ WaitError::Ended(_)) => return Err(e.to_string()),
                Err(e) if start.elapsed() > READY_WITHIN => {
                    return Err(format!(
                        "Falco never saw the marker: {e}\n{}",
                        self.falco.log_tail()
                    ));
                }
                Err(_) => {}
            }
        }
    }

    /// The probe's event and drop counters once Falco has caught up: its snapshots lag while
    /// it works through a backlog, so the first new snapshot whose events grew by less than
    /// [`SETTLED_EVENTS`] since the previous new one.
    fn counters(&mut self) -> Result<(u64, u64), String> {
        let seen = self.falco.alerts().len();
        let snapshots = |a: &[Alert]| -> Vec<(u64, u64)> {
            a[seen..]
                .iter()
                .filter(|a| a.rule == METRICS_RULE)
                .filter_map(|a| Some((number(a, "scap.n_evts")?, number(a, "scap.n_drops")?)))
                .collect()
        };
        let settled = |c: &[(u64, u64)]| {
            c.windows(2)
                .find(|w| w[1].0.saturating_sub(w[0].0) < SETTLED_EVENTS)
                .map(|w| w[1])
        };
        self.falco
            .alerts_until(METRICS_WITHIN, |a| settled(&snapshots(a)).is_some())
            .map_err(|e| format!("Falco's metrics: {e}\n{}", self.falco.log_tail()))?;
        settled(&snapshots(self.falco.alerts())).ok_or_else(|| "no metrics snapshot".into())
    }

    fn measure(&mut self, cmd: &str, runs: u32) -> Result<FalcoFigures, String> {
        let (events_before, drops_before) = self.counters()?;
        let mut best_s = f64::INFINITY;
        for _ in 0..runs {
            best_s = best_s.min(time(cmd)?);
        }
        let (events_after, drops_after) = self.counters()?;
        Ok(FalcoFigures {
            best_s,
            events: events_after.saturating_sub(events_before),
            drops: drops_after.saturating_sub(drops_before),
        })
    }
}

/// A counter of a metrics snapshot.
fn number(snapshot: &Alert, name: &str) -> Option<u64> {
    snapshot.field(name)?.parse().ok()
}

/// The syscalls Falco leaves out unless a rule names them (`falco -i`: lines `- NAME`).
fn ignored_syscalls(falco_bin: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(falco_bin)
        .arg("-i")
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", falco_bin.display()))?;
    if !out.status.success() {
        return Err(format!("falco -i failed: {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .map(|name| name.trim().to_owned())
        .collect())
}

/// Falco's figures per workload, or why there are none.
fn falco_figures(agent: &[AgentFigures], runs: u32) -> Result<Vec<FalcoFigures>, String> {
    let shared =
        falco::shared_dir().ok_or("../shared/falco/bin/falco (beside the workspace) is absent")?;
    let dir = std::env::temp_dir().join(format!("edera-bench-agent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let figures = FalcoProbe::start(&shared.join("falco/bin/falco"), &dir).and_then(|mut probe| {
        let figures = agent
            .iter()
            .map(|a| probe.measure(&a.command, runs))
            .collect();
        probe.falco.stop();
        figures
    });
    let _ = std::fs::remove_dir_all(&dir);
    figures
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Run the benchmark and print its table.
pub fn run(o: &AgentOptions) -> Result<(), String> {
    let runs = o.runs.max(1);
    let agent_path = match &o.agent {
        Some(a) => a.clone(),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("edera-falco-agent"),
    };
    let agent = agent_figures(&agent_path, runs)?;
    let falco = falco_figures(&agent, runs);
    println!("best of {runs} runs; events and drops over all runs, machine-wide");
    println!(
        "| workload | plain s | tracepoint floor | agent slowdown | agent events/s | agent drops | Falco probe slowdown | Falco drops of probe events |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (i, a) in agent.iter().enumerate() {
        let falco_columns = match &falco {
            Ok(f) => {
                let f = &f[i];
                format!(
                    "{:.2}x | {} of {} ({:.1}%)",
                    f.best_s / a.plain_s,
                    f.drops,
                    f.events,
                    percent(f.drops, f.events)
                )
            }
            Err(_) => "- | -".into(),
        };
        println!(
            "| {} | {:.3} | {:.2}x | {:.2}x | {:.0} | {} of {} ({:.1}%) | {falco_columns} |",
            a.workload,
            a.plain_s,
            a.floor_s / a.plain_s,
            a.captured_s / a.plain_s,
            a.events_per_s,
            a.drops,
            a.events + a.drops,
            percent(a.drops, a.events + a.drops),
        );
    }
    if let Err(reason) = falco {
        println!("Falco's columns are empty: {reason}");
    }
    Ok(())
}
