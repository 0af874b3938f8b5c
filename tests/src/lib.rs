//! Shared helpers for the end-to-end and differential tests.
//!
//! - [`runner`]: build, dlopen and drive `libedera_falco_plugin.so` through
//!   `falco_plugin_runner`, as Falco would;
//! - [`oracle`]: the Falco 0.45 oracle files, values as Falco's text;
//! - [`falco_text`]: the plugin's values as Falco's text;
//! - [`agreement`]: the differential test's counts, table and known differences.

pub mod agreement;
pub mod falco_text;
pub mod oracle;
pub mod runner;
