//! The proptest strategies: random shapes, axes, broadcasting tuples and factorizations.

use autograd::Tensor;
use proptest::collection::vec;
use proptest::prelude::*;

/// A shape of rank `min_rank..=max_rank`, every size 1 to 5.
pub(super) fn shape(min_rank: usize, max_rank: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(1usize..=5, min_rank..=max_rank)
}

/// A tensor of the given shape with uniforms in `[0, 1)` (mapped by [`realize`]).
pub(super) fn unit(shape: Vec<usize>) -> impl Strategy<Value = Tensor<f64>> {
    let n: usize = shape.iter().product();
    vec(0.0f64..1.0, n).prop_map(move |v| Tensor::from_vec(v, &shape).expect("numel"))
}

/// A uniform tensor of random shape of rank `min_rank..=max_rank`.
pub(super) fn unit_tensor(min_rank: usize, max_rank: usize) -> impl Strategy<Value = Tensor<f64>> {
    shape(min_rank, max_rank).prop_flat_map(unit)
}

/// An axis of a rank-`rank` value (`rank >= 1`), as given to the API: non-negative or counted
/// from the end.
pub(super) fn axis(rank: usize) -> impl Strategy<Value = isize> {
    (0..rank, any::<bool>()).prop_map(move |(a, neg)| {
        if neg {
            a as isize - rank as isize
        } else {
            a as isize
        }
    })
}

/// Resolves a possibly negative axis.
pub(super) fn resolve(axis: isize, rank: usize) -> usize {
    if axis < 0 {
        (axis + rank as isize) as usize
    } else {
        axis as usize
    }
}

/// A random subset of the axes of a rank-`rank` value, in random order, some negative.
pub(super) fn axis_subset(rank: usize) -> impl Strategy<Value = Vec<isize>> {
    (
        vec((any::<bool>(), any::<bool>()), rank),
        Just((0..rank).collect::<Vec<_>>()).prop_shuffle(),
    )
        .prop_map(move |(pick, order)| {
            order
                .into_iter()
                .filter(|&i| pick[i].0)
                .map(|i| {
                    if pick[i].1 {
                        i as isize - rank as isize
                    } else {
                        i as isize
                    }
                })
                .collect()
        })
}

/// A shape that broadcasts to `out`: `drop` leading axes removed, sizes set to 1 where `ones`.
pub(super) fn broadcast_source(out: &[usize], drop: usize, ones: &[bool]) -> Vec<usize> {
    out[drop..]
        .iter()
        .zip(&ones[drop..])
        .map(|(&d, &one)| if one { 1 } else { d })
        .collect()
}

/// `k` uniform tensors whose shapes broadcast together: each is a random shape of rank 0 to 4
/// with leading axes dropped and sizes set to 1 at random, so every pattern occurs (scalar vs
/// tensor, missing leading axes, size-1 axes on either or both sides, [3, 1] with [1, 4]).
pub(super) fn broadcast_units(k: usize) -> impl Strategy<Value = Vec<Tensor<f64>>> {
    shape(0, 4)
        .prop_flat_map(move |out| {
            let r = out.len();
            (Just(out), vec((0..=r, vec(prop::bool::weighted(0.35), r)), k))
        })
        .prop_flat_map(|(out, sides)| {
            sides
                .iter()
                .map(|(drop, ones)| unit(broadcast_source(&out, *drop, ones)))
                .collect::<Vec<_>>()
        })
}

/// A factorization of `n` into a shape: random divisors, then the rest, with 1s sprinkled in.
pub(super) fn factor_shape(n: usize, picks: &[(u32, bool)]) -> Vec<usize> {
    let mut rest = n;
    let mut out = Vec::new();
    for &(p, one) in picks {
        if one {
            out.push(1);
            continue;
        }
        let divisors: Vec<usize> = (1..=rest).filter(|d| rest.is_multiple_of(*d)).collect();
        let d = divisors[p as usize % divisors.len()];
        out.push(d);
        rest /= d;
    }
    if rest > 1 {
        out.push(rest);
    }
    out
}
