//! Thread snapshots between the capture model (`edera_scap::file`: what the agent's snapshot
//! and a capture file's state blocks hold) and the protect API's `ZoneKernelThreadInfo` /
//! `ZoneKernelFdInfo` (what `MonitorZoneKernelEvents` sends as `threadsnap`).
//!
//! The proto side comes from a zone (through the daemon): [`from_proto`] treats it as hostile,
//! bounding every string, the number of threads and the number of fds, and skipping entries
//! without a thread id or fd number. Strings are UTF-8 on the wire; the model's byte strings
//! go through lossily.

use crate::control::zone_kernel_fd_info_data::InfoType;
use crate::control::{
    ZoneKernelFdInfo, ZoneKernelFdInfoData, ZoneKernelIpv4ServerSocketInfo,
    ZoneKernelIpv4SocketInfo, ZoneKernelIpv6ServerSocketInfo, ZoneKernelIpv6SocketInfo,
    ZoneKernelPidFd, ZoneKernelRegularFileInfo, ZoneKernelThreadInfo,
    ZoneKernelThreadSnapshotEvent, ZoneKernelUnixSocketInfo,
};
use edera_scap::file::{CaptureState, FdDetail, FdInfo, FdType, ThreadInfo};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest string taken from a snapshot (args and env included).
pub const MAX_STRING: usize = 16 * 1024;

/// Bounds of [`from_proto`].
#[derive(Debug, Clone, Copy)]
pub struct SnapshotLimits {
    pub max_threads: usize,
    pub max_fds_per_thread: usize,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    b[..b.len().min(MAX_STRING)].to_vec()
}

/// One fd as the API carries it.
pub fn fd_to_proto(f: &FdInfo) -> ZoneKernelFdInfo {
    let info = match &f.detail {
        FdDetail::None => None,
        FdDetail::Name(n) => Some(InfoType::FileName(text(n))),
        FdDetail::File {
            open_flags,
            name,
            dev,
        } => Some(InfoType::RegularFile(ZoneKernelRegularFileInfo {
            open_flags: *open_flags,
            name: text(name),
            mount_id: 0,
            device: dev.unwrap_or(0),
        })),
        FdDetail::Ipv4 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => Some(InfoType::Ipv4Socket(ZoneKernelIpv4SocketInfo {
            source_ip: sip.to_string(),
            dest_ip: dip.to_string(),
            source_port: u32::from(*sport),
            dest_port: u32::from(*dport),
            protocol: i32::from(*l4proto),
        })),
        FdDetail::Ipv6 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => Some(InfoType::Ipv6Socket(ZoneKernelIpv6SocketInfo {
            source_ip: sip.to_string(),
            dest_ip: dip.to_string(),
            source_port: u32::from(*sport),
            dest_port: u32::from(*dport),
            protocol: i32::from(*l4proto),
        })),
        FdDetail::Ipv4Server { ip, port, l4proto } => {
            Some(InfoType::Ipv4ServerSocket(ZoneKernelIpv4ServerSocketInfo {
                local_ip: ip.to_string(),
                local_port: u32::from(*port),
                protocol: i32::from(*l4proto),
            }))
        }
        FdDetail::Ipv6Server { ip, port, l4proto } => {
            Some(InfoType::Ipv6ServerSocket(ZoneKernelIpv6ServerSocketInfo {
                local_ip: ip.to_string(),
                local_port: u32::from(*port),
                protocol: i32::from(*l4proto),
            }))
        }
        FdDetail::Unix {
            source,
            destination,
            name,
        } => Some(InfoType::UnixSocket(ZoneKernelUnixSocketInfo {
            source: *source,
            destination: *destination,
            name: text(name),
        })),
    };
    let open_flags = match &f.detail {
        FdDetail::File { open_flags, .. } => *open_flags,
        _ => 0,
    };
    ZoneKernelFdInfo {
        fd: u64::try_from(f.fd).ok(),
        inode: f.ino,
        fd_type: i32::from(f.raw_type),
        info: info.map(|i| ZoneKernelFdInfoData { info_type: Some(i) }),
        open_flags,
        state_flags: 0,
    }
}

/// One fd from the API; `None` without an fd number or with an unknown type.
pub fn fd_from_proto(p: &ZoneKernelFdInfo) -> Option<FdInfo> {
    let fd = i64::try_from(p.fd?).ok()?;
    let raw_type = u8::try_from(p.fd_type).ok()?;
    let fd_type = FdType::from_code(raw_type)?;
    let port = |v: u32| u16::try_from(v).unwrap_or(0);
    let proto = |v: i32| u8::try_from(v).unwrap_or(0);
    let v4 = |s: &str| s.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED);
    let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED);
    let detail = match p.info.as_ref().and_then(|i| i.info_type.as_ref()) {
        None => FdDetail::None,
        Some(InfoType::FileName(n)) => FdDetail::Name(bytes(n)),
        Some(InfoType::RegularFile(r)) => FdDetail::File {
            open_flags: r.open_flags,
            name: bytes(&r.name),
            dev: Some(r.device),
        },
        Some(InfoType::Ipv4Socket(s)) => FdDetail::Ipv4 {
            sip: v4(&s.source_ip),
            dip: v4(&s.dest_ip),
            sport: port(s.source_port),
            dport: port(s.dest_port),
            l4proto: proto(s.protocol),
        },
        Some(InfoType::Ipv6Socket(s)) => FdDetail::Ipv6 {
            sip: v6(&s.source_ip),
            dip: v6(&s.dest_ip),
            sport: port(s.source_port),
            dport: port(s.dest_port),
            l4proto: proto(s.protocol),
        },
        Some(InfoType::Ipv4ServerSocket(s)) => FdDetail::Ipv4Server {
            ip: v4(&s.local_ip),
            port: port(s.local_port),
            l4proto: proto(s.protocol),
        },
        Some(InfoType::Ipv6ServerSocket(s)) => FdDetail::Ipv6Server {
            ip: v6(&s.local_ip),
            port: port(s.local_port),
            l4proto: proto(s.protocol),
        },
        Some(InfoType::UnixSocket(u)) => FdDetail::Unix {
            source: u.source,
            destination: u.destination,
            name: bytes(&u.name),
        },
        Some(InfoType::Pidfd(ZoneKernelPidFd { pid })) => {
            FdDetail::Name(format!("pidfd:[{pid}]").into_bytes())
        }
    };
    Some(FdInfo {
        fd,
        ino: p.inode,
        fd_type,
        raw_type,
        detail,
    })
}

/// One thread (and, for a process leader, its fds) as the API carries it.
pub fn thread_to_proto(t: &ThreadInfo, fds: &[FdInfo]) -> ZoneKernelThreadInfo {
    ZoneKernelThreadInfo {
        tid: Some(t.tid),
        pid: Some(t.pid),
        ptid: Some(t.ptid),
        sid: t.sid.unwrap_or(0),
        vpgid: t.vpgid.unwrap_or(0),
        pgid: t.pgid.unwrap_or(0),
        comm: text(&t.comm),
        exe: text(&t.exe),
        exepath: text(t.exepath.as_deref().unwrap_or_default()),
        exe_writable: t.exe_writable.unwrap_or(false),
        exe_upper_layer: t.exe_upper_layer.unwrap_or(false),
        exe_lower_layer: t.exe_lower_layer.unwrap_or(false),
        exe_from_memfd: t.exe_from_memfd.unwrap_or(false),
        args: text(&t.args),
        env: text(t.env.as_deref().unwrap_or_default()),
        cwd: text(&t.cwd),
        fdlimit: t.fdlimit,
        flags: t.flags,
        uid: t.uid,
        gid: t.gid,
        cap_permitted: t.cap_permitted.unwrap_or(0),
        cap_effective: t.cap_effective.unwrap_or(0),
        cap_inheritable: t.cap_inheritable.unwrap_or(0),
        exe_ino: t.exe_ino.unwrap_or(0),
        exe_ino_ctime: t.exe_ino_ctime.unwrap_or(0),
        exe_ino_mtime: t.exe_ino_mtime.unwrap_or(0),
        vmsize_kb: t.vmsize_kb.unwrap_or(0),
        vmrss_kb: t.vmrss_kb.unwrap_or(0),
        vmswap_kb: t.vmswap_kb.unwrap_or(0),
        pfmajor: t.pfmajor.unwrap_or(0),
        pfminor: t.pfminor.unwrap_or(0),
        vtid: t.vtid.and_then(|v| u64::try_from(v).ok()),
        vpid: t.vpid.and_then(|v| u64::try_from(v).ok()),
        pidns_init_start_ts: t.pidns_init_start_ts.unwrap_or(0),
        cgroups: text(t.cgroups.as_deref().unwrap_or_default()),
        root: text(t.root.as_deref().unwrap_or_default()),
        fdlist: fds
            .iter()
            .filter_map(|f| Some((u64::try_from(f.fd).ok()?, fd_to_proto(f))))
            .collect(),
        tty: t.tty.unwrap_or(0),
        loginuid: t.loginuid.unwrap_or(u32::MAX),
        ..ZoneKernelThreadInfo::default()
    }
}

/// One thread from the API, and its fds (at most `max_fds`, by fd number); `None` without a
/// thread id.
pub fn thread_from_proto(
    p: &ZoneKernelThreadInfo,
    max_fds: usize,
) -> Option<(ThreadInfo, Vec<FdInfo>)> {
    let tid = p.tid?;
    let t = ThreadInfo {
        tid,
        pid: p.pid.unwrap_or(tid),
        ptid: p.ptid.unwrap_or(0),
        sid: Some(p.sid),
        vpgid: Some(p.vpgid),
        pgid: Some(p.pgid),
        comm: bytes(&p.comm),
        exe: bytes(&p.exe),
        exepath: Some(bytes(&p.exepath)),
        args: bytes(&p.args),
        env: Some(bytes(&p.env)),
        cwd: bytes(&p.cwd),
        fdlimit: p.fdlimit,
        flags: p.flags,
        uid: p.uid,
        gid: p.gid,
        vmsize_kb: Some(p.vmsize_kb),
        vmrss_kb: Some(p.vmrss_kb),
        vmswap_kb: Some(p.vmswap_kb),
        pfmajor: Some(p.pfmajor),
        pfminor: Some(p.pfminor),
        vtid: p.vtid.and_then(|v| i64::try_from(v).ok()),
        vpid: p.vpid.and_then(|v| i64::try_from(v).ok()),
        cgroups: Some(bytes(&p.cgroups)),
        root: Some(bytes(&p.root)),
        pidns_init_start_ts: Some(p.pidns_init_start_ts),
        tty: Some(p.tty),
        loginuid: Some(p.loginuid),
        exe_writable: Some(p.exe_writable),
        cap_inheritable: Some(p.cap_inheritable),
        cap_permitted: Some(p.cap_permitted),
        cap_effective: Some(p.cap_effective),
        exe_upper_layer: Some(p.exe_upper_layer),
        exe_ino: Some(p.exe_ino),
        exe_ino_ctime: Some(p.exe_ino_ctime),
        exe_ino_mtime: Some(p.exe_ino_mtime),
        exe_from_memfd: Some(p.exe_from_memfd),
        exe_lower_layer: Some(p.exe_lower_layer),
    };
    let mut numbers: Vec<&u64> = p.fdlist.keys().collect();
    numbers.sort_unstable();
    let fds = numbers
        .into_iter()
        .filter_map(|n| fd_from_proto(&p.fdlist[n]))
        .take(max_fds)
        .collect();
    Some((t, fds))
}

/// A zone's users and groups as the `ZoneUsers` extension.
pub fn users_to_proto(zone_id: &str, state: &CaptureState) -> crate::ext::ZoneUsers {
    crate::ext::ZoneUsers {
        zone_id: zone_id.to_string(),
        users: state
            .users
            .iter()
            .map(|u| crate::ext::User {
                uid: u.uid,
                gid: u.gid,
                name: text(&u.name),
                homedir: text(&u.homedir),
                shell: text(&u.shell),
            })
            .collect(),
        groups: state
            .groups
            .iter()
            .map(|g| crate::ext::Group {
                gid: g.gid,
                name: text(&g.name),
            })
            .collect(),
    }
}

/// `ZoneUsers` as a capture state holding only users and groups (at most `max` of each).
pub fn users_from_proto(u: &crate::ext::ZoneUsers, max: usize) -> CaptureState {
    use edera_scap::file::{GroupInfo, UserInfo};
    CaptureState {
        users: u
            .users
            .iter()
            .take(max)
            .map(|x| UserInfo {
                uid: x.uid,
                gid: x.gid,
                name: bytes(&x.name),
                homedir: bytes(&x.homedir),
                shell: bytes(&x.shell),
            })
            .collect(),
        groups: u
            .groups
            .iter()
            .take(max)
            .map(|g| GroupInfo {
                gid: g.gid,
                name: bytes(&g.name),
            })
            .collect(),
        ..CaptureState::default()
    }
}

/// A capture state (threads, and fds by process) as a `threadsnap` of zone `zone_id`.
pub fn snapshot_to_proto(
    zone_id: &str,
    state: &CaptureState,
    boot_epoch: u64,
) -> ZoneKernelThreadSnapshotEvent {
    let no_fds = Vec::new();
    ZoneKernelThreadSnapshotEvent {
        zone_id: zone_id.to_string(),
        thread_info: state
            .threads
            .iter()
            .map(|t| {
                (
                    t.tid,
                    thread_to_proto(t, state.fds.get(&t.tid).unwrap_or(&no_fds)),
                )
            })
            .collect(),
        zone_boot_epoch: boot_epoch,
    }
}

/// A `threadsnap` as a capture state (threads by id, fds under their thread), within `limits`.
pub fn snapshot_from_proto(
    snap: &ZoneKernelThreadSnapshotEvent,
    limits: SnapshotLimits,
) -> CaptureState {
    let mut tids: Vec<&u64> = snap.thread_info.keys().collect();
    tids.sort_unstable();
    let mut state = CaptureState::default();
    for tid in tids.into_iter().take(limits.max_threads) {
        if let Some((t, fds)) = thread_from_proto(&snap.thread_info[tid], limits.max_fds_per_thread)
        {
            if !fds.is_empty() {
                state.fds.insert(t.tid, fds);
            }
            state.threads.push(t);
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_and_fds_round_trip() {
        let t = ThreadInfo {
            tid: 7,
            pid: 7,
            ptid: 1,
            comm: b"sh".to_vec(),
            exe: b"/bin/sh".to_vec(),
            exepath: Some(b"/usr/bin/dash".to_vec()),
            args: b"-c\0true\0".to_vec(),
            cwd: b"/tmp/".to_vec(),
            uid: 65534,
            vtid: Some(7),
            vpid: Some(7),
            loginuid: Some(1000),
            ..ThreadInfo::default()
        };
        let fds = vec![
            FdInfo {
                fd: 3,
                ino: 9,
                fd_type: FdType::FileV2,
                raw_type: 16,
                detail: FdDetail::File {
                    open_flags: 1,
                    name: b"/etc/passwd".to_vec(),
                    dev: Some(0x800001),
                },
            },
            FdInfo {
                fd: 4,
                ino: 10,
                fd_type: FdType::Ipv4Sock,
                raw_type: 3,
                detail: FdDetail::Ipv4 {
                    sip: Ipv4Addr::LOCALHOST,
                    dip: Ipv4Addr::new(10, 0, 0, 2),
                    sport: 40000,
                    dport: 443,
                    l4proto: 2,
                },
            },
            FdInfo {
                fd: 5,
                ino: 11,
                fd_type: FdType::Fifo,
                raw_type: 7,
                detail: FdDetail::Name(b"pipe:[11]".to_vec()),
            },
        ];
        let mut state = CaptureState::default();
        state.threads.push(t.clone());
        state.fds.insert(7, fds.clone());
        let snap = snapshot_to_proto("zone-a", &state, 0);
        let back = snapshot_from_proto(
            &snap,
            SnapshotLimits {
                max_threads: 10,
                max_fds_per_thread: 10,
            },
        );
        let got = &back.threads[0];
        assert_eq!(
            (
                got.tid,
                got.ptid,
                &got.comm,
                &got.exe,
                &got.args,
                got.uid,
                got.loginuid
            ),
            (7, 1, &t.comm, &t.exe, &t.args, 65534, Some(1000))
        );
        assert_eq!(back.fds[&7], fds);
    }

    #[test]
    fn hostile_snapshots_are_bounded() {
        let mut snap = ZoneKernelThreadSnapshotEvent::default();
        for tid in 0..100u64 {
            let mut t = ZoneKernelThreadInfo {
                tid: Some(tid),
                comm: "x".repeat(MAX_STRING * 2),
                ..Default::default()
            };
            for fd in 0..50u64 {
                t.fdlist.insert(
                    fd,
                    ZoneKernelFdInfo {
                        fd: Some(fd),
                        fd_type: 99,
                        ..Default::default()
                    },
                );
            }
            t.fdlist.insert(
                1000,
                ZoneKernelFdInfo {
                    fd: Some(1000),
                    fd_type: 7,
                    ..Default::default()
                },
            );
            snap.thread_info.insert(tid, t);
        }
        snap.thread_info.insert(
            1 << 40,
            ZoneKernelThreadInfo {
                tid: None,
                ..Default::default()
            },
        );
        let s = snapshot_from_proto(
            &snap,
            SnapshotLimits {
                max_threads: 10,
                max_fds_per_thread: 5,
            },
        );
        assert_eq!(s.threads.len(), 10);
        assert!(s.threads.iter().all(|t| t.comm.len() == MAX_STRING));
        // Unknown fd types are skipped; the known one is kept.
        assert!(s.fds.values().all(|f| f.len() == 1 && f[0].fd == 1000));
    }
}
