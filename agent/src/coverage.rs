//! Which syscalls the agent captures, and where each parameter of their exit event comes from.
//!
//! The event layouts (parameter names, types, order) come from the schema's event table; the
//! plan ([`COVERED`], generated from `agent/capture.toml`) only says, per syscall, which syscall
//! argument, return value or kernel object fills each parameter. From it this module derives
//! what the kernel side copies from user memory and reads (the `sc_desc` of each syscall) and
//! resolves each syscall's sources in layout order once. Parameters without a source get
//! libscap's empty value (zero for fixed-size types, an empty buffer otherwise); syscalls
//! without a row are captured as generic events.

use crate::procinfo::Process;
use edera_scap::info::SyscallEntry;
use edera_scap::libsinsp;
use edera_scap::tables::syscalls;
use param_source::{FdFrom, MmsgPart, ParamSource::*};

/// Where one exit-event parameter comes from (the plan's literals; flag tables by reference).
pub type ParamSource = param_source::ParamSource<&'static FlagMap>;

/// Native flag values of one PPM flag table (x86_64), as `agent/capture.toml` gives them.
#[derive(Debug, PartialEq, Eq)]
pub enum FlagMap {
    /// The PPM values are the native ones.
    Identity,
    /// (native bits, PPM value): a native flag adds its PPM value when any of its bits is set,
    /// as the driver's `flags & O_X` tests do (`O_TMPFILE` is `__O_TMPFILE | O_DIRECTORY`: an
    /// `O_DIRECTORY` open carries `PPM_O_TMPFILE` too, as the modern probe sends it).
    Bits(&'static [(u64, u64)]),
    /// (native value, PPM value) of an enumeration; 0 for values not listed.
    Values(&'static [(u64, u64)]),
    /// (mask, magic, then): a word whose bits under the mask are the magic number has them
    /// cleared, then is converted with the inner map.
    Magic(u64, u64, &'static FlagMap),
}

impl FlagMap {
    /// The PPM value of the native word `native`.
    pub fn convert(&self, native: u64) -> u64 {
        match self {
            FlagMap::Identity => native,
            FlagMap::Bits(bits) => bits
                .iter()
                .filter(|(n, _)| native & n != 0)
                .fold(0, |acc, (_, v)| acc | v),
            FlagMap::Values(values) => values
                .iter()
                .find(|(n, _)| *n == native)
                .map_or(0, |(_, v)| *v),
            FlagMap::Magic(mask, magic, then) if native & mask == *magic => {
                then.convert(native & !mask)
            }
            FlagMap::Magic(_, _, then) => then.convert(native),
        }
    }
}

/// One covered syscall: its name, the fd whose kernel objects are read, and the sources of
/// its exit event's parameters, by name.
#[derive(Debug)]
pub struct Covered {
    pub syscall: &'static str,
    pub fd: FdFrom,
    pub params: &'static [(&'static str, ParamSource)],
}

/// The plan generated from `agent/capture.toml` (`build.rs`; read it with
/// `cargo run -p codegen -- emit DIR`): [`COVERED`], the native flag tables, and the
/// constants and records shared with the kernel side (`plan::ScDesc`, and the byte offsets
/// [`crate::record`] reads with).
pub mod plan {
    include!(concat!(env!("OUT_DIR"), "/capture_plan.rs"));
}

pub use plan::COVERED;
use plan::{
    WANT_CAPS, WANT_CONTROL, WANT_ENV, WANT_FILE, WANT_MM, WANT_PATH, WANT_PROC, WANT_QUEUE,
    WANT_SOCK, fd_src, kind,
};

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
    Sources(Vec<Option<ParamSource>>),
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
    pub enter: Option<Vec<Option<ParamSource>>>,
}

/// The sources of event `code`'s parameters, in layout order, from `c`.
fn sources(code: u16, c: &Covered) -> Option<Vec<Option<ParamSource>>> {
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
    /// [`fd_src`]: none, the return value, an argument, or the int at an argument.
    pub fd_src: u8,
    /// `WANT_*` bits: what the kernel side reads besides the arguments.
    pub want: u16,
    /// An argument copied a second way, into a slot of its own.
    pub second: Option<SecondCopy>,
}

/// The second way one argument is copied (a string, a buffer or a struct, as the call's
/// command says it is: fsconfig's value, quotactl's quota file or structs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondCopy {
    pub arg: u8,
    pub kind: u8,
    pub len_arg: u8,
    pub slot: u8,
}

impl ArgPlan {
    /// The blob slot of argument `arg` copied as `kind` (`0xff` for none).
    pub fn slot_of(&self, arg: u8, kind: u8) -> u8 {
        match self.second {
            Some(s) if s.arg == arg && s.kind == kind => s.slot,
            _ => self.slot.get(usize::from(arg)).copied().unwrap_or(0xff),
        }
    }
}

/// The kernel-side plan of one syscall: slots are given to memory arguments in argument order,
/// then to the argument read a second way, at most [`crate::record::NBLOBS`] (codegen checks
/// the table never needs more).
pub fn arg_plan(name: &str) -> ArgPlan {
    let mut p = ArgPlan {
        slot: [0xff; 6],
        ..ArgPlan::default()
    };
    // Process events also carry the thread's comm and argument area (the last blob slot).
    let process = syscalls::native_by_name(name).and_then(|e| Process::of(e.exit));
    if let Some(kind) = process {
        p.want |= WANT_PROC | WANT_MM;
        p.nblobs = crate::record::NBLOBS as u8;
        if kind == Process::Exec {
            p.want |= WANT_ENV;
        }
    }
    let Some(c) = covered(name) else { return p };
    let mut args: Vec<(u8, u8, u8)> = Vec::new();
    for src in c.params.iter().flat_map(|(_, src)| src.copies()) {
        match src {
            Str(i) => args.push((i, kind::STRING, 0)),
            BufArgLen(i, l) | Sockaddr(i, l) => args.push((i, kind::BUFFER_LEN_ARG, l)),
            BufRetLen(i) => args.push((i, kind::BUFFER_LEN_RET, 0)),
            FdOfPair(i, _) => args.push((i, kind::FD_PAIR, 0)),
            // A struct is copied up to the end of its last field used.
            Field { arg, off, size }
            | FlagsField { arg, off, size, .. }
            | OpenFlagsField { arg, off, size } => args.push((arg, kind::FIXED, off + size)),
            Reltime(i) => args.push((i, kind::FIXED, 16)),
            Fdlist { arg, count, .. } => args.push((arg, kind::ARRAY8, count)),
            Iovec {
                arg,
                count,
                ret: false,
            } => args.push((arg, kind::IOVEC, count)),
            Iovec {
                arg,
                count,
                ret: true,
            } => args.push((arg, kind::IOVEC_LEN_RET, count)),
            MsgIovec { arg, ret: false } => args.push((arg, kind::MSGHDR, 0)),
            MsgIovec { arg, ret: true } => args.push((arg, kind::MSGHDR_LEN_RET, 0)),
            Mmsg { arg, what } => {
                args.push((arg, kind::MMSGHDR, 0));
                if what == MmsgPart::Control {
                    p.want |= WANT_CONTROL;
                }
            }
            // Up to the given length; a length the call returns in memory is not known
            // before the copy: the first 16 bytes (an int, a u64, a timeval).
            Sockopt {
                val,
                len,
                len_at: false,
                ..
            } => args.push((val, kind::BUFFER_LEN_ARG, len)),
            Sockopt {
                val,
                len,
                len_at: true,
                ..
            } => {
                args.push((val, kind::FIXED, 16));
                args.push((len, kind::FIXED, 4));
            }
            // The word a PEEK request read.
            PtraceData { arg, .. } => args.push((arg, kind::FIXED, 8)),
            // The sockaddr a tuple's remote end falls back to: its length is the next argument
            // (connect, sendto).
            TupleOut(Some(i)) => {
                args.push((i, kind::BUFFER_LEN_ARG, i + 1));
                p.want |= WANT_SOCK;
            }
            Dev | Ino => p.want |= WANT_FILE,
            TupleOut(_) | TupleIn | SockSk | SockPeer => p.want |= WANT_SOCK,
            VmSize | VmRss | VmSwap => p.want |= WANT_MM,
            QueueLen | QueueMax | QueuePct => p.want |= WANT_QUEUE,
            CapInheritable | CapPermitted | CapEffective => p.want |= WANT_CAPS,
            FdPath => p.want |= WANT_PATH,
            MsgControl(_) => p.want |= WANT_CONTROL,
            _ => {}
        }
    }
    // Sorted by argument, then kind, then length: the last of an argument's fixed-size
    // entries has the longest copy.
    args.sort_unstable();
    args.reverse();
    args.dedup_by_key(|a| (a.0, a.1));
    args.reverse();
    // Each argument's first way gets a slot, in argument order; the one argument the plan
    // may read a second way gets the slot after them.
    let (mut slots, mut second) = (0u8, None);
    for (n, &(i, kind, len)) in args.iter().enumerate() {
        if n > 0 && args[n - 1].0 == i {
            second = Some((i, kind, len));
            continue;
        }
        if usize::from(slots) == crate::record::NBLOBS {
            break;
        }
        let i = usize::from(i);
        p.kind[i] = kind;
        p.len_arg[i] = len;
        p.slot[i] = slots;
        slots += 1;
    }
    if let Some((arg, kind, len_arg)) = second
        && usize::from(slots) < crate::record::NBLOBS
    {
        p.second = Some(SecondCopy {
            arg,
            kind,
            len_arg,
            slot: slots,
        });
        slots += 1;
    }
    p.nblobs = p.nblobs.max(slots);
    p.fd_src = match c.fd {
        FdFrom::None => fd_src::NONE,
        FdFrom::Ret => fd_src::RET,
        FdFrom::Arg(i) => fd_src::ARG0 + i,
        FdFrom::IntAt(i) => fd_src::INT_AT_ARG0 + i,
    };
    if p.fd_src == fd_src::NONE {
        p.want &= !(WANT_FILE | WANT_SOCK | WANT_PATH);
    }
    if process.is_some() {
        p.nblobs = crate::record::NBLOBS as u8;
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
    fn magic_words_are_dropped_before_conversion() {
        // mount(2)'s MS_MGC_VAL: MS_RDONLY | MS_NOSUID under it, and without it.
        assert_eq!(plan::MOUNT_FLAGS.convert(0xc0ed_0003), 3);
        assert_eq!(plan::MOUNT_FLAGS.convert(3), 3);
        // Bits under the mask that are not the magic word are flags.
        assert_eq!(plan::MOUNT_FLAGS.convert(0x0001_0001), 0x0001_0001);
    }

    #[test]
    fn a_flag_is_set_when_any_of_its_native_bits_is() {
        let ppm = |name: &str| {
            edera_scap::tables::flags::FILE_FLAGS
                .entries
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .unwrap()
        };
        // O_DIRECTORY (0o200000) is one of O_TMPFILE's bits (0o20200000), O_DSYNC (0o10000)
        // one of O_SYNC's (0o4010000): the driver's `flags & O_X` tests set both.
        assert_eq!(
            plan::FILE_FLAGS.convert(0o200000),
            ppm("O_DIRECTORY") | ppm("O_TMPFILE")
        );
        assert_eq!(
            plan::FILE_FLAGS.convert(0o10000),
            ppm("O_DSYNC") | ppm("O_SYNC")
        );
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
        // A struct is copied up to its last field used (rlimit: cur and max, 16 bytes).
        let prlimit = arg_plan("prlimit64");
        assert_eq!(
            (prlimit.kind[2], prlimit.len_arg[2], prlimit.slot[2]),
            (kind::FIXED, 16, 0)
        );
        assert_eq!(
            (prlimit.kind[3], prlimit.len_arg[3], prlimit.slot[3]),
            (kind::FIXED, 16, 1)
        );
        assert_eq!(
            (arg_plan("ptrace").kind[3], arg_plan("ptrace").len_arg[3]),
            (kind::FIXED, 8)
        );
        let mmap = arg_plan("mmap");
        assert_eq!(
            (mmap.want, mmap.nblobs, mmap.fd_src),
            (WANT_MM, 0, fd_src::NONE)
        );
        // sendto's data and the destination sockaddr (addrlen in the next argument).
        let sendto = arg_plan("sendto");
        assert_eq!(
            (
                sendto.kind[4],
                sendto.len_arg[4],
                sendto.slot[4],
                sendto.nblobs
            ),
            (kind::BUFFER_LEN_ARG, 5, 1, 2)
        );
        let accept = arg_plan("accept4");
        assert_eq!(
            (accept.want, accept.fd_src),
            (WANT_SOCK | WANT_QUEUE, fd_src::RET)
        );
        assert_eq!(
            (arg_plan("capset").want, arg_plan("capset").nblobs),
            (WANT_CAPS, 0)
        );
        let by_handle = arg_plan("open_by_handle_at");
        assert_eq!(
            (by_handle.want, by_handle.fd_src),
            (WANT_FILE | WANT_PATH, fd_src::RET)
        );
        let recvmsg = arg_plan("recvmsg");
        assert_eq!(
            (recvmsg.kind[1], recvmsg.want),
            (kind::MSGHDR_LEN_RET, WANT_SOCK | WANT_CONTROL)
        );
        // fsconfig's key (arg2), and its value (arg3) as a string and as a buffer of aux bytes.
        let fsconfig = arg_plan("fsconfig");
        assert_eq!(
            (
                fsconfig.kind[2],
                fsconfig.kind[3],
                fsconfig.slot[3],
                fsconfig.nblobs
            ),
            (kind::STRING, kind::STRING, 1, 3)
        );
        let second = SecondCopy {
            arg: 3,
            kind: kind::BUFFER_LEN_ARG,
            len_arg: 4,
            slot: 2,
        };
        assert_eq!(fsconfig.second, Some(second));
        assert_eq!(
            (
                fsconfig.slot_of(3, kind::BUFFER_LEN_ARG),
                fsconfig.slot_of(3, kind::STRING)
            ),
            (2, 1)
        );
        let recvmmsg = arg_plan("recvmmsg");
        assert_eq!(
            (recvmmsg.kind[1], recvmmsg.want),
            (kind::MMSGHDR, WANT_SOCK | WANT_CONTROL)
        );
        let poll = arg_plan("poll");
        assert_eq!((poll.kind[0], poll.len_arg[0]), (kind::ARRAY8, 1));
        assert_eq!(
            (arg_plan("writev").kind[1], arg_plan("writev").len_arg[1]),
            (kind::IOVEC, 2)
        );
        assert_eq!(arg_plan("readv").kind[1], kind::IOVEC_LEN_RET);
        let sendmsg = arg_plan("sendmsg");
        assert_eq!(
            (sendmsg.kind[1], sendmsg.want, sendmsg.fd_src),
            (kind::MSGHDR, WANT_SOCK, fd_src::ARG0)
        );
    }
}
