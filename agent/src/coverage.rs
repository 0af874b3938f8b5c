//! Which syscalls the agent captures, and where each parameter of their exit event comes from.
//!
//! The event layouts (parameter names, types, order) come from the schema's event table; this
//! table only says, per syscall, which syscall argument or return value fills each parameter
//! and which arguments point to user memory the kernel side must copy. Parameters not listed
//! get libscap's empty value (zero for fixed-size types, an empty buffer otherwise) and are
//! reported by `uncovered`. Syscalls not listed here are captured as generic events.

use edera_scap::info::SyscallEntry;
use edera_scap::tables::syscalls;

/// Where one exit-event parameter comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The return value.
    Ret,
    /// Argument register `i`, as an integer.
    Arg(u8),
    /// Argument `i` is an `open` flags word, converted to PPM flags.
    OpenFlags(u8),
    /// Argument `i` points to a NUL-terminated string.
    Str(u8),
    /// Argument `i` points to a buffer of the length in argument `len`.
    BufArgLen(u8, u8),
    /// Argument `i` points to a buffer of the length of the (non-negative) return value.
    BufRetLen(u8),
}

/// One covered syscall: its name and the sources of its exit event's parameters, by name.
#[derive(Debug)]
pub struct Covered {
    pub syscall: &'static str,
    pub params: &'static [(&'static str, Source)],
}

use Source::*;

/// The covered syscalls (x86_64 names).
pub static COVERED: &[Covered] = &[
    Covered { syscall: "open", params: &[("fd", Ret), ("name", Str(0)), ("flags", OpenFlags(1)), ("mode", Arg(2))] },
    Covered { syscall: "openat", params: &[("fd", Ret), ("dirfd", Arg(0)), ("name", Str(1)), ("flags", OpenFlags(2)), ("mode", Arg(3))] },
    Covered { syscall: "close", params: &[("res", Ret), ("fd", Arg(0))] },
    Covered { syscall: "read", params: &[("res", Ret), ("data", BufRetLen(1)), ("fd", Arg(0)), ("size", Arg(2))] },
    Covered { syscall: "write", params: &[("res", Ret), ("data", BufArgLen(1, 2)), ("fd", Arg(0)), ("size", Arg(2))] },
    Covered { syscall: "chdir", params: &[("res", Ret), ("path", Str(0))] },
    Covered { syscall: "fchdir", params: &[("res", Ret), ("fd", Arg(0))] },
    Covered { syscall: "dup", params: &[("res", Ret), ("oldfd", Arg(0))] },
    Covered { syscall: "dup2", params: &[("res", Ret), ("oldfd", Arg(0)), ("newfd", Arg(1))] },
    // dup3's flags (O_CLOEXEC) are not converted yet and read as 0.
    Covered { syscall: "dup3", params: &[("res", Ret), ("oldfd", Arg(0)), ("newfd", Arg(1))] },
    // Native AF_* values equal the PPM ones for unix, inet and inet6; SOCK_* flags are not
    // converted yet (flags read as 0).
    Covered { syscall: "socket", params: &[("fd", Ret), ("domain", Arg(0)), ("type", Arg(1)), ("proto", Arg(2))] },
    Covered { syscall: "setgid", params: &[("res", Ret), ("gid", Arg(0))] },
    Covered { syscall: "kill", params: &[("res", Ret), ("pid", Arg(0)), ("sig", Arg(1))] },
    Covered { syscall: "setuid", params: &[("res", Ret), ("uid", Arg(0))] },
    Covered { syscall: "unlinkat", params: &[("res", Ret), ("dirfd", Arg(0)), ("name", Str(1)), ("flags", Arg(2))] },
    // Only the clone_args struct is listed: the process parameters come from `procinfo`.
    Covered { syscall: "clone3", params: &[("flags", BufArgLen(0, 1))] },
    Covered { syscall: "mkdirat", params: &[("res", Ret), ("dirfd", Arg(0)), ("path", Str(1)), ("mode", Arg(2))] },
];

/// The covered entry of a syscall name.
pub fn covered(name: &str) -> Option<&'static Covered> {
    COVERED.iter().find(|c| c.syscall == name)
}

/// The native syscall table of this machine's architecture.
pub fn native_table() -> &'static [SyscallEntry] {
    syscalls::X86_64
}

/// The entry of native syscall `nr`.
pub fn entry(nr: u32) -> Option<&'static SyscallEntry> {
    native_table().iter().find(|e| e.nr == nr)
}

/// What the kernel side copies for one syscall (`struct sc_desc` in `bpf/capture.bpf.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArgPlan {
    /// Per argument: 0 none, 1 string, 2 buffer with the length in `len_arg`, 3 buffer with
    /// the length of the return value (`enum arg_kind`).
    pub kind: [u8; 6],
    pub len_arg: [u8; 6],
    /// Per argument: its blob slot, `0xff` for none.
    pub slot: [u8; 6],
    /// Slots used.
    pub nblobs: u8,
}

/// The kernel-side plan of one syscall: slots are given to memory arguments in argument order,
/// at most [`crate::record::NBLOBS`] (the table below never needs more; a test checks it).
pub fn arg_plan(name: &str) -> ArgPlan {
    let mut p = ArgPlan { slot: [0xff; 6], ..ArgPlan::default() };
    let mut args: Vec<(u8, u8, u8)> = Vec::new();
    for (_, src) in covered(name).map_or(&[][..], |c| c.params) {
        match *src {
            Str(i) => args.push((i, 1, 0)),
            BufArgLen(i, l) => args.push((i, 2, l)),
            BufRetLen(i) => args.push((i, 3, 0)),
            _ => {}
        }
    }
    args.sort_unstable();
    for (k, (i, kind, len)) in args.into_iter().take(crate::record::NBLOBS).enumerate() {
        let i = usize::from(i);
        p.kind[i] = kind;
        p.len_arg[i] = len;
        p.slot[i] = k as u8;
        p.nblobs = k as u8 + 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use edera_scap::info::event_info;

    #[test]
    fn every_covered_syscall_and_parameter_exists_in_the_schema() {
        for c in COVERED {
            let e = native_table().iter().find(|e| e.name == c.syscall).unwrap_or_else(|| panic!("{}", c.syscall));
            let info = event_info(e.exit).unwrap();
            for (p, _) in c.params {
                assert!(info.param_index(p).is_some(), "{}: no parameter {p} in {}", c.syscall, info.id);
            }
        }
    }

    #[test]
    fn plans_follow_the_table() {
        let w = arg_plan("write");
        assert_eq!((w.kind[1], w.len_arg[1], w.slot[1], w.nblobs), (2, 2, 0, 1));
        assert_eq!(arg_plan("openat").kind[1], 1);
        assert_eq!(arg_plan("read").kind[1], 3);
        assert_eq!(arg_plan("close").nblobs, 0);
        for c in COVERED {
            let memory = c.params.iter().filter(|(_, s)| matches!(s, Str(_) | BufArgLen(..) | BufRetLen(_))).count();
            assert!(memory <= crate::record::NBLOBS, "{} needs {memory} slots", c.syscall);
        }
    }
}
