//! Schema import and code generation for edera-falco.
//!
//! - [`model`]: the schema model (libscap tables as the project renders them under `schema/`);
//! - [`import`]: `codegen import`, the schema built from upstream's driver tables;
//! - [`schema_io`]: the schema as the TOML files of `schema/`;
//! - [`capture`]: the agent's capture plan as data (`agent/capture.toml`);
//! - [`conversions`]: libscap's event converter table as data (`schema/conversions.toml`);
//! - [`libsinsp`]: the overlay of libsinsp behaviours (`schema/libsinsp.toml`);
//! - [`catalog`]: the field catalog model (`schema/fields/*.toml`);
//! - [`fieldset`]: the complete field set the plugin declares (catalog plus argument fields);
//! - [`emit`]: the code generator, schema and catalog in, formatted Rust out;
//! - [`generated`]: each crate's generated files, for its build script and `codegen emit`;
//! - [`listing`]: the plain-text listings `codegen list` prints and the snapshots hold.

pub mod capture;
pub mod catalog;
pub mod conversions;
pub mod emit;
pub mod fieldset;
pub mod generated;
pub mod import;
pub mod libsinsp;
pub mod listing;
pub mod model;
pub mod schema_io;
