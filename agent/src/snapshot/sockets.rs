//! The zone's sockets by inode, from /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix}: what an fd
//! list entry of a socket carries (addresses and ports, or a unix socket's address and path).

use edera_scap::file::{FdDetail, FdType};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `scap_l4_proto` codes.
const L4_TCP: u8 = 2;
const L4_UDP: u8 = 3;
const L4_RAW: u8 = 5;
/// TCP state `LISTEN` in /proc/net/tcp.
const TCP_LISTEN: &str = "0A";

/// A socket's fd-list type and detail.
pub type Socket = (FdType, FdDetail);
/// Sockets by inode.
pub type Sockets = HashMap<u64, Socket>;

/// An IPv4 address as /proc/net prints it: the 32-bit value in host order, hex.
fn ipv4(hex: &str) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::from(
        u32::from_str_radix(hex, 16).ok()?.to_le_bytes(),
    ))
}

/// An IPv6 address as /proc/net prints it: four 32-bit words in host order, hex.
fn ipv6(hex: &str) -> Option<Ipv6Addr> {
    if hex.len() != 32 {
        return None;
    }
    let mut b = [0u8; 16];
    for i in 0..4 {
        let w = u32::from_str_radix(hex.get(8 * i..8 * i + 8)?, 16).ok()?;
        b[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    Some(Ipv6Addr::from(b))
}

fn endpoint(s: &str) -> Option<(&str, u16)> {
    let (addr, port) = s.split_once(':')?;
    Some((addr, u16::from_str_radix(port, 16).ok()?))
}

/// One line of /proc/net/{tcp,udp,raw}[6]: inode and entry. A socket without a remote end
/// (listening, or an unconnected datagram socket) is a server socket, as libscap records it.
fn inet_line(line: &str, v6: bool, l4proto: u8) -> Option<(u64, Socket)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let (local, lport) = endpoint(f.get(1)?)?;
    let (remote, rport) = endpoint(f.get(2)?)?;
    let state = *f.get(3)?;
    let inode: u64 = f.get(9)?.parse().ok()?;
    let server = (l4proto == L4_TCP && state == TCP_LISTEN) || (l4proto != L4_TCP && rport == 0);
    let entry = match (v6, server) {
        (false, false) => (
            FdType::Ipv4Sock,
            FdDetail::Ipv4 {
                sip: ipv4(local)?,
                dip: ipv4(remote)?,
                sport: lport,
                dport: rport,
                l4proto,
            },
        ),
        (false, true) => (
            FdType::Ipv4ServSock,
            FdDetail::Ipv4Server {
                ip: ipv4(local)?,
                port: lport,
                l4proto,
            },
        ),
        (true, false) => (
            FdType::Ipv6Sock,
            FdDetail::Ipv6 {
                sip: ipv6(local)?,
                dip: ipv6(remote)?,
                sport: lport,
                dport: rport,
                l4proto,
            },
        ),
        (true, true) => (
            FdType::Ipv6ServSock,
            FdDetail::Ipv6Server {
                ip: ipv6(local)?,
                port: lport,
                l4proto,
            },
        ),
    };
    Some((inode, entry))
}

/// One line of /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`; `Num` is the
/// kernel address of the socket (zero when the kernel hides pointers).
fn unix_line(line: &str) -> Option<(u64, Socket)> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let source = u64::from_str_radix(f.first()?.trim_end_matches(':'), 16).ok()?;
    let inode: u64 = f.get(6)?.parse().ok()?;
    let name = f.get(7).map_or(Vec::new(), |p| p.as_bytes().to_vec());
    Some((
        inode,
        (
            FdType::UnixSock,
            FdDetail::Unix {
                source,
                destination: 0,
                name,
            },
        ),
    ))
}

/// Parse one /proc/net table's text into `out`.
pub fn parse_table(text: &str, table: &str, out: &mut Sockets) {
    let parse: &dyn Fn(&str) -> Option<(u64, Socket)> = match table {
        "tcp" => &|l| inet_line(l, false, L4_TCP),
        "tcp6" => &|l| inet_line(l, true, L4_TCP),
        "udp" => &|l| inet_line(l, false, L4_UDP),
        "udp6" => &|l| inet_line(l, true, L4_UDP),
        "raw" => &|l| inet_line(l, false, L4_RAW),
        "raw6" => &|l| inet_line(l, true, L4_RAW),
        "unix" => &unix_line,
        _ => return,
    };
    out.extend(text.lines().skip(1).filter_map(parse));
}

/// Every socket of the zone's network namespace.
pub fn sockets() -> Sockets {
    let mut out = Sockets::new();
    for table in ["tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix"] {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/net/{table}")) {
            parse_table(&text, table, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_lines() {
        let mut s = Sockets::new();
        parse_table(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1235 1\n",
            "tcp",
            &mut s,
        );
        assert_eq!(
            s[&1234],
            (
                FdType::Ipv4ServSock,
                FdDetail::Ipv4Server {
                    ip: Ipv4Addr::LOCALHOST,
                    port: 8080,
                    l4proto: L4_TCP
                }
            )
        );
        assert_eq!(
            s[&1235],
            (
                FdType::Ipv4Sock,
                FdDetail::Ipv4 {
                    sip: Ipv4Addr::LOCALHOST,
                    dip: Ipv4Addr::LOCALHOST,
                    sport: 40000,
                    dport: 8080,
                    l4proto: L4_TCP
                }
            )
        );
        parse_table(
            "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2\n",
            "udp6",
            &mut s,
        );
        assert_eq!(
            s[&99],
            (
                FdType::Ipv6ServSock,
                FdDetail::Ipv6Server {
                    ip: Ipv6Addr::LOCALHOST,
                    port: 53,
                    l4proto: L4_UDP
                }
            )
        );
        parse_table(
            "Num       RefCount Protocol Flags    Type St Inode Path\nffff8a0b3c5e0000: 00000002 00000000 00010000 0001 01 5555 /run/x.sock\n0000000000000000: 00000003 00000000 00000000 0001 03 5556\n",
            "unix",
            &mut s,
        );
        assert_eq!(
            s[&5555],
            (
                FdType::UnixSock,
                FdDetail::Unix {
                    source: 0xffff8a0b3c5e0000,
                    destination: 0,
                    name: b"/run/x.sock".to_vec()
                }
            )
        );
        assert_eq!(
            s[&5556].1,
            FdDetail::Unix {
                source: 0,
                destination: 0,
                name: Vec::new()
            }
        );
    }
}
