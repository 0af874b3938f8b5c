//! Falco's condition language, read as far as rewriting needs: every check (a field with its
//! optional `[arg]`, the operator and the right-hand side, with its byte span) and every macro
//! reference, following libsinsp's grammar (`filter/parser.cpp`: `or` over `and` over `not`
//! over checks, `(…)` groups, field transformers, `val(…)`, lists and list names). Text outside
//! the checks that are rewritten is never touched, so a rewrite keeps the rest byte-identical.

use std::ops::Range;

/// The right-hand side of a check, as written (quotes kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rhs {
    /// Unary operator (`exists`).
    None,
    /// One value: a quoted or bare string or a number.
    Value(String),
    /// A parenthesized list (the whole text, parentheses included).
    List(String),
    /// A bare identifier after a list operator: the name of a list.
    ListName(String),
    /// A field transformer or `val(field)`.
    Field(String),
}

impl Rhs {
    /// The right-hand side as it is written in the condition.
    pub fn text(&self) -> &str {
        match self {
            Rhs::None => "",
            Rhs::Value(t) | Rhs::List(t) | Rhs::ListName(t) | Rhs::Field(t) => t,
        }
    }
}

/// One field comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// From the field (or the transformer around it) to the end of the right-hand side.
    pub span: Range<usize>,
    pub field: String,
    pub arg: Option<String>,
    /// The operator, blanks between words collapsed (`contains oneof`).
    pub op: String,
    pub rhs: Rhs,
    /// The field is wrapped in a transformer (`tolower(proc.name)`).
    pub transformed: bool,
}

/// What a condition refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub checks: Vec<Check>,
    /// Bare identifiers in check position: macro names.
    pub macros: Vec<String>,
    /// Every field named anywhere (left-hand sides, transformer arguments, `val(…)`).
    pub fields: Vec<String>,
}

/// A condition that does not follow Falco's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("condition syntax error at byte {at}: {what}")]
pub struct SyntaxError {
    pub at: usize,
    pub what: &'static str,
}

const TRANSFORMERS: [&str; 8] = [
    "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt",
];
const NUM_OPS: [&str; 4] = ["<=", "<", ">=", ">"];
const SYMBOL_OPS: [&str; 3] = ["==", "=", "!="];
const WORD_OPS: [&str; 9] = [
    "glob",
    "iglob",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "regex",
];
const MODIFIERS: [&str; 3] = ["oneof", "anyof", "allof"];
const LIST_OPS: [&str; 3] = ["intersects", "in", "pmatch"];
/// Nesting bound, like libsinsp's parser depth limit.
const MAX_DEPTH: usize = 1000;

/// Parses `cond`.
pub fn parse(cond: &str) -> Result<Parsed, SyntaxError> {
    let mut p = Parser {
        s: cond.as_bytes(),
        pos: 0,
        depth: 0,
        out: Parsed::default(),
    };
    p.or_expr()?;
    p.blank();
    if p.pos != p.s.len() {
        return Err(p.err("unexpected text after the condition"));
    }
    Ok(p.out)
}

/// `cond` with each span replaced by its text (spans in order, not overlapping).
pub fn splice(cond: &str, replacements: &[(Range<usize>, String)]) -> String {
    let mut out = String::with_capacity(cond.len());
    let mut at = 0;
    for (span, text) in replacements {
        out.push_str(&cond[at..span.start]);
        out.push_str(text);
        at = span.end;
    }
    out.push_str(&cond[at..]);
    out
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
    out: Parsed,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic()
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> SyntaxError {
        SyntaxError { at: self.pos, what }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn blank(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn text(&self, r: Range<usize>) -> String {
        String::from_utf8_lossy(&self.s[r]).into_owned()
    }

    /// Consumes `word` when it stands alone (not followed by an identifier character).
    fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        if self.s.get(self.pos..end) == Some(word.as_bytes())
            && !self.s.get(end).is_some_and(|&c| is_ident_char(c))
        {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, lit: &str) -> bool {
        let end = self.pos + lit.len();
        if self.s.get(self.pos..end) == Some(lit.as_bytes()) {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn nest(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<(), SyntaxError> {
        self.nest()?;
        self.and_expr()?;
        loop {
            self.blank();
            if !self.keyword("or") {
                break;
            }
            self.and_expr()?;
        }
        self.depth -= 1;
        Ok(())
    }

    fn and_expr(&mut self) -> Result<(), SyntaxError> {
        self.not_expr()?;
        loop {
            self.blank();
            if !self.keyword("and") {
                break;
            }
            self.not_expr()?;
        }
        Ok(())
    }

    fn not_expr(&mut self) -> Result<(), SyntaxError> {
        self.nest()?;
        self.blank();
        if self.keyword("not") {
            self.not_expr()?;
        } else {
            self.check()?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// An identifier (`[a-zA-Z][a-zA-Z0-9_]*`) and, with `dotted`, the dotted segments of a
    /// field name; `None` (nothing consumed) when there is none, or no dot when one is needed.
    fn name(&mut self, dotted: bool) -> Option<String> {
        let start = self.pos;
        let mut i = self.pos;
        let mut segments = 0;
        loop {
            if !self.s.get(i).is_some_and(|&c| is_ident_start(c)) {
                break;
            }
            while self.s.get(i).is_some_and(|&c| is_ident_char(c)) {
                i += 1;
            }
            segments += 1;
            if !(dotted
                && self.s.get(i) == Some(&b'.')
                && self.s.get(i + 1).is_some_and(|&c| is_ident_start(c)))
            {
                break;
            }
            i += 1;
        }
        if segments == 0 || (dotted && segments < 2) {
            return None;
        }
        self.pos = i;
        Some(self.text(start..i))
    }

    fn check(&mut self) -> Result<(), SyntaxError> {
        self.blank();
        let start = self.pos;
        if self.literal("(") {
            self.or_expr()?;
            self.blank();
            if !self.literal(")") {
                return Err(self.err("expected ')'"));
            }
            return Ok(());
        }
        if let Some(field) = self.name(true) {
            let arg = self.field_arg()?;
            self.out.fields.push(field.clone());
            return self.condition(start, field, arg, false);
        }
        if let Some(inner) = self.transformer()? {
            let arg = self.field_arg()?;
            return self.condition(start, inner, arg, true);
        }
        if let Some(id) = self.name(false) {
            self.out.macros.push(id);
            return Ok(());
        }
        Err(self.err("expected '(', a field check or a macro name"))
    }

    /// `[arg]` after a field: a quoted string or a bare string without brackets, quotes or blanks.
    fn field_arg(&mut self) -> Result<Option<String>, SyntaxError> {
        if !self.literal("[") {
            return Ok(None);
        }
        let start = self.pos;
        if !self.quoted()? {
            while self.peek().is_some_and(|c| {
                !matches!(c, b'[' | b']' | b'"' | b'\'') && !c.is_ascii_whitespace()
            }) {
                self.pos += 1;
            }
        }
        let arg = self.text(start..self.pos);
        if !self.literal("]") || arg.is_empty() {
            return Err(self.err("expected a field argument and ']'"));
        }
        Ok(Some(arg))
    }

    /// A quoted string (`"…"` or `'…'`, backslash escapes); false when none starts here.
    fn quoted(&mut self) -> Result<bool, SyntaxError> {
        let Some(q @ (b'"' | b'\'')) = self.peek() else {
            return Ok(false);
        };
        let mut i = self.pos + 1;
        while let Some(&c) = self.s.get(i) {
            if c == b'\\' {
                i += 2;
            } else if c == q {
                self.pos = i + 1;
                return Ok(true);
            } else {
                i += 1;
            }
        }
        Err(self.err("unterminated quoted string"))
    }

    /// `name(` for a transformer (or `val(` when `val` is set): consumes up to the matching
    /// `)`, records the fields named inside, and returns the first of them.
    fn call(&mut self, names: &[&str]) -> Result<Option<String>, SyntaxError> {
        let start = self.pos;
        let Some(name) = self.name(false) else {
            return Ok(None);
        };
        if !names.contains(&name.as_str()) || !self.literal("(") {
            self.pos = start;
            return Ok(None);
        }
        let mut first = None;
        let mut open = 1usize;
        while open > 0 {
            self.blank();
            match self.peek() {
                None => return Err(self.err("expected ')' closing a transformer")),
                Some(b'(') => {
                    open += 1;
                    self.pos += 1;
                }
                Some(b')') => {
                    open -= 1;
                    self.pos += 1;
                }
                Some(b'"' | b'\'') => {
                    self.quoted()?;
                }
                Some(_) => {
                    if let Some(f) = self.name(true) {
                        self.field_arg()?;
                        self.out.fields.push(f.clone());
                        first.get_or_insert(f);
                    } else {
                        self.pos += 1;
                    }
                }
            }
        }
        first.map(Some).ok_or(SyntaxError {
            at: start,
            what: "a transformer names no field",
        })
    }

    fn transformer(&mut self) -> Result<Option<String>, SyntaxError> {
        self.call(&TRANSFORMERS)
    }

    fn condition(
        &mut self,
        start: usize,
        field: String,
        arg: Option<String>,
        transformed: bool,
    ) -> Result<(), SyntaxError> {
        self.blank();
        let (op, rhs) = if self.keyword("exists") {
            ("exists".to_owned(), Rhs::None)
        } else if let Some(op) = NUM_OPS.iter().find(|o| self.literal(o)) {
            (op.to_string(), self.value()?)
        } else if let Some(op) = SYMBOL_OPS.iter().chain(WORD_OPS.iter()).find(|o| {
            if o.as_bytes()[0].is_ascii_alphabetic() {
                self.keyword(o)
            } else {
                self.literal(o)
            }
        }) {
            let before = self.pos;
            self.blank();
            match MODIFIERS.iter().find(|m| self.keyword(m)) {
                Some(m) => (format!("{op} {m}"), self.list()?),
                None => {
                    self.pos = before;
                    (op.to_string(), self.value()?)
                }
            }
        } else if let Some(op) = LIST_OPS.iter().find(|o| self.keyword(o)) {
            (op.to_string(), self.list()?)
        } else {
            return Err(self.err("expected an operator"));
        };
        self.out.checks.push(Check {
            span: start..self.pos,
            field,
            arg,
            op,
            rhs,
            transformed,
        });
        Ok(())
    }

    /// A single value: `val(…)`/a transformer, a quoted string, or a bare string.
    fn value(&mut self) -> Result<Rhs, SyntaxError> {
        self.blank();
        let start = self.pos;
        if self.call(&["val"])?.is_some() || self.transformer()?.is_some() {
            self.field_arg()?;
            return Ok(Rhs::Field(self.text(start..self.pos)));
        }
        if !self.quoted()? {
            while self.peek().is_some_and(|c| {
                !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !c.is_ascii_whitespace()
            }) {
                self.pos += 1;
            }
        }
        if self.pos == start {
            return Err(self.err("expected a value"));
        }
        Ok(Rhs::Value(self.text(start..self.pos)))
    }

    /// A list: `(v, …)`, a list name, or a transformer.
    fn list(&mut self) -> Result<Rhs, SyntaxError> {
        self.blank();
        let start = self.pos;
        if self.literal("(") {
            self.blank();
            if !self.literal(")") {
                loop {
                    self.value()?;
                    self.blank();
                    if self.literal(")") {
                        break;
                    }
                    if !self.literal(",") {
                        return Err(self.err("expected ',' or ')' in a list"));
                    }
                }
            }
            return Ok(Rhs::List(self.text(start..self.pos)));
        }
        if self.transformer()?.is_some() {
            self.field_arg()?;
            return Ok(Rhs::Field(self.text(start..self.pos)));
        }
        match self.name(false) {
            Some(n) => Ok(Rhs::ListName(n)),
            None => Err(self.err("expected a list or a list name")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_checks_macros_and_spans() {
        let c =
            "spawned_process and (proc.aname=sshd and not proc.name in (a, \"b c\")) or fd.num>=0";
        let p = parse(c).unwrap();
        assert_eq!(p.macros, vec!["spawned_process"]);
        let got: Vec<_> = p
            .checks
            .iter()
            .map(|k| {
                (
                    k.field.as_str(),
                    k.op.as_str(),
                    k.rhs.text(),
                    &c[k.span.clone()],
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("proc.aname", "=", "sshd", "proc.aname=sshd"),
                (
                    "proc.name",
                    "in",
                    "(a, \"b c\")",
                    "proc.name in (a, \"b c\")"
                ),
                ("fd.num", ">=", "0", "fd.num>=0"),
            ]
        );
    }

    #[test]
    fn args_transformers_modifiers_and_list_names() {
        let c = "proc.aname[2] in (x) and tolower(proc.name) = bash and proc.env[HOME] exists \
                 and fd.name startswith oneof (/a, /b) and proc.name in shell_binaries \
                 and proc.pname = val(proc.name) and evt.buffer bcontains cafebabe";
        let p = parse(c).unwrap();
        let k: Vec<_> = p
            .checks
            .iter()
            .map(|k| {
                (
                    k.field.as_str(),
                    k.arg.as_deref(),
                    k.op.as_str(),
                    k.rhs.clone(),
                    k.transformed,
                )
            })
            .collect();
        assert_eq!(
            k,
            vec![
                (
                    "proc.aname",
                    Some("2"),
                    "in",
                    Rhs::List("(x)".into()),
                    false
                ),
                ("proc.name", None, "=", Rhs::Value("bash".into()), true),
                ("proc.env", Some("HOME"), "exists", Rhs::None, false),
                (
                    "fd.name",
                    None,
                    "startswith oneof",
                    Rhs::List("(/a, /b)".into()),
                    false
                ),
                (
                    "proc.name",
                    None,
                    "in",
                    Rhs::ListName("shell_binaries".into()),
                    false
                ),
                (
                    "proc.pname",
                    None,
                    "=",
                    Rhs::Field("val(proc.name)".into()),
                    false
                ),
                (
                    "evt.buffer",
                    None,
                    "bcontains",
                    Rhs::Value("cafebabe".into()),
                    false
                ),
            ]
        );
        assert!(p.macros.is_empty());
    }

    #[test]
    fn in_is_not_a_prefix_of_intersects_and_keywords_need_a_boundary() {
        let p = parse("fd.types intersects (ipv4) and andrew").unwrap();
        assert_eq!(p.checks[0].op, "intersects");
        assert_eq!(p.macros, vec!["andrew"]);
    }

    #[test]
    fn rejects_broken_conditions() {
        assert!(parse("proc.name = ").is_err());
        assert!(parse("(proc.name = a").is_err());
        assert!(parse("proc.name in (a, b").is_err());
        assert!(parse("proc.name = \"open").is_err());
        assert!(parse(&"(".repeat(5000)).is_err());
    }

    #[test]
    fn splice_keeps_the_rest() {
        let c = "a and  proc.aname = x";
        assert_eq!(splice(c, &[(7..21, "(NEW)".into())]), "a and  (NEW)");
    }
}
