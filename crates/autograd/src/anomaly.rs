//! Anomaly detection: an opt-in mode in which every recorded value (forward and backward) is
//! checked for NaN and infinity, and the first op that produced one is reported with its
//! inputs and, where the call chain allows, the user's source line (like PyTorch's
//! `torch.autograd.set_detect_anomaly`).

use crate::dtype::Float;
use crate::op::Op;
use crate::tape::{Inner, Tape};
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

impl<T: Float> Tape<T> {
    /// Switches anomaly mode on or off (off by default). While on, every value the tape
    /// records, in the forward pass and in reverse sweeps, is checked for NaN and infinity,
    /// and the first op that produced one is kept for [`anomaly`](Tape::anomaly), with its
    /// inputs and the source line where it was recorded. It costs a pass over each result.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// tape.set_detect_anomaly(true);
    /// let x = tape.var(Tensor::from(vec![4.0, -1.0]));
    /// let y = x.ln().sum();
    /// let a = tape.anomaly().expect("ln(-1) is NaN");
    /// assert_eq!((a.op, a.nan), ("ln", 1));
    /// assert!(a.location.unwrap().contains(".rs:"));
    /// ```
    pub fn set_detect_anomaly(&self, on: bool) {
        let mut g = self.inner.borrow_mut();
        match (on, g.anomaly.is_some()) {
            (true, false) => {
                let n = g.nodes.len();
                g.anomaly = Some(Box::new(AnomalyState {
                    locations: vec![None; n],
                    ..Default::default()
                }))
            }
            (false, true) => g.anomaly = None,
            _ => {}
        }
    }

    /// Whether anomaly mode is on.
    pub fn is_detecting_anomalies(&self) -> bool {
        self.inner.borrow().anomaly.is_some()
    }

    /// The first NaN or infinity recorded since anomaly mode was switched on (or the tape was
    /// reset), if any. Always `None` when the mode is off.
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.inner.borrow().anomaly.as_ref().and_then(|a| a.first.clone())
    }

    /// Marks which forward node's derivative rule the sweep is applying (anomaly reports).
    pub(crate) fn set_backward_of(&self, node: Option<u32>) {
        if let Some(a) = self.inner.borrow_mut().anomaly.as_mut() {
            a.backward_of = node;
        }
    }
}

/// Anomaly mode: remembers where node `g.nodes.len()` was recorded, and reports it if its
/// value (`g.data[off..off + n]`) is the first non-finite one.
#[allow(clippy::too_many_arguments)]
#[cold]
pub(crate) fn check<T: Float>(
    g: &mut Inner<T>,
    op: Op,
    inputs: &[u32],
    dims: u32,
    rank: u8,
    off: usize,
    n: usize,
    at: &'static Location<'static>,
) {
    let node = g.nodes.len();
    let (nan, pos_inf, neg_inf) = count_non_finite(&g.data[off..off + n]);
    let first_already = g.anomaly.as_ref().is_some_and(|a| a.first.is_some());
    let report = if nan + pos_inf + neg_inf > 0 && !first_already {
        let state = g.anomaly.as_ref().expect("anomaly mode is on");
        let phase = match state.backward_of {
            None => Phase::Forward,
            Some(b) => Phase::Backward {
                node: b as usize,
                op: g.nodes[b as usize].op.name(),
                recorded_at: state
                    .locations
                    .get(b as usize)
                    .copied()
                    .flatten()
                    .map(location_string),
            },
        };
        let inputs = inputs
            .iter()
            .map(|&i| {
                let (min, max, nan, inf) = summarize(g.values(i));
                InputSummary {
                    node: i as usize,
                    op: g.nodes[i as usize].op.name(),
                    shape: g.shape(i).to_vec(),
                    min,
                    max,
                    nan,
                    inf,
                }
            })
            .collect();
        Some(Anomaly {
            phase,
            op: op.name(),
            node,
            shape: g.dims[dims as usize..dims as usize + rank as usize].to_vec(),
            nan,
            pos_inf,
            neg_inf,
            inputs,
            location: Some(location_string(at)),
        })
    } else {
        None
    };
    let state = g.anomaly.as_mut().expect("anomaly mode is on");
    state.locations.push(Some(at));
    if report.is_some() {
        state.first = report;
    }
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
