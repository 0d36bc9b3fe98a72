//! Sequential and its modules: dropout's masks and statistics, modes, a checkpoint round trip
//! of every module bit for bit, old MLP checkpoints, the summary and the printed model.

use autograd::{Tape, Tensor};
use nn::checkpoint::{self, RebuildError};
use nn::optim::Adam;
use nn::train::{self, TrainConfig};
use nn::{Activation, Dropout, Module, ParamStore, Sequential};

fn dropout_pass(d: &Dropout, n: usize, train: bool) -> Vec<f64> {
    let ps = ParamStore::<f64>::new();
    let tape = Tape::new();
    let bound = if train {
        ps.bind(&tape)
    } else {
        ps.bind_eval(&tape)
    };
    d.forward(&bound, tape.constant(Tensor::ones(&[n])))
        .value()
        .to_vec()
}

#[test]
fn dropout_preserves_the_expectation_within_five_standard_deviations() {
    let n = 200_000;
    for p in [0.1, 0.3, 0.5, 0.9] {
        let d = Dropout::new(p, 42).unwrap();
        let y = dropout_pass(&d, n, true);
        let scale = 1.0 / (1.0 - p);
        assert!(
            y.iter().all(|&v| v == 0.0 || v == scale),
            "p={p}: values other than 0 and 1/(1-p)"
        );
        // y_i = B_i / (1 - p), B_i ~ Bernoulli(1 - p): E = 1, Var = p / (1 - p).
        let mean = y.iter().sum::<f64>() / n as f64;
        let sd = (p / (1.0 - p) / n as f64).sqrt();
        assert!(
            (mean - 1.0).abs() < 5.0 * sd,
            "p={p}: mean {mean}, 5 sd = {}",
            5.0 * sd
        );
        // The fraction dropped: E = p, Var = p (1 - p) / n.
        let dropped = y.iter().filter(|&&v| v == 0.0).count() as f64 / n as f64;
        assert!(
            (dropped - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt(),
            "p={p}: dropped {dropped}"
        );
    }
}

#[test]
fn dropout_masks_are_seeded_new_each_pass_and_off_in_eval() {
    let (a, b) = (Dropout::new(0.5, 7).unwrap(), Dropout::new(0.5, 7).unwrap());
    let first = dropout_pass(&a, 256, true);
    // Evaluation: the identity, and no mask drawn.
    assert_eq!(dropout_pass(&a, 256, false), vec![1.0; 256]);
    let second = dropout_pass(&a, 256, true);
    assert_ne!(first, second, "a new mask each training pass");
    assert_eq!(
        (dropout_pass(&b, 256, true), dropout_pass(&b, 256, true)),
        (first.clone(), second)
    );
    assert_ne!(
        dropout_pass(&Dropout::new(0.5, 8).unwrap(), 256, true),
        first,
        "another seed"
    );
    assert_eq!(
        dropout_pass(&Dropout::new(1.0, 0).unwrap(), 8, true),
        vec![0.0; 8]
    );
    assert_eq!(
        dropout_pass(&Dropout::new(0.0, 0).unwrap(), 8, true),
        vec![1.0; 8]
    );
    // The derivative is the mask: d sum(dropout(x)) / dx = the scaled mask.
    let d = Dropout::new(0.25, 3).unwrap();
    let ps = ParamStore::<f64>::new();
    let tape = Tape::new();
    let x = tape.var(Tensor::from(vec![0.5; 64]));
    let y = d.forward(&ps.bind(&tape), x);
    let g = y.sum().backward();
    let mask: Vec<f64> = y.value().as_slice().iter().map(|v| v / 0.5).collect();
    assert_eq!(g[x].to_vec(), mask);
}

/// A model with every built-in module.
fn every_module<T: chainrule::Float>(ps: &mut ParamStore<T>, seed: u64) -> Sequential<T> {
    Sequential::builder(ps, seed)
        .linear(3, 6)
        .batch_norm1d(6)
        .relu()
        .dropout(0.25)
        .dense(6, 5, Activation::LeakyRelu(0.2))
        .layer_norm(5)
        .silu()
        .linear_bias(5, 4, false)
        .tanh()
        .leaky_relu(0.05)
        .sigmoid()
        .identity()
        .linear(4, 3)
        .softmax()
        .build()
        .unwrap()
}

fn x() -> Tensor<f64> {
    Tensor::from_vec((0..12).map(|i| (i as f64 * 0.37).sin()).collect(), &[4, 3]).unwrap()
}

#[test]
fn a_sequential_of_every_module_round_trips_bit_for_bit() {
    let mut ps = ParamStore::<f64>::new();
    let model = every_module(&mut ps, 5);
    // One training pass so that the running statistics are not the initial ones.
    let tape = Tape::new();
    let bound = ps.bind(&tape);
    model.forward(&bound, tape.constant(x()));
    ps.update_buffers(&bound);
    assert_ne!(ps.value("1.running_mean").unwrap(), &Tensor::zeros(&[6]));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("every.safetensors");
    let extra = [("note".to_string(), "kept".to_string())].into_iter().collect();
    checkpoint::save_sequential(&model, &ps, &path, &extra).unwrap();
    let (again, loaded) = checkpoint::load_sequential::<f64>(&path).unwrap();
    assert_eq!(loaded, ps);
    assert_eq!(format!("{again:?}"), format!("{model:?}"));
    let meta = checkpoint::read_metadata(&path).unwrap();
    assert_eq!(meta["note"], "kept");
    assert_eq!(
        checkpoint::to_bytes(&loaded, &meta).unwrap(),
        std::fs::read(&path).unwrap()
    );
    let out = |m: &Sequential, p: &ParamStore<f64>| {
        let tape = Tape::new();
        m.forward(&p.bind_eval(&tape), tape.constant(x())).value()
    };
    assert_eq!(out(&again, &loaded).as_slice(), out(&model, &ps).as_slice());

    // In f32 too.
    let mut ps32 = ParamStore::<f32>::new();
    let model32 = every_module(&mut ps32, 9);
    checkpoint::save_sequential(&model32, &ps32, &path, &Default::default()).unwrap();
    let (again32, loaded32) = checkpoint::load_sequential::<f32>(&path).unwrap();
    assert_eq!((format!("{again32:?}"), loaded32), (format!("{model32:?}"), ps32));
}

#[test]
fn a_checkpoint_of_the_older_mlp_keys_still_loads() {
    // Written by `MlpSpec::build(.., "layers", 7)` and `checkpoint::save` before Sequential
    // existed: a 3-4-2 tanh/identity MLP; its outputs on this input were printed then.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mlp_v0.safetensors");
    let (model, ps) = checkpoint::load_sequential::<f64>(&path).unwrap();
    assert_eq!(
        format!("{model:?}"),
        "Sequential(\n  (0): Dense(in_features=3, out_features=4, activation=tanh)\n  \
         (1): Dense(in_features=4, out_features=2, activation=identity)\n)"
    );
    let tape = Tape::new();
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 1.5, 0.25, -0.75], &[2, 3]).unwrap();
    let y = model.forward(&ps.bind_eval(&tape), tape.constant(x)).value();
    assert_eq!(
        y.as_slice(),
        &[
            -0.44695465386528743,
            -0.9169958597657594,
            1.5175488604645042,
            -0.529512092861632
        ]
    );
}

#[test]
fn bad_descriptions_are_errors_naming_the_module() {
    let mut ps = ParamStore::<f64>::new();
    let model = every_module(&mut ps, 0);
    let meta = checkpoint::sequential_metadata(&model);
    let text = &meta[checkpoint::SEQUENTIAL_KEY];
    let with = |t: String| {
        [(checkpoint::SEQUENTIAL_KEY.to_string(), t)]
            .into_iter()
            .collect()
    };
    let err = |t: String| checkpoint::rebuild(&with(t), &mut ParamStore::<f64>::new(), 0).unwrap_err();
    assert_eq!(
        err(text.replace("\"SiLU\"", "\"Swish\"")).to_string(),
        "chainrule.sequential: module 6: unknown module type \"Swish\""
    );
    assert_eq!(
        err(text.replace("[\"p\",\"0.25\"]", "[\"p\",\"x\"]")).to_string(),
        "chainrule.sequential: module 3: Dropout: argument p=\"x\" is not valid"
    );
    assert_eq!(
        err(text.replace("[\"p\",\"0.25\"]", "[\"p\",\"1.5\"]")).to_string(),
        "dropout probability has to be between 0 and 1, but got 1.5"
    );
    assert_eq!(
        err(text.replace("\"version\":1", "\"version\":2")),
        RebuildError::Version(2)
    );
    assert!(matches!(err("{".into()), RebuildError::Malformed(_)));
    let none = checkpoint::rebuild(&Default::default(), &mut ParamStore::<f64>::new(), 0).unwrap_err();
    assert_eq!(none, RebuildError::Missing);
    // Into a store that already has the names: the builder's error.
    let taken = checkpoint::rebuild(&meta, &mut ps, 0).unwrap_err();
    assert_eq!(taken.to_string(), "a parameter named \"0.weight\" already exists");
}

#[test]
fn fit_updates_running_statistics_and_evaluate_changes_nothing() {
    let data = nn::data::spirals::<f64>(20, 3, 0.1, 0);
    let mut ps = ParamStore::<f64>::new();
    let model = Sequential::builder(&mut ps, 0)
        .linear(2, 8)
        .batch_norm1d(8)
        .relu()
        .dropout(0.1)
        .linear(8, 3)
        .build()
        .unwrap();
    let config = TrainConfig {
        epochs: 2,
        batch_size: 16,
        ..TrainConfig::default()
    };
    train::fit(
        &model,
        &mut ps,
        &mut Adam::new(0.01),
        &data,
        None,
        &config,
        |_| {},
    );
    assert_ne!(ps.value("1.running_mean").unwrap(), &Tensor::zeros(&[8]));
    let before = ps.clone();
    let a = train::evaluate(&model, &ps, &data, 7);
    let b = train::evaluate(&model, &ps, &data, 60);
    assert_eq!(ps, before);
    // Evaluation mode: the statistics do not depend on the batch, nor the dropout on a draw.
    assert!(
        (a.loss - b.loss).abs() < 1e-12 && a.accuracy == b.accuracy,
        "{a:?} vs {b:?}"
    );
}

fn batch_norm_model(ps: &mut ParamStore<f64>) -> Sequential<f64> {
    Sequential::builder(ps, 0)
        .linear(2, 4)
        .batch_norm1d(4)
        .linear(4, 3)
        .build()
        .unwrap()
}

#[test]
fn drop_last_skips_a_last_batch_of_one_row_that_batch_norm_cannot_train_on() {
    // 33 rows in batches of 16: 16, 16 and 1. The last one panics in training mode, as in
    // PyTorch, with a message naming the fix; `drop_last` takes 2 steps an epoch instead.
    let data = nn::data::spirals::<f64>(11, 3, 0.1, 0);
    assert_eq!(data.len(), 33);
    let config = TrainConfig {
        epochs: 1,
        batch_size: 16,
        ..TrainConfig::default()
    };
    let mut ps = ParamStore::<f64>::new();
    let model = batch_norm_model(&mut ps);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        train::fit(
            &model,
            &mut ps,
            &mut Adam::new(0.01),
            &data,
            None,
            &config,
            |_| {},
        )
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("got input shape [1, 4]") && message.contains("drop_last: true"),
        "{message}"
    );

    let mut ps = ParamStore::<f64>::new();
    let model = batch_norm_model(&mut ps);
    let mut steps = Vec::new();
    let config = TrainConfig {
        drop_last: true,
        ..config
    };
    let history = train::fit_with(
        &model,
        &mut ps,
        &mut Adam::new(0.01),
        &data,
        None,
        &config,
        &mut train::on_batch(|b: &train::BatchInfo| steps.push((b.batch, b.batches))),
    );
    assert_eq!(steps, [(0, 2), (1, 2)]);
    assert!(history[0].train_loss.is_finite());

    let small = TrainConfig {
        batch_size: 34,
        ..config
    };
    let err = train::try_fit_with(
        &model,
        &mut ps,
        &mut Adam::new(0.01),
        &data,
        None,
        &small,
        &mut (),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "drop_last leaves no batch: 33 training rows, batch size 34"
    );
}

#[test]
fn summary_and_debug_of_a_fixed_model() {
    let mut ps = ParamStore::<f64>::new();
    let model = Sequential::builder(&mut ps, 0)
        .linear(784, 128)
        .batch_norm1d(128)
        .relu()
        .dropout(0.5)
        .linear(128, 10)
        .build()
        .unwrap();
    ps.set_frozen("0.weight", true).unwrap();
    let summary = model.summary(&ps, 784).to_string();
    println!("{summary}");
    assert_eq!(summary, GOLDEN);
    println!("{model:?}");
    assert_eq!(format!("{model:?}"), GOLDEN_DEBUG);
}

const GOLDEN: &str = "\
Input: [N, 784]
Layer (type)     Output shape   Params  Trainable
-------------------------------------------------
0 (Linear)       [N, 128]      100,480  partly
1 (BatchNorm1d)  [N, 128]          256  yes
2 (ReLU)         [N, 128]            0  -
3 (Dropout)      [N, 128]            0  -
4 (Linear)       [N, 10]         1,290  yes
-------------------------------------------------
Total params: 102,026
Trainable params: 1,674
Frozen params: 100,352
Buffers: 256 values (running statistics, not trained)";
const GOLDEN_DEBUG: &str = "\
Sequential(
  (0): Linear(in_features=784, out_features=128, bias=true)
  (1): BatchNorm1d(num_features=128, eps=0.00001, momentum=0.1)
  (2): ReLU()
  (3): Dropout(p=0.5, seed=16663874596377535486)
  (4): Linear(in_features=128, out_features=10, bias=true)
)";
