//! Captures the project builds itself: a seeded state (a few threads sharing a process, files,
//! sockets, a pipe, users) and events laid out from the schema's event table with fixed
//! values. `event_payload` starts every input from this state; `zone_stream` replays it with
//! [`normal_events`] as the zone that a hostile zone must not disturb.

use edera_scap::event::HEADER_LEN;
use edera_scap::file::{CaptureWriter, FdDetail, FdInfo, FdType, GroupInfo, ThreadInfo, UserInfo};
use edera_scap::info::{EventInfo, ParamType};
use edera_scap::tables::EVENTS;
use std::net::Ipv4Addr;

fn thread(tid: u64, pid: u64, ptid: u64, comm: &str, uid: u32) -> ThreadInfo {
    ThreadInfo {
        tid,
        pid,
        ptid,
        comm: comm.into(),
        exe: comm.into(),
        exepath: Some(format!("/usr/bin/{comm}").into_bytes()),
        args: b"-c\0true\0".to_vec(),
        cwd: b"/root/".to_vec(),
        fdlimit: 1024,
        uid,
        gid: uid,
        vtid: Some(tid as i64),
        vpid: Some(pid as i64),
        cgroups: Some(b"cpu=/kubepods/pod1/abc\0".to_vec()),
        ..Default::default()
    }
}

fn fd(fd: i64, fd_type: FdType, detail: FdDetail) -> FdInfo {
    FdInfo {
        fd,
        ino: fd as u64 + 10,
        fd_type,
        raw_type: fd_type.code(),
        detail,
    }
}

/// A capture holding the seeded state, ready for events: init (1), a shell (100) with a
/// second thread (101), its child (200) of another user; files, an IPv4 socket, a unix socket
/// and a pipe; users and a group.
pub fn seeded_capture() -> CaptureWriter<Vec<u8>> {
    let mut w = CaptureWriter::new(Vec::new()).expect("in memory");
    let threads = [
        thread(1, 1, 0, "init", 0),
        thread(100, 100, 1, "sh", 0),
        thread(101, 100, 1, "sh", 0),
        thread(200, 200, 100, "curl", 1000),
    ];
    w.process_list(&threads).expect("in memory");
    let file = |name: &str| FdDetail::File {
        open_flags: 1,
        name: name.into(),
        dev: None,
    };
    let fds = [
        fd(0, FdType::FileV2, file("/dev/null")),
        fd(1, FdType::FileV2, file("/dev/pts/0")),
        fd(3, FdType::FileV2, file("/etc/shadow")),
        fd(
            4,
            FdType::Ipv4Sock,
            FdDetail::Ipv4 {
                sip: Ipv4Addr::new(10, 0, 0, 2),
                dip: Ipv4Addr::new(1, 1, 1, 1),
                sport: 40000,
                dport: 443,
                l4proto: 2,
            },
        ),
        fd(
            5,
            FdType::UnixSock,
            FdDetail::Unix {
                source: 0xffff_0000,
                destination: 0xffff_1000,
                name: b"/run/docker.sock".to_vec(),
            },
        ),
        fd(6, FdType::Fifo, FdDetail::Name(b"pipe:[77]".to_vec())),
    ];
    w.fd_list(100, &fds).expect("in memory");
    w.fd_list(200, &fds[..4]).expect("in memory");
    let users = [
        UserInfo {
            uid: 0,
            gid: 0,
            name: b"root".to_vec(),
            homedir: b"/root".to_vec(),
            shell: b"/bin/sh".to_vec(),
        },
        UserInfo {
            uid: 1000,
            gid: 1000,
            name: b"app".to_vec(),
            homedir: b"/home/app".to_vec(),
            shell: b"/bin/false".to_vec(),
        },
    ];
    let groups = [GroupInfo {
        gid: 0,
        name: b"root".to_vec(),
    }];
    w.users(&users, &groups).expect("in memory");
    w
}

/// One raw event in the in-memory form (header, parameter lengths, values) with `values` as
/// its parameters; lengths are u32 for large-payload types, else u16 (truncated as given).
pub fn raw_event(ts: u64, tid: i64, code: u16, info: &EventInfo, values: &[Vec<u8>]) -> Vec<u8> {
    let width = if info.large_payload() { 4 } else { 2 };
    let len = HEADER_LEN + values.len() * width + values.iter().map(Vec::len).sum::<usize>();
    let mut b = Vec::with_capacity(len);
    b.extend_from_slice(&ts.to_le_bytes());
    b.extend_from_slice(&tid.to_le_bytes());
    b.extend_from_slice(&(len as u32).to_le_bytes());
    b.extend_from_slice(&code.to_le_bytes());
    b.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        b.extend_from_slice(&(v.len() as u32).to_le_bytes()[..width]);
    }
    for v in values {
        b.extend_from_slice(v);
    }
    b
}

/// The value the normal zone's events carry for a parameter of type `ptype`: a file the state
/// knows for fds, the shell for pids, an IPv4 tuple to the state's peer, a path for strings.
fn fixed_value(ptype: ParamType) -> Vec<u8> {
    if let Some(size) = ptype.fixed_size() {
        let v: i64 = match ptype {
            ParamType::Fd | ParamType::Fd32 => 3,
            ParamType::Pid | ParamType::Pid32 => 100,
            _ => 0,
        };
        return v.to_le_bytes()[..usize::from(size).min(8)].to_vec();
    }
    match ptype {
        ParamType::Socktuple => {
            let mut t = vec![2u8];
            t.extend_from_slice(&[10, 0, 0, 2]);
            t.extend_from_slice(&40000u16.to_le_bytes());
            t.extend_from_slice(&[1, 1, 1, 1]);
            t.extend_from_slice(&443u16.to_le_bytes());
            t
        }
        ParamType::Sockaddr => {
            let mut a = vec![2u8, 1, 1, 1, 1];
            a.extend_from_slice(&443u16.to_le_bytes());
            a
        }
        _ => b"/etc/passwd\0".to_vec(),
    }
}

/// The normal zone of `zone_stream`: the seeded state, then an `openat`, a `connect` and an
/// `execve` exit (the file, socket and process state every rule reads) from the shell's
/// threads, every parameter a fixed value. Three events: each is checked field by field on
/// every input, the largest part of a run.
pub fn normal_events() -> Vec<u8> {
    const IDS: [&str; 3] = [
        "PPME_SYSCALL_OPENAT_2_X",
        "PPME_SOCKET_CONNECT_X",
        "PPME_SYSCALL_EXECVE_19_X",
    ];
    let mut w = seeded_capture();
    for (i, id) in IDS.iter().enumerate() {
        let (code, info) = EVENTS
            .iter()
            .enumerate()
            .find(|(_, e)| e.id == *id)
            .unwrap_or_else(|| panic!("{id} is in the schema's event table"));
        let values: Vec<Vec<u8>> = info.params.iter().map(|p| fixed_value(p.ptype)).collect();
        let ts = 1_700_000_000_000_000_000 + 1000 * i as u64;
        let ev = raw_event(ts, 100 + (i % 2) as i64, code as u16, info, &values);
        w.event(0, &ev).expect("in memory");
    }
    w.finish().expect("in memory")
}
