//! The agent against Falco's own modern eBPF probe on the same kernel (issue 12, "Measured
//! against the probe"): one workload (`tests/workloads/parity.c`: files, sockets, execs with a
//! memfd exec, ptrace attach and PTRACE_TRACEME, mmap/mprotect, a mount namespace, a thread, a
//! setuid and more) runs once under the probe, Falco writing the capture, and once under the
//! agent as in a zone (in a pid namespace of its own), the agent writing it. Both captures are replayed through Falco's own libsinsp
//! (`engine.kind: replay`) with one rule printing the type, direction, arguments and process
//! fields of every event of the workload's processes (the workload's comm name and its
//! descendants: the probe sees the whole machine).
//!
//! - Per event type: the same count, the same arguments and the same process and fd fields,
//!   once the values that differ between two runs are normalised ([`normalise`] says which and
//!   why). The table is printed; every type must agree but those in [`EXCEPTIONS`], each with
//!   its reason, and a listed type that agrees fails the test (remove it from the list).
//!   Arguments in [`ARG_EXCEPTIONS`] are left out of that comparison, each with its reason;
//!   each must still differ somewhere ([`RACES`], left out too, may agree). Fields
//!   in [`FIELD_EXCEPTIONS`] are left out of that comparison and get their own table (the
//!   event types each differs on); each must still differ somewhere.
//! - On the agent's capture, Falco's libsinsp and the plugin give the same field values, event
//!   by event (matched by time and thread), but for the fields in [`PLUGIN_EXCEPTIONS`].
//! - The stock PTRACE and fileless-execution rules fire on both captures: converted and run
//!   through the plugin on the agent's (the zone's), as shipped through libsinsp on the probe's
//!   (the host's), but for the zone rules in [`ZONE_RULE_EXCEPTIONS`].
//!
//! Skipped, with the reason, without `../shared/falco`, root, clang or eBPF.
//! `cargo test -p edera-falco-tests --test probe_parity -- --nocapture` shows the tables.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use edera_falco_agent::record::BLOB_LEN;
use edera_falco_harness::artifact;
use edera_falco_harness::falco::{self, Alert, Falco, WaitError};
use edera_falco_harness::fixtures::{replay_config, replay_fields};
use edera_falco_rules::{RulesFile, convert};
use edera_scap::file::{CaptureReader, GeneratedTable, InterfaceAddr, Limits};
use serde_yaml_ng::Value;

/// The workload's executable name: its comm, which marks its processes.
const WORKLOAD: &str = "edera-parity";
/// What starts the probe's capture: an exec of the workload (the capture holds every event of
/// the machine from there).
const CAPTURE_RULE: &str = "parity workload starts";
/// A copy of /bin/true run until Falco reports it: Falco sees new processes.
const READY: &str = "parity-ready";
/// How long Falco may take to start (the probe) and to replay a capture.
const FALCO_WITHIN: Duration = Duration::from_secs(60);

/// The process (and fd) fields compared on every event.
const PROC_FIELDS: &[&str] = &[
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "proc.cwd",
    "proc.pname",
    "proc.pcmdline",
    "proc.tty",
    "proc.is_exe_writable",
    "proc.is_exe_upper_layer",
    "proc.is_exe_lower_layer",
    "proc.is_exe_from_memfd",
    "user.uid",
    "user.name",
    "user.loginuid",
    "group.gid",
    "thread.cap_effective",
    "thread.ismain",
    "fd.name",
    "fd.typechar",
];

/// Socket fields compared between libsinsp and the plugin on the agent's capture (the
/// addresses libsinsp completes from the capture's interface list among them).
const NET_FIELDS: &[&str] = &[
    "fd.cip",
    "fd.sip",
    "fd.lip",
    "fd.rip",
    "fd.cport",
    "fd.sport",
    "fd.lport",
    "fd.rport",
    "fd.l4proto",
];

/// Process fields the agent does not give as the probe does on main today, and why: left out
/// of the per-syscall comparison and shown in their own table. A listed field that agrees on
/// every event type fails the test: remove it from the list.
const FIELD_EXCEPTIONS: &[(&str, &str)] = &[(
    "proc.cwd",
    "libsinsp shows `/` on the probe's capture, whose clone and execve exits carry no cwd, and \
     the directory the workload runs in (the test's) on the agent's, whose exits carry the cwd \
     read from the kernel",
)];

/// Whether [`PROC_FIELDS`]`[i]` is compared per syscall (not a [`FIELD_EXCEPTIONS`] one).
fn compared(i: usize) -> bool {
    !FIELD_EXCEPTIONS.iter().any(|(f, _)| *f == PROC_FIELDS[i])
}

/// The compared process fields of `e`.
fn compared_procs(e: &Event) -> Vec<&str> {
    (0..PROC_FIELDS.len())
        .filter(|&i| compared(i))
        .map(|i| e.procs[i].as_str())
        .collect()
}

/// Event types whose comparison may fail on main today, and why. A listed type that agrees
/// fails the test: remove it from the list.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "close",
    "the fd's name: the agent names the pipes the workload inherits (its stdout and stderr, \
     fds 1 and 2) as /proc does (`pipe:[N]`), libsinsp on the probe's capture leaves them \
     empty",
)];

/// Arguments left out of the per-syscall comparison, by syscall, and why: each must still
/// differ on some event of its syscall (else the test fails: remove it from the list).
const ARG_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "clone",
        "cwd",
        "the agent sends the working directory it reads from the kernel (the issue's process \
         fields); the modern probe leaves it empty (an upstream TODO, libsinsp prints `<NA>`)",
    ),
    ("clone3", "cwd", "as clone"),
    ("execve", "cwd", "as clone"),
];

/// Arguments whose value on the probe's side depends on scheduling, and why: left out of the
/// comparison, as [`ARG_EXCEPTIONS`], but they may agree.
const RACES: &[(&str, &str, &str)] = &[(
    "clone3",
    "flags",
    "on x86_64 the modern probe reads a new thread's clone3 flags at the thread's own exit, \
     from the caller's struct clone_args on the caller's stack, which the caller may have \
     reused by then (probe \"0\": no CLONE_THREAD); the agent reads them in the caller's \
     context at sched_process_fork (agent/tests/live_process.rs checks them)",
)];

/// Whether argument `name` of syscall `ty` is an [`ARG_EXCEPTIONS`] or a [`RACES`] one.
fn arg_excepted(ty: &str, name: &str) -> bool {
    ARG_EXCEPTIONS
        .iter()
        .chain(RACES)
        .any(|(t, n, _)| *t == ty && *n == name)
}

/// Fields the plugin and libsinsp give differently on the agent's capture, and why.
const PLUGIN_EXCEPTIONS: &[(&str, &str)] = &[];

/// Stock rules that do not fire on the zone's capture on main today, and why.
const ZONE_RULE_EXCEPTIONS: &[(&str, &str)] = &[];

/// The stock rules that must fire on the workload.
const STOCK_RULES: &[&str] = &[
    "PTRACE attached to process",
    "PTRACE anti-debug attempt",
    "Fileless execution via memfd_create",
];

/// Event types not compared: their counts depend on scheduling, not on the workload.
const RUN_DEPENDENT: &[(&str, &str)] = &[(
    "futex",
    "pthread_join waits on a futex only when the thread has not ended yet",
)];

/// One event of the workload as libsinsp printed it.
#[derive(Debug, Clone)]
struct Event {
    key: (String, String),
    ty: String,
    /// Arguments, normalised, in order, but the [`ARG_EXCEPTIONS`] ones.
    args: Vec<(String, String)>,
    /// The [`ARG_EXCEPTIONS`] arguments, normalised.
    excepted: Vec<(String, String)>,
    /// [`PROC_FIELDS`], normalised, in order.
    procs: Vec<String>,
    /// Every printed field as libsinsp gave it (for the plugin comparison).
    raw: BTreeMap<String, Option<String>>,
}

/// The workload compiled into `dir`.
fn build_workload(dir: &Path) -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/parity.c");
    let out = dir.join(WORKLOAD);
    let status = Command::new("clang")
        .args(["-O1", "-Wall", "-Werror", "-pthread", "-o"])
        .arg(&out)
        .arg(&source)
        .status()
        .map_err(|e| format!("cannot run clang: {e}"))?;
    status
        .success()
        .then_some(out)
        .ok_or_else(|| format!("clang of {} failed: {status}", source.display()))
}

/// A fresh, empty work directory `name` under `dir`.
fn work_dir(dir: &Path, name: &str) -> PathBuf {
    let work = dir.join(name);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    work
}

/// How many times a run is made when a probe drops events (a busy machine).
const ATTEMPTS: usize = 3;

/// `run`'s result once it has no drops (`Err` says what dropped), within [`ATTEMPTS`].
fn without_drops<T>(what: &str, mut run: impl FnMut() -> Result<T, String>) -> T {
    for attempt in 1..=ATTEMPTS {
        match run() {
            Ok(v) => return v,
            Err(e) => println!("{what}, attempt {attempt}: {e}"),
        }
    }
    panic!("{what}: drops in each of {ATTEMPTS} attempts (a busy machine)");
}

/// Runs the workload with its output to a pipe, as under the agent (which sends it to its
/// standard error, a pipe to the test).
fn run_workload(workload: &Path, work: &Path) {
    let run = Command::new(workload).arg(work).output().unwrap();
    assert!(run.status.success(), "the workload fails: {run:?}");
}

/// Falco's alert that its probe dropped events.
const DROP_RULE: &str = "Falco internal: syscall event drop";
/// How often Falco checks for drops, and a margin.
const DROP_CHECK: Duration = Duration::from_millis(1200);

/// The workload under the modern probe, Falco writing the capture; the capture's path, or
/// `Err` when the probe dropped events.
fn probe_capture(dir: &Path, workload: &Path, work: &Path) -> Result<PathBuf, String> {
    falco::mount_probe_filesystems().unwrap();
    let ready = dir.join(READY);
    std::fs::copy("/bin/true", &ready).unwrap();
    // The marker rule names every event type but the page fault and context switch tracepoints:
    // Falco then enables every syscall (base_syscalls.all: also those it leaves out by default).
    let rules = dir.join("probe_rules.yaml");
    std::fs::write(
        &rules,
        format!(
            r#"- rule: {CAPTURE_RULE}
  desc: an exec of the workload, which starts the capture
  condition: evt.type = execve and proc.name = {WORKLOAD}
  output: "%proc.name"
  priority: INFO
  capture: true
  capture_duration: 60000
- rule: parity marker
  desc: the test's marker process ran
  condition: proc.name = {READY} and not evt.type in (page_fault, switch)
  output: "%proc.name %proc.args"
  priority: INFO
"#
        ),
    )
    .unwrap();
    let captures = work_dir(dir, "probe");
    let prefix = captures.join("probe");
    let config = format!(
        "engine: {{kind: modern_ebpf, modern_ebpf: {{disable_iterators: true}}}}\n\
         base_syscalls: {{all: true}}\n\
         syscall_event_drops: {{threshold: 0, actions: [alert]}}\n\
         falco_libs: {{snaplen: {BLOB_LEN}}}\n\
         capture: {{enabled: true, path_prefix: {}, mode: rules}}\n",
        prefix.display()
    );
    let mut falco = Falco::start(dir, &config, &[rules], &[("LIBPMAN_AVOID_BPF_LOOP", "1")])
        .unwrap_or_else(|e| panic!("{e}"));
    let marked = |arg: &'static str| {
        move |alerts: &[Alert]| {
            alerts
                .iter()
                .any(|a| a.field("proc.args").as_deref() == Some(arg))
        }
    };
    // Falco sees new processes once the probe captures: until then, run the marker.
    let start = Instant::now();
    loop {
        Command::new(&ready).arg("ready").status().unwrap();
        match falco.alerts_until(Duration::from_millis(500), marked("ready")) {
            Ok(()) => break,
            Err(e @ WaitError::Ended(_)) => panic!("{e}"),
            Err(e) if start.elapsed() > FALCO_WITHIN => {
                panic!("Falco never saw the marker: {e}\n{}", falco.log_tail())
            }
            Err(_) => {}
        }
    }
    run_workload(workload, work);
    // Falco processes events in time order: once it reports the end marker, the workload's
    // events are in the capture.
    Command::new(&ready).arg("end").status().unwrap();
    let ended = falco.alerts_until(FALCO_WITHIN, marked("end"));
    ended.unwrap_or_else(|e| panic!("{e}\n{}", falco.log_tail()));
    // Falco checks for drops once a second: let one check pass.
    let is_drop = |a: &Alert| a.rule == DROP_RULE;
    let _ = falco.alerts_until(DROP_CHECK, |a| a.iter().any(is_drop));
    let drops: Vec<_> = falco
        .alerts()
        .iter()
        .filter(|a| is_drop(a))
        .cloned()
        .collect();
    falco.stop();
    if let Some(drop) = drops.first() {
        return Err(format!("{DROP_RULE}: {:?}", drop.fields));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&captures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one capture by Falco: {files:?}");
    Ok(files.remove(0))
}

/// The workload under the agent as in a zone: in a pid namespace of its own with the agent
/// (`stream --own-pid-namespace`, as the stand-in daemon runs it), so that the agent captures
/// the workload and not the rest of the machine. The capture's path, `None` when the agent's
/// probe cannot be attached, `Err` when it dropped events.
fn agent_capture(dir: &Path, workload: &Path, work: &Path) -> Result<Option<PathBuf>, String> {
    let agent = artifact::build("edera-falco-agent", "edera-falco-agent").unwrap();
    let out = dir.join("agent.scap");
    let run = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(agent)
        .args(["stream", "--own-pid-namespace", "--"])
        .arg(workload)
        .arg(work)
        .stdout(std::fs::File::create(&out).unwrap())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&run.stderr);
    if !run.status.success() {
        // A program the verifier refuses is a failure, not a machine without eBPF.
        let refused = log.contains("Verifier output");
        if !refused && (log.contains("eBPF") || log.contains("loading") || log.contains("attach")) {
            println!("skipped: cannot attach the agent's probe: {log}");
            return Ok(None);
        }
        panic!("the agent fails: {}\n{log}", run.status);
    }
    // Its last line: `stream ended: N events, drops per CPU [a, b], command exit Some(0)`.
    let end = log.lines().find(|l| l.starts_with("stream ended:"));
    let end = end.unwrap_or_else(|| panic!("the agent's log has no end: {log}"));
    assert!(end.ends_with("command exit Some(0)"), "{end}");
    let drops = end
        .split_once("drops per CPU [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| {
            list.split(", ")
                .map(|d| d.parse::<u64>().unwrap_or(1))
                .sum()
        });
    match drops {
        Some(0) => Ok(Some(out)),
        _ => Err(end.to_owned()),
    }
}

/// Whether `capture`'s interface list, read by the project's reader, has `lo` at 127.0.0.1/8.
fn holds_loopback(capture: &Path) -> bool {
    let file = std::fs::File::open(capture).unwrap();
    let mut reader = CaptureReader::new(
        std::io::BufReader::new(file),
        GeneratedTable,
        Limits::default(),
    )
    .unwrap();
    let state = reader.read_state().unwrap();
    state.interfaces.iter().any(|i| {
        i.name == b"lo"
            && i.addr
                == InterfaceAddr::V4 {
                    addr: Ipv4Addr::LOCALHOST,
                    netmask: Ipv4Addr::new(255, 0, 0, 0),
                    bcast: Ipv4Addr::UNSPECIFIED,
                }
    })
}

/// Runs Falco with `args` until it ends (a replay ends with its capture); its alerts.
fn alerts_to_end(dir: &Path, config: &str, rules: &[PathBuf], args: &[&str]) -> Vec<Alert> {
    let mut falco =
        Falco::start_with_args(dir, config, rules, &[], args).unwrap_or_else(|e| panic!("{e}"));
    match falco.alerts_until(FALCO_WITHIN, |_| false) {
        Err(WaitError::Ended(_)) => {}
        other => panic!("Falco did not end: {other:?}\n{}", falco.log_tail()),
    }
    falco.alerts().to_vec()
}

/// Every event of the workload in `capture`, through Falco's libsinsp.
fn libsinsp_events(dir: &Path, capture: &Path, work: &Path) -> Vec<Event> {
    let mut fields = vec![
        "evt.rawtime",
        "thread.tid",
        "proc.pid",
        "evt.type",
        "evt.dir",
        "evt.args",
    ];
    fields.extend_from_slice(PROC_FIELDS);
    fields.extend_from_slice(NET_FIELDS);
    let output: Vec<String> = fields.iter().map(|f| format!("%{f}")).collect();
    let rules = dir.join("replay_rules.yaml");
    std::fs::write(
        &rules,
        format!(
            r#"- rule: parity event
  desc: every syscall event of the workload's processes
  condition: (proc.name = {WORKLOAD} or proc.aname = {WORKLOAD}) and not evt.type in (page_fault, switch)
  output: "{}"
  priority: INFO
"#,
            output.join(" ")
        ),
    )
    .unwrap();
    let config = format!(
        "engine: {{kind: replay, replay: {{capture_file: {}}}}}\n",
        capture.display()
    );
    let alerts = alerts_to_end(dir, &config, &[rules], &[]);
    let work = work.display().to_string();
    // The first event is the exec of the workload: its process is the root of the tree.
    let root = alerts.first().and_then(|a| a.field("proc.pid"));
    alerts
        .iter()
        .map(|a| {
            let is_root = a.field("proc.pid") == root;
            let raw: BTreeMap<String, Option<String>> =
                fields.iter().map(|f| (f.to_string(), a.field(f))).collect();
            let text = |f: &str| raw[f].clone().unwrap_or_default();
            let ty = format!("{} {}", text("evt.type"), text("evt.dir"));
            let (excepted, args) = split_args(&text("evt.args"))
                .into_iter()
                .map(|(n, v)| {
                    let v = normalise(&text("evt.type"), &n, &v, &work);
                    (n, v)
                })
                .partition(|(n, _)| arg_excepted(&text("evt.type"), n));
            let procs = PROC_FIELDS
                .iter()
                .map(|f| normalise_field(f, &text(f), &work, is_root))
                .collect();
            Event {
                key: (text("evt.rawtime"), text("thread.tid")),
                ty,
                args,
                excepted,
                procs,
                raw,
            }
        })
        .collect()
}

/// `evt.args` (`name=value name=value ...`, values may hold spaces) as (name, value) pairs.
fn split_args(args: &str) -> Vec<(String, String)> {
    let is_name = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    // Where each argument starts: at 0 or after a space, a name, then `=`.
    let mut starts = Vec::new();
    for (i, _) in args.match_indices('=') {
        let begin = args[..i].rfind(' ').map_or(0, |s| s + 1);
        if is_name(&args[begin..i]) {
            starts.push((begin, i));
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(k, &(begin, eq))| {
            let end = starts.get(k + 1).map_or(args.len(), |&(b, _)| b);
            (
                args[begin..eq].to_owned(),
                args[eq + 1..end].trim_end().to_owned(),
            )
        })
        .collect()
}

/// What differs between two runs in any value: the work directory (each run its own) by
/// `<W>`, ports of IPv4 endpoints (the kernel picks them) by `<port>`, kernel addresses (of
/// unix sockets in fd names) by `<addr>`, pipe inode numbers by `<ino>`.
fn run_free(text: &str, work: &str) -> String {
    let text = without_kernel_addresses(&without_ports(&text.replace(work, "<W>")));
    match text.split_once("pipe:[") {
        Some((head, tail)) => match tail.split_once(']') {
            Some((_, rest)) => format!("{head}pipe:[<ino>]{rest}"),
            None => text,
        },
        None => text,
    }
}

/// Kernel addresses (16 hex digits from `ffff`) replaced by `<addr>`.
fn without_kernel_addresses(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("ffff") {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        let len = if hex == 16 { 16 } else { 4 };
        out.push_str(if hex == 16 { "<addr>" } else { &tail[..4] });
        rest = &tail[len..];
    }
    out + rest
}

/// Ports of `a.b.c.d:port` replaced by `<port>`.
fn without_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(':') {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let is_ipv4 = head
            .rsplit(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .is_some_and(|ip| ip.matches('.').count() == 3);
        let digits = tail[1..].bytes().take_while(u8::is_ascii_digit).count();
        if is_ipv4 && digits > 0 {
            out.push_str(":<port>");
            rest = &tail[1 + digits..];
        } else {
            out.push(':');
            rest = &tail[1..];
        }
    }
    out + rest
}

/// An argument's value with what differs between two runs replaced:
/// - what [`run_free`] replaces;
/// - process and thread ids (pid, tid, ptid, ..., and the result of clone/fork/wait4) by
///   `<pid>`;
/// - addresses (mmap's, brk's, futex and robust-list pointers, socketpair's kernel socket
///   pointers, ...) by `<addr>`;
/// - inode numbers and their times (files are created anew) by `<ino>`;
/// - page-fault counts and memory sizes (they vary with the run) by `<mem>`;
/// - a clone child's pid namespace init start, when there is one, by `<start>`: the probe's run
///   is in the host's namespace (its init started at boot), the agent's in one of its own, as
///   in a zone (its init is the agent, started by the test);
/// - getrandom's bytes by `<random>`;
/// - semaphore ids (semget's result, semid) by `<ipc>`.
fn normalise(ty: &str, name: &str, value: &str, work: &str) -> String {
    let value = run_free(value, work);
    // A result may be followed by its meaning: `8861(edera-parity)`, `-2(ENOENT)`.
    let number = value.split('(').next().unwrap_or_default();
    let positive = number.parse::<i64>().is_ok_and(|v| v > 0);
    match name {
        "pid" | "tid" | "ptid" | "vpid" | "vtid" | "pgid" | "vpgid" | "sid" | "vsid" => {
            "<pid>".into()
        }
        "res" if positive && matches!(ty, "clone" | "clone3" | "fork" | "vfork" | "wait4") => {
            "<pid>".into()
        }
        "res" if matches!(ty, "mmap" | "mmap2" | "mremap" | "brk") => "<addr>".into(),
        "addr" | "tidptr" | "head" | "rseq" | "uaddr" | "uaddr2" | "old_address"
        | "new_address" | "child_tid" | "parent_tid" | "stack" | "tls" => "<addr>".into(),
        "source" | "peer" if ty == "socketpair" => "<addr>".into(),
        // The modern probe sends copy_file_range's offset pointers, not the offsets.
        "offin" | "offout" if ty == "copy_file_range" => "<addr>".into(),
        "ino" | "exe_ino" | "exe_ino_ctime" | "exe_ino_mtime" => "<ino>".into(),
        "pgft_maj" | "pgft_min" | "vm_size" | "vm_rss" | "vm_swap" => "<mem>".into(),
        "pidns_init_start_ts" if positive => "<start>".into(),
        "buf" if ty == "getrandom" => "<random>".into(),
        // The kernel numbers IPC objects from a counter.
        "res" if positive && ty == "semget" => "<ipc>".into(),
        "semid" => "<ipc>".into(),
        // Key serial numbers are random (keyctl returns a keyring's).
        "res" if positive && ty == "keyctl" => "<key>".into(),
        _ => value,
    }
}

/// A process field's value with what [`run_free`] replaces, and:
/// - the parent of the workload's root process (the test) by `<test>`: Falco's capture starts
///   at the workload's exec and has no parent fields for it;
/// - the inode number that ends the name of a memfd executable (`(deleted)` and the like) cut.
fn normalise_field(field: &str, value: &str, work: &str, is_root: bool) -> String {
    let value = run_free(value, work);
    match field {
        "proc.pname" | "proc.pcmdline" if is_root => "<test>".into(),
        "proc.exe" | "proc.exepath" if value.starts_with("/memfd:") => {
            value.split(" (").next().unwrap_or_default().to_owned()
        }
        _ => value,
    }
}

/// One row of the table: an event type (with its direction) on both sides.
struct Row {
    ty: String,
    probe: usize,
    agent: usize,
    args_agree: bool,
    procs_agree: bool,
    first_difference: String,
}

impl Row {
    fn agrees(&self) -> bool {
        self.probe == self.agent && self.args_agree && self.procs_agree
    }
}

/// The first difference between two sorted lists of events of one type: in the arguments,
/// else in the process fields, else in the count.
fn first_difference(probe: &[&Event], agent: &[&Event]) -> String {
    let pairs = || probe.iter().zip(agent);
    for (p, a) in pairs() {
        for ((name, pv), (aname, av)) in p.args.iter().zip(&a.args) {
            if name != aname || pv != av {
                return format!("{name}: probe {pv:?}, agent {aname}={av:?}");
            }
        }
        if p.args.len() != a.args.len() {
            let names = |e: &Event| e.args.iter().map(|a| a.0.clone()).collect::<Vec<_>>();
            return format!("arguments: probe {:?}, agent {:?}", names(p), names(a));
        }
    }
    for (p, a) in pairs() {
        for (i, (pv, av)) in p.procs.iter().zip(&a.procs).enumerate() {
            if compared(i) && pv != av {
                let field = PROC_FIELDS[i];
                return format!("{field}: probe {pv:?}, agent {av:?}");
            }
        }
    }
    if probe.len() != agent.len() {
        return "count".into();
    }
    String::new()
}

/// The events of type `ty`, sorted by arguments then process fields.
fn of_type<'a>(events: &'a [Event], ty: &str) -> Vec<&'a Event> {
    let mut of: Vec<&Event> = events.iter().filter(|e| e.ty == ty).collect();
    of.sort_by(|a, b| (&a.args, compared_procs(a)).cmp(&(&b.args, compared_procs(b))));
    of
}

/// `part` of every event of `events`, sorted.
fn sorted(events: &[&Event], part: impl Fn(&Event) -> String) -> Vec<String> {
    let mut all: Vec<String> = events.iter().map(|e| part(e)).collect();
    all.sort();
    all
}

/// Per process field: the event types (of equal counts on both sides) on which it differs,
/// and the first difference.
fn field_agreement(probe: &[Event], agent: &[Event]) -> Vec<(Vec<String>, String)> {
    let types: BTreeSet<&str> = probe.iter().chain(agent).map(|e| e.ty.as_str()).collect();
    (0..PROC_FIELDS.len())
        .map(|i| {
            let mut differ = Vec::new();
            let mut example = String::new();
            for ty in types.iter().filter(|ty| !run_dependent(ty)) {
                let value = |e: &Event| e.procs[i].clone();
                let p = sorted(&of_type(probe, ty), value);
                let a = sorted(&of_type(agent, ty), value);
                if p.len() == a.len() && p != a {
                    differ.push(ty.split(' ').next().unwrap_or_default().to_owned());
                    if example.is_empty()
                        && let Some((p, a)) = p.iter().zip(&a).find(|(p, a)| p != a)
                    {
                        example = format!("{ty}: probe {p:?}, agent {a:?}");
                    }
                }
            }
            (differ, example)
        })
        .collect()
}

/// Whether the event type `ty` (with its direction) is a [`RUN_DEPENDENT`] one.
fn run_dependent(ty: &str) -> bool {
    RUN_DEPENDENT
        .iter()
        .any(|(t, _)| ty.split(' ').next() == Some(t))
}

fn compare(probe: &[Event], agent: &[Event]) -> Vec<Row> {
    let types: BTreeSet<&str> = probe.iter().chain(agent).map(|e| e.ty.as_str()).collect();
    types
        .into_iter()
        .map(|ty| {
            let (p, a) = (of_type(probe, ty), of_type(agent, ty));
            let args = |e: &Event| format!("{:?}", e.args);
            let procs = |e: &Event| format!("{:?}", compared_procs(e));
            Row {
                ty: ty.to_owned(),
                probe: p.len(),
                agent: a.len(),
                args_agree: sorted(&p, args) == sorted(&a, args),
                procs_agree: sorted(&p, procs) == sorted(&a, procs),
                first_difference: first_difference(&p, &a),
            }
        })
        .collect()
}

/// Per field: how many events of the agent's capture the plugin gives as libsinsp does, how
/// many differently, and the first difference.
fn plugin_agreement(capture: &Path, events: &[Event]) -> BTreeMap<String, (u64, u64, String)> {
    let mut by_key: BTreeMap<&(String, String), &Event> = BTreeMap::new();
    for e in events {
        by_key.insert(&e.key, e);
    }
    let mut table: BTreeMap<String, (u64, u64, String)> = BTreeMap::new();
    let mut seen = 0;
    replay_fields(capture, |f| {
        let Some(event) = by_key.get(&(f("evt.rawtime"), f("thread.tid"))) else {
            return;
        };
        seen += 1;
        for (field, want) in &event.raw {
            let want = want.clone().unwrap_or_default();
            let got = f(field);
            let cell = table.entry(field.clone()).or_default();
            if got == want {
                cell.0 += 1;
            } else {
                cell.1 += 1;
                if cell.2.is_empty() {
                    cell.2 = format!("{}: libsinsp {want:?}, plugin {got:?}", event.ty);
                }
            }
        }
    });
    let cell = table.entry("(events matched)".into()).or_default();
    cell.0 = seen;
    cell.1 = events.len() as u64 - seen;
    if cell.1 > 0 {
        cell.2 = "libsinsp events the plugin does not give at the same time and thread".into();
    }
    table
}

/// Falco's stock rules file as shipped.
fn stock_rules(shared: &Path) -> String {
    std::fs::read_to_string(shared.join("reference/falco-rules/falco_rules.yaml")).unwrap()
}

/// The `rules:` config that enables only [`STOCK_RULES`].
fn only_stock_rules() -> String {
    let mut config = String::from("rules:\n  - disable: {rule: \"*\"}\n");
    for rule in STOCK_RULES {
        config += &format!("  - enable: {{rule: \"{rule}\"}}\n");
    }
    config
}

/// Per stock rule: did it fire on a process of the workload (the workload itself or a
/// program it ran).
fn stock_fired(alerts: &[Alert]) -> Vec<bool> {
    let ours = |a: &Alert| {
        [a.field("proc.name"), a.field("proc.pname")]
            .iter()
            .any(|n| n.as_deref() == Some(WORKLOAD))
    };
    STOCK_RULES
        .iter()
        .map(|rule| alerts.iter().any(|a| a.rule == *rule && ours(a)))
        .collect()
}

/// The stock rules on the probe's capture through libsinsp (the container stub answers the
/// container fields the rules name, as on a host without containers).
fn stock_rules_on_host(shared: &Path, dir: &Path, capture: &Path) -> Vec<bool> {
    let stub = falco::build_container_stub(shared, dir).unwrap();
    let Value::Sequence(mut items) = serde_yaml_ng::from_str(&stock_rules(shared)).unwrap() else {
        panic!("the stock rules file is a sequence");
    };
    items.retain(|i| i.get("required_plugin_versions").is_none());
    let rules = dir.join("host_rules.yaml");
    std::fs::write(&rules, serde_yaml_ng::to_string(&items).unwrap()).unwrap();
    let config = format!(
        "engine: {{kind: replay, replay: {{capture_file: {}}}}}\n\
         load_plugins: [container_stub]\n\
         plugins:\n  - name: container_stub\n    library_path: {}\n    init_config: \"\"\n\
         append_output:\n  - match: {{source: syscall}}\n    extra_fields: [proc.name, proc.pname]\n{}",
        capture.display(),
        stub.display(),
        only_stock_rules()
    );
    stock_fired(&alerts_to_end(dir, &config, &[rules], &[]))
}

/// The stock rules, converted, on the agent's capture through the plugin.
fn stock_rules_in_zone(shared: &Path, dir: &Path, capture: &Path) -> Vec<bool> {
    let text = stock_rules(shared);
    let converted = convert(
        &[RulesFile {
            name: "falco_rules.yaml",
            text: &text,
        }],
        &edera_falco_rules::Options::default(),
    )
    .unwrap();
    let rules = dir.join("zone_rules.yaml");
    std::fs::write(&rules, converted.yaml).unwrap();
    let config = format!(
        "engine: {{kind: nodriver}}\n\
         load_plugins: [edera]\n\
         plugins:\n  - name: edera\n    library_path: {}\n    init_config: {}\n    open_params: \"\"\n\
         append_output:\n  - match: {{source: edera_zone}}\n    extra_fields: [proc.name, proc.pname]\n{}",
        edera_falco_harness::library::plugin_library()
            .path
            .display(),
        replay_config(capture, ""),
        only_stock_rules()
    );
    stock_fired(&alerts_to_end(
        dir,
        &config,
        &[rules],
        &["--enable-source", "edera_zone"],
    ))
}

#[test]
fn the_agent_captures_what_falcos_probe_captures() {
    let Some(shared) = falco::shared_dir() else {
        println!("skipped: ../shared/falco is absent");
        return;
    };
    if !falco::is_root() {
        println!("skipped: the modern eBPF probe and the agent need root");
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("edera-parity")
        .tempdir()
        .unwrap();
    let workload = match build_workload(dir.path()) {
        Ok(w) => w,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    // Every run works in the same directory (emptied in between), so paths compare as they are.
    let work = dir.path().join("work");
    let agent = without_drops("the agent", || {
        agent_capture(dir.path(), &workload, &work_dir(dir.path(), "work"))
    });
    let Some(agent) = agent else {
        return;
    };
    assert!(
        holds_loopback(&agent),
        "the agent's capture lists the loopback interface"
    );
    let probe = without_drops("Falco's probe", || {
        probe_capture(dir.path(), &workload, &work_dir(dir.path(), "work"))
    });
    let probe_events = libsinsp_events(dir.path(), &probe, &work);
    let agent_events = libsinsp_events(dir.path(), &agent, &work);
    assert!(
        probe_events.iter().any(|e| e.ty == "execve <"),
        "the probe's capture holds the workload"
    );

    let rows = compare(&probe_events, &agent_events);
    println!("\n| event | probe | agent | args agree | proc fields agree | first difference |");
    println!("|---|---|---|---|---|---|");
    let yes = |b: bool| if b { "yes" } else { "NO" };
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.ty,
            r.probe,
            r.agent,
            yes(r.args_agree),
            yes(r.procs_agree),
            r.first_difference.replace('|', "\\|")
        );
    }
    let fields = field_agreement(&probe_events, &agent_events);
    println!("\n| process field | event types that differ | first difference |");
    println!("|---|---|---|");
    for (field, (differ, example)) in PROC_FIELDS.iter().zip(&fields) {
        println!(
            "| {field} | {} | {} |",
            differ.join(" "),
            example.replace('|', "\\|")
        );
    }
    let plugin = plugin_agreement(&agent, &agent_events);
    println!("\n| field (agent's capture) | libsinsp = plugin | differ | first difference |");
    println!("|---|---|---|---|");
    for (field, (agree, differ, example)) in &plugin {
        println!(
            "| {field} | {agree} | {differ} | {} |",
            example.replace('|', "\\|")
        );
    }
    let host = stock_rules_on_host(&shared, dir.path(), &probe);
    let zone = stock_rules_in_zone(&shared, dir.path(), &agent);
    println!("\n| stock rule | host (probe) | zone (agent, plugin) |");
    println!("|---|---|---|");
    for (i, rule) in STOCK_RULES.iter().enumerate() {
        println!("| {rule} | {} | {} |", yes(host[i]), yes(zone[i]));
    }

    // Exceptions and run-dependent types name syscalls: every row (direction) of one.
    let syscall = |r: &Row| r.ty.split(' ').next().unwrap_or_default().to_owned();
    let mut agrees: BTreeMap<String, bool> = BTreeMap::new();
    for r in &rows {
        *agrees.entry(syscall(r)).or_insert(true) &= r.agrees();
    }
    let mut failures = Vec::new();
    for r in rows.iter().filter(|r| !r.agrees()) {
        let name = syscall(r);
        let listed = EXCEPTIONS
            .iter()
            .chain(RUN_DEPENDENT)
            .any(|(t, _)| *t == name);
        if !listed {
            failures.push(format!("{} differs: {}", r.ty, r.first_difference));
        }
    }
    for (ty, _) in EXCEPTIONS {
        if agrees.get(*ty).is_none_or(|a| *a) {
            failures.push(format!(
                "{ty} agrees (or does not occur): remove it from EXCEPTIONS"
            ));
        }
    }
    for (ty, arg, reason) in ARG_EXCEPTIONS {
        // RACES are left out of this check: they may agree.
        let values = |events: &[Event]| {
            let of: Vec<&Event> = events
                .iter()
                .filter(|e| e.ty.split(' ').next() == Some(ty))
                .collect();
            sorted(&of, |e| {
                format!("{:?}", e.excepted.iter().find(|(n, _)| n == arg))
            })
        };
        if values(&probe_events) == values(&agent_events) {
            failures.push(format!(
                "{ty} {arg} agrees ({reason}): remove it from ARG_EXCEPTIONS"
            ));
        }
    }
    for (field, reason) in FIELD_EXCEPTIONS {
        let i = PROC_FIELDS.iter().position(|f| f == field);
        if i.is_none_or(|i| fields[i].0.is_empty()) {
            failures.push(format!(
                "{field} agrees ({reason}): remove it from FIELD_EXCEPTIONS"
            ));
        }
    }
    for (field, (_, differ, example)) in &plugin {
        let listed = PLUGIN_EXCEPTIONS.iter().any(|(f, _)| f == field);
        match (*differ > 0, listed) {
            (true, false) => {
                failures.push(format!("plugin and libsinsp differ on {field}: {example}"))
            }
            (false, true) => {
                failures.push(format!("{field} agrees: remove it from PLUGIN_EXCEPTIONS"))
            }
            _ => {}
        }
    }
    for (i, rule) in STOCK_RULES.iter().enumerate() {
        if !host[i] {
            failures.push(format!("{rule} does not fire on the probe's capture"));
        }
        let listed = ZONE_RULE_EXCEPTIONS.iter().any(|(r, _)| r == rule);
        match (zone[i], listed) {
            (false, false) => failures.push(format!("{rule} does not fire on the zone's capture")),
            (true, true) => failures.push(format!(
                "{rule} fires in the zone: remove it from ZONE_RULE_EXCEPTIONS"
            )),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
