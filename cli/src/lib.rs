//! What the `edera-falco` command runs besides plain replay, kept in a library so the tests can
//! reuse it:
//!
//! - [`format`](mod@format): `sysdig -p` style output formats;
//! - [`bench`](mod@bench) with [`bench_capture`], [`bench_plugin`], [`bench_sysdig`]: the replay benchmark;
//! - [`bench_zones`]: the zone-path benchmark;
//! - [`bench_agent`]: the agent's overhead beside Falco's modern eBPF probe;
//! - [`bench_falco`]: the plugin inside the real Falco beside Falco's own libsinsp;
//! - [`soak`]: the plugin's memory and a normal zone's events under a zone flood.

pub mod bench;
pub mod bench_agent;
pub mod bench_capture;
pub mod bench_falco;
pub mod bench_plugin;
pub mod bench_sysdig;
pub mod bench_zones;
pub mod format;
pub mod soak;
