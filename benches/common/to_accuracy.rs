//! Time to accuracy's run, shared by `benches/time_to_accuracy.rs` and the comparison harness's
//! chainrule worker (`bench/compare/chainrule-side`, which includes this file by path), so both
//! time the same thing.
//!
//! The defaults, as in `crates/cli/src/train.rs`: an MLP 64-64-10 (relu hidden, linear output)
//! built with seed 0, `f32`, Adam (lr 0.003, no weight decay), constant
//! schedule, batch size 32, at most 20 epochs, batch order seed 0, evaluation on the 297 test
//! images after every epoch. `nn::train::fit_with` runs it with a callback that stops after the
//! first epoch at or above 97% (the CLI would go on to 20 epochs and write its outputs).

use nn::optim::Adam;
use nn::train::{fit_with, stop_when, TrainConfig};
use nn::{data::digits, Activation, Mlp, ParamStore};

/// The accuracy to reach.
pub const TARGET: f64 = 0.97;

/// Trains from scratch, loading the embedded data and building the model included, until the
/// test accuracy reaches [`TARGET`] (or 20 epochs pass); returns the epochs run and the last
/// test accuracy.
pub fn train_to_target() -> (usize, f64) {
    let train = digits::train::<f32>().expect("embedded digits");
    let test = digits::test::<f32>().expect("embedded digits");
    let mut params = ParamStore::<f32>::new();
    // Seed 0, as the CLI builds it.
    let acts = [Activation::Relu, Activation::Identity];
    let mlp = Mlp::new(&mut params, "layers", &[64, 64, 10], &acts, 0).expect("fresh store");
    let config = TrainConfig {
        epochs: 20,
        batch_size: 32,
        seed: 0,
        ..TrainConfig::default()
    };
    let mut stop = stop_when(|m| m.test_accuracy >= Some(TARGET));
    let history = fit_with(
        &mlp,
        &mut params,
        &mut Adam::new(0.003),
        &train,
        Some(&test),
        &config,
        &mut stop,
    );
    let last = history.last().expect("an epoch");
    (history.len(), last.test_accuracy.unwrap_or(0.0))
}
