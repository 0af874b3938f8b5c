//! dynamic_params_table.c: `const struct ppm_param_info NAME[SIZE] = { [IDX] = {{0}, PT_X, PF_Y,
//! 0, 0}, ... };`. Every index from 0 to SIZE - 1 must be given exactly once; entries are
//! listed by index.

use super::constants::required_enum;
use super::decl::{ArrayDef, Designator, Init};
use super::error::Result;
use super::header::Header;
use super::lexer::TokKind;
use crate::model::{DynEntry, DynTable};

pub const DYN_FILE: &str = "dynamic_params_table.c";

pub fn dyn_tables(defs: &[ArrayDef], h: &Header) -> Result<Vec<DynTable>> {
    let types = required_enum(h, "ppm_param_type")?;
    let formats = required_enum(h, "ppm_print_format")?;
    let mut tables: Vec<DynTable> = Vec::new();
    for def in defs {
        if def.struct_type != "ppm_param_info" {
            return Err(def.name.error("a `struct ppm_param_info` table"));
        }
        if tables.iter().any(|t| t.name == def.name()) {
            return Err(def.name.error("a dynamic-param table name not used before"));
        }
        let Some(size) = &def.size else {
            return Err(def
                .name
                .error("a table with an explicit size `[PPM_..._IDX_MAX]`"));
        };
        let size = h.eval_unsigned(size, &def.name, 255)?;
        let mut slots: Vec<Option<DynEntry>> = vec![None; usize::try_from(size).unwrap_or(0)];
        for item in &def.init.items {
            let Some(Designator::Index(idx)) = &item.designator else {
                return Err(item.first.error("`[PPM_..._IDX_...] = {...}`"));
            };
            let id = match idx.as_slice() {
                [tok] if tok.ident().is_some() => tok,
                _ => return Err(item.first.error("one index constant inside `[]`")),
            };
            let index = h.eval_unsigned(idx, id, size.saturating_sub(1))?;
            let Init::List(list) = &item.value else {
                return Err(item.value.error("`{{0}, PT_X, PF_Y, 0, 0}`"));
            };
            let [name, ptype, fmt, info, ninfo] = list.items.as_slice() else {
                return Err(item
                    .value
                    .error("`{{0}, PT_X, PF_Y, 0, 0}` with five elements"));
            };
            let empty_name = matches!(&name.value, Init::List(l)
                if matches!(l.items.as_slice(), [one] if is_zero(&one.value)));
            if !empty_name {
                return Err(name.value.error("`{0}` (dynamic parameters have no name)"));
            }
            for zero in [info, ninfo] {
                if !is_zero(&zero.value) {
                    return Err(zero.value.error("`0`"));
                }
            }
            let ptype = member(&ptype.value, types, "a PT_* parameter type")?;
            let fmt = member(&fmt.value, formats, "a PF_* print format")?;
            let Some(slot) = usize::try_from(index).ok().and_then(|k| slots.get_mut(k)) else {
                return Err(id.error(format!("an index below the table size {size}")));
            };
            if slot.is_some() {
                return Err(id.error("an index not given before in this table"));
            }
            *slot = Some(DynEntry {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                id: id.to_string(),
                ptype,
                fmt,
            });
        }
        let mut entries = Vec::new();
        for (k, slot) in slots.into_iter().enumerate() {
            match slot {
                Some(e) => entries.push(e),
                None => {
                    return Err(def.init.close.error(format!(
                        "an entry for every index below {size} in {} (index {k} is missing)",
                        def.name()
                    )));
                }
            }
        }
        tables.push(DynTable {
            name: def.name().to_string(),
            entries,
        });
    }
    Ok(tables)
}

fn is_zero(init: &Init) -> bool {
    matches!(init, Init::Expr(t) if matches!(t.as_slice(), [z] if matches!(z.kind, TokKind::Int { value: 0, .. })))
}

/// The initializer as the name of a member of `def`.
pub fn member(init: &Init, def: &super::header::EnumDef, expected: &str) -> Result<String> {
    match init.as_ident() {
        Some(name) if def.get(name).is_some() => Ok(name.to_string()),
        _ => Err(init.error(expected)),
    }
}
