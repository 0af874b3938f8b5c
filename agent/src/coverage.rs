//! Which syscalls the agent captures, and where each parameter of their exit event comes from.
//!
//! The event layouts (parameter names, types, order) come from the schema's event table; this
//! table only says, per syscall, which syscall argument, return value or kernel object fills
//! each parameter, which arguments point to user memory the kernel side must copy, and which
//! file descriptor's file or socket the kernel side reads. Parameters not listed get libscap's
//! empty value (zero for fixed-size types, an empty buffer otherwise). Syscalls not listed
//! here are captured as generic events.

use crate::procinfo::Process;
use edera_scap::info::SyscallEntry;
use edera_scap::libsinsp;
use edera_scap::tables::syscalls;

/// Where one exit-event parameter comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The return value.
    Ret,
    /// Argument register `i`, as an integer.
    Arg(u8),
    /// Argument `i` is an `open` flags word, converted to PPM flags (plus `O_F_CREATED` when
    /// the kernel says the call created the file).
    OpenFlags(u8),
    /// Argument `i` holds `SOCK_*` type flags (socket, socketpair, accept4), as PPM flags.
    SockFlags(u8),
    /// Argument `i` holds `O_CLOEXEC`-style flags (dup3, pipe2), as PPM open flags.
    CloexecFlags(u8),
    /// Argument `i` points to a NUL-terminated string.
    Str(u8),
    /// Argument `i` points to a buffer of the length in argument `len`.
    BufArgLen(u8, u8),
    /// Argument `i` points to a buffer of the length of the (non-negative) return value.
    BufRetLen(u8),
    /// Argument `i` points to a `struct sockaddr` of the length in argument `len`.
    Sockaddr(u8, u8),
    /// Argument `i` points to an `int[2]` the call filled; fd number `k` of it.
    FdOfPair(u8, u8),
    /// The socket tuple of the call's socket, local end first (connect, sendto); the remote
    /// end falls back to the sockaddr at argument `i` when the socket has none (connect's
    /// failure, an unconnected UDP sendto). Empty when the call failed, except EINPROGRESS.
    TupleOut(Option<u8>),
    /// The socket tuple of the call's socket, remote end first (accept, recvfrom).
    TupleIn,
    /// The kernel address of the call's socket, and of its unix peer.
    SockSk,
    SockPeer,
    /// Device and inode of the call's file.
    Dev,
    Ino,
}

/// Which file descriptor's kernel objects the kernel side reads (`enum fd_src`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdFrom {
    None,
    Ret,
    Arg(u8),
    /// The first int of the `int[2]` at argument `i` (pipe, socketpair).
    IntAt(u8),
}

/// One covered syscall: its name, the fd whose kernel objects are read, and the sources of
/// its exit event's parameters, by name.
#[derive(Debug)]
pub struct Covered {
    pub syscall: &'static str,
    pub fd: FdFrom,
    pub params: &'static [(&'static str, Source)],
}

use Source::*;

const fn c(
    syscall: &'static str,
    fd: FdFrom,
    params: &'static [(&'static str, Source)],
) -> Covered {
    Covered {
        syscall,
        fd,
        params,
    }
}

/// The covered syscalls (x86_64 names).
pub static COVERED: &[Covered] = &[
    c(
        "open",
        FdFrom::Ret,
        &[
            ("fd", Ret),
            ("name", Str(0)),
            ("flags", OpenFlags(1)),
            ("mode", Arg(2)),
            ("dev", Dev),
            ("ino", Ino),
        ],
    ),
    c(
        "openat",
        FdFrom::Ret,
        &[
            ("fd", Ret),
            ("dirfd", Arg(0)),
            ("name", Str(1)),
            ("flags", OpenFlags(2)),
            ("mode", Arg(3)),
            ("dev", Dev),
            ("ino", Ino),
        ],
    ),
    c(
        "creat",
        FdFrom::Ret,
        &[
            ("fd", Ret),
            ("name", Str(0)),
            ("mode", Arg(1)),
            ("dev", Dev),
            ("ino", Ino),
        ],
    ),
    c("close", FdFrom::None, &[("res", Ret), ("fd", Arg(0))]),
    c(
        "read",
        FdFrom::None,
        &[
            ("res", Ret),
            ("data", BufRetLen(1)),
            ("fd", Arg(0)),
            ("size", Arg(2)),
        ],
    ),
    c(
        "write",
        FdFrom::None,
        &[
            ("res", Ret),
            ("data", BufArgLen(1, 2)),
            ("fd", Arg(0)),
            ("size", Arg(2)),
        ],
    ),
    c(
        "pread64",
        FdFrom::None,
        &[
            ("res", Ret),
            ("data", BufRetLen(1)),
            ("fd", Arg(0)),
            ("size", Arg(2)),
            ("pos", Arg(3)),
        ],
    ),
    c(
        "pwrite64",
        FdFrom::None,
        &[
            ("res", Ret),
            ("data", BufArgLen(1, 2)),
            ("fd", Arg(0)),
            ("size", Arg(2)),
            ("pos", Arg(3)),
        ],
    ),
    c("chdir", FdFrom::None, &[("res", Ret), ("path", Str(0))]),
    c("fchdir", FdFrom::None, &[("res", Ret), ("fd", Arg(0))]),
    c("dup", FdFrom::None, &[("res", Ret), ("oldfd", Arg(0))]),
    c(
        "dup2",
        FdFrom::None,
        &[("res", Ret), ("oldfd", Arg(0)), ("newfd", Arg(1))],
    ),
    c(
        "dup3",
        FdFrom::None,
        &[
            ("res", Ret),
            ("oldfd", Arg(0)),
            ("newfd", Arg(1)),
            ("flags", CloexecFlags(2)),
        ],
    ),
    c(
        "fcntl",
        FdFrom::None,
        &[
            ("res", Ret),
            ("fd", Arg(0)),
            ("cmd", Arg(1)),
            ("arg", Arg(2)),
        ],
    ),
    c(
        "pipe",
        FdFrom::IntAt(0),
        &[
            ("res", Ret),
            ("fd1", FdOfPair(0, 0)),
            ("fd2", FdOfPair(0, 1)),
            ("ino", Ino),
        ],
    ),
    c(
        "pipe2",
        FdFrom::IntAt(0),
        &[
            ("res", Ret),
            ("fd1", FdOfPair(0, 0)),
            ("fd2", FdOfPair(0, 1)),
            ("ino", Ino),
            ("flags", CloexecFlags(1)),
        ],
    ),
    // Native AF_* values equal the PPM ones for unix, inet and inet6.
    c(
        "socket",
        FdFrom::None,
        &[
            ("fd", Ret),
            ("domain", Arg(0)),
            ("type", Arg(1)),
            ("proto", Arg(2)),
            ("flags", SockFlags(1)),
        ],
    ),
    c(
        "socketpair",
        FdFrom::IntAt(3),
        &[
            ("res", Ret),
            ("fd1", FdOfPair(3, 0)),
            ("fd2", FdOfPair(3, 1)),
            ("source", SockSk),
            ("peer", SockPeer),
            ("domain", Arg(0)),
            ("type", Arg(1)),
            ("proto", Arg(2)),
        ],
    ),
    c(
        "bind",
        FdFrom::None,
        &[("res", Ret), ("addr", Sockaddr(1, 2)), ("fd", Arg(0))],
    ),
    c(
        "listen",
        FdFrom::None,
        &[("res", Ret), ("fd", Arg(0)), ("backlog", Arg(1))],
    ),
    c(
        "connect",
        FdFrom::Arg(0),
        &[
            ("res", Ret),
            ("tuple", TupleOut(Some(1))),
            ("fd", Arg(0)),
            ("addr", Sockaddr(1, 2)),
        ],
    ),
    c("accept", FdFrom::Ret, &[("fd", Ret), ("tuple", TupleIn)]),
    c(
        "accept4",
        FdFrom::Ret,
        &[("fd", Ret), ("tuple", TupleIn), ("flags", Arg(3))],
    ),
    c(
        "sendto",
        FdFrom::Arg(0),
        &[
            ("res", Ret),
            ("data", BufArgLen(1, 2)),
            ("fd", Arg(0)),
            ("size", Arg(2)),
            ("tuple", TupleOut(Some(4))),
        ],
    ),
    c(
        "recvfrom",
        FdFrom::Arg(0),
        &[
            ("res", Ret),
            ("data", BufRetLen(1)),
            ("tuple", TupleIn),
            ("fd", Arg(0)),
            ("size", Arg(2)),
        ],
    ),
    c(
        "shutdown",
        FdFrom::None,
        &[("res", Ret), ("fd", Arg(0)), ("how", Arg(1))],
    ),
    c("setgid", FdFrom::None, &[("res", Ret), ("gid", Arg(0))]),
    c("setuid", FdFrom::None, &[("res", Ret), ("uid", Arg(0))]),
    c("setsid", FdFrom::None, &[("res", Ret)]),
    c(
        "setpgid",
        FdFrom::None,
        &[("res", Ret), ("pid", Arg(0)), ("pgid", Arg(1))],
    ),
    c(
        "kill",
        FdFrom::None,
        &[("res", Ret), ("pid", Arg(0)), ("sig", Arg(1))],
    ),
    c(
        "tgkill",
        FdFrom::None,
        &[
            ("res", Ret),
            ("pid", Arg(0)),
            ("tid", Arg(1)),
            ("sig", Arg(2)),
        ],
    ),
    c(
        "unlinkat",
        FdFrom::None,
        &[
            ("res", Ret),
            ("dirfd", Arg(0)),
            ("name", Str(1)),
            ("flags", Arg(2)),
        ],
    ),
    c("unlink", FdFrom::None, &[("res", Ret), ("path", Str(0))]),
    c(
        "mkdir",
        FdFrom::None,
        &[("res", Ret), ("path", Str(0)), ("mode", Arg(1))],
    ),
    c(
        "mkdirat",
        FdFrom::None,
        &[
            ("res", Ret),
            ("dirfd", Arg(0)),
            ("path", Str(1)),
            ("mode", Arg(2)),
        ],
    ),
    c(
        "renameat2",
        FdFrom::None,
        &[
            ("res", Ret),
            ("olddirfd", Arg(0)),
            ("oldpath", Str(1)),
            ("newdirfd", Arg(2)),
            ("newpath", Str(3)),
            ("flags", Arg(4)),
        ],
    ),
    c(
        "rename",
        FdFrom::None,
        &[("res", Ret), ("oldpath", Str(0)), ("newpath", Str(1))],
    ),
    c(
        "setresuid",
        FdFrom::None,
        &[
            ("res", Ret),
            ("ruid", Arg(0)),
            ("euid", Arg(1)),
            ("suid", Arg(2)),
        ],
    ),
    c(
        "setresgid",
        FdFrom::None,
        &[
            ("res", Ret),
            ("rgid", Arg(0)),
            ("egid", Arg(1)),
            ("sgid", Arg(2)),
        ],
    ),
    c(
        "setreuid",
        FdFrom::None,
        &[("res", Ret), ("ruid", Arg(0)), ("euid", Arg(1))],
    ),
    c(
        "setregid",
        FdFrom::None,
        &[("res", Ret), ("rgid", Arg(0)), ("egid", Arg(1))],
    ),
    c("chroot", FdFrom::None, &[("res", Ret), ("path", Str(0))]),
    c("rmdir", FdFrom::None, &[("res", Ret), ("path", Str(0))]),
    c(
        "link",
        FdFrom::None,
        &[("res", Ret), ("oldpath", Str(0)), ("newpath", Str(1))],
    ),
    // linkat's and fchownat's AT_* flags are not converted yet (read as 0).
    c(
        "linkat",
        FdFrom::None,
        &[
            ("res", Ret),
            ("olddir", Arg(0)),
            ("oldpath", Str(1)),
            ("newdir", Arg(2)),
            ("newpath", Str(3)),
        ],
    ),
    c(
        "symlink",
        FdFrom::None,
        &[("res", Ret), ("target", Str(0)), ("linkpath", Str(1))],
    ),
    c(
        "symlinkat",
        FdFrom::None,
        &[
            ("res", Ret),
            ("target", Str(0)),
            ("linkdirfd", Arg(1)),
            ("linkpath", Str(2)),
        ],
    ),
    // PPM mode bits, lseek whence and access modes equal the native values.
    c(
        "chmod",
        FdFrom::None,
        &[("res", Ret), ("filename", Str(0)), ("mode", Arg(1))],
    ),
    c(
        "fchmod",
        FdFrom::None,
        &[("res", Ret), ("fd", Arg(0)), ("mode", Arg(1))],
    ),
    c(
        "fchmodat",
        FdFrom::None,
        &[
            ("res", Ret),
            ("dirfd", Arg(0)),
            ("filename", Str(1)),
            ("mode", Arg(2)),
        ],
    ),
    c(
        "chown",
        FdFrom::None,
        &[
            ("res", Ret),
            ("path", Str(0)),
            ("uid", Arg(1)),
            ("gid", Arg(2)),
        ],
    ),
    c(
        "fchownat",
        FdFrom::None,
        &[
            ("res", Ret),
            ("dirfd", Arg(0)),
            ("pathname", Str(1)),
            ("uid", Arg(2)),
            ("gid", Arg(3)),
        ],
    ),
    c(
        "lseek",
        FdFrom::None,
        &[
            ("res", Ret),
            ("fd", Arg(0)),
            ("offset", Arg(1)),
            ("whence", Arg(2)),
        ],
    ),
    c(
        "access",
        FdFrom::None,
        &[("res", Ret), ("name", Str(0)), ("mode", Arg(1))],
    ),
    c(
        "newfstatat",
        FdFrom::None,
        &[("res", Ret), ("dirfd", Arg(0)), ("path", Str(1))],
    ),
    // memfd_create's MFD_* flags are not converted yet (read as 0).
    c(
        "memfd_create",
        FdFrom::None,
        &[("fd", Ret), ("name", Str(0))],
    ),
    // Only the clone_args struct is listed: the process parameters come from `procinfo`.
    c("clone3", FdFrom::None, &[("flags", BufArgLen(0, 1))]),
];

/// The covered entry of a syscall name.
pub fn covered(name: &str) -> Option<&'static Covered> {
    COVERED.iter().find(|c| c.syscall == name)
}

/// How a syscall's exit event is filled.
#[derive(Debug)]
pub enum Fill {
    /// A process event (clone, fork, vfork, clone3, execve, execveat): see `procinfo`.
    Process(Process),
    /// The event's parameters in layout order, each with its source (`None`: libscap's
    /// empty value).
    Sources(Vec<Option<Source>>),
    /// Not covered: a generic event.
    Generic,
}

/// What the encoder needs of one native syscall, resolved by number and parameter name once,
/// so that encoding a record compares no names.
#[derive(Debug)]
pub struct Syscall {
    pub entry: &'static SyscallEntry,
    pub plan: ArgPlan,
    pub exit: Fill,
    /// The enter event's sources, for the covered syscalls whose enter event libscap emits.
    pub enter: Option<Vec<Option<Source>>>,
}

/// The sources of event `code`'s parameters, in layout order, from `c`.
fn sources(code: u16, c: &Covered) -> Option<Vec<Option<Source>>> {
    let info = edera_scap::info::event_info(code)?;
    Some(
        info.params
            .iter()
            .map(|p| c.params.iter().find(|(n, _)| *n == p.name).map(|(_, s)| *s))
            .collect(),
    )
}

fn resolve(e: &'static SyscallEntry) -> Syscall {
    let covered = covered(e.name);
    let exit = match (Process::of(e.exit), covered) {
        (Some(p), _) => Fill::Process(p),
        (None, Some(c)) => sources(e.exit, c).map_or(Fill::Generic, Fill::Sources),
        (None, None) => Fill::Generic,
    };
    // The enter events libscap still emits (libsinsp parses them for state).
    let enter = covered
        .filter(|_| libsinsp::toctou_enter(e.enter))
        .and_then(|c| sources(e.enter, c));
    Syscall {
        entry: e,
        plan: arg_plan(e.name),
        exit,
        enter,
    }
}

/// The native syscall `nr`, from a table indexed by number (built on first use).
pub fn syscall(nr: u32) -> Option<&'static Syscall> {
    static TABLE: std::sync::OnceLock<Vec<Option<Syscall>>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let max = syscalls::NATIVE
            .iter()
            .map(|e| e.nr as usize + 1)
            .max()
            .unwrap_or(0);
        let mut t: Vec<Option<Syscall>> = (0..max).map(|_| None).collect();
        for e in syscalls::NATIVE {
            t[e.nr as usize] = Some(resolve(e));
        }
        t
    });
    table.get(nr as usize)?.as_ref()
}

/// The entry of native syscall `nr`.
pub fn entry(nr: u32) -> Option<&'static SyscallEntry> {
    syscall(nr).map(|s| s.entry)
}

/// `enum arg_kind` of the kernel side.
pub mod kind {
    pub const STRING: u8 = 1;
    pub const BUFFER_LEN_ARG: u8 = 2;
    pub const BUFFER_LEN_RET: u8 = 3;
    pub const FD_PAIR: u8 = 4;
}

/// What the kernel side copies and reads for one syscall (`struct sc_desc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArgPlan {
    /// Per argument: its [`kind`] (0 none), and the argument holding its length.
    pub kind: [u8; 6],
    pub len_arg: [u8; 6],
    /// Per argument: its blob slot, `0xff` for none.
    pub slot: [u8; 6],
    /// Slots used.
    pub nblobs: u8,
    /// `enum fd_src`: 0 none, 1 the return value, 2 + i argument i, 8 + i the int at argument i.
    pub fd_src: u8,
    /// Bit 1: read the fd's file (dev, ino, created); bit 2: its socket; bit 4: the thread's
    /// comm and argument area ([`WANT_PROC`]).
    pub want: u8,
}

/// The kernel-side plan of one syscall: slots are given to memory arguments in argument order,
/// at most [`crate::record::NBLOBS`] (the table never needs more; a test checks it).
pub fn arg_plan(name: &str) -> ArgPlan {
    let mut p = ArgPlan {
        slot: [0xff; 6],
        ..ArgPlan::default()
    };
    // Process events also carry the thread's comm and argument area (the last blob slot).
    let process = syscalls::native_by_name(name).and_then(|e| Process::of(e.exit));
    if let Some(kind) = process {
        p.want |= WANT_PROC;
        p.nblobs = crate::record::NBLOBS as u8;
        if kind == Process::Exec {
            p.want |= WANT_ENV;
        }
    }
    let Some(c) = covered(name) else { return p };
    let mut args: Vec<(u8, u8, u8)> = Vec::new();
    for (_, src) in c.params {
        match *src {
            Str(i) => args.push((i, kind::STRING, 0)),
            BufArgLen(i, l) | Sockaddr(i, l) => args.push((i, kind::BUFFER_LEN_ARG, l)),
            BufRetLen(i) => args.push((i, kind::BUFFER_LEN_RET, 0)),
            FdOfPair(i, _) => args.push((i, kind::FD_PAIR, 0)),
            Dev | Ino => p.want |= 1,
            TupleOut(_) | TupleIn | SockSk | SockPeer => p.want |= 2,
            _ => {}
        }
    }
    args.sort_unstable();
    args.dedup_by_key(|a| a.0);
    for (k, (i, kind, len)) in args.into_iter().take(crate::record::NBLOBS).enumerate() {
        let i = usize::from(i);
        p.kind[i] = kind;
        p.len_arg[i] = len;
        p.slot[i] = k as u8;
        p.nblobs = k as u8 + 1;
    }
    p.fd_src = match c.fd {
        FdFrom::None => 0,
        FdFrom::Ret => 1,
        FdFrom::Arg(i) => 2 + i,
        FdFrom::IntAt(i) => 8 + i,
    };
    if p.fd_src == 0 {
        p.want &= WANT_PROC | WANT_ENV;
    }
    if process.is_some() {
        p.nblobs = crate::record::NBLOBS as u8;
    }
    p
}

/// `want` bit: read the thread's comm, ids, limits and argument area (process events).
pub const WANT_PROC: u8 = 4;
/// `want` bit: read the process's environment area into the first blob slot (execve).
pub const WANT_ENV: u8 = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use edera_scap::info::event_info;

    #[test]
    fn every_covered_syscall_and_parameter_exists_in_the_schema() {
        for c in COVERED {
            let e = syscalls::native_by_name(c.syscall).unwrap_or_else(|| panic!("{}", c.syscall));
            let info = event_info(e.exit).unwrap();
            for (p, _) in c.params {
                assert!(
                    info.param_index(p).is_some(),
                    "{}: no parameter {p} in {}",
                    c.syscall,
                    info.id
                );
            }
        }
    }

    #[test]
    fn plans_follow_the_table() {
        let w = arg_plan("write");
        assert_eq!(
            (w.kind[1], w.len_arg[1], w.slot[1], w.nblobs, w.want),
            (2, 2, 0, 1, 0)
        );
        assert_eq!(arg_plan("openat").kind[1], 1);
        assert_eq!((arg_plan("openat").fd_src, arg_plan("openat").want), (1, 1));
        assert_eq!(arg_plan("read").kind[1], 3);
        assert_eq!(arg_plan("close").nblobs, 0);
        let conn = arg_plan("connect");
        assert_eq!(
            (conn.fd_src, conn.want, conn.kind[1], conn.len_arg[1]),
            (2, 2, 2, 2)
        );
        let pair = arg_plan("socketpair");
        assert_eq!(
            (pair.fd_src, pair.want, pair.kind[3]),
            (11, 2, kind::FD_PAIR)
        );
        for c in COVERED {
            let mut memory: Vec<u8> = c
                .params
                .iter()
                .filter_map(|(_, s)| match s {
                    Str(i) | BufArgLen(i, _) | BufRetLen(i) | Sockaddr(i, _) | FdOfPair(i, _) => {
                        Some(*i)
                    }
                    _ => None,
                })
                .collect();
            memory.dedup();
            assert!(
                memory.len() <= crate::record::NBLOBS,
                "{} needs {} slots",
                c.syscall,
                memory.len()
            );
        }
    }
}
