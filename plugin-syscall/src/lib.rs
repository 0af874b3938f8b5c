//! The Falco plugin `edera_syscall` (id 0, no event source name): Edera zones' syscall events as
//! Falco's own syscall source. libsinsp takes a sourcing plugin with id 0 as its syscall input
//! (`sinsp::is_syscall_plugin()`; Falco opens it with `engine.kind: nodriver`): it parses the
//! events with its own parsers, keeps its own thread and fd tables, and Falco indexes rules by
//! event type, so the stock rules run unchanged at libsinsp's speed.
//!
//! The events are the zones' raw scap events with their thread and process ids moved into a
//! namespace per zone ([`namespace`]); the zone of an event is the high half of its tid, which
//! the extract capability turns into `edera.zone.id` and `edera.zone.name` ([`plugin`]). The
//! inputs (zones over the protect API, or a capture file) are the `edera` plugin's, used through
//! its library.
//!
//! Capabilities: base, source, parse (each zone's snapshot into libsinsp's thread table, [`seed`],
//! on a [`marker`] event), extract. The `plugin_*` symbols are the `edera` plugin's
//! panic-containing exports over this plugin's API table.

mod marker;
mod namespace;
mod plugin;
mod seed;

use falco_plugin::static_plugin;

// The plugin API table (the macro calls itself by its bare name, hence the import).
static_plugin!(SYSCALL_PLUGIN_API = plugin::SyscallPlugin);

edera_falco_plugin::plugin_symbols!(SYSCALL_PLUGIN_API; base, source, parse, extract);
