//! `edera-falco-agent bench`: the capture's cost on syscall-heavy workloads. Each workload runs
//! three times: without the probe; with the probe attached but none of the workload's
//! syscalls enabled (the floor: what the syscall tracepoint itself costs every syscall); and
//! while the agent captures every syscall of the machine and encodes every record as a
//! libscap event (the work a capture does before writing it). The command prints the times,
//! the slowdowns, events per second and drops.

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

/// Run every workload with and without capture and print the figures.
pub fn bench(ring_bytes: u32) -> Result<(), String> {
    for (name, cmd) in WORKLOADS {
        let plain = run(cmd, || {})?;
        // `sync` is a syscall neither workload makes.
        let floor_probe = Probe::attach(&Options {
            ring_bytes: 4096,
            syscalls: vec!["sync".into()],
            procexit: false,
            pidns: None,
        })
        .map_err(|e| e.to_string())?;
        let floor = run(cmd, || {})?;
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
        let captured = run(cmd, || drain(&mut probe))?;
        drain(&mut probe);
        let drops: u64 = probe.drops().iter().sum();
        drop(probe);
        let total = events + drops;
        println!(
            "{name:<24} plain {:>6.3} s  tracepoint floor {:.2}x  captured {:>6.3} s  slowdown {:.2}x  {:>9.0} events/s  {} events, {} dropped ({:.1}%)",
            plain.as_secs_f64(),
            floor.as_secs_f64() / plain.as_secs_f64(),
            captured.as_secs_f64(),
            captured.as_secs_f64() / plain.as_secs_f64(),
            events as f64 / captured.as_secs_f64(),
            events,
            drops,
            if total > 0 {
                100.0 * drops as f64 / total as f64
            } else {
                0.0
            }
        );
    }
    Ok(())
}
