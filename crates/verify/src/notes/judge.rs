//! The one judge: turns what the engine measured for a claim into a verdict, by the claim's
//! tolerance rule. It knows nothing of any particular claim.

use super::claims::NoteSays;
use crate::verdict::{judge_number, NoteArithmetic, Printed, Verdict};

/// A measured figure, quoted by name in the report's sentences.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Fact {
    /// A number.
    Num(f64),
    /// Words or a list, as printed.
    Text(String),
    /// An observation that is true or false.
    Flag(bool),
}

/// Named figures, in the order they were recorded.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Facts(Vec<(String, Fact)>);

impl Facts {
    /// Records (or replaces) a figure.
    pub(crate) fn set(&mut self, name: impl Into<String>, fact: Fact) {
        let name = name.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, f)) => *f = fact,
            None => self.0.push((name, fact)),
        }
    }

    pub(crate) fn num(mut self, name: &str, v: f64) -> Self {
        self.set(name, Fact::Num(v));
        self
    }

    pub(crate) fn text(mut self, name: &str, v: impl Into<String>) -> Self {
        self.set(name, Fact::Text(v.into()));
        self
    }

    pub(crate) fn flag(mut self, name: &str, v: bool) -> Self {
        self.set(name, Fact::Flag(v));
        self
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Fact> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }

    /// A number by name; a missing or non-numeric figure is a bug in the claim table.
    pub(crate) fn number(&self, name: &str) -> f64 {
        match self.get(name) {
            Some(Fact::Num(v)) => *v,
            other => panic!("the claim table asks for a number {name:?}, the measurement has {other:?}"),
        }
    }

    #[cfg(test)]
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut (String, Fact)> {
        self.0.iter_mut()
    }
}

/// One point where the note's formula and the engine were both evaluated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sample {
    /// Where (the input, or the quantity that tells the regions apart).
    pub at: f64,
    /// Which region of the measurement's `regions` the point lies in.
    pub region: usize,
    /// The engine's value.
    pub engine: f64,
    /// The note's formula's value.
    pub claim: f64,
}

/// What the engine measured for one claim.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Evidence {
    /// Figures the rule and the sentences read by name.
    pub facts: Facts,
    /// Points compared (for [`Rule::EveryPoint`]).
    pub samples: Vec<Sample>,
    /// Names of the regions the samples fall in (e.g. where the relu is active).
    pub regions: &'static [&'static str],
    /// The engine's value of a number the note printed (for [`Rule::Printed`]).
    pub value: Option<f64>,
}

/// How two figures are compared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    /// The figure is a flag that is true (the right-hand side is ignored).
    IsTrue,
}

/// The right-hand side of a comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Rhs {
    Value(f64),
    Fact(&'static str),
}

/// One condition on the measured figures. Conditions sharing a name are one observation
/// (all of them must hold), which the sentences can quote by that name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cond {
    pub name: &'static str,
    pub fact: &'static str,
    pub op: Op,
    pub rhs: Rhs,
}

impl Cond {
    pub(crate) const fn new(name: &'static str, fact: &'static str, op: Op, value: f64) -> Self {
        Cond {
            name,
            fact,
            op,
            rhs: Rhs::Value(value),
        }
    }

    pub(crate) const fn vs(name: &'static str, fact: &'static str, op: Op, other: &'static str) -> Self {
        Cond {
            name,
            fact,
            op,
            rhs: Rhs::Fact(other),
        }
    }

    pub(crate) const fn flag(name: &'static str, fact: &'static str) -> Self {
        Cond {
            name,
            fact,
            op: Op::IsTrue,
            rhs: Rhs::Value(0.0),
        }
    }

    fn holds(&self, facts: &Facts) -> bool {
        if self.op == Op::IsTrue {
            return match facts.get(self.fact) {
                Some(Fact::Flag(b)) => *b,
                other => panic!(
                    "the claim table asks for a flag {:?}, the measurement has {other:?}",
                    self.fact
                ),
            };
        }
        let a = facts.number(self.fact);
        let b = match self.rhs {
            Rhs::Value(v) => v,
            Rhs::Fact(n) => facts.number(n),
        };
        match self.op {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::IsTrue => unreachable!("handled above"),
        }
    }
}

/// A claim's tolerance rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Rule {
    /// A number the note printed: it holds if the engine's exact value rounds to it, holds
    /// within rounding if the note's own rounded intermediates allow the difference, and
    /// otherwise does not hold ([`judge_number`]).
    Printed,
    /// The note's formula against the engine at every sample, to a relative tolerance: holds
    /// at all, holds partly at some, does not hold at none.
    EveryPoint { rel: f64 },
    /// Every condition on the measured figures holds; otherwise it does not hold.
    All(&'static [Cond]),
}

/// A verdict and every figure the sentences may quote: the measured ones plus what the
/// judge derived (counts, first disagreements, each condition's outcome).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Judged {
    pub verdict: Verdict,
    pub facts: Facts,
}

/// `a` and `b` agree to a relative tolerance (absolute near zero).
pub(crate) fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * (1.0 + a.abs().max(b.abs()))
}

/// The judge: the same for every claim.
pub(crate) fn judge(rule: &Rule, note: &NoteSays, evidence: &Evidence) -> Judged {
    let mut facts = evidence.facts.clone();
    let verdict = match rule {
        Rule::Printed => {
            let (printed, arithmetic) = match note {
                NoteSays::Number { printed, arithmetic } => (printed, arithmetic),
                NoteSays::Text(_) => panic!("a printed-number rule needs the note's number"),
            };
            let value = evidence
                .value
                .expect("a printed-number rule needs the engine's value");
            let arith = arithmetic.map(|(formula, inputs)| NoteArithmetic {
                formula: formula.into(),
                // `~0.731` is an intermediate the note rounded; a plain value is a given.
                inputs: inputs
                    .iter()
                    .map(|(n, v)| match v.strip_prefix('~') {
                        Some(r) => (n.to_string(), r.to_string(), true),
                        None => (n.to_string(), v.to_string(), false),
                    })
                    .collect(),
            });
            let j = judge_number(&Printed::new(printed), value, arith.as_ref());
            facts.set("value", Fact::Num(value));
            facts.set("judgement", Fact::Text(j.detail));
            j.verdict
        }
        Rule::EveryPoint { rel } => every_point(*rel, evidence, &mut facts),
        Rule::All(conds) => {
            let mut all = true;
            for c in conds.iter() {
                let ok = c.holds(&facts);
                all &= ok;
                let before = matches!(facts.get(c.name), Some(Fact::Flag(true)) | None);
                facts.set(c.name, Fact::Flag(before && ok));
            }
            if all {
                Verdict::Holds
            } else {
                Verdict::DoesNotHold
            }
        }
    };
    Judged { verdict, facts }
}

/// Counts agreement over all samples and per region, and records the first disagreement.
fn every_point(rel: f64, evidence: &Evidence, facts: &mut Facts) -> Verdict {
    let s = &evidence.samples;
    let ok = s.iter().filter(|p| close(p.engine, p.claim, rel)).count();
    let record = |facts: &mut Facts, prefix: &str, points: &[&Sample]| {
        let good = points.iter().filter(|p| close(p.engine, p.claim, rel)).count();
        facts.set(format!("{prefix}n"), Fact::Num(points.len() as f64));
        facts.set(format!("{prefix}agree"), Fact::Num(good as f64));
        facts.set(format!("{prefix}bad"), Fact::Num((points.len() - good) as f64));
        facts.set(format!("{prefix}all"), Fact::Flag(good == points.len()));
        let first = points.iter().find(|p| !close(p.engine, p.claim, rel));
        facts.set(format!("{prefix}failed"), Fact::Flag(first.is_some()));
        if let Some(p) = first {
            facts.set(format!("{prefix}first_at"), Fact::Num(p.at));
            facts.set(format!("{prefix}first_claim"), Fact::Num(p.claim));
            facts.set(format!("{prefix}first_engine"), Fact::Num(p.engine));
        }
    };
    let all: Vec<&Sample> = s.iter().collect();
    record(facts, "", &all);
    for (r, name) in evidence.regions.iter().enumerate() {
        let points: Vec<&Sample> = s.iter().filter(|p| p.region == r).collect();
        record(facts, &format!("{name}."), &points);
    }
    let at = s.iter().map(|p| p.at);
    facts.set("lo", Fact::Num(at.clone().fold(f64::INFINITY, f64::min)));
    facts.set("hi", Fact::Num(at.fold(f64::NEG_INFINITY, f64::max)));
    facts.set("tol", Fact::Num(rel));
    if ok == s.len() {
        Verdict::Holds
    } else if ok == 0 {
        Verdict::DoesNotHold
    } else {
        Verdict::HoldsPartly
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(pairs: &[(f64, f64)]) -> Evidence {
        Evidence {
            samples: pairs
                .iter()
                .enumerate()
                .map(|(k, &(engine, claim))| Sample {
                    at: k as f64,
                    region: 0,
                    engine,
                    claim,
                })
                .collect(),
            regions: &["r"],
            ..Default::default()
        }
    }

    #[test]
    fn every_point_counts_and_finds_the_first_disagreement() {
        let rule = Rule::EveryPoint { rel: 1e-12 };
        let note = NoteSays::Text("f");
        let j = judge(
            &rule,
            &note,
            &samples(&[(1.0, 1.0), (2.0, 2.5), (3.0, 3.0), (4.0, 0.0)]),
        );
        assert_eq!(j.verdict, Verdict::HoldsPartly);
        assert_eq!(j.facts.number("agree"), 2.0);
        assert_eq!(j.facts.number("r.bad"), 2.0);
        assert_eq!(
            (
                j.facts.number("first_at"),
                j.facts.number("first_claim"),
                j.facts.number("first_engine")
            ),
            (1.0, 2.5, 2.0)
        );
        assert_eq!(
            judge(&rule, &note, &samples(&[(1.0, 1.0)])).verdict,
            Verdict::Holds
        );
        assert_eq!(
            judge(&rule, &note, &samples(&[(1.0, 1.1)])).verdict,
            Verdict::DoesNotHold
        );
        // The tolerance is relative: 1e-13 off at 1e3 agrees, 1e-9 off at 1 does not.
        assert_eq!(
            judge(&rule, &note, &samples(&[(1e3, 1e3 + 1e-10)])).verdict,
            Verdict::Holds
        );
        assert_eq!(
            judge(&rule, &note, &samples(&[(1.0, 1.0 + 1e-9)])).verdict,
            Verdict::DoesNotHold
        );
    }

    #[test]
    fn conditions_with_one_name_are_one_observation() {
        const CONDS: &[Cond] = &[
            Cond::new("dead", "a", Op::Lt, 0.0),
            Cond::vs("dead", "b", Op::Eq, "a"),
            Cond::flag("moves", "m"),
        ];
        let ev = |a: f64, b: f64, m: bool| Evidence {
            facts: Facts::default().num("a", a).num("b", b).flag("m", m),
            ..Default::default()
        };
        let note = NoteSays::Text("x");
        let j = judge(&Rule::All(CONDS), &note, &ev(-1.0, -1.0, true));
        assert_eq!(j.verdict, Verdict::Holds);
        assert_eq!(j.facts.get("dead"), Some(&Fact::Flag(true)));
        let j = judge(&Rule::All(CONDS), &note, &ev(-1.0, -2.0, true));
        assert_eq!(j.verdict, Verdict::DoesNotHold);
        assert_eq!(j.facts.get("dead"), Some(&Fact::Flag(false)));
        assert_eq!(j.facts.get("moves"), Some(&Fact::Flag(true)));
        assert_eq!(
            judge(&Rule::All(CONDS), &note, &ev(-1.0, -1.0, false)).verdict,
            Verdict::DoesNotHold
        );
    }

    #[test]
    fn a_printed_number_is_judged_against_the_engine_value() {
        let note = NoteSays::Number {
            printed: "0.731",
            arithmetic: None,
        };
        let ev = |v: f64| Evidence {
            value: Some(v),
            ..Default::default()
        };
        assert_eq!(
            judge(&Rule::Printed, &note, &ev(0.7310585786)).verdict,
            Verdict::Holds
        );
        let j = judge(&Rule::Printed, &note, &ev(0.74));
        assert_eq!(j.verdict, Verdict::DoesNotHold);
        assert_eq!(
            j.facts.get("judgement"),
            Some(&Fact::Text(
                "off by -0.009000 (-9.000e-3); the right value is 0.74".into()
            ))
        );
    }
}
