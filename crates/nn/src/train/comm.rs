//! The seam between the training loop and the processes it runs on: a [`Communicator`] sums
//! gradient buffers over processes, broadcasts the initial parameters, gathers small records
//! and waits for every process. [`SingleProcess`] is the one-process communicator (every
//! collective is the identity); with the `mpi` feature, `MpiWorld` runs the same loop over
//! Open MPI (`docs/scale.md`).

use autograd::Float;

/// Why a collective failed (one of a communicator's own checks; the MPI library itself stops
/// every process on an error it finds).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommError {
    /// A buffer longer than one message can carry.
    #[error("{op}: {len} elements do not fit in one message (at most {max})")]
    TooLong {
        /// The collective.
        op: &'static str,
        /// The buffer's length.
        len: usize,
        /// The most one message carries.
        max: usize,
    },
    /// A receive buffer whose length does not fit the collective.
    #[error("{op}: the receive buffer holds {got} elements, {expected} are needed")]
    Length {
        /// The collective.
        op: &'static str,
        /// What the call needs.
        expected: usize,
        /// What it was given.
        got: usize,
    },
    /// The communication library could not start (it was started already in this process).
    #[error("cannot start MPI: {0}")]
    Init(String),
    /// A root outside the processes.
    #[error("{op}: root {root} is not one of the {size} processes")]
    Root {
        /// The collective.
        op: &'static str,
        /// The root asked for.
        root: usize,
        /// The processes.
        size: usize,
    },
}

/// The collectives data-parallel training needs, as `torch.distributed` names them. Every
/// process calls each collective in the same order with buffers of the same length; a call
/// returns when this process has its result.
///
/// Implementations must give every process the same bits from [`all_reduce_sum`](Self::all_reduce_sum)
/// (Open MPI's sum does: each element is added once, and the result is sent to all), so that
/// the processes' parameters stay equal step after step.
pub trait Communicator {
    /// This process's index, from 0.
    fn rank(&self) -> usize;

    /// The number of processes.
    fn size(&self) -> usize;

    /// Replaces `buf` with the element-wise sum of every process's `buf`.
    fn all_reduce_sum<T: Float>(&self, buf: &mut [T]) -> Result<(), CommError>;

    /// Replaces `buf` on every process with `buf` of process `root`.
    fn broadcast<T: Float>(&self, buf: &mut [T], root: usize) -> Result<(), CommError>;

    /// Fills `all` (`size() * mine.len()` bytes) with every process's `mine`, in rank order.
    fn all_gather_bytes(&self, mine: &[u8], all: &mut [u8]) -> Result<(), CommError>;

    /// Returns when every process has called it.
    fn barrier(&self) -> Result<(), CommError>;
}

/// One process: the identity for every collective. [`fit`](super::fit) runs on it.
///
/// ```
/// use chainrule::nn::train::{Communicator, SingleProcess};
/// let mut grads = [1.5f32, -2.0];
/// SingleProcess.all_reduce_sum(&mut grads).unwrap();
/// assert_eq!((SingleProcess.rank(), SingleProcess.size(), grads), (0, 1, [1.5, -2.0]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_reduce_sum<T: Float>(&self, _: &mut [T]) -> Result<(), CommError> {
        Ok(())
    }

    fn broadcast<T: Float>(&self, _: &mut [T], root: usize) -> Result<(), CommError> {
        check_root("broadcast", root, 1)
    }

    fn all_gather_bytes(&self, mine: &[u8], all: &mut [u8]) -> Result<(), CommError> {
        check_gather(mine.len(), all.len(), 1)?;
        all.copy_from_slice(mine);
        Ok(())
    }

    fn barrier(&self) -> Result<(), CommError> {
        Ok(())
    }
}

/// An error unless `root` is one of `size` processes.
pub(crate) fn check_root(op: &'static str, root: usize, size: usize) -> Result<(), CommError> {
    match root < size {
        true => Ok(()),
        false => Err(CommError::Root { op, root, size }),
    }
}

/// An error unless `all` holds `size` copies of `mine`.
pub(crate) fn check_gather(mine: usize, all: usize, size: usize) -> Result<(), CommError> {
    match mine.checked_mul(size) {
        Some(expected) if expected == all => Ok(()),
        expected => Err(CommError::Length {
            op: "all_gather",
            expected: expected.unwrap_or(usize::MAX),
            got: all,
        }),
    }
}
