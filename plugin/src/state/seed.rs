//! Loading a snapshot (a capture's state blocks, or a zone's thread snapshot) as libsinsp loads
//! a capture's tables: every thread first, then their fds, then group and parent links, then
//! the user list, then the direction of ipv4 sockets fixed from the listening ports seen.

use std::collections::HashSet;

use edera_scap::file::{CaptureState, FdDetail, ThreadInfo};

use super::ZoneState;
use super::apply::params::split;
use super::apply::util::{cgroups_of, set_exepath};
use super::fd::{FdInfo, FdType, fdflags, l4};
use super::thread::{Thread, cl};
use super::users::Names;
use crate::net::{is_ipv4_mapped, write_endpoint4, write_endpoint6};
use crate::path;

impl ZoneState {
    /// Loads `snapshot` into this zone (on top of what it holds; a fresh zone normally).
    pub fn seed(&mut self, snapshot: &CaptureState) {
        if let Some(m) = &snapshot.machine {
            self.boot_ts = m.boot_ts_epoch;
        }
        self.ifaces = super::iface::Interfaces::from_snapshot(
            &snapshot.interfaces,
            self.limits.max_interfaces,
        );
        let kept = snapshot.threads.len().min(self.limits.max_threads);
        self.counters.evicted_threads += (snapshot.threads.len() - kept) as u64;
        for info in &snapshot.threads[..kept] {
            let t = thread_from(info);
            self.users.seen(t.uid, t.gid);
            self.groups.seen(t.gid);
            self.threads.insert(t, false);
        }
        let mut server_ports = HashSet::new();
        for (&tid, fds) in &snapshot.fds {
            let Ok(tid) = i64::try_from(tid) else {
                continue;
            };
            for f in fds {
                if self.threads.total_fds() >= self.limits.max_fds {
                    self.threads.counts.evicted_fds += 1;
                    continue;
                }
                let Some(fi) = fd_from(f, &self.ifaces) else {
                    continue;
                };
                match fi.fd_type() {
                    FdType::Ipv4ServSock => server_ports.insert(fi.sock.v4srv_port()),
                    FdType::Ipv6ServSock => server_ports.insert(fi.sock.v6srv_port()),
                    _ => false,
                };
                self.add_own_fd(tid, f.fd, fi);
            }
        }
        self.threads.link_all();
        for u in &snapshot.users {
            let n = Names {
                name: Some(&u.name),
                home: Some(&u.homedir),
                shell: Some(&u.shell),
            };
            self.users.add(b"", u.uid, u.gid, n);
        }
        for g in &snapshot.groups {
            self.groups.add(b"", g.gid, Some(&g.name));
        }
        self.fix_socket_directions(&server_ports);
        self.sync_counters();
    }

    /// Adds a snapshot fd to `tid`'s own table (snapshots list fds per owning thread).
    fn add_own_fd(&mut self, tid: i64, fd: i64, fi: FdInfo) {
        let max = self.limits.max_fds_per_process;
        let Some(t) = self.threads.get_mut(tid) else {
            return;
        };
        let (len0, bytes0) = (t.fds.len(), t.fds.string_bytes());
        let r = t.fds.insert(fd, fi, max);
        let (len1, bytes1) = (t.fds.len(), t.fds.string_bytes());
        self.threads.total_fds = (self.threads.total_fds + len1).saturating_sub(len0);
        self.threads.total_bytes = (self.threads.total_bytes + bytes1).saturating_sub(bytes0);
        if r == super::fdtable::Inserted::Refused {
            self.threads.counts.evicted_fds += 1;
        }
    }

    /// libsinsp's `fix_sockets_coming_from_proc`: an ipv4 socket whose source port is a
    /// listening port of the zone is the server end (its tuple is swapped); any other is a
    /// client.
    fn fix_socket_directions(&mut self, server_ports: &HashSet<u16>) {
        let tids: Vec<i64> = self.threads.iter().map(|t| t.tid).collect();
        for tid in tids {
            let Some(t) = self.threads.get_mut(tid) else {
                continue;
            };
            t.fds.for_each_mut(|_, f| {
                if f.fd_type() != FdType::Ipv4Sock {
                    return;
                }
                if !server_ports.contains(&f.sock.v4_sport()) {
                    f.set_role_client();
                    return;
                }
                let s = &mut f.sock;
                let (sip, sport, dip, dport) = (s.v4_sip(), s.v4_sport(), s.v4_dip(), s.v4_dport());
                s.set_v4_sip(dip);
                s.set_v4_sport(dport);
                s.set_v4_dip(sip);
                s.set_v4_dport(sport);
                f.name = tuple4_name(&f.sock);
                f.set_role_server();
            });
        }
        self.threads.total_bytes = self
            .threads
            .iter()
            .map(|t| t.accounted + t.fds.string_bytes())
            .sum();
    }
}

/// A thread entry from a snapshot entry (libsinsp's `sinsp_threadinfo::init`).
fn thread_from(i: &ThreadInfo) -> Thread {
    let mut t = Thread::new(i.tid as i64);
    t.pid = i.pid as i64;
    t.ptid = i.ptid as i64;
    t.sid = i.sid.map_or(-1, |v| v as i64);
    t.vpgid = i.vpgid.map_or(-1, |v| v as i64);
    t.pgid = i.pgid.map_or(-1, |v| v as i64);
    t.comm = i.comm.clone();
    t.exe = i.exe.clone();
    set_exepath(&mut t, i.exepath.as_deref().unwrap_or_default());
    t.exe_writable = i.exe_writable.unwrap_or(false);
    t.exe_upper_layer = i.exe_upper_layer.unwrap_or(false);
    t.exe_lower_layer = i.exe_lower_layer.unwrap_or(false);
    t.exe_from_memfd = i.exe_from_memfd.unwrap_or(false);
    t.args = split(&i.args);
    if t.is_main_thread() {
        t.env = split(i.env.as_deref().unwrap_or_default());
        let mut cwd = path::join(b"", &i.cwd);
        if cwd.last() != Some(&b'/') {
            cwd.push(b'/');
        }
        t.cwd = cwd;
    }
    t.flags |= i.flags | cl::ACTIVE;
    t.fdlimit = i.fdlimit;
    t.cap_permitted = i.cap_permitted.unwrap_or(0);
    t.cap_effective = i.cap_effective.unwrap_or(0);
    t.cap_inheritable = i.cap_inheritable.unwrap_or(0);
    t.exe_ino = i.exe_ino.unwrap_or(0);
    t.exe_ino_ctime = i.exe_ino_ctime.unwrap_or(0);
    t.exe_ino_mtime = i.exe_ino_mtime.unwrap_or(0);
    t.vmsize_kb = i.vmsize_kb.unwrap_or(0);
    t.vmrss_kb = i.vmrss_kb.unwrap_or(0);
    t.vmswap_kb = i.vmswap_kb.unwrap_or(0);
    t.pfmajor = i.pfmajor.unwrap_or(0);
    t.pfminor = i.pfminor.unwrap_or(0);
    t.vtid = i.vtid.unwrap_or(-1);
    t.vpid = i.vpid.unwrap_or(-1);
    t.pidns_init_start_ts = i.pidns_init_start_ts.unwrap_or(0);
    t.tty = i.tty.unwrap_or(0);
    if let Some(c) = cgroups_of(&split(i.cgroups.as_deref().unwrap_or_default())) {
        t.cgroups = c;
    }
    t.root = i.root.clone().unwrap_or_default();
    t.gid = i.gid;
    t.uid = i.uid;
    t.loginuid = i.loginuid.unwrap_or(u32::MAX);
    t
}

fn tuple4_name(s: &super::fd::SockInfo) -> Vec<u8> {
    let mut n = Vec::with_capacity(48);
    write_endpoint4(&mut n, s.v4_sip(), s.v4_sport());
    n.extend_from_slice(b"->");
    write_endpoint4(&mut n, s.v4_dip(), s.v4_dport());
    n
}

/// An fd entry from a snapshot fd (libsinsp's `add_fd_from_scap`); `None` for the types
/// libsinsp does not load (unknown).
fn fd_from(f: &edera_scap::file::FdInfo, ifaces: &super::iface::Interfaces) -> Option<FdInfo> {
    if f.fd_type == edera_scap::file::FdType::Unknown {
        return None;
    }
    let mut fi = FdInfo::new(FdType::from_scap(f.fd_type));
    fi.flags = fdflags::FROM_PROC;
    fi.ino = f.ino;
    match &f.detail {
        FdDetail::None => return None,
        FdDetail::Name(n) => fi.name = n.clone(),
        FdDetail::File {
            open_flags,
            name,
            dev,
        } => {
            fi.open_flags = *open_flags;
            fi.name = name.clone();
            fi.dev = dev.unwrap_or(0);
        }
        FdDetail::Ipv4 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            fi.set_type(FdType::Ipv4Sock);
            set_v4(
                &mut fi,
                sip.octets(),
                *sport,
                dip.octets(),
                *dport,
                *l4proto,
            );
            ifaces.complete_tuple(&mut fi);
            fi.name = tuple4_name(&fi.sock);
        }
        FdDetail::Ipv6 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            let (s6, d6) = (sip.octets(), dip.octets());
            if is_ipv4_mapped(&s6) && is_ipv4_mapped(&d6) {
                fi.set_type(FdType::Ipv4Sock);
                let tail = |a: [u8; 16]| [a[12], a[13], a[14], a[15]];
                set_v4(&mut fi, tail(s6), *sport, tail(d6), *dport, *l4proto);
                ifaces.complete_tuple(&mut fi);
                fi.name = tuple4_name(&fi.sock);
            } else {
                fi.set_type(FdType::Ipv6Sock);
                let s = &mut fi.sock;
                s.set_v6_sip(s6);
                s.set_v6_dip(d6);
                s.set_v6_sport(*sport);
                s.set_v6_dport(*dport);
                s.set_v6_l4proto(*l4proto);
                if *l4proto == l4::TCP {
                    fi.flags |= fdflags::SOCKET_CONNECTED;
                }
                let mut n = Vec::with_capacity(96);
                write_endpoint6(&mut n, &s6, *sport);
                n.extend_from_slice(b"->");
                write_endpoint6(&mut n, &d6, *dport);
                fi.name = n;
            }
        }
        FdDetail::Ipv4Server { ip, port, l4proto } => {
            fi.sock.set_v4srv_ip(ip.octets());
            fi.sock.set_v4srv_port(*port);
            fi.sock.set_v4srv_l4proto(*l4proto);
            let mut n = Vec::new();
            write_endpoint4(&mut n, ip.octets(), *port);
            fi.name = n;
        }
        FdDetail::Ipv6Server { ip, port, l4proto } => {
            fi.sock.set_v6srv_ip(ip.octets());
            fi.sock.set_v6srv_port(*port);
            fi.sock.set_v6srv_l4proto(*l4proto);
            let mut n = Vec::new();
            write_endpoint6(&mut n, &ip.octets(), *port);
            fi.name = n;
        }
        FdDetail::Unix {
            source,
            destination,
            name,
        } => {
            fi.sock.set_unix(*source, *destination);
            fi.name = name.clone();
            if fi.name.is_empty() {
                fi.set_role_client();
            } else {
                fi.set_role_server();
            }
        }
    }
    Some(fi)
}

fn set_v4(fi: &mut FdInfo, sip: [u8; 4], sport: u16, dip: [u8; 4], dport: u16, proto: u8) {
    let s = &mut fi.sock;
    s.set_v4_sip(sip);
    s.set_v4_dip(dip);
    s.set_v4_sport(sport);
    s.set_v4_dport(dport);
    s.set_v4_l4proto(proto);
    if proto == l4::TCP {
        fi.flags |= fdflags::SOCKET_CONNECTED;
    }
}
