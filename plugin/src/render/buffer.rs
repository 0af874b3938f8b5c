//! Byte buffers (`PT_BYTEBUF`) as libsinsp prints them, per buffer format.
//!
//! Falco uses the normal format (`PF_NORMAL`) unless started with `-b` (`PF_BASE64`); libsinsp
//! knows a few more, kept here for the replay command. The normal format prints every byte
//! that is printable in the C locale (0x20..=0x7e) as itself and every other byte as `.`, so the
//! text has exactly as many characters as the buffer has bytes.
//!
//! Bounds: the formatted rendering (`evt.args`, `evt.arg`) has no cap of its own in libsinsp
//! (its storage grows until the text fits) other than the optional "max event output length"
//! (sysdig sets 80, Falco sets none), so it is bounded by the event's size. The raw rendering
//! (`evt.rawarg`) goes through libsinsp's fixed 1024-byte property storage: see [`RAW_CAP`].

use std::io::Write;

/// libsinsp's buffer formats (`sinsp_evt::param_fmt`), a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BufFmt(pub u32);

impl BufFmt {
    pub const NORMAL: BufFmt = BufFmt(1);
    pub const JSON: BufFmt = BufFmt(1 << 1);
    /// No fd type characters (`<>name` instead of `<f>name`).
    pub const SIMPLE: BufFmt = BufFmt(1 << 2);
    pub const HEX: BufFmt = BufFmt(1 << 3);
    pub const HEXASCII: BufFmt = BufFmt(1 << 4);
    pub const EOLS: BufFmt = BufFmt(1 << 5);
    pub const EOLS_COMPACT: BufFmt = BufFmt(1 << 6);
    pub const BASE64: BufFmt = BufFmt(1 << 7);
    pub const JSONEOLS: BufFmt = BufFmt(1 << 8);
    pub const JSONHEX: BufFmt = BufFmt(1 << 9);
    pub const JSONHEXASCII: BufFmt = BufFmt(1 << 10);
    pub const JSONBASE64: BufFmt = BufFmt(1 << 11);

    fn any(self, bits: u32) -> bool {
        self.0 & bits != 0
    }
}

impl Default for BufFmt {
    /// Falco's default.
    fn default() -> Self {
        BufFmt::NORMAL
    }
}

/// Capacity libsinsp gives a raw (`evt.rawarg`) buffer rendering: its 1024-byte storage minus
/// the terminator. A longer text is cut as libsinsp cuts it (see [`write_buffer`]).
pub const RAW_CAP: usize = 1023;

/// C's `isprint` in the C locale.
fn printable(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

/// Writes `src` in format `fmt`. With `cap` (libsinsp's destination length), the text is cut
/// as libsinsp cuts it: dots and end-of-lines texts stop two bytes short of the cap, hex dumps
/// stop at the last whole row that fits, and a base64 text that does not fit is left out
/// (libsinsp then shows whatever its storage held before; this writes nothing).
pub fn write_buffer(out: &mut Vec<u8>, src: &[u8], fmt: BufFmt, cap: Option<usize>) {
    if src.is_empty() {
        return;
    }
    let json = BufFmt::JSON.0
        | BufFmt::JSONHEX.0
        | BufFmt::JSONEOLS.0
        | BufFmt::JSONHEXASCII.0
        | BufFmt::JSONBASE64.0;
    if fmt.any(BufFmt::HEX.0 | BufFmt::HEXASCII.0) {
        write_hex(out, src, fmt, cap);
    } else if fmt.any(BufFmt::BASE64.0) {
        write_base64(out, src, cap);
    } else if fmt.any(json) {
        match fmt {
            BufFmt::JSONHEX | BufFmt::JSONHEXASCII => write_hex(out, src, fmt, cap),
            BufFmt::JSONEOLS => write_eols(out, src, fmt, cap),
            BufFmt::JSONBASE64 => write_base64(out, src, cap),
            _ => write_dots(out, src, cap),
        }
    } else if fmt.any(BufFmt::EOLS.0 | BufFmt::EOLS_COMPACT.0) {
        write_eols(out, src, fmt, cap);
    } else {
        write_dots(out, src, cap);
    }
}

/// The character limit of a capped text: libsinsp stops at `cap - 1` written characters when
/// more input follows, and then drops the last one.
fn capped_len(written: usize, more: bool, cap: Option<usize>) -> Option<usize> {
    let cap = cap?;
    (more && written >= cap.saturating_sub(1)).then(|| written.saturating_sub(1))
}

fn write_dots(out: &mut Vec<u8>, src: &[u8], cap: Option<usize>) {
    let start = out.len();
    for (j, &b) in src.iter().enumerate() {
        if let Some(keep) = capped_len(j, true, cap) {
            out.truncate(start + keep);
            return;
        }
        out.push(if printable(b) { b } else { b'.' });
    }
}

/// Printable bytes as themselves, `\r` as a new line, `\n` kept unless it follows `\r` (or is
/// the first byte), everything else dropped; a leading new line unless the compact form.
fn write_eols(out: &mut Vec<u8>, src: &[u8], fmt: BufFmt, cap: Option<usize>) {
    let start = out.len();
    if fmt != BufFmt::EOLS_COMPACT {
        out.push(b'\n');
    }
    for (j, &b) in src.iter().enumerate() {
        if let Some(keep) = capped_len(out.len() - start, true, cap) {
            out.truncate(start + keep);
            return;
        }
        if printable(b) {
            out.push(b);
        } else if b == b'\r' {
            out.push(b'\n');
        } else if b == b'\n' && j > 0 && src[j - 1] != b'\r' {
            out.push(b);
        }
    }
}

fn write_base64(out: &mut Vec<u8>, src: &[u8], cap: Option<usize>) {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let enc_len = src.len().div_ceil(3).saturating_mul(4);
    if cap.is_some_and(|c| enc_len >= c.saturating_sub(1)) {
        return;
    }
    for chunk in src.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let triple = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let n = chunk.len() + 1;
        for i in 0..4 {
            if i < n {
                out.push(TABLE[((triple >> (18 - 6 * i)) & 0x3f) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// Rows of 16 bytes: `\n\t0x{offset:04x}:` then ` {pair:04x}` per two bytes (` {byte:02x}` for
/// a last odd byte); with `HEXASCII` the row is padded and followed by its printable bytes.
/// A final new line ends the dump.
fn write_hex(out: &mut Vec<u8>, src: &[u8], fmt: BufFmt, cap: Option<usize>) {
    let ascii = fmt.any(BufFmt::HEXASCII.0 | BufFmt::JSONHEXASCII.0);
    let start = out.len();
    let mut row = [0u8; 160];
    for (r, chunk) in src.chunks(16).enumerate() {
        let mut cur = std::io::Cursor::new(&mut row[..]);
        let _ = write!(cur, "\n\t0x{:04x}:", r * 16);
        for pair in chunk.chunks(2) {
            let _ = match pair {
                [a, b] => write!(cur, " {a:02x}{b:02x}"),
                [a] => write!(cur, " {a:02x}"),
                _ => Ok(()),
            };
        }
        if ascii {
            for _ in chunk.len().div_ceil(2)..8 {
                let _ = cur.write_all(b"     ");
            }
            let _ = cur.write_all(b"  ");
            for &b in chunk {
                let _ = cur.write_all(&[if printable(b) { b } else { b'.' }]);
            }
        }
        let n = cur.position() as usize;
        if cap.is_some_and(|c| (out.len() - start) + n >= c.saturating_sub(1)) {
            break;
        }
        out.extend_from_slice(&row[..n]);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(src: &[u8], fmt: BufFmt, cap: Option<usize>) -> String {
        let mut o = Vec::new();
        write_buffer(&mut o, src, fmt, cap);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn dots() {
        assert_eq!(
            w(b"GET /\r\n\x00\xff~ ", BufFmt::NORMAL, None),
            "GET /....~ "
        );
        assert_eq!(w(b"", BufFmt::NORMAL, None), "");
        let big = vec![b'a'; 5000];
        assert_eq!(w(&big, BufFmt::NORMAL, None).len(), 5000);
        assert_eq!(w(&big, BufFmt::NORMAL, Some(RAW_CAP)).len(), 1021);
        assert_eq!(w(&big[..1022], BufFmt::NORMAL, Some(RAW_CAP)).len(), 1022);
        assert_eq!(w(&big[..1023], BufFmt::NORMAL, Some(RAW_CAP)).len(), 1021);
        assert_eq!(w(b"a\x01", BufFmt::JSON, None), "a.");
    }

    #[test]
    fn eols() {
        assert_eq!(w(b"\nab\r\ncd\n\x01e", BufFmt::EOLS, None), "\nab\ncd\ne");
        assert_eq!(w(b"ab\ncd", BufFmt::EOLS_COMPACT, None), "ab\ncd");
    }

    #[test]
    fn base64() {
        assert_eq!(w(b"f", BufFmt::BASE64, None), "Zg==");
        assert_eq!(w(b"fo", BufFmt::BASE64, None), "Zm8=");
        assert_eq!(w(b"foo", BufFmt::BASE64, None), "Zm9v");
        assert_eq!(w(b"foob\xff", BufFmt::BASE64, None), "Zm9vYv8=");
        assert_eq!(w(&[0u8; 800], BufFmt::BASE64, Some(RAW_CAP)), "");
    }

    #[test]
    fn hex() {
        assert_eq!(w(b"ABC", BufFmt::HEX, None), "\n\t0x0000: 4142 43\n");
        let s = w(b"0123456789abcdefXY", BufFmt::HEXASCII, None);
        let row2 = format!("\n\t0x0010: 5859{}XY\n", " ".repeat(7 * 5 + 2));
        assert_eq!(
            s,
            format!("\n\t0x0000: 3031 3233 3435 3637 3839 6162 6364 6566  0123456789abcdef{row2}")
        );
        let capped = w(&[0u8; 4096], BufFmt::HEX, Some(RAW_CAP));
        assert!(capped.len() < RAW_CAP && capped.ends_with('\n'));
    }
}
