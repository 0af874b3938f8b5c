//! `edera-falco-agent bench`: the capture's cost on syscall-heavy workloads. Each workload runs
//! in three settings, each the best of N runs: without the probe; with the probe attached but
//! none of the workload's syscalls enabled (the floor: what the syscall tracepoint itself costs
//! every syscall); and while the agent captures every syscall of the machine and encodes every
//! record as a libscap event (the work a capture does before writing it). The command prints
//! the times, the slowdowns, events per second and drops, as text or as JSON lines (which `edera-falco
//! bench-agent` reads to set them beside Falco's modern probe on the same workloads).

use crate::clock::boot_to_epoch_offset;
use crate::encode::Encoder;
use crate::probe::{Options, Probe};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A workload: a name and a shell command.
pub const WORKLOADS: &[(&str, &str)] = &[
    (
        "dd bs=1 count=2000000",
        "dd if=/dev/zero of=/dev/null bs=1 count=2000000 2>/dev/null",
    ),
    (
        "python 200k open/close",
        "python3 -c 'import os\nfor _ in range(200000): os.close(os.open(\"/dev/null\", os.O_RDONLY))'",
    ),
    (
        "2000 execs of /bin/true",
        "for i in $(seq 2000); do /bin/true; done",
    ),
];

fn run(cmd: &str, mut during: impl FnMut()) -> Result<Duration, String> {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .args(["-c", cmd])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    loop {
        during();
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) if s.success() => return Ok(start.elapsed()),
            Some(s) => return Err(format!("`{cmd}` failed: {s}")),
            None => std::thread::sleep(Duration::from_micros(200)),
        }
    }
}

/// One workload's figures: the best of the runs' times, and the capture's events and drops
/// summed over every captured run.
struct Figures {
    plain: Duration,
    floor: Duration,
    captured: Duration,
    captured_total: Duration,
    events: u64,
    drops: u64,
}

fn best(runs: u32, mut once: impl FnMut() -> Result<Duration, String>) -> Result<Duration, String> {
    let mut best = once()?;
    for _ in 1..runs {
        best = best.min(once()?);
    }
    Ok(best)
}

fn measure(cmd: &str, runs: u32, ring_bytes: u32) -> Result<Figures, String> {
    let plain = best(runs, || run(cmd, || {}))?;
    // `sync` is a syscall no workload makes.
    let floor_probe = Probe::attach(&Options {
        ring_bytes: 4096,
        syscalls: vec!["sync".into()],
        procexit: false,
        pidns: None,
    })
    .map_err(|e| e.to_string())?;
    let floor = best(runs, || run(cmd, || {}))?;
    drop(floor_probe);
    let mut probe = Probe::attach(&Options {
        ring_bytes,
        ..Options::default()
    })
    .map_err(|e| e.to_string())?;
    let offset = boot_to_epoch_offset();
    let mut events = 0u64;
    let mut encoder = Encoder::new();
    let mut drain = |probe: &mut Probe| {
        probe.drain(|r| encoder.encode(r, r.ts_exit + offset, |_| events += 1));
    };
    let mut captured_total = Duration::ZERO;
    let captured = best(runs, || {
        let took = run(cmd, || drain(&mut probe))?;
        captured_total += took;
        Ok(took)
    })?;
    drain(&mut probe);
    let drops: u64 = probe.drops().iter().sum();
    drop(probe);
    Ok(Figures {
        plain,
        floor,
        captured,
        captured_total,
        events,
        drops,
    })
}

/// Run every workload (each `runs` times per setting) with and without capture and print the
/// figures: one line of text per workload, or with `json` one JSON object per line (workload,
/// command, plain_s, floor_s, captured_s, events_per_s, events, drops).
pub fn bench(ring_bytes: u32, runs: u32, json: bool) -> Result<(), String> {
    for (name, cmd) in WORKLOADS {
        let f = measure(cmd, runs.max(1), ring_bytes)?;
        let events_per_s = f.events as f64 / f.captured_total.as_secs_f64();
        if json {
            let line = serde_json::json!({
                "workload": name,
                "command": cmd,
                "plain_s": f.plain.as_secs_f64(),
                "floor_s": f.floor.as_secs_f64(),
                "captured_s": f.captured.as_secs_f64(),
                "events_per_s": events_per_s,
                "events": f.events,
                "drops": f.drops,
            });
            println!("{line}");
            continue;
        }
        let total = f.events + f.drops;
        println!(
            "{name:<24} plain {:>6.3} s  tracepoint floor {:.2}x  captured {:>6.3} s  slowdown {:.2}x  {:>9.0} events/s  {} events, {} dropped ({:.1}%)",
            f.plain.as_secs_f64(),
            f.floor.as_secs_f64() / f.plain.as_secs_f64(),
            f.captured.as_secs_f64(),
            f.captured.as_secs_f64() / f.plain.as_secs_f64(),
            events_per_s,
            f.events,
            f.drops,
            if total > 0 {
                100.0 * f.drops as f64 / total as f64
            } else {
                0.0
            }
        );
    }
    Ok(())
}
