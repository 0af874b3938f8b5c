//! The capture plan's newer sources on the real kernel: a Python workload (ctypes, so the
//! syscalls are exactly the ones it makes) maps, protects and unmaps memory, reads a limit and
//! asks to be traced; the encoded exit events must carry the values the workload passed and
//! got back, with the flags as the PPM tables name them. Skips (with the reason) when not root,
//! when eBPF cannot be loaded, or without python3.

use edera_falco_agent::encode::Encoder;
use edera_falco_agent::probe::{Options, Probe};
use edera_scap::event::RawEvent;
use edera_scap::info::FlagTable;
use edera_scap::tables::flags;
use std::time::Duration;

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
print(addr, lim.cur, lim.max, flush=True)
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

#[test]
fn memory_limits_and_ptrace_carry_their_arguments() {
    let options = Options {
        ring_bytes: 4 << 20,
        syscalls: ["mmap", "mprotect", "munmap", "prlimit64", "ptrace"]
            .map(String::from)
            .to_vec(),
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
    let child = std::process::Command::new("python3")
        .args(["-c", WORKLOAD])
        .stdout(std::process::Stdio::piped())
        .spawn();
    let Ok(child) = child else {
        eprintln!("skipping: no python3");
        return;
    };
    let pid = u64::from(child.id());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "workload failed");
    let printed: Vec<u64> = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let [addr, cur, max] = printed[..] else {
        panic!("workload printed {printed:?}")
    };
    std::thread::sleep(Duration::from_millis(50));
    let mut events = Vec::new();
    let mut encoder = Encoder::new();
    probe.drain(|r| encoder.encode(r, r.ts_exit, |ev| events.push(ev.to_vec())));
    let ours: Vec<RawEvent<'_>> = events
        .iter()
        .filter_map(|e| RawEvent::parse(e).ok())
        .filter(|e| e.header.tid == pid)
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
}
