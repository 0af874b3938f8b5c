//! Socket addresses (`PT_SOCKADDR`) and tuples (`PT_SOCKTUPLE`), and IP addresses, in
//! libsinsp's text.
//!
//! Encodings (little-endian numbers, addresses in network order), first byte = family:
//! - sockaddr: inet `fam ip[4] port[2]`, inet6 `fam ip[16] port[2]`, unix `fam path\0`;
//! - tuple: inet `fam sip[4] sport[2] dip[4] dport[2]`, inet6 `fam sip[16] sport[2] dip[16]
//!   dport[2]`, unix `fam src[8] dst[8] path\0`.
//!
//! Text: `1.2.3.4:80`, `1.2.3.4:5->6.7.8.9:10`, ipv6 addresses as glibc's `inet_ntop` writes
//! them (`2001:db8::3:1234`), an ipv6 tuple whose two addresses are both ipv4-mapped (or zero)
//! as an ipv4 tuple, unix sockaddrs as the path, unix tuples as `{src:x}->{dst:x} {path}`, other
//! families as `family N`. Ports are plain numbers (Falco does not resolve service names).
//! Too-short values are `INVALID IPv4`/`INVALID IPv6`/`INVALID PATH`/`INVALID SOCKADDR`/
//! `INVALID SOCKTUPLE` (unix values must also end with a NUL), as libsinsp's release builds do.

use std::io::Write;

const AF_UNIX: u8 = 1;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The bytes of a C string: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// `a.b.c.d`.
pub fn write_ipv4(out: &mut Vec<u8>, ip: [u8; 4]) {
    let _ = write!(out, "{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
}

/// An ipv6 address as glibc's `inet_ntop`: lower-case hex groups without leading zeros, the
/// first longest run of two or more zero groups as `::`, and the last 32 bits in dotted form
/// for `::a.b.c.d` and `::ffff:a.b.c.d`.
pub fn write_ipv6(out: &mut Vec<u8>, ip: &[u8; 16]) {
    let mut w = [0u16; 8];
    for (i, g) in w.iter_mut().enumerate() {
        *g = u16::from_be_bytes([ip[2 * i], ip[2 * i + 1]]);
    }
    // The first longest run of zero groups, if at least two long.
    let (mut best, mut best_len, mut cur, mut cur_len) = (None, 0usize, 0usize, 0usize);
    for (i, &g) in w.iter().enumerate() {
        if g == 0 {
            if cur_len == 0 {
                cur = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                best = Some(cur);
                best_len = cur_len;
            }
        } else {
            cur_len = 0;
        }
    }
    if best_len < 2 {
        best = None;
    }
    let mut i = 0;
    while i < 8 {
        if Some(i) == best {
            out.push(b':');
            i += best_len;
            if i == 8 {
                out.push(b':');
            }
            continue;
        }
        if i != 0 {
            out.push(b':');
        }
        if i == 6 && best == Some(0) && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            write_ipv4(out, [ip[12], ip[13], ip[14], ip[15]]);
            return;
        }
        let _ = write!(out, "{:x}", w[i]);
        i += 1;
    }
}

/// libsinsp's test for an ipv4 address carried in an ipv6 one: `::ffff:a.b.c.d`, or all zero.
fn ipv4_mapped(ip: &[u8]) -> bool {
    ip[..10].iter().all(|&b| b == 0)
        && ((ip[10] == 0xff && ip[11] == 0xff) || ip[10..].iter().all(|&b| b == 0))
}

fn write_endpoint4(out: &mut Vec<u8>, ip: &[u8], port: u16) {
    write_ipv4(out, [ip[0], ip[1], ip[2], ip[3]]);
    let _ = write!(out, ":{port}");
}

fn write_endpoint6(out: &mut Vec<u8>, ip: &[u8], port: u16) {
    let mut a = [0u8; 16];
    a.copy_from_slice(&ip[..16]);
    write_ipv6(out, &a);
    let _ = write!(out, ":{port}");
}

/// Writes a `PT_SOCKADDR` value (non-empty; the caller renders empty values).
pub fn write_sockaddr(out: &mut Vec<u8>, v: &[u8]) {
    let Some(&family) = v.first() else {
        return;
    };
    match family {
        AF_INET if v.len() >= 7 => write_endpoint4(out, &v[1..5], u16_at(v, 5)),
        AF_INET6 if v.len() >= 19 => write_endpoint6(out, &v[1..17], u16_at(v, 17)),
        AF_UNIX if v.len() >= 2 && v[v.len() - 1] == 0 => out.extend_from_slice(c_str(&v[1..])),
        AF_INET => out.extend_from_slice(b"INVALID IPv4"),
        AF_INET6 => out.extend_from_slice(b"INVALID IPv6"),
        AF_UNIX => out.extend_from_slice(b"INVALID PATH"),
        f => {
            let _ = write!(out, "family {f}");
        }
    }
}

/// Writes a `PT_SOCKTUPLE` value (non-empty; the caller renders empty values).
pub fn write_socktuple(out: &mut Vec<u8>, v: &[u8]) {
    let Some(&family) = v.first() else {
        return;
    };
    match family {
        AF_INET if v.len() >= 13 => {
            write_endpoint4(out, &v[1..5], u16_at(v, 5));
            out.extend_from_slice(b"->");
            write_endpoint4(out, &v[7..11], u16_at(v, 11));
        }
        AF_INET6 if v.len() >= 37 => {
            let (sip, dip) = (&v[1..17], &v[19..35]);
            let (sport, dport) = (u16_at(v, 17), u16_at(v, 35));
            if ipv4_mapped(sip) && ipv4_mapped(dip) {
                write_endpoint4(out, &sip[12..], sport);
                out.extend_from_slice(b"->");
                write_endpoint4(out, &dip[12..], dport);
            } else {
                write_endpoint6(out, sip, sport);
                out.extend_from_slice(b"->");
                write_endpoint6(out, dip, dport);
            }
        }
        AF_UNIX if v.len() >= 18 && v[v.len() - 1] == 0 => {
            let _ = write!(out, "{:x}->{:x} ", u64_at(v, 1), u64_at(v, 9));
            out.extend_from_slice(c_str(&v[17..]));
        }
        AF_INET => out.extend_from_slice(b"INVALID IPv4"),
        AF_INET6 => out.extend_from_slice(b"INVALID IPv6"),
        AF_UNIX => out.extend_from_slice(b"INVALID PATH"),
        f => {
            let _ = write!(out, "family {f}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: fn(&mut Vec<u8>, &[u8]), v: &[u8]) -> String {
        let mut o = Vec::new();
        f(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    fn v6(text: &str) -> String {
        let a: std::net::Ipv6Addr = text.parse().unwrap();
        let mut o = Vec::new();
        write_ipv6(&mut o, &a.octets());
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn ipv6_text() {
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("1::"), "1::");
        assert_eq!(v6("2001:db8::3"), "2001:db8::3");
        assert_eq!(v6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
        assert_eq!(v6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
        assert_eq!(v6("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(v6("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(v6("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(v6("::fffe:1.2.3.4"), "::fffe:102:304");
        assert_eq!(v6("2607:f8b0:4004:802::2004"), "2607:f8b0:4004:802::2004");
        assert_eq!(v6("fe80::abcd:0:0:1"), "fe80::abcd:0:0:1");
    }

    #[test]
    fn sockaddrs() {
        let mut v = vec![AF_INET, 127, 0, 0, 1];
        v.extend_from_slice(&80u16.to_le_bytes());
        assert_eq!(s(write_sockaddr, &v), "127.0.0.1:80");
        assert_eq!(s(write_sockaddr, &v[..6]), "INVALID IPv4");
        let mut v = vec![AF_INET6];
        v.extend_from_slice(
            &"2001:db8::3"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        v.extend_from_slice(&1234u16.to_le_bytes());
        assert_eq!(s(write_sockaddr, &v), "2001:db8::3:1234");
        assert_eq!(s(write_sockaddr, &v[..18]), "INVALID IPv6");
        assert_eq!(s(write_sockaddr, b"\x01/run/x.sock\0"), "/run/x.sock");
        assert_eq!(s(write_sockaddr, b"\x01/run/x.sock"), "INVALID PATH");
        assert_eq!(s(write_sockaddr, b"\x01\0"), "");
        assert_eq!(s(write_sockaddr, b"\x01ab\0cd\0"), "ab");
        assert_eq!(s(write_sockaddr, b"\x10xyz"), "family 16");
    }

    #[test]
    fn tuples() {
        let mut v = vec![AF_INET, 127, 0, 0, 1];
        v.extend_from_slice(&47192u16.to_le_bytes());
        v.extend_from_slice(&[127, 0, 0, 1]);
        v.extend_from_slice(&80u16.to_le_bytes());
        assert_eq!(s(write_socktuple, &v), "127.0.0.1:47192->127.0.0.1:80");
        assert_eq!(s(write_socktuple, &v[..12]), "INVALID IPv4");
        let mapped = |ip: [u8; 4]| {
            let mut a = [0u8; 16];
            a[10] = 0xff;
            a[11] = 0xff;
            a[12..].copy_from_slice(&ip);
            a
        };
        let mut v = vec![AF_INET6];
        v.extend_from_slice(&mapped([10, 0, 0, 1]));
        v.extend_from_slice(&5u16.to_le_bytes());
        v.extend_from_slice(&[0u8; 16]);
        v.extend_from_slice(&6u16.to_le_bytes());
        assert_eq!(s(write_socktuple, &v), "10.0.0.1:5->0.0.0.0:6");
        v[20] = 1;
        assert_eq!(s(write_socktuple, &v), "::ffff:10.0.0.1:5->1:::6");
        let mut v = vec![AF_UNIX];
        v.extend_from_slice(&0xffff_9a3c_u64.to_le_bytes());
        v.extend_from_slice(&0xabc_u64.to_le_bytes());
        v.extend_from_slice(b"/var/run/nscd/socket\0");
        assert_eq!(s(write_socktuple, &v), "ffff9a3c->abc /var/run/nscd/socket");
        assert_eq!(s(write_socktuple, &v[..17]), "INVALID PATH");
        assert_eq!(s(write_socktuple, b"\x07"), "family 7");
    }
}
