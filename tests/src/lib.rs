//! Shared helpers for the end-to-end and differential tests.
//!
//! - [`runner`]: build, dlopen and drive `libedera_falco_plugin.so` through
//!   `falco_plugin_runner`, as Falco would.

pub mod runner;
