//! Block framing: block type codes and their meaning.
//!
//! A capture is a sequence of pcapng-style blocks, all little endian:
//! `{type: u32, total_length: u32}`, a body, then `total_length` again as a u32 trailer.
//! `total_length` counts the whole block (12 bytes of framing + body, including any padding).
//! Writers pad bodies to a multiple of 4; readers do not rely on it.

/// Bytes of framing around a body: type, total length, trailing length.
pub const FRAMING_LEN: u32 = 12;

/// Section header block (`\r\n\n\r`).
pub const SHB: u32 = 0x0A0D_0D0A;
/// Byte-order magic inside the section header.
pub const SHB_MAGIC: u32 = 0x1A2B_3C4D;

/// Machine info.
pub const MI: u32 = 0x201;
/// Machine info, pre-release code.
pub const MI_INT: u32 = 0x8002_ABCD;
/// Process lists V1 … V9 (V1–V3 also have pre-release codes).
pub const PL_V1: u32 = 0x202;
pub const PL_V1_INT: u32 = 0x8000_ABCD;
pub const PL_V2: u32 = 0x207;
pub const PL_V2_INT: u32 = 0x8013_ABCD;
pub const PL_V3: u32 = 0x209;
pub const PL_V3_INT: u32 = 0x8014_ABCD;
pub const PL_V4: u32 = 0x210;
pub const PL_V5: u32 = 0x211;
pub const PL_V6: u32 = 0x212;
pub const PL_V7: u32 = 0x213;
pub const PL_V8: u32 = 0x214;
pub const PL_V9: u32 = 0x215;
/// Fd lists.
pub const FDL: u32 = 0x203;
pub const FDL_INT: u32 = 0x8001_ABCD;
pub const FDL_V2: u32 = 0x218;
/// Event blocks.
pub const EV: u32 = 0x204;
pub const EV_INT: u32 = 0x8010_ABCD;
pub const EVF: u32 = 0x208;
pub const EV_V2: u32 = 0x216;
pub const EVF_V2: u32 = 0x217;
pub const EV_V2_LARGE: u32 = 0x221;
pub const EVF_V2_LARGE: u32 = 0x222;
/// Interface lists.
pub const IL: u32 = 0x205;
pub const IL_INT: u32 = 0x8011_ABCD;
pub const IL_V2: u32 = 0x219;
/// User lists.
pub const UL: u32 = 0x206;
pub const UL_INT: u32 = 0x8012_ABCD;
pub const UL_V2: u32 = 0x220;

/// Layout of an event block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventBlock {
    /// A u32 of flags follows the cpu id (EVF*).
    pub has_flags: bool,
    /// The event header has `nparams` (26 bytes, V2) rather than the old 22-byte header.
    pub v2: bool,
    /// The block may exceed 64 KiB (V2_LARGE).
    pub large_block: bool,
}

/// What a block type means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Section header.
    Section,
    /// Machine info.
    Machine,
    /// Process list of this version (1..=9).
    ProcList(u8),
    /// Fd list; `true` for V2 (per-entry lengths).
    FdList(bool),
    /// Interface list; `true` for V2.
    IfList(bool),
    /// User list; `true` for V2.
    UserList(bool),
    /// An event.
    Event(EventBlock),
    /// Anything else: skipped.
    Unknown,
}

impl BlockKind {
    /// Classifies a block type code.
    #[inline]
    pub fn of(block_type: u32) -> BlockKind {
        let ev = |has_flags, v2, large_block| {
            BlockKind::Event(EventBlock {
                has_flags,
                v2,
                large_block,
            })
        };
        match block_type {
            SHB => BlockKind::Section,
            MI | MI_INT => BlockKind::Machine,
            PL_V1 | PL_V1_INT => BlockKind::ProcList(1),
            PL_V2 | PL_V2_INT => BlockKind::ProcList(2),
            PL_V3 | PL_V3_INT => BlockKind::ProcList(3),
            PL_V4 => BlockKind::ProcList(4),
            PL_V5 => BlockKind::ProcList(5),
            PL_V6 => BlockKind::ProcList(6),
            PL_V7 => BlockKind::ProcList(7),
            PL_V8 => BlockKind::ProcList(8),
            PL_V9 => BlockKind::ProcList(9),
            FDL | FDL_INT => BlockKind::FdList(false),
            FDL_V2 => BlockKind::FdList(true),
            IL | IL_INT => BlockKind::IfList(false),
            IL_V2 => BlockKind::IfList(true),
            UL | UL_INT => BlockKind::UserList(false),
            UL_V2 => BlockKind::UserList(true),
            EV | EV_INT => ev(false, false, false),
            EVF => ev(true, false, false),
            EV_V2 => ev(false, true, false),
            EVF_V2 => ev(true, true, false),
            EV_V2_LARGE => ev(false, true, true),
            EVF_V2_LARGE => ev(true, true, true),
            _ => BlockKind::Unknown,
        }
    }

    /// True for the blocks that carry state (and count against `max_state_bytes`).
    pub fn is_state(self) -> bool {
        matches!(
            self,
            BlockKind::Machine
                | BlockKind::ProcList(_)
                | BlockKind::FdList(_)
                | BlockKind::IfList(_)
                | BlockKind::UserList(_)
        )
    }
}

/// A block's framing header as read from the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Offset of the block's first byte in the decompressed stream.
    pub offset: u64,
    /// Block type code.
    pub block_type: u32,
    /// Total length, framing included.
    pub total_length: u32,
}

impl BlockHeader {
    /// Length of the body (total length minus framing); `None` when the total is shorter than the
    /// framing itself.
    pub fn body_len(&self) -> Option<u32> {
        self.total_length.checked_sub(FRAMING_LEN)
    }

    /// Offset of the body's first byte.
    pub fn body_offset(&self) -> u64 {
        self.offset + 8
    }
}
