//! What the live tests share: attaching the probe around a workload, and reading the encoded
//! events' parameters.

use edera_falco_agent::encode::Encoder;
use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use std::sync::Mutex;
use std::time::Duration;

/// Probes see the whole machine: the tests of a file take turns, so that one test's burst
/// does not fill another's ring buffer.
pub static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The encoded events of every process while `workload` runs with `syscalls` enabled; `None`
/// (with the reason printed) when the probe cannot be attached without root. As root, the
/// probe must attach: a program the kernel refuses fails the test rather than skipping it.
pub fn capture(syscalls: &[&str], workload: impl FnOnce()) -> Option<Vec<Vec<u8>>> {
    capture_in(syscalls, None, workload)
}

/// [`capture`], in pid namespace `pidns` only when given (the zone agent's mode, whose program
/// the verifier checks apart).
pub fn capture_in(
    syscalls: &[&str],
    pidns: Option<(u64, u64)>,
    workload: impl FnOnce(),
) -> Option<Vec<Vec<u8>>> {
    let options = Options {
        ring_bytes: 4 << 20,
        syscalls: syscalls.iter().map(|s| s.to_string()).collect(),
        procexit: false,
        pidns,
    };
    let mut probe = match Probe::attach(&options) {
        Ok(p) => p,
        Err(e) if is_root() => panic!("cannot attach the probe as root: {e}"),
        Err(e) => {
            eprintln!("skipping: cannot attach the probe (root and eBPF needed): {e}");
            return None;
        }
    };
    // The probe skips the agent's own process: run the workload in a child.
    let mut events = Vec::new();
    workload();
    std::thread::sleep(Duration::from_millis(50));
    let mut encoder = Encoder::new();
    probe.drain(|r| encoder.encode(r, r.ts_exit, |ev| events.push(ev.to_vec())));
    Some(events)
}

/// A string parameter without its NUL.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b.strip_suffix(&[0]).unwrap_or(b)).into_owned()
}

/// The value of the parameter named `name` of `e`.
pub fn param_named<'a>(e: &RawEvent<'a>, name: &str) -> Option<&'a [u8]> {
    let i = e.info()?.params.iter().position(|p| p.name == name)?;
    e.param(i)
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}
