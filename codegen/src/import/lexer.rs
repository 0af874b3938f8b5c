//! Tokenizer for the subset of C used by the libscap driver tables.
//!
//! Comments are dropped. A line whose first non-blank character is `#` becomes one
//! [`TokKind::Directive`] token holding the directive's name and its own tokens (backslash
//! continuations and comments spanning lines are part of the directive, as in C). Everything
//! else becomes identifiers, integer literals (decimal, hex, octal, with `u`/`l` suffixes),
//! string literals and punctuators. Anything outside that subset (character literals,
//! floating-point numbers, stray characters) is an error naming file and line.

use std::fmt;
use std::rc::Rc;

use super::error::{ImportError, Result};

/// Punctuators the tables use; two-character ones are listed first so they win.
const PUNCTS: [&str; 32] = [
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "##", "{", "}", "[", "]", "(", ")", ",", ";",
    "=", "|", "&", "^", "~", "!", "<", ">", "+", "-", "*", "/", "%", ".", "#",
];

/// Directives whose text is not C tokens (`#pragma warning(disable : 4200)`,
/// `#include <x.h>`, `#error text`): their contents are skipped, not tokenized.
const RAW_DIRECTIVES: [&str; 4] = ["pragma", "include", "error", "warning"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokKind {
    Ident(String),
    /// An integer literal: its value and its spelling.
    Int {
        value: u64,
        text: String,
    },
    /// A string literal's contents, escapes resolved.
    Str(String),
    Punct(&'static str),
    Directive(Box<Directive>),
}

/// A preprocessing directive: `#name tokens...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokKind,
    /// Name of the input file (not a path).
    pub file: Rc<str>,
    /// 1-based line of the token's first character.
    pub line: u32,
    /// Whether blank space or a comment precedes the token (tells `#define F(x)` from
    /// `#define F (x)`).
    pub space_before: bool,
}

impl Token {
    pub fn ident(&self) -> Option<&str> {
        match &self.kind {
            TokKind::Ident(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_punct(&self, p: &str) -> bool {
        matches!(self.kind, TokKind::Punct(q) if q == p)
    }

    pub fn is_ident(&self, name: &str) -> bool {
        self.ident() == Some(name)
    }

    /// An error at this token: `file:line: expected X, found <this token>`.
    pub fn error(&self, expected: impl Into<String>) -> ImportError {
        ImportError::at(&self.file, self.line, expected, self.describe())
    }

    /// How the token is shown in error messages.
    pub fn describe(&self) -> String {
        format!("`{self}`")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TokKind::Ident(s) => f.write_str(s),
            TokKind::Int { text, .. } => f.write_str(text),
            TokKind::Str(s) => write!(f, "{s:?}"),
            TokKind::Punct(p) => f.write_str(p),
            TokKind::Directive(d) => write!(f, "#{}", d.name),
        }
    }
}

/// Tokenizes one file. `file` is the name used in tokens and errors.
pub fn tokenize(file: &str, src: &[u8]) -> Result<Vec<Token>> {
    let mut lx = Lexer {
        src,
        pos: 0,
        line: 1,
        file: Rc::from(file),
    };
    let mut out = Vec::new();
    let mut at_line_start = true;
    loop {
        let gap = lx.skip_blank(false)?;
        if gap.newline {
            at_line_start = true;
        }
        let Some(c) = lx.peek() else { break };
        if c == b'#' && at_line_start {
            out.push(lx.directive()?);
        } else {
            out.push(lx.token(gap.space)?);
        }
        at_line_start = false;
    }
    Ok(out)
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    file: Rc<str>,
}

/// What [`Lexer::skip_blank`] skipped.
struct Gap {
    space: bool,
    newline: bool,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, off: usize) -> Option<u8> {
        self.src.get(self.pos + off).copied()
    }

    fn error(&self, expected: &str, found: String) -> ImportError {
        ImportError::at(&self.file, self.line, expected, found)
    }

    /// Skips blanks, comments and line splices. With `in_directive`, stops before a newline
    /// that ends the directive.
    fn skip_blank(&mut self, in_directive: bool) -> Result<Gap> {
        let mut gap = Gap {
            space: false,
            newline: false,
        };
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'\n' if in_directive => break,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    gap.newline = true;
                }
                b'\\' if self.splice_len().is_some() => {
                    self.pos += self.splice_len().unwrap_or(1);
                    self.line += 1;
                }
                b'/' if self.peek_at(1) == Some(b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek_at(1) == Some(b'*') => self.block_comment()?,
                _ => break,
            }
            gap.space = true;
        }
        Ok(gap)
    }

    /// Length of a backslash-newline splice at the current position, if there is one.
    fn splice_len(&self) -> Option<usize> {
        match (self.peek_at(1), self.peek_at(2)) {
            (Some(b'\n'), _) => Some(2),
            (Some(b'\r'), Some(b'\n')) => Some(3),
            _ => None,
        }
    }

    fn block_comment(&mut self) -> Result<()> {
        let start_line = self.line;
        self.pos += 2;
        loop {
            match self.peek() {
                None => {
                    return Err(ImportError::at(
                        &self.file,
                        start_line,
                        "`*/` closing this comment",
                        "end of file",
                    ));
                }
                Some(b'*') if self.peek_at(1) == Some(b'/') => {
                    self.pos += 2;
                    return Ok(());
                }
                Some(b'\n') => {
                    self.line += 1;
                    self.pos += 1;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn make(&self, kind: TokKind, line: u32, space_before: bool) -> Token {
        Token {
            kind,
            file: self.file.clone(),
            line,
            space_before,
        }
    }

    /// A directive line, from `#` to the end of the (logical) line.
    fn directive(&mut self) -> Result<Token> {
        let line = self.line;
        self.pos += 1;
        self.skip_blank(true)?;
        let name = match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            _ => {
                return Err(self.error("a directive name after `#`", self.found_here()));
            }
        };
        let mut tokens = Vec::new();
        let raw = RAW_DIRECTIVES.contains(&name.as_str());
        loop {
            let gap = self.skip_blank(true)?;
            match self.peek() {
                None | Some(b'\n') => break,
                Some(_) if raw => self.pos += 1,
                Some(_) => tokens.push(self.token(gap.space)?),
            }
        }
        let directive = Directive { name, tokens };
        Ok(self.make(TokKind::Directive(Box::new(directive)), line, true))
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.src[start..self.pos]).into_owned()
    }

    /// Describes the character at the current position for an error message.
    fn found_here(&self) -> String {
        let rest = &self.src[self.pos..];
        match rest.first() {
            None => "end of file".to_string(),
            Some(b'\n') => "end of line".to_string(),
            Some(_) => {
                let take = rest.len().min(4);
                let text = String::from_utf8_lossy(&rest[..take]);
                let c = text.chars().next().unwrap_or('?');
                format!("`{}`", c.escape_debug())
            }
        }
    }

    fn token(&mut self, space_before: bool) -> Result<Token> {
        let line = self.line;
        let c = self.peek().unwrap_or(b'\n');
        let kind = if c.is_ascii_alphabetic() || c == b'_' {
            TokKind::Ident(self.word())
        } else if c.is_ascii_digit() {
            self.number()?
        } else if c == b'"' {
            TokKind::Str(self.string()?)
        } else if c == b'\'' {
            self.char_literal()?
        } else if let Some(p) = PUNCTS
            .iter()
            .find(|p| self.src[self.pos..].starts_with(p.as_bytes()))
        {
            self.pos += p.len();
            TokKind::Punct(p)
        } else {
            return Err(self.error(
                "a C token (identifier, number, string or punctuator)",
                self.found_here(),
            ));
        };
        Ok(self.make(kind, line, space_before))
    }

    fn number(&mut self) -> Result<TokKind> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            self.pos += 1;
        }
        let text = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
        match parse_int(&text) {
            Some(value) => Ok(TokKind::Int { value, text }),
            None => Err(self.error("an integer literal", format!("`{text}`"))),
        }
    }

    /// A plain character literal such as `'s'` (value: its byte), as in `PPM_IOCTL_MAGIC`.
    fn char_literal(&mut self) -> Result<TokKind> {
        match (self.peek_at(1), self.peek_at(2)) {
            (Some(c), Some(b'\'')) if c.is_ascii_graphic() || c == b' ' => {
                self.pos += 3;
                let text = format!("'{}'", c as char);
                Ok(TokKind::Int {
                    value: u64::from(c),
                    text,
                })
            }
            _ => Err(self.error("a one-character literal such as 's'", self.found_here())),
        }
    }

    fn string(&mut self) -> Result<String> {
        self.pos += 1;
        let mut bytes = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => {
                    return Err(self.error("`\"` closing the string", self.found_here()));
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    let escaped = match self.peek_at(1) {
                        Some(b'\\') => b'\\',
                        Some(b'"') => b'"',
                        Some(b'\'') => b'\'',
                        Some(b'n') => b'\n',
                        Some(b't') => b'\t',
                        _ => {
                            self.pos += 1;
                            return Err(self.error(
                                "a simple escape (\\\\ \\\" \\' \\n \\t) in a string",
                                self.found_here(),
                            ));
                        }
                    };
                    bytes.push(escaped);
                    self.pos += 2;
                }
                Some(c) => {
                    bytes.push(c);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8(bytes).map_err(|_| {
            self.error(
                "UTF-8 text in a string literal",
                "invalid UTF-8".to_string(),
            )
        })
    }
}

/// Parses a C integer literal: decimal, `0x` hex or leading-`0` octal, with any combination
/// of `u`/`U`/`l`/`L` suffixes. `None` when it is not one (or does not fit in 64 bits).
pub fn parse_int(text: &str) -> Option<u64> {
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    let suffix = &text[digits.len()..];
    if suffix.len() > 3 {
        return None;
    }
    let (radix, body) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(body, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokKind> {
        tokenize("t.c", src.as_bytes())
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn integer_literals() {
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("0x1000"), Some(4096));
        assert_eq!(parse_int("0100000"), Some(0o100000));
        assert_eq!(parse_int("4294967295U"), Some(4294967295));
        assert_eq!(parse_int("201112L"), Some(201112));
        assert_eq!(parse_int("0UL"), Some(0));
        assert_eq!(parse_int("09"), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int("0x"), None);
    }

    #[test]
    fn directives_and_lines() {
        let toks = tokenize(
            "t.h",
            b"/* a\n b */ #define A \\\n (1 << 2) /* x\n y */ + 1\nint x; // c\n  #endif\n",
        )
        .unwrap();
        assert_eq!(toks.len(), 5);
        let TokKind::Directive(d) = &toks[0].kind else {
            panic!("expected a directive")
        };
        assert_eq!(d.name, "define");
        assert_eq!(d.tokens.len(), 8);
        assert_eq!(d.tokens[2].line, 3);
        assert_eq!(toks[1].line, 5);
        assert_eq!(toks[4].line, 6);
    }

    #[test]
    fn function_like_macro_spacing() {
        let raw = tokenize("t.h", b"#pragma warning(disable : 4200)\n#include <a.h>\n").unwrap();
        assert!(
            raw.iter()
                .all(|t| matches!(&t.kind, TokKind::Directive(d) if d.tokens.is_empty()))
        );
        let toks = tokenize("t.h", b"#define F(x) x\n#define G (x)\n").unwrap();
        let spaces: Vec<bool> = toks
            .iter()
            .map(|t| match &t.kind {
                TokKind::Directive(d) => d.tokens[1].space_before,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(spaces, vec![false, true]);
    }

    #[test]
    fn strings_and_puncts() {
        assert_eq!(
            kinds(r#"{"a\"b", X | Y}"#),
            vec![
                TokKind::Punct("{"),
                TokKind::Str("a\"b".into()),
                TokKind::Punct(","),
                TokKind::Ident("X".into()),
                TokKind::Punct("|"),
                TokKind::Ident("Y".into()),
                TokKind::Punct("}"),
            ]
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = tokenize("f.c", b"int a;\n  @\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.c:2: expected a C token (identifier, number, string or punctuator), found `@`"
        );
        let err = tokenize("f.c", b"\n/* open").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.c:2: expected `*/` closing this comment, found end of file"
        );
        let err = tokenize("f.c", b"x = '\\n';").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("f.c:1: expected a one-character literal"),
            "{err}"
        );
        assert_eq!(
            kinds("'s'"),
            vec![TokKind::Int {
                value: 115,
                text: "'s'".into()
            }]
        );
    }
}
