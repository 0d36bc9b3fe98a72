//! The [`Communicator`] over Open MPI (the `mpi` crate, rsmpi): `MPI_Allreduce` with `MPI_SUM`,
//! `MPI_Bcast`, `MPI_Allgather` and `MPI_Barrier` on `MPI_COMM_WORLD`.

use super::comm::{check_gather, check_root, CommError, Communicator};
use autograd::{Float, FloatSliceMut};
use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives as _, Equivalence, Root as _};
use std::cell::RefCell;

/// The most elements one MPI message carries (its counts are C `int`s).
const MAX_COUNT: usize = i32::MAX as usize;

/// The processes started by `mpirun` (`MPI_COMM_WORLD`), as a [`Communicator`]. MPI starts when
/// it is made and finishes when it is dropped, once per process.
///
/// ```no_run
/// use chainrule::nn::train::{Communicator, MpiWorld};
/// let world = MpiWorld::init().unwrap(); // under `mpirun -n 2`, or alone as one process
/// let mut x = [world.rank() as f64 + 1.0];
/// world.all_reduce_sum(&mut x).unwrap();
/// assert_eq!(x[0], (1..=world.size()).sum::<usize>() as f64);
/// ```
pub struct MpiWorld {
    world: SimpleCommunicator,
    // The send buffers of the all-reduce (rsmpi has no `MPI_IN_PLACE`), kept so that a step
    // allocates nothing.
    send32: RefCell<Vec<f32>>,
    send64: RefCell<Vec<f64>>,
    // Dropped after `world` (fields drop in order): it finalises MPI.
    _universe: mpi::environment::Universe,
}

impl std::fmt::Debug for MpiWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpiWorld")
            .field("rank", &self.rank())
            .field("size", &self.size())
            .finish()
    }
}

impl MpiWorld {
    /// Starts MPI (`MPI_Init`) and takes `MPI_COMM_WORLD`. Run alone, without `mpirun`, it is
    /// one process. An error if MPI was started already in this process.
    pub fn init() -> Result<Self, CommError> {
        let universe = mpi::initialize()
            .ok_or_else(|| CommError::Init("MPI was initialised already in this process".into()))?;
        Ok(Self {
            world: universe.world(),
            send32: RefCell::default(),
            send64: RefCell::default(),
            _universe: universe,
        })
    }

    /// Stops every process of the run (`MPI_Abort`) with `code`: for a failure that the
    /// others cannot learn of at a collective.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}

impl MpiWorld {
    /// `MPI_Allreduce` of `buf` into itself, through the kept send buffer `send`.
    fn sum_into<T: Equivalence + Copy>(&self, send: &RefCell<Vec<T>>, buf: &mut [T]) {
        let mut send = send.borrow_mut();
        send.clear();
        send.extend_from_slice(buf);
        self.world.all_reduce_into(&send[..], buf, SystemOperation::sum());
    }
}

/// An error if `len` elements do not fit in one message.
fn check_len(op: &'static str, len: usize) -> Result<(), CommError> {
    match len <= MAX_COUNT {
        true => Ok(()),
        false => Err(CommError::TooLong {
            op,
            len,
            max: MAX_COUNT,
        }),
    }
}

impl Communicator for MpiWorld {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_reduce_sum<T: Float>(&self, buf: &mut [T]) -> Result<(), CommError> {
        check_len("all_reduce", buf.len())?;
        match T::typed_mut(buf) {
            FloatSliceMut::F32(b) => self.sum_into(&self.send32, b),
            FloatSliceMut::F64(b) => self.sum_into(&self.send64, b),
        }
        Ok(())
    }

    fn broadcast<T: Float>(&self, buf: &mut [T], root: usize) -> Result<(), CommError> {
        check_len("broadcast", buf.len())?;
        check_root("broadcast", root, self.size())?;
        let root = self.world.process_at_rank(root as i32);
        match T::typed_mut(buf) {
            FloatSliceMut::F32(b) => root.broadcast_into(b),
            FloatSliceMut::F64(b) => root.broadcast_into(b),
        }
        Ok(())
    }

    fn all_gather_bytes(&self, mine: &[u8], all: &mut [u8]) -> Result<(), CommError> {
        check_len("all_gather", all.len())?;
        check_gather(mine.len(), all.len(), self.size())?;
        self.world.all_gather_into(mine, all);
        Ok(())
    }

    fn barrier(&self) -> Result<(), CommError> {
        self.world.barrier();
        Ok(())
    }
}
