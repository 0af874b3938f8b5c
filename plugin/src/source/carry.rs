//! State-only events held back until the next event Falco is shown (see `payload.rs` and
//! `visibility.rs`). One [`Carry`] per zone stream.

use crate::payload::{MAX_RAW_EVENT_LEN, MAX_STATE_ONLY};

/// Most bytes of state-only events held for one zone. A stream that sends more hidden events
/// than this before a shown one loses the oldest ones (counted).
pub const MAX_CARRY_BYTES: usize = 1 << 20;

/// State-only events of one zone waiting for the next shown event.
#[derive(Debug, Default)]
pub struct Carry {
    bytes: Vec<u8>,
    count: u16,
    /// State-only events dropped because too many were waiting.
    pub dropped: u64,
}

impl Carry {
    /// Hold `raw` (a whole raw scap event) for the next shown event.
    pub fn hold(&mut self, raw: &[u8]) {
        if raw.len() > MAX_CARRY_BYTES {
            self.dropped += 1;
            return;
        }
        if usize::from(self.count) >= MAX_STATE_ONLY
            || self.bytes.len() + raw.len() > MAX_CARRY_BYTES
        {
            self.dropped += u64::from(self.count);
            self.clear();
        }
        self.bytes.extend_from_slice(raw);
        self.count += 1;
    }

    /// The held events and their count, to go in front of an event of `next_len` bytes;
    /// nothing when the whole would not fit in one plugin event (then they are dropped).
    pub fn take(&mut self, next_len: usize) -> (&[u8], u16) {
        if self.count > 0 && self.bytes.len() + next_len > MAX_RAW_EVENT_LEN {
            self.dropped += u64::from(self.count);
            self.clear();
        }
        (&self.bytes, self.count)
    }

    /// Forget the held events (after they were written).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_in_order_and_bounds_memory() {
        let mut c = Carry::default();
        c.hold(b"ab");
        c.hold(b"cd");
        assert_eq!(c.take(10), (&b"abcd"[..], 2));
        c.clear();
        assert_eq!(c.count, 0);
        let big = vec![0u8; MAX_CARRY_BYTES / 2 + 1];
        c.hold(&big);
        c.hold(&big);
        assert_eq!(c.count, 1);
        assert_eq!(c.dropped, 1);
        c.hold(&vec![0u8; MAX_CARRY_BYTES + 1]);
        assert_eq!(c.dropped, 2);
    }
}
