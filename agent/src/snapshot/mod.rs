//! The zone's state from /proc and /etc, in the capture file's model: every thread (comm, exe,
//! args, env, cwd, ids, namespaces' pids, caps, tty, fd limit, memory, cgroups), every process's open
//! fds ([`fds`]), users and groups, the machine and its network interfaces ([`interfaces`]). Taken after the probes are attached, so no event falls between the two.
//! Threads that vanish while being read are skipped; unreadable fields keep their defaults.

pub mod fds;
pub mod interfaces;
pub mod sockets;

use edera_scap::file::{GroupInfo, MachineInfo, ThreadInfo, UserInfo};
use std::fs;
use std::path::Path;

/// Most threads read (a zone is bounded; so is the snapshot).
pub const MAX_THREADS: usize = 65_536;

fn read(p: impl AsRef<Path>) -> Option<Vec<u8>> {
    fs::read(p).ok()
}

fn text(p: impl AsRef<Path>) -> Option<String> {
    fs::read_to_string(p).ok()
}

fn link(p: impl AsRef<Path>) -> Vec<u8> {
    fs::read_link(p)
        .map(|l| l.into_os_string().into_encoded_bytes())
        .unwrap_or_default()
}

/// `/proc/<pid>/task/<tid>/stat` after the `(comm)`: state, ppid, pgrp, session, tty_nr, ...
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect())
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

fn hex(v: Option<&str>) -> Option<u64> {
    u64::from_str_radix(v?, 16).ok()
}

/// Whether the host has only cgroup v2 (`/sys/fs/cgroup` is cgroup2), as libscap decides how
/// to read the unified hierarchy's line of `/proc/PID/cgroup`.
/// Read once per process.
fn cgroup_v2_only() -> bool {
    static V2_ONLY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *V2_ONLY.get_or_init(|| {
        text("/proc/self/mounts").is_some_and(|m| {
            m.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.get(1) == Some(&"/sys/fs/cgroup") && f.get(2) == Some(&"cgroup2")
            })
        })
    })
}

/// The cgroups of `/proc/PID/cgroup` content `content` in the kernel side's form: one
/// `subsys=path` entry per controller, each NUL-terminated, as libscap reads them: a v1
/// hierarchy's line gives one entry per controller bound to it; the unified hierarchy's line
/// (`0::PATH`) gives `cpu`, `memory` and `cpuset` on a v2-only host and nothing on a hybrid one
/// (its controllers are the v1 ones there); named hierarchies (`name=systemd`) have no
/// controller and give nothing. At most [`crate::record::CGROUPS_LEN`] bytes.
pub fn cgroups_from_proc(content: &str, v2_only: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for line in content.lines() {
        let mut f = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let controllers = match controllers {
            "" if id == "0" && v2_only => "cpu,memory,cpuset",
            c => c,
        };
        for c in controllers.split(',') {
            if c.is_empty() || c.starts_with("name=") {
                continue;
            }
            if out.len() + c.len() + path.len() + 2 > crate::record::CGROUPS_LEN {
                return out;
            }
            out.extend_from_slice(c.as_bytes());
            out.push(b'=');
            out.extend_from_slice(path.as_bytes());
            out.push(0);
        }
    }
    out
}

/// Thread `tid` of process `pid`, if it still exists.
pub fn thread_info(pid: u64, tid: u64) -> Option<ThreadInfo> {
    let base = format!("/proc/{pid}/task/{tid}");
    let stat = text(format!("{base}/stat"))?;
    let f = stat_fields(&stat);
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let status = text(format!("{base}/status")).unwrap_or_default();
    let ids = |key| {
        status_field(&status, key).and_then(|v| v.split_whitespace().next()?.parse::<u32>().ok())
    };
    let last_ns = |key| {
        status_field(&status, key).and_then(|v| v.split_whitespace().last()?.parse::<i64>().ok())
    };
    let mut comm = read(format!("{base}/comm")).unwrap_or_default();
    if comm.last() == Some(&b'\n') {
        comm.pop();
    }
    let cmdline = read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut parts = cmdline.split(|&b| b == 0);
    let exe = parts.next().unwrap_or_default().to_vec();
    let args_start = (exe.len() + 1).min(cmdline.len());
    let mut cwd = link(format!("/proc/{pid}/cwd"));
    if !cwd.ends_with(b"/") {
        cwd.push(b'/');
    }
    let fdlimit = text(format!("/proc/{pid}/limits"))
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))?
                .split_whitespace()
                .nth(3)?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    let kb = |key| {
        status_field(&status, key).and_then(|v| v.split_whitespace().next()?.parse::<u32>().ok())
    };
    Some(ThreadInfo {
        tid,
        pid,
        ptid: if tid == pid { num(1) as u64 } else { pid },
        sid: Some(num(3) as u64),
        vpgid: Some(num(2) as u64),
        pgid: Some(num(2) as u64),
        comm,
        exe,
        exepath: Some(link(format!("/proc/{pid}/exe"))),
        args: cmdline[args_start..].to_vec(),
        env: read(format!("/proc/{pid}/environ")),
        cwd,
        fdlimit,
        uid: ids("Uid").unwrap_or(0),
        gid: ids("Gid").unwrap_or(0),
        vmsize_kb: kb("VmSize"),
        vmrss_kb: kb("VmRSS"),
        vmswap_kb: kb("VmSwap"),
        pfmajor: Some(num(9) as u64),
        pfminor: Some(num(7) as u64),
        vtid: last_ns("NSpid").filter(|_| tid == pid).or(Some(tid as i64)),
        vpid: last_ns("NSpid").or(Some(pid as i64)),
        root: Some(link(format!("/proc/{pid}/root"))),
        tty: Some(num(4) as u32),
        loginuid: text(format!("/proc/{pid}/loginuid")).and_then(|v| v.trim().parse().ok()),
        cap_inheritable: hex(status_field(&status, "CapInh")),
        cap_permitted: hex(status_field(&status, "CapPrm")),
        cap_effective: hex(status_field(&status, "CapEff")),
        cgroups: text(format!("{base}/cgroup")).map(|c| cgroups_from_proc(&c, cgroup_v2_only())),
        ..ThreadInfo::default()
    })
}

fn numeric_dirs(p: &str) -> Vec<u64> {
    let mut v: Vec<u64> = fs::read_dir(p)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// Every thread of the zone, parents first (by pid), at most [`MAX_THREADS`].
pub fn threads() -> Vec<ThreadInfo> {
    let mut out = Vec::new();
    for pid in numeric_dirs("/proc") {
        for tid in numeric_dirs(&format!("/proc/{pid}/task")) {
            if out.len() >= MAX_THREADS {
                return out;
            }
            if let Some(t) = thread_info(pid, tid) {
                out.push(t);
            }
        }
    }
    out
}

/// Users and groups from /etc/passwd and /etc/group.
pub fn users() -> (Vec<UserInfo>, Vec<GroupInfo>) {
    let users = text("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(UserInfo {
                name: f.first()?.as_bytes().to_vec(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                homedir: f.get(5)?.as_bytes().to_vec(),
                shell: f.get(6)?.as_bytes().to_vec(),
            })
        })
        .collect();
    let groups = text("/etc/group")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(GroupInfo {
                name: f.first()?.as_bytes().to_vec(),
                gid: f.get(2)?.parse().ok()?,
            })
        })
        .collect();
    (users, groups)
}

/// The machine: CPUs, memory, hostname, boot time.
pub fn machine() -> MachineInfo {
    let num_cpus = numeric_dirs("/sys/devices/system/cpu").len();
    let cpus = fs::read_dir("/sys/devices/system/cpu")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name().to_str().is_some_and(|n| {
                        n.strip_prefix("cpu")
                            .is_some_and(|r| r.parse::<u32>().is_ok())
                    })
                })
                .count()
        })
        .unwrap_or(num_cpus);
    let meminfo = text("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = status_field(&meminfo, "MemTotal")
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let btime: u64 = text("/proc/stat")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
        .unwrap_or(0);
    let mut hostname = read("/proc/sys/kernel/hostname").unwrap_or_default();
    if hostname.last() == Some(&b'\n') {
        hostname.pop();
    }
    MachineInfo {
        num_cpus: cpus as u32,
        memory_size_bytes: mem_kb * 1024,
        max_pid: text("/proc/sys/kernel/pid_max")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        hostname,
        boot_ts_epoch: btime * 1_000_000_000,
        ..MachineInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_lines_become_subsys_entries() {
        let hybrid = "9:name=systemd:/\n4:memory:/a/b\n2:cpu,cpuacct:/c\n0::/u\n";
        assert_eq!(
            cgroups_from_proc(hybrid, false),
            b"memory=/a/b\0cpu=/c\0cpuacct=/c\0"
        );
        assert_eq!(
            cgroups_from_proc("0::/k/w\n", true),
            b"cpu=/k/w\0memory=/k/w\0cpuset=/k/w\0"
        );
        assert_eq!(cgroups_from_proc("garbage\n", true), b"");
    }

    #[test]
    fn this_process_is_in_the_snapshot() {
        let me = std::process::id() as u64;
        let threads = threads();
        let t = threads.iter().find(|t| t.tid == me).expect("own thread");
        assert_eq!(t.pid, me);
        assert!(!t.comm.is_empty());
        assert!(t.exepath.as_ref().is_some_and(|p| p.starts_with(b"/")));
        assert!(t.cwd.ends_with(b"/"));
        let (users, groups) = users();
        assert!(users.iter().any(|u| u.uid == 0 && u.name == b"root"));
        assert!(groups.iter().any(|g| g.gid == 0));
        let own = cgroups_from_proc(&text("/proc/self/cgroup").unwrap(), cgroup_v2_only());
        assert_eq!(t.cgroups.as_deref(), Some(&own[..]));
        let m = machine();
        assert!(m.num_cpus >= 1 && m.boot_ts_epoch > 1_000_000_000_000_000_000);
    }
}
