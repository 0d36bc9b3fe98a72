//! Every kind of error: syntax, cycles, undefined and duplicate names, usage, unknown functions, several outputs.

use super::{opts, sys, MULTI};
use verify::check::{check, CheckError, CheckOptions};
use verify::{OutputError, System};

/// The line of `render` with the caret, and the column it points at.
fn caret_column(rendered: &str) -> usize {
    let caret = rendered.lines().last().expect("a caret line");
    assert!(caret.ends_with('^'), "{rendered}");
    caret.chars().count() - 1 - 2
}

fn system_error(src: &str) -> verify::expr::ParseError {
    match System::parse(src) {
        Err(e) => e,
        Ok(s) => s.order().expect_err(src),
    }
}

#[test]
fn syntax_errors_point_at_the_column_and_say_what_was_expected() {
    // (source, where the error is, words the message must contain)
    let end = |s: &str| s.chars().count();
    let cases: Vec<(&str, usize, &[&str])> = vec![
        (
            "z = 2 * (x + ",
            end("z = 2 * (x + "),
            &["expected a number, a name, '(' or '-'", "end of the input"],
        ),
        ("z = u^2 +* v", "z = u^2 +".len(), &["expected", "'*'"]),
        (
            "z = (x + 1",
            end("z = (x + 1"),
            &["')' to close the '(' at column 5"],
        ),
        ("z = x y", "z = x ".len(), &["expected an operator or the end"]),
        ("z = 2 $ x", "z = 2 ".len(), &["unexpected character '$'"]),
        ("z x + 1", "z ".len(), &["expected '=' after 'z'"]),
        ("= x", 0, &["expected a definition 'name = expression'"]),
        ("sin = x", 0, &["expected a definition"]),
        (
            "z = sin x",
            "z = sin ".len(),
            &["expected '(' after the function name 'sin'"],
        ),
        ("z = 1.2.3", "z = ".len(), &["'1.2.3' is not a number"]),
        ("a = 1; é = 2 +", end("a = 1; é = 2 +"), &["expected"]),
        ("a = 1\nb = )", "a = 1\nb = ".len(), &["expected"]),
        ("", 0, &["at least one definition"]),
        ("  ;\n ; ", 0, &["at least one definition"]),
    ];
    for (src, column, words) in cases {
        let err = System::parse(src).expect_err(src);
        assert_eq!(err.column, column, "{src:?}: {err}");
        for w in words {
            assert!(err.message.contains(w), "{src:?}: {} lacks {w:?}", err.message);
        }
        let rendered = err.render(src);
        assert!(
            rendered.starts_with(&format!("error: column {}: ", column + 1)),
            "{rendered}"
        );
        assert_eq!(caret_column(&rendered), column, "{rendered}");
        // The source line is shown above the caret, newlines as spaces.
        let line = rendered.lines().nth(1).unwrap();
        assert_eq!(line, format!("  {}", src.replace('\n', " ")));
    }
}

#[test]
fn cycles_are_errors_that_name_the_cycle() {
    for (src, members) in [
        ("z = a; a = b + 1; b = c*2; c = a - x", &["a", "b", "c"][..]),
        ("a = a + x", &["a"][..]),
        ("z = p + q; p = q; q = p*x", &["p", "q"][..]),
    ] {
        let s = sys(src);
        let err = s.order().expect_err(src);
        let cycle = err.message.split(": ").last().unwrap();
        let names: Vec<&str> = cycle.split(" -> ").collect();
        assert!(err.message.contains("cycle"), "{}", err.message);
        assert_eq!(names.first(), names.last(), "{}", err.message);
        let mut found: Vec<&str> = names[1..].to_vec();
        found.sort_unstable();
        assert_eq!(found, members, "{}", err.message);
        // Each name uses the next one.
        for w in names.windows(2) {
            let uses: Vec<&str> = s
                .get(w[0])
                .unwrap()
                .expr
                .names()
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            assert!(uses.contains(&w[1]), "{} does not use {}", w[0], w[1]);
        }
        // The column is where a member of the cycle is defined.
        let at = src
            .chars()
            .skip(err.column)
            .take_while(|c| c.is_alphanumeric())
            .collect::<String>();
        assert!(
            members.contains(&at.as_str()),
            "column {} is at {at:?}",
            err.column
        );
        // check reports it as an error in the definitions.
        match check(&s, &["0".to_string()], &opts(&["x"])) {
            Err(CheckError::System(e)) => assert_eq!(e, err),
            other => panic!("{src}: {other:?}"),
        }
    }
}

#[test]
fn undefined_names_in_a_claim_are_errors_at_their_column() {
    let claim = "2*u + w";
    match check(&sys(MULTI), &[claim.to_string()], &opts(&["x"])) {
        Err(CheckError::Claim(c, e)) => {
            assert_eq!(c, claim);
            assert_eq!(e.column, claim.find('w').unwrap());
            assert!(e.message.contains("'w' is not defined"), "{}", e.message);
        }
        other => panic!("{other:?}"),
    }
    // A syntax error in a claim is reported in the claim, with its column.
    match check(&sys(MULTI), &["2 * ".to_string()], &opts(&["x"])) {
        Err(CheckError::Claim(_, e)) => assert_eq!(e.column, 4),
        other => panic!("{other:?}"),
    }
    // Names the system uses but does not define are its inputs; building without a value
    // for one is an error at that name.
    let s = sys("z = u + x; u = 2*w");
    assert_eq!(s.inputs(), vec!["x".to_string(), "w".to_string()]);
    let tape = autograd::Tape::<f64>::new();
    let inputs = [("x".to_string(), tape.scalar(1.0))].into_iter().collect();
    let err = s.build(&tape, &inputs).expect_err("w has no value");
    assert_eq!(err.column, "z = u + x; u = 2*".len());
    assert!(err.message.contains("'w' is not defined"));
    // --at must give every input.
    let options = CheckOptions {
        at: vec![vec![("x".into(), 1.0)]],
        ..opts(&["x"])
    };
    match check(&s, &["1".to_string()], &options) {
        Err(CheckError::Usage(m)) => assert!(m.contains("no value for the input 'w'"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn duplicate_definitions_are_errors_at_the_second() {
    let src = "z = x; y = 2; z = 2*x";
    let err = System::parse(src).expect_err(src);
    assert_eq!(err.column, src.rfind('z').unwrap());
    assert!(
        err.message.contains("'z' is defined twice (first at column 1)"),
        "{}",
        err.message
    );
    let src = "a = 1\n  b = a\na = 3";
    let err = System::parse(src).expect_err(src);
    assert_eq!(err.column, src.rfind('a').unwrap(), "{src:?}");
    assert!(err.message.contains("(first at column 1)"), "{}", err.message);
}

#[test]
fn usage_errors() {
    let s = sys(MULTI);
    let usage = |claims: &[&str], options: CheckOptions| -> String {
        let claims: Vec<String> = claims.iter().map(|c| c.to_string()).collect();
        match check(&s, &claims, &options) {
            Err(CheckError::Usage(m)) => m,
            other => panic!("{other:?}"),
        }
    };
    // wrt names something other than an input.
    for w in ["u", "q", "z"] {
        let m = usage(&["1"], opts(&[w]));
        assert!(
            m.contains(&format!("'{w}' is not an input")) && m.contains("inputs: x"),
            "{m}"
        );
    }
    assert!(usage(&[], opts(&[])).contains("--wrt"));
    // One claim per variable.
    let m = usage(&["1"], opts(&["x", "x"]));
    assert!(
        m.contains("2 variable(s) in --wrt need as many --claim, got 1"),
        "{m}"
    );
    let m = usage(&["1", "2"], opts(&["x"]));
    assert!(m.contains("got 2"), "{m}");
    assert!(usage(
        &["1"],
        CheckOptions {
            order: 0,
            ..opts(&["x"])
        }
    )
    .contains("--order"));
    let options = CheckOptions {
        of: Some("nope".into()),
        ..opts(&["x"])
    };
    match check(&s, &["1".to_string()], &options) {
        Err(e @ CheckError::Output(OutputError::Undefined(_))) => {
            assert!(e.to_string().contains("'nope' is not defined"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // A system without inputs has nothing to differentiate.
    let constant = sys("z = 2");
    match check(&constant, &["0".to_string()], &opts(&["x"])) {
        Err(CheckError::Usage(m)) => assert!(m.contains("inputs: none"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_functions_wrong_argument_counts_and_huge_numbers() {
    let huge = format!("z = 0.5 * {}", "9".repeat(400));
    let cases: [(&str, &str, &[&str]); 8] = [
        (
            "z = foo(x)",
            "foo",
            &["unknown function 'foo'", "expected one of exp, ln, log"],
        ),
        ("z = 1 + Sin(x)", "Sin", &["unknown function 'Sin'"]),
        (
            "z = leaky_relu(x)",
            "leaky_relu",
            &["leaky_relu() takes 2 arguments, got 1"],
        ),
        ("z = sin(x, 2)", "sin", &["sin() takes 1 argument, got 2"]),
        ("z = exp(x, 1, 2)", "exp", &["exp() takes 1 argument, got 3"]),
        ("z = 2*1e400", "1e400", &["the number '1e400' is too large"]),
        ("z = x + 1.5E309", "1.5E309", &["too large"]),
        (&huge, "999", &["too large"]),
    ];
    for (src, at, words) in cases {
        let err = System::parse(src).expect_err(src);
        assert_eq!(err.column, src.find(at).unwrap(), "{src}: {err}");
        for w in words {
            assert!(err.message.contains(w), "{src}: {}", err.message);
        }
        assert_eq!(caret_column(&err.render(src)), err.column);
    }
    // The largest double is still a number.
    assert!(System::parse("z = 1.7976931348623157e308*x").is_ok());
    // An error in the definitions stops check before any claim is looked at.
    assert!(system_error("z = a; a = z").message.contains("cycle"));
}

#[test]
fn several_outputs_are_an_error_naming_them() {
    // `q` is a leftover helper: checking dq/dx silently would be a wrong answer.
    let s = sys("q = 7; z = x^2; w = z + 1; r = x");
    let expected = OutputError::Ambiguous(vec!["q".into(), "w".into(), "r".into()]);
    assert_eq!(s.output(), Err(expected.clone()));
    let message = expected.to_string();
    assert_eq!(
        message,
        "several definitions are used by no other: q, w, r; name the one to use with --of (e.g. --of r)"
    );
    match check(&s, &["2*x".to_string()], &opts(&["x"])) {
        Err(CheckError::Output(e)) => assert_eq!(e, expected),
        other => panic!("{other:?}"),
    }
    let point = [("x".to_string(), 3.0)];
    match verify::graph::dot(&s, None, &point) {
        Err(CheckError::Output(e)) => assert_eq!(e, expected),
        other => panic!("{other:?}"),
    }
    match verify::trace::trace(&s, None, &["x".to_string()], &point, 0.1) {
        Err(verify::trace::TraceError::Output(e)) => assert_eq!(e, expected),
        other => panic!("{other:?}"),
    }
    // Naming one resolves it: dw/dx = 2x = 6 at x = 3.
    let options = CheckOptions {
        of: Some("w".into()),
        at: vec![point.to_vec()],
        ..opts(&["x"])
    };
    assert!(check(&s, &["2*x".to_string()], &options).unwrap()[0].agrees());
    assert_eq!(verify::check::derivative_at(&s, "w", "x", 1, &point), Ok(6.0));
    // A cycle has no output at all (and check reports the cycle itself first).
    assert_eq!(sys("a = b; b = a").output(), Err(OutputError::NoOutput));
}
