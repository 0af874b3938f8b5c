//! Table definitions: `const struct TYPE NAME[SIZE] = { initializers };`.
//!
//! The driver's `.c` files are sequences of such definitions. Initializers are kept as a tree
//! (lists of items, each with an optional `[index] =` or `.field =` designator, each either a
//! nested list or an expression's tokens) that the per-file modules interpret. At top level,
//! `#define`/`#undef` lines (already applied by the preprocessor) and `_Static_assert(...);`
//! are skipped; anything else is an error.

use super::error::{ImportError, Result};
use super::lexer::{TokKind, Token};

#[derive(Debug, Clone)]
pub enum Init {
    /// The tokens of a scalar initializer (never empty).
    Expr(Vec<Token>),
    List(InitList),
}

#[derive(Debug, Clone)]
pub struct InitList {
    /// The `{` token.
    pub open: Token,
    /// The `}` token.
    pub close: Token,
    pub items: Vec<InitItem>,
}

#[derive(Debug, Clone)]
pub struct InitItem {
    pub designator: Option<Designator>,
    pub value: Init,
    /// First token of the item (designator or value), for error locations.
    pub first: Token,
}

#[derive(Debug, Clone)]
pub enum Designator {
    /// `[tokens] =`
    Index(Vec<Token>),
    /// `.name =`
    Field(Token),
}

/// `const struct TYPE NAME[SIZE] = {...};`
#[derive(Debug, Clone)]
pub struct ArrayDef {
    pub struct_type: String,
    pub name: Token,
    /// The size expression, `None` for `[]`.
    pub size: Option<Vec<Token>>,
    pub init: InitList,
}

impl ArrayDef {
    pub fn name(&self) -> &str {
        self.name.ident().unwrap_or_default()
    }
}

impl Init {
    /// The first token of the initializer.
    pub fn first(&self) -> &Token {
        match self {
            Init::Expr(toks) => &toks[0],
            Init::List(list) => &list.open,
        }
    }

    /// The initializer as one identifier.
    pub fn as_ident(&self) -> Option<&str> {
        match self {
            Init::Expr(toks) if toks.len() == 1 => toks[0].ident(),
            _ => None,
        }
    }

    /// An error at this initializer: `expected X, found <its first tokens>`.
    pub fn error(&self, expected: impl Into<String>) -> ImportError {
        let first = self.first();
        ImportError::at(&first.file, first.line, expected, self.describe())
    }

    fn describe(&self) -> String {
        match self {
            Init::Expr(toks) => {
                let text: Vec<String> = toks.iter().take(6).map(Token::to_string).collect();
                let more = if toks.len() > 6 { " ..." } else { "" };
                format!("`{}{more}`", text.join(" "))
            }
            Init::List(_) => "a `{...}` list".to_string(),
        }
    }
}

struct Cursor<'a> {
    toks: &'a [Token],
    pos: usize,
    file: &'a str,
    /// Current `{` nesting, bounded by [`MAX_NESTING`].
    depth: usize,
}

/// Deepest nesting of initializer lists accepted (the tables use 3).
const MAX_NESTING: usize = 16;

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn eof_error(&self, expected: &str) -> ImportError {
        let line = self.toks.last().map_or(1, |t| t.line);
        ImportError::at(self.file, line, expected, "end of file")
    }

    fn next(&mut self, expected: &str) -> Result<&'a Token> {
        let tok = self.peek().ok_or_else(|| self.eof_error(expected))?;
        self.pos += 1;
        Ok(tok)
    }

    fn expect_punct(&mut self, p: &str) -> Result<&'a Token> {
        let expected = format!("`{p}`");
        let tok = self.next(&expected)?;
        if tok.is_punct(p) {
            Ok(tok)
        } else {
            Err(tok.error(expected))
        }
    }

    fn expect_ident(&mut self, expected: &str) -> Result<&'a Token> {
        let tok = self.next(expected)?;
        if tok.ident().is_some() {
            Ok(tok)
        } else {
            Err(tok.error(expected))
        }
    }

    /// Tokens up to (not including) the matching closer of an already consumed opener.
    fn balanced(&mut self, open: &str, close: &str) -> Result<Vec<Token>> {
        let mut depth = 0usize;
        let mut out = Vec::new();
        loop {
            let tok = self.next(&format!("`{close}`"))?;
            if tok.is_punct(close) {
                if depth == 0 {
                    return Ok(out);
                }
                depth -= 1;
            } else if tok.is_punct(open) {
                depth += 1;
            }
            out.push(tok.clone());
        }
    }
}

/// Parses every table definition of a preprocessed file.
pub fn parse_array_defs(tokens: &[Token], file: &str) -> Result<Vec<ArrayDef>> {
    let mut c = Cursor {
        toks: tokens,
        pos: 0,
        file,
        depth: 0,
    };
    let mut defs = Vec::new();
    while let Some(tok) = c.peek() {
        if matches!(tok.kind, TokKind::Directive(_)) {
            c.pos += 1;
        } else if tok.is_ident("_Static_assert") {
            c.pos += 1;
            c.expect_punct("(")?;
            c.balanced("(", ")")?;
            c.expect_punct(";")?;
        } else if tok.is_ident("const") {
            defs.push(array_def(&mut c)?);
        } else {
            return Err(tok.error("a table definition `const struct TYPE NAME[] = {...};`"));
        }
    }
    Ok(defs)
}

fn array_def(c: &mut Cursor) -> Result<ArrayDef> {
    c.pos += 1;
    let kw = c.next("`struct`")?;
    if !kw.is_ident("struct") {
        return Err(kw.error("`struct`"));
    }
    let struct_type = c.expect_ident("a struct type name")?.to_string();
    let name = c.expect_ident("a table name")?.clone();
    c.expect_punct("[")?;
    let size_toks = c.balanced("[", "]")?;
    let size = (!size_toks.is_empty()).then_some(size_toks);
    c.expect_punct("=")?;
    let open = c.expect_punct("{")?.clone();
    let init = init_list(c, open)?;
    c.expect_punct(";")?;
    Ok(ArrayDef {
        struct_type,
        name,
        size,
        init,
    })
}

/// Parses the items of a `{...}` list whose `{` was consumed.
fn init_list(c: &mut Cursor, open: Token) -> Result<InitList> {
    let mut items = Vec::new();
    loop {
        let first = c.next("an initializer or `}`")?;
        if first.is_punct("}") {
            return Ok(InitList {
                open,
                close: first.clone(),
                items,
            });
        }
        c.pos -= 1;
        let designator = if first.is_punct("[") {
            c.pos += 1;
            let idx = c.balanced("[", "]")?;
            if idx.is_empty() {
                return Err(first.error("an index inside `[]`"));
            }
            c.expect_punct("=")?;
            Some(Designator::Index(idx))
        } else if first.is_punct(".") {
            c.pos += 1;
            let field = c.expect_ident("a field name after `.`")?.clone();
            c.expect_punct("=")?;
            Some(Designator::Field(field))
        } else {
            None
        };
        let value = init_value(c)?;
        items.push(InitItem {
            designator,
            value,
            first: first.clone(),
        });
        let sep = c.next("`,` or `}`")?;
        if sep.is_punct("}") {
            return Ok(InitList {
                open,
                close: sep.clone(),
                items,
            });
        }
        if !sep.is_punct(",") {
            return Err(sep.error("`,` or `}`"));
        }
    }
}

/// A nested list or the tokens of one expression (up to a top-level `,` or `}`).
fn init_value(c: &mut Cursor) -> Result<Init> {
    let first = c.next("an initializer")?;
    if first.is_punct("{") {
        if c.depth >= MAX_NESTING {
            return Err(first.error(format!(
                "initializer lists nested at most {MAX_NESTING} deep"
            )));
        }
        c.depth += 1;
        let list = init_list(c, first.clone());
        c.depth -= 1;
        return Ok(Init::List(list?));
    }
    c.pos -= 1;
    let mut toks = Vec::new();
    let mut depth = 0usize;
    while let Some(tok) = c.peek() {
        if depth == 0 && (tok.is_punct(",") || tok.is_punct("}")) {
            break;
        }
        match &tok.kind {
            TokKind::Punct("(") => depth += 1,
            TokKind::Punct(")") if depth == 0 => return Err(tok.error("an expression")),
            TokKind::Punct(")") => depth -= 1,
            TokKind::Punct("{" | "[" | "]" | ";" | "=") | TokKind::Directive(_) => {
                return Err(tok.error("an expression, `,` or `}`"));
            }
            _ => {}
        }
        toks.push(tok.clone());
        c.pos += 1;
    }
    if toks.is_empty() {
        let tok = c.next("an initializer")?;
        return Err(tok.error("an initializer"));
    }
    Ok(Init::Expr(toks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::lexer::tokenize;

    fn parse(src: &str) -> Result<Vec<ArrayDef>> {
        parse_array_defs(&tokenize("d.c", src.as_bytes()).unwrap(), "d.c")
    }

    #[test]
    fn designated_and_nested() {
        let defs = parse(
            "#define Z 0\nconst struct pair t[N] = {\n [A - Z] = {F | G, X, {{\"a\", 1}}},\n [B] = {.sc = Q},\n};\n\
             _Static_assert(sizeof(t) == 2, \"x\");\nconst struct nv u[] = {{\"a\", (1 << 2)}, {0, 0}};",
        )
        .unwrap();
        assert_eq!(defs.len(), 2);
        assert_eq!(defs[0].name(), "t");
        assert_eq!(defs[0].struct_type, "pair");
        assert_eq!(defs[0].init.items.len(), 2);
        let Some(Designator::Index(idx)) = &defs[0].init.items[0].designator else {
            panic!("index designator expected")
        };
        assert_eq!(idx.len(), 3);
        let Init::List(inner) = &defs[0].init.items[1].value else {
            panic!("list expected")
        };
        assert!(
            matches!(&inner.items[0].designator, Some(Designator::Field(f)) if f.is_ident("sc"))
        );
        assert!(defs[1].size.is_none());
        assert_eq!(defs[1].init.close.line, 7);
    }

    #[test]
    fn truncated_and_garbage() {
        let e = parse("const struct a t[] = {\n {1, 2},\n {3,").unwrap_err();
        assert_eq!(
            e.to_string(),
            "d.c:3: expected an initializer or `}`, found end of file"
        );
        let e = parse("int x;").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("d.c:1: expected a table definition"),
            "{e}"
        );
        let e = parse("const struct a t[] = {{1 2 ; }};").unwrap_err();
        assert_eq!(
            e.to_string(),
            "d.c:1: expected an expression, `,` or `}`, found `;`"
        );
    }
}
