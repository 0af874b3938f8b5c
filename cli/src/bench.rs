//! `edera-falco bench-replay`: the replay benchmark. One large capture (a fixture's events
//! repeated with shifted timestamps, [`bench_capture`]) is replayed through
//! the plugin `.so` ([`bench_plugin`]: next_batch, parse, one extraction
//! call per field per event, as libsinsp calls a plugin) and through Debian's sysdig 0.29.3
//! ([`bench_sysdig`]), each extracting the same rule-like fields and
//! printing one line per event to `/dev/null`. Both run in the same invocation, one after the
//! other; the figures are events per second of wall time and their ratio.

use crate::{bench_capture, bench_plugin, bench_sysdig};
use clap::Args;
use edera_falco_harness::fixtures::{fixture, replay_config};
use edera_falco_harness::library::plugin_library;
use std::path::{Path, PathBuf};

/// Fields a typical rule condition and output use.
pub const RULE_FIELDS: &str = "evt.type,proc.name,proc.cmdline,proc.pname,user.name,fd.name,fd.typechar,evt.res,thread.tid,proc.exepath";

/// Options of `bench-replay`.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Events in the generated capture.
    #[arg(long, default_value_t = 2_000_000)]
    pub events: u64,
    /// The fixture whose events are repeated (default: ../shared/fixtures/scap/curl_google.scap).
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Comma-separated fields extracted on every event.
    #[arg(long, default_value = RULE_FIELDS)]
    pub fields: String,
    /// Where to write the capture (default: a file in the temp directory, removed afterwards).
    #[arg(long)]
    pub capture: Option<PathBuf>,
    /// Skip the sysdig side (for profiling the plugin alone).
    #[arg(long)]
    pub no_sysdig: bool,
    /// Runs of each side; the best (fastest) run of each is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
}

fn default_fixture() -> Result<PathBuf, String> {
    fixture("curl_google.scap").ok_or_else(|| {
        "../shared/fixtures/scap/curl_google.scap not found: pass --fixture".to_owned()
    })
}

/// Run the benchmark and print its figures.
pub fn run(o: &Options) -> Result<(), String> {
    let fixture = match &o.fixture {
        Some(f) => f.clone(),
        None => default_fixture()?,
    };
    let fields: Vec<&str> = o
        .fields
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let template = bench_capture::Template::from_file(&fixture)?;
    let temp = o.capture.is_none();
    let capture = o.capture.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("edera-bench-{}.scap", std::process::id()))
    });
    let written = template.write_file(&capture, o.events)?;
    println!(
        "capture: {} events ({} copies of {}, {} of its events left out as unknown to sysdig 0.29.3), {:.1} MB",
        written.events,
        written.copies,
        fixture.display(),
        template.skipped_unknown_to_sysdig,
        written.bytes as f64 / 1e6
    );
    println!("fields ({}): {}", fields.len(), fields.join(" "));
    let result = measure(
        &capture,
        written.events,
        &fields,
        o.runs.max(1),
        !o.no_sysdig,
    );
    if temp {
        let _ = std::fs::remove_file(&capture);
    }
    result
}

/// Rates are events of the file per second of wall time, for both sides: the same file, so the
/// ratio is the ratio of the times. (The plugin hands Falco fewer events than the file has: old
/// enter events are merged into their exits, as today's libsinsp does; sysdig 0.29.3 shows both.)
fn measure(
    capture: &Path,
    file_events: u64,
    fields: &[&str],
    runs: u32,
    sysdig: bool,
) -> Result<(), String> {
    let library = plugin_library();
    let config = replay_config(capture, "");
    let checked = bench_plugin::cross_check(library, &config, fields, 1000)?;
    println!(
        "plugin: {} (direct driver and falco_plugin_runner agree on the first {checked} events)",
        library.path.display()
    );
    let mut best_plugin: Option<bench_plugin::PluginRun> = None;
    for _ in 0..runs {
        // Buffered like sysdig's stdout when it is not a terminal.
        let null = std::fs::File::create("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
        let mut sink = std::io::BufWriter::with_capacity(1 << 16, null);
        let r = bench_plugin::run(library, &config, fields, None, false, &mut sink)?;
        if best_plugin.as_ref().is_none_or(|b| r.seconds < b.seconds) {
            best_plugin = Some(r);
        }
    }
    let p = best_plugin.ok_or("no plugin run")?;
    if !p.undeclared.is_empty() {
        println!("plugin does not declare: {}", p.undeclared.join(" "));
    }
    let p_rate = file_events as f64 / p.seconds;
    println!(
        "plugin : {file_events:>9} file events in {:7.3} s = {p_rate:>10.0} events/s ({} events handed to Falco)",
        p.seconds, p.events
    );
    let Some(sysdig) = bench_sysdig::find().filter(|_| sysdig) else {
        println!("sysdig : not installed (apt-get install sysdig), no ratio");
        return Ok(());
    };
    let count = bench_sysdig::count(&sysdig, capture, fields)?;
    let mut best: Option<bench_sysdig::SysdigRun> = None;
    for _ in 0..runs {
        let r = bench_sysdig::run_timed(&sysdig, capture, fields)?;
        if best.is_none_or(|b| r.seconds < b.seconds) {
            best = Some(r);
        }
    }
    let s = best.ok_or("no sysdig run")?;
    let s_rate = file_events as f64 / s.seconds;
    println!(
        "sysdig : {file_events:>9} file events in {:7.3} s = {s_rate:>10.0} events/s ({}; {} processed, {} displayed; peak RSS {} MiB)",
        s.seconds,
        bench_sysdig::version(&sysdig)?,
        count.processed,
        count.displayed,
        s.max_rss_kib / 1024
    );
    println!(
        "ratio  : plugin / sysdig = {:.2}x events/s",
        p_rate / s_rate
    );
    Ok(())
}
