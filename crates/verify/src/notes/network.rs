//! The note's worked example network, run by the engine: one input, a sigmoid hidden neuron
//! and a relu output neuron, built with nn's `Neuron` (so the engine, not this file, knows
//! the derivatives), its two forward passes and the SGD step between them. Gradients are
//! read by parameter name.

use super::claims::{Pass, Quantity};
use super::judge::{Evidence, Facts, Sample};
use super::measure::formula;
use crate::verdict::{round_to, Printed};
use autograd::{Tape, Tensor};
use nn::optim::{Optimizer, Sgd};
use nn::{Activation, Module, Neuron, ParamStore};
use std::cell::OnceCell;

/// The network with its parameters (`hidden.weight` = w11, `hidden.bias` = b1,
/// `output.weight` = w21, `output.bias` = b2).
pub(crate) struct NoteNet {
    params: ParamStore<f64>,
    hidden: Neuron,
    output: Neuron,
}

/// Values of one forward and backward pass.
pub(crate) struct Forward {
    pub a11: f64,
    /// The output neuron's pre-activation `a11 w21 + b2`.
    pub z21: f64,
    pub a21: f64,
    pub loss: f64,
    /// Gradients in the store's parameter order (what the optimiser takes).
    grads: Vec<Option<Tensor<f64>>>,
    /// The parameters' names, in the same order.
    names: Vec<String>,
}

impl Forward {
    /// The gradient of the loss for the parameter called `name`.
    pub(crate) fn grad(&self, name: &str) -> f64 {
        let k = self
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("the note's network has no parameter {name:?}"));
        self.grads[k].as_ref().expect("trainable").item()
    }
}

impl NoteNet {
    pub(crate) fn new(w11: f64, b1: f64, w21: f64, b2: f64) -> Self {
        let mut params = ParamStore::new();
        let hidden = Neuron::new(&mut params, "hidden", 1, Activation::Sigmoid).expect("fresh names");
        let output = Neuron::new(&mut params, "output", 1, Activation::Relu).expect("fresh names");
        for (name, v) in [
            ("hidden.weight", Tensor::from(vec![w11])),
            ("hidden.bias", Tensor::scalar(b1)),
            ("output.weight", Tensor::from(vec![w21])),
            ("output.bias", Tensor::scalar(b2)),
        ] {
            params.set(name, v).expect("the neurons' shapes");
        }
        Self {
            params,
            hidden,
            output,
        }
    }

    /// A parameter's (single) value.
    pub(crate) fn get(&self, name: &str) -> f64 {
        self.params
            .value(name)
            .expect("a parameter of the net")
            .as_slice()[0]
    }

    /// Forward with the note's loss `J = 1/2 (y - label)^2`, then backward.
    pub(crate) fn pass(&self, x1: f64, label: f64) -> Forward {
        let tape = Tape::<f64>::new();
        let p = self.params.bind(&tape);
        let x = tape.constant(Tensor::from(vec![x1]));
        let a11 = self.hidden.forward(&p, x);
        let [w21, b2] = [self.output.parameters()[0], self.output.parameters()[1]];
        let z21 = (a11.reshape(&[1]) * p[w21]).sum() + p[b2];
        let a21 = self.output.forward(&p, a11.reshape(&[1]));
        let loss = nn::loss::mse_half(a21, tape.scalar(label)).expect("scalars");
        let g = loss.backward();
        Forward {
            a11: a11.item(),
            z21: z21.item(),
            a21: a21.item(),
            loss: loss.item(),
            grads: p.grads(g),
            names: self.params.iter().map(|(_, n, _)| n.to_string()).collect(),
        }
    }
}

/// The worked example's values, each computed once: the note's network (w11 = 0.5, b1 = 0.5,
/// w21 = 1, b2 = 1) on x1 = 1 with label 2, the exact SGD step with learning rate 0.1, and
/// the second pass.
#[derive(Default)]
pub(crate) struct Context {
    first: OnceCell<Forward>,
    updated: OnceCell<NoteNet>,
    second: OnceCell<Forward>,
}

const LABEL: f64 = 2.0;

impl Context {
    fn first(&self) -> &Forward {
        self.first
            .get_or_init(|| NoteNet::new(0.5, 0.5, 1.0, 1.0).pass(1.0, LABEL))
    }

    fn updated(&self) -> &NoteNet {
        self.updated.get_or_init(|| {
            let mut net = NoteNet::new(0.5, 0.5, 1.0, 1.0);
            let p = net.pass(1.0, LABEL);
            Sgd::new(0.1).step(&mut net.params, &p.grads);
            net
        })
    }

    fn second(&self) -> &Forward {
        self.second.get_or_init(|| self.updated().pass(1.0, LABEL))
    }

    fn forward(&self, pass: Pass) -> &Forward {
        match pass {
            Pass::First => self.first(),
            Pass::Second => self.second(),
        }
    }

    /// A value of the worked example, for a printed-number rule.
    pub(crate) fn value(&self, q: Quantity) -> Evidence {
        let v = match q {
            Quantity::A11(p) => self.forward(p).a11,
            Quantity::A21(p) => self.forward(p).a21,
            Quantity::Grad(name) => self.first().grad(name),
            Quantity::Updated(name) => self.updated().get(name),
        };
        Evidence {
            value: Some(v),
            ..Default::default()
        }
    }

    /// The output relu's pre-activation and its slope there, by the engine.
    pub(crate) fn relu_active(&self) -> Facts {
        let z21 = self.first().z21;
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(z21);
        let slope = x.relu().backward()[x].item();
        Facts::default().num("z21", z21).num("slope", slope)
    }

    /// `|label - y|` and the loss before and after the step, and whether the note's own
    /// printed outputs (`own`, `stated`) are closer to the label than the first output.
    pub(crate) fn closer(&self, own: &str, stated: &str) -> Facts {
        let (before, after) = (self.first(), self.second());
        let gap_before = (LABEL - before.a21).abs();
        let nearer = |printed: &str| (LABEL - Printed::new(printed).value).abs() < gap_before;
        Facts::default()
            .num("gap_before", gap_before)
            .num("gap_after", (LABEL - after.a21).abs())
            .num("loss_before", before.loss)
            .num("loss_after", after.loss)
            .flag("loss_fell", after.loss < before.loss)
            .num("y4", round_to(after.a21, 4))
            .flag("own_closer", nearer(own))
            .flag("stated_closer", nearer(stated))
    }
}

/// The note's gradient formula for `param` against the engine's gradient over a grid of 64
/// parameter values, each point placed by whether the relu is active there.
pub(crate) fn gradient_formula(param: &str, f: &str) -> Evidence {
    let samples = (0..64)
        .map(|k| {
            let (w11, b1) = (-1.5 + 0.1 * (k % 8) as f64, 0.3 - 0.2 * (k / 8) as f64);
            let (w21, b2) = (1.2 - 0.35 * (k % 7) as f64, -0.9 + 0.3 * (k % 5) as f64);
            let x1 = 0.5 + 0.25 * (k % 3) as f64;
            let p = NoteNet::new(w11, b1, w21, b2).pass(x1, LABEL);
            Sample {
                at: p.z21,
                region: usize::from(p.z21 <= 0.0),
                engine: p.grad(param),
                claim: formula(f, &[("y", p.a21), ("a11", p.a11), ("w21", w21), ("x1", x1)]),
            }
        })
        .collect();
    Evidence {
        samples,
        regions: &["active", "inactive"],
        ..Default::default()
    }
}
