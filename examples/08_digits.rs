//! The note's digit classifier: an input layer with one neuron per pixel (64 for the embedded
//! 8x8 UCI digits), one hidden relu layer, and an output layer with one neuron per class (10),
//! trained with softmax cross-entropy by `nn::train::fit_with` (shuffled mini-batches, Adam, a
//! cosine learning-rate schedule), printing the test accuracy after every epoch.
//!
//! The data ships inside the binary (1500 training and 297 test images; see
//! `crates/nn/data/digits/README.md`), so this runs offline. It must reach 97% test accuracy.
//!
//! Run with `cargo run --release --example 08_digits`.

use chainrule::nn::optim::{Adam, LrSchedule};
use chainrule::nn::train::{self, fit_with, TrainConfig};
use chainrule::nn::{data, Activation, Mlp, Module, ParamStore};
use chainrule::Tape;
use std::time::Instant;

const HIDDEN: usize = 64;
const EPOCHS: usize = 20;

fn main() {
    let train_set = data::digits::train::<f32>().unwrap();
    let test_set = data::digits::test::<f32>().unwrap();
    println!(
        "digits: {} training and {} test images of {} pixels, {} classes",
        train_set.len(),
        test_set.len(),
        train_set.features(),
        train_set.classes
    );

    let mut params = ParamStore::<f32>::new();
    let acts = [Activation::Relu, Activation::Identity];
    let model = Mlp::new(&mut params, "layers", &[64, HIDDEN, 10], &acts, 0).unwrap();
    println!(
        "MLP 64-{HIDDEN}-10 (relu, logits): {} parameters",
        params.num_params()
    );
    for (_, name, p) in params.iter() {
        println!("  {name:<16} {:?}", p.value().shape());
    }

    let config = TrainConfig {
        epochs: EPOCHS,
        batch_size: 32,
        seed: 0,
        schedule: LrSchedule::Cosine {
            t_max: EPOCHS,
            eta_min: 0.0,
        },
        clip_grad_norm: None,
        detect_anomaly: false,
        drop_last: false,
    };
    println!("\nAdam lr 3e-3, cosine schedule, batch 32, {EPOCHS} epochs");
    println!("epoch  train loss  train acc  test loss  test acc      lr     ms");
    let start = Instant::now();
    let mut log = train::on_epoch(|m| {
        println!(
            "{:>5}  {:>10.4}  {:>8.2}%  {:>9.4}  {:>7.2}%  {:.5}  {:>5.1}",
            m.epoch,
            m.train_loss,
            m.train_accuracy.unwrap() * 100.0,
            m.test_loss.unwrap(),
            m.test_accuracy.unwrap() * 100.0,
            m.lr,
            m.seconds * 1e3
        )
    });
    let history = fit_with(
        &model,
        &mut params,
        &mut Adam::new(3e-3),
        &train_set,
        Some(&test_set),
        &config,
        &mut log,
    );
    let elapsed = start.elapsed();

    let eval = train::evaluate(&model, &params, &test_set, 512);
    assert_eq!(eval.accuracy, history.last().unwrap().test_accuracy);
    let (accuracy, confusion) = (eval.accuracy.unwrap(), eval.confusion.unwrap());
    println!(
        "\ntest accuracy {:.2}% ({} of {}), trained and evaluated in {:.0} ms",
        accuracy * 100.0,
        confusion.correct(),
        test_set.len(),
        elapsed.as_secs_f64() * 1e3
    );
    println!("\nconfusion matrix (rows: true digit, columns: predicted)");
    println!("     {}", (0..10).map(|d| format!("{d:>4}")).collect::<String>());
    for t in 0..10 {
        println!(
            "  {t}: {}",
            (0..10)
                .map(|p| match confusion.get(t, p) {
                    0 => "   .".to_string(),
                    n => format!("{n:>4}"),
                })
                .collect::<String>()
        );
    }

    // The first misclassified test image, drawn.
    let tape = Tape::new();
    let logits = model
        .forward(&params.bind(&tape), tape.constant_from(&test_set.x))
        .value();
    let pred = train::argmax_rows(&logits);
    if let Some(i) = (0..test_set.len()).find(|&i| pred[i] != test_set.labels[i]) {
        println!(
            "\ntest image {i}: labelled {}, predicted {}",
            test_set.labels[i], pred[i]
        );
        let px = &test_set.x.as_slice()[64 * i..64 * (i + 1)];
        for row in px.chunks(8) {
            let line: String = row
                .iter()
                .map(|&v| [" ", ".", ":", "#"][((v * 3.0).round() as usize).min(3)])
                .collect();
            println!("    |{}|", line.chars().flat_map(|c| [c, c]).collect::<String>());
        }
    }
    assert!(accuracy >= 0.97, "test accuracy {accuracy} is below 97%");
}
