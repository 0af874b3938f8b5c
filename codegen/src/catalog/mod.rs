//! The field catalog: model, loading and validation.

pub mod load;
pub mod model;
pub mod validate;

pub use load::{CatalogError, load_catalog, parse_class_file};
pub use model::*;
pub use validate::{GENERIC_FIELDS, Problem, generic_conflict, validate_files};
