//! The generated field table as Falco sees it through the built `.so`: what is declared, and
//! that the generated `evt.arg.NAME` literals extract what Falco 0.45 extracts.

use codegen::catalog::{ArgForm, FieldType};
use edera_falco_harness::falco_text;
use edera_falco_harness::fixtures::{fixture, replay_config};
use edera_falco_harness::handle::{Next, load_plugin};
use edera_falco_harness::library::plugin_library;
use edera_falco_tests::oracle;
use serde_json::{Value, json};

/// The plugin API's name of a field type (`plugin_get_fields` JSON).
fn api_type(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "string",
        FieldType::U64 => "uint64",
        FieldType::Bool => "bool",
        FieldType::Reltime => "reltime",
        FieldType::Abstime => "abstime",
        FieldType::Ipaddr => "ipaddr",
        FieldType::Ipnet => "ipnet",
    }
}

/// The plugin API's `arg` object for a catalog argument form. A field taking an index or a
/// key is declared with a key (the plugin API takes one kind per field).
fn api_arg(form: ArgForm, required: bool) -> Value {
    let mut arg = match form {
        ArgForm::None => return Value::Null,
        ArgForm::Index => json!({"isIndex": true}),
        ArgForm::Key | ArgForm::Both => json!({"isKey": true}),
    };
    if required {
        arg["isRequired"] = json!(true);
    }
    arg
}

/// The `.so` declares exactly the field set of the catalog and the event table, read through
/// the generator's library: every field, in order, with its type, list and argument form.
#[test]
fn declares_the_whole_catalog() {
    let schema_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let schema = codegen::schema_io::load_schema(&schema_dir).expect("schema");
    let catalog = codegen::catalog::load_catalog(&schema_dir.join("fields")).expect("catalog");
    let expected: Vec<Value> = codegen::fieldset::build(&schema, &catalog)
        .iter()
        .map(|sf| {
            let f = &sf.field;
            json!({
                "name": f.name,
                "type": api_type(f.ftype),
                "isList": f.list,
                "arg": api_arg(f.arg, f.arg_required),
            })
        })
        .collect();
    let declared: Vec<Value> = plugin_library()
        .fields()
        .expect("field list")
        .iter()
        .map(|f| {
            json!({
                "name": f["name"],
                "type": f["type"],
                "isList": f["isList"],
                "arg": f["arg"],
            })
        })
        .collect();
    for (i, (got, want)) in declared.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "field #{i}");
    }
    assert_eq!(
        declared.len(),
        expected.len(),
        "declared {} fields, the catalog and event table have {}",
        declared.len(),
        expected.len()
    );
    assert!(expected.len() > 600, "only {} fields", expected.len());
}

/// `evt.rawarg.NAME` is numeric only when every parameter of that name is, and no field
/// redeclares one of Falco's generic fields.
#[test]
fn literal_types_and_no_generic_fields() {
    let fields = plugin_library().fields().expect("field list");
    let names: Vec<&str> = fields.iter().filter_map(|f| f["name"].as_str()).collect();
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
