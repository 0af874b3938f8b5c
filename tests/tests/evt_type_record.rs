//! `evt.type` of the event just parsed comes from the parser's record (by event number), of any
//! other event from decoding it: both must give the same name, and the record must never answer
//! for another event.

use edera_falco_harness::fixtures::{fixture, replay_config};
use edera_falco_harness::handle::{Next, load_plugin};

#[test]
fn evt_type_is_the_same_from_the_record_and_from_a_decode() {
    let Some(path) = fixture("curl_google.scap") else {
        return;
    };
    let mut h = load_plugin(&replay_config(&path, "")).expect("plugin loads");
    h.open().expect("capture opens");
    let mut events = Vec::new();
    loop {
        let ev = match h.next_event().expect("next_event") {
            Next::Event(ev) => ev,
            Next::Timeout => continue,
            Next::Eof => break,
        };
        // Right after its parse: the record answers.
        let recorded = h.extract_string(&ev, "evt.type").expect("extracts");
        events.push((ev, recorded));
    }
    assert!(events.len() > 100, "{} events", events.len());
    let mut names = std::collections::BTreeSet::new();
    for (ev, recorded) in &events {
        // Every event but the last is no longer the one parsed last: decoded again.
        let decoded = h.extract_string(ev, "evt.type").expect("extracts");
        assert_eq!(recorded, &decoded, "event {}", ev.evt_num);
        names.extend(decoded);
    }
    assert!(names.len() > 5, "event types seen: {names:?}");
}
