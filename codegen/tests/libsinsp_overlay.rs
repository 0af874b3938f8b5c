//! The libsinsp overlay (`schema/libsinsp.toml`): the checked-in file validates, its resolved
//! event list is a reviewed snapshot, and a broken overlay is refused naming the entry.

use std::path::Path;

use codegen::libsinsp::{load_libsinsp, parse_libsinsp};
use codegen::schema_io::load_schema;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema")
}

#[test]
fn the_checked_in_overlay_resolves() {
    let schema = load_schema(&dir()).expect("checked-in schema loads");
    let overlay = load_libsinsp(&dir()).expect("checked-in overlay loads");
    let code = codegen::emit::generate_libsinsp(&schema, &overlay).unwrap();
    assert!(code.contains("pub const fn toctou_enter(code: u16) -> bool"));
    // PPME_SYSCALL_OPEN_E is 2 and PPME_SOCKET_CONNECT_E is 22 upstream.
    assert!(code.contains("matches!(code, 2 | 22 |"), "{code}");
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("libsinsp", codegen::listing::libsinsp(&schema, &overlay));
    });
}

const OK_SECTION: &str = r#"about = "x"
events = [{ id = "PPME_SYSCALL_CLONE3_X", upstream = "parsers.cpp" }]
"#;

fn overlay_with(first: &str) -> String {
    let mut text = format!("[toctou_enter]\n{first}\n");
    for s in ["fallback_enter", "initial_state"] {
        text += &format!("[{s}]\nabout = \"x\"\nevents = []\n");
    }
    for s in ["clone_exit", "exec_exit"] {
        text += &format!("[{s}]\n{OK_SECTION}");
    }
    text
}

#[test]
fn a_broken_overlay_is_refused_naming_the_entry() {
    let schema = load_schema(&dir()).unwrap();
    let text = overlay_with(
        r#"about = "x"
events = [
  { id = "PPME_SYSCALL_OPEN_E", upstream = "parsers.cpp" },
  { id = "PPME_NO_SUCH_E", upstream = "parsers.cpp" },
  { id = "PPME_SYSCALL_OPEN_X", upstream = "parsers.cpp" },
  { id = "PPME_SYSCALL_OPEN_E", upstream = " " },
]"#,
    );
    let overlay = parse_libsinsp(&text).unwrap();
    let err = codegen::emit::generate_libsinsp(&schema, &overlay)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("schema/libsinsp.toml: toctou_enter.events[1] (PPME_NO_SUCH_E): no event of schema/events.toml has this id"),
        "{err}"
    );
    assert!(
        err.contains("toctou_enter.events[2] (PPME_SYSCALL_OPEN_X): is an exit event; `toctou_enter` lists enter events"),
        "{err}"
    );
    assert!(
        err.contains("toctou_enter.events[3] (PPME_SYSCALL_OPEN_E): listed twice"),
        "{err}"
    );
    assert!(
        err.contains("toctou_enter.events[3] (PPME_SYSCALL_OPEN_E): `upstream` must cite"),
        "{err}"
    );
    assert!(!err.contains("events[0]"), "{err}");
    assert!(!err.contains("clone_exit"), "{err}");
}

#[test]
fn an_unknown_behaviour_is_refused() {
    let text = overlay_with(OK_SECTION) + "[hidden]\nabout = \"x\"\nevents = []\n";
    let err = parse_libsinsp(&text).unwrap_err().to_string();
    assert!(err.contains("unknown field `hidden`"), "{err}");
}
