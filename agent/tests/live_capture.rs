//! The agent on the real kernel: a workload the test controls runs while the probe is
//! attached, and the encoded events must show what the kernel really did. Skips (with the
//! reason) when not root or when eBPF cannot be loaded; on the project's machines and in CI it
//! runs.

mod live;

use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use edera_scap::info::FlagTable;
use edera_scap::tables::flags;
use live::{ONE_AT_A_TIME, capture, capture_in, is_root, param_named, text};
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
    // What /proc says, per controller (v1 hierarchies; the kernel names blkio `io`), of the
    // five the modern probe sends, in its order.
    let mut paths = std::collections::BTreeMap::new();
    for line in proc_cgroup.lines() {
        let mut f = line.splitn(3, ':');
        let (_, controllers, path) = (f.next(), f.next().unwrap(), f.next().unwrap());
        for c in controllers
            .split(',')
            .filter(|c| !c.is_empty() && !c.starts_with("name="))
        {
            let c = if c == "blkio" { "io" } else { c };
            paths.insert(c.to_owned(), path.to_owned());
        }
    }
    let expected: Vec<String> = ["cpuset", "cpu", "cpuacct", "io", "memory"]
        .iter()
        .filter_map(|c| Some(format!("{c}={}", paths.get(*c)?)))
        .collect();
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
        assert_eq!(entries, expected, "{}", e.info().unwrap().name);
    }
}

const WORKLOAD: &str = r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
# PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
addr = libc.mmap(None, 12288, 3, 0x22, -1, 0)
assert libc.mprotect(addr, 4096, 1) == 0
assert libc.munmap(addr, 12288) == 0
class Rlimit(ctypes.Structure):
    _fields_ = [("cur", ctypes.c_uint64), ("max", ctypes.c_uint64)]
lim = Rlimit()
assert libc.getrlimit(7, ctypes.byref(lim)) == 0
# PTRACE_TRACEME: the test process becomes the tracer; nothing is executed afterwards.
libc.ptrace(0, 0, 0, 0)
libc.syscall.restype = ctypes.c_long
# nanosleep(&{0, 1500000}, NULL) (glibc's nanosleep is clock_nanosleep)
class Timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
assert libc.syscall(35, ctypes.byref(Timespec(0, 1500000)), None) == 0
# poll({r, POLLIN}, {w, POLLOUT}) on a pipe with a byte in it: both ready
r, w = os.pipe()
os.write(w, b"x")
class Pollfd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]
fds = (Pollfd * 2)(Pollfd(r, 1, 0), Pollfd(w, 4, 0))
assert libc.syscall(7, fds, 2, 1000) == 2
# writev two buffers, then readv them back with the byte already there
assert os.writev(w, [b"edera", b"-iov"]) == 9
assert os.readv(r, [bytearray(4), bytearray(16)]) == 10
# sendmsg two buffers over a socket pair, recvmsg them
import socket
s1, s2 = socket.socketpair()
assert s1.sendmsg([b"hello", b"-msg"]) == 9
assert s2.recvmsg(64)[0] == b"hello-msg"
# openat2(AT_FDCWD, "/", {O_RDONLY|O_DIRECTORY|O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS}, 24)
class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]
how = OpenHow(0o2200000, 0, 4)
fd = libc.syscall(437, -100, b"/", ctypes.byref(how), 24)
assert fd >= 0, ctypes.get_errno()
print(addr, lim.cur, lim.max, r, w, fd, flush=True)
"#;

fn ppm(table: &FlagTable, name: &str) -> u64 {
    table
        .entries
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("{name}"))
}

fn int(e: &RawEvent<'_>, name: &str) -> u64 {
    let i = e.info().unwrap().param_index(name).unwrap();
    let b = e.param(i).unwrap();
    let mut v = [0u8; 8];
    v[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(v)
}

/// Runs the Python `script` with `args` while the probe captures `syscalls`, in this process's
/// pid namespace (the program variant the zone agent loads): the events of the script's thread
/// and what it printed; `None` when the probe cannot be attached. Panics when the script fails.
fn python_under_probe(
    syscalls: &[&str],
    script: &str,
    args: &[&std::ffi::OsStr],
) -> Option<(Vec<Vec<u8>>, String)> {
    let mut run = None;
    let pidns = Options::own_pidns().ok();
    let events = capture_in(syscalls, pidns, || {
        let child = std::process::Command::new("python3")
            .args(["-c", script])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let pid = u64::from(child.id());
        run = Some((pid, child.wait_with_output().unwrap()));
    })?;
    let (pid, out) = run.unwrap();
    assert!(out.status.success(), "workload failed");
    let ours = events
        .into_iter()
        .filter(|e| RawEvent::parse(e).is_ok_and(|e| e.header.tid == pid))
        .collect();
    Some((ours, String::from_utf8(out.stdout).unwrap()))
}

/// The capture plan's newer sources: a Python workload (ctypes, so the syscalls are exactly the
/// ones it makes) maps, protects and unmaps memory, reads a limit and asks to be traced; the
/// exit events carry the values it passed and got back, flags as the PPM tables name them.
#[test]
fn memory_limits_and_ptrace_carry_their_arguments() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let syscalls = [
        "mmap",
        "mprotect",
        "munmap",
        "prlimit64",
        "ptrace",
        "nanosleep",
        "poll",
        "openat2",
        "readv",
        "writev",
        "sendmsg",
        "recvmsg",
    ];
    let Some((events, stdout)) = python_under_probe(&syscalls, WORKLOAD, &[]) else {
        return;
    };
    let printed: Vec<u64> = stdout
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let [addr, cur, max, rfd, wfd, dirfd] = printed[..] else {
        panic!("workload printed {printed:?}")
    };
    let ours: Vec<RawEvent<'_>> = events
        .iter()
        .filter_map(|e| RawEvent::parse(e).ok())
        .collect();
    let find = |id: &str, matches: &dyn Fn(&RawEvent<'_>) -> bool| {
        ours.iter()
            .find(|e| e.info().map(|i| i.id) == Some(id) && matches(e))
            .unwrap_or_else(|| panic!("no {id} of the workload"))
    };

    // The address may be mapped again later by Python itself: the workload's mapping is the one
    // of its length.
    let mmap = find("PPME_SYSCALL_MMAP_X", &|e| {
        int(e, "res") == addr && int(e, "length") == 12288
    });
    assert_eq!(
        int(mmap, "prot"),
        ppm(&flags::PROT_FLAGS, "PROT_READ") | ppm(&flags::PROT_FLAGS, "PROT_WRITE")
    );
    assert_eq!(
        int(mmap, "flags"),
        ppm(&flags::MMAP_FLAGS, "MAP_PRIVATE") | ppm(&flags::MMAP_FLAGS, "MAP_ANONYMOUS")
    );
    assert_eq!(int(mmap, "fd") as i64, -1);
    // A running Python has megabytes mapped and resident.
    assert!(
        int(mmap, "vm_size") > 1024,
        "vm_size {}",
        int(mmap, "vm_size")
    );
    assert!(int(mmap, "vm_rss") > 1024, "vm_rss {}", int(mmap, "vm_rss"));

    let mprotect = find("PPME_SYSCALL_MPROTECT_X", &|e| {
        int(e, "addr") == addr && int(e, "length") == 4096
    });
    assert_eq!(
        (int(mprotect, "res"), int(mprotect, "prot")),
        (0, ppm(&flags::PROT_FLAGS, "PROT_READ"))
    );

    let munmap = find("PPME_SYSCALL_MUNMAP_X", &|e| {
        int(e, "addr") == addr && int(e, "length") == 12288
    });
    assert_eq!(int(munmap, "res"), 0);
    assert!(int(munmap, "vm_size") > 1024);

    // glibc's getrlimit is prlimit64(0, resource, NULL, &old).
    let rlimit = find("PPME_SYSCALL_PRLIMIT_X", &|e| {
        int(e, "resource") == ppm(&flags::RLIMIT_RESOURCES, "RLIMIT_NOFILE")
    });
    assert_eq!((int(rlimit, "oldcur"), int(rlimit, "oldmax")), (cur, max));
    assert_eq!((int(rlimit, "newcur"), int(rlimit, "pid")), (0, 0));

    let ptrace = find("PPME_SYSCALL_PTRACE_X", &|_| true);
    assert_eq!(
        (
            int(ptrace, "res"),
            int(ptrace, "request"),
            int(ptrace, "pid")
        ),
        (0, ppm(&flags::PTRACE_REQUESTS, "PTRACE_TRACEME"), 0)
    );
    // addr and data as PT_DYN: index 0 (a 64-bit value) and the argument, 0 here.
    let param = |e: &RawEvent<'_>, name: &str| param_named(e, name).unwrap().to_vec();
    let zero_u64 = [0u8; 9].to_vec();
    assert_eq!(
        (param(ptrace, "addr"), param(ptrace, "data")),
        (zero_u64.clone(), zero_u64)
    );

    let sleep = find("PPME_SYSCALL_NANOSLEEP_X", &|e| {
        int(e, "interval") == 1_500_000
    });
    assert_eq!(int(sleep, "res"), 0);

    // PT_FDLIST: the count, then each fd (i64) with its returned events (PPM flags, u16).
    let poll = find("PPME_SYSCALL_POLL_X", &|e| int(e, "res") == 2);
    let mut fdlist = 2u16.to_le_bytes().to_vec();
    for (fd, event) in [(rfd, "POLLIN"), (wfd, "POLLOUT")] {
        fdlist.extend_from_slice(&fd.to_le_bytes());
        fdlist.extend_from_slice(&(ppm(&flags::POLL_FLAGS, event) as u16).to_le_bytes());
    }
    assert_eq!((param(poll, "fds"), int(poll, "timeout")), (fdlist, 1000));

    let writev = find("PPME_SYSCALL_WRITEV_X", &|e| int(e, "fd") == wfd);
    assert_eq!(
        (
            int(writev, "res"),
            int(writev, "size"),
            param(writev, "data")
        ),
        (9, 9, b"edera-iov".to_vec())
    );
    let readv = find("PPME_SYSCALL_READV_X", &|e| int(e, "fd") == rfd);
    assert_eq!(
        (int(readv, "res"), int(readv, "size"), param(readv, "data")),
        (10, 10, b"xedera-iov".to_vec())
    );

    let sendmsg = find("PPME_SOCKET_SENDMSG_X", &|e| int(e, "res") == 9);
    assert_eq!(
        (int(sendmsg, "size"), param(sendmsg, "data")),
        (9, b"hello-msg".to_vec())
    );
    let recvmsg = find("PPME_SOCKET_RECVMSG_X", &|e| int(e, "res") == 9);
    assert_eq!(
        (int(recvmsg, "size"), param(recvmsg, "data")),
        (9, b"hello-msg".to_vec())
    );

    let file = |n| ppm(&flags::FILE_FLAGS, n);
    let openat2 = find("PPME_SYSCALL_OPENAT2_X", &|e| int(e, "fd") == dirfd);
    assert_eq!(
        (
            int(openat2, "dirfd") as i64,
            text(&param(openat2, "name")),
            int(openat2, "flags"),
            int(openat2, "resolve")
        ),
        (
            -100,
            "/".to_string(),
            // O_TMPFILE too: its native value includes O_DIRECTORY, and the driver's
            // `flags & O_TMPFILE` test (the modern probe's) sets it for any of its bits.
            file("O_RDONLY") | file("O_DIRECTORY") | file("O_TMPFILE") | file("O_CLOEXEC"),
            ppm(&flags::OPENAT2_FLAGS, "RESOLVE_NO_SYMLINKS")
        )
    );
}

const CREDS_AND_HANDLES: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
L = ctypes.c_long
# getresuid(&r, &e, &s)
ids = [ctypes.c_uint(7) for _ in range(3)]
assert libc.syscall(L(118), *[ctypes.byref(i) for i in ids]) == 0
# capget, then capset without CAP_NET_RAW (13) in the effective set
class Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
class Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]
hdr, caps = Header(0x20080522, 0), (Data * 2)()
assert libc.syscall(L(125), ctypes.byref(hdr), caps) == 0
caps[0].effective &= ~(1 << 13)
assert libc.syscall(L(126), ctypes.byref(hdr), caps) == 0
both = lambda f: getattr(caps[0], f) | (getattr(caps[1], f) << 32)
# mount on a missing directory: fails, with its arguments (MS_RDONLY|MS_NOSUID under the
# legacy magic word)
assert libc.syscall(L(165), b"edera-src", b"/nonexistent-edera", b"tmpfs", L(0xC0ED0003), None) == -1
# ppoll(NULL, 0, &{0, 1000}, &{SIGUSR1}, 8)
class Timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
mask = ctypes.c_uint64(1 << 9)
assert libc.syscall(L(271), None, L(0), ctypes.byref(Timespec(0, 1000)), ctypes.byref(mask), L(8)) == 0
# io_uring_enter(-1, ...): EBADF, with its sig argument
assert libc.syscall(L(426), L(-1), L(0), L(0), L(0), L(0x12345), L(8)) == -1
# name_to_handle_at, then open_by_handle_at on the directory's mount
path = os.path.realpath(sys.argv[1])
class Handle(ctypes.Structure):
    _fields_ = [("bytes", ctypes.c_uint32), ("type", ctypes.c_int), ("f", ctypes.c_ubyte * 128)]
h, mount_id = Handle(128, 0), ctypes.c_int()
assert libc.syscall(L(303), L(-100), path.encode(), ctypes.byref(h), ctypes.byref(mount_id), L(0)) == 0, ctypes.get_errno()
mfd = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
fd = libc.syscall(L(304), L(mfd), ctypes.byref(h), L(0))
assert fd >= 0, ctypes.get_errno()
# sendmmsg two datagrams over a unix socket pair, recvmmsg them
import socket
s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
class Mmsghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(Iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int), ("pad", ctypes.c_int), ("len", ctypes.c_uint32)]
assert ctypes.sizeof(Mmsghdr) == 64
# the first message carries a control message (24 bytes: SCM_RIGHTS of fd 0)
def mmsg(bufs, control):
    iovs = [(Iovec * 1)(Iovec(ctypes.cast(b, ctypes.c_void_p), len(b))) for b in bufs]
    hdrs = [Mmsghdr(None, 0, v, 1, None, 0, 0, 0, 0) for v in iovs]
    hdrs[0].control, hdrs[0].controllen = ctypes.cast(control, ctypes.c_void_p), 24
    return (Mmsghdr * len(bufs))(*hdrs), iovs
rights = (20).to_bytes(8, "little") + (1).to_bytes(4, "little") * 2 + bytes(8)
out = [ctypes.create_string_buffer(b"first-msg", 9), ctypes.create_string_buffer(b"second", 6)]
out_control = ctypes.create_string_buffer(rights, 24)
msgs, keep = mmsg(out, out_control)
assert libc.syscall(L(307), L(s1.fileno()), msgs, L(2), L(0)) == 2
inb = [ctypes.create_string_buffer(32), ctypes.create_string_buffer(32)]
in_control = ctypes.create_string_buffer(24)
msgs, keep = mmsg(inb, in_control)
assert libc.syscall(L(299), L(s2.fileno()), msgs, L(2), L(0), None) == 2
assert inb[0].raw[:9] == b"first-msg" and msgs[0].len == 9
mpassed = int.from_bytes(in_control.raw[16:20], "little")
# keyctl: the session keyring's id (created if need be), then a new session keyring by name
kid = libc.syscall(L(250), L(0), L(-3), L(1))
jid = libc.syscall(L(250), L(1), b"edera-live")
assert kid > 0 and jid > 0, ctypes.get_errno()
# fsconfig on a new tmpfs context: a string value, then a binary one tmpfs refuses
fsfd = libc.syscall(L(430), b"tmpfs", L(0))
assert fsfd >= 0, ctypes.get_errno()
assert libc.syscall(L(431), L(fsfd), L(1), b"size", b"1m", L(0)) == 0, ctypes.get_errno()
assert libc.syscall(L(431), L(fsfd), L(2), b"size", b"\x01\x02", L(2)) == -1
os.close(fsfd)
# quotactl Q_SETQUOTA fails, its struct if_dqblk read after the call: dqb_valid QIF_BLIMITS |
# QIF_SPACE | QIF_ITIME
dqblk = (ctypes.c_uint64 * 9)(100, 90, 4096, 50, 40, 3, 7, 8, 1 | 2 | 32)
assert libc.syscall(L(179), L(0x80000800), b"/nonexistent", L(1000), dqblk) == -1
# prctl: a name (PR_SET_NAME), an integer (PR_SET_DUMPABLE)
assert libc.prctl(15, b"edera-named", 0, 0, 0) == 0
assert libc.prctl(4, 1, 0, 0, 0) == 0
# a semaphore: SETVAL 5, then one operation (-1, IPC_NOWAIT)
sem = libc.syscall(L(64), L(0), L(1), L(0o600))
assert sem >= 0
assert libc.syscall(L(66), L(sem), L(0), L(16), L(5)) == 0
class Sembuf(ctypes.Structure):
    _fields_ = [("num", ctypes.c_ushort), ("op", ctypes.c_short), ("flg", ctypes.c_short)]
ops = (Sembuf * 2)(Sembuf(0, -1, 0o4000), Sembuf(7, 7, 7))
assert libc.syscall(L(65), L(sem), ops, L(1)) == 0
assert libc.syscall(L(66), L(sem), L(0), L(0), L(0)) == 0
# socket options: SO_REUSEADDR 1, SO_RCVTIMEO {2 s, 5 us}, TCP_NODELAY 1; getsockopt SO_TYPE
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
assert libc.syscall(L(54), L(t.fileno()), L(1), L(2), ctypes.byref(ctypes.c_int(1)), L(4)) == 0
assert libc.syscall(L(54), L(t.fileno()), L(1), L(20), ctypes.byref(Timespec(2, 5)), L(16)) == 0
assert libc.syscall(L(54), L(t.fileno()), L(6), L(1), ctypes.byref(ctypes.c_int(1)), L(4)) == 0
val, vlen = ctypes.c_int(0), ctypes.c_uint(4)
assert libc.syscall(L(55), L(t.fileno()), L(1), L(3), ctypes.byref(val), ctypes.byref(vlen)) == 0
# recvmsg with a control message: an fd passed over a socket pair
import array
c1, c2 = socket.socketpair()
c1.sendmsg([b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0]))])
_, anc, _, _ = c2.recvmsg(16, socket.CMSG_SPACE(4))
passed = int.from_bytes(anc[0][2][:4], "little")
# readv on a bad fd: the size of a failed call is 0
assert libc.syscall(L(19), L(-1), None, L(0)) == -1
print(*[i.value for i in ids], both("inheritable"), both("permitted"), both("effective"), mfd, fd, os.stat(path).st_ino, passed, mpassed, kid, jid, flush=True)
print(path, flush=True)
"#;

/// The sources added last: a Python workload reads its ids, drops a capability, fails a mount,
/// waits in ppoll with a signal mask and opens a file by its handle; the exit events carry
/// what it passed and what the kernel gave back (capabilities after the call, the opened
/// file's path and inode).
#[test]
fn credentials_mounts_and_handles_carry_their_arguments() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("edera-handle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("target");
    std::fs::write(&file, b"x").unwrap();
    let syscalls = [
        "getresuid",
        "capset",
        "mount",
        "ppoll",
        "io_uring_enter",
        "open_by_handle_at",
        "sendmmsg",
        "recvmmsg",
        "prctl",
        "semctl",
        "semop",
        "setsockopt",
        "getsockopt",
        "readv",
        "recvmsg",
        "keyctl",
        "fsconfig",
        "quotactl",
    ];
    let run = python_under_probe(&syscalls, CREDS_AND_HANDLES, &[file.as_os_str()]);
    std::fs::remove_dir_all(&dir).unwrap();
    let Some((events, stdout)) = run else {
        return;
    };
    let mut lines = stdout.lines();
    let printed: Vec<u64> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let [
        ruid,
        euid,
        suid,
        inh,
        perm,
        eff,
        mfd,
        fd,
        ino,
        passed,
        mpassed,
        kid,
        jid,
    ] = printed[..]
    else {
        panic!("workload printed {printed:?}")
    };
    let path = lines.next().unwrap();
    let ours: Vec<RawEvent<'_>> = events
        .iter()
        .filter_map(|e| RawEvent::parse(e).ok())
        .collect();
    let find = |id: &str| {
        ours.iter()
            .find(|e| e.info().map(|i| i.id) == Some(id))
            .unwrap_or_else(|| panic!("no {id} of the workload"))
    };
    let param = |e: &RawEvent<'_>, name: &str| param_named(e, name).unwrap().to_vec();

    let ids = find("PPME_SYSCALL_GETRESUID_X");
    assert_eq!(
        (int(ids, "ruid"), int(ids, "euid"), int(ids, "suid")),
        (ruid, euid, suid)
    );

    let capset = find("PPME_SYSCALL_CAPSET_X");
    assert_eq!(
        (
            int(capset, "res"),
            int(capset, "cap_inheritable"),
            int(capset, "cap_permitted"),
            int(capset, "cap_effective")
        ),
        (0, inh, perm, eff)
    );
    assert_eq!(eff & (1 << 13), 0, "the workload dropped CAP_NET_RAW");

    let mount = find("PPME_SYSCALL_MOUNT_X");
    let mflag = |n| ppm(&flags::MOUNT_FLAGS, n);
    assert_eq!(
        (
            text(&param(mount, "dev")),
            text(&param(mount, "dir")),
            text(&param(mount, "type")),
        ),
        (
            "edera-src".to_string(),
            "/nonexistent-edera".to_string(),
            "tmpfs".to_string()
        )
    );
    assert_eq!(int(mount, "flags"), mflag("RDONLY") | mflag("NOSUID"));

    // The kernel writes the time left back into the timespec (none after the whole wait),
    // and the timeout is read at exit, as the modern probe reads it.
    let ppoll = find("PPME_SYSCALL_PPOLL_X");
    assert_eq!(
        (
            int(ppoll, "res"),
            int(ppoll, "timeout"),
            int(ppoll, "sigmask")
        ),
        (0, 0, 1 << 9)
    );

    let enter = find("PPME_SYSCALL_IO_URING_ENTER_X");
    assert_eq!((int(enter, "fd") as i64, int(enter, "sig")), (-1, 0x12345));

    let prctls: Vec<_> = ours
        .iter()
        .filter(|e| e.info().map(|i| i.id) == Some("PPME_SYSCALL_PRCTL_X"))
        .collect();
    let set_name = prctls
        .iter()
        .find(|e| int(e, "option") == ppm(&flags::PRCTL_OPTIONS, "PR_SET_NAME"))
        .expect("PR_SET_NAME");
    assert_eq!(
        (
            text(&param(set_name, "arg2_str")),
            int(set_name, "arg2_int")
        ),
        ("edera-named".to_string(), 0)
    );
    let dumpable = prctls
        .iter()
        .find(|e| int(e, "option") == ppm(&flags::PRCTL_OPTIONS, "PR_SET_DUMPABLE"))
        .expect("PR_SET_DUMPABLE");
    assert_eq!(
        (param(dumpable, "arg2_str"), int(dumpable, "arg2_int")),
        (Vec::new(), 1)
    );

    // semctl's val is SETVAL's only; semop's second operation is zero when one is passed.
    let semctls: Vec<(u64, u64)> = ours
        .iter()
        .filter(|e| e.info().map(|i| i.id) == Some("PPME_SYSCALL_SEMCTL_X"))
        .map(|e| (int(e, "cmd"), int(e, "val")))
        .collect();
    let semctl = |n| ppm(&flags::SEMCTL_COMMANDS, n);
    assert_eq!(semctls, [(semctl("SETVAL"), 5), (semctl("IPC_RMID"), 0)]);
    let semop = find("PPME_SYSCALL_SEMOP_X");
    assert_eq!(
        (
            int(semop, "nsops"),
            int(semop, "sem_op_0") as u16 as i16,
            int(semop, "sem_flg_0"),
            int(semop, "sem_num_1"),
            int(semop, "sem_op_1"),
            int(semop, "sem_flg_1")
        ),
        (1, -1, ppm(&flags::SEMOP_FLAGS, "IPC_NOWAIT"), 0, 0, 0)
    );

    // Option values as PT_DYN: an index of sockopt_dynamic_param, then the value.
    let sockopts: Vec<(u64, u64, Vec<u8>, u64)> = ours
        .iter()
        .filter(|e| e.info().map(|i| i.id) == Some("PPME_SOCKET_SETSOCKOPT_X"))
        .map(|e| {
            (
                int(e, "level"),
                int(e, "optname"),
                param(e, "val"),
                int(e, "optlen"),
            )
        })
        .collect();
    let level = |n| ppm(&flags::SOCKOPT_LEVELS, n);
    let option = |n| ppm(&flags::SOCKOPT_OPTIONS, n);
    let dyn_value = |index: u8, v: &[u8]| [&[index][..], v].concat();
    assert_eq!(
        sockopts,
        [
            (
                level("SOL_SOCKET"),
                option("SO_REUSEADDR"),
                dyn_value(2, &1u32.to_le_bytes()),
                4
            ),
            (
                level("SOL_SOCKET"),
                option("SO_RCVTIMEO"),
                dyn_value(4, &2_000_005_000u64.to_le_bytes()),
                16
            ),
            (level("SOL_TCP"), 0, dyn_value(0, &1u32.to_le_bytes()), 4),
        ]
    );
    let get = find("PPME_SOCKET_GETSOCKOPT_X");
    assert_eq!(
        (int(get, "optname"), param(get, "val"), int(get, "optlen")),
        (option("SO_TYPE"), dyn_value(2, &1u32.to_le_bytes()), 4)
    );

    // The control message as the call left it: struct cmsghdr (len 20, SOL_SOCKET,
    // SCM_RIGHTS) and the fd it received.
    let recvmsg = find("PPME_SOCKET_RECVMSG_X");
    let mut control = 20u64.to_le_bytes().to_vec();
    control.extend_from_slice(&1u32.to_le_bytes());
    control.extend_from_slice(&1u32.to_le_bytes());
    control.extend_from_slice(&(passed as u32).to_le_bytes());
    assert_eq!(
        (
            param(recvmsg, "data"),
            param(recvmsg, "msgcontrol")[..20].to_vec()
        ),
        (b"fd".to_vec(), control)
    );

    let readv = find("PPME_SYSCALL_READV_X");
    assert_eq!((int(readv, "res") as i64, int(readv, "size")), (-9, 0));

    // One event per call, of its first message.
    for id in ["PPME_SOCKET_SENDMMSG_X", "PPME_SOCKET_RECVMMSG_X"] {
        let e = find(id);
        assert_eq!(
            (int(e, "res"), int(e, "size"), param(e, "data")),
            (9, 9, b"first-msg".to_vec()),
            "{id}"
        );
    }
    // recvmmsg's first message's control message, as the call left it: the fd received.
    let mut mcontrol = 20u64.to_le_bytes().to_vec();
    mcontrol.extend_from_slice(&1u32.to_le_bytes());
    mcontrol.extend_from_slice(&1u32.to_le_bytes());
    mcontrol.extend_from_slice(&(mpassed as u32).to_le_bytes());
    let recvmmsg = find("PPME_SOCKET_RECVMMSG_X");
    assert_eq!(param(recvmmsg, "msgcontrol")[..20], mcontrol);

    // keyctl: each argument a PT_DYN, an integer (index 0) or a string (index 1) by the
    // operation; the ids are the ones the workload got.
    let keyctl = |op: u64| {
        ours.iter()
            .find(|e| {
                e.info().map(|i| i.id) == Some("PPME_SYSCALL_KEYCTL_X") && int(e, "operation") == op
            })
            .unwrap_or_else(|| panic!("no keyctl {op} of the workload"))
    };
    let get = keyctl(0);
    assert_eq!(
        (int(get, "res"), param(get, "arg2"), param(get, "arg3")),
        (
            kid,
            dyn_value(0, &(-3i64).to_le_bytes()),
            dyn_value(0, &1i64.to_le_bytes())
        )
    );
    // fsconfig: the string value of a call that succeeded; none of one that failed.
    let fsconfigs: Vec<_> = ours
        .iter()
        .filter(|e| e.info().map(|i| i.id) == Some("PPME_SYSCALL_FSCONFIG_X"))
        .map(|e| {
            (
                int(e, "res") as i64,
                text(&param(e, "key")),
                param(e, "value_bytebuf"),
                param(e, "value_charbuf"),
                int(e, "aux"),
            )
        })
        .collect();
    assert_eq!(
        fsconfigs,
        [
            (0, "size".to_string(), vec![], b"1m\0".to_vec(), 0),
            (-22, "size".to_string(), vec![], vec![], 2)
        ]
    );
    // quotactl: the fields of struct if_dqblk whose dqb_valid bit is set, the others 0.
    let quotactl = find("PPME_SYSCALL_QUOTACTL_X");
    let fields: Vec<u64> = [
        "id",
        "dqb_bhardlimit",
        "dqb_bsoftlimit",
        "dqb_curspace",
        "dqb_ihardlimit",
        "dqb_isoftlimit",
        "dqb_btime",
        "dqb_itime",
    ]
    .iter()
    .map(|n| int(quotactl, n))
    .collect();
    assert_eq!(fields, [1000, 100, 90, 4096, 0, 0, 0, 8]);
    let join = keyctl(1);
    assert_eq!(
        (int(join, "res"), param(join, "arg2"), param(join, "arg5")),
        (
            jid,
            dyn_value(1, b"edera-live\0"),
            dyn_value(0, &0i64.to_le_bytes())
        )
    );

    let by_handle = find("PPME_SYSCALL_OPEN_BY_HANDLE_AT_X");
    assert_eq!(
        (
            int(by_handle, "fd"),
            int(by_handle, "mountfd"),
            int(by_handle, "ino")
        ),
        (fd, mfd, ino)
    );
    assert_eq!(text(&param(by_handle, "path")), path);
    assert_eq!(int(by_handle, "flags"), ppm(&flags::FILE_FLAGS, "O_RDONLY"));
}
