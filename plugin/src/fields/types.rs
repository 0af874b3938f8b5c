//! The SDK's value types for abstime and ipnet fields, under the names the generated table uses.

pub use falco_event::types::{IpNet, SystemTime as AbsTime};

/// An abstime value from nanoseconds since the epoch (the SDK's conversion from
/// `std::time::SystemTime` panics before the epoch; this cannot).
pub fn abstime_ns(ns: u64) -> AbsTime {
    AbsTime(ns)
}
