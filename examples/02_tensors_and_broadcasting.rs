//! Tensors and broadcasting: a batch through one linear layer `x W^T + b` and softmax
//! cross-entropy computed from the logits (`log_softmax` then `gather` of each row's label).
//!
//! Shows: the bias `[C]` broadcasting over the batch `[B, C]` (its gradient is summed back over
//! the batch), the gradients' shapes, agreement with the textbook formula
//! `dL/dlogits = (softmax - onehot) / B`, a finite-difference `gradcheck`, and a few SGD steps
//! on one reused tape whose memory stops growing after the first step.
//!
//! Run with `cargo run --release --example 02_tensors_and_broadcasting`.

use chainrule::{gradcheck, GradcheckOptions, Tape, Tensor, Var};

const B: usize = 4; // batch
const D: usize = 3; // features
const C: usize = 3; // classes

/// Mean softmax cross-entropy of `x W^T + b` against `labels`, from the logits.
fn loss<'t>(x: Var<'t>, w: Var<'t>, b: Var<'t>, labels: &[usize]) -> Var<'t> {
    let logits = x.matmul(w.t()) + b; // [B, D] @ [D, C] + [C] -> [B, C]
    -logits.log_softmax(-1).gather(-1, labels).mean()
}

fn main() {
    let x_data = Tensor::from_vec(
        vec![0.5, -1.0, 2.0, 1.5, 0.3, -0.7, -0.2, 0.8, 0.1, 1.0, 1.0, -1.5],
        &[B, D],
    )
    .unwrap();
    let labels = [2, 0, 1, 0];
    // Parameters live outside the tape; each step binds them as leaves.
    let mut w_param = Tensor::rand_normal(&[C, D], 0.0, 0.5, 7);
    let mut b_param = Tensor::from(vec![0.1, -0.2, 0.05]);

    let mut tape = Tape::<f64>::new();
    {
        let x = tape.constant_from(&x_data);
        let w = tape.var_from(&w_param);
        let b = tape.var_from(&b_param);
        let logits = x.matmul(w.t()) + b;
        let l = loss(x, w, b, &labels);
        let g = l.backward();
        println!(
            "x {:?} . W^T {:?} + b {:?} -> logits {:?}",
            x.shape(),
            w.t().shape(),
            b.shape(),
            logits.shape()
        );
        println!("loss = {:.6}", l.item());
        println!("dL/dW (shape {:?}) = {}", g[w].shape(), g[w]);
        println!("dL/db (shape {:?}) = {}", g[b].shape(), g[b]);
        assert_eq!(logits.shape().as_slice(), &[B, C]);
        assert_eq!(g[w].shape(), &[C, D], "a gradient has its variable's shape");
        assert_eq!(
            g[b].shape(),
            &[C],
            "the broadcast bias gets its gradient summed over the batch"
        );

        // The textbook gradient: dL/dlogits = (softmax - onehot) / B, dW = dlogits^T x, db = sum_rows.
        let p = logits.softmax(-1).value();
        let mut dlogits = [0.0; B * C];
        for r in 0..B {
            for c in 0..C {
                let onehot = if labels[r] == c { 1.0 } else { 0.0 };
                dlogits[r * C + c] = (p[[r, c]] - onehot) / B as f64;
            }
        }
        for c in 0..C {
            let db: f64 = (0..B).map(|r| dlogits[r * C + c]).sum();
            assert!((g[b][[c]] - db).abs() < 1e-12, "db[{c}]");
            for d in 0..D {
                let dw: f64 = (0..B).map(|r| dlogits[r * C + c] * x_data[[r, d]]).sum();
                assert!((g[w][[c, d]] - dw).abs() < 1e-12, "dW[{c}, {d}]");
            }
        }
        println!("matches (softmax - onehot) / B pushed through the layer");

        // Stability: logits of size 1e4 neither overflow nor produce log(0).
        let big = (logits * 1e4).log_softmax(-1).value();
        assert!(big.as_slice().iter().all(|v| v.is_finite()));
    }

    // Finite differences against the engine, over both parameters at once.
    let report = gradcheck(
        |v| {
            let x = v[0].tape().constant_from(&x_data);
            loss(x, v[0], v[1], &labels)
        },
        &[w_param.clone(), b_param.clone()],
        &GradcheckOptions::default(),
    );
    println!("{report}");
    assert!(report.passed, "{report}");
    assert_eq!(report.checked, C * D + C);

    // A few SGD steps on one tape: `reset` keeps its buffers, so after the first step records
    // into them the memory stays flat.
    let mut losses = vec![];
    let mut bytes = vec![];
    for _ in 0..5 {
        tape.reset();
        let x = tape.constant_from(&x_data);
        let w = tape.var_from(&w_param);
        let b = tape.var_from(&b_param);
        let l = loss(x, w, b, &labels);
        let g = l.backward();
        losses.push(l.item());
        for (p, gp) in [(&mut w_param, &g[w]), (&mut b_param, &g[b])] {
            for (v, d) in p.as_mut_slice().iter_mut().zip(gp.as_slice()) {
                *v -= 0.5 * d;
            }
        }
        bytes.push(tape.memory_bytes());
    }
    println!("SGD losses: {losses:.4?}");
    println!("tape bytes per step: {bytes:?} ({} nodes)", tape.len());
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "loss decreases");
    assert!(
        bytes[1..].iter().all(|&n| n == bytes[1]),
        "no growth after the first step"
    );
}
