//! The capture reader on synthetic captures covering the format variants the fixtures lack:
//! process lists V1–V9 (with and without the V9 optional fields), fd lists V1/V2 with every fd
//! type, interface and user lists V1/V2, EVF and LARGE event blocks, unknown blocks and types,
//! gzip, a second section, and the limits.

mod reader_support;

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use edera_scap::file::{
    CaptureReader, EventShape, FdDetail, FdInfo, FdType, GroupInfo, InterfaceAddr, InterfaceInfo,
    Item, Limits, MachineInfo, ReadError, ThreadInfo, UserInfo,
};
use reader_support::{ScapWriter, ev_old, ev_v2, pl_entry, shape};

type Table = fn(u16) -> Option<EventShape>;

fn reader(bytes: &[u8]) -> CaptureReader<&[u8], Table> {
    reader_with(bytes, Limits::default())
}

fn reader_with(bytes: &[u8], limits: Limits) -> CaptureReader<&[u8], Table> {
    CaptureReader::new(bytes, shape as Table, limits).unwrap()
}

fn full_thread() -> ThreadInfo {
    ThreadInfo {
        tid: 42,
        pid: 40,
        ptid: 1,
        sid: Some(7),
        vpgid: Some(8),
        pgid: Some(9),
        comm: b"bash".to_vec(),
        exe: b"-bash".to_vec(),
        exepath: Some(b"/usr/bin/bash".to_vec()),
        args: b"-c\0echo hi\0".to_vec(),
        env: Some(b"A=1\0B=2\0".to_vec()),
        cwd: b"/root".to_vec(),
        fdlimit: 1024,
        flags: 0x10,
        uid: 1000,
        gid: 1001,
        vmsize_kb: Some(1),
        vmrss_kb: Some(2),
        vmswap_kb: Some(3),
        pfmajor: Some(4),
        pfminor: Some(5),
        vtid: Some(2),
        vpid: Some(1),
        cgroups: Some(b"cpu=/a\0memory=/b\0".to_vec()),
        root: Some(b"/".to_vec()),
        pidns_init_start_ts: Some(11),
        tty: Some(34816),
        loginuid: Some(1000),
        exe_writable: Some(true),
        cap_inheritable: Some(0x1),
        cap_permitted: Some(0x2),
        cap_effective: Some(0x3),
        exe_upper_layer: Some(true),
        exe_ino: Some(99),
        exe_ino_ctime: Some(100),
        exe_ino_mtime: Some(101),
        exe_from_memfd: Some(false),
        exe_lower_layer: Some(true),
    }
}

/// What a thread of `version` keeps of `full_thread()`.
fn as_version(t: &ThreadInfo, v: u8) -> ThreadInfo {
    let mut out = t.clone();
    if v < 9 {
        let base = ThreadInfo::default();
        out.pgid = None;
        out.pidns_init_start_ts = base.pidns_init_start_ts;
        out.tty = None;
        out.loginuid = None;
        out.exe_writable = None;
        out.cap_inheritable = None;
        out.cap_permitted = None;
        out.cap_effective = None;
        out.exe_upper_layer = None;
        out.exe_ino = None;
        out.exe_ino_ctime = None;
        out.exe_ino_mtime = None;
        out.exe_from_memfd = None;
        out.exe_lower_layer = None;
    }
    if v < 8 {
        out.vpgid = None;
    }
    if v < 7 {
        out.exepath = None;
    }
    if v < 6 {
        out.sid = None;
    }
    if v < 5 {
        out.root = None;
    }
    if v < 4 {
        out.vtid = None;
        out.vpid = None;
        out.cgroups = None;
    }
    if v < 3 {
        out.env = None;
    }
    if v < 2 {
        out.vmsize_kb = None;
        out.vmrss_kb = None;
        out.vmswap_kb = None;
        out.pfmajor = None;
        out.pfminor = None;
    }
    out
}

#[test]
fn process_lists_of_every_version() {
    let full = full_thread();
    for v in 1..=9u8 {
        let mut w = ScapWriter::new();
        let mut second = as_version(&full, v);
        second.tid = 43;
        second.args = b"no-terminator".to_vec();
        w.shb(1, 2, &[])
            .proclist(v, &[as_version(&full, v), second.clone()]);
        let state = reader(&w.buf).read_state().unwrap();
        assert_eq!(state.threads[0], as_version(&full, v), "PL_V{v}");
        // libscap NUL-terminates args that lack it
        second.args = b"no-terminator\0".to_vec();
        assert_eq!(state.threads[1], second, "PL_V{v}");
    }
}

#[test]
fn v9_optional_fields() {
    // Written by libs before 0.10: no pidns_init_start_ts/tty, then the 29 bytes of older fields.
    let mut old = full_thread();
    old.pidns_init_start_ts = None;
    old.tty = None;
    old.exe_upper_layer = None;
    old.exe_ino = None;
    old.exe_ino_ctime = None;
    old.exe_ino_mtime = None;
    old.exe_from_memfd = None;
    old.exe_lower_layer = None;
    old.pgid = None;
    // Only the fixed fields (entry length covers nothing more).
    let mut bare = as_version(&full_thread(), 8);
    bare.tid = 50;
    // An entry from a newer writer: unknown trailing bytes are skipped.
    let full = full_thread();
    let mut newer = pl_entry(9, &full);
    newer.extend_from_slice(&[0xee; 13]);
    let len = newer.len() as u32;
    newer[..4].copy_from_slice(&len.to_le_bytes());
    // Length 0: no optional field is read, the entry is read by its fields.
    let mut zero = pl_entry(9, &bare);
    zero[..4].copy_from_slice(&0u32.to_le_bytes());

    let mut body = pl_entry(9, &old);
    body.extend(pl_entry(9, &bare));
    body.extend(newer);
    body.extend(zero);
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[]).block(0x215, &body);
    let state = reader(&w.buf).read_state().unwrap();
    assert_eq!(state.threads.len(), 4);
    assert_eq!(state.threads[0], old);
    assert_eq!(state.threads[1], bare);
    assert_eq!(state.threads[2], full);
    assert_eq!(state.threads[3], bare);
}

fn all_fds() -> Vec<FdInfo> {
    let name = |t: FdType, n: &str| FdInfo {
        fd: t.code().into(),
        ino: 1000 + u64::from(t.code()),
        fd_type: t,
        raw_type: t.code(),
        detail: FdDetail::Name(n.as_bytes().to_vec()),
    };
    let mut v = vec![
        FdInfo {
            fd: 0,
            ino: 0,
            fd_type: FdType::Unknown,
            raw_type: 0,
            detail: FdDetail::None,
        },
        FdInfo {
            fd: 3,
            ino: 1,
            fd_type: FdType::Ipv4Sock,
            raw_type: 3,
            detail: FdDetail::Ipv4 {
                sip: Ipv4Addr::new(10, 0, 0, 1),
                dip: Ipv4Addr::new(10, 0, 0, 2),
                sport: 40000,
                dport: 443,
                l4proto: 2,
            },
        },
        FdInfo {
            fd: 4,
            ino: 2,
            fd_type: FdType::Ipv6Sock,
            raw_type: 4,
            detail: FdDetail::Ipv6 {
                sip: "2001:db8::3".parse().unwrap(),
                dip: "2001:db8::4".parse().unwrap(),
                sport: 1234,
                dport: 5678,
                l4proto: 3,
            },
        },
        FdInfo {
            fd: 5,
            ino: 3,
            fd_type: FdType::Ipv4ServSock,
            raw_type: 5,
            detail: FdDetail::Ipv4Server {
                ip: Ipv4Addr::UNSPECIFIED,
                port: 80,
                l4proto: 2,
            },
        },
        FdInfo {
            fd: 6,
            ino: 4,
            fd_type: FdType::Ipv6ServSock,
            raw_type: 6,
            detail: FdDetail::Ipv6Server {
                ip: Ipv6Addr::UNSPECIFIED,
                port: 22,
                l4proto: 2,
            },
        },
        FdInfo {
            fd: 8,
            ino: 5,
            fd_type: FdType::UnixSock,
            raw_type: 8,
            detail: FdDetail::Unix {
                source: 0xffff_0001,
                destination: 0xffff_0002,
                name: b"/run/x.sock".to_vec(),
            },
        },
    ];
    for t in [
        FdType::File,
        FdType::Directory,
        FdType::Fifo,
        FdType::Event,
        FdType::Unsupported,
        FdType::Signalfd,
        FdType::Eventpoll,
        FdType::Inotify,
        FdType::Timerfd,
        FdType::Netlink,
        FdType::Bpf,
        FdType::Userfaultfd,
        FdType::Iouring,
        FdType::Memfd,
        FdType::Pidfd,
    ] {
        v.push(name(t, &format!("name-{}", t.code())));
    }
    v
}

#[test]
fn fd_lists_v1_and_v2() {
    let mut fds = all_fds();
    let file = |dev| FdInfo {
        fd: 16,
        ino: 7,
        fd_type: FdType::FileV2,
        raw_type: 16,
        detail: FdDetail::File {
            open_flags: 4099,
            name: b"/etc/passwd".to_vec(),
            dev,
        },
    };
    let mut w = ScapWriter::new();
    fds.push(file(None));
    w.shb(1, 0, &[]).fdlist(false, 100, &fds);
    let state = reader(&w.buf).read_state().unwrap();
    assert_eq!(state.fds[&100], fds);

    // V2: dev is read when the entry has room; an unknown type is skipped by the entry length.
    fds.pop();
    fds.push(file(Some(0x801)));
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[]).fdlist(true, 100, &fds);
    let mut unknown = reader_support::fd_entry(
        true,
        &FdInfo {
            fd: 77,
            ino: 8,
            fd_type: FdType::Unsupported,
            raw_type: 99,
            detail: FdDetail::None,
        },
    );
    unknown.extend_from_slice(&[1, 2, 3, 4, 5]); // a future payload
    let l = unknown.len() as u32;
    unknown[..4].copy_from_slice(&l.to_le_bytes());
    let mut body = 200u64.to_le_bytes().to_vec();
    body.extend(unknown);
    w.block(0x218, &body);
    let state = reader(&w.buf).read_state().unwrap();
    assert_eq!(state.fds[&100], fds);
    let u = &state.fds[&200][0];
    assert_eq!((u.fd, u.fd_type, u.raw_type), (77, FdType::Unsupported, 99));
    assert_eq!(u.name(), Some(&b"unknown-type:[99]"[..]));
}

#[test]
fn interface_and_user_lists_v1_and_v2() {
    let ifs = vec![
        InterfaceInfo {
            name: b"lo".to_vec(),
            addr: InterfaceAddr::V4 {
                addr: Ipv4Addr::LOCALHOST,
                netmask: Ipv4Addr::new(255, 0, 0, 0),
                bcast: Ipv4Addr::LOCALHOST,
            },
            linkspeed: Some(1000),
        },
        InterfaceInfo {
            name: b"eth0".to_vec(),
            addr: InterfaceAddr::V6 {
                addr: "fe80::1".parse().unwrap(),
                netmask: "ffff:ffff:ffff:ffff::".parse().unwrap(),
                bcast: Ipv6Addr::UNSPECIFIED,
            },
            linkspeed: Some(10),
        },
        InterfaceInfo {
            name: b"old4".to_vec(),
            addr: InterfaceAddr::V4 {
                addr: Ipv4Addr::new(1, 2, 3, 4),
                netmask: Ipv4Addr::BROADCAST,
                bcast: Ipv4Addr::UNSPECIFIED,
            },
            linkspeed: None,
        },
        InterfaceInfo {
            name: b"old6".to_vec(),
            addr: InterfaceAddr::V6 {
                addr: Ipv6Addr::LOCALHOST,
                netmask: Ipv6Addr::UNSPECIFIED,
                bcast: Ipv6Addr::UNSPECIFIED,
            },
            linkspeed: None,
        },
    ];
    let users = vec![
        UserInfo {
            uid: 0,
            gid: 0,
            name: b"root".to_vec(),
            homedir: b"/root".to_vec(),
            shell: b"/bin/sh".to_vec(),
        },
        UserInfo {
            uid: 65534,
            gid: 65534,
            name: b"nobody".to_vec(),
            homedir: b"/".to_vec(),
            shell: vec![],
        },
    ];
    let groups = vec![
        GroupInfo {
            gid: 0,
            name: b"root".to_vec(),
        },
        GroupInfo {
            gid: 5,
            name: b"tty".to_vec(),
        },
    ];
    for v2 in [false, true] {
        let mut w = ScapWriter::new();
        let m = MachineInfo {
            num_cpus: 8,
            hostname: b"zone-1".to_vec(),
            boot_ts_epoch: 5,
            ..Default::default()
        };
        w.shb(1, 2, &[])
            .machine(&m)
            .iflist(v2, &ifs)
            .userlist(v2, &users, &groups);
        let state = reader(&w.buf).read_state().unwrap();
        assert_eq!(state.machine, Some(m));
        assert_eq!(state.interfaces, ifs);
        assert_eq!(state.users, users);
        assert_eq!(state.groups, groups);
    }
    // A V2 user entry from a newer writer carries extra bytes: skipped.
    let mut e = vec![0u8];
    e.extend_from_slice(&7u32.to_le_bytes());
    e.extend_from_slice(&8u32.to_le_bytes());
    for s in [&b"u"[..], b"/h", b"/s"] {
        e.extend_from_slice(&(s.len() as u16).to_le_bytes());
        e.extend_from_slice(s);
    }
    e.extend_from_slice(b"future");
    let mut body = ((e.len() + 4) as u32).to_le_bytes().to_vec();
    body.extend(e);
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[]).block(0x220, &body);
    let state = reader(&w.buf).read_state().unwrap();
    assert_eq!(
        state.users,
        vec![UserInfo {
            uid: 7,
            gid: 8,
            name: b"u".to_vec(),
            homedir: b"/h".to_vec(),
            shell: b"/s".to_vec()
        }]
    );
}

#[test]
fn event_block_variants() {
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[]);
    // EVF_V2 with flags and a pcapng-style option after the event.
    let e1 = ev_v2(
        10,
        1,
        3,
        &[&8i64.to_le_bytes(), b"/tmp\0", &[1, 0, 0, 0]],
        false,
    );
    let mut body1 = e1.clone();
    body1.extend_from_slice(&[1, 0, 4, 0, b'n', b'o', b't', b'e', 0, 0, 0, 0]);
    w.event(0x217, 3, 0x5, &body1);
    // EV_V2_LARGE holding a large-payload type (u32 lengths).
    let big = vec![0xab; 70_000];
    let e2 = ev_v2(11, 2, 322, &[&26u32.to_le_bytes(), &big], true);
    w.event(0x221, 1, 0, &e2);
    // An unknown event type: skipped and counted.
    w.event(0x216, 0, 0, &ev_v2(12, 3, 999, &[], false));
    // An unknown block: handed out and skipped.
    w.block(0x7777, b"whatever");
    // Old EVF block: 22-byte header, nparams found by the search (2 of the table's 3 here).
    let old = ev_old(13, 4, 2, &[b"/x\0", &[1, 0, 0, 0]]);
    w.event(0x208, 2, 0x1, &old);
    // Old notification event (type 280): libscap takes 3 bytes off its len.
    let mut note = ev_old(14, 5, 280, &[b"hi\0"]);
    note.extend_from_slice(&[0, 0, 0]);
    let l = (note.len()) as u32;
    note[16..20].copy_from_slice(&l.to_le_bytes());
    w.event(0x204, 0, 0, &note);
    // A second section.
    w.shb(1, 2, &[(1, b"second")]);
    w.event(0x216, 0, 0, &ev_v2(15, 6, 4, &[&3i64.to_le_bytes()], false));

    let mut r = reader(&w.buf);
    let mut seen = Vec::new();
    while let Some(item) = r.next_item().unwrap() {
        match item {
            Item::Event(e) => seen.push(format!(
                "ev cpu={} flags={} ts={} type={} n={} len={} large={} p={:?}",
                e.cpu,
                e.flags,
                e.ts(),
                e.event_type(),
                e.nparams(),
                e.len(),
                e.large_param_lengths(),
                e.params().map(<[u8]>::len).collect::<Vec<_>>()
            )),
            Item::Section(s) => seen.push(format!("section {:?}", s.comment().map(|c| c.to_vec()))),
            Item::UnknownBlock { block_type, .. } => seen.push(format!("unknown {block_type:#x}")),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            "section None",
            "ev cpu=3 flags=5 ts=10 type=3 n=3 len=49 large=false p=[8, 5, 4]",
            "ev cpu=1 flags=0 ts=11 type=322 n=2 len=70038 large=true p=[4, 70000]",
            "unknown 0x7777",
            "ev cpu=2 flags=1 ts=13 type=2 n=2 len=37 large=false p=[3, 4]",
            "ev cpu=0 flags=0 ts=14 type=280 n=1 len=31 large=false p=[3]",
            "section Some([115, 101, 99, 111, 110, 100])",
            "ev cpu=0 flags=0 ts=15 type=4 n=1 len=36 large=false p=[8]",
        ]
    );
    let s = r.stats();
    assert_eq!(
        (
            s.sections,
            s.events,
            s.unknown_type_events,
            s.unknown_blocks
        ),
        (2, 5, 1, 1)
    );
}

#[test]
fn gzip_including_multiple_members() {
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[])
        .event(0x216, 0, 0, &ev_v2(1, 1, 3, &[], false));
    let half = w.buf.len() / 2;
    let mut gz = Vec::new();
    for part in [&w.buf[..half], &w.buf[half..]] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(part).unwrap();
        gz.extend(e.finish().unwrap());
    }
    let mut r = reader(&gz);
    assert!(r.is_compressed());
    assert_eq!(r.next_event().unwrap().unwrap().ts(), 1);
    assert!(r.next_event().unwrap().is_none());
}

#[test]
fn a_bad_event_is_recoverable() {
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[]);
    let mut bad = ev_v2(1, 1, 3, &[b"abc"], false);
    bad[26] = 200; // parameter length past the end
    w.event(0x216, 0, 0, &bad);
    w.event(0x216, 0, 0, &ev_v2(2, 1, 3, &[], false));
    let mut r = reader(&w.buf);
    let err = r.next_event().unwrap_err();
    assert!(err.is_recoverable(), "{err}");
    assert!(
        matches!(err, ReadError::BadEvent { offset: 28, .. }),
        "{err}"
    );
    assert_eq!(r.next_event().unwrap().unwrap().ts(), 2);
    assert_eq!(r.stats().bad_events, 1);
}

#[test]
fn limits_are_enforced() {
    let t = full_thread();
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[])
        .proclist(9, &[t.clone(), t.clone(), t.clone()]);
    let e = reader_with(
        &w.buf,
        Limits {
            max_threads: 2,
            ..Limits::default()
        },
    )
    .read_state()
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::LimitExceeded {
                what: "threads",
                value: 3,
                limit: 2,
                ..
            }
        ),
        "{e}"
    );

    let e = reader_with(
        &w.buf,
        Limits {
            max_string_bytes: 4,
            ..Limits::default()
        },
    )
    .read_state()
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::LimitExceeded {
                what: "exe",
                value: 5,
                limit: 4,
                ..
            }
        ),
        "{e}"
    );

    let e = reader_with(
        &w.buf,
        Limits {
            max_list_entries: 1,
            ..Limits::default()
        },
    )
    .read_state()
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::LimitExceeded {
                what: "args",
                value: 2,
                ..
            }
        ),
        "{e}"
    );

    let e = reader_with(
        &w.buf,
        Limits {
            max_block_bytes: 64,
            ..Limits::default()
        },
    )
    .read_state()
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::LimitExceeded {
                what: "block body length",
                offset: 32,
                ..
            }
        ),
        "{e}"
    );

    let e = reader_with(
        &w.buf,
        Limits {
            max_state_bytes: 64,
            ..Limits::default()
        },
    )
    .read_state()
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::LimitExceeded {
                what: "total bytes of state blocks",
                ..
            }
        ),
        "{e}"
    );

    let fds = all_fds();
    let mut w = ScapWriter::new();
    w.shb(1, 2, &[])
        .fdlist(true, 1, &fds[..3])
        .fdlist(true, 1, &fds[3..6])
        .fdlist(true, 2, &fds[..1]);
    let e = reader_with(
        &w.buf,
        Limits {
            max_fds_per_thread: 5,
            ..Limits::default()
        },
    )
    .read_state()
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::LimitExceeded {
                what: "fds of one thread",
                value: 6,
                ..
            }
        ),
        "{e}"
    );
    let e = reader_with(
        &w.buf,
        Limits {
            max_threads: 1,
            ..Limits::default()
        },
    )
    .read_state()
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::LimitExceeded {
                what: "threads with fd lists",
                ..
            }
        ),
        "{e}"
    );

    // After a fatal error the reader stays stopped.
    let mut r = reader_with(
        &w.buf,
        Limits {
            max_threads: 1,
            ..Limits::default()
        },
    );
    assert!(r.read_state().is_err());
    assert!(matches!(r.next_item(), Err(ReadError::Stopped { .. })));
}
