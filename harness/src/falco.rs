//! Runs the real Falco (`../shared/falco`, next to the workspace) for tests and benchmarks: start
//! it with a config and rules files, collect its alerts (JSON on standard output) until a
//! condition holds or a time limit passes, and stop it (SIGINT, a bounded wait, then kill).
//!
//! Also what the host `syscall` source needs: the probe's filesystems mounted, and the container
//! stub plugin (`../shared/falco/container-stub`) compiled, so stock rules that name
//! `container.*` fields load without the container plugin.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// Lines of Falco's log kept for error messages.
const LOG_LINES: usize = 40;
/// How long Falco gets to exit after SIGINT before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// `../shared` relative to the workspace root, when it holds the Falco binary.
pub fn shared_dir() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let shared = workspace.parent()?.join("shared");
    shared.join("falco/bin/falco").is_file().then_some(shared)
}

/// Whether this process runs as root (the modern eBPF probe needs it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Uid:"))?.to_owned();
            Some(line.split_whitespace().nth(2)? == "0")
        })
        .unwrap_or(false)
}

/// Mounts what the modern eBPF probe needs (tracefs, bpffs) where missing.
pub fn mount_probe_filesystems() -> Result<(), String> {
    let mounts =
        std::fs::read_to_string("/proc/mounts").map_err(|e| format!("/proc/mounts: {e}"))?;
    for (kind, target) in [("tracefs", "/sys/kernel/tracing"), ("bpf", "/sys/fs/bpf")] {
        if mounts.lines().any(|l| l.split(' ').nth(2) == Some(kind)) {
            continue;
        }
        let status = Command::new("mount")
            .args(["-t", kind, kind, target])
            .status()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !status.success() {
            return Err(format!("mount -t {kind} {target} failed: {status}"));
        }
    }
    Ok(())
}

/// Compiles the container stub plugin of `shared` into `dir`; returns the library's path.
pub fn build_container_stub(shared: &Path, dir: &Path) -> Result<PathBuf, String> {
    let source = shared.join("falco/container-stub");
    let out = dir.join("libcontainer_stub.so");
    let status = Command::new("cc")
        .current_dir(&source)
        .args([
            "-shared",
            "-fPIC",
            "-O2",
            "-I",
            "include",
            "container_stub.c",
            "-o",
        ])
        .arg(&out)
        .status()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !status.success() {
        return Err(format!("cc of the container stub failed: {status}"));
    }
    Ok(out)
}

/// Why [`Falco::alerts_until`] stopped before its condition held.
#[derive(Debug)]
pub enum WaitError {
    /// The time limit passed.
    TimedOut(Duration),
    /// Falco ended; the end of its log.
    Ended(String),
}

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitError::TimedOut(t) => write!(f, "no such alerts within {t:?}"),
            WaitError::Ended(log) => write!(f, "Falco ended:\n{log}"),
        }
    }
}

/// One alert: the rule, its source and its output fields (the rule's and `append_output`'s).
#[derive(Debug, Clone)]
pub struct Alert {
    pub rule: String,
    pub source: String,
    pub fields: Map<String, Value>,
}

impl Alert {
    fn from_line(line: &str) -> Option<Alert> {
        let Value::Object(mut v) = serde_json::from_str(line).ok()? else {
            return None;
        };
        let Some(Value::Object(fields)) = v.remove("output_fields") else {
            return None;
        };
        Some(Alert {
            rule: v.get("rule")?.as_str()?.to_owned(),
            source: v.get("source")?.as_str()?.to_owned(),
            fields,
        })
    }

    /// A field's value as text (numbers and booleans as JSON writes them); `None` when the
    /// field is absent or null.
    pub fn field(&self, name: &str) -> Option<String> {
        match self.fields.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// A running Falco and the alerts it has printed so far.
pub struct Falco {
    child: Child,
    incoming: Receiver<Alert>,
    alerts: Vec<Alert>,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Falco {
    /// Writes `config_yaml` to `dir/falco.yaml` and starts Falco with it, the `rules_files` and
    /// the environment `env`, JSON output on standard output forced.
    pub fn start(
        dir: &Path,
        config_yaml: &str,
        rules_files: &[PathBuf],
        env: &[(&str, &str)],
    ) -> Result<Falco, String> {
        Falco::start_with_args(dir, config_yaml, rules_files, env, &[])
    }

    /// [`Falco::start`] with more command-line arguments (`--enable-source edera_zone`: Falco
    /// then ends with the plugin's capture).
    pub fn start_with_args(
        dir: &Path,
        config_yaml: &str,
        rules_files: &[PathBuf],
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Result<Falco, String> {
        let shared = shared_dir().ok_or("../shared/falco is absent")?;
        let config = dir.join("falco.yaml");
        std::fs::write(&config, config_yaml).map_err(|e| format!("{}: {e}", config.display()))?;
        let mut cmd = Command::new(shared.join("falco/bin/falco"));
        cmd.arg("-c")
            .arg(&config)
            .args(["-o", "json_output=true", "-o", "stdout_output.enabled=true"])
            .args(["-o", "log_stderr=true", "-o", "log_syslog=false"])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for rules in rules_files {
            cmd.arg("-r").arg(rules);
        }
        cmd.args(args);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start Falco: {e}"))?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let (sender, incoming) = channel();
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let keep = |log: &Arc<Mutex<VecDeque<String>>>, line: String| {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            if log.len() == LOG_LINES {
                log.pop_front();
            }
            log.push_back(line);
        };
        if let Some(out) = stdout {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    match Alert::from_line(&line) {
                        Some(alert) => {
                            if sender.send(alert).is_err() {
                                return;
                            }
                        }
                        None => keep(&log, line),
                    }
                }
            });
        }
        if let Some(err) = stderr {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    keep(&log, line);
                }
            });
        }
        Ok(Falco {
            child,
            incoming,
            alerts: Vec::new(),
            log,
        })
    }

    /// Collects alerts until `done(all alerts so far)` holds; an error when `timeout` passes
    /// first or Falco ends. The alerts stay in [`Falco::alerts`].
    pub fn alerts_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&[Alert]) -> bool,
    ) -> Result<(), WaitError> {
        let deadline = Instant::now() + timeout;
        while !done(&self.alerts) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(alert) => self.alerts.push(alert),
                Err(RecvTimeoutError::Timeout) => return Err(WaitError::TimedOut(timeout)),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait();
                    let log = self.log_tail();
                    return Err(WaitError::Ended(format!("{status:?}\n{log}")));
                }
            }
        }
        Ok(())
    }

    /// Falco's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every alert collected so far, in order.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// The last lines of Falco's log (and of its standard output that are not alerts).
    pub fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().map(|l| format!("{l}\n")).collect()
    }

    /// Stops Falco: SIGINT, then kill if it has not ended within a few seconds.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Falco {
    fn drop(&mut self) {
        self.halt();
    }
}
