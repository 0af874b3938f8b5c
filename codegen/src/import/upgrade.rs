//! What a newer import changes relative to an older one, as a readable text report: the
//! review aid for "upstream added syscalls" (events added, removed or changed, flag and
//! dynamic-param tables, constants, native syscalls per architecture, and the parameter names
//! that are new, each of which becomes an `evt.arg.NAME` field).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::model::{Constants, DynTable, Event, FlagTable, NameValue, Param, Schema, SyscallMap};

/// The report. Deterministic: every list is in code, table or name order.
pub fn upgrade_report(old: &Schema, new: &Schema) -> String {
    let mut out = String::new();
    let v = |s: &Schema| {
        format!(
            "{} (SCHEMA_VERSION {}, API_VERSION {})",
            s.version.source, s.version.schema_version, s.version.api_version
        )
    };
    let _ = writeln!(out, "schema upgrade: {} -> {}", v(old), v(new));
    events(&mut out, &old.events, &new.events);
    tables(
        &mut out,
        "flag tables",
        &old.flag_tables,
        &new.flag_tables,
        flag_lines,
    );
    tables(
        &mut out,
        "dynamic-param tables",
        &old.dyn_tables,
        &new.dyn_tables,
        dyn_lines,
    );
    constants(&mut out, &old.constants, &new.constants);
    for map in &new.syscalls {
        let empty = SyscallMap {
            arch: map.arch.clone(),
            entries: Vec::new(),
        };
        let before = old
            .syscalls
            .iter()
            .find(|m| m.arch == map.arch)
            .unwrap_or(&empty);
        syscalls(&mut out, before, map);
    }
    let names = |s: &Schema| -> BTreeSet<String> {
        s.events
            .iter()
            .flat_map(|e| e.params.iter().map(|p| p.name.clone()))
            .collect()
    };
    let old_names = names(old);
    let added: Vec<String> = names(new).difference(&old_names).cloned().collect();
    section(
        &mut out,
        "parameter names added (each a new evt.arg.NAME field)",
        &added,
    );
    out
}

fn section(out: &mut String, title: &str, lines: &[String]) {
    let _ = writeln!(out, "\n{title} ({}):", lines.len());
    for l in lines {
        let _ = writeln!(out, "  {l}");
    }
}

fn param(p: &Param) -> String {
    let mut s = format!("{} {} {}", p.name, p.ptype, p.fmt);
    if let Some(f) = &p.flags {
        let _ = write!(s, " flags={f}");
    }
    if let Some(d) = &p.dyn_table {
        let _ = write!(s, " dyn={d}");
    }
    if let Some(d) = p.dirfd {
        let _ = write!(s, " dirfd={d}");
    }
    s
}

fn event_line(e: &Event) -> String {
    format!("{} {} {}", e.code, e.id, e.name)
}

fn events(out: &mut String, old: &[Event], new: &[Event]) {
    let find = |list: &[Event], code: u16| list.iter().find(|e| e.code == code).cloned();
    let added: Vec<String> = new
        .iter()
        .filter(|e| find(old, e.code).is_none())
        .map(event_line)
        .collect();
    let removed: Vec<String> = old
        .iter()
        .filter(|e| find(new, e.code).is_none())
        .map(event_line)
        .collect();
    let mut changed = Vec::new();
    for e in new {
        let Some(o) = find(old, e.code) else { continue };
        if &o == e {
            continue;
        }
        changed.push(event_line(e));
        if o.id != e.id || o.name != e.name || o.direction != e.direction {
            changed.push(format!("    was {} {}", o.id, o.name));
        }
        if o.category != e.category {
            changed.push(format!("    category {:?} -> {:?}", o.category, e.category));
        }
        if o.flags != e.flags {
            changed.push(format!("    flags {:?} -> {:?}", o.flags, e.flags));
        }
        for k in 0..o.params.len().max(e.params.len()) {
            match (o.params.get(k), e.params.get(k)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => {
                    if let Some(a) = a {
                        changed.push(format!("    - param {k}: {}", param(a)));
                    }
                    if let Some(b) = b {
                        changed.push(format!("    + param {k}: {}", param(b)));
                    }
                }
            }
        }
    }
    section(out, "events added", &added);
    section(out, "events removed", &removed);
    let n = new
        .iter()
        .filter(|e| find(old, e.code).is_some_and(|o| &o != *e))
        .count();
    let _ = writeln!(out, "\nevents changed ({n}):");
    for l in changed {
        let _ = writeln!(out, "  {l}");
    }
}

trait Named {
    fn name(&self) -> &str;
}

impl Named for FlagTable {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for DynTable {
    fn name(&self) -> &str {
        &self.name
    }
}

fn flag_lines(t: &FlagTable) -> Vec<String> {
    t.entries
        .iter()
        .map(|e| format!("{} = {}", e.name, e.value))
        .collect()
}

fn dyn_lines(t: &DynTable) -> Vec<String> {
    t.entries
        .iter()
        .map(|e| format!("{} {} {} {}", e.index, e.id, e.ptype, e.fmt))
        .collect()
}

fn tables<T: Named + PartialEq>(
    out: &mut String,
    what: &str,
    old: &[T],
    new: &[T],
    lines: fn(&T) -> Vec<String>,
) {
    let find = |list: &'_ [T], name: &str| list.iter().position(|t| t.name() == name);
    let mut added = Vec::new();
    for t in new.iter().filter(|t| find(old, t.name()).is_none()) {
        added.push(t.name().to_string());
        added.extend(lines(t).into_iter().map(|l| format!("    {l}")));
    }
    let removed: Vec<String> = old
        .iter()
        .filter(|t| find(new, t.name()).is_none())
        .map(|t| t.name().to_string())
        .collect();
    let mut changed = Vec::new();
    for t in new {
        let Some(o) = find(old, t.name()).map(|k| &old[k]) else {
            continue;
        };
        if o == t {
            continue;
        }
        changed.push(t.name().to_string());
        let (before, after) = (lines(o), lines(t));
        let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
        let came: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
        changed.extend(gone.iter().map(|l| format!("    - {l}")));
        changed.extend(came.iter().map(|l| format!("    + {l}")));
        if gone.is_empty() && came.is_empty() {
            changed.push("    (same entries, order changed)".to_string());
        }
    }
    let count = |list: &[String]| list.iter().filter(|l| !l.starts_with(' ')).count();
    let _ = writeln!(out, "\n{what} added ({}):", count(&added));
    for l in &added {
        let _ = writeln!(out, "  {l}");
    }
    section(out, &format!("{what} removed"), &removed);
    let _ = writeln!(out, "\n{what} changed ({}):", count(&changed));
    for l in &changed {
        let _ = writeln!(out, "  {l}");
    }
}

fn constants(out: &mut String, old: &Constants, new: &Constants) {
    let groups = |c: &Constants| -> Vec<(String, Vec<NameValue>)> {
        let mut g = vec![
            ("event_categories".to_string(), c.event_categories.clone()),
            ("event_flags".to_string(), c.event_flags.clone()),
            ("param_types".to_string(), c.param_types.clone()),
            ("print_formats".to_string(), c.print_formats.clone()),
            ("ppm_sc".to_string(), c.ppm_sc.clone()),
            ("syscall_flags".to_string(), c.syscall_flags.clone()),
            ("socket_families".to_string(), c.socket_families.clone()),
            (
                "anon_inode_fd_types".to_string(),
                c.anon_inode_fd_types.clone(),
            ),
        ];
        g.extend(
            c.extra
                .iter()
                .map(|x| (format!("extra {}", x.prefix), x.entries.clone())),
        );
        g
    };
    let before = groups(old);
    let mut lines = Vec::new();
    for (name, entries) in groups(new) {
        let prev = before
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| e.as_slice())
            .unwrap_or_default();
        for e in &entries {
            match prev.iter().find(|p| p.name == e.name) {
                None => lines.push(format!("{name}: + {} = {}", e.name, e.value)),
                Some(p) if p.value != e.value => {
                    lines.push(format!("{name}: {} {} -> {}", e.name, p.value, e.value));
                }
                Some(_) => {}
            }
        }
        for p in prev
            .iter()
            .filter(|p| !entries.iter().any(|e| e.name == p.name))
        {
            lines.push(format!("{name}: - {} = {}", p.name, p.value));
        }
    }
    section(out, "constants changed", &lines);
}

fn syscalls(out: &mut String, old: &SyscallMap, new: &SyscallMap) {
    let arch = &new.arch;
    let line = |s: &crate::model::Syscall| {
        format!(
            "{} {} {:?} {} {} sc={}",
            s.nr, s.name, s.flags, s.enter, s.exit, s.ppm_sc
        )
    };
    let find = |m: &SyscallMap, nr: u32| m.entries.iter().find(|s| s.nr == nr).cloned();
    let added: Vec<String> = new
        .entries
        .iter()
        .filter(|s| find(old, s.nr).is_none())
        .map(line)
        .collect();
    let removed: Vec<String> = old
        .entries
        .iter()
        .filter(|s| find(new, s.nr).is_none())
        .map(line)
        .collect();
    let mut changed = Vec::new();
    for s in &new.entries {
        if let Some(o) = find(old, s.nr).filter(|o| o != s) {
            changed.push(format!("{} -> {}", line(&o), line(s)));
        }
    }
    section(out, &format!("syscalls added on {arch}"), &added);
    section(out, &format!("syscalls removed on {arch}"), &removed);
    section(out, &format!("syscalls changed on {arch}"), &changed);
}
