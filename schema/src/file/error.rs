//! Errors of the capture reader. Every error names the byte offset in the *decompressed* stream
//! where the problem was found, and what was expected there.

use std::io;

/// Result type of the capture reader.
pub type Result<T> = std::result::Result<T, ReadError>;

/// Why a capture file (or one event in it) could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The underlying file or gzip stream failed.
    #[error("at byte {offset}: I/O error: {source}")]
    Io {
        /// Offset in the decompressed stream where the read started.
        offset: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The data ended before a structure was complete.
    #[error("at byte {offset}: truncated {what}: needed {needed} bytes, only {available} left")]
    Truncated {
        /// Where the structure starts.
        offset: u64,
        /// What was being read.
        what: &'static str,
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes that were actually there.
        available: u64,
    },
    /// A structure is present but its content is invalid.
    #[error("at byte {offset}: malformed {what}: {problem}")]
    Malformed {
        /// Where the offending field starts.
        offset: u64,
        /// What was being read.
        what: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A well-formed value is larger than the reader's [`Limits`](super::Limits) allow.
    #[error("at byte {offset}: {what} is {value}, more than the limit of {limit}")]
    LimitExceeded {
        /// Where the value was read.
        offset: u64,
        /// Which limit.
        what: &'static str,
        /// The value found.
        value: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The file is valid but uses something this reader (like libscap) does not read.
    #[error("at byte {offset}: unsupported {what}: {detail}")]
    Unsupported {
        /// Where the value was read.
        offset: u64,
        /// What is unsupported.
        what: &'static str,
        /// Details.
        detail: String,
    },
    /// One event block is framed correctly but its event is invalid. The block has been consumed
    /// completely, so reading can go on with the next block (libscap stops here; a replay that
    /// prefers to drop and count bad events may continue).
    #[error("at byte {offset}: invalid event in block type {block_type:#x}: {problem}")]
    BadEvent {
        /// Offset of the event block.
        offset: u64,
        /// The block type.
        block_type: u32,
        /// What is wrong.
        problem: String,
    },
    /// An earlier fatal error stopped the reader; it returns this from then on.
    #[error("at byte {offset}: the reader stopped at an earlier error")]
    Stopped {
        /// Offset of the earlier error.
        offset: u64,
    },
}

impl ReadError {
    /// Offset in the decompressed stream this error refers to.
    pub fn offset(&self) -> u64 {
        match self {
            ReadError::Io { offset, .. }
            | ReadError::Truncated { offset, .. }
            | ReadError::Malformed { offset, .. }
            | ReadError::LimitExceeded { offset, .. }
            | ReadError::Unsupported { offset, .. }
            | ReadError::BadEvent { offset, .. }
            | ReadError::Stopped { offset } => *offset,
        }
    }

    /// True when the reader is still usable after this error (the next call reads the next
    /// block). All other errors are fatal: later calls return [`ReadError::Stopped`].
    pub fn is_recoverable(&self) -> bool {
        matches!(self, ReadError::BadEvent { .. })
    }

    pub(crate) fn malformed(offset: u64, what: &'static str, problem: impl Into<String>) -> Self {
        ReadError::Malformed {
            offset,
            what,
            problem: problem.into(),
        }
    }

    pub(crate) fn limit(offset: u64, what: &'static str, value: u64, limit: u64) -> Self {
        ReadError::LimitExceeded {
            offset,
            what,
            value,
            limit,
        }
    }
}
