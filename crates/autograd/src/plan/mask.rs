//! A comparison and the one product that reads it, in one pass of a replayed step: `relu`'s
//! rule records `g * (x > 0)`, a mask written over the whole layer and read back once by the
//! product. Fused, the mask is never written: each element of the product is `g` times 1 or 0
//! as the comparison holds, the bits the two kernels give (`ops/compare.rs`,
//! `masked_product_kernel`). Like the fused linear (`fuse.rs`), this changes which kernels
//! compute recorded values, never the rules, and only where nothing else reads the mask.

use super::captured;
use super::eval::Step;
use crate::dtype::Float;
use crate::op::{BinaryOp, Op};
use crate::ops::compare::{masked_product_kernel, Cmp};
use crate::tape::Inner;

/// One fused `mask * g` of a plan: the comparison, which side of the product the mask was,
/// and offsets of the compared values, `g` and the product in the value buffer.
#[derive(Clone, Copy, Debug)]
pub(super) struct MaskedProduct {
    cmp: Cmp,
    mask_first: bool,
    a: usize,
    b: usize,
    /// 1 where the comparison was against one value, else `len`.
    b_len: usize,
    g: usize,
    out: usize,
    len: usize,
}

impl MaskedProduct {
    /// Computes the product into its node's slot.
    pub(super) fn run<T: Float>(&self, data: &mut [T]) {
        // Its operands were recorded before it, so their elements lie before its own.
        let (before, after) = data.split_at_mut(self.out);
        let (a, b) = (&before[self.a..][..self.len], &before[self.b..][..self.b_len]);
        let g = &before[self.g..][..self.len];
        masked_product_kernel(self.cmp, a, b, g, self.mask_first, &mut after[..self.len]);
    }
}

/// Node `m` fused with its mask, if `m` is a `mul` of a comparison `c` (of two values of its
/// size, or of one against a single value) read by `m` alone and a value of its size; and `c`.
fn masked<T: Float>(g: &Inner<T>, m: u32, readers: &[u32]) -> Option<(u32, MaskedProduct)> {
    if g.nodes[m as usize].op != Op::Binary(BinaryOp::Mul) {
        return None;
    }
    let &[x, y] = captured(g, m) else {
        return None;
    };
    let compare = |j: u32| match g.nodes[j as usize].op {
        Op::Compare(cmp) => Some(cmp),
        _ => None,
    };
    let (c, other, mask_first, cmp) = match (compare(x), compare(y)) {
        (Some(cmp), None) => (x, y, true, cmp),
        (None, Some(cmp)) => (y, x, false, cmp),
        _ => return None,
    };
    let &[a, b] = captured(g, c) else {
        return None;
    };
    let len = g.numel(m);
    let b_len = g.numel(b);
    if readers[c as usize] != 1
        || [c, other, a].iter().any(|&j| g.numel(j) != len)
        || !(b_len == len || b_len == 1)
    {
        return None;
    }
    let data = |j: u32| g.nodes[j as usize].data as usize;
    Some((
        c,
        MaskedProduct {
            cmp,
            mask_first,
            a: data(a),
            b: data(b),
            b_len,
            g: data(other),
            out: data(m),
            len,
        },
    ))
}

/// `steps` with each fusable product as one [`Step::Masked`] in its place and its comparison's
/// step dropped; the fused products, indexed by those steps. `readers` as in
/// [`readers`](super::fuse::readers).
pub(super) fn masked_products<T: Float>(
    g: &Inner<T>,
    steps: Vec<Step>,
    readers: &[u32],
) -> (Vec<Step>, Vec<MaskedProduct>) {
    // Where in `out` each comparison's own step is (`u32::MAX`: none).
    let mut at = vec![u32::MAX; g.nodes.len()];
    let mut out: Vec<Option<Step>> = Vec::with_capacity(steps.len());
    let mut fused = Vec::new();
    for s in steps {
        if let Step::Node { node, .. } = s {
            if let Some((c, product)) = masked(g, node, readers)
                && let Some(p) = out.get_mut(at[c as usize] as usize)
            {
                *p = None;
                out.push(Some(Step::Masked {
                    k: fused.len() as u32,
                }));
                fused.push(product);
                continue;
            }
            if matches!(g.nodes[node as usize].op, Op::Compare(_)) {
                at[node as usize] = out.len() as u32;
            }
        }
        out.push(Some(s));
    }
    (out.into_iter().flatten().collect(), fused)
}

#[cfg(test)]
mod tests {
    use crate::{Float, Plan, PlanSpec, Tape, Tensor, Var};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    /// Elements as `f64` bits; every NaN as one value (its sign and payload are not specified).
    fn bits<T: Float>(v: &[T]) -> Vec<u64> {
        let nan = f64::NAN.to_bits();
        v.iter()
            .map(|x| if x.is_nan() { nan } else { x.as_f64().to_bits() })
            .collect()
    }

    /// `mask * g` or `g * mask`, the mask comparison `cmp` (0 to 5: gt, ge, lt, le, eq, ne).
    fn product<'t, T: Float>(v: &[Var<'t, T>], cmp: u8, mask_first: bool) -> Var<'t, T> {
        let (x, b, g) = (v[0], v[1], v[2]);
        let mask = match cmp {
            0 => x.gt(b),
            1 => x.ge(b),
            2 => x.lt(b),
            3 => x.le(b),
            4 => x.eq(b),
            _ => x.ne(b),
        };
        if mask_first {
            mask * g
        } else {
            g * mask
        }
    }

    /// `n` values, some NaN, infinite, signed zero or equal to each other, so that every
    /// comparison holds for some and fails for others.
    fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
        let odd = [
            T::nan(),
            T::infinity(),
            T::neg_infinity(),
            -T::zero(),
            T::zero(),
            T::one(),
        ];
        let normal = Tensor::<T>::rand_normal(&[n], T::zero(), T::one(), seed).to_vec();
        normal
            .into_iter()
            .enumerate()
            .map(|(i, v)| if i % 5 == 2 { odd[(i / 5) % odd.len()] } else { v })
            .collect()
    }

    /// Captures the product on `x`, `b`, `g`, asserts it is fused, and that the plan and a run
    /// on new values give the bits recording gives.
    fn assert_fused_gives_the_recorded_bits<T: Float>(
        len: usize,
        scalar: bool,
        cmp: u8,
        mask_first: bool,
        seed: u64,
    ) {
        let b_len = if scalar { 1 } else { len };
        let data = |s: u64| {
            let b = Tensor::from(values::<T>(b_len, s + 1));
            let b = if scalar { b.reshape(&[]).unwrap() } else { b };
            [
                Tensor::from(values::<T>(len, s)),
                b,
                Tensor::from(values::<T>(len, s + 2)),
            ]
        };
        let recorded = |d: &[Tensor<T>; 3]| {
            let tape = Tape::<T>::new();
            let v: Vec<_> = d.iter().map(|t| tape.constant_from(t)).collect();
            bits(&product(&v, cmp, mask_first).value().to_vec())
        };
        let first = data(seed);
        let mut plan: Plan<T> = Tape::capture(|tape| {
            let v: Vec<_> = first.iter().map(|t| tape.constant_from(t)).collect();
            let y = product(&v, cmp, mask_first);
            PlanSpec::new().input(v[0]).input(v[1]).input(v[2]).output(y)
        });
        let case = format!("{len} elements, scalar {scalar}, cmp {cmp}, mask first {mask_first}");
        assert_eq!(plan.program.masked.len(), 1, "{case}");
        assert_eq!(bits(plan.output(0)), recorded(&first), "{case}");
        let next = data(seed + 10);
        plan.run(&[&next[0], &next[1], &next[2]], &[]);
        assert_eq!(bits(plan.output(0)), recorded(&next), "{case}: new values");
    }

    #[test]
    fn every_comparison_on_either_side_gives_the_recorded_bits() {
        let mut runner = TestRunner::new(Config {
            cases: 64,
            ..Config::default()
        });
        let case = (
            1usize..300,
            any::<bool>(),
            0u8..6,
            any::<bool>(),
            0u64..1000,
            any::<bool>(),
        );
        runner
            .run(&case, |(len, scalar, cmp, mask_first, seed, double)| {
                if double {
                    assert_fused_gives_the_recorded_bits::<f64>(len, scalar, cmp, mask_first, seed);
                } else {
                    assert_fused_gives_the_recorded_bits::<f32>(len, scalar, cmp, mask_first, seed);
                }
                Ok(())
            })
            .unwrap();
        // Every comparison on either side, against one value and many, on one element (rank 1:
        // fused, unlike a scalar graph's) and on a few.
        for (len, scalar, cmp, mask_first) in
            (0..48).map(|i| (1 + i % 3, i % 2 == 0, (i / 2 % 6) as u8, i >= 24))
        {
            assert_fused_gives_the_recorded_bits::<f64>(len, scalar, cmp, mask_first, 5);
        }
        // Above the elementwise split threshold (65,536 elements).
        assert_fused_gives_the_recorded_bits::<f32>(100_000, true, 0, false, 3);
    }

    /// `relu`'s rule in a layer's step: fused, and the gradients are the recorded ones.
    #[test]
    fn relus_rule_is_fused() {
        let x = Tensor::from_vec(values::<f64>(12 * 5, 1), &[12, 5]).unwrap();
        let w = Tensor::<f64>::rand_normal(&[7, 5], 0.0, 1.0, 2);
        fn step<'t>(tape: &'t Tape<f64>, x: &Tensor<f64>, w: &Tensor<f64>) -> [Var<'t, f64>; 3] {
            let (x, w) = (tape.var_from(x), tape.var_from(w));
            [x, w, x.matmul(w.t()).relu().sum()]
        }
        let plan = Tape::capture(|tape| {
            let [x, w, y] = step(tape, &x, &w);
            PlanSpec::new().output(y).grads(y, &[x, w])
        });
        assert_eq!(plan.program.masked.len(), 1);
        let tape = Tape::new();
        let [xv, wv, y] = step(&tape, &x, &w);
        let g = y.backward();
        assert_eq!(bits(plan.grad(0)), bits(&g[xv].to_vec()));
        assert_eq!(bits(plan.grad(1)), bits(&g[wv].to_vec()));
    }

    /// A mask read by two products, or given back by the plan, is written: not fused; nor is
    /// a scalar graph's (its nodes run as one-element steps already).
    #[test]
    fn a_mask_read_elsewhere_is_not_fused_and_still_right() {
        let plan = Tape::<f64>::capture(|tape| {
            let (x, g) = (tape.scalar(-0.5), tape.scalar(3.0));
            let y = g * x.lt_scalar(0.0);
            PlanSpec::new().output(y)
        });
        assert_eq!(plan.program.masked.len(), 0);
        assert_eq!(plan.output(0), &[3.0]);
        let x = Tensor::<f32>::from(vec![1.0, -2.0, 3.0]);
        let plan = Tape::<f32>::capture(|tape| {
            let x = tape.constant_from(&x);
            let m = x.gt_scalar(0.0);
            let y = (x * m).sum() + (m * m).sum();
            PlanSpec::new().output(y)
        });
        assert_eq!(plan.program.masked.len(), 0);
        assert_eq!(plan.output(0), &[6.0]);
        let plan = Tape::<f32>::capture(|tape| {
            let x = tape.constant_from(&x);
            let m = x.gt_scalar(0.0);
            let y = x * m;
            PlanSpec::new().output(y).output(m)
        });
        assert_eq!(plan.program.masked.len(), 0);
        assert_eq!(
            (plan.output(0), plan.output(1)),
            (&[1.0, 0.0, 3.0][..], &[1.0, 0.0, 1.0][..])
        );
    }
}
