//! event_table.c: `g_event_info`, one designated entry per `ppm_event_code`:
//!
//! ```c
//! [PPME_X] = {"name", EC_A | EC_B, EF_A | EF_B, nparams, {{"p", PT_T, PF_F[, info[, ninfo]]}, ...}},
//! [PPME_Y] = {"NA", EC_UNKNOWN, EF_UNUSED, 0},
//! ```
//!
//! The third element of a parameter is a flags_table.c table name, `DIRFD_PARAM(n)` (the index
//! of the parameter holding the directory fd), or, for `PT_DYN`, a dynamic_params_table.c
//! table name followed by its size constant. Every code below `PPM_EVENT_MAX` must have
//! exactly one entry; names, categories, flags, types, formats and table references must all
//! be defined; `nparams` must match the list; the `_E`/`_X` suffix must match the code's parity.

use super::constants::required_enum;
use super::decl::{ArrayDef, Designator, Init};
use super::dyn_params::member;
use super::error::{ImportError, Result};
use super::header::{EnumDef, Header};
use super::lexer::{TokKind, Token};
use crate::model::{Direction, DynTable, Event, FlagTable, Param};

pub const EVENTS_FILE: &str = "event_table.c";

/// The tables parameters may refer to.
pub struct Refs<'a> {
    pub flags: &'a [FlagTable],
    pub dyns: &'a [DynTable],
}

/// The `ppm_event_code` enum and `PPM_EVENT_MAX`.
pub fn event_codes(h: &Header) -> Result<(&EnumDef, u16)> {
    let codes = h.enum_by_typedef("ppm_event_code").ok_or_else(|| {
        ImportError::in_file(
            super::header::HEADER_FILE,
            "`typedef enum {...} ppm_event_code;`",
            "no such enum",
        )
    })?;
    let max = codes.get("PPM_EVENT_MAX").ok_or_else(|| {
        ImportError::in_file(
            super::header::HEADER_FILE,
            "PPM_EVENT_MAX in ppm_event_code",
            "no such member",
        )
    })?;
    let max_value = u16::try_from(max.value).map_err(|_| {
        ImportError::at(
            super::header::HEADER_FILE,
            max.line,
            "PPM_EVENT_MAX between 0 and 65535",
            max.value.to_string(),
        )
    })?;
    Ok((codes, max_value))
}

pub fn events(defs: &[ArrayDef], h: &Header, refs: &Refs) -> Result<Vec<Event>> {
    let table = match defs {
        [] => {
            return Err(ImportError::in_file(
                EVENTS_FILE,
                "`const struct ppm_event_info g_event_info[]`",
                "no table",
            ));
        }
        [def, rest @ ..] => {
            if def.name() != "g_event_info" || def.struct_type != "ppm_event_info" {
                return Err(def
                    .name
                    .error("`const struct ppm_event_info g_event_info[]`"));
            }
            if let Some(extra) = rest.first() {
                return Err(extra.name.error("only `g_event_info` in this file"));
            }
            def
        }
    };
    let (codes, max) = event_codes(h)?;
    let ctx = Ctx {
        categories: required_enum(h, "ppm_event_category")?,
        flags: required_enum(h, "ppm_event_flags")?,
        types: required_enum(h, "ppm_param_type")?,
        formats: required_enum(h, "ppm_print_format")?,
        header: h,
        refs,
    };
    let mut slots: Vec<Option<Event>> = vec![None; usize::from(max)];
    for item in &table.init.items {
        let Some(Designator::Index(idx)) = &item.designator else {
            return Err(item.first.error("`[PPME_...] = {...}`"));
        };
        let id_tok = match idx.as_slice() {
            [tok] => tok,
            _ => return Err(item.first.error("one PPME_* event code inside `[]`")),
        };
        let code = id_tok
            .ident()
            .and_then(|name| codes.get(name))
            .filter(|m| m.name != "PPM_EVENT_MAX")
            .and_then(|m| u16::try_from(m.value).ok())
            .filter(|c| *c < max)
            .ok_or_else(|| id_tok.error("a PPME_* event code of enum ppm_event_code"))?;
        let slot = &mut slots[usize::from(code)];
        if slot.is_some() {
            return Err(id_tok.error("an event code without an earlier entry"));
        }
        *slot = Some(ctx.event(code, id_tok, &item.value)?);
    }
    let mut out = Vec::with_capacity(slots.len());
    for (code, slot) in slots.into_iter().enumerate() {
        match slot {
            Some(e) => out.push(e),
            None => {
                let name = codes
                    .members
                    .iter()
                    .find(|m| m.value == code as i128)
                    .map_or_else(
                        || format!("code {code}"),
                        |m| format!("{} (code {code})", m.name),
                    );
                let close = &table.init.close;
                return Err(ImportError::at(
                    &close.file,
                    close.line,
                    format!(
                        "an entry for {name}: g_event_info needs PPM_EVENT_MAX ({max}) entries"
                    ),
                    "the end of the table",
                ));
            }
        }
    }
    Ok(out)
}

struct Ctx<'a> {
    categories: &'a EnumDef,
    flags: &'a EnumDef,
    types: &'a EnumDef,
    formats: &'a EnumDef,
    header: &'a Header,
    refs: &'a Refs<'a>,
}

impl Ctx<'_> {
    fn event(&self, code: u16, id_tok: &Token, value: &Init) -> Result<Event> {
        let id = id_tok.to_string();
        let direction = match (id.ends_with("_E"), id.ends_with("_X")) {
            (true, _) => Direction::Enter,
            (_, true) => Direction::Exit,
            _ => return Err(id_tok.error("an event code name ending in _E or _X")),
        };
        if (direction == Direction::Enter) != code.is_multiple_of(2) {
            return Err(id_tok.error(format!(
                "an even code for an _E event and an odd one for an _X event (code {code})"
            )));
        }
        let Init::List(list) = value else {
            return Err(value.error("`{\"name\", categories, flags, nparams, {params}}`"));
        };
        if let Some(d) = list.items.iter().find(|i| i.designator.is_some()) {
            return Err(d.first.error("positional event fields"));
        }
        let (name, cat, flags, nparams, params) = match list.items.as_slice() {
            [n, c, f, p] => (n, c, f, p, None),
            [n, c, f, p, ps] => (n, c, f, p, Some(ps)),
            _ => {
                return Err(list.open.error(
                    "`{\"name\", categories, flags, nparams[, {params}]}` (4 or 5 elements)",
                ));
            }
        };
        let name = string(&name.value, "the event name string")?;
        let category = or_list(&cat.value, self.categories, "EC_* categories joined by `|`")?;
        let mut flag_names = or_list(&flags.value, self.flags, "EF_* flags joined by `|`")?;
        flag_names.retain(|f| f != "EF_NONE");
        let params = match params.map(|p| &p.value) {
            None => Vec::new(),
            Some(Init::List(plist)) => {
                let mut out = Vec::with_capacity(plist.items.len());
                for p in &plist.items {
                    out.push(self.param(&p.value)?);
                }
                out
            }
            Some(other) => return Err(other.error("a `{...}` list of parameters")),
        };
        let Init::Expr(ntoks) = &nparams.value else {
            return Err(nparams.value.error("the number of parameters"));
        };
        let n = self.header.eval_unsigned(ntoks, &ntoks[0], 255)?;
        if n != params.len() as u64 {
            return Err(nparams.value.error(format!(
                "the number of parameters listed ({})",
                params.len()
            )));
        }
        if let Some(limit) = self.max_params()?
            && n > limit
        {
            return Err(nparams
                .value
                .error(format!("at most PPM_MAX_EVENT_PARAMS ({limit}) parameters")));
        }
        for (k, p) in params.iter().enumerate() {
            if let Some(d) = p.dirfd
                && (d as usize >= params.len() || d as usize == k)
            {
                return Err(list.open.error(format!(
                    "DIRFD_PARAM of `{}` naming another parameter of this event",
                    p.name
                )));
            }
        }
        Ok(Event {
            code,
            id,
            name,
            direction,
            category,
            flags: flag_names,
            params,
        })
    }

    fn max_params(&self) -> Result<Option<u64>> {
        match self.header.macros.get("PPM_MAX_EVENT_PARAMS") {
            None => Ok(None),
            Some(m) => {
                let anchor = m
                    .body
                    .first()
                    .cloned()
                    .unwrap_or_else(|| fake_anchor(m.line));
                self.header.eval_unsigned(&m.body, &anchor, 255).map(Some)
            }
        }
    }

    /// `{"name", PT_T, PF_F[, info[, ninfo]]}`
    fn param(&self, value: &Init) -> Result<Param> {
        let Init::List(list) = value else {
            return Err(value.error("`{\"name\", PT_*, PF_*}`"));
        };
        let items: Vec<&Init> = list.items.iter().map(|i| &i.value).collect();
        if let Some(d) = list.items.iter().find(|i| i.designator.is_some()) {
            return Err(d.first.error("positional parameter fields"));
        }
        let (name, ptype, fmt, info, ninfo) = match items.as_slice() {
            [n, t, f] => (n, t, f, None, None),
            [n, t, f, i] => (n, t, f, Some(*i), None),
            [n, t, f, i, k] => (n, t, f, Some(*i), Some(*k)),
            _ => return Err(list.open.error("`{\"name\", PT_*, PF_*[, info[, ninfo]]}`")),
        };
        let mut p = Param {
            name: string(name, "the parameter name string")?,
            ptype: member(ptype, self.types, "a PT_* parameter type")?,
            fmt: member(fmt, self.formats, "a PF_* print format")?,
            flags: None,
            dyn_table: None,
            dirfd: None,
        };
        let Some(info) = info else {
            if p.ptype == "PT_DYN" {
                return Err(list
                    .close
                    .error("a dynamic-param table for a PT_DYN parameter"));
            }
            return Ok(p);
        };
        if let Some(d) = dirfd(info)? {
            if let Some(extra) = ninfo {
                return Err(extra.error("`}` after DIRFD_PARAM(n)"));
            }
            p.dirfd = Some(d);
            return Ok(p);
        }
        let Some(table) = info.as_ident() else {
            return Err(
                info.error("a flags table name, a dynamic-param table name or DIRFD_PARAM(n)")
            );
        };
        if p.ptype == "PT_DYN" {
            let Some(dyn_table) = self.refs.dyns.iter().find(|t| t.name == table) else {
                return Err(info.error("a table defined in dynamic_params_table.c"));
            };
            let Some(Init::Expr(ntoks)) = ninfo else {
                return Err(list
                    .close
                    .error(format!("the size of {table} after its name")));
            };
            let n = self.header.eval_unsigned(ntoks, &ntoks[0], 255)?;
            if n != dyn_table.entries.len() as u64 {
                return Err(ninfo.map_or_else(
                    || info.error("a size"),
                    |k| k.error(format!("the size of {table} ({})", dyn_table.entries.len())),
                ));
            }
            p.dyn_table = Some(table.to_string());
        } else {
            if let Some(extra) = ninfo {
                return Err(extra.error("`}` after a flags table name"));
            }
            if !self.refs.flags.iter().any(|t| t.name == table) {
                return Err(info.error("a flags table defined in flags_table.c"));
            }
            p.flags = Some(table.to_string());
        }
        Ok(p)
    }
}

fn fake_anchor(line: u32) -> Token {
    Token {
        kind: TokKind::Punct(";"),
        file: super::header::HEADER_FILE.into(),
        line,
        space_before: true,
    }
}

fn string(init: &Init, expected: &str) -> Result<String> {
    match init {
        Init::Expr(toks) => match toks.as_slice() {
            [
                Token {
                    kind: TokKind::Str(s),
                    ..
                },
            ] => Ok(s.clone()),
            _ => Err(init.error(expected)),
        },
        Init::List(_) => Err(init.error(expected)),
    }
}

/// `A | B | C`, each a member of `def`.
pub(super) fn or_list(init: &Init, def: &EnumDef, expected: &str) -> Result<Vec<String>> {
    let Init::Expr(toks) = init else {
        return Err(init.error(expected));
    };
    let mut out = Vec::new();
    for (k, tok) in toks.iter().enumerate() {
        if k % 2 == 1 {
            if !tok.is_punct("|") {
                return Err(tok.error(format!("`|` between {expected}")));
            }
            continue;
        }
        match tok.ident() {
            Some(name) if def.get(name).is_some() => out.push(name.to_string()),
            _ => return Err(tok.error(expected)),
        }
    }
    if toks.len() % 2 == 0
        && let Some(last) = toks.last()
    {
        return Err(last.error(format!("{expected} (a name after `|`)")));
    }
    Ok(out)
}

/// `DIRFD_PARAM(n)` → `Some(n)`; anything else → `None`.
fn dirfd(init: &Init) -> Result<Option<u32>> {
    let Init::Expr(toks) = init else {
        return Ok(None);
    };
    match toks.as_slice() {
        [m, open, n, close]
            if m.is_ident("DIRFD_PARAM") && open.is_punct("(") && close.is_punct(")") =>
        {
            match n.kind {
                TokKind::Int { value, .. } if value < 32 => Ok(Some(value as u32)),
                _ => Err(n.error("a parameter index in DIRFD_PARAM(n)")),
            }
        }
        [m, ..] if m.is_ident("DIRFD_PARAM") => Err(init.error("`DIRFD_PARAM(n)`")),
        _ => Ok(None),
    }
}
