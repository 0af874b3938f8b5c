//! Updating a socket fd's tuple from an event's socktuple, as libsinsp does for `connect`,
//! `accept` and the send/receive calls (`set_ipv4_addresses_and_ports`, `update_fd`,
//! `swap_addresses`, `set_net_role_by_guessing`).

use crate::net::{
    AF_INET, AF_INET6, AF_UNIX, arr, is_ipv4_mapped, socktuple_valid, u16_le, u64_le,
};
use crate::state::fd::{FdInfo, FdType, l4};
use crate::state::iface::Interfaces;
use crate::state::table::ThreadTable;

/// Sets an ipv4 tuple (source always; destination when unset or `overwrite`). Returns whether
/// anything changed; an ipv4 socket that already has this tuple, either way round, is left
/// alone.
pub fn set_v4(
    f: &mut FdInfo,
    sip: [u8; 4],
    sport: u16,
    dip: [u8; 4],
    dport: u16,
    overwrite: bool,
) -> bool {
    let is_same_kind = f.fd_type() == FdType::Ipv4Sock;
    let s = &mut f.sock;
    if is_same_kind {
        let same = s.v4_sip() == sip
            && s.v4_sport() == sport
            && s.v4_dip() == dip
            && s.v4_dport() == dport;
        let swapped = s.v4_sip() == dip
            && s.v4_sport() == dport
            && s.v4_dip() == sip
            && s.v4_dport() == sport;
        if same || swapped {
            return false;
        }
    }
    let mut changed = false;
    if s.v4_sip() != sip {
        s.set_v4_sip(sip);
        changed = true;
    }
    if s.v4_sport() != sport {
        s.set_v4_sport(sport);
        changed = true;
    }
    if s.v4_dip() == [0; 4] || (overwrite && s.v4_dip() != dip) {
        s.set_v4_dip(dip);
        changed = true;
    }
    if s.v4_dport() == 0 || (overwrite && s.v4_dport() != dport) {
        s.set_v4_dport(dport);
        changed = true;
    }
    changed
}

/// The same for an ipv6 tuple.
pub fn set_v6(
    f: &mut FdInfo,
    sip: [u8; 16],
    sport: u16,
    dip: [u8; 16],
    dport: u16,
    overwrite: bool,
) -> bool {
    let is_same_kind = f.fd_type() == FdType::Ipv6Sock;
    let s = &mut f.sock;
    if is_same_kind {
        let same = s.v6_sip() == sip
            && s.v6_sport() == sport
            && s.v6_dip() == dip
            && s.v6_dport() == dport;
        let swapped = s.v6_sip() == dip
            && s.v6_sport() == dport
            && s.v6_dip() == sip
            && s.v6_dport() == sport;
        if same || swapped {
            return false;
        }
    }
    let mut changed = false;
    if s.v6_sip() != sip {
        s.set_v6_sip(sip);
        changed = true;
    }
    if s.v6_sport() != sport {
        s.set_v6_sport(sport);
        changed = true;
    }
    if s.v6_dip() == [0; 16] || (overwrite && s.v6_dip() != dip) {
        s.set_v6_dip(dip);
        changed = true;
    }
    if s.v6_dport() == 0 || (overwrite && s.v6_dport() != dport) {
        s.set_v6_dport(dport);
        changed = true;
    }
    changed
}

/// Swaps source and destination (the ipv4 view for ipv4 sockets, the ipv6 one otherwise).
pub fn swap(f: &mut FdInfo) {
    let is_same_kind = f.fd_type() == FdType::Ipv4Sock;
    let s = &mut f.sock;
    if is_same_kind {
        let (sip, sport, dip, dport) = (s.v4_sip(), s.v4_sport(), s.v4_dip(), s.v4_dport());
        s.set_v4_sip(dip);
        s.set_v4_sport(dport);
        s.set_v4_dip(sip);
        s.set_v4_dport(sport);
    } else {
        let (sip, sport, dip, dport) = (s.v6_sip(), s.v6_sport(), s.v6_dip(), s.v6_dport());
        s.set_v6_sip(dip);
        s.set_v6_sport(dport);
        s.set_v6_dip(sip);
        s.set_v6_dport(sport);
    }
}

/// libsinsp's `update_fd`: takes an event's socktuple into the fd. An ip tuple turns the fd
/// into an ipv4 (or, not mapped, keeps it ipv6) socket, guesses udp when the protocol is still
/// unknown, and completes a missing address from the interfaces; a unix tuple makes it a unix
/// socket. Returns false when nothing changed (invalid tuple, or the same tuple again); the
/// caller then renames the fd.
pub fn update(f: &mut FdInfo, p: &[u8], ifaces: &Interfaces) -> bool {
    if !socktuple_valid(p) {
        return false;
    }
    match p[0] {
        AF_INET => {
            if f.fd_type() == FdType::Ipv4ServSock {
                let proto = f.sock.v4srv_l4proto();
                f.sock.set_v4_l4proto(proto);
            }
            f.set_type(FdType::Ipv4Sock);
            if !set_v4(f, arr(p, 1), u16_le(p, 5), arr(p, 7), u16_le(p, 11), true) {
                return false;
            }
        }
        AF_INET6 => {
            let (sip, dip): ([u8; 16], [u8; 16]) = (arr(p, 1), arr(p, 19));
            let changed = if is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip) {
                f.set_type(FdType::Ipv4Sock);
                set_v4(
                    f,
                    arr(p, 13),
                    u16_le(p, 17),
                    arr(p, 31),
                    u16_le(p, 35),
                    true,
                )
            } else {
                set_v6(f, sip, u16_le(p, 17), dip, u16_le(p, 35), true)
            };
            if !changed {
                return false;
            }
        }
        AF_UNIX => {
            f.set_type(FdType::UnixSock);
            f.sock.set_unix(u64_le(p, 1), u64_le(p, 9));
            return true;
        }
        _ => {}
    }
    match f.fd_type() {
        FdType::Ipv4Sock if f.sock.v4_l4proto() == l4::UNKNOWN => f.sock.set_v4_l4proto(l4::UDP),
        FdType::Ipv6Sock if f.sock.v6_l4proto() == l4::UNKNOWN => f.sock.set_v6_l4proto(l4::UDP),
        _ => {}
    }
    ifaces.complete_tuple(f);
    true
}

/// libsinsp's `set_net_role_by_guessing` for fd `fd` of `tid`: client unless the process has
/// an ipv4 fd bound to the destination port; server unless it also uses the source port as a
/// client; otherwise by the direction of the data.
pub fn guess_role(threads: &mut ThreadTable, tid: i64, fd: i64, incoming: bool) {
    let Some(f) = threads.get_fd(tid, fd) else {
        return;
    };
    let (dport, sport) = (f.sock.v4_dport(), f.sock.v4_sport());
    let table = threads.fd_table(tid);
    let fds = || table.into_iter().flat_map(|t| t.iter().map(|(_, e)| e));
    let bound = fds().any(|e| match e.fd_type() {
        FdType::Ipv4Sock => e.sock.v4_dport() == dport,
        FdType::Ipv4ServSock => e.sock.v4srv_port() == dport,
        _ => false,
    });
    let client_port = fds().any(|e| e.fd_type() == FdType::Ipv4Sock && e.sock.v4_sport() == sport);
    let Some(f) = threads.fd_mut(tid, fd) else {
        return;
    };
    if !bound {
        f.set_role_client();
    } else if !client_port {
        f.set_role_server();
    } else if f.is_role_none() {
        if incoming {
            f.set_role_server();
        } else {
            f.set_role_client();
        }
    }
}
