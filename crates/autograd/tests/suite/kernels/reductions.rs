//! The reductions (sum, mean, max, min, logsumexp) over every subset of axes, kept or not, with ties.

use autograd::{Float, Tape};

use super::{assert_close, assert_exact, ravel, unravel, Nd};

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
