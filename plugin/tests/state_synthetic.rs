//! The zone state on synthetic event sequences: thread and fd sharing, exec, dup, exit and
//! reparenting, the caps, and hostile input.

mod state_support;

use edera_falco_plugin::state::{Applied, StateLimits, ZoneState};
use edera_scap::event::RawEvent;
use edera_scap::file::{CaptureState, FdDetail, FdInfo, FdType, ThreadInfo};
use edera_scap::tables::EventCode as C;
use edera_scap::tables::{ppm_cl, ppm_o};
use state_support::build::*;

const CLOEXEC: u32 = ppm_o::CLOEXEC as u32;
const RDONLY: u32 = ppm_o::RDONLY as u32;

fn thread(tid: u64, pid: u64, ptid: u64, comm: &str) -> ThreadInfo {
    ThreadInfo {
        tid,
        pid,
        ptid,
        comm: comm.into(),
        exe: comm.into(),
        exepath: Some(format!("/bin/{comm}").into_bytes()),
        args: b"\0".to_vec(),
        cwd: b"/home/u".to_vec(),
        fdlimit: 1024,
        uid: 1000,
        gid: 1000,
        vtid: Some(tid as i64),
        vpid: Some(pid as i64),
        ..Default::default()
    }
}

fn file(fd: i64, name: &str, flags: u32) -> FdInfo {
    FdInfo {
        fd,
        ino: 0,
        fd_type: FdType::FileV2,
        raw_type: FdType::FileV2.code(),
        detail: FdDetail::File {
            open_flags: flags,
            name: name.into(),
            dev: None,
        },
    }
}

/// init (1) and a shell (100, parent 1) with stdio and a close-on-exec file on fd 3.
fn zone(limits: StateLimits) -> ZoneState {
    let mut s = CaptureState {
        threads: vec![thread(1, 1, 0, "init"), thread(100, 100, 1, "sh")],
        ..Default::default()
    };
    let fds = vec![
        file(0, "/dev/null", RDONLY),
        file(1, "/dev/tty", 2),
        file(3, "/etc/passwd", RDONLY | CLOEXEC),
    ];
    s.fds.insert(100, fds);
    ZoneState::from_snapshot(&s, limits)
}

fn apply(z: &mut ZoneState, e: Ev) -> Applied {
    let b = e.bytes();
    z.apply(&RawEvent::parse(&b).expect("event")).status
}

fn clone_exit(code: C, tid: i64, ts: u64, res: i64, pid: i64, ptid: i64, flags: u64) -> Ev {
    ev(code, tid, ts)
        .p("res", i64b(res))
        .p("exe", st("sh"))
        .p("args", strs(&[]))
        .p("tid", i64b(tid))
        .p("pid", i64b(pid))
        .p("ptid", i64b(ptid))
        .p("cwd", st("/home/u"))
        .p("fdlimit", i64b(1024))
        .p("comm", st("sh"))
        .p("flags", u32b(flags as u32))
        .p("uid", u32b(1000))
        .p("gid", u32b(1000))
}

fn open(tid: i64, ts: u64, fd: i64, name: &str, flags: u32) -> Ev {
    ev(C::SyscallOpenX, tid, ts)
        .p("fd", i64b(fd))
        .p("name", st(name))
        .p("flags", u32b(flags))
        .p("mode", u32b(0))
}

fn close(tid: i64, ts: u64, fd: i64) -> Ev {
    ev(C::SyscallCloseX, tid, ts)
        .p("res", i64b(0))
        .p("fd", i64b(fd))
}

fn noop(tid: i64, ts: u64) -> Ev {
    ev(C::SyscallGetuidX, tid, ts).p("uid", u32b(1000))
}

#[test]
fn thread_shares_the_process_fd_table() {
    let mut z = zone(StateLimits::default());
    let thread_flags = ppm_cl::CLONE_THREAD | ppm_cl::CLONE_FILES | ppm_cl::CLONE_VM;
    apply(
        &mut z,
        clone_exit(C::SyscallCloneV20X, 100, 10, 101, 100, 1, thread_flags),
    );
    assert_eq!(z.event().child, Some(101));
    let t = z.thread(101).expect("thread created by the caller's exit");
    assert_eq!((t.pid, t.ptid, t.comm.as_slice()), (100, 1, &b"sh"[..]));
    assert_eq!(z.process_of(101).map(|m| m.tid), Some(100));
    assert_eq!(z.thread_count_of(100), 2);
    // The child's own exit right after changes nothing.
    apply(
        &mut z,
        clone_exit(C::SyscallCloneV20X, 101, 11, 0, 100, 1, thread_flags),
    );
    assert_eq!(z.event().child, None);
    // An fd opened by the thread is the process's; closing it there closes it for all.
    apply(&mut z, open(101, 12, 5, "/tmp/x", 2));
    assert_eq!(
        z.event_fd().map(|f| f.name.as_slice()),
        Some(&b"/tmp/x"[..])
    );
    assert!(z.event().fd_name_changed);
    assert!(z.fd_table_of(100).unwrap().get(5).is_some());
    apply(&mut z, close(101, 13, 5));
    assert_eq!(
        z.event_fd().map(|f| f.name.as_slice()),
        Some(&b"/tmp/x"[..]),
        "close still shows it"
    );
    assert_eq!(z.event_fd_num(), Some(5));
    apply(&mut z, noop(100, 14));
    assert!(
        z.fd_table_of(100).unwrap().get(5).is_none(),
        "removed before the next event"
    );
}

#[test]
fn fork_copies_and_exec_drops_cloexec_fds() {
    let mut z = zone(StateLimits::default());
    apply(
        &mut z,
        clone_exit(C::SyscallForkV20X, 100, 10, 102, 100, 1, 0),
    );
    let child = z.thread(102).expect("child");
    assert_eq!((child.pid, child.ptid), (102, 100));
    assert_eq!(z.cwd_of(102), b"/home/u/");
    assert_eq!(z.fd_table_of(102).unwrap().len(), 3);
    apply(&mut z, close(102, 11, 1));
    apply(&mut z, noop(102, 12));
    assert!(z.fd_table_of(102).unwrap().get(1).is_none());
    assert!(
        z.fd_table_of(100).unwrap().get(1).is_some(),
        "a process's copy is its own"
    );
    let exec = ev(C::SyscallExecveV19X, 102, 13)
        .p("res", i64b(0))
        .p("exe", st("cat"))
        .p("args", strs(&["/dev/null"]))
        .p("tid", i64b(102))
        .p("pid", i64b(102))
        .p("ptid", i64b(100))
        .p("cwd", st(""))
        .p("fdlimit", u64b(4096))
        .p("comm", st("cat"))
        .p("trusted_exepath", st("/usr/bin/cat"))
        .p("uid", u32b(0));
    apply(&mut z, exec);
    let t = z.thread(102).unwrap();
    assert_eq!(
        (t.comm.as_slice(), t.exepath.as_slice()),
        (&b"cat"[..], &b"/usr/bin/cat"[..])
    );
    assert_eq!(t.cmdline(), b"cat /dev/null");
    assert_eq!((t.uid, t.pgid, t.fdlimit), (0, -1, 4096));
    let fds = z.fd_table_of(102).unwrap();
    assert!(fds.get(3).is_none(), "close-on-exec fd dropped");
    assert!(fds.get(0).is_some());
    assert_eq!(
        z.parent_of(102).map(|p| p.comm.as_slice()),
        Some(&b"sh"[..])
    );
    assert_eq!(z.user(0).map(|u| u.name.as_slice()), Some(&b"root"[..]));
}

#[test]
fn dup2_replaces_an_open_fd() {
    let mut z = zone(StateLimits::default());
    let dup2 = ev(C::SyscallDup2X, 100, 10)
        .p("res", i64b(1))
        .p("oldfd", i64b(3))
        .p("newfd", i64b(1));
    apply(&mut z, dup2);
    let f = z.fd_table_of(100).unwrap().get(1).unwrap();
    assert_eq!(f.name, b"/etc/passwd");
    assert!(!f.is_close_on_exec(), "the copy loses close-on-exec");
    assert_eq!(z.event_fd_num(), Some(1));
    assert!(!z.event().fd_name_changed);
    assert_ne!(z.thread(100).unwrap().flags & ppm_cl::PIPE_SRC as u32, 0);
}

#[test]
fn exit_reparents_children_after_the_next_event() {
    let mut z = zone(StateLimits::default());
    apply(
        &mut z,
        clone_exit(C::SyscallForkV20X, 100, 10, 102, 100, 1, 0),
    );
    let exit = ev(C::ProcexitV1E, 100, 11)
        .p("status", i64b(0))
        .p("ret", i64b(0))
        .p("sig", u8b(0))
        .p("core", u8b(0))
        .p("reaper_tid", i64b(1));
    apply(&mut z, exit);
    assert_eq!(
        z.event_thread().map(|t| t.comm.as_slice()),
        Some(&b"sh"[..]),
        "still there"
    );
    assert!(z.thread(100).unwrap().is_dead());
    assert_eq!(z.thread_count_of(100), 0);
    apply(&mut z, noop(102, 12));
    assert!(z.thread(100).is_none());
    assert_eq!(z.thread(102).unwrap().ptid, 1);
    assert_eq!(z.parent_of(102).map(|p| p.tid), Some(1));
}

#[test]
fn late_caller_exit_does_not_revive_an_exited_child() {
    let mut z = zone(StateLimits::default());
    // The child's exit comes first and creates the entry.
    apply(
        &mut z,
        clone_exit(C::SyscallForkV20X, 104, 10, 0, 104, 100, 0),
    );
    let t = z.thread(104).expect("created by the child's own exit");
    assert_ne!(t.flags & ppm_cl::CLONE_INVERTED as u32, 0);
    assert_eq!(
        z.fd_table_of(104).unwrap().len(),
        3,
        "fds copied from the parent"
    );
    apply(&mut z, ev(C::ProcexitV1E, 104, 11).p("status", i64b(0)));
    apply(&mut z, noop(100, 12));
    assert!(z.thread(104).is_none());
    // The caller's exit arrives late: the child is not created again.
    apply(
        &mut z,
        clone_exit(C::SyscallForkV20X, 100, 13, 104, 100, 1, 0),
    );
    assert!(z.thread(104).is_none());
    assert_eq!(z.event().child, None);
}

#[test]
fn unknown_threads_are_created_as_libsinsp_does() {
    let mut z = zone(StateLimits::default());
    apply(&mut z, noop(4242, 10));
    let t = z.event_thread().expect("created on first sight");
    assert_eq!(
        (t.comm.as_slice(), t.pid, t.uid),
        (&b"<NA>"[..], -1, u32::MAX)
    );
    assert_eq!(z.cwd_of(4242), b"./");
    assert!(z.process_of(4242).is_none());
    // switch and procexit only look threads up.
    apply(&mut z, ev(C::ProcexitV1E, 4343, 11));
    assert!(z.thread(4343).is_none() && z.event_thread().is_none());
}

#[test]
fn caps_evict_and_count() {
    let limits = StateLimits {
        max_threads: 4,
        max_fds_per_process: 4,
        ..StateLimits::default()
    };
    let mut z = zone(limits);
    for i in 0..20 {
        apply(&mut z, noop(1000 + i, 10 + i as u64));
        assert!(z.threads.len() <= 4, "table bounded");
    }
    assert!(z.counters.evicted_threads >= 16, "{:?}", z.counters);
    assert!(
        z.event_thread().is_some(),
        "the event's own thread is never evicted"
    );
    let mut z = zone(limits);
    for fd in 4..8 {
        apply(&mut z, open(100, 10 + fd as u64, fd, "/tmp/f", 2));
    }
    assert_eq!(z.fd_table_of(100).unwrap().len(), 4);
    assert_eq!(z.counters.evicted_fds, 3);
    let tiny = StateLimits {
        max_string_bytes: 64,
        ..StateLimits::default()
    };
    let mut z = zone(tiny);
    apply(&mut z, open(100, 10, 9, &"x".repeat(40), 2));
    assert!(z.threads.string_bytes() <= 64 || z.threads.len() <= 1);
    assert!(z.counters.evicted_threads > 0);
}

#[test]
fn hostile_events_are_counted_and_never_panic() {
    let mut z = zone(StateLimits::default());
    let bad = ev(C::SyscallOpenX, 100, 10)
        .p("fd", vec![1, 2, 3])
        .p("name", st("/x"));
    assert_eq!(apply(&mut z, bad), Applied::Malformed);
    let unterminated = open(100, 11, 4, "/x", 0).p("name", b"/x".to_vec());
    assert_eq!(apply(&mut z, unterminated), Applied::Malformed);
    let mut raw = noop(100, 12).bytes();
    raw[20..22].copy_from_slice(&9999u16.to_le_bytes());
    assert_eq!(
        z.apply(&RawEvent::parse(&raw).unwrap()).status,
        Applied::Unknown
    );
    assert_eq!(
        (z.counters.malformed_events, z.counters.unknown_events),
        (2, 1)
    );
    // Every event type with random parameters of random sizes.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..40u64 {
        for code in 0..edera_scap::tables::EVENT_COUNT as u16 {
            let Some(c) = C::from_u16(code) else { continue };
            let mut e = ev(c, (rnd() % 8) as i64 + 99, round * 1000 + code as u64);
            for i in 0..32 {
                let len = match rnd() % 6 {
                    0 => 0,
                    1 => 1,
                    2 => 4,
                    3 => 8,
                    4 => 20,
                    _ => (rnd() % 64) as usize,
                };
                let mut v: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
                if rnd() % 3 == 0 {
                    v.push(0);
                }
                e = e.at(i, v);
            }
            let b = e.bytes();
            if let Ok(r) = RawEvent::parse(&b) {
                z.apply(&r);
            }
        }
    }
    assert!(z.threads.len() <= StateLimits::default().max_threads);
}

#[test]
fn lookup_answers_for_the_event() {
    use edera_falco_plugin::render::Lookup;
    use edera_falco_plugin::state::StateLookup;
    let mut z = zone(StateLimits::default());
    apply(&mut z, open(100, 10, 5, "rel/x", 2));
    let l = StateLookup(&z);
    assert!(l.has_thread());
    let f = l.fd(5).expect("fd 5");
    assert_eq!(
        (f.typechar, f.proto, f.name),
        (b'f', None, &b"/home/u/rel/x"[..])
    );
    assert_eq!(l.cwd(), Some(&b"/home/u/"[..]));
    assert_eq!(l.comm(1), Some(&b"init"[..]));
}

/// Events per second through `apply` (`cargo test --release -- --ignored --nocapture`).
#[test]
#[ignore]
fn apply_throughput() {
    use edera_scap::convert::{Converter, Outcome};
    use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scap");
    let mut events = Vec::new();
    let mut snapshots = Vec::new();
    for n in [
        "curl_google",
        "run_as_user_0_container",
        "sample",
        "single_ipv6_conn",
    ] {
        let Ok(mut r) = CaptureReader::open(
            dir.join(format!("{n}.scap")),
            GeneratedTable,
            Limits::default(),
        ) else {
            eprintln!("skipped: fixtures absent");
            return;
        };
        snapshots.push(r.read_state().unwrap());
        let mut c = Converter::default();
        let mut evs = Vec::new();
        while let Ok(Some(e)) = r.next_event() {
            if let Outcome::Pass(b) | Outcome::Converted(b) = c.convert(e.bytes()) {
                evs.push(b.to_vec());
            }
        }
        events.push(evs);
    }
    let seeded: Vec<ZoneState> = snapshots
        .iter()
        .map(|s| ZoneState::from_snapshot(s, StateLimits::default()))
        .collect();
    let (mut n, mut secs) = (0u64, 0f64);
    for _ in 0..50 {
        for (z0, evs) in seeded.iter().zip(&events) {
            let mut z = z0.clone();
            let start = std::time::Instant::now();
            for b in evs {
                z.apply(&RawEvent::parse(b).unwrap());
                n += 1;
            }
            secs += start.elapsed().as_secs_f64();
        }
    }
    println!("{n} events in {secs:.3}s: {:.0} events/s", n as f64 / secs);
}
