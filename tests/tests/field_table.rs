//! The generated field table as Falco sees it through the built `.so`: what is declared, and
//! that the generated `evt.arg.NAME` literals extract what Falco 0.45 extracts.

use edera_falco_tests::runner::{self, Next};
use edera_falco_tests::{falco_text, oracle};

#[test]
fn declares_generated_literals_and_zone_fields() {
    let h = runner::load_plugin("").expect("init");
    let fields = h.library().fields().expect("field list");
    let names: Vec<&str> = fields.iter().filter_map(|f| f["name"].as_str()).collect();
    for want in ["edera.zone.id", "edera.zone.name", "evt.arg.name", "evt.arg.fd", "evt.rawarg.res", "evt.rawarg.flags"] {
        assert!(names.contains(&want), "{want} not declared");
    }
    let rawarg_prot = fields.iter().find(|f| f["name"] == "evt.rawarg.prot").unwrap();
    assert_eq!(rawarg_prot["type"], "uint64", "prot is PT_FLAGS32 in every event");
    let rawarg_flags = fields.iter().find(|f| f["name"] == "evt.rawarg.flags").unwrap();
    assert_eq!(rawarg_flags["type"], "string", "flags is PT_INT32 in some events");
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "no field is declared twice");
    // Falco refuses a plugin that redeclares one of its generic fields.
    assert!(!names.iter().any(|n| matches!(*n, "evt.num" | "evt.time" | "evt.source" | "evt.pluginname")));
}

/// `evt.arg.name` of a path parameter needs no state: on the cat_write capture every event
/// Falco shows with a value has the same value through the plugin.
#[test]
fn arg_literal_matches_falco_on_a_capture() {
    let (Some(dir), Some(path)) = (oracle::fixtures_dir(), runner::fixture("cat_write.scap")) else {
        return;
    };
    let expected = oracle::load(&dir, "cat_write").unwrap();
    let mut h = runner::load_plugin(&runner::replay_config(&path, "")).unwrap();
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
        let Some(Some(want)) = o.values.get("evt.arg.name") else { continue };
        let hit = got.iter().find(|(ts, v)| *ts == o.key.0 && v.as_deref() == Some(want.as_str()));
        assert!(hit.is_some(), "{:?}: Falco has evt.arg.name={want:?}", o.key);
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} events with a name");
}
