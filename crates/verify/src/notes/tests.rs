//! The claim table, the judge and the renderer together: every explanation is chosen by the
//! computed outcome, so changing a claim's value (or what the engine measured) until the
//! outcome flips flips the sentence too.

use super::claims::{Claim, Formula, Measure, NoteSays, SECTIONS};
use super::judge::{judge, Evidence, Fact, Rule};
use super::network::Context;
use super::{item, measure, Item};
use crate::verdict::Verdict;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn all_claims() -> impl Iterator<Item = &'static Claim> {
    SECTIONS.iter().flat_map(|s| s.claims.iter())
}

/// The claim with this English wording.
fn claim(en: &str) -> Claim {
    *all_claims()
        .find(|c| c.en == en)
        .unwrap_or_else(|| panic!("no claim {en:?}"))
}

fn assess_with(c: &Claim, evidence: &Evidence) -> Item {
    item(c, &judge(&c.rule, &c.note, evidence))
}

fn assess(c: &Claim, ctx: &Context) -> Item {
    assess_with(c, &measure::measure(&c.measure, ctx))
}

/// The claim with its value or formula deliberately wrong (off by 1 or by one in the first
/// printed digit), where the claim has a value of its own; `None` for claims about
/// properties (ranges, comparisons), which `spoil_evidence` handles.
fn wrong_value(c: &Claim) -> Option<Claim> {
    let mut w = *c;
    match (&c.note, &c.measure) {
        (NoteSays::Number { printed, arithmetic }, _) => {
            let v: f64 = printed.parse().unwrap();
            w.note = NoteSays::Number {
                printed: leak(format!("{}", v + 1.0)),
                arithmetic: *arithmetic,
            };
        }
        (_, Measure::Derivative { system, wrt, claim }) => {
            w.measure = Measure::Derivative {
                system,
                wrt,
                claim: leak(format!("{claim} + 1")),
            }
        }
        (_, Measure::GradientFormula { param, formula }) => {
            w.measure = Measure::GradientFormula {
                param,
                formula: leak(format!("{formula} + 1")),
            }
        }
        (
            _,
            Measure::Activation {
                f,
                slope,
                range,
                formula,
            },
        ) => {
            let plus = |s: &str| leak(format!("({s}) + 1"));
            w.measure = Measure::Activation {
                f: *f,
                slope: *slope,
                range: *range,
                formula: match formula {
                    Formula::Expr(s) => Formula::Expr(plus(s)),
                    Formula::Piecewise { above, below } => Formula::Piecewise {
                        above: plus(above),
                        below: plus(below),
                    },
                },
            }
        }
        _ => return None,
    }
    Some(w)
}

/// What the engine measured, spoiled so that no condition of the claim's rule can hold:
/// numbers the rule compares become NaN and its flags false; compared points disagree.
fn spoil_evidence(c: &Claim, e: &Evidence) -> Evidence {
    let mut e = e.clone();
    match c.rule {
        Rule::All(conds) => {
            for cond in conds {
                for (name, fact) in e.facts.iter_mut() {
                    if *name == cond.fact {
                        *fact = match fact {
                            Fact::Num(_) => Fact::Num(f64::NAN),
                            Fact::Flag(_) => Fact::Flag(false),
                            Fact::Text(t) => Fact::Text(t.clone()),
                        };
                    }
                }
            }
        }
        Rule::EveryPoint { .. } => e.samples.iter_mut().for_each(|s| s.claim = s.engine + 1.0),
        Rule::Printed => e.value = e.value.map(|v| v + 1.0),
    }
    e
}

#[test]
fn every_claim_s_sentences_flip_with_its_outcome() {
    let ctx = Context::default();
    let mut flipped = 0;
    for c in all_claims() {
        let before = assess(c, &ctx);
        if before.verdict == Verdict::DoesNotHold {
            continue;
        }
        let after = match wrong_value(c) {
            Some(w) => assess(&w, &ctx),
            None => assess_with(c, &spoil_evidence(c, &measure::measure(&c.measure, &ctx))),
        };
        assert_eq!(after.verdict, Verdict::DoesNotHold, "{}: {after:?}", c.en);
        assert_ne!(
            after.detail, before.detail,
            "{}: the explanation did not change",
            c.en
        );
        // The explanation for the outcome that no longer holds is not printed.
        if c.detail.pick(&before.verdict) != c.detail.pick(&after.verdict) {
            let fixed_words = c.detail.pick(&before.verdict).split('{').next().unwrap();
            assert!(
                fixed_words.is_empty() || !after.detail.starts_with(fixed_words),
                "{}: {:?} is still printed: {}",
                c.en,
                fixed_words,
                after.detail
            );
        }
        flipped += 1;
    }
    assert!(flipped >= 50, "only {flipped} claims were flipped");
}

#[test]
fn every_explanation_has_words_for_each_outcome() {
    for c in all_claims() {
        if c.rule == Rule::Printed {
            // judge_number words its own sentence by outcome (see verdict.rs).
            assert_eq!(c.detail.holds, "{=judgement}");
            continue;
        }
        assert_ne!(
            c.detail.holds, c.detail.fails,
            "{}: one sentence for both outcomes",
            c.en
        );
        if matches!(c.rule, Rule::EveryPoint { .. }) {
            assert_ne!(c.detail.holds, c.detail.partly, "{}", c.en);
        }
    }
}

#[test]
fn the_softmax_explanation_follows_the_jacobian() {
    let ctx = Context::default();
    let c = claim("softmax's derivative");
    let e = measure::measure(&c.measure, &ctx);
    let now = assess_with(&c, &e);
    // If the off-diagonal entries were what the note's formula implies (0), it would hold,
    // and the "diagonal only" explanation would be wrong.
    let mut zero_off = e.clone();
    for s in zero_off.samples.iter_mut().filter(|s| s.region == 1) {
        s.engine = 0.0;
    }
    let held = assess_with(&c, &zero_off);
    assert_eq!(held.verdict, Verdict::Holds, "{held:?}");
    assert!(!held.detail.contains("dy_i/dz_i only"), "{}", held.detail);
    assert!(!held.detail.contains("omits"), "{}", held.detail);
    // With the engine's Jacobian, the diagonal agrees and the rest does not.
    let diagonal_only = now.verdict == Verdict::HoldsPartly;
    assert_eq!(
        now.detail.starts_with("holds for dy_i/dz_i only"),
        diagonal_only,
        "{}",
        now.detail
    );
    let none = assess_with(&c, &spoil_evidence(&c, &e));
    assert!(
        none.detail.starts_with("y_i (1 - y_i) matches none of the"),
        "{}",
        none.detail
    );
}

#[test]
fn the_closing_explanation_follows_the_distances() {
    let ctx = Context::default();
    let c = claim("the new output is closer to the label 2 than 1.731");
    let e = measure::measure(&c.measure, &ctx);
    let now = assess_with(&c, &e);
    assert_eq!(
        now.detail.starts_with("true of the engine's y"),
        now.verdict == Verdict::Holds
    );
    // Had the step moved y away from the label, the sentence says so.
    let mut away = e.clone();
    for (name, f) in away.facts.iter_mut() {
        if name == "gap_after" {
            *f = Fact::Num(0.5);
        }
    }
    let moved_away = assess_with(&c, &away);
    assert_eq!(moved_away.verdict, Verdict::DoesNotHold);
    assert!(
        moved_away.detail.starts_with("not true of the engine's y"),
        "{}",
        moved_away.detail
    );
    assert!(!moved_away.detail.contains("true of the engine's y = 1.7744 (the"));
}

#[test]
fn a_wrong_claim_is_refuted_and_a_corrected_one_holds() {
    let ctx = Context::default();
    // The note's several-variables result, and the same with the engine's coefficient.
    let c = claim("several variables, in x");
    let mut right = c;
    if let Measure::Derivative { system, wrt, .. } = c.measure {
        right.measure = Measure::Derivative {
            system,
            wrt,
            claim: "192*x^2 + 416*x + 176",
        };
    }
    let (as_noted, corrected) = (assess(&c, &ctx), assess(&right, &ctx));
    assert_eq!(corrected.verdict, Verdict::Holds, "{corrected:?}");
    assert!(!corrected.detail.contains("wrong"), "{}", corrected.detail);
    assert_eq!(
        as_noted.detail.starts_with("the claim is wrong"),
        as_noted.verdict == Verdict::DoesNotHold
    );
    // A printed number: the note's 0.1775, and the value printed at the engine's 4 decimals.
    let c = claim("the final output");
    let mut right = c;
    right.note = NoteSays::Number {
        printed: "1.7744",
        arithmetic: None,
    };
    let corrected = assess(&right, &ctx);
    assert_eq!(corrected.verdict, Verdict::Holds, "{corrected:?}");
    assert!(
        corrected.detail.starts_with("the exact value"),
        "{}",
        corrected.detail
    );
    let as_noted = assess(&c, &ctx);
    assert_eq!(
        as_noted.detail.starts_with("off by"),
        as_noted.verdict == Verdict::DoesNotHold
    );
}
