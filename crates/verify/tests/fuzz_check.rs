//! Fuzzing `chainrule check`'s input language (issue 6): mutants of valid systems and claims
//! (the examples of `docs/cli.md`, the study note's network, systems using every function)
//! into `verify::expr::parse`, `verify::System::parse`, and, for every system that parses,
//! `verify::check::check` with random options (`--of`, `--wrt`, claims, `--order` 1 to 3,
//! extra points including extreme values) and `verify::graph::dot`.
//!
//! Every case must end in a value or an error (with a column inside the source, rendered with
//! its caret), never a panic; a report has one entry per variable and prints as text and JSON.
//!
//! Mutations work on characters: replace, delete a run, insert a token (numbers from 0 to
//! 1e400, names, operators, functions, separators, non-ASCII), duplicate a run, truncate, swap
//! two definitions, and replace a number with an extreme one.
//!
//! 256 cases per property by default; `CHAINRULE_FUZZ_CASES=100000` for the long run (see
//! `docs/reliability.md`). `tests/suite/expr_props.rs` has the random-bytes, random-token and
//! nesting properties.

use proptest::prelude::*;
use std::cell::Cell;
use verify::check::{check, CheckError, CheckOptions};
use verify::{expr, System};

mod support;

thread_local! {
    /// (systems that parsed, checks that ran to a report) in the running property.
    static COUNTS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

fn fuzz<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    COUNTS.with(|c| c.set((0, 0)));
    let n = support::cases();
    let seconds = support::run(n, strategy, test);
    let (parsed, reported) = COUNTS.with(Cell::get);
    println!(
        "{name}: {n} cases, no failure, {seconds:.1} s ({parsed} systems parsed, {reported} checks reported)"
    );
}

/// Valid systems with matching claims (one per variable of `wrt`).
const SEEDS: &[(&str, &[&str], &[&str])] = &[
    (
        "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x",
        &["x"],
        &["-8*u + 12*v^2"],
    ),
    ("f = x^2 * y", &["x", "y"], &["2*x*y", "x^2"]),
    ("s = sigmoid(z)", &["z"], &["s*(1-s)"]),
    (
        "a11 = sigmoid(x1*w11 + b1); a21 = relu(a11*w21 + b2); y = a21; J = 1/2*(y - label)^2",
        &["w11", "b2"],
        &["(y - label)*a11*(1 - a11)*x1*w21", "y - label"],
    ),
    (
        "y = leaky_relu(x, 0.1) + softplus(x) / sqrt(abs(x) + 1) - ln(exp(x)) * tanh(x)",
        &["x"],
        &["1"],
    ),
    (
        "g = exp(-x^2/2) / sqrt(2*3.14159)\nh = g * cos(x) - sin(x)",
        &["x"],
        &["-x*g*cos(x) - g*sin(x) - cos(x)"],
    ),
    (
        "y = x^0.5 + log(x) + 1e-3*x^-2 - 2.5E+2/x",
        &["x"],
        &["0.5/sqrt(x) + 1/x"],
    ),
    (
        "p = (a + b)^2; q = p / (1 + p)",
        &["a", "b"],
        &["2*(a+b)/(1+p)^2", "2*(a+b)/(1+p)^2"],
    ),
];

/// Tokens a mutation may insert.
const TOKENS: &[&str] = &[
    "x",
    "y",
    "u",
    "z",
    "w11",
    "a_1",
    "é",
    "π",
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
    "max",
    "0",
    "1",
    "2.5",
    ".5",
    "5.",
    "1e3",
    "1E-2",
    "1e",
    "1e+",
    "1e400",
    "1e-400",
    "1e308",
    "4.9e-324",
    "1.2.3",
    "99999999999999999999999",
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "^",
    "^-",
    "**",
    "=",
    "==",
    ";",
    "\n",
    " ",
    "\t",
    "\r",
    "#",
    "$",
    "\\",
    "'",
    "\"",
    "\u{0}",
    "∑",
    "\u{200b}",
    "ⅷ",
];

/// Numbers a mutation may put in place of another.
const NUMBERS: &[&str] = &[
    "0",
    "0.0",
    "1",
    "-1",
    "1e308",
    "1.7976931348623157e308",
    "1e309",
    "4.9e-324",
    "1e-400",
    "123456789012345678901234567890",
    "0.1",
    "2",
    "1000",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the character at a (wrapped) position with a token.
    Replace(usize, &'static str),
    /// Delete up to this many characters at a (wrapped) position.
    Delete(usize, usize),
    /// Insert a token at a (wrapped) position.
    Insert(usize, &'static str),
    /// Repeat a run of characters in place.
    Duplicate(usize, usize),
    /// Keep this many (wrapped) characters.
    Truncate(usize),
    /// Swap two `;`-separated parts.
    Swap(usize, usize),
    /// Replace the k-th (wrapped) number with another.
    Number(usize, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), proptest::sample::select(TOKENS)).prop_map(|(i, t)| Mutation::Replace(i, t)),
        2 => (any::<usize>(), 1..6usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        3 => (any::<usize>(), proptest::sample::select(TOKENS)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => (any::<usize>(), 1..12usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        2 => (any::<usize>(), proptest::sample::select(NUMBERS)).prop_map(|(k, n)| Mutation::Number(k, n)),
    ]
}

fn apply(src: &str, m: &Mutation) -> String {
    let mut c: Vec<char> = src.chars().collect();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *m {
        Mutation::Replace(i, t) => {
            if !c.is_empty() {
                let i = at(i, c.len());
                c.splice(i..=i, t.chars());
            }
        }
        Mutation::Delete(i, n) => {
            if !c.is_empty() {
                let i = at(i, c.len());
                let end = (i + n).min(c.len());
                c.drain(i..end);
            }
        }
        Mutation::Insert(i, t) => {
            let i = at(i, c.len() + 1);
            c.splice(i..i, t.chars());
        }
        Mutation::Duplicate(i, n) => {
            if !c.is_empty() {
                let i = at(i, c.len());
                let end = (i + n).min(c.len());
                let run: Vec<char> = c[i..end].to_vec();
                c.splice(end..end, run);
            }
        }
        Mutation::Truncate(n) => c.truncate(at(n, c.len() + 1)),
        Mutation::Swap(a, b) => {
            let s: String = c.iter().collect();
            let mut parts: Vec<&str> = s.split(';').collect();
            let (a, b) = (at(a, parts.len()), at(b, parts.len()));
            parts.swap(a, b);
            return parts.join(";");
        }
        Mutation::Number(k, n) => {
            // Runs of digits and dots.
            let mut runs = Vec::new();
            let mut i = 0;
            while i < c.len() {
                if c[i].is_ascii_digit() {
                    let s = i;
                    while i < c.len() && (c[i].is_ascii_digit() || c[i] == '.') {
                        i += 1;
                    }
                    runs.push((s, i));
                } else {
                    i += 1;
                }
            }
            if !runs.is_empty() {
                let (s, e) = runs[k % runs.len()];
                c.splice(s..e, n.chars());
            }
        }
    }
    c.into_iter().collect()
}

/// Checks what a parse error promises: a column inside the source and a rendering with a
/// caret.
fn check_error(err: &expr::ParseError, src: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        err.column <= src.chars().count(),
        "column {} past the end of {:?}",
        err.column,
        src
    );
    prop_assert!(!err.message.is_empty());
    let rendered = err.render(src);
    prop_assert!(rendered.trim_end().ends_with('^'), "{}", rendered);
    Ok(())
}

/// The options of one check.
#[derive(Clone, Debug)]
struct Options {
    /// 0: the output; 1: another defined name; 2: an undefined name.
    of: u8,
    /// How many of the inputs to differentiate by (0 gives a usage error), or a stray name.
    wrt: u8,
    order: usize,
    /// Claims: mutants of the seed's claims, maybe one too few or too many.
    claim_mutations: Vec<Mutation>,
    claims_delta: i8,
    /// An extra point: 0 none, 1 ordinary, 2 extreme but finite, 3 non-finite, 4 missing an input.
    at: u8,
}

fn options() -> impl Strategy<Value = Options> {
    (
        prop_oneof![6 => Just(0u8), 2 => Just(1), 1 => Just(2)],
        prop_oneof![1 => Just(0u8), 8 => Just(1), 3 => Just(2), 1 => Just(9)],
        prop_oneof![8 => Just(1usize), 3 => Just(2), 1 => Just(3)],
        proptest::collection::vec(mutation(), 0..3),
        prop_oneof![8 => Just(0i8), 1 => Just(-1), 1 => Just(1)],
        0..5u8,
    )
        .prop_map(|(of, wrt, order, claim_mutations, claims_delta, at)| Options {
            of,
            wrt,
            order,
            claim_mutations,
            claims_delta,
            at,
        })
}

/// Parses `src` every way, then checks and draws it if it is a system.
fn exercise(src: &str, seed_claims: &[&str], o: &Options) -> Result<(), TestCaseError> {
    match expr::parse(src) {
        Ok(e) => {
            let printed = e.to_string();
            prop_assert!(expr::parse(&printed).is_ok(), "{} printed as {}", src, printed);
        }
        Err(err) => check_error(&err, src)?,
    }
    // Each right-hand side on its own, as the claims are parsed.
    for part in src.split([';', '\n']) {
        if let Some((_, rhs)) = part.split_once('=')
            && let Err(err) = expr::parse(rhs)
        {
            check_error(&err, rhs)?;
        }
    }
    let system = match System::parse(src) {
        Ok(s) => s,
        Err(err) => return check_error(&err, src),
    };
    COUNTS.with(|c| c.set((c.get().0 + 1, c.get().1)));
    let inputs = system.inputs();
    let output = system.output().map(str::to_string);
    if system.order().is_err() {
        // A cycle or an undefined name: check must say so too.
        let opts = CheckOptions {
            wrt: inputs.iter().take(1).cloned().collect(),
            ..CheckOptions::default()
        };
        let claims = vec!["1".to_string(); opts.wrt.len()];
        prop_assert!(check(&system, &claims, &opts).is_err());
        return Ok(());
    }
    // Keep the work of one case bounded: the engine's derivatives grow with the size of the
    // expression and about twofold with each order.
    if src.len() > 160 || inputs.len() > 8 {
        return Ok(());
    }
    let of = match o.of {
        0 => None,
        1 => system.defs.last().map(|d| d.name.clone()),
        _ => Some("nowhere".to_string()),
    };
    let wrt: Vec<String> = match o.wrt {
        9 => vec!["stray".to_string()],
        k => inputs.iter().take(k as usize).cloned().collect(),
    };
    let mut claims: Vec<String> = wrt
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let base = seed_claims.get(i).copied().unwrap_or("0");
            o.claim_mutations
                .iter()
                .fold(base.to_string(), |s, m| apply(&s, m))
        })
        .collect();
    match o.claims_delta {
        -1 => {
            claims.pop();
        }
        1 => claims.push("x".into()),
        _ => {}
    }
    let value = |k: usize| match o.at {
        2 => [1e308, -1e308, 1e-308, 0.0][k % 4],
        3 => [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][k % 3],
        _ => 0.375 * (k as f64 + 1.0),
    };
    let at: Vec<Vec<(String, f64)>> = match o.at {
        0 => vec![],
        4 => vec![inputs
            .iter()
            .skip(1)
            .enumerate()
            .map(|(k, n)| (n.clone(), value(k)))
            .collect()],
        _ => vec![inputs
            .iter()
            .enumerate()
            .map(|(k, n)| (n.clone(), value(k)))
            .collect()],
    };
    let opts = CheckOptions {
        of: of.clone(),
        wrt: wrt.clone(),
        order: o.order,
        at: at.clone(),
        ..CheckOptions::default()
    };
    match check(&system, &claims, &opts) {
        Ok(reports) => {
            COUNTS.with(|c| c.set((c.get().0, c.get().1 + 1)));
            prop_assert_eq!(reports.len(), wrt.len());
            for r in &reports {
                let text = r.to_text();
                prop_assert!(text.contains(&r.derivative));
                let json = r.to_json();
                prop_assert!(serde_json::to_string(&json).is_ok());
                // Every point is either compared or undefined, and agreement needs one compared.
                prop_assert!(r.checked + r.undefined.len() > 0);
                prop_assert!(!r.agrees() || r.checked > 0);
            }
        }
        Err(CheckError::System(e)) => check_error(&e, src)?,
        Err(CheckError::Claim(claim, e)) => {
            prop_assert!(claims.contains(&claim));
            check_error(&e, &claim)?;
        }
        Err(CheckError::Usage(m)) => prop_assert!(!m.is_empty()),
        // Only when no single output can be chosen, or --of names nothing defined.
        Err(CheckError::Output(e)) => match &of {
            None => prop_assert_eq!(Err(e), output.clone()),
            Some(n) => prop_assert_eq!(e, verify::OutputError::Undefined(n.clone())),
        },
        Err(CheckError::TooLarge(e)) => {
            prop_assert_eq!(e.order, o.order);
            prop_assert!(e.nodes * verify::check::GRAPH_GROWTH > verify::check::MAX_GRAPH_NODES);
        }
    }
    // The graph of the output (or of --of) at the extra point, as `chainrule graph` draws it.
    let point: Vec<(String, f64)> = at.into_iter().flatten().collect();
    if let Ok(dot) = verify::graph::dot(&system, of.as_deref(), &point) {
        prop_assert!(dot.starts_with("digraph"), "{}", dot);
    }
    if of.is_none() && output.is_err() {
        prop_assert!(verify::graph::dot(&system, None, &point).is_err());
    }
    Ok(())
}

#[test]
fn fuzz_mutated_systems_and_claims() {
    let strategy = (
        0..SEEDS.len(),
        proptest::collection::vec(mutation(), 0..4),
        options(),
    );
    fuzz("mutated systems and claims", strategy, |(seed, mutations, o)| {
        let (src, _, claims) = SEEDS[seed];
        let src = mutations.iter().fold(src.to_string(), |s, m| apply(&s, m));
        exercise(&src, claims, &o)
    });
}

#[test]
fn the_seeds_check_out() {
    // The unmutated seeds parse and their claims agree where they should: the mutants start
    // from real inputs.
    for (src, wrt, claims) in SEEDS {
        let system = System::parse(src).unwrap();
        let opts = CheckOptions {
            wrt: wrt.iter().map(|s| s.to_string()).collect(),
            ..CheckOptions::default()
        };
        let claims: Vec<String> = claims.iter().map(|s| s.to_string()).collect();
        let reports = check(&system, &claims, &opts).unwrap();
        assert_eq!(reports.len(), wrt.len(), "{src}");
    }
}
