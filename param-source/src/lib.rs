//! Where one event parameter of a captured syscall comes from: the sources of
//! `agent/capture.toml`, listed once for both sides of the capture plan. codegen parses the file
//! into [`ParamSource<String>`] (a flag table by name) and emits the agent's plan as literals of
//! [`ParamSource<&FlagMap>`](ParamSource) (the table itself); each side has one exhaustive
//! `match` over the variants (the emitter, the encoder), so a new source is a build error in
//! both until it is handled. Nested sources are `&'static`: the agent's plan is a `static`.

/// Where a parameter comes from. `Table` is how a native flag table is referred to. Each
/// variant's doc starts with its `capture.toml` syntax; `argN` is argument register N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamSource<Table: 'static> {
    /// `ret`: the return value.
    Ret,
    /// `ret_len`: the return value when not negative, else 0 (a failed call's size).
    RetLen,
    /// `argN`: argument N, as an integer.
    Arg(u8),
    /// `str(argN)`: the NUL-terminated string at argument N.
    Str(u8),
    /// `buf(argN, len=argM)`: the buffer at argument N, of the length in argument M.
    BufArgLen(u8, u8),
    /// `buf(argN, len=ret)`: the buffer at argument N, of the length of the (non-negative)
    /// return value.
    BufRetLen(u8),
    /// `sockaddr(argN, len=argM)`: the `struct sockaddr` at argument N, of the length in
    /// argument M.
    Sockaddr(u8, u8),
    /// `fd_pair(argN, K)`: fd number K of the `int[2]` the call filled at argument N.
    FdOfPair(u8, u8),
    /// `open_flags(argN)`: an `open` flags word as PPM flags, with `O_F_CREATED` when the
    /// kernel says the call created the file.
    OpenFlags(u8),
    /// `cloexec_flags(argN)`: the `O_CLOEXEC`/`O_NONBLOCK` bits of argument N as PPM open flags
    /// (dup3, pipe2; the `SOCK_*` type flags of socket, socketpair, accept4).
    CloexecFlags(u8),
    /// `flags(TABLE, argN)`: argument N converted with TABLE's native values.
    Flags(Table, u8),
    /// `tuple_out` / `tuple_out(argN)`: the socket tuple of the call's socket, local end first
    /// (connect, sendto); the remote end from the sockaddr at argument N when the socket has
    /// none (connect's failure, an unconnected UDP sendto). Empty when the call failed, except
    /// EINPROGRESS.
    TupleOut(Option<u8>),
    /// `tuple_in`: the socket tuple, remote end first (accept, recvfrom).
    TupleIn,
    /// `sock_sk`, `sock_peer`: the kernel addresses of the call's socket and of its unix peer.
    SockSk,
    SockPeer,
    /// `dev`, `ino`: device and inode of the call's file.
    Dev,
    Ino,
    /// `vm_size`, `vm_rss`, `vm_swap`: the process's memory counters (KiB) after the call.
    VmSize,
    VmRss,
    VmSwap,
    /// `cap_inheritable`, `cap_permitted`, `cap_effective`: the task's capability sets after
    /// the call.
    CapInheritable,
    CapPermitted,
    CapEffective,
    /// `fd_path`: the path of the call's file, as the kernel side walks it.
    FdPath,
    /// `msg_control(argN)`: the control messages of the `struct user_msghdr` at argument N,
    /// after the call (copied into the last blob slot).
    MsgControl(u8),
    /// `field(argN, off=O, size=S)`: the integer of S bytes (1, 2, 4, 8) at offset O of the
    /// struct at argument N; `deref(argN, size=S)` is `field(argN, off=0, size=S)`.
    Field {
        arg: u8,
        off: u8,
        size: u8,
    },
    /// `flags(TABLE, field(argN, off=O, size=S))`: a struct field converted with TABLE.
    FlagsField {
        table: Table,
        arg: u8,
        off: u8,
        size: u8,
    },
    /// `const(N)`: the integer N (a PPM value the modern probe sets for an unused parameter).
    Const(u64),
    /// `bits(argN, shift=S, width=W)`: the W bits of argument N from bit S up (a word packing
    /// several values, as quotactl's command and quota type).
    Bits {
        arg: u8,
        shift: u8,
        width: u8,
    },
    /// `flags(TABLE, bits(argN, shift=S, width=W))`: those bits converted with TABLE.
    FlagsBits {
        table: Table,
        arg: u8,
        shift: u8,
        width: u8,
    },
    /// `open_flags(field(argN, off=O, size=S))`: a struct field holding `open` flags
    /// (openat2's `open_how`).
    OpenFlagsField {
        arg: u8,
        off: u8,
        size: u8,
    },
    /// `reltime(argN)`: the `struct timespec` at argument N, in nanoseconds.
    Reltime(u8),
    /// `iovec(argN, count=argM)`: the buffers of the iovec array at argument N (M entries),
    /// gathered; with `len=ret` (`ret`), only as many bytes as the call returned.
    Iovec {
        arg: u8,
        count: u8,
        ret: bool,
    },
    /// `iov_len`: the total length of the call's iovec array.
    IovLen,
    /// `queuelen`, `queuemax`, `queuepct`: the accept queue of the listening socket at
    /// argument 0 (accept, accept4): its length, its limit, and how full it is (percent).
    QueueLen,
    QueueMax,
    QueuePct,
    /// `msg_iovec(argN)`: the buffers of the iovec array of the `struct user_msghdr` at
    /// argument N, gathered; with `len=ret` (`ret`), only as many bytes as the call returned.
    MsgIovec {
        arg: u8,
        ret: bool,
    },
    /// `mmsg_res(argN)`, `mmsg_len(argN)`, `mmsg_data(argN)`, `mmsg_control(argN)`: a part of
    /// the first message of the `struct mmsghdr` array at argument N (sendmmsg and recvmmsg
    /// are captured as one event, of their first message, as the modern probe does where the
    /// kernel rejects its per-message loop).
    Mmsg {
        arg: u8,
        what: MmsgPart,
    },
    /// `sockopt(argN, level=argL, name=argM, len=argK)`: setsockopt's and getsockopt's option
    /// value at argument N as the PT_DYN of `sockopt_dynamic_param`, for the level and option
    /// name in arguments L and M; its length is argument K, or with `len=deref(argK)`
    /// (`len_at`) the int argument K points to (getsockopt).
    Sockopt {
        val: u8,
        level: u8,
        name: u8,
        len: u8,
        len_at: bool,
    },
    /// `when(argM=V|W.., SOURCE)`: SOURCE (`then`) when what [`Cond`] tests is one of the
    /// values, else the parameter's empty value, or the source after it
    /// (`when(argM=V.., SOURCE, ELSE)`, `otherwise`); `unless(...)` the other way round
    /// (`holds` false). The condition may test `bits(argM, shift=S, width=W)` instead of the
    /// whole argument, and a struct field `field(argM, off=O, size=S)` or its bits instead of
    /// the argument.
    When {
        cond: Cond,
        values: &'static [u64],
        holds: bool,
        then: &'static ParamSource<Table>,
        otherwise: Option<&'static ParamSource<Table>>,
    },
    /// `ok(SOURCE)`: SOURCE when the call succeeded (a return value not negative), else the
    /// parameter's empty value.
    IfOk(&'static ParamSource<Table>),
    /// `dyn(K, SOURCE)`: a PT_DYN value of entry K of the parameter's dynamic table (its
    /// index byte), then SOURCE encoded as that entry's type.
    Dyn {
        index: u8,
        then: &'static ParamSource<Table>,
    },
    /// `fdlist(argN, count=argM)`: the `struct pollfd` array at argument N (M entries), as
    /// PT_FDLIST: each fd with its returned events converted with `table`
    /// (`[native.poll_flags]`).
    Fdlist {
        table: Table,
        arg: u8,
        count: u8,
    },
    /// `ptrace_addr(argN)`: ptrace's `addr` as its PT_DYN value (0 when the call failed).
    PtraceAddr(u8),
    /// `ptrace_data(argN, request=argM)`: ptrace's `data` as its PT_DYN value for the request
    /// in argument M: the word read for PEEK requests, the signal for CONT, SINGLESTEP, DETACH
    /// and SYSCALL, the argument otherwise (0 when the call failed).
    PtraceData {
        arg: u8,
        request: u8,
    },
}

/// What a [`ParamSource::When`] tests: the `width` bits from bit `shift` up (the whole word: 0,
/// 64) of argument `arg`, or of the integer of `field` = (offset, size) bytes of the struct it
/// points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cond {
    pub arg: u8,
    pub field: Option<(u8, u8)>,
    pub shift: u8,
    pub width: u8,
}

/// What of the first message of a `struct mmsghdr` array a [`ParamSource::Mmsg`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmsgPart {
    /// Its `msg_len` when the call handled a message, else the return value.
    Res,
    /// Its `msg_len` when the call handled a message, else 0.
    Len,
    /// Its buffers gathered, up to its `msg_len`.
    Data,
    /// Its control messages after the call, when the call handled a message (else none).
    Control,
}

/// Which file descriptor's kernel objects the kernel side reads (`read = ...`; `enum fd_src`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdFrom {
    /// No `read`: none.
    None,
    /// `ret`: the return value.
    Ret,
    /// `argN`: argument N.
    Arg(u8),
    /// `int_at(argN)`: the first int of the `int[2]` at argument N (pipe, socketpair).
    IntAt(u8),
}

/// How a source's value is encoded: which parameter types it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Integer,
    String,
    Bytes,
    Sockaddr,
    Tuple,
    /// A PT_DYN value of the ptrace table.
    PtraceDyn,
    /// A PT_DYN value of the sockopt table.
    SockoptDyn,
    /// A PT_FDLIST.
    Fdlist,
    /// A PT_DYN value of entry K of the parameter's dynamic table.
    Dyn(u8),
}

impl<Table: Clone> ParamSource<Table> {
    /// The sources whose value the parameter may get: those a `when`/`unless` chooses
    /// between (its else branch too), any other source itself.
    pub fn branches(&self) -> Vec<&ParamSource<Table>> {
        match self {
            ParamSource::IfOk(then) => then.branches(),
            ParamSource::When {
                then, otherwise, ..
            } => {
                let mut b = then.branches();
                b.extend(otherwise.iter().flat_map(|e| e.branches()));
                b
            }
            e => vec![e],
        }
    }

    /// What the kernel side copies and reads for the source: its leaves (through `when`,
    /// `ok` and `dyn`), and the struct fields its conditions test.
    pub fn copies(&self) -> Vec<ParamSource<Table>> {
        match self {
            ParamSource::When {
                cond,
                then,
                otherwise,
                ..
            } => {
                let mut c: Vec<ParamSource<Table>> = cond
                    .field
                    .map(|(off, size)| ParamSource::Field {
                        arg: cond.arg,
                        off,
                        size,
                    })
                    .into_iter()
                    .collect();
                c.extend(then.copies());
                c.extend(otherwise.iter().flat_map(|e| e.copies()));
                c
            }
            ParamSource::IfOk(then) | ParamSource::Dyn { then, .. } => then.copies(),
            e => vec![e.clone()],
        }
    }

    /// The sources read: the branches, and the source inside a `dyn`.
    pub fn leaves(&self) -> Vec<&ParamSource<Table>> {
        self.branches()
            .into_iter()
            .flat_map(|e| match e {
                ParamSource::Dyn { then, .. } => then.leaves(),
                e => vec![e],
            })
            .collect()
    }

    /// Whether the kernel side copies this source's memory into the last blob slot (control
    /// messages).
    pub fn keeps_last_slot(&self) -> bool {
        matches!(
            self,
            ParamSource::MsgControl(_)
                | ParamSource::Mmsg {
                    what: MmsgPart::Control,
                    ..
                }
        )
    }

    /// The shape of the value (of a `when`, its first branch's); every source is listed, so a
    /// new one is a build error here until its shape is said.
    pub fn shape(&self) -> Shape {
        match self {
            ParamSource::When { then, .. } | ParamSource::IfOk(then) => then.shape(),
            ParamSource::Str(_) | ParamSource::FdPath => Shape::String,
            ParamSource::BufArgLen(..)
            | ParamSource::BufRetLen(_)
            | ParamSource::Iovec { .. }
            | ParamSource::MsgIovec { .. }
            | ParamSource::MsgControl(_)
            | ParamSource::Mmsg {
                what: MmsgPart::Data | MmsgPart::Control,
                ..
            } => Shape::Bytes,
            ParamSource::Sockaddr(..) => Shape::Sockaddr,
            ParamSource::TupleOut(_) | ParamSource::TupleIn => Shape::Tuple,
            ParamSource::PtraceAddr(_) | ParamSource::PtraceData { .. } => Shape::PtraceDyn,
            ParamSource::Sockopt { .. } => Shape::SockoptDyn,
            ParamSource::Fdlist { .. } => Shape::Fdlist,
            ParamSource::Dyn { index, .. } => Shape::Dyn(*index),
            ParamSource::Ret
            | ParamSource::RetLen
            | ParamSource::Arg(_)
            | ParamSource::FdOfPair(..)
            | ParamSource::OpenFlags(_)
            | ParamSource::CloexecFlags(_)
            | ParamSource::Flags(..)
            | ParamSource::SockSk
            | ParamSource::SockPeer
            | ParamSource::Dev
            | ParamSource::Ino
            | ParamSource::VmSize
            | ParamSource::VmRss
            | ParamSource::VmSwap
            | ParamSource::CapInheritable
            | ParamSource::CapPermitted
            | ParamSource::CapEffective
            | ParamSource::Field { .. }
            | ParamSource::FlagsField { .. }
            | ParamSource::Const(_)
            | ParamSource::Bits { .. }
            | ParamSource::FlagsBits { .. }
            | ParamSource::OpenFlagsField { .. }
            | ParamSource::Reltime(_)
            | ParamSource::IovLen
            | ParamSource::QueueLen
            | ParamSource::QueueMax
            | ParamSource::QueuePct
            | ParamSource::Mmsg {
                what: MmsgPart::Res | MmsgPart::Len,
                ..
            } => Shape::Integer,
        }
    }
}
