//! One parameter in libsinsp's formatted rendering (`sinsp_evt::get_param_as_str`), the form
//! of `evt.args`, `evt.info`, `evt.arg[N]`, `evt.arg.NAME` and `evt.res`.
//!
//! Facts this reproduces, beyond the per-type modules:
//! - an empty parameter is `NULL` for byte buffers, tuples, fd lists, string arrays and dynamic
//!   parameters, and `<NA>` otherwise; an empty (or `(NULL)`) string or path is `<NA>` too;
//! - a dynamic parameter's first byte picks its type from the parameter's table; the print
//!   format stays the outer parameter's; an index past the table gives
//!   `INVALID DYNAMIC PARAMETER`; an empty string after the index byte prints `(null)`;
//! - integers go through C's promotions (see [`super::numeric`]); `PT_UINT64` and `PT_UINT32`
//!   print signed in decimal; errnos, pids, fds and uids ignore the print format;
//! - uids and gids always resolve: the name, `<NA>` when unknown, and `-1(<NONE>)` for
//!   `u32::MAX`; pids resolve to the thread's `comm`; errnos (negative), signals, syscall ids
//!   and relative times (`0.5s`) resolve to names;
//! - types libsinsp has no text for (ports, protocols, families, booleans, addresses, nets,
//!   doubles, 32-bit fds and pids) are `(n.a.)`.
//!
//! Where libsinsp would throw (a fixed-size parameter of the wrong size, a string that is not
//! exactly one NUL-terminated string, string arrays, whose libsinsp rendering dereferences the
//! bytes as a pointer), the parameter renders as [`INVALID`].

use std::io::Write;

use edera_scap::event::RawEvent;
use edera_scap::info::{EventInfo, ParamExtra, ParamInfo, ParamType};
use edera_scap::tables::PPM_SC_NAMES;

use super::Options;
use super::buffer::{BufFmt, write_buffer};
use super::errno::errno_name;
use super::flags::{write_flag_names, write_mode_names};
use super::lookup::Lookup;
use super::numeric::{CInt, write_formatted, write_g};
use super::resolve::{write_fd, write_fdlist, write_path};
use super::signal::{signal_name, write_sigset};
use super::sink::{Sink, c_str};
use super::time::write_abstime;
use crate::net::{write_arg_sockaddr, write_arg_socktuple};

/// The text of a parameter libsinsp cannot render (it throws instead).
pub const INVALID: &[u8] = b"<INVALID>";

/// Little-endian fixed-size decoding; `None` for any other size.
fn le<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.try_into().ok()
}

/// The string a `PT_CHARBUF`/`PT_FSPATH`/`PT_FSRELPATH` value holds: exactly one
/// NUL-terminated string, or the legacy null encodings (empty, `(NULL)`) which read `<NA>`.
fn c_string(data: &[u8]) -> Option<&[u8]> {
    if data.is_empty() || data == b"(NULL)\0" {
        return Some(b"<NA>");
    }
    let (&last, body) = data.split_last()?;
    (last == 0 && !body.contains(&0)).then_some(body)
}

/// Writes parameter `idx` of `ev` (described by `info`) through `sink`.
pub fn write_param(
    sink: Sink<'_>,
    ev: &RawEvent<'_>,
    info: &EventInfo,
    idx: usize,
    lookup: &dyn Lookup,
    opts: &Options,
) {
    let (Some(p), Some(data)) = (info.params.get(idx), ev.param(idx)) else {
        return sink.only(INVALID);
    };
    let string_like = matches!(
        p.ptype,
        ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath
    );
    if data.is_empty() && !string_like {
        let text: &[u8] = match p.ptype {
            ParamType::Bytebuf
            | ParamType::Socktuple
            | ParamType::Fdlist
            | ParamType::Charbufarray
            | ParamType::CharbufPairArray
            | ParamType::Dyn => b"NULL",
            _ => b"<NA>",
        };
        return sink.only(text);
    }
    let (ptype, data, dyn_sub) = match (p.ptype, &p.extra) {
        (ParamType::Dyn, ParamExtra::Dyn(table)) => match table.get(usize::from(data[0])) {
            Some(sub) => (sub.ptype, &data[1..], true),
            None => (ParamType::Dyn, data, false),
        },
        (t, _) => (t, data, false),
    };
    write_typed(sink, ptype, data, dyn_sub, p, ev, info, idx, lookup, opts);
}

/// Writes a value of type `ptype`, or [`INVALID`] where libsinsp would throw.
#[allow(clippy::too_many_arguments)]
fn write_typed(
    mut sink: Sink<'_>,
    ptype: ParamType,
    data: &[u8],
    dyn_sub: bool,
    p: &ParamInfo,
    ev: &RawEvent<'_>,
    info: &EventInfo,
    idx: usize,
    lookup: &dyn Lookup,
    opts: &Options,
) {
    let fmt = p.fmt;
    macro_rules! int {
        ($t:ty, $wrap:expr) => {{
            let Some(b) = le(data) else {
                return sink.only(INVALID);
            };
            write_formatted(sink.out(), $wrap(<$t>::from_le_bytes(b)), fmt);
        }};
    }
    macro_rules! fixed {
        ($t:ty) => {
            match le(data) {
                Some(b) => <$t>::from_le_bytes(b),
                None => return sink.only(INVALID),
            }
        };
    }
    match ptype {
        ParamType::Int8 => int!(i8, |v: i8| CInt::I32(v.into())),
        ParamType::Int16 => int!(i16, |v: i16| CInt::I32(v.into())),
        ParamType::Int32 => int!(i32, CInt::I32),
        ParamType::Int64 => int!(i64, CInt::I64),
        ParamType::Uint8 => int!(u8, |v: u8| CInt::I32(v.into())),
        ParamType::Uint16 => int!(u16, |v: u16| CInt::I32(v.into())),
        ParamType::Uint32 => int!(u32, |v: u32| CInt::I32(v as i32)),
        ParamType::Uint64 => int!(u64, |v: u64| CInt::I64(v as i64)),
        ParamType::Fd => {
            let fd = fixed!(i64);
            write_fd(sink, fd, lookup, opts.buffer_format);
        }
        ParamType::Pid => {
            let pid = fixed!(i64);
            let _ = write!(sink.out(), "{pid}");
            sink.resolved(|o| {
                if let Some(comm) = lookup.comm(pid) {
                    o.extend_from_slice(c_str(comm));
                }
            });
        }
        ParamType::Errno => {
            let v = fixed!(i64);
            let _ = write!(sink.out(), "{v}");
            if v < 0 {
                sink.resolved(|o| o.extend_from_slice(errno_name(v).unwrap_or("").as_bytes()));
            }
        }
        ParamType::Charbuf => {
            if dyn_sub && data.is_empty() {
                return sink.out().extend_from_slice(b"(null)");
            }
            match c_string(data) {
                Some(s) => sink.out().extend_from_slice(s),
                None => sink.only(INVALID),
            }
        }
        ParamType::Fspath | ParamType::Fsrelpath => match c_string(data) {
            Some(s) => write_path(sink, s, ev, info, idx, lookup),
            None => sink.only(INVALID),
        },
        ParamType::Bytebuf => write_bytebuf(sink.out(), data, opts),
        ParamType::Sockaddr => write_arg_sockaddr(sink.out(), data),
        ParamType::Socktuple => write_arg_socktuple(sink.out(), data),
        ParamType::Fdlist => write_fdlist(sink.out(), data, lookup),
        ParamType::Syscallid => {
            let id = fixed!(u16);
            match PPM_SC_NAMES.get(usize::from(id)) {
                Some(name) => {
                    let _ = write!(sink.out(), "{id}");
                    sink.resolved(|o| o.extend_from_slice(name.as_bytes()));
                }
                None => sink.out().extend_from_slice(b"<unknown syscall>"),
            }
        }
        ParamType::Sigtype => {
            let sig = fixed!(u8);
            let _ = write!(sink.out(), "{sig}");
            sink.resolved(|o| o.extend_from_slice(signal_name(sig).unwrap_or("").as_bytes()));
        }
        ParamType::Reltime => {
            let v = fixed!(u64);
            if v == u64::MAX {
                sink.out().extend_from_slice(b"none");
            } else {
                let _ = write!(sink.out(), "{v}");
                sink.resolved(|o| {
                    write_g(o, v as f64 / 1e9);
                    o.push(b's');
                });
            }
        }
        ParamType::Flags8 | ParamType::Enumflags8 => {
            let v = fixed!(u8);
            write_flags(sink, p, v.into());
        }
        ParamType::Flags16 | ParamType::Enumflags16 => {
            let v = fixed!(u16);
            write_flags(sink, p, v.into());
        }
        ParamType::Flags32 | ParamType::Enumflags32 => {
            let v = fixed!(u32);
            write_flags(sink, p, v);
        }
        ParamType::Mode => {
            let v = fixed!(u32);
            write_formatted(sink.out(), CInt::I32(v as i32), fmt);
            if let Some(t) = p.flags() {
                sink.resolved(|o| write_mode_names(o, t, v));
            }
        }
        ParamType::Abstime => write_abstime(sink.out(), fixed!(u64)),
        ParamType::Dyn => sink.out().extend_from_slice(b"INVALID DYNAMIC PARAMETER"),
        ParamType::Uid | ParamType::Gid => {
            let v = fixed!(u32);
            if v == u32::MAX {
                sink.out().extend_from_slice(b"-1");
                sink.resolved(|o| o.extend_from_slice(b"<NONE>"));
            } else {
                let _ = write!(sink.out(), "{}", v as i32);
                let name = if ptype == ParamType::Uid {
                    lookup.user_name(v)
                } else {
                    lookup.group_name(v)
                };
                sink.resolved(|o| match name.map(c_str).filter(|n| !n.is_empty()) {
                    Some(n) => o.extend_from_slice(n),
                    None => o.extend_from_slice(b"<NA>"),
                });
            }
        }
        ParamType::Sigset => write_sigset(sink.out(), fixed!(u32)),
        ParamType::Charbufarray | ParamType::CharbufPairArray => sink.only(INVALID),
        _ => sink.out().extend_from_slice(b"(n.a.)"),
    }
}

/// `PT_FLAGS*`/`PT_ENUMFLAGS*`: the value in decimal (unsigned), the names resolved.
fn write_flags(mut sink: Sink<'_>, p: &ParamInfo, v: u32) {
    let _ = write!(sink.out(), "{v}");
    let exact = matches!(
        p.ptype,
        ParamType::Enumflags8 | ParamType::Enumflags16 | ParamType::Enumflags32
    );
    if let Some(t) = p.flags() {
        sink.resolved(|o| write_flag_names(o, t, v, exact));
    }
}

/// `PT_BYTEBUF` in the configured buffer format; in the normal format, a text longer than
/// the maximum output length is cut to it, its last three characters replaced by `...`.
fn write_bytebuf(out: &mut Vec<u8>, data: &[u8], opts: &Options) {
    let start = out.len();
    write_buffer(out, data, opts.buffer_format, None);
    let max = opts.max_output_len as usize;
    if max != 0 && opts.buffer_format == BufFmt::NORMAL && out.len() - start > max {
        out.truncate(start + max);
        if max > 3 {
            let n = out.len();
            out[n - 3..].copy_from_slice(b"...");
        }
    }
}
