//! `train` starting as it should: a huge epoch count trains, a build without mpi refuses to be one of several processes.

#[cfg(not(feature = "mpi"))]
use super::text;
use std::process::{Command, Stdio};

#[test]
fn a_huge_epoch_count_starts_training_instead_of_failing() {
    // `--epochs 18446744073709551615` used to panic (capacity overflow) and 10^12 to abort:
    // the history was reserved for every epoch up front. Now the first epoch runs; the test
    // stops the run there.
    let dir = tempfile::tempdir().unwrap();
    for epochs in ["18446744073709551615", "1000000000000"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(["train", "--hidden", "0", "--out", "o", "--epochs", epochs])
            .current_dir(dir.path())
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
            seen.push_str(&line);
            if line.starts_with("epoch ") {
                break;
            }
            line.clear();
        }
        let still_running = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        // The epoch number is right-aligned to the width of the count.
        let first = format!(" 1/{epochs} ");
        assert!(
            seen.lines()
                .any(|l| l.starts_with("epoch ") && l.contains(&first)),
            "--epochs {epochs}: {seen}"
        );
        assert!(still_running, "--epochs {epochs}: the run ended after one epoch");
    }
}

/// A build without the `mpi` feature, started by `mpirun` as one of several processes, refuses
/// rather than train alone on every row in each process (and write over the others' outputs).
#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_refuses_to_be_one_of_several_processes() {
    let dir = tempfile::tempdir().unwrap();
    for var in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
        let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(["train", "--epochs", "1"])
            .current_dir(dir.path())
            .env(var, "2")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.starts_with("error: mpirun started this chainrule as one of 2 processes, but it was built without the mpi feature"), "{err}");
        assert!(!dir.path().join("runs").exists());
    }
    // One process under mpirun is a plain run.
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(["train", "--epochs", "1"])
        .current_dir(dir.path())
        .env("OMPI_COMM_WORLD_SIZE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}
