//! Schema import and code generation for edera-falco.
//!
//! - [`model`]: the schema model (libscap tables as the project renders them under `schema/`);
//! - [`catalog`]: the field catalog model (`schema/fields/*.toml`);
//! - [`generated`]: each crate's generated files, for its build script and `codegen emit`.
//! - [`libsinsp`]: the overlay of libsinsp behaviours (`schema/libsinsp.toml`).

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
