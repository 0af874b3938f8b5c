//! Process parameters of clone/fork/vfork/clone3 and execve/execveat exit events, by
//! parameter name.
//!
//! Everything comes from the kernel side at the exit tracepoint, as libscap's modern probe
//! reads it, so a process gone before encoding keeps its values: ids (also in the task's own
//! pid namespace, the process group's too), clone flags, effective uid and gid, comm, limits, login uid,
//! address space, resident and swapped sizes (the mm counters), cgroups, the working
//! directory and the exe file's path (dentry walks), the exe's inode, times and flags
//! (writable, overlayfs layer, memfd), capabilities, tty, page faults, the pid namespace's init
//! start, and the argument and environment areas (up to the probe's 4096 bytes each). Nothing
//! is read from /proc.

use crate::coverage::plan;
use crate::record::Record;
use edera_scap::libsinsp;
use edera_scap::tables::EventCode;

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
    /// `clone3`: the first field of its `struct clone_args` (copied into the first blob slot;
    /// for the new task, as the kernel side read it in the caller's context at the fork).
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

/// The clone's flags as PPM clone flags, every native flag converted as the modern probe
/// does (`[native.clone_flags]` of agent/capture.toml).
fn clone_flags(r: &Record<'_>, at: CloneFlagsAt) -> u32 {
    plan::CLONE_FLAGS.convert(native_clone_flags(r, at)) as u32
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

/// The value of parameter `name` of process event `process` for record `r`; `None` when this
/// module does not provide it (the encoder then uses the empty value).
pub fn param(name: &str, process: Process, r: &Record<'_>) -> Option<Vec<u8>> {
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
        "vm_rss" => return Some(u32_le(r.vm_rss_kb)),
        "vm_swap" => return Some(u32_le(r.vm_swap_kb)),
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
        "filename" if process == Process::Exec => charbuf(p.filename),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::HEAD_LEN;

    #[test]
    fn memory_and_clone_flags_come_from_the_record_and_nothing_from_proc() {
        // A head-only record of this (live) thread: the kernel side's process area is missing.
        let pid = std::process::id();
        let mut b = vec![0u8; HEAD_LEN];
        b[8..16].copy_from_slice(&((u64::from(pid) << 32) | u64::from(pid)).to_ne_bytes());
        let mut r = Record::parse(&b).unwrap();
        r.vm_rss_kb = 5;
        // glibc's fork: clone(CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD).
        r.args[0] = 0x0120_0011;
        let u32_of = |v: Option<Vec<u8>>| u32::from_le_bytes(v.unwrap().try_into().unwrap());
        let exec = Process::Exec;
        assert_eq!(u32_of(param("vm_rss", exec, &r)), 5);
        assert_eq!(u32_of(param("vm_swap", exec, &r)), 0);
        for name in ["cwd", "exe", "args", "pgid", "tty", "trusted_exepath"] {
            assert_eq!(param(name, exec, &r), None, "{name}");
        }
        let ppm = |name: &str| {
            let flags = &edera_scap::tables::flags::CLONE_FLAGS.entries;
            flags.iter().find(|(n, _)| *n == name).unwrap().1 as u32
        };
        let clone = Process::Clone(CloneFlagsAt::Arg0);
        assert_eq!(
            u32_of(param("flags", clone, &r)),
            ppm("CLONE_CHILD_CLEARTID") | ppm("CLONE_CHILD_SETTID")
        );
    }
}
