//! `mpirun -n N chainrule train` (feature `mpi`; `.ci/run` installs Open MPI and runs these):
//! two and three processes reach the test accuracy and the weights of one process with the
//! global batch, only process 0 reports and writes, and a process that fails or dies stops the
//! run with a message naming it, leaving the previous model in place.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// `mpirun` with the groups of processes given (`[n, args]` each, `:`-separated: MPMD), allowed
/// to run as root and to start more processes than cores.
fn mpirun(groups: &[(usize, &[&str])], cwd: &Path) -> Output {
    let mut cmd = Command::new("mpirun");
    cmd.arg("--oversubscribe").current_dir(cwd);
    for (i, (n, args)) in groups.iter().enumerate() {
        if i > 0 {
            cmd.arg(":");
        }
        cmd.args(["-n", &n.to_string()]).args(*args);
    }
    cmd.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .expect("mpirun runs (Open MPI is installed with the mpi feature: docs/scale.md)")
}

fn chainrule(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

/// The f64 tensor data of a checkpoint (after its header).
fn weights(path: &Path) -> Vec<f64> {
    let bytes = fs::read(path).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    bytes[8 + header..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// The line of `out` starting with `prefix`.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in:\n{out}"))
}

const BIN: &str = env!("CARGO_BIN_EXE_chainrule");

/// `n` processes of batch `b` against one process of batch `n * b`, in f64, with `extra`
/// options (the data).
fn check_equivalence(n: usize, b: usize, extra: &[&str], dir: &Path) {
    let common = [
        &["train", "--dtype", "f64", "--epochs", "4", "--seed", "3"][..],
        extra,
    ]
    .concat();
    let global = (n * b).to_string();
    let one = ok(chainrule(
        &[&common[..], &["--batch-size", &global, "--out", "one"]].concat(),
        dir,
    ));
    let per = b.to_string();
    let many = ok(mpirun(
        &[(
            n,
            &[&[BIN][..], &common[..], &["--batch-size", &per, "--out", "many"]].concat(),
        )],
        dir,
    ));
    // Only process 0 reports, and its header says how the batch is made.
    assert_eq!(many.matches("final test").count(), 1, "{many}");
    let header = format!("batch size {b} per process x {n} processes (global batch {global})");
    assert!(line(&many, "training:").contains(&header), "{many}");
    assert_eq!(line(&many, "final test"), line(&one, "final test"));
    let (a, m) = (
        weights(&dir.join("one/model.safetensors")),
        weights(&dir.join("many/model.safetensors")),
    );
    assert_eq!(a.len(), m.len());
    let worst = a
        .iter()
        .zip(&m)
        .map(|(x, y)| (x - y).abs() / (1.0 + x.abs()))
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-12,
        "{n} processes of {b} against one of {global}: weights differ by {worst:e}"
    );
    // The curves (but for the seconds): the same accuracies, losses to float tolerance (sums
    // in another order).
    let rows = |p: &str| -> Vec<Vec<f64>> {
        let csv = fs::read_to_string(dir.join(p).join("curve.csv")).unwrap();
        let row = |l: &str| {
            l.rsplit_once(',')
                .unwrap()
                .0
                .split(',')
                .map(|x| x.parse().unwrap())
                .collect()
        };
        csv.lines().skip(1).map(row).collect()
    };
    let (r1, rn) = (rows("one"), rows("many"));
    assert_eq!(r1.len(), rn.len());
    for (x, y) in r1.iter().flatten().zip(rn.iter().flatten()) {
        assert!(
            (x - y).abs() <= 1e-12 * x.abs().max(1.0),
            "curves: {x} against {y}"
        );
    }
}

#[test]
fn two_processes_reach_the_accuracy_and_weights_of_one_with_the_doubled_batch() {
    let dir = tempfile::tempdir().unwrap();
    check_equivalence(2, 32, &[], dir.path());
    // A second run with the same processes gives the same bits.
    let args = [
        "train",
        "--dtype",
        "f64",
        "--epochs",
        "4",
        "--seed",
        "3",
        "--batch-size",
        "32",
        "--out",
        "again",
    ];
    ok(mpirun(&[(2, &[&[BIN][..], &args[..]].concat())], dir.path()));
    let bits = |p: &str| {
        weights(&dir.path().join(p).join("model.safetensors"))
            .iter()
            .map(|w| w.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits("again"), bits("many"));
}

#[test]
fn three_processes_with_uneven_shards_match_one() {
    // 100 rows, 80 for training: global batches of 12 leave a last one of 8 rows (3, 3, 2), and
    // the 20 test rows split 7, 7, 6.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("a,b,y\n");
    for i in 0..100 {
        let (a, b) = ((i as f64 * 0.37).sin(), (i as f64 * 0.61).cos());
        csv.push_str(&format!("{a},{b},{}\n", u8::from(a + 0.5 * b > 0.1)));
    }
    fs::write(dir.path().join("t.csv"), csv).unwrap();
    check_equivalence(3, 4, &["--data", "t.csv", "--target", "y"], dir.path());
}

#[test]
fn a_process_that_cannot_read_its_data_stops_every_process_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ok(chainrule(&["train", "--epochs", "1", "--out", "run"], dir.path()));
    let model = dir.path().join("run/model.safetensors");
    let before = fs::read(&model).unwrap();
    let train = ["train", "--epochs", "2", "--out", "run"];
    let out = mpirun(
        &[
            (1, &[&[BIN][..], &train[..]].concat()),
            (
                1,
                &[
                    &[BIN][..],
                    &train[..],
                    &["--data", "missing.csv", "--target", "y"],
                ]
                .concat(),
            ),
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("error: process 1 of 2 failed: cannot read missing.csv"),
        "{err}"
    );
    assert!(
        err.contains("error: process 1 of 2: cannot read missing.csv"),
        "{err}"
    );
    assert_eq!(
        fs::read(&model).unwrap(),
        before,
        "the previous model was replaced"
    );
}

#[test]
fn a_process_out_of_memory_stops_every_process_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let train = ["train", "--epochs", "2", "--hidden", "4000,4000", "--out", "run"];
    let limited = format!("ulimit -v 300000; exec {BIN} {}", train.join(" "));
    let out = mpirun(
        &[
            (1, &[&[BIN][..], &train[..]].concat()),
            (1, &["sh", "-c", &limited]),
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("error: process 1 of 2 failed: training mlp 64-4000-4000-10"),
        "{err}"
    );
    assert!(err.contains("address-space limit"), "{err}");
    assert!(!dir.path().join("run/model.safetensors").exists());
}

#[test]
fn a_process_killed_mid_training_leaves_the_previous_model() {
    let dir = tempfile::tempdir().unwrap();
    ok(chainrule(&["train", "--epochs", "1", "--out", "run"], dir.path()));
    let model = dir.path().join("run/model.safetensors");
    let before = fs::read(&model).unwrap();
    // Long enough that process 1 is killed while both train.
    let train = ["train", "--epochs", "100000", "--hidden", "256", "--out", "run"];
    let out = mpirun(
        &[
            (1, &[&[BIN][..], &train[..]].concat()),
            (
                1,
                &[&["timeout", "-s", "KILL", "2", BIN][..], &train[..]].concat(),
            ),
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("rank 1") && err.contains("signal 9"), "{err}");
    assert_eq!(
        fs::read(&model).unwrap(),
        before,
        "the previous model was replaced"
    );
}
