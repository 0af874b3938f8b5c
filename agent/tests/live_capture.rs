//! The agent on the real kernel: a workload the test controls runs while the probe is
//! attached, and the encoded events must show what the kernel really did. Skips (with the
//! reason) when not root or when eBPF cannot be loaded; on the project's machines and in CI it
//! runs.

use edera_falco_agent::encode::encode;
use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use std::time::Duration;

/// Events of `pid` as (type, params) with parameters as raw bytes.
fn capture(syscalls: &[&str], workload: impl FnOnce()) -> Option<Vec<Vec<u8>>> {
    let options = Options { ring_bytes: 4 << 20, syscalls: syscalls.iter().map(|s| s.to_string()).collect() };
    let mut probe = match Probe::attach(&options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skipping: cannot attach the probe (root and eBPF needed): {e}");
            return None;
        }
    };
    // The probe skips the agent's own process: run the workload in a child.
    let mut events = Vec::new();
    workload();
    std::thread::sleep(Duration::from_millis(50));
    probe.drain(|r| {
        if let Some(raw) = encode(r, r.ts_exit) {
            events.push(raw);
        }
    });
    assert_eq!(probe.drops().iter().sum::<u64>(), 0, "records dropped");
    Some(events)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b.strip_suffix(&[0]).unwrap_or(b)).into_owned()
}

#[test]
fn open_write_and_failed_open_appear_with_their_arguments() {
    let dir = std::env::temp_dir().join(format!("edera-agent-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hello.txt");
    let missing = dir.join("missing.txt");
    let script = format!("printf edera-live > {}; cat {} 2>/dev/null; true", file.display(), missing.display());
    let Some(events) = capture(&["openat", "write"], || {
        let status = std::process::Command::new("sh").args(["-c", &script]).status().unwrap();
        assert!(status.success());
    }) else {
        return;
    };
    let parsed: Vec<RawEvent<'_>> = events.iter().filter_map(|e| RawEvent::parse(e).ok()).collect();
    let opens: Vec<_> = parsed.iter().filter(|e| e.info().map(|i| i.name) == Some("openat")).collect();
    let created = opens
        .iter()
        .find(|e| text(e.param(2).unwrap()) == file.display().to_string())
        .expect("openat of the created file");
    let fd = i64::from_le_bytes(created.param(0).unwrap().try_into().unwrap());
    assert!(fd >= 0, "fd {fd}");
    let dirfd = i64::from_le_bytes(created.param(1).unwrap().try_into().unwrap());
    assert_eq!(dirfd, -100, "AT_FDCWD");
    let failed = opens
        .iter()
        .find(|e| text(e.param(2).unwrap()) == missing.display().to_string())
        .expect("openat of the missing file");
    assert_eq!(i64::from_le_bytes(failed.param(0).unwrap().try_into().unwrap()), -2, "ENOENT");
    let wrote = parsed
        .iter()
        .filter(|e| e.info().map(|i| i.name) == Some("write"))
        .any(|e| e.param(1) == Some(&b"edera-live"[..]));
    assert!(wrote, "the write with its data");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "edera-live");
    let _ = std::fs::remove_dir_all(&dir);
}
