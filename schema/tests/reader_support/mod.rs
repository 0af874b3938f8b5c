//! Test support for the capture reader tests: the fixture folder, a provisional event table, and
//! a tiny scap *writer* (test-only) used to build synthetic captures and the hostile corpus.
#![allow(dead_code)]

pub mod alloc;

use std::path::PathBuf;

use edera_scap::file::{
    EventShape, FdDetail, FdInfo, GroupInfo, InterfaceAddr, InterfaceInfo, MachineInfo, ThreadInfo,
    UserInfo,
};

/// The shared fixture folder, or `None` (with the reason printed) when it is absent.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scap");
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        println!("skipping: fixture folder {} is absent", dir.display());
        None
    }
}

/// The hostile corpus folder of the workspace.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/scap")
}

/// Event types the current table (schema 4.5.1) has: codes below `PPM_EVENT_MAX` = 454.
pub const PPM_EVENT_MAX: u16 = 454;
/// Types with `EF_LARGE_PAYLOAD` in schema 4.5.1: pluginevent, container JSON 2, asyncevent.
pub const LARGE_PAYLOAD: [u16; 3] = [322, 324, 402];

/// Parameter counts in schema 4.5.1 of every event type that occurs in the fixtures' old-form
/// (EV 0x204) event blocks, copied by hand from the upstream table as facts. Only old-form
/// events need them; types not listed get 0, which makes the reader reject such an old event
/// (so a missing entry shows up as a test failure, never as silent misreading).
const NPARAMS: &[(u16, u32)] = &[
    (0, 2),
    (1, 2),
    (2, 3),
    (3, 6),
    (4, 1),
    (5, 2),
    (6, 2),
    (7, 4),
    (8, 2),
    (9, 4),
    (18, 3),
    (19, 5),
    (22, 2),
    (23, 4),
    (30, 3),
    (31, 5),
    (34, 2),
    (35, 5),
    (38, 0),
    (39, 0),
    (40, 0),
    (41, 0),
    (44, 0),
    (45, 6),
    (46, 0),
    (47, 6),
    (60, 0),
    (61, 4),
    (64, 3),
    (65, 4),
    (66, 0),
    (67, 2),
    (70, 1),
    (71, 2),
    (80, 2),
    (81, 3),
    (83, 1),
    (140, 1),
    (141, 4),
    (150, 2),
    (151, 4),
    (152, 6),
    (158, 1),
    (159, 5),
    (160, 6),
    (161, 10),
    (164, 2),
    (165, 6),
    (170, 3),
    (171, 4),
    (186, 5),
    (222, 0),
    (223, 21),
    (231, 16),
    (234, 2),
    (264, 1),
    (265, 3),
    (272, 1),
    // used by the synthetic tests only
    (280, 1),
    (286, 3),
];

/// The provisional event table for the tests.
pub fn shape(event_type: u16) -> Option<EventShape> {
    if event_type >= PPM_EVENT_MAX {
        return None;
    }
    let nparams = NPARAMS
        .iter()
        .find(|(t, _)| *t == event_type)
        .map_or(0, |(_, n)| *n);
    Some(EventShape {
        nparams,
        large_payload: LARGE_PAYLOAD.contains(&event_type),
    })
}

/// Builds capture bytes. All helpers write valid framing unless named otherwise.
#[derive(Default)]
pub struct ScapWriter {
    pub buf: Vec<u8>,
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_str(b: &mut Vec<u8>, s: &[u8]) {
    put16(b, s.len() as u16);
    b.extend_from_slice(s);
}

impl ScapWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A block with correct framing; the body is padded to 4 bytes.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let mut padded = body.to_vec();
        while !padded.len().is_multiple_of(4) {
            padded.push(0);
        }
        let total = padded.len() as u32 + 12;
        self.framed(block_type, total, &padded, total)
    }

    /// A block with the given header length and trailer, whatever the body.
    pub fn framed(&mut self, block_type: u32, total: u32, body: &[u8], trailer: u32) -> &mut Self {
        put32(&mut self.buf, block_type);
        put32(&mut self.buf, total);
        self.buf.extend_from_slice(body);
        put32(&mut self.buf, trailer);
        self
    }

    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    pub fn shb(&mut self, major: u16, minor: u16, options: &[(u16, &[u8])]) -> &mut Self {
        let mut b = Vec::new();
        put32(&mut b, 0x1A2B_3C4D);
        put16(&mut b, major);
        put16(&mut b, minor);
        put64(&mut b, u64::MAX);
        for (code, value) in options {
            put16(&mut b, *code);
            put16(&mut b, value.len() as u16);
            b.extend_from_slice(value);
            while !b.len().is_multiple_of(4) {
                b.push(0);
            }
        }
        if !options.is_empty() {
            put32(&mut b, 0);
        }
        self.block(0x0A0D_0D0A, &b)
    }

    pub fn machine(&mut self, m: &MachineInfo) -> &mut Self {
        let mut b = Vec::new();
        put32(&mut b, m.num_cpus);
        put64(&mut b, m.memory_size_bytes);
        put64(&mut b, m.max_pid);
        let mut host = m.hostname.clone();
        host.resize(128, 0);
        b.extend_from_slice(&host);
        for v in [m.boot_ts_epoch, m.flags, m.reserved3, m.reserved4] {
            put64(&mut b, v);
        }
        self.block(0x201, &b)
    }

    pub fn proclist(&mut self, version: u8, threads: &[ThreadInfo]) -> &mut Self {
        let ty = [
            0, 0x202, 0x207, 0x209, 0x210, 0x211, 0x212, 0x213, 0x214, 0x215,
        ][usize::from(version)];
        let body: Vec<u8> = threads.iter().flat_map(|t| pl_entry(version, t)).collect();
        self.block(ty, &body)
    }

    pub fn fdlist(&mut self, v2: bool, tid: u64, fds: &[FdInfo]) -> &mut Self {
        let mut body = Vec::new();
        put64(&mut body, tid);
        for fd in fds {
            body.extend(fd_entry(v2, fd));
        }
        self.block(if v2 { 0x218 } else { 0x203 }, &body)
    }

    pub fn iflist(&mut self, v2: bool, ifs: &[InterfaceInfo]) -> &mut Self {
        let mut body = Vec::new();
        for i in ifs {
            let e = if_entry(i);
            if v2 {
                put32(&mut body, e.len() as u32);
            }
            body.extend(e);
        }
        self.block(if v2 { 0x219 } else { 0x205 }, &body)
    }

    pub fn userlist(&mut self, v2: bool, users: &[UserInfo], groups: &[GroupInfo]) -> &mut Self {
        let mut body = Vec::new();
        for u in users {
            let mut e = vec![0u8];
            put32(&mut e, u.uid);
            put32(&mut e, u.gid);
            put_str(&mut e, &u.name);
            put_str(&mut e, &u.homedir);
            put_str(&mut e, &u.shell);
            with_len(&mut body, v2, e);
        }
        for g in groups {
            let mut e = vec![1u8];
            put32(&mut e, g.gid);
            put_str(&mut e, &g.name);
            with_len(&mut body, v2, e);
        }
        self.block(if v2 { 0x220 } else { 0x206 }, &body)
    }

    /// An event block: `cpu`, the flags for EVF types, then `event`.
    pub fn event(&mut self, block_type: u32, cpu: u16, flags: u32, event: &[u8]) -> &mut Self {
        let mut body = Vec::new();
        put16(&mut body, cpu);
        if matches!(block_type, 0x208 | 0x217 | 0x222) {
            put32(&mut body, flags);
        }
        body.extend_from_slice(event);
        self.block(block_type, &body)
    }
}

fn with_len(body: &mut Vec<u8>, v2: bool, entry: Vec<u8>) {
    if v2 {
        put32(body, entry.len() as u32 + 4);
    }
    body.extend(entry);
}

/// A current-form event.
pub fn ev_v2(ts: u64, tid: u64, etype: u16, params: &[&[u8]], large: bool) -> Vec<u8> {
    let width = if large { 4 } else { 2 };
    let len = 26 + params.len() * width + params.iter().map(|p| p.len()).sum::<usize>();
    let mut b = Vec::new();
    put64(&mut b, ts);
    put64(&mut b, tid);
    put32(&mut b, len as u32);
    put16(&mut b, etype);
    put32(&mut b, params.len() as u32);
    for p in params {
        if large {
            put32(&mut b, p.len() as u32)
        } else {
            put16(&mut b, p.len() as u16)
        }
    }
    for p in params {
        b.extend_from_slice(p);
    }
    b
}

/// An old-form event (22-byte header, u16 lengths).
pub fn ev_old(ts: u64, tid: u64, etype: u16, params: &[&[u8]]) -> Vec<u8> {
    let len = 22 + params.len() * 2 + params.iter().map(|p| p.len()).sum::<usize>();
    let mut b = Vec::new();
    put64(&mut b, ts);
    put64(&mut b, tid);
    put32(&mut b, len as u32);
    put16(&mut b, etype);
    for p in params {
        put16(&mut b, p.len() as u16);
    }
    for p in params {
        b.extend_from_slice(p);
    }
    b
}

/// One process-list entry of `version`, writing the fields that version has. For V9, the
/// optional fields are written in order while they are `Some`.
pub fn pl_entry(version: u8, t: &ThreadInfo) -> Vec<u8> {
    let v = version;
    let mut b = Vec::new();
    put64(&mut b, t.tid);
    put64(&mut b, t.pid);
    put64(&mut b, t.ptid);
    if v >= 6 {
        put64(&mut b, t.sid.unwrap_or(u64::MAX));
    }
    if v >= 8 {
        put64(&mut b, t.vpgid.unwrap_or(u64::MAX));
    }
    put_str(&mut b, &t.comm);
    put_str(&mut b, &t.exe);
    if v >= 7 {
        put_str(&mut b, t.exepath.as_deref().unwrap_or_default());
    }
    put_str(&mut b, &t.args);
    put_str(&mut b, &t.cwd);
    put64(&mut b, t.fdlimit as u64);
    put32(&mut b, t.flags);
    put32(&mut b, t.uid);
    put32(&mut b, t.gid);
    if v >= 2 {
        put32(&mut b, t.vmsize_kb.unwrap_or(0));
        put32(&mut b, t.vmrss_kb.unwrap_or(0));
        put32(&mut b, t.vmswap_kb.unwrap_or(0));
        put64(&mut b, t.pfmajor.unwrap_or(0));
        put64(&mut b, t.pfminor.unwrap_or(0));
    }
    if v >= 3 {
        put_str(&mut b, t.env.as_deref().unwrap_or_default());
    }
    if v >= 4 {
        put64(&mut b, t.vtid.unwrap_or(-1) as u64);
        put64(&mut b, t.vpid.unwrap_or(-1) as u64);
        put_str(&mut b, t.cgroups.as_deref().unwrap_or_default());
    }
    if v >= 5 {
        put_str(&mut b, t.root.as_deref().unwrap_or_default());
    }
    if v < 9 {
        return b;
    }
    let mut opt = Vec::new();
    let u64s = |o: &mut Vec<u8>, x: Option<u64>| x.map(|x| put64(o, x)).is_some();
    let u32s = |o: &mut Vec<u8>, x: Option<u32>| x.map(|x| put32(o, x)).is_some();
    let bools = |o: &mut Vec<u8>, x: Option<bool>| x.map(|x| o.push(x as u8)).is_some();
    let _ = u64s(&mut opt, t.pidns_init_start_ts) && u32s(&mut opt, t.tty);
    let _ = u32s(&mut opt, t.loginuid)
        && bools(&mut opt, t.exe_writable)
        && u64s(&mut opt, t.cap_inheritable)
        && u64s(&mut opt, t.cap_permitted)
        && u64s(&mut opt, t.cap_effective)
        && bools(&mut opt, t.exe_upper_layer)
        && u64s(&mut opt, t.exe_ino)
        && u64s(&mut opt, t.exe_ino_ctime)
        && u64s(&mut opt, t.exe_ino_mtime)
        && bools(&mut opt, t.exe_from_memfd)
        && bools(&mut opt, t.exe_lower_layer)
        && u64s(&mut opt, t.pgid);
    let mut out = Vec::new();
    put32(&mut out, (4 + b.len() + opt.len()) as u32);
    out.extend(b);
    out.extend(opt);
    out
}

/// One fd-list entry (V2 entries with their length, and `dev` when present).
pub fn fd_entry(v2: bool, fd: &FdInfo) -> Vec<u8> {
    let mut b = Vec::new();
    put64(&mut b, fd.fd as u64);
    put64(&mut b, fd.ino);
    b.push(fd.raw_type);
    match &fd.detail {
        FdDetail::None => {}
        FdDetail::Name(n) => {
            if fd.raw_type == fd.fd_type.code() {
                put_str(&mut b, n);
            }
        }
        FdDetail::File {
            open_flags,
            name,
            dev,
        } => {
            put32(&mut b, *open_flags);
            put_str(&mut b, name);
            if let Some(d) = dev {
                put32(&mut b, *d);
            }
        }
        FdDetail::Ipv4 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            b.extend_from_slice(&sip.octets());
            b.extend_from_slice(&dip.octets());
            put16(&mut b, *sport);
            put16(&mut b, *dport);
            b.push(*l4proto);
        }
        FdDetail::Ipv6 {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            b.extend_from_slice(&sip.octets());
            b.extend_from_slice(&dip.octets());
            put16(&mut b, *sport);
            put16(&mut b, *dport);
            b.push(*l4proto);
        }
        FdDetail::Ipv4Server { ip, port, l4proto } => {
            b.extend_from_slice(&ip.octets());
            put16(&mut b, *port);
            b.push(*l4proto);
        }
        FdDetail::Ipv6Server { ip, port, l4proto } => {
            b.extend_from_slice(&ip.octets());
            put16(&mut b, *port);
            b.push(*l4proto);
        }
        FdDetail::Unix {
            source,
            destination,
            name,
        } => {
            put64(&mut b, *source);
            put64(&mut b, *destination);
            put_str(&mut b, name);
        }
    }
    let mut out = Vec::new();
    with_len(&mut out, v2, b);
    out
}

/// One interface entry (without the V2 length).
pub fn if_entry(i: &InterfaceInfo) -> Vec<u8> {
    let mut b = Vec::new();
    let (ty, addrs): (u16, Vec<u8>) = match &i.addr {
        InterfaceAddr::V4 {
            addr,
            netmask,
            bcast,
        } => (
            if i.linkspeed.is_some() { 1 } else { 3 },
            [addr.octets(), netmask.octets(), bcast.octets()].concat(),
        ),
        InterfaceAddr::V6 {
            addr,
            netmask,
            bcast,
        } => (
            if i.linkspeed.is_some() { 2 } else { 4 },
            [addr.octets(), netmask.octets(), bcast.octets()].concat(),
        ),
    };
    put16(&mut b, ty);
    put16(&mut b, i.name.len() as u16);
    b.extend(addrs);
    if let Some(s) = i.linkspeed {
        put64(&mut b, s);
    }
    b.extend_from_slice(&i.name);
    b
}

/// How reading a whole capture ended.
#[derive(Debug)]
pub struct Outcome {
    /// The fatal error that stopped the reader, if any.
    pub fatal: Option<edera_scap::file::ReadError>,
    pub items: u64,
    pub events: u64,
    pub bad_events: u64,
    pub unknown_blocks: u64,
    pub unknown_types: u64,
}

/// Reads every item of `bytes` (plain or gzip), going on after recoverable errors.
pub fn drain(bytes: &[u8], limits: edera_scap::file::Limits) -> Outcome {
    use edera_scap::file::CaptureReader;
    let mut out = Outcome {
        fatal: None,
        items: 0,
        events: 0,
        bad_events: 0,
        unknown_blocks: 0,
        unknown_types: 0,
    };
    let mut r = match CaptureReader::new(bytes, shape, limits) {
        Ok(r) => r,
        Err(e) => {
            out.fatal = Some(e);
            return out;
        }
    };
    loop {
        match r.next_item() {
            Ok(None) => break,
            Ok(Some(_)) => out.items += 1,
            Err(e) if e.is_recoverable() => continue,
            Err(e) => {
                out.fatal = Some(e);
                break;
            }
        }
    }
    let s = r.stats();
    out.events = s.events;
    out.bad_events = s.bad_events;
    out.unknown_blocks = s.unknown_blocks;
    out.unknown_types = s.unknown_type_events;
    out
}

/// The variant name of an error, for compact expectations.
pub fn variant(e: &edera_scap::file::ReadError) -> &'static str {
    use edera_scap::file::ReadError::*;
    match e {
        Io { .. } => "Io",
        Truncated { .. } => "Truncated",
        Malformed { .. } => "Malformed",
        LimitExceeded { .. } => "LimitExceeded",
        Unsupported { .. } => "Unsupported",
        BadEvent { .. } => "BadEvent",
        Stopped { .. } => "Stopped",
        _ => "other",
    }
}
