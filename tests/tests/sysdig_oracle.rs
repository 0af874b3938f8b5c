//! The live second oracle: every fixture capture that Debian's sysdig 0.29.3 reads is run
//! through sysdig and through the plugin `.so`. Where sysdig and Falco 0.45 (the frozen oracle)
//! give the same value for an event's field, the plugin must give it too; per field, the test
//! prints how often the two libsinsp generations agree and how the plugin fares there. It also
//! checks that `sysdig_oracle::STABLE_FIELDS` (the fields held against sysdig alone on captures
//! that have no Falco oracle, such as the agent's) really agree on every fixture event.

use edera_falco_harness::falco_text;
use edera_falco_harness::fixtures::replay_config;
use edera_falco_harness::handle::{Next, load_plugin};
use edera_falco_harness::library::plugin_library;
use edera_falco_tests::oracle;
use edera_falco_tests::sysdig_oracle::{self, FIELDS, STABLE_FIELDS};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The first two parts of the oracle's [`oracle::EventKey`]: (evt.rawtime, thread.tid).
type TimeAndTid = (String, String);
/// Field name to value (`None`: no value) of one event.
type FieldValues = HashMap<String, Option<String>>;

#[derive(Default, Debug)]
struct Tally {
    /// Events where sysdig and Falco both have the event.
    both: u64,
    /// ... and give the same value.
    same: u64,
    /// ... and the plugin gives it too.
    plugin_same: u64,
    examples: Vec<String>,
}

#[test]
fn plugin_agrees_with_sysdig_where_both_generations_agree() {
    let Some(dir) = oracle::fixtures_dir() else {
        eprintln!("skipping: ../shared/fixtures/scap is absent");
        return;
    };
    let Some(sysdig) = sysdig_oracle::find() else {
        eprintln!("skipping: sysdig is not installed (./run test installs it with apt-get)");
        return;
    };
    let declared: Vec<String> = plugin_library()
        .fields()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for capture in oracle::captures(&dir) {
        let path = dir.join(format!("{capture}.scap"));
        let mut sys = match sysdig_oracle::run(&sysdig, &path) {
            Ok(events) => events,
            Err(e) => {
                eprintln!("{capture}: sysdig cannot read it, skipped: {e}");
                continue;
            }
        };
        let mut falco: HashMap<TimeAndTid, VecDeque<FieldValues>> = HashMap::new();
        for e in oracle::load(&dir, &capture).expect("oracle") {
            falco
                .entry((e.key.0, e.key.1))
                .or_default()
                .push_back(e.values);
        }
        let mut h = load_plugin(&replay_config(&path, "")).expect("plugin");
        h.open().expect("open");
        loop {
            let ev = match h.next_event().expect("next_event") {
                Next::Event(ev) => ev,
                Next::Timeout => continue,
                Next::Eof => break,
            };
            let key = (
                ev.ts().to_string(),
                ev.scap_tid().map(|t| t.to_string()).unwrap_or_default(),
            );
            let f = falco.get_mut(&key).and_then(VecDeque::pop_front);
            let (Some(s), Some(f)) = (sys.get_mut(&key).and_then(VecDeque::pop_front), f) else {
                continue;
            };
            for field in FIELDS {
                let t = tallies.entry(field).or_default();
                t.both += 1;
                let sv = s.get(*field).cloned().flatten();
                let fv = f.get(*field).cloned().flatten();
                if sv != fv {
                    continue;
                }
                t.same += 1;
                if !declared.iter().any(|d| d == field) {
                    continue;
                }
                let pv = h
                    .extract(&ev, field)
                    .expect("extract")
                    .as_ref()
                    .and_then(falco_text::text);
                if pv == sv {
                    t.plugin_same += 1;
                } else if t.examples.len() < 3 {
                    t.examples.push(format!(
                        "{capture} {key:?}: sysdig and falco {sv:?}, plugin {pv:?}"
                    ));
                }
            }
        }
    }
    println!(
        "{:<16} {:>8} {:>8} {:>8}",
        "field", "events", "agree", "plugin"
    );
    let mut failures = Vec::new();
    for (field, t) in &tallies {
        let declared = declared.iter().any(|d| d == field);
        println!(
            "{field:<16} {:>8} {:>8} {:>8}",
            t.both,
            t.same,
            if declared {
                t.plugin_same.to_string()
            } else {
                "-".into()
            }
        );
        if declared && t.plugin_same != t.same {
            failures.push(format!(
                "{field}: {} of {} differ, e.g. {}",
                t.same - t.plugin_same,
                t.same,
                t.examples.join(" | ")
            ));
        }
        if STABLE_FIELDS.contains(field) && t.same != t.both {
            failures.push(format!(
                "{field} is listed as stable but sysdig and Falco differ on {} events",
                t.both - t.same
            ));
        }
    }
    assert!(
        tallies.values().any(|t| t.both > 1000),
        "too few events compared: {tallies:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
