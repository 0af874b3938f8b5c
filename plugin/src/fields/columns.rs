//! Conversion of state columns into field values, for the generated wrappers of the catalog's
//! `{ thread = "..." }`, `{ process = "..." }` and `{ fd = "..." }` sources.

use std::ffi::CString;

/// A column value as a field value of type `T`; `None` is "no value".
pub trait IntoField<T> {
    fn into_field(&self) -> Option<T>;
}

impl IntoField<u64> for u64 {
    fn into_field(&self) -> Option<u64> {
        Some(*self)
    }
}

impl IntoField<u64> for u32 {
    fn into_field(&self) -> Option<u64> {
        Some(u64::from(*self))
    }
}

/// Signed columns are served as decimal strings (see the catalog's `upstream` notes).
impl IntoField<CString> for i64 {
    fn into_field(&self) -> Option<CString> {
        CString::new(self.to_string()).ok()
    }
}

/// Byte-string columns; bytes after an embedded NUL are dropped, as C strings would.
impl IntoField<CString> for Vec<u8> {
    fn into_field(&self) -> Option<CString> {
        let end = self.iter().position(|&b| b == 0).unwrap_or(self.len());
        CString::new(&self[..end]).ok()
    }
}
