//! `edera-falco soak`: the plugin's memory under a zone flood, sampled every second for N
//! minutes. The stand-in daemon runs a **flooding zone** (`--flood-zone`: a capture's events at
//! full speed mixed with damaged events, huge strings and bogus snapshots; see the daemon's
//! `flood` module) beside a **normal zone** whose shell opens a marker file every 100 ms. The
//! plugin runs inside the real Falco (`../shared/falco`, a rule alerting on the marker, its
//! metrics snapshot every second with the plugin's counters) or, without Falco or with
//! `--harness`, in this process through the harness (which finds the marker by extraction).
//!
//! Every second: the plugin process's RSS (Falco's, or this one's), the plugin's counters and
//! the marker opens seen. Printed: each 10 s window's rates, then the RSS curve (min, max,
//! final, growth after warm-up), drops and malformed. It fails when the RSS passes the bound
//! the configured caps give ([`rss_bound_kib`]), when the normal zone's marker stops for more
//! than [`MAX_STALL_S`] seconds (or never comes), or when no malformed input was counted (the
//! flood did not reach the plugin).

use crate::bench_zones::{Daemon, fixture_and_daemon, kib, start_daemon};
use clap::Args;
use edera_falco_harness::falco::{self, Falco, WaitError};
use edera_falco_harness::handle::{Handle, Next, load_plugin};
use edera_falco_harness::library::plugin_library;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The normal zone's name, and the flooding zone's.
const NORMAL: &str = "normal";
const FLOOD: &str = "flood";
/// Longest time without the normal zone's marker before the soak fails.
pub const MAX_STALL_S: u64 = 5;
/// How long the normal zone may take to start (its agent loads its probe) before its first
/// marker.
const FIRST_MARKER_WITHIN: Duration = Duration::from_secs(60);
/// Seconds per printed rate window.
const WINDOW_S: u64 = 10;
/// The rule that alerts on the normal zone's marker (Falco mode).
const MARKER_RULE: &str = "edera soak marker";
/// The rule Falco emits its metrics snapshots as.
const METRICS_RULE: &str = "Falco internal: metrics snapshot";

/// What one zone can make the plugin hold, beyond its state tables (the plugin's own caps, as
/// README states them): 32 MiB of queued events; a message being decoded and the snapshot
/// read from it, 16 MiB each; the converter's pending enter events, 64 MiB; the strings of the
/// state tables, 256 MiB (`StateLimits::max_string_bytes`, not configurable).
const ZONE_FIXED_KIB: u64 = (32 + 2 * 16 + 64 + 256) * 1024;
/// Room per thread entry and per fd entry, without their strings.
const THREAD_KIB: u64 = 2;
const FD_KIB: u64 = 1;

/// Options of `soak`.
#[derive(Debug, Clone, Args)]
pub struct SoakOptions {
    /// How long to soak, in minutes (fractions allowed: 0.5 is 30 s).
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// Run the plugin inside the real Falco (../shared/falco); the default when it is there.
    #[arg(long, conflicts_with = "harness")]
    pub falco: bool,
    /// Run the plugin in this process through the harness.
    #[arg(long)]
    pub harness: bool,
    /// The capture whose events the flooding zone repeats (default:
    /// ../shared/fixtures/scap/curl_google.scap).
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// The daemon (default: edera-falco-daemon beside this program; its agent beside it).
    #[arg(long)]
    pub daemon: Option<PathBuf>,
    /// The plugin's cap on threads per zone (init config `limits.max_threads_per_zone`).
    #[arg(long, default_value_t = 4096)]
    pub max_threads: u32,
    /// The plugin's cap on fds per zone (init config `limits.max_fds_per_zone`).
    #[arg(long, default_value_t = 16384)]
    pub max_fds: u32,
}

/// The RSS the plugin's process may reach: `base_kib` (the process with the plugin open and no
/// zone) plus, for each of `zones`, what its caps let it hold.
pub fn rss_bound_kib(base_kib: u64, zones: u64, max_threads: u32, max_fds: u32) -> u64 {
    let zone = ZONE_FIXED_KIB + u64::from(max_threads) * THREAD_KIB + u64::from(max_fds) * FD_KIB;
    base_kib + zones * zone
}

/// The plugin's counters, as last reported (totals since it opened).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub malformed: u64,
    pub drops: u64,
    pub flood_malformed: u64,
    pub flood_events: u64,
    pub flood_reconnects: u64,
    pub normal_events: u64,
    pub normal_malformed: u64,
}

impl Counters {
    /// From metrics by name, as the plugin reports them (`malformed`,
    /// `zone.<name>.malformed`, ...), with or without the plugin's name prefixed (`edera.`, as
    /// Falco reports them); absent ones are 0.
    pub fn from_metrics(m: &BTreeMap<String, u64>) -> Counters {
        let get = |name: String| {
            m.iter()
                .find(|(k, _)| **k == name || k.ends_with(&format!("edera.{name}")))
                .map_or(0, |(_, v)| *v)
        };
        let zone = |z: &str, what: &str| get(format!("zone.{z}.{what}"));
        Counters {
            malformed: get("malformed".into()),
            drops: get("drops".into()),
            flood_malformed: zone(FLOOD, "malformed"),
            flood_events: zone(FLOOD, "events"),
            flood_reconnects: zone(FLOOD, "reconnects"),
            normal_events: zone(NORMAL, "events"),
            normal_malformed: zone(NORMAL, "malformed"),
        }
    }
}

/// One second of the soak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub rss_kib: u64,
    /// The normal zone's marker opens seen during this second.
    pub markers: u64,
    pub counters: Counters,
}

/// The RSS curve: min, max, final, the value at the end of warm-up and the largest rise after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Curve {
    pub min_kib: u64,
    pub max_kib: u64,
    pub final_kib: u64,
    pub warm_kib: u64,
    pub growth_after_warmup_kib: u64,
}

/// The curve of `samples` with warm-up over after `warmup` samples (or the first, if fewer).
pub fn curve(samples: &[Sample], warmup: usize) -> Option<Curve> {
    let rss: Vec<u64> = samples.iter().map(|s| s.rss_kib).collect();
    let warm = warmup.min(rss.len().checked_sub(1)?);
    let warm_kib = rss[warm];
    Some(Curve {
        min_kib: *rss.iter().min()?,
        max_kib: *rss.iter().max()?,
        final_kib: *rss.last()?,
        warm_kib,
        growth_after_warmup_kib: rss[warm..].iter().max()?.saturating_sub(warm_kib),
    })
}

/// The longest run of seconds without a marker, from the first marker on (trailing seconds
/// included); `None` when no marker came.
pub fn longest_stall(samples: &[Sample]) -> Option<u64> {
    let first = samples.iter().position(|s| s.markers > 0)?;
    let (mut run, mut longest) = (0u64, 0u64);
    for s in &samples[first..] {
        run = if s.markers > 0 { 0 } else { run + 1 };
        longest = longest.max(run);
    }
    Some(longest)
}

/// Where the plugin runs.
enum Host {
    Falco {
        falco: Falco,
        /// Alerts already counted.
        seen: usize,
        counters: Counters,
    },
    Harness {
        handle: Box<Handle>,
        marker: String,
    },
}

impl Host {
    fn start(o: &SoakOptions, dir: &Path, config: &str, marker: &Path) -> Result<Host, String> {
        let use_falco = !o.harness && (o.falco || falco::shared_dir().is_some());
        if !use_falco {
            let mut handle = Box::new(load_plugin(config)?);
            handle.open()?;
            return Ok(Host::Harness {
                handle,
                marker: marker.display().to_string(),
            });
        }
        let library = plugin_library().path.display().to_string();
        let rules = dir.join("soak_rules.yaml");
        let rule = format!(
            "- rule: {MARKER_RULE}\n  desc: the normal zone opened its marker\n  \
             source: edera_zone\n  condition: edera.zone.name = {NORMAL} and evt.type in (open, \
             openat, openat2) and fd.name = {}\n  output: marker %fd.name\n  priority: WARNING\n",
            json(&marker.display().to_string())
        );
        std::fs::write(&rules, rule).map_err(|e| format!("{}: {e}", rules.display()))?;
        let yaml = format!(
            "engine: {{kind: nodriver}}\nload_plugins: [edera]\n\
             plugins:\n  - name: edera\n    library_path: {}\n    init_config: {}\n    \
             open_params: \"\"\n\
             metrics: {{enabled: true, interval: 1s, output_rule: true, \
             plugins_metrics_enabled: true, kernel_event_counters_enabled: false, \
             libbpf_stats_enabled: false, resource_utilization_enabled: false, \
             state_counters_enabled: false, rules_counters_enabled: false}}\n",
            json(&library),
            json(config)
        );
        let falco = Falco::start_with_args(
            dir,
            &yaml,
            &[rules],
            &[],
            &["--enable-source", "edera_zone"],
        )?;
        Ok(Host::Falco {
            falco,
            seen: 0,
            counters: Counters::default(),
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Host::Falco { .. } => "Falco 0.45 (../shared/falco)",
            Host::Harness { .. } => "the harness (this process)",
        }
    }

    fn pid(&self) -> u32 {
        match self {
            Host::Falco { falco, .. } => falco.pid(),
            Host::Harness { .. } => std::process::id(),
        }
    }

    /// Run until `until`; the marker opens seen meanwhile.
    fn pump(&mut self, until: Instant) -> Result<u64, String> {
        match self {
            Host::Falco {
                falco,
                seen,
                counters,
            } => {
                let left = until.saturating_duration_since(Instant::now());
                match falco.alerts_until(left, |_| false) {
                    Ok(()) | Err(WaitError::TimedOut(_)) => {}
                    Err(e @ WaitError::Ended(_)) => return Err(e.to_string()),
                }
                let new = &falco.alerts()[*seen..];
                *seen = falco.alerts().len();
                if let Some(m) = new.iter().rev().find(|a| a.rule == METRICS_RULE) {
                    let values = m
                        .fields
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
                        .collect();
                    *counters = Counters::from_metrics(&values);
                }
                Ok(new.iter().filter(|a| a.rule == MARKER_RULE).count() as u64)
            }
            Host::Harness { handle, marker } => {
                let mut markers = 0;
                while Instant::now() < until {
                    let ev = match handle.next_event()? {
                        Next::Event(ev) => ev,
                        Next::Timeout => continue,
                        Next::Eof => return Err("the zone source ended".into()),
                    };
                    let mut field = |name: &str| handle.extract_string(&ev, name).ok().flatten();
                    if field("edera.zone.name").as_deref() == Some(NORMAL)
                        && field("evt.type").is_some_and(|t| t.starts_with("open"))
                        && field("fd.name").as_ref() == Some(marker)
                    {
                        markers += 1;
                    }
                }
                Ok(markers)
            }
        }
    }

    fn counters(&mut self) -> Result<Counters, String> {
        match self {
            Host::Falco { counters, .. } => Ok(*counters),
            Host::Harness { handle, .. } => Ok(Counters::from_metrics(&handle.metrics()?)),
        }
    }
}

/// A YAML-safe quoted string (JSON's quoting).
fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// What the soak measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub samples: Vec<Sample>,
    pub base_kib: u64,
    pub bound_kib: u64,
}

impl Report {
    /// The last counters.
    pub fn counters(&self) -> Counters {
        self.samples.last().map(|s| s.counters).unwrap_or_default()
    }

    /// Markers seen over the whole soak.
    pub fn markers(&self) -> u64 {
        self.samples.iter().map(|s| s.markers).sum()
    }

    /// Why the soak fails, if it does.
    pub fn failures(&self) -> Vec<String> {
        let mut why = Vec::new();
        if let Some(s) = self.samples.iter().position(|s| s.rss_kib > self.bound_kib) {
            why.push(format!(
                "RSS {:.1} MiB at second {} is above the caps' bound {:.1} MiB",
                mib(self.samples[s].rss_kib),
                s + 1,
                mib(self.bound_kib)
            ));
        }
        match longest_stall(&self.samples) {
            None => why.push("the normal zone's marker never came".into()),
            Some(n) if n > MAX_STALL_S => why.push(format!(
                "the normal zone's events stopped for {n} s (more than {MAX_STALL_S} s)"
            )),
            Some(_) => {}
        }
        if self.counters().malformed == 0 {
            why.push("no malformed input counted: the flood did not reach the plugin".into());
        }
        why
    }

    fn print_summary(&self) {
        let c = self.counters();
        let warmup = (self.samples.len() / 4).min(60);
        if let Some(k) = curve(&self.samples, warmup) {
            println!(
                "RSS: min {:.1} MiB, max {:.1} MiB, final {:.1} MiB; after warm-up ({warmup} s) \
                 {:.1} MiB, max - that {:.1} MiB; bound {:.1} MiB (base {:.1} MiB)",
                mib(k.min_kib),
                mib(k.max_kib),
                mib(k.final_kib),
                mib(k.warm_kib),
                mib(k.growth_after_warmup_kib),
                mib(self.bound_kib),
                mib(self.base_kib)
            );
        }
        println!(
            "counted: malformed {} (flood {}, normal {}), drops {}, flood events {}, flood \
             resubscriptions {}; normal zone: {} events, {} marker opens in {} s, longest gap {} s",
            c.malformed,
            c.flood_malformed,
            c.normal_malformed,
            c.drops,
            c.flood_events,
            c.flood_reconnects,
            c.normal_events,
            self.markers(),
            self.samples.len(),
            longest_stall(&self.samples).map_or("-".into(), |n| n.to_string())
        );
    }
}

/// Print the 10 s window ending with the last sample.
fn print_window(samples: &[Sample], before: Counters) {
    let n = samples.len();
    let window = &samples[n.saturating_sub(WINDOW_S as usize)..];
    let (Some(last), secs) = (window.last(), window.len() as f64) else {
        return;
    };
    let c = last.counters;
    println!(
        "{:>5} s  RSS {:>7.1} MiB  normal: {:>5.1} marker opens/s {:>7.1} events/s  flood: \
         {:>9.0} events/s {:>7.1} malformed/s  drops {}",
        n,
        mib(last.rss_kib),
        window.iter().map(|s| s.markers).sum::<u64>() as f64 / secs,
        c.normal_events.saturating_sub(before.normal_events) as f64 / secs,
        c.flood_events.saturating_sub(before.flood_events) as f64 / secs,
        c.flood_malformed.saturating_sub(before.flood_malformed) as f64 / secs,
        c.drops
    );
}

/// Run the soak; prints as it goes. Ok with what it measured when every check held.
pub fn run(o: &SoakOptions) -> Result<Report, String> {
    let (fixture, daemon) = fixture_and_daemon(o.fixture.as_deref(), o.daemon.as_deref())?;
    let dir = std::env::temp_dir().join(format!("edera-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = soak(o, &fixture, &daemon, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn soak(o: &SoakOptions, fixture: &Path, daemon: &Path, dir: &Path) -> Result<Report, String> {
    let marker = dir.join("marker");
    std::fs::write(&marker, "soak\n").map_err(|e| format!("{}: {e}", marker.display()))?;
    let socket = dir.join("daemon.socket");
    let config = serde_json::json!({
        "socket": socket,
        "limits": {"max_threads_per_zone": o.max_threads, "max_fds_per_zone": o.max_fds},
    })
    .to_string();
    let mut host = Host::start(o, dir, &config, &marker)?;
    // The plugin open with no daemon yet: the base of the bound.
    host.pump(Instant::now() + Duration::from_secs(2))?;
    let status = format!("/proc/{}/status", host.pid());
    let base_kib = kib(&status, "VmRSS:");
    let bound_kib = rss_bound_kib(base_kib, 2, o.max_threads, o.max_fds);
    let zone_args = [
        "--zone".into(),
        format!(
            "{NORMAL}=while :; do cat {} >/dev/null; sleep 0.1; done",
            marker.display()
        ),
        "--flood-zone".into(),
        format!("{FLOOD}={}", fixture.display()),
    ];
    let _daemon: Daemon = start_daemon(daemon, &socket, &zone_args)?;
    let seconds = (o.minutes * 60.0).round().max(1.0) as u64;
    println!(
        "soak: {seconds} s, the plugin in {}; zones {NORMAL} (opens {} every 100 ms) and \
         {FLOOD} (flood of {}); caps: {} threads, {} fds per zone; RSS bound {:.1} MiB",
        host.name(),
        marker.display(),
        fixture.display(),
        o.max_threads,
        o.max_fds,
        mib(bound_kib)
    );
    let mut report = Report {
        samples: Vec::new(),
        base_kib,
        bound_kib,
    };
    let start = Instant::now();
    let mut window_start = Counters::default();
    for second in 1..=seconds {
        let markers = host.pump(start + Duration::from_secs(second))?;
        report.samples.push(Sample {
            rss_kib: kib(&status, "VmRSS:"),
            markers,
            counters: host.counters()?,
        });
        if second % WINDOW_S == 0 || second == seconds {
            print_window(&report.samples, window_start);
            window_start = host.counters()?;
        }
        let waiting_first = longest_stall(&report.samples).is_none();
        let early = if waiting_first {
            start.elapsed() > FIRST_MARKER_WITHIN
        } else {
            longest_stall(&report.samples).is_some_and(|n| n > MAX_STALL_S)
                || report.samples.last().is_some_and(|s| s.rss_kib > bound_kib)
        };
        if early {
            break;
        }
    }
    report.print_summary();
    let failures = report.failures();
    if failures.is_empty() {
        Ok(report)
    } else {
        Err(format!("soak failed: {}", failures.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rss_kib: u64, markers: u64) -> Sample {
        Sample {
            rss_kib,
            markers,
            counters: Counters::default(),
        }
    }

    #[test]
    fn the_curve_measures_growth_after_warm_up_only() {
        let s: Vec<Sample> = [100, 500, 300, 350, 320]
            .into_iter()
            .map(|r| sample(r, 1))
            .collect();
        let c = curve(&s, 2).unwrap();
        assert_eq!((c.min_kib, c.max_kib, c.final_kib), (100, 500, 320));
        assert_eq!((c.warm_kib, c.growth_after_warmup_kib), (300, 50));
        assert!(curve(&[], 2).is_none());
    }

    #[test]
    fn a_stall_counts_from_the_first_marker_and_includes_the_end() {
        let s = |m: &[u64]| m.iter().map(|&m| sample(1, m)).collect::<Vec<_>>();
        assert_eq!(longest_stall(&s(&[0, 0, 0, 3, 2, 0, 0, 4])), Some(2));
        assert_eq!(longest_stall(&s(&[5, 0, 0, 0])), Some(3));
        assert_eq!(longest_stall(&s(&[0, 0])), None);
    }

    #[test]
    fn counters_are_read_with_or_without_the_plugin_prefix() {
        let m: BTreeMap<String, u64> = [
            ("edera.malformed", 7),
            ("edera.zone.flood.malformed", 6),
            ("zone.normal.events", 40),
            ("drops", 2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let c = Counters::from_metrics(&m);
        assert_eq!((c.malformed, c.flood_malformed, c.drops), (7, 6, 2));
        assert_eq!((c.normal_events, c.normal_malformed), (40, 0));
    }

    #[test]
    fn the_report_fails_on_each_condition() {
        let flowing = |rss| {
            let mut s = sample(rss, 10);
            s.counters.malformed = 1;
            s
        };
        let report = |samples| Report {
            samples,
            base_kib: 10,
            bound_kib: 1000,
        };
        assert!(report(vec![flowing(100); 8]).failures().is_empty());
        let mut high = vec![flowing(100); 8];
        high[3].rss_kib = 1001;
        assert!(report(high).failures()[0].contains("above the caps' bound"));
        let mut stalled = vec![flowing(100); 8];
        for s in &mut stalled[1..7] {
            s.markers = 0;
        }
        assert!(report(stalled).failures()[0].contains("stopped for 6 s"));
        let mut no_flood = vec![flowing(100); 8];
        no_flood[7].counters.malformed = 0;
        assert!(report(no_flood).failures()[0].contains("did not reach"));
    }
}
