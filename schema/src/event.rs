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

/// One parsed event: its header and its parameter data, with where each parameter ends, all
/// checked. A parameter is an index lookup.
#[derive(Clone, Copy)]
pub struct RawEvent<'a> {
    pub header: EventHeader,
    layout: EventLayout,
    /// The parameter data: the event after its lengths.
    data: &'a [u8],
}

/// Where a parsed event's parameters are, without its bytes: kept to view the same bytes again
/// ([`EventLayout::view`]) without parsing them again.
#[derive(Debug, Clone, Copy)]
pub struct EventLayout {
    header: EventHeader,
    /// Offset of the parameter data in the event.
    data_start: usize,
    /// End of each parameter present in the data (the first `nparams`).
    ends: [u32; MAX_PARAMS],
}

impl EventLayout {
    /// The event of this layout in `bytes`, which must be the bytes it was parsed from: `None`
    /// when they are too short for it (other bytes of the same length give other values,
    /// always within `bytes`).
    pub fn view<'a>(&self, bytes: &'a [u8]) -> Option<RawEvent<'a>> {
        let data = bytes.get(self.data_start..self.header.len as usize)?;
        let nparams = self.header.nparams as usize;
        let end = nparams.checked_sub(1).map_or(0, |last| self.ends[last]);
        (end as usize <= data.len()).then_some(RawEvent {
            header: self.header,
            layout: *self,
            data,
        })
    }
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
        let mut ends = [0u32; MAX_PARAMS];
        let mut end = 0usize;
        for (slot, b) in ends.iter_mut().zip(lens.chunks_exact(width)) {
            let len = if width == 4 {
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
            } else {
                usize::from(u16::from_le_bytes([b[0], b[1]]))
            };
            // Each end is at most the data's length (< 2^32, the event's `len` is a u32).
            end += len;
            if end > data.len() {
                return Err(EventError::ParamsPastEnd(header.etype));
            }
            *slot = end as u32;
        }
        Ok(RawEvent {
            header,
            layout: EventLayout {
                header,
                data_start: lens_end,
                ends,
            },
            data,
        })
    }

    /// Where this event's parameters are, to view its bytes again without parsing them.
    pub fn layout(&self) -> EventLayout {
        self.layout
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
        let ends = &self.layout.ends;
        let start = i.checked_sub(1).map_or(0, |prev| ends[prev]);
        self.data.get(start as usize..ends[i] as usize)
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

    #[test]
    fn a_layout_views_its_bytes_again_and_nothing_shorter() {
        let bytes = build(3, &[&5i64.to_le_bytes(), b"", b"/etc\0"]);
        let layout = RawEvent::parse(&bytes).unwrap().layout();
        let ev = layout.view(&bytes).unwrap();
        assert_eq!(ev.header.ts, 7);
        assert_eq!(ev.param_as::<i64>(0), Some(5));
        assert_eq!(ev.param(1), Some(&b""[..]));
        assert_eq!(ev.param_as::<CStrParam>(2), Some(CStrParam(b"/etc")));
        assert_eq!(ev.param(3), None);
        assert!(layout.view(&bytes[..bytes.len() - 1]).is_none());
        // Another event's layout over these bytes reads within them.
        let short = build(3, &[b"ab"]);
        let other = RawEvent::parse(&short).unwrap().layout();
        assert_eq!(other.view(&bytes).unwrap().param(0), Some(&bytes[28..30]));
    }
}
