//! What the capture writer writes, the capture reader reads back unchanged.

use edera_scap::file::{
    CaptureReader, CaptureWriter, FdDetail, FdInfo, FdType, GeneratedTable, GroupInfo,
    InterfaceAddr, InterfaceInfo, Limits, MachineInfo, ThreadInfo, UserInfo,
};
use std::net::{Ipv4Addr, Ipv6Addr};

fn event(ts: u64, tid: u64, etype: u16, params: &[&[u8]]) -> Vec<u8> {
    let len = 26 + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
    let mut v = Vec::new();
    v.extend_from_slice(&ts.to_le_bytes());
    v.extend_from_slice(&tid.to_le_bytes());
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v.extend_from_slice(&etype.to_le_bytes());
    v.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in params {
        v.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        v.extend_from_slice(p);
    }
    v
}

#[test]
fn state_and_events_round_trip() {
    let machine = MachineInfo {
        num_cpus: 2,
        memory_size_bytes: 1 << 30,
        max_pid: 4_194_304,
        hostname: b"zone-a".to_vec(),
        boot_ts_epoch: 1_700_000_000_000_000_000,
        ..MachineInfo::default()
    };
    let thread = ThreadInfo {
        tid: 42,
        pid: 42,
        ptid: 1,
        sid: Some(42),
        vpgid: Some(42),
        pgid: Some(42),
        comm: b"sh".to_vec(),
        exe: b"/bin/sh".to_vec(),
        exepath: Some(b"/usr/bin/dash".to_vec()),
        args: b"-c\0true\0".to_vec(),
        env: Some(b"HOME=/root\0".to_vec()),
        cwd: b"/tmp/".to_vec(),
        fdlimit: 1024,
        uid: 0,
        gid: 0,
        vtid: Some(42),
        vpid: Some(42),
        loginuid: Some(1000),
        tty: Some(34816),
        ..ThreadInfo::default()
    };
    let user = UserInfo {
        uid: 0,
        gid: 0,
        name: b"root".to_vec(),
        homedir: b"/root".to_vec(),
        shell: b"/bin/sh".to_vec(),
    };
    let group = GroupInfo {
        gid: 0,
        name: b"root".to_vec(),
    };
    let close = event(
        1_700_000_000_000_000_123,
        42,
        55,
        &[&0i64.to_le_bytes(), &3i64.to_le_bytes()],
    );
    let interfaces = vec![
        InterfaceInfo {
            name: b"lo".to_vec(),
            addr: InterfaceAddr::V4 {
                addr: Ipv4Addr::LOCALHOST,
                netmask: Ipv4Addr::new(255, 0, 0, 0),
                bcast: Ipv4Addr::new(127, 255, 255, 255),
            },
            linkspeed: Some(0),
        },
        InterfaceInfo {
            name: b"eth0".to_vec(),
            addr: InterfaceAddr::V6 {
                addr: "fd00::5".parse().unwrap(),
                netmask: "ffff:ffff:ffff:ffff::".parse().unwrap(),
                bcast: Ipv6Addr::UNSPECIFIED,
            },
            linkspeed: Some(1000),
        },
    ];
    let mut w = CaptureWriter::new(Vec::new()).unwrap();
    w.machine(&machine).unwrap();
    w.interfaces(&interfaces).unwrap();
    w.process_list(std::slice::from_ref(&thread)).unwrap();
    let fds = vec![
        FdInfo {
            fd: 3,
            ino: 77,
            fd_type: FdType::FileV2,
            raw_type: 16,
            detail: FdDetail::File {
                open_flags: 1,
                name: b"/etc/passwd".to_vec(),
                dev: Some(0x800001),
            },
        },
        FdInfo {
            fd: 4,
            ino: 78,
            fd_type: FdType::Ipv4Sock,
            raw_type: 3,
            detail: FdDetail::Ipv4 {
                sip: Ipv4Addr::new(127, 0, 0, 1),
                dip: Ipv4Addr::new(10, 0, 0, 2),
                sport: 40000,
                dport: 443,
                l4proto: 2,
            },
        },
        FdInfo {
            fd: 5,
            ino: 79,
            fd_type: FdType::UnixSock,
            raw_type: 8,
            detail: FdDetail::Unix {
                source: 0xffff0001,
                destination: 0,
                name: b"/run/x.sock".to_vec(),
            },
        },
        FdInfo {
            fd: 6,
            ino: 80,
            fd_type: FdType::Fifo,
            raw_type: 7,
            detail: FdDetail::Name(b"pipe:[80]".to_vec()),
        },
        FdInfo {
            fd: 7,
            ino: 81,
            fd_type: FdType::Ipv4ServSock,
            raw_type: 5,
            detail: FdDetail::Ipv4Server {
                ip: Ipv4Addr::UNSPECIFIED,
                port: 8080,
                l4proto: 2,
            },
        },
    ];
    w.users(std::slice::from_ref(&user), std::slice::from_ref(&group))
        .unwrap();
    w.fd_list(42, &fds).unwrap();
    w.event(1, &close).unwrap();
    let bytes = w.finish().unwrap();

    let mut r = CaptureReader::new(
        std::io::Cursor::new(bytes),
        GeneratedTable,
        Limits::default(),
    )
    .unwrap();
    let state = r.read_state().unwrap();
    assert_eq!(state.interfaces, interfaces);
    let m = state.machine.unwrap();
    assert_eq!(
        (m.num_cpus, m.hostname.as_slice(), m.boot_ts_epoch),
        (2, &b"zone-a"[..], machine.boot_ts_epoch)
    );
    let t = &state.threads[0];
    assert_eq!(
        (t.tid, t.ptid, t.comm.as_slice(), t.exepath.as_deref()),
        (42, 1, &b"sh"[..], Some(&b"/usr/bin/dash"[..]))
    );
    assert_eq!(
        (t.args.as_slice(), t.cwd.as_slice(), t.loginuid, t.tty),
        (&b"-c\0true\0"[..], &b"/tmp/"[..], Some(1000), Some(34816))
    );
    assert_eq!(
        (
            state.users[0].name.as_slice(),
            state.groups[0].name.as_slice()
        ),
        (&b"root"[..], &b"root"[..])
    );
    assert_eq!(state.fds.get(&42), Some(&fds));
    let ev = r.next_event().unwrap().unwrap();
    assert_eq!((ev.cpu, ev.bytes()), (1, close.as_slice()));
    assert!(r.next_event().unwrap().is_none());
}

/// The interface list block as libscap's writer lays it out (IL_V2, 0x219): per entry a u32
/// length not counting itself, then `scap_ifinfo_ipv4` packed (type 1, name length, address,
/// netmask, broadcast, u64 link speed) with the name cut to its length, no NUL.
#[test]
fn interface_list_has_libscaps_layout() {
    let lo = InterfaceInfo {
        name: b"lo".to_vec(),
        addr: InterfaceAddr::V4 {
            addr: Ipv4Addr::LOCALHOST,
            netmask: Ipv4Addr::new(255, 0, 0, 0),
            bcast: Ipv4Addr::UNSPECIFIED,
        },
        linkspeed: None,
    };
    let mut w = CaptureWriter::new(Vec::new()).unwrap();
    let header_len = w.written as usize;
    w.interfaces(&[lo]).unwrap();
    let bytes = w.finish().unwrap();
    let block = &bytes[header_len..];
    let mut body = vec![
        26, 0, 0, 0, 1, 0, 2, 0, 127, 0, 0, 1, 255, 0, 0, 0, 0, 0, 0, 0,
    ];
    body.extend_from_slice(&[0; 8]);
    body.extend_from_slice(b"lo");
    body.extend_from_slice(&[0, 0]); // padding to 4
    let total = (12 + body.len()) as u32;
    let mut want = 0x219u32.to_le_bytes().to_vec();
    want.extend_from_slice(&total.to_le_bytes());
    want.extend_from_slice(&body);
    want.extend_from_slice(&total.to_le_bytes());
    assert_eq!(block, want.as_slice());
}
