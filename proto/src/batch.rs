//! The event form of the `ScapBatch` extension (and of the plugin's and the stand-in daemon's
//! per-zone batches): events back to back, each `cpu: u16 LE` then a raw libscap event, whose
//! header holds its own length. Batches come from zones: reading is bounds-checked and stops
//! at the first damaged event.

use edera_scap::event::{EventHeader, HEADER_LEN};

/// Append one event captured on `cpu`.
pub fn push(batch: &mut Vec<u8>, cpu: u16, event: &[u8]) {
    batch.extend_from_slice(&cpu.to_le_bytes());
    batch.extend_from_slice(event);
}

/// The batch is damaged from this offset on (a truncated header, or a length smaller than a
/// header or beyond the batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged(pub usize);

/// One event of a batch: its CPU, the raw event, and the offset of the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub cpu: u16,
    pub event: &'a [u8],
    pub next: usize,
}

impl Entry<'_> {
    /// The raw event's type.
    pub fn event_type(&self) -> u16 {
        self.header().etype
    }

    /// The raw event's timestamp.
    pub fn ts(&self) -> u64 {
        self.header().ts
    }

    /// The raw event's header (`event` holds at least one: checked by [`entry_at`]).
    fn header(&self) -> EventHeader {
        EventHeader::parse(self.event).expect("an entry's event holds its header")
    }
}

/// The event at offset `at`; `None` at the end of the batch.
pub fn entry_at(batch: &[u8], at: usize) -> Option<Result<Entry<'_>, Damaged>> {
    let rest = batch.get(at..).filter(|r| !r.is_empty())?;
    let Some(len) = rest
        .get(2..)
        .and_then(|ev| EventHeader::parse(ev).ok())
        .map(|h| h.len as usize)
    else {
        return Some(Err(Damaged(at)));
    };
    if len < HEADER_LEN || rest.len() - 2 < len {
        return Some(Err(Damaged(at)));
    }
    Some(Ok(Entry {
        cpu: u16::from_le_bytes([rest[0], rest[1]]),
        event: &rest[2..2 + len],
        next: at + 2 + len,
    }))
}

/// Every event of a batch, then the damage if there is any.
pub fn entries(batch: &[u8]) -> impl Iterator<Item = Result<Entry<'_>, Damaged>> {
    let mut at = Some(0);
    std::iter::from_fn(move || {
        let e = entry_at(batch, at?)?;
        at = e.ok().map(|e| e.next);
        Some(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(etype: u16, extra: usize) -> Vec<u8> {
        let mut header = [0u8; HEADER_LEN];
        EventHeader {
            ts: 1,
            tid: 2,
            len: (HEADER_LEN + extra) as u32,
            etype,
            nparams: 0,
        }
        .write(&mut header);
        let mut v = header.to_vec();
        v.resize(HEADER_LEN + extra, 7);
        v
    }

    #[test]
    fn batches_read_back_and_stop_at_damage() {
        let mut b = Vec::new();
        push(&mut b, 1, &event(5, 3));
        push(&mut b, 0, &event(244, 0));
        let all: Vec<_> = entries(&b).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            (
                all[0].cpu,
                all[0].event.len(),
                all[1].event_type(),
                all[1].ts()
            ),
            (1, 29, 244, 1)
        );
        // A length past the end, a length below a header, a truncated header.
        let mut bad = b.clone();
        bad[2 + 16..2 + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(entries(&bad).collect::<Vec<_>>(), [Err(Damaged(0))]);
        bad[2 + 16..2 + 20].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(entries(&bad).collect::<Vec<_>>(), [Err(Damaged(0))]);
        assert_eq!(entries(&b[..31 + 10]).count(), 2);
        assert!(entries(&b[..31 + 10]).last().unwrap().is_err());
        assert_eq!(entries(&[]).count(), 0);
    }
}
