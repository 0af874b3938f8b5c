//! The constant groups of `schema/constants.toml`, selected from ppm_events_public.h.
//!
//! | group | source |
//! | --- | --- |
//! | event_categories | `enum ppm_event_category` |
//! | event_flags | `enum ppm_event_flags` |
//! | param_types | `enum ppm_param_type` |
//! | print_formats | `enum ppm_print_format` |
//! | ppm_sc | the `PPM_SC_X(NAME, n)` list of `PPM_SC_FIELDS`, names lower case, no prefix |
//! | syscall_flags | `enum syscall_flags` |
//! | socket_families | every `PPM_AF_*` constant |
//! | anon_inode_fd_types | `enum anon_inode_fd_type` (absent before schema 4.5: empty) |
//! | extra | one group per prefix of [`EXTRA_PREFIXES`] |
//!
//! Groups keep declaration order. Every value must be a number between 0 and `i64::MAX`
//! (TOML integers are signed 64-bit); anything else is an error at the constant's line.

use super::error::{ImportError, Result};
use super::header::{EnumDef, HEADER_FILE, Header};
use super::lexer::Token;
use crate::model::{ConstGroup, Constants, NameValue};

/// Prefix groups exported in `extra`: open flags and the flags the driver adds to them
/// (`PPM_O_*`, `PPM_FD_*`), file mode bits (`PPM_S_*`), clone flags and thread-state bits
/// (`PPM_CL_*`), execve flags (`PPM_EXE_*`). The decoder and the state tracker test these bits.
pub const EXTRA_PREFIXES: [&str; 5] = ["PPM_O_", "PPM_FD_", "PPM_S_", "PPM_CL_", "PPM_EXE_"];

/// Builds every group of [`Constants`].
pub fn constants(h: &Header) -> Result<Constants> {
    Ok(Constants {
        event_categories: enum_group(h, "ppm_event_category", true)?,
        event_flags: enum_group(h, "ppm_event_flags", true)?,
        param_types: enum_group(h, "ppm_param_type", true)?,
        print_formats: enum_group(h, "ppm_print_format", true)?,
        ppm_sc: ppm_sc(h)?,
        syscall_flags: enum_group(h, "syscall_flags", true)?,
        socket_families: prefix_group(h, "PPM_AF_")?,
        anon_inode_fd_types: enum_group(h, "anon_inode_fd_type", false)?,
        extra: EXTRA_PREFIXES
            .iter()
            .map(|p| {
                Ok(ConstGroup {
                    prefix: p.to_string(),
                    entries: prefix_group(h, p)?,
                })
            })
            .collect::<Result<_>>()?,
    })
}

/// The enum `enum TAG {...}`; an error when it is required and missing.
pub fn required_enum<'h>(h: &'h Header, tag: &str) -> Result<&'h EnumDef> {
    h.enum_by_tag(tag).ok_or_else(|| missing_enum(tag))
}

fn to_value(v: i128, name: &str, line: u32) -> Result<u64> {
    u64::try_from(v)
        .ok()
        .filter(|v| i64::try_from(*v).is_ok())
        .ok_or_else(|| {
            ImportError::at(
                HEADER_FILE,
                line,
                format!("a value of {name} between 0 and {}", i64::MAX),
                v.to_string(),
            )
        })
}

fn enum_group(h: &Header, tag: &str, required: bool) -> Result<Vec<NameValue>> {
    let def = match h.enum_by_tag(tag) {
        Some(def) => def,
        None if !required => return Ok(Vec::new()),
        None => return Err(missing_enum(tag)),
    };
    def.members
        .iter()
        .map(|m| {
            Ok(NameValue {
                name: m.name.clone(),
                value: to_value(m.value, &m.name, m.line)?,
            })
        })
        .collect()
}

fn missing_enum(tag: &str) -> ImportError {
    ImportError::in_file(HEADER_FILE, format!("`enum {tag}`"), "no such enum")
}

/// Object-like macros and enum members whose name starts with `prefix`, in order.
fn prefix_group(h: &Header, prefix: &str) -> Result<Vec<NameValue>> {
    let mut out = Vec::new();
    for name in h.order.iter().filter(|n| n.starts_with(prefix)) {
        let (line, anchor) = match h.macros.get(name) {
            Some(m) if m.params.is_some() => continue,
            Some(m) => (m.line, m.body.first().cloned()),
            None => match h
                .enums
                .iter()
                .flat_map(|e| &e.members)
                .find(|m| &m.name == name)
            {
                Some(member) => (member.line, None),
                None => continue, // #undef'd later
            },
        };
        let anchor = anchor.unwrap_or_else(|| synthetic(name, line));
        let v = h.value(&anchor, name)?;
        out.push(NameValue {
            name: name.clone(),
            value: to_value(v, name, line)?,
        });
    }
    Ok(out)
}

fn synthetic(name: &str, line: u32) -> Token {
    Token {
        kind: super::lexer::TokKind::Ident(name.to_string()),
        file: HEADER_FILE.into(),
        line,
        space_before: true,
    }
}

/// `#define PPM_SC_FIELDS PPM_SC_X(NAME, n) ...`: names lower case.
fn ppm_sc(h: &Header) -> Result<Vec<NameValue>> {
    let Some(m) = h.macros.get("PPM_SC_FIELDS") else {
        return Err(ImportError::in_file(
            HEADER_FILE,
            "`#define PPM_SC_FIELDS` with the PPM_SC_X(NAME, n) list",
            "no such macro",
        ));
    };
    let mut out: Vec<NameValue> = Vec::new();
    let body = &m.body;
    let mut i = 0;
    while let Some(x) = body.get(i) {
        if !x.is_ident("PPM_SC_X") {
            return Err(x.error("`PPM_SC_X(NAME, n)`"));
        }
        let close = body[i..]
            .iter()
            .position(|t| t.is_punct(")"))
            .map(|k| i + k)
            .ok_or_else(|| x.error("`PPM_SC_X(NAME, n)` closed by `)`"))?;
        let call = &body[i + 1..close];
        let [open, name_tok, comma, value @ ..] = call else {
            return Err(x.error("`PPM_SC_X(NAME, n)`"));
        };
        if !open.is_punct("(") || !comma.is_punct(",") {
            return Err(x.error("`PPM_SC_X(NAME, n)`"));
        }
        let name = name_tok
            .ident()
            .ok_or_else(|| name_tok.error("a syscall name in PPM_SC_X"))?
            .to_ascii_lowercase();
        let v = h.eval(value, comma)?;
        if out.iter().any(|e| e.name == name) {
            return Err(name_tok.error("a ppm_sc name not listed before"));
        }
        out.push(NameValue {
            value: to_value(v, &name, name_tok.line)?,
            name,
        });
        i = close + 1;
    }
    Ok(out)
}
