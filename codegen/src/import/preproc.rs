//! Conditional compilation for the driver files.
//!
//! The importer models the build that matters for the project: libsinsp's userspace build on
//! Linux with GCC. `__GNUC__` is defined; `__KERNEL__`, `_WIN32`, `_MSC_VER`,
//! `__USE_VMLINUX__`, `CONFIG_64BIT` and every other configuration symbol are not (so, as in
//! libsinsp, `fcntl_commands` keeps its `F_*LK64` entries). The syscall tables are processed
//! once per architecture, with that architecture's `__NR_*` numbers defined.
//!
//! `#if/#ifdef/#ifndef/#elif/#else/#endif` select the active tokens; `#define` and `#undef`
//! update the macro table and stay in the output (the header parser needs them in place);
//! `#include` and `#pragma` are ignored (the importer feeds each file the symbols of
//! ppm_events_public.h itself); an active `#error` and any other directive are errors.

use super::error::{ImportError, Result};
use super::expr;
use super::lexer::{TokKind, Token};
use super::macros::{MAX_DEPTH, MacroTable, parse_define};

pub struct Preprocessed<'b> {
    /// Active tokens, with `#define`/`#undef` directive tokens kept in place.
    pub tokens: Vec<Token>,
    /// Macros defined at the end of the file.
    pub macros: MacroTable<'b>,
}

/// The macros predefined for the modelled build (see the module documentation).
pub fn userspace_macros() -> MacroTable<'static> {
    let mut t = MacroTable::default();
    t.predefine("__GNUC__", 1);
    t
}

struct Frame<'a> {
    start: &'a Token,
    parent_active: bool,
    taken: bool,
    active: bool,
    seen_else: bool,
}

/// Runs the conditionals of one file, starting from `macros` (a table over another borrows it:
/// see [`MacroTable::over`]).
pub fn preprocess<'b>(tokens: &[Token], mut macros: MacroTable<'b>) -> Result<Preprocessed<'b>> {
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    for tok in tokens {
        let active = stack.last().is_none_or(|f| f.active);
        let TokKind::Directive(d) = &tok.kind else {
            if active {
                out.push(tok.clone());
            }
            continue;
        };
        match d.name.as_str() {
            "if" | "ifdef" | "ifndef" => {
                let cond = active && condition(tok, &d.name, &d.tokens, &macros)?;
                stack.push(Frame {
                    start: tok,
                    parent_active: active,
                    taken: cond,
                    active: cond,
                    seen_else: false,
                });
            }
            "elif" | "else" | "endif" => {
                let Some(frame) = stack.last_mut() else {
                    return Err(tok.error("#if, #ifdef or #ifndef before this directive"));
                };
                if d.name == "endif" {
                    stack.pop();
                    continue;
                }
                if frame.seen_else {
                    return Err(tok.error("#endif after #else"));
                }
                let cond = if d.name == "else" {
                    frame.seen_else = true;
                    true
                } else {
                    frame.parent_active && !frame.taken && condition(tok, "if", &d.tokens, &macros)?
                };
                frame.active = frame.parent_active && !frame.taken && cond;
                frame.taken |= frame.active;
            }
            _ if !active => {}
            "define" => {
                macros.define(parse_define(tok, &d.tokens)?);
                out.push(tok.clone());
            }
            "undef" => {
                let name = single_ident(tok, &d.tokens, "a macro name after #undef")?;
                macros.undef(name);
                out.push(tok.clone());
            }
            "include" | "pragma" => {}
            _ => {
                return Err(tok.error(
                    "a supported directive (#if #ifdef #ifndef #elif #else #endif #define #undef #include #pragma)",
                ));
            }
        }
    }
    if let Some(frame) = stack.last() {
        let last = tokens.last().unwrap_or(frame.start);
        return Err(ImportError::at(
            &last.file,
            last.line,
            format!(
                "#endif closing the conditional of line {}",
                frame.start.line
            ),
            "end of file",
        ));
    }
    Ok(Preprocessed {
        tokens: out,
        macros,
    })
}

fn single_ident<'a>(directive: &Token, toks: &'a [Token], expected: &str) -> Result<&'a str> {
    match toks {
        [one] => one.ident().ok_or_else(|| one.error(expected)),
        [] => Err(ImportError::at(
            &directive.file,
            directive.line,
            expected,
            "end of line",
        )),
        [_, extra, ..] => Err(extra.error("end of line")),
    }
}

/// Evaluates the condition of `#if`, `#ifdef` or `#ifndef`.
fn condition(directive: &Token, kind: &str, toks: &[Token], macros: &MacroTable) -> Result<bool> {
    match kind {
        "ifdef" => Ok(macros.is_defined(single_ident(directive, toks, "a macro name")?)),
        "ifndef" => Ok(!macros.is_defined(single_ident(directive, toks, "a macro name")?)),
        _ => {
            let replaced = replace_defined(toks, macros)?;
            let v = expr::eval(&replaced, directive, &mut |tok: &Token, name: &str| {
                pp_value(tok, name, macros, 0)
            })?;
            Ok(v != 0)
        }
    }
}

/// Replaces `defined X` and `defined(X)` by 1 or 0.
fn replace_defined(toks: &[Token], macros: &MacroTable) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(tok) = toks.get(i) {
        if !tok.is_ident("defined") {
            out.push(tok.clone());
            i += 1;
            continue;
        }
        let paren = toks.get(i + 1).is_some_and(|t| t.is_punct("("));
        let name_at = if paren { i + 2 } else { i + 1 };
        let name = toks.get(name_at).and_then(Token::ident).ok_or_else(|| {
            toks.get(name_at)
                .unwrap_or(tok)
                .error("a macro name after `defined`")
        })?;
        if paren && !toks.get(name_at + 1).is_some_and(|t| t.is_punct(")")) {
            return Err(toks
                .get(name_at + 1)
                .unwrap_or(tok)
                .error("`)` after `defined(NAME`"));
        }
        let value = u64::from(macros.is_defined(name));
        out.push(Token {
            kind: TokKind::Int {
                value,
                text: value.to_string(),
            },
            ..tok.clone()
        });
        i = name_at + if paren { 2 } else { 1 };
    }
    Ok(out)
}

/// The value of an identifier in `#if`: an object-like macro's value, 0 when undefined.
fn pp_value(tok: &Token, name: &str, macros: &MacroTable, depth: usize) -> Result<i128> {
    let Some(m) = macros.get(name) else {
        return Ok(0);
    };
    if m.params.is_some() {
        return Err(
            tok.error("an object-like macro in #if (function-like macros are not supported)")
        );
    }
    if depth >= MAX_DEPTH {
        return Err(tok.error(format!("macro values nested at most {MAX_DEPTH} deep")));
    }
    expr::eval(&m.body, tok, &mut |t: &Token, n: &str| {
        pp_value(t, n, macros, depth + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::lexer::tokenize;

    fn active_idents(src: &str) -> Vec<String> {
        let toks = tokenize("p.h", src.as_bytes()).unwrap();
        let out = preprocess(&toks, userspace_macros()).unwrap();
        out.tokens
            .iter()
            .filter_map(|t| t.ident().map(str::to_string))
            .collect()
    }

    #[test]
    fn selects_userspace_branches() {
        let src = "#ifdef __KERNEL__\nk\n#elif defined(__USE_VMLINUX__)\nv\n#else\nu\n#endif\n\
                   #ifndef CONFIG_64BIT\nlk64\n#endif\n\
                   #if defined __GNUC__ || __STDC_VERSION__ >= 201112L\ngnu\n#endif\n\
                   #if defined(__KERNEL__) && defined(__mips__)\nmips\n#else\nzero\n#endif\n";
        assert_eq!(active_idents(src), vec!["u", "lk64", "gnu", "zero"]);
    }

    #[test]
    fn defines_are_tracked_and_kept() {
        let src = "#ifndef X\n#define X 3\n#endif\n#if X == 3\nyes\n#endif\n#undef X\n#ifdef X\nno\n#endif\n";
        let toks = tokenize("p.h", src.as_bytes()).unwrap();
        let out = preprocess(&toks, userspace_macros()).unwrap();
        assert!(!out.macros.is_defined("X"));
        assert_eq!(out.tokens.len(), 3);
        assert!(out.tokens[1].is_ident("yes"));
    }

    #[test]
    fn unbalanced_conditionals_fail() {
        let toks = tokenize("p.h", b"#ifdef A\nx\n").unwrap();
        let e = preprocess(&toks, userspace_macros()).err().unwrap();
        assert_eq!(
            e.to_string(),
            "p.h:2: expected #endif closing the conditional of line 1, found end of file"
        );
        let toks = tokenize("p.h", b"#endif\n").unwrap();
        assert!(preprocess(&toks, userspace_macros()).is_err());
        let toks = tokenize("p.h", b"#error boom\n").unwrap();
        assert!(preprocess(&toks, userspace_macros()).is_err());
    }
}
