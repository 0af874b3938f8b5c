//! The zone's network interfaces (those of the agent's network namespace) for the capture's
//! interface list, as libscap lists the host's: every ipv4 address, then every ipv6 one, in
//! `getifaddrs` order, with netmask and broadcast (zero when absent) and no link speed.
//! libsinsp completes the unknown end of a udp socket's tuple from this list.

use edera_scap::file::{InterfaceAddr, InterfaceInfo};
use std::ffi::CStr;
use std::net::{Ipv4Addr, Ipv6Addr};

/// At most this many addresses are listed.
const MAX_ADDRESSES: usize = 1024;

fn ipv4(sa: *const libc::sockaddr) -> Option<Ipv4Addr> {
    // SAFETY: getifaddrs gives null or a valid sockaddr whose family says its type.
    let sa = unsafe { sa.as_ref()? };
    if i32::from(sa.sa_family) != libc::AF_INET {
        return None;
    }
    // SAFETY: an AF_INET sockaddr is a sockaddr_in.
    let sin = unsafe { &*(sa as *const libc::sockaddr).cast::<libc::sockaddr_in>() };
    Some(Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()))
}

fn ipv6(sa: *const libc::sockaddr) -> Option<Ipv6Addr> {
    // SAFETY: as in `ipv4`.
    let sa = unsafe { sa.as_ref()? };
    if i32::from(sa.sa_family) != libc::AF_INET6 {
        return None;
    }
    // SAFETY: an AF_INET6 sockaddr is a sockaddr_in6.
    let sin6 = unsafe { &*(sa as *const libc::sockaddr).cast::<libc::sockaddr_in6>() };
    Some(Ipv6Addr::from(sin6.sin6_addr.s6_addr))
}

/// The address, netmask and broadcast address of one `getifaddrs` entry, if ipv4 or ipv6.
fn address(ifa: &libc::ifaddrs) -> Option<InterfaceAddr> {
    // Without IFF_BROADCAST the field holds a point-to-point peer, not a broadcast address.
    let bcast = if ifa.ifa_flags & libc::IFF_BROADCAST as u32 != 0 {
        ifa.ifa_ifu
    } else {
        std::ptr::null_mut()
    };
    if let Some(addr) = ipv4(ifa.ifa_addr) {
        return Some(InterfaceAddr::V4 {
            addr,
            netmask: ipv4(ifa.ifa_netmask).unwrap_or(Ipv4Addr::UNSPECIFIED),
            bcast: ipv4(bcast).unwrap_or(Ipv4Addr::UNSPECIFIED),
        });
    }
    ipv6(ifa.ifa_addr).map(|addr| InterfaceAddr::V6 {
        addr,
        netmask: ipv6(ifa.ifa_netmask).unwrap_or(Ipv6Addr::UNSPECIFIED),
        bcast: ipv6(bcast).unwrap_or(Ipv6Addr::UNSPECIFIED),
    })
}

/// The interface addresses of this network namespace; empty when they cannot be read.
pub fn interfaces() -> Vec<InterfaceInfo> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a list freed below by freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Vec::new();
    }
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    let mut at = list;
    // SAFETY: every node of the list stays valid until freeifaddrs.
    while let Some(ifa) = unsafe { at.as_ref() } {
        at = ifa.ifa_next;
        if v4.len() + v6.len() >= MAX_ADDRESSES || ifa.ifa_name.is_null() {
            continue;
        }
        let Some(addr) = address(ifa) else {
            continue;
        };
        // SAFETY: a non-null ifa_name is a NUL-terminated string.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }.to_bytes().to_vec();
        let is_v4 = matches!(addr, InterfaceAddr::V4 { .. });
        let entry = InterfaceInfo {
            name,
            addr,
            linkspeed: None,
        };
        if is_v4 {
            v4.push(entry)
        } else {
            v6.push(entry)
        }
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    v4.append(&mut v6);
    v4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_listed() {
        let list = interfaces();
        let lo = list
            .iter()
            .find(|i| {
                matches!(i.addr, InterfaceAddr::V4 { addr, netmask, .. }
                    if addr == Ipv4Addr::LOCALHOST && netmask == Ipv4Addr::new(255, 0, 0, 0))
            })
            .expect("127.0.0.1/8 listed");
        assert_eq!(lo.name, b"lo");
        let first_v6 = list
            .iter()
            .position(|i| matches!(i.addr, InterfaceAddr::V6 { .. }));
        let last_v4 = list
            .iter()
            .rposition(|i| matches!(i.addr, InterfaceAddr::V4 { .. }));
        assert!(first_v6.is_none_or(|f| last_v4.is_none_or(|l| l < f)));
    }
}
