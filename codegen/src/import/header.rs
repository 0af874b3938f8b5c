//! ppm_events_public.h: its macros, its enums and the values of its constants.
//!
//! Enums may give values explicitly or implicitly (previous + 1, starting at 0), and may be
//! built from an X-macro list (`PPM_SC_FIELDS` expanded through a local `PPM_SC_X`): macros
//! used inside an enum body are expanded with the definitions in force at that point.
//! Constants are resolved to numbers through macros (which may refer to other macros) and
//! enum members.

use std::collections::HashMap;

use super::error::{ImportError, Result};
use super::expr;
use super::lexer::{TokKind, Token};
use super::macros::{MAX_DEPTH, MacroTable, expand, parse_define};

pub const HEADER_FILE: &str = "ppm_events_public.h";

#[derive(Debug, Clone)]
pub struct EnumDef {
    /// `enum TAG {...}`
    pub tag: Option<String>,
    /// `typedef enum {...} NAME;`
    pub typedef_name: Option<String>,
    pub members: Vec<EnumMember>,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct EnumMember {
    pub name: String,
    pub value: i128,
    pub line: u32,
}

impl EnumDef {
    pub fn get(&self, name: &str) -> Option<&EnumMember> {
        self.members.iter().find(|m| m.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Header {
    pub enums: Vec<EnumDef>,
    /// Object-like macro and enum member names, in order of first definition.
    pub order: Vec<String>,
    /// Macros defined at the end of the header.
    pub macros: MacroTable<'static>,
    enum_values: HashMap<String, i128>,
}

impl Header {
    /// Parses the preprocessed header (with its `#define`/`#undef` tokens in place).
    pub fn parse(tokens: &[Token], predefined: &MacroTable<'static>) -> Result<Header> {
        let mut h = Header {
            enums: Vec::new(),
            order: Vec::new(),
            macros: predefined.clone(),
            enum_values: HashMap::new(),
        };
        let mut i = 0;
        while let Some(tok) = tokens.get(i) {
            if let TokKind::Directive(_) = tok.kind {
                h.directive(tok)?;
                i += 1;
            } else if tok.is_ident("enum") {
                i = h.enum_def(tokens, i)?;
            } else {
                i += 1;
            }
        }
        Ok(h)
    }

    pub fn enum_by_tag(&self, tag: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|e| e.tag.as_deref() == Some(tag))
    }

    pub fn enum_by_typedef(&self, name: &str) -> Option<&EnumDef> {
        self.enums
            .iter()
            .find(|e| e.typedef_name.as_deref() == Some(name))
    }

    /// The value of a constant named at `tok`: an object-like macro or an enum member.
    pub fn value(&self, tok: &Token, name: &str) -> Result<i128> {
        self.value_at(tok, name, 0)
    }

    /// Evaluates an expression over the header's constants.
    pub fn eval(&self, tokens: &[Token], anchor: &Token) -> Result<i128> {
        expr::eval(tokens, anchor, &mut |t: &Token, n: &str| self.value(t, n))
    }

    /// Evaluates an expression that must be a non-negative number of at most `max`.
    pub fn eval_unsigned(&self, tokens: &[Token], anchor: &Token, max: u64) -> Result<u64> {
        let v = self.eval(tokens, anchor)?;
        u64::try_from(v).ok().filter(|v| *v <= max).ok_or_else(|| {
            let first = tokens.first().unwrap_or(anchor);
            ImportError::at(
                &first.file,
                first.line,
                format!("a value between 0 and {max}"),
                v.to_string(),
            )
        })
    }

    fn value_at(&self, tok: &Token, name: &str, depth: usize) -> Result<i128> {
        if let Some(m) = self.macros.get(name) {
            if m.params.is_some() {
                return Err(tok.error("a constant (object-like macro or enum member)"));
            }
            if depth >= MAX_DEPTH {
                return Err(tok.error(format!("macro values nested at most {MAX_DEPTH} deep")));
            }
            return expr::eval(&m.body, tok, &mut |t: &Token, n: &str| {
                self.value_at(t, n, depth + 1)
            });
        }
        if let Some(v) = self.enum_values.get(name) {
            return Ok(*v);
        }
        Err(tok.error(format!("a constant defined in {HEADER_FILE}")))
    }

    fn remember(&mut self, name: &str) {
        if !self.order.iter().any(|n| n == name) {
            self.order.push(name.to_string());
        }
    }

    fn directive(&mut self, tok: &Token) -> Result<()> {
        let TokKind::Directive(d) = &tok.kind else {
            return Ok(());
        };
        match d.name.as_str() {
            "define" => {
                let m = parse_define(tok, &d.tokens)?;
                if m.params.is_none() {
                    self.remember(&m.name);
                }
                self.macros.define(m);
            }
            "undef" => {
                if let Some(name) = d.tokens.first().and_then(Token::ident) {
                    self.macros.undef(name);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Parses `enum [TAG] {...}` at `start` (the `enum` token); returns the index after it.
    /// A use such as `enum ppm_param_type type;` is skipped.
    fn enum_def(&mut self, tokens: &[Token], start: usize) -> Result<usize> {
        let is_typedef = start > 0 && tokens[start - 1].is_ident("typedef");
        let (tag, open) = match (tokens.get(start + 1), tokens.get(start + 2)) {
            (Some(b), _) if b.is_punct("{") => (None, start + 1),
            (Some(t), Some(b)) if t.ident().is_some() && b.is_punct("{") => {
                (t.ident().map(str::to_string), start + 2)
            }
            _ => return Ok(start + 1),
        };
        let line = tokens[start].line;
        let (body, close) = self.enum_body(tokens, open)?;
        let members = self.enum_members(&body, &tokens[close])?;
        let mut next = close + 1;
        let mut typedef_name = None;
        if is_typedef {
            let name = tokens.get(next).and_then(Token::ident).ok_or_else(|| {
                tokens
                    .get(next)
                    .unwrap_or(&tokens[close])
                    .error("the typedef name after `}`")
            })?;
            typedef_name = Some(name.to_string());
            next += 1;
        }
        self.enums.push(EnumDef {
            tag,
            typedef_name,
            members,
            line,
        });
        Ok(next)
    }

    /// Collects and macro-expands the tokens between `{` (at `open`) and its `}`, applying
    /// directives found inside in order. Returns the tokens and the index of `}`.
    fn enum_body(&mut self, tokens: &[Token], open: usize) -> Result<(Vec<Token>, usize)> {
        let mut expanded = Vec::new();
        let mut pending: Vec<Token> = Vec::new();
        let mut i = open + 1;
        loop {
            let Some(tok) = tokens.get(i) else {
                let last = tokens.last().unwrap_or(&tokens[open]);
                return Err(ImportError::at(
                    &last.file,
                    last.line,
                    format!("`}}` closing the enum of line {}", tokens[open].line),
                    "end of file",
                ));
            };
            if tok.is_punct("}") {
                expanded.extend(expand(&pending, &self.macros)?);
                return Ok((expanded, i));
            }
            if let TokKind::Directive(_) = tok.kind {
                expanded.extend(expand(&pending, &self.macros)?);
                pending.clear();
                self.directive(tok)?;
            } else if tok.is_punct("{") {
                return Err(tok.error("an enum member"));
            } else {
                pending.push(tok.clone());
            }
            i += 1;
        }
    }

    /// Parses `NAME [= value], ...` (trailing comma allowed).
    fn enum_members(&mut self, body: &[Token], close: &Token) -> Result<Vec<EnumMember>> {
        let mut members: Vec<EnumMember> = Vec::new();
        let mut segments: Vec<(&[Token], &Token)> = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (k, tok) in body.iter().enumerate() {
            if tok.is_punct("(") {
                depth += 1;
            } else if tok.is_punct(")") {
                depth = depth.saturating_sub(1);
            } else if tok.is_punct(",") && depth == 0 {
                segments.push((&body[start..k], tok));
                start = k + 1;
            }
        }
        let last = segments.len();
        segments.push((&body[start..], close));
        for (k, (seg, end)) in segments.into_iter().enumerate() {
            let Some(name_tok) = seg.first() else {
                if k == last && k > 0 {
                    break;
                }
                return Err(end.error("an enum member name"));
            };
            let Some(name) = name_tok.ident() else {
                return Err(name_tok.error("an enum member name"));
            };
            let value = match seg.get(1) {
                None => match members.last() {
                    None => 0,
                    Some(prev) => prev.value + 1,
                },
                Some(eq) if eq.is_punct("=") => self.eval(&seg[2..], eq)?,
                Some(other) => return Err(other.error("`=`, `,` or `}` after an enum member")),
            };
            if self.enum_values.contains_key(name) {
                return Err(name_tok.error("an enum member name not defined before"));
            }
            self.enum_values.insert(name.to_string(), value);
            self.remember(name);
            members.push(EnumMember {
                name: name.to_string(),
                value,
                line: name_tok.line,
            });
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::lexer::tokenize;
    use crate::import::preproc::{preprocess, userspace_macros};

    fn header(src: &str) -> Result<Header> {
        let toks = tokenize(HEADER_FILE, src.as_bytes())?;
        let pre = preprocess(&toks, userspace_macros())?;
        Header::parse(&pre.tokens, &userspace_macros())
    }

    #[test]
    fn enums_macros_and_x_macros() {
        let h = header(
            "#define BASE (1 << 4)\n#define ALIAS BASE\n\
             enum cat { C_A = 0, C_B = BASE | 1, C_C, };\n\
             struct s { enum cat c; };\n\
             #define LIST \\\n X(OPEN, 5) \\\n X(READ, 3)\n\
             typedef enum {\n#define X(name, value) SC_##name = (value),\n LIST\n#undef X\n SC_MAX,\n} sc_code;\n",
        )
        .unwrap();
        let cat = h.enum_by_tag("cat").unwrap();
        let vals: Vec<(String, i128)> = cat
            .members
            .iter()
            .map(|m| (m.name.clone(), m.value))
            .collect();
        assert_eq!(
            vals,
            vec![("C_A".into(), 0), ("C_B".into(), 17), ("C_C".into(), 18)]
        );
        let sc = h.enum_by_typedef("sc_code").unwrap();
        assert_eq!(sc.members.len(), 3);
        assert_eq!(sc.get("SC_READ").unwrap().value, 3);
        assert_eq!(sc.get("SC_MAX").unwrap().value, 4);
        assert_eq!(sc.get("SC_OPEN").unwrap().line, 6);
        assert!(!h.macros.is_defined("X"));
        let tok = tokenize("x.c", b"ALIAS").unwrap();
        assert_eq!(h.value(&tok[0], "ALIAS").unwrap(), 16);
        assert_eq!(h.value(&tok[0], "SC_OPEN").unwrap(), 5);
        assert!(h.value(&tok[0], "NOPE").is_err());
        assert_eq!(
            h.order,
            vec![
                "BASE", "ALIAS", "C_A", "C_B", "C_C", "LIST", "SC_OPEN", "SC_READ", "SC_MAX"
            ]
        );
    }

    #[test]
    fn bad_enums() {
        let e = header("enum e { A = , B };").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ppm_events_public.h:1: expected an operand, found the end of the expression"
        );
        let e = header("enum e { A B };").unwrap_err();
        assert!(
            e.to_string()
                .contains("expected `=`, `,` or `}` after an enum member, found `B`"),
            "{e}"
        );
        let e = header("enum e { A,\n").unwrap_err();
        assert!(e.to_string().contains("found end of file"), "{e}");
    }
}
