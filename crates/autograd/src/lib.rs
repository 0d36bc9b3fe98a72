//! # autograd: chainrule's engine
//!
//! Reverse-mode automatic differentiation over scalars and n-d tensors, recorded on a tape.
//!
//! ## Scalars
//! A [`Tape`] records operations; a [`Var`] is a `Copy` handle to a recorded value, so
//! expressions read like the maths:
//!
//! ```
//! use chainrule::Tape;
//! let tape = Tape::<f64>::new();
//! let x = tape.scalar_var(0.5);
//! let y = (x * 2.0).sigmoid() + x.powf(3.0);
//! let g = y.backward();                 // dy/dx for every variable
//! let s = 1.0 / (1.0 + (-1.0f64).exp());
//! assert!((g[x].item() - (2.0 * s * (1.0 - s) + 3.0 * 0.25)).abs() < 1e-15);
//! ```
//!
//! ## Tensors
//! Values are n-d [`Tensor`]s (row-major, `f64` by default, `f32` for speed). Binary ops
//! broadcast as NumPy does; reductions take axes (negative ones count from the end):
//!
//! ```
//! use chainrule::{Tape, Tensor};
//! let tape = Tape::<f64>::new();
//! let w = tape.var(Tensor::from_vec(vec![1.0, -1.0, 0.5, 2.0], &[2, 2]).unwrap());
//! let b = tape.var(Tensor::from(vec![0.1, -0.1]));
//! let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
//! let logits = x.matmul(w.t()) + b;                 // [2, 2] + [2] broadcasts
//! let loss = -logits.log_softmax(-1).gather(-1, &[0, 1]).mean();
//! let g = loss.backward();
//! assert_eq!(g[w].shape(), &[2, 2]);
//! assert_eq!(g[b].shape(), &[2]);
//! ```
//!
//! ## The tape
//! Nodes live in one `Vec`, values in one flat buffer; inputs are indices. Building, the
//! backward sweep and dropping never recurse, so a chain of a million ops is fine on a small
//! stack. [`Tape::reset`] clears the record but keeps its memory for the next step.
//! Parameters live outside the tape (as [`Tensor`]s) and are bound as leaves each step with
//! [`Tape::var_from`].
//!
//! ## Gradients of any order
//! Each primitive has one derivative rule written with the engine's own ops. [`grad`] records
//! those rules, so its result is a graph you can differentiate again:
//!
//! ```
//! use chainrule::{Tape, grad};
//! let tape = Tape::<f64>::new();
//! let x = tape.scalar_var(1.0);
//! let y = x.sin();
//! let d1 = grad(y, &[x]).unwrap()[0];   //  cos x
//! let d2 = grad(d1, &[x]).unwrap()[0];  // -sin x
//! let d3 = grad(d2, &[x]).unwrap()[0];  // -cos x
//! assert!((d3.item() + 1f64.cos()).abs() < 1e-15);
//! ```
//!
//! ## Derivative rules live here only
//! The recorded primitives (`Op`) and the recording entry points of the tape are private to
//! this crate, so code outside it (`nn`, a user's crate) can compose the public ops but can
//! neither name a primitive nor record a node with a rule of its own: every derivative comes
//! from the rules written here. Both fail to compile:
//!
//! ```compile_fail,E0603
//! use chainrule::autograd::Op; // private: no outside code names a primitive
//! ```
//!
//! ```compile_fail,E0624
//! let tape = chainrule::Tape::<f64>::new();
//! let x = tape.scalar_var(1.0);
//! let _ = x.unary(todo!()); // private: no outside code records an op
//! ```
//!
//! ## Pitfalls
//! - `backward` needs a scalar; for other shapes pass a cotangent ([`Var::backward_with`]).
//! - Kinks follow PyTorch: `relu'(0) = 0`, `abs'(0) = 0`, ties in `max`/`min` share the
//!   gradient equally. Finite-difference checks must keep inputs away from kinks.
//! - Handles of different tapes cannot be mixed: the `try_` forms return
//!   [`Error::TapeMismatch`], operators panic.
//! - A value computed only from constants (or inside [`Tape::no_grad`]) is a constant: no
//!   gradient flows through it.

#![deny(missing_docs)]
// `unsafe` code is in two places: `dtype.rs` (the GEMM wrapper and the disjoint views of one
// buffer that two products side by side write, `side_by_side_in`) and `math.rs` (calling a
// kernel compiled for vector extensions the CPU was checked to have).
#![deny(unsafe_code)]

mod anomaly;
mod backward;
mod check;
mod dot;
#[allow(unsafe_code)]
mod dtype;
mod error;
mod functional;
#[allow(unsafe_code)]
pub mod math;
mod op;
mod ops;
mod plan;
mod shape;
mod tape;
mod tensor;
mod threads;
mod var;
mod view;

pub use anomaly::{Anomaly, InputSummary, Phase};
pub use backward::{grad, grad_with, vjp, Gradients};
pub use check::{gradcheck, gradgradcheck, hessian, jacobian, GradcheckOptions, GradcheckReport, Mismatch};
pub use dtype::{gemm, try_gemm, Float, FloatSliceMut};
pub use error::{Error, Result};
pub use functional::{hessians, hvp, jacobians, jvp};
pub use ops::movement::{concat, stack};
pub use plan::{Plan, PlanSpec};
pub use shape::{broadcast_shapes, Shape};
pub use tape::Tape;
pub use tensor::Tensor;
pub use threads::{
    copy_split, for_each_chunk_mut, get_num_threads, set_num_threads, try_set_num_threads, MAX_THREADS,
    NUM_THREADS_VAR,
};
pub use var::Var;
pub use view::{GraphEdge, GraphNode, GraphView, NodeKind};

pub(crate) use op::Op;
