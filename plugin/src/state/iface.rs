//! The zone's network interfaces, used as libsinsp uses the host's to complete socket tuples
//! that lack one address (`sinsp_network_interfaces::update_fd`).

use edera_scap::file::{InterfaceAddr, InterfaceInfo};

use super::fd::{FdInfo, FdType};

/// Interface addresses, in snapshot order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interfaces {
    v4: Vec<([u8; 4], [u8; 4])>,
    v6: Vec<[u8; 16]>,
}

const LOOPBACK4: [u8; 4] = [127, 0, 0, 1];
const LOOPBACK6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

fn masked(a: [u8; 4], m: [u8; 4]) -> [u8; 4] {
    std::array::from_fn(|i| a[i] & m[i])
}

impl Interfaces {
    /// From a snapshot's interface list (at most `max` addresses of each family).
    pub fn from_snapshot(list: &[InterfaceInfo], max: usize) -> Interfaces {
        let mut s = Interfaces::default();
        for i in list {
            match &i.addr {
                InterfaceAddr::V4 { addr, netmask, .. } if s.v4.len() < max => {
                    s.v4.push((addr.octets(), netmask.octets()))
                }
                InterfaceAddr::V6 { addr, .. } if s.v6.len() < max => s.v6.push(addr.octets()),
                _ => {}
            }
        }
        s
    }

    /// The local address for talking to `dest`: an interface with that address, else one in
    /// its subnet, else the first non-loopback one, else 0.0.0.0.
    pub fn infer_v4(&self, dest: [u8; 4]) -> [u8; 4] {
        let hit = self
            .v4
            .iter()
            .find(|(a, _)| *a == dest)
            .or_else(|| {
                self.v4
                    .iter()
                    .find(|(a, m)| masked(*a, *m) == masked(dest, *m))
            })
            .or_else(|| self.v4.iter().find(|(a, _)| *a != LOOPBACK4));
        hit.map_or([0; 4], |(a, _)| *a)
    }

    /// The same for ipv6 (same subnet = same first 64 bits).
    pub fn infer_v6(&self, dest: [u8; 16]) -> [u8; 16] {
        let hit = self
            .v6
            .iter()
            .find(|a| **a == dest)
            .or_else(|| self.v6.iter().find(|a| a[..8] == dest[..8]))
            .or_else(|| self.v6.iter().find(|a| **a != LOOPBACK6));
        hit.copied().unwrap_or([0; 16])
    }

    /// Whether `ip` is an address of one of the interfaces.
    pub fn is_local_v4(&self, ip: [u8; 4]) -> bool {
        self.v4.iter().any(|(a, _)| *a == ip)
    }

    /// Whether `ip` is in the /64 of one of the ipv6 interfaces.
    pub fn is_local_v6(&self, ip: [u8; 16]) -> bool {
        self.v6.iter().any(|a| a[..8] == ip[..8])
    }

    /// Fills in the missing address of an ip socket's tuple from the interfaces.
    pub fn complete_tuple(&self, f: &mut FdInfo) {
        match f.fd_type() {
            FdType::Ipv4Sock => {
                let s = &mut f.sock;
                let (sip, dip) = (s.v4_sip(), s.v4_dip());
                if sip != [0; 4] && dip != [0; 4] {
                    return;
                }
                let same_port = s.v4_sport() == s.v4_dport();
                if sip == [0; 4] {
                    let a = self.infer_v4(dip);
                    if !(a == dip && same_port) {
                        s.set_v4_sip(a);
                    }
                } else {
                    let a = self.infer_v4(sip);
                    if !(a == sip && same_port) {
                        s.set_v4_dip(a);
                    }
                }
            }
            FdType::Ipv6Sock => {
                let s = &mut f.sock;
                let (sip, dip) = (s.v6_sip(), s.v6_dip());
                if sip != [0; 16] && dip != [0; 16] {
                    return;
                }
                let same_port = s.v6_sport() == s.v6_dport();
                if sip == [0; 16] {
                    let a = self.infer_v6(dip);
                    if !(a == dip && same_port) {
                        s.set_v6_sip(a);
                    }
                } else {
                    let a = self.infer_v6(sip);
                    if !(a == sip && same_port) {
                        s.set_v6_dip(a);
                    }
                }
            }
            _ => {}
        }
    }
}
