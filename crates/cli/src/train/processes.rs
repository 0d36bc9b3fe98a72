//! The processes of a `train` run: one, or (with the `mpi` feature) those `mpirun` started.
//! They agree at each point where one of them may fail alone (reading the data, checking the
//! outputs, writing them), so that every process stops, naming the one that failed.

use anyhow::Result;
use nn::train::{all_ok, Communicator, TrainError};

/// Whether an MPI launcher started this process (Open MPI's `mpirun`, or a PMI/PMIx one).
#[cfg(feature = "mpi")]
pub(super) fn launched_by_mpirun() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
}

/// A build without the `mpi` feature started by `mpirun` as one of several processes: each
/// would train alone on every row, so it refuses (a usage error) rather than run.
#[cfg(not(feature = "mpi"))]
pub(super) fn refuse_mpirun() -> Result<()> {
    let size = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse::<usize>().ok());
    match size {
        Some(n) if n > 1 => Err(crate::usage(format!(
            "mpirun started this chainrule as one of {n} processes, but it was built without the \
             mpi feature, so each would train alone: build it with `cargo build --release -p \
             chainrule-cli --features mpi` (docs/scale.md)"
        ))),
        _ => Ok(()),
    }
}

/// Unless `--threads` or `CHAINRULE_NUM_THREADS` says otherwise, the cores are shared between
/// the processes on this machine (as `torchrun` sets one thread per process), not taken by each.
#[cfg(feature = "mpi")]
pub(super) fn share_cores(comm: &impl Communicator, threads_given: bool) {
    if threads_given || std::env::var_os(autograd::NUM_THREADS_VAR).is_some() {
        return;
    }
    let local = ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse::<usize>().ok())
        .unwrap_or(comm.size())
        .max(1);
    // Cannot fail: 1 up to the current count.
    let _ = autograd::try_set_num_threads((autograd::get_num_threads() / local).max(1));
}

/// `mine` on every process if every process succeeded; else this process's own error, or the
/// error naming the lowest process that failed. On one process, `mine`.
pub(super) fn agree<R>(comm: &impl Communicator, mine: Result<R>) -> Result<R> {
    if comm.size() <= 1 {
        return mine;
    }
    let status = mine.as_ref().map(drop).map_err(crate::message);
    match (all_ok(comm, status), mine) {
        (_, Err(e)) => Err(e),
        (Err(other), Ok(_)) => Err(other.into()),
        (Ok(()), Ok(r)) => Ok(r),
    }
}

/// A process's own error, prefixed with which process it is (in a run of several); another
/// process's failure already names it.
pub(super) fn name_process(comm: &impl Communicator, result: Result<()>) -> Result<()> {
    let which = format!("process {} of {}", comm.rank(), comm.size());
    result.map_err(|e| match e.downcast_ref::<TrainError>() {
        _ if comm.size() <= 1 => e,
        Some(TrainError::Process { .. }) => e,
        // Still a usage error (exit code 2), with the process named.
        _ if e.downcast_ref::<clap::Error>().is_some() => {
            crate::usage(format!("{which}: {}", crate::message(&e)))
        }
        _ => e.context(which),
    })
}

/// The batch size as the header prints it: per process and global in a run of several.
pub(super) fn describe_batch(comm: &impl Communicator, batch_size: usize) -> String {
    match comm.size() {
        0 | 1 => batch_size.to_string(),
        n => format!(
            "{batch_size} per process x {n} processes (global batch {})",
            batch_size.saturating_mul(n)
        ),
    }
}
