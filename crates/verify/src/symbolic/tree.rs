//! The expression tree of symbolic derivatives: sums and products as flat lists (so that like
//! terms and like factors can be collected), powers, and calls. Subtraction is a sum with a
//! factor -1, division a power -1. Trees are only built through the constructors of
//! `simplify.rs`, which keep them in one canonical form.

use crate::expr::{BinOp, Expr, Func};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// A function of the tree: the language's, plus the two its derivatives need (`sign(x)`, the
/// derivative of `abs`, and `step(x)`, 1 for `x > 0` and 0 otherwise, the derivative of
/// `relu`), both as the engine computes them. `leaky_relu(x, a)` has a constant slope `a` (its
/// second argument, a number; any other slope is rewritten with relu).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Fun {
    Lang(Func),
    Sign,
    Step,
}

impl Fun {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fun::Lang(f) => f.name(),
            Fun::Sign => "sign",
            Fun::Step => "step",
        }
    }

    /// The function's value, by the engine's formulas (`crates/autograd/src/ops/unary.rs`),
    /// so that a value compared with the engine's is rounded the same way. `a`: leaky_relu's
    /// slope.
    pub(crate) fn apply(self, v: f64, a: f64) -> f64 {
        match self {
            Fun::Lang(Func::Exp) => v.exp(),
            Fun::Lang(Func::Ln) => v.ln(),
            Fun::Lang(Func::Sqrt) => v.sqrt(),
            Fun::Lang(Func::Abs) => v.abs(),
            Fun::Lang(Func::Sin) => v.sin(),
            Fun::Lang(Func::Cos) => v.cos(),
            Fun::Lang(Func::Tanh) => autograd::math::tanh(v),
            Fun::Lang(Func::Sigmoid) if v >= 0.0 => 1.0 / (1.0 + (-v).exp()),
            Fun::Lang(Func::Sigmoid) => v.exp() / (1.0 + v.exp()),
            Fun::Lang(Func::Relu) if v <= 0.0 => 0.0,
            Fun::Lang(Func::Relu) => v,
            Fun::Lang(Func::LeakyRelu) if v > 0.0 => v,
            Fun::Lang(Func::LeakyRelu) => a * v,
            Fun::Lang(Func::Softplus) => v.max(0.0) + (-v.abs()).exp().ln_1p(),
            Fun::Sign if v > 0.0 => 1.0,
            Fun::Sign if v < 0.0 => -1.0,
            Fun::Sign => v,
            Fun::Step => f64::from(u8::from(v > 0.0)),
        }
    }

    /// `|f'(v)|`, or a bound on it: how much an error in the argument can grow.
    fn slope(self, v: f64, y: f64) -> f64 {
        match self {
            Fun::Lang(Func::Exp) => y.abs(),
            Fun::Lang(Func::Ln) => 1.0 / v.abs(),
            Fun::Lang(Func::Sqrt) => 0.5 / y,
            Fun::Lang(Func::Tanh) => 1.0 - y * y,
            Fun::Lang(Func::Sigmoid) => y * (1.0 - y),
            Fun::Lang(Func::LeakyRelu)
            | Fun::Lang(Func::Abs)
            | Fun::Lang(Func::Sin)
            | Fun::Lang(Func::Cos)
            | Fun::Lang(Func::Relu)
            | Fun::Lang(Func::Softplus) => 1.0,
            Fun::Sign | Fun::Step => 0.0,
        }
    }
}

/// A symbolic expression. `Num` is always finite and never `-0`.
#[derive(Clone, Debug)]
pub(crate) enum Sym {
    Num(f64),
    /// An input (a variable of the polynomials that are multiplied out).
    Name(String),
    /// An intermediate name, defined in the system: a function of the inputs, so it is
    /// never multiplied out (`s*(1 - s)` for `s = sigmoid(z)` stays as written).
    Def(String),
    /// At least two terms, none a sum, at most one number.
    Add(Vec<Sym>),
    /// At least two factors, none a product; the only number (the coefficient) comes first.
    Mul(Vec<Sym>),
    Pow(Box<Sym>, Box<Sym>),
    Call(Fun, Vec<Sym>),
}

impl PartialEq for Sym {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Sym {}

impl Hash for Sym {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            Sym::Num(v) => v.to_bits().hash(h),
            Sym::Name(n) | Sym::Def(n) => n.hash(h),
            Sym::Add(v) | Sym::Mul(v) => v.hash(h),
            Sym::Pow(b, e) => {
                b.hash(h);
                e.hash(h);
            }
            Sym::Call(f, a) => {
                f.hash(h);
                a.hash(h);
            }
        }
    }
}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The canonical order, also the order factors are printed in: numbers, names, calls, sums,
/// products; a power sorts with its base (`x^2*y`, `y*sin(x)`).
impl Ord for Sym {
    fn cmp(&self, other: &Self) -> Ordering {
        fn rank(s: &Sym) -> u8 {
            match s {
                Sym::Num(_) => 0,
                Sym::Name(_) | Sym::Def(_) => 1,
                Sym::Call(..) => 2,
                Sym::Add(_) => 3,
                Sym::Mul(_) => 4,
                Sym::Pow(b, _) => rank(b),
            }
        }
        let (b1, e1) = self.base_exponent();
        let (b2, e2) = other.base_exponent();
        if !matches!(self, Sym::Pow(..)) && !matches!(other, Sym::Pow(..)) {
            return rank(self).cmp(&rank(other)).then_with(|| match (self, other) {
                (Sym::Num(a), Sym::Num(b)) => a.total_cmp(b),
                (Sym::Name(a) | Sym::Def(a), Sym::Name(b) | Sym::Def(b)) => a
                    .cmp(b)
                    .then_with(|| matches!(self, Sym::Def(_)).cmp(&matches!(other, Sym::Def(_)))),
                (Sym::Add(a), Sym::Add(b)) | (Sym::Mul(a), Sym::Mul(b)) => a.cmp(b),
                (Sym::Call(f, a), Sym::Call(g, b)) => f.cmp(g).then_with(|| a.cmp(b)),
                _ => Ordering::Equal,
            });
        }
        // Same base: the higher power first; a plain base is its own power 1.
        b1.cmp(b2).then_with(|| {
            let one = Sym::Num(1.0);
            let (e1, e2) = (e1.unwrap_or(&one), e2.unwrap_or(&one));
            e2.cmp(e1)
        })
    }
}

impl Sym {
    /// `(base, Some(exponent))` for a power, `(self, None)` otherwise.
    pub(crate) fn base_exponent(&self) -> (&Sym, Option<&Sym>) {
        match self {
            Sym::Pow(b, e) => (b, Some(e)),
            s => (s, None),
        }
    }

    /// The children.
    pub(crate) fn children(&self) -> Vec<&Sym> {
        match self {
            Sym::Num(_) | Sym::Name(_) | Sym::Def(_) => Vec::new(),
            Sym::Add(v) | Sym::Mul(v) | Sym::Call(_, v) => v.iter().collect(),
            Sym::Pow(b, e) => vec![b, e],
        }
    }

    /// The number of nodes (no recursion: trees may be a few hundred levels deep).
    pub(crate) fn size(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(s) = stack.pop() {
            n += 1;
            stack.extend(s.children());
        }
        n
    }

    /// The number of levels.
    pub(crate) fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1)];
        while let Some((s, d)) = stack.pop() {
            deepest = deepest.max(d);
            stack.extend(s.children().into_iter().map(|c| (c, d + 1)));
        }
        deepest
    }

    /// Whether `name` occurs.
    pub(crate) fn uses(&self, name: &str) -> bool {
        let mut stack = vec![self];
        while let Some(s) = stack.pop() {
            if matches!(s, Sym::Name(n) | Sym::Def(n) if n == name) {
                return true;
            }
            stack.extend(s.children());
        }
        false
    }

    /// The names used, each once, in order of first appearance (depth first).
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut stack = vec![self];
        while let Some(s) = stack.pop() {
            if let Sym::Name(n) | Sym::Def(n) = s
                && !out.contains(&n.as_str())
            {
                out.push(n);
            }
            stack.extend(s.children().into_iter().rev());
        }
        out
    }

    /// Whether this is a polynomial in its names: numbers, names, sums, products and powers
    /// with whole non-negative exponents, no calls.
    pub(crate) fn is_polynomial(&self) -> bool {
        match self {
            Sym::Num(_) | Sym::Name(_) => true,
            Sym::Add(v) | Sym::Mul(v) => v.iter().all(Sym::is_polynomial),
            Sym::Pow(b, e) => matches!(**e, Sym::Num(n) if n >= 0.0 && n.fract() == 0.0) && b.is_polynomial(),
            Sym::Call(..) | Sym::Def(_) => false,
        }
    }

    /// The value, with `lookup` giving the names'; the size of the terms it sums (for a
    /// tolerance: the rounding of a sum is relative to its terms, not to the result); and
    /// whether the value may differ from the engine's without a mistake: a part overflowed
    /// (`exp(x^6)^2`, where the engine's order of operations stays finite), or a power with a
    /// non-constant exponent met a base of at most 0 or a whole exponent of at most 0, where
    /// the engine defines its derivative's terms as 0 (PyTorch's convention for `a^b` at
    /// `a = 0` or `b = 0`; a derivative's powers have the exponents `b - 1`, `b - 2`). The
    /// size is infinite where it overflows: the value is then not comparable either.
    pub(crate) fn eval(&self, lookup: &dyn Fn(&str) -> f64) -> (f64, f64, bool) {
        let (v, m, unsure) = self.eval_parts(lookup);
        // A size that is NaN (`1^ln(-1)` is 1) says nothing: the value's own.
        let m = if m.is_nan() { v.abs() } else { m };
        (v, m, unsure || v.is_infinite() || m.is_infinite())
    }

    fn eval_parts(&self, lookup: &dyn Fn(&str) -> f64) -> (f64, f64, bool) {
        match self {
            Sym::Num(v) => (*v, v.abs(), false),
            Sym::Name(n) | Sym::Def(n) => {
                let v = lookup(n);
                (v, v.abs(), false)
            }
            Sym::Add(v) => v
                .iter()
                .map(|t| t.eval(lookup))
                .fold((0.0, 0.0, false), |(s, m, c), (x, mx, cx)| {
                    (s + x, m + mx, c || cx)
                }),
            Sym::Mul(v) => v
                .iter()
                .map(|t| t.eval(lookup))
                .fold((1.0, 1.0, false), |(s, m, c), (x, mx, cx)| {
                    (s * x, m * mx, c || cx)
                }),
            Sym::Pow(b, e) => {
                let (bv, bm, bc) = b.eval(lookup);
                let (ev, _, ec) = e.eval(lookup);
                let y = if ev == 2.0 { bv * bv } else { bv.powf(ev) };
                // A power moves with its base by |e b^(e-1)|: a base that cancelled to 0 under
                // a root (`(1.75/y - 0.75)^0.25`) has an unbounded error, an exact one none.
                let m = if bm == 0.0 {
                    y.abs()
                } else {
                    y.abs() + ev.abs() * bv.abs().powf(ev - 1.0) * bm
                };
                // A negative base too: the exponent the formula computes may round off the
                // whole number the engine's gives exactly (`y - 1 + relu(-y)` against `y + relu(-y)`).
                let convention =
                    !matches!(**e, Sym::Num(_)) && (bv <= 0.0 || (ev <= 0.0 && ev.fract() == 0.0));
                (y, m, bc || ec || convention)
            }
            Sym::Call(f, args) => {
                let (v, m, c) = args[0].eval(lookup);
                let a = args.get(1).map_or(0.0, |s| s.eval(lookup).0);
                let y = f.apply(v, a);
                // (An exact argument has no error to grow, even where the slope is infinite.)
                let grown = if m == 0.0 { 0.0 } else { f.slope(v, y) * m };
                (y, y.abs() + grown, c)
            }
        }
    }
}

/// Converts a parsed expression; `defined` tells the intermediate names from the inputs. Chains of `+`/`-` and of `*`/`/` (which the parser allows
/// thousands long without nesting) are walked in a loop, so recursion follows nesting only.
pub(crate) fn from_expr(e: &Expr, defined: &dyn Fn(&str) -> bool) -> Sym {
    use crate::symbolic::simplify::{add, call, mul, neg, num, pow};
    match e {
        Expr::Num(v) => num(*v),
        Expr::Name(n, _) if defined(n) => Sym::Def(n.clone()),
        Expr::Name(n, _) => Sym::Name(n.clone()),
        Expr::Neg(a) => neg(from_expr(a, defined)),
        Expr::Bin(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div), ..) => {
            let sum = matches!(op, BinOp::Add | BinOp::Sub);
            let mut parts = Vec::new();
            let mut at = e;
            while let Expr::Bin(o, a, b) = at {
                let same = if sum {
                    matches!(o, BinOp::Add | BinOp::Sub)
                } else {
                    matches!(o, BinOp::Mul | BinOp::Div)
                };
                if !same {
                    break;
                }
                let rhs = from_expr(b, defined);
                parts.push(match o {
                    BinOp::Sub => neg(rhs),
                    BinOp::Div => pow(rhs, num(-1.0)),
                    _ => rhs,
                });
                at = a;
            }
            parts.push(from_expr(at, defined));
            parts.reverse();
            if sum {
                add(parts)
            } else {
                mul(parts)
            }
        }
        Expr::Bin(BinOp::Pow, a, b) => pow(from_expr(a, defined), from_expr(b, defined)),
        Expr::Call(f, args) => {
            let x = from_expr(&args[0], defined);
            if *f != Func::LeakyRelu {
                return call(Fun::Lang(*f), vec![x]);
            }
            match from_expr(&args[1], defined) {
                a @ Sym::Num(_) => call(Fun::Lang(Func::LeakyRelu), vec![x, a]),
                // A slope that is not a constant: relu(x) - a relu(-x), as the engine does.
                a => add(vec![
                    call(Fun::Lang(Func::Relu), vec![x.clone()]),
                    neg(mul(vec![a, call(Fun::Lang(Func::Relu), vec![neg(x)])])),
                ]),
            }
        }
    }
}

/// Replaces each name that `value` knows by its value (the sub-trees are cloned).
pub(crate) fn substitute(s: &Sym, value: &dyn Fn(&str) -> Option<Sym>) -> Sym {
    use crate::symbolic::simplify::{add, call, mul, pow};
    match s {
        Sym::Num(_) => s.clone(),
        Sym::Name(n) | Sym::Def(n) => value(n).unwrap_or_else(|| s.clone()),
        Sym::Add(v) => add(v.iter().map(|t| substitute(t, value)).collect()),
        Sym::Mul(v) => mul(v.iter().map(|t| substitute(t, value)).collect()),
        Sym::Pow(b, e) => pow(substitute(b, value), substitute(e, value)),
        Sym::Call(f, v) => call(*f, v.iter().map(|t| substitute(t, value)).collect()),
    }
}
