//! One syscall record from the kernel side (`struct record`, generated with its parts from
//! `codegen/src/capture/layout.rs` for `bpf/capture.bpf.c` and, as byte offsets, for this
//! module), read from ring-buffer bytes with bounds checks.

pub use crate::coverage::plan::{
    BLOB_LEN, CGROUPS_LEN, NARGS, NBLOBS, PROC_PART, PROCEXIT_NR, RF_CREATED, RF_FILE, RF_SOCK,
};
use crate::coverage::plan::{TASK_COMM_LEN, cgroups_area, proc_area, record, record_head as head};

/// Size of `struct record_head`: the whole record of syscalls without user memory.
pub const HEAD_LEN: usize = head::SIZE;
/// End of the blob slots (`struct record`'s head and blobs): where a process record's cgroup
/// entries' length (`cg.len`) is.
const BLOBS_END: usize = record::CG;
/// Where a process record's cgroup entries start (`struct record`'s `cg.data`).
const CGROUPS_AT: usize = record::CG + cgroups_area::DATA;
/// Where a process record's process area starts (`struct record`'s `proc`).
const PROC_AT: usize = record::PROC;
/// Where the process area's strings start (`proc.data`), after its fixed fields.
const PROC_DATA_AT: usize = PROC_AT + proc_area::DATA;

/// Bits of the minor number in the kernel's internal `dev_t` (`MINORBITS`).
const MINOR_BITS: u32 = 20;

/// A device number as libscap's events and fd tables carry it: the user-space encoding of
/// `major:minor` (the kernel's `new_encode_dev`, glibc's `makedev` in 32 bits).
pub fn user_dev(major: u32, minor: u32) -> u32 {
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

impl Record<'_> {
    /// [`Record::dev`] in the user-space encoding ([`user_dev`]).
    pub fn user_dev(&self) -> u32 {
        user_dev(self.dev >> MINOR_BITS, self.dev & ((1 << MINOR_BITS) - 1))
    }
}

/// The kernel socket of a syscall's fd.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sock {
    /// Native address family (AF_UNIX 1, AF_INET 2, AF_INET6 10).
    pub family: u16,
    /// Local and remote ports, host order.
    pub sport: u16,
    pub dport: u16,
    /// Local and remote addresses (IPv4 in the first four bytes, network order).
    pub saddr: [u8; 16],
    pub daddr: [u8; 16],
    /// Kernel addresses of the socket and, for unix sockets, of its peer.
    pub sk: u64,
    pub peer: u64,
}

/// What the kernel side read of a process record's task besides the head (`struct
/// proc_area`): empty strings and zeros when a value could not be read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcArea<'a> {
    /// The exe file's inode number and its status-change and modification times (epoch ns).
    pub exe_ino: u64,
    pub exe_ctime_ns: u64,
    pub exe_mtime_ns: u64,
    /// Capability sets (libscap's PPM_CAP_* bits).
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    /// The thread's major and minor page faults.
    pub pgft_maj: u64,
    pub pgft_min: u64,
    /// A clone's child: the start (monotonic ns) of its pid namespace's init; 0 otherwise.
    pub pidns_init_start: u64,
    /// libscap's execve flags (`PPM_EXE_*`).
    pub exe_flags: u32,
    /// The controlling tty (libscap's encoded dev_t), 0 for none.
    pub tty: u32,
    /// The process group leader's id, as `pid` is numbered, and in its own pid namespace.
    pub pgid: u32,
    pub vpgid: u32,
    /// The effective uid and gid (`u32::MAX` when unread).
    pub euid: u32,
    pub egid: u32,
    /// The working directory and the exe file's path, without their NUL.
    pub cwd: &'a [u8],
    pub exe_path: &'a [u8],
    /// The argument and environment areas (NUL-separated strings, cut at [`PROC_PART`]).
    pub args: &'a [u8],
    pub env: &'a [u8],
    /// Execs: the path the exec was given (as the kernel copied it), without its NUL.
    pub filename: &'a [u8],
    /// `WANT_PATH`: the path of the syscall's file, without its NUL.
    pub fd_path: &'a [u8],
}

impl<'a> ProcArea<'a> {
    /// The process area of record bytes `b`, `None` when `b` does not reach it or its lengths
    /// point past what was sent.
    fn parse(b: &'a [u8]) -> Option<ProcArea<'a>> {
        let area = b.get(PROC_AT..PROC_DATA_AT)?;
        let mut data = b.get(PROC_DATA_AT..)?;
        let mut take = |len: u32| -> Option<&'a [u8]> {
            let len = len as usize;
            if len > PROC_PART {
                return None;
            }
            let (s, rest) = data.split_at_checked(len)?;
            data = rest;
            Some(s)
        };
        let without_nul = |s: &'a [u8]| s.strip_suffix(&[0]).unwrap_or(s);
        Some(ProcArea {
            exe_ino: u64_at(area, proc_area::EXE_INO),
            exe_ctime_ns: u64_at(area, proc_area::EXE_CTIME_NS),
            exe_mtime_ns: u64_at(area, proc_area::EXE_MTIME_NS),
            cap_inheritable: u64_at(area, proc_area::CAP_INHERITABLE),
            cap_permitted: u64_at(area, proc_area::CAP_PERMITTED),
            cap_effective: u64_at(area, proc_area::CAP_EFFECTIVE),
            pgft_maj: u64_at(area, proc_area::PGFT_MAJ),
            pgft_min: u64_at(area, proc_area::PGFT_MIN),
            pidns_init_start: u64_at(area, proc_area::PIDNS_INIT_START),
            exe_flags: u32_at(area, proc_area::EXE_FLAGS),
            tty: u32_at(area, proc_area::TTY),
            pgid: u32_at(area, proc_area::PGID),
            vpgid: u32_at(area, proc_area::VPGID),
            euid: u32_at(area, proc_area::EUID),
            egid: u32_at(area, proc_area::EGID),
            cwd: without_nul(take(u32_at(area, proc_area::CWD_LEN))?),
            exe_path: without_nul(take(u32_at(area, proc_area::EXE_PATH_LEN))?),
            args: take(u32_at(area, proc_area::ARGS_LEN))?,
            env: take(u32_at(area, proc_area::ENV_LEN))?,
            filename: without_nul(take(u32_at(area, proc_area::FILENAME_LEN))?),
            fd_path: without_nul(take(u32_at(area, proc_area::FD_PATH_LEN))?),
        })
    }
}

/// A decoded record, borrowing the ring buffer's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Boot-clock time of the exit tracepoint (ns).
    pub ts_exit: u64,
    /// Thread id and process id.
    pub tid: u32,
    pub pid: u32,
    /// The return value (the exit code for a process exit).
    pub ret: i64,
    /// The raw argument registers.
    pub args: [u64; NARGS],
    /// Native syscall number, or [`PROCEXIT_NR`].
    pub nr: u32,
    pub cpu: u32,
    /// `RF_*` bits.
    pub flags: u32,
    /// Device (the kernel's internal `dev_t`: major << 20 | minor, see [`user_dev`]) and inode
    /// of the syscall's file when `flags & RF_FILE`.
    pub dev: u32,
    pub ino: u64,
    /// The syscall's socket when `flags & RF_SOCK`.
    pub sock: Option<Sock>,
    /// The thread's uid and gid at the syscall's exit.
    pub uid: u32,
    pub gid: u32,
    /// The parent's thread id (process events only; 0 otherwise).
    pub ptid: u32,
    /// The thread's comm (process events only; empty otherwise).
    pub comm: &'a [u8],
    /// Process events: the open-files limit, the login uid, the address space size (KiB).
    pub fdlimit: u64,
    pub loginuid: u32,
    pub vm_size_kb: u32,
    /// `WANT_MM`: the resident (file, anonymous and shared pages) and swapped-out sizes (KiB);
    /// `vm_size_kb` is read with them.
    pub vm_rss_kb: u32,
    pub vm_swap_kb: u32,
    /// The total length of a syscall's iovec array (`ARG_IOVEC*`, `ARG_MMSGHDR`).
    pub iov_len: u64,
    /// `ARG_MMSGHDR`: the first message's `msg_len`.
    pub msg_len: u32,
    /// `WANT_QUEUE`: the length and limit of the accept queue of the listening socket at
    /// argument 0, after a successful call (0 otherwise).
    pub queue_len: u32,
    pub queue_max: u32,
    /// Process events: the thread's and its process's ids in their own pid namespace.
    pub vtid: u32,
    pub vpid: u32,
    /// Process events: the thread's cgroups as the kernel side read them, `subsys=path`
    /// entries each NUL-terminated (libscap's `cgroups` parameter); empty otherwise.
    pub cgroups: &'a [u8],
    /// Process events: the process area; `None` otherwise.
    pub proc: Option<ProcArea<'a>>,
    blob_lens: [u16; NBLOBS],
    /// The blob slots (empty for head-only records).
    blobs: &'a [u8],
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

/// The cgroup entries of a process record (empty when the record has none, or when its
/// length points past what was sent).
fn cgroups_of(b: &[u8]) -> &[u8] {
    let Some(len) = b.get(record::CG + cgroups_area::LEN..CGROUPS_AT) else {
        return &[];
    };
    let len = u32_at(len, 0) as usize;
    if len > CGROUPS_LEN {
        return &[];
    }
    b.get(CGROUPS_AT..CGROUPS_AT + len).unwrap_or_default()
}

impl<'a> Record<'a> {
    /// Decode; `None` when `b` is shorter than a record head.
    pub fn parse(b: &'a [u8]) -> Option<Record<'a>> {
        if b.len() < HEAD_LEN {
            return None;
        }
        let pid_tgid = u64_at(b, head::PID_TGID);
        let mut args = [0u64; NARGS];
        for (i, a) in args.iter_mut().enumerate() {
            *a = u64_at(b, head::ARGS + 8 * i);
        }
        // The kernel side sends a record up to the end of its last blob used.
        let blobs = b.get(HEAD_LEN..b.len().min(BLOBS_END)).unwrap_or_default();
        let mut blob_lens = [0u16; NBLOBS];
        for (i, l) in blob_lens.iter_mut().enumerate() {
            let len = usize::from(u16_at(b, head::BLOB_LEN + 2 * i)).min(BLOB_LEN);
            // A slot that does not fit in what was sent is empty.
            *l = if i * BLOB_LEN + len <= blobs.len() {
                len as u16
            } else {
                0
            };
        }
        let flags = u32::from(u16_at(b, head::FLAGS));
        let sock = (flags & RF_SOCK != 0).then(|| Sock {
            family: u16_at(b, head::SOCK_FAMILY),
            sport: u16_at(b, head::SPORT),
            dport: u16_at(b, head::DPORT),
            sk: u64_at(b, head::SK),
            peer: u64_at(b, head::PEER),
            saddr: b[head::SADDR..head::SADDR + 16]
                .try_into()
                .expect("16 bytes"),
            daddr: b[head::DADDR..head::DADDR + 16]
                .try_into()
                .expect("16 bytes"),
        });
        Some(Record {
            ts_exit: u64_at(b, head::TS_EXIT),
            tid: pid_tgid as u32,
            pid: (pid_tgid >> 32) as u32,
            ret: u64_at(b, head::RET) as i64,
            args,
            nr: u32_at(b, head::NR),
            cpu: u32_at(b, head::CPU),
            flags,
            dev: u32_at(b, head::DEV),
            ino: u64_at(b, head::INO),
            sock,
            ptid: u32_at(b, head::PTID),
            uid: u32_at(b, head::UID_GID),
            gid: u32_at(b, head::UID_GID + 4),
            comm: {
                let c = &b[head::COMM..head::COMM + TASK_COMM_LEN];
                &c[..c.iter().position(|&x| x == 0).unwrap_or(TASK_COMM_LEN)]
            },
            fdlimit: u64_at(b, head::FDLIMIT),
            loginuid: u32_at(b, head::LOGINUID),
            vm_size_kb: u32_at(b, head::VM_SIZE_KB),
            vtid: u32_at(b, head::VTID),
            vpid: u32_at(b, head::VPID),
            vm_rss_kb: u32_at(b, head::VM_RSS_KB),
            vm_swap_kb: u32_at(b, head::VM_SWAP_KB),
            iov_len: u64::from(u32_at(b, head::IOV_LEN)),
            msg_len: u32_at(b, head::MSG_LEN),
            queue_len: u32_at(b, head::QUEUE_LEN),
            queue_max: u32_at(b, head::QUEUE_MAX),
            cgroups: cgroups_of(b),
            proc: ProcArea::parse(b),
            blob_lens,
            blobs,
        })
    }

    /// How full the accept queue is, in percent of its limit, as the modern probe computes
    /// it (0 when either is 0).
    pub fn queue_pct(&self) -> u8 {
        if self.queue_len == 0 || self.queue_max == 0 {
            return 0;
        }
        (u64::from(self.queue_len) * 100 / u64::from(self.queue_max)) as u8
    }

    /// Whether this is a process exit rather than a syscall.
    pub fn is_procexit(&self) -> bool {
        self.nr == PROCEXIT_NR
    }

    /// The user memory copied into blob slot `k` (empty when none was).
    pub fn blob(&self, k: usize) -> &'a [u8] {
        if k >= NBLOBS {
            return &[];
        }
        self.blobs
            .get(k * BLOB_LEN..k * BLOB_LEN + self.blob_lens[k] as usize)
            .unwrap_or_default()
    }

    /// A string copied into slot `k`, without its terminating NUL.
    pub fn string(&self, k: usize) -> &'a [u8] {
        let b = self.blob(k);
        b.strip_suffix(&[0]).unwrap_or(b)
    }
}

/// Writes `v` at byte `at` of `b` (tests).
#[cfg(test)]
fn put(b: &mut [u8], at: usize, v: &[u8]) {
    b[at..at + v.len()].copy_from_slice(v);
}

/// Record bytes for tests: a head (all zero) and `blobs` in the first slots.
#[cfg(test)]
pub fn with_blobs(blobs: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![0u8; BLOBS_END];
    for (k, blob) in blobs.iter().enumerate().take(NBLOBS) {
        let len = blob.len().min(BLOB_LEN);
        put(&mut b, head::BLOB_LEN + 2 * k, &(len as u16).to_ne_bytes());
        let at = HEAD_LEN + k * BLOB_LEN;
        b[at..at + len].copy_from_slice(&blob[..len]);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_in_the_user_space_encoding() {
        // The kernel's 8:1 (sda1) and 259:65536, as `stat` gives them (glibc's makedev).
        assert_eq!(user_dev(8, 1), 0x801);
        assert_eq!(user_dev(259, 65536), 0x1001_0300);
        let mut b = vec![0u8; HEAD_LEN];
        put(&mut b, head::DEV, &(259u32 << 20 | 65536).to_ne_bytes());
        assert_eq!(Record::parse(&b).unwrap().user_dev(), 0x1001_0300);
    }

    #[test]
    fn layout_round_trip() {
        assert_eq!(HEAD_LEN, 232, "struct record_head of bpf/capture.bpf.c");
        let mut b = vec![0u8; BLOBS_END];
        put(&mut b, head::PID_TGID, &((7u64 << 32) | 9).to_ne_bytes());
        put(&mut b, head::RET, &(-2i64).to_ne_bytes());
        put(&mut b, head::NR, &257u32.to_ne_bytes());
        put(&mut b, head::BLOB_LEN + 2, &4u16.to_ne_bytes());
        put(
            &mut b,
            head::FLAGS,
            &((RF_SOCK | RF_FILE) as u16).to_ne_bytes(),
        );
        put(&mut b, head::INO, &99u64.to_ne_bytes());
        put(&mut b, head::BLOB_LEN + 4, &2u16.to_ne_bytes());
        b[HEAD_LEN + 2 * BLOB_LEN..HEAD_LEN + 2 * BLOB_LEN + 2].copy_from_slice(b"y\0");
        put(&mut b, head::SOCK_FAMILY, &2u16.to_ne_bytes());
        put(&mut b, head::DPORT, &443u16.to_ne_bytes());
        put(&mut b, head::DADDR, &[127, 0, 0, 1]);
        put(&mut b, head::VTID, &4u32.to_ne_bytes());
        put(&mut b, head::VPID, &3u32.to_ne_bytes());
        put(&mut b, head::VM_RSS_KB, &5u32.to_ne_bytes());
        put(&mut b, head::VM_SWAP_KB, &6u32.to_ne_bytes());
        put(&mut b, head::IOV_LEN, &7u32.to_ne_bytes());
        put(&mut b, head::MSG_LEN, &8u32.to_ne_bytes());
        put(&mut b, head::QUEUE_LEN, &3u32.to_ne_bytes());
        put(&mut b, head::QUEUE_MAX, &4u32.to_ne_bytes());
        b[HEAD_LEN + BLOB_LEN..HEAD_LEN + BLOB_LEN + 4].copy_from_slice(b"/x\0\0");
        let r = Record::parse(&b).unwrap();
        assert_eq!((r.pid, r.tid, r.ret, r.nr), (7, 9, -2, 257));
        assert_eq!((r.vtid, r.vpid), (4, 3));
        assert_eq!((r.vm_rss_kb, r.vm_swap_kb), (5, 6));
        assert_eq!((r.iov_len, r.msg_len), (7, 8));
        // 3 of 4: 75 percent.
        assert_eq!((r.queue_len, r.queue_max, r.queue_pct()), (3, 4, 75));
        assert_eq!(r.blob(1), b"/x\0\0");
        assert_eq!((r.blob(0), r.blob(2)), (&b""[..], &b"y\0"[..]));
        assert_eq!((r.flags, r.ino), (RF_SOCK | RF_FILE, 99));
        let s = r.sock.unwrap();
        assert_eq!(
            (s.family, s.dport, &s.daddr[..4]),
            (2, 443, &[127, 0, 0, 1][..])
        );
        // A head-only record has no blobs, whatever its lengths say.
        let head = Record::parse(&b[..HEAD_LEN]).unwrap();
        assert_eq!((head.nr, head.blob(1)), (257, &b""[..]));
        assert!(Record::parse(&b[..HEAD_LEN - 1]).is_none());
        assert_eq!(r.cgroups, b"");
    }

    #[test]
    fn process_records_carry_their_cgroups() {
        let entries = b"cpu=/\0memory=/a/b\0";
        let mut b = vec![0u8; CGROUPS_AT + entries.len()];
        b[BLOBS_END..BLOBS_END + 4].copy_from_slice(&(entries.len() as u32).to_ne_bytes());
        b[CGROUPS_AT..].copy_from_slice(entries);
        assert_eq!(Record::parse(&b).unwrap().cgroups, entries);
        // A length past what was sent, or past CGROUPS_LEN, reads as no cgroups.
        assert_eq!(Record::parse(&b[..b.len() - 1]).unwrap().cgroups, b"");
        b[BLOBS_END..BLOBS_END + 4].copy_from_slice(&(CGROUPS_LEN as u32 + 1).to_ne_bytes());
        assert_eq!(Record::parse(&b).unwrap().cgroups, b"");
    }

    #[test]
    fn process_records_carry_their_process_area() {
        let strings: &[&[u8]] = &[b"/home\0", b"/bin/sh\0", b"sh\0-c\0", b"A=1\0"];
        let filename = b"./sh\0";
        let mut b = vec![0u8; PROC_DATA_AT];
        b[PROC_AT + 40..PROC_AT + 48].copy_from_slice(&0x1fu64.to_ne_bytes());
        b[PROC_AT + 72..PROC_AT + 76].copy_from_slice(&4u32.to_ne_bytes());
        b[PROC_AT + 80..PROC_AT + 84].copy_from_slice(&77u32.to_ne_bytes());
        for (i, s) in strings.iter().enumerate() {
            let at = PROC_AT + 96 + 4 * i;
            b[at..at + 4].copy_from_slice(&(s.len() as u32).to_ne_bytes());
            b.extend_from_slice(s);
        }
        b[PROC_AT + 116..PROC_AT + 120].copy_from_slice(&(filename.len() as u32).to_ne_bytes());
        b.extend_from_slice(filename);
        let p = Record::parse(&b).unwrap().proc.unwrap();
        assert_eq!((p.cap_effective, p.exe_flags, p.pgid), (0x1f, 4, 77));
        assert_eq!((p.cwd, p.exe_path), (&b"/home"[..], &b"/bin/sh"[..]));
        assert_eq!((p.args, p.env), (&b"sh\0-c\0"[..], &b"A=1\0"[..]));
        assert_eq!(p.filename, b"./sh");
        // Lengths past what was sent, or past PROC_PART, read as no process area.
        assert!(Record::parse(&b[..b.len() - 1]).unwrap().proc.is_none());
        b[PROC_AT + 96..PROC_AT + 100].copy_from_slice(&(PROC_PART as u32 + 1).to_ne_bytes());
        assert!(Record::parse(&b).unwrap().proc.is_none());
        // A record that ends before it (not a process event) has none.
        assert!(Record::parse(&b[..HEAD_LEN]).unwrap().proc.is_none());
    }

    #[test]
    fn records_end_after_their_last_blob() {
        // A one-byte write: the kernel side sends the head and one byte of slot 0; a slot
        // whose length points past what was sent reads as empty.
        let mut b = vec![0u8; HEAD_LEN + 1];
        put(&mut b, head::BLOB_LEN, &1u16.to_ne_bytes());
        put(&mut b, head::BLOB_LEN + 2, &9u16.to_ne_bytes());
        b[HEAD_LEN] = b'x';
        let r = Record::parse(&b).unwrap();
        assert_eq!((r.blob(0), r.blob(1)), (&b"x"[..], &b""[..]));
    }
}
