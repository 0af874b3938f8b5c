//! Shared helpers for the end-to-end and differential tests.
//!
//! - [`runner`]: build, dlopen and drive `libedera_falco_plugin.so` through
//!   `falco_plugin_runner`, as Falco would;
//! - [`oracle`]: the Falco 0.45 oracle files, values as Falco's text;
//! - [`falco_text`]: the plugin's values as Falco's text;
//! - [`agreement`]: the differential test's counts, table and known differences;
//! - [`generic`]: the fields libsinsp computes itself for plugin events;
//! - [`format`]: `sysdig -p` style output formats;
//! - [`sysdig_oracle`]: Debian's sysdig 0.29.3 as a live second oracle;
//! - [`bench`] with [`bench_capture`], [`bench_plugin`], [`bench_sysdig`]: the replay benchmark.

pub mod agreement;
pub mod bench;
pub mod bench_capture;
pub mod bench_plugin;
pub mod bench_sysdig;
pub mod bench_zones;
pub mod falco_text;
pub mod format;
pub mod generic;
pub mod oracle;
pub mod runner;
pub mod sysdig_oracle;
