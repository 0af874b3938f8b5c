//! The byte stream under the reader: plain or gzip (detected by the gzip magic, as zlib's
//! `gzopen` does for libscap), with the offset in the decompressed stream tracked for errors.

use std::io::{self, BufReader, Chain, Read};

use flate2::read::MultiGzDecoder;

use super::block::BlockHeader;
use super::error::{ReadError, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Bodies are read in steps of this size, so that memory grows with the bytes really present,
/// never with a length the file merely claims.
const READ_STEP: usize = 64 * 1024;

type Prefixed<R> = Chain<io::Cursor<Vec<u8>>, R>;

enum Decoder<R: Read> {
    Plain(BufReader<Prefixed<R>>),
    Gzip(BufReader<MultiGzDecoder<Prefixed<R>>>),
}

/// The decompressed capture stream.
pub(crate) struct Input<R: Read> {
    decoder: Decoder<R>,
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
            Decoder::Gzip(BufReader::with_capacity(
                READ_STEP,
                MultiGzDecoder::new(prefixed),
            ))
        } else {
            Decoder::Plain(BufReader::with_capacity(READ_STEP, prefixed))
        };
        Ok(Input {
            decoder,
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

    fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.decoder {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
        }
    }

    /// Reads until `buf` is full or the stream ends; returns the bytes read.
    fn read_full(&mut self, buf: &mut [u8]) -> Result<usize> {
        let start = self.offset;
        let mut done = 0;
        while done < buf.len() {
            match self.read_some(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => {
                    done += n;
                    self.offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ReadError::Io {
                        offset: start + done as u64,
                        source,
                    });
                }
            }
        }
        Ok(done)
    }

    /// Reads the next block header. `Ok(None)` at a clean end of stream (no byte left).
    pub(crate) fn block_header(&mut self) -> Result<Option<BlockHeader>> {
        let offset = self.offset;
        let mut raw = [0u8; 8];
        let n = self.read_full(&mut raw)?;
        if n == 0 {
            return Ok(None);
        }
        if n < raw.len() {
            return Err(ReadError::Truncated {
                offset,
                what: "block header",
                needed: 8,
                available: n as u64,
            });
        }
        let block_type = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let total_length = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
        Ok(Some(BlockHeader {
            offset,
            block_type,
            total_length,
        }))
    }

    /// Replaces the content of `buf` with the next `len` bytes, growing it only as bytes arrive.
    pub(crate) fn body(&mut self, len: usize, buf: &mut Vec<u8>, what: &'static str) -> Result<()> {
        let offset = self.offset;
        buf.clear();
        while buf.len() < len {
            let step = (len - buf.len()).min(READ_STEP);
            let start = buf.len();
            buf.resize(start + step, 0);
            let n = self.read_full(&mut buf[start..])?;
            buf.truncate(start + n);
            if n < step {
                return Err(ReadError::Truncated {
                    offset,
                    what,
                    needed: len as u64,
                    available: buf.len() as u64,
                });
            }
        }
        Ok(())
    }

    /// Discards the next `len` bytes without keeping them.
    pub(crate) fn skip(&mut self, len: u64, what: &'static str) -> Result<()> {
        let offset = self.offset;
        let mut scratch = [0u8; 16 * 1024];
        let mut left = len;
        while left > 0 {
            let step = left.min(scratch.len() as u64) as usize;
            let n = self.read_full(&mut scratch[..step])?;
            left -= n as u64;
            if n < step {
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
        let offset = self.offset;
        let mut raw = [0u8; 4];
        let n = self.read_full(&mut raw)?;
        if n < raw.len() {
            return Err(ReadError::Truncated {
                offset,
                what: "block trailer",
                needed: 4,
                available: n as u64,
            });
        }
        let trailer = u32::from_le_bytes(raw);
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
