//! Support for the end-to-end and differential tests:
//!
//! - [`oracle`]: the Falco 0.45 oracle files, values as Falco's text;
//! - [`agreement`]: the differential test's counts, table and known differences;
//! - [`sysdig_oracle`]: Debian's sysdig 0.29.3 as a live second oracle.

pub mod agreement;
pub mod oracle;
pub mod sysdig_oracle;
