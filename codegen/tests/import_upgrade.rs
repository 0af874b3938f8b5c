//! The "upstream added syscalls" workflow: import libs 0.23.1 (schema 4.1.0) and master
//! (schema 4.5.1), and snapshot what the newer import adds, as a reviewed report.

use std::path::{Path, PathBuf};

use codegen::import::{self, upgrade::upgrade_report};
use codegen::schema_io::load_schema;

fn libscap() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/libscap");
    if dir.join("schema-4.5.1").is_dir() && dir.join("schema-4.1.0").is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

#[test]
fn upgrade_from_4_1_0_to_4_5_1() {
    let Some(libscap) = libscap() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (old_dir, new_dir) = (tmp.path().join("old"), tmp.path().join("new"));
    import::run(&libscap.join("schema-4.1.0"), &old_dir, None).unwrap();
    import::run(&libscap.join("schema-4.5.1"), &new_dir, None).unwrap();
    let old = load_schema(&old_dir).unwrap();
    let new = load_schema(&new_dir).unwrap();

    // Upstream added 24 events between 0.23.1 and master: codes 430..=453, none removed.
    let added: Vec<u16> = new
        .events
        .iter()
        .filter(|e| !old.events.iter().any(|o| o.code == e.code))
        .map(|e| e.code)
        .collect();
    assert_eq!(added, (430..454).collect::<Vec<u16>>());
    assert!(
        old.events
            .iter()
            .all(|o| new.events.iter().any(|e| e.code == o.code && e.id == o.id))
    );

    let report = upgrade_report(&old, &new);
    assert!(report.contains("\nevents added (24):\n"), "{report}");
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("schema_upgrade_4.1.0_to_4.5.1", report);
    });
}
