//! Anomaly mode finds the first op that produced a NaN or an infinity, forward or backward,
//! names it with its inputs, and points at the line that recorded it.

use autograd::{Phase, Tape, Tensor};

/// The line of the caller, to compare with reported locations.
#[track_caller]
fn here() -> String {
    let l = std::panic::Location::caller();
    format!("{}:{}", l.file(), l.line())
}

#[test]
fn log_of_a_negative_number() {
    let tape = Tape::<f64>::new();
    tape.set_detect_anomaly(true);
    let x = tape.var(Tensor::from(vec![2.0, -3.0, 0.5]));
    let (y, line) = (x.ln(), here());
    let _ = y.sum().backward();
    let a = tape.anomaly().expect("ln(-3) is NaN");
    assert_eq!((a.op, a.nan, a.pos_inf, a.neg_inf), ("ln", 1, 0, 0));
    assert_eq!(a.phase, Phase::Forward);
    assert_eq!(a.node, y.index());
    assert_eq!(a.shape, vec![3]);
    assert_eq!(a.inputs.len(), 1);
    assert_eq!(
        (a.inputs[0].min, a.inputs[0].max, a.inputs[0].nan),
        (-3.0, 2.0, 0)
    );
    assert!(
        a.location.as_deref().unwrap().starts_with(&line),
        "{:?} vs {line}",
        a.location
    );
    let text = a.to_string();
    assert!(
        text.contains("ln (node") && text.contains("1 NaN") && text.contains("forward pass"),
        "{text}"
    );
}

#[test]
fn zero_divided_by_zero() {
    let tape = Tape::<f64>::new();
    tape.set_detect_anomaly(true);
    let a = tape.scalar_var(0.0);
    let b = tape.scalar_var(0.0);
    let (q, line) = (a / b, here());
    let r = tape.anomaly().expect("0/0 is NaN");
    assert_eq!((r.op, r.node, r.nan), ("div", q.index(), 1));
    assert!(r.location.unwrap().starts_with(&line));
    assert_eq!(
        r.inputs.iter().map(|i| i.node).collect::<Vec<_>>(),
        vec![a.index(), b.index()]
    );
}

#[test]
fn overflow_in_exp_and_only_the_first_is_kept() {
    let tape = Tape::<f32>::new();
    tape.set_detect_anomaly(true);
    let x = tape.var(Tensor::from(vec![1.0f32, 100.0]));
    let e = x.exp();
    let _later = (e - e).ln(); // inf - inf = NaN: a second anomaly, not the first
    let a = tape.anomaly().unwrap();
    assert_eq!((a.op, a.node, a.pos_inf, a.nan), ("exp", e.index(), 1, 0));
}

#[test]
fn nan_fed_in_from_data() {
    let tape = Tape::<f64>::new();
    tape.set_detect_anomaly(true);
    let w = tape.scalar_var(1.5);
    let (data, line) = (tape.constant(Tensor::from(vec![1.0, f64::NAN])), here());
    let _ = (data * w).sum();
    let a = tape.anomaly().unwrap();
    assert_eq!((a.op, a.node, a.nan), ("leaf", data.index(), 1));
    assert!(a.inputs.is_empty());
    assert!(a.to_string().contains("the value was fed in"));
    assert!(a.location.unwrap().starts_with(&line));
}

#[test]
fn an_infinite_gradient_is_reported_in_the_backward_pass() {
    let tape = Tape::<f64>::new();
    tape.set_detect_anomaly(true);
    let x = tape.scalar_var(0.0);
    // Fine forward (sqrt 0 = 0), but d sqrt/dx = 1/(2 sqrt x) = inf.
    let (y, line) = (x.sqrt(), here());
    assert!(tape.anomaly().is_none(), "the forward pass is finite");
    let g = y.backward();
    assert!(g[x].item().is_infinite());
    let a = tape.anomaly().expect("the gradient is infinite");
    match &a.phase {
        Phase::Backward {
            node,
            op,
            recorded_at,
        } => {
            assert_eq!((*node, *op), (y.index(), "sqrt"));
            assert!(
                recorded_at.as_deref().unwrap().starts_with(&line),
                "{recorded_at:?}"
            );
        }
        p => panic!("expected the backward phase, got {p:?}"),
    }
    assert!(a.to_string().contains("derivative rule of sqrt"), "{a}");
}

#[test]
fn off_by_default_and_reset_clears_it() {
    let mut tape = Tape::<f64>::new();
    assert!(!tape.is_detecting_anomalies());
    let _ = tape.scalar_var(-1.0).ln();
    assert!(
        tape.anomaly().is_none(),
        "nothing is checked when the mode is off"
    );
    tape.set_detect_anomaly(true);
    let _ = tape.scalar_var(-1.0).ln();
    assert!(tape.anomaly().is_some());
    tape.reset();
    assert!(tape.is_detecting_anomalies(), "reset keeps the mode");
    assert!(tape.anomaly().is_none(), "reset forgets the old anomaly");
    let _ = tape.scalar_var(4.0).sqrt();
    assert!(tape.anomaly().is_none());
    tape.set_detect_anomaly(false);
    assert!(!tape.is_detecting_anomalies());
}
