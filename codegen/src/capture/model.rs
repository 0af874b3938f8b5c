//! The model of `agent/capture.toml`: per x86_64 syscall, where each parameter of its exit event
//! comes from (as source expressions, parsed by [`super::source`]), the syscalls left out with
//! their reason, and the native flag values of the PPM flag tables the sources convert with.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapturePlan {
    /// Native x86_64 values of PPM flag tables, by table name.
    #[serde(default)]
    pub native: BTreeMap<String, NativeFlags>,
    /// The captured syscalls, by x86_64 name.
    #[serde(default)]
    pub syscall: BTreeMap<String, Row>,
    /// Syscalls with an event of their own that the agent captures as generic events, each
    /// with the reason.
    #[serde(default)]
    pub not_captured: BTreeMap<String, String>,
}

/// The native values of one PPM flag table: equal to the PPM ones (`identity = true`), or per
/// PPM flag name its native value, either bits (`bits`: every native bit set maps to its PPM
/// flag) or exact values (`values`: an enumeration).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NativeFlags {
    #[serde(default)]
    pub identity: bool,
    #[serde(default)]
    pub bits: BTreeMap<String, u64>,
    #[serde(default)]
    pub values: BTreeMap<String, u64>,
    /// `[mask, value]`: a native word whose bits under `mask` equal `value` (a legacy magic
    /// number, mount's MS_MGC_VAL) has those bits cleared before it is converted.
    #[serde(default)]
    pub magic: Option<[u64; 2]>,
}

/// One captured syscall.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// The file descriptor whose file or socket the kernel side reads: `ret`, `argN`, or
    /// `int_at(argN)`.
    #[serde(default)]
    pub read: Option<String>,
    /// Exit-event parameter name → source expression.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Exit-event parameter name → why it is left empty.
    #[serde(default)]
    pub empty: BTreeMap<String, String>,
    /// A process event: the parameters not listed come from the agent's process reader; the
    /// value says so.
    #[serde(default)]
    pub process: Option<String>,
}
