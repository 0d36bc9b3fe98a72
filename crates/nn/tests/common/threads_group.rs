//! A [`Communicator`] over threads of one process, for tests of data-parallel training that
//! need no MPI: each member is one "process"; collectives meet at a barrier. Sums are taken in
//! rank order, in the element type, as one process of MPI would receive them.

use chainrule::nn::train::{CommError, Communicator};
use chainrule::Float;
use std::sync::{Arc, Barrier, Mutex};

struct Shared {
    barrier: Barrier,
    values: Mutex<Vec<Vec<f64>>>,
    bytes: Mutex<Vec<Vec<u8>>>,
}

/// One member of a group of threads.
pub struct Member {
    rank: usize,
    size: usize,
    shared: Arc<Shared>,
}

/// A group of `size` members, to be moved one per thread.
pub fn group(size: usize) -> Vec<Member> {
    let shared = Arc::new(Shared {
        barrier: Barrier::new(size),
        values: Mutex::new(vec![Vec::new(); size]),
        bytes: Mutex::new(vec![Vec::new(); size]),
    });
    (0..size)
        .map(|rank| Member {
            rank,
            size,
            shared: Arc::clone(&shared),
        })
        .collect()
}

impl Member {
    fn post(&self, buf: &[impl Float]) {
        self.shared.values.lock().unwrap()[self.rank] = buf.iter().map(|v| v.as_f64()).collect();
        self.shared.barrier.wait();
    }
}

impl Communicator for Member {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_reduce_sum<T: Float>(&self, buf: &mut [T]) -> Result<(), CommError> {
        self.post(buf);
        {
            let all = self.shared.values.lock().unwrap();
            for (i, b) in buf.iter_mut().enumerate() {
                *b = all
                    .iter()
                    .skip(1)
                    .fold(T::from_f64(all[0][i]), |a, v| a + T::from_f64(v[i]));
            }
        }
        self.shared.barrier.wait();
        Ok(())
    }

    fn broadcast<T: Float>(&self, buf: &mut [T], root: usize) -> Result<(), CommError> {
        self.post(buf);
        {
            let all = self.shared.values.lock().unwrap();
            for (b, &v) in buf.iter_mut().zip(&all[root]) {
                *b = T::from_f64(v);
            }
        }
        self.shared.barrier.wait();
        Ok(())
    }

    fn all_gather_bytes(&self, mine: &[u8], all: &mut [u8]) -> Result<(), CommError> {
        self.shared.bytes.lock().unwrap()[self.rank] = mine.to_vec();
        self.shared.barrier.wait();
        all.copy_from_slice(&self.shared.bytes.lock().unwrap().concat());
        self.shared.barrier.wait();
        Ok(())
    }

    fn barrier(&self) -> Result<(), CommError> {
        self.shared.barrier.wait();
        Ok(())
    }
}
