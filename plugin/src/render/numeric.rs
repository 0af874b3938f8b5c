//! Numbers as libsinsp prints them with C's `printf`: the per-parameter print formats, the
//! integer promotions they go through, and `%g` for relative times.

use std::io::Write;

use edera_scap::tables::PrintFormat;

/// An integer as it reaches `printf` in libsinsp: 8-, 16- and 32-bit values are promoted to a
/// 32-bit `int` (so a `uint32` above `i32::MAX` prints negative with `%d`, and a negative
/// `int8` prints as 32-bit two's complement with `%X`); 64-bit values stay 64-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CInt {
    I32(i32),
    I64(i64),
}

impl CInt {
    fn unsigned(self) -> u64 {
        match self {
            CInt::I32(v) => u64::from(v as u32),
            CInt::I64(v) => v as u64,
        }
    }

    fn signed(self) -> i64 {
        match self {
            CInt::I32(v) => i64::from(v),
            CInt::I64(v) => v,
        }
    }
}

/// The formatted ("evt.args") rendering of an integer parameter with print format `fmt`:
/// `PF_OCT` is `%#o`, `PF_HEX` is `%X` (upper case, no prefix), `PF_10_PADDED_DEC` is `%09d`,
/// and every other format (`PF_DEC`, `PF_ID`, `PF_NA`, `PF_DIR`) is `%d`.
pub fn write_formatted(out: &mut Vec<u8>, v: CInt, fmt: PrintFormat) {
    // Writing into a Vec cannot fail.
    let _ = match fmt {
        PrintFormat::Oct => write_alt_octal(out, v.unsigned()),
        PrintFormat::Hex => write!(out, "{:X}", v.unsigned()),
        PrintFormat::N10PaddedDec => write!(out, "{:09}", v.signed()),
        _ => write!(out, "{}", v.signed()),
    };
}

/// `%#o`: octal with a leading `0`, except for zero itself.
fn write_alt_octal(out: &mut Vec<u8>, v: u64) -> std::io::Result<()> {
    if v == 0 {
        out.push(b'0');
        Ok(())
    } else {
        write!(out, "0{v:o}")
    }
}

/// C's `%g` (`%lg`) of a finite, non-negative or negative double: six significant digits, the
/// shorter of fixed and exponent notation as C chooses it, trailing zeros removed.
pub fn write_g(out: &mut Vec<u8>, x: f64) {
    const P: i32 = 6;
    if !x.is_finite() {
        let s: &[u8] = if x.is_nan() {
            b"nan"
        } else if x > 0.0 {
            b"inf"
        } else {
            b"-inf"
        };
        out.extend_from_slice(s);
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // The exponent after rounding to P significant digits decides the notation.
    let mut buf = [0u8; 64];
    let exp = {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        let _ = write!(cur, "{:.*e}", (P - 1) as usize, x);
        let n = cur.position() as usize;
        let s = &buf[..n];
        let e_at = s.iter().position(|&b| b == b'e').unwrap_or(n);
        std::str::from_utf8(&s[e_at.saturating_add(1).min(n)..])
            .ok()
            .and_then(|t| t.parse::<i32>().ok())
            .unwrap_or(0)
    };
    if (-4..P).contains(&exp) {
        let prec = (P - 1 - exp) as usize;
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        let _ = write!(cur, "{x:.prec$}");
        let n = cur.position() as usize;
        out.extend_from_slice(strip_fraction_zeros(&buf[..n]));
    } else {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        let _ = write!(cur, "{:.*e}", (P - 1) as usize, x);
        let n = cur.position() as usize;
        let s = &buf[..n];
        let e_at = s.iter().position(|&b| b == b'e').unwrap_or(n);
        out.extend_from_slice(strip_fraction_zeros(&s[..e_at]));
        let e = if exp < 0 { b'-' } else { b'+' };
        let _ = write!(out, "e{}{:02}", e as char, exp.unsigned_abs());
    }
}

/// Removes trailing zeros of a fraction, and the point if nothing remains after it.
fn strip_fraction_zeros(s: &[u8]) -> &[u8] {
    if !s.contains(&b'.') {
        return s;
    }
    let mut end = s.len();
    while end > 0 && s[end - 1] == b'0' {
        end -= 1;
    }
    if end > 0 && s[end - 1] == b'.' {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: CInt, fmt: PrintFormat) -> String {
        let mut o = Vec::new();
        write_formatted(&mut o, v, fmt);
        String::from_utf8(o).unwrap()
    }

    fn g(x: f64) -> String {
        let mut o = Vec::new();
        write_g(&mut o, x);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn integer_formats() {
        assert_eq!(f(CInt::I32(0), PrintFormat::Oct), "0");
        assert_eq!(f(CInt::I32(0o644), PrintFormat::Oct), "0644");
        assert_eq!(f(CInt::I32(-1), PrintFormat::Oct), "037777777777");
        assert_eq!(
            f(CInt::I64(-1), PrintFormat::Oct),
            "01777777777777777777777"
        );
        assert_eq!(f(CInt::I32(255), PrintFormat::Hex), "FF");
        assert_eq!(f(CInt::I32(-1), PrintFormat::Hex), "FFFFFFFF");
        assert_eq!(f(CInt::I64(-1), PrintFormat::Hex), "FFFFFFFFFFFFFFFF");
        assert_eq!(f(CInt::I32(42), PrintFormat::N10PaddedDec), "000000042");
        assert_eq!(f(CInt::I32(-1), PrintFormat::N10PaddedDec), "-00000001");
        assert_eq!(
            f(CInt::I64(1234567890123), PrintFormat::N10PaddedDec),
            "1234567890123"
        );
        assert_eq!(f(CInt::I32(u32::MAX as i32), PrintFormat::Dec), "-1");
        assert_eq!(f(CInt::I64(u64::MAX as i64), PrintFormat::Id), "-1");
        assert_eq!(f(CInt::I32(7), PrintFormat::Na), "7");
    }

    #[test]
    fn percent_g() {
        assert_eq!(g(0.0), "0");
        assert_eq!(g(1.0), "1");
        assert_eq!(g(1.5), "1.5");
        assert_eq!(g(0.001), "0.001");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(0.000012345678), "1.23457e-05");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(1234567.0), "1.23457e+06");
        assert_eq!(g(999999.5), "1e+06");
        assert_eq!(g(18446744073.709553), "1.84467e+10");
        assert_eq!(g(0.1), "0.1");
        assert_eq!(g(2.5e-7), "2.5e-07");
        assert_eq!(g(100.0), "100");
        assert_eq!(g(-3.25), "-3.25");
    }
}
