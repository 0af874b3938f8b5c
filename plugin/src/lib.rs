//! The Falco plugin `edera` (id 26, event source `edera_zone`): syscall events from Edera zones,
//! or from replayed libscap captures, with per-zone state and Falco's syscall fields.
//!
//! Capabilities: base, source, parse, extract, and metrics. Modules:
//! - `plugin`: the plugin type, identity, init, metrics;
//! - `config`: the init config;
//! - `source`: open params, inputs (capture file, zones), `next_batch`;
//! - `payload`: the byte layout of the events we emit;
//! - `zones`: the zone registry, and `workloads`: each zone's workloads (containers);
//! - `visibility`: which events Falco shows to rules and which only update state;
//! - [`state`]: each zone's threads, fds, users and groups, as libsinsp keeps them;
//! - [`fields`]: the extract fields and the generated field table;
//! - [`render`]: event parameters as libsinsp's text (`evt.args`, `evt.arg.*`);
//! - [`net`]: socket addresses and tuples as text, for fd names and `evt.args`;
//! - [`path`]: path joining as libsinsp does it, for fd names and `evt.args`;
//! - `parse_capability`, `extract` and `event_string` (event-to-string): what Falco calls
//!   per event;
//! - `metrics` holds the counters;
//! - `ffi`: panic containment, the plugin API table [`EDERA_PLUGIN_API`] and the macro that
//!   defines the exported `plugin_*` symbols.
//!
//! This crate is the library; `plugin-so/` builds the `.so` (`libedera_falco_plugin.so`) from it,
//! which exports only the `plugin_*` symbols. The modules that are `pub` are so for the
//! integration tests under `plugin/tests/`, which drive the state and the renderer directly, and
//! for the syscall-source mode (`plugin-syscall/`), which reads zones through this crate.

pub mod config;
pub(crate) mod event_string;
pub(crate) mod extract;
#[doc(hidden)]
pub mod ffi;
pub mod fields;
pub mod metrics;
pub mod net;
pub(crate) mod parse_capability;
pub mod path;
pub(crate) mod payload;
pub(crate) mod plugin;
pub mod render;
pub mod source;
pub mod state;
pub(crate) mod visibility;
pub mod workloads;
pub mod zones;

pub use ffi::EDERA_PLUGIN_API;
use plugin::EderaPlugin;
