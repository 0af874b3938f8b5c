//! Checks of `agent/capture.toml` against the schema, and the plan resolved for emission. Every
//! problem names the row (syscall, native table) it is about.

use std::collections::BTreeMap;

use super::source::{FdFrom, ParamSource, Shape, parse, parse_fd};
use super::{CAPTURE_FILE, CapturePlan, NativeFlags};
use crate::emit::Problem;
use crate::emit::types::fixed_size;
use crate::model::{DynTable, Event, FlagTable, Param, Schema, Syscall};

/// User-memory arguments the kernel side copies per syscall, at most; a process event keeps
/// the last slot for the thread's argument area.
const NBLOBS: usize = super::layout::NBLOBS.value;

/// The copies an argument may be read in a second way (each into a slot of its own), as
/// [`copy_kind`] names them.
const SECOND_WAYS: [&str; 3] = ["string", "buffer with length argument", "fixed-size struct"];

/// The PPM flag table of the `open_flags` and `cloexec_flags` sources.
const FILE_FLAGS: &str = "file_flags";
/// The PPM flag table of the events in an `fdlist` source.
pub const POLL_FLAGS: &str = "poll_flags";

/// A native flag table, resolved to PPM values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversion {
    Identity,
    /// (native bits, PPM value), in PPM table order.
    Bits(Vec<(u64, u64)>),
    /// (native value, PPM value), in PPM table order.
    Values(Vec<(u64, u64)>),
    /// A word whose bits under `mask` equal `value` has them cleared, then is converted.
    Magic {
        mask: u64,
        value: u64,
        then: Box<Conversion>,
    },
}

/// One captured syscall, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRow {
    pub syscall: String,
    pub read: FdFrom,
    /// A process event (its other parameters come from the agent's process reader).
    pub process: bool,
    /// (parameter name, source), in the exit event's layout order.
    pub params: Vec<(String, ParamSource)>,
}

/// The plan as the emitter needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The native tables the rows use, by PPM table name.
    pub tables: BTreeMap<String, Conversion>,
    /// The rows in native syscall-number order.
    pub rows: Vec<ResolvedRow>,
}

fn problem(entry: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        file: CAPTURE_FILE.into(),
        entry: entry.into(),
        message: message.into(),
    }
}

/// Whether the value of `e` (one branch) can fill `param`; a `dyn` source's own source must
/// fit the type of its entry of the parameter's dynamic table.
fn fits(e: &ParamSource, param: &Param, dyn_tables: &[DynTable]) -> bool {
    let ptype = param.ptype.as_str();
    match e.shape() {
        Shape::Dyn(index) => {
            let ParamSource::Dyn { then, .. } = e else {
                return false;
            };
            let entry = dyn_tables
                .iter()
                .find(|t| Some(&t.name) == param.dyn_table.as_ref())
                .and_then(|t| t.entries.iter().find(|d| d.index == u32::from(index)));
            entry.is_some_and(|d| {
                let inner = Param {
                    name: param.name.clone(),
                    ptype: d.ptype.clone(),
                    fmt: d.fmt.clone(),
                    flags: None,
                    dyn_table: None,
                    dirfd: None,
                };
                then.branches().iter().all(|b| fits(b, &inner, dyn_tables))
            })
        }
        Shape::Integer => fixed_size(ptype).is_some(),
        Shape::String => matches!(ptype, "PT_CHARBUF" | "PT_FSPATH" | "PT_FSRELPATH"),
        Shape::Bytes => ptype == "PT_BYTEBUF",
        Shape::Sockaddr => ptype == "PT_SOCKADDR",
        Shape::Tuple => ptype == "PT_SOCKTUPLE",
        Shape::PtraceDyn => param.dyn_table.as_deref() == Some("ptrace_dynamic_param"),
        Shape::SockoptDyn => param.dyn_table.as_deref() == Some("sockopt_dynamic_param"),
        Shape::Fdlist => ptype == "PT_FDLIST",
    }
}

/// The flag table a source (a leaf) converts with, if it converts.
fn table_of(e: &ParamSource) -> Option<&str> {
    match e {
        ParamSource::Flags(t, _)
        | ParamSource::FlagsField { table: t, .. }
        | ParamSource::FlagsBits { table: t, .. } => Some(t),
        ParamSource::OpenFlags(_)
        | ParamSource::OpenFlagsField { .. }
        | ParamSource::CloexecFlags(_) => Some(FILE_FLAGS),
        _ => None,
    }
}

/// Whether a source reads the kernel objects of the row's `read` fd.
fn reads_fd(e: &ParamSource) -> bool {
    e.leaves().into_iter().any(|e| {
        matches!(
            e,
            ParamSource::Dev
                | ParamSource::Ino
                | ParamSource::FdPath
                | ParamSource::TupleOut(_)
                | ParamSource::TupleIn
                | ParamSource::SockSk
                | ParamSource::SockPeer
        )
    })
}

/// What the kernel side does with one argument's memory (for a source, a leaf), to find two
/// sources that disagree.
fn copy_kind(e: &ParamSource) -> Option<(u8, &'static str, u8)> {
    Some(match e {
        ParamSource::Str(i) => (*i, "string", 0),
        ParamSource::BufArgLen(i, l) | ParamSource::Sockaddr(i, l) => {
            (*i, "buffer with length argument", *l)
        }
        // The sockaddr a tuple's remote end falls back to, its length in the next argument.
        ParamSource::TupleOut(Some(i)) => (*i, "buffer with length argument", *i + 1),
        ParamSource::BufRetLen(i) => (*i, "buffer of the returned length", 0),
        ParamSource::Fdlist { arg, count, .. } => (*arg, "pollfd array", *count),
        ParamSource::Iovec { arg, count, ret } => (
            *arg,
            if *ret {
                "iovec array of the returned length"
            } else {
                "iovec array"
            },
            *count,
        ),
        ParamSource::MsgIovec { arg, ret } => (
            *arg,
            if *ret {
                "msghdr of the returned length"
            } else {
                "msghdr"
            },
            0,
        ),
        ParamSource::FdOfPair(i, _) => (*i, "fd pair", 0),
        ParamSource::Mmsg { arg, .. } => (*arg, "mmsghdr array", 0),
        ParamSource::Sockopt {
            val, len_at: true, ..
        } => (*val, "fixed-size struct", 0),
        ParamSource::Sockopt { val, len, .. } => (*val, "buffer with length argument", *len),
        ParamSource::Field { arg, .. }
        | ParamSource::FlagsField { arg, .. }
        | ParamSource::OpenFlagsField { arg, .. }
        | ParamSource::Reltime(arg)
        | ParamSource::PtraceData { arg, .. } => (*arg, "fixed-size struct", 0),
        _ => return None,
    })
}

fn resolve_table(schema: &Schema, name: &str, n: &NativeFlags) -> Result<Conversion, Vec<Problem>> {
    let entry = format!("native.{name}");
    let conversion = resolve_values(schema, name, n)?;
    match n.magic {
        None => Ok(conversion),
        Some([mask, value]) if value & !mask == 0 && value != 0 => Ok(Conversion::Magic {
            mask,
            value,
            then: Box::new(conversion),
        }),
        Some(_) => Err(vec![problem(
            entry,
            "magic = [mask, value]: a non-zero value within its mask",
        )]),
    }
}

fn resolve_values(
    schema: &Schema,
    name: &str,
    n: &NativeFlags,
) -> Result<Conversion, Vec<Problem>> {
    let entry = format!("native.{name}");
    let Some(table) = schema.flag_tables.iter().find(|t| t.name == name) else {
        return Err(vec![problem(
            entry,
            "no PPM flag table of that name in schema/flags.toml",
        )]);
    };
    let kinds = usize::from(n.identity)
        + usize::from(!n.bits.is_empty())
        + usize::from(!n.values.is_empty());
    if kinds != 1 {
        return Err(vec![problem(
            entry,
            "give exactly one of identity = true, bits or values",
        )]);
    }
    if n.identity {
        return Ok(Conversion::Identity);
    }
    let native = if n.bits.is_empty() {
        &n.values
    } else {
        &n.bits
    };
    let mut problems = Vec::new();
    for flag in native.keys() {
        if !table.entries.iter().any(|e| &e.name == flag) {
            problems.push(problem(
                &entry,
                format!("`{flag}` is not a flag of the PPM table"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // In PPM table order, each name once (a few tables list a name twice).
    let mut pairs: Vec<(u64, u64)> = Vec::new();
    for e in &table.entries {
        if let Some(&v) = native.get(&e.name)
            && !pairs.iter().any(|&(n, _)| n == v)
        {
            pairs.push((v, e.value));
        }
    }
    Ok(if n.bits.is_empty() {
        Conversion::Values(pairs)
    } else {
        Conversion::Bits(pairs)
    })
}

/// Checks the flag table of one source (a leaf) filling parameter `info` (named `p`).
fn check_table(
    entry: &str,
    p: &str,
    e: &ParamSource,
    info: &Param,
    ppm_tables: &[FlagTable],
    tables: &BTreeMap<String, Conversion>,
    out: &mut Vec<Problem>,
) {
    match (table_of(e), info.flags.as_deref()) {
        (Some(t), Some(own)) if t != own => out.push(problem(
            entry,
            format!("{p}: flag table `{t}` is not the parameter's (`{own}`)"),
        )),
        (Some(t), None) => out.push(problem(
            entry,
            format!("{p}: flag table `{t}` for a parameter without flags"),
        )),
        // A constant of a flag parameter is one of its table's PPM values.
        (None, Some(own)) if matches!(e, ParamSource::Const(_)) => {
            let known = ppm_tables.iter().find(|t| t.name == own).is_some_and(|t| {
                t.entries
                    .iter()
                    .any(|f| matches!(e, ParamSource::Const(v) if *v == f.value))
            });
            if !known {
                out.push(problem(
                    entry,
                    format!("{p}: the constant is no value of flag table `{own}`"),
                ));
            }
        }
        (None, Some(own)) => out.push(problem(
            entry,
            format!("{p}: the parameter has flag table `{own}`: use flags({own}, argN)"),
        )),
        (Some(t), Some(_)) if !tables.contains_key(t) => out.push(problem(
            entry,
            format!("{p}: no native values for `{t}` (add [native.{t}])"),
        )),
        _ => {}
    }
}

/// Checks one row against its exit event; the resolved parameters when it is sound.
fn check_row(
    name: &str,
    row: &super::Row,
    exit: &Event,
    schema: &Schema,
    tables: &BTreeMap<String, Conversion>,
    out: &mut Vec<Problem>,
) -> Vec<(String, ParamSource)> {
    let entry = format!("syscall.{name}");
    let before = out.len();
    let param = |p: &str| exit.params.iter().find(|q| q.name == p);
    let mut sources: Vec<(&Param, ParamSource)> = Vec::new();
    for (p, src) in &row.params {
        let Some(info) = param(p) else {
            out.push(problem(
                &entry,
                format!("{} has no parameter `{p}`", exit.id),
            ));
            continue;
        };
        match parse(src) {
            Ok(e) => sources.push((info, e)),
            Err(msg) => out.push(problem(&entry, format!("{p}: {msg}"))),
        }
    }
    for p in row.empty.keys() {
        if param(p).is_none() {
            out.push(problem(
                &entry,
                format!("{} has no parameter `{p}`", exit.id),
            ));
        } else if row.params.contains_key(p) {
            out.push(problem(
                &entry,
                format!("`{p}` has a source and is listed empty"),
            ));
        }
    }
    // A process event's listed sources only say what the kernel side copies for the process
    // reader; the others are the values encoded.
    if row.process.is_none() {
        for p in &exit.params {
            if !row.params.contains_key(&p.name) && !row.empty.contains_key(&p.name) {
                out.push(problem(
                    &entry,
                    format!(
                        "parameter `{}` has no source (give one, or `empty.{} = \"<reason>\"`)",
                        p.name, p.name
                    ),
                ));
            }
        }
        for (info, e) in &sources {
            let p = &info.name;
            let leaves = e.leaves();
            if leaves
                .iter()
                .any(|l| matches!(l, ParamSource::Fdlist { .. }))
                && !tables.contains_key(POLL_FLAGS)
            {
                out.push(problem(
                    &entry,
                    format!("{p}: no native values for `{POLL_FLAGS}` (add [native.{POLL_FLAGS}])"),
                ));
            }
            for b in e.branches() {
                if !fits(b, info, &schema.dyn_tables) {
                    out.push(problem(
                        &entry,
                        format!(
                            "{p}: a {:?} source cannot fill a {} parameter",
                            b.shape(),
                            info.ptype
                        ),
                    ));
                }
            }
            for leaf in leaves {
                check_table(&entry, p, leaf, info, &schema.flag_tables, tables, out);
            }
        }
    }
    if let Some(r) = &row.read
        && let Err(msg) = parse_fd(r)
    {
        out.push(problem(&entry, format!("read: {msg}")));
    }
    if row.read.is_none() {
        for (info, e) in &sources {
            if reads_fd(e) {
                out.push(problem(
                    &entry,
                    format!(
                        "{}: the source reads the fd's kernel objects: give `read`",
                        info.name
                    ),
                ));
            }
        }
    }
    let mut copies: Vec<(u8, &str, u8)> = sources
        .iter()
        .flat_map(|(_, e)| e.copies())
        .filter_map(|e| copy_kind(&e))
        .collect();
    copies.sort_unstable();
    copies.dedup();
    // One argument may be copied a second way, into a slot of its own, when both ways are
    // ones the encoder finds by their kind.
    let mut twice = Vec::new();
    for w in copies.windows(2) {
        if w[0].0 != w[1].0 {
            continue;
        }
        if w[0].1 != w[1].1 && SECOND_WAYS.contains(&w[0].1) && SECOND_WAYS.contains(&w[1].1) {
            twice.push(format!("arg{}", w[0].0));
        } else {
            out.push(problem(
                &entry,
                format!(
                    "arg{} is read both as a {} and as a {}",
                    w[0].0, w[0].1, w[1].1
                ),
            ));
        }
    }
    if twice.len() > 1 {
        out.push(problem(
            &entry,
            format!(
                "{} are read more than one way: the kernel side copies one argument a second way",
                twice.join(", ")
            ),
        ));
    }
    // Process events and control messages keep the last slot.
    let keeps_last = row.process.is_some()
        || sources
            .iter()
            .any(|(_, e)| e.leaves().iter().any(|l| l.keeps_last_slot()));
    let slots = if keeps_last { NBLOBS - 1 } else { NBLOBS };
    if copies.len() > slots {
        out.push(problem(
            &entry,
            format!(
                "{} copies of arguments' user memory: the kernel side copies {slots} at most",
                copies.len()
            ),
        ));
    }
    if out.len() > before {
        return Vec::new();
    }
    let mut params: Vec<(String, ParamSource)> = sources
        .into_iter()
        .map(|(p, e)| (p.name.clone(), e))
        .collect();
    params.sort_by_key(|(p, _)| exit.params.iter().position(|q| &q.name == p));
    params
}

/// Checks `plan` against `schema`: the resolved plan, or every problem found.
pub fn check(schema: &Schema, plan: &CapturePlan) -> Result<Resolved, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut tables = BTreeMap::new();
    for (name, n) in &plan.native {
        match resolve_table(schema, name, n) {
            Ok(c) => {
                tables.insert(name.clone(), c);
            }
            Err(p) => problems.extend(p),
        }
    }
    let native: &[Syscall] = schema
        .syscalls
        .iter()
        .find(|m| m.arch == "x86_64")
        .map_or(&[], |m| &m.entries);
    let event = |id: &str| schema.events.iter().find(|e| e.id == id);
    let own_event = |s: &Syscall| {
        (s.exit != "PPME_GENERIC_X")
            .then(|| event(&s.exit))
            .flatten()
    };
    for name in plan.syscall.keys().chain(plan.not_captured.keys()) {
        match native.iter().find(|s| &s.name == name) {
            None => problems.push(problem(
                format!("syscall.{name}"),
                "no x86_64 syscall of that name",
            )),
            Some(s) if own_event(s).is_none() => problems.push(problem(
                format!("syscall.{name}"),
                format!("{name} has no event of its own (its exit is {})", s.exit),
            )),
            Some(_) => {}
        }
    }
    for name in plan.not_captured.keys() {
        if plan.syscall.contains_key(name) {
            problems.push(problem(
                format!("not_captured.{name}"),
                "the syscall also has a row",
            ));
        }
    }
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for s in native {
        let Some(exit) = own_event(s) else { continue };
        if !seen.insert(&s.name) {
            continue;
        }
        let Some(row) = plan.syscall.get(&s.name) else {
            if !plan.not_captured.contains_key(&s.name) {
                problems.push(problem(
                    format!("syscall.{}", s.name),
                    format!(
                        "no row and no `not_captured` reason for a syscall with its own event ({})",
                        exit.id
                    ),
                ));
            }
            continue;
        };
        let params = check_row(&s.name, row, exit, schema, &tables, &mut problems);
        rows.push(ResolvedRow {
            syscall: s.name.clone(),
            read: row
                .read
                .as_deref()
                .and_then(|r| parse_fd(r).ok())
                .unwrap_or(FdFrom::None),
            process: row.process.is_some(),
            params,
        });
    }
    if problems.is_empty() {
        Ok(Resolved { tables, rows })
    } else {
        Err(problems)
    }
}
