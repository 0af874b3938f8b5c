//! A zone's network interfaces between the capture model's interface list (what the agent
//! writes in its capture) and the protect API's `ZoneStatus.network_status` (Edera's own field):
//! the stand-in daemon fills the status from the agent's list, the plugin reads it back as
//! libsinsp reads a capture's list, to complete the unknown end of udp sockets' tuples.
//!
//! Addresses travel as `address/prefix`; broadcast addresses and link speeds do not (libsinsp
//! does not use them). The status comes from the daemon: [`interfaces_from_network`] bounds the
//! number of addresses and skips those it cannot parse. A zone's network namespace always has
//! its loopback interface, which a daemon may not list: it is added when absent.

use crate::control::{
    ZoneNetworkInterfaceStatus, ZoneNetworkIp, ZoneNetworkIpVersion, ZoneNetworkStatus,
};
use edera_scap::file::{InterfaceAddr, InterfaceInfo};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest interface name taken from the status.
const MAX_NAME: usize = 256;

/// The status of the interfaces in `list`: one entry per name, in the order names first appear.
pub fn network_to_proto(list: &[InterfaceInfo]) -> ZoneNetworkStatus {
    let mut interfaces: Vec<ZoneNetworkInterfaceStatus> = Vec::new();
    for i in list {
        let name = String::from_utf8_lossy(&i.name).into_owned();
        let ip = match &i.addr {
            InterfaceAddr::V4 { addr, netmask, .. } => ZoneNetworkIp {
                version: ZoneNetworkIpVersion::V4 as i32,
                address: format!("{addr}/{}", u32::from(*netmask).leading_ones()),
            },
            InterfaceAddr::V6 { addr, netmask, .. } => ZoneNetworkIp {
                version: ZoneNetworkIpVersion::V6 as i32,
                address: format!("{addr}/{}", u128::from(*netmask).leading_ones()),
            },
        };
        match interfaces.iter_mut().find(|s| s.zone_interface == name) {
            Some(s) => s.ips.push(ip),
            None => interfaces.push(ZoneNetworkInterfaceStatus {
                zone_interface: name,
                ips: vec![ip],
            }),
        }
    }
    ZoneNetworkStatus { interfaces }
}

/// `address[/prefix]` as an address and its netmask (no prefix: the whole address).
fn parse(text: &str) -> Option<InterfaceAddr> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u32>().ok()?)),
        None => (text, None),
    };
    if let Ok(addr) = addr.parse::<Ipv4Addr>() {
        let prefix = prefix.unwrap_or(32);
        let mask = u32::MAX
            .checked_shl(32u32.checked_sub(prefix)?)
            .unwrap_or(0);
        return Some(InterfaceAddr::V4 {
            addr,
            netmask: Ipv4Addr::from(mask),
            bcast: Ipv4Addr::UNSPECIFIED,
        });
    }
    let addr = addr.parse::<Ipv6Addr>().ok()?;
    let prefix = prefix.unwrap_or(128);
    let mask = u128::MAX
        .checked_shl(128u32.checked_sub(prefix)?)
        .unwrap_or(0);
    Some(InterfaceAddr::V6 {
        addr,
        netmask: Ipv6Addr::from(mask),
        bcast: Ipv6Addr::UNSPECIFIED,
    })
}

/// The interface list of a zone's status, as libscap lists interfaces (ipv4 addresses, then
/// ipv6 ones), the loopback addresses first when the status lacks them; at most `max`
/// addresses of each family.
pub fn interfaces_from_network(status: &ZoneNetworkStatus, max: usize) -> Vec<InterfaceInfo> {
    let entry = |name: &[u8], addr| InterfaceInfo {
        name: name.to_vec(),
        addr,
        linkspeed: None,
    };
    let mut v4 = vec![entry(
        b"lo",
        InterfaceAddr::V4 {
            addr: Ipv4Addr::LOCALHOST,
            netmask: Ipv4Addr::new(255, 0, 0, 0),
            bcast: Ipv4Addr::UNSPECIFIED,
        },
    )];
    let mut v6 = vec![entry(
        b"lo",
        InterfaceAddr::V6 {
            addr: Ipv6Addr::LOCALHOST,
            netmask: Ipv6Addr::from(u128::MAX),
            bcast: Ipv6Addr::UNSPECIFIED,
        },
    )];
    // The loopback entries stay only if the status does not list loopback addresses.
    let (mut v4_loopback, mut v6_loopback) = (true, true);
    for s in &status.interfaces {
        let name = s.zone_interface.as_bytes();
        let name = &name[..name.len().min(MAX_NAME)];
        for addr in s.ips.iter().filter_map(|ip| parse(&ip.address)) {
            match addr {
                InterfaceAddr::V4 { addr: a, .. } => {
                    if a.is_loopback() && v4_loopback {
                        v4.clear();
                        v4_loopback = false;
                    }
                    if v4.len() < max {
                        v4.push(entry(name, addr));
                    }
                }
                InterfaceAddr::V6 { addr: a, .. } => {
                    if a.is_loopback() && v6_loopback {
                        v6.clear();
                        v6_loopback = false;
                    }
                    if v6.len() < max {
                        v6.push(entry(name, addr));
                    }
                }
            }
        }
    }
    v4.truncate(max);
    v6.truncate(max);
    v4.append(&mut v6);
    v4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(name: &str, addr: [u8; 4], netmask: [u8; 4]) -> InterfaceInfo {
        InterfaceInfo {
            name: name.as_bytes().to_vec(),
            addr: InterfaceAddr::V4 {
                addr: addr.into(),
                netmask: netmask.into(),
                bcast: Ipv4Addr::UNSPECIFIED,
            },
            linkspeed: None,
        }
    }

    fn v6(name: &str, addr: &str, netmask: &str) -> InterfaceInfo {
        InterfaceInfo {
            name: name.as_bytes().to_vec(),
            addr: InterfaceAddr::V6 {
                addr: addr.parse().unwrap(),
                netmask: netmask.parse().unwrap(),
                bcast: Ipv6Addr::UNSPECIFIED,
            },
            linkspeed: None,
        }
    }

    #[test]
    fn an_agents_list_travels_unchanged_but_broadcast() {
        let list = vec![
            v4("lo", [127, 0, 0, 1], [255, 0, 0, 0]),
            v4("eth0", [10, 75, 0, 2], [255, 255, 0, 0]),
            v6("lo", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            v6("eth0", "fd00::2", "ffff:ffff:ffff:ffff::"),
        ];
        let status = network_to_proto(&list);
        assert_eq!(status.interfaces.len(), 2);
        assert_eq!(status.interfaces[1].ips[0].address, "10.75.0.2/16");
        assert_eq!(status.interfaces[1].ips[1].address, "fd00::2/64");
        assert_eq!(interfaces_from_network(&status, 16), list);
    }

    #[test]
    fn loopback_is_added_when_absent_and_hostile_entries_skipped() {
        let ip = |address: &str| ZoneNetworkIp {
            version: 0,
            address: address.into(),
        };
        let status = ZoneNetworkStatus {
            interfaces: vec![ZoneNetworkInterfaceStatus {
                zone_interface: "eth0".into(),
                ips: [
                    "10.0.0.9",
                    "10.0.0.8/33",
                    "x/8",
                    "10.0.0.7/99999999999",
                    "10.1.0.2/0",
                ]
                .map(ip)
                .to_vec(),
            }],
        };
        assert_eq!(
            interfaces_from_network(&status, 16),
            vec![
                v4("lo", [127, 0, 0, 1], [255, 0, 0, 0]),
                v4("eth0", [10, 0, 0, 9], [255, 255, 255, 255]),
                v4("eth0", [10, 1, 0, 2], [0, 0, 0, 0]),
                v6("lo", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ]
        );
        assert_eq!(interfaces_from_network(&status, 2).len(), 3);
    }
}
