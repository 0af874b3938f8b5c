//! Small conversions from state values to field values, shared by the field classes.

use std::ffi::CString;

/// Bytes as a string value; NUL bytes are dropped (a C string cannot hold them).
pub fn text(b: impl Into<Vec<u8>>) -> Option<CString> {
    let mut b = b.into();
    b.retain(|&c| c != 0);
    CString::new(b).ok()
}

/// A borrowed string as a string value, like [`text`] but in one allocation (from a `&str`,
/// [`text`] allocates the bytes and then grows them for the NUL).
pub fn borrowed_text(s: &str) -> Option<CString> {
    let mut b = Vec::with_capacity(s.len() + 1);
    b.extend(s.bytes().filter(|&c| c != 0));
    CString::new(b).ok()
}

/// A signed libsinsp integer, served as its decimal text (see the catalog's notes).
pub fn dec(v: i64) -> Option<CString> {
    text(v.to_string())
}

/// Items joined with single spaces.
pub fn joined<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(item);
    }
    out
}
