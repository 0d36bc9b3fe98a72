//! The kernels against naive references (issue 6), on odd shapes: sizes 1, 7, 33 and 129,
//! non-square, batched, transposed and broadcast operands.
//!
//! - `matmul`: every operand form (2-D, batched 3-D, 3-D by shared 2-D, vector forms), with
//!   inputs that are transposed views (`t()`), in f64 and f32. The GEMM kernel has three flag
//!   combinations in use: `A B` (forward), `G B^T` and `A^T G` (the two halves of the rule),
//!   checked through `backward_with` against naive products, and once more through grad of
//!   grad (the rules of the flagged products). `A^T B^T` is never recorded: no rule makes it.
//! - The strided copy kernels: `permute` (every permutation of rank 3, some of rank 4),
//!   `broadcast_to` and its adjoint `sum_to`, `narrow` and its adjoint `pad`, `concat` (also of
//!   more than 255 parts, which is joined in groups), `index_select`/`gather` and their
//!   scatter-adds, and the reductions `sum`, `max`, `min`, `mean` and `logsumexp` over every
//!   subset of axes, kept or not, with ties.
//!
//! The only `unsafe` code of the engine is the GEMM wrapper in `dtype.rs` (`try_gemm` and the
//! sealed trait method that forwards to `gemmkit`): the compiler holds it there (`lib.rs`
//! denies `unsafe_code` everywhere else), and clippy's `undocumented_unsafe_blocks` (denied in
//! the workspace) requires each block's `// SAFETY:` comment.

use autograd::{concat, Float, Tape, Tensor, Var};

// ---------------------------------------------------------------------------------------------
// A naive n-d array.

#[derive(Clone, Debug, PartialEq)]
struct Nd {
    shape: Vec<usize>,
    data: Vec<f64>,
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        if shape[a] > 0 {
            idx[a] = i % shape[a];
            i /= shape[a];
        }
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(strides(shape)).map(|(i, s)| i * s).sum()
}

impl Nd {
    /// Distinct, irregular values (a fixed-seed generator), or small integers (with ties).
    fn new(shape: &[usize], seed: u64, ties: bool) -> Self {
        let n: usize = shape.iter().product();
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let data = (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                if ties {
                    (u * 4.0).floor() - 2.0
                } else {
                    u * 2.0 - 1.0
                }
            })
            .collect();
        Self {
            shape: shape.to_vec(),
            data,
        }
    }

    fn zeros(shape: &[usize]) -> Self {
        Self {
            shape: shape.to_vec(),
            data: vec![0.0; shape.iter().product()],
        }
    }

    fn at(&self, idx: &[usize]) -> f64 {
        self.data[ravel(idx, &self.shape)]
    }

    fn tensor<T: Float>(&self) -> Tensor<T> {
        Tensor::from_vec(self.data.iter().map(|&v| T::from_f64(v)).collect(), &self.shape).unwrap()
    }

    fn len(&self) -> usize {
        self.data.len()
    }

    /// Naive `A B` of the last two axes with a shared or equal batch.
    fn matmul(&self, b: &Nd) -> Nd {
        let (sa, sb) = (&self.shape, &b.shape);
        let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
        let n = sb[sb.len() - 1];
        assert_eq!(k, sb[sb.len() - 2]);
        let batch = if sa.len() == 3 { sa[0] } else { 1 };
        let mut out = vec![0.0; batch * m * n];
        for bi in 0..batch {
            let boff = if sb.len() == 3 { bi * k * n } else { 0 };
            for i in 0..m {
                for j in 0..n {
                    let mut acc = 0.0;
                    for p in 0..k {
                        acc += self.data[bi * m * k + i * k + p] * b.data[boff + p * n + j];
                    }
                    out[bi * m * n + i * n + j] = acc;
                }
            }
        }
        let mut shape = sa.clone();
        let r = shape.len();
        shape[r - 1] = n;
        Nd { shape, data: out }
    }

    /// Naive transpose of the last two axes.
    fn t(&self) -> Nd {
        let r = self.shape.len();
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 2, r - 1);
        self.permute(&perm)
    }

    fn permute(&self, perm: &[usize]) -> Nd {
        let shape: Vec<usize> = perm.iter().map(|&p| self.shape[p]).collect();
        let data = (0..self.len())
            .map(|i| {
                let o = unravel(i, &shape);
                let mut src = vec![0; o.len()];
                for (k, &p) in perm.iter().enumerate() {
                    src[p] = o[k];
                }
                self.at(&src)
            })
            .collect();
        Nd { shape, data }
    }

    /// Sums over `axes`, keeping them as size 1.
    fn sum_keep(&self, axes: &[usize]) -> Nd {
        self.reduce_keep(axes, 0.0, |a, b| a + b)
    }

    fn reduce_keep(&self, axes: &[usize], init: f64, f: impl Fn(f64, f64) -> f64) -> Nd {
        let shape: Vec<usize> = self
            .shape
            .iter()
            .enumerate()
            .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
            .collect();
        let mut out = Nd {
            data: vec![init; shape.iter().product()],
            shape,
        };
        for i in 0..self.len() {
            let mut idx = unravel(i, &self.shape);
            for &a in axes {
                idx[a] = 0;
            }
            let o = ravel(&idx, &out.shape);
            out.data[o] = f(out.data[o], self.data[i]);
        }
        out
    }

    /// Broadcasts (NumPy rules) to `shape`.
    fn broadcast(&self, shape: &[usize]) -> Nd {
        let lead = shape.len() - self.shape.len();
        let n: usize = shape.iter().product();
        let data = (0..n)
            .map(|i| {
                let o = unravel(i, shape);
                let src: Vec<usize> = self
                    .shape
                    .iter()
                    .enumerate()
                    .map(|(a, &d)| if d == 1 { 0 } else { o[a + lead] })
                    .collect();
                self.at(&src)
            })
            .collect();
        Nd {
            shape: shape.to_vec(),
            data,
        }
    }
}

fn shape_of<T: Float>(v: Var<'_, T>) -> Vec<usize> {
    v.shape().to_vec()
}

/// Exact agreement (for pure copies and sequential sums).
fn assert_exact<T: Float>(what: &str, got: &Tensor<T>, want: &Nd) {
    assert_eq!(got.shape(), &want.shape[..], "{what}: shape");
    for (i, (&g, &w)) in got.as_slice().iter().zip(&want.data).enumerate() {
        assert!(
            g == T::from_f64(w) || (g.is_nan() && w.is_nan()),
            "{what} [{i}] ({}): got {}, want {w}",
            T::NAME,
            g.as_f64()
        );
    }
}

/// Agreement to a few rounding errors of a k-term dot product.
fn assert_close<T: Float>(what: &str, got: &Tensor<T>, want: &Nd, k: usize) {
    assert_eq!(got.shape(), &want.shape[..], "{what}: shape");
    let tol = 4.0 * (k.max(1) as f64) * T::epsilon().as_f64();
    for (i, (&g, &w)) in got.as_slice().iter().zip(&want.data).enumerate() {
        // The operands lie in [-1, 1], so each product and partial sum is at most k.
        assert!(
            (g.as_f64() - w).abs() <= tol * (1.0 + w.abs()),
            "{what} [{i}] ({}): got {}, want {w}",
            T::NAME,
            g.as_f64()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// matmul

const SIZES: [usize; 4] = [1, 7, 33, 129];

fn matmul_2d<T: Float>() {
    let mut seed = 0;
    for &m in &SIZES {
        for &k in &SIZES {
            for &n in &SIZES {
                if m * k * n > 129 * 129 * 33 {
                    continue; // keep the f64 naive products quick
                }
                seed += 1;
                let (a, b, g) = (
                    Nd::new(&[m, k], seed, false),
                    Nd::new(&[k, n], seed + 1000, false),
                    Nd::new(&[m, n], seed + 2000, false),
                );
                let what = format!("[{m}, {k}] @ [{k}, {n}]");
                let tape = Tape::<T>::new();
                let (va, vb) = (tape.var(a.tensor::<T>()), tape.var(b.tensor::<T>()));
                let c = va.matmul(vb);
                assert_close(&format!("{what}: A B"), &c.value(), &a.matmul(&b), k);
                // The rule's two flagged products: G B^T and A^T G.
                let grads = c.backward_with(&g.tensor::<T>()).unwrap();
                assert_close(&format!("{what}: G B^T"), &grads[va], &g.matmul(&b.t()), n);
                assert_close(&format!("{what}: A^T G"), &grads[vb], &a.t().matmul(&g), m);
                // Transposed inputs: (B^T)^T-style views built with t().
                let vat = tape.var(a.t().tensor::<T>());
                let c2 = vat.t().matmul(vb);
                assert_close(&format!("{what}: (A^T)^T B"), &c2.value(), &a.matmul(&b), k);
                let vbt = tape.var(b.t().tensor::<T>());
                let c3 = va.matmul(vbt.t());
                assert_close(&format!("{what}: A (B^T)^T"), &c3.value(), &a.matmul(&b), k);
                let grads = c3.backward_with(&g.tensor::<T>()).unwrap();
                assert_close(&format!("{what}: d B^T"), &grads[vbt], &a.t().matmul(&g).t(), m);
            }
        }
    }
}

#[test]
fn matmul_2d_on_odd_shapes_f64() {
    matmul_2d::<f64>();
}

#[test]
fn matmul_2d_on_odd_shapes_f32() {
    matmul_2d::<f32>();
}

#[test]
fn matmul_batched_and_shared_operands() {
    for (batch, m, k, n) in [
        (1, 1, 1, 1),
        (3, 7, 33, 1),
        (5, 1, 7, 33),
        (2, 33, 7, 129),
        (7, 7, 7, 7),
    ] {
        let what = format!("[{batch}, {m}, {k}] @ [.., {k}, {n}]");
        let a = Nd::new(&[batch, m, k], 1, false);
        let b3 = Nd::new(&[batch, k, n], 2, false);
        let b2 = Nd::new(&[k, n], 3, false);
        let g = Nd::new(&[batch, m, n], 4, false);
        let tape = Tape::<f64>::new();
        let va = tape.var(a.tensor::<f64>());
        // Batched by batched.
        let vb = tape.var(b3.tensor::<f64>());
        let c = va.matmul(vb);
        assert_close(&what, &c.value(), &a.matmul(&b3), k);
        let grads = c.backward_with(&g.tensor()).unwrap();
        assert_close(&format!("{what}: dA"), &grads[va], &g.matmul(&b3.t()), n);
        assert_close(&format!("{what}: dB"), &grads[vb], &a.t().matmul(&g), m);
        // Batched by a shared 2-D matrix: its gradient sums over the batch.
        let vs = tape.var(b2.tensor::<f64>());
        let c = va.matmul(vs);
        assert_close(&format!("{what} (shared)"), &c.value(), &a.matmul(&b2), k);
        let grads = c.backward_with(&g.tensor()).unwrap();
        let per_batch = a.t().matmul(&g); // [batch, k, n]
        let summed = per_batch.sum_keep(&[0]);
        let summed = Nd {
            shape: vec![k, n],
            data: summed.data,
        };
        assert_close(&format!("{what}: dB shared"), &grads[vs], &summed, m * batch);
    }
}

#[test]
fn matmul_vector_forms() {
    for (m, k) in [(1, 1), (7, 33), (33, 7), (129, 1), (1, 129)] {
        let a = Nd::new(&[m, k], 5, false);
        let v = Nd::new(&[k], 6, false);
        let w = Nd::new(&[m], 7, false);
        let tape = Tape::<f64>::new();
        let (va, vv, vw) = (
            tape.var(a.tensor::<f64>()),
            tape.var(v.tensor::<f64>()),
            tape.var(w.tensor::<f64>()),
        );
        // Matrix-vector, vector-matrix and the dot product.
        let col = Nd {
            shape: vec![k, 1],
            data: v.data.clone(),
        };
        let mv = a.matmul(&col);
        assert_close(
            "A v",
            &va.matmul(vv).value(),
            &Nd {
                shape: vec![m],
                data: mv.data,
            },
            k,
        );
        let row = Nd {
            shape: vec![1, m],
            data: w.data.clone(),
        };
        let vm = row.matmul(&a);
        assert_close(
            "w A",
            &vw.matmul(va).value(),
            &Nd {
                shape: vec![k],
                data: vm.data,
            },
            m,
        );
        let dot: f64 = v.data.iter().map(|x| x * x).sum();
        assert_close(
            "v . v",
            &vv.matmul(vv).value(),
            &Nd {
                shape: vec![],
                data: vec![dot],
            },
            k,
        );
    }
}

#[test]
fn matmul_rules_of_the_flagged_products_through_grad_of_grad() {
    // y = sum(V (A B)); dy/dA = V B^T is the flagged product (G B^T). z = sum(U dy/dA); the
    // rule of that product gives dz/dV = U B and dz/dB = U^T V (a flagged A^T G product).
    for (m, k, n) in [(1, 7, 1), (7, 33, 1), (33, 1, 7), (7, 129, 33), (129, 7, 7)] {
        let a = Nd::new(&[m, k], 11, false);
        let b = Nd::new(&[k, n], 12, false);
        let v = Nd::new(&[m, n], 13, false);
        let u = Nd::new(&[m, k], 14, false);
        let tape = Tape::<f64>::new();
        let (va, vb, vv) = (
            tape.var(a.tensor::<f64>()),
            tape.var(b.tensor::<f64>()),
            tape.var(v.tensor::<f64>()),
        );
        let vu = tape.constant(u.tensor::<f64>());
        let y = (va.matmul(vb) * vv).sum();
        let da = autograd::grad(y, &[va]).unwrap()[0];
        assert_close("dy/dA = V B^T", &da.value(), &v.matmul(&b.t()), n);
        let z = (vu * da).sum();
        let g = autograd::grad(z, &[vv, vb]).unwrap();
        assert_close("dz/dV = U B", &g[0].value(), &u.matmul(&b), k);
        assert_close("dz/dB = U^T V", &g[1].value(), &u.t().matmul(&v), m);
        assert_eq!(shape_of(g[1]), vec![k, n]);
    }
}

// ---------------------------------------------------------------------------------------------
// Strided copies.

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn permute_every_axis_order_with_its_inverse_as_gradient() {
    let shapes: [&[usize]; 5] = [&[7, 1, 33], &[1, 7, 3], &[33, 7, 2], &[3, 1, 7, 5], &[2, 7, 3, 5]];
    for shape in shapes {
        let x = Nd::new(shape, 21, false);
        for perm in permutations(shape.len()) {
            let tape = Tape::<f32>::new();
            let vx = tape.var(x.tensor::<f32>());
            let y = vx.permute(&perm);
            let want = x.permute(&perm);
            assert_exact(&format!("permute {shape:?} by {perm:?}"), &y.value(), &want);
            let g = Nd::new(&want.shape, 22, false);
            let grads = y.backward_with(&g.tensor()).unwrap();
            let mut inverse = vec![0; perm.len()];
            for (k, &p) in perm.iter().enumerate() {
                inverse[p] = k;
            }
            assert_exact(
                &format!("d permute {shape:?} by {perm:?}"),
                &grads[vx],
                &g.permute(&inverse),
            );
        }
    }
}

#[test]
fn broadcast_to_and_its_unbroadcasting_sum() {
    let cases: [(&[usize], &[usize]); 8] = [
        (&[1, 7], &[33, 7]),
        (&[7, 1], &[7, 33]),
        (&[3], &[5, 7, 3]),
        (&[1, 1, 1], &[7, 1, 33]),
        (&[1], &[129]),
        (&[7, 1, 3], &[2, 7, 5, 3]),
        (&[], &[7, 3]),
        (&[1, 33], &[1, 33]),
    ];
    for (from, to) in cases {
        let x = Nd::new(from, 31, false);
        let tape = Tape::<f64>::new();
        let vx = tape.var(x.tensor::<f64>());
        let y = vx.broadcast_to(to);
        assert_exact(
            &format!("broadcast {from:?} to {to:?}"),
            &y.value(),
            &x.broadcast(to),
        );
        // The adjoint: sum over the added and the stretched axes.
        let g = Nd::new(to, 32, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let lead = to.len() - from.len();
        let axes: Vec<usize> = (0..to.len())
            .filter(|&a| a < lead || (from[a - lead] == 1 && to[a] != 1))
            .collect();
        let summed = g.sum_keep(&axes);
        let want = Nd {
            shape: from.to_vec(),
            data: summed.data,
        };
        assert_close(&format!("d broadcast {from:?} to {to:?}"), &grads[vx], &want, 129);
    }
    // Binary ops broadcast both operands the same way.
    let a = Nd::new(&[7, 1, 3], 33, false);
    let b = Nd::new(&[5, 1], 34, false);
    let tape = Tape::<f64>::new();
    let (va, vb) = (tape.var(a.tensor::<f64>()), tape.var(b.tensor::<f64>()));
    let y = va * vb;
    let (ba, bb) = (a.broadcast(&[7, 5, 3]), b.broadcast(&[7, 5, 3]));
    let want = Nd {
        shape: vec![7, 5, 3],
        data: ba.data.iter().zip(&bb.data).map(|(x, y)| x * y).collect(),
    };
    assert_exact("[7, 1, 3] * [5, 1]", &y.value(), &want);
}

#[test]
fn narrow_and_its_adjoint_pad() {
    let x = Nd::new(&[7, 33, 5], 41, false);
    for axis in 0..3 {
        let size = x.shape[axis];
        for (start, len) in [
            (0, size),
            (0, 1),
            (size - 1, 1),
            (1, size - 2),
            (size / 2, size - size / 2),
            (3, 0),
        ] {
            let tape = Tape::<f64>::new();
            let vx = tape.var(x.tensor::<f64>());
            let y = vx.narrow(axis as isize, start, len);
            let mut shape = x.shape.clone();
            shape[axis] = len;
            let n: usize = shape.iter().product();
            let want = Nd {
                data: (0..n)
                    .map(|i| {
                        let mut idx = unravel(i, &shape);
                        idx[axis] += start;
                        x.at(&idx)
                    })
                    .collect(),
                shape: shape.clone(),
            };
            let what = format!("narrow axis {axis} {start}..{}", start + len);
            assert_exact(&what, &y.value(), &want);
            // Its rule is pad: the gradient in the window, zeros elsewhere.
            let g = Nd::new(&shape, 42, false);
            let grads = y.backward_with(&g.tensor()).unwrap();
            let mut padded = Nd::zeros(&x.shape);
            for i in 0..g.len() {
                let mut idx = unravel(i, &shape);
                idx[axis] += start;
                padded.data[ravel(&idx, &x.shape)] = g.data[i];
            }
            assert_exact(&format!("d {what}"), &grads[vx], &padded);
            // And pad's rule is narrow again (second order).
            if len > 0 {
                let first = autograd::grad((y * y).sum(), &[vx]).unwrap()[0];
                let second = autograd::grad(first.sum(), &[vx]).unwrap()[0];
                let twos: Vec<f64> = (0..x.len())
                    .map(|i| {
                        let j = unravel(i, &x.shape)[axis];
                        if j >= start && j < start + len {
                            2.0
                        } else {
                            0.0
                        }
                    })
                    .collect();
                assert_exact(
                    &format!("d2 {what}"),
                    &second.value(),
                    &Nd {
                        shape: x.shape.clone(),
                        data: twos,
                    },
                );
            }
        }
    }
}

#[test]
fn concat_along_every_axis_and_of_many_parts() {
    let parts: Vec<Nd> = [1usize, 7, 33]
        .iter()
        .enumerate()
        .map(|(i, &d)| Nd::new(&[d, 3, 5], 50 + i as u64, false))
        .collect();
    for axis in 0..3 {
        // Permute the parts so that the odd size is on `axis`.
        let perm: Vec<usize> = match axis {
            0 => vec![0, 1, 2],
            1 => vec![1, 0, 2],
            _ => vec![1, 2, 0],
        };
        let ps: Vec<Nd> = parts.iter().map(|p| p.permute(&perm)).collect();
        let tape = Tape::<f64>::new();
        let vs: Vec<Var<'_, f64>> = ps.iter().map(|p| tape.var(p.tensor::<f64>())).collect();
        let y = concat(&vs, axis as isize).unwrap();
        let mut shape = ps[0].shape.clone();
        shape[axis] = ps.iter().map(|p| p.shape[axis]).sum();
        let n: usize = shape.iter().product();
        let want = Nd {
            data: (0..n)
                .map(|i| {
                    let mut idx = unravel(i, &shape);
                    let mut k = 0;
                    while idx[axis] >= ps[k].shape[axis] {
                        idx[axis] -= ps[k].shape[axis];
                        k += 1;
                    }
                    ps[k].at(&idx)
                })
                .collect(),
            shape: shape.clone(),
        };
        assert_exact(&format!("concat axis {axis}"), &y.value(), &want);
        let g = Nd::new(&shape, 60, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let mut offset = 0;
        for (p, v) in ps.iter().zip(&vs) {
            let piece = Nd {
                data: (0..p.len())
                    .map(|i| {
                        let mut idx = unravel(i, &p.shape);
                        idx[axis] += offset;
                        g.at(&idx)
                    })
                    .collect(),
                shape: p.shape.clone(),
            };
            assert_exact(&format!("d concat axis {axis}"), &grads[*v], &piece);
            offset += p.shape[axis];
        }
    }
    // 600 parts: more than a node's 255 inputs, joined in groups.
    let tape = Tape::<f32>::new();
    let vs: Vec<Var<'_, f32>> = (0..600)
        .map(|i| tape.var(Tensor::from(vec![i as f32, -(i as f32)])))
        .collect();
    let y = concat(&vs, 0).unwrap();
    let want: Vec<f32> = (0..600).flat_map(|i| [i as f32, -(i as f32)]).collect();
    assert_eq!(y.value().to_vec(), want);
    let w: Vec<f32> = (0..1200).map(|i| i as f32).collect();
    let grads = y.backward_with(&Tensor::from(w.clone())).unwrap();
    for (i, v) in vs.iter().enumerate() {
        assert_eq!(grads[*v].to_vec(), w[2 * i..2 * i + 2].to_vec(), "part {i}");
    }
}

#[test]
fn index_select_and_gather_with_their_scatter_adds() {
    let x = Nd::new(&[7, 33, 3], 70, false);
    for axis in 0..3 {
        let size = x.shape[axis];
        let indices: Vec<usize> = vec![size - 1, 0, size / 2, size - 1, 0];
        let tape = Tape::<f64>::new();
        let vx = tape.var(x.tensor::<f64>());
        let y = vx.index_select(axis as isize, &indices);
        let mut shape = x.shape.clone();
        shape[axis] = indices.len();
        let n: usize = shape.iter().product();
        let want = Nd {
            data: (0..n)
                .map(|i| {
                    let mut idx = unravel(i, &shape);
                    idx[axis] = indices[idx[axis]];
                    x.at(&idx)
                })
                .collect(),
            shape: shape.clone(),
        };
        assert_exact(&format!("index_select axis {axis}"), &y.value(), &want);
        let g = Nd::new(&shape, 71, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let mut back = Nd::zeros(&x.shape);
        for i in 0..g.len() {
            let mut idx = unravel(i, &shape);
            idx[axis] = indices[idx[axis]];
            back.data[ravel(&idx, &x.shape)] += g.data[i];
        }
        assert_close(&format!("d index_select axis {axis}"), &grads[vx], &back, 2);

        // gather: one index per position of the other axes.
        let mut gshape = x.shape.clone();
        gshape.remove(axis);
        let m: usize = gshape.iter().product();
        let picks: Vec<usize> = (0..m).map(|i| (i * 5 + 3) % size).collect();
        let y = vx.gather(axis as isize, &picks);
        let want = Nd {
            data: (0..m)
                .map(|i| {
                    let mut idx = unravel(i, &gshape);
                    idx.insert(axis, picks[i]);
                    x.at(&idx)
                })
                .collect(),
            shape: gshape.clone(),
        };
        assert_exact(&format!("gather axis {axis}"), &y.value(), &want);
        let g = Nd::new(&gshape, 72, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let mut back = Nd::zeros(&x.shape);
        for (i, (&pick, &gi)) in picks.iter().zip(&g.data).enumerate() {
            let mut idx = unravel(i, &gshape);
            idx.insert(axis, pick);
            back.data[ravel(&idx, &x.shape)] += gi;
        }
        assert_exact(&format!("d gather axis {axis}"), &grads[vx], &back);
    }
}

/// Every subset of the axes of a rank-`r` shape, as axis lists.
fn subsets(r: usize) -> Vec<Vec<usize>> {
    (0..1usize << r)
        .map(|m| (0..r).filter(|a| m & (1 << a) != 0).collect())
        .collect()
}

fn reductions<T: Float>(ties: bool) {
    for shape in [&[7, 1, 33][..], &[1, 7, 3, 5], &[129], &[33, 7]] {
        let x = Nd::new(shape, 80, ties);
        for axes in subsets(shape.len()) {
            let ax: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
            for keep in [true, false] {
                let tape = Tape::<T>::new();
                let vx = tape.var(x.tensor::<T>());
                let what = format!(
                    "{shape:?} axes {axes:?} keep {keep} ({})",
                    if ties { "ties" } else { "distinct" }
                );
                let squeeze = |n: Nd| -> Nd {
                    if keep || axes.is_empty() {
                        return n;
                    }
                    let shape = n
                        .shape
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !axes.contains(i))
                        .map(|(_, &d)| d)
                        .collect();
                    Nd { shape, data: n.data }
                };
                let count: usize = axes.iter().map(|&a| shape[a]).product();

                let s = vx.sum_axes(&ax, keep);
                assert_close(
                    &format!("sum {what}"),
                    &s.value(),
                    &squeeze(x.sum_keep(&axes)),
                    count,
                );
                let mean = vx.mean_axes(&ax, keep);
                let mut mean_want = x.sum_keep(&axes);
                mean_want.data.iter_mut().for_each(|v| *v /= count as f64);
                assert_close(&format!("mean {what}"), &mean.value(), &squeeze(mean_want), count);

                let max = x.reduce_keep(&axes, f64::NEG_INFINITY, f64::max);
                let min = x.reduce_keep(&axes, f64::INFINITY, f64::min);
                let vmax = vx.max_axes(&ax, keep);
                assert_exact(&format!("max {what}"), &vmax.value(), &squeeze(max.clone()));
                assert_exact(
                    &format!("min {what}"),
                    &vx.min_axes(&ax, keep).value(),
                    &squeeze(min),
                );

                // max's gradient: split evenly among the tied maxima.
                let g = vmax.sum().backward();
                let ties_count = x.reduce_keep(&axes, 0.0, |a, _| a); // shape only
                let mut counts = Nd::zeros(&ties_count.shape);
                for i in 0..x.len() {
                    let mut idx = unravel(i, &x.shape);
                    for &a in &axes {
                        idx[a] = 0;
                    }
                    let o = ravel(&idx, &counts.shape);
                    if x.data[i] == max.data[o] {
                        counts.data[o] += 1.0;
                    }
                }
                let want: Vec<f64> = (0..x.len())
                    .map(|i| {
                        let mut idx = unravel(i, &x.shape);
                        for &a in &axes {
                            idx[a] = 0;
                        }
                        let o = ravel(&idx, &counts.shape);
                        if x.data[i] == max.data[o] {
                            1.0 / counts.data[o]
                        } else {
                            0.0
                        }
                    })
                    .collect();
                assert_close(
                    &format!("d max {what}"),
                    &g[vx],
                    &Nd {
                        shape: x.shape.clone(),
                        data: want,
                    },
                    1,
                );

                // logsumexp against the naive formula.
                let lse = vx.logsumexp_axes(&ax, keep);
                let e = Nd {
                    shape: x.shape.clone(),
                    data: x.data.iter().map(|v| v.exp()).collect(),
                };
                let mut want = e.sum_keep(&axes);
                want.data.iter_mut().for_each(|v| *v = v.ln());
                assert_close(&format!("logsumexp {what}"), &lse.value(), &squeeze(want), count);
            }
        }
    }
}

#[test]
fn reductions_over_every_subset_of_axes_f64() {
    reductions::<f64>(false);
    reductions::<f64>(true);
}

#[test]
fn reductions_over_every_subset_of_axes_f32() {
    reductions::<f32>(false);
    reductions::<f32>(true);
}
