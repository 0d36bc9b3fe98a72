//! The expression language of `chainrule check`: numbers (with scientific notation), names,
//! `+ - * / ^`, unary minus, parentheses and the functions exp, ln/log, sqrt, abs, sin, cos,
//! tanh, sigmoid, relu, leaky_relu(x, a), softplus. `^` binds tightest and to the right, and
//! above unary minus: `-x^2 = -(x^2)`, `2^-1 = 0.5`.

use std::fmt;

mod parse;

pub(crate) use parse::lex_definition;
pub use parse::{parse, ParseError};

/// Nesting deeper than this is an error (so no input can exhaust the stack).
pub const MAX_DEPTH: usize = 200;

/// More operators than this in a row (`x + x + ... + x`, which the parser reads without
/// nesting) is an error too: printing, evaluating and dropping a tree recurse once per level.
pub const MAX_HEIGHT: usize = 5000;

/// A position in the source: character offsets `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First character (0-based).
    pub start: usize,
    /// One past the last character.
    pub end: usize,
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }
    fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
            BinOp::Pow => 4,
        }
    }
}

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// `exp(x)`
    Exp,
    /// `ln(x)` (also spelled `log`)
    Ln,
    /// `sqrt(x)`
    Sqrt,
    /// `abs(x)`
    Abs,
    /// `sin(x)`
    Sin,
    /// `cos(x)`
    Cos,
    /// `tanh(x)`
    Tanh,
    /// `sigmoid(x)`
    Sigmoid,
    /// `relu(x)`
    Relu,
    /// `leaky_relu(x, a)`
    LeakyRelu,
    /// `softplus(x)`
    Softplus,
}

impl Func {
    /// Every function of the language.
    ///
    /// ```
    /// use chainrule::verify::expr::Func;
    /// assert_eq!(Func::ALL.len(), 11);
    /// assert!(Func::ALL.iter().all(|f| Func::from_name(f.name()) == Some(*f)));
    /// ```
    pub const ALL: [Func; 11] = [
        Func::Exp,
        Func::Ln,
        Func::Sqrt,
        Func::Abs,
        Func::Sin,
        Func::Cos,
        Func::Tanh,
        Func::Sigmoid,
        Func::Relu,
        Func::LeakyRelu,
        Func::Softplus,
    ];

    /// The function called `name`, if any.
    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "exp" => Func::Exp,
            "ln" | "log" => Func::Ln,
            "sqrt" => Func::Sqrt,
            "abs" => Func::Abs,
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tanh" => Func::Tanh,
            "sigmoid" => Func::Sigmoid,
            "relu" => Func::Relu,
            "leaky_relu" => Func::LeakyRelu,
            "softplus" => Func::Softplus,
            _ => return None,
        })
    }

    /// The function's name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tanh => "tanh",
            Func::Sigmoid => "sigmoid",
            Func::Relu => "relu",
            Func::LeakyRelu => "leaky_relu",
            Func::Softplus => "softplus",
        }
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        if self == Func::LeakyRelu {
            2
        } else {
            1
        }
    }
}

/// A parsed expression. Equality compares the trees, not where names stood in the source.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A name (a variable or another definition), with where it appears.
    Name(String, Span),
    /// `-e`
    Neg(Box<Expr>),
    /// `a op b`
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args)`
    Call(Func, Vec<Expr>),
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Expr::Num(a), Expr::Num(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Expr::Name(a, _), Expr::Name(b, _)) => a == b,
            (Expr::Neg(a), Expr::Neg(b)) => a == b,
            (Expr::Bin(o, a, b), Expr::Bin(p, c, d)) => o == p && a == c && b == d,
            (Expr::Call(f, a), Expr::Call(g, b)) => f == g && a == b,
            _ => false,
        }
    }
}

impl Expr {
    /// Every name the expression uses, with its position, in order of appearance.
    pub fn names(&self) -> Vec<(&str, Span)> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Num(_) => {}
                Expr::Name(n, s) => out.push((n.as_str(), *s)),
                Expr::Neg(a) => stack.push(a),
                Expr::Bin(_, a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Expr::Call(_, args) => stack.extend(args.iter().rev()),
            }
        }
        out
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Bin(op, ..) => op.precedence(),
            Expr::Neg(_) => 3,
            Expr::Num(v) if v.is_sign_negative() => 3,
            _ => 5,
        }
    }
}

fn fmt_num(v: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if v.is_nan() {
        write!(f, "(0/0)")
    } else if v.is_infinite() {
        write!(f, "{}(1/0)", if v < 0.0 { "-" } else { "" })
    } else {
        write!(f, "{}", finite_number(v))
    }
}

/// A finite number in its shortest round-trip form; an exponent (1e-7) only for very small or
/// large values.
pub(crate) fn finite_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:?}")
    }
}

/// Prints with the fewest parentheses that parse back to the same tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wrap = |e: &Expr, need: bool, f: &mut fmt::Formatter<'_>| -> fmt::Result {
            if need {
                write!(f, "({e})")
            } else {
                write!(f, "{e}")
            }
        };
        match self {
            Expr::Num(v) => fmt_num(*v, f),
            Expr::Name(n, _) => write!(f, "{n}"),
            Expr::Neg(a) => {
                write!(f, "-")?;
                // -(a+b), -(a*b) keep their parentheses; -x^2 means -(x^2) already.
                wrap(a, a.precedence() < 4, f)
            }
            Expr::Bin(op, a, b) => {
                let p = op.precedence();
                if *op == BinOp::Pow {
                    // Right-associative: the base needs parentheses at equal precedence.
                    wrap(a, a.precedence() <= p, f)?;
                    write!(f, "^")?;
                    wrap(b, b.precedence() < p && !matches!(**b, Expr::Neg(_)), f)
                } else {
                    wrap(a, a.precedence() < p, f)?;
                    write!(f, " {} ", op.symbol())?;
                    // Left-associative: the right side needs parentheses at equal precedence.
                    wrap(b, b.precedence() <= p, f)
                }
            }
            Expr::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
        }
    }
}
