//! Fused sums in a replayed scalar graph (`plan/sum.rs`): a chain of scalar `add`s with its
//! products runs as one step, and gives the bits of recording the step again, on random chains
//! whose partial sums and products are read elsewhere or given back (which must stop a fusion
//! there), over values with NaN, infinities, signed zeros and subnormals.

use super::plan::bits;
use chainrule::{PlanSpec, Tape, Tensor, Var};
use proptest::prelude::*;

/// Where a value of a chain comes from: a value made before, or the product of two (also made
/// available to later reads when `shared`, so that it has two readers).
#[derive(Clone, Copy, Debug)]
enum Src {
    Value(usize),
    Product { a: usize, b: usize, shared: bool },
}

/// One instruction of a random scalar program.
#[derive(Clone, Copy, Debug)]
enum Instr {
    /// A new chain starting from a value.
    Start(Src),
    /// `acc = acc + term`.
    Term(Src),
    /// `acc = term + acc` (the sum on the right, not fused).
    TermLeft(Src),
    /// The running sum is also read by the loss and may be by later values (two readers or
    /// more: the chain stops fusing here).
    Share,
    /// The running sum is an output of the plan.
    Output,
}

fn src() -> impl Strategy<Value = Src> {
    prop_oneof![
        (0usize..64).prop_map(Src::Value),
        (0usize..64, 0usize..64, proptest::bool::weighted(0.2)).prop_map(|(a, b, shared)| Src::Product {
            a,
            b,
            shared
        }),
    ]
}

fn instr() -> impl Strategy<Value = Instr> {
    prop_oneof![
        1 => src().prop_map(Instr::Start),
        8 => src().prop_map(Instr::Term),
        1 => src().prop_map(Instr::TermLeft),
        1 => Just(Instr::Share),
        1 => Just(Instr::Output),
    ]
}

/// A value drawn from `k`: mostly ordinary, sometimes a special.
fn value(k: u64) -> f64 {
    const SPECIAL: [f64; 8] = [
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        5e-324,
        1e300,
        -1e-300,
    ];
    let x = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    if k.is_multiple_of(13) {
        SPECIAL[(k / 13 % 8) as usize]
    } else {
        (x as f64 / (1u64 << 53) as f64 - 0.5) * 4.0
    }
}

/// Records `prog` over inputs `xs` and parameters `ps`: the outputs it names and the loss
/// (a sum of the chains' squared ends).
fn record<'t>(xs: &[Var<'t, f64>], ps: &[Var<'t, f64>], prog: &[Instr]) -> (Vec<Var<'t, f64>>, Var<'t, f64>) {
    let mut pool: Vec<Var<'t, f64>> = xs.iter().chain(ps).copied().collect();
    let (mut outputs, mut ends) = (Vec::new(), Vec::new());
    let mut acc: Option<Var<'t, f64>> = None;
    let get = |s: Src, pool: &mut Vec<Var<'t, f64>>| match s {
        Src::Value(i) => pool[i % pool.len()],
        Src::Product { a, b, shared } => {
            let p = pool[a % pool.len()] * pool[b % pool.len()];
            if shared {
                pool.push(p);
            }
            p
        }
    };
    for &ins in prog {
        match ins {
            Instr::Start(s) => {
                ends.extend(acc);
                acc = Some(get(s, &mut pool));
            }
            Instr::Term(s) => {
                let t = get(s, &mut pool);
                acc = Some(acc.map_or(t, |a| a + t));
            }
            Instr::TermLeft(s) => {
                let t = get(s, &mut pool);
                acc = Some(acc.map_or(t, |a| t + a));
            }
            Instr::Share => {
                pool.extend(acc);
                ends.extend(acc);
            }
            Instr::Output => outputs.extend(acc),
        }
    }
    ends.extend(acc);
    let loss = ends.iter().fold(pool[0] * 0.0, |l, &e| l + e * e);
    outputs.push(loss);
    (outputs, loss)
}

/// Captures `prog`, then runs it on three sets of inputs, comparing every output and gradient
/// with recording the program again, with an SGD step on both copies of the parameters.
fn assert_sums_replay(prog: &[Instr], seed: u64) -> usize {
    let (n_in, n_p) = (3, 4);
    let inputs = |step: u64| -> Vec<f64> { (0..n_in).map(|i| value(seed * 31 + step * 7 + i)).collect() };
    let mut params: Vec<f64> = (0..n_p).map(|i| value(seed * 17 + 1000 + i)).collect();
    let mut plan = Tape::capture(|tape| {
        let xs: Vec<_> = inputs(0)
            .iter()
            .map(|&x| tape.constant(Tensor::scalar(x)))
            .collect();
        let ps: Vec<_> = params.iter().map(|&p| tape.scalar_var(p)).collect();
        let (outputs, loss) = record(&xs, &ps, prog);
        let spec = xs.iter().fold(PlanSpec::new(), |s, &x| s.input(x));
        outputs.iter().fold(spec, |s, &y| s.output(y)).grads(loss, &ps)
    });
    for step in 0..3u64 {
        let xs = inputs(step);
        if step > 0 {
            let ts: Vec<_> = xs.iter().map(|&x| Tensor::scalar(x)).collect();
            plan.run(&ts.iter().collect::<Vec<_>>(), &[]);
        }
        let tape = Tape::new();
        let vx: Vec<_> = xs.iter().map(|&x| tape.constant(Tensor::scalar(x))).collect();
        let vp: Vec<_> = params.iter().map(|&p| tape.scalar_var(p)).collect();
        let (outputs, loss) = record(&vx, &vp, prog);
        let g = loss.backward();
        for (k, y) in outputs.iter().enumerate() {
            assert_eq!(
                bits(plan.output(k)),
                bits(&y.value().to_vec()),
                "output {k}, step {step}"
            );
        }
        for (k, p) in vp.iter().enumerate() {
            let want = g[*p].to_vec();
            assert_eq!(bits(plan.grad(k)), bits(&want), "gradient {k}, step {step}");
            params[k] -= want[0] / 64.0;
            plan.param_mut(k)[0] -= plan.grad(k)[0] / 64.0;
        }
    }
    plan.num_fused_sums()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fused_sums_give_the_recorded_bits(
        prog in proptest::collection::vec(instr(), 1..40),
        seed in 0u64..10_000,
    ) {
        assert_sums_replay(&prog, seed);
    }
}

#[test]
fn a_neurons_sum_and_its_gradients_are_fused() {
    let term = |a, b| Instr::Term(Src::Product { a, b, shared: false });
    // b + w0 x0 + w1 x1 + w2 x2 (inputs 0..3, parameters 3..7): one sum forward; backward,
    // each weight's cotangent is used once (nothing to sum) and the loss's own chain is one.
    let neuron = [Instr::Start(Src::Value(6)), term(3, 0), term(4, 1), term(5, 2)];
    assert!(assert_sums_replay(&neuron, 1) >= 2);
}

#[test]
fn a_partial_sum_read_elsewhere_or_given_back_ends_a_fused_sum() {
    let term = |a, b| Instr::Term(Src::Product { a, b, shared: false });
    let chain = [
        Instr::Start(Src::Value(6)),
        term(3, 0),
        term(4, 1),
        term(5, 2),
        term(3, 1),
    ];
    let whole = assert_sums_replay(&chain, 2);
    let split = |cut| {
        let mut prog = chain.to_vec();
        prog.insert(3, cut);
        assert_sums_replay(&prog, 2)
    };
    // Given back: two sums where there was one. Read by the loss too: its rule adds sums of its
    // own to the backward pass, so only more.
    assert_eq!(split(Instr::Output), whole + 1);
    assert!(split(Instr::Share) > whole);
}

#[test]
fn a_product_read_twice_is_a_value_of_the_sum_and_still_right() {
    let shared = Instr::Term(Src::Product {
        a: 3,
        b: 0,
        shared: true,
    });
    // The product (value 7 of the pool) is read by the sum and by the chain after it.
    let prog = [
        Instr::Start(Src::Value(6)),
        shared,
        Instr::Term(Src::Value(1)),
        Instr::Start(Src::Value(7)),
        Instr::Term(Src::Value(2)),
    ];
    assert!(assert_sums_replay(&prog, 3) >= 2);
}

#[test]
fn a_fused_sum_is_the_only_step_its_nodes_leave() {
    // b + w0 x0 + w1 x1 + w2 x2, forward only: three products and three adds in one step, and
    // no step left for the partial sums or the products.
    let plan = Tape::<f64>::capture(|tape| {
        let x: Vec<_> = (0..3)
            .map(|i| tape.constant(Tensor::scalar(i as f64 + 1.0)))
            .collect();
        let w: Vec<_> = (0..3).map(|i| tape.scalar_var(0.5 - i as f64)).collect();
        let y = (0..3).fold(tape.scalar_var(0.25), |acc, i| acc + w[i] * x[i]);
        PlanSpec::new().output(y)
    });
    assert_eq!((plan.num_fused_sums(), plan.len()), (1, 1), "{plan:?}");
    assert_eq!(plan.output(0), &[0.25 + 0.5 - 1.0 - 4.5]);
}
