//! Resource limits of the capture reader.
//!
//! libscap's own format limits (1024-byte paths, 4096-byte argument, environment and cgroup
//! blobs, 256-byte user and group strings, 64 KiB non-large event blocks) are always enforced as
//! format rules. The limits here come on top, so that a hostile file can never make the reader
//! (or a consumer that keeps everything it yields) use unbounded memory.

/// Caps applied while reading. Exceeding one is a [`ReadError::LimitExceeded`]; nothing is ever
/// allocated from an untrusted length before that length has been checked against these limits
/// and against the bytes actually present.
///
/// [`ReadError::LimitExceeded`]: super::ReadError::LimitExceeded
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest block body (block total length minus the 12 bytes of framing) the reader accepts,
    /// for any block type, including large event blocks. Default 64 MiB.
    pub max_block_bytes: u32,
    /// Largest sum of the bodies of all state blocks (machine, interface, user, process and fd
    /// lists) in the file. Default 256 MiB.
    pub max_state_bytes: u64,
    /// Most process-list entries in the file. Default 262144 (libsinsp's default thread table
    /// size).
    pub max_threads: u64,
    /// Most fd-list entries for one thread id, over all fd-list blocks of the file. Default
    /// 65536. Fd lists are accepted for at most `max_threads` distinct thread ids.
    pub max_fds_per_thread: u32,
    /// Most user plus group entries in the file. Default 1048576.
    pub max_users_groups: u64,
    /// Longest single string (names, paths, and each argument, environment and cgroup blob), in
    /// bytes. Default 4096, which lets every length libscap accepts through.
    pub max_string_bytes: u32,
    /// Most NUL-separated entries in one argument, environment or cgroup blob. Default 4096.
    pub max_list_entries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_block_bytes: 64 << 20,
            max_state_bytes: 256 << 20,
            max_threads: 262_144,
            max_fds_per_thread: 65_536,
            max_users_groups: 1 << 20,
            max_string_bytes: 4096,
            max_list_entries: 4096,
        }
    }
}
