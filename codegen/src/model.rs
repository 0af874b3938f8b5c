//! The schema model: the project's own rendering of the libscap driver tables.
//!
//! `codegen import` fills it from an upstream `driver/` folder and writes it as TOML under
//! `schema/`; the generator reads it back. Field order in these structs is the order of keys in
//! the TOML files, so keep it stable: the files are meant to be diffed.

use serde::{Deserialize, Serialize};

/// Everything imported from one upstream revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub version: VersionInfo,
    pub constants: Constants,
    pub events: Vec<Event>,
    pub flag_tables: Vec<FlagTable>,
    pub dyn_tables: Vec<DynTable>,
    pub syscalls: Vec<SyscallMap>,
}

/// `schema/version.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Contents of the driver's SCHEMA_VERSION file, e.g. `4.5.1`.
    pub schema_version: String,
    /// Contents of the driver's API_VERSION file.
    pub api_version: String,
    /// Where the tables came from: the imported folder's name plus, when given, a revision.
    pub source: String,
}

/// A named numeric constant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameValue {
    pub name: String,
    pub value: u64,
}

/// `schema/constants.toml`: groups of constants from ppm_events_public.h, each in declaration
/// order, with values resolved to numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constants {
    /// `enum ppm_event_category` (EC_*).
    pub event_categories: Vec<NameValue>,
    /// `enum ppm_event_flags` (EF_*).
    pub event_flags: Vec<NameValue>,
    /// `enum ppm_param_type` (PT_*).
    pub param_types: Vec<NameValue>,
    /// `enum ppm_print_format` (PF_*).
    pub print_formats: Vec<NameValue>,
    /// `PPM_SC_FIELDS` (PPM_SC_*), names without the `PPM_SC_` prefix, lower case as libsinsp
    /// prints them.
    pub ppm_sc: Vec<NameValue>,
    /// `enum syscall_flags` (UF_*).
    pub syscall_flags: Vec<NameValue>,
    /// PPM_AF_* socket families.
    pub socket_families: Vec<NameValue>,
    /// `enum anon_inode_fd_type` (ANON_INODE_FD_TYPE_*).
    pub anon_inode_fd_types: Vec<NameValue>,
    /// `enum sys_exit_extra_code` and other small groups the renderer needs are added here
    /// as the decoder grows; every group is a prefix match over the header's definitions.
    pub extra: Vec<ConstGroup>,
}

/// A group of constants selected by name prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstGroup {
    pub prefix: String,
    pub entries: Vec<NameValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Enter,
    Exit,
}

/// One entry of `g_event_info`, `schema/events.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Numeric event code (index in `g_event_info`).
    pub code: u16,
    /// The `enum ppm_event_code` name, e.g. `PPME_SYSCALL_OPEN_E`.
    pub id: String,
    /// Event name as printed by libsinsp (`evt.type`), e.g. `open`; `NA` for unused slots.
    pub name: String,
    /// From the `_E`/`_X` suffix of the code name (even codes enter, odd exit).
    pub direction: Direction,
    /// Category names as written in the table, e.g. `["EC_FILE", "EC_SYSCALL"]`.
    pub category: Vec<String>,
    /// Flag names as written in the table, e.g. `["EF_CREATES_FD", "EF_MODIFIES_STATE"]`;
    /// `EF_NONE` is dropped.
    pub flags: Vec<String>,
    pub params: Vec<Param>,
}

/// One parameter of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    /// `PT_*` name.
    #[serde(rename = "type")]
    pub ptype: String,
    /// `PF_*` name.
    pub fmt: String,
    /// Name of a flags_table.c table (for flag, enum and mode parameters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
    /// Name of a dynamic_params_table.c table (for `PT_DYN` parameters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dyn_table: Option<String>,
    /// `DIRFD_PARAM(n)`: index of the parameter holding the directory fd of a relative path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirfd: Option<u32>,
}

/// A `ppm_name_value` table of flags_table.c, entries in table order (libsinsp renders flags by
/// walking this order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagTable {
    pub name: String,
    pub entries: Vec<FlagEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagEntry {
    /// Name as printed, e.g. `O_RDONLY`.
    pub name: String,
    /// The value the driver encodes (the PPM_* constant's value).
    pub value: u64,
}

/// A dynamic parameter table: the first byte of a `PT_DYN` parameter indexes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynTable {
    pub name: String,
    pub entries: Vec<DynEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynEntry {
    pub index: u32,
    /// The index constant's name, e.g. `PPM_SOCKOPT_IDX_ERRNO`.
    pub id: String,
    #[serde(rename = "type")]
    pub ptype: String,
    pub fmt: String,
}

/// The native syscall table of one architecture, `schema/syscalls.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallMap {
    /// `x86_64` or `aarch64`.
    pub arch: String,
    pub entries: Vec<Syscall>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Syscall {
    /// Native syscall number on this architecture.
    pub nr: u32,
    /// Syscall name without `__NR_`, e.g. `openat`.
    pub name: String,
    /// `UF_*` flag names.
    pub flags: Vec<String>,
    /// Enter event id (`PPME_*`), `PPME_GENERIC_E` for syscalls without a dedicated event.
    pub enter: String,
    /// Exit event id.
    pub exit: String,
    /// `PPM_SC_*` name without the prefix, lower case.
    pub ppm_sc: String,
}
