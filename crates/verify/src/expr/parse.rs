//! The parser of the expression language: a lexer with columns, a recursive-descent parser
//! bounded in depth and height, and the syntax error with its caret.

use super::{BinOp, Expr, Func, Span, MAX_DEPTH, MAX_HEIGHT};

/// A syntax error: where, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {}: {message}", column + 1)]
pub struct ParseError {
    /// 0-based character column in the source.
    pub column: usize,
    /// What is wrong and what was expected there.
    pub message: String,
}

impl ParseError {
    /// The error with the source line and a caret under the column.
    ///
    /// ```
    /// let err = chainrule::verify::expr::parse("2 * (x + ").unwrap_err();
    /// assert_eq!(err.render("2 * (x + "), "error: column 10: expected a number, a name, '(' or '-', found the end of the input\n  2 * (x + \n           ^");
    /// ```
    pub fn render(&self, src: &str) -> String {
        let line: String = src.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
        format!("error: {self}\n  {line}\n  {}^", " ".repeat(self.column))
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Sym(char),
    End,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(v) => format!("the number {v}"),
        Tok::Name(n) => format!("the name '{n}'"),
        Tok::Sym(c) => format!("'{c}'"),
        Tok::End => "the end of the input".into(),
    }
}

/// Splits the source into tokens with their starting columns.
fn lex(src: &str, base: usize) -> Result<Vec<(Tok, usize)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = base + i;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // Exponent: e or E, optional sign, digits.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let text: String = chars[start..i].iter().collect();
            let v: f64 = text.parse().map_err(|_| ParseError {
                column: col,
                message: format!("'{text}' is not a number"),
            })?;
            if !v.is_finite() {
                return Err(ParseError {
                    column: col,
                    message: format!("the number '{text}' is too large for f64"),
                });
            }
            out.push((Tok::Num(v), col));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Name(chars[start..i].iter().collect()), col));
        } else if "+-*/^(),=".contains(c) {
            out.push((Tok::Sym(c), col));
            i += 1;
        } else {
            return Err(ParseError {
                column: col,
                message: format!("unexpected character '{c}': expected a number, a name, an operator (+ - * / ^) or a parenthesis"),
            });
        }
    }
    out.push((Tok::End, base + chars.len()));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
    /// Operators in the chains being read (`a + b + c` is two).
    chain: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn col(&self) -> usize {
        self.toks[self.pos].1
    }
    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn err(&self, expected: &str) -> ParseError {
        ParseError {
            column: self.col(),
            message: format!("expected {expected}, found {}", describe(self.peek())),
        }
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                column: self.col(),
                message: format!("the expression is nested more than {MAX_DEPTH} levels deep"),
            });
        }
        Ok(())
    }
    /// One more operator in a chain.
    fn link(&mut self) -> Result<(), ParseError> {
        self.chain += 1;
        if self.depth + self.chain > MAX_HEIGHT {
            return Err(ParseError {
                column: self.col(),
                message: format!(
                    "the expression has more than {MAX_HEIGHT} operators in a row: split it into several definitions"
                ),
            });
        }
        Ok(())
    }

    /// expr := term (('+' | '-') term)*
    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut lhs = self.binary(2)?;
        let chain = self.chain;
        while let Tok::Sym(c @ ('+' | '-')) = *self.peek() {
            self.bump();
            self.link()?;
            let rhs = self.binary(2)?;
            lhs = Expr::Bin(
                if c == '+' { BinOp::Add } else { BinOp::Sub },
                Box::new(lhs),
                Box::new(rhs),
            );
        }
        self.chain = chain;
        self.depth -= 1;
        Ok(lhs)
    }

    /// Products (level 2) and unary minus (level 3).
    fn binary(&mut self, level: u8) -> Result<Expr, ParseError> {
        if level == 3 {
            if *self.peek() == Tok::Sym('-') {
                self.bump();
                self.enter()?;
                let inner = self.binary(3)?;
                self.depth -= 1;
                return Ok(Expr::Neg(Box::new(inner)));
            }
            if *self.peek() == Tok::Sym('+') {
                self.bump();
                self.enter()?;
                let inner = self.binary(3)?;
                self.depth -= 1;
                return Ok(inner);
            }
            return self.power();
        }
        let mut lhs = self.binary(3)?;
        let chain = self.chain;
        while let Tok::Sym(c @ ('*' | '/')) = *self.peek() {
            self.bump();
            self.link()?;
            let rhs = self.binary(3)?;
            lhs = Expr::Bin(
                if c == '*' { BinOp::Mul } else { BinOp::Div },
                Box::new(lhs),
                Box::new(rhs),
            );
        }
        self.chain = chain;
        Ok(lhs)
    }

    /// power := atom ('^' unary)?   (right-associative through `unary`)
    fn power(&mut self) -> Result<Expr, ParseError> {
        let base = self.atom()?;
        if *self.peek() == Tok::Sym('^') {
            self.bump();
            self.enter()?;
            let exp = self.binary(3)?;
            self.depth -= 1;
            return Ok(Expr::Bin(BinOp::Pow, Box::new(base), Box::new(exp)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let col = self.col();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.bump();
                Ok(Expr::Num(v))
            }
            Tok::Name(name) => {
                self.bump();
                if *self.peek() == Tok::Sym('(') {
                    let func = Func::from_name(&name).ok_or_else(|| ParseError {
                        column: col,
                        message: format!(
                            "unknown function '{name}': expected one of exp, ln, log, sqrt, abs, sin, cos, tanh, sigmoid, relu, leaky_relu, softplus"
                        ),
                    })?;
                    self.bump();
                    let mut args = vec![self.expr()?];
                    while *self.peek() == Tok::Sym(',') {
                        self.bump();
                        args.push(self.expr()?);
                    }
                    if *self.peek() != Tok::Sym(')') {
                        return Err(self.err(if args.len() < func.arity() {
                            "',' or ')'"
                        } else {
                            "')'"
                        }));
                    }
                    if args.len() != func.arity() {
                        return Err(ParseError {
                            column: col,
                            message: format!(
                                "{}() takes {} argument{}, got {}",
                                func.name(),
                                func.arity(),
                                if func.arity() == 1 { "" } else { "s" },
                                args.len()
                            ),
                        });
                    }
                    self.bump();
                    Ok(Expr::Call(func, args))
                } else {
                    if Func::from_name(&name).is_some() {
                        return Err(ParseError {
                            column: self.col(),
                            message: format!("expected '(' after the function name '{name}'"),
                        });
                    }
                    let end = col + name.chars().count();
                    Ok(Expr::Name(name, Span { start: col, end }))
                }
            }
            Tok::Sym('(') => {
                self.bump();
                let e = self.expr()?;
                if *self.peek() != Tok::Sym(')') {
                    return Err(self.err(&format!("')' to close the '(' at column {}", col + 1)));
                }
                self.bump();
                Ok(e)
            }
            _ => Err(self.err("a number, a name, '(' or '-'")),
        }
    }
}

fn parse_tokens(toks: Vec<(Tok, usize)>) -> Result<Expr, ParseError> {
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        chain: 0,
    };
    let e = p.expr()?;
    if *p.peek() != Tok::End {
        return Err(p.err("an operator or the end of the expression"));
    }
    Ok(e)
}

/// Parses one expression.
///
/// ```
/// let e = chainrule::verify::expr::parse("-8*u + 12*v^2").unwrap();
/// assert_eq!(e.to_string(), "-8 * u + 12 * v^2");
/// assert!(chainrule::verify::expr::parse("2 +* 3").is_err());
/// ```
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    parse_tokens(lex(src, 0)?)
}

/// Parses one `name = expression` part that starts at character `offset` of the source.
pub(crate) fn lex_definition(part: &str, offset: usize) -> Result<crate::system::Definition, ParseError> {
    let mut toks = lex(part, offset)?;
    let (name, col) = match toks.first() {
        Some((Tok::Name(n), c)) if Func::from_name(n).is_none() => (n.clone(), *c),
        Some((t, c)) => {
            return Err(ParseError {
                column: *c,
                message: format!("expected a definition 'name = expression', found {}", describe(t)),
            })
        }
        None => unreachable!("lex always ends with End"),
    };
    if toks.get(1).map(|t| &t.0) != Some(&Tok::Sym('=')) {
        let (t, c) = &toks[1.min(toks.len() - 1)];
        return Err(ParseError {
            column: *c,
            message: format!("expected '=' after '{name}', found {}", describe(t)),
        });
    }
    toks.drain(..2);
    let expr = parse_tokens(toks)?;
    let end = col + name.chars().count();
    Ok(crate::system::Definition {
        name,
        span: Span { start: col, end },
        expr,
    })
}
