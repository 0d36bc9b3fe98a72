//! micrograd's demo (karpathy/micrograd, `demo.ipynb`), step for step:
//!
//! - data: `make_moons(n_samples=100, noise=0.1)`, labels mapped to -1 / +1;
//! - model: `MLP(2, [16, 16, 1])`: two relu hidden layers of 16 and a linear output;
//! - loss: the max-margin loss `mean(relu(1 - y * score))` plus `1e-4 * sum(p * p)` over every
//!   parameter;
//! - optimiser: 100 steps of full-batch SGD with `lr = 1 - 0.9 * k / 100`.
//!
//! micrograd builds this from scalar `Value`s, one graph node per multiply; here each layer is a
//! matrix expression (`relu(x W^T + b)`) over the whole batch, and the engine's reverse sweep
//! gives the same kind of gradients. The demo reaches 100% training accuracy; so must this.
//! At the end an ASCII plot shows the learned decision boundary.
//!
//! Run with `cargo run --release --example 07_moons`.

use chainrule::nn::optim::{Optimizer, Sgd};
use chainrule::nn::{data, loss, Activation, Mlp, Module, ParamStore, Sequential};
use chainrule::{Tape, Tensor};
use std::time::Instant;

const DATA_SEED: u64 = 1;
const MODEL_SEED: u64 = 0;
const STEPS: usize = 100;

fn main() {
    let moons = data::two_moons::<f64>(100, 0.1, DATA_SEED);
    let y: Vec<f64> = moons
        .labels
        .iter()
        .map(|&l| if l == 1 { 1.0 } else { -1.0 })
        .collect();
    let y = Tensor::from_vec(y, &[100, 1]).unwrap();

    let mut params = ParamStore::<f64>::new();
    let acts = [Activation::Relu, Activation::Relu, Activation::Identity];
    let model = Mlp::new(&mut params, "layers", &[2, 16, 16, 1], &acts, MODEL_SEED).unwrap();
    println!(
        "MLP 2-16-16-1 (relu, relu, linear): {} parameters",
        params.num_params()
    );

    let mut opt = Sgd::new(1.0);
    let mut tape = Tape::new();
    let start = Instant::now();
    let mut first_perfect = None;
    for k in 0..STEPS {
        tape.reset();
        let bound = params.bind(&tape);
        let scores = model.forward(&bound, tape.constant_from(&moons.x));
        let data_loss = loss::hinge(scores, tape.constant_from(&y)).unwrap();
        let reg_loss = loss::l2_penalty(bound.vars()).unwrap().mul_scalar(1e-4);
        let total = data_loss + reg_loss;
        let acc = accuracy(&scores.value(), &y);
        if acc == 1.0 && first_perfect.is_none() {
            first_perfect = Some(k);
        }
        let grads = bound.grads(total.backward());
        let lr = 1.0 - 0.9 * k as f64 / STEPS as f64;
        opt.set_lr(lr);
        opt.step(&mut params, &grads);
        if k % 10 == 0 || k == STEPS - 1 {
            println!(
                "step {k:>3} loss {:.6}, accuracy {:>5.1}%  (lr {lr:.3})",
                total.item(),
                acc * 100.0
            );
        }
    }
    let elapsed = start.elapsed();

    // The trained model, evaluated after the last step.
    let tape = Tape::new();
    let scores = model
        .forward(&params.bind(&tape), tape.constant_from(&moons.x))
        .value();
    let acc = accuracy(&scores, &y);
    println!(
        "\nafter {STEPS} steps ({:.1} ms): training accuracy {:.0}% (first 100% at step {})",
        elapsed.as_secs_f64() * 1e3,
        acc * 100.0,
        first_perfect.map_or("-".to_string(), |k| k.to_string())
    );
    plot(&model, &params, &moons.x, &moons.labels);
    assert_eq!(acc, 1.0, "micrograd's demo reaches 100% training accuracy");
}

fn accuracy(scores: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
    let right = scores
        .as_slice()
        .iter()
        .zip(y.as_slice())
        .filter(|(s, y)| (**s > 0.0) == (**y > 0.0))
        .count();
    right as f64 / y.numel() as f64
}

/// The decision regions on a grid (`.` for class -1, `:` for +1) with the training points on
/// top (`o` for -1, `x` for +1; upper case if misclassified).
fn plot(model: &Sequential, params: &ParamStore<f64>, x: &Tensor<f64>, labels: &[usize]) {
    let (cols, rows) = (64, 24);
    let (x0, x1, y0, y1) = (-1.5, 2.5, -1.0, 1.5);
    let mut grid = Vec::with_capacity(cols * rows * 2);
    for r in 0..rows {
        for c in 0..cols {
            let px = x0 + (x1 - x0) * (c as f64 + 0.5) / cols as f64;
            let py = y1 - (y1 - y0) * (r as f64 + 0.5) / rows as f64;
            grid.extend([px, py]);
        }
    }
    let tape = Tape::new();
    let bound = params.bind(&tape);
    let g = model
        .forward(
            &bound,
            tape.constant(Tensor::from_vec(grid, &[rows * cols, 2]).unwrap()),
        )
        .value();
    let s = model.forward(&bound, tape.constant_from(x)).value();
    let mut canvas: Vec<Vec<char>> = (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| {
                    if g.as_slice()[r * cols + c] > 0.0 {
                        ':'
                    } else {
                        '.'
                    }
                })
                .collect()
        })
        .collect();
    for (i, &l) in labels.iter().enumerate() {
        let (px, py) = (x.as_slice()[2 * i], x.as_slice()[2 * i + 1]);
        let c = ((px - x0) / (x1 - x0) * cols as f64).floor();
        let r = ((y1 - py) / (y1 - y0) * rows as f64).floor();
        if c < 0.0 || r < 0.0 || c >= cols as f64 || r >= rows as f64 {
            continue;
        }
        let right = (s.as_slice()[i] > 0.0) == (l == 1);
        let ch = match (l == 1, right) {
            (false, true) => 'o',
            (true, true) => 'x',
            (false, false) => 'O',
            (true, false) => 'X',
        };
        canvas[r as usize][c as usize] = ch;
    }
    println!("\ndecision regions ('.' score < 0, ':' score > 0); points: o class -1, x class +1");
    for row in canvas {
        println!("  {}", row.into_iter().collect::<String>());
    }
}
