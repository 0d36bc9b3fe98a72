//! What data parallelism adds to the training loop, over any [`Communicator`]: which rows a
//! process takes, the one all-reduce of a step, the start from one set of parameters, and how
//! the processes agree to stop when one of them cannot go on.

use super::comm::{CommError, Communicator};
use super::replay::Step;
use super::scores::Tally;
use super::TrainError;
use crate::data::Dataset;
use crate::param::ParamStore;
use autograd::{Float, Tensor};
use std::ops::Range;

/// The rows of a batch of `rows` that process `rank` of `size` takes: contiguous and in order,
/// the first `rows % size` processes one row more than the others (so a batch smaller than
/// the number of processes leaves the last ones none).
///
/// ```
/// use chainrule::nn::train::shard;
/// assert_eq!((shard(10, 0, 3), shard(10, 1, 3), shard(10, 2, 3)), (0..4, 4..7, 7..10));
/// assert_eq!((shard(1, 0, 2), shard(1, 1, 2)), (0..1, 1..1));
/// ```
pub fn shard(rows: usize, rank: usize, size: usize) -> Range<usize> {
    let size = size.max(1);
    let (base, extra) = (rows / size, rows % size);
    let start = rank * base + rank.min(extra);
    let len = base + usize::from(rank < extra);
    start.min(rows)..(start + len).min(rows)
}

/// Every process's record in rank order, or the lowest rank that failed and its message.
pub(crate) type Records = Result<Vec<Vec<u8>>, (usize, String)>;

/// Every process's record, in rank order, if every process has one; else the lowest rank
/// that failed and its message, the same on every process.
pub(crate) fn exchange<C: Communicator>(
    comm: &C,
    mine: Result<Vec<u8>, String>,
) -> Result<Records, CommError> {
    let (status, payload) = match mine {
        Ok(bytes) => (0u8, bytes),
        Err(message) => (1u8, message.into_bytes()),
    };
    let mut record = Vec::with_capacity(payload.len() + 1);
    record.push(status);
    record.extend_from_slice(&payload);
    let all = gather_var(comm, &record)?;
    if let Some((rank, failed)) = all.iter().enumerate().find(|(_, r)| r.first() != Some(&0)) {
        let message = String::from_utf8_lossy(failed.get(1..).unwrap_or_default()).into_owned();
        return Ok(Err((rank, message)));
    }
    Ok(Ok(all.into_iter().map(|mut r| r.split_off(1)).collect()))
}

/// Every process's bytes (of any length), in rank order: their lengths first, then the bytes
/// padded to the longest.
fn gather_var<C: Communicator>(comm: &C, mine: &[u8]) -> Result<Vec<Vec<u8>>, CommError> {
    let size = comm.size();
    let mut lens = vec![0u8; 8 * size];
    comm.all_gather_bytes(&(mine.len() as u64).to_le_bytes(), &mut lens)?;
    let lens: Vec<usize> = lens
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")) as usize)
        .collect();
    let longest = lens.iter().copied().max().unwrap_or(0);
    let mut padded = mine.to_vec();
    padded.resize(longest, 0);
    let mut all = vec![0u8; longest * size];
    comm.all_gather_bytes(&padded, &mut all)?;
    Ok(all
        .chunks(longest.max(1))
        .zip(&lens)
        .map(|(c, &n)| c[..n].to_vec())
        .collect())
}

/// `Ok` on every process if `mine` is `Ok` on every process; else, on every process, the
/// error of the lowest rank that failed, as [`TrainError::Process`]. Every process must call
/// it at the same point: it is also a barrier.
///
/// ```
/// use chainrule::nn::train::{all_ok, SingleProcess, TrainError};
/// assert_eq!(all_ok(&SingleProcess, Ok(())), Ok(()));
/// let e = all_ok(&SingleProcess, Err("cannot read data.csv".into())).unwrap_err();
/// assert_eq!(e.to_string(), "process 0 of 1 failed: cannot read data.csv");
/// ```
pub fn all_ok<C: Communicator>(comm: &C, mine: Result<(), String>) -> Result<(), TrainError> {
    records(comm, mine.map(|()| Vec::new())).map(drop)
}

/// [`exchange`], with a failure as [`TrainError::Process`].
pub(crate) fn records<C: Communicator>(
    comm: &C,
    mine: Result<Vec<u8>, String>,
) -> Result<Vec<Vec<u8>>, TrainError> {
    exchange(comm, mine)?.map_err(|(rank, message)| TrainError::Process {
        rank,
        size: comm.size(),
        message,
    })
}

/// An error unless `value` (a count, a fingerprint) is the same on every process; `what` names
/// it in the message.
pub(crate) fn check_same<C: Communicator>(comm: &C, what: &str, value: u64) -> Result<(), TrainError> {
    let all = records(comm, Ok(value.to_le_bytes().to_vec()))?;
    let values: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
    match values.iter().position(|v| *v != values[0]) {
        None => Ok(()),
        Some(rank) => Err(TrainError::Process {
            rank,
            size: comm.size(),
            message: format!("its {what} differ from process 0's"),
        }),
    }
}

/// A fingerprint of values (FNV-1a over their bits): equal data, equal fingerprints.
pub(crate) fn fingerprint<T: Float>(values: impl IntoIterator<Item = T>) -> u64 {
    values.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, v| {
        (h ^ v.as_f64().to_bits()).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Process 0's parameters and buffers on every process, after checking that every process
/// built the same model (names and shapes).
pub(crate) fn broadcast_params<T: Float, C: Communicator>(
    comm: &C,
    params: &mut ParamStore<T>,
) -> Result<(), TrainError> {
    let layout = params.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, (_, name, p)| {
        let shape = p.value().shape().iter().map(|&d| d as u64);
        name.bytes()
            .map(u64::from)
            .chain(shape)
            .fold(h, |h, b| (h ^ b).wrapping_mul(0x0100_0000_01b3))
    });
    check_same(comm, "model's parameter names and shapes", layout)?;
    let mut flat: Vec<T> = params
        .iter()
        .flat_map(|(_, _, p)| p.value().as_slice().iter().copied())
        .collect();
    comm.broadcast(&mut flat, 0)?;
    let mut at = 0;
    for (_, p) in params.iter_mut() {
        let v = p.value_mut();
        v.copy_from_slice(&flat[at..at + v.len()]);
        at += v.len();
    }
    Ok(())
}

/// Process 0's buffers (batch norms' running statistics) on every process.
pub(crate) fn broadcast_buffers<T: Float, C: Communicator>(
    comm: &C,
    params: &mut ParamStore<T>,
) -> Result<(), CommError> {
    for (_, p) in params.iter_mut().filter(|(_, p)| p.is_buffer()) {
        comm.broadcast(p.value_mut(), 0)?;
    }
    Ok(())
}

/// Every process's tally of an epoch's training rows merged in rank order, after checking
/// that the processes' parameters are still equal (the same optimiser steps on the same
/// sums: a difference is a fault of the communicator, reported rather than trained on).
pub(crate) fn merge_tallies<T: Float, C: Communicator>(
    comm: &C,
    train: &Dataset<T>,
    mine: &Tally,
    params: &ParamStore<T>,
) -> Result<Tally, TrainError> {
    let values = params
        .iter()
        .flat_map(|(_, _, p)| p.value().as_slice().iter().copied());
    check_same(comm, "parameters after the epoch", fingerprint(values))?;
    let all = records(comm, Ok(mine.to_bytes()))?;
    let mut merged = Tally::new(train, false);
    for record in &all {
        merged.merge_bytes(record);
    }
    Ok(merged)
}

/// The one all-reduce of a step: every trainable parameter's gradient (scaled by the rows it
/// came from), whether it had one, the loss (times the rows) and whether the step failed, in
/// one flat buffer kept across steps.
pub(crate) struct GradSync<T: Float> {
    flat: Vec<T>,
    /// The trainable parameters: index in the store, offset in `flat`, shape.
    slots: Vec<(usize, usize, Vec<usize>)>,
}

/// What the processes made of one step together.
pub(crate) enum Combined<T: Float> {
    /// The mean loss and gradients over the global batch.
    Step(f64, Vec<Option<Tensor<T>>>),
    /// The lowest rank whose step failed, and why.
    Failed(usize, String),
}

impl<T: Float> GradSync<T> {
    pub(crate) fn new(params: &ParamStore<T>) -> Self {
        let mut slots = Vec::new();
        let mut len = 0;
        for (id, _, p) in params.iter().filter(|(_, _, p)| !p.frozen()) {
            slots.push((id.index(), len, p.value().shape().to_vec()));
            len += p.value().numel();
        }
        // The values, then one "had a gradient" count per parameter, the loss and the failures.
        let flat = vec![T::zero(); len + slots.len() + 2];
        Self { flat, slots }
    }

    /// Sums this process's step (`None`: no rows, or `Err`: it failed) with every other's:
    /// gradients are weighted by `rows`, the rows this process took, and divided by
    /// `global_rows`. A parameter keeps `None` only where no process had a gradient for it.
    pub(crate) fn combine<C: Communicator>(
        &mut self,
        comm: &C,
        params_len: usize,
        step: Result<Option<&Step<T>>, String>,
        rows: usize,
        global_rows: usize,
    ) -> Result<Combined<T>, TrainError> {
        let n = self.slots.len();
        let values = self.flat.len() - n - 2;
        self.flat.fill(T::zero());
        let weight = T::from_f64(rows as f64);
        if let Ok(Some((loss, grads, _))) = &step {
            for (k, (index, offset, _)) in self.slots.iter().enumerate() {
                if let Some(Some(g)) = grads.get(*index) {
                    let out = &mut self.flat[*offset..*offset + g.numel()];
                    for (o, &v) in out.iter_mut().zip(g.as_slice()) {
                        *o = v * weight;
                    }
                    self.flat[values + k] = T::one();
                }
            }
            self.flat[values + n] = T::from_f64(loss * rows as f64);
        }
        self.flat[values + n + 1] = T::from_f64(f64::from(u8::from(step.is_err())));
        comm.all_reduce_sum(&mut self.flat)?;
        if self.flat[values + n + 1] > T::zero() {
            return Ok(match exchange(comm, step.map(|_| Vec::new()))? {
                Err((rank, message)) => Combined::Failed(rank, message),
                Ok(_) => Combined::Failed(comm.size(), "a process failed".into()),
            });
        }
        let scale = T::from_f64(global_rows as f64);
        let mut grads = vec![None; params_len];
        for (k, (index, offset, shape)) in self.slots.iter().enumerate() {
            if self.flat[values + k] == T::zero() {
                continue;
            }
            let numel: usize = shape.iter().product();
            let g: Vec<T> = self.flat[*offset..*offset + numel]
                .iter()
                .map(|&v| v / scale)
                .collect();
            grads[*index] = Some(Tensor::from_vec(g, shape).expect("the parameter's shape"));
        }
        let loss = self.flat[values + n].as_f64() / global_rows as f64;
        Ok(Combined::Step(loss, grads))
    }
}
