//! Socket names as libsinsp writes them into `fd.name`, and the checks and decoders of the
//! `PT_SOCKADDR`/`PT_SOCKTUPLE` parameters they come from.
//!
//! Formats: ipv4 `1.2.3.4:80`, tuples `1.2.3.4:5->6.7.8.9:80`; ipv6 addresses as glibc's
//! `inet_ntop` writes them (`2001:db8::1`, `::ffff:1.2.3.4`, `::1.2.3.4`), endpoints
//! `2001:db8::1:80`; unix tuples `{src:x}->{dst:x} {path}`; other families `family N`. Ports are
//! numbers (Falco does not resolve service names by default).
//!
//! Parameter encodings (addresses in network order, ports little endian), first byte = family:
//! sockaddr inet `fam ip[4] port[2]`, inet6 `fam ip[16] port[2]`, unix `fam path\0`; tuple inet
//! `fam sip[4] sport[2] dip[4] dport[2]`, inet6 `fam sip[16] sport[2] dip[16] dport[2]`, unix
//! `fam src[8] dst[8] path\0`.

use std::io::Write;

use super::fd::{FdType, SockInfo, l4};
use edera_scap::tables::af;

pub const AF_UNIX: u8 = af::UNIX as u8;
pub const AF_INET: u8 = af::INET as u8;
pub const AF_INET6: u8 = af::INET6 as u8;

/// Whether a sockaddr parameter can be read (libsinsp's `is_sockaddr_valid`): not empty, long
/// enough for its family, a unix path NUL-terminated. Unknown families are "valid".
pub fn sockaddr_valid(p: &[u8]) -> bool {
    match p.first() {
        None => false,
        Some(&AF_INET) => p.len() >= 7,
        Some(&AF_INET6) => p.len() >= 19,
        Some(&AF_UNIX) => p.len() >= 2 && p.last() == Some(&0),
        Some(_) => true,
    }
}

/// Whether a socktuple parameter can be read (libsinsp's `is_socktuple_valid`).
pub fn socktuple_valid(p: &[u8]) -> bool {
    match p.first() {
        None => false,
        Some(&AF_INET) => p.len() >= 13,
        Some(&AF_INET6) => p.len() >= 37,
        Some(&AF_UNIX) => p.len() >= 18 && p.last() == Some(&0),
        Some(_) => true,
    }
}

/// Fixed-size slice of `p` at `at` (callers checked the length).
pub fn arr<const N: usize>(p: &[u8], at: usize) -> [u8; N] {
    let mut v = [0u8; N];
    if let Some(s) = p.get(at..at + N) {
        v.copy_from_slice(s);
    }
    v
}

pub fn u16_le(p: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(arr(p, at))
}

pub fn u64_le(p: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(arr(p, at))
}

/// The C string starting at `at`.
pub fn c_str(p: &[u8], at: usize) -> &[u8] {
    let s = p.get(at..).unwrap_or(&[]);
    &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
}

/// libsinsp's ipv4-mapped test: ten zero bytes, then `ff ff` (a real mapped address) or six
/// more zero bytes (the all-zero address, taken as ipv4 too).
pub fn is_ipv4_mapped(ip: &[u8; 16]) -> bool {
    ip[..10].iter().all(|&b| b == 0)
        && ((ip[10] == 0xff && ip[11] == 0xff) || ip[10..].iter().all(|&b| b == 0))
}

/// Addresses are written by the renderer's formatters (glibc `inet_ntop` text), shared here so
/// fd names and `evt.args` can never disagree.
pub use crate::render::net::{write_ipv4, write_ipv6};

/// `ip:port`.
pub fn write_endpoint4(out: &mut Vec<u8>, ip: [u8; 4], port: u16) {
    write_ipv4(out, ip);
    let _ = write!(out, ":{port}");
}

/// `ip6:port`.
pub fn write_endpoint6(out: &mut Vec<u8>, ip: &[u8; 16], port: u16) {
    write_ipv6(out, ip);
    let _ = write!(out, ":{port}");
}

/// `src->dst path` of a unix socket.
pub fn unix_name(source: u64, dest: u64, path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 36);
    let _ = write!(out, "{source:x}->{dest:x} ");
    out.extend_from_slice(path);
    out
}

/// The name libsinsp gives a connected ip socket from its tuple (`sockinfo_to_str`).
pub fn sockinfo_name(s: &SockInfo, t: FdType) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    match t {
        FdType::Ipv4Sock => match s.v4_l4proto() {
            l4::TCP | l4::UDP => {
                write_endpoint4(&mut out, s.v4_sip(), s.v4_sport());
                out.extend_from_slice(b"->");
                write_endpoint4(&mut out, s.v4_dip(), s.v4_dport());
            }
            l4::ICMP | l4::RAW => {
                write_ipv4(&mut out, s.v4_sip());
                out.extend_from_slice(b"->");
                write_ipv4(&mut out, s.v4_dip());
            }
            _ => out.extend_from_slice(b"<unknown>"),
        },
        FdType::Ipv6Sock => {
            let (sip, dip) = (s.v6_sip(), s.v6_dip());
            let mapped = is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip);
            let tail = |ip: [u8; 16]| [ip[12], ip[13], ip[14], ip[15]];
            match s.v6_l4proto() {
                // libsinsp reads the ports of a mapped pair through the ipv4 view.
                l4::TCP | l4::UDP if mapped => {
                    write_endpoint4(&mut out, tail(sip), s.v4_sport());
                    out.extend_from_slice(b"->");
                    write_endpoint4(&mut out, tail(dip), s.v4_dport());
                }
                l4::TCP | l4::UDP => {
                    write_endpoint6(&mut out, &sip, s.v6_sport());
                    out.extend_from_slice(b"->");
                    write_endpoint6(&mut out, &dip, s.v6_dport());
                }
                l4::ICMP if mapped => {
                    write_ipv4(&mut out, tail(sip));
                    out.extend_from_slice(b"->");
                    write_ipv4(&mut out, tail(dip));
                }
                l4::ICMP => {
                    write_ipv6(&mut out, &sip);
                    out.extend_from_slice(b"->");
                    write_ipv6(&mut out, &dip);
                }
                _ => out.extend_from_slice(b"<unknown>"),
            }
        }
        _ => {}
    }
    out
}

/// A valid sockaddr parameter as text (libsinsp's simple rendering).
pub fn sockaddr_text(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match p.first().copied() {
        Some(AF_UNIX) => out.extend_from_slice(c_str(p, 1)),
        Some(AF_INET) => write_endpoint4(&mut out, arr(p, 1), u16_le(p, 5)),
        Some(AF_INET6) => write_endpoint6(&mut out, &arr(p, 1), u16_le(p, 17)),
        Some(f) => {
            let _ = write!(out, "family {f}");
        }
        None => out.extend_from_slice(b"<NA>"),
    }
    out
}

/// A valid socktuple parameter as text (libsinsp's simple rendering).
pub fn socktuple_text(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match p.first().copied() {
        Some(AF_UNIX) => out = unix_name(u64_le(p, 1), u64_le(p, 9), c_str(p, 17)),
        Some(AF_INET) => {
            write_endpoint4(&mut out, arr(p, 1), u16_le(p, 5));
            out.extend_from_slice(b"->");
            write_endpoint4(&mut out, arr(p, 7), u16_le(p, 11));
        }
        Some(AF_INET6) => {
            let (sip, dip): ([u8; 16], [u8; 16]) = (arr(p, 1), arr(p, 19));
            if is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip) {
                write_endpoint4(&mut out, arr(p, 13), u16_le(p, 17));
                out.extend_from_slice(b"->");
                write_endpoint4(&mut out, arr(p, 31), u16_le(p, 35));
            } else {
                write_endpoint6(&mut out, &sip, u16_le(p, 17));
                out.extend_from_slice(b"->");
                write_endpoint6(&mut out, &dip, u16_le(p, 35));
            }
        }
        Some(f) => {
            let _ = write!(out, "family {f}");
        }
        None => out.extend_from_slice(b"NULL"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> String {
        let ip: std::net::Ipv6Addr = s.parse().unwrap();
        let mut out = Vec::new();
        write_ipv6(&mut out, &ip.octets());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ipv6_like_glibc() {
        assert_eq!(v6("2001:db8::3"), "2001:db8::3");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(v6("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(v6("1:0:2:0:0:3:0:0"), "1:0:2::3:0:0");
        assert_eq!(v6("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(v6("2607:f8b0:4004:802::2004"), "2607:f8b0:4004:802::2004");
        assert_eq!(v6("1:2:3:4:5:6:7:0"), "1:2:3:4:5:6:7:0");
        assert_eq!(v6("fe80::"), "fe80::");
    }

    #[test]
    fn tuples_and_addrs() {
        let mut t = vec![AF_INET, 127, 0, 0, 1];
        t.extend_from_slice(&47192u16.to_le_bytes());
        t.extend_from_slice(&[127, 0, 0, 1]);
        t.extend_from_slice(&80u16.to_le_bytes());
        assert!(socktuple_valid(&t));
        assert_eq!(socktuple_text(&t), b"127.0.0.1:47192->127.0.0.1:80");
        let mut u = vec![AF_UNIX];
        u.extend_from_slice(&0u64.to_le_bytes());
        u.extend_from_slice(&0xffff88003c420800u64.to_le_bytes());
        u.extend_from_slice(b"/var/run/nscd/socket\0");
        assert_eq!(
            socktuple_text(&u),
            b"0->ffff88003c420800 /var/run/nscd/socket"
        );
        assert!(!sockaddr_valid(&[AF_UNIX, b'a']));
        assert_eq!(sockaddr_text(&[AF_UNIX, b'/', b'x', 0]), b"/x");
        assert_eq!(sockaddr_text(&[17, 1, 2]), b"family 17");
    }
}
