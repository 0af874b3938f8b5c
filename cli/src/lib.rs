//! What the `edera-falco` command runs besides plain replay, kept in a library so the tests can
//! reuse it:
//!
//! - [`format`](mod@format): `sysdig -p` style output formats;
//! - [`bench`](mod@bench) with [`bench_capture`], [`bench_plugin`], [`bench_sysdig`]: the replay benchmark;
//! - [`bench_zones`]: the zone-path benchmark.

pub mod bench;
pub mod bench_capture;
pub mod bench_plugin;
pub mod bench_sysdig;
pub mod bench_zones;
pub mod format;
