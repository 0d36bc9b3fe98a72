//! Shape ops: reshape, permute, transpose, broadcast_to, narrow, index_select, gather, concat, stack.

use autograd::{concat, stack};
use proptest::collection::vec;
use proptest::prelude::*;

use super::strategies::{axis, broadcast_source, factor_shape, resolve, shape, unit, unit_tensor};
use super::{check, config, evaluate, realize, Second, R2};

proptest! {
    #![proptest_config(config())]

    /// reshape to a random factorization of the size, flatten, unsqueeze at a random axis.
    #[test]
    fn reshape_gradcheck(
        u in unit_tensor(0, 4),
        picks in vec((any::<u32>(), prop::bool::weighted(0.2)), 0..=4),
        at in any::<prop::sample::Index>(),
    ) {
        let x = realize(R2, &u);
        let target = factor_shape(u.numel(), &picks);
        let what = format!("reshape {:?} -> {target:?}", u.shape());
        let y = evaluate(|v| v[0].reshape(&target), std::slice::from_ref(&x));
        prop_assert_eq!(y.as_slice(), x.as_slice(), "{}", what);
        check(&what, |v| v[0].reshape(&target), std::slice::from_ref(&x), Second::Squared)?;
        check("flatten", |v| v[0].flatten(), std::slice::from_ref(&x), Second::Squared)?;
        let r = u.ndim() as isize;
        let axis = at.index(2 * u.ndim() + 2) as isize - (r + 1); // -(r + 1) ..= r
        check(&format!("unsqueeze({axis})"), |v| v[0].unsqueeze(axis), &[x], Second::Squared)?;
    }

    /// permute by a random permutation, transpose of two random axes, and `t()`.
    #[test]
    fn permute_transpose_gradcheck(
        (u, perm) in unit_tensor(0, 4).prop_flat_map(|u| {
            let r = u.ndim();
            (Just(u), Just((0..r).collect::<Vec<_>>()).prop_shuffle())
        }),
        picks in prop::array::uniform2((any::<prop::sample::Index>(), any::<bool>())),
    ) {
        let x = realize(R2, &u);
        let r = u.ndim();
        let [a, b] = picks.map(|(i, neg)| {
            let a = i.index(r.max(1)) as isize;
            if neg { a - r as isize } else { a }
        });
        let inputs = std::slice::from_ref(&x);
        check(&format!("permute {perm:?} of {:?}", u.shape()), |v| v[0].permute(&perm), inputs, Second::Squared)?;
        if u.ndim() >= 1 {
            let what = format!("transpose({a}, {b}) of {:?}", u.shape());
            check(&what, |v| v[0].transpose(a, b), inputs, Second::Squared)?;
        }
        if u.ndim() >= 2 {
            check(&format!("t() of {:?}", u.shape()), |v| v[0].t(), inputs, Second::Squared)?;
            // Transposed operands in a nonlinear expression.
            check("t() * x.t()", |v| v[0].t() * v[0].t().exp(), inputs, Second::Direct)?;
        }
    }

    /// broadcast_to from every kind of broadcastable shape.
    #[test]
    fn broadcast_to_gradcheck(
        (u, out) in shape(0, 4)
            .prop_flat_map(|out| {
                let r = out.len();
                (Just(out), 0..=r, vec(prop::bool::weighted(0.4), r))
            })
            .prop_flat_map(|(out, drop, ones)| (unit(broadcast_source(&out, drop, &ones)), Just(out))),
    ) {
        let x = realize(R2, &u);
        let what = format!("broadcast_to {:?} -> {out:?}", u.shape());
        let y = evaluate(|v| v[0].broadcast_to(&out), std::slice::from_ref(&x));
        prop_assert_eq!(y.shape(), out.as_slice(), "{}", what);
        check(&what, |v| v[0].broadcast_to(&out), &[x], Second::Squared)?;
    }

    /// narrow with a random axis, start and length.
    #[test]
    fn narrow_gradcheck(
        (u, ax, start, len) in unit_tensor(1, 4)
            .prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })
            .prop_flat_map(|(u, ax)| {
                let d = u.shape()[resolve(ax, u.ndim())];
                (Just(u), Just(ax), 0..d)
            })
            .prop_flat_map(|(u, ax, start)| {
                let d = u.shape()[resolve(ax, u.ndim())];
                (Just(u), Just(ax), Just(start), 1..=d - start)
            }),
    ) {
        let x = realize(R2, &u);
        let what = format!("narrow({ax}, {start}, {len}) of {:?}", u.shape());
        check(&what, |v| v[0].narrow(ax, start, len), &[x], Second::Squared)?;
    }

    /// index_select with random indices (repeats allowed) along a random axis.
    #[test]
    fn index_select_gradcheck(
        (u, ax, idx) in unit_tensor(1, 4)
            .prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })
            .prop_flat_map(|(u, ax)| {
                let d = u.shape()[resolve(ax, u.ndim())];
                (Just(u), Just(ax), vec(0..d, 1..=6))
            }),
    ) {
        let x = realize(R2, &u);
        let what = format!("index_select({ax}, {idx:?}) of {:?}", u.shape());
        check(&what, |v| v[0].index_select(ax, &idx), &[x], Second::Squared)?;
    }

    /// gather with a random index per output position along a random axis.
    #[test]
    fn gather_gradcheck(
        (u, ax, idx) in unit_tensor(1, 4)
            .prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })
            .prop_flat_map(|(u, ax)| {
                let a = resolve(ax, u.ndim());
                let (d, rest) = (u.shape()[a], u.numel() / u.shape()[a]);
                (Just(u), Just(ax), vec(0..d, rest))
            }),
    ) {
        let x = realize(R2, &u);
        let what = format!("gather({ax}, {idx:?}) of {:?}", u.shape());
        check(&what, |v| v[0].gather(ax, &idx), &[x], Second::Squared)?;
    }

    /// concat of 2 or 3 inputs along a random axis (sizes along it differ).
    #[test]
    fn concat_gradcheck(
        (ax, us) in shape(1, 4)
            .prop_flat_map(|base| { let r = base.len(); (Just(base), axis(r), vec(1usize..=5, 2..=3)) })
            .prop_flat_map(|(base, ax, sizes)| {
                let a = resolve(ax, base.len());
                let parts: Vec<_> = sizes
                    .iter()
                    .map(|&s| {
                        let mut sh = base.clone();
                        sh[a] = s;
                        unit(sh)
                    })
                    .collect();
                (Just(ax), parts)
            }),
    ) {
        let inputs: Vec<_> = us.iter().map(|u| realize(R2, u)).collect();
        let shapes: Vec<_> = us.iter().map(|u| u.shape().to_vec()).collect();
        let what = format!("concat({shapes:?}, {ax})");
        check(&what, |v| concat(v, ax).unwrap(), &inputs, Second::Squared)?;
    }

    /// stack of 2 or 3 equal-shape inputs along a random (new) axis.
    #[test]
    fn stack_gradcheck(
        (ax, us) in shape(0, 3).prop_flat_map(|s| {
            let r = s.len() as isize;
            (-(r + 1)..=r, vec(unit(s), 2..=3))
        }),
    ) {
        let inputs: Vec<_> = us.iter().map(|u| realize(R2, u)).collect();
        let what = format!("stack({} x {:?}, {ax})", us.len(), us[0].shape());
        check(&what, |v| stack(v, ax).unwrap(), &inputs, Second::Squared)?;
    }
}
