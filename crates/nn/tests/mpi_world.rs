//! `MpiWorld` (feature `mpi`) under `mpirun -n 2` and `-n 3`: its collectives give the values
//! they must, and `try_fit_distributed` over it ends with the parameters of one process with
//! the global batch, the same bits on every process. The test re-runs this binary under
//! `mpirun`; each process then runs [`body`].

use chainrule::nn::data;
use chainrule::nn::optim::Adam;
use chainrule::nn::train::{
    try_fit_distributed, CommError, Communicator, MpiWorld, SingleProcess, TrainConfig,
};
use chainrule::nn::{Activation, Mlp, ParamStore};
use std::process::Command;

/// Set in the processes `mpirun` starts from this test.
const CHILD: &str = "CHAINRULE_MPI_TEST_CHILD";

#[test]
fn mpi_world_under_mpirun() {
    if std::env::var_os(CHILD).is_some() {
        return body();
    }
    for n in ["2", "3"] {
        let out = Command::new("mpirun")
            .args(["--oversubscribe", "-n", n])
            .arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "mpi_world_under_mpirun",
                "--test-threads",
                "1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .output()
            .expect("mpirun runs (Open MPI is installed with the mpi feature: docs/scale.md)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "mpirun -n {n}:\n{text}");
        assert_eq!(
            text.matches("checked on process").count(),
            n.parse::<usize>().unwrap(),
            "{text}"
        );
    }
}

fn body() {
    let world = MpiWorld::init().unwrap();
    let (rank, size) = (world.rank(), world.size());
    assert!(MpiWorld::init().is_err(), "MPI starts once per process");

    // Sums: every process gets the sum, f32 and f64.
    let mut x = [rank as f32 + 0.5, -(rank as f32)];
    world.all_reduce_sum(&mut x).unwrap();
    let n = size as f32;
    assert_eq!(x, [n * (n - 1.0) / 2.0 + 0.5 * n, -n * (n - 1.0) / 2.0]);
    let mut y = [0.1f64 * (rank + 1) as f64];
    world.all_reduce_sum(&mut y).unwrap();
    let expected = (1..=size).fold(0.0, |a, k| a + 0.1 * k as f64);
    assert!((y[0] - expected).abs() < 1e-15, "{y:?}");
    // Broadcast from the last process, gather in rank order, a root that is not a process.
    let mut b = [rank as f64; 3];
    world.broadcast(&mut b, size - 1).unwrap();
    assert_eq!(b, [(size - 1) as f64; 3]);
    let mut all = vec![0u8; 2 * size];
    world.all_gather_bytes(&[rank as u8, 7], &mut all).unwrap();
    assert_eq!(all, (0..size).flat_map(|r| [r as u8, 7]).collect::<Vec<_>>());
    assert!(matches!(
        world.broadcast(&mut b, size),
        Err(CommError::Root { .. })
    ));
    assert!(matches!(
        world.all_gather_bytes(&[1], &mut [0u8; 1]),
        Err(CommError::Length { .. })
    ));
    world.barrier().unwrap();

    // Training: each process with batch 6 against one process with batch 6 * size, in f32.
    let data = data::spirals::<f32>(40, 3, 0.1, 2);
    let mut ps = ParamStore::new();
    let acts = [Activation::Relu, Activation::Identity];
    let mlp = Mlp::new(&mut ps, "layers", &[2, 16, 3], &acts, 1).unwrap();
    let config = |batch_size| TrainConfig {
        epochs: 3,
        batch_size,
        seed: 9,
        ..TrainConfig::default()
    };
    let mut one = ps.clone();
    let h1 = try_fit_distributed(
        &SingleProcess,
        &mlp,
        &mut one,
        &mut Adam::new(0.01),
        &data,
        Some(&data),
        &config(6 * size),
        &mut (),
    )
    .unwrap();
    let hn = try_fit_distributed(
        &world,
        &mlp,
        &mut ps,
        &mut Adam::new(0.01),
        &data,
        Some(&data),
        &config(6),
        &mut (),
    )
    .unwrap();
    let values = |p: &ParamStore<f32>| {
        p.iter()
            .flat_map(|(_, _, p)| p.value().to_vec())
            .collect::<Vec<_>>()
    };
    for (a, b) in values(&one).iter().zip(values(&ps)) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + a.abs()), "{a} against {b}");
    }
    assert_eq!(
        h1.iter().map(|m| m.test_accuracy).collect::<Vec<_>>(),
        hn.iter().map(|m| m.test_accuracy).collect::<Vec<_>>()
    );
    // The same bits on every process.
    let bits: Vec<u8> = values(&ps).iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut every = vec![0u8; bits.len() * size];
    world.all_gather_bytes(&bits, &mut every).unwrap();
    assert!(every.chunks(bits.len()).all(|c| c == bits));
    println!("checked on process {rank} of {size}");
}
