//! The built `.so`, loaded as Falco loads it: identity, config errors, open errors, replay EOF.

use edera_falco_harness::event::{bare_scap_event, plugin_event_bytes};
use edera_falco_harness::fixtures::{fixture, replay_config};
use edera_falco_harness::handle::{Next, Stop, load_plugin};
use edera_falco_harness::library::plugin_library;

#[test]
fn library_identity() {
    let lib = plugin_library();
    assert_eq!(lib.name().as_deref(), Some("edera"));
    assert_eq!(lib.id(), Some(26));
    assert_eq!(lib.event_source().as_deref(), Some("edera_zone"));
    assert_eq!(lib.version().as_deref(), Some(env!("CARGO_PKG_VERSION")));
    let api = lib.required_api_version().expect("required api version");
    assert!(api.starts_with("3."), "required API version {api}");

    // Capabilities: source, extract and parse entry points all present.
    let a = lib.api;
    assert!(a.__bindgen_anon_1.open.is_some() && a.__bindgen_anon_1.next_batch.is_some());
    assert!(a.__bindgen_anon_2.extract_fields.is_some());
    assert!(a.__bindgen_anon_3.parse_event.is_some());
    assert!(a.get_metrics.is_some());

    // Extraction applies to our source only.
    assert_eq!(
        lib.extract_event_sources().unwrap(),
        vec!["edera_zone".to_owned()]
    );
}

#[test]
fn declares_zone_id_field() {
    let fields = plugin_library().fields().unwrap();
    let zone_id = fields
        .iter()
        .find(|f| f["name"] == "edera.zone.id")
        .unwrap_or_else(|| panic!("edera.zone.id not declared: {fields:?}"));
    assert_eq!(zone_id["type"], "string");
    assert_eq!(zone_id["isList"], false);
    assert!(zone_id["arg"].is_null(), "{zone_id}");
}

#[test]
fn init_schema_is_json_and_closed() {
    let (schema_type, text) = plugin_library().init_schema().expect("init schema");
    assert_eq!(
        schema_type,
        falco_plugin_api::ss_plugin_schema_type_SS_PLUGIN_SCHEMA_JSON
    );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["additionalProperties"], false, "{text}");
    for key in ["source", "socket", "batch_size", "limits"] {
        assert!(
            schema["properties"][key].is_object(),
            "no `{key}` in {text}"
        );
    }
}

#[test]
fn good_configs_load() {
    load_plugin("").expect("empty config");
    load_plugin("{}").expect("empty object");
    load_plugin(
        r#"{"socket": "/tmp/x.sock", "batch_size": 64, "limits": {"max_threads_per_zone": 10}}"#,
    )
    .expect("full config");
}

/// Bad init configs fail `init` with a message naming the key.
#[test]
fn bad_config_names_the_key() {
    let cases = [
        (r#"{"bogus": 1}"#, "`bogus`"),
        (r#"{"limits": {"max_procs": 1}}"#, "`limits.max_procs`"),
        (r#"{"batch_size": "many"}"#, "`batch_size`"),
        (r#"{"socket": 5}"#, "`socket`"),
        (
            r#"{"limits": {"max_fds_per_zone": -1}}"#,
            "`limits.max_fds_per_zone`",
        ),
        (
            r#"{"batch_size": 0}"#,
            "`batch_size`: must be between 1 and",
        ),
        (r#"{"source": "http://example.com/x.scap"}"#, "`source`"),
        // A NUL in a key must not crash the SDK's error path.
        (r#"{"bo\u0000gus": 1}"#, "`bo\\0gus`"),
    ];
    for (config, expected) in cases {
        let err = match load_plugin(config) {
            Ok(_) => panic!("config {config} was accepted"),
            Err(e) => e,
        };
        eprintln!("{config} -> {err}");
        assert!(
            err.contains(expected),
            "config {config}: error does not name {expected}: {err}"
        );
        assert!(
            err.contains("invalid init config"),
            "config {config}: {err}"
        );
    }
    let err = load_plugin("{not json").err().expect("bad JSON accepted");
    assert!(err.contains("Failed to parse config"), "{err}");
}

#[test]
fn missing_capture_fails_at_open() {
    let path = "/nonexistent/edera-falco/missing.scap";
    let mut handle = load_plugin(&format!(r#"{{"source": "file://{path}"}}"#)).expect("init");
    let err = handle
        .open()
        .expect_err("open of a missing capture succeeded");
    assert!(
        err.contains(&format!("cannot open capture file `{path}`")),
        "{err}"
    );
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn directory_is_not_a_capture() {
    let mut handle = load_plugin(r#"{"source": "file:///tmp"}"#).expect("init");
    let err = handle.open().expect_err("open of a directory succeeded");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn fixture_capture_reaches_eof() {
    let Some(path) = fixture("cat_write.scap") else {
        return;
    };
    let mut handle = load_plugin(&replay_config(&path, r#""batch_size": 64"#)).expect("init");
    handle.open().expect("open");
    let (events, stop) = handle.next_events(100_000).expect("next_batch");
    assert_eq!(stop, Stop::Eof);
    // Every event is a plugin event of id 26 tagged with the capture's zone, and the events Falco
    // 0.45 shows for this capture (its oracle) come out in order with their own timestamps. The
    // replay also hands on the few events Falco numbers but does not show (open enter events).
    let ts: Vec<u64> = events.iter().map(|e| e.ts()).collect();
    for event in &events {
        assert_eq!(event.plugin_payload().map(|(id, _)| id), Some(26));
        assert_eq!(
            handle
                .extract_string(event, "edera.zone.id")
                .unwrap()
                .as_deref(),
            Some("cat_write.scap")
        );
    }
    if let Some(dir) = edera_falco_tests::oracle::fixtures_dir() {
        let oracle = edera_falco_tests::oracle::load(&dir, "cat_write").unwrap();
        let mut at = ts.iter();
        for o in &oracle {
            let want: u64 = o.key.0.parse().unwrap();
            assert!(
                at.any(|t| *t == want),
                "oracle event {:?} not replayed in order",
                o.key
            );
        }
        assert!(events.len() >= oracle.len());
    }
    // EOF stays EOF.
    assert!(matches!(handle.next_event().unwrap(), Next::Eof));
    let metrics = handle.metrics().unwrap();
    assert_eq!(
        metrics.get("edera.events"),
        Some(&(events.len() as u64)),
        "{metrics:?}"
    );
    assert_eq!(metrics.get("edera.malformed"), Some(&0));
}

#[test]
fn zone_mode_times_out() {
    // No source: zone mode. Without a zone client yet, it reports "no events right now".
    let mut handle = load_plugin(r#"{"socket": "/nonexistent/daemon.socket"}"#).expect("init");
    handle
        .open()
        .expect("zone mode opens even without a daemon");
    let (events, stop) = handle.next_events(10).unwrap();
    assert!(events.is_empty());
    assert_eq!(stop, Stop::Timeout);
}

/// A valid capture with nothing but a section header block (version 1.2): type 0x0A0D0D0A,
/// total length 28, byte-order magic 0x1A2B3C4D, major 1, minor 2, section length -1, length.
fn section_header_only() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b
}

/// The extract path end to end through the `.so`: runner → `plugin_extract_fields` → SDK →
/// payload decode → zone registry. The replay registers its zone (named after the file) in
/// slot 0 at open; hand-made events in the documented layout stand in for the reader's output.
#[test]
fn zone_id_extraction_end_to_end() {
    let dir = std::env::temp_dir().join(format!("edera-falco-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("zone-a.scap");
    std::fs::write(&capture, section_header_only()).unwrap();

    let mut handle = load_plugin(&replay_config(&capture, "")).expect("init");
    handle.open().expect("open");

    let raw = bare_scap_event(1_700_000_000_000_000_001, 42, 3);
    let good = handle.event_from_bytes(plugin_event_bytes(1_700_000_000_000_000_001, 26, 0, &raw));
    assert_eq!(
        handle
            .extract_string(&good, "edera.zone.id")
            .unwrap()
            .as_deref(),
        Some("zone-a.scap")
    );
    assert_eq!(
        handle
            .extract_string(&good, "evt.plugininfo")
            .unwrap()
            .as_deref(),
        Some("open")
    );

    // An unregistered slot, another plugin's id, a damaged raw event: no value, no failure.
    let unknown = handle.event_from_bytes(plugin_event_bytes(1, 26, 7, &raw));
    assert_eq!(handle.extract(&unknown, "edera.zone.id").unwrap(), None);
    let foreign = handle.event_from_bytes(plugin_event_bytes(1, 27, 0, &raw));
    assert_eq!(handle.extract(&foreign, "edera.zone.id").unwrap(), None);
    let damaged = handle.event_from_bytes(plugin_event_bytes(1, 26, 0, &raw[..20]));
    assert_eq!(handle.extract(&damaged, "edera.zone.id").unwrap(), None);
    assert_eq!(handle.extract(&damaged, "evt.plugininfo").unwrap(), None);

    // Arguments the field does not take fail the request, as in libsinsp.
    let err = handle.extract(&good, "edera.zone.id[1]").unwrap_err();
    assert!(err.contains("failed"), "{err}");
    // Unknown fields are not ours.
    assert!(handle.extract(&good, "edera.nope").is_err());

    drop(handle);
    std::fs::remove_dir_all(&dir).ok();
}
