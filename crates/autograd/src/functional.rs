//! Derivatives of functions of several inputs, as tensors: Jacobian and Hessian blocks, and the
//! forward-mode products `jvp` and `hvp` (PyTorch's `torch.autograd.functional`, JAX's
//! `jacobian(argnums=..)`, `hessian`, `jvp`).
//!
//! `f` receives one variable per input, on a fresh tape. The forward-mode products use the
//! double-VJP trick: `g(u) = J^T u` is linear in a dummy cotangent `u`, so differentiating
//! `<g(u), v>` with respect to `u` gives `J v` with two reverse sweeps and no Jacobian.

use crate::backward::{grad, grad_with};
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::shape::{numel, Shape};
use crate::{Tape, Tensor, Var};

/// Records `f` on a fresh tape with one variable per input.
fn record<'t, T: Float, F>(tape: &'t Tape<T>, f: &F, xs: &[Tensor<T>]) -> (Vec<Var<'t, T>>, Var<'t, T>)
where
    F: for<'s> Fn(&[Var<'s, T>]) -> Var<'s, T>,
{
    let vars: Vec<Var<'t, T>> = xs.iter().map(|x| tape.var_from(x)).collect();
    let y = f(&vars);
    (vars, y)
}

pub(crate) fn check_scalar<T: Float>(op: &'static str, y: Var<'_, T>) -> Result<()> {
    if y.numel() == 1 {
        Ok(())
    } else {
        Err(Error::NotScalar { op, shape: y.shape() })
    }
}

/// `d y / d x_i` for each input: block `i` has shape `[y.shape.., x_i.shape..]`, one reverse
/// sweep per element of `y`.
///
/// ```
/// use chainrule::{jacobians, Tensor};
/// // y = (a * b, a + b) for scalars a = 2, b = 5: dy/da = (5, 1), dy/db = (2, 1)
/// let j = jacobians(|v| chainrule::stack(&[v[0] * v[1], v[0] + v[1]], 0).unwrap(),
///                   &[Tensor::scalar(2.0), Tensor::scalar(5.0)]).unwrap();
/// assert_eq!((j[0].to_vec(), j[1].to_vec()), (vec![5.0, 1.0], vec![2.0, 1.0]));
/// assert_eq!(j[0].shape(), &[2]);
/// ```
pub fn jacobians<T: Float, F>(f: F, xs: &[Tensor<T>]) -> Result<Vec<Tensor<T>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, y) = record(&tape, &f, xs);
    rows(y, &vars)
}

/// Stacks `d y_j / d x_i` over the elements `j` of `y`, for each `x_i`.
pub(crate) fn rows<'t, T: Float>(y: Var<'t, T>, xs: &[Var<'t, T>]) -> Result<Vec<Tensor<T>>> {
    let ys = y.shape();
    let mut data: Vec<Vec<T>> = xs
        .iter()
        .map(|x| Vec::with_capacity(numel(&ys) * x.numel()))
        .collect();
    for j in 0..numel(&ys) {
        let mut u = Tensor::zeros(&ys);
        u.as_mut_slice()[j] = T::one();
        for (row, g) in data.iter_mut().zip(crate::vjp(y, &u, xs)?) {
            row.extend_from_slice(g.as_slice());
        }
    }
    xs.iter()
        .zip(data)
        .map(|(x, d)| {
            let shape: Vec<usize> = ys.iter().chain(x.shape().iter()).copied().collect();
            Tensor::from_vec(d, &shape)
        })
        .collect()
}

/// The Hessian of a scalar `f` in several inputs, as blocks: `h[i][j]` is
/// `d^2 f / (d x_i d x_j)`, of shape `[x_i.shape.., x_j.shape..]` (the Jacobians of the
/// engine's own differentiable gradient). Errors if `f` is not a scalar.
///
/// ```
/// use chainrule::{hessians, Tensor};
/// // f(a, b) = a^2 b at (1, 3): [[2b, 2a], [2a, 0]] = [[6, 2], [2, 0]]
/// let h = hessians(|v| v[0].powf(2.0) * v[1], &[Tensor::scalar(1.0), Tensor::scalar(3.0)]).unwrap();
/// assert_eq!((h[0][0].item(), h[0][1].item(), h[1][0].item(), h[1][1].item()), (6.0, 2.0, 2.0, 0.0));
/// ```
pub fn hessians<T: Float, F>(f: F, xs: &[Tensor<T>]) -> Result<Vec<Vec<Tensor<T>>>>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, y) = record(&tape, &f, xs);
    check_scalar("hessians", y)?;
    grad(y, &vars)?.into_iter().map(|g| rows(g, &vars)).collect()
}

/// The Jacobian-vector product: `(f(x), J v)` where `J v = sum_i (d f / d x_i) v_i`, with one
/// tangent `v_i` of `x_i`'s shape per input. No Jacobian is formed (two reverse sweeps, the
/// double-VJP trick); the result has `f(x)`'s shape.
///
/// ```
/// use chainrule::{jvp, Tensor};
/// // f(x) = x^3 elementwise: J = diag(3x^2), so J v = 3 x^2 v
/// let x = Tensor::from(vec![1.0, 2.0]);
/// let (y, jv) = jvp(|v| v[0].powf(3.0), &[x], &[Tensor::from(vec![1.0, 0.5])]).unwrap();
/// assert_eq!((y.to_vec(), jv.to_vec()), (vec![1.0, 8.0], vec![3.0, 6.0]));
/// ```
pub fn jvp<T: Float, F>(f: F, xs: &[Tensor<T>], tangents: &[Tensor<T>]) -> Result<(Tensor<T>, Tensor<T>)>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, y) = record(&tape, &f, xs);
    let jv = forward_product("jvp", y, &vars, tangents)?;
    Ok((y.value(), jv))
}

/// The Hessian-vector product of a scalar `f`: `(f(x), H v)`, one block per input
/// (`(H v)_i = sum_j d^2 f / (d x_i d x_j) v_j`), without forming the Hessian: the `jvp` of the
/// engine's gradient.
///
/// ```
/// use chainrule::{hvp, Tensor};
/// // f(a, b) = a^2 b at (1, 3), v = (1, 0): H v = (2b, 2a) = (6, 2)
/// let (f, hv) = hvp(|v| v[0].powf(2.0) * v[1], &[Tensor::scalar(1.0), Tensor::scalar(3.0)],
///                   &[Tensor::scalar(1.0), Tensor::scalar(0.0)]).unwrap();
/// assert_eq!((f.item(), hv[0].item(), hv[1].item()), (3.0, 6.0, 2.0));
/// ```
pub fn hvp<T: Float, F>(f: F, xs: &[Tensor<T>], tangents: &[Tensor<T>]) -> Result<(Tensor<T>, Vec<Tensor<T>>)>
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let (vars, y) = record(&tape, &f, xs);
    check_scalar("hvp", y)?;
    check_tangents("hvp", &vars, tangents)?;
    // H v = d/dx <grad f(x), v>: one more reverse sweep through the recorded gradient.
    let g = grad(y, &vars)?;
    let hv = match inner(&tape, &g, tangents) {
        Some(d) => crate::vjp(d, &Tensor::scalar(T::one()), &vars)?,
        None => Vec::new(),
    };
    Ok((y.value(), hv))
}

fn check_tangents<T: Float>(op: &'static str, xs: &[Var<'_, T>], tangents: &[Tensor<T>]) -> Result<()> {
    if tangents.len() != xs.len() {
        return Err(Error::InvalidArgument {
            op,
            shape: Shape::from_slice(&[xs.len()]),
            message: format!(
                "{} inputs need {} tangents, got {}",
                xs.len(),
                xs.len(),
                tangents.len()
            ),
        });
    }
    for (x, v) in xs.iter().zip(tangents) {
        if x.shape().as_slice() != v.shape() {
            return Err(Error::ShapeMismatch {
                op,
                lhs: x.shape(),
                rhs: Shape::from_slice(v.shape()),
                expected: "a tangent of its input's shape".into(),
            });
        }
    }
    Ok(())
}

/// `J v` for `y = f(xs)` by differentiating `<J^T u, v>` in a dummy cotangent `u`.
fn forward_product<'t, T: Float>(
    op: &'static str,
    y: Var<'t, T>,
    xs: &[Var<'t, T>],
    tangents: &[Tensor<T>],
) -> Result<Tensor<T>> {
    check_tangents(op, xs, tangents)?;
    let tape = y.tape();
    let u = tape.var(Tensor::zeros(&y.shape()));
    let g = grad_with(y, u, xs)?;
    match inner(tape, &g, tangents) {
        Some(dot) => Ok(crate::vjp(dot, &Tensor::scalar(T::one()), &[u])?.remove(0)),
        None => Ok(Tensor::zeros(&y.shape())),
    }
}

/// `sum_i <g_i, v_i>` on the tape, `None` for no inputs.
fn inner<'t, T: Float>(tape: &'t Tape<T>, g: &[Var<'t, T>], v: &[Tensor<T>]) -> Option<Var<'t, T>> {
    g.iter()
        .zip(v)
        .map(|(gi, vi)| (*gi * tape.constant_from(vi)).sum())
        .reduce(|a, b| a + b)
}
