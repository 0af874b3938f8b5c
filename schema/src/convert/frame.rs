//! A validated view of one event in the in-memory form (26-byte header, parameter lengths,
//! data), with the checks libscap's file engine applies to current-form events before they reach
//! the converter. Unlike [`crate::event::RawEvent`] it accepts any parameter count that fits in
//! the event, as libscap does, and it finds parameters by summing lengths on demand.

use super::ConvertError;
use crate::event::{EventHeader, HEADER_LEN};
use crate::info::event_info;

/// One event whose lengths have been checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame<'a> {
    /// Exactly `header.len` bytes.
    pub bytes: &'a [u8],
    pub header: EventHeader,
    /// Width of one parameter length (2, or 4 for large-payload types).
    pub width: usize,
}

/// Width of the parameter lengths of an event type, by the current table.
#[inline]
pub(crate) fn len_width(etype: u16) -> usize {
    if event_info(etype).is_some_and(|e| e.large_payload()) {
        4
    } else {
        2
    }
}

impl<'a> Frame<'a> {
    /// Checks `bytes` (an event of a known type, maybe followed by other bytes).
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ConvertError> {
        let header =
            EventHeader::parse(bytes).map_err(|_| ConvertError::ShortHeader(bytes.len()))?;
        let len = header.len;
        if (len as usize) < HEADER_LEN {
            return Err(ConvertError::LengthTooSmall(len));
        }
        let bytes = bytes
            .get(..len as usize)
            .ok_or(ConvertError::LengthPastEnd {
                claimed: len,
                available: bytes.len(),
            })?;
        let width = len_width(header.etype);
        let frame = Frame {
            bytes,
            header,
            width,
        };
        let mut at = frame.data_start();
        if at > u64::from(len) {
            return Err(ConvertError::ParamsDoNotFit {
                etype: header.etype,
                nparams: header.nparams,
                len,
            });
        }
        for i in 0..header.nparams {
            at += u64::from(frame.len_of(i));
            if at > u64::from(len) {
                return Err(ConvertError::ParamPastEnd {
                    etype: header.etype,
                    param: i,
                });
            }
        }
        Ok(frame)
    }

    /// Offset of the parameter data (after the lengths).
    pub fn data_start(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.header.nparams) * self.width as u64
    }

    /// The stored length of parameter `i` (`i < nparams`, the lengths were checked to fit).
    fn len_of(&self, i: u32) -> u32 {
        let at = HEADER_LEN + i as usize * self.width;
        let b = &self.bytes[at..at + self.width];
        if self.width == 4 {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from(u16::from_le_bytes([b[0], b[1]]))
        }
    }

    /// The bytes of parameter `i`, `None` when the event has fewer parameters.
    pub fn param(&self, i: u32) -> Option<&'a [u8]> {
        if i >= self.header.nparams {
            return None;
        }
        let start =
            self.data_start() as usize + (0..i).map(|j| self.len_of(j) as usize).sum::<usize>();
        self.bytes.get(start..start + self.len_of(i) as usize)
    }

    /// Everything after the parameter lengths (the data, and any bytes up to `len`).
    pub fn data(&self) -> &'a [u8] {
        &self.bytes[self.data_start() as usize..]
    }

    /// The parameter lengths as stored.
    pub fn lens(&self) -> &'a [u8] {
        &self.bytes[HEADER_LEN..self.data_start() as usize]
    }
}
