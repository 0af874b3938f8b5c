//! Process parameters of clone/fork/vfork/clone3 and execve/execveat exit events, by
//! parameter name.
//!
//! Everything comes from the kernel side at the exit tracepoint, as libscap's modern probe
//! reads it, so a process gone before encoding keeps its values: ids (also in the task's own
//! pid namespace, the process group's too), clone flags, effective uid and gid, comm, limits, login uid,
//! address space size, cgroups, the working directory and the exe file's path (dentry walks),
//! the exe's inode, times and flags (writable, overlayfs layer, memfd), capabilities, tty,
//! page faults, the pid namespace's init start, and the argument and environment areas (up to
//! the probe's 4096 bytes each). Only resident and swapped memory still come from /proc when
//! the record is encoded (empty for a process already gone): the kernel side reads them for
//! process events once the mm counters land in the record head.

use crate::record::Record;
use edera_scap::file::ThreadInfo;
use edera_scap::libsinsp;
use edera_scap::tables::{EventCode, flags};

/// The kind of process event a syscall's exit event is, resolved once per syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// execve, execveat: the environment area is read too.
    Exec,
    /// clone, clone3, fork, vfork, with where the native clone flags are.
    Clone(CloneFlagsAt),
}

/// Where a clone's native flags are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloneFlagsAt {
    /// `clone`: its first argument.
    Arg0,
    /// `clone3`: the first field of its `struct clone_args` (copied into the first blob slot).
    CloneArgs,
    /// fork, vfork: none.
    None,
}

impl Process {
    /// The process event kind of exit event `code` (libsinsp's clone and exec exits, from
    /// the schema's overlay), `None` for other events.
    pub fn of(code: u16) -> Option<Process> {
        if libsinsp::exec_exit(code) {
            return Some(Process::Exec);
        }
        if !libsinsp::clone_exit(code) {
            return None;
        }
        Some(Process::Clone(match EventCode::from_u16(code) {
            Some(EventCode::SyscallCloneV20X) => CloneFlagsAt::Arg0,
            Some(EventCode::SyscallClone3X) => CloneFlagsAt::CloneArgs,
            _ => CloneFlagsAt::None,
        }))
    }
}

fn pid(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn charbuf(s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    v.push(0);
    v
}

/// Native clone flag bits (x86_64 `include/uapi/linux/sched.h`) and their PPM names.
const NATIVE_CLONE_FLAGS: &[(u64, &str)] = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x10000, "CLONE_THREAD"),
];

/// The native flags of a clone in `r`: `clone`'s first argument, the first field of
/// `clone3`'s `struct clone_args` (copied by the kernel side), 0 for fork and vfork.
fn native_clone_flags(r: &Record<'_>, at: CloneFlagsAt) -> u64 {
    match at {
        CloneFlagsAt::Arg0 => r.args[0],
        CloneFlagsAt::CloneArgs => r
            .blob(0)
            .get(..8)
            .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
        CloneFlagsAt::None => 0,
    }
}

/// The clone's flags as PPM clone flags (the bits libsinsp's thread handling reads).
fn clone_flags(r: &Record<'_>, at: CloneFlagsAt) -> u32 {
    let native = native_clone_flags(r, at);
    NATIVE_CLONE_FLAGS
        .iter()
        .filter(|(bit, _)| native & bit != 0)
        .filter_map(|(_, n)| flags::CLONE_FLAGS.entries.iter().find(|(e, _)| e == n))
        .fold(0, |acc, (_, v)| acc | *v as u32)
}

fn u64_le(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn u32_le(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// A NUL-separated string area as a bytebuf parameter: NUL-terminated, empty when empty.
fn string_area(area: &[u8]) -> Vec<u8> {
    let mut v = area.to_vec();
    if v.last().is_some_and(|&b| b != 0) {
        v.push(0);
    }
    v
}

/// The value of parameter `name` of process event `process` for record `r`; `t`, the
/// thread's /proc entry, gives what the kernel side does not read (resident and swapped
/// memory); `None` when this module does not provide it (the encoder then uses the empty
/// value).
pub fn param(
    name: &str,
    process: Process,
    r: &Record<'_>,
    t: Option<&ThreadInfo>,
) -> Option<Vec<u8>> {
    match name {
        "tid" => return Some(pid(i64::from(r.tid))),
        "pid" => return Some(pid(i64::from(r.pid))),
        "flags" => {
            if let Process::Clone(at) = process {
                return Some(u32_le(clone_flags(r, at)));
            }
        }
        "ptid" if r.ptid != 0 => return Some(pid(i64::from(r.ptid))),
        "fdlimit" if r.fdlimit != 0 => return Some(u64_le(r.fdlimit)),
        "loginuid" if !r.comm.is_empty() => return Some(u32_le(r.loginuid)),
        "vm_size" if r.vm_size_kb != 0 => return Some(u32_le(r.vm_size_kb)),
        "vtid" if r.vtid != 0 => return Some(pid(i64::from(r.vtid))),
        "vpid" if r.vpid != 0 => return Some(pid(i64::from(r.vpid))),
        "cgroups" if !r.cgroups.is_empty() => return Some(r.cgroups.to_vec()),
        "comm" if !r.comm.is_empty() => return Some(charbuf(r.comm)),
        "vm_rss" => return t.map(|t| u32_le(t.vmrss_kb.unwrap_or(0))),
        "vm_swap" => return t.map(|t| u32_le(t.vmswap_kb.unwrap_or(0))),
        _ => {}
    }
    let p = r.proc?;
    // The argument area: the exe (argv[0]) then the arguments, as the modern probe splits it.
    let (exe, args) = match p.args.iter().position(|&b| b == 0) {
        Some(n) => (&p.args[..n], &p.args[n + 1..]),
        None => (p.args, &[][..]),
    };
    Some(match name {
        "exe" => charbuf(exe),
        "args" => string_area(args),
        "env" if process == Process::Exec => string_area(p.env),
        "cwd" => charbuf(p.cwd),
        "trusted_exepath" => charbuf(p.exe_path),
        "pgft_maj" => u64_le(p.pgft_maj),
        "pgft_min" => u64_le(p.pgft_min),
        // The effective ids, as the modern probe gives them.
        "uid" => u32_le(p.euid),
        "gid" => u32_le(p.egid),
        "tty" => u32_le(p.tty),
        "pgid" => pid(i64::from(p.pgid)),
        "vpgid" => pid(i64::from(p.vpgid)),
        "flags" => u32_le(p.exe_flags),
        "cap_inheritable" => u64_le(p.cap_inheritable),
        "cap_permitted" => u64_le(p.cap_permitted),
        "cap_effective" => u64_le(p.cap_effective),
        "exe_ino" => u64_le(p.exe_ino),
        "exe_ino_ctime" => u64_le(p.exe_ctime_ns),
        "exe_ino_mtime" => u64_le(p.exe_mtime_ns),
        "pidns_init_start_ts" => u64_le(p.pidns_init_start),
        _ => return None,
    })
}

/// What the kernel side does not read yet of the record's thread, from its /proc status while
/// it still exists: resident and swapped memory (`VmRSS`, `VmSwap`, KiB).
pub fn thread_of(r: &Record<'_>) -> Option<ThreadInfo> {
    let status = std::fs::read_to_string(format!("/proc/{}/task/{}/status", r.pid, r.tid)).ok()?;
    let kb = |key: &str| {
        status.lines().find_map(|l| {
            l.strip_prefix(key)?
                .strip_prefix(':')?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
    };
    Some(ThreadInfo {
        vmrss_kb: kb("VmRSS"),
        vmswap_kb: kb("VmSwap"),
        ..ThreadInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::HEAD_LEN;

    #[test]
    fn resident_memory_comes_from_the_live_thread_and_nothing_else_from_proc() {
        // A head-only record of this thread: the kernel side's process area is missing.
        let pid = std::process::id();
        let tid = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|l| l.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap();
        let mut b = vec![0u8; HEAD_LEN];
        b[8..16].copy_from_slice(&((u64::from(pid) << 32) | u64::from(tid)).to_ne_bytes());
        let r = Record::parse(&b).unwrap();
        let t = thread_of(&r);
        let exec = Process::Exec;
        let rss = param("vm_rss", exec, &r, t.as_ref()).unwrap();
        assert!(u32::from_le_bytes(rss.try_into().unwrap()) > 0);
        for name in ["cwd", "exe", "args", "pgid", "tty", "trusted_exepath"] {
            assert_eq!(param(name, exec, &r, t.as_ref()), None, "{name}");
        }
    }
}
