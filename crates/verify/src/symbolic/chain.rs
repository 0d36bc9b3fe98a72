//! A system's derivatives, symbolically: each definition's local derivatives (`dz/du = 2*u`),
//! the paths of the chain rule from the output down to a variable (counted node by node with
//! a saturating count and listed up to the same bounds as `trace`), the derivative in the
//! intermediate names (forward accumulation over the definitions) and in the inputs.

use super::diff::{diff, Budget};
use super::simplify::{add, call, mul, num, pow};
use super::tree::{from_expr, substitute, Sym};
use super::TooLarge;
use crate::system::System;
use crate::trace::{MAX_LISTED_STEPS, MAX_PATHS};
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};

/// One step of a path: `d from / d to` and its symbolic value.
#[derive(Clone, Debug, PartialEq)]
pub struct Local {
    /// The upper name.
    pub from: String,
    /// The lower name (an intermediate or the variable).
    pub to: String,
    /// `d from / d to`, in the names of `from`'s definition.
    pub derivative: String,
}

/// The chain rule for one variable, written out.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// The paths listed, each the indices of its steps in `locals`, from the output down.
    pub paths: Vec<Vec<usize>>,
    /// The paths in all (`usize::MAX` when there are at least that many).
    pub path_count: usize,
    /// The local derivatives of the listed paths, each once, in order of first use.
    pub locals: Vec<Local>,
    /// The listed paths' products with each local derivative written in (`2*u*(-1)*4 + ...`),
    /// when every path is listed.
    pub substituted: Option<String>,
}

/// A branch waiting in the walk over paths: the name reached, the step that reached it, and
/// the path's length before that step.
type Waiting<'a> = (&'a str, Option<(&'a str, &'a str)>, usize);

/// The system's definitions as trees, restricted to those the output depends on.
pub(crate) struct Model {
    pub(crate) inputs: Vec<String>,
    /// Each definition in the names it uses, simplified, in dependency order.
    rhs: IndexMap<String, Sym>,
    /// A definition's tree -> its name, for writing results in the intermediate names.
    named: HashMap<Sym, String>,
    pub(crate) budget: Budget,
}

impl Model {
    /// The definitions `of` depends on (and `of`), as trees. The system has been validated
    /// (no cycle, `of` defined).
    pub(crate) fn new(system: &System, of: &str) -> Result<Self, TooLarge> {
        let order = system.order().unwrap_or_default();
        let mut needed: HashSet<&str> = HashSet::from([of]);
        for name in order.iter().rev() {
            if needed.contains(name) {
                let def = system.get(name).expect("an ordered name is defined");
                needed.extend(def.expr.names().into_iter().map(|(n, _)| n));
            }
        }
        let budget = Budget::new();
        let mut rhs = IndexMap::new();
        let mut named = HashMap::new();
        for name in order.into_iter().filter(|n| needed.contains(n)) {
            let defined = |n: &str| system.get(n).is_some();
            let s = budget.admit(from_expr(&system.get(name).expect("defined").expr, &defined))?;
            if !matches!(s, Sym::Num(_) | Sym::Name(_) | Sym::Def(_)) {
                named.entry(s.clone()).or_insert_with(|| name.to_string());
            }
            rhs.insert(name.to_string(), s);
        }
        Ok(Self {
            inputs: system.inputs(),
            rhs,
            named,
            budget,
        })
    }

    /// `s` with every sub-tree that is a definition's right-hand side written as its name
    /// (`sigmoid(z)*(1 - sigmoid(z))` becomes `s*(1 - s)` for `s = sigmoid(z)`).
    pub(crate) fn rename(&self, s: &Sym) -> Sym {
        let rebuilt = match s {
            Sym::Num(_) | Sym::Name(_) | Sym::Def(_) => s.clone(),
            Sym::Add(v) => add(v.iter().map(|t| self.rename(t)).collect()),
            Sym::Mul(v) => mul(v.iter().map(|t| self.rename(t)).collect()),
            Sym::Pow(b, e) => pow(self.rename(b), self.rename(e)),
            Sym::Call(f, v) => call(*f, v.iter().map(|t| self.rename(t)).collect()),
        };
        match self.named.get(&rebuilt) {
            Some(n) => Sym::Def(n.clone()),
            None => rebuilt,
        }
    }

    /// `d def / d name`, in the definition's names.
    pub(crate) fn local(&self, def: &str, name: &str) -> Result<Sym, TooLarge> {
        let d = diff(&self.rhs[def], name, &self.budget)?;
        Ok(self.rename(&d))
    }

    /// The output in the inputs: every definition substituted into the next.
    pub(crate) fn in_inputs(&self, of: &str) -> Result<Sym, TooLarge> {
        let mut value: HashMap<&str, Sym> = HashMap::new();
        for (name, s) in &self.rhs {
            let v = self.budget.admit(substitute(s, &|n| value.get(n).cloned()))?;
            value.insert(name, v);
        }
        Ok(value.remove(of).expect("the output is a definition"))
    }

    /// `d e / d w` in the intermediate names, where `first` holds each definition's first
    /// derivative in `w` (in names): the sum over the names `e` uses of `de/dn * dn/dw`.
    pub(crate) fn total(&self, e: &Sym, w: &str, first: &IndexMap<String, Sym>) -> Result<Sym, TooLarge> {
        let mut terms = Vec::new();
        for n in e.names() {
            let dn = match first.get(n) {
                Some(d) => d.clone(),
                None => num(if n == w { 1.0 } else { 0.0 }),
            };
            if matches!(dn, Sym::Num(z) if z == 0.0) {
                continue;
            }
            let partial = diff(e, n, &self.budget)?;
            terms.push(mul(vec![partial, dn]));
        }
        let d = self.rename(&add(terms));
        self.budget.admit(d)
    }

    /// Every definition's first derivative in `w`, in the intermediate names, in dependency
    /// order (forward accumulation: the sum over paths without listing them).
    pub(crate) fn first(&self, w: &str) -> Result<IndexMap<String, Sym>, TooLarge> {
        let mut first: IndexMap<String, Sym> = IndexMap::new();
        for (name, s) in &self.rhs {
            let d = self.total(s, w, &first)?;
            first.insert(name.clone(), d);
        }
        Ok(first)
    }

    /// The chain rule from `of` down to `w`, written out.
    pub(crate) fn chain(&self, of: &str, w: &str) -> Result<Chain, TooLarge> {
        // The edges def -> name that lead to w, and how many paths run from each name to w
        // (saturating: 10,000 doubling definitions have 2^10000).
        let mut count: HashMap<&str, usize> = HashMap::from([(w, 1)]);
        let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, s) in &self.rhs {
            let down: Vec<&str> = s.names().into_iter().filter(|n| count.contains_key(n)).collect();
            if !down.is_empty() {
                let c = down.iter().fold(0usize, |c, n| c.saturating_add(count[n]));
                count.insert(name, c);
                edges.insert(name, down);
            }
        }
        let path_count = count.get(of).copied().unwrap_or(0);
        // The first paths, depth first, one shared path cut back on backtracking (as trace).
        let mut paths: Vec<Vec<(&str, &str)>> = Vec::new();
        let mut steps = 0usize;
        let mut path: Vec<(&str, &str)> = Vec::new();
        let mut work: Vec<Waiting<'_>> = vec![(of, None, 0)];
        while let Some((at, step, depth)) = work.pop() {
            path.truncate(depth);
            path.extend(step);
            if at == w {
                if paths.len() == MAX_PATHS || steps + path.len() > MAX_LISTED_STEPS {
                    break;
                }
                steps += path.len();
                paths.push(path.clone());
                continue;
            }
            for n in edges.get(at).into_iter().flatten().rev() {
                work.push((n, Some((at, n)), path.len()));
            }
        }
        let mut locals: Vec<Local> = Vec::new();
        let mut trees: Vec<Sym> = Vec::new();
        let mut indexed = Vec::new();
        for p in &paths {
            let mut idx = Vec::new();
            for &(from, to) in p {
                let i = match locals.iter().position(|l| l.from == from && l.to == to) {
                    Some(i) => i,
                    None => {
                        let d = self.local(from, to)?;
                        locals.push(Local {
                            from: from.to_string(),
                            to: to.to_string(),
                            derivative: self.print(&d),
                        });
                        trees.push(d);
                        locals.len() - 1
                    }
                };
                idx.push(i);
            }
            indexed.push(idx);
        }
        let substituted = (paths.len() == path_count && path_count > 0).then(|| {
            indexed
                .iter()
                .map(|p| {
                    if let [i] = p[..] {
                        return self.print(&trees[i]);
                    }
                    let fs: Vec<String> = p
                        .iter()
                        .map(|&i| super::print::factor(&trees[i], &self.inputs))
                        .collect();
                    fs.join("*")
                })
                .collect::<Vec<_>>()
                .join(" + ")
        });
        Ok(Chain {
            paths: indexed,
            path_count,
            locals,
            substituted,
        })
    }

    /// Prints with this system's inputs ordering the terms.
    pub(crate) fn print(&self, s: &Sym) -> String {
        super::print::print(s, &self.inputs)
    }
}
