//! Values that are out of range or do not go together, for every subcommand, and syntax errors in definitions.

use super::{assert_no_panic, run, text, usage};

#[test]
fn out_of_range_numbers_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        // train: counts.
        (&["train", "--epochs", "0"], "must be at least 1, got 0"),
        (&["train", "--epochs", "-3"], "must be at least 1, got -3"),
        (&["train", "--epochs", "1.5"], "whole number"),
        (&["train", "--epochs", ""], "whole number"),
        (&["train", "--epochs", "1e3"], "whole number"),
        (
            &["train", "--epochs", "18446744073709551616"],
            "must be at most 18446744073709551615",
        ),
        (
            &["train", "--epochs", "-99999999999999999999999999999999999999999"],
            "must be at least 1",
        ),
        (&["train", "--batch-size", "0"], "must be at least 1, got 0"),
        (&["train", "--batch-size", "-1"], "must be at least 1, got -1"),
        (&["train", "--step-size", "0"], "--step-size"),
        // train: rates and scales.
        (&["train", "--lr", "NaN"], "finite number greater than 0, got NaN"),
        (&["train", "--lr", "nan"], "finite number greater than 0, got NaN"),
        (&["train", "--lr", "inf"], "got inf"),
        (&["train", "--lr=-inf"], "got -inf"),
        (&["train", "--lr", "-inf"], "unexpected argument '-i'"),
        (&["train", "--lr", "1e400"], "got inf"),
        (&["train", "--lr", "0"], "greater than 0, got 0"),
        (&["train", "--lr", "-0.1"], "greater than 0, got -0.1"),
        (&["train", "--lr", "fast"], "expected a number, got \"fast\""),
        (&["train", "--pixel-max", "0"], "--pixel-max"),
        (&["train", "--pixel-max", "NaN"], "--pixel-max"),
        (&["train", "--gamma", "0", "--schedule", "step"], "--gamma"),
        (&["train", "--gamma", "NaN", "--schedule", "step"], "--gamma"),
        (&["train", "--weight-decay", "-1"], "at least 0, got -1"),
        (&["train", "--weight-decay", "NaN"], "--weight-decay"),
        (&["train", "--weight-decay", "inf"], "--weight-decay"),
        (
            &["train", "--optimizer", "sgd", "--momentum", "1"],
            "below 1, got 1",
        ),
        (
            &["train", "--optimizer", "sgd", "--momentum", "-0.5"],
            "--momentum",
        ),
        (
            &["train", "--optimizer", "sgd", "--momentum", "NaN"],
            "--momentum",
        ),
        (&["train", "--seed", "-1"], "--seed"),
        (&["train", "--seed", "18446744073709551616"], "--seed"),
        (&["train", "--seed", "1.5"], "--seed"),
        // train: words and lists.
        (&["train", "--hidden", "64,0"], "only allowed alone"),
        (&["train", "--hidden", "-64"], "unexpected argument '-6'"),
        (&["train", "--hidden", "64,,3"], "--hidden"),
        (&["train", "--hidden", "2000000"], "too large"),
        (&["train", "--hidden", "1000000,1000000"], "would have over"),
        (&["train", "--activation", "swish"], "unknown activation"),
        (&["train", "--activation", "leaky_relu(x)"], "--activation"),
        (
            &["train", "--optimizer", "rmsprop"],
            "possible values: sgd, adam, adamw",
        ),
        (
            &["train", "--schedule", "linear"],
            "possible values: constant, step, cosine",
        ),
        (&["train", "--dtype", "f16"], "possible values: f32, f64"),
        // train: options that do not go together.
        (&["train", "--momentum", "0.5"], "--optimizer sgd only"),
        (&["train", "--gamma", "0.5"], "--schedule step only"),
        (&["train", "--step-size", "2"], "--schedule step only"),
        // eval.
        (&["eval", "--model", "m", "--batch-size", "0"], "--batch-size"),
        (&["eval", "--model", "m", "--pixel-max", "-1"], "--pixel-max"),
        (&["eval", "--model", "m", "--pixel-max", "inf"], "--pixel-max"),
        // check.
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--order", "0"],
            "--order",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--order", "-1"],
            "must be at least 1, got -1",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--atol", "-0.001"],
            "at least 0, got -0.001",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--order", "11"],
            "must be at most 10",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--rtol", "0"],
            "--rtol",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--rtol", "NaN"],
            "--rtol",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--atol", "-1"],
            "--atol",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "x=NaN"],
            "must be finite",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "x=1e999"],
            "must be finite",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "x"],
            "expected name=value",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "=1"],
            "is not a name",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "y=1"],
            "no value for the input 'x'",
        ),
        (
            &["check", "y = x", "--wrt", "", "--claim", "1"],
            "one or more comma-separated names",
        ),
        (
            &["check", "y = x", "--wrt", "x y", "--claim", "1"],
            "is not a name",
        ),
        (
            &["check", "y = x", "--wrt", "z", "--claim", "1"],
            "'z' is not an input",
        ),
        // (With no --claim at all, check derives: tests/suite/derive_cli.rs.)
        (
            &["check", "y = x + z", "--wrt", "x,z", "--claim", "1"],
            "need as many --claim, got 1",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--claim", "2"],
            "need as many --claim, got 2",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--of", "q"],
            "'q' is not defined",
        ),
        (&["check", "y = x", "--claim", "1"], "with --wrt"),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--format", "xml"],
            "possible values: text, json",
        ),
        // notes.
        (&["notes", "--format", "yaml"], "possible values: text, json"),
        // trace.
        (&["trace", "--lr", "0"], "--lr"),
        (&["trace", "--lr", "NaN"], "--lr"),
        (&["trace", "--lr", "-1"], "greater than 0, got -1"),
        (&["trace", "--layers", "0,1"], "--layers"),
        (&["trace", "--layers", "65,1"], "from 1 to 64"),
        (&["trace", "--layers", "2,2"], "ending in 1"),
        (&["trace", "--layers", "2"], "at least two sizes"),
        (&["trace", "--layers", ""], "--layers"),
        (
            &["trace", "--layers", "64,64,64,64,64,64,64,64,64,64,64,1"],
            "too big to trace",
        ),
        (&["trace", "--layers", "64,64,64,1"], "too big to trace"),
        (
            &["trace", "--activation", "swish", "--layers", "2,1"],
            "possible values",
        ),
        (&["trace", "--seed", "-1"], "invalid value '-1' for '--seed"),
        (&["trace", "--set", "w11"], "expected name=value"),
        (&["trace", "--set", "w11=inf"], "must be finite"),
        (&["trace", "--wrt", "zz"], "'zz' is not an input"),
        (&["trace", "--wrt", ""], "one or more comma-separated names"),
        (&["trace", "--of", "nope"], "'nope' is not defined"),
        // The older name of --of still works.
        (&["trace", "--loss", "nope"], "'nope' is not defined"),
        (&["trace", "--layers", "2,1", "y = x"], "cannot be used with"),
        (&["trace", "y = x"], "--wrt"),
        (&["trace", "--format", "xml"], "possible values: text, json"),
        // graph.
        (&["graph", "y = x", "--at", "x=NaN"], "must be finite"),
        (&["graph", "y = x", "--at", "x=1"], ""),
        (&["graph", "y = x", "--of", "q"], "'q' is not defined"),
    ];
    for (args, want) in cases {
        if args == &["graph", "y = x", "--at", "x=1"] {
            assert!(run(args, d).status.success());
            continue;
        }
        usage(args, d, want);
    }
    // 64 sizes of 1 are fine; 65 are too many (a chain of 400 layers prints megabytes).
    let many = vec!["1"; 65].join(",");
    usage(&["trace", "--layers", &many], d, "at most 64 layer sizes");
    assert!(run(&["trace", "--layers", &vec!["1"; 64].join(",")], d)
        .status
        .success());
    assert!(!d.join("runs").exists(), "nothing was written");
}

#[test]
fn syntax_errors_point_at_the_column_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["check", "z = (u^2 + 3", "--wrt", "u", "--claim", "2*u"][..],
        &["check", "z = u^2", "--wrt", "u", "--claim", "2*"],
        &["check", "z = u; u = z", "--wrt", "x", "--claim", "1"],
        &["graph", "y = (x"],
        &["graph", "y = x; y = 2"],
        &["trace", "J = ", "--wrt", "x"],
        &["check", "", "--wrt", "x", "--claim", "1"],
        &["check", ";;;", "--wrt", "x", "--claim", "1"],
    ] {
        let out = run(args, dir.path());
        let err = text(&out.stderr);
        assert_no_panic(&format!("{args:?}"), &err);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let first = err.lines().next().unwrap_or("");
        assert!(first.starts_with("error: "), "{args:?}: {err}");
        assert!(
            err.lines().count() <= 3,
            "the message, the source and a caret: {err}"
        );
    }
}
