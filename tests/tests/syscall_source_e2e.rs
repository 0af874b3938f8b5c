//! The syscall-source mode end to end: the stand-in daemon runs two zones, and the real Falco
//! 0.45 (`../shared/falco`) takes `libedera_falco_syscall.so` (plugin id 0) as its syscall source
//! in zone mode and runs Falco's stock `falco_rules.yaml` unchanged (but for its container plugin
//! requirement: the container stub answers `container.*`).
//!
//! Zone `alpha` reads /etc/shadow in a loop, and so does its workload `web`; zone `beta` reads a
//! harmless file. "Read sensitive file untrusted" must fire for alpha's own `cat` with
//! `edera.zone.name` alpha, no workload, the file name, and the parent `sh` with the command
//! line and environment the zone ran it with (the zone's command, started before Falco
//! subscribed: known to libsinsp only from the zone's snapshot, which the plugin seeds); it must
//! fire for the workload's `cat` with `edera.workload.name` web; and no alert on /etc/shadow may
//! name another zone.
//!
//! Skips with the reason when zones cannot be made here (not root, no eBPF, no unshare) or
//! Falco is absent.

mod daemon_support;

use edera_falco_harness::artifact;
use edera_falco_harness::falco::{self, Alert, Falco};
use serde_yaml_ng::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long the first alert may take (the daemon's zones, Falco's start).
const FIRED_WITHIN: Duration = Duration::from_secs(60);
/// The rule that must fire.
const RULE: &str = "Read sensitive file untrusted";
/// An environment variable the zone's command inherits from the daemon.
const ENV_MARK: &str = "EDERA_SEED_MARK";

/// A command reading `file` every 0.2 s, for at most two minutes.
fn reader(file: &str) -> String {
    format!("i=0; while [ $i -lt 600 ]; do cat {file} > /dev/null; sleep 0.2; i=$((i + 1)); done")
}

/// The daemon, killed when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn stock_rules_fire_in_falco_with_the_zone_of_the_event() {
    let Some(shared) = falco::shared_dir() else {
        println!("skipped: ../shared/falco is absent");
        return;
    };
    let build = |package, file| artifact::build(package, file).unwrap_or_else(|e| panic!("{e}"));
    let daemon = build("edera-falco-daemon", "edera-falco-daemon");
    let agent = build("edera-falco-agent", "edera-falco-agent");
    let plugin = build("edera-falco-syscall", "libedera_falco_syscall.so");
    let dir = tempfile::tempdir().unwrap();
    let stub = falco::build_container_stub(&shared, dir.path()).unwrap();

    let socket = dir.path().join("daemon.socket");
    let mark = format!("seeded-{}", std::process::id());
    let alpha_command = reader("/etc/shadow");
    let mut child = Command::new(&daemon)
        .env(ENV_MARK, &mark)
        .arg("--socket")
        .arg(&socket)
        .arg("--agent")
        .arg(&agent)
        .arg("--zone")
        .arg(format!("alpha={alpha_command}"))
        .arg("--zone")
        .arg(format!("beta={}", reader("/etc/hostname")))
        .arg("--workload")
        .arg(format!("alpha/web=busybox:1:{}", reader("/etc/shadow")))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("daemon starts");
    let Some(_ids) = daemon_support::zone_ids_when_serving(&mut child) else {
        return;
    };
    let _daemon = Daemon(child);

    let text =
        std::fs::read_to_string(shared.join("reference/falco-rules/falco_rules.yaml")).unwrap();
    let Value::Sequence(mut items) = serde_yaml_ng::from_str(&text).unwrap() else {
        panic!("the stock rules file is a sequence");
    };
    items.retain(|i| i.get("required_plugin_versions").is_none());
    let rules = dir.path().join("falco_rules.yaml");
    std::fs::write(&rules, serde_yaml_ng::to_string(&items).unwrap()).unwrap();
    let config = format!(
        r#"engine: {{kind: nodriver}}
load_plugins: [edera_syscall, container_stub]
plugins:
  - name: edera_syscall
    library_path: {}
    init_config: {{socket: {}}}
    open_params: ""
  - name: container_stub
    library_path: {}
    init_config: ""
append_output:
  - match: {{source: syscall}}
    extra_fields: [edera.zone.name, edera.workload.name, proc.name, proc.pname, proc.pcmdline,
      "proc.aenv[{ENV_MARK}]", fd.name]
"#,
        plugin.display(),
        socket.display(),
        stub.display()
    );
    let mut falco = Falco::start(dir.path(), &config, &[rules], &[]).unwrap();
    let cat_in_alpha = |a: &Alert| {
        a.rule == RULE
            && a.field("edera.zone.name").as_deref() == Some("alpha")
            && a.field("proc.name").as_deref() == Some("cat")
            && a.field("proc.pname").as_deref() == Some("sh")
            && a.field("fd.name").as_deref() == Some("/etc/shadow")
    };
    // The zone's own `cat`, its parent as the zone ran it.
    let zone_command_line = format!("sh -c {alpha_command}");
    let from_alpha = |a: &Alert| {
        cat_in_alpha(a)
            && a.field("edera.workload.name").is_none()
            && a.field("proc.pcmdline") == Some(zone_command_line.clone())
            && a.field(&format!("proc.aenv[{ENV_MARK}]")) == Some(mark.clone())
    };
    let from_web =
        |a: &Alert| cat_in_alpha(a) && a.field("edera.workload.name").as_deref() == Some("web");
    let fired = falco.alerts_until(FIRED_WITHIN, |a| {
        a.iter().any(from_alpha) && a.iter().any(from_web)
    });
    // A few more reads of both zones' files.
    let _ = falco.alerts_until(Duration::from_secs(2), |_| false);
    let alerts = falco.alerts().to_vec();
    let log = falco.log_tail();
    falco.stop();
    if let Err(e) = fired {
        panic!(
            "{RULE} did not fire for zone alpha's command and its workload: {e}\n\
             alerts: {alerts:#?}\n{log}"
        );
    }
    for a in &alerts {
        if a.field("fd.name").as_deref() == Some("/etc/shadow") {
            assert_eq!(a.source, "syscall", "{a:?}");
            assert_eq!(
                a.field("edera.zone.name").as_deref(),
                Some("alpha"),
                "{a:?}"
            );
        }
    }
}
