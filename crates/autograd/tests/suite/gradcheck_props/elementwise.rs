//! Elementwise unary and binary ops and `where_`, on random and on every named broadcasting pattern.

use autograd::{broadcast_shapes, Tensor};
use proptest::prelude::*;

use super::ops::{binary_ops, unary_ops};
use super::strategies::{broadcast_units, unit_tensor};
use super::{check, config, evaluate, realize, Second, R2};

proptest! {
    #![proptest_config(config())]

    /// Every elementwise unary op (and the scalar operators) on a random shape.
    #[test]
    fn unary_ops_gradcheck(u in unit_tensor(0, 4), p in -2.0f64..3.0) {
        for (name, dom, second, f) in unary_ops() {
            let x = realize(dom, &u);
            check(name, |v| f(v[0], p), &[x], second)?;
        }
    }

    /// Every binary op, with both operands differentiated, on a random broadcasting pair.
    #[test]
    fn binary_ops_gradcheck(us in broadcast_units(2)) {
        let expected = broadcast_shapes("test", us[0].shape(), us[1].shape()).unwrap();
        for (name, da, db, second, f) in binary_ops() {
            let inputs = [realize(da, &us[0]), realize(db, &us[1])];
            let what = format!("{name} {:?} with {:?}", us[0].shape(), us[1].shape());
            let y = evaluate(|v| f(v[0], v[1]), &inputs);
            prop_assert_eq!(y.shape(), expected.as_slice(), "{}", what);
            check(&what, |v| f(v[0], v[1]), &inputs, second)?;
        }
    }

    /// `where_` with a constant mask: the gradient goes to both branches (each where chosen),
    /// with all three operands broadcasting.
    #[test]
    fn where_gradcheck(us in broadcast_units(3)) {
        let mask = us[0].map(|t| if t < 0.5 { 1.0 } else { 0.0 });
        let inputs = [realize(R2, &us[1]), realize(R2, &us[2])];
        let what = format!("where {:?} ? {:?} : {:?}", mask.shape(), inputs[0].shape(), inputs[1].shape());
        check(&what, |v| v[0].tape().constant_from(&mask).where_(v[0], v[1]), &inputs, Second::Squared)?;
        // Nonlinear branches, so the second derivative of each branch is routed too.
        check(
            &what,
            |v| v[0].tape().constant_from(&mask).where_(v[0].sin(), v[1] * v[1]),
            &inputs,
            Second::Direct,
        )?;
    }
}

/// Every binary op on each named broadcasting pattern, both operand orders.
#[test]
fn binary_ops_on_every_broadcast_pattern() {
    let patterns: &[(&[usize], &[usize])] = &[
        (&[], &[]),                     // scalar with scalar
        (&[], &[2, 3]),                 // scalar with tensor
        (&[1], &[3]),                   // size-1 vector
        (&[3], &[2, 3]),                // a missing leading axis
        (&[4], &[2, 3, 4]),             // two missing leading axes
        (&[2, 1], &[2, 3]),             // size 1 on one side
        (&[1, 3], &[2, 3]),             // size 1 in front on one side
        (&[3, 1], &[1, 4]),             // both sides broadcast
        (&[2, 1, 4], &[3, 1]),          // both sides, missing axis too
        (&[1, 1], &[2, 3]),             // all size 1
        (&[2, 3, 1, 5], &[4, 1]),       // rank 4 with rank 2
        (&[5], &[1, 2, 3, 1]),          // rank 1 with rank 4, both broadcast
        (&[2, 3, 4, 5], &[2, 3, 4, 5]), // no broadcasting
    ];
    let mut seed = 1;
    for &(sa, sb) in patterns {
        for (sa, sb) in [(sa, sb), (sb, sa)] {
            seed += 1;
            let ua = Tensor::rand_uniform(sa, 0.0, 1.0, seed);
            let ub = Tensor::rand_uniform(sb, 0.0, 1.0, seed + 1000);
            let expected = broadcast_shapes("test", sa, sb).unwrap();
            for (name, da, db, second, f) in binary_ops() {
                let inputs = [realize(da, &ua), realize(db, &ub)];
                let what = format!("{name} {sa:?} with {sb:?}");
                let y = evaluate(|v| f(v[0], v[1]), &inputs);
                assert_eq!(y.shape(), expected.as_slice(), "{what}");
                if let Err(e) = check(&what, |v| f(v[0], v[1]), &inputs, second) {
                    panic!("{e}");
                }
            }
        }
    }
}
