//! The generated field table as Falco sees it through the built `.so`: what is declared, and
//! that the generated `evt.arg.NAME` literals extract what Falco 0.45 extracts.

use edera_falco_harness::falco_text;
use edera_falco_harness::fixtures::{fixture, replay_config};
use edera_falco_harness::handle::{Next, load_plugin};
use edera_falco_tests::oracle;

#[test]
fn declares_generated_literals_and_zone_fields() {
    let h = load_plugin("").expect("init");
    let fields = h.library().fields().expect("field list");
    let names: Vec<&str> = fields.iter().filter_map(|f| f["name"].as_str()).collect();
    for want in [
        "edera.zone.id",
        "edera.zone.name",
        "evt.arg.name",
        "evt.arg.fd",
        "evt.rawarg.res",
        "evt.rawarg.flags",
    ] {
        assert!(names.contains(&want), "{want} not declared");
    }
    let rawarg_prot = fields
        .iter()
        .find(|f| f["name"] == "evt.rawarg.prot")
        .unwrap();
    assert_eq!(
        rawarg_prot["type"], "uint64",
        "prot is PT_FLAGS32 in every event"
    );
    let rawarg_flags = fields
        .iter()
        .find(|f| f["name"] == "evt.rawarg.flags")
        .unwrap();
    assert_eq!(
        rawarg_flags["type"], "string",
        "flags is PT_INT32 in some events"
    );
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "no field is declared twice");
    // Falco refuses a plugin that redeclares one of its generic fields.
    assert!(
        !names
            .iter()
            .any(|n| matches!(*n, "evt.num" | "evt.time" | "evt.source" | "evt.pluginname"))
    );
}

/// `evt.arg.name` of a path parameter needs no state: on the cat_write capture every event
/// Falco shows with a value has the same value through the plugin.
#[test]
fn arg_literal_matches_falco_on_a_capture() {
    let (Some(dir), Some(path)) = (oracle::fixtures_dir(), fixture("cat_write.scap")) else {
        return;
    };
    let expected = oracle::load(&dir, "cat_write").unwrap();
    let mut h = load_plugin(&replay_config(&path, "")).unwrap();
    h.open().unwrap();
    let mut got = Vec::new();
    loop {
        match h.next_event().unwrap() {
            Next::Event(ev) => {
                let v = h.extract(&ev, "evt.arg.name").unwrap();
                got.push((ev.ts().to_string(), v.as_ref().and_then(falco_text::text)));
            }
            Next::Timeout => continue,
            Next::Eof => break,
        }
    }
    let mut compared = 0;
    for o in &expected {
        let Some(Some(want)) = o.values.get("evt.arg.name") else {
            continue;
        };
        let hit = got
            .iter()
            .find(|(ts, v)| *ts == o.key.0 && v.as_deref() == Some(want.as_str()));
        assert!(
            hit.is_some(),
            "{:?}: Falco has evt.arg.name={want:?}",
            o.key
        );
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} events with a name");
}

/// `syscall.type` equals Falco 0.45's on every event of every fixture (independent truth: the
/// oracle), including no value on non-syscall events and generic syscalls named by their ID.
#[test]
fn syscall_type_matches_falco_on_every_fixture() {
    let Some(dir) = oracle::fixtures_dir() else {
        return;
    };
    let mut compared = 0usize;
    for capture in oracle::captures(&dir) {
        let expected = oracle::load(&dir, &capture).unwrap();
        let mut by_key: std::collections::HashMap<(String, String), Vec<Option<String>>> =
            Default::default();
        for o in &expected {
            by_key
                .entry((o.key.0.clone(), o.key.2.clone()))
                .or_default()
                .push(o.values.get("syscall.type").cloned().flatten());
        }
        let path = dir.join(format!("{capture}.scap"));
        let mut h = load_plugin(&replay_config(&path, "")).unwrap();
        h.open().unwrap();
        loop {
            let ev = match h.next_event().unwrap() {
                Next::Event(ev) => ev,
                Next::Timeout => continue,
                Next::Eof => break,
            };
            let line = h
                .extract_string(&ev, "evt.plugininfo")
                .unwrap()
                .unwrap_or_default();
            let etype = line.split(' ').next().unwrap_or_default().to_string();
            let Some(wants) = by_key.get(&(ev.ts().to_string(), etype)) else {
                continue;
            };
            let got = h
                .extract(&ev, "syscall.type")
                .unwrap()
                .as_ref()
                .and_then(falco_text::text);
            assert!(
                wants.contains(&got),
                "{capture} ts {}: Falco {wants:?}, plugin {got:?}",
                ev.ts()
            );
            compared += 1;
        }
    }
    assert!(compared > 10_000, "compared {compared} events");
}
