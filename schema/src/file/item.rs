//! What the reader hands out: items, counters, and the collected state.

use std::collections::BTreeMap;

use super::events::EventRef;
use super::model::{
    FdInfo, GroupInfo, InterfaceInfo, MachineInfo, SectionHeader, ThreadInfo, UserInfo,
};

/// One thing read from a capture, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// A section header (the first block; a later one starts a new section).
    Section(SectionHeader),
    /// The machine info block.
    Machine(MachineInfo),
    /// A whole interface list block (libscap replaces its list with each such block).
    Interfaces(Vec<InterfaceInfo>),
    /// One user of a user list block.
    User(UserInfo),
    /// One group of a user list block.
    Group(GroupInfo),
    /// One process list entry.
    Thread(Box<ThreadInfo>),
    /// One fd of the fd list of thread `tid`.
    Fd {
        /// Owning thread.
        tid: u64,
        /// The fd.
        fd: FdInfo,
    },
    /// A block of a type this reader (like libscap) does not know; it was skipped.
    UnknownBlock {
        /// Its type code.
        block_type: u32,
        /// Its offset.
        offset: u64,
        /// Its total length.
        total_length: u32,
    },
    /// An event, normalized (see [`EventRef`]).
    Event(EventRef<'a>),
}

/// Counters of what has been read so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Blocks read, of any type.
    pub blocks: u64,
    /// Section header blocks.
    pub sections: u64,
    /// Event blocks (including skipped and invalid events).
    pub event_blocks: u64,
    /// Events delivered.
    pub events: u64,
    /// Events skipped because the event table does not know their type.
    pub unknown_type_events: u64,
    /// Events rejected as invalid ([`ReadError::BadEvent`](super::ReadError::BadEvent)).
    pub bad_events: u64,
    /// Blocks of unknown type, skipped.
    pub unknown_blocks: u64,
    /// Process list entries.
    pub threads: u64,
    /// Fd list entries.
    pub fds: u64,
    /// Users.
    pub users: u64,
    /// Groups.
    pub groups: u64,
    /// Interface entries.
    pub interfaces: u64,
    /// Body bytes of state blocks.
    pub state_bytes: u64,
}

/// The state blocks before the first event, collected (see [`CaptureReader::read_state`](super::CaptureReader::read_state)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureState {
    /// Machine info, if the file has it.
    pub machine: Option<MachineInfo>,
    /// Interfaces of the last interface list block.
    pub interfaces: Vec<InterfaceInfo>,
    /// Users, in file order.
    pub users: Vec<UserInfo>,
    /// Groups, in file order.
    pub groups: Vec<GroupInfo>,
    /// Threads, in file order.
    pub threads: Vec<ThreadInfo>,
    /// Fds by owning thread id, each list in file order.
    pub fds: BTreeMap<u64, Vec<FdInfo>>,
    /// Blocks of unknown type that were skipped.
    pub unknown_blocks: u64,
}
