//! Checking derivatives numerically (`gradcheck`, `gradgradcheck`) and small dense derivative
//! matrices (`jacobian`, `hessian`).

use crate::backward::{grad, grad_with};
use crate::dtype::Float;
use crate::error::Result;
use crate::functional::{check_scalar, rows};
use crate::shape::{strides, Shape};
use crate::tape::Tape;
use crate::tensor::Tensor;
use crate::var::Var;
use std::fmt;

/// Settings of [`gradcheck`]: central differences `(f(x + eps) - f(x - eps)) / 2 eps`, and an
/// entry passes when `|analytical - numerical| <= atol + rtol * |numerical|`.
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// Finite-difference step (default `1e-6`).
    pub eps: f64,
    /// Absolute tolerance (default `1e-7`).
    pub atol: f64,
    /// Relative tolerance (default `1e-6`).
    pub rtol: f64,
    /// Up to this many Jacobian entries (outputs x inputs) the full Jacobian is compared;
    /// above it, one random projection `u^T J` (default `4096`).
    pub full_jacobian_limit: usize,
    /// Seed of the random projection and of `gradgradcheck`'s cotangent (default `0`).
    pub seed: u64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        Self {
            eps: 1e-6,
            atol: 1e-7,
            rtol: 1e-6,
            full_jacobian_limit: 4096,
            seed: 0,
        }
    }
}

/// One compared derivative entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// Which input (position in the `inputs` slice).
    pub input: usize,
    /// The element of that input (multi-index).
    pub element: Vec<usize>,
    /// The output element (multi-index), or `None` when a random projection of the outputs
    /// was compared.
    pub output: Option<Vec<usize>>,
    /// The engine's derivative.
    pub analytical: f64,
    /// The finite-difference estimate.
    pub numerical: f64,
}

/// The outcome of [`gradcheck`]: whether every entry is within tolerance, and the worst one.
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckReport {
    /// Every entry within `atol + rtol * |numerical|`.
    pub passed: bool,
    /// Number of entries compared.
    pub checked: usize,
    /// Whether the full Jacobian was compared (else a random projection).
    pub full_jacobian: bool,
    /// The largest `|analytical - numerical|`.
    pub max_abs_error: f64,
    /// The entry furthest outside (or least inside) its tolerance.
    pub worst: Option<Mismatch>,
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradcheck {}: {} {} compared, max |analytical - numerical| = {:.3e}",
            if self.passed { "passed" } else { "FAILED" },
            self.checked,
            if self.full_jacobian {
                "Jacobian entries"
            } else {
                "projected entries"
            },
            self.max_abs_error
        )?;
        if let Some(w) = &self.worst {
            write!(f, "; worst: input {} element {:?}", w.input, w.element)?;
            if let Some(o) = &w.output {
                write!(f, " of output {o:?}")?;
            }
            write!(
                f,
                ": analytical {:.12e}, numerical {:.12e}",
                w.analytical, w.numerical
            )?;
        }
        Ok(())
    }
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let st = strides(shape);
    st.iter()
        .map(|&s| {
            let q = i / s;
            i %= s;
            q
        })
        .collect()
}

fn evaluate<F>(f: &F, inputs: &[Tensor<f64>]) -> Tensor<f64>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.var_from(x)).collect();
    f(&xs).value()
}

/// `u^T J` for every input, computed by the engine (`u` a cotangent of the output's shape).
fn analytical_vjp<F>(f: &F, inputs: &[Tensor<f64>], u: &Tensor<f64>) -> Vec<Tensor<f64>>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.var_from(x)).collect();
    let y = f(&xs);
    crate::backward::vjp(y, u, &xs).expect("the cotangent has the output's shape")
}

/// Compares the engine's derivatives of `f` with central finite differences, in `f64`, at
/// `inputs`. For small problems the full Jacobian is compared (one reverse sweep per output
/// element); otherwise a random projection of it. The report names the worst entry with both
/// values. Keep inputs away from kinks (relu at 0, abs at 0, ties in max).
///
/// ```
/// use chainrule::{gradcheck, GradcheckOptions, Tensor};
/// let x = Tensor::from(vec![0.3, -1.2, 2.0]);
/// let report = gradcheck(|v| (v[0].tanh() * v[0]).sum(), &[x], &GradcheckOptions::default());
/// assert!(report.passed, "{report}");
/// assert_eq!(report.checked, 3);
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor<f64>], opts: &GradcheckOptions) -> GradcheckReport
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let y0 = evaluate(&f, inputs);
    let out_shape: Shape = y0.shape().into();
    let n_out = y0.numel();
    let n_in: usize = inputs.iter().map(|x| x.numel()).sum();
    let full = n_out * n_in <= opts.full_jacobian_limit;
    // Cotangents: one-hot rows of the Jacobian, or a single random direction.
    let cotangents: Vec<Tensor<f64>> = if full {
        (0..n_out)
            .map(|j| {
                let mut u = Tensor::zeros(&out_shape);
                u.as_mut_slice()[j] = 1.0;
                u
            })
            .collect()
    } else {
        vec![Tensor::rand_normal(&out_shape, 0.0, 1.0, opts.seed)]
    };
    let analytical: Vec<Vec<Tensor<f64>>> =
        cotangents.iter().map(|u| analytical_vjp(&f, inputs, u)).collect();

    let mut report = GradcheckReport {
        passed: true,
        checked: 0,
        full_jacobian: full,
        max_abs_error: 0.0,
        worst: None,
    };
    let mut worst_excess = f64::NEG_INFINITY;
    let mut probe: Vec<Tensor<f64>> = inputs.to_vec();
    for (i, x) in inputs.iter().enumerate() {
        for e in 0..x.numel() {
            let orig = x.as_slice()[e];
            probe[i].as_mut_slice()[e] = orig + opts.eps;
            let plus = evaluate(&f, &probe);
            probe[i].as_mut_slice()[e] = orig - opts.eps;
            let minus = evaluate(&f, &probe);
            probe[i].as_mut_slice()[e] = orig;
            for (row, u) in cotangents.iter().enumerate() {
                let numerical: f64 = u
                    .as_slice()
                    .iter()
                    .zip(plus.as_slice().iter().zip(minus.as_slice()))
                    .map(|(&w, (&p, &m))| w * (p - m) / (2.0 * opts.eps))
                    .sum();
                let a = analytical[row][i].as_slice()[e];
                let err = (a - numerical).abs();
                let tol = opts.atol + opts.rtol * numerical.abs();
                let excess = if err.is_nan() { f64::INFINITY } else { err - tol };
                report.checked += 1;
                if err.is_nan() || err > tol {
                    report.passed = false;
                }
                if err > report.max_abs_error || err.is_nan() {
                    report.max_abs_error = err;
                }
                if excess > worst_excess {
                    worst_excess = excess;
                    report.worst = Some(Mismatch {
                        input: i,
                        element: unravel(e, x.shape()),
                        output: full.then(|| unravel(row, &out_shape)),
                        analytical: a,
                        numerical,
                    });
                }
            }
        }
    }
    report
}

/// Checks second derivatives: [`gradcheck`] of the map `x -> (d/dx) <v, f(x)>` for a fixed
/// random cotangent `v`, where the inner derivative is the engine's own differentiable
/// gradient ([`grad_with`]). Passing means the derivative rules are themselves differentiated
/// correctly.
///
/// ```
/// use chainrule::{gradgradcheck, GradcheckOptions, Tensor};
/// let x = Tensor::from(vec![0.3, -1.2]);
/// let report = gradgradcheck(|v| v[0].sigmoid() * v[0].sin(), &[x], &GradcheckOptions::default());
/// assert!(report.passed, "{report}");
/// ```
pub fn gradgradcheck<F>(f: F, inputs: &[Tensor<f64>], opts: &GradcheckOptions) -> GradcheckReport
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let y0 = evaluate(&f, inputs);
    let v = Tensor::rand_normal(y0.shape(), 0.0, 1.0, opts.seed ^ 0x9e37_79b9);
    gradcheck(
        |xs| {
            let tape = xs[0].tape();
            let y = f(xs);
            let cot = tape.constant_from(&v);
            let gs = grad_with(y, cot, xs).expect("the cotangent has the output's shape");
            let flat: Vec<_> = gs.into_iter().map(|g| g.flatten()).collect();
            crate::concat(&flat, 0).expect("flattened gradients concatenate")
        },
        inputs,
        opts,
    )
}

/// The Jacobian of `f` at `x`: shape `[f(x).shape.., x.shape..]`, entry `dy_j / dx_i`, by one
/// reverse sweep per output element.
///
/// ```
/// use chainrule::{jacobian, Tensor};
/// let j = jacobian(|x| x * x, &Tensor::from(vec![1.0, 3.0]));
/// assert_eq!(j.shape(), &[2, 2]);
/// assert_eq!(j.to_vec(), vec![2.0, 0.0, 0.0, 6.0]);
/// ```
pub fn jacobian<T: Float, F>(f: F, x: &Tensor<T>) -> Tensor<T>
where
    F: for<'t> Fn(Var<'t, T>) -> Var<'t, T>,
{
    let tape = Tape::new();
    let xv = tape.var_from(x);
    let y = f(xv);
    one_block(y, xv).expect("the output and the input are on one tape")
}

/// The one block `d y / d x` of [`crate::functional`]'s rows.
fn one_block<'t, T: Float>(y: Var<'t, T>, x: Var<'t, T>) -> Result<Tensor<T>> {
    let mut blocks = rows(y, &[x])?;
    Ok(blocks.pop().expect("one block per input"))
}

/// The Hessian of a scalar `f` at `x`: shape `[x.shape.., x.shape..]`, the Jacobian of the
/// engine's own (differentiable) gradient. Errors if `f(x)` is not a scalar.
///
/// ```
/// use chainrule::{hessian, Tensor};
/// // f(a, b) = a^2 b  ->  H = [[2b, 2a], [2a, 0]]
/// let h = hessian(|x| x.narrow(0, 0, 1).powf(2.0).sum() * x.narrow(0, 1, 1).sum(), &Tensor::from(vec![1.0, 3.0])).unwrap();
/// assert_eq!(h.to_vec(), vec![6.0, 2.0, 2.0, 0.0]);
/// ```
pub fn hessian<T: Float, F>(f: F, x: &Tensor<T>) -> Result<Tensor<T>>
where
    F: for<'t> Fn(Var<'t, T>) -> Var<'t, T>,
{
    let tape = Tape::new();
    let xv = tape.var_from(x);
    let y = f(xv);
    check_scalar("hessian", y)?;
    let g = grad(y, &[xv])?[0];
    one_block(g, xv)
}
