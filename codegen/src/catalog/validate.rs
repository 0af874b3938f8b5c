//! Checks of the field catalog that TOML deserialization cannot express. Every problem names
//! the catalog file and the entry (the field's name, or its position when it has none).

use std::collections::BTreeMap;
use std::fmt;

use super::model::{ArgForm, ClassFile, Compute, Field};

/// The generic event fields libsinsp attaches to every event source, plugin sources included
/// (its `gen_event` filter check). Falco refuses a plugin that declares one of these names, and
/// a plugin field whose name extends one (`evt.time.x`) can never be reached, because libsinsp
/// matches the generic field first.
pub const GENERIC_FIELDS: [&str; 18] = [
    "evt.num",
    "evt.time",
    "evt.time.s",
    "evt.time.iso8601",
    "evt.datetime",
    "evt.datetime.s",
    "evt.rawtime",
    "evt.rawtime.s",
    "evt.rawtime.ns",
    "evt.reltime",
    "evt.reltime.s",
    "evt.reltime.ns",
    "evt.pluginname",
    "evt.plugininfo",
    "evt.source",
    "evt.is_async",
    "evt.asynctype",
    "evt.hostname",
];

/// Columns a `{ thread = ".." }` or `{ process = ".." }` source may name: the fields of the
/// plugin's thread state entry. Kept short on purpose; anything derived is a `fn`.
pub const THREAD_COLUMNS: [&str; 25] = [
    "tid",
    "pid",
    "ptid",
    "sid",
    "vpgid",
    "pgid",
    "vtid",
    "vpid",
    "comm",
    "exe",
    "exepath",
    "cwd",
    "uid",
    "gid",
    "loginuid",
    "fdlimit",
    "vmsize_kb",
    "vmrss_kb",
    "vmswap_kb",
    "pfmajor",
    "pfminor",
    "cap_permitted",
    "cap_inheritable",
    "cap_effective",
    "tty",
];

/// Columns a `{ fd = ".." }` source may name: the fields of the plugin's fd state entry.
pub const FD_COLUMNS: [&str; 7] = [
    "num",
    "name",
    "ino",
    "dev",
    "mount_id",
    "open_flags",
    "typechar",
];

/// One catalog problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The catalog file, e.g. `schema/fields/proc.toml`.
    pub file: String,
    /// The field's name (or `field #N` when it has none); empty for file-level problems.
    pub entry: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.entry.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.entry, self.message)
        }
    }
}

impl std::error::Error for Problem {}

/// `fs.path` → `fs_path`: the module of the plugin's `fields` tree that implements a class.
pub fn class_module(class: &str) -> String {
    class.replace('.', "_")
}

/// The generic field that `name` is or extends (`evt.time.x` → `evt.time`), if any.
pub fn generic_conflict(name: &str) -> Option<&'static str> {
    GENERIC_FIELDS.iter().copied().find(|g| {
        name == *g
            || (name.len() > g.len() && name.starts_with(g) && name.as_bytes()[g.len()] == b'.')
    })
}

const RUST_KEYWORDS: [&str; 51] = [
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// A snake-case Rust identifier that can be written without `r#`: `[a-z_][a-z0-9_]*`, not `_`
/// alone, not a keyword.
fn is_plain_ident(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s != "_"
        && !RUST_KEYWORDS.contains(&s)
        && s != "gen"
}

/// Why `name` is not a well-formed field name (dot-separated segments of `[a-z0-9_]`).
fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    if name.split('.').any(str::is_empty) {
        return Some(format!(
            "'{name}' has an empty segment (leading, trailing or doubled '.')"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '.'))
    {
        return Some(format!(
            "'{name}' contains {c:?}; field names use only a-z, 0-9, '_' and '.'"
        ));
    }
    None
}

/// Why a `fn` path is not `module::function` for class `class`.
fn fn_path_problem(path: &str, class: &str) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    if parts.len() != 2 {
        return Some(format!(
            "fn = \"{path}\" must have the form module::function (two identifiers joined by '::')"
        ));
    }
    for p in &parts {
        if !is_plain_ident(p) {
            return Some(format!(
                "fn = \"{path}\": '{p}' is not a plain snake-case Rust identifier ([a-z_][a-z0-9_]*, not a keyword)"
            ));
        }
    }
    let module = class_module(class);
    if parts[0] != module {
        return Some(format!(
            "fn = \"{path}\": the module must be '{module}', the module of class '{class}'"
        ));
    }
    None
}

fn compute_problems(f: &Field, class: &str, out: &mut Vec<String>) {
    let Some(c) = &f.compute else { return };
    let (kind, column, allowed): (&str, &str, &[&str]) = match c {
        Compute::Fn(path) => {
            out.extend(fn_path_problem(path, class));
            return;
        }
        Compute::Param(p) | Compute::RawParam(p) => {
            if !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || p.is_empty() {
                out.push(format!(
                    "parameter name '{p}' is not a parameter identifier"
                ));
            }
            if f.arg != ArgForm::None {
                out.push("an event-parameter source takes no argument; use fn".into());
            }
            return;
        }
        Compute::Thread(col) => ("thread", col, &THREAD_COLUMNS),
        Compute::Process(col) => ("process", col, &THREAD_COLUMNS),
        Compute::Fd(col) => ("fd", col, &FD_COLUMNS),
    };
    if !allowed.contains(&column) {
        out.push(format!(
            "{kind} = \"{column}\" is not a known state column (known: {})",
            allowed.join(", ")
        ));
    }
    if f.arg != ArgForm::None {
        out.push(format!(
            "a {kind} column takes no argument, but arg is set; use fn"
        ));
    }
}

/// Problems of one field, as messages (the caller adds file and entry).
fn field_problems(f: &Field, class: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = name_problem(&f.name) {
        out.push(p);
    }
    let prefix = format!("{class}.");
    if !f.name.starts_with(&prefix) || f.name.len() == prefix.len() {
        out.push(format!(
            "the name must start with '{prefix}', the class of this file"
        ));
    }
    if let Some(g) = generic_conflict(&f.name) {
        if g == f.name {
            out.push(format!(
                "'{g}' is one of the generic fields Falco provides to every plugin source; a plugin declaring it is refused"
            ));
        } else {
            out.push(format!(
                "the name extends the generic field '{g}', which Falco resolves first, so this field could never be used"
            ));
        }
    }
    match (&f.compute, &f.unsupported) {
        (Some(_), Some(_)) => {
            out.push("has both compute and unsupported; a field is either served or not".into())
        }
        (None, None) => out.push(
            "has neither compute nor unsupported: say how it is computed or why it is not served"
                .into(),
        ),
        (None, Some(reason)) if reason.trim().is_empty() => {
            out.push("unsupported needs a reason, but it is empty".into())
        }
        _ => {}
    }
    if f.arg_required && f.arg == ArgForm::None {
        out.push("arg_required = true, but arg is none".into());
    }
    if f.desc.trim().is_empty() {
        out.push("desc is empty (Falco refuses a field without a description)".into());
    }
    if matches!(&f.upstream, Some(u) if u.trim().is_empty()) {
        out.push("upstream is present but empty".into());
    }
    let mut seen = Vec::new();
    for flag in &f.flags {
        if seen.contains(flag) {
            out.push(format!("flag {flag:?} is listed twice"));
        }
        seen.push(*flag);
    }
    compute_problems(f, class, &mut out);
    out
}

/// Every problem of the catalog `files` (file name as shown in messages, parsed file), in file
/// order. Empty when the catalog is sound.
pub fn validate_files(files: &[(String, ClassFile)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut first_seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (file, cf) in files {
        let mut push = |entry: String, message: String| {
            problems.push(Problem {
                file: file.clone(),
                entry,
                message,
            })
        };
        if let Some(p) = name_problem(&cf.class) {
            push(String::new(), format!("class: {p}"));
        }
        let stem = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        if stem != cf.class && stem != class_module(&cf.class) {
            push(
                String::new(),
                format!(
                    "class '{}' does not match the file name (expected {}.toml)",
                    cf.class,
                    class_module(&cf.class)
                ),
            );
        }
        if cf.desc.trim().is_empty() {
            push(String::new(), "the class desc is empty".into());
        }
        for (i, f) in cf.fields.iter().enumerate() {
            let entry = if f.name.is_empty() {
                format!("field #{}", i + 1)
            } else {
                f.name.clone()
            };
            for m in field_problems(f, &cf.class) {
                push(entry.clone(), m);
            }
            if f.name.is_empty() {
                continue;
            }
            match first_seen.get(f.name.as_str()) {
                Some(other) => push(
                    entry.clone(),
                    format!("duplicate field name: already declared in {other}"),
                ),
                None => {
                    first_seen.insert(&f.name, file);
                }
            }
        }
    }
    problems
}
