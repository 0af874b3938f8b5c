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
    Covered { syscall: "setuid", params: &[("res", Ret), ("uid", Arg(0))] },
    Covered { syscall: "unlinkat", params: &[("res", Ret), ("dirfd", Arg(0)), ("name", Str(1)), ("flags", Arg(2))] },
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

/// Kernel-side argument kinds (`enum arg_kind` in `bpf/capture.bpf.c`) for one syscall: what
/// user memory to copy for each argument, and which argument holds a buffer's length.
pub fn arg_kinds(name: &str) -> ([u8; 6], [u8; 6]) {
    let (mut kind, mut len_arg) = ([0u8; 6], [0u8; 6]);
    for (_, src) in covered(name).map_or(&[][..], |c| c.params) {
        match *src {
            Str(i) => kind[usize::from(i)] = 1,
            BufArgLen(i, l) => {
                kind[usize::from(i)] = 2;
                len_arg[usize::from(i)] = l;
            }
            BufRetLen(i) => kind[usize::from(i)] = 3,
            _ => {}
        }
    }
    (kind, len_arg)
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
    fn kinds_follow_the_table() {
        let (kind, len) = arg_kinds("write");
        assert_eq!((kind[1], len[1]), (2, 2));
        assert_eq!(arg_kinds("openat").0[1], 1);
        assert_eq!(arg_kinds("read").0[1], 3);
    }
}
