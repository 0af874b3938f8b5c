//! `agent/capture.toml`: the checked-in plan is complete and sound against the checked-in
//! schema; each kind of mistake is a problem naming the file and the row.

use std::path::{Path, PathBuf};

use codegen::capture::validate::check;
use codegen::capture::{CAPTURE_FILE, load_plan, parse_plan};
use codegen::model::Schema;
use codegen::schema_io::load_schema;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn schema() -> Schema {
    load_schema(&root().join("schema")).unwrap()
}

/// The checked-in plan with `edit` applied to its text.
fn problems_with(edit: impl Fn(&str) -> String) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(CAPTURE_FILE)).unwrap();
    let plan = parse_plan(&edit(&text)).unwrap();
    match check(&schema(), &plan) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

fn assert_problem(problems: &[String], row: &str, needle: &str) {
    assert!(
        problems
            .iter()
            .any(|m| m.starts_with(&format!("agent/capture.toml: {row}: ")) && m.contains(needle)),
        "expected a problem of {row} containing {needle:?}, got {problems:#?}"
    );
}

/// Replace the first `from` after `[syscall.NAME]` with `to`.
fn in_row(text: &str, name: &str, from: &str, to: &str) -> String {
    let at = text.find(&format!("[syscall.{name}]\n")).unwrap();
    let (head, tail) = text.split_at(at);
    format!("{head}{}", tail.replacen(from, to, 1))
}

#[test]
fn checked_in_plan_is_complete_and_sound() {
    let schema = schema();
    let plan = load_plan(&root().join(CAPTURE_FILE)).unwrap();
    let resolved = check(&schema, &plan).unwrap();
    // Every x86_64 syscall with an event of its own has a row or a reason, never both.
    let x86 = &schema
        .syscalls
        .iter()
        .find(|m| m.arch == "x86_64")
        .unwrap()
        .entries;
    for s in x86.iter().filter(|s| s.exit != "PPME_GENERIC_X") {
        let row = plan.syscall.contains_key(&s.name);
        let reason = plan.not_captured.contains_key(&s.name);
        assert!(
            row != reason,
            "{}: row {row}, not_captured {reason}",
            s.name
        );
    }
    let rows: Vec<&str> = resolved.rows.iter().map(|r| r.syscall.as_str()).collect();
    for name in [
        "mmap", "munmap", "mprotect", "brk", "ptrace", "openat", "connect",
    ] {
        assert!(rows.contains(&name), "{name}");
    }
}

#[test]
fn a_missing_row_is_an_error() {
    let p = problems_with(|t| t.replace("[syscall.mprotect]\n", "[syscall.mprotect_gone]\n"));
    assert_problem(
        &p,
        "syscall.mprotect",
        "no row and no `not_captured` reason",
    );
    assert_problem(
        &p,
        "syscall.mprotect_gone",
        "no x86_64 syscall of that name",
    );
}

#[test]
fn a_generic_syscall_cannot_have_a_row() {
    let p = problems_with(|t| format!("{t}\n[syscall.sched_yield]\nparams = {{}}\n"));
    assert_problem(&p, "syscall.sched_yield", "has no event of its own");
}

#[test]
fn unknown_parameters_are_errors() {
    let p = problems_with(|t| in_row(t, "mprotect", "length = ", "lenght = "));
    assert_problem(&p, "syscall.mprotect", "has no parameter `lenght`");
    assert_problem(&p, "syscall.mprotect", "parameter `length` has no source");
}

#[test]
fn a_parameter_needs_a_source_or_a_reason() {
    let p = problems_with(|t| in_row(t, "mprotect", ", addr = \"arg0\"", ""));
    assert_problem(&p, "syscall.mprotect", "parameter `addr` has no source");
}

#[test]
fn flag_tables_must_be_the_parameters() {
    let p = problems_with(|t| {
        in_row(
            t,
            "mprotect",
            "flags(prot_flags, arg2)",
            "flags(mmap_flags, arg2)",
        )
    });
    assert_problem(
        &p,
        "syscall.mprotect",
        "flag table `mmap_flags` is not the parameter's (`prot_flags`)",
    );
    let p = problems_with(|t| in_row(t, "mprotect", "flags(prot_flags, arg2)", "arg2"));
    assert_problem(&p, "syscall.mprotect", "use flags(prot_flags, argN)");
}

#[test]
fn sources_must_fit_the_parameter_type() {
    let p = problems_with(|t| in_row(t, "mprotect", "addr = \"arg0\"", "addr = \"str(arg0)\""));
    assert_problem(
        &p,
        "syscall.mprotect",
        "a String source cannot fill a PT_UINT64 parameter",
    );
    let p = problems_with(|t| in_row(t, "chdir", "str(arg0)", "arg0"));
    assert_problem(
        &p,
        "syscall.chdir",
        "a Integer source cannot fill a PT_CHARBUF parameter",
    );
}

#[test]
fn bad_expressions_and_native_tables_are_errors() {
    let p = problems_with(|t| in_row(t, "mprotect", "addr = \"arg0\"", "addr = \"arg9\""));
    assert_problem(&p, "syscall.mprotect", "addr: `arg9`");
    let p = problems_with(|t| t.replace("PROT_EXEC = 0x4,", "PROT_EKSEC = 0x4,"));
    assert_problem(
        &p,
        "native.prot_flags",
        "`PROT_EKSEC` is not a flag of the PPM table",
    );
    let p = problems_with(|t| t.replace("[native.mlock2_flags]\nidentity = true\n", ""));
    assert_problem(&p, "syscall.mlock2", "no native values for `mlock2_flags`");
    // QFMT_NOT_USED is 1; 3 is no quota format.
    let p = problems_with(|t| {
        in_row(
            t,
            "quotactl",
            "const(1)), const(1))\", cmd",
            "const(1)), const(3))\", cmd",
        )
    });
    assert_problem(
        &p,
        "syscall.quotactl",
        "quota_fmt_out: the constant is no value of flag table `quotactl_quota_fmts`",
    );
}

#[test]
fn too_many_memory_arguments_are_an_error() {
    let p = problems_with(|t| {
        in_row(
            t,
            "mount",
            "flags = \"flags(mount_flags, arg3)\"",
            "flags = \"flags(mount_flags, field(arg4, off=0, size=4))\"",
        )
    });
    assert_problem(&p, "syscall.mount", "4 copies of arguments' user memory");
}

#[test]
fn one_argument_is_copied_a_second_way_at_most() {
    // A string and a struct: two slots, more than mount has.
    let p = problems_with(|t| {
        in_row(
            t,
            "mount",
            "flags = \"flags(mount_flags, arg3)\"",
            "flags = \"flags(mount_flags, field(arg1, off=0, size=4))\"",
        )
    });
    assert_problem(&p, "syscall.mount", "4 copies of arguments' user memory");
    // fsconfig reads arg3 two ways; a second argument read two ways is one too many.
    let p = problems_with(|t| {
        in_row(
            t,
            "fsconfig",
            "aux = \"arg4\"",
            "aux = \"field(arg2, off=0, size=4)\"",
        )
    });
    assert_problem(
        &p,
        "syscall.fsconfig",
        "arg2, arg3 are read more than one way",
    );
    // Buffers of two lengths are no two ways.
    let p = problems_with(|t| {
        in_row(
            t,
            "write",
            "size = \"arg2\"",
            "size = \"buf(arg1, len=arg0)\"",
        )
    });
    assert_problem(
        &p,
        "syscall.write",
        "arg1 is read both as a buffer with length argument and as a buffer with length argument",
    );
    let p = problems_with(|t| {
        in_row(
            t,
            "sendmmsg",
            "size = \"iov_len\"",
            "size = \"field(arg1, off=56, size=4)\"",
        )
    });
    assert_problem(
        &p,
        "syscall.sendmmsg",
        "arg1 is read both as a fixed-size struct and as a mmsghdr array",
    );
}

#[test]
fn fd_lists_need_the_native_poll_flags() {
    let p = problems_with(|t| {
        t.replace(
            "\n[native.poll_flags]\nbits = { POLLIN",
            "\n[native.ignored]\nbits = { POLLIN",
        )
    });
    assert_problem(&p, "syscall.poll", "no native values for `poll_flags`");
}

#[test]
fn fd_sources_need_a_read_fd_and_magic_words_their_mask() {
    let p = problems_with(|t| in_row(t, "open_by_handle_at", "read = \"ret\"\n", ""));
    assert_problem(
        &p,
        "syscall.open_by_handle_at",
        "path: the source reads the fd's kernel objects",
    );
    let p = problems_with(|t| {
        t.replace(
            "magic = [0xffff0000, 0xc0ed0000]",
            "magic = [0xffff, 0xc0ed0000]",
        )
    });
    assert_problem(&p, "native.mount_flags", "a non-zero value within its mask");
}

#[test]
fn dynamic_values_must_fit_their_table_entry() {
    // keyctl_dynamic_param: 0 is PT_INT64, 1 is PT_CHARBUF; there is no 2.
    let p = problems_with(|t| in_row(t, "keyctl", "dyn(1, str(arg1))", "dyn(1, arg1)"));
    assert_problem(
        &p,
        "syscall.keyctl",
        "arg2: a Dyn(1) source cannot fill a PT_DYN parameter",
    );
    let p = problems_with(|t| in_row(t, "keyctl", "dyn(1, str(arg1))", "dyn(2, str(arg1))"));
    assert_problem(
        &p,
        "syscall.keyctl",
        "arg2: a Dyn(2) source cannot fill a PT_DYN parameter",
    );
    // A dyn value of another parameter's kind, and an integer for a PT_DYN.
    let p = problems_with(|t| in_row(t, "mprotect", "addr = \"arg0\"", "addr = \"dyn(0, arg0)\""));
    assert_problem(
        &p,
        "syscall.mprotect",
        "addr: a Dyn(0) source cannot fill a PT_UINT64 parameter",
    );
    let p = problems_with(|t| {
        in_row(
            t,
            "keyctl",
            "dyn(0, arg4), dyn(0, const(0))",
            "arg4, dyn(0, const(0))",
        )
    });
    assert_problem(
        &p,
        "syscall.keyctl",
        "arg5: a Integer source cannot fill a PT_DYN parameter",
    );
}

#[test]
fn else_branches_are_checked_as_the_first() {
    // The else branch must fit the parameter too.
    let p = problems_with(|t| {
        in_row(
            t,
            "keyctl",
            "dyn(0, arg4), dyn(0, const(0))",
            "dyn(0, arg4), str(arg4)",
        )
    });
    assert_problem(
        &p,
        "syscall.keyctl",
        "arg5: a String source cannot fill a PT_DYN parameter",
    );
    // What an else branch (inside a dyn) copies counts: keyctl's three strings and a struct.
    let p = problems_with(|t| {
        in_row(
            t,
            "keyctl",
            "dyn(0, arg1), dyn(0, const(0))",
            "dyn(0, arg1), dyn(0, field(arg1, off=0, size=4))",
        )
    });
    assert_problem(&p, "syscall.keyctl", "4 copies of arguments' user memory");
}
