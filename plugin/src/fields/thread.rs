//! `thread.*`: the event's thread (libsinsp's thread filter checks).

use std::ffi::{CStr, CString};
use std::time::Duration;

use falco_plugin::anyhow;

use super::ctx::{Req, with_event};
use super::value::{dec, joined, text};
use crate::plugin::EderaPlugin;
use crate::state::Thread;

/// Linux capability names by bit number (`include/uapi/linux/capability.h`).
const CAPS: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// A capability set as names in bit order, separated by spaces.
fn caps(set: u64) -> Option<CString> {
    let names = CAPS
        .iter()
        .enumerate()
        .filter(|(bit, _)| set & (1u64 << bit) != 0)
        .map(|(_, n)| n.as_bytes());
    text(joined(names))
}

fn with_thread<R>(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    f: impl FnOnce(&Thread) -> Option<R>,
) -> anyhow::Result<Option<R>> {
    with_event(p, req, |c| f(c.thread()?))
}

/// `thread.cap_permitted`.
pub fn cap_permitted(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_thread(p, &req, |t| caps(t.cap_permitted))
}

/// `thread.cap_inheritable`.
pub fn cap_inheritable(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_thread(p, &req, |t| caps(t.cap_inheritable))
}

/// `thread.cap_effective`.
pub fn cap_effective(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_thread(p, &req, |t| caps(t.cap_effective))
}

/// `thread.tid`: the tid in the event header (signed decimal), with or without a table entry;
/// libsinsp shows it only within `-1..=u32::MAX`.
pub fn tid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let tid = c.raw.header.tid as i64;
        (-1..=i64::from(u32::MAX))
            .contains(&tid)
            .then(|| dec(tid))
            .flatten()
    })
}

/// `thread.ismain`.
pub fn ismain(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<bool>> {
    with_thread(p, &req, |t| Some(t.is_main_thread()))
}

/// `thread.vtid`: no value when unknown (-1).
pub fn vtid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_thread(p, &req, |t| u64::try_from(t.vtid).ok())
}

/// `thread.nametid`: `proc.name` followed by the header tid.
pub fn nametid(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_event(p, &req, |c| {
        let t = c.thread()?;
        text(
            [
                t.comm.as_slice(),
                (c.raw.header.tid as i64).to_string().as_bytes(),
            ]
            .concat(),
        )
    })
}

/// `thread.exectime`: time since the previous scheduler switch on the same CPU as seen by the
/// extracting filter check. Falco evaluates each rule and output with its own check instance
/// and asks once per event, so every value it shows is that of a first extraction: 0.
pub fn exectime(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    with_event(p, &req, |_| Some(Duration::ZERO))
}

/// `thread.totexectime`: the running sum of thread.exectime (0, see there); needs a thread.
pub fn totexectime(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<Duration>> {
    with_thread(p, &req, |_| Some(Duration::ZERO))
}

/// `thread.cgroups`: `controller=path` entries separated by spaces; no value when none.
pub fn cgroups(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    with_thread(p, &req, |t| {
        if t.cgroups.is_empty() {
            return None;
        }
        let entries: Vec<Vec<u8>> = t
            .cgroups
            .iter()
            .map(|(a, b)| [a.as_slice(), b"=", b].concat())
            .collect();
        text(joined(entries.iter().map(Vec::as_slice)))
    })
}

/// `thread.cgroup[CONTROLLER]`.
pub fn cgroup(p: &mut EderaPlugin, req: Req, controller: &CStr) -> anyhow::Result<Option<CString>> {
    with_thread(p, &req, |t| text(t.cgroup(controller.to_bytes())?))
}

/// CPU share since the previous procinfo event, as a first extraction sees it (see
/// thread.exectime): `0.0` on procinfo events of known threads, no value otherwise.
fn cpu_share(p: &EderaPlugin, req: &Req<'_, '_, '_, '_>) -> anyhow::Result<Option<CString>> {
    with_event(p, req, |c| {
        c.thread()?;
        let procinfo = c.raw.info()?.name == "procinfo";
        procinfo.then(|| text("0.0")).flatten()
    })
}

/// `thread.cpu`.
pub fn cpu(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    cpu_share(p, &req)
}

/// `thread.cpu.user`.
pub fn cpu_user(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    cpu_share(p, &req)
}

/// `thread.cpu.system`.
pub fn cpu_system(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    cpu_share(p, &req)
}

fn main_vm(t: &Thread, kb: u32) -> u64 {
    if t.is_main_thread() { u64::from(kb) } else { 0 }
}

/// `thread.vmsize`: the process's for the main thread, 0 for others.
pub fn vmsize(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_thread(p, &req, |t| Some(main_vm(t, t.vmsize_kb)))
}

/// `thread.vmrss`.
pub fn vmrss(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_thread(p, &req, |t| Some(main_vm(t, t.vmrss_kb)))
}

/// `thread.vmsize.b`.
pub fn vmsize_b(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_thread(p, &req, |t| Some(main_vm(t, t.vmsize_kb) * 1024))
}

/// `thread.vmrss.b`.
pub fn vmrss_b(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<u64>> {
    with_thread(p, &req, |t| Some(main_vm(t, t.vmrss_kb) * 1024))
}
