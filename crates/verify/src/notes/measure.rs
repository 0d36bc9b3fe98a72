//! How the engine computes what the note's concept claims are about: structure, activation
//! functions and losses. Each function measures and records figures; none decides a verdict.

use super::claims::{Formula, Measure};
use super::judge::{Evidence, Facts, Sample};
use super::{derivative, network};
use crate::expr::parse;
use crate::system::{eval, System};
use autograd::{jacobian, Tape, Tensor, Var};
use nn::optim::{Optimizer, Sgd};
use nn::{Activation, Mlp, Module, Neuron, ParamStore};
use std::collections::HashMap;

/// Measures one claim.
pub(crate) fn measure(m: &Measure, ctx: &network::Context) -> Evidence {
    let facts = |f: Facts| Evidence {
        facts: f,
        ..Default::default()
    };
    match *m {
        Measure::DigitClasses => facts(digit_classes()),
        Measure::NeuronFormula(act) => facts(Facts::default().num("worst", neuron_formula(act))),
        Measure::LayersLinear => facts(
            Facts::default()
                .num("lin", largest_second_derivative(Activation::Identity))
                .num("sig", largest_second_derivative(Activation::Sigmoid)),
        ),
        Measure::Activation {
            f,
            slope,
            range,
            formula: note,
        } => activation(f, slope, range, note),
        Measure::SigmoidRange => facts(range_over(Activation::Sigmoid)),
        Measure::TanhRange => {
            let open = spread(5.0)
                .iter()
                .all(|&z| value_and_slope(Activation::Tanh, z).0.abs() < 1.0);
            facts(range_over(Activation::Tanh).flag("open", open))
        }
        Measure::SigmoidVanishing => {
            let max_slope = spread(10.0)
                .iter()
                .map(|&z| value_and_slope(Activation::Sigmoid, z).1)
                .fold(0.0, f64::max);
            facts(
                Facts::default()
                    .num("max_slope", max_slope)
                    .num("chain", stacked(Activation::Sigmoid, 0.0)),
            )
        }
        Measure::ReluChain => facts(Facts::default().num("chain", stacked(Activation::Relu, 0.7))),
        Measure::DeadRelu => facts(dead_relu()),
        Measure::Softmax | Measure::SoftmaxRange => facts(softmax()),
        Measure::SoftmaxJacobian => softmax_jacobian(),
        Measure::TwoInputFigure => facts(Facts::default().num("worst", two_input_figure())),
        Measure::Mse => facts(Facts::default().num("worst", losses().0)),
        Measure::Bce => facts(Facts::default().num("worst", losses().1)),
        Measure::Derivative { system, wrt, claim } => facts(derivative::check_claim(system, wrt, claim)),
        Measure::Value(q) => ctx.value(q),
        Measure::ReluActive => facts(ctx.relu_active()),
        Measure::GradientFormula { param, formula } => network::gradient_formula(param, formula),
        Measure::Closer { own, stated } => facts(ctx.closer(own, stated)),
    }
}

/// `f(z)` and `f'(z)` from the engine.
fn value_and_slope(f: Activation, z: f64) -> (f64, f64) {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(z);
    let y = f.apply(x);
    let d = y.backward()[x].item();
    (y.item(), d)
}

/// Evaluates a formula of the note (in `check`'s language) with the given names.
pub(crate) fn formula(src: &str, env: &[(&str, f64)]) -> f64 {
    let expr = parse(src).expect("the note's formulas parse");
    let tape = Tape::<f64>::new();
    let vars: HashMap<&str, Var<'_, f64>> = env.iter().map(|&(n, v)| (n, tape.scalar(v))).collect();
    eval(&expr, &tape, &|n| vars.get(n).copied())
        .expect("every name is given")
        .item()
}

/// Points spread over `[-r, r]`, with 0 and the integers included.
fn spread(r: f64) -> Vec<f64> {
    (0..=40)
        .map(|i| -r + 2.0 * r * i as f64 / 40.0)
        .chain([0.123, -0.777, 1.5e-3, -2.5e-3])
        .collect()
}

/// The activation (or its slope) and the note's formula at points spread over the range.
fn activation(f: Activation, slope: bool, range: f64, note: Formula) -> Evidence {
    let a = match f {
        Activation::LeakyRelu(a) => a,
        _ => 0.0,
    };
    let samples = spread(range)
        .into_iter()
        .map(|z| {
            let (y, d) = value_and_slope(f, z);
            let env = [("z", z), ("y", y), ("a", a)];
            let claim = match note {
                Formula::Expr(src) => formula(src, &env),
                Formula::Piecewise { above, below } => formula(if z > 0.0 { above } else { below }, &env),
            };
            Sample {
                at: z,
                region: 0,
                engine: if slope { d } else { y },
                claim,
            }
        })
        .collect();
    Evidence {
        samples,
        regions: &["all"],
        ..Default::default()
    }
}

fn range_over(f: Activation) -> Facts {
    let (lo, hi) = spread(30.0)
        .iter()
        .map(|&z| value_and_slope(f, z).0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| {
            (l.min(y), h.max(y))
        });
    Facts::default().num("lo", lo).num("hi", hi)
}

/// The gradient through ten stacked activations at `x0`.
fn stacked(f: Activation, x0: f64) -> f64 {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(x0);
    let mut h = x;
    for _ in 0..10 {
        h = f.apply(h);
    }
    h.backward()[x].item()
}

fn digit_classes() -> Facts {
    let digits = nn::data::digits::test::<f64>().expect("the embedded digits load");
    let mut distinct: Vec<usize> = digits.labels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let mut ps = ParamStore::<f64>::new();
    let mlp = Mlp::new(
        &mut ps,
        "layers",
        &[64, 16, distinct.len()],
        &[Activation::Sigmoid, Activation::Softmax],
        0,
    )
    .expect("fresh names");
    let tape = Tape::<f64>::new();
    let out = mlp.forward(&ps.bind(&tape), tape.constant_from(&digits.select(&[0]).x));
    Facts::default()
        .num("classes", distinct.len() as f64)
        .num("outputs", out.shape()[1] as f64)
        .text("class_list", format!("{distinct:?}"))
}

/// nn's `Neuron` against `h(w x + b)` written out, at 20 inputs: the largest difference.
fn neuron_formula(act: Activation) -> f64 {
    let (w, b) = ([0.7, -1.3, 0.4], -0.2);
    let mut worst: f64 = 0.0;
    for k in 0..20 {
        let x = [0.3 * k as f64 - 2.0, 1.0 - 0.17 * k as f64, (k as f64).sin()];
        let lin = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b;
        let expect = match act {
            Activation::Sigmoid => 1.0 / (1.0 + (-lin).exp()),
            _ => lin,
        };
        let mut ps = ParamStore::<f64>::new();
        let n = Neuron::new(&mut ps, "n", 3, act).expect("fresh");
        ps.set("n.weight", Tensor::from(w.to_vec())).expect("[3]");
        ps.set("n.bias", Tensor::scalar(b)).expect("scalar");
        let tape = Tape::new();
        let a = n
            .forward(&ps.bind(&tape), tape.constant(Tensor::from(x.to_vec())))
            .item();
        worst = worst.max((a - expect).abs());
    }
    worst
}

/// The largest entry of the Hessian of a 3-4-4-1 network's output in its input.
fn largest_second_derivative(act: Activation) -> f64 {
    let mut ps = ParamStore::<f64>::new();
    let mlp = Mlp::new(&mut ps, "l", &[3, 4, 4, 1], &[act, act, Activation::Identity], 3).expect("fresh");
    let h = autograd::hessian(
        |x| {
            let tape = x.tape();
            mlp.forward(&ps.bind(tape), x).sum()
        },
        &Tensor::from(vec![0.3, -0.8, 1.1]),
    )
    .expect("a scalar output");
    h.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// The note's PS: one neuron `a = h(w x + b)`, `x = 1`, `w = 0.5`, `b = 0`, target 0.2,
/// `W = W - alpha W'` for 100 steps, with a large and a small rate, ReLU and LeakyReLU.
fn dead_relu() -> Facts {
    // (pre-activation after step 1, after step 100, last gradient of w)
    let train = |act: Activation, alpha: f64| -> (f64, f64, f64) {
        let mut ps = ParamStore::<f64>::new();
        let n = Neuron::new(&mut ps, "n", 1, act).expect("fresh");
        ps.set("n.weight", Tensor::from(vec![0.5])).expect("[1]");
        let w = ps.id("n.weight").expect("the neuron's weight").index();
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
            last_grad = grads[w].as_ref().expect("trainable").item();
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
    Facts::default()
        .num("big1", big1)
        .num("big100", big100)
        .num("big_g", big_g)
        .num("small100", small100)
        .num("leaky1", leaky1)
        .num("leaky100", leaky100)
        .num("leaky_g", leaky_g)
}

const SOFTMAX_SAMPLES: &[&[f64]] = &[
    &[0.5, -1.0, 2.0],
    &[1.0, 1.0, 1.0, 1.0],
    &[3.0, -2.0, 0.1, 0.7, -0.4],
    &[1000.0, 999.0, -5.0],
];

fn softmax_of(z: &[f64]) -> Vec<f64> {
    let tape = Tape::<f64>::new();
    tape.constant(Tensor::from(z.to_vec()))
        .softmax(0)
        .value()
        .to_vec()
}

/// Softmax against the formula (where `e^z` is finite), its range and its sums.
fn softmax() -> Facts {
    let (mut worst, mut worst_sum, mut in_range): (f64, f64, bool) = (0.0, 0.0, true);
    for z in SOFTMAX_SAMPLES {
        let y = softmax_of(z);
        if z.iter().all(|v| v.abs() < 700.0) {
            let denom: f64 = z.iter().map(|v| v.exp()).sum();
            for (yi, zi) in y.iter().zip(z.iter()) {
                worst = worst.max((yi - zi.exp() / denom).abs());
            }
        }
        in_range &= y.iter().all(|&v| (0.0..=1.0).contains(&v));
        worst_sum = worst_sum.max((y.iter().sum::<f64>() - 1.0).abs());
    }
    Facts::default()
        .num("worst", worst)
        .num("vectors", SOFTMAX_SAMPLES.len() as f64)
        .flag("in_range", in_range)
        .num("worst_sum", worst_sum)
}

/// Every entry of softmax's Jacobian for three vectors against what `y_i (1 - y_i)` says:
/// that value on the diagonal and nothing (0) off it.
fn softmax_jacobian() -> Evidence {
    let (mut samples, mut largest) = (Vec::new(), (0.0f64, 0.0f64));
    for z in SOFTMAX_SAMPLES.iter().take(3) {
        let n = z.len();
        let j = jacobian(|x| x.softmax(0), &Tensor::from(z.to_vec()));
        let y = softmax_of(z);
        for a in 0..n {
            for b in 0..n {
                let d = j.as_slice()[a * n + b];
                let diagonal = a == b;
                if !diagonal && d.abs() > largest.0.abs() {
                    largest = (d, -y[a] * y[b]);
                }
                samples.push(Sample {
                    at: (a * n + b) as f64,
                    region: usize::from(!diagonal),
                    engine: d,
                    claim: if diagonal { y[a] * (1.0 - y[a]) } else { 0.0 },
                });
            }
        }
    }
    Evidence {
        facts: Facts::default()
            .num("largest", largest.0)
            .num("largest_formula", largest.1),
        samples,
        regions: &["diagonal", "off-diagonal"],
        value: None,
    }
}

/// The note's two-input formulas against nn's 2-2-1 `Mlp` with the same weights: the
/// largest difference at 10 inputs.
fn two_input_figure() -> f64 {
    let mut ps = ParamStore::<f64>::new();
    let mlp = Mlp::new(
        &mut ps,
        "layers",
        &[2, 2, 1],
        &[Activation::Sigmoid, Activation::Sigmoid],
        1,
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
    worst
}

/// nn's losses against the note's formulas for m = 1..5: the largest difference of the
/// mean squared error and the largest relative difference of the cross-entropy.
fn losses() -> (f64, f64) {
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
    (worst_mse, worst_ce)
}
