//! Plugin metrics.
//!
//! # How metrics work in falco_plugin 0.5.1
//!
//! There is no declaration step: `Plugin::get_metrics(&mut self) -> impl IntoIterator<Item =
//! falco_plugin::base::Metric>` is called whenever Falco wants metrics, and returns the current
//! values. A metric is `MetricLabel::new(name: &'static CStr, MetricType::{Monotonic,
//! NonMonotonic}).with_value(MetricValue::{U64, U32, I64, S32, Double, Float, Int}(v))`, or
//! `Metric::new(label, value)`. Falco prefixes the plugin name, so `events` is reported as
//! `edera.events`. Names must be `&'static CStr`: per-zone metrics (later) need names that live
//! for the whole process, e.g. interned once per zone in a bounded table.
//!
//! Counters are atomics so that zone tasks on other threads can count without locks.

use falco_plugin::base::{Metric, MetricLabel, MetricType, MetricValue};
use std::sync::atomic::{AtomicU64, Ordering};

/// The plugin's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events handed to Falco by `next_batch`.
    pub events: AtomicU64,
    /// Events (or plugin events) found damaged and dropped or ignored.
    pub malformed: AtomicU64,
    /// Events lost before reaching Falco (full queues, oversized events).
    pub drops: AtomicU64,
}

impl Metrics {
    /// Add `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The current values, in the SDK's form.
    pub fn snapshot(&self) -> Vec<Metric> {
        let counter = |name, value: &AtomicU64| {
            MetricLabel::new(name, MetricType::Monotonic)
                .with_value(MetricValue::U64(value.load(Ordering::Relaxed)))
        };
        vec![
            counter(c"events", &self.events),
            counter(c"malformed", &self.malformed),
            counter(c"drops", &self.drops),
        ]
    }
}
