//! Socket addresses and tuples in libscap's parameter encodings (PT_SOCKADDR, PT_SOCKTUPLE):
//! a PPM family byte, then addresses as in memory (network order) and ports in host order;
//! unix sockets carry kernel socket addresses and a NUL-terminated path.

use crate::record::Sock;

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// An inet endpoint read from a native `struct sockaddr`: family, address, port (host order).
fn inet_endpoint(sa: &[u8]) -> Option<(u16, [u8; 16], u16)> {
    let family = u16::from_ne_bytes([*sa.first()?, *sa.get(1)?]);
    let port = u16::from_be_bytes([*sa.get(2)?, *sa.get(3)?]);
    let mut addr = [0u8; 16];
    match family {
        AF_INET => addr[..4].copy_from_slice(sa.get(4..8)?),
        AF_INET6 => addr.copy_from_slice(sa.get(8..24)?),
        _ => return None,
    }
    Some((family, addr, port))
}

/// The `sun_path` of a native unix `struct sockaddr_un` (up to its NUL).
fn unix_path(sa: &[u8]) -> &[u8] {
    let p = sa.get(2..).unwrap_or_default();
    p.iter().position(|&b| b == 0).map_or(p, |n| &p[..n])
}

/// A native `struct sockaddr` as PT_SOCKADDR; empty when it cannot be read.
pub fn sockaddr(sa: &[u8]) -> Vec<u8> {
    let Some(&lo) = sa.first() else {
        return Vec::new();
    };
    let family = u16::from_ne_bytes([lo, sa.get(1).copied().unwrap_or(0)]);
    let mut out = Vec::with_capacity(24);
    match family {
        AF_UNIX => {
            out.push(AF_UNIX as u8);
            out.extend_from_slice(unix_path(sa));
            out.push(0);
        }
        AF_INET | AF_INET6 => {
            let Some((f, addr, port)) = inet_endpoint(sa) else {
                return Vec::new();
            };
            out.push(f as u8);
            out.extend_from_slice(&addr[..if f == AF_INET { 4 } else { 16 }]);
            out.extend_from_slice(&port.to_le_bytes());
        }
        _ => out.push(family as u8),
    }
    out
}

/// The PT_SOCKTUPLE of socket `s`: local end first when `outbound`, remote end first
/// otherwise. An inet socket without a remote port takes the remote end from `user`, the
/// sockaddr the call was given. Empty for families libscap does not tuple.
pub fn tuple(s: &Sock, outbound: bool, user: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    match s.family {
        AF_INET | AF_INET6 => {
            let n = if s.family == AF_INET { 4 } else { 16 };
            let mut remote = (s.daddr, s.dport);
            if s.dport == 0
                && let Some((f, a, p)) = user.and_then(inet_endpoint)
                && f == s.family
            {
                remote = (a, p);
            }
            let local = (s.saddr, s.sport);
            let (first, second) = if outbound {
                (local, remote)
            } else {
                (remote, local)
            };
            out.push(s.family as u8);
            for (addr, port) in [first, second] {
                out.extend_from_slice(&addr[..n]);
                out.extend_from_slice(&port.to_le_bytes());
            }
        }
        AF_UNIX => {
            out.push(AF_UNIX as u8);
            let (first, second) = if outbound {
                (s.sk, s.peer)
            } else {
                (s.peer, s.sk)
            };
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&second.to_le_bytes());
            out.extend_from_slice(user.map(unix_path).unwrap_or_default());
            out.push(0);
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sin(addr: [u8; 4], port: u16) -> Vec<u8> {
        let mut v = AF_INET.to_ne_bytes().to_vec();
        v.extend_from_slice(&port.to_be_bytes());
        v.extend_from_slice(&addr);
        v.extend_from_slice(&[0; 8]);
        v
    }

    #[test]
    fn inet_sockaddr_and_tuples() {
        assert_eq!(
            sockaddr(&sin([127, 0, 0, 1], 8080)),
            [2, 127, 0, 0, 1, 0x90, 0x1f]
        );
        let s = Sock {
            family: AF_INET,
            sport: 40000,
            dport: 0,
            saddr: [127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ..Sock::default()
        };
        // No remote end on the socket: it comes from the call's sockaddr.
        let t = tuple(&s, true, Some(&sin([10, 0, 0, 2], 53)));
        assert_eq!(t, [2, 127, 0, 0, 1, 0x40, 0x9c, 10, 0, 0, 2, 53, 0]);
        let inbound = tuple(
            &Sock {
                dport: 53,
                daddr: [10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                ..s
            },
            false,
            None,
        );
        assert_eq!(inbound, [2, 10, 0, 0, 2, 53, 0, 127, 0, 0, 1, 0x40, 0x9c]);
    }

    #[test]
    fn unix_sockaddr_and_tuples() {
        let mut sun = AF_UNIX.to_ne_bytes().to_vec();
        sun.extend_from_slice(b"/run/x.sock\0\0\0");
        assert_eq!(sockaddr(&sun), b"\x01/run/x.sock\0");
        let s = Sock {
            family: AF_UNIX,
            sk: 0x10,
            peer: 0x20,
            ..Sock::default()
        };
        let t = tuple(&s, true, Some(&sun));
        assert_eq!(t[0], 1);
        assert_eq!(&t[1..9], &0x10u64.to_le_bytes());
        assert_eq!(&t[9..17], &0x20u64.to_le_bytes());
        assert_eq!(&t[17..], b"/run/x.sock\0");
        assert!(tuple(&Sock { family: 16, ..s }, true, None).is_empty());
        assert!(sockaddr(&[]).is_empty());
    }
}
