//! The parameter sources of `agent/capture.toml`, parsed: where one exit-event parameter of a
//! syscall comes from. The grammar is documented at the top of the file itself. [`Source`] and
//! [`FdFrom`] are the agent's `coverage::Source` and `coverage::FdFrom` as the generator sees
//! them (same names, same variants): the emitter writes each as its agent counterpart.

/// Where a parameter comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `ret`: the return value.
    Ret,
    /// `ret_len`: the return value when not negative, else 0 (a failed call's size).
    RetLen,
    /// `argN`: argument register N, as an integer.
    Arg(u8),
    /// `str(argN)`: the NUL-terminated string at argument N.
    Str(u8),
    /// `buf(argN, len=argM)`: the buffer at argument N, of the length in argument M.
    BufArgLen(u8, u8),
    /// `buf(argN, len=ret)`: the buffer at argument N, of the length of the return value.
    BufRetLen(u8),
    /// `sockaddr(argN, len=argM)`: the `struct sockaddr` at argument N.
    Sockaddr(u8, u8),
    /// `fd_pair(argN, K)`: fd number K of the `int[2]` the call filled at argument N.
    FdOfPair(u8, u8),
    /// `open_flags(argN)`: an `open` flags word as PPM flags, with `O_F_CREATED`.
    OpenFlags(u8),
    /// `cloexec_flags(argN)`: the `O_CLOEXEC`/`O_NONBLOCK` bits of argument N as PPM flags.
    CloexecFlags(u8),
    /// `flags(TABLE, argN)`: argument N converted with TABLE's native values.
    Flags(String, u8),
    /// `tuple_out` / `tuple_out(argN)`: the socket tuple, local end first; the remote end
    /// from the sockaddr at argument N when the socket has none.
    TupleOut(Option<u8>),
    /// `tuple_in`: the socket tuple, remote end first.
    TupleIn,
    /// `sock_sk`, `sock_peer`: kernel addresses of the socket and its unix peer.
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
    /// `fd_path`: the path of the `read` fd's file, as the kernel side walks it.
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
        table: String,
        arg: u8,
        off: u8,
        size: u8,
    },
    /// `const(N)`: the integer N (a PPM value the probe sets for an unused parameter).
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
        table: String,
        arg: u8,
        shift: u8,
        width: u8,
    },
    /// `open_flags(field(argN, off=O, size=S))`: a struct field holding `open` flags.
    OpenFlagsField {
        arg: u8,
        off: u8,
        size: u8,
    },
    /// `reltime(argN)`: the `struct timespec` at argument N, in nanoseconds.
    Reltime(u8),
    /// `iovec(argN, count=argM)`: the buffers of the iovec array at argument N (M entries),
    /// gathered; with `len=ret`, only as many bytes as the call returned.
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
    /// argument N, gathered; with `len=ret`, only as many bytes as the call returned.
    MsgIovec {
        arg: u8,
        ret: bool,
    },
    /// `mmsg_res(argN)`, `mmsg_len(argN)`, `mmsg_data(argN)`: the first message of the
    /// `struct mmsghdr` array at argument N (sendmmsg, recvmmsg).
    Mmsg {
        arg: u8,
        what: MmsgPart,
    },
    /// `sockopt(argN, level=argL, name=argM, len=argK)`: the option value at argument N as
    /// the PT_DYN of `sockopt_dynamic_param`; `len=deref(argK)`: its length is the int
    /// argument K points to (getsockopt).
    Sockopt {
        val: u8,
        level: u8,
        name: u8,
        len: u8,
        len_at: bool,
    },
    /// `when(argM=V|W.., SOURCE)`: SOURCE when argument M is one of the values, else the
    /// parameter's empty value, or the source after it (`when(argM=V.., SOURCE, ELSE)`);
    /// `unless(...)` the other way round. The condition may test
    /// `bits(argM, shift=S, width=W)` instead of the whole argument (shift 0, width 64), and
    /// a struct field `field(argM, off=O, size=S)` (`field`: offset and size) or its bits
    /// instead of the argument.
    When {
        arg: u8,
        field: Option<(u8, u8)>,
        shift: u8,
        width: u8,
        values: Vec<u64>,
        holds: bool,
        then: Box<Source>,
        otherwise: Option<Box<Source>>,
    },
    /// `ok(SOURCE)`: SOURCE when the call succeeded (a return value not negative), else the
    /// parameter's empty value.
    IfOk(Box<Source>),
    /// `dyn(K, SOURCE)`: a PT_DYN value of entry K of the parameter's dynamic table (its
    /// index byte, then SOURCE encoded as that entry's type).
    Dyn {
        index: u8,
        then: Box<Source>,
    },
    /// `fdlist(argN, count=argM)`: the `struct pollfd` array at argument N (M entries), as
    /// PT_FDLIST: each fd with its returned events converted with `[native.poll_flags]`.
    Fdlist(u8, u8),
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

/// What of the first message of a `struct mmsghdr` array a source gives.
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

impl Source {
    /// The sources whose value the parameter may get: those a `when`/`unless` chooses
    /// between (its else branch too), any other source itself.
    pub fn branches(&self) -> Vec<&Source> {
        match self {
            Source::IfOk(then) => then.branches(),
            Source::When {
                then, otherwise, ..
            } => {
                let mut b = then.branches();
                b.extend(otherwise.iter().flat_map(|e| e.branches()));
                b
            }
            e => vec![e],
        }
    }

    /// What the kernel side copies for the source: its leaves, and the struct fields its
    /// conditions test.
    pub fn copies(&self) -> Vec<Source> {
        match self {
            Source::When {
                arg,
                field,
                then,
                otherwise,
                ..
            } => {
                let mut c: Vec<Source> = field
                    .map(|(off, size)| Source::Field {
                        arg: *arg,
                        off,
                        size,
                    })
                    .into_iter()
                    .collect();
                c.extend(then.copies());
                c.extend(otherwise.iter().flat_map(|e| e.copies()));
                c
            }
            Source::IfOk(then) | Source::Dyn { then, .. } => then.copies(),
            e => vec![e.clone()],
        }
    }

    /// The sources read: the branches, and the source inside a `dyn`.
    pub fn leaves(&self) -> Vec<&Source> {
        self.branches()
            .into_iter()
            .flat_map(|e| match e {
                Source::Dyn { then, .. } => then.leaves(),
                e => vec![e],
            })
            .collect()
    }

    /// Whether the kernel side copies this source's memory into the last blob slot (control
    /// messages).
    pub fn keeps_last_slot(&self) -> bool {
        matches!(
            self,
            Source::MsgControl(_)
                | Source::Mmsg {
                    what: MmsgPart::Control,
                    ..
                }
        )
    }

    /// The shape of the value (of a `when`, its first branch's).
    pub fn shape(&self) -> Shape {
        match self {
            Source::When { then, .. } | Source::IfOk(then) => then.shape(),
            Source::Str(_) | Source::FdPath => Shape::String,
            Source::BufArgLen(..)
            | Source::BufRetLen(_)
            | Source::Iovec { .. }
            | Source::MsgIovec { .. }
            | Source::MsgControl(_)
            | Source::Mmsg {
                what: MmsgPart::Data | MmsgPart::Control,
                ..
            } => Shape::Bytes,
            Source::Sockaddr(..) => Shape::Sockaddr,
            Source::TupleOut(_) | Source::TupleIn => Shape::Tuple,
            Source::PtraceAddr(_) | Source::PtraceData { .. } => Shape::PtraceDyn,
            Source::Sockopt { .. } => Shape::SockoptDyn,
            Source::Fdlist(..) => Shape::Fdlist,
            Source::Dyn { index, .. } => Shape::Dyn(*index),
            _ => Shape::Integer,
        }
    }
}

/// Which fd's kernel objects are read (`read = ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FdFrom {
    Ret,
    Arg(u8),
    IntAt(u8),
}

fn arg(s: &str) -> Result<u8, String> {
    let n = s
        .trim()
        .strip_prefix("arg")
        .and_then(|n| n.parse::<u8>().ok())
        .ok_or_else(|| format!("`{s}` is not an argument (arg0 .. arg5)"))?;
    if n < 6 {
        Ok(n)
    } else {
        Err(format!("`{s}`: syscalls have six arguments (arg0 .. arg5)"))
    }
}

/// `key=value` of a call argument.
fn keyed<'a>(s: &'a str, key: &str) -> Result<&'a str, String> {
    s.trim()
        .strip_prefix(key)
        .and_then(|r| r.trim_start().strip_prefix('='))
        .map(str::trim)
        .ok_or_else(|| format!("expected `{key}=...`, found `{s}`"))
}

fn number(s: &str) -> Result<u8, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not a small number"))
}

/// `name(a, b, ...)` → (`name`, [a, b, ...]); a bare word has no arguments.
fn call(s: &str) -> Result<(&str, Vec<&str>), String> {
    let s = s.trim();
    let Some(open) = s.find('(') else {
        return Ok((s, Vec::new()));
    };
    let inner = s[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("`{s}`: missing `)`"))?;
    // Split at the commas outside nested parentheses.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(inner[start..].trim());
    Ok((s[..open].trim(), parts))
}

/// Parses one parameter source.
pub fn parse(s: &str) -> Result<Source, String> {
    let (name, a) = call(s)?;
    let bad = || format!("`{s}`: wrong arguments for `{name}`");
    let e = match (name, a.as_slice()) {
        ("ret", []) => Source::Ret,
        ("ret_len", []) => Source::RetLen,
        ("str", [x]) => Source::Str(arg(x)?),
        ("buf", [x, len]) => match keyed(len, "len")? {
            "ret" => Source::BufRetLen(arg(x)?),
            l => Source::BufArgLen(arg(x)?, arg(l)?),
        },
        ("sockaddr", [x, len]) => Source::Sockaddr(arg(x)?, arg(keyed(len, "len")?)?),
        ("fd_pair", [x, k]) => match number(k)? {
            k @ (0 | 1) => Source::FdOfPair(arg(x)?, k),
            _ => return Err(bad()),
        },
        ("open_flags", [x]) if x.starts_with("field") => match parse(x)? {
            Source::Field { arg, off, size } => Source::OpenFlagsField { arg, off, size },
            _ => return Err(bad()),
        },
        ("open_flags", [x]) => Source::OpenFlags(arg(x)?),
        ("cloexec_flags", [x]) => Source::CloexecFlags(arg(x)?),
        ("flags", [t, x]) if !t.is_empty() && x.starts_with("field") => match parse(x)? {
            Source::Field { arg, off, size } => Source::FlagsField {
                table: (*t).to_string(),
                arg,
                off,
                size,
            },
            _ => return Err(bad()),
        },
        ("flags", [t, x]) if !t.is_empty() && x.starts_with("bits") => match parse(x)? {
            Source::Bits { arg, shift, width } => Source::FlagsBits {
                table: (*t).to_string(),
                arg,
                shift,
                width,
            },
            _ => return Err(bad()),
        },
        ("flags", [t, x]) if !t.is_empty() => Source::Flags((*t).to_string(), arg(x)?),
        ("reltime", [x]) => Source::Reltime(arg(x)?),
        ("iovec", [x, n]) => Source::Iovec {
            arg: arg(x)?,
            count: arg(keyed(n, "count")?)?,
            ret: false,
        },
        ("iovec", [x, n, len]) if keyed(len, "len")? == "ret" => Source::Iovec {
            arg: arg(x)?,
            count: arg(keyed(n, "count")?)?,
            ret: true,
        },
        ("iov_len", []) => Source::IovLen,
        ("queuelen", []) => Source::QueueLen,
        ("queuemax", []) => Source::QueueMax,
        ("queuepct", []) => Source::QueuePct,
        ("msg_iovec", [x]) => Source::MsgIovec {
            arg: arg(x)?,
            ret: false,
        },
        ("msg_iovec", [x, len]) if keyed(len, "len")? == "ret" => Source::MsgIovec {
            arg: arg(x)?,
            ret: true,
        },
        ("mmsg_res", [x]) => Source::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Res,
        },
        ("mmsg_len", [x]) => Source::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Len,
        },
        ("mmsg_data", [x]) => Source::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Data,
        },
        ("mmsg_control", [x]) => Source::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Control,
        },
        ("sockopt", [x, level, name, len]) => {
            let len = keyed(len, "len")?;
            let (len, len_at) = match call(len)? {
                ("deref", a) if a.len() == 1 => (arg(a[0])?, true),
                _ => (arg(len)?, false),
            };
            Source::Sockopt {
                val: arg(x)?,
                level: arg(keyed(level, "level")?)?,
                name: arg(keyed(name, "name")?)?,
                len,
                len_at,
            }
        }
        ("ok", [then]) => Source::IfOk(Box::new(parse(then)?)),
        ("dyn", [k, then]) => Source::Dyn {
            index: number(k)?,
            then: Box::new(parse(then)?),
        },
        (w @ ("when" | "unless"), [cond, then, otherwise @ ..]) if otherwise.len() < 2 => {
            let (a, values) = cond
                .rsplit_once('=')
                .ok_or_else(|| format!("`{cond}`: a condition is argM=V|W.."))?;
            let (arg, field, shift, width) = condition(a)?;
            let values = values
                .split('|')
                .map(|v| v.trim().parse::<u64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| format!("`{cond}`: the values are decimal numbers"))?;
            Source::When {
                arg,
                field,
                shift,
                width,
                values,
                holds: w == "when",
                then: Box::new(parse(then)?),
                otherwise: match otherwise.first() {
                    Some(e) => Some(Box::new(parse(e)?)),
                    None => None,
                },
            }
        }
        ("fdlist", [x, n]) => Source::Fdlist(arg(x)?, arg(keyed(n, "count")?)?),
        ("tuple_out", []) => Source::TupleOut(None),
        ("tuple_out", [x]) => Source::TupleOut(Some(arg(x)?)),
        ("tuple_in", []) => Source::TupleIn,
        ("sock_sk", []) => Source::SockSk,
        ("sock_peer", []) => Source::SockPeer,
        ("dev", []) => Source::Dev,
        ("ino", []) => Source::Ino,
        ("vm_size", []) => Source::VmSize,
        ("vm_rss", []) => Source::VmRss,
        ("vm_swap", []) => Source::VmSwap,
        ("cap_inheritable", []) => Source::CapInheritable,
        ("cap_permitted", []) => Source::CapPermitted,
        ("cap_effective", []) => Source::CapEffective,
        ("fd_path", []) => Source::FdPath,
        ("msg_control", [x]) => Source::MsgControl(arg(x)?),
        ("field", [x, off, size]) => {
            field(arg(x)?, number(keyed(off, "off")?)?, keyed(size, "size")?)?
        }
        ("const", [n]) => Source::Const(n.parse().map_err(|_| format!("`{s}`: a decimal number"))?),
        ("bits", [x, shift, width]) => {
            let (shift, width) = (
                number(keyed(shift, "shift")?)?,
                number(keyed(width, "width")?)?,
            );
            if width == 0 || u32::from(shift) + u32::from(width) > 64 {
                return Err(format!("`{s}`: bits within a 64-bit word"));
            }
            Source::Bits {
                arg: arg(x)?,
                shift,
                width,
            }
        }
        ("deref", [x, size]) => field(arg(x)?, 0, keyed(size, "size")?)?,
        ("ptrace_addr", [x]) => Source::PtraceAddr(arg(x)?),
        ("ptrace_data", [x, req]) => Source::PtraceData {
            arg: arg(x)?,
            request: arg(keyed(req, "request")?)?,
        },
        (a, []) if a.starts_with("arg") => Source::Arg(arg(a)?),
        _ => return Err(format!("`{s}` is not a source expression")),
    };
    Ok(e)
}

/// What a `when` tests: argument `argM`, or a struct field `field(argM, off=O, size=S)`, or
/// `bits(...)` of either: (argument, field offset and size, shift, width).
type Condition = (u8, Option<(u8, u8)>, u8, u8);

fn condition(s: &str) -> Result<Condition, String> {
    let s = s.trim();
    let operand = |x: &str| match parse(x)? {
        Source::Field { arg, off, size } => Ok((arg, Some((off, size)))),
        Source::Arg(a) => Ok((a, None)),
        _ => Err(format!("`{s}`: a condition tests argM or field(argM, ..)")),
    };
    match call(s)? {
        ("bits", a) if a.len() == 3 => {
            let (shift, width) = (
                number(keyed(a[1], "shift")?)?,
                number(keyed(a[2], "width")?)?,
            );
            if width == 0 || u32::from(shift) + u32::from(width) > 64 {
                return Err(format!("`{s}`: bits within a 64-bit word"));
            }
            let (arg, field) = operand(a[0])?;
            Ok((arg, field, shift, width))
        }
        _ => {
            let (arg, field) = operand(s)?;
            Ok((arg, field, 0, 64))
        }
    }
}

fn field(arg: u8, off: u8, size: &str) -> Result<Source, String> {
    let size = number(size)?;
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(format!("field size {size}: 1, 2, 4 or 8"));
    }
    if usize::from(off) + usize::from(size) > 255 {
        return Err(format!("field at {off}+{size}: past 255 bytes"));
    }
    Ok(Source::Field { arg, off, size })
}

/// Parses a `read` value.
pub fn parse_fd(s: &str) -> Result<FdFrom, String> {
    match call(s)? {
        ("ret", a) if a.is_empty() => Ok(FdFrom::Ret),
        ("int_at", a) if a.len() == 1 => Ok(FdFrom::IntAt(arg(a[0])?)),
        (a, b) if b.is_empty() && a.starts_with("arg") => Ok(FdFrom::Arg(arg(a)?)),
        _ => Err(format!("`{s}`: `read` is ret, argN or int_at(argN)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_may_test_struct_fields() {
        let e = parse(
            "when(bits(field(arg3, off=64, size=4), shift=2, width=1)=1, field(arg3, off=0, size=8))",
        )
        .unwrap();
        let Source::When {
            arg,
            field,
            shift,
            width,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!((*arg, *field, *shift, *width), (3, Some((64, 4)), 2, 1));
        // The field tested is copied too.
        assert_eq!(
            e.copies(),
            [
                Source::Field {
                    arg: 3,
                    off: 64,
                    size: 4
                },
                Source::Field {
                    arg: 3,
                    off: 0,
                    size: 8
                }
            ]
        );
        assert!(parse("when(str(arg1)=1, arg2)").is_err());
    }

    #[test]
    fn branches_and_leaves_see_through_when_and_dyn() {
        let e = parse("when(arg0=1, dyn(1, str(arg1)), when(arg0=2, dyn(0, arg1)))").unwrap();
        let branches: Vec<Shape> = e.branches().iter().map(|b| b.shape()).collect();
        assert_eq!(branches, [Shape::Dyn(1), Shape::Dyn(0)]);
        assert_eq!(e.leaves(), [&Source::Str(1), &Source::Arg(1)]);
    }

    #[test]
    fn expressions_parse() {
        assert_eq!(parse("ret"), Ok(Source::Ret));
        assert_eq!(parse("arg3"), Ok(Source::Arg(3)));
        assert_eq!(parse("ret_len"), Ok(Source::RetLen));
        assert_eq!(parse("buf(arg1, len=arg2)"), Ok(Source::BufArgLen(1, 2)));
        assert_eq!(parse("buf(arg1,len = ret)"), Ok(Source::BufRetLen(1)));
        assert_eq!(
            parse("flags(prot_flags, arg2)"),
            Ok(Source::Flags("prot_flags".into(), 2))
        );
        assert_eq!(
            parse("field(arg1, off=8, size=4)"),
            Ok(Source::Field {
                arg: 1,
                off: 8,
                size: 4
            })
        );
        assert_eq!(
            parse("deref(arg0, size=8)"),
            Ok(Source::Field {
                arg: 0,
                off: 0,
                size: 8
            })
        );
        assert_eq!(parse("tuple_out(arg4)"), Ok(Source::TupleOut(Some(4))));
        assert_eq!(
            parse("flags(openat2_flags, field(arg2, off=16, size=8))"),
            Ok(Source::FlagsField {
                table: "openat2_flags".into(),
                arg: 2,
                off: 16,
                size: 8
            })
        );
        assert_eq!(
            parse("open_flags(field(arg2, off=0, size=8))"),
            Ok(Source::OpenFlagsField {
                arg: 2,
                off: 0,
                size: 8
            })
        );
        assert_eq!(
            parse("flags(quotactl_types, bits(arg0, shift=0, width=8))"),
            Ok(Source::FlagsBits {
                table: "quotactl_types".into(),
                arg: 0,
                shift: 0,
                width: 8
            })
        );
        assert_eq!(
            parse("bits(arg0, shift=8, width=24)"),
            Ok(Source::Bits {
                arg: 0,
                shift: 8,
                width: 24
            })
        );
        assert_eq!(
            parse("when(bits(arg0, shift=8, width=24)=8388610, str(arg3))"),
            Ok(Source::When {
                arg: 0,
                field: None,
                shift: 8,
                width: 24,
                values: vec![8388610],
                holds: true,
                then: Box::new(Source::Str(3)),
                otherwise: None
            })
        );
        assert_eq!(parse("const(1)"), Ok(Source::Const(1)));
        assert_eq!(parse("cap_permitted"), Ok(Source::CapPermitted));
        assert_eq!(parse("fd_path"), Ok(Source::FdPath));
        assert_eq!(parse("msg_control(arg1)"), Ok(Source::MsgControl(1)));
        assert_eq!(
            parse("sockopt(arg3, level=arg1, name=arg2, len=deref(arg4))"),
            Ok(Source::Sockopt {
                val: 3,
                level: 1,
                name: 2,
                len: 4,
                len_at: true
            })
        );
        assert_eq!(
            parse("unless(arg0=15|16, str(arg1))"),
            Ok(Source::When {
                arg: 0,
                field: None,
                shift: 0,
                width: 64,
                values: vec![15, 16],
                holds: false,
                then: Box::new(Source::Str(1)),
                otherwise: None
            })
        );
        assert_eq!(
            parse("mmsg_len(arg1)"),
            Ok(Source::Mmsg {
                arg: 1,
                what: MmsgPart::Len
            })
        );
        assert_eq!(
            parse("when(arg0=1, dyn(1, str(arg1)), dyn(0, const(0)))"),
            Ok(Source::When {
                arg: 0,
                field: None,
                shift: 0,
                width: 64,
                values: vec![1],
                holds: true,
                then: Box::new(Source::Dyn {
                    index: 1,
                    then: Box::new(Source::Str(1))
                }),
                otherwise: Some(Box::new(Source::Dyn {
                    index: 0,
                    then: Box::new(Source::Const(0))
                }))
            })
        );
        assert_eq!(
            parse("ok(when(arg1=2, buf(arg3, len=arg4)))"),
            Ok(Source::IfOk(Box::new(Source::When {
                arg: 1,
                field: None,
                shift: 0,
                width: 64,
                values: vec![2],
                holds: true,
                then: Box::new(Source::BufArgLen(3, 4)),
                otherwise: None
            })))
        );
        assert_eq!(
            parse("mmsg_control(arg1)"),
            Ok(Source::Mmsg {
                arg: 1,
                what: MmsgPart::Control
            })
        );
        assert_eq!(parse_fd("int_at(arg3)"), Ok(FdFrom::IntAt(3)));
        for bad in [
            "arg6",
            "str(ret)",
            "buf(arg1)",
            "field(arg1, off=0, size=3)",
            "bits(arg0, shift=8, width=0)",
            "const(x)",
            "bits(arg0, shift=60, width=8)",
            "bits(arg0, width=8, shift=0)",
            "nope",
            "str(arg1",
            "fd_path(arg0)",
            "when(arg0, arg1)",
            "when(arg0=x, arg1)",
            "when(arg0=1, arg1, arg2, arg3)",
            "dyn(x, arg1)",
            "dyn(0)",
            "ok(arg1, arg2)",
            "mmsg_control()",
            "when(bits(field(arg3, off=0, size=4), shift=60, width=8)=1, arg1)",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
