//! `#define` macros: parsing a directive into a [`Macro`], the table of defined macros, and
//! the small expander the header needs for its X-macro enum
//! (`#define PPM_SC_X(name, value) PPM_SC_##name = (value),` applied to `PPM_SC_FIELDS`).
//!
//! The expander substitutes parameters, pastes `##` operands and rescans the result; it does
//! not implement `#` stringizing or variadic macros, which the driver tables do not use.

use std::collections::HashMap;

use super::error::{ImportError, Result};
use super::lexer::{TokKind, Token, parse_int};

/// Nesting limit for macro expansion and evaluation; deeper means a cycle or garbage.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Macro {
    pub name: String,
    /// Parameter names for a function-like macro, `None` for an object-like one.
    pub params: Option<Vec<String>>,
    pub body: Vec<Token>,
    /// Where it was defined.
    pub file: String,
    pub line: u32,
}

/// Macros currently defined: those defined or undefined here, over a borrowed base table
/// (a `.c` file's own `#define`s over the header's macros, without copying the header's).
#[derive(Debug, Clone, Default)]
pub struct MacroTable<'b> {
    base: Option<&'b MacroTable<'b>>,
    /// Defined here (`Some`), or undefined here while the base defines it (`None`).
    own: HashMap<String, Option<Macro>>,
}

impl<'b> MacroTable<'b> {
    /// An empty table over `base`: `base`'s macros until they are redefined or undefined.
    pub fn over(base: &'b MacroTable<'b>) -> Self {
        MacroTable {
            base: Some(base),
            own: HashMap::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Macro> {
        match self.own.get(name) {
            Some(here) => here.as_ref(),
            None => self.base?.get(name),
        }
    }

    pub fn is_defined(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn define(&mut self, m: Macro) {
        self.own.insert(m.name.clone(), Some(m));
    }

    pub fn undef(&mut self, name: &str) {
        if self.base.is_some_and(|b| b.is_defined(name)) {
            self.own.insert(name.to_string(), None);
        } else {
            self.own.remove(name);
        }
    }

    /// Adds every macro defined in `other`, replacing same-named ones.
    pub fn extend(&mut self, other: &MacroTable) {
        other.for_each_defined(&mut |m| self.define(m.clone()));
    }

    /// Calls `f` on every defined macro, once per name.
    fn for_each_defined(&self, f: &mut dyn FnMut(&Macro)) {
        self.own.values().flatten().for_each(&mut *f);
        if let Some(base) = self.base {
            base.for_each_defined(&mut |m| {
                if !self.own.contains_key(&m.name) {
                    f(m);
                }
            });
        }
    }

    /// A predefined object-like macro (no source location).
    pub fn predefine(&mut self, name: &str, value: u64) {
        let tok = Token {
            kind: TokKind::Int {
                value,
                text: value.to_string(),
            },
            file: "<predefined>".into(),
            line: 0,
            space_before: true,
        };
        self.define(Macro {
            name: name.to_string(),
            params: None,
            body: vec![tok],
            file: "<predefined>".into(),
            line: 0,
        });
    }
}

/// Parses the tokens of a `#define` directive (everything after `define`).
pub fn parse_define(directive: &Token, tokens: &[Token]) -> Result<Macro> {
    let Some(name_tok) = tokens.first() else {
        return Err(ImportError::at(
            &directive.file,
            directive.line,
            "a macro name after #define",
            "end of line",
        ));
    };
    let Some(name) = name_tok.ident() else {
        return Err(name_tok.error("a macro name after #define"));
    };
    let mut rest = &tokens[1..];
    let mut params = None;
    if let Some(open) = rest.first().filter(|t| t.is_punct("(") && !t.space_before) {
        let mut names = Vec::new();
        let mut i = 1;
        loop {
            let Some(tok) = rest.get(i) else {
                return Err(ImportError::at(
                    &open.file,
                    open.line,
                    "`)` closing the macro parameters",
                    "end of line",
                ));
            };
            if tok.is_punct(")") && names.is_empty() {
                break;
            }
            let Some(p) = tok.ident() else {
                return Err(tok.error("a macro parameter name"));
            };
            names.push(p.to_string());
            match rest.get(i + 1) {
                Some(t) if t.is_punct(",") => i += 2,
                Some(t) if t.is_punct(")") => {
                    i += 1;
                    break;
                }
                Some(t) => return Err(t.error("`,` or `)` in the macro parameters")),
                None => {
                    return Err(ImportError::at(
                        &tok.file,
                        tok.line,
                        "`)` closing the macro parameters",
                        "end of line",
                    ));
                }
            }
        }
        rest = &rest[i + 1..];
        params = Some(names);
    }
    Ok(Macro {
        name: name.to_string(),
        params,
        body: rest.to_vec(),
        file: directive.file.to_string(),
        line: directive.line,
    })
}

/// Expands every macro in `tokens` (object-like names, and function-like names followed by
/// an argument list), rescanning results, never re-expanding a macro inside itself.
pub fn expand(tokens: &[Token], macros: &MacroTable) -> Result<Vec<Token>> {
    let mut hidden = Vec::new();
    expand_in(tokens, macros, &mut hidden)
}

fn expand_in(
    tokens: &[Token],
    macros: &MacroTable,
    hidden: &mut Vec<String>,
) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let tok = &tokens[i];
        let found = tok
            .ident()
            .filter(|name| !hidden.iter().any(|h| h == name))
            .and_then(|name| macros.get(name));
        let Some(m) = found else {
            out.push(tok.clone());
            i += 1;
            continue;
        };
        if hidden.len() >= MAX_DEPTH {
            return Err(tok.error(format!("macro expansion nested at most {MAX_DEPTH} deep")));
        }
        let (replacement, used) = match &m.params {
            None => (m.body.clone(), 1),
            Some(params) => {
                if !tokens.get(i + 1).is_some_and(|t| t.is_punct("(")) {
                    out.push(tok.clone());
                    i += 1;
                    continue;
                }
                let (args, used) = collect_args(tokens, i + 1)?;
                if args.len() != params.len()
                    && !(params.is_empty() && args.len() == 1 && args[0].is_empty())
                {
                    return Err(tok.error(format!(
                        "{} argument(s) for macro {}",
                        params.len(),
                        m.name
                    )));
                }
                // Tokens of a function-like expansion are located at the call, where the
                // arguments (the interesting part of an X-macro list) are written.
                let mut body = substitute(&m.body, params, &args)?;
                for t in &mut body {
                    t.file = tok.file.clone();
                    t.line = tok.line;
                }
                (body, used + 1)
            }
        };
        hidden.push(m.name.clone());
        let expanded = expand_in(&replacement, macros, hidden);
        hidden.pop();
        out.extend(expanded?);
        i += used;
    }
    Ok(out)
}

/// Collects the arguments of a macro call whose `(` is at `open`. Returns the arguments and
/// the number of tokens from `(` to `)` inclusive.
fn collect_args(tokens: &[Token], open: usize) -> Result<(Vec<Vec<Token>>, usize)> {
    let mut args = vec![Vec::new()];
    let mut depth = 0usize;
    let mut i = open + 1;
    while let Some(tok) = tokens.get(i) {
        if tok.is_punct(")") && depth == 0 {
            return Ok((args, i - open + 1));
        }
        if tok.is_punct("(") {
            depth += 1;
        } else if tok.is_punct(")") {
            depth -= 1;
        }
        if tok.is_punct(",") && depth == 0 {
            args.push(Vec::new());
        } else if let Some(last) = args.last_mut() {
            last.push(tok.clone());
        }
        i += 1;
    }
    let open_tok = &tokens[open];
    Err(ImportError::at(
        &open_tok.file,
        open_tok.line,
        "`)` closing the macro arguments",
        "end of input",
    ))
}

/// Replaces parameters by arguments in a macro body and performs `##` pasting.
fn substitute(body: &[Token], params: &[String], args: &[Vec<Token>]) -> Result<Vec<Token>> {
    let mut out: Vec<Token> = Vec::new();
    let mut paste_next = false;
    for tok in body {
        if tok.is_punct("##") {
            if out.is_empty() {
                return Err(tok.error("an operand before `##`"));
            }
            paste_next = true;
            continue;
        }
        if tok.is_punct("#") {
            return Err(tok.error("a macro body without `#` stringizing (not supported)"));
        }
        let arg = tok
            .ident()
            .and_then(|name| params.iter().position(|p| p == name))
            .map(|k| args[k].clone());
        let mut pieces = arg.unwrap_or_else(|| vec![tok.clone()]);
        if paste_next {
            paste_next = false;
            if pieces.is_empty() {
                continue;
            }
            let right = pieces.remove(0);
            let left = out
                .pop()
                .ok_or_else(|| tok.error("an operand before `##`"))?;
            out.push(paste(&left, &right)?);
        }
        out.extend(pieces);
    }
    if let Some(last) = body.last().filter(|_| paste_next) {
        return Err(last.error("an operand after `##`"));
    }
    Ok(out)
}

/// Pastes two tokens into one identifier or number.
fn paste(left: &Token, right: &Token) -> Result<Token> {
    let text = format!("{left}{right}");
    let kind = if text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        TokKind::Ident(text)
    } else if let Some(value) = parse_int(&text) {
        TokKind::Int { value, text }
    } else {
        return Err(left.error(format!(
            "`##` to form an identifier or number, not `{text}`"
        )));
    };
    Ok(Token {
        kind,
        ..left.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::lexer::{TokKind, tokenize};

    fn table(src: &str) -> MacroTable<'static> {
        let mut t = MacroTable::default();
        for tok in tokenize("t.h", src.as_bytes()).unwrap() {
            if let TokKind::Directive(d) = &tok.kind {
                t.define(parse_define(&tok, &d.tokens).unwrap());
            }
        }
        t
    }

    fn text(tokens: &[Token]) -> String {
        tokens
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn x_macro_list_expands() {
        let macros = table(
            "#define LIST \\\n X(OPEN, 5) \\\n X(READ, 3)\n#define X(name, value) SC_##name = (value),\n",
        );
        let input = tokenize("t.h", b"LIST LAST").unwrap();
        let out = expand(&input, &macros).unwrap();
        assert_eq!(text(&out), "SC_OPEN = ( 5 ) , SC_READ = ( 3 ) , LAST");
        assert_eq!(out[0].line, 2);
    }

    #[test]
    fn recursion_is_stopped() {
        let macros = table("#define A A + 1\n");
        let out = expand(&tokenize("t.h", b"A").unwrap(), &macros).unwrap();
        assert_eq!(text(&out), "A + 1");
    }

    #[test]
    fn define_shapes() {
        let macros = table("#define F(a,b) a b\n#define G (1)\n#define E\n");
        assert_eq!(
            macros.get("F").unwrap().params,
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(macros.get("G").unwrap().params, None);
        assert!(macros.get("E").unwrap().body.is_empty());
        let toks = tokenize("t.h", b"#define F(a,\n").unwrap();
        let TokKind::Directive(d) = &toks[0].kind else {
            unreachable!()
        };
        assert!(parse_define(&toks[0], &d.tokens).is_err());
    }

    #[test]
    fn a_table_over_a_base_shadows_it_without_changing_it() {
        let base = table("#define A 1\n#define B 2\n");
        let mut over = MacroTable::over(&base);
        let file = table("#define B 3\n#define C 4\n");
        over.extend(&file);
        over.undef("A");
        assert!(!over.is_defined("A"));
        assert_eq!(text(&over.get("B").unwrap().body), "3");
        assert_eq!(text(&over.get("C").unwrap().body), "4");
        assert_eq!(text(&base.get("A").unwrap().body), "1");
        assert_eq!(text(&base.get("B").unwrap().body), "2");
        over.undef("C");
        assert!(!over.is_defined("C"));

        // What a table over `over` gets from `extend`: every macro `over` defines, once.
        let mut flat = MacroTable::default();
        flat.extend(&over);
        assert!(!flat.is_defined("A"));
        assert_eq!(text(&flat.get("B").unwrap().body), "3");
        assert_eq!(flat.own.len(), 1);
    }
}
