//! One libscap event being built: its code and parameters, reused from event to event, and
//! written as the event bytes of a capture file (header, parameter lengths, values).

use edera_scap::event::{EventHeader, HEADER_LEN};
use edera_scap::info::{ParamType, event_info};

/// An event's code and parameter values.
#[derive(Debug, Default, Clone)]
pub struct Event {
    pub code: u16,
    lens: Vec<u32>,
    data: Vec<u8>,
}

impl Event {
    /// Start event `code` with no parameters.
    pub fn start(&mut self, code: u16) {
        self.code = code;
        self.lens.clear();
        self.data.clear();
    }

    /// Append a parameter value.
    pub fn push(&mut self, v: &[u8]) {
        self.lens.push(v.len() as u32);
        self.data.extend_from_slice(v);
    }

    /// Append an integer parameter of type `t` (truncated to its size; empty for types
    /// without a fixed size).
    pub fn push_int(&mut self, t: ParamType, v: u64) {
        let n = t.fixed_size().map_or(0, |n| usize::from(n).min(8));
        self.push(&v.to_le_bytes()[..n]);
    }

    /// Append `s` and a NUL as one parameter.
    pub fn push_with_nul(&mut self, s: &[u8]) {
        self.lens.push(s.len() as u32 + 1);
        self.data.extend_from_slice(s);
        self.data.push(0);
    }

    /// Put `b` before the value of the last parameter pushed (a PT_DYN's index byte).
    pub fn prefix_last(&mut self, b: u8) {
        if let Some(len) = self.lens.last_mut() {
            let at = self.data.len() - *len as usize;
            self.data.insert(at, b);
            *len += 1;
        }
    }

    /// Parameters pushed.
    pub fn nparams(&self) -> usize {
        self.lens.len()
    }

    /// The value of parameter `i`.
    pub fn param(&self, i: usize) -> &[u8] {
        let start: usize = self.lens[..i.min(self.lens.len())]
            .iter()
            .map(|&l| l as usize)
            .sum();
        let len = self.lens.get(i).map_or(0, |&l| l as usize);
        &self.data[start..start + len]
    }

    /// The event's bytes, appended to `out`: the values are already back to back, so they go
    /// in one copy after the header and the lengths.
    pub fn write(&self, ts: u64, tid: u64, out: &mut Vec<u8>) {
        let large = event_info(self.code).is_some_and(|i| i.large_payload());
        let fits = large || self.lens.iter().all(|&l| l <= u32::from(u16::MAX));
        if !fits {
            // A value too long for a 16-bit length is cut, as `write_event` does.
            return write_event(
                self.code,
                ts,
                tid,
                (0..self.nparams()).map(|i| self.param(i)),
                out,
            );
        }
        let width = if large { 4 } else { 2 };
        let len = HEADER_LEN + width * self.lens.len() + self.data.len();
        out.reserve(len);
        write_header(self.code, ts, tid, len, self.lens.len(), out);
        for &l in &self.lens {
            if large {
                out.extend_from_slice(&l.to_le_bytes());
            } else {
                out.extend_from_slice(&(l as u16).to_le_bytes());
            }
        }
        out.extend_from_slice(&self.data);
    }
}

/// Append one event with code `code` and the parameter values `params` to `out`.
pub fn write_event<'a>(
    code: u16,
    ts: u64,
    tid: u64,
    params: impl Iterator<Item = &'a [u8]> + Clone,
    out: &mut Vec<u8>,
) {
    let large = event_info(code).is_some_and(|i| i.large_payload());
    let width = if large { 4 } else { 2 };
    let (count, bytes) = params.clone().fold((0usize, 0usize), |(n, b), p| {
        (
            n + 1,
            b + p.len().min(if large {
                u32::MAX as usize
            } else {
                u16::MAX as usize
            }),
        )
    });
    let len = HEADER_LEN + width * count + bytes;
    out.reserve(len);
    write_header(code, ts, tid, len, count, out);
    for p in params.clone() {
        if large {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(p.len().min(u16::MAX as usize) as u16).to_le_bytes());
        }
    }
    for p in params {
        out.extend_from_slice(
            &p[..p.len().min(if large {
                u32::MAX as usize
            } else {
                u16::MAX as usize
            })],
        );
    }
}

/// Append the header of an event of `len` bytes with `nparams` parameters.
fn write_header(code: u16, ts: u64, tid: u64, len: usize, nparams: usize, out: &mut Vec<u8>) {
    let mut header = [0u8; HEADER_LEN];
    EventHeader {
        ts,
        tid,
        len: len as u32,
        etype: code,
        nparams: nparams as u32,
    }
    .write(&mut header);
    out.extend_from_slice(&header);
}

#[cfg(test)]
mod tests {
    use super::*;
    use edera_scap::event::RawEvent;

    #[test]
    fn events_read_back() {
        let mut e = Event::default();
        e.start(3); // PPME_SYSCALL_OPEN_X
        e.push_int(ParamType::Fd, 5);
        e.push(b"/etc/passwd\0");
        e.push_int(ParamType::Flags32, 1);
        assert_eq!((e.nparams(), e.param(1)), (3, &b"/etc/passwd\0"[..]));
        let mut out = Vec::new();
        e.write(42, 7, &mut out);
        let ev = RawEvent::parse(&out).unwrap();
        assert_eq!((ev.header.ts, ev.header.tid, ev.nparams()), (42, 7, 3));
        assert_eq!(ev.param(0).unwrap(), 5i64.to_le_bytes());
        assert_eq!(ev.param(1).unwrap(), b"/etc/passwd\0");
    }
}
