//! flags_table.c: every `const struct ppm_name_value NAME[] = { {"NAME", VALUE}, ..., {0, 0} };`
//! in file order. Values are resolved through the header's constants and must fit the
//! struct's `uint32_t`; the `{0, 0}` terminator is required, must come last, and is dropped.

use super::decl::{ArrayDef, Init};
use super::error::Result;
use super::header::Header;
use super::lexer::TokKind;
use crate::model::{FlagEntry, FlagTable};

pub const FLAGS_FILE: &str = "flags_table.c";

pub fn flag_tables(defs: &[ArrayDef], h: &Header) -> Result<Vec<FlagTable>> {
    let mut tables: Vec<FlagTable> = Vec::new();
    for def in defs {
        if def.struct_type != "ppm_name_value" {
            return Err(def.name.error("a `struct ppm_name_value` table"));
        }
        if let Some(size) = &def.size {
            return Err(size[0].error("`[]` (flag tables are sized by their terminator)"));
        }
        if tables.iter().any(|t| t.name == def.name()) {
            return Err(def.name.error("a flag table name not used before"));
        }
        tables.push(FlagTable {
            name: def.name().to_string(),
            entries: entries(def, h)?,
        });
    }
    Ok(tables)
}

fn entries(def: &ArrayDef, h: &Header) -> Result<Vec<FlagEntry>> {
    let mut out = Vec::new();
    let mut terminated = false;
    for item in &def.init.items {
        if terminated {
            return Err(item.first.error("no entry after the `{0, 0}` terminator"));
        }
        if item.designator.is_some() {
            return Err(item.first.error("`{\"NAME\", VALUE}`"));
        }
        let Init::List(pair) = &item.value else {
            return Err(item.value.error("`{\"NAME\", VALUE}`"));
        };
        let [name, value] = pair.items.as_slice() else {
            return Err(item.value.error("`{\"NAME\", VALUE}` with two elements"));
        };
        let (Init::Expr(name_toks), Init::Expr(value_toks)) = (&name.value, &value.value) else {
            return Err(item.value.error("`{\"NAME\", VALUE}`"));
        };
        match name_toks.as_slice() {
            [tok] if matches!(tok.kind, TokKind::Int { value: 0, .. }) => {
                if h.eval(value_toks, tok)? != 0 {
                    return Err(value.value.error("`0` in the `{0, 0}` terminator"));
                }
                terminated = true;
            }
            [tok] => {
                let TokKind::Str(s) = &tok.kind else {
                    return Err(tok.error("a flag name string or the `{0, 0}` terminator"));
                };
                let v = h.eval_unsigned(value_toks, tok, u64::from(u32::MAX))?;
                out.push(FlagEntry {
                    name: s.clone(),
                    value: v,
                });
            }
            _ => return Err(name.value.error("a flag name string")),
        }
    }
    if !terminated {
        return Err(def
            .init
            .close
            .error("a `{0, 0}` terminator before the end of the table"));
    }
    Ok(out)
}
