//! The agent on the real kernel: a workload the test controls runs while the probe is
//! attached, and the encoded events must show what the kernel really did. Skips (with the
//! reason) when not root or when eBPF cannot be loaded; on the project's machines and in CI it
//! runs.

mod live;

use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use live::{ONE_AT_A_TIME, capture, is_root, param_named, text};
use std::time::Duration;

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

/// A cgroup made for a test in every mounted v1 controller hierarchy, or in the v2 hierarchy on
/// a v2-only host; removed when dropped.
struct TestCgroup {
    dirs: Vec<std::path::PathBuf>,
}

impl TestCgroup {
    fn new(name: &str) -> TestCgroup {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
        let mut hierarchies: Vec<std::path::PathBuf> = mounts
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let v1_controller = f[2] == "cgroup" && !f[3].contains("name=");
                let v2_only = f[2] == "cgroup2" && f[1] == "/sys/fs/cgroup";
                (v1_controller || v2_only).then(|| f[1].into())
            })
            .collect();
        hierarchies.sort();
        let dirs = hierarchies.iter().map(|h| h.join(name)).collect::<Vec<_>>();
        for d in &dirs {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        }
        TestCgroup { dirs }
    }

    /// A shell command moving the shell into the cgroup.
    fn enter(&self) -> String {
        self.dirs
            .iter()
            .map(|d| format!("echo $$ > {}/cgroup.procs; ", d.display()))
            .collect()
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        for d in &self.dirs {
            // The last member may still be exiting: rmdir answers EBUSY for a moment.
            for _ in 0..100 {
                if std::fs::remove_dir(d).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

#[test]
fn process_events_carry_the_cgroups_the_kernel_gives_the_process() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        eprintln!("skipping: creating cgroups needs root");
        return;
    }
    let name = format!("edera-agent-cg-{}", std::process::id());
    let cgroup = TestCgroup::new(&name);
    let out = std::env::temp_dir().join(format!("{name}.cgroup"));
    // The shell moves itself into the cgroup, then forks and executes cat, which saves what
    // /proc says of the shell's cgroups.
    let script = format!(
        "{}cat /proc/$$/cgroup > {}; echo $$",
        cgroup.enter(),
        out.display()
    );
    let mut shell_pid = 0u64;
    let Some(events) = capture(&["clone", "clone3", "fork", "vfork", "execve"], || {
        let o = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        shell_pid = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
    }) else {
        return;
    };
    let proc_cgroup = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    // What /proc says, per controller (v1 hierarchies; the kernel names blkio `io`).
    let mut expected = Vec::new();
    for line in proc_cgroup.lines() {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next(), f.next().unwrap(), f.next().unwrap());
        for c in controllers
            .split(',')
            .filter(|c| !c.is_empty() && !c.starts_with("name="))
        {
            let c = if c == "blkio" { "io" } else { c };
            expected.push(format!("{c}={path}"));
        }
    }
    assert!(
        expected.iter().any(|e| e.ends_with(&format!("/{name}"))),
        "the shell is in {name}: {proc_cgroup}"
    );
    let parsed: Vec<RawEvent<'_>> = events
        .iter()
        .filter_map(|e| RawEvent::parse(e).ok())
        .collect();
    let is = |e: &RawEvent<'_>, names: &[&str]| {
        e.info()
            .is_some_and(|i| names.contains(&i.name) && i.id.ends_with("_X"))
    };
    // The shell's own fork of cat (the parent's side: it returns the child's id), not the
    // child's side of the fork that started the shell.
    let fork = parsed
        .iter()
        .find(|e| {
            e.header.tid == shell_pid
                && is(e, &["clone", "clone3", "fork", "vfork"])
                && e.param(0)
                    .is_some_and(|r| r.len() == 8 && i64::from_le_bytes(r.try_into().unwrap()) > 0)
        })
        .expect("the shell's fork");
    let exec = parsed
        .iter()
        .find(|e| {
            // The shell's child (other processes of the machine may run cat too).
            is(e, &["execve"])
                && param_named(e, "exe").map(text).as_deref() == Some("cat")
                && param_named(e, "ptid") == Some(&shell_pid.to_le_bytes()[..])
        })
        .expect("cat's execve");
    for e in [fork, exec] {
        let cgroups = param_named(e, "cgroups").expect("a cgroups parameter");
        let entries: Vec<String> = cgroups
            .strip_suffix(&[0])
            .unwrap_or(cgroups)
            .split(|&b| b == 0)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        for want in &expected {
            assert!(
                entries.contains(want),
                "{} lacks {want}: {entries:?}",
                e.info().unwrap().name
            );
        }
    }
}
