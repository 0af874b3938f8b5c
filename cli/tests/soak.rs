//! `edera-falco soak`, short: ten seconds of the flooding zone beside the normal zone, the
//! plugin in this process through the harness. The soak succeeds (RSS within the caps' bound,
//! the normal zone's marker flowing), the flood's damaged input is counted as the flooding
//! zone's alone, and the normal zone's events are counted.
//!
//! Skips with the reason when zones cannot be made here (not root) or the fixtures are absent.

use edera_falco_cli::soak::{SoakOptions, run};
use edera_falco_harness::artifact;
use edera_falco_harness::falco::is_root;
use edera_falco_harness::fixtures::fixture;

#[test]
fn ten_seconds_of_flood_are_counted_and_the_normal_zone_flows() {
    if !is_root() {
        eprintln!("skipping: zones need root (unshare, eBPF)");
        return;
    }
    if fixture("curl_google.scap").is_none() {
        eprintln!("skipping: ../shared/fixtures absent");
        return;
    }
    let daemon = artifact::build("edera-falco-daemon", "edera-falco-daemon").unwrap();
    artifact::build("edera-falco-agent", "edera-falco-agent").unwrap();
    let options = SoakOptions {
        minutes: 10.0 / 60.0,
        falco: false,
        harness: true,
        fixture: None,
        daemon: Some(daemon),
        max_threads: 1024,
        max_fds: 4096,
    };
    let report = run(&options).unwrap_or_else(|e| panic!("{e}"));
    let c = report.counters();
    assert_eq!(report.samples.len(), 10);
    assert!(c.flood_malformed > 0, "{c:?}");
    assert_eq!(c.normal_malformed, 0, "{c:?}");
    assert!(c.flood_events > 0 && c.normal_events > 0, "{c:?}");
    // The normal zone's shell opens its marker every 100 ms.
    assert!(report.markers() >= 20, "{} markers", report.markers());
}
