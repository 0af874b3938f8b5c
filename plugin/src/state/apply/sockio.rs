//! Reads and writes: an ip socket seen transferring data counts as connected, and the tuple in
//! `recvfrom`/`recvmsg`/`recvmmsg`/`recv` and `send`/`sendto`/`sendmsg`/`sendmmsg` exits fills
//! in fds that do not have one yet (datagram sockets, or sockets whose connect was missed):
//! the fd is renamed to the tuple, oriented client first. A send on an fd never seen is taken
//! to be a udp socket (libsinsp's `infer_send_sendto_sendmsg_fdinfo`).

use edera_scap::event::RawEvent;
use edera_scap::tables::EventCode as C;

use super::ZoneState;
use super::params::{PResult, empty, num, raw, retval};
use super::socket::add_socket;
use super::tuple::{guess_role, swap, update};
use crate::net::{AF_INET, AF_INET6, fd_name_of_tuple};
use crate::state::fd::FdType;
use crate::state::fd::sockinfo_name;

const SOCK_DGRAM: u32 = 2;
const IPPROTO_UDP: u32 = 17;

pub(super) fn read_exit(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    if code == C::SocketRecvmmsgX && empty(ev, 0) {
        return Ok(());
    }
    let tuple_at = match code {
        C::SocketRecvfromX => Some(2),
        C::SocketRecvmsgX => Some(3),
        C::SocketRecvmmsgX | C::SocketRecvX => Some(4),
        _ => None,
    };
    transfer(z, ev, tuple_at, true)
}

pub(super) fn write_exit(z: &mut ZoneState, ev: &RawEvent<'_>, code: C) -> PResult {
    if code == C::SocketSendmmsgX && empty(ev, 0) {
        return Ok(());
    }
    let sends = matches!(code, C::SocketSendX | C::SocketSendtoX | C::SocketSendmsgX);
    if sends && z.event.fd.is_none() && z.event.tid.is_some() {
        infer_udp(z, ev)?;
    }
    let tuple_at = (sends || code == C::SocketSendmmsgX).then_some(4);
    transfer(z, ev, tuple_at, false)
}

/// A send on an unknown fd whose tuple is ip: add it as a udp socket.
fn infer_udp(z: &mut ZoneState, ev: &RawEvent<'_>) -> PResult {
    let Some(tid) = z.event.tid else {
        return Ok(());
    };
    if retval(ev) < 0 {
        return Ok(());
    }
    let fd: i64 = num(ev, 2)?;
    let domain = match raw(ev, 4).first() {
        Some(&AF_INET) => AF_INET,
        Some(&AF_INET6) => AF_INET6,
        _ => return Ok(()),
    };
    add_socket(z, tid, fd, u32::from(domain), SOCK_DGRAM, IPPROTO_UDP, 0);
    Ok(())
}

fn transfer(
    z: &mut ZoneState,
    ev: &RawEvent<'_>,
    tuple_at: Option<usize>,
    incoming: bool,
) -> PResult {
    let (Some(tid), Some(fd)) = (z.event.tid, z.event.fd) else {
        return Ok(());
    };
    if retval(ev) < 0 {
        return Ok(());
    }
    let ifaces = &z.ifaces;
    let Some(f) = z.threads.fd_mut(tid, fd) else {
        return Ok(());
    };
    if matches!(f.fd_type(), FdType::Ipv4Sock | FdType::Ipv6Sock) {
        f.set_socket_connected();
    }
    let Some(at) = tuple_at else { return Ok(()) };
    // A tcp socket with a name already has its tuple.
    if !f.name.is_empty() && f.is_tcp_socket() {
        return Ok(());
    }
    let p = raw(ev, at);
    if !update(f, p, ifaces) {
        return Ok(());
    }
    let name = if matches!(f.fd_type(), FdType::Ipv4Sock | FdType::Ipv6Sock) {
        if f.is_role_none() {
            guess_role(&mut z.threads, tid, fd, incoming);
        }
        let Some(f) = z.threads.fd_mut(tid, fd) else {
            return Ok(());
        };
        if (incoming && f.is_role_client()) || (!incoming && f.is_role_server()) {
            swap(f);
        }
        sockinfo_name(&f.sock, f.fd_type())
    } else {
        fd_name_of_tuple(p)
    };
    z.rename_event_fd(tid, name);
    Ok(())
}
