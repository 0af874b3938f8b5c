//! Socket lifecycle exits: `socket`, `socketpair`, `bind`, `connect`, `accept`, `accept4`.
//!
//! fd names: a bound socket takes its local address (`0.0.0.0:80`), a connected one its tuple
//! (`127.0.0.1:47192->127.0.0.1:80`, client first), an accepted one the tuple as the kernel
//! reports it, a unix one `{src:x}->{dst:x} {path}`. A socket that is only created has no name.

use edera_scap::event::RawEvent;
use edera_scap::tables::{EventCode as C, ppm_o};

use super::ZoneState;
use super::enter::retrieve;
use super::params::{PResult, num, raw, retval};
use super::tuple::{set_v4, set_v6, swap};
use crate::net::{
    AF_INET, AF_INET6, AF_UNIX, arr, c_str, fd_name_of_sockaddr, fd_name_of_tuple, is_ipv4_mapped,
    sockaddr_valid, socktuple_valid, u16_le, u64_le, unix_name,
};
use crate::state::fd::sockinfo_name;
use crate::state::fd::{FdInfo, FdType, fdflags, l4};
use crate::state::thread::StoredEnter;

const SOCK_STREAM: u32 = 1;
const SOCK_DGRAM: u32 = 2;
const SOCK_RAW: u32 = 3;
const IPPROTO_IP: u32 = 0;
const IPPROTO_ICMP: u32 = 1;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_RAW: u32 = 255;
const AF_NETLINK: u32 = 16;
/// `connect` in progress (`-EINPROGRESS`): libsinsp takes the tuple as if connected.
const EINPROGRESS: i64 = 115;

/// libsinsp's `add_socket`: a new socket fd typed by its domain, with the transport protocol
/// derived from type and protocol.
pub(super) fn add_socket(
    z: &mut ZoneState,
    tid: i64,
    fd: i64,
    domain: u32,
    ty: u32,
    proto: u32,
    flags: u32,
) {
    let mut f = FdInfo::new(FdType::Unknown);
    f.sock.set_v4_l4proto(l4::UNKNOWN);
    f.open_flags = flags;
    let inet = domain == u32::from(AF_INET);
    if domain == u32::from(AF_UNIX) {
        f.set_type(FdType::UnixSock);
    } else if inet || domain == u32::from(AF_INET6) {
        f.set_type(if inet {
            FdType::Ipv4Sock
        } else {
            FdType::Ipv6Sock
        });
        let p = match proto {
            IPPROTO_TCP if ty == SOCK_RAW => l4::RAW,
            IPPROTO_TCP => l4::TCP,
            IPPROTO_UDP if ty == SOCK_RAW => l4::RAW,
            IPPROTO_UDP => l4::UDP,
            IPPROTO_IP if ty & 0xff == SOCK_STREAM => l4::TCP,
            IPPROTO_IP if ty & 0xff == SOCK_DGRAM => l4::UDP,
            IPPROTO_ICMP if ty == SOCK_RAW => l4::RAW,
            IPPROTO_ICMP => l4::ICMP,
            IPPROTO_RAW => l4::RAW,
            _ => l4::UNKNOWN,
        };
        if inet {
            f.sock.set_v4_l4proto(p);
        } else {
            f.sock.clear_v6();
            f.sock.set_v6_l4proto(p);
        }
    } else if domain == AF_NETLINK {
        f.set_type(FdType::Netlink);
    }
    z.attach_new_fd(tid, fd, f);
}

pub(super) fn socket(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let fd = retval(ev);
    let Some(tid) = z.event.tid.filter(|_| fd >= 0) else {
        return Ok(());
    };
    let (domain, ty, proto, flags) = (num(ev, 1)?, num(ev, 2)?, num(ev, 3)?, num(ev, 4)?);
    add_socket(z, tid, fd, domain, ty, proto, flags);
    Ok(())
}

pub(super) fn socketpair(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid.filter(|_| retval(ev) >= 0) else {
        return Ok(());
    };
    let fd1: i64 = num(ev, 1)?;
    let fd2: i64 = num(ev, 2)?;
    if fd1 == fd2 {
        z.event.fd = None;
        return Ok(());
    }
    let mut f = FdInfo::new(FdType::UnixSock);
    f.sock.set_unix(num(ev, 3)?, num(ev, 4)?);
    z.attach_new_fd(tid, fd1, f.clone());
    let first = z.event.fd;
    z.threads.add_fd(tid, fd2, f);
    z.event.fd = first;
    Ok(())
}

pub(super) fn bind(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let a = raw(ev, 1);
    if z.event.fd.is_none() || retval(ev) < 0 || !sockaddr_valid(a) {
        return Ok(());
    }
    if let Some(f) = z.event_fd_mut() {
        match a[0] {
            AF_INET if u16_le(a, 5) > 0 => {
                f.set_type(FdType::Ipv4ServSock);
                f.sock.set_v4srv_ip(arr(a, 1));
                f.sock.set_v4srv_port(u16_le(a, 5));
                let p = f.sock.v4_l4proto();
                f.sock.set_v4srv_l4proto(p);
                f.set_role_server();
            }
            AF_INET6 if u16_le(a, 17) > 0 => {
                let ip: [u8; 16] = arr(a, 1);
                let p = f.sock.v6_l4proto();
                if is_ipv4_mapped(&ip) {
                    f.set_type(FdType::Ipv4ServSock);
                    f.sock.set_v4srv_l4proto(p);
                    f.sock.set_v4srv_ip(arr(a, 13));
                    f.sock.set_v4srv_port(u16_le(a, 17));
                } else {
                    f.set_type(FdType::Ipv6ServSock);
                    f.sock.set_v6srv_port(u16_le(a, 17));
                    f.sock.set_v6srv_ip(ip);
                    f.sock.set_v6srv_l4proto(p);
                }
                f.set_role_server();
            }
            _ => {}
        }
    }
    z.rename_event_fd(tid, fd_name_of_sockaddr(a));
    Ok(())
}

pub(super) fn connect(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid.filter(|_| z.event.fd.is_some()) else {
        return Ok(());
    };
    let res = retval(ev);
    if res < 0 && res != -EINPROGRESS {
        return Ok(());
    }
    let enter_addr = match retrieve(z, tid, C::SocketConnectX) {
        Some(StoredEnter::Connect { addr }) if sockaddr_valid(addr) => Some(addr.clone()),
        _ => None,
    };
    let Some(f) = z.event_fd_mut() else {
        return Ok(());
    };
    f.set_socket_connected();
    let tuple = raw(ev, 1);
    if tuple.is_empty() {
        // No tuple (TCP fast open): the address from the enter event, if any.
        if let Some(a) = enter_addr {
            from_addr(z, tid, &a);
        }
        return Ok(());
    }
    let exit_addr = Some(raw(ev, 3)).filter(|a| sockaddr_valid(a));
    if !socktuple_valid(tuple) {
        return Ok(());
    }
    fill_client(z, tid, tuple, exit_addr, enter_addr.as_deref());
    Ok(())
}

/// `connect` without a tuple: only the destination, from the enter event's address.
fn from_addr(z: &mut ZoneState, tid: i64, a: &[u8]) {
    let Some(f) = z.event_fd_mut() else { return };
    match a[0] {
        AF_INET => {
            f.set_type(FdType::Ipv4Sock);
            f.sock.set_v4_dip(arr(a, 1));
            f.sock.set_v4_dport(u16_le(a, 5));
        }
        AF_INET6 => {
            let ip: [u8; 16] = arr(a, 1);
            let port = u16_le(a, 17);
            if is_ipv4_mapped(&ip) {
                f.set_type(FdType::Ipv4Sock);
                f.sock.set_v4_dip(arr(a, 13));
                f.sock.set_v4_dport(port);
            } else {
                f.set_type(FdType::Ipv6Sock);
                f.sock.set_v6_dport(port);
                f.sock.set_v6_dip(ip);
            }
        }
        // libsinsp renders the (empty) tuple parameter here.
        _ => z.rename_event_fd(tid, b"NULL".to_vec()),
    }
}

/// The destination of a `connect`: the tuple's, unless the exit address equals it, in which
/// case the enter event's address is trusted instead (time-of-check defence, as libsinsp).
fn destination<'a>(
    t_ip: &'a [u8],
    t_port: &'a [u8],
    exit: Option<(&[u8], &[u8])>,
    enter: Option<(&'a [u8], &'a [u8])>,
) -> (&'a [u8], &'a [u8]) {
    match (exit, enter) {
        (Some((ip, port)), Some(e)) if ip == t_ip && port == t_port => e,
        _ => (t_ip, t_port),
    }
}

/// libsinsp's `fill_client_socket_info`.
fn fill_client(z: &mut ZoneState, tid: i64, t: &[u8], exit: Option<&[u8]>, enter: Option<&[u8]>) {
    let name = match t[0] {
        AF_INET | AF_INET6 => {
            let v6 = t[0] == AF_INET6;
            let (ipl, sp, dip_at, dp_at) = if v6 { (16, 17, 19, 35) } else { (4, 5, 7, 11) };
            let slice = |b: &'_ [u8], at: usize, n: usize| -> Vec<u8> {
                b.get(at..at + n).map_or(vec![0; n], <[u8]>::to_vec)
            };
            let exit_ep = exit.map(|a| (slice(a, 1, ipl), slice(a, 1 + ipl, 2)));
            let enter_ep = enter.map(|a| (slice(a, 1, ipl), slice(a, 1 + ipl, 2)));
            let (t_ip, t_port) = (slice(t, dip_at, ipl), slice(t, dp_at, 2));
            let (dip, dport) = destination(
                &t_ip,
                &t_port,
                exit_ep.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
                enter_ep.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
            );
            let dport = u16_le(dport, 0);
            let Some(f) = z.event_fd_mut() else { return };
            let changed = if v6 {
                let sip: [u8; 16] = arr(t, 1);
                let dip16: [u8; 16] = arr(dip, 0);
                if is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip16) {
                    f.set_type(FdType::Ipv4Sock);
                    set_v4(
                        f,
                        arr(&sip, 12),
                        u16_le(t, sp),
                        arr(&dip16, 12),
                        dport,
                        true,
                    )
                } else {
                    f.set_type(FdType::Ipv6Sock);
                    set_v6(f, sip, u16_le(t, sp), dip16, dport, true)
                }
            } else {
                f.set_type(FdType::Ipv4Sock);
                set_v4(f, arr(t, 1), u16_le(t, sp), arr(dip, 0), dport, true)
            };
            if changed && f.is_role_server() && f.is_udp_socket() {
                swap(f);
            }
            sockinfo_name(&f.sock, f.fd_type())
        }
        _ => {
            let Some(f) = z.event_fd_mut() else { return };
            if !f.is_unix_socket() {
                return;
            }
            let t_path = c_str(t, 17);
            let path = match (exit, enter) {
                (Some(x), Some(e)) if cmp_paths(t_path, c_str(x, 1)) => c_str(e, 1),
                _ => t_path,
            };
            let (src, dst) = (u64_le(t, 1), u64_le(t, 9));
            f.sock.set_unix(src, dst);
            unix_name(src, dst, path)
        }
    };
    z.rename_event_fd(tid, name);
    if let Some(f) = z.event_fd_mut()
        && f.is_role_none()
    {
        f.set_role_client();
    }
}

/// `strncmp(a, b, 108) == 0` (a unix path's maximum length).
fn cmp_paths(a: &[u8], b: &[u8]) -> bool {
    a[..a.len().min(108)] == b[..b.len().min(108)]
}

pub(super) fn accept(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    let fd = retval(ev);
    if fd < 0 {
        return Ok(());
    }
    if let Some(t) = z.threads.get_mut(tid) {
        t.lastevent_fd = fd;
    }
    let p = raw(ev, 1);
    if !socktuple_valid(p) {
        return Ok(());
    }
    let mut f = FdInfo::default();
    match p[0] {
        AF_INET => {
            set_v4(
                &mut f,
                arr(p, 1),
                u16_le(p, 5),
                arr(p, 7),
                u16_le(p, 11),
                true,
            );
            f.set_type(FdType::Ipv4Sock);
            f.sock.set_v4_l4proto(l4::TCP);
        }
        AF_INET6 => {
            let (sip, dip): ([u8; 16], [u8; 16]) = (arr(p, 1), arr(p, 19));
            if is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip) {
                set_v4(
                    &mut f,
                    arr(p, 13),
                    u16_le(p, 17),
                    arr(p, 31),
                    u16_le(p, 35),
                    true,
                );
                f.set_type(FdType::Ipv4Sock);
                f.sock.set_v4_l4proto(l4::TCP);
            } else {
                set_v6(&mut f, sip, u16_le(p, 17), dip, u16_le(p, 35), true);
                f.set_type(FdType::Ipv6Sock);
                f.sock.set_v6_l4proto(l4::TCP);
            }
        }
        AF_UNIX => {
            f.set_type(FdType::UnixSock);
            f.sock.set_unix(u64_le(p, 1), u64_le(p, 9));
        }
        _ => return Ok(()),
    }
    f.name = fd_name_of_tuple(p);
    if code == C::SocketAccept4V6X {
        let flags: i32 = num(ev, 5)?;
        f.open_flags = flags as u32 & ppm_o::CLOEXEC as u32;
    }
    f.flags = fdflags::ROLE_SERVER;
    f.set_socket_connected();
    z.attach_new_fd(tid, fd, f);
    Ok(())
}
