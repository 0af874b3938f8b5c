//! Building synthetic events in the current layout: every parameter of the event type starts
//! empty, and tests set the ones they need by name.

use edera_scap::event::HEADER_LEN;
use edera_scap::info::event_info;
use edera_scap::tables::EventCode;

/// An event under construction.
pub struct Ev {
    code: u16,
    tid: u64,
    ts: u64,
    params: Vec<Vec<u8>>,
}

/// An event of `code` from thread `tid` at `ts`, all parameters empty.
pub fn ev(code: EventCode, tid: i64, ts: u64) -> Ev {
    let n = event_info(code as u16).map_or(0, |i| i.params.len());
    Ev {
        code: code as u16,
        tid: tid as u64,
        ts,
        params: vec![Vec::new(); n],
    }
}

impl Ev {
    /// Sets parameter `name`.
    pub fn p(mut self, name: &str, v: impl Into<Vec<u8>>) -> Ev {
        let i = event_info(self.code)
            .and_then(|i| i.param_index(name))
            .unwrap_or_else(|| panic!("event {} has no parameter {name}", self.code));
        self.params[i] = v.into();
        self
    }

    /// Sets parameter `i`, whatever its type.
    pub fn at(mut self, i: usize, v: impl Into<Vec<u8>>) -> Ev {
        if i < self.params.len() {
            self.params[i] = v.into();
        }
        self
    }

    /// The event's bytes (u16 parameter lengths).
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = vec![0u8; HEADER_LEN];
        for p in &self.params {
            out.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
        for p in &self.params {
            out.extend_from_slice(p);
        }
        let len = out.len() as u32;
        out[0..8].copy_from_slice(&self.ts.to_le_bytes());
        out[8..16].copy_from_slice(&self.tid.to_le_bytes());
        out[16..20].copy_from_slice(&len.to_le_bytes());
        out[20..22].copy_from_slice(&self.code.to_le_bytes());
        out[22..26].copy_from_slice(&(self.params.len() as u32).to_le_bytes());
        out
    }
}

pub fn i64b(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

pub fn u64b(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

pub fn u32b(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

pub fn u16b(v: u16) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

pub fn u8b(v: u8) -> Vec<u8> {
    vec![v]
}

/// A NUL-terminated string parameter.
pub fn st(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// A NUL-separated, NUL-terminated string array parameter.
pub fn strs(items: &[&str]) -> Vec<u8> {
    let mut v = Vec::new();
    for i in items {
        v.extend_from_slice(i.as_bytes());
        v.push(0);
    }
    v
}

/// An ipv4 socktuple.
pub fn tuple4(sip: [u8; 4], sport: u16, dip: [u8; 4], dport: u16) -> Vec<u8> {
    let mut v = vec![2u8];
    v.extend_from_slice(&sip);
    v.extend_from_slice(&sport.to_le_bytes());
    v.extend_from_slice(&dip);
    v.extend_from_slice(&dport.to_le_bytes());
    v
}
