//! Workloads (containers) in local zones: `--workload ZONE/NAME=IMAGE[,KEY=VALUE...]:COMMAND`.
//!
//! A workload runs once its zone's agent is capturing: `sh -c COMMAND` inside the zone's PID,
//! mount and UTS namespaces (so the agent sees it, with the zone's ids), in a mount namespace of
//! its own, and in a cgroup of its own named after the workload's id, as container runtimes
//! make them: in the cgroup v2 hierarchy and in every mounted v1 controller hierarchy, under
//! the daemon's own cgroup there, so the kernel's per-subsystem cgroup paths of its processes
//! end in the id. Its record (name, zone, image, annotations, command, creation time) is served
//! on ListWorkloads and published on WatchEvents as it goes creating, running, completed,
//! destroyed; the cgroups are removed when it ends.
//!
//! No image is pulled: the image digest is a stand-in, the sha256 of the IMAGE text, and the
//! image is also the annotation [`IMAGE_ANNOTATION`].

use super::link::new_id;
use super::zones::{LocalZone, Zones};
use edera_falco_proto::control::{
    AnnotationSpec, OciImageSpec, ProcessSpec, Workload, WorkloadExitStatus, WorkloadSpec,
    WorkloadState, WorkloadStatus,
};
use sha2::Digest;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The annotation holding the workload's image reference.
pub const IMAGE_ANNOTATION: &str = "dev.edera.falco/image";

/// How long a workload waits for its zone's agent to be capturing before it gives up.
const ZONE_READY_WAIT: Duration = Duration::from_secs(30);

/// A `--workload` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadArg {
    pub zone: String,
    pub name: String,
    pub image: String,
    pub annotations: Vec<(String, String)>,
    pub command: String,
}

/// Parses `ZONE/NAME=IMAGE[,KEY=VALUE...]:COMMAND`. COMMAND starts after the last `:` that
/// comes before the option's first space, so image tags (`nginx:1.25`) need no quoting.
pub fn parse(s: &str) -> Result<WorkloadArg, String> {
    const FORM: &str = "expected ZONE/NAME=IMAGE[,KEY=VALUE...]:COMMAND";
    let (zone, rest) = s.split_once('/').ok_or(FORM)?;
    let (name, rest) = rest.split_once('=').ok_or(FORM)?;
    let head_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let colon = rest[..head_end].rfind(':').ok_or(FORM)?;
    let (spec, command) = (&rest[..colon], &rest[colon + 1..]);
    let mut parts = spec.split(',');
    let image = parts.next().unwrap_or_default();
    if zone.is_empty() || name.is_empty() || image.is_empty() || command.is_empty() {
        return Err(FORM.into());
    }
    let annotations = parts
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("annotation {kv:?}: expected KEY=VALUE")),
        })
        .collect::<Result<_, _>>()?;
    Ok(WorkloadArg {
        zone: zone.into(),
        name: name.into(),
        image: image.into(),
        annotations,
        command: command.into(),
    })
}

/// The API record of a new workload `w` in zone `zone_id`.
fn record(w: &WorkloadArg, zone_id: &str) -> Workload {
    let digest: String = sha2::Sha256::digest(w.image.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let annotations = std::iter::once((IMAGE_ANNOTATION.to_string(), w.image.clone()))
        .chain(w.annotations.iter().cloned())
        .map(|(key, value)| AnnotationSpec { key, value })
        .collect();
    Workload {
        id: new_id(),
        spec: Some(WorkloadSpec {
            name: w.name.clone(),
            zone_id: zone_id.to_string(),
            image: Some(OciImageSpec {
                digest: format!("sha256:{digest}"),
                ..OciImageSpec::default()
            }),
            process: Some(ProcessSpec {
                command: vec!["sh".into(), "-c".into(), w.command.clone()],
                working_directory: String::new(),
            }),
            annotations,
            ..WorkloadSpec::default()
        }),
        status: Some(WorkloadStatus {
            state: WorkloadState::Creating as i32,
            created_at: Some(prost_types::Timestamp {
                seconds: now.as_secs() as i64,
                nanos: now.subsec_nanos() as i32,
            }),
            ..WorkloadStatus::default()
        }),
    }
}

/// The cgroup directories of one workload, removed when dropped.
struct Cgroups(Vec<PathBuf>);

impl Cgroups {
    /// Makes cgroup `id` under this process's own cgroup in the v2 hierarchy (if mounted) and
    /// in every mounted v1 hierarchy with a controller.
    fn create(id: &str) -> Result<Cgroups, String> {
        let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
        let (mounts, own) = (read("/proc/self/mounts")?, read("/proc/self/cgroup")?);
        // This process's cgroups: (sorted controllers, path) per hierarchy; v2's has none.
        let own: Vec<(Vec<&str>, &str)> = own
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, c, p) = (f.next()?, f.next()?, f.next()?);
                let mut c: Vec<&str> = c.split(',').filter(|c| !c.is_empty()).collect();
                c.sort_unstable();
                Some((c, p.trim_start_matches('/')))
            })
            .collect();
        let mut made = Cgroups(Vec::new());
        for l in mounts.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (Some(dir), Some(fstype), Some(options)) = (f.get(1), f.get(2), f.get(3)) else {
                continue;
            };
            // A v1 hierarchy's controllers are among its mount options; named hierarchies
            // (name=systemd) have none and are left alone, like v1 mounts of nothing.
            let mut controllers: Vec<&str> = match *fstype {
                "cgroup2" => Vec::new(),
                "cgroup" => options
                    .split(',')
                    .filter(|o| !o.starts_with("name=") && own.iter().any(|(c, _)| c.contains(o)))
                    .collect(),
                _ => continue,
            };
            if *fstype == "cgroup" && controllers.is_empty() {
                continue;
            }
            controllers.sort_unstable();
            let Some((_, parent)) = own.iter().find(|(c, _)| *c == controllers) else {
                continue;
            };
            let d = PathBuf::from(dir).join(parent).join(id);
            std::fs::create_dir(&d).map_err(|e| format!("cgroup {}: {e}", d.display()))?;
            made.0.push(d.clone());
            // A v1 cpuset cgroup starts with no CPUs and memory nodes, and takes no task
            // until it has some: it gets its parent's, as container runtimes do.
            if *fstype == "cgroup" && controllers.contains(&"cpuset") {
                for f in ["cpuset.cpus", "cpuset.mems"] {
                    let from = d.parent().map(|p| p.join(f)).unwrap_or_default();
                    std::fs::read(&from)
                        .and_then(|v| std::fs::write(d.join(f), v))
                        .map_err(|e| format!("cgroup {}: {f}: {e}", d.display()))?;
                }
            }
        }
        if made.0.is_empty() {
            return Err("no cgroup hierarchy is mounted".into());
        }
        Ok(made)
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for d in &self.0 {
            // The workload's last process may still be exiting: rmdir answers EBUSY briefly.
            let start = Instant::now();
            while std::fs::remove_dir(d).is_err() && start.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The host pid of zone `z`'s first process (the agent, pid 1 of the zone's namespace).
fn zone_init(z: &LocalZone) -> Option<u32> {
    let unshare = z.host_pid.get()?;
    std::fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Starts workload `w` in zone `z`: published at once (creating), run once the zone's agent
/// captures, completed when its process ends, then destroyed.
pub fn start_workload(zones: &Zones, z: Arc<LocalZone>, w: WorkloadArg) -> Result<(), String> {
    let mut workload = record(&w, &z.id);
    zones.put_workload(&mut workload, WorkloadState::Creating);
    let zones = zones.clone();
    std::thread::Builder::new()
        .name(format!("workload-{}", w.name))
        .spawn(move || {
            let id = workload.id.clone();
            let code = run(&z, &w, &id, |pid| {
                eprintln!("workload {}: {id} (pid {pid})", w.name);
                zones.put_workload(&mut workload, WorkloadState::Running);
            });
            if let Err(e) = &code {
                eprintln!("workload {}: {e}", w.name);
            }
            if let Some(s) = workload.status.as_mut() {
                s.exit_status = Some(WorkloadExitStatus {
                    code: code.unwrap_or(-1),
                });
            }
            zones.put_workload(&mut workload, WorkloadState::Completed);
            zones.put_workload(&mut workload, WorkloadState::Destroyed);
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Runs `w` in zone `z` in cgroup `id` (calling `running` with the host pid of the process
/// entering the zone once it started) and waits for it; its exit code.
fn run(z: &LocalZone, w: &WorkloadArg, id: &str, running: impl FnOnce(u32)) -> Result<i32, String> {
    let start = Instant::now();
    while z.snapshot.borrow().is_none() {
        if start.elapsed() > ZONE_READY_WAIT {
            return Err(format!("zone {} did not become ready", w.zone));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let init = zone_init(z).ok_or_else(|| format!("zone {} has no process", w.zone))?;
    let cgroups = Cgroups::create(id)?;
    // The shell enters the cgroups (its pid as the zone numbers it, which the kernel reads in
    // the writer's namespace), then becomes the workload's command.
    let mut child = Command::new("nsenter")
        .arg(format!("--target={init}"))
        .args([
            "--pid", "--mount", "--uts", "--", "unshare", "--mount", "--",
        ])
        .args([
            "sh",
            "-c",
            r#"for f; do echo $$ > "$f" || exit 125; done; exec sh -c "$0""#,
        ])
        .arg(&w.command)
        .args(cgroups.0.iter().map(|d| d.join("cgroup.procs")))
        .spawn()
        .map_err(|e| format!("nsenter: {e}"))?;
    running(child.id());
    let status = child.wait().map_err(|e| e.to_string())?;
    drop(cgroups);
    Ok(status.code().unwrap_or(-1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_with_image_tags_and_annotations() {
        let w = parse("z/web=nginx:1.25,io.kubernetes.pod.name=web,io.kubernetes.pod.namespace=shop:sleep 1; echo a:b").unwrap();
        assert_eq!((w.zone.as_str(), w.name.as_str()), ("z", "web"));
        assert_eq!(w.image, "nginx:1.25");
        assert_eq!(
            w.annotations,
            [
                ("io.kubernetes.pod.name".to_string(), "web".to_string()),
                (
                    "io.kubernetes.pod.namespace".to_string(),
                    "shop".to_string()
                )
            ]
        );
        assert_eq!(w.command, "sleep 1; echo a:b");
        assert_eq!(parse("z/a=busybox:true").unwrap().image, "busybox");
        for bad in [
            "z",
            "z/a",
            "z/a=img",
            "/a=i:c",
            "z/=i:c",
            "z/a=:c",
            "z/a=i:",
            "z/a=i,k:c",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
