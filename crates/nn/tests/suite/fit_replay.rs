//! `fit` replays the steps of a replayable model (`Module::replayable`): the history and the
//! trained parameters are bit for bit those of recording every step (`detect_anomaly: true`
//! forces recording without changing a value), for classes and for values, with a last batch
//! of another size; and a module that wrongly says it can be replayed shows that the replay
//! path is taken.

use chainrule::nn::data::{self, Dataset};
use chainrule::nn::optim::Adam;
use chainrule::nn::train::{fit, TrainConfig};
use chainrule::nn::{Activation, Bound, Dropout, Mlp, Module, ParamId, ParamStore, Sequential};
use chainrule::{Tensor, Var};
use std::cell::Cell;

/// The history (every figure but the time) and the parameters, as bits.
fn train<M: Module<f32>>(
    model: &M,
    ps: &ParamStore<f32>,
    data: &Dataset<f32>,
    record: bool,
) -> (Vec<u64>, Vec<u32>) {
    let mut ps = ps.clone();
    let config = TrainConfig {
        epochs: 3,
        batch_size: 16,
        detect_anomaly: record,
        ..TrainConfig::default()
    };
    let history = fit(
        model,
        &mut ps,
        &mut Adam::new(0.01),
        data,
        Some(data),
        &config,
        |_| {},
    );
    let figures = history
        .iter()
        .flat_map(|m| {
            [
                m.train_loss,
                m.train_accuracy.unwrap_or(-1.0),
                m.train_r2.unwrap_or(-1.0),
            ]
            .into_iter()
            .chain([m.test_loss.unwrap_or(-1.0), m.test_accuracy.unwrap_or(-1.0)])
        })
        .map(f64::to_bits)
        .collect();
    let params = ps
        .iter()
        .flat_map(|(_, _, p)| p.value().to_vec())
        .map(f32::to_bits)
        .collect();
    (figures, params)
}

fn mlp(sizes: &[usize]) -> (Sequential<f32>, ParamStore<f32>) {
    let mut ps = ParamStore::new();
    let acts = vec![Activation::Relu; sizes.len() - 2]
        .into_iter()
        .chain([Activation::Identity])
        .collect::<Vec<_>>();
    (Mlp::new(&mut ps, "mlp", sizes, &acts, 7).unwrap(), ps)
}

#[test]
fn a_classifier_trains_bit_for_bit_as_when_recorded() {
    let data = data::spirals::<f32>(30, 3, 0.1, 0); // 90 rows: 5 batches of 16 and one of 10
    let (model, ps) = mlp(&[2, 16, 16, 3]);
    assert!(Module::<f32>::replayable(&model));
    let (replayed, recorded) = (train(&model, &ps, &data, false), train(&model, &ps, &data, true));
    assert_eq!(replayed, recorded);
    assert_ne!(
        replayed.1,
        train(&model, &ps, &data.split(0.5, 1).0, false).1,
        "the data matters"
    );
}

#[test]
fn a_regressor_trains_bit_for_bit_as_when_recorded() {
    let x = Tensor::<f32>::rand_normal(&[40, 3], 0.0, 1.0, 1);
    let y = Tensor::from_vec(
        x.as_slice().chunks(3).map(|r| r[0] - 2.0 * r[1] * r[2]).collect(),
        &[40, 1],
    )
    .unwrap();
    let data = Dataset::regression(x, y).unwrap();
    let (model, ps) = mlp(&[3, 8, 1]);
    assert_eq!(train(&model, &ps, &data, false), train(&model, &ps, &data, true));
}

#[test]
fn a_model_with_dropout_is_recorded() {
    let data = data::spirals::<f32>(20, 2, 0.1, 0);
    // A fresh model for each run: the dropout's draws go on from one run to the next.
    let model = || {
        let mut ps = ParamStore::new();
        let mut model = Sequential::new();
        model.append(
            Mlp::new(
                &mut ps,
                "mlp",
                &[2, 8, 2],
                &[Activation::Relu, Activation::Identity],
                0,
            )
            .unwrap(),
        );
        model.append(Dropout::new(0.5, 3).unwrap());
        (model, ps)
    };
    let ((a, pa), (b, pb)) = (model(), model());
    assert!(!Module::<f32>::replayable(&a));
    assert_eq!(train(&a, &pa, &data, false), train(&b, &pb, &data, true));
}

/// A module that adds the number of forward passes so far, computed in Rust: it is not
/// replayable, but says it is.
struct Counting {
    inner: Sequential<f32>,
    calls: Cell<u32>,
}

impl Module<f32> for Counting {
    fn forward<'t>(&self, p: &Bound<'t, f32>, x: Var<'t, f32>) -> Var<'t, f32> {
        self.calls.set(self.calls.get() + 1);
        self.inner.forward(p, x) + x.tape().scalar(self.calls.get() as f32 * 0.1)
    }
    fn parameters(&self) -> Vec<ParamId> {
        self.inner.parameters()
    }
    fn replayable(&self) -> bool {
        true
    }
}

#[test]
fn a_replayable_model_is_replayed() {
    let data = data::spirals::<f32>(30, 3, 0.1, 0);
    let (inner, ps) = mlp(&[2, 8, 3]);
    let model = Counting {
        inner,
        calls: Cell::new(0),
    };
    let replayed = train(&model, &ps, &data, false);
    // 3 epochs: one captured step and the last, shorter batch recorded, each epoch; and
    // the evaluation passes.
    let calls = model.calls.replace(0);
    let recorded = train(&model, &ps, &data, true);
    assert!(
        calls < model.calls.get(),
        "{calls} forward passes replayed, {} recorded",
        model.calls.get()
    );
    assert_ne!(replayed, recorded);
}
