//! The event form of the `ScapBatch` extension (and of the plugin's and the stand-in daemon's
//! per-zone batches): events back to back, each `cpu: u16 LE` then a raw libscap event, whose
//! header holds its own length. Batches come from zones: reading is bounds-checked and stops
//! at the first damaged event.

/// Bytes of a raw event's header (ts u64, tid u64, len u32, type u16, nparams u32).
pub const EVENT_HEADER_LEN: usize = 26;

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
        u16::from_le_bytes([self.event[20], self.event[21]])
    }

    /// The raw event's timestamp.
    pub fn ts(&self) -> u64 {
        u64::from_le_bytes(self.event[..8].try_into().expect("a header is 26 bytes"))
    }
}

/// The event at offset `at`; `None` at the end of the batch.
pub fn entry_at(batch: &[u8], at: usize) -> Option<Result<Entry<'_>, Damaged>> {
    let rest = batch.get(at..).filter(|r| !r.is_empty())?;
    let Some(len) = rest
        .get(2 + 16..2 + 20)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    else {
        return Some(Err(Damaged(at)));
    };
    if len < EVENT_HEADER_LEN || rest.len() - 2 < len {
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
        let mut v = 1u64.to_le_bytes().to_vec();
        v.extend_from_slice(&2u64.to_le_bytes());
        v.extend_from_slice(&((EVENT_HEADER_LEN + extra) as u32).to_le_bytes());
        v.extend_from_slice(&etype.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.resize(EVENT_HEADER_LEN + extra, 7);
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
