//! `evt.abspath` and `evt.is_open_*` on synthetic events (the fixture captures have no
//! dirfd-relative calls and no creating opens).

mod state_support;

use edera_falco_plugin::fields::evt::{OpenTest, abspath_in, open_test};
use edera_falco_plugin::state::{StateLimits, ZoneState};
use edera_scap::event::RawEvent;
use edera_scap::file::{CaptureState, FdDetail, FdInfo, FdType, ThreadInfo};
use edera_scap::tables::EventCode as C;
use edera_scap::tables::{ppm_o, ppm_s};
use state_support::build::*;

const AT_FDCWD: i64 = -100;

/// A shell (100) in /home/u with the directory /etc open on fd 5.
fn zone() -> ZoneState {
    let mut s = CaptureState {
        threads: vec![ThreadInfo {
            tid: 100,
            pid: 100,
            ptid: 1,
            comm: "sh".into(),
            exe: "sh".into(),
            args: b"\0".to_vec(),
            cwd: b"/home/u/".to_vec(),
            fdlimit: 1024,
            ..Default::default()
        }],
        ..Default::default()
    };
    let etc = FdInfo {
        fd: 5,
        ino: 0,
        fd_type: FdType::Directory,
        raw_type: FdType::Directory.code(),
        detail: FdDetail::File {
            open_flags: ppm_o::RDONLY as u32,
            name: b"/etc".to_vec(),
            dev: None,
        },
    };
    s.fds.insert(100, vec![etc]);
    ZoneState::from_snapshot(&s, StateLimits::default())
}

/// `evt.abspath` (or its `dst` form) after applying `e`.
fn abspath(e: Ev, second: bool) -> Option<String> {
    let mut z = zone();
    let b = e.bytes();
    let ev = RawEvent::parse(&b).expect("event");
    z.apply(&ev);
    abspath_in(&z, &ev, second).map(|p| String::from_utf8_lossy(&p).into_owned())
}

fn mkdirat(dirfd: i64, path: &str) -> Ev {
    ev(C::SyscallMkdiratX, 100, 10)
        .p("res", i64b(0))
        .p("dirfd", i64b(dirfd))
        .p("path", st(path))
        .p("mode", u32b(0o755))
}

#[test]
fn abspath_joins_cwd_dirfd_or_nothing() {
    assert_eq!(
        abspath(mkdirat(AT_FDCWD, "a/./b"), false).as_deref(),
        Some("/home/u/a/b")
    );
    assert_eq!(abspath(mkdirat(5, "x"), false).as_deref(), Some("/etc/x"));
    assert_eq!(
        abspath(mkdirat(5, "/abs/../p"), false).as_deref(),
        Some("/p")
    );
    assert_eq!(
        abspath(mkdirat(9, "x"), false).as_deref(),
        Some("<UNKNOWN>/x")
    );
}

#[test]
fn abspath_of_rename_picks_old_or_new() {
    let e = || {
        ev(C::SyscallRenameat2X, 100, 10)
            .p("res", i64b(0))
            .p("olddirfd", i64b(AT_FDCWD))
            .p("oldpath", st("old"))
            .p("newdirfd", i64b(5))
            .p("newpath", st("new"))
    };
    assert_eq!(abspath(e(), false).as_deref(), Some("/home/u/old"));
    assert_eq!(abspath(e(), true).as_deref(), Some("/etc/new"));
}

#[test]
fn abspath_needs_both_parameters_and_a_covered_event() {
    let no_path = ev(C::SyscallMkdiratX, 100, 10)
        .p("res", i64b(0))
        .p("dirfd", i64b(AT_FDCWD));
    assert_eq!(abspath(no_path, false), None);
    let other = ev(C::SyscallOpenX, 100, 10)
        .p("fd", i64b(3))
        .p("name", st("/x"));
    assert_eq!(abspath(other, false), None);
}

#[test]
fn abspath_of_open_by_handle_at_only_on_success() {
    let e = |fd: i64| {
        ev(C::SyscallOpenByHandleAtX, 100, 10)
            .p("fd", i64b(fd))
            .p("mountfd", i64b(5))
            .p("flags", u32b(0))
            .p("path", st("/etc/passwd"))
    };
    assert_eq!(abspath(e(3), false).as_deref(), Some("/etc/passwd"));
    assert_eq!(abspath(e(-2), false), None);
}

fn openat(fd: i64, flags: u64, mode: u64) -> Vec<u8> {
    ev(C::SyscallOpenatV2X, 100, 10)
        .p("fd", i64b(fd))
        .p("dirfd", i64b(AT_FDCWD))
        .p("name", st("f"))
        .p("flags", u32b(flags as u32))
        .p("mode", u32b(mode as u32))
        .bytes()
}

fn tests_of(b: &[u8]) -> [bool; 4] {
    let ev = RawEvent::parse(b).expect("event");
    [
        OpenTest::Read,
        OpenTest::Write,
        OpenTest::Exec,
        OpenTest::Create,
    ]
    .map(|t| open_test(&ev, t))
}

#[test]
fn open_flags() {
    let rdwr_created_exec = openat(
        3,
        ppm_o::RDWR | ppm_o::CREAT | ppm_o::F_CREATED,
        ppm_s::IXUSR,
    );
    assert_eq!(tests_of(&rdwr_created_exec), [true, true, true, true]);
    // The mode counts only when the call creates.
    assert_eq!(
        tests_of(&openat(3, ppm_o::RDONLY, ppm_s::IXUSR)),
        [true, false, false, false]
    );
    // O_TMPFILE creates when the call succeeds.
    assert_eq!(
        tests_of(&openat(3, ppm_o::WRONLY | ppm_o::TMPFILE, 0)),
        [false, true, false, true]
    );
    assert_eq!(
        tests_of(&openat(-2, ppm_o::WRONLY | ppm_o::TMPFILE, 0)),
        [false, true, false, false]
    );
    let creat = ev(C::SyscallCreatX, 100, 10)
        .p("fd", i64b(3))
        .p("name", st("f"))
        .p("mode", u32b(ppm_s::IXOTH as u32))
        .bytes();
    assert_eq!(tests_of(&creat), [false, false, true, false]);
    let close = ev(C::SyscallCloseX, 100, 10).p("res", i64b(0)).bytes();
    assert_eq!(tests_of(&close), [false; 4]);
}
