//! The agent on the real kernel: a workload the test controls runs while the probe is
//! attached, and the encoded events must show what the kernel really did. Skips (with the
//! reason) when not root or when eBPF cannot be loaded; on the project's machines and in CI it
//! runs.

use edera_falco_agent::encode::Encoder;
use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use std::sync::Mutex;
use std::time::Duration;

/// Probes see the whole machine: the tests of this file take turns, so that one test's burst
/// does not fill another's ring buffer.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Events of `pid` as (type, params) with parameters as raw bytes.
fn capture(syscalls: &[&str], workload: impl FnOnce()) -> Option<Vec<Vec<u8>>> {
    let options = Options {
        ring_bytes: 4 << 20,
        syscalls: syscalls.iter().map(|s| s.to_string()).collect(),
        procexit: false,
        pidns: None,
    };
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
    let mut encoder = Encoder::new();
    probe.drain(|r| encoder.encode(r, r.ts_exit, |ev| events.push(ev.to_vec())));
    Some(events)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b.strip_suffix(&[0]).unwrap_or(b)).into_owned()
}

#[test]
fn open_write_and_failed_open_appear_with_their_arguments() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("edera-agent-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hello.txt");
    let missing = dir.join("missing.txt");
    let script = format!(
        "printf edera-live > {}; cat {} 2>/dev/null; true",
        file.display(),
        missing.display()
    );
    let Some(events) = capture(&["openat", "write"], || {
        let status = std::process::Command::new("sh")
            .args(["-c", &script])
            .status()
            .unwrap();
        assert!(status.success());
    }) else {
        return;
    };
    let parsed: Vec<RawEvent<'_>> = events
        .iter()
        .filter_map(|e| RawEvent::parse(e).ok())
        .collect();
    let opens: Vec<_> = parsed
        .iter()
        .filter(|e| e.info().map(|i| i.id) == Some("PPME_SYSCALL_OPENAT_2_X"))
        .collect();
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
    assert_eq!(
        i64::from_le_bytes(failed.param(0).unwrap().try_into().unwrap()),
        -2,
        "ENOENT"
    );
    let wrote = parsed
        .iter()
        .filter(|e| e.info().map(|i| i.name) == Some("write"))
        .any(|e| e.param(1) == Some(&b"edera-live"[..]));
    assert!(wrote, "the write with its data");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "edera-live");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_ring_buffer_drops_and_counts_instead_of_blocking() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // One page of ring buffer holds a handful of records; a burst of 20,000 reads and writes
    // overflows it.
    let options = Options {
        ring_bytes: 4096,
        syscalls: vec!["read".into(), "write".into()],
        procexit: false,
        pidns: None,
    };
    let mut probe = match Probe::attach(&options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skipping: cannot attach the probe (root and eBPF needed): {e}");
            return;
        }
    };
    let status = std::process::Command::new("dd")
        .args(["if=/dev/zero", "of=/dev/null", "bs=1", "count=10000"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let received = probe.drain(|_| {});
    let dropped: u64 = probe.drops().iter().sum();
    eprintln!("received {received}, dropped {dropped}");
    // One 4 KiB ring per CPU; a record is at least its head plus the ring's 8-byte header.
    let room = 4096 / (edera_falco_agent::record::HEAD_LEN + 8)
        * std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        received <= room,
        "4 KiB ring buffers cannot hold {received} records"
    );
    assert!(
        dropped >= 10_000,
        "dd's 20,000 calls must show up as drops, got {dropped}"
    );
}

#[test]
fn the_enabled_syscalls_change_while_attached() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let options = Options {
        ring_bytes: 1 << 20,
        syscalls: vec!["chdir".into()],
        procexit: false,
        pidns: None,
    };
    let mut probe = match Probe::attach(&options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skipping: cannot attach the probe (root and eBPF needed): {e}");
            return;
        }
    };
    let run = || {
        assert!(
            std::process::Command::new("sh")
                .args([
                    "-c",
                    "cd /tmp; mkdir -p /tmp/edera-live-mkdir; rmdir /tmp/edera-live-mkdir"
                ])
                .status()
                .unwrap()
                .success()
        )
    };
    let names = |probe: &mut Probe| {
        let mut seen = std::collections::BTreeSet::new();
        probe.drain(|r| {
            if let Some(e) = edera_falco_agent::coverage::entry(r.nr) {
                seen.insert(e.name);
            }
        });
        seen
    };
    run();
    std::thread::sleep(Duration::from_millis(20));
    let before = names(&mut probe);
    assert!(
        before.contains("chdir") && !before.contains("mkdir"),
        "{before:?}"
    );
    probe.set_syscalls(&["mkdir".into()]).unwrap();
    run();
    std::thread::sleep(Duration::from_millis(20));
    let after = names(&mut probe);
    assert!(
        after.contains("mkdir") && !after.contains("chdir"),
        "{after:?}"
    );
    assert!(
        probe
            .set_syscalls(&["no_such_call".into()])
            .unwrap_err()
            .to_string()
            .contains("no_such_call")
    );
}
