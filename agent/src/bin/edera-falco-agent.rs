//! `edera-falco-agent trace [--syscalls a,b] -- COMMAND...`: capture the syscalls of the zone
//! (this machine) with eBPF while COMMAND runs, and print each as the libscap event it encodes
//! to (event type, thread, return value, parameters as the schema decodes them).

use clap::{Parser, Subcommand};
use edera_falco_agent::clock::boot_to_epoch_offset;
use edera_falco_agent::control::Request;
use edera_falco_agent::encode::Encoder;
use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

#[derive(Parser)]
#[command(version, about = "The edera-falco in-zone agent")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Capture while COMMAND runs and print the encoded events of its processes.
    Trace(Run),
    /// Benchmark: syscall-heavy workloads with and without capture (slowdown, events/s, drops).
    Bench {
        /// Size of each CPU's ring buffer in MiB (a power of two).
        #[arg(long, default_value_t = 8)]
        ring_mib: u32,
        /// Runs of each workload per setting; the best time counts.
        #[arg(long, default_value_t = 1)]
        runs: u32,
        /// One JSON object per workload and line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Streaming mode, for the zone link: capture the zone while COMMAND runs and write the
    /// capture (snapshot, then events as they come) to standard output; COMMAND's own output
    /// goes to standard error. Lines `syscalls NAME,...` on standard input change the captured
    /// syscalls (none named: every syscall); a line `snapshot` asks for a fresh snapshot. With --own-pid-namespace only this pid namespace is captured
    /// (zones that share a kernel, as the stand-in daemon's do).
    Stream {
        #[arg(long)]
        own_pid_namespace: bool,
        /// End the capture and COMMAND when standard input closes (the daemon at the link's
        /// other end is gone).
        #[arg(long)]
        end_with_input: bool,
        #[command(flatten)]
        run: Run,
    },
    /// Capture the zone while COMMAND runs into a libscap capture file.
    Capture {
        /// The capture file to write.
        #[arg(short = 'w', long)]
        write: PathBuf,
        /// Write what libscap of 2022 (Debian's sysdig 0.29.3) reads: known event and fd
        /// types in their old layouts; prints what was left out.
        #[arg(long)]
        compat: bool,
        #[command(flatten)]
        run: Run,
    },
}

/// What to capture and while which command.
#[derive(clap::Args)]
struct Run {
    /// Syscalls to capture, comma-separated (default: every syscall).
    #[arg(long, value_delimiter = ',')]
    syscalls: Vec<String>,
    /// Size of each CPU's ring buffer in MiB (a power of two).
    #[arg(long, default_value_t = 8)]
    ring_mib: u32,
    /// The command to run.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn print(raw: &[u8]) {
    let Ok(ev) = RawEvent::parse(raw) else { return };
    let Some(info) = ev.info() else { return };
    let mut line = format!("{} tid={}", info.name, ev.header.tid);
    for (i, p) in info.params.iter().enumerate().take(ev.nparams()) {
        let v = ev.param(i).unwrap_or_default();
        let shown = match p.ptype.fixed_size() {
            Some(8) => i64::from_le_bytes(v.try_into().unwrap_or([0; 8])).to_string(),
            Some(4) => u32::from_le_bytes(v.try_into().unwrap_or([0; 4])).to_string(),
            Some(2) => u16::from_le_bytes(v.try_into().unwrap_or([0; 2])).to_string(),
            _ => String::from_utf8_lossy(v.strip_suffix(&[0]).unwrap_or(v)).into_owned(),
        };
        line.push_str(&format!(" {}={}", p.name, shown));
    }
    println!("{line}");
}

fn trace(syscalls: Vec<String>, ring_mib: u32, command: Vec<String>) -> Result<(), String> {
    let options = Options {
        ring_bytes: ring_mib << 20,
        syscalls,
        ..Options::default()
    };
    let mut probe = Probe::attach(&options).map_err(|e| e.to_string())?;
    let offset = boot_to_epoch_offset();
    let mut encoder = Encoder::new();
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .spawn()
        .map_err(|e| format!("{}: {e}", command[0]))?;
    let pid = child.id();
    let mut pids = vec![pid];
    let mut handle = |r: &edera_falco_agent::record::Record<'_>| {
        if pids.contains(&r.pid) || r.pid == pid {
            encoder.encode(r, r.ts_exit + offset, print);
        }
        // Follow the command's children (clone/fork return the child's pid to the parent).
        if pids.contains(&r.pid) && r.ret > 0 && matches!(r.nr, 56 | 57 | 58 | 435) {
            pids.push(r.ret as u32);
        }
    };
    loop {
        probe.drain(&mut handle);
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    }
    std::thread::sleep(Duration::from_millis(20));
    probe.drain(&mut handle);
    eprintln!("drops per CPU: {:?}", probe.drops());
    Ok(())
}

fn capture(
    write: PathBuf,
    compat: bool,
    syscalls: Vec<String>,
    ring_mib: u32,
    command: Vec<String>,
) -> Result<(), String> {
    let options = Options {
        ring_bytes: ring_mib << 20,
        syscalls,
        ..Options::default()
    };
    let stats = edera_falco_agent::capture::capture(&write, &options, compat, &command)?;
    eprintln!(
        "{}: {} threads, {} fds, {} events, drops per CPU {:?}, command exit {:?}",
        write.display(),
        stats.threads,
        stats.fds,
        stats.events,
        stats.drops,
        stats.exit_code
    );
    if compat {
        eprintln!(
            "compat: left out {} events and {} fds that libscap of 2022 does not read",
            stats.left_out_events, stats.left_out_fds
        );
    }
    Ok(())
}

fn stream(
    own_pid_namespace: bool,
    end_with_input: bool,
    syscalls: Vec<String>,
    ring_mib: u32,
    command: Vec<String>,
) -> Result<(), String> {
    let pidns = if own_pid_namespace {
        Some(Options::own_pidns().map_err(|e| format!("/proc/self/ns/pid: {e}"))?)
    } else {
        None
    };
    let options = Options {
        ring_bytes: ring_mib << 20,
        syscalls,
        pidns,
        ..Options::default()
    };
    // The link's other direction, on standard input: one control request per line (other
    // lines are ignored).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            let Ok(request) = line.parse::<Request>() else {
                continue;
            };
            if tx.send(request).is_err() {
                return;
            }
        }
    });
    let run = edera_falco_agent::capture::Run {
        options: &options,
        compat: false,
        command: &command,
        stream: true,
        workload_stdout_to_stderr: true,
        requests: Some(rx),
        end_with_requests: end_with_input,
    };
    let stats = edera_falco_agent::capture::capture_to(
        std::io::BufWriter::new(std::io::stdout().lock()),
        "standard output",
        &run,
    )?;
    eprintln!(
        "stream ended: {} events, drops per CPU {:?}, command exit {:?}",
        stats.events, stats.drops, stats.exit_code
    );
    Ok(())
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Trace(Run {
            syscalls,
            ring_mib,
            command,
        }) => trace(syscalls, ring_mib, command),
        Cmd::Capture {
            write,
            compat,
            run:
                Run {
                    syscalls,
                    ring_mib,
                    command,
                },
        } => capture(write, compat, syscalls, ring_mib, command),
        Cmd::Stream {
            own_pid_namespace,
            end_with_input,
            run:
                Run {
                    syscalls,
                    ring_mib,
                    command,
                },
        } => stream(
            own_pid_namespace,
            end_with_input,
            syscalls,
            ring_mib,
            command,
        ),
        Cmd::Bench {
            ring_mib,
            runs,
            json,
        } => edera_falco_agent::bench::bench(ring_mib << 20, runs, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edera-falco-agent: {e}");
            ExitCode::FAILURE
        }
    }
}
