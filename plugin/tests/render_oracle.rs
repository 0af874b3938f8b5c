//! `evt.args`, `evt.info`, `evt.arg[0]`, `evt.arg[1]`, `evt.arg.fd`, `evt.arg.name`,
//! `evt.res`, `evt.rawres` and `evt.failed` of every event of every fixture capture, rendered
//! by `edera_falco_plugin::render`, against Falco 0.45's values
//! (`../shared/fixtures/scap/oracle-falco/NAME.jsonl.gz`, matched by
//! (evt.rawtime, thread.tid, evt.type)).
//!
//! Bootstrapping the state: rendering consults the zone state (fd names, thread names, user
//! names, cwds), which this test does not have. It answers [`Lookup`] from the oracle itself:
//! - the thread is known when the oracle has `proc.pid` for the event;
//! - the fd is known only when it is the event's own fd (`fd.num`, with `fd.typechar`,
//!   `fd.l4proto`, `fd.name` of the same event);
//! - `comm` of the event thread, its process and its parent come from the same event's
//!   `proc.name`/`proc.pname`; other threads' names from the last `proc.name` the oracle showed
//!   for that thread earlier in the file, else the capture's thread table;
//! - user and group names from the capture's user list, then the oracle's `user.*`/`group.*`;
//! - the cwd from the event's `proc.cwd`.
//!
//! The differential test of the whole plugin replaces this with the real state. Disagreements
//! that come from this bootstrap (an fd other than the event's own) are counted separately and
//! listed; every other disagreement fails the test.

use std::collections::{HashMap, VecDeque};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use edera_falco_plugin::render::{self, FdRef, Lookup, Options};
use edera_scap::convert::{Converter, Outcome};
use edera_scap::event::RawEvent;
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use edera_scap::tables::PARAM_NAMES;
use serde_json::Value;

const FIELDS: [&str; 9] = [
    "evt.args",
    "evt.info",
    "evt.arg[0]",
    "evt.arg[1]",
    "evt.arg.fd",
    "evt.arg.name",
    "evt.res",
    "evt.rawres",
    "evt.failed",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scap")
}

/// The oracle's state, for one event.
struct OracleLookup<'a> {
    ev: &'a Value,
    names: &'a Names,
}

/// Names learned from the capture and the whole oracle.
#[derive(Default)]
struct Names {
    /// tid → comm, as of the event being rendered: the capture's thread table, updated in
    /// file order from the oracle's `proc.name`.
    comm_now: HashMap<i64, Vec<u8>>,
    users: HashMap<u32, Vec<u8>>,
    groups: HashMap<u32, Vec<u8>>,
}

fn s<'v>(ev: &'v Value, k: &str) -> Option<&'v str> {
    ev.get(k)?.as_str()
}

fn i(ev: &Value, k: &str) -> Option<i64> {
    ev.get(k)?.as_i64()
}

impl Lookup for OracleLookup<'_> {
    fn has_thread(&self) -> bool {
        !self.ev["proc.pid"].is_null()
    }

    fn fd(&self, fd: i64) -> Option<FdRef<'_>> {
        if i(self.ev, "fd.num")? != fd {
            return None;
        }
        let typechar = *s(self.ev, "fd.typechar")?.as_bytes().first()?;
        let name = s(self.ev, "fd.name").unwrap_or("").as_bytes();
        // libsinsp gives an fd missing from the table a transient description of unknown
        // type ('o') and no name: fd.* fields show it, but the table does not have it.
        if typechar == b'o' && name.is_empty() {
            return None;
        }
        let proto = match s(self.ev, "fd.l4proto") {
            Some("tcp") => Some(b't'),
            Some("udp") => Some(b'u'),
            Some("icmp") => Some(b'i'),
            Some("raw") => Some(b'r'),
            _ => None,
        };
        let proto = proto.filter(|_| matches!(typechar, b'4' | b'6'));
        Some(FdRef {
            typechar,
            proto,
            name,
        })
    }

    fn comm(&self, tid: i64) -> Option<&[u8]> {
        let here = |k: &str, n: &str| {
            (i(self.ev, k) == Some(tid))
                .then(|| s(self.ev, n))
                .flatten()
        };
        if let Some(n) = here("thread.tid", "proc.name").or_else(|| here("proc.ppid", "proc.pname"))
        {
            return Some(n.as_bytes());
        }
        self.names.comm_now.get(&tid).map(Vec::as_slice)
    }

    fn user_name(&self, uid: u32) -> Option<&[u8]> {
        self.names.users.get(&uid).map(Vec::as_slice)
    }

    fn group_name(&self, gid: u32) -> Option<&[u8]> {
        self.names.groups.get(&gid).map(Vec::as_slice)
    }

    fn cwd(&self) -> Option<&[u8]> {
        s(self.ev, "proc.cwd").map(str::as_bytes)
    }
}

fn read_oracle(name: &str) -> Vec<Value> {
    let path = fixtures().join(format!("oracle-falco/{name}.jsonl.gz"));
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .map(|l| serde_json::from_str(&l.expect("oracle line")).expect("oracle json"))
        .collect()
}

/// Our value of field `f`, as the oracle's JSON shows it.
fn ours(f: &str, ev: &RawEvent<'_>, lk: &dyn Lookup, fd_id: u16, name_id: u16) -> Value {
    let opts = Options::default();
    let mut out = Vec::new();
    let has = match f {
        "evt.args" | "evt.info" => {
            render::write_args(&mut out, ev, lk, &opts);
            true
        }
        "evt.arg[0]" => render::write_arg(&mut out, ev, 0, lk, &opts),
        "evt.arg[1]" => render::write_arg(&mut out, ev, 1, lk, &opts),
        "evt.arg.fd" => render::write_arg_named(&mut out, ev, fd_id, lk, &opts),
        "evt.arg.name" => render::write_arg_named(&mut out, ev, name_id, lk, &opts),
        "evt.res" => render::write_res(&mut out, ev, lk, &opts),
        "evt.rawres" => return render::return_value(ev).map_or(Value::Null, Value::from),
        "evt.failed" => return render::failed(ev).map_or(Value::Null, Value::from),
        _ => unreachable!(),
    };
    if has {
        Value::from(String::from_utf8_lossy(&out).into_owned())
    } else {
        Value::Null
    }
}

/// Whether a disagreement comes from the bootstrap: an fd other than the event's own, which
/// the real state would resolve.
fn bootstrap_gap(ours: &Value, theirs: &Value) -> bool {
    let (Some(a), Some(b)) = (ours.as_str(), theirs.as_str()) else {
        return false;
    };
    // Remove every `(<...>...)` or fd-list type character the oracle has and we lack.
    let strip = |t: &str| -> String {
        let mut r = String::new();
        let mut depth = 0usize;
        let mut chars = t.chars().peekable();
        while let Some(c) = chars.next() {
            if depth == 0 && c == '(' && chars.peek() == Some(&'<') {
                depth = 1;
                continue;
            }
            if depth > 0 {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                continue;
            }
            r.push(c);
        }
        r
    };
    let (sa, sb) = (strip(a), strip(b));
    // An fd list entry `4:?1` where the oracle knew the type: `4:61`.
    let same_but_fdlist_types = sa.len() == sb.len()
        && sa
            .bytes()
            .zip(sb.bytes())
            .enumerate()
            .all(|(k, (x, y))| x == y || (x == b'?' && k > 0 && sa.as_bytes()[k - 1] == b':'));
    if same_but_fdlist_types {
        return true;
    }
    // A bare fd number where the oracle resolved one: `3` vs `<f>/etc/passwd`.
    b.starts_with('<') && a.chars().all(|c| c.is_ascii_digit() || c == '-')
}

#[derive(Default)]
struct Tally {
    agree: [u64; FIELDS.len()],
    bootstrap: [u64; FIELDS.len()],
    disagree: [u64; FIELDS.len()],
    matched: u64,
    unmatched_ours: u64,
    unmatched_types: std::collections::BTreeMap<String, u64>,
    unmatched_oracle: u64,
}

fn run_fixture(name: &str, failures: &mut Vec<String>, gaps: &mut Vec<String>) -> Tally {
    let oracle = read_oracle(name);
    let capture = fixtures().join(format!("{name}.scap"));
    let mut reader = CaptureReader::open(&capture, GeneratedTable, Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", capture.display()));
    let state = reader.read_state().expect("state");

    let mut names = Names::default();
    for t in &state.threads {
        names.comm_now.insert(t.tid as i64, t.comm.clone());
    }
    for o in &oracle {
        if let (Some(u), Some(n)) = (i(o, "user.uid"), s(o, "user.name")) {
            names
                .users
                .entry(u as u32)
                .or_insert_with(|| n.as_bytes().to_vec());
        }
        if let (Some(g), Some(n)) = (i(o, "group.gid"), s(o, "group.name")) {
            names
                .groups
                .entry(g as u32)
                .or_insert_with(|| n.as_bytes().to_vec());
        }
    }
    for u in &state.users {
        names.users.insert(u.uid, u.name.clone());
    }
    for g in &state.groups {
        names.groups.insert(g.gid, g.name.clone());
    }

    let mut by_key: HashMap<(u64, i64, String), VecDeque<usize>> = HashMap::new();
    for (n, o) in oracle.iter().enumerate() {
        let key = (
            o["evt.rawtime"].as_u64().expect("rawtime"),
            i(o, "thread.tid").unwrap_or(-1),
            s(o, "evt.type").unwrap_or("").to_string(),
        );
        by_key.entry(key).or_default().push_back(n);
    }
    let fd_id = PARAM_NAMES.binary_search(&"fd").expect("fd") as u16;
    let name_id = PARAM_NAMES.binary_search(&"name").expect("name") as u16;

    let mut t = Tally::default();
    let mut conv = Converter::default();
    while let Some(e) = reader.next_event().expect("event") {
        let bytes = match conv.convert(e.bytes()) {
            Outcome::Pass(b) | Outcome::Converted(b) => b,
            _ => continue,
        };
        let ev = RawEvent::parse(bytes).expect("converted event parses");
        let key = (
            ev.header.ts,
            ev.header.tid as i64,
            render::event_type_name(&ev, true).to_string(),
        );
        let Some(n) = by_key.get_mut(&key).and_then(VecDeque::pop_front) else {
            t.unmatched_ours += 1;
            *t.unmatched_types
                .entry(format!(
                    "{}{}/{}",
                    ev.info().map_or("?", |i| i.direction.symbol()),
                    key.2,
                    ev.header.etype
                ))
                .or_default() += 1;
            continue;
        };
        t.matched += 1;
        let o = &oracle[n];
        if let (Some(tid), Some(c)) = (i(o, "thread.tid"), s(o, "proc.name")) {
            names.comm_now.insert(tid, c.as_bytes().to_vec());
            // A clone in the parent creates the child thread, named as the parent.
            // (Inside a pid namespace the return value is a virtual pid, no thread id.)
            let clone = matches!(key.2.as_str(), "clone" | "clone3" | "fork" | "vfork")
                && i(o, "proc.vpid") == i(o, "proc.pid");
            if let Some(child) = i(o, "evt.rawres").filter(|&r| clone && r > 0) {
                names
                    .comm_now
                    .entry(child)
                    .or_insert_with(|| c.as_bytes().to_vec());
            }
        }
        let lk = OracleLookup {
            ev: o,
            names: &names,
        };
        for (k, f) in FIELDS.iter().enumerate() {
            let mine = ours(f, &ev, &lk, fd_id, name_id);
            let theirs = o.get(*f).cloned().unwrap_or(Value::Null);
            let line = || {
                format!(
                    "{name} evt.num={} {} {f}:\n  ours:   {mine}\n  oracle: {theirs}",
                    o["evt.num"], key.2
                )
            };
            if mine == theirs {
                t.agree[k] += 1;
            } else if bootstrap_gap(&mine, &theirs) {
                t.bootstrap[k] += 1;
                gaps.push(line());
            } else {
                t.disagree[k] += 1;
                failures.push(line());
            }
        }
    }
    t.unmatched_oracle = by_key.values().map(|v| v.len() as u64).sum();
    t
}

#[test]
fn render_fields_agree_with_falco() {
    let dir = fixtures().join("oracle-falco");
    if !dir.is_dir() {
        eprintln!("skipping: {} is absent", dir.display());
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.strip_suffix(".jsonl.gz").map(str::to_string)
        })
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    println!(
        "{:<28} {:>7} {:>7} {:>7}  per field: agree/bootstrap-gap/disagree",
        "fixture", "matched", "ours-", "oracle-"
    );
    for name in &names {
        let t = run_fixture(name, &mut failures, &mut gaps);
        let cells: Vec<String> = FIELDS
            .iter()
            .enumerate()
            .map(|(k, f)| format!("{f}={}/{}/{}", t.agree[k], t.bootstrap[k], t.disagree[k]))
            .collect();
        println!(
            "{name:<28} {:>7} {:>7} {:>7}  {}",
            t.matched,
            t.unmatched_ours,
            t.unmatched_oracle,
            cells.join(" ")
        );
        if !t.unmatched_types.is_empty() {
            println!("    not in the oracle: {:?}", t.unmatched_types);
        }
    }
    println!(
        "\n{} bootstrap gaps (fds other than the event's own):",
        gaps.len()
    );
    for g in &gaps {
        println!("{g}");
    }
    if !failures.is_empty() {
        for f in &failures {
            println!("{f}");
        }
        panic!("{} disagreements with Falco 0.45", failures.len());
    }
}
