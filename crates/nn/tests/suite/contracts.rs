//! Contracts that fail loudly: optimisers check gradients against parameters (count and
//! shape, naming the parameter) and their settings, and change nothing when they refuse a
//! step; parameter values are replaced only through shape-checked setters; the training loop
//! and evaluation return errors instead of panicking on labels that do not fit the model;
//! typed errors for activations and layer stacks.

use autograd::Tensor;
use nn::data::Dataset;
use nn::optim::{Adam, OptimError, Optimizer, Sgd};
use nn::train::{try_evaluate, try_fit_with, TrainConfig, TrainError};
use nn::{Activation, LayerError, Mlp, ParamError, ParamStore, Sequential};

fn store() -> ParamStore<f64> {
    let mut ps = ParamStore::new();
    ps.add(
        "weight",
        Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25, 1.5, -0.75], &[2, 3]).unwrap(),
    )
    .unwrap();
    ps.add("bias", Tensor::from(vec![0.1, -0.2])).unwrap();
    ps
}

fn good_grads() -> Vec<Option<Tensor<f64>>> {
    vec![
        Some(Tensor::from_vec(vec![0.3, -0.1, 0.2, 0.05, -0.4, 0.6], &[2, 3]).unwrap()),
        Some(Tensor::from(vec![-0.5, 0.7])),
    ]
}

fn bits(ps: &ParamStore<f64>) -> Vec<Vec<u64>> {
    ps.iter()
        .map(|(_, _, p)| p.value().as_slice().iter().map(|x| x.to_bits()).collect())
        .collect()
}

/// The optimisers under test, each fresh, with momentum or state so a refused step that
/// touched the state would show in the next good step.
fn optimizers() -> Vec<(&'static str, Box<dyn Optimizer<f64>>)> {
    vec![
        ("sgd", Box::new(Sgd::new(0.1))),
        (
            "sgd momentum",
            Box::new(Sgd::new(0.1).momentum(0.9).weight_decay(0.01)),
        ),
        ("adam", Box::new(Adam::new(0.01))),
        ("adamw", Box::new(Adam::adamw(0.01))),
    ]
}

/// Wrong gradient lists of every kind: too few, too many, a wrong shape in each slot.
fn bad_grads() -> Vec<(Vec<Option<Tensor<f64>>>, OptimError)> {
    let mut cases = Vec::new();
    for n in [0, 1, 3, 7] {
        let grads: Vec<_> = (0..n).map(|_| None).collect();
        cases.push((grads, OptimError::Count { expected: 2, got: n }));
    }
    let shapes: [&[usize]; 5] = [&[3, 2], &[6], &[2, 3, 1], &[], &[2, 4]];
    for shape in shapes {
        let mut grads = good_grads();
        grads[0] = Some(Tensor::zeros(shape));
        let err = OptimError::Shape {
            name: "weight".into(),
            expected: vec![2, 3],
            got: shape.to_vec(),
        };
        cases.push((grads, err));
        let mut grads = good_grads();
        grads[1] = Some(Tensor::zeros(shape));
        let err = OptimError::Shape {
            name: "bias".into(),
            expected: vec![2],
            got: shape.to_vec(),
        };
        cases.push((grads, err));
    }
    cases
}

#[test]
fn a_refused_step_names_the_problem_and_changes_nothing() {
    for (name, _) in optimizers() {
        for (grads, expected) in bad_grads() {
            let mut opt = optimizers().into_iter().find(|(n, _)| *n == name).unwrap().1;
            let mut ps = store();
            // One good step first, so the optimiser has state to corrupt.
            opt.try_step(&mut ps, &good_grads()).unwrap();
            let before = bits(&ps);
            let err = opt.try_step(&mut ps, &grads).unwrap_err();
            assert_eq!(err, expected, "{name}");
            assert_eq!(bits(&ps), before, "{name}: a refused step changed the parameters");
            // The next good step gives what it gives without the refused one in between.
            opt.try_step(&mut ps, &good_grads()).unwrap();
            let mut reference = optimizers().into_iter().find(|(n, _)| *n == name).unwrap().1;
            let mut expected_ps = store();
            reference.try_step(&mut expected_ps, &good_grads()).unwrap();
            reference.try_step(&mut expected_ps, &good_grads()).unwrap();
            assert_eq!(
                bits(&ps),
                bits(&expected_ps),
                "{name}: a refused step changed the state"
            );
        }
    }
}

#[test]
fn step_panics_with_the_same_message() {
    let mut ps = store();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Sgd::new(0.1).step(&mut ps, &[None]);
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(
        msg,
        "1 gradients for 2 parameters (one per parameter, in store order; None skips one)"
    );
}

#[test]
fn settings_out_of_range_are_refused() {
    let cases: Vec<(Box<dyn Optimizer<f64>>, &str)> = vec![
        (Box::new(Sgd::new(-0.1)), "invalid lr -0.1: a finite number >= 0"),
        (
            Box::new(Sgd::new(f64::NAN)),
            "invalid lr NaN: a finite number >= 0",
        ),
        (
            Box::new(Sgd::new(0.1).momentum(-0.5)),
            "invalid momentum -0.5: a finite number >= 0",
        ),
        (
            Box::new(Sgd::new(0.1).weight_decay(f64::INFINITY)),
            "invalid weight_decay inf: a finite number >= 0",
        ),
        (
            Box::new(Adam::new(0.1).betas(1.0, 0.999)),
            "invalid beta1 1: in [0, 1)",
        ),
        (
            Box::new(Adam::new(0.1).betas(0.9, -0.1)),
            "invalid beta2 -0.1: in [0, 1)",
        ),
        (
            Box::new(Adam::new(0.1).eps(-1e-8)),
            "invalid eps -0.00000001: a finite number >= 0",
        ),
    ];
    for (mut opt, message) in cases {
        let mut ps = store();
        let before = bits(&ps);
        let err = opt.try_step(&mut ps, &good_grads()).unwrap_err();
        assert_eq!(err.to_string(), message);
        assert_eq!(bits(&ps), before);
    }
}

#[test]
fn values_are_replaced_only_with_their_shape() {
    let mut ps = store();
    let w = ps.id("weight").unwrap();
    let err = ps.set_by_id(w, Tensor::zeros(&[3, 2])).unwrap_err();
    assert_eq!(
        err,
        ParamError::Shape {
            name: "weight".into(),
            expected: vec![2, 3],
            got: vec![3, 2]
        }
    );
    assert_eq!(
        ps.set("nope", Tensor::zeros(&[1])),
        Err(ParamError::Unknown("nope".into()))
    );
    ps.set_by_id(w, Tensor::ones(&[2, 3])).unwrap();
    assert_eq!(ps.get(w).value().to_vec(), vec![1.0; 6]);
    ps.set_frozen("weight", true).unwrap();
    assert!(ps.get(w).frozen());
}

/// Two inputs, labels in 0..classes, a model with `outputs` logits.
fn setup(classes: usize, outputs: usize) -> (Sequential, ParamStore<f64>, Dataset<f64>) {
    let mut ps = ParamStore::new();
    let mlp = Mlp::new(&mut ps, "layers", &[2, outputs], &[Activation::Identity], 0).unwrap();
    let n = 10;
    let x = Tensor::from_vec((0..2 * n).map(|i| (i as f64 * 0.37).sin()).collect(), &[n, 2]).unwrap();
    let labels = (0..n).map(|i| i % classes).collect();
    (mlp, ps, Dataset::new(x, labels, classes).unwrap())
}

#[test]
fn labels_beyond_the_models_outputs_are_an_error_not_a_panic() {
    for (classes, outputs) in [(5, 3), (4, 1), (3, 2)] {
        let (mlp, mut ps, data) = setup(classes, outputs);
        let before = ps.clone();
        // A seed whose first shuffled batch holds a label too large: the failing step is then
        // the first one, so the parameters must be exactly as they were.
        let seed = (0..)
            .find(|&s| {
                nn::data::shuffled(data.len(), s)[..4]
                    .iter()
                    .any(|&i| data.labels[i] >= outputs)
            })
            .unwrap();
        let config = TrainConfig {
            epochs: 2,
            batch_size: 4,
            seed,
            ..TrainConfig::default()
        };
        let err = try_fit_with(&mlp, &mut ps, &mut Sgd::new(0.1), &data, None, &config, &mut ()).unwrap_err();
        let expected = "epoch 1, batch 0";
        match &err {
            TrainError::Loss { at, .. } => assert_eq!(at, expected),
            e => panic!("expected a loss error, got {e:?}"),
        }
        assert!(err.to_string().starts_with(&format!("{expected}: ")), "{err}");
        assert_eq!(ps, before, "the failing step changed the parameters");
        // Evaluation goes in order: the first failing batch holds the first label too large.
        let first_bad = data.labels.iter().position(|&l| l >= outputs).unwrap();
        let err = try_evaluate(&mlp, &ps, &data, 3).unwrap_err();
        let at = format!("evaluation, batch {}: ", first_bad / 3);
        assert!(err.to_string().starts_with(&at), "{err}");
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}

#[test]
fn more_outputs_than_classes_count_in_the_confusion_matrix() {
    let (mlp, ps, data) = setup(2, 5);
    let e = try_evaluate(&mlp, &ps, &data, 4).unwrap();
    let confusion = e.confusion.unwrap();
    // Sparse: any predicted class of the model's 5 outputs is counted, none beyond.
    assert!(confusion.classes() <= 5);
    assert!(confusion.iter().all(|((t, p), _)| t < 2 && p < 5));
    assert_eq!(confusion.total(), data.len());
    let correct: usize = (0..5).map(|i| confusion.get(i, i)).sum();
    assert_eq!(e.accuracy, Some(correct as f64 / data.len() as f64));
}

#[test]
fn a_batch_size_of_zero_is_an_error() {
    let (mlp, mut ps, data) = setup(2, 2);
    let config = TrainConfig {
        batch_size: 0,
        ..TrainConfig::default()
    };
    let err = try_fit_with(&mlp, &mut ps, &mut Sgd::new(0.1), &data, None, &config, &mut ());
    assert_eq!(err.unwrap_err(), TrainError::BatchSize);
    assert_eq!(
        try_evaluate(&mlp, &ps, &data, 0).unwrap_err(),
        TrainError::BatchSize
    );
}

#[test]
fn a_refused_optimiser_step_stops_training_with_its_place() {
    let (mlp, mut ps, data) = setup(2, 2);
    let config = TrainConfig {
        epochs: 1,
        batch_size: 4,
        ..TrainConfig::default()
    };
    let err = try_fit_with(
        &mlp,
        &mut ps,
        &mut Adam::new(0.1).betas(1.5, 0.9),
        &data,
        None,
        &config,
        &mut (),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "epoch 1, batch 0: invalid beta1 1.5: in [0, 1)");
}

#[test]
fn layer_stacks_and_activations_have_typed_errors() {
    let err = Mlp::new(&mut ParamStore::<f64>::new(), "l", &[2, 3, 1], &[], 0).unwrap_err();
    assert_eq!(err, LayerError::Activations { sizes: 3, got: 0 });
    let mut ps = ParamStore::<f64>::new();
    Mlp::new(&mut ps, "l", &[2, 1], &[Activation::Relu], 0).unwrap();
    let err = Mlp::new(&mut ps, "l", &[2, 1], &[Activation::Relu], 0).unwrap_err();
    assert_eq!(err, LayerError::Param(ParamError::Duplicate("l.0.weight".into())));
    for bad in [
        "",
        "swish",
        "leaky_relu(",
        "leaky_relu(x)",
        "leaky_relu(inf)",
        "RELU",
    ] {
        let err = bad.parse::<Activation>().unwrap_err();
        assert_eq!(err.0, bad.trim());
    }
}
