//! The native syscall maps: syscall_table.c's `g_syscall_table`, preprocessed once per
//! architecture with the `__NR_*` numbers of syscall_compat_<arch>.h defined.
//!
//! Entry shapes:
//! - `[__NR_x - SYSCALL_TABLE_ID0] = {UF_A | UF_B, PPME_..._E, PPME_..._X, PPM_SC_X}`: a syscall
//!   with dedicated events;
//! - `[__NR_x - SYSCALL_TABLE_ID0] = {.ppm_sc = PPM_SC_X}`: a syscall with only a ppm_sc code.
//!   Its flags are `UF_NONE` and its event fields are zero. Upstream treats an entry without
//!   `UF_USED` as generic: the kernel module and the eBPF probes emit `PPME_GENERIC_E` /
//!   `PPME_GENERIC_X` for it (carrying the ppm_sc code and the native number), and libpman
//!   comments that `flags == UF_NONE` marks the generic ones. The import writes such an entry
//!   as `flags = []`, `enter = "PPME_GENERIC_E"`, `exit = "PPME_GENERIC_X"`, so every native
//!   number has its enter/exit codes and its ppm_sc code. An entry without `UF_USED` that names
//!   other events is rejected as ambiguous.
//!
//! `#ifdef __NR_x` guards are honoured: a guarded entry whose number the architecture does not
//! define is left out of that architecture's map (as the compiler leaves it out upstream) and
//! reported in the import notes. An unguarded entry whose number is not defined is an error.
//! Two entries with the same number, numbers not below `SYSCALL_TABLE_SIZE`, unknown events,
//! flags or ppm_sc codes are errors. Entries are listed by native number.

use super::decl::{ArrayDef, Designator, Init, InitItem, parse_array_defs};
use super::error::{ImportError, Result};
use super::events::or_list;
use super::expr;
use super::header::Header;
use super::lexer::{TokKind, Token};
use super::macros::{MAX_DEPTH, MacroTable};
use super::preproc::preprocess;
use crate::model::{Direction, Event, NameValue, Syscall, SyscallMap};

pub const SYSCALL_FILE: &str = "syscall_table.c";

/// The architectures imported, in output order.
pub const ARCHES: [&str; 2] = ["x86_64", "aarch64"];

/// The compat header holding an architecture's `__NR_*` numbers.
pub fn compat_file(arch: &str) -> String {
    format!("syscall_compat_{arch}.h")
}

pub struct ArchMap {
    pub map: SyscallMap,
    /// Guarded entries (`#ifdef __NR_x`) left out because the architecture lacks the number.
    pub absent: Vec<String>,
}

/// What an entry is checked against.
pub struct Known<'a> {
    pub header: &'a Header,
    pub events: &'a [Event],
    pub ppm_sc: &'a [NameValue],
}

/// Builds one architecture's map from the raw tokens of syscall_table.c.
pub fn syscall_map(
    arch: &str,
    arch_macros: &MacroTable,
    table: &[Token],
    k: &Known,
) -> Result<ArchMap> {
    let mut macros = MacroTable::over(&k.header.macros);
    macros.extend(arch_macros);
    let absent = absent_guards(table, &macros);
    let pre = preprocess(table, macros)?;
    let defs = parse_array_defs(&pre.tokens, SYSCALL_FILE)?;
    let def = single_table(&defs)?;
    let size_toks = def
        .size
        .as_ref()
        .ok_or_else(|| def.name.error("an explicit size `[SYSCALL_TABLE_SIZE]`"))?;
    let size = value(&pre.macros, size_toks, &def.name)?;
    let mut entries: Vec<(Syscall, u32)> = Vec::new();
    for item in &def.init.items {
        let (nr, name) = index(item, arch, &pre.macros, size)?;
        if let Some((prev, line)) = entries.iter().find(|(e, _)| e.nr == nr) {
            let at = match &item.designator {
                Some(Designator::Index(idx)) => &idx[0],
                _ => &item.first,
            };
            return Err(at.error(format!(
                "a native number not used before on {arch} ({nr} is also __NR_{} at line {line})",
                prev.name
            )));
        }
        let entry = entry(item, nr, name, k)?;
        entries.push((entry, item.first.line));
    }
    entries.sort_by_key(|(e, _)| e.nr);
    Ok(ArchMap {
        map: SyscallMap {
            arch: arch.to_string(),
            entries: entries.into_iter().map(|(e, _)| e).collect(),
        },
        absent,
    })
}

/// Names of `#ifdef __NR_x` guards whose number is not defined.
fn absent_guards(tokens: &[Token], macros: &MacroTable) -> Vec<String> {
    let mut out = Vec::new();
    for tok in tokens {
        let TokKind::Directive(d) = &tok.kind else {
            continue;
        };
        if d.name != "ifdef" {
            continue;
        }
        if let [t] = d.tokens.as_slice()
            && let Some(name) = t.ident().and_then(|n| n.strip_prefix("__NR_"))
            && !macros.is_defined(&format!("__NR_{name}"))
            && !out.iter().any(|o| o == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

fn single_table(defs: &[ArrayDef]) -> Result<&ArrayDef> {
    match defs {
        [] => Err(ImportError::in_file(
            SYSCALL_FILE,
            "`const struct syscall_evt_pair g_syscall_table[SYSCALL_TABLE_SIZE]`",
            "no table",
        )),
        [def, rest @ ..] => {
            if def.name() != "g_syscall_table" || def.struct_type != "syscall_evt_pair" {
                return Err(def
                    .name
                    .error("`const struct syscall_evt_pair g_syscall_table[...]`"));
            }
            if let Some(extra) = rest.first() {
                return Err(extra.name.error("only `g_syscall_table` in this file"));
            }
            Ok(def)
        }
    }
}

/// Evaluates an expression over macros (syscall numbers, SYSCALL_TABLE_ID0 and the header's).
fn value(macros: &MacroTable, toks: &[Token], anchor: &Token) -> Result<u64> {
    fn resolve(macros: &MacroTable, tok: &Token, name: &str, depth: usize) -> Result<i128> {
        match macros.get(name) {
            Some(m) if m.params.is_none() && depth < MAX_DEPTH => {
                expr::eval(&m.body, tok, &mut |t: &Token, n: &str| {
                    resolve(macros, t, n, depth + 1)
                })
            }
            _ => Err(tok.error("a defined constant")),
        }
    }
    let v = expr::eval(toks, anchor, &mut |t: &Token, n: &str| {
        resolve(macros, t, n, 0)
    })?;
    u64::try_from(v).map_err(|_| anchor.error(format!("a non-negative value, not {v}")))
}

/// `[__NR_x - SYSCALL_TABLE_ID0]` → (native number, `x`).
fn index(item: &InitItem, arch: &str, macros: &MacroTable, size: u64) -> Result<(u32, String)> {
    let Some(Designator::Index(idx)) = &item.designator else {
        return Err(item.first.error("`[__NR_x - SYSCALL_TABLE_ID0] = {...}`"));
    };
    let nr_tok = &idx[0];
    let Some(name) = nr_tok.ident().and_then(|n| n.strip_prefix("__NR_")) else {
        return Err(nr_tok.error("a `__NR_*` syscall number"));
    };
    if !macros.is_defined(&format!("__NR_{name}")) {
        return Err(ImportError::at(
            &nr_tok.file,
            nr_tok.line,
            format!(
                "__NR_{name} to be defined in {} (the entry is not guarded by #ifdef __NR_{name})",
                compat_file(arch)
            ),
            "no definition",
        ));
    }
    let nr = value(macros, idx, nr_tok)?;
    if nr >= size {
        return Err(nr_tok.error(format!(
            "a native number below SYSCALL_TABLE_SIZE ({size}), not {nr}"
        )));
    }
    Ok((u32::try_from(nr).unwrap_or(u32::MAX), name.to_string()))
}

/// The fields of `struct syscall_evt_pair`, positional or designated.
const FIELDS: [&str; 4] = ["flags", "enter_event_type", "exit_event_type", "ppm_sc"];

fn entry(item: &InitItem, nr: u32, name: String, k: &Known) -> Result<Syscall> {
    let Init::List(list) = &item.value else {
        return Err(item
            .value
            .error("`{flags, enter, exit, ppm_sc}` or `{.ppm_sc = ...}`"));
    };
    let mut fields: [Option<&Init>; 4] = [None; 4];
    let designated = list.items.iter().any(|i| i.designator.is_some());
    if designated {
        for f in &list.items {
            let Some(Designator::Field(field)) = &f.designator else {
                return Err(f
                    .first
                    .error("`.field = value` (positional and designated fields are not mixed)"));
            };
            let Some(pos) = FIELDS.iter().position(|n| field.is_ident(n)) else {
                return Err(field.error("a field of syscall_evt_pair (flags, enter_event_type, exit_event_type, ppm_sc)"));
            };
            if fields[pos].is_some() {
                return Err(field.error("a field not given before"));
            }
            fields[pos] = Some(&f.value);
        }
    } else {
        if list.items.len() != 4 {
            return Err(list
                .open
                .error("`{flags, enter, exit, ppm_sc}` (4 elements)"));
        }
        for (slot, f) in fields.iter_mut().zip(&list.items) {
            *slot = Some(&f.value);
        }
    }
    let [flags, enter, exit, sc] = fields;
    let syscall_flags = super::constants::required_enum(k.header, "syscall_flags")?;
    let mut flag_names = match flags {
        Some(f) => or_list(f, syscall_flags, "UF_* flags joined by `|`")?,
        None => Vec::new(),
    };
    flag_names.retain(|f| f != "UF_NONE");
    let used = flag_names.iter().any(|f| f == "UF_USED");
    let sc = sc.ok_or_else(|| list.close.error("a `ppm_sc` code"))?;
    let (enter, exit) = if used {
        let enter = enter.ok_or_else(|| list.close.error("an enter event"))?;
        let exit = exit.ok_or_else(|| list.close.error("an exit event"))?;
        (
            event(enter, k.events, Direction::Enter)?,
            event(exit, k.events, Direction::Exit)?,
        )
    } else {
        for given in [enter, exit].into_iter().flatten() {
            if !matches!(given.as_ident(), Some("PPME_GENERIC_E" | "PPME_GENERIC_X")) {
                return Err(given.error("UF_USED in the flags of an entry naming its own events"));
            }
        }
        ("PPME_GENERIC_E".to_string(), "PPME_GENERIC_X".to_string())
    };
    Ok(Syscall {
        nr,
        name,
        flags: flag_names,
        enter,
        exit,
        ppm_sc: ppm_sc(sc, k.ppm_sc)?,
    })
}

fn event(init: &Init, events: &[Event], dir: Direction) -> Result<String> {
    let expected = match dir {
        Direction::Enter => "an enter (_E) event of g_event_info",
        Direction::Exit => "an exit (_X) event of g_event_info",
    };
    match init.as_ident() {
        Some(id) if events.iter().any(|e| e.id == id && e.direction == dir) => Ok(id.to_string()),
        _ => Err(init.error(expected)),
    }
}

fn ppm_sc(init: &Init, codes: &[NameValue]) -> Result<String> {
    let name = init
        .as_ident()
        .and_then(|n| n.strip_prefix("PPM_SC_"))
        .map(str::to_ascii_lowercase);
    match name {
        Some(n) if codes.iter().any(|c| c.name == n) => Ok(n),
        _ => Err(init.error("a PPM_SC_* code listed in PPM_SC_FIELDS")),
    }
}
