//! Anomaly detection: an opt-in mode in which every recorded value (forward and backward) is
//! checked for NaN and infinity, and the first op that produced one is reported with its
//! inputs and, where the call chain allows, the user's source line (like PyTorch's
//! `torch.autograd.set_detect_anomaly`).

use crate::dtype::Float;
use std::fmt;
use std::panic::Location;

/// Where an anomaly appeared.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// While recording the forward computation.
    Forward,
    /// In a reverse sweep, while applying the derivative rule of a forward node.
    Backward {
        /// The forward node whose rule was running.
        node: usize,
        /// Its op.
        op: &'static str,
        /// Where that forward op was recorded, if known.
        recorded_at: Option<String>,
    },
}

/// A summary of one input of the op that produced a non-finite value.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSummary {
    /// The input's node.
    pub node: usize,
    /// The op that made the input.
    pub op: &'static str,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Smallest finite element (NaN if there is none).
    pub min: f64,
    /// Largest finite element (NaN if there is none).
    pub max: f64,
    /// NaN elements.
    pub nan: usize,
    /// Infinite elements.
    pub inf: usize,
}

/// The first non-finite value found in anomaly mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// Forward or backward.
    pub phase: Phase,
    /// The op that produced it.
    pub op: &'static str,
    /// Its node index.
    pub node: usize,
    /// Its shape.
    pub shape: Vec<usize>,
    /// NaN elements in its value.
    pub nan: usize,
    /// `+inf` elements.
    pub pos_inf: usize,
    /// `-inf` elements.
    pub neg_inf: usize,
    /// The op's inputs.
    pub inputs: Vec<InputSummary>,
    /// Where the op was recorded (`file:line:column`), when every function between the user's
    /// call and the tape carries the caller's location.
    pub location: Option<String>,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut what = Vec::new();
        for (n, name) in [(self.nan, "NaN"), (self.pos_inf, "+inf"), (self.neg_inf, "-inf")] {
            if n > 0 {
                what.push(format!("{n} {name}"));
            }
        }
        write!(
            f,
            "{} (node {}, shape {:?}) produced {}",
            self.op,
            self.node,
            self.shape,
            what.join(", ")
        )?;
        match &self.phase {
            Phase::Forward => write!(f, " in the forward pass")?,
            Phase::Backward {
                node,
                op,
                recorded_at,
            } => {
                write!(
                    f,
                    " in the backward pass, in the derivative rule of {op} (node {node}"
                )?;
                if let Some(at) = recorded_at {
                    write!(f, ", recorded at {at}")?;
                }
                write!(f, ")")?;
            }
        }
        if let Some(at) = &self.location {
            write!(f, "; recorded at {at}")?;
        }
        if self.inputs.is_empty() {
            write!(f, "; it is a leaf: the value was fed in")?;
        }
        for i in &self.inputs {
            write!(f, "; input node {} ({}, shape {:?}): ", i.node, i.op, i.shape)?;
            if i.nan + i.inf == 0 {
                write!(f, "finite, min {}, max {}", i.min, i.max)?;
            } else {
                write!(
                    f,
                    "{} NaN, {} inf, finite min {}, max {}",
                    i.nan, i.inf, i.min, i.max
                )?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Anomaly {}

/// The state of anomaly mode on a tape.
#[derive(Default)]
pub(crate) struct AnomalyState {
    /// The first anomaly since the mode was switched on (or the tape reset).
    pub first: Option<Anomaly>,
    /// Where each node was recorded (by node index).
    pub locations: Vec<Option<&'static Location<'static>>>,
    /// The forward node whose derivative rule the sweep is applying.
    pub backward_of: Option<u32>,
}

/// Counts NaN, +inf and -inf.
pub(crate) fn count_non_finite<T: Float>(v: &[T]) -> (usize, usize, usize) {
    let (mut nan, mut pos, mut neg) = (0, 0, 0);
    for &x in v {
        if x.is_nan() {
            nan += 1;
        } else if x.is_infinite() {
            if x > T::zero() {
                pos += 1;
            } else {
                neg += 1;
            }
        }
    }
    (nan, pos, neg)
}

/// Min and max of the finite elements (NaN if none), and the NaN and infinity counts.
pub(crate) fn summarize<T: Float>(v: &[T]) -> (f64, f64, usize, usize) {
    let (nan, pos, neg) = count_non_finite(v);
    let finite = v.iter().map(|x| x.as_f64()).filter(|x| x.is_finite());
    let min = finite.clone().fold(f64::NAN, f64::min);
    let max = finite.fold(f64::NAN, f64::max);
    (min, max, nan, pos + neg)
}

pub(crate) fn location_string(l: &Location<'_>) -> String {
    format!("{}:{}:{}", l.file(), l.line(), l.column())
}
