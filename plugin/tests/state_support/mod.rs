//! Test-only computation of some libsinsp fields from the zone state, the way libsinsp's
//! extractors compute them (`sinsp_filtercheck_thread.cpp`, `_fd.cpp`, `_user.cpp`,
//! `_group.cpp`), as JSON values comparable with the Falco oracle (`null` = no value).

#![allow(dead_code)]

pub mod build;
pub mod more;

use edera_falco_plugin::net::{self, write_ipv4, write_ipv6};
use edera_falco_plugin::path;
use edera_falco_plugin::state::apply::params;
use edera_falco_plugin::state::fd::{FdType, l4};
use edera_falco_plugin::state::{FdInfo, Thread, ZoneState};
use edera_scap::event::RawEvent;
use edera_scap::info::{Direction, event_info};
use edera_scap::tables::{EventCode as C, ppm_sc};
use serde_json::{Value, json};

/// The fields computed here.
pub const FIELDS: [&str; 22] = [
    "thread.tid",
    "proc.pid",
    "proc.ppid",
    "proc.vpid",
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "proc.cwd",
    "user.uid",
    "user.name",
    "group.gid",
    "group.name",
    "fd.num",
    "fd.name",
    "fd.type",
    "fd.typechar",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
    "fd.l4proto",
];

/// `evt.type` of an event (generic events are named after their syscall).
pub fn evt_type(ev: &RawEvent<'_>) -> String {
    let Some(info) = event_info(ev.header.etype) else {
        return String::new();
    };
    if matches!(
        C::from_u16(ev.header.etype),
        Some(C::GenericE | C::GenericX)
    ) {
        let id: u16 = ev.param_as(0).unwrap_or(0);
        return ppm_sc::ALL
            .iter()
            .find(|(_, v)| *v == id)
            .map_or("<unknown>".into(), |(n, _)| n.to_string());
    }
    info.name.to_string()
}

fn s(b: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(b).into_owned())
}

/// libsinsp shows ids only in `-1..=u32::MAX`.
fn xid(v: i64) -> Value {
    if (-1..=i64::from(u32::MAX)).contains(&v) {
        json!(v)
    } else {
        Value::Null
    }
}

/// One field of the last applied event.
pub fn field(z: &ZoneState, ev: &RawEvent<'_>, name: &str) -> Value {
    if name == "thread.tid" {
        return xid(ev.header.tid as i64);
    }
    if let Some(f) = name.strip_prefix("fd.") {
        return fd_field(z, ev, f);
    }
    let Some(t) = z.event_thread() else {
        return Value::Null;
    };
    match name {
        "proc.pid" => xid(t.pid),
        "proc.ppid" => z.parent_of(t.tid).map_or(Value::Null, |p| xid(p.pid)),
        "proc.vpid" if t.vpid == -1 => Value::Null,
        "proc.vpid" => json!(t.vpid as u64),
        "proc.name" => s(&t.comm),
        "proc.exe" => s(&t.exe),
        "proc.exepath" => s(&t.exepath),
        "proc.cmdline" => s(&t.cmdline()),
        "proc.cwd" => s(z.cwd_of(t.tid)),
        "user.uid" => json!(t.uid),
        "user.name" => s(user_name(z, t)),
        "group.gid" => json!(t.gid),
        "group.name" => match z.group(t.gid) {
            Some(g) => s(&g.name),
            None if t.gid == 0 => s(b"root"),
            None => s(b"<NA>"),
        },
        _ => Value::Null,
    }
}

fn user_name<'a>(z: &'a ZoneState, t: &Thread) -> &'a [u8] {
    match z.user(t.uid) {
        Some(u) => &u.name,
        None if t.uid == 0 => b"root",
        None => b"<NA>",
    }
}

fn fd_field(z: &ZoneState, ev: &RawEvent<'_>, f: &str) -> Value {
    if z.event_thread().is_none() || z.event_fd_num().is_none() {
        return Value::Null;
    }
    let fd = z.event_fd();
    match (f, fd) {
        ("num", _) => json!(z.event_fd_num()),
        ("name", Some(i)) => s(&i.name),
        ("name", None) => fdname_from_event(z, ev),
        ("type", Some(i)) => s(i.type_name().as_bytes()),
        ("typechar", Some(i)) => s(&[i.typechar]),
        ("typechar", None) => s(&[typechar_of_event(ev)]),
        ("l4proto", Some(i)) => s(l4::name(i.l4proto()).as_bytes()),
        (_, Some(i)) => socket_field(i, f),
        _ => Value::Null,
    }
}

fn socket_field(i: &FdInfo, f: &str) -> Value {
    let k = i.fd_type();
    let sk = &i.sock;
    let none = i.is_role_none();
    let ip4 = |ip: [u8; 4]| {
        let mut o = Vec::new();
        write_ipv4(&mut o, ip);
        s(&o)
    };
    let ip6 = |ip: [u8; 16]| {
        let mut o = Vec::new();
        write_ipv6(&mut o, &ip);
        s(&o)
    };
    match (f, k) {
        ("cip", FdType::Ipv4Sock) if !none => ip4(sk.v4_sip()),
        ("cip", FdType::Ipv6Sock) if !none => ip6(sk.v6_sip()),
        ("cport", FdType::Ipv4Sock) if !none => json!(sk.v4_sport()),
        ("cport", FdType::Ipv6Sock) if !none => json!(sk.v6_sport()),
        ("sip", FdType::Ipv4Sock) if !none => ip4(sk.v4_dip()),
        ("sip", FdType::Ipv6Sock) if !none => ip6(sk.v6_dip()),
        ("sip", FdType::Ipv4ServSock) if !none => ip4(sk.v4srv_ip()),
        ("sip", FdType::Ipv6ServSock) if !none => ip6(sk.v6srv_ip()),
        ("sport", FdType::Ipv4Sock) if !none => json!(sk.v4_dport()),
        ("sport", FdType::Ipv6Sock) if !none => json!(sk.v6_dport()),
        ("sport", FdType::Ipv4ServSock) => json!(sk.v4srv_port()),
        ("sport", FdType::Ipv6ServSock) => json!(sk.v6srv_port()),
        _ => Value::Null,
    }
}

/// `fd.name` of an fd event whose fd is not in the table: from the event's parameters.
fn fdname_from_event(z: &ZoneState, ev: &RawEvent<'_>) -> Value {
    let Some(info) = event_info(ev.header.etype) else {
        return Value::Null;
    };
    if info.direction == Direction::Enter {
        return Value::Null;
    }
    let tid = z.event_tid();
    match C::from_u16(ev.header.etype) {
        Some(C::SyscallOpenX | C::SyscallCreatX) => {
            let p = params::text(ev, 1).unwrap_or(b"<NA>");
            let resolved = if p == b"<NA>" || p.first() == Some(&b'/') || p.is_empty() {
                p.to_vec()
            } else {
                path::join(tid.map_or(b"./" as &[u8], |t| z.cwd_of(t)), p)
            };
            s(&resolved)
        }
        Some(C::SocketAcceptV5X | C::SocketAccept4V6X | C::SocketConnectX) => {
            let p = params::raw(ev, 1);
            if p.is_empty() {
                s(b"NULL")
            } else {
                s(&net::fd_name_of_tuple(p))
            }
        }
        Some(C::SyscallOpenatV2X | C::SyscallOpenat2X) => {
            if params::empty(ev, 2) || params::empty(ev, 1) {
                return Value::Null;
            }
            let name = params::text(ev, 2).unwrap_or(b"<NA>");
            let dirfd: i64 = ev.param_as(1).unwrap_or(0);
            let dir = dirfd_base(z, tid, name, dirfd);
            s(&path::join(&dir, name))
        }
        Some(C::SyscallOpenByHandleAtX) => s(params::text(ev, 3).unwrap_or(b"")),
        _ => s(b""),
    }
}

fn dirfd_base(z: &ZoneState, tid: Option<i64>, name: &[u8], dirfd: i64) -> Vec<u8> {
    if name.first() == Some(&b'/') {
        return b".".to_vec();
    }
    let Some(tid) = tid else {
        return b"<UNKNOWN>".to_vec();
    };
    if dirfd == -100 {
        return z.cwd_of(tid).to_vec();
    }
    match z.threads.get_fd(tid, dirfd) {
        None => b"<UNKNOWN>".to_vec(),
        Some(f) if f.name.is_empty() || f.name.ends_with(b"/") => f.name.clone(),
        Some(f) => [f.name.as_slice(), b"/"].concat(),
    }
}

/// libsinsp's `extract_typechar`: the type an fd-creating event would give.
fn typechar_of_event(ev: &RawEvent<'_>) -> u8 {
    match C::from_u16(ev.header.etype) {
        Some(C::SyscallOpenatV2X | C::SyscallOpenat2X | C::SyscallCreatX) => b'f',
        Some(C::SocketSocketX | C::SocketAcceptV5X | C::SocketAccept4V6X) => b'4',
        Some(C::SyscallPipeX | C::SyscallPipe2X) => b'p',
        Some(C::SyscallEventfdX | C::SyscallEventfd2X) => b'e',
        Some(C::SyscallSignalfdX | C::SyscallSignalfd4X) => b's',
        Some(C::SyscallTimerfdCreateX) => b't',
        Some(C::SyscallInotifyInitX | C::SyscallInotifyInit1X) => b'i',
        _ => b'o',
    }
}
