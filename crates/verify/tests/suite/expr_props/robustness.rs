//! No input (random bytes, random strings over the language, deep nesting, long chains) panics the parsers or overflows the stack.

use super::{any_expr, runner};
use autograd::{Tape, Var};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::HashMap;
use verify::check::{check, derivative_at, CheckOptions};
use verify::expr::{self, MAX_DEPTH, MAX_HEIGHT};
use verify::System;

/// Runs the parsers and everything downstream of a successful parse on `src`; none may panic.
fn exercise(src: &str) -> Result<(), TestCaseError> {
    let chars = src.chars().count();
    match expr::parse(src) {
        Ok(e) => {
            let printed = e.to_string();
            prop_assert!(expr::parse(&printed).is_ok(), "{printed}");
        }
        Err(err) => {
            prop_assert!(
                err.column <= chars,
                "column {} past the end of {src:?}",
                err.column
            );
            let rendered = err.render(src);
            prop_assert!(rendered.ends_with('^'));
            prop_assert!(!err.message.is_empty());
        }
    }
    match System::parse(src) {
        Ok(system) => {
            let inputs = system.inputs();
            let _ = system.output();
            if system.order().is_ok() && inputs.len() <= 2 {
                let tape = Tape::<f64>::new();
                let vars: HashMap<String, Var<'_, f64>> =
                    inputs.iter().map(|n| (n.clone(), tape.scalar_var(0.5))).collect();
                let _ = system.build(&tape, &vars);
                if let Some(first) = inputs.first() {
                    let opts = CheckOptions {
                        wrt: vec![first.clone()],
                        ..Default::default()
                    };
                    let _ = check(&system, &["0".to_string()], &opts);
                }
            }
        }
        Err(err) => {
            prop_assert!(
                err.column <= chars,
                "column {} past the end of {src:?}",
                err.column
            );
            let _ = err.render(src);
        }
    }
    Ok(())
}

#[test]
fn random_bytes_never_panic_the_parsers() {
    runner(512)
        .run(&proptest::collection::vec(any::<u8>(), 0..120), |bytes| {
            exercise(&String::from_utf8_lossy(&bytes))
        })
        .unwrap();
}

#[test]
fn random_strings_over_the_language_never_panic_the_parsers() {
    let long_number = "9".repeat(400);
    let tokens: Vec<String> = [
        "x",
        "y",
        "u",
        "z",
        "_a",
        "é",
        "exp",
        "ln",
        "log",
        "sqrt",
        "abs",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "softplus",
        "0",
        "1",
        "2.5",
        ".5",
        "1e3",
        "1E-2",
        "1e",
        "1e999",
        "1.2.3",
        &long_number,
        "(",
        ")",
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "^",
        "=",
        "=",
        ";",
        ";",
        "\n",
        " ",
        " ",
        "\t",
        "#",
        "∑",
        "\0",
        ".",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let strategy = proptest::collection::vec(prop::sample::select(tokens), 0..40).prop_map(|t| t.concat());
    runner(512).run(&strategy, |src| exercise(&src)).unwrap();
}

#[test]
fn random_systems_of_printed_expressions_never_panic() {
    // Definitions of random expressions under random names: valid systems, cycles, undefined
    // and duplicate names, self-references.
    let def = (prop::sample::select(vec!["a", "b", "c", "x", "f"]), any_expr()).prop_map(|(n, e)| {
        format!(
            "{n} = {}",
            e.to_string().replace("u_1", "a").replace("Long_name2", "b")
        )
    });
    let strategy = (proptest::collection::vec(def, 1..5), prop::bool::ANY)
        .prop_map(|(defs, newline)| defs.join(if newline { "\n" } else { "; " }));
    runner(128).run(&strategy, |src| exercise(&src)).unwrap();
}

/// Runs `f` on a thread with a small stack; the test fails (the process aborts) if it
/// overflows.
fn on_small_stack<R: Send + 'static>(stack: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// Enough stack for the parser at its maximum depth in every build profile, and far less
/// than unbounded recursion over the inputs below would need (they are 100 times deeper).
const SMALL_STACK: usize = 1 << 20;

#[test]
fn nesting_beyond_max_depth_is_an_error_not_a_stack_overflow() {
    let n = 100 * MAX_DEPTH;
    let inputs: Vec<String> = vec![
        format!("{}x{}", "(".repeat(n), ")".repeat(n)),
        format!("{}x", "(".repeat(n)),
        format!("{}x", "-".repeat(n)),
        format!("{}x", "+".repeat(n)),
        format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
        format!("{}x, 1{}", "leaky_relu(".repeat(n), ")".repeat(n)),
        format!("x{}", "^x".repeat(n)),
        format!("x{}", "^-x".repeat(n)),
        format!("{}x{}", "(x+".repeat(n), ")".repeat(n)),
        format!("{}x{}", "2*(".repeat(n), ")".repeat(n)),
    ];
    for src in inputs {
        let head: String = src.chars().take(12).collect();
        let (expr_err, system_err) = on_small_stack(SMALL_STACK, move || {
            let e = expr::parse(&src).map(|_| ()).map_err(|e| e.message);
            let s = System::parse(&format!("z = {src}"))
                .map(|_| ())
                .map_err(|e| e.message);
            (e, s)
        });
        for err in [expr_err, system_err] {
            let message = err.expect_err(&format!("{head}... nested {n} deep parses"));
            assert!(message.contains("nested more than"), "{head}...: {message}");
        }
    }
}

#[test]
fn nesting_up_to_max_depth_parses() {
    let n = MAX_DEPTH - 1;
    for src in [
        format!("{}x{}", "(".repeat(n), ")".repeat(n)),
        format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
        format!("{}x", "-".repeat(n)),
    ] {
        let ok = on_small_stack(SMALL_STACK, move || expr::parse(&src).is_ok());
        assert!(ok);
    }
}

#[test]
fn long_chains_are_an_error_not_a_stack_overflow() {
    // `x + x + ... + x` builds a tree as deep as the chain is long without the parser
    // recursing; printing, evaluating and dropping that tree recurse once per level.
    for op in ["+", "-", "*", "/"] {
        let src = format!("x{}", format!("{op}x").repeat(100_000));
        let (expr_err, system_err) = on_small_stack(SMALL_STACK, move || {
            let e = expr::parse(&src)
                .map(|e| e.to_string().len())
                .map_err(|e| e.message);
            let s = System::parse(&format!("z = {src}"))
                .map(|s| derivative_at(&s, "z", "x", 1, &[("x".into(), 1.0)]).map_err(|e| e.message));
            (e, s.map(|_| ()).map_err(|e| e.message))
        });
        for err in [expr_err.map(|_| ()), system_err] {
            let message = err.expect_err(&format!("a chain of 100000 '{op}' parses"));
            assert!(
                message.contains(&format!("more than {MAX_HEIGHT} operators in a row")),
                "{message}"
            );
        }
    }
}

#[test]
fn chains_up_to_max_height_work_on_a_main_thread_stack() {
    // As long as a layered network's widest sum (`--layers 4096,1`) and more; 8 MiB is the
    // main thread's stack, where the command line runs.
    let n = MAX_HEIGHT - 1;
    let (value, derivative, printed) = on_small_stack(8 << 20, move || {
        let s = System::parse(&format!("z = x{}", "+x".repeat(n))).unwrap();
        let point = [("x".to_string(), 1.5)];
        let value = derivative_at(&s, "z", "x", 0, &point).unwrap();
        let derivative = derivative_at(&s, "z", "x", 1, &point).unwrap();
        let printed = s.defs[0].expr.to_string();
        (value, derivative, printed)
    });
    assert_eq!((value, derivative), ((n + 1) as f64 * 1.5, (n + 1) as f64));
    assert_eq!(printed.matches('+').count(), n);
    assert!(System::parse(&format!("z = x{}", "*x".repeat(MAX_HEIGHT + 1))).is_err());
}
