//! Process parameters of clone/fork/vfork/clone3 and execve/execveat exit events, read from
//! /proc when the record is encoded, by parameter name.
//!
//! libscap's modern probe reads these from the kernel's task_struct at the exit tracepoint;
//! this first version reads them from /proc a few milliseconds later, which is exact for
//! processes still alive then and leaves the fields empty (libscap's empty values) for
//! processes that already exited. Reading them in the kernel is the planned replacement.

use crate::record::Record;
use crate::snapshot;
use edera_scap::file::ThreadInfo;

/// Whether an exit event's code is one of the process events this module fills.
pub fn is_process_event(id: &str) -> bool {
    matches!(
        id,
        "PPME_SYSCALL_CLONE_20_X" | "PPME_SYSCALL_FORK_20_X" | "PPME_SYSCALL_VFORK_20_X" | "PPME_SYSCALL_CLONE3_X"
            | "PPME_SYSCALL_EXECVE_19_X" | "PPME_SYSCALL_EXECVEAT_X"
    )
}

fn pid(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn charbuf(s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    v.push(0);
    v
}

/// The value of parameter `name` for record `r`, from the calling thread's /proc entry;
/// `None` when this module does not provide it (the encoder then uses the empty value).
pub fn param(name: &str, r: &Record<'_>, t: Option<&ThreadInfo>) -> Option<Vec<u8>> {
    let t = t?;
    Some(match name {
        "exe" => charbuf(&t.exe),
        "args" => t.args.clone(),
        "tid" => pid(i64::from(r.tid)),
        "pid" => pid(i64::from(r.pid)),
        "ptid" => pid(t.ptid as i64),
        "cwd" => charbuf(t.cwd.strip_suffix(b"/").filter(|c| !c.is_empty()).unwrap_or(&t.cwd)),
        "fdlimit" => t.fdlimit.to_le_bytes().to_vec(),
        "pgft_maj" => t.pfmajor.unwrap_or(0).to_le_bytes().to_vec(),
        "pgft_min" => t.pfminor.unwrap_or(0).to_le_bytes().to_vec(),
        "vm_size" => t.vmsize_kb.unwrap_or(0).to_le_bytes().to_vec(),
        "vm_rss" => t.vmrss_kb.unwrap_or(0).to_le_bytes().to_vec(),
        "vm_swap" => t.vmswap_kb.unwrap_or(0).to_le_bytes().to_vec(),
        "comm" => charbuf(&t.comm),
        "env" => t.env.clone().unwrap_or_default(),
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
