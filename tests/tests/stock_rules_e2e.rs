//! Falco's stock rules fire the same way for a zone's workload as on the host, in the real
//! Falco 0.45 (`../shared/falco`).
//!
//! One trigger script runs the same actions everywhere: read /etc/shadow, a shell under a
//! program named `nginx`, a symlink over /etc/shadow, truncate a file named `auth.log`, grep for
//! private keys, shred a file, look for AWS credentials. Falco must see the script before it
//! acts: on the host the test reads a file under /etc/pam.d (itself an alert) until Falco
//! reports it, then starts the script; in the zone, where the script starts with the zone, the
//! script reads that file until the test creates its `go` file.
//!
//! - Host: the modern eBPF probe, the stock `falco_rules.yaml` unchanged but for its container
//!   plugin requirement (the container stub plugin answers `container.*` as on a host without
//!   containers); the script's alerts are told apart by an environment variable it inherits.
//! - Zone: the stand-in daemon with zone `shop` whose workload `web` (an nginx image, pod
//!   `web-0` in namespace `shop`) runs the script, and the zone's own command runs it too;
//!   Falco with the plugin and the same rules converted for `edera_zone`. The workload's alerts
//!   carry its container and pod fields; the zone's own carry `container.id` `host`. Skipped,
//!   with the reason, while the daemon has no `--workload` or the plugin no `k8s.*` fields.
//!
//! Every expected rule must fire with the expected process, file and user fields on both
//! sides; the table printed at the end (`--nocapture`) puts them side by side.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edera_falco_harness::artifact;
use edera_falco_harness::falco::{self, Alert, Falco, WaitError};
use edera_falco_rules::{Options, RulesFile, convert};
use serde_yaml_ng::Value;

/// The variable that marks the host script's processes (inherited by all of them).
const MARK_VAR: &str = "EDERA_E2E_MARK";
/// The file the script reads until it may act: "Read sensitive file untrusted" on it says
/// Falco sees the script.
const PROBE_FILE: &str = "/etc/pam.d/other";
/// How long Falco may take to see the script (the probe's start, the daemon's zones).
const READY_WITHIN: Duration = Duration::from_secs(45);
/// How long the triggers' alerts may take once the script acts.
const FIRED_WITHIN: Duration = Duration::from_secs(45);

/// `$1` is the script's own work directory; the `go` file is next to the script. Every wait is
/// bounded (2 minutes), and ends when the test removes the script's directory.
const SCRIPT: &str = r#"W=$1
D=$(dirname "$0")
mkdir -p "$W/.aws"
i=0
while [ ! -e "$D/go" ]; do
  [ -d "$D" ] && [ "$i" -lt 600 ] || exit 1
  cat /etc/pam.d/other > /dev/null
  sleep 0.2
  i=$((i + 1))
done
cat /etc/shadow > /dev/null
"$D/nginx" -c 'sh -c true; :'
ln -s /etc/shadow "$W/shadow-link"
: > "$W/auth.log"
grep -rl "BEGIN PRIVATE" "$W" > /dev/null
printf 'data\n' > "$W/data"
shred -u "$W/data"
find "$W/.aws/credentials" > /dev/null 2>&1
# A zone ends with its command: idle until the test is done.
i=0
while [ -e "$D/go" ] && [ "$i" -lt 600 ]; do
  sleep 0.2
  i=$((i + 1))
done
"#;

/// A stock rule the script triggers and the fields its alert must have (`<W>` stands for the
/// script's work directory).
struct Trigger {
    rule: &'static str,
    expect: &'static [(&'static str, &'static str)],
}

const TRIGGERS: &[Trigger] = &[
    Trigger {
        rule: "Read sensitive file untrusted",
        expect: &[
            ("proc.name", "cat"),
            ("proc.pname", "sh"),
            ("fd.name", "/etc/shadow"),
            ("user.name", "root"),
            ("proc.cmdline", "cat /etc/shadow"),
        ],
    },
    Trigger {
        rule: "Run shell untrusted",
        expect: &[
            ("proc.name", "sh"),
            ("proc.pname", "nginx"),
            ("user.name", "root"),
            ("proc.cmdline", "sh -c true"),
        ],
    },
    Trigger {
        rule: "Create Symlink Over Sensitive Files",
        expect: &[
            ("proc.name", "ln"),
            ("proc.pname", "sh"),
            ("evt.arg.target", "/etc/shadow"),
            ("evt.arg.linkpath", "<W>/shadow-link"),
            ("user.name", "root"),
            ("proc.cmdline", "ln -s /etc/shadow <W>/shadow-link"),
        ],
    },
    Trigger {
        rule: "Clear Log Activities",
        expect: &[
            ("proc.name", "sh"),
            ("fd.name", "<W>/auth.log"),
            ("user.name", "root"),
        ],
    },
    Trigger {
        rule: "Search Private Keys or Passwords",
        expect: &[
            ("proc.name", "grep"),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", "grep -rl BEGIN PRIVATE <W>"),
        ],
    },
    Trigger {
        rule: "Remove Bulk Data from Disk",
        expect: &[
            ("proc.name", "shred"),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", "shred -u <W>/data"),
        ],
    },
    Trigger {
        rule: "Find AWS Credentials",
        expect: &[
            ("proc.name", "find"),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", "find <W>/.aws/credentials"),
        ],
    },
];

/// Fields every zone alert of the workload must have, and of the zone's own command.
const WORKLOAD_FIELDS: &[(&str, &str)] = &[
    ("container.name", "web"),
    ("container.image.repository", "docker.io/library/nginx"),
    ("k8s.pod.name", "web-0"),
    ("k8s.ns.name", "shop"),
    ("edera.zone.name", "shop"),
];
const ZONE_OWN_FIELDS: &[(&str, &str)] = &[("container.id", "host"), ("edera.zone.name", "shop")];

/// The script's directory: the script, its `nginx` (a copy of /bin/sh) and the `go` file.
struct Stage {
    dir: tempfile::TempDir,
}

impl Stage {
    fn new() -> Stage {
        let dir = tempfile::Builder::new()
            .prefix("edera-stock-e2e")
            .tempdir()
            .unwrap();
        std::fs::write(dir.path().join("trigger.sh"), SCRIPT).unwrap();
        std::fs::copy("/bin/sh", dir.path().join("nginx")).unwrap();
        Stage { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The command that runs the script with work directory `work` (no `:` or `,` in it, as
    /// the daemon's `--workload` syntax needs).
    fn command(&self, work: &str) -> String {
        let d = self.path().display();
        format!("sh {d}/trigger.sh {d}/{work}")
    }

    fn go(&self) {
        std::fs::write(self.path().join("go"), "").unwrap();
    }
}

/// Does `alert` have every `(field, value)` of `expect`, `<W>` read as `work`?
fn has_fields(alert: &Alert, expect: &[(&str, &str)], work: &Path) -> bool {
    let work = work.display().to_string();
    expect
        .iter()
        .all(|(f, v)| alert.field(f).as_deref() == Some(v.replace("<W>", &work).as_str()))
}

fn is_probe(alert: &Alert) -> bool {
    alert.rule == "Read sensitive file untrusted"
        && alert.field("fd.name").as_deref() == Some(PROBE_FILE)
}

/// The alert of `trigger` among `alerts`, with its expected fields.
fn fired<'a>(alerts: &[&'a Alert], trigger: &Trigger, work: &Path) -> Option<&'a Alert> {
    alerts
        .iter()
        .copied()
        .find(|a| a.rule == trigger.rule && has_fields(a, trigger.expect, work))
}

/// Prints the alert of each trigger that fired as expected; per trigger: did it.
fn report(label: &str, alerts: &[&Alert], work: &Path) -> Vec<bool> {
    println!("{label} alerts:");
    TRIGGERS
        .iter()
        .map(|t| {
            let hit = fired(alerts, t, work);
            if let Some(a) = hit {
                println!("  {}: {:?}", t.rule, a.fields);
            }
            hit.is_some()
        })
        .collect()
}

fn all_fired(alerts: &[&Alert], work: &Path) -> bool {
    TRIGGERS.iter().all(|t| fired(alerts, t, work).is_some())
}

/// What was seen of each trigger, for the assertion messages.
fn missing(alerts: &[&Alert], work: &Path) -> String {
    let mut out = String::new();
    for t in TRIGGERS.iter().filter(|t| fired(alerts, t, work).is_none()) {
        out += &format!(
            "\n{} did not fire as expected {:?}; its alerts:",
            t.rule, t.expect
        );
        for a in alerts.iter().filter(|a| a.rule == t.rule) {
            out += &format!("\n  {:?}", a.fields);
        }
    }
    out
}

/// Falco's stock rules (the stable file) as text.
fn stock_rules(shared: &Path) -> String {
    std::fs::read_to_string(shared.join("reference/falco-rules/falco_rules.yaml")).unwrap()
}

#[test]
fn stock_rules_fire_alike_on_the_host_and_in_a_zone_workload() {
    let Some(shared) = falco::shared_dir() else {
        println!("skipped: ../shared/falco is absent");
        return;
    };
    if !falco::is_root() {
        println!("skipped: the modern eBPF probe and zones need root");
        return;
    }
    let host = host_half(&shared);
    let zone = zone_half(&shared);
    println!("\n| rule | host fired | zone workload fired | zone own fired | fields compared |");
    println!("|---|---|---|---|---|");
    let show = |fired: bool| if fired { "yes" } else { "NO" };
    for (i, t) in TRIGGERS.iter().enumerate() {
        let fields: Vec<&str> = t.expect.iter().map(|(f, _)| *f).collect();
        let (workload, own) = zone
            .as_ref()
            .map_or(("skipped", "skipped"), |z| (show(z[i].0), show(z[i].1)));
        println!(
            "| {} | {} | {workload} | {own} | {} |",
            t.rule,
            show(host[i]),
            fields.join(", ")
        );
    }
    if zone.is_some() {
        println!(
            "zone workload alerts also carry {WORKLOAD_FIELDS:?} and a 12-character container.id; the zone's own carry {ZONE_OWN_FIELDS:?}"
        );
    }
    assert!(host.iter().all(|&h| h), "see the host half's messages");
    if let Some(z) = zone {
        assert!(
            z.iter().all(|&(w, o)| w && o),
            "see the zone half's messages"
        );
    }
}

/// The host half: the script under the modern eBPF probe with the stock rules. Per trigger:
/// did it fire as expected.
fn host_half(shared: &Path) -> Vec<bool> {
    falco::mount_probe_filesystems().unwrap();
    let stage = Stage::new();
    let stub = falco::build_container_stub(shared, stage.path()).unwrap();
    // The stock file requires the container plugin; the stub serves its fields under another
    // name, so that one requirement goes. Everything else is the file as shipped.
    let Value::Sequence(mut items) = serde_yaml_ng::from_str(&stock_rules(shared)).unwrap() else {
        panic!("the stock rules file is a sequence");
    };
    items.retain(|i| i.get("required_plugin_versions").is_none());
    let rules = stage.path().join("falco_rules.yaml");
    std::fs::write(&rules, serde_yaml_ng::to_string(&items).unwrap()).unwrap();
    let config = format!(
        r#"engine: {{kind: modern_ebpf, modern_ebpf: {{disable_iterators: true}}}}
load_plugins: [container_stub]
plugins:
  - name: container_stub
    library_path: {}
    init_config: ""
append_output:
  - match: {{source: syscall}}
    extra_fields: [container.id, container.name, proc.name, proc.pname, fd.name, user.name, proc.cmdline, "proc.env[{MARK_VAR}]"]
"#,
        stub.display()
    );
    let mut falco = Falco::start(
        stage.path(),
        &config,
        &[rules],
        &[("LIBPMAN_AVOID_BPF_LOOP", "1")],
    )
    .unwrap();
    // The stage's directory is unique: its name marks the script's processes.
    let mark = stage.path().display().to_string();
    let ours = |alerts: &[Alert]| -> Vec<Alert> {
        alerts
            .iter()
            .filter(|a| a.field(&format!("proc.env[{MARK_VAR}]")).as_deref() == Some(&mark))
            .cloned()
            .collect()
    };
    // The script must start once the probe captures: a process started between Falco's scan of
    // /proc and the probe's start is unknown to Falco, and so are its children's parent fields.
    // Until then, the test reads the probe file itself, from a process Falco's scan found.
    let ready = Instant::now();
    loop {
        let probe = Command::new("cat")
            .arg(PROBE_FILE)
            .env(MARK_VAR, &mark)
            .stdout(Stdio::null())
            .status();
        assert!(probe.is_ok_and(|s| s.success()), "cat {PROBE_FILE}");
        let seen = falco.alerts_until(Duration::from_millis(500), |a| ours(a).iter().any(is_probe));
        match seen {
            Ok(()) => break,
            Err(e @ WaitError::Ended(_)) => panic!("{e}"),
            Err(e) if ready.elapsed() > READY_WITHIN => {
                panic!("Falco never saw the probe: {e}\n{}", falco.log_tail())
            }
            Err(_) => {}
        }
    }
    stage.go();
    let work = stage.path().join("host");
    let script = KillOnDrop(
        Command::new("sh")
            .arg(stage.path().join("trigger.sh"))
            .arg(&work)
            .env(MARK_VAR, &mark)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let result = falco.alerts_until(FIRED_WITHIN, |a| {
        all_fired(&ours(a).iter().collect::<Vec<_>>(), &work)
    });
    drop(script);
    let alerts = ours(falco.alerts());
    falco.stop();
    let alerts: Vec<&Alert> = alerts.iter().collect();
    if let Err(e) = result {
        println!("host: {e}{}", missing(&alerts, &work));
    }
    for a in &alerts {
        assert_eq!(a.field("container.id").as_deref(), Some("host"));
    }
    report("host", &alerts, &work)
}

/// Why the zone half cannot run yet, if it cannot.
fn zone_half_gate(daemon: &Path) -> Option<String> {
    let help = Command::new(daemon).arg("--help").output().ok()?;
    if !String::from_utf8_lossy(&help.stdout).contains("--workload") {
        return Some("the daemon has no --workload option yet".into());
    }
    let fields = edera_falco_harness::library::plugin_library()
        .fields()
        .unwrap_or_default();
    let served = |name: &str| fields.iter().any(|f| f["name"] == name);
    [
        "container.name",
        "container.image.repository",
        "k8s.pod.name",
        "k8s.ns.name",
    ]
    .iter()
    .find(|f| !served(f))
    .map(|f| format!("the plugin does not serve {f} yet"))
}

/// A started script (it idles after acting) or daemon, killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the daemon and waits until it serves (its log says `serving`).
fn start_daemon(daemon: &Path, agent: &Path, socket: &Path, args: &[String]) -> KillOnDrop {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(daemon)
        .arg("--socket")
        .arg(socket)
        .arg("--agent")
        .arg(agent)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let serving = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.starts_with("serving"));
    let daemon = KillOnDrop(child);
    assert!(serving, "the daemon ended before serving");
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    daemon
}

/// The zone half: the same script in zone `shop`, in workload `web` and in the zone's own
/// command, under Falco with the plugin and the converted rules. Per trigger: did it fire as
/// expected in the workload, in the zone's own command; `None` when gated off.
fn zone_half(shared: &Path) -> Option<Vec<(bool, bool)>> {
    let build = |package, file| artifact::build(package, file).unwrap_or_else(|e| panic!("{e}"));
    let daemon = build("edera-falco-daemon", "edera-falco-daemon");
    if let Some(why) = zone_half_gate(&daemon) {
        println!("zone half skipped: {why}");
        return None;
    }
    let agent = build("edera-falco-agent", "edera-falco-agent");
    let stage = Stage::new();
    let text = stock_rules(shared);
    let converted = convert(
        &[RulesFile {
            name: "falco_rules.yaml",
            text: &text,
        }],
        &Options::default(),
    )
    .unwrap();
    let rules = stage.path().join("zone_rules.yaml");
    std::fs::write(&rules, converted.yaml).unwrap();
    let socket = stage.path().join("daemon.socket");
    let _daemon = start_daemon(
        &daemon,
        &agent,
        &socket,
        &[
            "--zone".into(),
            format!("shop={}", stage.command("zone-own")),
            "--workload".into(),
            format!(
                "shop/web=docker.io/library/nginx:1.27,io.kubernetes.pod.name=web-0,io.kubernetes.pod.namespace=shop:{}",
                stage.command("web")
            ),
        ],
    );
    let config = format!(
        r#"engine: {{kind: nodriver}}
load_plugins: [edera]
plugins:
  - name: edera
    library_path: {}
    init_config: {{socket: {}}}
    open_params: ""
append_output:
  - match: {{source: edera_zone}}
    extra_fields: [container.id, container.name, container.image.repository, k8s.pod.name, k8s.ns.name, edera.zone.name, proc.name, proc.pname, fd.name, user.name, proc.cmdline]
"#,
        edera_falco_harness::library::plugin_library()
            .path
            .display(),
        socket.display()
    );
    let mut falco = Falco::start(stage.path(), &config, &[rules], &[]).unwrap();
    let in_workload = |a: &&Alert| a.field("container.name").as_deref() == Some("web");
    let in_zone_own = |a: &&Alert| a.field("container.id").as_deref() == Some("host");
    let (web, own) = (stage.path().join("web"), stage.path().join("zone-own"));
    let ready = falco.alerts_until(READY_WITHIN, |a| {
        a.iter().filter(in_workload).any(is_probe) && a.iter().filter(in_zone_own).any(is_probe)
    });
    if let Err(e) = ready {
        panic!(
            "Falco never saw both zone scripts: {e}\n{}",
            falco.log_tail()
        );
    }
    stage.go();
    let result = falco.alerts_until(FIRED_WITHIN, |a| {
        all_fired(&a.iter().filter(in_workload).collect::<Vec<_>>(), &web)
            && all_fired(&a.iter().filter(in_zone_own).collect::<Vec<_>>(), &own)
    });
    let alerts = falco.alerts().to_vec();
    falco.stop();
    let workload: Vec<&Alert> = alerts.iter().filter(in_workload).collect();
    let zone_own: Vec<&Alert> = alerts.iter().filter(in_zone_own).collect();
    if let Err(e) = result {
        println!(
            "zone: {e}\nworkload:{}\nzone's own:{}",
            missing(&workload, &web),
            missing(&zone_own, &own)
        );
    }
    for a in &workload {
        assert!(has_fields(a, WORKLOAD_FIELDS, &web), "{:?}", a.fields);
        let id = a.field("container.id").unwrap_or_default();
        assert!(id.len() == 12 && id != "host", "container.id {id:?}");
    }
    for a in &zone_own {
        assert!(has_fields(a, ZONE_OWN_FIELDS, &own), "{:?}", a.fields);
    }
    let workload = report("zone workload", &workload, &web);
    let zone_own = report("zone's own command", &zone_own, &own);
    Some(workload.into_iter().zip(zone_own).collect())
}
