//! Conversion of state columns into field values, for the generated wrappers of the catalog's
//! `{ thread = "..." }`, `{ process = "..." }` and `{ fd = "..." }` sources.

use super::ctx::{Req, with_event};
use crate::plugin::EderaPlugin;
use crate::state::{FdInfo, Thread};
use falco_plugin::anyhow;
use std::ffi::CString;

/// A column value as a field value of type `T`; `None` is "no value".
pub trait ToField<T> {
    fn to_field(&self) -> Option<T>;
}

impl ToField<u64> for u64 {
    fn to_field(&self) -> Option<u64> {
        Some(*self)
    }
}

impl ToField<u64> for u32 {
    fn to_field(&self) -> Option<u64> {
        Some(u64::from(*self))
    }
}

/// Signed columns are served as decimal strings (see the catalog's `upstream` notes).
impl ToField<CString> for i64 {
    fn to_field(&self) -> Option<CString> {
        CString::new(self.to_string()).ok()
    }
}

/// Byte-string columns; bytes after an embedded NUL are dropped, as C strings would.
impl ToField<CString> for Vec<u8> {
    fn to_field(&self) -> Option<CString> {
        let end = self.iter().position(|&b| b == 0).unwrap_or(self.len());
        CString::new(&self[..end]).ok()
    }
}

impl ToField<u64> for i64 {
    /// Unsigned libsinsp columns kept signed in the state (sizes, counts): negative is no value.
    fn to_field(&self) -> Option<u64> {
        u64::try_from(*self).ok()
    }
}

impl ToField<CString> for u32 {
    fn to_field(&self) -> Option<CString> {
        CString::new(self.to_string()).ok()
    }
}

impl ToField<CString> for u64 {
    fn to_field(&self) -> Option<CString> {
        CString::new(self.to_string()).ok()
    }
}

impl ToField<u64> for u8 {
    fn to_field(&self) -> Option<u64> {
        Some(u64::from(*self))
    }
}

impl ToField<u64> for u16 {
    fn to_field(&self) -> Option<u64> {
        Some(u64::from(*self))
    }
}

impl ToField<bool> for bool {
    fn to_field(&self) -> Option<bool> {
        Some(*self)
    }
}

/// A column of the event's thread (no value without one).
pub fn thread<T>(
    p: &mut EderaPlugin,
    req: Req,
    f: impl FnOnce(&Thread) -> Option<T>,
) -> anyhow::Result<Option<T>> {
    with_event(p, &req, |c| f(c.thread()?))
}

/// A column of the event's fd entry (no value without one).
pub fn fd<T>(
    p: &mut EderaPlugin,
    req: Req,
    f: impl FnOnce(&FdInfo) -> Option<T>,
) -> anyhow::Result<Option<T>> {
    with_event(p, &req, |c| f(c.fd()?))
}
