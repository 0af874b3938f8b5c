//! Drives the **built** `libedera_falco_plugin.so` as Falco does, through `falco_plugin_runner`,
//! for the `edera-falco` command and the end-to-end tests.
//!
//! - [`artifact`]: build a workspace package (the `.so`, the agent, the daemon) for a test;
//! - [`library`]: find, build and dlopen the `.so`, and fill the `plugin_api` table;
//! - [`handle`]: a plugin instance: init, open, next events, extract, metrics;
//! - [`event`]: an event copied out of the plugin, and hand-made events;
//! - [`fixtures`]: the shared fixture captures and the replay config;
//! - [`falco`]: the real Falco (`../shared/falco`) started with a config, its JSON alerts;
//! - [`falco_text`]: the plugin's values as Falco prints them;
//! - [`generic`]: the fields libsinsp computes itself for plugin events.

pub mod artifact;
pub mod event;
pub mod falco;
pub mod falco_text;
pub mod fixtures;
pub mod generic;
pub mod handle;
pub mod library;
