//! Workloads (containers) in a zone, end to end: the stand-in daemon runs a zone with a
//! workload; the workload is listed over the daemon's gRPC socket with its name, zone, image
//! and annotations; the kernel puts its process in a cgroup named after the workload's id; and
//! through the plugin `.so` in zone mode, the workload's events carry that cgroup in
//! `thread.cgroups` while the events of the zone's own command do not.
//!
//! Skips with the reason when zones cannot be made here (not root, no eBPF, no unshare).

mod daemon_support;

use edera_falco_harness::artifact;
use edera_falco_harness::handle::{Next, load_plugin};
use edera_falco_proto::control::control_service_client::ControlServiceClient;
use edera_falco_proto::control::{ListWorkloadsRequest, Workload, WorkloadState};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tonic::transport::{Endpoint, Uri};

/// The daemon, killed when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the daemon with `args`; its zone ids by name, or `None` (skip) when it ended before
/// serving.
fn start_daemon(args: &[String]) -> Option<(Daemon, BTreeMap<String, String>)> {
    let build = |package, file| artifact::build(package, file).unwrap_or_else(|e| panic!("{e}"));
    let daemon = build("edera-falco-daemon", "edera-falco-daemon");
    let agent = build("edera-falco-agent", "edera-falco-agent");
    let mut child = Command::new(daemon)
        .arg("--agent")
        .arg(agent)
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("daemon starts");
    let zones = daemon_support::zone_ids_when_serving(&mut child)?;
    Some((Daemon(child), zones))
}

/// The daemon's workloads, over its socket.
fn list_workloads(socket: &Path) -> Vec<Workload> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let path = socket.to_path_buf();
        let channel = Endpoint::from_static("http://daemon.invalid")
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let path = path.clone();
                async move {
                    Ok::<_, std::io::Error>(TokioIo::new(
                        tokio::net::UnixStream::connect(path).await?,
                    ))
                }
            }))
            .await
            .expect("the daemon's socket answers");
        let mut client = ControlServiceClient::new(channel);
        let mut replies = client
            .list_workloads(ListWorkloadsRequest {})
            .await
            .expect("ListWorkloads")
            .into_inner();
        let mut all = Vec::new();
        while let Some(r) = replies.message().await.expect("ListWorkloads reply") {
            all.extend(r.workloads);
        }
        all
    })
}

/// Host pids of the shells whose command line contains `text`.
fn shells_running(text: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            cmdline.starts_with(b"sh\0") && String::from_utf8_lossy(&cmdline).contains(text)
        })
        .collect()
}

#[test]
fn a_workload_is_listed_and_its_events_carry_its_cgroup() {
    let dir = std::env::temp_dir().join(format!("edera-workloads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket: PathBuf = dir.join("daemon.socket");
    let mark = format!("w{}", std::process::id());
    let looping = |what: &str| {
        format!("while :; do cat /nonexistent-{mark}-{what} 2>/dev/null; sleep 0.05; done")
    };
    let args = vec![
        "--socket".to_string(),
        socket.display().to_string(),
        "--zone".into(),
        format!("shop={}", looping("zone")),
        "--workload".into(),
        format!(
            "shop/web=nginx:1.25,io.kubernetes.pod.name=web,io.kubernetes.pod.namespace=shop:{}",
            looping("web")
        ),
    ];
    let Some((daemon, zones)) = start_daemon(&args) else {
        return;
    };
    let zone_id = zones.get("shop").cloned().expect("zone shop");

    // Listed, running, with what the option said.
    let start = Instant::now();
    let web = loop {
        let running = list_workloads(&socket).into_iter().find(|w| {
            w.status
                .as_ref()
                .is_some_and(|s| s.state == WorkloadState::Running as i32)
        });
        if let Some(w) = running {
            break w;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "workload web never ran"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let spec = web.spec.clone().expect("spec");
    assert_eq!(
        (spec.name.as_str(), spec.zone_id.as_str()),
        ("web", zone_id.as_str())
    );
    let annotation = |k: &str| {
        spec.annotations
            .iter()
            .find(|a| a.key == k)
            .map(|a| a.value.clone())
    };
    assert_eq!(
        annotation("dev.edera.falco/image").as_deref(),
        Some("nginx:1.25")
    );
    assert_eq!(annotation("io.kubernetes.pod.name").as_deref(), Some("web"));
    assert_eq!(
        annotation("io.kubernetes.pod.namespace").as_deref(),
        Some("shop")
    );
    assert!(spec.image.is_some_and(|i| i.digest.starts_with("sha256:")));
    assert!(web.status.as_ref().is_some_and(|s| s.created_at.is_some()));

    // The kernel's view: the workload's shell is in the cgroup named after the id, the
    // zone's own shell is not.
    let start = Instant::now();
    let (workload_pid, zone_pid) = loop {
        let (w, z) = (
            shells_running(&format!("/nonexistent-{mark}-web")),
            shells_running(&format!("/nonexistent-{mark}-zone")),
        );
        if let (Some(w), Some(z)) = (w.first(), z.first()) {
            break (*w, *z);
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the shells run");
        std::thread::sleep(Duration::from_millis(20));
    };
    let cgroup_of = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    // The shell runs before it has written itself into each of its cgroups (the daemon's
    // `echo $$ > cgroup.procs` loop, then exec): wait for the loop to end.
    let in_its_memory_cgroup = |cgroups: &str| {
        cgroups
            .lines()
            .any(|l| l.contains(":memory:") && l.ends_with(&format!("/{}", web.id)))
    };
    let start = Instant::now();
    let workload_cgroups = loop {
        let cgroups = cgroup_of(workload_pid);
        if in_its_memory_cgroup(&cgroups) || start.elapsed() > Duration::from_secs(30) {
            break cgroups;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        in_its_memory_cgroup(&workload_cgroups),
        "the workload's memory cgroup ends in its id: {workload_cgroups}"
    );
    assert!(!cgroup_of(zone_pid).contains(&web.id));

    // Through the plugin: the workload's cats have the id in thread.cgroups, the zone's not.
    let config = serde_json::json!({ "socket": socket }).to_string();
    let mut h = load_plugin(&config).expect("plugin loads");
    h.open().expect("zone mode opens");
    let (mut workload_seen, mut zone_seen) = (0, 0);
    let start = Instant::now();
    while (workload_seen < 3 || zone_seen < 3) && start.elapsed() < Duration::from_secs(30) {
        let ev = match h.next_event().expect("next_event") {
            Next::Event(ev) => ev,
            Next::Timeout => continue,
            Next::Eof => panic!("the zone source must never end"),
        };
        let mut f = |name: &str| {
            h.extract_string(&ev, name)
                .ok()
                .flatten()
                .unwrap_or_default()
        };
        if f("evt.type") != "openat" || f("proc.name") != "cat" {
            continue;
        }
        let (path, cgroups) = (f("evt.arg.name"), f("thread.cgroups"));
        if path == format!("/nonexistent-{mark}-web") {
            assert!(
                cgroups.contains(&web.id),
                "workload event cgroups {cgroups:?}"
            );
            workload_seen += 1;
        } else if path == format!("/nonexistent-{mark}-zone") {
            assert!(!cgroups.is_empty(), "zone event has cgroups");
            assert!(!cgroups.contains(&web.id), "zone event cgroups {cgroups:?}");
            zone_seen += 1;
        }
    }
    assert!(
        workload_seen >= 3 && zone_seen >= 3,
        "events seen: workload {workload_seen}, zone {zone_seen}"
    );
    drop(h);
    drop(daemon);
    // A daemon killed while its workload runs leaves the (then empty) cgroups behind.
    remove_cgroups(&web.id);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Removes the cgroup directories named `id` under any mounted cgroup hierarchy, waiting
/// (bounded) for their last processes to exit.
fn remove_cgroups(id: &str) {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    for m in mounts.lines().filter(|l| l.contains(" cgroup")) {
        let Some(dir) = m.split_whitespace().nth(1) else {
            continue;
        };
        for path in cgroup.lines().filter_map(|l| l.splitn(3, ':').nth(2)) {
            let d = Path::new(dir).join(path.trim_start_matches('/')).join(id);
            let start = Instant::now();
            while d.exists() && std::fs::remove_dir(&d).is_err() {
                if start.elapsed() > Duration::from_secs(5) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}
