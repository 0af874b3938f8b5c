//! The Falco plugin `edera` (id 26, event source `edera_zone`): syscall events from Edera zones,
//! or from replayed libscap captures, with per-zone state and Falco's syscall fields.
//!
//! Capabilities: base, source, parse, extract, and metrics. Modules:
//! - [`plugin`]: the plugin type, identity, init, metrics;
//! - [`config`]: the init config;
//! - [`source`]: open params, inputs (capture file, zones), `next_batch`;
//! - [`payload`]: the byte layout of the events we emit;
//! - [`zones`]: the zone registry, and [`workloads`]: each zone's workloads (containers);
//! - [`parse_capability`], [`extract`] and [`event_string`] (event-to-string): what Falco calls
//!   per event;
//! - [`metrics`] holds the counters;
//! - [`ffi`]: panic containment and the exported `plugin_*` symbols.

pub mod config;
pub mod event_string;
pub mod extract;
pub mod ffi;
pub mod fields;
pub mod metrics;
pub mod parse_capability;
pub mod payload;
pub mod plugin;
pub mod render;
pub mod source;
pub mod state;
pub mod visibility;
pub mod workloads;
pub mod zones;

pub use plugin::EderaPlugin;
