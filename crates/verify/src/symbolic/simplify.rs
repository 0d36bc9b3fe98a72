//! The constructors that keep a tree simplified: they fold constants, drop 0 terms and 1
//! factors, collect like terms (`2*x + 3*x = 5*x`) and like factors (`x*x^2 = x^3`), and
//! multiply out polynomials (`-8*(2 - 4*x) = 32*x - 16`, `(4 + 4*x)^2 = 16*x^2 + 32*x + 16`).
//! Products that involve a call are left factored: `sigmoid(x)*(1 - sigmoid(x))` stays as a
//! student writes it.

use super::tree::{Fun, Sym};
use indexmap::IndexMap;

/// Multiplying out is skipped (the product stays factored, still exact) when it would give
/// more terms than this: `(x + y + z)^40` is not worth 861 lines.
pub(crate) const MAX_EXPANDED_TERMS: usize = 512;

/// A number; `-0` becomes `0`.
pub(crate) fn num(v: f64) -> Sym {
    Sym::Num(if v == 0.0 { 0.0 } else { v })
}

/// `-a`.
pub(crate) fn neg(a: Sym) -> Sym {
    mul(vec![num(-1.0), a])
}

/// `a - b`.
pub(crate) fn sub(a: Sym, b: Sym) -> Sym {
    add(vec![a, neg(b)])
}

/// A term as `(coefficient, the rest)`.
fn split_coefficient(t: Sym) -> (f64, Sym) {
    match t {
        Sym::Num(c) => (c, num(1.0)),
        Sym::Mul(mut f) => match f[0] {
            Sym::Num(c) => {
                f.remove(0);
                (
                    c,
                    if f.len() == 1 {
                        f.pop().expect("one factor")
                    } else {
                        Sym::Mul(f)
                    },
                )
            }
            _ => (1.0, Sym::Mul(f)),
        },
        t => (1.0, t),
    }
}

/// `c * rest` for a `rest` without a coefficient (no further simplification needed).
fn scaled(c: f64, rest: Sym) -> Sym {
    match rest {
        _ if c == 1.0 => rest,
        Sym::Num(r) => num(c * r),
        Sym::Mul(mut f) => {
            f.insert(0, num(c));
            Sym::Mul(f)
        }
        r => Sym::Mul(vec![num(c), r]),
    }
}

/// A sum, simplified.
pub(crate) fn add(terms: Vec<Sym>) -> Sym {
    let mut flat = Vec::with_capacity(terms.len());
    for t in terms {
        match t {
            Sym::Add(ts) => flat.extend(ts),
            t => flat.push(t),
        }
    }
    // Like terms: the same rest, coefficients added (kept apart if the sum overflows).
    let mut like: IndexMap<Sym, Vec<f64>> = IndexMap::new();
    for t in flat {
        let (c, rest) = split_coefficient(t);
        like.entry(rest).or_default().push(c);
    }
    let mut out = Vec::new();
    let mut nested = false;
    for (rest, cs) in like {
        let total: f64 = cs.iter().sum();
        let parts = if total.is_finite() { vec![total] } else { cs };
        for c in parts.into_iter().filter(|&c| c != 0.0) {
            let t = scaled(c, rest.clone());
            nested |= matches!(t, Sym::Add(_));
            out.push(t);
        }
    }
    if nested {
        // A factored sum that lost its coefficient 1 (`1*(a + b)`): its terms join this sum.
        return add(out);
    }
    out.sort();
    match out.len() {
        0 => num(0.0),
        1 => out.pop().expect("one term"),
        _ => Sym::Add(out),
    }
}

/// The terms of a sum (a lone term is a sum of one).
fn terms(s: &Sym) -> Vec<Sym> {
    match s {
        Sym::Add(v) => v.clone(),
        s => vec![s.clone()],
    }
}

/// `a * b` multiplied out, if that gives at most [`MAX_EXPANDED_TERMS`] terms.
fn expand(a: &Sym, b: &Sym) -> Option<Sym> {
    let (ta, tb) = (terms(a), terms(b));
    if ta.len() * tb.len() > MAX_EXPANDED_TERMS {
        return None;
    }
    let mut out = Vec::with_capacity(ta.len() * tb.len());
    for x in &ta {
        for y in &tb {
            out.push(mul(vec![x.clone(), y.clone()]));
        }
    }
    Some(add(out))
}

/// A product, simplified.
pub(crate) fn mul(factors: Vec<Sym>) -> Sym {
    let mut flat = Vec::with_capacity(factors.len());
    for f in factors {
        match f {
            Sym::Mul(fs) => flat.extend(fs),
            f => flat.push(f),
        }
    }
    let mut coefficient = 1.0;
    // Like factors: the same base, exponents added.
    let mut like: IndexMap<Sym, Vec<Sym>> = IndexMap::new();
    let mut unfolded = Vec::new();
    for f in flat {
        match f {
            Sym::Num(c) if (coefficient * c).is_finite() => coefficient *= c,
            Sym::Num(c) => unfolded.push(num(c)),
            Sym::Pow(b, e) => like.entry(*b).or_default().push(*e),
            f => like.entry(f).or_default().push(num(1.0)),
        }
    }
    if coefficient == 0.0 {
        return num(0.0);
    }
    let mut out: Vec<Sym> = Vec::new();
    let mut again = false;
    for (base, exps) in like {
        let p = pow(base, add(exps));
        again |= matches!(p, Sym::Num(_) | Sym::Mul(_));
        out.push(p);
    }
    if again {
        // A power folded to a number or split into factors (`(2*x)^2`): collect once more.
        out.push(num(coefficient));
        out.extend(unfolded);
        return mul(out);
    }
    out.extend(unfolded);
    // Polynomials multiply out: the whole product if it is one, else its sums among
    // themselves (`(x + 1)*(x - 1)*sin(x) = (x^2 - 1)*sin(x)`).
    let (sums, rest): (Vec<Sym>, Vec<Sym>) = out
        .into_iter()
        .partition(|f| matches!(f, Sym::Add(_)) && f.is_polynomial());
    let whole = rest.iter().all(Sym::is_polynomial);
    if !sums.is_empty() && (whole || sums.len() > 1) {
        let mut product = if whole {
            scaled(coefficient, assemble(1.0, rest.clone()))
        } else {
            num(1.0)
        };
        let mut left = Vec::new();
        for s in &sums {
            match expand(&product, s) {
                Some(p) => product = p,
                None => left.push(s.clone()),
            }
        }
        if left.is_empty() && whole {
            return product;
        }
        let mut fs = left;
        fs.push(product);
        let c = if whole {
            1.0
        } else {
            fs.extend(rest);
            coefficient
        };
        return assemble(c, flatten_products(fs));
    }
    let mut fs = sums;
    fs.extend(rest);
    assemble(coefficient, fs)
}

/// Factors whose own products are spliced in (an expanded sum can come back a single term).
fn flatten_products(fs: Vec<Sym>) -> Vec<Sym> {
    let mut out = Vec::new();
    for f in fs {
        match f {
            Sym::Mul(v) => out.extend(v),
            f => out.push(f),
        }
    }
    out
}

/// Multiplies the numbers among `fs` into `c`, but for any that would overflow it.
fn fold_numbers(c: &mut f64, fs: &mut Vec<Sym>) {
    fs.retain(|f| match f {
        Sym::Num(v) if (*c * v).is_finite() => {
            *c *= v;
            false
        }
        _ => true,
    });
}

/// `c * f1 * f2 * ...` from factors already simplified, sorted into canonical order.
fn assemble(c: f64, mut fs: Vec<Sym>) -> Sym {
    let mut c = c;
    fold_numbers(&mut c, &mut fs);
    if c == 0.0 {
        return num(0.0);
    }
    fs.sort();
    if c != 1.0 {
        fs.insert(0, num(c));
    }
    match fs.len() {
        0 => num(1.0),
        1 => fs.pop().expect("one factor"),
        _ => Sym::Mul(fs),
    }
}

/// Whether `v` is a whole number.
fn whole(v: f64) -> bool {
    v.fract() == 0.0
}

/// `b^e`, simplified.
pub(crate) fn pow(b: Sym, e: Sym) -> Sym {
    match (b, e) {
        (_, Sym::Num(0.0)) => num(1.0),
        (b, Sym::Num(1.0)) => b,
        (Sym::Num(1.0), _) => num(1.0),
        (Sym::Num(a), Sym::Num(c)) if a.powf(c).is_finite() => num(if c == 2.0 { a * a } else { a.powf(c) }),
        // (b^e)^n = b^(e n) for a whole n; (x y)^n = x^n y^n.
        (Sym::Pow(b, e), Sym::Num(n)) if whole(n) => pow(*b, mul(vec![*e, num(n)])),
        (Sym::Mul(fs), Sym::Num(n)) if whole(n) => mul(fs.into_iter().map(|f| pow(f, num(n))).collect()),
        (b @ Sym::Add(_), Sym::Num(n)) if n > 1.0 && n <= 64.0 && whole(n) && b.is_polynomial() => {
            // Multiplied out by repeated squaring, unless the result would be too long.
            let mut result: Option<Sym> = None;
            let mut square = b.clone();
            let mut k = n as u32;
            loop {
                if k & 1 == 1 {
                    result = match result {
                        None => Some(square.clone()),
                        Some(r) => match expand(&r, &square) {
                            Some(p) => Some(p),
                            None => return Sym::Pow(Box::new(b), Box::new(num(n))),
                        },
                    };
                }
                k >>= 1;
                if k == 0 {
                    break;
                }
                square = match expand(&square, &square) {
                    Some(p) => p,
                    None => return Sym::Pow(Box::new(b), Box::new(num(n))),
                };
            }
            result.expect("n >= 2")
        }
        (b, e) => Sym::Pow(Box::new(b), Box::new(e)),
    }
}

/// `f(args)`, folded to a number when the arguments are numbers (and the value is finite).
pub(crate) fn call(f: Fun, args: Vec<Sym>) -> Sym {
    if let Some(Sym::Num(v)) = args.first() {
        let a = match args.get(1) {
            Some(Sym::Num(a)) => *a,
            Some(_) => return Sym::Call(f, args),
            None => 0.0,
        };
        let y = f.apply(*v, a);
        if y.is_finite() {
            return num(y);
        }
    }
    Sym::Call(f, args)
}
