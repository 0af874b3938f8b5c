//! The zone state against Falco 0.45: every fixture capture is replayed (reader → converter →
//! `ZoneState::apply`) and, for every event the oracle lists
//! (`../shared/fixtures/scap/oracle-falco/NAME.jsonl.gz`, matched by (evt.rawtime, thread.tid,
//! evt.type)), the state-derived fields of `state_support` are compared with the oracle's.
//!
//! Prints an agreement table (fixtures × fields) and the first disagreements of each field.
//! Fails on any disagreement not listed in [`KNOWN`] with its reason.

mod state_support;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use edera_falco_plugin::state::{StateLimits, ZoneState};
use edera_scap::convert::{Converter, Outcome};
use edera_scap::event::RawEvent;
use edera_scap::file::{CaptureReader, GeneratedTable, Limits};
use edera_scap::tables::{EVENTS, EventCode};
use serde_json::Value;
use state_support::{FIELDS, evt_type, field, more};

/// Disagreements accepted, as (fixture, field, reason).
const KNOWN: &[(&str, &str, &str)] = &[];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scap")
}

type Key = (u64, i64, String);

fn load_oracle(path: &Path) -> HashMap<Key, VecDeque<Value>> {
    let f = std::fs::File::open(path).expect("oracle");
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
    let mut m: HashMap<Key, VecDeque<Value>> = HashMap::new();
    for line in r.lines() {
        let v: Value = serde_json::from_str(&line.expect("line")).expect("json");
        let (Some(ts), Some(tid), Some(ty)) = (
            v["evt.rawtime"].as_u64(),
            v["thread.tid"].as_i64(),
            v["evt.type"].as_str().map(str::to_owned),
        ) else {
            continue;
        };
        m.entry((ts, tid, ty)).or_default().push_back(v);
    }
    m
}

fn generic(ev: &RawEvent<'_>) -> bool {
    matches!(
        EventCode::from_u16(ev.header.etype),
        Some(EventCode::GenericE | EventCode::GenericX)
    )
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_i64() == y.as_i64() && x.as_u64() == y.as_u64()
        }
        _ => a == b,
    }
}

#[derive(Default)]
struct Tally {
    agree: BTreeMap<&'static str, (u64, u64)>,
    examples: Vec<String>,
    matched: u64,
    unmatched: u64,
}

fn replay(scap: &Path, oracle: &Path) -> Tally {
    let mut o = load_oracle(oracle);
    let mut reader = CaptureReader::open(scap, GeneratedTable, Limits::default()).expect("open");
    let snapshot = reader.read_state().expect("state");
    let mut z = ZoneState::from_snapshot(&snapshot, StateLimits::default());
    let mut conv = Converter::default();
    let mut t = Tally::default();
    loop {
        let ev = match reader.next_event() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(_) => continue,
        };
        let bytes = match conv.convert(ev.bytes()) {
            Outcome::Pass(b) | Outcome::Converted(b) => b.to_vec(),
            _ => continue,
        };
        let Ok(raw) = RawEvent::parse(&bytes) else {
            continue;
        };
        z.apply(&raw);
        let key = (raw.header.ts, raw.header.tid as i64, evt_type(&raw));
        let mut expected = o.get_mut(&key).and_then(VecDeque::pop_front);
        if expected.is_none() && generic(&raw) {
            // Generic events are named after their syscall; old captures number syscalls
            // differently, so match by time and thread among names that are no event's.
            let k = o.keys().find(|(ts, tid, ty)| {
                *ts == key.0 && *tid == key.1 && !EVENTS.iter().any(|e| e.name == ty)
            });
            expected = k.cloned().and_then(|k| o.get_mut(&k)?.pop_front());
        }
        let Some(expected) = expected else {
            continue;
        };
        t.matched += 1;
        let all = FIELDS.iter().map(|f| (*f, field(&z, &raw, f)));
        let all = all.chain(more::FIELDS.iter().map(|f| (*f, more::field(&z, &raw, f))));
        for (name, got) in all {
            if got.as_str() == Some("<from event>") {
                continue;
            }
            let want = &expected[name];
            let e = t.agree.entry(name).or_default();
            e.1 += 1;
            if same(&got, want) {
                e.0 += 1;
            } else if t.examples.iter().filter(|x| x.contains(name)).count() < 3 {
                let num = &expected["evt.num"];
                t.examples.push(format!(
                    "  evt.num {num} {} {name}: got {got}, want {want}",
                    key.2
                ));
            }
        }
    }
    t.unmatched = o.values().map(|q| q.len() as u64).sum();
    for q in o.values() {
        for v in q.iter().take(2) {
            if t.examples.len() < 40 {
                t.examples.push(format!(
                    "  unmatched oracle event {} {} tid {}",
                    v["evt.num"], v["evt.type"], v["thread.tid"]
                ));
            }
        }
    }
    t
}

#[test]
fn state_fields_match_falco() {
    let dir = fixtures();
    let odir = dir.join("oracle-falco");
    if !odir.is_dir() {
        eprintln!("skipped: {} is absent", odir.display());
        return;
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".scap").map(str::to_owned))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut totals: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    println!(
        "{:<28} {:>7}  fields disagreeing (agree/total)",
        "fixture", "events"
    );
    for n in &names {
        let oracle = odir.join(format!("{n}.jsonl.gz"));
        if !oracle.is_file() {
            println!("{n:<28} skipped: no oracle");
            continue;
        }
        let t = replay(&dir.join(format!("{n}.scap")), &oracle);
        let mut bad = Vec::new();
        for (f, (a, all)) in &t.agree {
            let e = totals.entry(f).or_default();
            e.0 += a;
            e.1 += all;
            if a != all {
                bad.push(format!("{f} {a}/{all}"));
                if !KNOWN.iter().any(|(kn, kf, _)| kn == n && kf == f) {
                    failures.push(format!("{n}: {f}"));
                }
            }
        }
        let shown = if bad.is_empty() {
            "all agree".to_string()
        } else {
            bad.join(", ")
        };
        println!("{n:<28} {:>7}  {shown}", t.matched);
        if t.unmatched > 0 {
            failures.push(format!("{n}: {} oracle events unmatched", t.unmatched));
        }
        for e in &t.examples {
            println!("{e}");
        }
    }
    println!("\n{:<14} agree/total", "field");
    for (f, (a, all)) in &totals {
        println!("{f:<14} {a}/{all}");
    }
    assert!(failures.is_empty(), "disagreements: {failures:?}");
}
