//! `evt.rawarg.NAME`: a parameter's bytes typed by the parameter, printed as libsinsp prints a
//! raw field value (`sinsp_filter_check::rawval_to_string`, print format = the parameter's).
//!
//! Facts: integers are printed without promotions to the parameter's signedness (`%u` for
//! unsigned, `%d` for signed, `%o` without a leading `0`, `%X`, `%09` for 64-bit padded); an
//! empty integer parameter prints `0`; 8/16/32-bit types with a print format other than
//! dec/id/oct/hex (and unsigned 64-bit ones other than those and padded) have no value;
//! strings and paths print up to their NUL (`<NA>` when empty); byte buffers use the buffer
//! format, cut to libsinsp's 1024-byte property storage; booleans are `true`/`false`; ipv4/ipv6
//! addresses print as addresses; sockaddrs have no value; modes, signals, syscall ids, tuples,
//! fd lists, dynamic parameters, signal sets and string arrays make libsinsp throw
//! ("wrong param type").

use std::io::Write;

use edera_scap::info::{ParamInfo, ParamType};
use edera_scap::tables::PrintFormat;

use super::buffer::{BufFmt, RAW_CAP, write_buffer};
use super::sink::c_str;
use crate::net::{write_ipv4, write_ipv6};

/// The result of a raw rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawText {
    /// A text was written.
    Text,
    /// libsinsp gives no value.
    NoValue,
    /// libsinsp throws: the type has no raw text, or the bytes do not fit the type (libsinsp
    /// would read past the parameter).
    Error,
}

fn le<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.try_into().ok()
}

/// Writes parameter bytes `data` of parameter `p` in the raw form.
pub fn write_raw(out: &mut Vec<u8>, p: &ParamInfo, data: &[u8], buf_fmt: BufFmt) -> RawText {
    use ParamType as T;
    use PrintFormat as F;
    let fmt = p.fmt;
    let id_or_dec = matches!(fmt, F::Dec | F::Id);
    let int_like = matches!(
        p.ptype,
        T::Int8
            | T::Int16
            | T::Int32
            | T::Int64
            | T::Pid
            | T::Errno
            | T::Fd
            | T::L4proto
            | T::Uint8
            | T::Flags8
            | T::Enumflags8
            | T::Port
            | T::Uint16
            | T::Flags16
            | T::Enumflags16
            | T::Uint32
            | T::Flags32
            | T::Enumflags32
            | T::Uid
            | T::Gid
            | T::Uint64
            | T::Reltime
            | T::Abstime
    );
    if int_like && data.is_empty() {
        out.push(b'0');
        return RawText::Text;
    }
    macro_rules! get {
        ($t:ty) => {
            match le(data) {
                Some(b) => <$t>::from_le_bytes(b),
                None => return RawText::Error,
            }
        };
    }
    // 8/16/32-bit values: `%o`, `%d`/`%u`, `%X` (signed ones through an `int`).
    let small = |out: &mut Vec<u8>, signed: i64, bits: u64| -> RawText {
        let _ = match fmt {
            F::Oct => write!(out, "{bits:o}"),
            F::Hex => write!(out, "{bits:X}"),
            _ if id_or_dec => write!(out, "{signed}"),
            _ => return RawText::NoValue,
        };
        RawText::Text
    };
    match p.ptype {
        T::Int8 => {
            let v = i32::from(get!(i8));
            small(out, v.into(), u64::from(v as u32))
        }
        T::Int16 => {
            let v = i32::from(get!(i16));
            small(out, v.into(), u64::from(v as u32))
        }
        T::Int32 => {
            let v = get!(i32);
            small(out, v.into(), u64::from(v as u32))
        }
        T::L4proto | T::Uint8 | T::Flags8 | T::Enumflags8 => {
            let v = get!(u8);
            small(out, v.into(), v.into())
        }
        T::Port | T::Uint16 | T::Flags16 | T::Enumflags16 => {
            let v = get!(u16);
            small(out, v.into(), v.into())
        }
        T::Uint32 | T::Flags32 | T::Enumflags32 | T::Uid | T::Gid => {
            let v = get!(u32);
            small(out, v.into(), v.into())
        }
        T::Int64 | T::Pid | T::Errno | T::Fd => {
            let v = get!(i64);
            let _ = match fmt {
                F::Oct => write!(out, "{:o}", v as u64),
                F::N10PaddedDec => write!(out, "{v:09}"),
                F::Hex => write!(out, "{:X}", v as u64),
                _ => write!(out, "{v}"),
            };
            RawText::Text
        }
        T::Uint64 | T::Reltime | T::Abstime => {
            let v = get!(u64);
            let _ = match fmt {
                F::Oct => write!(out, "{v:o}"),
                F::N10PaddedDec => write!(out, "{v:09}"),
                F::Hex => write!(out, "{v:X}"),
                _ if id_or_dec => write!(out, "{v}"),
                _ => return RawText::NoValue,
            };
            RawText::Text
        }
        T::Charbuf | T::Fspath | T::Fsrelpath => {
            if data.is_empty() || data == b"(NULL)\0" {
                out.extend_from_slice(b"<NA>");
            } else {
                out.extend_from_slice(c_str(data));
            }
            RawText::Text
        }
        T::Bytebuf => {
            write_buffer(out, data, buf_fmt, Some(RAW_CAP));
            RawText::Text
        }
        T::Bool => {
            let v = get!(u32);
            out.extend_from_slice(if v != 0 { b"true" } else { b"false" });
            RawText::Text
        }
        T::Ipv4addr => {
            write_ipv4(out, get!(u32).to_le_bytes());
            RawText::Text
        }
        T::Ipv6addr => {
            write_ipv6(out, &get!(u128).to_le_bytes());
            RawText::Text
        }
        T::Ipaddr => match data.len() {
            4 => {
                write_ipv4(out, [data[0], data[1], data[2], data[3]]);
                RawText::Text
            }
            16 => {
                write_ipv6(out, &get!(u128).to_le_bytes());
                RawText::Text
            }
            _ => RawText::Error,
        },
        T::Double => {
            let _ = write!(out, "{:.1}", get!(f64));
            RawText::Text
        }
        T::Ipnet => {
            out.extend_from_slice(b"<IPNET>");
            RawText::Text
        }
        T::Sockaddr | T::Sockfamily => RawText::NoValue,
        _ => RawText::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edera_scap::info::ParamExtra;

    fn r(ptype: ParamType, fmt: PrintFormat, data: &[u8]) -> (RawText, String) {
        let p = ParamInfo {
            name: "x",
            name_id: 0,
            ptype,
            fmt,
            extra: ParamExtra::None,
        };
        let mut o = Vec::new();
        let t = write_raw(&mut o, &p, data, BufFmt::NORMAL);
        (t, String::from_utf8(o).unwrap())
    }

    #[test]
    fn raw_values() {
        use ParamType as T;
        use PrintFormat as F;
        let text = |s: &str| (RawText::Text, s.to_string());
        assert_eq!(r(T::Int64, F::Dec, &(-2i64).to_le_bytes()), text("-2"));
        assert_eq!(r(T::Fd, F::Na, &3i64.to_le_bytes()), text("3"));
        assert_eq!(
            r(T::Errno, F::Hex, &(-1i64).to_le_bytes()),
            text("FFFFFFFFFFFFFFFF")
        );
        assert_eq!(r(T::Int64, F::Oct, &8i64.to_le_bytes()), text("10"));
        assert_eq!(
            r(T::Uint32, F::Dec, &u32::MAX.to_le_bytes()),
            text("4294967295")
        );
        assert_eq!(r(T::Uint32, F::Oct, &0o644u32.to_le_bytes()), text("644"));
        assert_eq!(r(T::Flags32, F::Hex, &4097u32.to_le_bytes()), text("1001"));
        assert_eq!(
            r(T::Uint32, F::Na, &1u32.to_le_bytes()),
            (RawText::NoValue, String::new())
        );
        assert_eq!(r(T::Int8, F::Hex, &[0xff]), text("FFFFFFFF"));
        assert_eq!(r(T::Int16, F::Dec, &(-5i16).to_le_bytes()), text("-5"));
        assert_eq!(
            r(T::Uint64, F::Dec, &u64::MAX.to_le_bytes()),
            text("18446744073709551615")
        );
        assert_eq!(
            r(T::Uint64, F::N10PaddedDec, &5u64.to_le_bytes()),
            text("000000005")
        );
        assert_eq!(r(T::Uint64, F::Dec, &[]), text("0"));
        assert_eq!(
            r(T::Uint64, F::Dec, &[1, 2]),
            (RawText::Error, String::new())
        );
        assert_eq!(r(T::Charbuf, F::Na, b"abc\0"), text("abc"));
        assert_eq!(r(T::Fspath, F::Na, b""), text("<NA>"));
        assert_eq!(r(T::Bytebuf, F::Na, b"a\x01b"), text("a.b"));
        assert_eq!(r(T::Bytebuf, F::Na, &[b'x'; 4000]).1.len(), 1021);
        assert_eq!(r(T::Ipv4addr, F::Na, &[10, 0, 0, 1]), text("10.0.0.1"));
        assert_eq!(r(T::Ipaddr, F::Na, &[0; 16]), text("::"));
        assert_eq!(r(T::Bool, F::Na, &1u32.to_le_bytes()), text("true"));
        assert_eq!(r(T::Double, F::Na, &2.25f64.to_le_bytes()), text("2.2"));
        assert_eq!(
            r(T::Sockaddr, F::Na, b"\x02abc"),
            (RawText::NoValue, String::new())
        );
        assert_eq!(
            r(T::Mode, F::Oct, &0u32.to_le_bytes()),
            (RawText::Error, String::new())
        );
        assert_eq!(
            r(T::Syscallid, F::Dec, &3u16.to_le_bytes()),
            (RawText::Error, String::new())
        );
    }
}
