//! Malformed input: a copy of the 4.5.1 driver folder with one thing broken at a time. The
//! import must fail (never panic, never produce a partial table) with an error naming the
//! right file and line.

use std::fs;
use std::path::{Path, PathBuf};

use codegen::import::{ImportError, import_dir};

fn driver() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/libscap/schema-4.5.1");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

/// A writable copy of the driver folder.
struct Copy {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Copy {
    fn new() -> Option<Copy> {
        let src = driver()?;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("schema-4.5.1");
        fs::create_dir(&dir).unwrap();
        for entry in fs::read_dir(&src).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        Some(Copy { _tmp: tmp, dir })
    }

    fn text(&self, file: &str) -> String {
        fs::read_to_string(self.dir.join(file)).unwrap()
    }

    /// Replaces the first occurrence of `from` in `file`; returns the 1-based line where it
    /// started.
    fn replace(&self, file: &str, from: &str, to: &str) -> u32 {
        let text = self.text(file);
        let at = text
            .find(from)
            .unwrap_or_else(|| panic!("{from:?} not in {file}"));
        let line = line_of(&text, at);
        fs::write(self.dir.join(file), text.replacen(from, to, 1)).unwrap();
        line
    }

    /// The line of the first occurrence of `what` in `file` (unchanged).
    fn line(&self, file: &str, what: &str) -> u32 {
        let text = self.text(file);
        line_of(
            &text,
            text.find(what)
                .unwrap_or_else(|| panic!("{what:?} not in {file}")),
        )
    }

    fn error(&self) -> ImportError {
        match import_dir(&self.dir, None) {
            Ok(_) => panic!("the corrupted folder imported without error"),
            Err(e) => e,
        }
    }
}

fn line_of(text: &str, byte: usize) -> u32 {
    text[..byte].matches('\n').count() as u32 + 1
}

fn assert_at(err: &ImportError, file: &str, line: u32, text: &str) {
    let msg = err.to_string();
    assert_eq!(
        (err.file(), err.line()),
        (file.to_string(), Some(line)),
        "{msg}"
    );
    assert!(
        msg.starts_with(&format!("{file}:{line}: expected ")),
        "{msg}"
    );
    assert!(msg.contains(text), "{msg:?} lacks {text:?}");
}

#[test]
fn truncated_initializer() {
    let Some(c) = Copy::new() else { return };
    let text = c.text("event_table.c");
    let cut = text.find("[PPME_SYSCALL_OPEN_X] = {\"open\",").unwrap()
        + "[PPME_SYSCALL_OPEN_X] = {\"open\",".len();
    fs::write(c.dir.join("event_table.c"), &text[..cut]).unwrap();
    let line = line_of(&text, cut);
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "expected an initializer or `}`, found end of file",
    );
}

#[test]
fn unknown_param_type() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "event_table.c",
        "{\"dev\", PT_UINT32, PF_HEX}",
        "{\"dev\", PT_UINT33, PF_HEX}",
    );
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "expected a PT_* parameter type, found `PT_UINT33`",
    );
}

#[test]
fn unknown_print_format() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "event_table.c",
        "{\"mode\", PT_UINT32, PF_OCT}",
        "{\"mode\", PT_UINT32, PF_OCTAL}",
    );
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "expected a PF_* print format, found `PF_OCTAL`",
    );
}

#[test]
fn missing_flags_table() {
    let Some(c) = Copy::new() else { return };
    c.replace("flags_table.c", "file_flags[] =", "file_flagz[] =");
    let line = c.line("event_table.c", "file_flags}");
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "expected a flags table defined in flags_table.c, found `file_flags`",
    );
}

#[test]
fn missing_dynamic_table() {
    let Some(c) = Copy::new() else { return };
    c.replace(
        "dynamic_params_table.c",
        "ptrace_dynamic_param[",
        "ptrace_dyn_param[",
    );
    let line = c.line("event_table.c", "ptrace_dynamic_param, PPM_PTRACE_IDX_MAX");
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "found `ptrace_dynamic_param`",
    );
}

#[test]
fn unknown_event_id() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "event_table.c",
        "[PPME_SYSCALL_CLOSE_E]",
        "[PPME_SYSCALL_CLOZE_E]",
    );
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "found `PPME_SYSCALL_CLOZE_E`",
    );
}

#[test]
fn duplicate_event_entry() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "event_table.c",
        "[PPME_SYSCALL_CLOSE_E]",
        "[PPME_SYSCALL_OPEN_E]",
    );
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "without an earlier entry, found `PPME_SYSCALL_OPEN_E`",
    );
}

#[test]
fn table_shorter_than_ppm_event_max() {
    let Some(c) = Copy::new() else { return };
    c.replace(
        "ppm_events_public.h",
        "PPM_EVENT_MAX = 454",
        "PPME_EXTRA_E = 454,\n\tPPM_EVENT_MAX = 455",
    );
    let line = c.line("event_table.c", "};\n#pragma GCC diagnostic pop");
    let err = c.error();
    assert_at(
        &err,
        "event_table.c",
        line,
        "an entry for PPME_EXTRA_E (code 454): g_event_info needs PPM_EVENT_MAX (455) entries",
    );
    assert!(
        err.to_string().ends_with("found the end of the table"),
        "{err}"
    );
}

#[test]
fn nparams_mismatch() {
    let Some(c) = Copy::new() else { return };
    let from = "EF_CREATES_FD | EF_MODIFIES_STATE | EF_CONVERTER_MANAGED,\n                                 6,";
    let line = c.replace("event_table.c", from, &from.replace("6,", "7,")) + 1;
    assert_at(
        &c.error(),
        "event_table.c",
        line,
        "expected the number of parameters listed (6), found `7`",
    );
}

#[test]
fn garbage_token() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "flags_table.c",
        "{\"O_CREAT\", PPM_O_CREAT},",
        "{\"O_CREAT\", PPM_O_CREAT} @,",
    );
    assert_at(&c.error(), "flags_table.c", line, "found `@`");
}

#[test]
fn unknown_flag_value_constant() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace("flags_table.c", "PPM_O_CREAT}", "PPM_O_CREATE}");
    assert_at(
        &c.error(),
        "flags_table.c",
        line,
        "expected a constant defined in ppm_events_public.h, found `PPM_O_CREATE`",
    );
}

#[test]
fn flags_table_without_terminator() {
    let Some(c) = Copy::new() else { return };
    let from = "{\"FD_LOWER_LAYER\", PPM_FD_LOWER_LAYER},\n        {0, 0},\n};";
    let line = c.replace(
        "flags_table.c",
        from,
        "{\"FD_LOWER_LAYER\", PPM_FD_LOWER_LAYER},\n};",
    ) + 1;
    assert_at(
        &c.error(),
        "flags_table.c",
        line,
        "expected a `{0, 0}` terminator before the end of the table, found `}`",
    );
}

#[test]
fn bad_header_define() {
    let Some(c) = Copy::new() else { return };
    // Used by file_flags, so the broken value is reported where the macro is defined.
    let line = c.replace(
        "ppm_events_public.h",
        "#define PPM_O_TRUNC (1 << 8)",
        "#define PPM_O_TRUNC (1 << )",
    );
    assert_at(
        &c.error(),
        "ppm_events_public.h",
        line,
        "expected an operand",
    );
}

#[test]
fn unguarded_syscall_without_number() {
    let Some(c) = Copy::new() else { return };
    c.replace(
        "syscall_compat_aarch64.h",
        "#define __NR_close 57",
        "#define __NR_close_ 57",
    );
    let line = c.line("syscall_table.c", "[__NR_close - SYSCALL_TABLE_ID0]");
    assert_at(
        &c.error(),
        "syscall_table.c",
        line,
        "expected __NR_close to be defined in syscall_compat_aarch64.h (the entry is not guarded by #ifdef __NR_close), found no definition",
    );
}

#[test]
fn syscall_with_unknown_event() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "syscall_table.c",
        "PPME_SYSCALL_OPENAT_2_E,",
        "PPME_SYSCALL_OPENAT_9_E,",
    );
    assert_at(
        &c.error(),
        "syscall_table.c",
        line,
        "expected an enter (_E) event of g_event_info, found `PPME_SYSCALL_OPENAT_9_E`",
    );
}

#[test]
fn duplicate_syscall_number() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "syscall_table.c",
        "[__NR_write - SYSCALL_TABLE_ID0]",
        "[__NR_read - SYSCALL_TABLE_ID0]",
    );
    let read_line = c.line("syscall_table.c", "[__NR_read - SYSCALL_TABLE_ID0]");
    assert!(read_line < line);
    assert_at(
        &c.error(),
        "syscall_table.c",
        line,
        &format!("is also __NR_read at line {read_line}"),
    );
}

#[test]
fn unbalanced_conditional() {
    let Some(c) = Copy::new() else { return };
    let from = "#ifdef __NR_rseq_slice_yield\n\t[__NR_rseq_slice_yield - SYSCALL_TABLE_ID0] = {.ppm_sc = PPM_SC_RSEQ_SLICE_YIELD},\n#endif\n";
    let text = c.text("syscall_table.c");
    assert!(text.contains(from));
    fs::write(
        c.dir.join("syscall_table.c"),
        text.replace(from, &from.replace("#endif\n", "")),
    )
    .unwrap();
    let last_line = c.text("syscall_table.c").trim_end().lines().count() as u32;
    assert_at(
        &c.error(),
        "syscall_table.c",
        last_line,
        "expected #endif closing the conditional of line",
    );
}

#[test]
fn unknown_ppm_sc() {
    let Some(c) = Copy::new() else { return };
    let line = c.replace(
        "syscall_table.c",
        "{.ppm_sc = PPM_SC_IO_SETUP}",
        "{.ppm_sc = PPM_SC_IO_SETUPP}",
    );
    assert_at(
        &c.error(),
        "syscall_table.c",
        line,
        "found `PPM_SC_IO_SETUPP`",
    );
}

#[test]
fn bad_schema_version_and_missing_file() {
    let Some(c) = Copy::new() else { return };
    fs::write(c.dir.join("SCHEMA_VERSION"), "4.5\n").unwrap();
    assert_at(
        &c.error(),
        "SCHEMA_VERSION",
        1,
        "expected a version MAJOR.MINOR.PATCH, found \"4.5\"",
    );
    fs::write(c.dir.join("SCHEMA_VERSION"), "4.5.1\n").unwrap();
    fs::remove_file(c.dir.join("dynamic_params_table.c")).unwrap();
    let err = c.error();
    assert!(matches!(err, ImportError::Read { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("dynamic_params_table.c: cannot read"),
        "{err}"
    );
}

/// Cut or damage each input file at many places (deterministic pseudo-random positions): the
/// import returns (an error or, for harmless damage, a schema) and never panics; errors name
/// an input file.
#[test]
fn damaged_files_never_panic() {
    let Some(c) = Copy::new() else { return };
    let files = [
        "ppm_events_public.h",
        "event_table.c",
        "flags_table.c",
        "dynamic_params_table.c",
        "syscall_table.c",
        "syscall_compat_x86_64.h",
    ];
    let junk: &[&[u8]] = &[
        b"",
        b"{",
        b"}",
        b"(",
        b"#if 1\n",
        b"#endif\n",
        b"\"",
        b"/*",
        b"0x",
        b"|",
        b"\\\n",
        b"[99999999999999999999]",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for file in files {
        let original = fs::read(c.dir.join(file)).unwrap();
        for round in 0..12 {
            let at = next() % original.len();
            let mut damaged = original[..at].to_vec();
            if round % 2 == 1 {
                damaged.extend_from_slice(junk[next() % junk.len()]);
                damaged.extend_from_slice(&original[(at + 1).min(original.len())..]);
            }
            fs::write(c.dir.join(file), &damaged).unwrap();
            let result = std::panic::catch_unwind(|| import_dir(&c.dir, None));
            match result {
                Err(_) => {
                    panic!("import panicked with {file} damaged at byte {at} (round {round})")
                }
                Ok(Err(e)) => {
                    let named = e.file();
                    assert!(
                        files.contains(&named.as_str()) || named == "syscall_compat_aarch64.h",
                        "{e}"
                    );
                }
                Ok(Ok(_)) => {}
            }
        }
        fs::write(c.dir.join(file), &original).unwrap();
    }
}
