//! Reductions over random subsets of axes (kept or not) and over everything; softmax and log_softmax.

use proptest::prelude::*;

use super::ops::reductions;
use super::strategies::{axis, axis_subset, resolve, unit_tensor};
use super::{check, config, evaluate, realize, Second, R3};

proptest! {
    #![proptest_config(config())]

    /// Every reduction over a random subset of axes (some negative, in any order), with and
    /// without keepdim, and over all elements.
    #[test]
    fn reductions_gradcheck(
        (u, axes) in unit_tensor(0, 4).prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis_subset(r)) }),
        keepdim in any::<bool>(),
    ) {
        let rank = u.ndim();
        let reduced: Vec<usize> = axes.iter().map(|&a| resolve(a, rank)).collect();
        let kept: Vec<usize> = (0..rank)
            .filter(|i| keepdim || !reduced.contains(i))
            .map(|i| if reduced.contains(&i) { 1 } else { u.shape()[i] })
            .collect();
        for (name, dom, second, all, f) in reductions() {
            let x = realize(dom, &u);
            let what = format!("{name} over {axes:?} (keepdim {keepdim}) of {:?}", u.shape());
            let y = evaluate(|v| f(v[0], &axes, keepdim), std::slice::from_ref(&x));
            let expected: &[usize] = if all { &[] } else { &kept };
            prop_assert_eq!(y.shape(), expected, "{}", what);
            check(&what, |v| f(v[0], &axes, keepdim), &[x], second)?;
        }
    }

    /// softmax and log_softmax over a random axis.
    #[test]
    fn softmax_gradcheck((u, ax) in unit_tensor(1, 4).prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })) {
        let x = realize(R3, &u);
        let what = format!("over axis {ax} of {:?}", u.shape());
        check(&format!("softmax {what}"), |v| v[0].softmax(ax), std::slice::from_ref(&x), Second::Direct)?;
        check(&format!("log_softmax {what}"), |v| v[0].log_softmax(ax), &[x], Second::Direct)?;
    }
}
