//! `schema/conversions.toml`: the checked-in table loads, validates against the checked-in
//! schema and generates; broken entries are rejected with errors naming the file and entry.

use std::path::{Path, PathBuf};

use codegen::conversions::validate::{Verdict, validate, verdict};
use codegen::conversions::{Action, ParamOrigin, load_conversions, parse_conversions};
use codegen::emit::{GenError, generate_conversions};
use codegen::model::Schema;
use codegen::schema_io::load_schema;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema")
}

fn schema() -> Schema {
    load_schema(&schema_dir()).unwrap()
}

/// Problems of a conversions file made of `body` (after a `source` line).
fn problems(schema: &Schema, body: &str) -> Vec<String> {
    let conv = parse_conversions(&format!("source = \"test\"\n{body}")).unwrap();
    validate(schema, &conv)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn assert_problem(schema: &Schema, body: &str, needle: &str) {
    let p = problems(schema, body);
    assert!(
        p.iter()
            .any(|m| m.starts_with("schema/conversions.toml: ") && m.contains(needle)),
        "expected a problem containing {needle:?}, got {p:#?}"
    );
}

#[test]
fn checked_in_table_is_sound_and_complete() {
    let schema = schema();
    let conv = load_conversions(&schema_dir()).unwrap();
    assert_eq!(validate(&schema, &conv), vec![]);
    // Upstream's table at 48dfd53 has 253 keys: 88 store, 2 store-and-pass, 5 pass, 117
    // add-params, 41 change-type (counted in table.cpp).
    let count = |a: Action| conv.entries.iter().filter(|c| c.action == a).count();
    assert_eq!(conv.entries.len(), 253);
    assert_eq!(
        [
            Action::Store,
            Action::StoreAndPass,
            Action::Pass,
            Action::AddParams,
            Action::ChangeType
        ]
        .map(count),
        [88, 2, 5, 117, 41]
    );
    let callbacks = conv
        .entries
        .iter()
        .flat_map(|c| c.instructions())
        .filter(|i| i.from == ParamOrigin::Callback)
        .count();
    assert_eq!(callbacks, 1);
    let code = generate_conversions(&schema, &conv).unwrap();
    assert!(code.contains("pub static RULES: [Rule; 253]"));
    assert_eq!(
        code,
        generate_conversions(&schema, &conv).unwrap(),
        "deterministic"
    );
}

#[test]
fn every_converter_managed_enter_event_has_an_entry() {
    // The eligibility rules send every converter-managed enter event to the table, whatever its
    // parameter count: one with no entry at all would fail on every capture that has it.
    let schema = schema();
    let conv = load_conversions(&schema_dir()).unwrap();
    let managed_enters: Vec<_> = schema
        .events
        .iter()
        .filter(|e| e.id.ends_with("_E") && e.flags.iter().any(|f| f == "EF_CONVERTER_MANAGED"))
        .collect();
    assert!(managed_enters.len() > 80);
    for e in managed_enters {
        assert!(
            conv.entries.iter().any(|c| c.event == e.id),
            "{} has no entry",
            e.id
        );
    }
}

#[test]
fn eligibility_rules() {
    let schema = schema();
    let ev = |id: &str| schema.events.iter().find(|e| e.id == id).unwrap();
    assert_eq!(verdict(ev("PPME_SYSCALL_READ_E"), 2), Verdict::Convert);
    assert_eq!(verdict(ev("PPME_SYSCALL_READ_X"), 4), Verdict::Pass);
    assert_eq!(verdict(ev("PPME_SYSCALL_READ_X"), 2), Verdict::Convert);
    assert_eq!(verdict(ev("PPME_SYSCALL_READ_X"), 5), Verdict::Error);
    assert_eq!(verdict(ev("PPME_SYSCALL_LINK_X"), 1), Verdict::Convert);
    assert_eq!(verdict(ev("PPME_PROCINFO_E"), 2), Verdict::Pass);
    let unused = schema
        .events
        .iter()
        .find(|e| e.flags.iter().any(|f| f == "EF_UNUSED"))
        .unwrap();
    assert_eq!(verdict(unused, 0), Verdict::Drop);
}

#[test]
fn unknown_events_are_named() {
    let s = schema();
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_NOPE_X\"\nnparams = 1\naction = \"store\"\n",
        "PPME_NOPE_X/1: unknown event PPME_NOPE_X",
    );
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_LINK_X\"\nnparams = 1\naction = \"change_type\"\nto = \"PPME_NOPE\"\nparams = []\n",
        "unknown event PPME_NOPE",
    );
}

#[test]
fn indexes_out_of_range_are_rejected() {
    let s = schema();
    let store =
        "[[conversion]]\nevent = \"PPME_SYSCALL_READ_E\"\nnparams = 2\naction = \"store\"\n";
    // enter parameter past the stored layout
    assert_problem(
        &s,
        &format!(
            "{store}[[conversion]]\nevent = \"PPME_SYSCALL_READ_X\"\nnparams = 2\naction = \"add_params\"\nparams = [\n  {{ name = \"fd\", from = \"enter\", param = 2, fallback = \"default\" }},\n  {{ name = \"size\", from = \"enter\", param = 1, fallback = \"default\" }},\n]\n"
        ),
        "PPME_SYSCALL_READ_X/2 param 2 'fd': takes parameter 2 of PPME_SYSCALL_READ_E stored with 2 parameters",
    );
    // old parameter past the converted event
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_UMOUNT_X\"\nnparams = 2\naction = \"change_type\"\nto = \"PPME_SYSCALL_UMOUNT_1_X\"\nparams = [\n  { name = \"res\", from = \"old\", param = 0 },\n  { name = \"name\", from = \"old\", param = 2 },\n]\n",
        "takes parameter 2 of an event with 2 parameters",
    );
    // more parameters than the resulting layout has
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_OPEN_X\"\nnparams = 5\naction = \"add_params\"\nparams = [\n  { name = \"ino\", from = \"empty\" },\n  { name = \"x\", from = \"empty\" },\n]\n",
        "PPME_SYSCALL_OPEN_X has only 6 parameters",
    );
    // key past the event's layout
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_READ_E\"\nnparams = 9\naction = \"store\"\n",
        "has at most 2 parameters",
    );
}

#[test]
fn names_and_shapes_are_checked() {
    let s = schema();
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_OPEN_X\"\nnparams = 5\naction = \"add_params\"\nparams = [ { name = \"dev\", from = \"empty\" } ]\n",
        "parameter 5 of PPME_SYSCALL_OPEN_X is 'ino'",
    );
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_OPEN_X\"\nnparams = 5\naction = \"add_params\"\nparams = [ { name = \"ino\", from = \"old\" } ]\n",
        "`param` is required",
    );
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_READ_E\"\nnparams = 2\naction = \"store\"\n[[conversion]]\nevent = \"PPME_SYSCALL_READ_E\"\nnparams = 2\naction = \"store\"\n",
        "PPME_SYSCALL_READ_E/2: duplicate entry",
    );
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_CONTAINER_E\"\nnparams = 4\naction = \"change_type\"\nto = \"PPME_CONTAINER_JSON_E\"\nparams = [ { name = \"json\", from = \"callback\", callback = \"nope\", fallback = \"empty\" } ]\n",
        "unknown callback 'nope'",
    );
    // a key the eligibility rules never reach: a current exit layout with all its parameters
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_READ_X\"\nnparams = 4\naction = \"pass\"\n",
        "never look this key up (Pass)",
    );
}

#[test]
fn chains_must_end() {
    let s = schema();
    // OPEN_X/4 -> OPEN_X/5 needs an entry for /5.
    assert_problem(
        &s,
        "[[conversion]]\nevent = \"PPME_SYSCALL_OPEN_X\"\nnparams = 4\naction = \"add_params\"\nparams = [ { name = \"dev\", from = \"empty\" } ]\n",
        "leads to PPME_SYSCALL_OPEN_X/5, which needs converting but has no entry",
    );
}

#[test]
fn syntax_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("conversions.toml"),
        "source = \"x\"\n[[conversion]]\nevent = \"A\"\nnparams = 1\naction = \"explode\"\n",
    )
    .unwrap();
    let e = load_conversions(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("conversions.toml") && e.contains("line 5") && e.contains("explode"),
        "{e}"
    );
}

#[test]
fn generation_refuses_an_invalid_table() {
    let s = schema();
    let conv = parse_conversions(
        "source = \"t\"\n[[conversion]]\nevent = \"PPME_NOPE\"\nnparams = 0\naction = \"store\"\n",
    )
    .unwrap();
    let e = generate_conversions(&s, &conv).unwrap_err();
    assert!(matches!(e, GenError::Invalid(ref p) if p.len() == 1), "{e}");
}
