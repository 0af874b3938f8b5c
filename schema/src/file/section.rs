//! The section header block (SHB).
//!
//! Body: `{byte_order_magic: u32 = 0x1A2B3C4D, major: u16, minor: u16, section_length: u64}`
//! (16 bytes), then optional pcapng options up to the end of the body (so the smallest SHB is
//! 28 bytes long). libscap skips the options unread, rejects any other magic (a byte-swapped one
//! included: big-endian captures are not read) and any major version above 1; it accepts every
//! minor version (1.0, 1.1 and 1.2 exist).

use super::block::SHB_MAGIC;
use super::cursor::Cursor;
use super::error::{ReadError, Result};
use super::model::{BlockOption, SectionHeader};

/// Size of the fixed SHB fields.
pub const SHB_FIXED_LEN: usize = 16;
/// Highest major version libscap reads.
pub const MAX_MAJOR: u16 = 1;

/// Parses an SHB body.
pub(crate) fn parse(body: &[u8], body_offset: u64) -> Result<SectionHeader> {
    let mut c = Cursor::new(body, body_offset);
    if body.len() < SHB_FIXED_LEN {
        return Err(ReadError::malformed(
            body_offset,
            "section header",
            format!(
                "block body of {} bytes is shorter than the {SHB_FIXED_LEN} fixed bytes (the \
                 smallest section header block is 28 bytes)",
                body.len()
            ),
        ));
    }
    let magic_at = c.offset();
    let magic = c.u32("section header magic")?;
    if magic != SHB_MAGIC {
        if magic == SHB_MAGIC.swap_bytes() {
            return Err(ReadError::Unsupported {
                offset: magic_at,
                what: "byte order",
                detail: "big-endian capture (byte-swapped magic); libscap does not read these"
                    .into(),
            });
        }
        return Err(ReadError::malformed(
            magic_at,
            "section header",
            format!("byte-order magic {magic:#010x}, expected {SHB_MAGIC:#010x}"),
        ));
    }
    let version_at = c.offset();
    let major = c.u16("major version")?;
    let minor = c.u16("minor version")?;
    if major > MAX_MAJOR {
        return Err(ReadError::Unsupported {
            offset: version_at,
            what: "format version",
            detail: format!("{major}.{minor}; this reader, like libscap, reads major version 1"),
        });
    }
    let section_length = c.u64("section length")?;
    let options = parse_options(&mut c);
    Ok(SectionHeader {
        major,
        minor,
        section_length,
        options,
    })
}

/// Best-effort parse of pcapng options (`{code: u16, length: u16, value, pad to 4}`, ended by
/// code 0 or by the end of the data). Malformed options end the list silently, because libscap
/// never reads them.
pub(crate) fn parse_options(c: &mut Cursor<'_>) -> Vec<BlockOption> {
    let mut out = Vec::new();
    while c.remaining() >= 4 {
        let Ok(code) = c.u16("option code") else {
            break;
        };
        let Ok(len) = c.u16("option length") else {
            break;
        };
        if code == 0 {
            break;
        }
        let Ok(value) = c.bytes(usize::from(len), "option value") else {
            break;
        };
        out.push(BlockOption {
            code,
            value: value.to_vec(),
        });
        let pad = (4 - usize::from(len) % 4) % 4;
        if c.skip(pad.min(c.remaining()), "option padding").is_err() {
            break;
        }
    }
    out
}
