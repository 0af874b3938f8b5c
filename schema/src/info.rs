//! Runtime descriptions of events and parameters. The generated tables (see [`crate::tables`])
//! are `static`s of these types; nothing here lists events or types by hand.

pub use crate::tables::{ParamType, PrintFormat};

/// Event direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Enter,
    Exit,
}

impl Direction {
    /// `>` for enter, `<` for exit, as libsinsp prints `evt.dir`.
    pub const fn symbol(self) -> &'static str {
        match self {
            Direction::Enter => ">",
            Direction::Exit => "<",
        }
    }
}

/// A name/value table from flags_table.c.
#[derive(Debug)]
pub struct FlagTable {
    pub name: &'static str,
    /// Entries in table order.
    pub entries: &'static [(&'static str, u64)],
}

/// One entry of a dynamic parameter table (the first byte of a `PT_DYN` value indexes it).
#[derive(Debug)]
pub struct DynParam {
    pub ptype: ParamType,
    pub fmt: PrintFormat,
}

/// What the third element of a parameter's table entry refers to.
#[derive(Debug)]
pub enum ParamExtra {
    None,
    /// Flag or enum names for the value.
    Flags(&'static FlagTable),
    /// The dynamic type table of a `PT_DYN` parameter.
    Dyn(&'static [DynParam]),
    /// Index of the parameter holding the dirfd of this relative path.
    DirFd(u8),
}

/// One parameter of an event layout.
#[derive(Debug)]
pub struct ParamInfo {
    pub name: &'static str,
    /// Index of `name` in [`crate::tables::PARAM_NAMES`].
    pub name_id: u16,
    pub ptype: ParamType,
    pub fmt: PrintFormat,
    pub extra: ParamExtra,
}

impl ParamInfo {
    /// The flag table of this parameter, if it has one.
    pub fn flags(&self) -> Option<&'static FlagTable> {
        match self.extra {
            ParamExtra::Flags(t) => Some(t),
            _ => None,
        }
    }
}

/// One entry of the event table.
#[derive(Debug)]
pub struct EventInfo {
    pub code: u16,
    /// The upstream code name, e.g. `PPME_SYSCALL_OPEN_X`.
    pub id: &'static str,
    /// `evt.type`, e.g. `open`; `NA` for unused slots.
    pub name: &'static str,
    pub direction: Direction,
    /// Category bits (`EC_*`).
    pub category: u32,
    /// Event flag bits (`EF_*`).
    pub flags: u32,
    /// The current (longest) layout. Older layouts of the same code are prefixes of it.
    pub params: &'static [ParamInfo],
}

impl EventInfo {
    /// True when the event's parameter lengths are u32 instead of u16.
    #[inline]
    pub const fn large_payload(&self) -> bool {
        self.flags & crate::tables::ef::LARGE_PAYLOAD != 0
    }

    /// True when the table marks this slot unused.
    pub const fn unused(&self) -> bool {
        self.flags & crate::tables::ef::UNUSED != 0
    }

    /// The index of the parameter called `name`, if this event has one.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

/// The event table entry for a code, if the code is in the table.
#[inline]
pub fn event_info(code: u16) -> Option<&'static EventInfo> {
    crate::tables::EVENTS.get(usize::from(code))
}

/// One native syscall of an architecture's syscall table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyscallEntry {
    /// Native syscall number.
    pub nr: u32,
    /// Syscall name, e.g. `openat`.
    pub name: &'static str,
    /// `UF_*` bits.
    pub flags: u32,
    /// Enter and exit event codes (`PPME_GENERIC_E`/`_X` for syscalls without their own event).
    pub enter: u16,
    pub exit: u16,
    /// ppm_sc code.
    pub ppm_sc: u16,
}
