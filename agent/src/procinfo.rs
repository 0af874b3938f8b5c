//! Process parameters of clone/fork/vfork/clone3 and execve/execveat exit events, by
//! parameter name.
//!
//! What changes fast comes from the kernel side at the exit tracepoint, as libscap's modern
//! probe reads it: thread, process and parent ids (and the thread's and process's ids in their
//! own pid namespace), clone flags, uid and gid, comm, the open-files limit, the login uid, the
//! address space size, the argument and (execve) environment areas (cut at 256 bytes each), and
//! the cgroups (each subsystem's cgroup path). The rest (cwd, resident and swapped memory, page
//! faults, process group, tty, exe path) is read from /proc when the record is encoded, a few
//! milliseconds later: exact for processes still alive then, libscap's empty values for
//! processes already gone.

use crate::record::Record;
use crate::snapshot;
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

/// The value of parameter `name` of process event `process` for record `r`, from the calling
/// thread's /proc entry; `None` when this module does not provide it (the encoder then uses the
/// empty value).
pub fn param(
    name: &str,
    process: Process,
    r: &Record<'_>,
    t: Option<&ThreadInfo>,
) -> Option<Vec<u8>> {
    // What the record itself tells, even when the thread is already gone.
    let area = r.blob(crate::record::NBLOBS - 1);
    let area = area.strip_suffix(&[0]).unwrap_or(area);
    match name {
        "tid" => return Some(pid(i64::from(r.tid))),
        "pid" => return Some(pid(i64::from(r.pid))),
        "flags" => {
            if let Process::Clone(at) = process {
                return Some(clone_flags(r, at).to_le_bytes().to_vec());
            }
        }
        "uid" => return Some(r.uid.to_le_bytes().to_vec()),
        "ptid" if r.ptid != 0 => return Some(pid(i64::from(r.ptid))),
        "fdlimit" if r.fdlimit != 0 => return Some(r.fdlimit.to_le_bytes().to_vec()),
        "loginuid" if !r.comm.is_empty() => return Some(r.loginuid.to_le_bytes().to_vec()),
        "vm_size" if r.vm_size_kb != 0 => return Some(r.vm_size_kb.to_le_bytes().to_vec()),
        "vtid" if r.vtid != 0 => return Some(pid(i64::from(r.vtid))),
        "vpid" if r.vpid != 0 => return Some(pid(i64::from(r.vpid))),
        "env" if process == Process::Exec && !r.blob(0).is_empty() => {
            let env = r.blob(0);
            let mut v = env.to_vec();
            if v.last() != Some(&0) {
                v.push(0);
            }
            return Some(v);
        }
        "gid" => return Some(r.gid.to_le_bytes().to_vec()),
        "cgroups" if !r.cgroups.is_empty() => return Some(r.cgroups.to_vec()),
        "comm" if !r.comm.is_empty() => return Some(charbuf(r.comm)),
        "exe" if !area.is_empty() => {
            return Some(charbuf(area.split(|&b| b == 0).next().unwrap_or_default()));
        }
        "args" if !area.is_empty() => {
            let rest = area
                .iter()
                .position(|&b| b == 0)
                .map_or(&[][..], |n| &area[n + 1..]);
            let mut v = rest.to_vec();
            if !v.is_empty() {
                v.push(0);
            }
            return Some(v);
        }
        _ => {}
    }
    let t = t?;
    Some(match name {
        "exe" => charbuf(&t.exe),
        "args" => t.args.clone(),
        "ptid" => pid(t.ptid as i64),
        "cwd" => charbuf(
            t.cwd
                .strip_suffix(b"/")
                .filter(|c| !c.is_empty())
                .unwrap_or(&t.cwd),
        ),
        "fdlimit" => t.fdlimit.to_le_bytes().to_vec(),
        "pgft_maj" => t.pfmajor.unwrap_or(0).to_le_bytes().to_vec(),
        "pgft_min" => t.pfminor.unwrap_or(0).to_le_bytes().to_vec(),
        "vm_size" => t.vmsize_kb.unwrap_or(0).to_le_bytes().to_vec(),
        "vm_rss" => t.vmrss_kb.unwrap_or(0).to_le_bytes().to_vec(),
        "vm_swap" => t.vmswap_kb.unwrap_or(0).to_le_bytes().to_vec(),
        "comm" => charbuf(&t.comm),
        "env" => t.env.clone().unwrap_or_default(),
        "cgroups" => t.cgroups.clone().unwrap_or_default(),
        "tty" => t.tty.unwrap_or(0).to_le_bytes().to_vec(),
        "vpgid" => pid(t.vpgid.unwrap_or(0) as i64),
        "pgid" => pid(t.pgid.unwrap_or(0) as i64),
        "loginuid" => t.loginuid.unwrap_or(u32::MAX).to_le_bytes().to_vec(),
        "uid" => t.uid.to_le_bytes().to_vec(),
        "gid" => t.gid.to_le_bytes().to_vec(),
        "vtid" => pid(t.vtid.unwrap_or(-1)),
        "vpid" => pid(t.vpid.unwrap_or(-1)),
        "trusted_exepath" => charbuf(t.exepath.as_deref().unwrap_or_default()),
        _ => return None,
    })
}

/// The /proc entry of the record's thread, if it still exists.
pub fn thread_of(r: &Record<'_>) -> Option<ThreadInfo> {
    snapshot::thread_info(u64::from(r.pid), u64::from(r.tid))
}
