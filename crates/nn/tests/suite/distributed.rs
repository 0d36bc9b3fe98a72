//! Data-parallel training (`try_fit_distributed`) over a communicator of threads: `N`
//! processes with batch `b` end with the parameters and metrics of one process with batch
//! `N * b` (classes and values, `N` = 2 and 3, shards of unequal and zero rows), every process
//! ends with the same bits, batch norms' buffers follow process 0, and a failure on one process
//! stops every process with a message naming it. The same run over Open MPI is
//! `tests/mpi_equivalence.rs` (feature `mpi`, run by `.ci/run` under `mpirun`).

#[path = "../common/threads_group.rs"]
mod threads_group;

use chainrule::nn::data::{self, Dataset};
use chainrule::nn::optim::Adam;
use chainrule::nn::train::{
    shard, try_fit_distributed, Communicator, EpochMetrics, SingleProcess, TrainConfig, TrainError,
};
use chainrule::nn::{Activation, Mlp, Module, ParamStore, Sequential};
use chainrule::Tensor;
use proptest::prelude::*;
use std::thread;

type Run = Result<(Vec<EpochMetrics>, ParamStore<f64>), TrainError>;

/// Trains a fresh copy of `ps` (after `prepare` changes it or the data) on `comm`.
#[allow(clippy::too_many_arguments)]
fn train_on<C: Communicator, M: Module<f64>>(
    comm: &C,
    model: &M,
    ps: &ParamStore<f64>,
    data: &Dataset<f64>,
    config: &TrainConfig,
    prepare: &(impl Fn(usize, &mut Dataset<f64>, &mut ParamStore<f64>) + Sync),
) -> Run {
    let (mut data, mut ps) = (data.clone(), ps.clone());
    prepare(comm.rank(), &mut data, &mut ps);
    let history = try_fit_distributed(
        comm,
        model,
        &mut ps,
        &mut Adam::new(0.01),
        &data,
        Some(&data),
        config,
        &mut (),
    )?;
    Ok((history, ps))
}

/// [`train_on`] every member of a group of `n` threads (one process for `n == 1`), with batch
/// `config.batch_size` per process.
fn run<M: Module<f64> + Sync>(
    n: usize,
    model: &M,
    ps: &ParamStore<f64>,
    data: &Dataset<f64>,
    config: &TrainConfig,
    prepare: impl Fn(usize, &mut Dataset<f64>, &mut ParamStore<f64>) + Sync,
) -> Vec<Run> {
    if n == 1 {
        return vec![train_on(&SingleProcess, model, ps, data, config, &prepare)];
    }
    thread::scope(|s| {
        let prepare = &prepare;
        let handles: Vec<_> = threads_group::group(n)
            .into_iter()
            .map(|member| s.spawn(move || train_on(&member, model, ps, data, config, prepare)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn values(ps: &ParamStore<f64>) -> Vec<f64> {
    ps.iter().flat_map(|(_, _, p)| p.value().to_vec()).collect()
}

fn bits(ps: &ParamStore<f64>) -> Vec<u64> {
    values(ps).into_iter().map(f64::to_bits).collect()
}

/// Every figure of a history but the time.
fn figures(history: &[EpochMetrics]) -> Vec<f64> {
    history
        .iter()
        .flat_map(|m| {
            [m.train_loss, m.test_loss.unwrap_or(-1.0)]
                .into_iter()
                .chain([m.train_accuracy, m.train_r2, m.test_accuracy, m.test_r2].map(|x| x.unwrap_or(-1.0)))
        })
        .collect()
}

fn assert_close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-10 * (1.0 + x.abs()),
            "{what} {i}: {x} against {y}"
        );
    }
}

fn mlp(sizes: &[usize]) -> (Sequential<f64>, ParamStore<f64>) {
    let mut ps = ParamStore::new();
    let mut acts = vec![Activation::Tanh; sizes.len() - 2];
    acts.push(Activation::Identity);
    let m = Mlp::new(&mut ps, "layers", sizes, &acts, 3).unwrap();
    (m, ps)
}

/// `n` processes against one with the global batch, and the processes against each other.
fn check_equivalence<M: Module<f64> + Sync>(
    n: usize,
    model: &M,
    ps: &ParamStore<f64>,
    data: &Dataset<f64>,
    b: usize,
) {
    let config = |batch_size| TrainConfig {
        epochs: 3,
        batch_size,
        seed: 5,
        ..TrainConfig::default()
    };
    let one = run(1, model, ps, data, &config(n * b), |_, _, _| {})
        .pop()
        .unwrap()
        .unwrap();
    let many = run(n, model, ps, data, &config(b), |_, _, _| {});
    let (history, first) = many[0].as_ref().unwrap();
    for (rank, r) in many.iter().enumerate() {
        let (h, p) = r.as_ref().unwrap();
        assert_eq!(
            bits(p),
            bits(first),
            "process {rank}'s parameters differ from process 0's"
        );
        assert_eq!(
            figures(h),
            figures(history),
            "process {rank}'s metrics differ from process 0's"
        );
    }
    assert_close(&values(first), &values(&one.1), "parameter");
    assert_close(&figures(history), &figures(&one.0), "figure");
    // The counts are exact: the same rows are classified the same way.
    let accuracies = |h: &[EpochMetrics]| {
        h.iter()
            .map(|m| (m.train_accuracy, m.test_accuracy))
            .collect::<Vec<_>>()
    };
    assert_eq!(accuracies(history), accuracies(&one.0));
}

#[test]
fn n_processes_give_the_parameters_of_one_with_the_global_batch() {
    // 70 rows: with 3 processes of 4 the last global batch has 10 rows (4, 3, 3), and with
    // 3 processes of 8 the last has 22 (8, 7, 7); 5 processes of 3 leave 10 = (2, 2, 2, 2, 2).
    let data = data::spirals::<f64>(35, 2, 0.1, 1);
    let (m, ps) = mlp(&[2, 12, 2]);
    check_equivalence(2, &m, &ps, &data, 4);
    check_equivalence(3, &m, &ps, &data, 4);
    check_equivalence(3, &m, &ps, &data, 8);
    check_equivalence(5, &m, &ps, &data, 3);
}

#[test]
fn a_process_with_no_rows_in_a_batch_still_takes_the_step() {
    // 17 rows, 4 processes of 2: the last global batch has one row, so three processes have
    // none; they add nothing to the sum and still apply the same step.
    let data = data::two_moons::<f64>(17, 0.1, 2);
    let (m, ps) = mlp(&[2, 6, 2]);
    check_equivalence(4, &m, &ps, &data, 2);
}

#[test]
fn regression_metrics_are_those_of_one_process() {
    let x = Tensor::from_vec((0..90).map(|i| (i as f64 * 0.37).sin()).collect(), &[45, 2]).unwrap();
    let y = Tensor::from_vec((0..45).map(|i| (i as f64 * 0.21).cos()).collect(), &[45, 1]).unwrap();
    let data = Dataset::regression(x, y).unwrap();
    let (m, ps) = mlp(&[2, 8, 1]);
    check_equivalence(2, &m, &ps, &data, 5);
    check_equivalence(3, &m, &ps, &data, 4);
}

#[test]
fn batch_norm_buffers_follow_process_0() {
    let mut ps = ParamStore::new();
    let model = Sequential::builder(&mut ps, 0)
        .linear(2, 8)
        .batch_norm1d(8)
        .relu()
        .linear(8, 2)
        .build()
        .unwrap();
    let data = data::two_moons::<f64>(40, 0.1, 3);
    let config = TrainConfig {
        epochs: 2,
        batch_size: 4,
        drop_last: true,
        ..TrainConfig::default()
    };
    let runs = run(2, &model, &ps, &data, &config, |_, _, _| {});
    let first = bits(&runs[0].as_ref().unwrap().1);
    assert_eq!(bits(&runs[1].as_ref().unwrap().1), first);
    let running = runs[0]
        .as_ref()
        .unwrap()
        .1
        .value("1.running_mean")
        .unwrap()
        .to_vec();
    assert!(
        running.iter().any(|&v| v != 0.0),
        "the running mean was updated: {running:?}"
    );
}

#[test]
fn processes_start_from_process_0s_parameters() {
    let data = data::two_moons::<f64>(20, 0.1, 4);
    let (m, ps) = mlp(&[2, 4, 2]);
    let config = TrainConfig {
        epochs: 1,
        batch_size: 5,
        ..TrainConfig::default()
    };
    let reference = run(2, &m, &ps, &data, &config, |_, _, _| {});
    // Process 1 starts from other values of the same shapes: it trains from process 0's.
    let moved = run(2, &m, &ps, &data, &config, |rank, _, ps| {
        if rank == 1 {
            let w = ps.value("layers.0.weight").unwrap().map(|v| v + 1.0);
            ps.set("layers.0.weight", w).unwrap();
        }
    });
    for (a, b) in reference.iter().zip(&moved) {
        assert_eq!(bits(&a.as_ref().unwrap().1), bits(&b.as_ref().unwrap().1));
    }
}

fn process_errors(runs: &[Run]) -> Vec<String> {
    runs.iter()
        .map(|r| r.as_ref().expect_err("every process stops").to_string())
        .collect()
}

#[test]
fn other_data_or_another_model_on_one_process_stops_every_process() {
    let data = data::two_moons::<f64>(20, 0.1, 4);
    let (m, ps) = mlp(&[2, 4, 2]);
    let config = TrainConfig::default();
    let runs = run(3, &m, &ps, &data, &config, |rank, d, _| {
        if rank == 2 {
            d.labels[0] = 1 - d.labels[0];
        }
    });
    let expected = "process 2 of 3 failed: its training rows differ from process 0's";
    assert_eq!(process_errors(&runs), vec![expected; 3]);

    let (_, other) = mlp(&[2, 5, 2]);
    let runs = run(2, &m, &ps, &data, &config, |rank, _, ps| {
        if rank == 1 {
            *ps = other.clone();
        }
    });
    let expected = "process 1 of 2 failed: its model's parameter names and shapes differ from process 0's";
    assert_eq!(process_errors(&runs), vec![expected; 2]);
}

#[test]
fn a_failed_step_on_one_process_stops_every_process_naming_it() {
    // A NaN in one row: with anomaly detection, the process whose shard holds it fails at that
    // step with its own error; the others stop at the same step naming it.
    let mut data = data::two_moons::<f64>(24, 0.1, 6);
    data.x.as_mut_slice()[2 * 13] = f64::NAN;
    let (m, ps) = mlp(&[2, 4, 2]);
    let config = TrainConfig {
        epochs: 1,
        batch_size: 4,
        detect_anomaly: true,
        ..TrainConfig::default()
    };
    let runs = run(3, &m, &ps, &data, &config, |_, _, _| {});
    let errors = process_errors(&runs);
    let failed: Vec<usize> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Err(TrainError::Anomaly(_))))
        .map(|(rank, _)| rank)
        .collect();
    assert_eq!(failed.len(), 1, "{errors:?}");
    let own = &errors[failed[0]];
    assert!(own.starts_with("epoch 1, batch "), "{own}");
    for (rank, e) in errors.iter().enumerate().filter(|&(r, _)| r != failed[0]) {
        assert_eq!(
            *e,
            format!("process {} of 3 failed: {own}", failed[0]),
            "process {rank}"
        );
    }
}

proptest! {
    #[test]
    fn shards_are_contiguous_disjoint_and_even(rows in 0usize..500, size in 1usize..40) {
        let mut next = 0;
        for rank in 0..size {
            let s = shard(rows, rank, size);
            prop_assert_eq!(s.start, next);
            prop_assert!(s.len() == rows / size || s.len() == rows / size + 1);
            next = s.end;
        }
        prop_assert_eq!(next, rows);
    }
}
