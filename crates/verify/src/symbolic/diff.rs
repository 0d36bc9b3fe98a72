//! The differentiation rules, one per node and function of the language, each the same
//! derivative the engine's rule computes (`crates/autograd/src/ops/unary.rs`), built with the
//! simplifying constructors. Work is charged to a node budget as it is done, so that no input
//! can make a derivative grow without bound before its size is checked.

use super::simplify::{add, call, mul, neg, num, pow, sub};
use super::tree::{Fun, Sym};
use super::TooLarge;
use crate::expr::Func;
use std::cell::Cell;

/// Nodes a derivation may build, in all: derivatives of nested products grow quickly with the
/// order (`tanh(tanh(x))` at order 6 has thousands of terms).
pub const MAX_NODES: usize = 200_000;

/// How deep a tree may nest: substituting definitions into each other adds their depths, and
/// the tree is walked recursively.
pub const MAX_DEPTH: usize = 400;

/// Nodes built so far, against [`MAX_NODES`].
pub(crate) struct Budget {
    used: Cell<usize>,
}

impl Budget {
    pub(crate) fn new() -> Self {
        Self { used: Cell::new(0) }
    }

    /// Counts `n` more nodes; an error once past [`MAX_NODES`].
    pub(crate) fn charge(&self, n: usize) -> Result<(), TooLarge> {
        let used = self.used.get().saturating_add(n);
        self.used.set(used);
        if used > MAX_NODES {
            return Err(TooLarge::Nodes { limit: MAX_NODES });
        }
        Ok(())
    }

    /// Charges for `s` and checks its depth against [`MAX_DEPTH`].
    pub(crate) fn admit(&self, s: Sym) -> Result<Sym, TooLarge> {
        self.charge(s.size())?;
        if s.depth() > MAX_DEPTH {
            return Err(TooLarge::Depth { limit: MAX_DEPTH });
        }
        Ok(s)
    }
}

/// `d s / d x`, treating every other name as a constant.
pub(crate) fn diff(s: &Sym, x: &str, budget: &Budget) -> Result<Sym, TooLarge> {
    budget.charge(1)?;
    Ok(match s {
        Sym::Num(_) => num(0.0),
        Sym::Name(n) | Sym::Def(n) => num(if n == x { 1.0 } else { 0.0 }),
        Sym::Add(terms) => add(terms
            .iter()
            .map(|t| diff(t, x, budget))
            .collect::<Result<_, _>>()?),
        Sym::Mul(factors) => {
            // The product rule: one term per factor that depends on x, the others copied.
            let mut terms = Vec::new();
            for (i, f) in factors.iter().enumerate() {
                if !f.uses(x) {
                    continue;
                }
                let d = diff(f, x, budget)?;
                budget.charge(s.size())?;
                let mut fs = factors.clone();
                fs[i] = d;
                terms.push(mul(fs));
            }
            add(terms)
        }
        Sym::Pow(b, e) if !e.uses(x) => {
            // c b^(c-1) b', as the engine's powf rule (and pow's, for a constant exponent).
            let db = diff(b, x, budget)?;
            mul(vec![
                (**e).clone(),
                pow((**b).clone(), sub((**e).clone(), num(1.0))),
                db,
            ])
        }
        Sym::Pow(b, e) => {
            // e b^(e-1) b' + b^e ln(b) e', the engine's two rules of pow.
            let (db, de) = (diff(b, x, budget)?, diff(e, x, budget)?);
            add(vec![
                mul(vec![
                    (**e).clone(),
                    pow((**b).clone(), sub((**e).clone(), num(1.0))),
                    db,
                ]),
                mul(vec![
                    s.clone(),
                    call(Fun::Lang(Func::Ln), vec![(**b).clone()]),
                    de,
                ]),
            ])
        }
        Sym::Call(f, args) => {
            let a = &args[0];
            let da = diff(a, x, budget)?;
            if matches!(da, Sym::Num(z) if z == 0.0) {
                return Ok(num(0.0));
            }
            mul(vec![outer(*f, args, s), da])
        }
    })
}

/// `f'(a)` for `s = f(args)`, `a = args[0]`.
fn outer(f: Fun, args: &[Sym], s: &Sym) -> Sym {
    let a = args[0].clone();
    match f {
        Fun::Lang(Func::Exp) => s.clone(),
        Fun::Lang(Func::Ln) => pow(a, num(-1.0)),
        Fun::Lang(Func::Sqrt) => mul(vec![num(0.5), pow(s.clone(), num(-1.0))]),
        Fun::Lang(Func::Abs) => call(Fun::Sign, vec![a]),
        Fun::Lang(Func::Sin) => call(Fun::Lang(Func::Cos), vec![a]),
        Fun::Lang(Func::Cos) => neg(call(Fun::Lang(Func::Sin), vec![a])),
        Fun::Lang(Func::Tanh) => sub(num(1.0), pow(s.clone(), num(2.0))),
        Fun::Lang(Func::Sigmoid) => mul(vec![s.clone(), sub(num(1.0), s.clone())]),
        Fun::Lang(Func::Relu) => call(Fun::Step, vec![a]),
        Fun::Lang(Func::LeakyRelu) => {
            // a + (1 - a) step(x): the engine's (x > 0) (1 - a) + a.
            let slope = match args.get(1) {
                Some(Sym::Num(v)) => *v,
                _ => unreachable!("leaky_relu's slope is a number (else it is rewritten with relu)"),
            };
            add(vec![
                num(slope),
                mul(vec![num(1.0 - slope), call(Fun::Step, vec![a])]),
            ])
        }
        Fun::Lang(Func::Softplus) => call(Fun::Lang(Func::Sigmoid), vec![a]),
        Fun::Sign | Fun::Step => num(0.0),
    }
}
