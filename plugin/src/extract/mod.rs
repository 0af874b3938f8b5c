//! The extract capability: the field table.
//!
//! # How fields are declared in falco_plugin 0.5.1 (for the generated table)
//!
//! The table is `ExtractPlugin::EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>]`, a constant.
//! Each entry is built by the `const fn`
//! `falco_plugin::extract::field(name: &'static str, func: &'static F) -> ExtractFieldInfo<P>`,
//! where `func` is a method such as `&EderaPlugin::extract_zone_id`, then optionally
//! `.with_description(&'static str)` (default: the name), `.with_display(&'static str)`
//! (display name) and `.add_output()` (libsinsp's "add to output" suggestion); all three are
//! `const fn`. The index of an entry in the slice is its field id; the SDK serialises the slice
//! (name, type, `isList`, `arg`, `display`, `desc`, `addOutput`) as `plugin_get_fields`. There is
//! no "hidden"/"info" flag in the SDK: such catalog flags cannot be expressed.
//!
//! An extractor is `Fn(&mut Self, ExtractRequest<Self>[, arg]) -> anyhow::Result<R>`:
//! - the **type** comes from `R`: `u64` → uint64, `bool` → bool, `CString` → string,
//!   `std::time::Duration` → reltime, `falco_event::types::SystemTime(u64 ns)` (falco_event's,
//!   not std's; build it from nanoseconds, its `From<std::time::SystemTime>` panics before the
//!   epoch) → abstime, `std::net::IpAddr` → ipaddr, `falco_event::types::IpNet(IpAddr)` →
//!   ipnet
//!   (`falco_event::types` is not re-exported by falco_plugin: those two need a direct
//!   `falco_event = "0.5.1"` dependency);
//!   `Option<T>` = the same type, `None` meaning "no value"; `Vec<T>` or `Option<Vec<T>>` = a
//!   **list** field (`isList: true`). No signed integers, no byte buffers.
//! - the **argument** comes from the extra parameter's type (index *or* key, never both):
//!   | declared arg | `f` | `f[3]` | `f[foo]` | `arg` in JSON |
//!   | --- | --- | --- | --- | --- |
//!   | none | yes | - | - | absent |
//!   | `u64` | - | yes | - | `{isIndex, isRequired}` |
//!   | `Option<u64>` | yes | yes | - | `{isIndex}` |
//!   | `&CStr` | - | - | yes | `{isKey, isRequired}` |
//!   | `Option<&CStr>` | yes | - | yes | `{isKey}` |
//!   A request whose argument does not fit fails the call before the extractor runs.
//! - `ExtractRequest { context: &mut Self::ExtractContext, event: &EventInput<Self::Event>,
//!   table_reader, offset: &mut ExtractByteRange }`: `req.event.event()?` gives the
//!   [`crate::payload::PluginEvent`] (decoded once per event, see [`crate::fields::ctx`]);
//!   `offset` may be set for byte-range requests.
//! - `ExtractContext: Default` is created anew for every `extract_fields` call, and libsinsp asks
//!   one field per call: per-event caches (decoded event, resolved thread/fd) must live in the
//!   plugin, keyed by `req.event.event_number()`.
//! - Any `Err` fails the whole `extract_fields` call (all fields requested with it), so "no
//!   value" must be `Ok(None)`, never an error.
//!
//! The table itself is generated: see [`crate::fields`].

use crate::payload::PluginEvent;
use crate::plugin::EderaPlugin;
use falco_plugin::extract::{ExtractFieldInfo, ExtractPlugin};

/// The plugin's field table: generated from the schema and the field catalog.
pub const fn fields() -> &'static [ExtractFieldInfo<EderaPlugin>] {
    crate::fields::FIELDS
}

impl ExtractPlugin for EderaPlugin {
    type Event<'a> = PluginEvent<'a>;
    type ExtractContext = ();
    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = fields();
}
