//! `nn`'s tests in one binary: each file is a module, so the crate's generic code is compiled
//! and linked once for all of them, not once per file. The fuzzing tests and `data` (run
//! alone for their long runs), `checkpoint_faults` (root, a tmpfs) and `mpi_world` (under
//! mpirun) stay binaries of their own.

mod checkpoint;
mod contracts;
mod csv;
mod distributed;
mod fit_replay;
mod init_variance;
mod loss_numerics;
mod loss_reference;
mod metrics;
mod modules;
mod modules_torch;
mod no_derivative_code;
mod optim_reference;
mod prep;
mod regression;

#[path = "../common/mod.rs"]
mod common;
#[path = "../../../autograd/tests/support/pytorch.rs"]
mod pytorch;

// `csv`, `metrics` and `prep` show that hostile input is rejected before a large allocation
// (`common::largest_allocation`: per thread, so the other tests running beside them do not
// count).
#[global_allocator]
static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;
