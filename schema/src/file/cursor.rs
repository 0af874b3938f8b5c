//! A bounds-checked little-endian reader over a byte slice that knows the absolute offset of the
//! slice in the decompressed stream, so that every error can name where it happened.

use super::error::{ReadError, Result};

#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64) -> Self {
        Cursor { buf, pos: 0, base }
    }

    /// Stream offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes consumed so far.
    pub(crate) fn consumed(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Takes the next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let available = self.remaining();
        if n > available {
            return Err(ReadError::Truncated {
                offset: self.offset(),
                what,
                needed: n as u64,
                available: available as u64,
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Splits off the next `n` bytes as a cursor of their own.
    pub(crate) fn sub(&mut self, n: usize, what: &'static str) -> Result<Cursor<'a>> {
        let base = self.offset();
        let buf = self.bytes(n, what)?;
        Ok(Cursor::new(buf, base))
    }

    pub(crate) fn skip(&mut self, n: usize, what: &'static str) -> Result<()> {
        self.bytes(n, what).map(|_| ())
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let b = self.bytes(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    /// A string with a u16 length prefix. `format_max` is the longest length the format allows
    /// (libscap's rule, a malformed file beyond it), `limit` the reader's configured cap.
    pub(crate) fn string16(
        &mut self,
        what: &'static str,
        format_max: u16,
        limit: u32,
    ) -> Result<&'a [u8]> {
        let at = self.offset();
        let len = self.u16(what)?;
        if len > format_max {
            return Err(ReadError::malformed(
                at,
                what,
                format!("length {len} is more than the {format_max} bytes the format allows"),
            ));
        }
        if u32::from(len) > limit {
            return Err(ReadError::limit(at, what, len.into(), limit.into()));
        }
        self.bytes(usize::from(len), what)
    }

    pub(crate) fn ipv4(&mut self, what: &'static str) -> Result<std::net::Ipv4Addr> {
        Ok(std::net::Ipv4Addr::from(self.array::<4>(what)?))
    }

    pub(crate) fn ipv6(&mut self, what: &'static str) -> Result<std::net::Ipv6Addr> {
        Ok(std::net::Ipv6Addr::from(self.array::<16>(what)?))
    }
}

/// Reads a fixed-size little-endian integer at `at` of `buf`, if it is there.
pub(crate) fn le_u16(buf: &[u8], at: usize) -> Option<u16> {
    let b = buf.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

pub(crate) fn le_u32(buf: &[u8], at: usize) -> Option<u32> {
    let b = buf.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub(crate) fn le_u64(buf: &[u8], at: usize) -> Option<u64> {
    let b = buf.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// The bytes of a C string stored with an explicit length: what a C reader sees after it
/// NUL-terminates the copy, i.e. everything before the first NUL.
pub(crate) fn c_str(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes[..end].to_vec()
}
