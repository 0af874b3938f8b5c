//! `edera-falco bench-zones`: events per second through the real gRPC path, against the replay
//! path, in one run. A capture (a fixture repeated) is replayed through the plugin `.so` from
//! the file; then the stand-in daemon serves the same file as 1 and as 8 zones (its
//! capture-file zones: no kernel involved, as fast as the plugin takes them, with
//! back-pressure), and the plugin in zone mode takes every event, in Edera's
//! one-message-per-event form and in the batched extension. Printed: events/s, the ratio to
//! replay, events lost, and the memory held by the plugin's process and the daemon.

use crate::bench_capture::Template;
use crate::bench_plugin;
use clap::Args;
use edera_falco_harness::fixtures::{fixture, replay_config};
use edera_falco_harness::library::plugin_library;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Options of `bench-zones`.
#[derive(Debug, Clone, Args)]
pub struct ZoneOptions {
    /// Events in the capture each zone replays.
    #[arg(long, default_value_t = 500_000)]
    pub events: u64,
    /// The fixture whose events are repeated (default: ../shared/fixtures/scap/curl_google.scap).
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Comma-separated fields extracted on every event.
    #[arg(long, default_value = "evt.type,proc.name,fd.name")]
    pub fields: String,
    /// Zone counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    pub zones: Vec<usize>,
    /// The daemon (default: edera-falco-daemon beside this program).
    #[arg(long)]
    pub daemon: Option<PathBuf>,
}

/// The `key` line (`VmRSS:`, `VmHWM:`, ...) of a `/proc/.../status` file, in KiB; 0 when
/// absent.
pub fn kib(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// A running stand-in daemon, killed when dropped.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start the daemon at `daemon` serving on `socket` with the zones `zone_args` (its
/// command-line options); returns once it serves.
pub fn start_daemon(daemon: &Path, socket: &Path, zone_args: &[String]) -> Result<Daemon, String> {
    let _ = std::fs::remove_file(socket);
    let mut cmd = Command::new(daemon);
    cmd.arg("--socket")
        .arg(socket)
        .args(zone_args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: {e}", daemon.display()))?;
    let mut err = BufReader::new(child.stderr.take().ok_or("no stderr")?);
    let mut line = String::new();
    loop {
        line.clear();
        if err.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("the daemon ended before serving".into());
        }
        if line.starts_with("serving") {
            break;
        }
    }
    std::thread::spawn(move || for _ in err.lines() {});
    Ok(Daemon(child))
}

/// The fixture zones replay and the daemon: those given, else curl_google.scap of the shared
/// fixtures and the daemon beside this program.
pub fn fixture_and_daemon(
    fixture_given: Option<&Path>,
    daemon_given: Option<&Path>,
) -> Result<(PathBuf, PathBuf), String> {
    let fixture = match fixture_given {
        Some(f) => f.to_owned(),
        None => fixture("curl_google.scap")
            .ok_or("../shared/fixtures/scap/curl_google.scap not found: pass --fixture")?,
    };
    let daemon = match daemon_given {
        Some(d) => d.to_owned(),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("edera-falco-daemon"),
    };
    Ok((fixture, daemon))
}

/// Run the benchmark and print its figures.
pub fn run(o: &ZoneOptions) -> Result<(), String> {
    let (fixture, daemon) = fixture_and_daemon(o.fixture.as_deref(), o.daemon.as_deref())?;
    let fields: Vec<&str> = o
        .fields
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let dir = std::env::temp_dir().join(format!("edera-bench-zones-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let capture = dir.join("zone.scap");
    let written = Template::from_file(&fixture)?.write_file(&capture, o.events)?;
    let library = plugin_library();
    let null = || {
        std::fs::File::create("/dev/null")
            .map(std::io::BufWriter::new)
            .map_err(|e| e.to_string())
    };
    let replay = bench_plugin::run(
        library,
        &replay_config(&capture, ""),
        &fields,
        None,
        false,
        &mut null()?,
    )?;
    let replay_rate = replay.events as f64 / replay.seconds;
    println!(
        "capture: {} file events of {}; fields: {}",
        written.events,
        fixture.display(),
        fields.join(" ")
    );
    println!(
        "replay path        : {:>9} events in {:6.3} s = {replay_rate:>9.0} events/s",
        replay.events, replay.seconds
    );
    let socket = dir.join("daemon.socket");
    for &n in &o.zones {
        for batches in [false, true] {
            let zone_args: Vec<String> = (0..n)
                .flat_map(|i| {
                    [
                        "--capture-zone".into(),
                        format!("z{i}={}", capture.display()),
                    ]
                })
                .collect();
            let d = start_daemon(&daemon, &socket, &zone_args)?;
            let config = serde_json::json!({ "socket": socket, "batches": batches }).to_string();
            let expected = replay.events * n as u64;
            let r = bench_plugin::run(
                library,
                &config,
                &fields,
                Some(expected),
                true,
                &mut null()?,
            )?;
            let rate = r.events as f64 / r.seconds_to_last;
            let daemon_kib = kib(&format!("/proc/{}/status", d.0.id()), "VmHWM:");
            println!(
                "gRPC, {n} zone{} {:<9}: {:>9} events in {:6.3} s = {rate:>9.0} events/s ({:.2}x replay), {} lost; memory: plugin process {} MiB, daemon {} MiB",
                if n == 1 { " " } else { "s" },
                if batches { "batched" } else { "per-event" },
                r.events,
                r.seconds_to_last,
                rate / replay_rate,
                expected.saturating_sub(r.events),
                kib("/proc/self/status", "VmRSS:") / 1024,
                daemon_kib / 1024
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
