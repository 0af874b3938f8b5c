//! Integer constant expressions, as used in `#define` values, enum values, `#if` conditions
//! and table initializers: literals, identifiers (resolved by the caller), parentheses, unary
//! `- + ~ !` and the binary operators `* / % + - << >> < <= > >= == != & ^ | && ||` with C
//! precedence. Arithmetic is done in `i128` and checked: overflow, division by zero and
//! out-of-range shifts are errors, never wrapped.

use super::error::Result;
use super::lexer::{TokKind, Token};

/// Looks up an identifier's value.
pub type Resolver<'r> = dyn FnMut(&Token, &str) -> Result<i128> + 'r;

/// Evaluates `tokens` as one expression. `anchor` locates errors about an empty or
/// unfinished expression.
pub fn eval(tokens: &[Token], anchor: &Token, resolve: &mut Resolver<'_>) -> Result<i128> {
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        anchor,
        resolve,
        depth: 0,
    };
    let value = p.expr(0)?;
    match p.toks.get(p.pos) {
        None => Ok(value),
        Some(tok) => Err(tok.error("an operator or the end of the expression")),
    }
}

/// Binary operator precedences (higher binds tighter).
fn binop(tok: &Token) -> Option<(u8, &'static str)> {
    let TokKind::Punct(p) = tok.kind else {
        return None;
    };
    let prec = match p {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | "<=" | ">" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        _ => return None,
    };
    Some((prec, p))
}

struct Parser<'a, 'r> {
    toks: &'a [Token],
    pos: usize,
    anchor: &'a Token,
    resolve: &'a mut Resolver<'r>,
    /// Current nesting of operands, bounded by [`MAX_NESTING`].
    depth: usize,
}

/// Deepest nesting of parentheses and unary operators accepted.
const MAX_NESTING: usize = 64;

impl Parser<'_, '_> {
    fn last(&self) -> &Token {
        self.toks.last().unwrap_or(self.anchor)
    }

    fn expr(&mut self, min_prec: u8) -> Result<i128> {
        let mut lhs = self.unary()?;
        while let Some(tok) = self.toks.get(self.pos) {
            let Some((prec, op)) = binop(tok) else { break };
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            let rhs = self.expr(prec + 1)?;
            lhs = apply(op, lhs, rhs, tok)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i128> {
        if self.depth >= MAX_NESTING {
            let at = self.toks.get(self.pos).unwrap_or(self.anchor);
            return Err(at.error(format!("an expression nested at most {MAX_NESTING} deep")));
        }
        self.depth += 1;
        let v = self.operand();
        self.depth -= 1;
        v
    }

    fn operand(&mut self) -> Result<i128> {
        let Some(tok) = self.toks.get(self.pos) else {
            let last = self.last();
            return Err(super::error::ImportError::at(
                &last.file,
                last.line,
                "an operand",
                "the end of the expression",
            ));
        };
        self.pos += 1;
        match &tok.kind {
            TokKind::Int { value, .. } => Ok(i128::from(*value)),
            TokKind::Ident(name) => (self.resolve)(tok, name),
            TokKind::Punct("(") => {
                let inner = self.expr(0)?;
                match self.toks.get(self.pos) {
                    Some(t) if t.is_punct(")") => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    Some(t) => Err(t.error("`)`")),
                    None => {
                        let last = self.last();
                        Err(super::error::ImportError::at(
                            &last.file,
                            last.line,
                            "`)`",
                            "the end of the expression",
                        ))
                    }
                }
            }
            TokKind::Punct("-") => {
                let v = self.unary()?;
                v.checked_neg()
                    .ok_or_else(|| tok.error("a value that can be negated"))
            }
            TokKind::Punct("+") => self.unary(),
            TokKind::Punct("~") => Ok(!self.unary()?),
            TokKind::Punct("!") => Ok(i128::from(self.unary()? == 0)),
            _ => Err(tok.error("an operand (number, name or parenthesis)")),
        }
    }
}

fn apply(op: &str, a: i128, b: i128, at: &Token) -> Result<i128> {
    let overflow = || at.error(format!("a result of `{op}` within 128 bits"));
    let shift = |b: i128| u32::try_from(b).ok().filter(|s| *s < 127);
    let v = match op {
        "||" => i128::from(a != 0 || b != 0),
        "&&" => i128::from(a != 0 && b != 0),
        "|" => a | b,
        "^" => a ^ b,
        "&" => a & b,
        "==" => i128::from(a == b),
        "!=" => i128::from(a != b),
        "<" => i128::from(a < b),
        "<=" => i128::from(a <= b),
        ">" => i128::from(a > b),
        ">=" => i128::from(a >= b),
        "<<" => {
            let s = shift(b).ok_or_else(|| at.error("a shift count between 0 and 126"))?;
            a.checked_mul(1i128 << s).ok_or_else(overflow)?
        }
        ">>" => a >> shift(b).ok_or_else(|| at.error("a shift count between 0 and 126"))?,
        "+" => a.checked_add(b).ok_or_else(overflow)?,
        "-" => a.checked_sub(b).ok_or_else(overflow)?,
        "*" => a.checked_mul(b).ok_or_else(overflow)?,
        "/" | "%" if b == 0 => return Err(at.error("a non-zero divisor")),
        "/" => a.checked_div(b).ok_or_else(overflow)?,
        "%" => a.checked_rem(b).ok_or_else(overflow)?,
        _ => return Err(at.error("a binary operator")),
    };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::error::ImportError;
    use crate::import::lexer::tokenize;

    fn run(src: &str) -> Result<i128> {
        let toks = tokenize("e.h", src.as_bytes()).unwrap();
        let anchor = toks[0].clone();
        eval(&toks, &anchor, &mut |tok: &Token, name: &str| match name {
            "A" => Ok(4),
            "B" => Ok(1 << 3),
            _ => Err(tok.error("a known name")),
        })
    }

    #[test]
    fn precedence_and_operators() {
        assert_eq!(run("(1 << 5)").unwrap(), 32);
        assert_eq!(run("A | B").unwrap(), 12);
        assert_eq!(run("1 + 2 * 3 << 1").unwrap(), 14);
        assert_eq!(run("-100").unwrap(), -100);
        assert_eq!(run("64 * 1024").unwrap(), 65536);
        assert_eq!(run("~0 & 0xff").unwrap(), 255);
        assert_eq!(run("A == 4 && !0 || 0").unwrap(), 1);
        assert_eq!(run("7 % 4 - 10 / 3").unwrap(), 0);
        assert_eq!(run("A >= 5").unwrap(), 0);
    }

    #[test]
    fn errors() {
        let e = run("1 << 200").unwrap_err();
        assert!(e.to_string().contains("shift count"), "{e}");
        let e = run("(1 << 2").unwrap_err();
        assert_eq!(
            e.to_string(),
            "e.h:1: expected `)`, found the end of the expression"
        );
        let e = run("1 2").unwrap_err();
        assert_eq!(
            e.to_string(),
            "e.h:1: expected an operator or the end of the expression, found `2`"
        );
        let e = run("C").unwrap_err();
        assert!(matches!(e, ImportError::At { line: 1, .. }));
        assert!(run("1 / 0").is_err());
        assert!(run("1 +").is_err());
        let deep = format!("{}1{}", "(".repeat(1000), ")".repeat(1000));
        assert!(
            run(&deep)
                .unwrap_err()
                .to_string()
                .contains("nested at most")
        );
        assert!(run(&"-".repeat(1000)).is_err());
    }
}
