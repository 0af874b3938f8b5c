//! Test support for the converter tests: building events in the in-memory form and reading
//! their parameters back.
#![allow(dead_code)]

use edera_scap::event::{EventHeader, HEADER_LEN, RawEvent};
use edera_scap::info::event_info;
use edera_scap::tables::EventCode;

/// An event of `code` for thread `tid`, lengths as wide as the current table says.
pub fn ev(code: EventCode, tid: u64, params: &[&[u8]]) -> Vec<u8> {
    ev_raw(code as u16, tid, params)
}

/// Same, for any type number.
pub fn ev_raw(etype: u16, tid: u64, params: &[&[u8]]) -> Vec<u8> {
    let large = event_info(etype).is_some_and(|e| e.large_payload());
    let mut v = vec![0u8; HEADER_LEN];
    for p in params {
        if large {
            v.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            v.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
    }
    for p in params {
        v.extend_from_slice(p);
    }
    let h = EventHeader {
        ts: 1000 + tid,
        tid,
        len: v.len() as u32,
        etype,
        nparams: params.len() as u32,
    };
    let mut hb = [0u8; HEADER_LEN];
    h.write(&mut hb);
    v[..HEADER_LEN].copy_from_slice(&hb);
    v
}

/// The parameters of an event, as owned byte vectors.
pub fn params(bytes: &[u8]) -> Vec<Vec<u8>> {
    let raw = RawEvent::parse(bytes).unwrap();
    (0..raw.nparams())
        .map(|i| raw.param(i).unwrap().to_vec())
        .collect()
}

/// The event type of an event.
pub fn etype(bytes: &[u8]) -> u16 {
    u16::from_le_bytes([bytes[20], bytes[21]])
}

pub fn le64(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

pub fn le32(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
