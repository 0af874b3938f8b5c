//! The libscap event model, generated from `schema/` by `codegen`, and the capture file reader.
//!
//! - [`tables`]: generated from the schema on every build (event codes, parameter layouts, flag
//!   and dynamic tables, typed accessors, native syscall maps);
//! - [`info`]: the runtime types those tables are made of;
//! - [`event`]: the zero-copy, bounds-checked view of one raw event;
//! - [`conversions_table`]: the converter table, generated from `schema/conversions.toml`;
//! - [`convert`]: the event converter (old layouts to current ones, as libscap converts on read);
//! - [`file`]: the capture file (`.scap`) reader;
//! - [`libsinsp`]: what libsinsp does with some events (from the `schema/libsinsp.toml` overlay).

#[allow(clippy::all, missing_docs)]
pub mod tables {
    include!(concat!(env!("OUT_DIR"), "/tables.rs"));
}

/// The converter table, generated from `schema/conversions.toml` (see [`convert`]).
#[allow(clippy::all, missing_docs)]
pub mod conversions_table {
    include!(concat!(env!("OUT_DIR"), "/conversions.rs"));
}

pub mod convert;
pub mod event;
pub mod file;
pub mod info;
pub mod libsinsp;
