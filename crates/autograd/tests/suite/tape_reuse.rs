//! A reset tape keeps its old values in memory, so kernels that overwrite every element skip
//! zero-filling their output. Kernels that add into their output (or write only part of it)
//! must still get zeros. Here a tape is first filled with NaN, reset, and then every op
//! family, forward and backward (`pad`, `index_add`, `scatter_add` and `concat` come from the
//! rules of `narrow`, `index_select`, `gather` and `stack`), must give exactly what a fresh tape
//! gives: any stale NaN that leaked into a result would show.

use autograd::{stack, Tape, Tensor, Var};

/// Values and gradients of a computation touching every kind of kernel.
fn run(tape: &Tape<f64>) -> Vec<Vec<f64>> {
    let x = tape.var(Tensor::from_vec((0..12).map(|i| i as f64 * 0.25 - 1.0).collect(), &[3, 4]).unwrap());
    let w = tape.var(Tensor::from_vec((0..8).map(|i| 0.5 - i as f64 * 0.1).collect(), &[4, 2]).unwrap());
    let empty_a = tape.var(Tensor::zeros(&[3, 0]));
    let empty_b = tape.var(Tensor::zeros(&[0, 2]));
    let parts: Vec<Var<'_, f64>> = vec![
        x.matmul(w).tanh().sum(),
        x.narrow(1, 1, 2).exp().sum(),
        x.index_select(0, &[2, 0, 2]).powf(2.0).sum(),
        x.gather(1, &[3, 0, 1]).sigmoid().sum(),
        stack(&[x.narrow(0, 0, 1), x.narrow(0, 2, 1)], 0)
            .unwrap()
            .relu()
            .sum(),
        x.max_axes(&[1], false).sum() + x.min_axes(&[0], true).sum(),
        x.gt_scalar(0.0).where_(x, x * 3.0).sum(),
        (x + w.t().sum_axes(&[0], true)).clamp(-0.5, 0.5).sum(),
        empty_a.matmul(empty_b).sum() + x.mean(),
    ];
    let total = parts.iter().skip(1).fold(parts[0], |acc, &p| acc + p);
    let g = total.backward();
    let mut out: Vec<Vec<f64>> = parts.iter().map(|p| p.value().to_vec()).collect();
    out.push(g[x].to_vec());
    out.push(g[w].to_vec());
    out.push(g[empty_a].to_vec());
    out
}

#[test]
fn a_reset_tape_full_of_nan_gives_what_a_fresh_tape_gives() {
    let fresh = run(&Tape::new());

    let mut tape = Tape::<f64>::new();
    {
        // Stale values: a big NaN leaf and NaN results of every kind.
        let junk = tape.var(Tensor::full(&[64, 64], f64::NAN));
        let _ = (junk.matmul(junk).sum() + junk.exp().sum()).backward();
    }
    tape.reset();
    let reused = run(&tape);
    assert_eq!(fresh.len(), reused.len());
    for (i, (a, b)) in fresh.iter().zip(&reused).enumerate() {
        assert!(a.iter().all(|v| v.is_finite()), "part {i}: {a:?}");
        assert_eq!(a, b, "part {i}");
    }

    // And again after a record shorter than the stale one, then a longer one.
    tape.reset();
    let _ = tape.var(Tensor::full(&[3], f64::NAN)).sum();
    tape.reset();
    assert_eq!(run(&tape), fresh);
}
