//! The field catalog: model, loading and validation.

pub mod model;

pub use model::*;
