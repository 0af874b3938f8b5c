//! Socket addresses (`PT_SOCKADDR`), socket tuples (`PT_SOCKTUPLE`) and IP addresses in
//! libsinsp's text, for both places that show them: fd names (`fd.name`, kept in the zone state)
//! and `evt.args`. The two share every reader and writer here; they differ only where libsinsp
//! does, in the `fd_name_of_*` and `write_arg_*` functions at the end.
//!
//! Encodings (addresses in network order, ports and ids little endian), first byte = family:
//! sockaddr inet `fam ip[4] port[2]`, inet6 `fam ip[16] port[2]`, unix `fam path\0`; tuple inet
//! `fam sip[4] sport[2] dip[4] dport[2]`, inet6 `fam sip[16] sport[2] dip[16] dport[2]`, unix
//! `fam src[8] dst[8] path\0`.
//!
//! Text: `1.2.3.4:80`, `1.2.3.4:5->6.7.8.9:80`; ipv6 addresses as glibc's `inet_ntop` writes
//! them (`2001:db8::1`, `::ffff:1.2.3.4`, `::1.2.3.4`), endpoints `2001:db8::1:80`; an ipv6
//! tuple whose two addresses are both ipv4-mapped (or zero) as an ipv4 tuple; unix sockaddrs as
//! the path, unix tuples as `src->dst path` (ids in hex); other families `family N`. Ports are
//! numbers (Falco does not resolve service names by default).

use std::io::Write;

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

/// Fixed-size slice of `p` at `at`; zeros where `p` is too short.
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

/// The C string starting at `at`: up to the first NUL.
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
    write_unix_tuple(&mut out, source, dest, path);
    out
}

fn write_unix_tuple(out: &mut Vec<u8>, source: u64, dest: u64, path: &[u8]) {
    let _ = write!(out, "{source:x}->{dest:x} ");
    out.extend_from_slice(path);
}

/// A non-empty sockaddr as text; fields past the end of a too-short one read as zeros.
fn write_sockaddr(out: &mut Vec<u8>, family: u8, p: &[u8]) {
    match family {
        AF_UNIX => out.extend_from_slice(c_str(p, 1)),
        AF_INET => write_endpoint4(out, arr(p, 1), u16_le(p, 5)),
        AF_INET6 => write_endpoint6(out, &arr(p, 1), u16_le(p, 17)),
        f => {
            let _ = write!(out, "family {f}");
        }
    }
}

/// A non-empty socktuple as text; fields past the end of a too-short one read as zeros.
fn write_socktuple(out: &mut Vec<u8>, family: u8, p: &[u8]) {
    match family {
        AF_UNIX => write_unix_tuple(out, u64_le(p, 1), u64_le(p, 9), c_str(p, 17)),
        AF_INET => {
            write_endpoint4(out, arr(p, 1), u16_le(p, 5));
            out.extend_from_slice(b"->");
            write_endpoint4(out, arr(p, 7), u16_le(p, 11));
        }
        AF_INET6 => {
            let (sip, dip): ([u8; 16], [u8; 16]) = (arr(p, 1), arr(p, 19));
            if is_ipv4_mapped(&sip) && is_ipv4_mapped(&dip) {
                write_endpoint4(out, arr(p, 13), u16_le(p, 17));
                out.extend_from_slice(b"->");
                write_endpoint4(out, arr(p, 31), u16_le(p, 35));
            } else {
                write_endpoint6(out, &sip, u16_le(p, 17));
                out.extend_from_slice(b"->");
                write_endpoint6(out, &dip, u16_le(p, 35));
            }
        }
        f => {
            let _ = write!(out, "family {f}");
        }
    }
}

/// The fd name libsinsp gives a socket from a sockaddr parameter (its callers check
/// [`sockaddr_valid`] first); an empty one is `<NA>`.
pub fn fd_name_of_sockaddr(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match p.first() {
        Some(&family) => write_sockaddr(&mut out, family, p),
        None => out.extend_from_slice(b"<NA>"),
    }
    out
}

/// The fd name libsinsp gives a socket from a socktuple parameter (its callers check
/// [`socktuple_valid`] first); an empty one is `NULL`.
pub fn fd_name_of_tuple(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match p.first() {
        Some(&family) => write_socktuple(&mut out, family, p),
        None => out.extend_from_slice(b"NULL"),
    }
    out
}

/// The `evt.args` text of a sockaddr parameter: unlike the fd name, a too-short value is
/// libsinsp's release-build `INVALID IPv4`/`INVALID IPv6`/`INVALID PATH`, and an empty one
/// writes nothing (the caller renders empty values).
pub fn write_arg_sockaddr(out: &mut Vec<u8>, p: &[u8]) {
    write_arg(out, p, sockaddr_valid, write_sockaddr);
}

/// The `evt.args` text of a socktuple parameter: as [`write_arg_sockaddr`], too-short values
/// are `INVALID ...` and an empty one writes nothing.
pub fn write_arg_socktuple(out: &mut Vec<u8>, p: &[u8]) {
    write_arg(out, p, socktuple_valid, write_socktuple);
}

fn write_arg(
    out: &mut Vec<u8>,
    p: &[u8],
    valid: fn(&[u8]) -> bool,
    write: fn(&mut Vec<u8>, u8, &[u8]),
) {
    let Some(&family) = p.first() else {
        return;
    };
    if valid(p) {
        write(out, family, p);
    } else {
        write_invalid(out, family);
    }
}

/// libsinsp's text for a too-short address of `family` (only the known families can be).
fn write_invalid(out: &mut Vec<u8>, family: u8) {
    out.extend_from_slice(match family {
        AF_INET => b"INVALID IPv4",
        AF_INET6 => b"INVALID IPv6",
        _ => b"INVALID PATH",
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(f: fn(&mut Vec<u8>, &[u8]), v: &[u8]) -> String {
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
    fn ipv6_like_glibc() {
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("1::"), "1::");
        assert_eq!(v6("fe80::"), "fe80::");
        assert_eq!(v6("2001:db8::3"), "2001:db8::3");
        assert_eq!(v6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
        assert_eq!(v6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
        assert_eq!(v6("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(v6("1:0:2:0:0:3:0:0"), "1:0:2::3:0:0");
        assert_eq!(v6("1:2:3:4:5:6:7:0"), "1:2:3:4:5:6:7:0");
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
        assert_eq!(arg(write_arg_sockaddr, &v), "127.0.0.1:80");
        assert_eq!(fd_name_of_sockaddr(&v), b"127.0.0.1:80");
        assert_eq!(arg(write_arg_sockaddr, &v[..6]), "INVALID IPv4");
        let mut v = vec![AF_INET6];
        v.extend_from_slice(
            &"2001:db8::3"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        v.extend_from_slice(&1234u16.to_le_bytes());
        assert_eq!(arg(write_arg_sockaddr, &v), "2001:db8::3:1234");
        assert_eq!(arg(write_arg_sockaddr, &v[..18]), "INVALID IPv6");
        assert_eq!(arg(write_arg_sockaddr, b"\x01/run/x.sock\0"), "/run/x.sock");
        assert_eq!(arg(write_arg_sockaddr, b"\x01/run/x.sock"), "INVALID PATH");
        assert!(!sockaddr_valid(&[AF_UNIX, b'a']));
        assert_eq!(arg(write_arg_sockaddr, b"\x01\0"), "");
        assert_eq!(arg(write_arg_sockaddr, b"\x01ab\0cd\0"), "ab");
        assert_eq!(fd_name_of_sockaddr(b"\x01/x\0"), b"/x");
        assert_eq!(arg(write_arg_sockaddr, b"\x10xyz"), "family 16");
        assert_eq!(fd_name_of_sockaddr(&[17, 1, 2]), b"family 17");
        assert_eq!(arg(write_arg_sockaddr, b""), "");
        assert_eq!(fd_name_of_sockaddr(b""), b"<NA>");
    }

    #[test]
    fn tuples() {
        let mut v = vec![AF_INET, 127, 0, 0, 1];
        v.extend_from_slice(&47192u16.to_le_bytes());
        v.extend_from_slice(&[127, 0, 0, 1]);
        v.extend_from_slice(&80u16.to_le_bytes());
        assert!(socktuple_valid(&v));
        assert_eq!(
            arg(write_arg_socktuple, &v),
            "127.0.0.1:47192->127.0.0.1:80"
        );
        assert_eq!(fd_name_of_tuple(&v), b"127.0.0.1:47192->127.0.0.1:80");
        assert_eq!(arg(write_arg_socktuple, &v[..12]), "INVALID IPv4");
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
        assert_eq!(arg(write_arg_socktuple, &v), "10.0.0.1:5->0.0.0.0:6");
        v[20] = 1;
        assert_eq!(arg(write_arg_socktuple, &v), "::ffff:10.0.0.1:5->1:::6");
        let mut v = vec![AF_UNIX];
        v.extend_from_slice(&0xffff_9a3c_u64.to_le_bytes());
        v.extend_from_slice(&0xabc_u64.to_le_bytes());
        v.extend_from_slice(b"/var/run/nscd/socket\0");
        assert_eq!(
            arg(write_arg_socktuple, &v),
            "ffff9a3c->abc /var/run/nscd/socket"
        );
        assert_eq!(fd_name_of_tuple(&v), b"ffff9a3c->abc /var/run/nscd/socket");
        assert_eq!(arg(write_arg_socktuple, &v[..17]), "INVALID PATH");
        assert_eq!(arg(write_arg_socktuple, b"\x07"), "family 7");
        assert_eq!(arg(write_arg_socktuple, b""), "");
        assert_eq!(fd_name_of_tuple(b""), b"NULL");
    }
}
