//! The differential test against today's libsinsp: every fixture capture is replayed through
//! the built `libedera_falco_plugin.so` (dlopened, driven by falco_plugin_runner as Falco would),
//! every event is matched with the Falco 0.45 oracle by (evt.rawtime, thread.tid) in stream
//! order (the tid read from the carried event's header, so that matching does not depend on the
//! fields under test), and every oracle field, `evt.type` included, is compared as text. A per-field agreement table is printed; the test fails
//! on any disagreement not listed in `tests/known-differences.toml`, and on listed differences
//! that no longer occur.
//!
//! `cargo test -p edera-falco-tests --test differential -- --nocapture` shows the table.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use edera_falco_harness::event::CapturedEvent;
use edera_falco_harness::fixtures::replay_config;
use edera_falco_harness::handle::{Handle, Next, load_plugin};
use edera_falco_harness::{falco_text, generic};
use edera_falco_tests::agreement::{Agreement, load_known};
use edera_falco_tests::oracle;

/// The plugin's text for `field` on `ev` (`Err` when the field cannot be extracted at all).
fn plugin_value(h: &mut Handle, ev: &CapturedEvent, field: &str) -> Result<Option<String>, String> {
    if let Some(v) = generic::value(field, ev) {
        return Ok(v);
    }
    h.extract(ev, plugin_name(field))
        .map(|v| v.as_ref().and_then(falco_text::text))
}

/// The plugin's name for an oracle field: libsinsp spells a few arguments after a dot, plugin
/// fields take them in brackets (see the catalog's `upstream` notes).
fn plugin_name(field: &str) -> &str {
    match field {
        "thread.cgroup.cpu" => "thread.cgroup[cpu]",
        "evt.type.is.open" => "evt.type.is[open]",
        other => other,
    }
}

/// The row of `evt.plugininfo`, checked against the oracle's `evt.type` and `evt.args`.
const PLUGININFO: &str = "evt.plugininfo (= evt.type evt.args)";

struct Replay {
    matched: u64,
    missing: u64,
    extra: u64,
}

fn replay(dir: &Path, capture: &str, fields: &[String], table: &mut Agreement) -> Replay {
    let oracle_events = oracle::load(dir, capture).expect("oracle loads");
    let mut by_key: HashMap<(String, String), VecDeque<usize>> = HashMap::new();
    for (i, e) in oracle_events.iter().enumerate() {
        by_key
            .entry((e.key.0.clone(), e.key.1.clone()))
            .or_default()
            .push_back(i);
    }
    let path = dir.join(format!("{capture}.scap"));
    let mut h = load_plugin(&replay_config(&path, "")).expect("plugin loads");
    h.open().expect("capture opens");
    let mut seen = vec![false; oracle_events.len()];
    let (mut matched, mut extra) = (0, 0);
    loop {
        let ev = match h.next_event().expect("next_event") {
            Next::Event(ev) => ev,
            Next::Timeout => continue,
            Next::Eof => break,
        };
        let tid = ev.scap_tid().map(|t| t.to_string()).unwrap_or_default();
        let key = (ev.ts().to_string(), tid);
        let Some(idx) = by_key.get_mut(&key).and_then(VecDeque::pop_front) else {
            extra += 1;
            let ty = ev
                .scap_event()
                .and_then(|r| r.get(20..22))
                .map(|b| u16::from_ne_bytes([b[0], b[1]]));
            table.record("(event stream)", capture, false, || {
                format!("extra event {key:?} of type {ty:?}")
            });
            continue;
        };
        seen[idx] = true;
        matched += 1;
        table.record("(event stream)", capture, true, String::new);
        let expected = &oracle_events[idx].values;
        for f in fields {
            let want = expected.get(f).cloned().flatten();
            let got = plugin_value(&mut h, &ev, f);
            let ok = matches!(&got, Ok(g) if *g == want);
            table.record(f, capture, ok, || {
                format!("{key:?}: falco {want:?}, plugin {got:?}")
            });
        }
        // evt.plugininfo (the source's event-to-string) is libsinsp's one-line rendering: the
        // event type, then evt.args.
        let text = |f: &str| expected.get(f).cloned().flatten();
        let want = text("evt.type").map(|t| match text("evt.args").filter(|a| !a.is_empty()) {
            Some(args) => format!("{t} {args}"),
            None => t,
        });
        let got = h.extract_string(&ev, "evt.plugininfo");
        let ok = matches!(&got, Ok(g) if g.as_deref().map(|g| g.trim_end_matches(' ')) == want.as_deref());
        table.record(PLUGININFO, capture, ok, || {
            format!("{key:?}: falco {want:?}, plugin {got:?}")
        });
    }
    let missing = seen.iter().filter(|s| !**s).count() as u64;
    for (i, s) in seen.iter().enumerate() {
        if !s {
            table.record("(event stream)", capture, false, || {
                format!("missing event {:?}", oracle_events[i].key)
            });
        }
    }
    Replay {
        matched,
        missing,
        extra,
    }
}

#[test]
fn fields_equal_falco_0_45_on_every_fixture() {
    let Some(dir) = oracle::fixtures_dir() else {
        eprintln!("skipping: ../shared/fixtures/scap/oracle-falco is absent");
        return;
    };
    let fields = oracle::fields(&dir);
    assert!(
        fields.len() >= 224,
        "FIELDS.txt lists {} fields",
        fields.len()
    );
    let known_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("known-differences.toml");
    let known = load_known(&known_path).expect("known differences load");
    let mut table = Agreement {
        fields: ["(event stream)", PLUGININFO]
            .into_iter()
            .map(str::to_owned)
            .chain(fields.iter().cloned())
            .collect(),
        captures: oracle::captures(&dir),
        ..Default::default()
    };
    for capture in table.captures.clone() {
        let r = replay(&dir, &capture, &fields, &mut table);
        eprintln!(
            "{capture}: {} events matched, {} missing, {} extra",
            r.matched, r.missing, r.extra
        );
    }
    println!("{}", table.table());

    let mut unexplained = Vec::new();
    let mut used = vec![false; known.len()];
    for (field, per_capture) in &table.cells {
        for (capture, cell) in per_capture {
            if cell.disagree == 0 {
                continue;
            }
            match known.iter().position(|k| k.covers(field, capture)) {
                Some(i) => used[i] = true,
                None => unexplained.push(format!(
                    "{field} on {capture}: {} of {} differ, e.g. {}",
                    cell.disagree,
                    cell.agree + cell.disagree,
                    cell.examples.join(" | ")
                )),
            }
        }
    }
    let stale: Vec<_> = known
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(k, _)| k.field.as_str())
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "{} unexplained disagreement(s):\n{}\nknown differences that no longer occur: {stale:?}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
