//! `edera-falco-daemon --socket PATH --zone NAME=COMMAND ... --workload ZONE/NAME=IMAGE:COMMAND
//! ...`: the stand-in for Edera's protect daemon. Serves the protect API on a unix socket with
//! local zones, each a process tree in its own namespaces running the agent and `sh -c
//! COMMAND`, and workloads (containers) in them.

use clap::Parser;
use edera_falco_daemon::link::start_zone;
use edera_falco_daemon::service::Service;
use edera_falco_daemon::workload::{WorkloadArg, start_workload};
use edera_falco_daemon::zones::Zones;
use edera_falco_proto::control::control_service_server::ControlServiceServer;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;

#[derive(Parser)]
#[command(
    version,
    about = "Stand-in for Edera's protect daemon, with local zones"
)]
struct Cli {
    /// The unix socket to serve on.
    #[arg(long, default_value = "/var/lib/edera/protect/daemon.socket")]
    socket: PathBuf,
    /// A zone to start: NAME=COMMAND (COMMAND runs under `sh -c` in the zone). Repeatable.
    #[arg(long = "zone", value_parser = parse_zone)]
    zones: Vec<(String, String)>,
    /// A workload (container) in zone ZONE: ZONE/NAME=IMAGE[,KEY=VALUE...]:COMMAND. COMMAND
    /// runs under `sh -c` in the zone's namespaces, in its own mount namespace and cgroup;
    /// KEY=VALUE pairs are its annotations (io.kubernetes.pod.name=web, ...). COMMAND starts
    /// after the last `:` before the first space. Repeatable.
    #[arg(long = "workload", value_parser = edera_falco_daemon::workload::parse)]
    workloads: Vec<WorkloadArg>,
    /// A zone replaying a capture file: NAME=FILE[:LOOPS] (benchmarks and tests). Repeatable.
    #[arg(long = "capture-zone", value_parser = parse_zone)]
    capture_zones: Vec<(String, String)>,
    /// A hostile zone sending malformed events (tests). Repeatable.
    #[arg(long = "garbage-zone")]
    garbage_zones: Vec<String>,
    /// A hostile zone for the soak (tests only): NAME=FILE, FILE's events at full speed mixed
    /// with damaged events, huge strings and bogus snapshots. Repeatable.
    #[arg(long = "flood-zone", value_parser = parse_zone)]
    flood_zones: Vec<(String, String)>,
    /// The agent binary (default: edera-falco-agent beside this program).
    #[arg(long)]
    agent: Option<PathBuf>,
}

fn parse_zone(s: &str) -> Result<(String, String), String> {
    let (name, cmd) = s.split_once('=').ok_or("expected NAME=COMMAND")?;
    if name.is_empty() || cmd.is_empty() {
        return Err("expected NAME=COMMAND".into());
    }
    Ok((name.to_string(), cmd.to_string()))
}

async fn serve(cli: Cli) -> Result<(), String> {
    let agent = match cli.agent {
        Some(a) => a,
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("edera-falco-agent"),
    };
    if let Some(dir) = cli.socket.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let _ = std::fs::remove_file(&cli.socket);
    let listener =
        UnixListener::bind(&cli.socket).map_err(|e| format!("{}: {e}", cli.socket.display()))?;
    let zones = Zones::default();
    let mut started = Vec::new();
    for (name, cmd) in &cli.zones {
        let z = start_zone(
            &zones,
            &agent,
            name,
            &["sh".into(), "-c".into(), cmd.clone()],
        )?;
        eprintln!("zone {name}: {}", z.id);
        started.push((name.clone(), z));
    }
    for w in cli.workloads {
        let z = started
            .iter()
            .find(|(name, _)| *name == w.zone)
            .map(|(_, z)| z.clone())
            .ok_or_else(|| format!("--workload {}/{}: no --zone {}", w.zone, w.name, w.zone))?;
        start_workload(&zones, z, w)?;
    }
    for (name, spec) in &cli.capture_zones {
        let (file, loops) = match spec.rsplit_once(':') {
            Some((f, n)) if n.parse::<u64>().is_ok() => (f, n.parse().unwrap_or(1)),
            _ => (spec.as_str(), 1),
        };
        let z = edera_falco_daemon::link::start_capture_zone(
            &zones,
            name,
            std::path::Path::new(file),
            loops,
        )?;
        eprintln!("zone {name}: {} (capture {file} x{loops})", z.id);
    }
    for name in &cli.garbage_zones {
        let z = edera_falco_daemon::link::start_garbage_zone(&zones, name)?;
        eprintln!("zone {name}: {} (garbage)", z.id);
    }
    for (name, file) in &cli.flood_zones {
        let z =
            edera_falco_daemon::flood::start_flood_zone(&zones, name, std::path::Path::new(file))?;
        eprintln!("zone {name}: {} (flood of {file})", z.id);
    }
    eprintln!("serving the protect API on {}", cli.socket.display());
    tonic::transport::Server::builder()
        .add_service(ControlServiceServer::new(Service { zones }))
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("edera-falco-daemon: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edera-falco-daemon: {e}");
            ExitCode::FAILURE
        }
    }
}
