//! `edera-falco-agent trace [--syscalls a,b] -- COMMAND...`: capture the syscalls of the zone
//! (this machine) with eBPF while COMMAND runs, and print each as the libscap event it encodes
//! to (event type, thread, return value, parameters as the schema decodes them).

use clap::{Parser, Subcommand};
use edera_falco_agent::encode::encode;
use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Parser)]
#[command(version, about = "The edera-falco in-zone agent")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Capture while COMMAND runs and print the encoded events of its processes.
    Trace {
        /// Syscalls to capture, comma-separated (default: every syscall).
        #[arg(long, value_delimiter = ',')]
        syscalls: Vec<String>,
        /// Ring buffer size in MiB (a power of two).
        #[arg(long, default_value_t = 16)]
        ring_mib: u32,
        /// The command to run.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
}

/// Boot-clock to wall-clock offset, for event timestamps (libscap reports epoch times).
fn boot_offset() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos() as u64;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { clock_gettime(7 /* CLOCK_BOOTTIME */, &mut ts) };
    now.saturating_sub(ts.sec as u64 * 1_000_000_000 + ts.nsec as u64)
}

/// `struct timespec` on 64-bit Linux.
#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
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
    let options = Options { ring_bytes: ring_mib << 20, syscalls };
    let mut probe = Probe::attach(&options).map_err(|e| e.to_string())?;
    let offset = boot_offset();
    let mut child = Command::new(&command[0]).args(&command[1..]).spawn().map_err(|e| format!("{}: {e}", command[0]))?;
    let pid = child.id();
    let mut pids = vec![pid];
    let mut handle = |r: &edera_falco_agent::record::Record<'_>| {
        if pids.contains(&r.pid) || r.pid == pid {
            if let Some(raw) = encode(r, r.ts_exit + offset) {
                print(&raw);
            }
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

fn main() -> ExitCode {
    let Cmd::Trace { syscalls, ring_mib, command } = Cli::parse().command;
    match trace(syscalls, ring_mib, command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edera-falco-agent: {e}");
            ExitCode::FAILURE
        }
    }
}
