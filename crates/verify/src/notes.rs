//! `chainrule notes`: every worked number and formula of the study note on fully connected
//! networks (`../shared/notes`, digest in its README), in the note's order, with the note's
//! claim, the engine's value and a verdict computed at run time.
//!
//! The claims are the note's own statements, copied as data; whether each holds is never
//! written down here: it is decided by the engine when the report runs.

use crate::check::{check, format_polynomial, CheckOptions, Polynomial};
use crate::expr::parse;
use crate::system::{eval, System};
use crate::verdict::{fmt, judge_number, round_to, NoteArithmetic, Printed, Verdict};
use autograd::{jacobian, Tape, Tensor, Var};
use nn::optim::{Optimizer, Sgd};
use nn::{Activation, Mlp, Module, Neuron, ParamStore};
use std::collections::HashMap;

/// One claim of the note and what the engine found.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What is claimed, in words.
    pub claim: String,
    /// The note's statement (number or formula) as written.
    pub note: String,
    /// What the engine computed.
    pub engine: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why: where it holds and where not, by how much, and the right value.
    pub detail: String,
}

/// One section of the note.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// The section's title (the note's order).
    pub title: String,
    /// Its claims.
    pub items: Vec<Item>,
}

/// The whole walk through the note.
#[derive(Clone, Debug, PartialEq)]
pub struct NotesReport {
    /// Sections in the note's order.
    pub sections: Vec<Section>,
}

/// Counts of the summary line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Claims checked.
    pub checked: usize,
    /// Held (exactly or within the note's rounding).
    pub held: usize,
    /// Held only for some entries or inputs.
    pub partly: usize,
    /// Did not hold.
    pub not_held: usize,
}

impl NotesReport {
    /// Counts of claims by verdict.
    pub fn summary(&self) -> Summary {
        let items = self.sections.iter().flat_map(|s| &s.items);
        let mut s = Summary {
            checked: 0,
            held: 0,
            partly: 0,
            not_held: 0,
        };
        for i in items {
            s.checked += 1;
            match i.verdict {
                Verdict::Holds | Verdict::HoldsWithinRounding => s.held += 1,
                Verdict::HoldsPartly => s.partly += 1,
                Verdict::DoesNotHold => s.not_held += 1,
            }
        }
        s
    }

    /// The report as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (k, s) in self.sections.iter().enumerate() {
            out.push_str(&format!("== {}. {} ==\n", k + 1, s.title));
            for i in &s.items {
                out.push_str(&format!("[{}] {}\n", i.verdict, i.claim));
                out.push_str(&format!("    note:   {}\n", i.note));
                out.push_str(&format!("    engine: {}\n", i.engine));
                out.push_str(&format!("    {}\n", i.detail));
            }
            out.push('\n');
        }
        let s = self.summary();
        out.push_str(&format!(
            "Summary: {} claims checked: {} hold, {} hold partly, {} do not hold.\n",
            s.checked, s.held, s.partly, s.not_held
        ));
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let s = self.summary();
        serde_json::json!({
            "sections": self.sections.iter().map(|sec| serde_json::json!({
                "title": sec.title,
                "items": sec.items.iter().map(|i| serde_json::json!({
                    "claim": i.claim,
                    "note": i.note,
                    "engine": i.engine,
                    "verdict": i.verdict.label(),
                    "detail": i.detail,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "summary": {"checked": s.checked, "held": s.held, "held_partly": s.partly, "not_held": s.not_held},
        })
    }
}

fn item(claim: &str, note: &str, engine: String, verdict: Verdict, detail: String) -> Item {
    Item {
        claim: claim.into(),
        note: note.into(),
        engine,
        verdict,
        detail,
    }
}

/// `f(z)` and `f'(z)` from the engine.
fn value_and_derivative(f: &dyn for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>, z: f64) -> (f64, f64) {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(z);
    let y = f(x);
    let d = y.backward()[x].item();
    (y.item(), d)
}

/// Evaluates a formula of the note (in `check`'s language) with the given names.
fn formula(src: &str, env: &[(&str, f64)]) -> f64 {
    let expr = parse(src).expect("the note's formulas parse");
    let tape = Tape::<f64>::new();
    let vars: HashMap<&str, Var<'_, f64>> = env.iter().map(|&(n, v)| (n, tape.scalar(v))).collect();
    eval(&expr, &tape, &|n| vars.get(n).copied())
        .expect("every name is given")
        .item()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

/// Points spread over `[-r, r]`, with 0 and the integers included.
fn spread(r: f64) -> Vec<f64> {
    (0..=40)
        .map(|i| -r + 2.0 * r * i as f64 / 40.0)
        .chain([0.123, -0.777, 1.5e-3, -2.5e-3])
        .collect()
}

/// Compares a claimed function of `z` with the engine's at many points; reports where they
/// differ, if anywhere.
fn compare_function(
    claim: &str,
    note: &str,
    points: &[f64],
    engine: impl Fn(f64) -> f64,
    claimed: impl Fn(f64) -> f64,
) -> Item {
    let mut worst: Option<(f64, f64, f64)> = None;
    let mut bad = 0;
    for &z in points {
        let (e, c) = (engine(z), claimed(z));
        if !close(e, c) {
            bad += 1;
            if worst.is_none() {
                worst = Some((z, c, e));
            }
        }
    }
    let n = points.len();
    let lo = points.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = points.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    match worst {
        None => item(
            claim,
            note,
            format!("equal at all {n} points in [{}, {}] (to 1e-12)", fmt(lo), fmt(hi)),
            Verdict::Holds,
            "the note's formula and the engine agree everywhere tested".into(),
        ),
        Some((z, c, e)) => item(
            claim,
            note,
            format!("differs at {bad} of {n} points"),
            if bad == n {
                Verdict::DoesNotHold
            } else {
                Verdict::HoldsPartly
            },
            format!(
                "first difference at z = {}: note {}, engine {}",
                fmt(z),
                fmt(c),
                fmt(e)
            ),
        ),
    }
}

/// The note's example network: one input, a sigmoid hidden neuron, a relu output neuron, built
/// with nn's `Neuron` (so the engine, not this file, knows the derivatives).
struct NoteNet {
    params: ParamStore<f64>,
    hidden: Neuron,
    output: Neuron,
}

/// Values of one forward and backward pass of the note's network.
struct Pass {
    a11: f64,
    z21: f64,
    a21: f64,
    loss: f64,
    /// Gradients in parameter order: hidden.weight (w11), hidden.bias (b1), output.weight
    /// (w21), output.bias (b2).
    grads: Vec<Option<Tensor<f64>>>,
}

impl NoteNet {
    fn new(w11: f64, b1: f64, w21: f64, b2: f64) -> Self {
        let mut params = ParamStore::new();
        let hidden = Neuron::new(&mut params, "hidden", 1, Activation::Sigmoid).expect("fresh names");
        let output = Neuron::new(&mut params, "output", 1, Activation::Relu).expect("fresh names");
        let mut net = Self {
            params,
            hidden,
            output,
        };
        net.set(w11, b1, w21, b2);
        net
    }

    fn set(&mut self, w11: f64, b1: f64, w21: f64, b2: f64) {
        let p = &mut self.params;
        p.set("hidden.weight", Tensor::from(vec![w11]))
            .expect("shape [1]");
        p.set("hidden.bias", Tensor::scalar(b1)).expect("a scalar");
        p.set("output.weight", Tensor::from(vec![w21]))
            .expect("shape [1]");
        p.set("output.bias", Tensor::scalar(b2)).expect("a scalar");
    }

    fn get(&self, name: &str) -> f64 {
        self.params
            .value(name)
            .expect("a parameter of the net")
            .as_slice()[0]
    }

    /// Forward with the note's loss `J = 1/2 (y - label)^2`, then backward.
    fn pass(&self, x1: f64, label: f64) -> Pass {
        let tape = Tape::<f64>::new();
        let p = self.params.bind(&tape);
        let x = tape.constant(Tensor::from(vec![x1]));
        let a11 = self.hidden.forward(&p, x);
        let z21 = (a11.reshape(&[1]) * p[self.output.parameters()[0]]).sum() + p[self.output.parameters()[1]];
        let a21 = self.output.forward(&p, a11.reshape(&[1]));
        let loss = nn::loss::mse_half(a21, tape.scalar(label)).expect("scalars");
        let g = loss.backward();
        Pass {
            a11: a11.item(),
            z21: z21.item(),
            a21: a21.item(),
            loss: loss.item(),
            grads: p.grads(g),
        }
    }
}

fn grad_of(p: &Pass, i: usize) -> f64 {
    p.grads[i].as_ref().expect("trainable").item()
}

fn number_item(claim: &str, note: &str, engine: f64, arithmetic: Option<(&str, &[(&str, &str)])>) -> Item {
    let printed = Printed::new(note);
    // A value written `~0.731` is an intermediate the note rounded; a plain one is a given.
    let arith = arithmetic.map(|(f, ins)| NoteArithmetic {
        formula: f.into(),
        inputs: ins
            .iter()
            .map(|(n, v)| match v.strip_prefix('~') {
                Some(r) => (n.to_string(), r.to_string(), true),
                None => (n.to_string(), v.to_string(), false),
            })
            .collect(),
    });
    let j = judge_number(&printed, engine, arith.as_ref());
    let note_text = match &arith {
        Some(a) => format!(
            "{} = {}   (with {})",
            a.formula,
            note,
            a.inputs
                .iter()
                .map(|(n, v, _)| format!("{n} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => note.to_string(),
    };
    item(claim, &note_text, fmt(engine), j.verdict, j.detail)
}

/// Runs every check. Takes a fraction of a second.
pub fn run() -> NotesReport {
    NotesReport {
        sections: vec![
            structure(),
            activations(),
            forward_example(),
            losses(),
            chain_rule(),
            backprop(),
            update(),
            second_forward(),
            closing(),
        ],
    }
}

fn structure() -> Section {
    let mut items = Vec::new();
    // Output neurons = classes: the digits data has 10 classes and a 64-h-10 network has 10
    // outputs.
    let digits = nn::data::digits::test::<f64>().expect("the embedded digits load");
    let mut distinct: Vec<usize> = digits.labels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let mut ps = ParamStore::<f64>::new();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let mlp = Mlp::new(
        &mut ps,
        "layers",
        &[64, 16, distinct.len()],
        &[Activation::Sigmoid, Activation::Softmax],
        &mut rng,
    )
    .expect("fresh names");
    let tape = Tape::<f64>::new();
    let out = mlp.forward(&ps.bind(&tape), tape.constant_from(&digits.select(&[0]).x));
    let outputs = out.shape()[1];
    items.push(item(
        "a digit classifier's output layer has one neuron per class",
        "10 output neurons (digits 0-9)",
        format!(
            "the digits data has {} classes; a 64-16-{} network gives {} outputs",
            distinct.len(),
            distinct.len(),
            outputs
        ),
        if distinct.len() == 10 && outputs == 10 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        format!("classes found in the data: {distinct:?}"),
    ));
    // a = h(w*x + b): identity h gives the linear model, sigmoid h the logistic model.
    let (w, b) = ([0.7, -1.3, 0.4], -0.2);
    let mut worst_linear: f64 = 0.0;
    let mut worst_logistic: f64 = 0.0;
    for k in 0..20 {
        let x = [0.3 * k as f64 - 2.0, 1.0 - 0.17 * k as f64, (k as f64).sin()];
        let lin = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b;
        for (act, worst, expect) in [
            (Activation::Identity, &mut worst_linear, lin),
            (
                Activation::Sigmoid,
                &mut worst_logistic,
                1.0 / (1.0 + (-lin).exp()),
            ),
        ] {
            let mut ps = ParamStore::<f64>::new();
            let n = Neuron::new(&mut ps, "n", 3, act).expect("fresh");
            ps.set("n.weight", Tensor::from(w.to_vec())).expect("[3]");
            ps.set("n.bias", Tensor::scalar(b)).expect("scalar");
            let tape = Tape::new();
            let a = n
                .forward(&ps.bind(&tape), tape.constant(Tensor::from(x.to_vec())))
                .item();
            *worst = worst.max((a - expect).abs());
        }
    }
    for (claim, note, worst) in [
        (
            "without h, a neuron is linear regression",
            "a = w*x + b",
            worst_linear,
        ),
        (
            "with h = sigmoid, a neuron is logistic regression",
            "a = sigmoid(w*x + b)",
            worst_logistic,
        ),
    ] {
        items.push(item(
            claim,
            note,
            format!("nn's Neuron vs the formula at 20 inputs: max difference {worst:.1e}"),
            if worst <= 1e-15 {
                Verdict::Holds
            } else {
                Verdict::DoesNotHold
            },
            "the neuron computes exactly this expression".into(),
        ));
    }
    // Without activations, stacked layers stay linear: the Hessian of the output is zero.
    let hess_norm = |act: Activation| {
        let mut ps = ParamStore::<f64>::new();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3);
        let mlp = Mlp::new(
            &mut ps,
            "l",
            &[3, 4, 4, 1],
            &[act, act, Activation::Identity],
            &mut rng,
        )
        .expect("fresh");
        let h = autograd::hessian(
            |x| {
                let tape = x.tape();
                mlp.forward(&ps.bind(tape), x).sum()
            },
            &Tensor::from(vec![0.3, -0.8, 1.1]),
        )
        .expect("a scalar output");
        h.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()))
    };
    let (lin, sig) = (hess_norm(Activation::Identity), hess_norm(Activation::Sigmoid));
    items.push(item(
        "without activations, any number of layers is a linear function of the input",
        "the output is a linear combination of the inputs",
        format!("largest second derivative of a 3-4-4-1 network: {lin:.1e} without activations, {sig:.2e} with sigmoid"),
        if lin == 0.0 && sig > 0.0 { Verdict::Holds } else { Verdict::DoesNotHold },
        "a zero Hessian means the output is linear in the input; the activation makes it non-linear".into(),
    ));
    Section {
        title: "Structure".into(),
        items,
    }
}

fn activations() -> Section {
    let mut items = Vec::new();
    let pts = spread(30.0);
    let sig = |z: f64| value_and_derivative(&|x| x.sigmoid(), z);
    items.push(compare_function(
        "sigmoid",
        "y = 1 / (1 + e^-z)",
        &pts,
        |z| sig(z).0,
        |z| formula("1 / (1 + exp(-z))", &[("z", z)]),
    ));
    items.push(compare_function(
        "sigmoid's derivative",
        "y' = y(1 - y)",
        &pts,
        |z| sig(z).1,
        |z| {
            let y = sig(z).0;
            formula("y * (1 - y)", &[("y", y)])
        },
    ));
    let (lo, hi) = pts
        .iter()
        .map(|&z| sig(z).0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| {
            (l.min(y), h.max(y))
        });
    items.push(item(
        "sigmoid's outputs lie in (0, 1)",
        "(0, 1)",
        format!("over z in [-30, 30]: min {lo:.3e}, max {}", fmt(hi)),
        if lo > 0.0 && hi < 1.0 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        "in f64, sigmoid(z) rounds to exactly 1 once z > 36.7".into(),
    ));
    let max_sig_grad = spread(10.0).iter().map(|&z| sig(z).1).fold(0.0, f64::max);
    let chain = {
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(0.0);
        let mut h = x;
        for _ in 0..10 {
            h = h.sigmoid();
        }
        h.backward()[x].item()
    };
    items.push(item(
        "sigmoid suffers from vanishing gradients in backprop",
        "gradient vanishing",
        format!(
            "max sigmoid'(z) = {} (at z = 0); gradient through 10 stacked sigmoids at 0: {chain:.3e}",
            fmt(max_sig_grad)
        ),
        if max_sig_grad <= 0.25 && chain < 1e-5 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        "each sigmoid multiplies the gradient by at most 1/4".into(),
    ));
    let th = |z: f64| value_and_derivative(&|x| x.tanh(), z);
    let pts20 = spread(20.0);
    items.push(compare_function(
        "tanh",
        "y = (e^z - e^-z) / (e^z + e^-z)",
        &pts20,
        |z| th(z).0,
        |z| formula("(exp(z) - exp(-z)) / (exp(z) + exp(-z))", &[("z", z)]),
    ));
    items.push(compare_function(
        "tanh's derivative",
        "y' = 1 - y^2",
        &pts20,
        |z| th(z).1,
        |z| {
            let y = th(z).0;
            formula("1 - y^2", &[("y", y)])
        },
    ));
    let (tlo, thi) = pts
        .iter()
        .map(|&z| th(z).0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| {
            (l.min(y), h.max(y))
        });
    let open = spread(5.0).iter().all(|&z| th(z).0.abs() < 1.0);
    items.push(item(
        "tanh's range",
        "[-1, 1]",
        format!("over z in [-30, 30]: min {}, max {}", fmt(tlo), fmt(thi)),
        if tlo >= -1.0 && thi <= 1.0 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        format!(
            "every value lies in [-1, 1]; mathematically the range is the open interval (-1, 1) ({}), \
             and +-1 appears only because f64 rounds tanh(z) for |z| > 19",
            if open {
                "|tanh| < 1 for |z| <= 5"
            } else {
                "yet |tanh| reached 1 for |z| <= 5"
            }
        ),
    ));
    let relu = |z: f64| value_and_derivative(&|x| x.relu(), z);
    items.push(compare_function(
        "ReLU",
        "y = z if z > 0, 0 if z <= 0",
        &pts,
        |z| relu(z).0,
        |z| if z > 0.0 { z } else { 0.0 },
    ));
    items.push(compare_function(
        "ReLU's derivative (at 0 the engine uses PyTorch's convention, 0)",
        "y' = 1 if z > 0, 0 if z <= 0",
        &pts,
        |z| relu(z).1,
        |z| if z > 0.0 { 1.0 } else { 0.0 },
    ));
    let chain = {
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(0.7);
        let mut h = x;
        for _ in 0..10 {
            h = h.relu();
        }
        h.backward()[x].item()
    };
    items.push(item(
        "ReLU's derivative is 1 for z > 0, so the chain rule's product does not vanish",
        "no vanishing gradient for x > 0",
        format!("gradient through 10 stacked ReLUs at 0.7: {}", fmt(chain)),
        if chain == 1.0 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        "a product of ones".into(),
    ));
    items.push(dead_relu());
    for a in [0.01, 0.2] {
        let lr = |z: f64| value_and_derivative(&move |x| x.leaky_relu(a), z);
        items.push(compare_function(
            &format!("LeakyReLU with a = {a}"),
            "y = z if z > 0, a z if z <= 0",
            &pts,
            |z| lr(z).0,
            |z| if z > 0.0 { z } else { a * z },
        ));
        items.push(compare_function(
            &format!("LeakyReLU's derivative with a = {a}"),
            "y' = 1 if z > 0, a if z <= 0",
            &pts,
            |z| lr(z).1,
            |z| if z > 0.0 { 1.0 } else { a },
        ));
    }
    items.extend(softmax_items());
    Section {
        title: "Activation functions".into(),
        items,
    }
}

/// The note's PS: a large learning rate makes W negative, the neuron outputs 0 with derivative
/// 0 and never updates again; a small rate avoids it; LeakyReLU keeps the neuron alive.
fn dead_relu() -> Item {
    // One neuron a = h(w x + b), x = 1, w = 0.5, b = 0, target 0.2, W = W - alpha W' for 100
    // steps. Returns (pre-activation after step 1, after step 100, last gradient of w).
    let train = |act: Activation, alpha: f64| -> (f64, f64, f64) {
        let mut ps = ParamStore::<f64>::new();
        let n = Neuron::new(&mut ps, "n", 1, act).expect("fresh");
        ps.set("n.weight", Tensor::from(vec![0.5])).expect("[1]");
        let mut opt = Sgd::new(alpha);
        let pre = |ps: &ParamStore<f64>| {
            ps.value("n.weight").expect("w").item() + ps.value("n.bias").expect("b").item()
        };
        let (mut first, mut last_grad) = (f64::NAN, f64::NAN);
        for step in 0..100 {
            let tape = Tape::<f64>::new();
            let p = ps.bind(&tape);
            let a = n.forward(&p, tape.constant(Tensor::from(vec![1.0])));
            let loss = nn::loss::mse_half(a, tape.scalar(0.2)).expect("scalars");
            let grads = p.grads(loss.backward());
            last_grad = grads[0].as_ref().expect("trainable").item();
            opt.step(&mut ps, &grads);
            if step == 0 {
                first = pre(&ps);
            }
        }
        (first, pre(&ps), last_grad)
    };
    let (big1, big100, big_g) = train(Activation::Relu, 10.0);
    let (_, small100, _) = train(Activation::Relu, 0.1);
    let (leaky1, leaky100, leaky_g) = train(Activation::LeakyRelu(0.01), 10.0);
    let dead = big1 < 0.0 && big100 == big1 && big_g == 0.0;
    let small_alive = small100 > 0.0;
    let leaky_alive = leaky_g != 0.0 && leaky100 != leaky1;
    item(
        "a large learning rate can kill a ReLU neuron for good (W = W - alpha W'); a small rate or LeakyReLU avoids it",
        "dead neurons with a large alpha; LeakyReLU keeps them alive",
        format!(
            "ReLU, alpha 10: w x + b = {} after one step, {} after 100, gradient {}; ReLU, alpha 0.1: w x + b = {} after 100 steps; \
             LeakyReLU(0.01), alpha 10: w x + b = {} after one step, {} after 100, gradient {}",
            fmt(big1),
            fmt(big100),
            fmt(big_g),
            fmt(small100),
            fmt(leaky1),
            fmt(leaky100),
            fmt(leaky_g)
        ),
        if dead && small_alive && leaky_alive { Verdict::Holds } else { Verdict::DoesNotHold },
        format!(
            "one neuron a = h(w x + b), x = 1, w = 0.5, b = 0, loss 1/2 (a - 0.2)^2: alpha 10 overshoots to a negative \
             pre-activation where relu's gradient is exactly 0 ({}); alpha 0.1 stays active ({}); LeakyReLU still moves ({})",
            if dead { "dead" } else { "not dead" },
            if small_alive { "alive" } else { "dead" },
            if leaky_alive { "alive" } else { "stuck" }
        ),
    )
}

fn softmax_items() -> Vec<Item> {
    let mut items = Vec::new();
    let samples: Vec<Vec<f64>> = vec![
        vec![0.5, -1.0, 2.0],
        vec![1.0, 1.0, 1.0, 1.0],
        vec![3.0, -2.0, 0.1, 0.7, -0.4],
        vec![1000.0, 999.0, -5.0],
    ];
    // The formula itself, and its outputs: in [0, 1], summing to 1.
    let mut worst: f64 = 0.0;
    let mut range_ok = true;
    let mut worst_sum: f64 = 0.0;
    for z in &samples {
        let tape = Tape::<f64>::new();
        let y = tape.constant(Tensor::from(z.clone())).softmax(0).value().to_vec();
        if z.iter().all(|v| v.abs() < 700.0) {
            let denom: f64 = z.iter().map(|v| v.exp()).sum();
            for (yi, zi) in y.iter().zip(z) {
                worst = worst.max((yi - zi.exp() / denom).abs());
            }
        }
        range_ok &= y.iter().all(|&v| (0.0..=1.0).contains(&v));
        worst_sum = worst_sum.max((y.iter().sum::<f64>() - 1.0).abs());
    }
    items.push(item(
        "softmax",
        "y_i = e^{z_i} / sum_j e^{z_j}",
        format!("max difference from the formula {worst:.1e} (the engine subtracts the max first, so it also works at z = 1000)"),
        if worst <= 1e-15 { Verdict::Holds } else { Verdict::DoesNotHold },
        format!("{} input vectors of 3 to 5 entries", samples.len()),
    ));
    items.push(item(
        "softmax's outputs lie in [0, 1] and sum to 1",
        "[0, 1], sum 1",
        format!("all outputs in [0, 1]: {range_ok}; largest |sum - 1| = {worst_sum:.1e}"),
        if range_ok && worst_sum <= 1e-15 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        "checked on the same vectors".into(),
    ));
    // The derivative: compare y_i (1 - y_i) with every entry of the Jacobian dy_i/dz_j.
    let (mut diag_ok, mut diag_n, mut off_n, mut off_zero) = (true, 0, 0, 0);
    let mut off_worst: (f64, f64) = (0.0, 0.0);
    for z in samples.iter().take(3) {
        let n = z.len();
        let j = jacobian(|x| x.softmax(0), &Tensor::from(z.clone()));
        let tape = Tape::<f64>::new();
        let y = tape.constant(Tensor::from(z.clone())).softmax(0).value().to_vec();
        for a in 0..n {
            for b in 0..n {
                let d = j.as_slice()[a * n + b];
                if a == b {
                    diag_n += 1;
                    diag_ok &= close(d, y[a] * (1.0 - y[a]));
                } else {
                    off_n += 1;
                    if d.abs() <= 1e-15 {
                        off_zero += 1;
                    }
                    if d.abs() > off_worst.0.abs() {
                        off_worst = (d, -y[a] * y[b]);
                    }
                }
            }
        }
    }
    let verdict = match (diag_ok, off_zero == off_n) {
        (true, true) => Verdict::Holds,
        (true, false) => Verdict::HoldsPartly,
        _ => Verdict::DoesNotHold,
    };
    items.push(item(
        "softmax's derivative",
        "y_i' = y_i (1 - y_i)",
        format!(
            "Jacobians of 3 vectors: the {diag_n} diagonal entries dy_i/dz_i {} y_i (1 - y_i); {} of the {off_n} off-diagonal entries dy_i/dz_j are nonzero (largest {})",
            if diag_ok { "all equal" } else { "do not all equal" },
            off_n - off_zero,
            fmt(off_worst.0)
        ),
        verdict,
        format!(
            "holds for dy_i/dz_i only; for i != j the derivative is dy_i/dz_j = -y_i y_j (engine {}, -y_i y_j = {}), \
             which the formula omits. The full derivative is dy_i/dz_j = y_i (delta_ij - y_j)",
            fmt(off_worst.0),
            fmt(off_worst.1)
        ),
    ));
    items
}

fn forward_example() -> Section {
    let net = NoteNet::new(0.5, 0.5, 1.0, 1.0);
    let p = net.pass(1.0, 2.0);
    let mut items = vec![
        number_item(
            "a11 = sigmoid(x1 w11 + b1)",
            "0.731",
            p.a11,
            Some((
                "sigmoid(x1*w11 + b1)",
                &[("x1", "1"), ("w11", "0.5"), ("b1", "0.5")],
            )),
        ),
        number_item(
            "a21 = relu(a11 w21 + b2)",
            "1.731",
            p.a21,
            Some((
                "relu(a11*w21 + b2)",
                &[("a11", "~0.731"), ("w21", "1"), ("b2", "1")],
            )),
        ),
        number_item("y = a21", "1.731", p.a21, None),
    ];
    // The general 2-2-1 figure: the note's formulas against nn's Mlp with the same weights.
    let mut ps = ParamStore::<f64>::new();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let mlp = Mlp::new(
        &mut ps,
        "layers",
        &[2, 2, 1],
        &[Activation::Sigmoid, Activation::Sigmoid],
        &mut rng,
    )
    .expect("fresh");
    let w = |name: &str| ps.value(name).expect("a parameter").to_vec();
    let (hw, hb, ow, ob) = (
        w("layers.0.weight"),
        w("layers.0.bias"),
        w("layers.1.weight"),
        w("layers.1.bias"),
    );
    let system = System::parse(
        "a11 = sigmoid(x1*w11 + x2*w13 + b1); a12 = sigmoid(x1*w12 + x2*w14 + b2); a21 = sigmoid(a11*w21 + a12*w22 + b3); y = a21",
    )
    .expect("the note's formulas parse");
    let mut worst: f64 = 0.0;
    for k in 0..10 {
        let (x1, x2) = (0.4 * k as f64 - 2.0, 1.5 - 0.3 * k as f64);
        let tape = Tape::<f64>::new();
        let env: HashMap<String, Var<'_, f64>> = [
            ("x1", x1),
            ("x2", x2),
            ("w11", hw[0]),
            ("w13", hw[1]),
            ("w12", hw[2]),
            ("w14", hw[3]),
            ("b1", hb[0]),
            ("b2", hb[1]),
            ("w21", ow[0]),
            ("w22", ow[1]),
            ("b3", ob[0]),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), tape.scalar(v)))
        .collect();
        let y = system.build(&tape, &env).expect("all names given")["y"].item();
        let m = mlp
            .forward(&ps.bind(&tape), tape.constant(Tensor::from(vec![x1, x2])))
            .item();
        worst = worst.max((y - m).abs());
    }
    items.push(item(
        "the two-input figure is a 2-2-1 sigmoid network",
        "a11 = sigmoid(x1 w11 + x2 w13 + b1), a12 = sigmoid(x1 w12 + x2 w14 + b2), a21 = sigmoid(a11 w21 + a12 w22 + b3)",
        format!("nn's Mlp [2, 2, 1] with the same weights: max difference {worst:.1e} at 10 inputs"),
        if worst <= 1e-15 { Verdict::Holds } else { Verdict::DoesNotHold },
        "hidden weight row j holds (w1j, w1(j+2)); the figure is x W^T + b".into(),
    ));
    Section {
        title: "Forward propagation (w11 = 0.5, w21 = 1, b1 = 0.5, b2 = 1, x1 = 1)".into(),
        items,
    }
}

fn losses() -> Section {
    let mut items = Vec::new();
    let (mut worst_mse, mut worst_ce): (f64, f64) = (0.0, 0.0);
    for m in 1..=5usize {
        let f: Vec<f64> = (0..m).map(|i| (i as f64 * 1.3).sin() * 2.0).collect();
        let y: Vec<f64> = (0..m).map(|i| (i as f64 * 0.7).cos()).collect();
        let tape = Tape::<f64>::new();
        let engine = nn::loss::mse_half(
            tape.constant(Tensor::from(f.clone())),
            tape.constant(Tensor::from(y.clone())),
        )
        .expect("same shapes")
        .item();
        let note: f64 = f.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / (2.0 * m as f64);
        worst_mse = worst_mse.max((engine - note).abs());
        // Cross-entropy of a logistic model s = sigmoid(w^T x + b).
        let (w, b) = ([0.8, -1.1], 0.3);
        let xs: Vec<[f64; 2]> = (0..m).map(|i| [i as f64 - 1.5, (i as f64).cos() * 2.0]).collect();
        let labels: Vec<f64> = (0..m).map(|i| (i % 2) as f64).collect();
        let logits: Vec<f64> = xs.iter().map(|x| w[0] * x[0] + w[1] * x[1] + b).collect();
        let engine = nn::loss::bce_with_logits(
            tape.constant(Tensor::from(logits.clone())),
            tape.constant(Tensor::from(labels.clone())),
        )
        .expect("same shapes")
        .item();
        let note: f64 = -logits
            .iter()
            .zip(&labels)
            .map(|(&z, &yl)| {
                let s = 1.0 / (1.0 + (-z).exp());
                yl * s.ln() + (1.0 - yl) * (1.0 - s).ln()
            })
            .sum::<f64>()
            / m as f64;
        worst_ce = worst_ce.max((engine - note).abs() / note.abs().max(1.0));
    }
    items.push(item(
        "mean squared error with the 1/2",
        "J = 1/(2m) sum_i (f(x_i) - y_i)^2",
        format!("nn::loss::mse_half vs the formula for m = 1..5: max difference {worst_mse:.1e}"),
        if worst_mse <= 1e-15 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        "the 1/2 makes dJ/df = (f - y)/m; PyTorch's MSELoss has no 1/2".into(),
    ));
    items.push(item(
        "binary cross-entropy of the logistic model",
        "J = -1/m sum_i [y_i log s_i + (1 - y_i) log(1 - s_i)], s_i = sigmoid(w^T x_i + b)",
        format!(
            "nn::loss::bce_with_logits vs the formula for m = 1..5: max relative difference {worst_ce:.1e}"
        ),
        if worst_ce <= 1e-14 {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        },
        "the engine computes it from the logits, so it stays finite where sigmoid rounds to 0 or 1".into(),
    ));
    Section {
        title: "Loss functions".into(),
        items,
    }
}

/// Checks `claim` as `d of/d wrt` of `system`, and reports the right derivative when it fails.
fn derivative_item(title: &str, system_src: &str, wrt: &str, claim: &str) -> Item {
    let system = System::parse(system_src).expect("the note's system parses");
    let opts = CheckOptions {
        wrt: vec![wrt.to_string()],
        ..Default::default()
    };
    let report = check(&system, &[claim.to_string()], &opts)
        .expect("the claim parses")
        .remove(0);
    let exact = match &report.polynomial {
        Some(p @ Polynomial::Exact { .. }) => format!("; the engine's derivative is exactly {p}"),
        _ => String::new(),
    };
    match &report.counterexample {
        None => item(
            title,
            &format!("{} = {claim}", report.derivative),
            format!("agrees at {} points{exact}", report.checked),
            Verdict::Holds,
            format!("({system_src})"),
        ),
        Some(c) => {
            // By how much, as a formula: the difference claim - engine, recovered exactly.
            let of = system.output().to_string();
            let diff_system = format!("{system_src}; diff_claim = {claim}");
            let diff = System::parse(&diff_system)
                .ok()
                .and_then(|s| {
                    let d = |x: f64| {
                        let engine = crate::check::derivative_at(&s, &of, wrt, 1, &[(wrt.into(), x)]).ok()?;
                        let tape = Tape::<f64>::new();
                        let xv = tape.scalar(x);
                        let env = s
                            .build(&tape, &[(wrt.to_string(), xv)].into_iter().collect())
                            .ok()?;
                        Some(env["diff_claim"].item() - engine)
                    };
                    difference_polynomial(&d, wrt)
                })
                .map(|p| format!("; claim - engine = {p}"))
                .unwrap_or_default();
            item(
                title,
                &format!("{} = {claim}", report.derivative),
                format!(
                    "first counterexample {}: claim {}, engine {}, difference {}{exact}",
                    c.point
                        .iter()
                        .map(|(n, v)| format!("{n} = {}", fmt(*v)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    fmt(c.claim),
                    fmt(c.engine),
                    fmt(c.difference)
                ),
                Verdict::DoesNotHold,
                format!("the claim is wrong{diff}; ({system_src})"),
            )
        }
    }
}

/// Fits a polynomial of degree <= 4 through the difference at a few points (exact for
/// polynomial differences) and confirms it elsewhere.
fn difference_polynomial(d: &dyn Fn(f64) -> Option<f64>, var: &str) -> Option<String> {
    // Newton's divided differences on integer nodes, then conversion to coefficients.
    let nodes: Vec<f64> = (0..5).map(|i| i as f64 - 2.0).collect();
    let values: Vec<f64> = nodes.iter().map(|&x| d(x)).collect::<Option<_>>()?;
    let mut coef = values.clone();
    for j in 1..nodes.len() {
        for i in (j..nodes.len()).rev() {
            coef[i] = (coef[i] - coef[i - 1]) / (nodes[i] - nodes[i - j]);
        }
    }
    let mut poly = vec![0.0; nodes.len()];
    for i in (0..nodes.len()).rev() {
        // poly = poly * (x - nodes[i]) + coef[i]
        let mut next = vec![0.0; nodes.len()];
        for k in 0..nodes.len() {
            if k + 1 < nodes.len() {
                next[k + 1] += poly[k];
            }
            next[k] -= nodes[i] * poly[k];
        }
        next[0] += coef[i];
        poly = next;
    }
    let poly: Vec<f64> = poly
        .iter()
        .map(|&c| {
            if (c - c.round()).abs() < 1e-7 {
                c.round()
            } else {
                c
            }
        })
        .collect();
    for x in [0.37, -1.9, 2.6] {
        let p = poly.iter().rev().fold(0.0, |acc, &c| acc * x + c);
        if (p - d(x)?).abs() > 1e-7 * (1.0 + p.abs()) {
            return None;
        }
    }
    Some(format_polynomial(&poly, var))
}

fn chain_rule() -> Section {
    let single = "z = u^2; u = 2 - y; y = 4*x";
    let multi = "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x";
    let items = vec![
        derivative_item("single variable, local factor dz/du", "z = u^2", "u", "2*u"),
        derivative_item("single variable, local factor du/dy", "u = 2 - y", "y", "-1"),
        derivative_item("single variable, local factor dy/dx", "y = 4*x", "x", "4"),
        derivative_item("single variable: 2u * (-1) * 4", single, "x", "-8*u"),
        derivative_item("single variable, in x", single, "x", "32*x - 16"),
        derivative_item(
            "several variables, local factor dz/dv",
            "z = u^2 + v^3",
            "v",
            "3*v^2",
        ),
        derivative_item("several variables, local factor dv/dy", "v = 4 + y", "y", "1"),
        derivative_item(
            "several variables: 2u(-1)4 + 3v^2(1)4",
            multi,
            "x",
            "-8*u + 12*v^2",
        ),
        derivative_item("several variables, in x", multi, "x", "192*x^2 + 542*x + 176"),
    ];
    Section {
        title: "Chain rule".into(),
        items,
    }
}

fn backprop() -> Section {
    let net = NoteNet::new(0.5, 0.5, 1.0, 1.0);
    let p = net.pass(1.0, 2.0);
    let relu_slope = value_and_derivative(&|x| x.relu(), p.z21).1;
    let mut items = vec![
        item(
            "the relu is active: a11 w21 + b2 > 0, so its derivative is 1",
            "a11 w21 + b2 = 1.731 > 0, relu' = 1",
            format!("pre-activation {}, relu' = {}", fmt(p.z21), fmt(relu_slope)),
            if p.z21 > 0.0 && relu_slope == 1.0 {
                Verdict::Holds
            } else {
                Verdict::DoesNotHold
            },
            format!("the pre-activation rounds to {:.3}", p.z21),
        ),
        number_item(
            "dJ/dw21 = (y - 2) a11",
            "-0.196639",
            grad_of(&p, 2),
            Some(("(y - 2) * a11", &[("y", "~1.731"), ("a11", "~0.731")])),
        ),
        number_item(
            "dJ/db2 = y - 2",
            "-0.269",
            grad_of(&p, 3),
            Some(("y - 2", &[("y", "~1.731")])),
        ),
        number_item(
            "dJ/dw11 = (y - 2) w21 a11 (1 - a11) x1",
            "-0.052895",
            grad_of(&p, 0),
            Some((
                "(y - 2) * w21 * a11 * (1 - a11) * x1",
                &[("y", "~1.731"), ("w21", "1"), ("a11", "~0.731"), ("x1", "1")],
            )),
        ),
        number_item(
            "dJ/db1 = (y - 2) w21 a11 (1 - a11)",
            "-0.052895",
            grad_of(&p, 1),
            Some((
                "(y - 2) * w21 * a11 * (1 - a11)",
                &[("y", "~1.731"), ("w21", "1"), ("a11", "~0.731")],
            )),
        ),
    ];
    items.extend(gradient_formulas());
    Section {
        title: "Back propagation (J = 1/2 (y - 2)^2)".into(),
        items,
    }
}

/// The note's gradient formulas as functions of the parameters, against the engine's
/// gradients over a grid of parameter values; split by whether the relu is active.
fn gradient_formulas() -> Vec<Item> {
    let formulas: [(&str, &str, usize); 4] = [
        ("dJ/dw21", "(y - 2) * a11", 2),
        ("dJ/db2", "y - 2", 3),
        ("dJ/dw11", "(y - 2) * w21 * a11 * (1 - a11) * x1", 0),
        ("dJ/db1", "(y - 2) * w21 * a11 * (1 - a11)", 1),
    ];
    let mut items = Vec::new();
    for (name, f, gi) in formulas {
        let (mut active, mut active_ok, mut inactive, mut inactive_ok) = (0, 0, 0, 0);
        let mut example = None;
        for k in 0..64 {
            let (w11, b1) = (-1.5 + 0.1 * (k % 8) as f64, 0.3 - 0.2 * (k / 8) as f64);
            let (w21, b2) = (1.2 - 0.35 * (k % 7) as f64, -0.9 + 0.3 * (k % 5) as f64);
            let x1 = 0.5 + 0.25 * (k % 3) as f64;
            let net = NoteNet::new(w11, b1, w21, b2);
            let p = net.pass(x1, 2.0);
            let claimed = formula(f, &[("y", p.a21), ("a11", p.a11), ("w21", w21), ("x1", x1)]);
            let engine = grad_of(&p, gi);
            let ok = close(claimed, engine);
            if p.z21 > 0.0 {
                active += 1;
                active_ok += ok as usize;
            } else {
                inactive += 1;
                inactive_ok += ok as usize;
                if !ok && example.is_none() {
                    example = Some((p.z21, claimed, engine));
                }
            }
        }
        let verdict = if active_ok == active && inactive_ok == inactive {
            Verdict::Holds
        } else if active_ok + inactive_ok == 0 {
            Verdict::DoesNotHold
        } else {
            Verdict::HoldsPartly
        };
        let detail = match example {
            Some((z, c, e)) => format!(
                "holds at {active_ok} of {active} parameter points where the relu is active (a11 w21 + b2 > 0), \
                 and at {inactive_ok} of {inactive} where it is not: there relu' = 0 and the true gradient is 0 \
                 (e.g. pre-activation {}: formula {}, engine {})",
                fmt(z),
                fmt(c),
                fmt(e)
            ),
            None => format!("holds at all {} parameter points", active + inactive),
        };
        items.push(item(
            &format!("{name} as a formula, over many parameter values"),
            &format!("{name} = {f}"),
            format!(
                "{} of {} points agree",
                active_ok + inactive_ok,
                active + inactive
            ),
            verdict,
            detail,
        ));
    }
    items
}

/// The exact SGD step the note takes (learning rate 0.1), by nn's optimiser.
fn updated_net() -> NoteNet {
    let mut net = NoteNet::new(0.5, 0.5, 1.0, 1.0);
    let p = net.pass(1.0, 2.0);
    Sgd::new(0.1).step(&mut net.params, &p.grads);
    net
}

fn update() -> Section {
    let net = updated_net();
    let items = vec![
        number_item(
            "w11 after one step",
            "0.505",
            net.get("hidden.weight"),
            Some(("w - lr*g", &[("w", "0.5"), ("lr", "0.1"), ("g", "~-0.053")])),
        ),
        number_item(
            "w21 after one step",
            "1.020",
            net.get("output.weight"),
            Some(("w - lr*g", &[("w", "1"), ("lr", "0.1"), ("g", "~-0.197")])),
        ),
        number_item(
            "b1 after one step",
            "0.505",
            net.get("hidden.bias"),
            Some(("w - lr*g", &[("w", "0.5"), ("lr", "0.1"), ("g", "~-0.053")])),
        ),
        number_item(
            "b2 after one step",
            "1.027",
            net.get("output.bias"),
            Some(("w - lr*g", &[("w", "1"), ("lr", "0.1"), ("g", "~-0.269")])),
        ),
    ];
    Section {
        title: "The update (learning rate 0.1; the note rounds gradients to 3 decimals)".into(),
        items,
    }
}

fn second_forward() -> Section {
    let p = updated_net().pass(1.0, 2.0);
    let items = vec![
        number_item(
            "a11 after the update",
            "0.733",
            p.a11,
            Some((
                "sigmoid(x1*w11 + b1)",
                &[("x1", "1"), ("w11", "~0.505"), ("b1", "~0.505")],
            )),
        ),
        number_item(
            "a21 after the update",
            "1.775",
            p.a21,
            Some((
                "relu(a11*w21 + b2)",
                &[("a11", "~0.733"), ("w21", "~1.020"), ("b2", "~1.027")],
            )),
        ),
        number_item(
            "y after the update",
            "1.775",
            p.a21,
            Some((
                "relu(a11*w21 + b2)",
                &[("a11", "~0.733"), ("w21", "~1.020"), ("b2", "~1.027")],
            )),
        ),
    ];
    Section {
        title: "The second forward pass".into(),
        items,
    }
}

fn closing() -> Section {
    let before = NoteNet::new(0.5, 0.5, 1.0, 1.0).pass(1.0, 2.0);
    let after = updated_net().pass(1.0, 2.0);
    let closer = (2.0 - after.a21).abs() < (2.0 - before.a21).abs();
    let stated = Printed::new("0.1775");
    let stated_closer = (2.0 - stated.value).abs() < (2.0 - before.a21).abs();
    let items = vec![
        number_item("the final output", "0.1775", after.a21, None),
        item(
            "the new output is closer to the label 2 than 1.731",
            "closer to 2 than 1.731",
            format!(
                "|2 - y|: {} before, {} after; the loss J fell from {} to {}",
                fmt((2.0 - before.a21).abs()),
                fmt((2.0 - after.a21).abs()),
                fmt(before.loss),
                fmt(after.loss)
            ),
            if closer {
                Verdict::Holds
            } else {
                Verdict::DoesNotHold
            },
            format!(
                "true of the engine's y = {} (the note's own 1.775 too); the stated 0.1775 would be {}",
                fmt(round_to(after.a21, 4)),
                if stated_closer {
                    "closer as well"
                } else {
                    "further from 2, not closer"
                }
            ),
        ),
    ];
    Section {
        title: "The closing sentence".into(),
        items,
    }
}
