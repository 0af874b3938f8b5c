//! One syscall record from the kernel side (`struct record` in `bpf/capture.bpf.c`), read from
//! ring-buffer bytes with bounds checks.

/// Arguments per syscall.
pub const NARGS: usize = 6;
/// Bytes of user memory copied per argument (strings and buffers).
pub const BLOB_LEN: usize = 256;
/// Arguments with user memory per syscall, at most (blob slots).
pub const NBLOBS: usize = 2;
/// Size of `struct record_head`: the whole record of syscalls without user memory.
pub const HEAD_LEN: usize = 8 * 4 + 8 * NARGS + 4 + 4 + 2 * NBLOBS + 4;
/// Size of `struct record`: the head and the blob slots.
pub const RECORD_LEN: usize = HEAD_LEN + NBLOBS * BLOB_LEN;

/// A decoded record, borrowing the ring buffer's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Boot-clock times of the enter and exit tracepoints (ns).
    pub ts_enter: u64,
    pub ts_exit: u64,
    /// Thread id and process id.
    pub tid: u32,
    pub pid: u32,
    /// The return value.
    pub ret: i64,
    /// The raw argument registers.
    pub args: [u64; NARGS],
    /// Native syscall number.
    pub nr: u32,
    pub cpu: u32,
    blob_lens: [u16; NBLOBS],
    /// The blob slots (empty for head-only records).
    blobs: &'a [u8],
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl<'a> Record<'a> {
    /// Decode; `None` when `b` is shorter than a record head.
    pub fn parse(b: &'a [u8]) -> Option<Record<'a>> {
        if b.len() < HEAD_LEN {
            return None;
        }
        let pid_tgid = u64_at(b, 16);
        let mut args = [0u64; NARGS];
        for (i, a) in args.iter_mut().enumerate() {
            *a = u64_at(b, 32 + 8 * i);
        }
        let tail = 32 + 8 * NARGS;
        let blobs = b.get(HEAD_LEN..RECORD_LEN).unwrap_or_default();
        let mut blob_lens = [0u16; NBLOBS];
        for (i, l) in blob_lens.iter_mut().enumerate() {
            let at = tail + 8 + 2 * i;
            let len = u16::from_ne_bytes([b[at], b[at + 1]]).min(BLOB_LEN as u16);
            *l = if blobs.is_empty() { 0 } else { len };
        }
        Some(Record {
            ts_enter: u64_at(b, 0),
            ts_exit: u64_at(b, 8),
            tid: pid_tgid as u32,
            pid: (pid_tgid >> 32) as u32,
            ret: u64_at(b, 24) as i64,
            args,
            nr: u32::from_ne_bytes(b[tail..tail + 4].try_into().expect("4 bytes")),
            cpu: u32::from_ne_bytes(b[tail + 4..tail + 8].try_into().expect("4 bytes")),
            blob_lens,
            blobs,
        })
    }

    /// The user memory copied into blob slot `k` (empty when none was).
    pub fn blob(&self, k: usize) -> &'a [u8] {
        if k >= NBLOBS || self.blobs.is_empty() {
            return &[];
        }
        &self.blobs[k * BLOB_LEN..k * BLOB_LEN + self.blob_lens[k] as usize]
    }

    /// A string copied into slot `k`, without its terminating NUL.
    pub fn string(&self, k: usize) -> &'a [u8] {
        let b = self.blob(k);
        b.strip_suffix(&[0]).unwrap_or(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trip() {
        let mut b = vec![0u8; RECORD_LEN];
        b[16..24].copy_from_slice(&((7u64 << 32) | 9).to_ne_bytes());
        b[24..32].copy_from_slice(&(-2i64).to_ne_bytes());
        let tail = 32 + 8 * NARGS;
        b[tail..tail + 4].copy_from_slice(&257u32.to_ne_bytes());
        b[tail + 8 + 2..tail + 8 + 4].copy_from_slice(&4u16.to_ne_bytes());
        b[HEAD_LEN + BLOB_LEN..HEAD_LEN + BLOB_LEN + 4].copy_from_slice(b"/x\0\0");
        let r = Record::parse(&b).unwrap();
        assert_eq!((r.pid, r.tid, r.ret, r.nr), (7, 9, -2, 257));
        assert_eq!(r.blob(1), b"/x\0\0");
        assert_eq!(r.blob(0), b"");
        // A head-only record has no blobs, whatever its lengths say.
        let head = Record::parse(&b[..HEAD_LEN]).unwrap();
        assert_eq!((head.nr, head.blob(1)), (257, &b""[..]));
        assert!(Record::parse(&b[..HEAD_LEN - 1]).is_none());
    }
}
