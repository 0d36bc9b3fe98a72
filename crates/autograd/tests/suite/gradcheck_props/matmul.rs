//! matmul in every form it supports (with `linear`), and a small network composed of everything.

use autograd::Tensor;
use proptest::collection::vec;
use proptest::prelude::*;

use super::ops::{form, MatmulForm};
use super::{check, config, evaluate, Second};

proptest! {
    #![proptest_config(config())]

    /// matmul in every form it supports, plus transposed operands and a Gram matrix.
    #[test]
    fn matmul_gradcheck(
        ((b, m, k, n), pa, pb) in (1usize..=4, 1usize..=5, 1usize..=5, 1usize..=5).prop_flat_map(|(b, m, k, n)| {
            (Just((b, m, k, n)), vec(-2.0f64..2.0, b * m * k), vec(-2.0f64..2.0, (b * k * n).max(m * m)))
        }),
    ) {
        let t = |pool: &[f64], s: &[usize]| {
            let len = s.iter().product();
            Tensor::from_vec(pool[..len].to_vec(), s).unwrap()
        };
        let mm = form(|x, y| x.matmul(y));
        let forms: Vec<MatmulForm> = vec![
            ("2-D", vec![m, k], vec![k, n], vec![m, n], mm),
            ("batched 3-D", vec![b, m, k], vec![b, k, n], vec![b, m, n], mm),
            ("3-D x 2-D", vec![b, m, k], vec![k, n], vec![b, m, n], mm),
            ("vector-matrix", vec![k], vec![k, n], vec![n], mm),
            ("matrix-vector", vec![m, k], vec![k], vec![m], mm),
            ("batched matrix-vector", vec![b, m, k], vec![k], vec![b, m], mm),
            ("dot", vec![k], vec![k], vec![], mm),
            ("A^T B", vec![k, m], vec![k, n], vec![m, n], form(|x, y| x.t().matmul(y))),
            ("A B^T", vec![m, k], vec![n, k], vec![m, n], form(|x, y| x.matmul(y.t()))),
            ("batched A^T B^T", vec![b, k, m], vec![b, n, k], vec![b, m, n], form(|x, y| x.t().matmul(y.t()))),
            ("Gram A A^T + B", vec![m, k], vec![m, m], vec![m, m], form(|x, y| x.matmul(x.t()) + y)),
            ("linear x W^T", vec![m, k], vec![n, k], vec![m, n], form(|x, y| x.linear(y, None))),
            ("linear, batched input", vec![b, m, k], vec![n, k], vec![b, m, n], form(|x, y| x.linear(y, None))),
            ("linear, vector input", vec![k], vec![n, k], vec![n], form(|x, y| x.linear(y, None))),
        ];
        for (name, sa, sb, out, f) in forms {
            let inputs = [t(&pa, &sa), t(&pb, &sb)];
            let what = format!("matmul {name}: {sa:?} @ {sb:?}");
            let y = evaluate(|v| f(v[0], v[1]), &inputs);
            prop_assert_eq!(y.shape(), out.as_slice(), "{}", what);
            check(&what, |v| f(v[0], v[1]), &inputs, Second::Direct)?;
        }
    }

    /// A small network: everything composed, as in a training step.
    #[test]
    fn composite_gradcheck(
        ((batch, din, classes), px, pw, pb) in (1usize..=4, 1usize..=4, 2usize..=4).prop_flat_map(|(n, d, c)| {
            (Just((n, d, c)), vec(-2.0f64..2.0, n * d), vec(-1.0f64..1.0, c * d), vec(-1.0f64..1.0, c))
        }),
        targets in vec(0usize..2, 4),
    ) {
        let x = Tensor::from_vec(px, &[batch, din]).unwrap();
        let inputs = [
            Tensor::from_vec(pw, &[classes, din]).unwrap(),
            Tensor::from_vec(pb, &[classes]).unwrap(),
        ];
        let targets = &targets[..batch];
        check(
            "mlp loss",
            |v| {
                let xs = v[0].tape().constant_from(&x);
                let logits = xs.matmul(v[0].t()).tanh() + v[1];
                -logits.log_softmax(-1).gather(-1, targets).mean()
            },
            &inputs,
            Second::Direct,
        )?;
        check(
            "linear with bias, then log_softmax",
            |v| {
                let xs = v[0].tape().constant_from(&x);
                -xs.linear(v[0], Some(v[1])).tanh().log_softmax(-1).gather(-1, targets).mean()
            },
            &inputs,
            Second::Direct,
        )?;
    }
}
