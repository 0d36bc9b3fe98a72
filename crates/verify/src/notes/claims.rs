//! What a claim of the note is, as data: the note's own words (a verbatim excerpt of the
//! Chinese original and the English rendering), the note's value or formula, how the engine
//! computes it, the tolerance rule, and the sentences for each outcome. The claims themselves
//! are in `table_concepts` and `table_example`, in the note's order.

use super::judge::{Cond, Rule};
use super::render::Say;
use super::{table_concepts as concepts, table_example as example};
use nn::Activation;

/// The study note as shipped, relative to the repository root.
pub const ORIGINAL: &str = "docs/study-note/000_04882f48f226a738.txt";

/// The note's value or formula, as the report quotes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum NoteSays {
    /// A statement or formula (a template: it may quote measured figures, such as the name
    /// of the derivative the checker parsed).
    Text(&'static str),
    /// A number as printed, with the note's arithmetic for it if it shows one: the formula in
    /// `check`'s language and its inputs as the note used them (`~0.731` marks an
    /// intermediate the note rounded; a plain value is a given).
    Number {
        printed: &'static str,
        arithmetic: Option<(&'static str, &'static [(&'static str, &'static str)])>,
    },
}

/// One of the two forward passes of the note's worked example.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    /// With the note's initial values.
    First,
    /// After the note's SGD step.
    Second,
}

/// A value of the worked example, from the engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Quantity {
    /// The hidden neuron's output `a11`.
    A11(Pass),
    /// The output neuron's output `a21` (= `y`).
    A21(Pass),
    /// The gradient of the loss for a parameter, by its name in the network.
    Grad(&'static str),
    /// A parameter after the SGD step, by name.
    Updated(&'static str),
}

/// A formula of the note in `z` (and `y`, the engine's activation value, and `a`, the
/// leaky slope), in `check`'s language.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Formula {
    /// One expression.
    Expr(&'static str),
    /// `above` where `z > 0`, `below` where `z <= 0`.
    Piecewise {
        above: &'static str,
        below: &'static str,
    },
}

/// How the engine computes what a claim is about (implemented in `measure`, `network` and
/// `derivative`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Measure {
    /// The digits data's classes and a classifier's outputs.
    DigitClasses,
    /// nn's `Neuron` with this activation against `h(w x + b)` written out.
    NeuronFormula(Activation),
    /// The Hessian of a 3-4-4-1 network with and without activations.
    LayersLinear,
    /// An activation (its value, or its slope) against the note's formula at points spread
    /// over `[-range, range]`.
    Activation {
        f: Activation,
        slope: bool,
        range: f64,
        formula: Formula,
    },
    /// Sigmoid's smallest and largest value over `[-30, 30]`.
    SigmoidRange,
    /// Sigmoid's largest slope and the gradient through ten stacked sigmoids.
    SigmoidVanishing,
    /// Tanh's smallest and largest value over `[-30, 30]`.
    TanhRange,
    /// The gradient through ten stacked ReLUs at 0.7.
    ReluChain,
    /// One neuron trained with a large and a small learning rate, ReLU and LeakyReLU.
    DeadRelu,
    /// Softmax against `e^{z_i} / sum_j e^{z_j}`.
    Softmax,
    /// Softmax's outputs: their range and sum.
    SoftmaxRange,
    /// `y_i (1 - y_i)` against every entry of softmax's Jacobian (0 off the diagonal).
    SoftmaxJacobian,
    /// A value of the worked example.
    Value(Quantity),
    /// The two-input figure's formulas against nn's 2-2-1 `Mlp`.
    TwoInputFigure,
    /// nn's `mse_half` against the note's formula.
    Mse,
    /// nn's `bce_with_logits` against the note's formula.
    Bce,
    /// `chainrule check` of a claimed derivative of a system.
    Derivative {
        system: &'static str,
        wrt: &'static str,
        claim: &'static str,
    },
    /// The output relu's pre-activation and slope in the worked example.
    ReluActive,
    /// The note's gradient formula for a parameter against the engine's gradient over a grid
    /// of parameter values, split by whether the relu is active.
    GradientFormula {
        param: &'static str,
        formula: &'static str,
    },
    /// Distances to the label before and after the step, and where the note's two printed
    /// outputs would stand.
    Closer { own: &'static str, stated: &'static str },
}

/// One claim of the note.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Claim {
    /// The claim in English (the project's rendering).
    pub en: &'static str,
    /// The note's own words: excerpts of the original, verbatim.
    pub zh: &'static [&'static str],
    /// What the excerpt leaves implicit (e.g. `a = 0.01`), or empty.
    pub zh_aside: &'static str,
    /// The note's value or formula.
    pub note: NoteSays,
    /// How the engine computes it.
    pub measure: Measure,
    /// How the measurement becomes a verdict.
    pub rule: Rule,
    /// The engine line, by outcome.
    pub engine: Say,
    /// The explanation, by outcome.
    pub detail: Say,
}

/// A section of the note with its claims.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SectionSpec {
    pub title: &'static str,
    /// The title in Chinese (the note's own heading where it has one).
    pub title_zh: &'static str,
    pub claims: &'static [Claim],
}

/// Every section, in the note's order.
pub(crate) const SECTIONS: &[SectionSpec] = &[
    concepts::STRUCTURE,
    concepts::ACTIVATIONS,
    example::FORWARD,
    concepts::LOSSES,
    concepts::CHAIN_RULE,
    example::BACKPROP,
    example::UPDATE,
    example::SECOND_FORWARD,
    example::CLOSING,
];

/// Tolerance of formula-against-engine comparisons.
pub(crate) const EVERY_POINT: Rule = Rule::EveryPoint { rel: 1e-12 };

/// The engine line of a formula compared at points.
pub(crate) const AT_POINTS: Say = Say {
    holds: "equal at all {=n} points in [{=lo}, {=hi}] (to {=tol:.0e})",
    partly: "differs at {=bad} of {=n} points",
    fails: "differs at {=bad} of {=n} points",
};

/// The explanation of a formula compared at points.
pub(crate) const AT_POINTS_WHY: Say = Say {
    holds: "the note's formula and the engine agree everywhere tested",
    partly: "first difference at z = {=first_at}: note {=first_claim}, engine {=first_engine}",
    fails: "first difference at z = {=first_at}: note {=first_claim}, engine {=first_engine}",
};

/// A claim that an activation (or its slope) is the note's formula; the note's words are
/// the excerpt and what it leaves implicit.
pub(crate) const fn activation(
    en: &'static str,
    (zh, zh_aside): (&'static [&'static str], &'static str),
    note: &'static str,
    f: Activation,
    slope: bool,
    range: f64,
    formula: Formula,
) -> Claim {
    Claim {
        en,
        zh,
        zh_aside,
        note: NoteSays::Text(note),
        measure: Measure::Activation {
            f,
            slope,
            range,
            formula,
        },
        rule: EVERY_POINT,
        engine: AT_POINTS,
        detail: AT_POINTS_WHY,
    }
}

/// A number the note printed, judged against the engine's value of `q`.
pub(crate) const fn number(
    en: &'static str,
    zh: &'static [&'static str],
    printed: &'static str,
    arithmetic: Option<(&'static str, &'static [(&'static str, &'static str)])>,
    q: Quantity,
) -> Claim {
    Claim {
        en,
        zh,
        zh_aside: "",
        note: NoteSays::Number { printed, arithmetic },
        measure: Measure::Value(q),
        rule: Rule::Printed,
        engine: Say::same("{=value}"),
        // judge_number's own sentence, which it chose by the outcome.
        detail: Say::same("{=judgement}"),
    }
}

/// The note's derivative `claim` of `system` with respect to `wrt`, by `chainrule check`.
pub(crate) const fn derivative(
    en: &'static str,
    zh: &'static [&'static str],
    zh_aside: &'static str,
    system: &'static str,
    wrt: &'static str,
    claim: &'static str,
) -> Claim {
    Claim {
        en,
        zh,
        zh_aside,
        note: NoteSays::Text("{=derivative} = {=claim}"),
        measure: Measure::Derivative { system, wrt, claim },
        rule: Rule::All(AGREES),
        engine: Say::by(
            "agrees at {=checked} points{=exact}",
            "first counterexample {=point}: claim {=at_claim}, engine {=at_engine}, difference {=at_difference}{=exact}",
        ),
        detail: Say::by("({=system})", "the claim is wrong{=diff}; ({=system})"),
    }
}

/// A derivative holds where the checker found no counterexample.
const AGREES: &[Cond] = &[Cond::flag("agrees", "agrees")];

/// The note's gradient formula for `param`, over many parameter values.
pub(crate) const fn gradient_formula(
    en: &'static str,
    zh: &'static [&'static str],
    note: &'static str,
    param: &'static str,
    formula: &'static str,
) -> Claim {
    Claim {
        en,
        zh,
        zh_aside: "在许多参数值上",
        note: NoteSays::Text(note),
        measure: Measure::GradientFormula { param, formula },
        rule: EVERY_POINT,
        engine: Say::same("{=agree} of {=n} points agree"),
        detail: Say {
            holds: "holds at all {=n} parameter points",
            partly: GRADIENT_SPLIT,
            fails: GRADIENT_SPLIT,
        },
    }
}

const GRADIENT_SPLIT: &str = "holds at {=active.agree} of {=active.n} parameter points where the relu is active \
     (a11 w21 + b2 > 0), and at {=inactive.agree} of {=inactive.n} where it is not: there relu' = 0 and the true \
     gradient is 0{?inactive.failed} (e.g. pre-activation {=inactive.first_at}: formula {=inactive.first_claim}, \
     engine {=inactive.first_engine}){:}{/}";
