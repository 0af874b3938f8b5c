//! Synthetic events, one rendering fact per test: every parameter type and print format that
//! the event table uses, through the public `edera_falco_plugin::render` API.
//! (Files, paths, errnos, pids, signals, times and fd lists; see also `render_formats.rs`.)

mod render_support;

use edera_falco_plugin::render::{BufFmt, NoState, Options};
use render_support::*;

#[test]
fn fds_paths_and_flags() {
    let s = state();
    assert_eq!(
        args(&openat(3, -100, b"passwd\0"), &s),
        "fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=passwd(/home/u/passwd) \
         flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ino=42"
    );
    // Relative to a directory fd; to an unknown one (joined to nothing); absolute.
    assert!(args(&openat(3, 5, b"../etc/x\0"), &s).contains("name=../etc/x(/etc/x)"));
    assert!(args(&openat(3, 9, b"a/./b\0"), &s).contains("dirfd=9 name=a/./b(a/b)"));
    assert!(args(&openat(3, 5, b"/etc/x\0"), &s).contains("name=/etc/x flags"));
    // Without a thread: bare numbers, no joined paths.
    assert!(
        args(&openat(3, -100, b"passwd\0"), &NoState)
            .starts_with("fd=3 dirfd=-100 name=passwd flags")
    );
    // Failure: errno names need a thread too.
    assert_eq!(
        res(&openat(-2, -100, b"x\0"), &s),
        (Some("ENOENT".into()), Some(-2), Some(true))
    );
    assert_eq!(
        res(&openat(-2, -100, b"x\0"), &NoState).0.as_deref(),
        Some("-2")
    );
    assert_eq!(
        res(&openat(3, -100, b"x\0"), &s),
        (Some("SUCCESS".into()), Some(3), Some(false))
    );
    assert_eq!(
        arg(&openat(3, -100, b"x\0"), 0, &s).as_deref(),
        Some("<f>/etc/passwd")
    );
    assert_eq!(arg(&openat(3, -100, b"x\0"), 7, &s), None);
    // Simple format: no type characters.
    let simple = Options {
        buffer_format: BufFmt::SIMPLE,
        ..Options::default()
    };
    assert!(args_with(&openat(4, -100, b"/x\0"), &s, &simple).starts_with("fd=4(<>127.0.0.1"));
    assert!(
        args(&openat(4, -100, b"/x\0"), &s).starts_with("fd=4(<4t>127.0.0.1:43228->127.0.0.1:80)")
    );
    // Empty and legacy-null strings.
    assert!(args(&openat(3, -100, b""), &s).contains("name=<NA> flags"));
    assert!(args(&openat(3, -100, b"(NULL)\0"), &s).contains("name=<NA> flags"));
    assert!(args(&openat(3, -100, b"\0"), &s).contains("name= flags"));
}

#[test]
fn errnos_and_return_values() {
    let s = state();
    let close = |r: i64, fd: i64| build("PPME_SYSCALL_CLOSE_X", &[&le64(r), &le64(fd)]);
    assert_eq!(
        args(&close(-9, 3), &s),
        "res=-9(EBADF) fd=3(<f>/etc/passwd)"
    );
    assert_eq!(args(&close(-9999, 77), &s), "res=-9999 fd=77");
    assert_eq!(
        res(&close(-9999, 3), &s),
        (Some("-9999".into()), Some(-9999), Some(true))
    );
    assert_eq!(args(&close(0, -5), &s), "res=0 fd=-5(EIO)");
    // A 4-byte first parameter is a 32-bit return value; getuid has no EC_SYSCALL-less quirk.
    let getuid = |u: u32| build("PPME_SYSCALL_GETUID_X", &[&u.to_le_bytes()]);
    assert_eq!(args(&getuid(0), &s), "uid=0(root)");
    assert_eq!(args(&getuid(1000), &s), "uid=1000(<NA>)");
    assert_eq!(args(&getuid(u32::MAX), &s), "uid=-1(<NONE>)");
    assert_eq!(args(&getuid(3_000_000_000), &s), "uid=-1294967296(<NA>)");
    assert_eq!(
        res(&getuid(0), &s),
        (Some("SUCCESS".into()), Some(0), Some(false))
    );
    assert_eq!(
        res(&getuid(u32::MAX), &s),
        (Some("<NONE>".into()), Some(-1), Some(true))
    );
    // Enter events and non-syscall events have no return value.
    let proc_exit = build(
        "PPME_PROCEXIT_1_E",
        &[&le64(0), &le64(0), &[9], &[0], &le64(1)],
    );
    assert_eq!(res(&proc_exit, &s), (None, None, None));
}

#[test]
fn pids_signals_times() {
    let s = state();
    let kill = build("PPME_SYSCALL_KILL_X", &[&le64(0), &le64(42), &[9]]);
    assert_eq!(args(&kill, &s), "res=0 pid=42(bash) sig=9(SIGKILL)");
    let kill = build("PPME_SYSCALL_KILL_X", &[&le64(0), &le64(43), &[64]]);
    assert_eq!(args(&kill, &s), "res=0 pid=43 sig=64");
    let sleep = |ns: u64| build("PPME_SYSCALL_NANOSLEEP_X", &[&le64(0), &ns.to_le_bytes()]);
    assert_eq!(
        args(&sleep(1_500_000_000), &s),
        "res=0 interval=1500000000(1.5s)"
    );
    assert_eq!(args(&sleep(10), &s), "res=0 interval=10(1e-08s)");
    assert_eq!(args(&sleep(u64::MAX), &s), "res=0 interval=none");
    let ppoll = build(
        "PPME_SYSCALL_PPOLL_X",
        &[
            &le64(0),
            &[0, 0],
            &0u64.to_le_bytes(),
            &((1u32 << 1) | (1 << 14)).to_le_bytes(),
        ],
    );
    assert_eq!(
        args(&ppoll, &s),
        "res=0 fds= timeout=0(0s) sigmask=SIGINT SIGTERM"
    );
}

#[test]
fn fd_lists() {
    let s = state();
    let mut fds = vec![3u8, 0];
    for (fd, flags) in [(3i64, 1i16), (6, 0x41), (9, -32768)] {
        fds.extend_from_slice(&fd.to_le_bytes());
        fds.extend_from_slice(&flags.to_le_bytes());
    }
    let poll = build("PPME_SYSCALL_POLL_X", &[&le64(2), &fds, &le64(-1)]);
    assert_eq!(
        args(&poll, &s),
        "res=2 fds=3:f1 6:e41 9:?ffff8000 timeout=-1"
    );
    // A count larger than the data: only whole entries.
    fds[0] = 200;
    let poll = build("PPME_SYSCALL_POLL_X", &[&le64(2), &fds[..25], &le64(0)]);
    assert_eq!(arg(&poll, 1, &s).as_deref(), Some("3:f1 6:e41"));
    let poll = build("PPME_SYSCALL_POLL_X", &[&le64(2), &[], &le64(0)]);
    assert_eq!(args(&poll, &s), "res=2 fds=NULL timeout=0");
}
