//! A program written only against `use chainrule::prelude::*;`, as a user's crate would be:
//! two interleaved moons, a small network, the training loop of the library, a Hessian-vector
//! product of the loss in the parameters (no Hessian formed), and a check of its accuracy.
//!
//! Run with `cargo run --release --example 09_prelude`.

use chainrule::prelude::*;

fn main() {
    let moons: Dataset<f64> = data::two_moons(200, 0.1, 0);
    let (train_set, test_set) = moons.split(0.25, 1);

    let mut params = ParamStore::new();
    let acts = [Activation::Relu, Activation::Relu, Activation::Identity];
    let model = Mlp::new(&mut params, "layers", &[2, 16, 16, 2], &acts, 0).expect("fresh names");
    let config = TrainConfig {
        epochs: 60,
        batch_size: 16,
        ..TrainConfig::default()
    };
    let history = fit(
        &model,
        &mut params,
        &mut Adam::new(0.01),
        &train_set,
        Some(&test_set),
        &config,
        |_| {},
    );
    let last = history.last().expect("60 epochs");
    let accuracy = last.test_accuracy.expect("a test set was given");
    println!(
        "after {} epochs: train loss {:.4}, test accuracy {:.1}%",
        history.len(),
        last.train_loss,
        100.0 * accuracy
    );
    assert!(
        accuracy >= 0.95,
        "two moons are separable by this network: {accuracy}"
    );

    // The loss as a function of the last layer's bias alone, and its curvature along (1, -1):
    // softmax cross-entropy is convex in the logits, so v^T H v >= 0.
    let w = params.value("layers.2.weight").expect("a layer").clone();
    let hidden = {
        let tape = Tape::new();
        let h = model.modules()[..2]
            .iter()
            .fold(tape.constant_from(&train_set.x), |h, layer| {
                layer.forward(&params.bind(&tape), h)
            });
        h.value()
    };
    let labels = train_set.labels.clone();
    let bias = params.value("layers.2.bias").expect("a layer").clone();
    let v = Tensor::from(vec![1.0, -1.0]);
    // The closure goes straight into `hvp` (stored in a `let` first, Rust could not infer that
    // it works for every tape's lifetime).
    let (j, hv) = hvp(
        |b| {
            let tape = b[0].tape();
            let logits = tape.constant_from(&hidden).matmul(tape.constant_from(&w).t()) + b[0];
            loss::cross_entropy(logits, &labels).expect("labels in range")
        },
        &[bias],
        std::slice::from_ref(&v),
    )
    .expect("a scalar loss");
    let curvature: f64 = hv[0].to_vec().iter().zip(v.to_vec()).map(|(a, b)| a * b).sum();
    println!(
        "loss {:.4}; curvature along (1, -1) in the output bias: {curvature:.6}",
        j.item()
    );
    assert!((j.item() - last.train_loss).abs() < 0.05);
    assert!(curvature >= 0.0);
}
