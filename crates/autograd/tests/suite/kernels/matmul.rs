//! matmul against naive products: 2-D, batched, shared and vector operands, and the rules' flagged products.

use autograd::{Float, Tape};

use super::{assert_close, shape_of, Nd};

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
