//! `fdlist.*`: the fds of a `poll`/`ppoll` exit event (libsinsp's fdlist filter checks).
//!
//! The `fds` parameter is a `u16` count then, per fd, an `i64` number and `i16` events. Every
//! field walks it in order, looks each fd up in the thread's table and writes one entry per fd
//! that yields one, comma-separated; fields that skip an fd write no comma for it. An empty
//! result is no value. Addresses are written as `inet_ntop` writes them; socket roles are not
//! consulted (as in libsinsp).

use std::ffi::CString;

use edera_scap::tables::EventCode as C;
use falco_plugin::anyhow;

use super::ctx::{Req, with_event};
use super::value::text;
use crate::net::{write_ipv4, write_ipv6};
use crate::plugin::EderaPlugin;
use crate::state::{FdInfo, FdType};

/// Bytes per fd in the `fds` parameter.
const ENTRY: usize = 10;

/// Runs `entry` for every fd of the event's `fds` parameter (with its table entry) and joins
/// what it writes; `entry` returns `false` when it wrote nothing for that fd.
fn join(
    p: &EderaPlugin,
    req: &Req<'_, '_, '_, '_>,
    mut entry: impl FnMut(&mut Vec<u8>, i64, Option<&FdInfo>) -> bool,
) -> anyhow::Result<Option<CString>> {
    with_event(p, req, |c| {
        let code = C::from_u16(c.raw.header.etype)?;
        if !matches!(code, C::SyscallPollX | C::SyscallPpollX) {
            return None;
        }
        let data = c.raw.param(1)?;
        let s = c.state()?;
        let tid = s.event_tid()?;
        s.event_thread()?;
        let n = usize::from(u16::from_le_bytes([*data.first()?, *data.get(1)?]));
        let mut out = Vec::new();
        for i in 0..n {
            let at = 2 + i * ENTRY;
            let Some(b) = data.get(at..at + 8) else { break };
            let fd = i64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            if entry(&mut out, fd, s.threads.get_fd(tid, fd)) {
                out.push(b',');
            }
        }
        if out.last() == Some(&b',') {
            out.pop();
        }
        if out.is_empty() { None } else { text(out) }
    })
}

/// `fdlist.nums`.
pub fn nums(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    join(p, &req, |out, fd, _| {
        out.extend_from_slice(fd.to_string().as_bytes());
        true
    })
}

/// `fdlist.names`: `<NA>` for fds not in the table or with an empty name.
pub fn names(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    join(p, &req, |out, _, f| {
        match f.filter(|f| !f.name.is_empty()) {
            Some(f) => out.extend_from_slice(&f.name),
            None => out.extend_from_slice(b"<NA>"),
        }
        true
    })
}

/// `fdlist.cips`: source addresses of ip sockets.
pub fn cips(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    join(p, &req, |out, _, f| {
        match f.map(|f| (f.fd_type(), &f.sock)) {
            Some((FdType::Ipv4Sock, s)) => {
                write_ipv4(out, s.v4_sip());
                true
            }
            Some((FdType::Ipv6Sock, s)) => {
                write_ipv6(out, &s.v6_sip());
                true
            }
            _ => false,
        }
    })
}

/// `fdlist.sips`: destination addresses of ip sockets, bound addresses of listening ones (an
/// ipv6 one written as the dotted ipv4 of its first four bytes, as libsinsp does).
pub fn sips(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    join(p, &req, |out, _, f| {
        match f.map(|f| (f.fd_type(), &f.sock)) {
            Some((FdType::Ipv4Sock, s)) => {
                write_ipv4(out, s.v4_dip());
                true
            }
            Some((FdType::Ipv6Sock, s)) => {
                write_ipv6(out, &s.v6_dip());
                true
            }
            Some((FdType::Ipv4ServSock, s)) => {
                write_ipv4(out, s.v4srv_ip());
                true
            }
            Some((FdType::Ipv6ServSock, s)) => {
                let ip = s.v6srv_ip();
                write_ipv4(out, [ip[0], ip[1], ip[2], ip[3]]);
                true
            }
            _ => false,
        }
    })
}

/// `fdlist.cports`: source ports of ip sockets.
pub fn cports(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    join(p, &req, |out, _, f| {
        match f.map(|f| (f.fd_type(), &f.sock)) {
            Some((FdType::Ipv4Sock, s)) => push_num(out, s.v4_sport()),
            Some((FdType::Ipv6Sock, s)) => push_num(out, s.v6_sport()),
            _ => false,
        }
    })
}

/// `fdlist.sports`: destination ports of ip sockets (listening sockets are skipped).
pub fn sports(p: &mut EderaPlugin, req: Req) -> anyhow::Result<Option<CString>> {
    join(p, &req, |out, _, f| {
        match f.map(|f| (f.fd_type(), &f.sock)) {
            Some((FdType::Ipv4Sock, s)) => push_num(out, s.v4_dport()),
            Some((FdType::Ipv6Sock, s)) => push_num(out, s.v6_dport()),
            _ => false,
        }
    })
}

fn push_num(out: &mut Vec<u8>, n: u16) -> bool {
    out.extend_from_slice(n.to_string().as_bytes());
    true
}
