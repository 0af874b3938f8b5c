//! The byte stream under the reader: plain or gzip (detected by the gzip magic, as zlib's
//! `gzopen` does for libscap), with the offset in the decompressed stream tracked for errors.
//!
//! The stream is read in large chunks into one reused window; a block's body is handed out as a
//! range of that window (no copy), valid until the next read. The window grows only as bytes
//! arrive (never to a length the file merely claims), and only as far as the largest block read,
//! which the reader caps by [`Limits::max_block_bytes`](super::Limits::max_block_bytes).

use std::io::{self, Chain, Read};
use std::ops::Range;

use flate2::read::MultiGzDecoder;

use super::block::BlockHeader;
use super::error::{ReadError, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The window's size before any block needs more: the size of one read.
const CHUNK: usize = 128 * 1024;
/// Most bytes the window grows by beyond the bytes already in it, so that memory follows the
/// bytes really present.
const GROW_STEP: usize = 64 * 1024;

type Prefixed<R> = Chain<io::Cursor<Vec<u8>>, R>;

enum Decoder<R: Read> {
    Plain(Prefixed<R>),
    Gzip(MultiGzDecoder<Prefixed<R>>),
}

/// The decompressed capture stream.
pub(crate) struct Input<R: Read> {
    decoder: Decoder<R>,
    /// Bytes read ahead; `window[pos..end]` are not consumed yet.
    window: Vec<u8>,
    pos: usize,
    end: usize,
    /// Offset of `window[pos]` in the decompressed stream.
    offset: u64,
    compressed: bool,
}

impl<R: Read> Input<R> {
    /// Wraps `inner`, looking at its first two bytes to choose plain or gzip.
    pub(crate) fn new(mut inner: R) -> Result<Self> {
        let mut magic = Vec::with_capacity(2);
        let mut buf = [0u8; 2];
        while magic.len() < 2 {
            match inner.read(&mut buf[..2 - magic.len()]) {
                Ok(0) => break,
                Ok(n) => magic.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(ReadError::Io { offset: 0, source }),
            }
        }
        let compressed = magic == GZIP_MAGIC;
        let prefixed = io::Cursor::new(magic).chain(inner);
        let decoder = if compressed {
            Decoder::Gzip(MultiGzDecoder::new(prefixed))
        } else {
            Decoder::Plain(prefixed)
        };
        Ok(Input {
            decoder,
            window: Vec::new(),
            pos: 0,
            end: 0,
            offset: 0,
            compressed,
        })
    }

    /// True when the stream is gzip-compressed.
    pub(crate) fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Offset of the next byte in the decompressed stream.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes the window reserves.
    pub(crate) fn capacity(&self) -> usize {
        self.window.capacity()
    }

    /// The bytes of `range`, a range [`Self::block`] returned (until the next read).
    pub(crate) fn window(&self, range: &Range<usize>) -> &[u8] {
        self.window.get(range.clone()).unwrap_or(&[])
    }

    /// Makes at least `n` unconsumed bytes available, unless the stream ends first; returns the
    /// number available (at most `n`).
    #[inline]
    fn fill_to(&mut self, n: usize) -> Result<usize> {
        if self.end - self.pos >= n {
            return Ok(n);
        }
        self.refill(n)
    }

    /// [`Self::fill_to`] when the window holds fewer than `n` unconsumed bytes: moves them to its
    /// start and reads more.
    #[inline(never)]
    fn refill(&mut self, n: usize) -> Result<usize> {
        if self.pos > 0 {
            self.window.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        while self.end < n {
            if self.end == self.window.len() {
                let len = (self.end + GROW_STEP).min(n).max(CHUNK);
                self.window.resize(len, 0);
            }
            let read = match &mut self.decoder {
                Decoder::Plain(r) => r.read(&mut self.window[self.end..]),
                Decoder::Gzip(r) => r.read(&mut self.window[self.end..]),
            };
            match read {
                Ok(0) => break,
                Ok(got) => self.end += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ReadError::Io {
                        offset: self.offset + self.end as u64,
                        source,
                    });
                }
            }
        }
        Ok(self.end.min(n))
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.offset += n as u64;
    }

    /// Reads the next block header. `Ok(None)` at a clean end of stream (no byte left).
    #[inline]
    pub(crate) fn block_header(&mut self) -> Result<Option<BlockHeader>> {
        let offset = self.offset;
        let n = self.fill_to(8)?;
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            self.consume(n);
            return Err(ReadError::Truncated {
                offset,
                what: "block header",
                needed: 8,
                available: n as u64,
            });
        }
        let raw = &self.window[self.pos..self.pos + 8];
        let block_type = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let total_length = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
        self.consume(8);
        Ok(Some(BlockHeader {
            offset,
            block_type,
            total_length,
        }))
    }

    /// Reads the body (`len` bytes, named `what` in errors) and the trailing length of the block
    /// whose header is `header`; returns the body's range in the window.
    #[inline]
    pub(crate) fn block(
        &mut self,
        header: &BlockHeader,
        len: usize,
        what: &'static str,
    ) -> Result<Range<usize>> {
        let offset = self.offset;
        let available = self.fill_to(len + 4)?;
        if available < len {
            self.consume(available);
            return Err(ReadError::Truncated {
                offset,
                what,
                needed: len as u64,
                available: available as u64,
            });
        }
        let body = self.pos..self.pos + len;
        self.consume(len);
        self.check_trailer(header, available - len)?;
        Ok(body)
    }

    /// Discards the next `len` bytes without keeping them.
    pub(crate) fn skip(&mut self, len: u64, what: &'static str) -> Result<()> {
        let offset = self.offset;
        let mut left = len;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(CHUNK);
            let available = self.fill_to(want)?;
            self.consume(available);
            left -= available as u64;
            if available < want {
                return Err(ReadError::Truncated {
                    offset,
                    what,
                    needed: len,
                    available: len - left,
                });
            }
        }
        Ok(())
    }

    /// Reads a block's trailing length and checks it against the header.
    pub(crate) fn trailer(&mut self, header: &BlockHeader) -> Result<()> {
        let available = self.fill_to(4)?;
        self.check_trailer(header, available)
    }

    /// Checks the trailing length at the next byte, of which `available` (<= 4 meaningful) are
    /// in the window, and consumes it.
    #[inline]
    fn check_trailer(&mut self, header: &BlockHeader, available: usize) -> Result<()> {
        let offset = self.offset;
        if available < 4 {
            self.consume(available);
            return Err(ReadError::Truncated {
                offset,
                what: "block trailer",
                needed: 4,
                available: available as u64,
            });
        }
        let raw = &self.window[self.pos..self.pos + 4];
        let trailer = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
        self.consume(4);
        if trailer != header.total_length {
            return Err(ReadError::malformed(
                offset,
                "block trailer",
                format!(
                    "trailing length {trailer} differs from the length {} in the header of the \
                     block (type {:#x}) at byte {}",
                    header.total_length, header.block_type, header.offset
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// A block of type 0x216 with body `body`, its trailer `trailer` (None: the right one).
    fn block(body: &[u8], trailer: Option<u32>) -> Vec<u8> {
        let total = (body.len() + 12) as u32;
        let mut out = 0x216u32.to_le_bytes().to_vec();
        out.extend_from_slice(&total.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&trailer.unwrap_or(total).to_le_bytes());
        out
    }

    fn bodies(stream: &[u8], step: usize) -> Result<Vec<Vec<u8>>> {
        let mut input = Input::new(Trickle {
            bytes: stream,
            step,
        })?;
        let mut out = Vec::new();
        while let Some(h) = input.block_header()? {
            let len = h.body_len().unwrap_or(0) as usize;
            let body = input.block(&h, len, "block body")?;
            out.push(input.window(&body).to_vec());
        }
        Ok(out)
    }

    #[test]
    fn blocks_across_reads_and_window_edges_come_out_whole() {
        // Bodies of many sizes, so that blocks straddle every read and window boundary, one
        // larger than the window.
        let sizes = [1usize, 7, 100, CHUNK - 5, 3, CHUNK + GROW_STEP + 9, 4000, 0];
        let want: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
            .collect();
        let stream: Vec<u8> = want.iter().flat_map(|b| block(b, None)).collect();
        for step in [1, 3, 4096, CHUNK, usize::MAX] {
            assert_eq!(
                bodies(&stream, step).unwrap(),
                want,
                "reads of {step} bytes"
            );
        }
    }

    #[test]
    fn a_claimed_length_grows_the_window_only_by_the_bytes_present() {
        // A header claiming 1 GiB, 100 bytes there.
        let mut stream = 0x216u32.to_le_bytes().to_vec();
        stream.extend_from_slice(&(1u32 << 30).to_le_bytes());
        stream.extend_from_slice(&[0u8; 100]);
        let mut input = Input::new(&stream[..]).unwrap();
        let h = input.block_header().unwrap().unwrap();
        let e = input.block(&h, 1 << 30, "block body").unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::Truncated {
                    offset: 8,
                    needed: 0x4000_0000,
                    available: 100,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(input.capacity() <= 2 * CHUNK, "{}", input.capacity());
    }

    #[test]
    fn truncated_headers_bodies_and_trailers_name_their_offset() {
        let whole = block(&[1, 2, 3, 4], None);
        // Cut inside the header, the body, the trailer.
        for (cut, offset, what, needed, available) in [
            (5, 0, "block header", 8, 5),
            (10, 8, "block body", 4, 2),
            (14, 12, "block trailer", 4, 2),
        ] {
            let e = bodies(&whole[..cut], 1).unwrap_err();
            match e {
                ReadError::Truncated {
                    offset: o,
                    what: w,
                    needed: n,
                    available: a,
                } => assert_eq!((o, w, n, a), (offset, what, needed, available), "cut {cut}"),
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        let e = bodies(&block(&[1, 2, 3, 4], Some(99)), 3).unwrap_err();
        assert!(
            matches!(e, ReadError::Malformed { offset: 12, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn skipped_bodies_are_consumed_and_checked() {
        let mut stream = block(&vec![9u8; CHUNK + 10], None);
        stream.extend(block(&[5, 6], None));
        let mut input = Input::new(&stream[..]).unwrap();
        let h = input.block_header().unwrap().unwrap();
        input
            .skip(u64::from(h.body_len().unwrap()), "unknown")
            .unwrap();
        input.trailer(&h).unwrap();
        let h = input.block_header().unwrap().unwrap();
        let body = input.block(&h, 2, "block body").unwrap();
        assert_eq!(input.window(&body), [5, 6]);
        assert_eq!(input.offset(), stream.len() as u64);
        let e = input.skip(1, "unknown").unwrap_err();
        assert!(
            matches!(e, ReadError::Truncated { available: 0, .. }),
            "{e:?}"
        );
    }
}
