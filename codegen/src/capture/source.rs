//! The parameter sources of `agent/capture.toml`, parsed: where one exit-event parameter of a
//! syscall comes from. The grammar is documented at the top of the file itself, and per variant
//! of [`param_source::ParamSource`], the type the agent's generated plan is written in too.

pub use param_source::{Cond, FdFrom, MmsgPart, Shape};

use super::validate::POLL_FLAGS;

/// A parsed source: flag tables by name.
pub type ParamSource = param_source::ParamSource<String>;

/// `source` as the `&'static` a nested source is held by. The plan is parsed once per generator
/// run (a build script, `codegen emit`, a test) and its sources are kept until the end of it.
fn nested(source: ParamSource) -> &'static ParamSource {
    Box::leak(Box::new(source))
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
pub fn parse(s: &str) -> Result<ParamSource, String> {
    let (name, a) = call(s)?;
    let bad = || format!("`{s}`: wrong arguments for `{name}`");
    let e = match (name, a.as_slice()) {
        ("ret", []) => ParamSource::Ret,
        ("ret_len", []) => ParamSource::RetLen,
        ("str", [x]) => ParamSource::Str(arg(x)?),
        ("buf", [x, len]) => match keyed(len, "len")? {
            "ret" => ParamSource::BufRetLen(arg(x)?),
            l => ParamSource::BufArgLen(arg(x)?, arg(l)?),
        },
        ("sockaddr", [x, len]) => ParamSource::Sockaddr(arg(x)?, arg(keyed(len, "len")?)?),
        ("fd_pair", [x, k]) => match number(k)? {
            k @ (0 | 1) => ParamSource::FdOfPair(arg(x)?, k),
            _ => return Err(bad()),
        },
        ("open_flags", [x]) if x.starts_with("field") => match parse(x)? {
            ParamSource::Field { arg, off, size } => ParamSource::OpenFlagsField { arg, off, size },
            _ => return Err(bad()),
        },
        ("open_flags", [x]) => ParamSource::OpenFlags(arg(x)?),
        ("cloexec_flags", [x]) => ParamSource::CloexecFlags(arg(x)?),
        ("flags", [t, x]) if !t.is_empty() && x.starts_with("field") => match parse(x)? {
            ParamSource::Field { arg, off, size } => ParamSource::FlagsField {
                table: (*t).to_string(),
                arg,
                off,
                size,
            },
            _ => return Err(bad()),
        },
        ("flags", [t, x]) if !t.is_empty() && x.starts_with("bits") => match parse(x)? {
            ParamSource::Bits { arg, shift, width } => ParamSource::FlagsBits {
                table: (*t).to_string(),
                arg,
                shift,
                width,
            },
            _ => return Err(bad()),
        },
        ("flags", [t, x]) if !t.is_empty() => ParamSource::Flags((*t).to_string(), arg(x)?),
        ("reltime", [x]) => ParamSource::Reltime(arg(x)?),
        ("iovec", [x, n]) => ParamSource::Iovec {
            arg: arg(x)?,
            count: arg(keyed(n, "count")?)?,
            ret: false,
        },
        ("iovec", [x, n, len]) if keyed(len, "len")? == "ret" => ParamSource::Iovec {
            arg: arg(x)?,
            count: arg(keyed(n, "count")?)?,
            ret: true,
        },
        ("iov_len", []) => ParamSource::IovLen,
        ("queuelen", []) => ParamSource::QueueLen,
        ("queuemax", []) => ParamSource::QueueMax,
        ("queuepct", []) => ParamSource::QueuePct,
        ("msg_iovec", [x]) => ParamSource::MsgIovec {
            arg: arg(x)?,
            ret: false,
        },
        ("msg_iovec", [x, len]) if keyed(len, "len")? == "ret" => ParamSource::MsgIovec {
            arg: arg(x)?,
            ret: true,
        },
        ("mmsg_res", [x]) => ParamSource::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Res,
        },
        ("mmsg_len", [x]) => ParamSource::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Len,
        },
        ("mmsg_data", [x]) => ParamSource::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Data,
        },
        ("mmsg_control", [x]) => ParamSource::Mmsg {
            arg: arg(x)?,
            what: MmsgPart::Control,
        },
        ("sockopt", [x, level, name, len]) => {
            let len = keyed(len, "len")?;
            let (len, len_at) = match call(len)? {
                ("deref", a) if a.len() == 1 => (arg(a[0])?, true),
                _ => (arg(len)?, false),
            };
            ParamSource::Sockopt {
                val: arg(x)?,
                level: arg(keyed(level, "level")?)?,
                name: arg(keyed(name, "name")?)?,
                len,
                len_at,
            }
        }
        ("ok", [then]) => ParamSource::IfOk(nested(parse(then)?)),
        ("dyn", [k, then]) => ParamSource::Dyn {
            index: number(k)?,
            then: nested(parse(then)?),
        },
        (w @ ("when" | "unless"), [cond, then, otherwise @ ..]) if otherwise.len() < 2 => {
            let (a, values) = cond
                .rsplit_once('=')
                .ok_or_else(|| format!("`{cond}`: a condition is argM=V|W.."))?;
            let values = values
                .split('|')
                .map(|v| v.trim().parse::<u64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| format!("`{cond}`: the values are decimal numbers"))?;
            ParamSource::When {
                cond: condition(a)?,
                values: Box::leak(values.into_boxed_slice()),
                holds: w == "when",
                then: nested(parse(then)?),
                otherwise: match otherwise.first() {
                    Some(e) => Some(nested(parse(e)?)),
                    None => None,
                },
            }
        }
        ("fdlist", [x, n]) => ParamSource::Fdlist {
            table: POLL_FLAGS.to_string(),
            arg: arg(x)?,
            count: arg(keyed(n, "count")?)?,
        },
        ("tuple_out", []) => ParamSource::TupleOut(None),
        ("tuple_out", [x]) => ParamSource::TupleOut(Some(arg(x)?)),
        ("tuple_in", []) => ParamSource::TupleIn,
        ("sock_sk", []) => ParamSource::SockSk,
        ("sock_peer", []) => ParamSource::SockPeer,
        ("dev", []) => ParamSource::Dev,
        ("ino", []) => ParamSource::Ino,
        ("vm_size", []) => ParamSource::VmSize,
        ("vm_rss", []) => ParamSource::VmRss,
        ("vm_swap", []) => ParamSource::VmSwap,
        ("cap_inheritable", []) => ParamSource::CapInheritable,
        ("cap_permitted", []) => ParamSource::CapPermitted,
        ("cap_effective", []) => ParamSource::CapEffective,
        ("fd_path", []) => ParamSource::FdPath,
        ("msg_control", [x]) => ParamSource::MsgControl(arg(x)?),
        ("field", [x, off, size]) => {
            field(arg(x)?, number(keyed(off, "off")?)?, keyed(size, "size")?)?
        }
        ("const", [n]) => {
            ParamSource::Const(n.parse().map_err(|_| format!("`{s}`: a decimal number"))?)
        }
        ("bits", [x, shift, width]) => {
            let (shift, width) = (
                number(keyed(shift, "shift")?)?,
                number(keyed(width, "width")?)?,
            );
            if width == 0 || u32::from(shift) + u32::from(width) > 64 {
                return Err(format!("`{s}`: bits within a 64-bit word"));
            }
            ParamSource::Bits {
                arg: arg(x)?,
                shift,
                width,
            }
        }
        ("deref", [x, size]) => field(arg(x)?, 0, keyed(size, "size")?)?,
        ("ptrace_addr", [x]) => ParamSource::PtraceAddr(arg(x)?),
        ("ptrace_data", [x, req]) => ParamSource::PtraceData {
            arg: arg(x)?,
            request: arg(keyed(req, "request")?)?,
        },
        (a, []) if a.starts_with("arg") => ParamSource::Arg(arg(a)?),
        _ => return Err(format!("`{s}` is not a source expression")),
    };
    Ok(e)
}

/// What a `when` tests: argument `argM`, or a struct field `field(argM, off=O, size=S)`, or
/// `bits(...)` of either.
fn condition(s: &str) -> Result<Cond, String> {
    let s = s.trim();
    let operand = |x: &str| match parse(x)? {
        ParamSource::Field { arg, off, size } => Ok((arg, Some((off, size)))),
        ParamSource::Arg(a) => Ok((a, None)),
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
            Ok(Cond {
                arg,
                field,
                shift,
                width,
            })
        }
        _ => {
            let (arg, field) = operand(s)?;
            Ok(Cond {
                arg,
                field,
                shift: 0,
                width: 64,
            })
        }
    }
}

fn field(arg: u8, off: u8, size: &str) -> Result<ParamSource, String> {
    let size = number(size)?;
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(format!("field size {size}: 1, 2, 4 or 8"));
    }
    if usize::from(off) + usize::from(size) > 255 {
        return Err(format!("field at {off}+{size}: past 255 bytes"));
    }
    Ok(ParamSource::Field { arg, off, size })
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
        let ParamSource::When { cond, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            *cond,
            Cond {
                arg: 3,
                field: Some((64, 4)),
                shift: 2,
                width: 1
            }
        );
        // The field tested is copied too.
        assert_eq!(
            e.copies(),
            [
                ParamSource::Field {
                    arg: 3,
                    off: 64,
                    size: 4
                },
                ParamSource::Field {
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
        assert_eq!(e.leaves(), [&ParamSource::Str(1), &ParamSource::Arg(1)]);
    }

    #[test]
    fn expressions_parse() {
        assert_eq!(parse("ret"), Ok(ParamSource::Ret));
        assert_eq!(parse("arg3"), Ok(ParamSource::Arg(3)));
        assert_eq!(parse("ret_len"), Ok(ParamSource::RetLen));
        assert_eq!(
            parse("buf(arg1, len=arg2)"),
            Ok(ParamSource::BufArgLen(1, 2))
        );
        assert_eq!(parse("buf(arg1,len = ret)"), Ok(ParamSource::BufRetLen(1)));
        assert_eq!(
            parse("flags(prot_flags, arg2)"),
            Ok(ParamSource::Flags("prot_flags".into(), 2))
        );
        assert_eq!(
            parse("field(arg1, off=8, size=4)"),
            Ok(ParamSource::Field {
                arg: 1,
                off: 8,
                size: 4
            })
        );
        assert_eq!(
            parse("deref(arg0, size=8)"),
            Ok(ParamSource::Field {
                arg: 0,
                off: 0,
                size: 8
            })
        );
        assert_eq!(parse("tuple_out(arg4)"), Ok(ParamSource::TupleOut(Some(4))));
        assert_eq!(
            parse("flags(openat2_flags, field(arg2, off=16, size=8))"),
            Ok(ParamSource::FlagsField {
                table: "openat2_flags".into(),
                arg: 2,
                off: 16,
                size: 8
            })
        );
        assert_eq!(
            parse("open_flags(field(arg2, off=0, size=8))"),
            Ok(ParamSource::OpenFlagsField {
                arg: 2,
                off: 0,
                size: 8
            })
        );
        assert_eq!(
            parse("flags(quotactl_types, bits(arg0, shift=0, width=8))"),
            Ok(ParamSource::FlagsBits {
                table: "quotactl_types".into(),
                arg: 0,
                shift: 0,
                width: 8
            })
        );
        assert_eq!(
            parse("bits(arg0, shift=8, width=24)"),
            Ok(ParamSource::Bits {
                arg: 0,
                shift: 8,
                width: 24
            })
        );
        assert_eq!(
            parse("when(bits(arg0, shift=8, width=24)=8388610, str(arg3))"),
            Ok(ParamSource::When {
                cond: Cond {
                    arg: 0,
                    field: None,
                    shift: 8,
                    width: 24
                },
                values: &[8388610],
                holds: true,
                then: &(ParamSource::Str(3)),
                otherwise: None
            })
        );
        assert_eq!(parse("const(1)"), Ok(ParamSource::Const(1)));
        assert_eq!(parse("cap_permitted"), Ok(ParamSource::CapPermitted));
        assert_eq!(parse("fd_path"), Ok(ParamSource::FdPath));
        assert_eq!(parse("msg_control(arg1)"), Ok(ParamSource::MsgControl(1)));
        assert_eq!(
            parse("sockopt(arg3, level=arg1, name=arg2, len=deref(arg4))"),
            Ok(ParamSource::Sockopt {
                val: 3,
                level: 1,
                name: 2,
                len: 4,
                len_at: true
            })
        );
        assert_eq!(
            parse("unless(arg0=15|16, str(arg1))"),
            Ok(ParamSource::When {
                cond: Cond {
                    arg: 0,
                    field: None,
                    shift: 0,
                    width: 64
                },
                values: &[15, 16],
                holds: false,
                then: &(ParamSource::Str(1)),
                otherwise: None
            })
        );
        assert_eq!(
            parse("mmsg_len(arg1)"),
            Ok(ParamSource::Mmsg {
                arg: 1,
                what: MmsgPart::Len
            })
        );
        assert_eq!(
            parse("when(arg0=1, dyn(1, str(arg1)), dyn(0, const(0)))"),
            Ok(ParamSource::When {
                cond: Cond {
                    arg: 0,
                    field: None,
                    shift: 0,
                    width: 64
                },
                values: &[1],
                holds: true,
                then: &(ParamSource::Dyn {
                    index: 1,
                    then: &(ParamSource::Str(1))
                }),
                otherwise: Some(
                    &(ParamSource::Dyn {
                        index: 0,
                        then: &(ParamSource::Const(0))
                    })
                )
            })
        );
        assert_eq!(
            parse("ok(when(arg1=2, buf(arg3, len=arg4)))"),
            Ok(ParamSource::IfOk(
                &(ParamSource::When {
                    cond: Cond {
                        arg: 1,
                        field: None,
                        shift: 0,
                        width: 64
                    },
                    values: &[2],
                    holds: true,
                    then: &(ParamSource::BufArgLen(3, 4)),
                    otherwise: None
                })
            ))
        );
        assert_eq!(
            parse("mmsg_control(arg1)"),
            Ok(ParamSource::Mmsg {
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
