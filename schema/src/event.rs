//! A zero-copy, bounds-checked view of one libscap event in its in-memory form:
//! a 26-byte header `{ts: u64, tid: u64, len: u32, type: u16, nparams: u32}` (little endian),
//! `nparams` parameter lengths (u16, or u32 for large-payload events), then the parameter data.
//!
//! Every byte may come from an untrusted zone: parsing checks every length against the bytes that
//! are really there and never allocates.

use crate::info::{EventInfo, event_info};
use crate::tables::MAX_PARAMS;

/// Size of the event header.
pub const HEADER_LEN: usize = 26;

/// Why an event could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event of {0} bytes is shorter than the 26-byte header")]
    ShortHeader(usize),
    #[error("event header claims {claimed} bytes but {available} are available")]
    LengthPastEnd { claimed: u32, available: usize },
    #[error("event header claims {0} bytes, fewer than its own header")]
    LengthTooSmall(u32),
    #[error("event type {etype} claims {nparams} parameters, more than the {max} any event has")]
    TooManyParams {
        etype: u16,
        nparams: u32,
        max: usize,
    },
    #[error("parameter lengths of event type {0} run past the event's end")]
    ParamsPastEnd(u16),
}

/// The fixed event header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    pub ts: u64,
    pub tid: u64,
    pub len: u32,
    pub etype: u16,
    pub nparams: u32,
}

impl EventHeader {
    /// Parses the header; `bytes` must hold at least [`HEADER_LEN`] bytes.
    #[inline]
    pub fn parse(bytes: &[u8]) -> Result<Self, EventError> {
        let h = bytes
            .get(..HEADER_LEN)
            .ok_or(EventError::ShortHeader(bytes.len()))?;
        Ok(EventHeader {
            ts: u64::from_le_bytes(h[0..8].try_into().expect("8 bytes")),
            tid: u64::from_le_bytes(h[8..16].try_into().expect("8 bytes")),
            len: u32::from_le_bytes(h[16..20].try_into().expect("4 bytes")),
            etype: u16::from_le_bytes(h[20..22].try_into().expect("2 bytes")),
            nparams: u32::from_le_bytes(h[22..26].try_into().expect("4 bytes")),
        })
    }

    /// Writes the header into the first [`HEADER_LEN`] bytes of `out`.
    pub fn write(&self, out: &mut [u8; HEADER_LEN]) {
        out[0..8].copy_from_slice(&self.ts.to_le_bytes());
        out[8..16].copy_from_slice(&self.tid.to_le_bytes());
        out[16..20].copy_from_slice(&self.len.to_le_bytes());
        out[20..22].copy_from_slice(&self.etype.to_le_bytes());
        out[22..26].copy_from_slice(&self.nparams.to_le_bytes());
    }
}

/// One parsed event: its header, its parameter lengths and its parameter data, all checked.
///
/// Small on purpose (the plugin decodes the event once per extracted field): parameter offsets
/// are not stored but summed from the lengths on access, at most [`MAX_PARAMS`] additions.
#[derive(Clone, Copy)]
pub struct RawEvent<'a> {
    pub header: EventHeader,
    /// The `nparams` lengths, 2 or 4 bytes each (see `wide`).
    lens: &'a [u8],
    wide: bool,
    data: &'a [u8],
}

impl std::fmt::Debug for RawEvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawEvent")
            .field("header", &self.header)
            .field("params", &self.nparams())
            .finish()
    }
}

impl<'a> RawEvent<'a> {
    /// Parses an event from the start of `bytes` (trailing bytes after `len` are ignored).
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EventError> {
        let header = EventHeader::parse(bytes)?;
        let len = header.len as usize;
        if len < HEADER_LEN {
            return Err(EventError::LengthTooSmall(header.len));
        }
        let ev = bytes.get(..len).ok_or(EventError::LengthPastEnd {
            claimed: header.len,
            available: bytes.len(),
        })?;
        let nparams = header.nparams as usize;
        if nparams > MAX_PARAMS {
            return Err(EventError::TooManyParams {
                etype: header.etype,
                nparams: header.nparams,
                max: MAX_PARAMS,
            });
        }
        let width = if event_info(header.etype).is_some_and(EventInfo::large_payload) {
            4
        } else {
            2
        };
        let lens_end = HEADER_LEN + nparams * width;
        let lens = ev
            .get(HEADER_LEN..lens_end)
            .ok_or(EventError::ParamsPastEnd(header.etype))?;
        let data = &ev[lens_end..];
        let ev = RawEvent {
            header,
            lens,
            wide: width == 4,
            data,
        };
        let total: u64 = (0..nparams).map(|i| u64::from(ev.len_of(i))).sum();
        if total > data.len() as u64 {
            return Err(EventError::ParamsPastEnd(header.etype));
        }
        Ok(ev)
    }

    /// The length of parameter `i` (< nparams, so within `lens`).
    #[inline]
    fn len_of(&self, i: usize) -> u32 {
        if self.wide {
            let b = &self.lens[4 * i..4 * i + 4];
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            let b = &self.lens[2 * i..2 * i + 2];
            u32::from(u16::from_le_bytes([b[0], b[1]]))
        }
    }

    /// Number of parameters present.
    pub fn nparams(&self) -> usize {
        self.header.nparams as usize
    }

    /// The event table entry of this event's type, if the type is known.
    pub fn info(&self) -> Option<&'static EventInfo> {
        event_info(self.header.etype)
    }

    /// The raw bytes of parameter `i`, or `None` when the event has fewer parameters.
    #[inline]
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams() {
            return None;
        }
        // The sum of all lengths was checked against `data` in `parse`.
        let start: usize = (0..i).map(|j| self.len_of(j) as usize).sum();
        self.data.get(start..start + self.len_of(i) as usize)
    }

    /// Parameter `i` decoded as `T`; `None` when absent or of the wrong size.
    #[inline]
    pub fn param_as<T: FromParam<'a>>(&self, i: usize) -> Option<T> {
        self.param(i).and_then(T::from_param)
    }
}

/// Decoding of one parameter's bytes into a typed value.
pub trait FromParam<'a>: Sized {
    fn from_param(bytes: &'a [u8]) -> Option<Self>;
}

macro_rules! fixed_le {
    ($($t:ty),*) => {$(
        impl<'a> FromParam<'a> for $t {
            #[inline]
            fn from_param(bytes: &'a [u8]) -> Option<Self> {
                Some(<$t>::from_le_bytes(bytes.try_into().ok()?))
            }
        }
    )*};
}
fixed_le!(u8, u16, u32, u64, i8, i16, i32, i64, f64);

/// Raw bytes of a parameter (buffers, sockaddrs, tuples, arrays).
impl<'a> FromParam<'a> for &'a [u8] {
    #[inline]
    fn from_param(bytes: &'a [u8]) -> Option<Self> {
        Some(bytes)
    }
}

/// A NUL-terminated string parameter, without its terminator (and anything after a NUL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CStrParam<'a>(pub &'a [u8]);

impl<'a> FromParam<'a> for CStrParam<'a> {
    #[inline]
    fn from_param(bytes: &'a [u8]) -> Option<Self> {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Some(CStrParam(&bytes[..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(etype: u16, params: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![0u8; HEADER_LEN];
        for p in params {
            v.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
        for p in params {
            v.extend_from_slice(p);
        }
        let h = EventHeader {
            ts: 7,
            tid: 9,
            len: v.len() as u32,
            etype,
            nparams: params.len() as u32,
        };
        let mut hb = [0u8; HEADER_LEN];
        h.write(&mut hb);
        v[..HEADER_LEN].copy_from_slice(&hb);
        v
    }

    #[test]
    fn params_round_trip() {
        let bytes = build(3, &[&5i64.to_le_bytes(), b"/etc\0"]);
        let ev = RawEvent::parse(&bytes).unwrap();
        assert_eq!(ev.header.ts, 7);
        assert_eq!(ev.param_as::<i64>(0), Some(5));
        assert_eq!(ev.param_as::<CStrParam>(1), Some(CStrParam(b"/etc")));
        assert_eq!(ev.param(2), None);
        assert_eq!(ev.param_as::<u32>(0), None, "wrong size is no value");
    }

    #[test]
    fn hostile_lengths_are_rejected() {
        let mut bytes = build(3, &[b"abc"]);
        bytes[HEADER_LEN] = 200; // param length past the end
        assert_eq!(
            RawEvent::parse(&bytes).unwrap_err(),
            EventError::ParamsPastEnd(3)
        );
        let mut bytes = build(3, &[b"abc"]);
        bytes[22..26].copy_from_slice(&1000u32.to_le_bytes());
        assert!(matches!(
            RawEvent::parse(&bytes),
            Err(EventError::TooManyParams { .. })
        ));
        let mut bytes = build(3, &[]);
        bytes[16..20].copy_from_slice(&100u32.to_le_bytes());
        assert!(matches!(
            RawEvent::parse(&bytes),
            Err(EventError::LengthPastEnd { .. })
        ));
        assert_eq!(
            RawEvent::parse(&bytes[..10]).unwrap_err(),
            EventError::ShortHeader(10)
        );
    }
}
