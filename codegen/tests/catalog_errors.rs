//! Catalog mistakes are reported with the file and the field they are in, and say what is
//! wrong. Each test writes a small catalog into a temporary folder and loads it.

use std::path::Path;

use codegen::catalog::{CatalogError, load_catalog};

const HEADER_PROC: &str = "class = \"proc\"\ndesc = \"Processes.\"\n";

/// A served field entry in TOML.
fn field(name: &str, extra: &str) -> String {
    format!("\n[[field]]\nname = \"{name}\"\ntype = \"string\"\ndesc = \"Something.\"\n{extra}\n")
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

/// Loads a catalog made of `files` and returns the error's text; panics if it loads.
fn load_err(files: &[(&str, String)]) -> (CatalogError, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    match load_catalog(dir.path()) {
        Ok(c) => panic!("expected an error, the catalog loaded: {c:?}"),
        Err(e) => {
            let text = e.to_string();
            (e, text)
        }
    }
}

fn assert_mentions(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "the error should mention {p:?}:\n{text}");
    }
}

#[test]
fn a_sound_catalog_loads_in_file_name_order() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "thread.toml",
        &format!(
            "class = \"thread\"\ndesc = \"T.\"\n{}",
            field("thread.tid", "compute = { fn = \"thread::tid\" }")
        ),
    );
    write(
        dir.path(),
        "proc.toml",
        &format!(
            "{HEADER_PROC}{}{}",
            field("proc.name", "compute = { thread = \"comm\" }"),
            field(
                "proc.aname",
                "arg = \"index\"\ncompute = { fn = \"proc::aname\" }"
            )
        ),
    );
    write(
        dir.path(),
        "fs_path.toml",
        &format!(
            "class = \"fs.path\"\ndesc = \"P.\"\n{}",
            field("fs.path.name", "compute = { fn = \"fs_path::name\" }")
        ),
    );
    write(dir.path(), "notes.txt", "not part of the catalog");
    let c = load_catalog(dir.path()).expect("loads");
    let classes: Vec<&str> = c.files.iter().map(|f| f.class.as_str()).collect();
    assert_eq!(classes, ["fs.path", "proc", "thread"]);
    let names: Vec<&str> = c.fields().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["fs.path.name", "proc.name", "proc.aname", "thread.tid"]
    );
}

#[test]
fn toml_syntax_error_names_file_line_and_field() {
    let text = format!(
        "{HEADER_PROC}{}\n[[field]]\nname = \"proc.exe\"\ntype = \"string\"\ndesc = \"unterminated\n",
        field("proc.name", "compute = { fn = \"proc::name\" }")
    );
    let (e, msg) = load_err(&[("proc.toml", text)]);
    assert!(matches!(e, CatalogError::Syntax { line: 13, .. }), "{e:?}");
    assert_mentions(&msg, &["proc.toml:13:", "proc.exe"]);
}

#[test]
fn unknown_key_names_file_line_and_field() {
    let text = format!(
        "{HEADER_PROC}{}{}",
        field("proc.name", "compute = { fn = \"proc::name\" }"),
        field(
            "proc.exe",
            "colour = \"red\"\ncompute = { fn = \"proc::exe\" }"
        )
    );
    let (e, msg) = load_err(&[("proc.toml", text)]);
    assert!(matches!(e, CatalogError::Syntax { .. }), "{e:?}");
    assert_mentions(&msg, &["proc.toml:", "proc.exe", "colour"]);
    // The line of the unknown key.
    assert_mentions(&msg, &["proc.toml:14:1:"]);
}

#[test]
fn unknown_key_in_compute_and_wrong_values_are_syntax_errors() {
    let (_, msg) = load_err(&[(
        "proc.toml",
        format!(
            "{HEADER_PROC}{}",
            field("proc.name", "compute = { func = \"proc::name\" }")
        ),
    )]);
    assert_mentions(&msg, &["proc.toml:", "proc.name", "func"]);

    let text = format!(
        "{HEADER_PROC}\n[[field]]\nname = \"proc.pid\"\ntype = \"int64\"\ndesc = \"d\"\ncompute = {{ fn = \"proc::pid\" }}\n"
    );
    let (_, msg) = load_err(&[("proc.toml", text)]);
    assert_mentions(&msg, &["proc.toml:6:", "proc.pid", "int64"]);

    let text = format!(
        "{HEADER_PROC}\n[[field]]\nname = \"proc.pid\"\ndesc = \"d\"\ncompute = {{ fn = \"proc::pid\" }}\n"
    );
    let (_, msg) = load_err(&[("proc.toml", text)]);
    assert_mentions(&msg, &["proc.toml:", "proc.pid", "type"]);

    let (_, msg) = load_err(&[("proc.toml", "desc = \"no class\"\n".to_string())]);
    assert_mentions(&msg, &["proc.toml", "class"]);
}

#[test]
fn duplicate_names_across_and_within_files() {
    // fs.path may live in fs.path.toml or fs_path.toml: two files of one class.
    let a = format!(
        "class = \"fs.path\"\ndesc = \"P.\"\n{}",
        field("fs.path.name", "compute = { fn = \"fs_path::name\" }")
    );
    let (e, msg) = load_err(&[("fs.path.toml", a.clone()), ("fs_path.toml", a)]);
    assert!(
        matches!(e, CatalogError::Invalid(ref p) if p.len() == 1),
        "{e:?}"
    );
    assert_mentions(
        &msg,
        &[
            "fs_path.toml: fs.path.name: duplicate field name",
            "fs.path.toml",
        ],
    );

    let text = format!(
        "{HEADER_PROC}{}{}",
        field("proc.name", "compute = { fn = \"proc::name\" }"),
        field("proc.name", "compute = { fn = \"proc::name2\" }")
    );
    let (_, msg) = load_err(&[("proc.toml", text)]);
    assert_mentions(
        &msg,
        &[
            "proc.toml: proc.name: duplicate field name: already declared in",
            "proc.toml",
        ],
    );
}

#[test]
fn name_outside_the_class() {
    let text = format!(
        "{HEADER_PROC}{}{}",
        field("thread.tid", "compute = { fn = \"proc::tid\" }"),
        field("procx.name", "compute = { fn = \"proc::x\" }")
    );
    let (e, msg) = load_err(&[("proc.toml", text)]);
    assert!(
        matches!(e, CatalogError::Invalid(ref p) if p.len() == 2),
        "{e:?}"
    );
    assert_mentions(
        &msg,
        &[
            "proc.toml: thread.tid: the name must start with 'proc.'",
            "proc.toml: procx.name: the name must start with 'proc.'",
        ],
    );
}

#[test]
fn malformed_names() {
    let text = format!(
        "{HEADER_PROC}{}{}",
        field("proc.Name", "compute = { fn = \"proc::name\" }"),
        field("proc..x", "compute = { fn = \"proc::x\" }")
    );
    let (_, msg) = load_err(&[("proc.toml", text)]);
    assert_mentions(
        &msg,
        &[
            "proc.toml: proc.Name: 'proc.Name' contains 'N'",
            "proc.toml: proc..x: 'proc..x' has an empty segment",
        ],
    );
}

#[test]
fn compute_and_unsupported_both_or_neither() {
    let text = format!(
        "{HEADER_PROC}{}{}{}",
        field(
            "proc.a",
            "compute = { fn = \"proc::a\" }\nunsupported = \"because\""
        ),
        field("proc.b", ""),
        field("proc.c", "unsupported = \"  \"")
    );
    let (e, msg) = load_err(&[("proc.toml", text)]);
    assert!(
        matches!(e, CatalogError::Invalid(ref p) if p.len() == 3),
        "{e:?}"
    );
    assert_mentions(
        &msg,
        &[
            "proc.toml: proc.a: has both compute and unsupported",
            "proc.toml: proc.b: has neither compute nor unsupported",
            "proc.toml: proc.c: unsupported needs a reason",
        ],
    );
}

#[test]
fn arg_required_without_arg() {
    let text = format!(
        "{HEADER_PROC}{}",
        field(
            "proc.env",
            "arg_required = true\ncompute = { fn = \"proc::env\" }"
        )
    );
    let (_, msg) = load_err(&[("proc.toml", text)]);
    assert_mentions(
        &msg,
        &["proc.toml: proc.env: arg_required = true, but arg is none"],
    );
}

#[test]
fn generic_fields_and_their_extensions_are_refused() {
    let text = format!(
        "class = \"evt\"\ndesc = \"E.\"\n{}{}{}{}",
        field("evt.time", "compute = { fn = \"evt::time\" }"),
        field("evt.time.x", "compute = { fn = \"evt::time_x\" }"),
        field("evt.pluginname", "unsupported = \"Falco has it\""),
        // Shares a prefix with a generic name, but is not an extension of it: fine.
        field("evt.timestamp", "compute = { fn = \"evt::timestamp\" }")
    );
    let (e, msg) = load_err(&[("evt.toml", text)]);
    assert!(
        matches!(e, CatalogError::Invalid(ref p) if p.len() == 3),
        "{e:?}"
    );
    assert_mentions(
        &msg,
        &[
            "evt.toml: evt.time: 'evt.time' is one of the generic fields",
            "evt.toml: evt.time.x: the name extends the generic field 'evt.time'",
            "evt.toml: evt.pluginname: 'evt.pluginname' is one of the generic fields",
        ],
    );
    assert!(!msg.contains("evt.timestamp"), "{msg}");
}

#[test]
fn bad_fn_paths() {
    let cases = [
        ("proc.a", "proc", "must have the form module::function"),
        (
            "proc.b",
            "proc::b::c",
            "must have the form module::function",
        ),
        (
            "proc.c",
            "proc::Name",
            "'Name' is not a plain snake-case Rust identifier",
        ),
        (
            "proc.d",
            "proc::type",
            "'type' is not a plain snake-case Rust identifier",
        ),
        (
            "proc.e",
            "proc::na-me",
            "'na-me' is not a plain snake-case Rust identifier",
        ),
        ("proc.f", "thread::f", "the module must be 'proc'"),
        (
            "proc.g",
            "proc::",
            "'' is not a plain snake-case Rust identifier",
        ),
    ];
    let mut text = HEADER_PROC.to_string();
    for (name, path, _) in cases {
        text.push_str(&field(name, &format!("compute = {{ fn = \"{path}\" }}")));
    }
    let (e, msg) = load_err(&[("proc.toml", text)]);
    assert!(
        matches!(e, CatalogError::Invalid(ref p) if p.len() == cases.len()),
        "{e:?}"
    );
    for (name, _, why) in cases {
        assert_mentions(&msg, &[&format!("proc.toml: {name}: fn = "), why]);
    }
    // fs.path's module is fs_path.
    let text = format!(
        "class = \"fs.path\"\ndesc = \"P.\"\n{}",
        field("fs.path.name", "compute = { fn = \"fs.path::name\" }")
    );
    let (_, msg) = load_err(&[("fs_path.toml", text)]);
    assert_mentions(
        &msg,
        &["fs_path.toml: fs.path.name: fn = \"fs.path::name\""],
    );
}

#[test]
fn declarative_sources_are_checked() {
    let text = format!(
        "{HEADER_PROC}{}{}{}",
        field("proc.a", "compute = { thread = \"commm\" }"),
        field(
            "proc.b",
            "arg = \"index\"\ncompute = { process = \"comm\" }"
        ),
        field("proc.c", "compute = { fd = \"pid\" }")
    );
    let (_, msg) = load_err(&[("proc.toml", text)]);
    assert_mentions(
        &msg,
        &[
            "proc.toml: proc.a: thread = \"commm\" is not a known state column",
            "proc.toml: proc.b: a process column takes no argument",
            "proc.toml: proc.c: fd = \"pid\" is not a known state column",
        ],
    );
}

#[test]
fn class_and_file_must_agree() {
    let text = format!(
        "class = \"thread\"\ndesc = \"T.\"\n{}",
        field("thread.tid", "compute = { fn = \"thread::tid\" }")
    );
    let (_, msg) = load_err(&[("proc.toml", text)]);
    assert_mentions(
        &msg,
        &["proc.toml: class 'thread' does not match the file name (expected thread.toml)"],
    );
}

#[test]
fn empty_and_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "no toml here");
    let e = load_catalog(dir.path()).unwrap_err();
    assert!(matches!(e, CatalogError::Empty { .. }), "{e:?}");
    let missing = dir.path().join("nope");
    let e = load_catalog(&missing).unwrap_err();
    assert!(matches!(e, CatalogError::Dir { .. }), "{e:?}");
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!(
        "{HEADER_PROC}{}{}",
        field("proc.a", "arg_required = true"),
        field(
            "thread.b",
            "compute = { fn = \"proc::b\" }\nunsupported = \"x\""
        )
    );
    let (e, _) = load_err(&[("proc.toml", text)]);
    let problems = e.problems();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(
        problems.iter().all(|p| p.contains("proc.toml: ")),
        "{problems:#?}"
    );
}
