//! Plugin metrics.
//!
//! # How metrics work in falco_plugin 0.5.1
//!
//! There is no declaration step: `Plugin::get_metrics(&mut self) -> impl IntoIterator<Item =
//! falco_plugin::base::Metric>` is called whenever Falco wants metrics, and returns the current
//! values. A metric is `MetricLabel::new(name: &'static CStr, MetricType::{Monotonic,
//! NonMonotonic}).with_value(MetricValue::{U64, U32, I64, S32, Double, Float, Int}(v))`, or
//! `Metric::new(label, value)`. Falco prefixes the plugin name, so `events` is reported as
//! `edera.events`. Names must be `&'static CStr`: per-zone metrics (`zone.<name>.events`,
//! `.drops`, `.malformed`, `.reconnects`, `.workloads_clipped`: workloads and parts of them
//! over the caps of `workloads.rs`) are interned once per zone name in a bounded table
//! ([`MAX_ZONE_NAMES`] names; zones beyond it are only in the totals).
//!
//! Counters are atomics so that zone tasks on other threads can count without locks.

use crate::state::StateCounters;
use crate::zones::ZoneRegistry;
use falco_plugin::base::{Metric, MetricLabel, MetricType, MetricValue};
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Per-zone metric names kept for the life of the process, at most.
pub const MAX_ZONE_NAMES: usize = 1024;

/// The interned `&'static CStr` for a metric name (leaked once; bounded by [`MAX_ZONE_NAMES`]).
fn interned(name: String) -> Option<&'static CStr> {
    static NAMES: OnceLock<Mutex<HashMap<String, &'static CStr>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(&name) {
        return Some(n);
    }
    if names.len() >= MAX_ZONE_NAMES * 4 {
        return None;
    }
    let c: &'static CStr = Box::leak(
        CString::new(name.replace('\0', ""))
            .ok()?
            .into_boxed_c_str(),
    );
    names.insert(name, c);
    Some(c)
}

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

    /// The current values, in the SDK's form, with the state counters summed over `zones`.
    pub fn snapshot(&self, zones: &ZoneRegistry) -> Vec<Metric> {
        let counter = |name, value: &AtomicU64| {
            MetricLabel::new(name, MetricType::Monotonic)
                .with_value(MetricValue::U64(value.load(Ordering::Relaxed)))
        };
        let mut state = StateCounters::default();
        for z in zones.iter() {
            let c = &z.state.counters;
            state.unknown_events += c.unknown_events;
            state.evicted_threads += c.evicted_threads;
            state.evicted_fds += c.evicted_fds;
            state.refused_users += c.refused_users;
        }
        let total = |name, v: u64| {
            MetricLabel::new(name, MetricType::Monotonic).with_value(MetricValue::U64(v))
        };
        let gauge = |name, v: u64| {
            MetricLabel::new(name, MetricType::NonMonotonic).with_value(MetricValue::U64(v))
        };
        let mut per_zone = Vec::new();
        for z in zones.iter() {
            let c = z.counters;
            let name = z.name_c().to_string_lossy();
            for (what, v) in [
                ("events", c.events),
                ("drops", c.drops),
                ("malformed", c.malformed),
                ("reconnects", c.reconnects),
                ("workloads_clipped", z.workloads.clipped),
            ] {
                if let Some(n) = interned(format!("zone.{name}.{what}")) {
                    per_zone.push(total(n, v));
                }
            }
        }
        let mut all = vec![
            counter(c"events", &self.events),
            counter(c"malformed", &self.malformed),
            counter(c"drops", &self.drops),
            total(c"unknown_events", state.unknown_events),
            total(c"evicted_threads", state.evicted_threads),
            total(c"evicted_fds", state.evicted_fds),
            total(c"refused_users", state.refused_users),
            gauge(c"zones", zones.len() as u64),
        ];
        all.extend(per_zone);
        all
    }
}
