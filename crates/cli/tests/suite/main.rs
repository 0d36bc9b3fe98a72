//! The command line's tests in one binary: each file is a module, so the test code is compiled
//! and linked once, not once per file. `fuzz_cli` (run alone for its long runs) and `mpi`
//! (under mpirun, with the `mpi` feature) stay binaries of their own.

mod anomaly_cli;
mod cli;
mod cli_errors;
mod derive_cli;
mod docs_sync;
mod graph_svg;
mod hostile_outputs;
mod notes_golden;
mod tabular_cli;
mod verify_cli;
