//! Reading event parameters the way libsinsp's parsers read them, with its conversions, but
//! reporting a damaged parameter ([`Malformed`]) where libsinsp would throw.
//!
//! - numbers must have exactly their size; an empty parameter is "absent" ([`opt`]);
//! - text parameters (`PT_CHARBUF`, `PT_FSPATH`, `PT_FSRELPATH`) read `<NA>` when empty or
//!   `(NULL)`, and must otherwise hold one NUL-terminated string ([`text`]);
//! - string arrays (args, env, cgroups) drop one trailing NUL and split at NULs ([`strings`]);
//! - the syscall return value is parameter 0 read as a 32- or 64-bit signed number, 0 when it
//!   has another size ([`retval`]).

use edera_scap::event::{FromParam, RawEvent};

/// A parameter libsinsp could not have read: the event is counted as malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

pub type PResult<T = ()> = Result<T, Malformed>;

/// The raw bytes of parameter `i` (empty when the event has fewer parameters).
pub fn raw<'a>(ev: &RawEvent<'a>, i: usize) -> &'a [u8] {
    ev.param(i).unwrap_or(&[])
}

/// Parameter `i` as a number; absent, empty or mis-sized is [`Malformed`].
pub fn num<'a, T: FromParam<'a>>(ev: &RawEvent<'a>, i: usize) -> PResult<T> {
    ev.param(i).and_then(T::from_param).ok_or(Malformed)
}

/// Parameter `i` as a number, `None` when absent or empty; mis-sized is [`Malformed`].
pub fn opt<'a, T: FromParam<'a>>(ev: &RawEvent<'a>, i: usize) -> PResult<Option<T>> {
    match ev.param(i) {
        None | Some([]) => Ok(None),
        Some(b) => T::from_param(b).map(Some).ok_or(Malformed),
    }
}

/// A text parameter: `<NA>` when empty or `(NULL)`, else its bytes without the terminator.
pub fn text<'a>(ev: &RawEvent<'a>, i: usize) -> PResult<&'a [u8]> {
    let b = raw(ev, i);
    if b.is_empty() || b == b"(NULL)\0" {
        return Ok(b"<NA>");
    }
    match b.iter().position(|&c| c == 0) {
        Some(n) if n + 1 == b.len() => Ok(&b[..n]),
        _ => Err(Malformed),
    }
}

/// Whether parameter `i` is empty (or absent).
pub fn empty(ev: &RawEvent<'_>, i: usize) -> bool {
    raw(ev, i).is_empty()
}

/// A NUL-separated array parameter, split as libsinsp splits it.
pub fn strings(ev: &RawEvent<'_>, i: usize) -> Vec<Vec<u8>> {
    split(raw(ev, i))
}

/// Drops one trailing NUL, then splits at every NUL; nothing left means no entries.
pub fn split(b: &[u8]) -> Vec<Vec<u8>> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|&c| c == 0).map(<[u8]>::to_vec).collect()
}

/// The syscall return value (parameter 0), as libsinsp reads it.
pub fn retval(ev: &RawEvent<'_>) -> i64 {
    match ev.param(0) {
        Some(b) if b.len() == 4 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        Some(b) if b.len() == 8 => i64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn split_like_libsinsp() {
        assert!(split(b"").is_empty());
        assert!(split(b"\0").is_empty());
        assert_eq!(split(b"a\0\0"), vec![b"a".to_vec(), b"".to_vec()]);
        assert_eq!(split(b"a\0b"), vec![b"a".to_vec(), b"b".to_vec()]);
    }
}
