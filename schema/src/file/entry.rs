//! Entries with a leading length (process list V9, fd list V2, user list V2).
//!
//! The u32 length counts the whole entry, itself included. Fields a reader does not know are
//! skipped by it; fields the entry is too short for are an error. A zero length means "no
//! length": the entry is read by its fields alone, and no optional field is read.

use super::cursor::Cursor;
use super::error::{ReadError, Result};

/// Parses one entry. `parse` gets a cursor bounded to the entry (when it has a non-zero length)
/// and whether it is bounded; whatever it leaves unread in a bounded entry is skipped.
pub(crate) fn entry<'a, T>(
    c: &mut Cursor<'a>,
    has_len: bool,
    what: &'static str,
    parse: impl FnOnce(&mut Cursor<'a>, bool) -> Result<T>,
) -> Result<T> {
    if !has_len {
        return parse(c, false);
    }
    let at = c.offset();
    let len = c.u32(what)?;
    if len == 0 {
        return parse(c, false);
    }
    let Some(rest) = (len as usize).checked_sub(4) else {
        return Err(ReadError::malformed(
            at,
            what,
            format!("entry length {len} is shorter than its own 4-byte length field"),
        ));
    };
    if rest > c.remaining() {
        return Err(ReadError::malformed(
            at,
            what,
            format!(
                "entry length {len} runs past the end of the block ({} bytes left after the \
                 length field)",
                c.remaining()
            ),
        ));
    }
    let mut sub = c.sub(rest, what)?;
    parse(&mut sub, true).map_err(|e| match e {
        ReadError::Truncated {
            offset,
            what: field,
            needed,
            available,
        } => ReadError::Malformed {
            offset,
            what,
            problem: format!(
                "{field} needs {needed} bytes but only {available} are left in the entry of \
                 length {len} that starts at byte {at}"
            ),
        },
        other => other,
    })
}
