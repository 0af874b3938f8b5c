//! Process events on the real kernel: the process fields the kernel side reads at the exit
//! tracepoint (working directory, exe file with its flags and overlayfs layer, capabilities,
//! effective ids, process group, tty, page faults, argument and environment areas, a failed
//! exec's argv, a new thread's clone flags) must be what the kernel had, also for processes
//! gone before the events are encoded. Skips (with the reason) when not root; as root the probe must attach.

mod live;

use edera_scap::event::RawEvent;
use live::{ONE_AT_A_TIME, capture, is_root, param_named, text};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

const PROCESS_SYSCALLS: &[&str] = &["clone", "clone3", "fork", "vfork", "execve", "execveat"];

/// libscap's execve flags.
const EXE_WRITABLE: u32 = 1;
const EXE_UPPER_LAYER: u32 = 2;
const EXE_FROM_MEMFD: u32 = 4;
const EXE_LOWER_LAYER: u32 = 8;

fn parsed(events: &[Vec<u8>]) -> Vec<RawEvent<'_>> {
    events
        .iter()
        .filter_map(|e| RawEvent::parse(e).ok())
        .collect()
}

fn is_exit_of(e: &RawEvent<'_>, names: &[&str]) -> bool {
    e.info()
        .is_some_and(|i| names.contains(&i.name) && i.id.ends_with("_X"))
}

fn execs<'a>(events: &'a [RawEvent<'a>]) -> impl Iterator<Item = &'a RawEvent<'a>> {
    events
        .iter()
        .filter(|e| is_exit_of(e, &["execve", "execveat"]))
}

/// An integer parameter (little-endian, 4 or 8 bytes).
fn int(e: &RawEvent<'_>, name: &str) -> u64 {
    let b = param_named(e, name).unwrap_or_else(|| panic!("no {name}"));
    match b.len() {
        4 => u64::from(u32::from_le_bytes(b.try_into().unwrap())),
        8 => u64::from_le_bytes(b.try_into().unwrap()),
        n => panic!("{name} has {n} bytes"),
    }
}

fn string(e: &RawEvent<'_>, name: &str) -> String {
    text(param_named(e, name).unwrap_or_else(|| panic!("no {name}")))
}

/// A directory made for a test, removed when dropped.
struct TestDir(PathBuf);

impl TestDir {
    fn new(parent: &Path, name: &str) -> TestDir {
        let dir = parent.join(format!("edera-agent-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TestDir(dir.canonicalize().unwrap())
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sh(script: &str) -> String {
    let o = Command::new("sh").args(["-c", script]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn the_cwd_is_right_for_a_process_gone_before_encoding() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Under /dev/shm, a mount of its own (under /dev, another one): the walk crosses mounts.
    let shm = Path::new("/dev/shm");
    let dir = TestDir::new(if shm.is_dir() { shm } else { Path::new("/tmp") }, "cwd");
    // The shell changes directory, forks /bin/true, and both exit before the events are
    // encoded.
    let mut shell_pid = 0u64;
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        let script = format!("cd {} && /bin/true; echo $$", dir.0.display());
        shell_pid = sh(&script).parse().unwrap();
    }) else {
        return;
    };
    let events = parsed(&events);
    let want = dir.0.display().to_string();
    let fork = events
        .iter()
        .find(|e| {
            e.header.tid == shell_pid
                && is_exit_of(e, &["clone", "clone3", "fork", "vfork"])
                && int(e, "res") as i64 > 0
        })
        .expect("the shell's fork");
    assert_eq!(string(fork, "cwd"), want);
    let exec = execs(&events)
        .find(|e| int(e, "ptid") == shell_pid && string(e, "trusted_exepath").ends_with("/true"))
        .expect("true's execve");
    assert_eq!(string(exec, "cwd"), want);
}

#[test]
fn an_exec_carries_its_exe_file_and_whether_the_caller_may_write_it() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !is_root() {
        eprintln!("skipping: running as another user needs root");
        return;
    }
    let dir = TestDir::new(&std::env::temp_dir(), "exe");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.0.join("edera-true");
    std::fs::copy("/bin/true", &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let meta = std::fs::metadata(&exe).unwrap();
    // Root (the owner) may write it; nobody may not (mode 755, owned by root). A third exec
    // keeps the real uid 0 with the effective uid nobody: the event's uid is the effective one.
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        sh(&format!(
            "{0}; setpriv --reuid=65534 --regid=65534 --clear-groups {0}; \
             setpriv --euid=65534 {0} euid-only",
            exe.display()
        ));
    }) else {
        return;
    };
    let events = parsed(&events);
    let path = exe.display().to_string();
    let ours: Vec<_> = execs(&events)
        .filter(|e| string(e, "trusted_exepath") == path)
        .collect();
    let is_euid_only = |e: &RawEvent<'_>| param_named(e, "args") == Some(b"euid-only\0");
    let (euid_only, ours): (Vec<_>, Vec<_>) = ours.into_iter().partition(|e| is_euid_only(e));
    assert_eq!(
        euid_only.len(),
        1,
        "the exec with only the effective uid changed"
    );
    assert_eq!(int(euid_only[0], "uid"), 65534);
    let by = |uid: u64| {
        ours.iter()
            .find(|e| int(e, "uid") == uid)
            .unwrap_or_else(|| panic!("the exec of {path} by uid {uid} among {}", ours.len()))
    };
    let (root, nobody) = (by(0), by(65534));
    let ns = |sec: i64, nsec: i64| (sec * 1_000_000_000 + nsec) as u64;
    for e in [root, nobody] {
        assert_eq!(int(e, "exe_ino"), meta.ino());
        assert_eq!(int(e, "exe_ino_mtime"), ns(meta.mtime(), meta.mtime_nsec()));
        assert_eq!(int(e, "exe_ino_ctime"), ns(meta.ctime(), meta.ctime_nsec()));
        assert_eq!(int(e, "flags") as u32 & EXE_FROM_MEMFD, 0);
    }
    assert_eq!(int(root, "flags") as u32 & EXE_WRITABLE, EXE_WRITABLE);
    assert_eq!(int(nobody, "flags") as u32 & EXE_WRITABLE, 0);
}

#[test]
fn an_exec_from_a_memfd_is_flagged_and_named_after_it() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let python = "import os\n\
        fd = os.memfd_create('edera-memfd')\n\
        os.write(fd, open('/bin/true', 'rb').read())\n\
        os.execve(fd, ['edera-memfd-true'], {})\n";
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        let s = Command::new("python3")
            .args(["-c", python])
            .status()
            .unwrap();
        assert!(s.success());
    }) else {
        return;
    };
    let events = parsed(&events);
    let exec = execs(&events)
        .find(|e| string(e, "exe") == "edera-memfd-true")
        .expect("the exec of the memfd");
    assert_eq!(int(exec, "res"), 0);
    assert_eq!(int(exec, "flags") as u32 & EXE_FROM_MEMFD, EXE_FROM_MEMFD);
    assert_eq!(string(exec, "trusted_exepath"), "memfd:edera-memfd");
}

#[test]
fn arguments_arrive_whole_up_to_the_probe_limit() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // 1500 bytes of arguments, then 6000: the second is cut at 4096 bytes of argument area
    // (the exe, its NUL, then the arguments).
    let args_of = |tag: &str, n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("{tag}-{i:04}-{}", "x".repeat(40)))
            .collect()
    };
    let (short, long) = (args_of("short", 30), args_of("long", 120));
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        for args in [&short, &long] {
            let s = Command::new("/bin/echo").args(args).output().unwrap();
            assert!(s.status.success());
        }
    }) else {
        return;
    };
    let events = parsed(&events);
    let args_param = |first: &str| {
        execs(&events)
            .find_map(|e| {
                let a = param_named(e, "args")?;
                a.starts_with(first.as_bytes()).then(|| a.to_vec())
            })
            .unwrap_or_else(|| panic!("the exec with {first}"))
    };
    let joined = |args: &[String]| -> Vec<u8> {
        args.iter()
            .flat_map(|a| a.bytes().chain([0]))
            .collect::<Vec<u8>>()
    };
    assert!(joined(&short).len() > 1000);
    assert_eq!(args_param(&short[0]), joined(&short));
    let got = args_param(&long[0]);
    let room = 4096 - "/bin/echo\0".len();
    assert_eq!(&got[..room], &joined(&long)[..room]);
    // The cut argument ends with the NUL the encoder adds.
    assert_eq!(got.len(), room + 1);
}

#[test]
fn an_exec_carries_the_caps_process_group_tty_and_faults_proc_shows() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // cat runs on a pseudo-terminal of its own (a new session with it as controlling tty) and
    // prints what /proc says of it there.
    let python = "import os, pty, sys\n\
        pid, fd = pty.fork()\n\
        if pid == 0:\n    os.execv('/bin/cat', ['cat', '/proc/self/status', '/proc/self/stat'])\n\
        out = b''\n\
        while True:\n    try:\n        b = os.read(fd, 4096)\n    except OSError:\n        break\n    if not b:\n        break\n    out += b\n\
        os.waitpid(pid, 0)\n\
        sys.stdout.write(out.decode())\n";
    let mut seen = String::new();
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        let o = Command::new("python3")
            .args(["-c", python])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        seen = String::from_utf8_lossy(&o.stdout).into_owned();
    }) else {
        return;
    };
    let status = |key: &str| -> u64 {
        let line = seen
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key} in {seen}"));
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    // /proc/self/stat: the fields after the command's closing parenthesis, from the state.
    let stat: Vec<u64> = seen
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let (pgrp, tty_nr, minflt) = (stat[1], stat[3], stat[6]);
    let stat_pid: u64 = seen
        .lines()
        .find_map(|l| l.split_once(" (")?.0.parse().ok())
        .unwrap();
    let events = parsed(&events);
    let cat = execs(&events)
        .find(|e| {
            param_named(e, "args").is_some_and(|a| text(a).starts_with("/proc/self/status\0"))
        })
        .expect("cat's execve");
    assert_eq!(int(cat, "cap_inheritable"), status("CapInh:"));
    assert_eq!(int(cat, "cap_permitted"), status("CapPrm:"));
    assert_eq!(int(cat, "cap_effective"), status("CapEff:"));
    assert_eq!(int(cat, "vpgid"), pgrp);
    // The process group as the initial pid namespace numbers it, when /proc is that one's.
    if int(cat, "pid") == stat_pid {
        assert_eq!(int(cat, "pgid"), pgrp);
    }
    assert_ne!(tty_nr, 0, "cat has a controlling tty");
    assert_eq!(int(cat, "tty"), tty_nr);
    // Faults up to the exec's exit: some, and no more than cat had when it read its stat.
    let faults = int(cat, "pgft_min");
    assert!(faults > 0 && faults <= minflt, "{faults} of {minflt}");
}

#[test]
fn a_failed_exec_carries_the_arguments_and_environment_it_was_given() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let missing = "/nonexistent/edera-missing";
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        let spawned = Command::new(missing)
            .args(["arg-one", "arg-two"])
            .env_clear()
            .env("EDERA_FAILED_EXEC", "1")
            .spawn();
        assert!(spawned.is_err());
    }) else {
        return;
    };
    let events = parsed(&events);
    let exec = execs(&events)
        .find(|e| string(e, "exe") == missing)
        .expect("the failed exec");
    assert!((int(exec, "res") as i64) < 0);
    assert_eq!(param_named(exec, "args"), Some(&b"arg-one\0arg-two\0"[..]));
    assert_eq!(
        param_named(exec, "env"),
        Some(&b"EDERA_FAILED_EXEC=1\0"[..])
    );
}

/// An overlayfs mount of a lower and an upper directory made for a test; unmounted and removed
/// when dropped.
struct TestOverlay {
    merged: PathBuf,
    /// Removed after the unmount (fields drop after `drop`).
    _dir: TestDir,
}

impl TestOverlay {
    /// `None` when the mount is refused (no overlayfs, no privilege).
    fn new() -> Option<TestOverlay> {
        let dir = TestDir::new(&std::env::temp_dir(), "overlay");
        let sub = |name: &str| {
            let d = dir.0.join(name);
            std::fs::create_dir_all(&d).unwrap();
            d
        };
        let (lower, upper, work, merged) = (sub("lower"), sub("upper"), sub("work"), sub("merged"));
        std::fs::copy("/bin/true", lower.join("lower-true")).unwrap();
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            upper.display(),
            work.display()
        );
        let mounted = Command::new("mount")
            .args(["-t", "overlay", "overlay", "-o", &options])
            .arg(&merged)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(TestOverlay { merged, _dir: dir })
    }
}

impl Drop for TestOverlay {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.merged).status();
    }
}

#[test]
fn an_exec_on_overlayfs_says_which_layer_its_file_is_in() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some(overlay) = TestOverlay::new() else {
        eprintln!("skipping: cannot mount overlayfs here");
        return;
    };
    // One file comes from the lower layer; one is copied in through the mount (upper layer).
    let lower = overlay.merged.join("lower-true");
    let upper = overlay.merged.join("upper-true");
    std::fs::copy("/bin/true", &upper).unwrap();
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        sh(&format!("{}; {}", lower.display(), upper.display()));
    }) else {
        return;
    };
    let events = parsed(&events);
    let flags_of = |path: &Path| {
        let path = path.display().to_string();
        let e = execs(&events)
            .find(|e| string(e, "trusted_exepath") == path)
            .unwrap_or_else(|| panic!("the exec of {path}"));
        int(e, "flags") as u32 & (EXE_UPPER_LAYER | EXE_LOWER_LAYER)
    };
    assert_eq!(flags_of(&lower), EXE_LOWER_LAYER);
    assert_eq!(flags_of(&upper), EXE_UPPER_LAYER);
}

#[test]
fn a_new_threads_clone3_exit_carries_the_flags_its_caller_passed() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Python starts each thread with glibc's clone3 and goes on on the same stack while the
    // thread starts: the child's exit must not read the caller's struct clone_args from there.
    const THREADS: usize = 64;
    let script = format!(
        "import os, threading\n\
         for _ in range({THREADS}):\n    t = threading.Thread(target=int); t.start(); t.join()\n\
         print(os.getpid())"
    );
    let mut pid = 0u64;
    let Some(events) = capture(PROCESS_SYSCALLS, || {
        let o = Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        pid = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
    }) else {
        return;
    };
    let events = parsed(&events);
    let clone3s: Vec<_> = events
        .iter()
        .filter(|e| is_exit_of(e, &["clone3"]) && int(e, "pid") == pid)
        .collect();
    // The new threads (the process itself may have started with a clone3 of its launcher).
    let children: Vec<_> = clone3s
        .iter()
        .filter(|e| int(e, "res") == 0 && e.header.tid != pid)
        .collect();
    assert_eq!(children.len(), THREADS, "the new threads' clone3 exits");
    let thread = edera_scap::tables::flags::CLONE_FLAGS
        .entries
        .iter()
        .find(|(n, _)| *n == "CLONE_THREAD")
        .unwrap()
        .1;
    for child in children {
        let tid = child.header.tid;
        let caller = clone3s
            .iter()
            .find(|e| int(e, "res") == tid)
            .unwrap_or_else(|| panic!("the clone3 exit that started thread {tid}"));
        let flags = int(child, "flags");
        assert_eq!(flags, int(caller, "flags"), "thread {tid}");
        assert_ne!(flags & thread, 0, "thread {tid}: {flags:#x}");
    }
}
