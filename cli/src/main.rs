//! `edera-falco`: drive the built `libedera_falco_plugin.so` the way Falco does, from the shell.
//!
//! - `edera-falco replay F [-p FORMAT] [-n N] [-t TYPE]...`: print a capture's events through the
//!   plugin like `sysdig -r F -p FORMAT` (try a rule's fields offline);
//! - `edera-falco zones [--socket PATH] [-p FORMAT] [-t TYPE]...`: open the plugin in zone mode
//!   (the protect daemon's zones, live) and print their events as they come;
//! - `edera-falco rules convert FILE... -o OUT.yaml`: Falco rules for the syscall source as
//!   rules for the zones' `edera_zone` source (see crate `edera-falco-rules`), with a report;
//! - `edera-falco bench-replay`: the replay benchmark, the plugin against sysdig on one large
//!   capture, side by side;
//! - `edera-falco bench-agent [--runs N]`: the agent's overhead on syscall-heavy workloads beside
//!   Falco's own modern eBPF probe on the same workloads;
//! - `edera-falco bench-falco [--runs N] [--events N]`: the plugin inside the real Falco against
//!   Falco's own libsinsp, on one agent capture with the same rules;
//! - `edera-falco soak [--minutes N] [--falco | --harness]`: a flooding zone beside a normal
//!   one for N minutes, the plugin's memory sampled every second; fails when it passes the
//!   caps' bound, the normal zone's events stop, or the flood is not seen.
//!
//! The plugin library is `--plugin PATH`, else `$EDERA_PLUGIN_SO`, else the
//! `libedera_falco_plugin.so` next to this executable (cargo puts both in `target/<profile>/`).

use clap::{Parser, Subcommand};
use edera_falco_cli::format::Format;
use edera_falco_cli::{bench, bench_agent, bench_falco, bench_zones, soak};
use edera_falco_harness::fixtures::replay_config;
use edera_falco_harness::handle::{Next, load_plugin};
use edera_falco_harness::library::{LIBRARY_NAME, use_library};
use edera_falco_harness::{falco_text, generic};
use edera_falco_rules::{Options, RulesFile, convert};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    version,
    about = "Drive the edera Falco plugin (.so) from the command line"
)]
struct Cli {
    /// The plugin library (default: $EDERA_PLUGIN_SO, else libedera_falco_plugin.so beside this program).
    #[arg(long, global = true)]
    plugin: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the events of a libscap capture through the plugin, like `sysdig -r F -p FORMAT`.
    Replay {
        /// The capture file (.scap, plain or gzip).
        file: PathBuf,
        /// Output format: `%field` / `%field[arg]` tokens; a leading `*` prints events with missing values as <NA>.
        #[arg(
            short = 'p',
            long,
            default_value = "*%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"
        )]
        format: String,
        /// Stop after N events.
        #[arg(short = 'n', long)]
        count: Option<u64>,
        /// Only events of these types (evt.type), e.g. `-t openat -t execve`.
        #[arg(short = 't', long = "type")]
        types: Vec<String>,
    },
    /// Print live zone events: the plugin in zone mode on the protect daemon's socket.
    Zones {
        /// The daemon's unix socket.
        #[arg(long, default_value = "/var/lib/edera/protect/daemon.socket")]
        socket: PathBuf,
        /// Output format, as for replay.
        #[arg(
            short = 'p',
            long,
            default_value = "*%evt.time %edera.zone.name %proc.name (%thread.tid) %evt.type %fd.name %evt.args"
        )]
        format: String,
        /// Stop after N events.
        #[arg(short = 'n', long)]
        count: Option<u64>,
        /// Only events of these types (evt.type).
        #[arg(short = 't', long = "type")]
        types: Vec<String>,
    },
    /// Falco rules files: convert them for zones.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Benchmark: replay one large capture through the plugin and through sysdig, side by side.
    BenchReplay(bench::Options),
    /// Benchmark: events/s through the gRPC zone path (1 and 8 zones, per-event and batched)
    /// against the replay path, with the memory held.
    BenchZones(bench_zones::ZoneOptions),
    /// Benchmark: the agent's overhead (edera-falco-agent bench) beside Falco's modern eBPF
    /// probe (../shared/falco) on the same workloads.
    BenchAgent(bench_agent::AgentOptions),
    /// Benchmark: the real Falco (../shared/falco) on one agent capture, as its own syscall
    /// source (libsinsp) and through the plugin, with the same rule sets.
    BenchFalco(bench_falco::FalcoOptions),
    /// Soak: a flooding zone beside a normal one for N minutes (stand-in daemon), the plugin in
    /// Falco (../shared/falco) or the harness; RSS, counters and the normal zone's events every
    /// second.
    Soak(soak::SoakOptions),
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Rewrite rules written for the `syscall` source as rules for `edera_zone` (same names,
    /// outputs, lists, macros and exceptions); prints what was converted, rewritten or left out.
    Convert {
        /// Rules files, in the order Falco loads them.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where to write the converted rules.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

/// `rules convert`: reads `files`, writes the converted rules to `output`, prints the report.
fn convert_rules(files: &[PathBuf], output: &std::path::Path) -> Result<(), String> {
    let mut texts = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        texts.push((path.display().to_string(), text));
    }
    let inputs: Vec<RulesFile<'_>> = texts
        .iter()
        .map(|(name, text)| RulesFile { name, text })
        .collect();
    let conversion = convert(&inputs, &Options::default()).map_err(|e| e.to_string())?;
    std::fs::write(output, conversion.yaml).map_err(|e| format!("{}: {e}", output.display()))?;
    print!("{}", conversion.report);
    Ok(())
}

fn library_path(flag: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(p) = flag.or_else(|| std::env::var_os("EDERA_PLUGIN_SO").map(PathBuf::from)) {
        return Ok(p);
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let path = exe.with_file_name(LIBRARY_NAME);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it (`cargo build -p edera-falco-plugin-so`) or pass --plugin",
            path.display()
        ))
    }
}

fn replay(file: PathBuf, format: &str, count: Option<u64>, types: &[String]) -> Result<(), String> {
    let file = std::fs::canonicalize(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    print_events(&replay_config(&file, ""), format, count, types, false)
}

fn zones(
    socket: PathBuf,
    format: &str,
    count: Option<u64>,
    types: &[String],
) -> Result<(), String> {
    let config = serde_json::json!({ "socket": socket }).to_string();
    print_events(&config, format, count, types, true)
}

/// Open the plugin with init config `config` and print its events in `format`; `live` flushes
/// every line (and never ends by itself unless the source does).
fn print_events(
    config: &str,
    format: &str,
    count: Option<u64>,
    types: &[String],
    live: bool,
) -> Result<(), String> {
    let format = Format::parse(format)?;
    let fields = format.fields();
    let mut h = load_plugin(config)?;
    h.open()?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut shown = 0u64;
    while count.is_none_or(|n| shown < n) {
        let ev = match h.next_event()? {
            Next::Event(ev) => ev,
            Next::Timeout => continue,
            Next::Eof => break,
        };
        if !types.is_empty() {
            let ty = h.extract_string(&ev, "evt.type")?;
            if !ty.is_some_and(|t| types.contains(&t)) {
                continue;
            }
        }
        let mut values = Vec::with_capacity(fields.len());
        for f in &fields {
            let v = match generic::value(f, &ev) {
                Some(v) => v,
                None => h.extract(&ev, f)?.as_ref().and_then(falco_text::text),
            };
            values.push(v);
        }
        if let Some(line) = format.render(&values) {
            writeln!(out, "{line}").map_err(|e| format!("stdout: {e}"))?;
            if live {
                out.flush().map_err(|e| format!("stdout: {e}"))?;
            }
            shown += 1;
        }
    }
    out.flush().map_err(|e| format!("stdout: {e}"))
}

/// The commands that drive the plugin library (loaded from `path`).
fn run_with_library(path: PathBuf, command: Command) -> Result<(), String> {
    use_library(path);
    match command {
        Command::Replay {
            file,
            format,
            count,
            types,
        } => replay(file, &format, count, &types),
        Command::Zones {
            socket,
            format,
            count,
            types,
        } => zones(socket, &format, count, &types),
        Command::Rules(RulesCommand::Convert { files, output }) => convert_rules(&files, &output),
        Command::BenchReplay(options) => bench::run(&options),
        Command::BenchZones(options) => bench_zones::run(&options),
        Command::BenchAgent(options) => bench_agent::run(&options),
        Command::BenchFalco(options) => bench_falco::run(&options),
        Command::Soak(options) => soak::run(&options).map(|_| ()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // Needs no plugin library.
        Command::Rules(RulesCommand::Convert { files, output }) => convert_rules(&files, &output),
        Command::BenchAgent(options) => bench_agent::run(&options),
        command => library_path(cli.plugin).and_then(|path| run_with_library(path, command)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edera-falco: {e}");
            ExitCode::FAILURE
        }
    }
}
