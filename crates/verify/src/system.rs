//! A system of definitions (`z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x`): parsed, ordered
//! by dependency (any order in the source; cycles are errors) and built on a tape.

use crate::expr::{lex_definition, BinOp, Expr, Func, ParseError, Span};
use autograd::{Float, Tape, Var};
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};

/// Why a system has no single output to differentiate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// Several definitions are used by no other (in source order): which one is meant?
    #[error(
        "several definitions are used by no other: {}; name the one to use with --of (e.g. --of {})",
        .0.join(", "),
        .0.last().map_or("", String::as_str)
    )]
    Ambiguous(Vec<String>),
    /// Every definition is used by another (the definitions form a cycle).
    #[error("every definition is used by another, so none is the output; name one with --of")]
    NoOutput,
    /// The name asked for is not defined.
    #[error("'{0}' is not defined in the system")]
    Undefined(String),
}

/// One definition `name = expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// The defined name.
    pub name: String,
    /// Where the name stands in the source.
    pub span: Span,
    /// The right-hand side.
    pub expr: Expr,
}

/// Definitions separated by `;` or newlines, in source order.
#[derive(Clone, Debug, PartialEq)]
pub struct System {
    /// The definitions as written.
    pub defs: Vec<Definition>,
}

impl System {
    /// Parses a system. Each part must be `name = expression`; a name may be defined once.
    ///
    /// ```
    /// let s = chainrule::verify::System::parse("z = u^2; u = 2 - y; y = 4*x").unwrap();
    /// assert_eq!(s.defs.len(), 3);
    /// assert_eq!(s.inputs(), vec!["x".to_string()]);
    /// assert_eq!(s.order().unwrap(), vec!["y", "u", "z"]);
    /// ```
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        let mut defs: Vec<Definition> = Vec::new();
        // Name -> index, so that parsing stays linear in the number of definitions.
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut offset = 0;
        let chars: Vec<char> = src.chars().collect();
        for part in chars.split(|&c| c == ';' || c == '\n') {
            let text: String = part.iter().collect();
            if !text.trim().is_empty() {
                let def = lex_definition(&text, offset)?;
                if let Some(prev) = seen.get(&def.name).map(|&i| &defs[i]) {
                    return Err(ParseError {
                        column: def.span.start,
                        message: format!(
                            "'{}' is defined twice (first at column {})",
                            def.name,
                            prev.span.start + 1
                        ),
                    });
                }
                seen.insert(def.name.clone(), defs.len());
                defs.push(def);
            }
            offset += part.len() + 1;
        }
        if defs.is_empty() {
            return Err(ParseError {
                column: 0,
                message: "expected at least one definition 'name = expression'".into(),
            });
        }
        Ok(Self { defs })
    }

    /// The definition of `name`.
    pub fn get(&self, name: &str) -> Option<&Definition> {
        self.defs.iter().find(|d| d.name == name)
    }

    /// Names used but not defined (the inputs), in order of first use.
    pub fn inputs(&self) -> Vec<String> {
        let defined: HashSet<&str> = self.defs.iter().map(|d| d.name.as_str()).collect();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut out: Vec<String> = Vec::new();
        for d in &self.defs {
            for (n, _) in d.expr.names() {
                if !defined.contains(n) && seen.insert(n) {
                    out.push(n.to_string());
                }
            }
        }
        out
    }

    /// The defined name nothing else uses (the output). With several such names the choice
    /// is the caller's: the error lists them, in source order.
    ///
    /// ```
    /// use chainrule::verify::{OutputError, System};
    ///
    /// let s = System::parse("z = u^2; u = 2 - x").unwrap();
    /// assert_eq!(s.output(), Ok("z"));
    /// // `q` is a leftover helper: nothing uses it, so `z` is not the only candidate.
    /// let s = System::parse("q = 7; z = x^2").unwrap();
    /// assert_eq!(s.output(), Err(OutputError::Ambiguous(vec!["q".into(), "z".into()])));
    /// ```
    pub fn output(&self) -> Result<&str, OutputError> {
        let used: HashSet<&str> = self
            .defs
            .iter()
            .flat_map(|d| d.expr.names())
            .map(|(n, _)| n)
            .collect();
        let unused: Vec<&str> = self
            .defs
            .iter()
            .map(|d| d.name.as_str())
            .filter(|n| !used.contains(n))
            .collect();
        match unused.as_slice() {
            [one] => Ok(one),
            [] => Err(OutputError::NoOutput),
            many => Err(OutputError::Ambiguous(
                many.iter().map(|n| n.to_string()).collect(),
            )),
        }
    }

    /// `of` if given and defined, else the [`output`](System::output).
    ///
    /// ```
    /// use chainrule::verify::{OutputError, System};
    ///
    /// let s = System::parse("q = 7; z = x^2").unwrap();
    /// assert_eq!(s.output_or(Some("z")), Ok("z".to_string()));
    /// assert_eq!(s.output_or(Some("w")), Err(OutputError::Undefined("w".into())));
    /// assert!(s.output_or(None).is_err());
    /// ```
    pub fn output_or(&self, of: Option<&str>) -> Result<String, OutputError> {
        match of {
            Some(name) if self.get(name).is_some() => Ok(name.to_string()),
            Some(name) => Err(OutputError::Undefined(name.to_string())),
            None => self.output().map(str::to_string),
        }
    }

    /// The definitions in an order where each comes after the ones it uses (Kahn's algorithm;
    /// no recursion). A cycle is an error naming it.
    pub fn order(&self) -> Result<Vec<&str>, ParseError> {
        Ok(self
            .order_indices()?
            .into_iter()
            .map(|i| self.defs[i].name.as_str())
            .collect())
    }

    /// [`order`](System::order) as indices into `defs`.
    fn order_indices(&self) -> Result<Vec<usize>, ParseError> {
        let index: HashMap<&str, usize> = self
            .defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.as_str(), i))
            .collect();
        let deps: Vec<Vec<usize>> = self
            .defs
            .iter()
            .map(|d| {
                let mut v: Vec<usize> = d
                    .expr
                    .names()
                    .iter()
                    .filter_map(|(n, _)| index.get(n).copied())
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); self.defs.len()];
        let mut pending: Vec<usize> = deps.iter().map(|d| d.len()).collect();
        for (i, ds) in deps.iter().enumerate() {
            for &d in ds {
                users[d].push(i);
            }
        }
        let mut ready: Vec<usize> = (0..self.defs.len()).rev().filter(|&i| pending[i] == 0).collect();
        let mut order = Vec::with_capacity(self.defs.len());
        while let Some(i) = ready.pop() {
            order.push(i);
            for &u in users[i].iter().rev() {
                pending[u] -= 1;
                if pending[u] == 0 {
                    ready.push(u);
                }
            }
        }
        if order.len() == self.defs.len() {
            return Ok(order);
        }
        // Walk unfinished dependencies until a name repeats: that is a cycle.
        let start = (0..self.defs.len())
            .find(|&i| pending[i] > 0)
            .expect("an unfinished definition");
        let mut path = vec![start];
        // Where each definition stands on the path (linear, however long the cycle).
        let mut on_path = vec![usize::MAX; self.defs.len()];
        on_path[start] = 0;
        let mut at = start;
        loop {
            at = *deps[at]
                .iter()
                .find(|&&d| pending[d] > 0)
                .expect("an unfinished dependency");
            if let Some(pos) = Some(on_path[at]).filter(|&p| p != usize::MAX) {
                let cycle: Vec<&str> = path[pos..]
                    .iter()
                    .chain(std::iter::once(&at))
                    .map(|&i| self.defs[i].name.as_str())
                    .collect();
                return Err(ParseError {
                    column: self.defs[at].span.start,
                    message: format!("the definitions form a cycle: {}", cycle.join(" -> ")),
                });
            }
            on_path[at] = path.len();
            path.push(at);
        }
    }

    /// Records every definition on `tape`, given values for the inputs. Returns each defined
    /// name's value. A name that is neither defined nor given is an error at its column.
    pub fn build<'t, T: Float>(
        &self,
        tape: &'t Tape<T>,
        inputs: &HashMap<String, Var<'t, T>>,
    ) -> Result<IndexMap<String, Var<'t, T>>, ParseError> {
        let mut env: IndexMap<String, Var<'t, T>> = IndexMap::new();
        for i in self.order_indices()? {
            let def = &self.defs[i];
            let name = def.name.as_str();
            let v = eval(&def.expr, tape, &|n| {
                env.get(n).or_else(|| inputs.get(n)).copied()
            })?;
            // A bare alias (`y = a21`) gets a node of its own (local derivative 1), so that each
            // defined name is a distinct step of the graph, as in a hand derivation.
            let v = if matches!(def.expr, Expr::Name(..)) {
                v.mul_scalar(1.0)
            } else {
                v
            };
            env.insert(name.to_string(), v.named(name));
        }
        Ok(env)
    }
}

/// Records an expression on `tape`, looking names up with `lookup`.
pub fn eval<'t, T: Float>(
    e: &Expr,
    tape: &'t Tape<T>,
    lookup: &dyn Fn(&str) -> Option<Var<'t, T>>,
) -> Result<Var<'t, T>, ParseError> {
    Ok(match e {
        Expr::Num(v) => tape.scalar(T::from_f64(*v)),
        Expr::Name(n, span) => lookup(n).ok_or_else(|| ParseError {
            column: span.start,
            message: format!(
                "'{n}' is not defined: define it, or give it a value (e.g. --wrt {n} or --at {n}=1)"
            ),
        })?,
        Expr::Neg(a) => -eval(a, tape, lookup)?,
        Expr::Bin(op, a, b) => {
            let x = eval(a, tape, lookup)?;
            if let (BinOp::Pow, Expr::Num(c)) = (op, &**b) {
                // A constant exponent: x^c, defined for negative x too.
                return Ok(x.powf(*c));
            }
            let y = eval(b, tape, lookup)?;
            match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                BinOp::Pow => x.pow(y),
            }
        }
        Expr::Call(f, args) => {
            let x = eval(&args[0], tape, lookup)?;
            match f {
                Func::Exp => x.exp(),
                Func::Ln => x.ln(),
                Func::Sqrt => x.sqrt(),
                Func::Abs => x.abs(),
                Func::Sin => x.sin(),
                Func::Cos => x.cos(),
                Func::Tanh => x.tanh(),
                Func::Sigmoid => x.sigmoid(),
                Func::Relu => x.relu(),
                Func::Softplus => x.softplus(),
                Func::LeakyRelu => match &args[1] {
                    Expr::Num(a) => x.leaky_relu(*a),
                    Expr::Neg(inner) if matches!(**inner, Expr::Num(_)) => {
                        let Expr::Num(a) = **inner else { unreachable!() };
                        x.leaky_relu(-a)
                    }
                    _ => {
                        // A non-constant slope: relu(x) - a relu(-x), the same function.
                        let a = eval(&args[1], tape, lookup)?;
                        x.relu() - a * (-x).relu()
                    }
                },
            }
        }
    })
}
