//! The checked-in field catalog (`schema/fields/`): it loads and validates; it covers every
//! syscall-source field of libsinsp's field table; it serves every field of the Falco 0.45
//! oracle; and every field that Edera's documented rules and Falco's stock rules name resolves
//! to a declared field.
//!
//! The reference files live outside the repository (`../shared/`, next to the checkout). When one
//! is missing the test that needs it prints why and passes; the catalog's own load test always
//! runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use codegen::catalog::{
    ArgForm, Catalog, Field, FieldFlag, FieldType, GENERIC_FIELDS, load_catalog,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shared() -> PathBuf {
    repo().join("..").join("shared")
}

fn catalog() -> Catalog {
    let dir = repo().join("schema").join("fields");
    match load_catalog(&dir) {
        Ok(c) => c,
        Err(e) => panic!("the checked-in catalog does not load:\n{e}"),
    }
}

fn by_name(c: &Catalog) -> BTreeMap<&str, &Field> {
    c.fields().map(|f| (f.name.as_str(), f)).collect()
}

/// Reads a reference file, or explains why the test cannot run.
fn reference(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) => {
            println!("skipped: cannot read {} ({e})", path.display());
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// libsinsp's field table

struct Row {
    class: String,
    name: String,
    ptype: String,
    arg: String,
    flags: String,
    /// Position in the file, for the order check.
    index: usize,
}

/// The data rows of `libsinsp-fields.tsv`: tab-separated `class name type arg flags
/// source_file line arg_syntax`, after `#` comment lines and the header row.
fn tsv_rows(text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() || line.starts_with("class\t") {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 5, "malformed TSV row: {line:?}");
        rows.push(Row {
            class: cols[0].to_string(),
            name: cols[1].to_string(),
            ptype: cols[2].to_string(),
            arg: cols[3].to_string(),
            flags: cols[4].to_string(),
            index: rows.len(),
        });
    }
    rows
}

/// The catalog type a libsinsp type maps to without any choice to document. Other libsinsp
/// types (signed integers, doubles, byte buffers, PT_DYN) have no plugin counterpart.
fn direct_type(ptype: &str) -> Option<FieldType> {
    Some(match ptype {
        "PT_CHARBUF" => FieldType::String,
        "PT_UINT64" | "PT_UINT32" | "PT_UINT16" | "PT_PORT" => FieldType::U64,
        "PT_BOOL" => FieldType::Bool,
        "PT_RELTIME" => FieldType::Reltime,
        "PT_ABSTIME" => FieldType::Abstime,
        "PT_IPADDR" => FieldType::Ipaddr,
        "PT_IPNET" => FieldType::Ipnet,
        _ => return None,
    })
}

/// The argument form a TSV `arg` cell maps to: `none`, `index`, `key`, `index+key` (→ both),
/// each optionally followed by `,required`.
fn tsv_arg(cell: &str) -> (ArgForm, bool) {
    let (form, required) = match cell.strip_suffix(",required") {
        Some(f) => (f, true),
        None => (cell, false),
    };
    let form = match form {
        "none" => ArgForm::None,
        "index" => ArgForm::Index,
        "key" => ArgForm::Key,
        "index+key" => ArgForm::Both,
        other => panic!("unknown TSV arg form {other:?}"),
    };
    (form, required)
}

/// Where the catalog's argument form deliberately differs from libsinsp's, and why.
const ARG_EXCEPTIONS: [(&str, ArgForm, bool, &str); 2] = [
    (
        "evt.arg",
        ArgForm::Index,
        true,
        "libsinsp's name form (evt.arg.NAME) is served by generated literal fields, so the field keeps only the index",
    ),
    (
        "evt.abspath",
        ArgForm::Key,
        false,
        "libsinsp flags the argument required but also accepts the bare name; the key (src/dst) stays optional",
    ),
];

/// The fields of Falco's container plugin (falcosecurity/plugins `plugins/container`, its
/// README's field table), which rules on the syscall source use since libsinsp left containers to
/// that plugin: the names `container.*` and `k8s.*` may take.
const CONTAINER_PLUGIN_FIELDS: [&str; 41] = [
    "container.id",
    "container.full_id",
    "container.name",
    "container.image",
    "container.image.id",
    "container.type",
    "container.privileged",
    "container.mounts",
    "container.mount",
    "container.mount.source",
    "container.mount.dest",
    "container.mount.mode",
    "container.mount.rdwr",
    "container.mount.propagation",
    "container.image.repository",
    "container.image.tag",
    "container.image.digest",
    "container.healthcheck",
    "container.liveness_probe",
    "container.readiness_probe",
    "container.start_ts",
    "container.duration",
    "container.ip",
    "container.cni.json",
    "container.host_pid",
    "container.host_network",
    "container.host_ipc",
    "container.label",
    "container.labels",
    "k8s.pod.name",
    "k8s.ns.name",
    "k8s.pod.id",
    "k8s.pod.uid",
    "k8s.pod.sandbox_id",
    "k8s.pod.full_sandbox_id",
    "k8s.pod.label",
    "k8s.pod.labels",
    "k8s.pod.ip",
    "k8s.pod.cni.json",
    "proc.is_container_healthcheck",
    "proc.is_container_liveness_probe",
];

#[test]
fn checked_in_catalog_loads() {
    let c = catalog();
    let classes: Vec<&str> = c.files.iter().map(|f| f.class.as_str()).collect();
    assert_eq!(
        classes,
        [
            "container",
            "edera",
            "evt",
            "fd",
            "fdlist",
            "fs.path",
            "group",
            "k8s",
            "proc",
            "syscall",
            "thread",
            "user"
        ],
        "one file per class, read in file-name order"
    );
    for f in c.fields() {
        assert!(
            GENERIC_FIELDS.iter().all(|g| f.name != *g),
            "{} is provided by Falco and must not be declared",
            f.name
        );
    }
    let names = by_name(&c);
    for edera in ["edera.zone.id", "edera.zone.name"] {
        let f = names
            .get(edera)
            .unwrap_or_else(|| panic!("{edera} is missing"));
        assert_eq!(
            f.ftype,
            FieldType::String,
            "{edera} is a string, as in Edera's plugin"
        );
        assert!(f.compute.is_some(), "{edera} must be served");
    }
}

#[test]
fn catalog_covers_libsinsp_field_table() {
    let Some(text) = reference(&shared().join("reference").join("libsinsp-fields.tsv")) else {
        return;
    };
    let rows = tsv_rows(&text);
    let (generic, syscall_rows): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|r| r.class == "gen_event");

    // The generic list in the code is exactly libsinsp's gen_event block.
    let tsv_generic: BTreeSet<&str> = generic.iter().map(|r| r.name.as_str()).collect();
    let code_generic: BTreeSet<&str> = GENERIC_FIELDS.iter().copied().collect();
    assert_eq!(
        tsv_generic, code_generic,
        "GENERIC_FIELDS differs from the TSV's gen_event rows"
    );
    assert_eq!(syscall_rows.len(), 214, "syscall-source rows in the TSV");

    let c = catalog();
    let names = by_name(&c);
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut unsupported = Vec::new();
    for r in &syscall_rows {
        let Some(f) = names.get(r.name.as_str()) else {
            failures.push(format!("{} ({}) is not in the catalog", r.name, r.class));
            continue;
        };
        let entry = counts.entry(r.class.as_str()).or_default();
        match &f.unsupported {
            Some(reason) => {
                entry.1 += 1;
                unsupported.push(format!("{}: {reason}", r.name));
            }
            None => entry.0 += 1,
        }

        // Argument form.
        let (tsv_form, tsv_required) = tsv_arg(&r.arg);
        let (want_form, want_required) = match ARG_EXCEPTIONS.iter().find(|e| e.0 == r.name) {
            Some(&(_, form, required, _)) => (form, required),
            None => (tsv_form, tsv_required),
        };
        if f.arg != want_form || f.arg_required != want_required {
            failures.push(format!(
                "{}: arg {:?} required={} but libsinsp has {:?} (expected {:?} required={})",
                r.name, f.arg, f.arg_required, r.arg, want_form, want_required
            ));
        }

        // Flags with a catalog counterpart.
        let tsv_flags: BTreeSet<&str> = r.flags.split('|').collect();
        for (epf, flag) in [
            ("EPF_TABLE_ONLY", FieldFlag::Hidden),
            ("EPF_DEPRECATED", FieldFlag::Deprecated),
            ("EPF_INFO", FieldFlag::Info),
        ] {
            if tsv_flags.contains(epf) != f.flags.contains(&flag) {
                failures.push(format!(
                    "{}: flag {flag:?} must be set exactly when libsinsp has {epf}",
                    r.name
                ));
            }
        }
        if tsv_flags.contains("EPF_IS_LIST") != f.list {
            failures.push(format!(
                "{}: list must be set exactly when libsinsp has EPF_IS_LIST",
                r.name
            ));
        }
        if f.flags.contains(&FieldFlag::AddOutput) {
            failures.push(format!(
                "{}: add_output is not a libsinsp suggestion for this field",
                r.name
            ));
        }

        // Type: a documented choice wherever it is not the direct counterpart.
        if direct_type(&r.ptype) != Some(f.ftype) {
            match &f.upstream {
                Some(u) if u.contains(r.ptype.as_str()) => {}
                _ => failures.push(format!(
                    "{}: type {:?} is not the direct counterpart of {}; `upstream` must say why and name {}",
                    r.name, f.ftype, r.ptype, r.ptype
                )),
            }
        }
    }

    // Nothing declared that libsinsp or Falco's container plugin does not have, except Edera's
    // own fields (typos fail here).
    let known: BTreeSet<&str> = syscall_rows
        .iter()
        .map(|r| r.name.as_str())
        .chain(CONTAINER_PLUGIN_FIELDS)
        .collect();
    for f in c.fields() {
        if !known.contains(f.name.as_str()) && !f.name.starts_with("edera.") {
            failures.push(format!(
                "{} is neither a libsinsp syscall-source field, a container plugin field nor an edera.* field",
                f.name
            ));
        }
    }

    // Inside each file, libsinsp's order.
    let position: BTreeMap<&str, usize> = syscall_rows
        .iter()
        .map(|r| (r.name.as_str(), r.index))
        .collect();
    for cf in &c.files {
        let order: Vec<(usize, &str)> = cf
            .fields
            .iter()
            .filter_map(|f| position.get(f.name.as_str()).map(|p| (*p, f.name.as_str())))
            .collect();
        for w in order.windows(2) {
            if w[0].0 > w[1].0 {
                failures.push(format!(
                    "class {}: {} must come after {} (libsinsp's order)",
                    cf.class, w[0].1, w[1].1
                ));
            }
        }
    }

    println!("catalog coverage of libsinsp's syscall-source fields (served / unsupported):");
    for (class, (s, u)) in &counts {
        println!("  {class:8} {s:3} / {u}");
    }
    println!("unsupported:");
    for u in &unsupported {
        println!("  {u}");
    }
    println!("argument-form exceptions:");
    for (name, form, required, why) in ARG_EXCEPTIONS {
        println!("  {name}: {form:?} required={required}: {why}");
    }
    let total: usize = counts.values().map(|(s, u)| s + u).sum();
    assert_eq!(total, 214);
    assert!(
        failures.is_empty(),
        "{} coverage problem(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Resolving field references the way Falco does for a plugin source

#[derive(Debug, PartialEq, Eq)]
enum Resolved<'a> {
    /// A catalog field, with the bracket argument when one was given.
    Catalog(&'a Field, Option<String>),
    /// One of Falco's generic fields.
    Generic,
    /// `evt.arg.NAME` / `evt.rawarg.NAME`: a literal generated from the event table.
    Generated,
}

fn is_param_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Resolves `token` (`name` or `name[arg]`). `dotted_keys` also accepts libsinsp's
/// `name.KEY` spelling (`evt.type.is.open`, `thread.cgroup.cpu`) for fields taking a key, as
/// the oracle's field list uses it; rules for a plugin source cannot use that spelling.
fn resolve<'a>(
    names: &BTreeMap<&str, &'a Field>,
    token: &str,
    dotted_keys: bool,
) -> Result<Resolved<'a>, String> {
    let (base, arg) = match token.find('[') {
        Some(i) => {
            let arg = token[i + 1..]
                .strip_suffix(']')
                .ok_or_else(|| format!("{token}: unbalanced brackets"))?;
            (&token[..i], Some(arg.to_string()))
        }
        None => (token, None),
    };
    if let Some(f) = names.get(base) {
        if f.unsupported.is_some() {
            return Err(format!("{token}: {base} is in the catalog but not served"));
        }
        match (&arg, f.arg) {
            (Some(_), ArgForm::None) => return Err(format!("{token}: {base} takes no argument")),
            (Some(a), ArgForm::Index) if a.parse::<u64>().is_err() => {
                return Err(format!("{token}: {base} takes a numeric index"));
            }
            (None, _) if f.arg_required => {
                return Err(format!("{token}: {base} requires an argument"));
            }
            _ => {}
        }
        return Ok(Resolved::Catalog(f, arg));
    }
    if arg.is_none() && GENERIC_FIELDS.contains(&base) {
        return Ok(Resolved::Generic);
    }
    for prefix in ["evt.arg.", "evt.rawarg."] {
        // The literals exist only alongside their catalog entry (served or documented).
        if let Some(p) = base.strip_prefix(prefix)
            && arg.is_none()
            && is_param_name(p)
            && names.contains_key(prefix.trim_end_matches('.'))
        {
            return Ok(Resolved::Generated);
        }
    }
    if dotted_keys
        && arg.is_none()
        && let Some((head, key)) = base.rsplit_once('.')
        && let Some(f) = names.get(head)
        && matches!(f.arg, ArgForm::Key | ArgForm::Both)
        && f.unsupported.is_none()
        && !key.is_empty()
    {
        return Ok(Resolved::Catalog(f, Some(key.to_string())));
    }
    Err(format!("{token}: no such field"))
}

#[test]
fn catalog_serves_every_oracle_field() {
    let Some(text) = reference(&shared().join("fixtures/scap/oracle-falco/FIELDS.txt")) else {
        return;
    };
    let c = catalog();
    let names = by_name(&c);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(tokens.len(), 224, "FIELDS.txt lists 224 fields");
    let mut failures = Vec::new();
    let (mut served, mut generic, mut generated) = (0, 0, 0);
    for t in &tokens {
        match resolve(&names, t, true) {
            Ok(Resolved::Catalog(..)) => served += 1,
            Ok(Resolved::Generic) => generic += 1,
            Ok(Resolved::Generated) => {
                // evt.arg.NAME needs the bare evt.arg entry to be served too (same rendering).
                if !t.starts_with("evt.arg.") || names["evt.arg"].unsupported.is_some() {
                    failures.push(format!("{t}: generated literal without a served base"));
                }
                generated += 1;
            }
            Err(e) => failures.push(e),
        }
    }
    println!(
        "oracle fields: {served} catalog, {generated} generated literals, {generic} provided by Falco"
    );
    assert!(
        failures.is_empty(),
        "oracle fields not served:\n  {}",
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Rules: Edera's documented rules and Falco's stock rules

/// The text of every `condition:` and `output:` value in a rules file, with the line it starts
/// on and whether it is a condition. Block scalars (`>`, `|`) and plain multi-line values
/// continue while lines are indented deeper than the key; `#` lines are comments.
fn rule_texts(yaml: &str) -> Vec<(usize, bool, String)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let mut indent = line.len() - trimmed.len();
        let mut rest = trimmed;
        if let Some(r) = rest.strip_prefix("- ") {
            rest = r;
            indent += 2;
        }
        let key = ["condition:", "output:"]
            .into_iter()
            .find(|k| rest.starts_with(k));
        let Some(key) = key else {
            i += 1;
            continue;
        };
        let mut text = rest[key.len()..].to_string();
        let start = i + 1;
        i += 1;
        while i < lines.len() {
            let l = lines[i];
            let t = l.trim_start();
            if !t.is_empty() && (l.len() - t.len() <= indent || t.starts_with('#')) {
                if l.len() - t.len() <= indent {
                    break;
                }
                i += 1;
                continue;
            }
            text.push('\n');
            text.push_str(l);
            i += 1;
        }
        out.push((start, key == "condition:", text));
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Field references in `text`: runs of `[A-Za-z0-9_.]` shaped `[a-z]+\.[a-z0-9_.]+` (a class,
/// a dot, the rest), with a directly following `[...]` argument kept. Runs glued to a path or
/// value character (`/`, `-`, `:`) are values, not fields. In conditions, quoted strings are
/// values and skipped.
fn field_tokens(text: &str, skip_quotes: bool) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if skip_quotes && (c == '"' || c == '\'') {
            let close = chars[i + 1..].iter().position(|&d| d == c);
            i = match close {
                Some(p) => i + 1 + p + 1,
                None => chars.len(),
            };
            continue;
        }
        if !is_word(c) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_word(chars[i]) {
            i += 1;
        }
        let glued =
            start > 0 && matches!(chars[start - 1], '/' | '-' | ':' | '*' | '@' | '+' | '~');
        let run: String = chars[start..i]
            .iter()
            .collect::<String>()
            .trim_end_matches('.')
            .to_string();
        if glued || !looks_like_field(&run) {
            continue;
        }
        let mut token = run;
        if i < chars.len()
            && chars[i] == '['
            && let Some(p) = chars[i..].iter().position(|&d| d == ']')
        {
            token.extend(&chars[i..i + p + 1]);
            i += p + 1;
        }
        out.push(token);
    }
    out
}

fn looks_like_field(run: &str) -> bool {
    let Some((class, rest)) = run.split_once('.') else {
        return false;
    };
    !class.is_empty()
        && class.chars().all(|c| c.is_ascii_lowercase())
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// Field classes the plugin serves, and classes other plugins serve (out of scope here).
const OUR_CLASSES: [&str; 10] = [
    "evt", "syscall", "proc", "thread", "fd", "fs", "user", "group", "fdlist", "edera",
];
const OTHER_PLUGINS: [&str; 3] = ["container", "k8s", "k8smeta"];

#[test]
fn rule_fields_exist() {
    let reference_dir = shared().join("reference");
    let mut files = vec![reference_dir.join("edera-doc-rules.yaml")];
    match std::fs::read_dir(reference_dir.join("falco-rules")) {
        Ok(rd) => {
            let mut stock: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            stock.sort();
            files.extend(stock);
        }
        Err(e) => println!("no stock rules: {e}"),
    }
    let c = catalog();
    let names = by_name(&c);
    let mut failures = Vec::new();
    let mut skipped: BTreeSet<String> = BTreeSet::new();
    let mut checked = 0usize;
    let mut read_any = false;
    for path in &files {
        let Some(text) = reference(path) else {
            continue;
        };
        read_any = true;
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        for (line, is_condition, value) in rule_texts(&text) {
            for token in field_tokens(&value, is_condition) {
                let class = token.split('.').next().unwrap_or_default();
                if OTHER_PLUGINS.contains(&class) {
                    skipped.insert(token.split('[').next().unwrap_or_default().to_string());
                    continue;
                }
                if !OUR_CLASSES.contains(&class) {
                    continue; // a value such as a file or image name
                }
                checked += 1;
                if let Err(e) = resolve(&names, &token, false) {
                    failures.push(format!("{file}:{line}: {e}"));
                }
            }
        }
    }
    if !read_any {
        return;
    }
    println!("checked {checked} field references; skipped (served by other plugins):");
    for s in &skipped {
        println!("  {s}");
    }
    assert!(
        checked > 1000,
        "the scan found only {checked} field references"
    );
    assert!(
        failures.is_empty(),
        "rule fields that do not resolve:\n  {}",
        failures.join("\n  ")
    );
}

#[test]
fn scanner_finds_fields_not_values() {
    let toks = field_tokens(
        "(proc.aname[2]=sshd and fd.name startswith /etc/ld.so.cache and proc.name in (node.js)) or fd.sip.name=\"a.b.c\" and evt.type.is[open]",
        true,
    );
    assert_eq!(
        toks,
        [
            "proc.aname[2]",
            "fd.name",
            "proc.name",
            "node.js",
            "fd.sip.name",
            "evt.type.is[open]"
        ]
    );
    let out = field_tokens("%fd.rip:%fd.rport proto=%fd.l4proto at %evt.time.", false);
    assert_eq!(out, ["fd.rip", "fd.rport", "fd.l4proto", "evt.time"]);
    let yaml = "- rule: x\n  condition: >\n    a.b and\n    # c.d\n    e.f\n  output: g.h\n  priority: X\n#  condition: i.j\n";
    let texts = rule_texts(yaml);
    assert_eq!(texts.len(), 2);
    assert!(
        texts[0].1
            && texts[0].2.contains("a.b")
            && texts[0].2.contains("e.f")
            && !texts[0].2.contains("c.d")
    );
    assert_eq!(texts[1].2.trim(), "g.h");
}

#[test]
fn resolution_follows_falco_plugin_rules() {
    let c = catalog();
    let names = by_name(&c);
    assert!(matches!(
        resolve(&names, "proc.aname[3]", false),
        Ok(Resolved::Catalog(..))
    ));
    assert!(matches!(
        resolve(&names, "evt.type.is[open]", false),
        Ok(Resolved::Catalog(..))
    ));
    assert!(matches!(
        resolve(&names, "evt.arg.flags", false),
        Ok(Resolved::Generated)
    ));
    assert!(matches!(
        resolve(&names, "evt.time", false),
        Ok(Resolved::Generic)
    ));
    assert!(
        resolve(&names, "evt.type.is.open", false).is_err(),
        "dotted keys do not reach a plugin field"
    );
    assert!(matches!(
        resolve(&names, "evt.type.is.open", true),
        Ok(Resolved::Catalog(..))
    ));
    assert!(
        resolve(&names, "thread.cgroup", false).is_err(),
        "thread.cgroup requires its key"
    );
    assert!(
        resolve(&names, "proc.aname[x]", false).is_err(),
        "proc.aname takes an index"
    );
    assert!(
        resolve(&names, "proc.name[1]", false).is_err(),
        "proc.name takes no argument"
    );
    assert!(
        resolve(&names, "evt.around[1]", false).is_err(),
        "evt.around is not served"
    );
    assert!(resolve(&names, "proc.nmae", false).is_err());
}
