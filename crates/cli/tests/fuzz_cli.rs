//! Fuzzing the command line (issue 6): the `chainrule` binary spawned with random argument
//! vectors built from the real subcommands and option names (and some that do not exist),
//! with values drawn from valid, out-of-range and malformed ones, missing values, stray
//! positional arguments and random strings. Files named by the options exist or not, are
//! directories, devices, truncated or mismatched checkpoints and IDX data, CSV tables (good,
//! a string target, a regression target, mutated cells, rows, headers, quotes, BOM, line ends,
//! truncation, 70,000 columns), CSV models (and their metadata mutated), rows to predict;
//! outputs (`--out`, `--save`, predict's `--out`) are of every kind (missing directory,
//! directory, FIFO, `/dev/null`, device, links, read-only file, not UTF-8).
//!
//! Every run must exit with 0, 1 or 2 (never 101, a panic, nor a signal) within the deadline,
//! print no panic message or stack trace, and report an error as `error: ...` on the first line
//! of stderr (one line for usage errors except syntax errors, which add the source and a
//! caret, and the bare command, which prints its help).
//!
//! Runs are spread over a few threads. 256 runs by default; `CHAINRULE_FUZZ_CASES=100000` for
//! the long run (see `docs/reliability.md`). Values are chosen so that valid runs stay short
//! (one or two epochs, small layers, orders up to 3): a hang would then be a bug, not a long
//! legitimate run.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

mod fuzz_support;
use fuzz_support::{cases, fixture, run_one, scratch_dir};

/// Definitions for the positional argument of check, trace and graph.
const SYSTEMS: &[&str] = &[
    "y = x^2",
    "y = sin(x)*exp(x)",
    "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x",
    "f = x^2 * y",
    "s = sigmoid(z)",
    "a11 = sigmoid(x1*w11 + b1); a21 = relu(a11*w21 + b2); y = a21; J = 1/2*(y - label)^2",
    "y = leaky_relu(x, 0.1) + softplus(x) - ln(x) / sqrt(x)",
    "y = (x",
    "y = x; y = 2",
    "y = z; z = y",
    "y = ",
    "= x",
    "",
    ";",
    "y = x ^^ 2",
    "y = 1e400 * x",
    "y = é + x",
    "y = unknown(x)",
    "y = x\ny = 3",
];

/// An option and the values it may get.
type Opt = (&'static str, &'static [&'static str]);

const DATA: &[&str] = &[
    "tiny",
    "idx",
    "nowhere",
    "afile",
    "adir",
    "truncated",
    "half",
    "dir_inside",
    "device",
    "",
    "d<FF>",
];
/// CSV tables: good ones (a string target, a regression target, iris) and mutants.
const CSV: &[&str] = &[
    "small.csv",
    "reg.csv",
    "iris.csv",
    "rows.csv",
    "bad_na.csv",
    "bad_inf.csv",
    "bad_huge.csv",
    "bad_text.csv",
    "bad_f32max.csv",
    "bad_utf8.csv",
    "bad_ragged.csv",
    "bad_dup.csv",
    "bad_noname.csv",
    "bad_quote.csv",
    "bad_bom.csv",
    "bad_crlf.csv",
    "bad_truncated.csv",
    "bad_wide.csv",
    "bad_rows.csv",
    "rows_columns.csv",
    "nope.csv",
    "adir",
    "fifo",
    "d<FF>.csv",
];
const TARGET: &[&str] = &["y", "v", "species", "a", "nope", ""];
/// CSV models: classification, regression, their metadata mutated, and others.
const CSV_MODEL: &[&str] = &[
    "csvmodel.safetensors",
    "regmodel.safetensors",
    "csvmodel_mut0.safetensors",
    "csvmodel_mut1.safetensors",
    "csvmodel_mut2.safetensors",
    "csvmodel_mut3.safetensors",
    "csvmodel_mut4.safetensors",
    "csvmodel_mut5.safetensors",
    "csvmodel_mut6.safetensors",
    "csvmodel_mut7.safetensors",
    "csvmodel_mut8.safetensors",
    "csvmodel_mut9.safetensors",
    "good.safetensors",
    "truncated.safetensors",
    "adir",
];
/// Output files of every kind: new, in a missing directory, a directory, a FIFO, a device,
/// links (to a file, a directory, in a loop, dangling), a read-only file, not UTF-8.
const OUTPUT: &[&str] = &[
    "p.csv",
    "missing_dir/p.csv",
    "adir",
    "fifo",
    "/dev/null",
    "nulldev",
    "link_file",
    "link_dir",
    "link_loop_a",
    "dangling",
    "ro_file",
    "p<FF>.csv",
    "x/..",
    "",
];
const POSITIVE: &[&str] = &[
    "0.01", "1", "255", "1e308", "0", "-1", "NaN", "inf", "-inf", "1e-320", "x",
];
const COUNT: &[&str] = &["1", "2", "0", "-1", "1.5", "x", "", "18446744073709551616"];
const FORMAT: &[&str] = &["text", "json", "xml", ""];
const ASSIGN: &[&str] = &[
    "x=1",
    "x=0.5,y=2",
    "x=-3",
    "w11=0.5",
    "x1=1,label=2",
    "x=NaN",
    "x=1e999",
    "x",
    "=1",
    "x=1,x=2",
    "",
];
const NAMES: &[&str] = &["x", "x,y", "y", "z", "w11,b2", "w11", "", "x y", "é", "u,v"];

const TRAIN: &[Opt] = &[
    ("--data", DATA),
    ("--pixel-max", POSITIVE),
    (
        "--hidden",
        &[
            "8",
            "4,4",
            "0",
            "",
            "64,0",
            "x",
            "-3",
            "2000000",
            "1000000,1000000",
        ],
    ),
    (
        "--activation",
        &[
            "relu",
            "tanh",
            "sigmoid",
            "leaky_relu",
            "leaky_relu(0.2)",
            "identity",
            "swish",
            "leaky_relu(x)",
            "",
        ],
    ),
    ("--epochs", COUNT),
    ("--batch-size", &["16", "64", "1000000", "0", "-5", "x"]),
    ("--optimizer", &["sgd", "adam", "adamw", "rmsprop", ""]),
    ("--lr", POSITIVE),
    ("--momentum", &["0.9", "0", "1", "-0.5", "NaN"]),
    ("--weight-decay", &["0", "0.1", "1e308", "-1", "NaN"]),
    ("--schedule", &["constant", "step", "cosine", "linear"]),
    ("--step-size", &["1", "3", "0", "x"]),
    ("--gamma", &["0.5", "2", "0", "NaN"]),
    ("--seed", &["0", "1", "18446744073709551615", "-1", "x"]),
    ("--dtype", &["f32", "f64", "f16"]),
    (
        "--out",
        &[
            "o",
            "afile",
            "adir/sub",
            "",
            "o/nested",
            "good.safetensors",
            "fifo",
            "link_dir",
            "o<FF>",
            "ro_file",
            "link_loop_a",
        ],
    ),
    (
        "--save",
        &[
            "m.safetensors",
            "adir",
            "afile/m",
            "o/m.safetensors",
            "",
            "fifo",
            "nulldev",
            "link_file",
            "link_dir",
            "link_loop_a",
            "dangling",
            "ro_file",
            "x/..",
            "adir/.",
            "m<FF>.safetensors",
            "o/curve.csv",
        ],
    ),
    ("--detect-anomaly", &[]),
    ("--data", CSV),
    ("--target", TARGET),
    ("--test", CSV),
    ("--split", &["0.2", "0.5", "0", "1", "1.5", "-0.1", "x"]),
    ("--task", &["classification", "regression", "auto", ""]),
    ("--early-stop", COUNT),
    ("--drop-missing", &[]),
];

const EVAL: &[Opt] = &[
    (
        "--model",
        &[
            "good.safetensors",
            "good64.safetensors",
            "tiny.safetensors",
            "truncated.safetensors",
            "huge.safetensors",
            "nometa.safetensors",
            "zero.safetensors",
            "m<FF>.safetensors",
            "fifo",
            "link_loop_a",
            "nope",
            "adir",
            "afile",
            "",
        ],
    ),
    ("--data", DATA),
    ("--pixel-max", POSITIVE),
    ("--batch-size", COUNT),
    ("--model", CSV_MODEL),
    ("--data", CSV),
    ("--drop-missing", &[]),
];

const PREDICT: &[Opt] = &[("--model", CSV_MODEL), ("--data", CSV), ("--out", OUTPUT)];

const CHECK: &[Opt] = &[
    ("--wrt", NAMES),
    (
        "--claim",
        &[
            "2*x",
            "1",
            "x^2",
            "cos(x)*exp(x) + sin(x)*exp(x)",
            "(",
            "",
            "-8*u + 12*v^2",
            "y",
        ],
    ),
    ("--order", &["1", "2", "3", "0", "11", "-1", "x"]),
    ("--of", &["y", "z", "nope", "J", ""]),
    ("--at", ASSIGN),
    ("--rtol", &["1e-9", "0", "NaN", "1", "-1"]),
    ("--atol", &["1e-9", "0", "-1", "inf"]),
    ("--format", FORMAT),
];

const TRACE: &[Opt] = &[
    ("--wrt", NAMES),
    ("--set", ASSIGN),
    ("--lr", POSITIVE),
    (
        "--layers",
        &[
            "2,2,1",
            "1,1",
            "3,2,1",
            "8,8,1",
            "0,1",
            "65,1",
            "2,2",
            "64,64,64,1",
            "",
            "2",
        ],
    ),
    ("--activation", &["sigmoid", "tanh", "relu", "softplus", "swish"]),
    ("--seed", &["0", "7", "-1", "x"]),
    ("--loss", &["J", "y", "nope"]),
    ("--format", FORMAT),
];

const GRAPH: &[Opt] = &[("--at", ASSIGN), ("--of", &["y", "z", "nope"])];

const LANG: &[&str] = &["en", "zh", "xx", ""];
const NOTES: &[Opt] = &[("--format", FORMAT), ("--lang", LANG)];

const SUBCOMMANDS: &[(&str, &[Opt], u8)] = &[
    // (name, options, how often the positional is given: out of 4)
    ("train", TRAIN, 0),
    ("train-csv", TRAIN, 0),
    ("eval", EVAL, 0),
    ("eval-csv", EVAL, 0),
    ("predict", PREDICT, 0),
    ("check", CHECK, 4),
    ("notes", NOTES, 0),
    ("trace", TRACE, 1),
    ("graph", GRAPH, 4),
];

/// Flags that belong to no subcommand.
const STRAY: &[&str] = &[
    "--bogus",
    "-x",
    "--epoch",
    "--help",
    "-h",
    "--version",
    "--",
    "-",
    "--lr=0.1",
];

#[derive(Clone, Debug)]
enum Piece {
    /// One of the subcommand's options (by index), with a value (by index), no value, or a
    /// random string as its value.
    Option(usize, Option<usize>, Option<String>),
    /// An option of another subcommand, or one that does not exist.
    Stray(usize, Option<usize>),
    /// A positional argument from `SYSTEMS`, or a random string.
    Positional(usize, Option<String>),
}

fn piece() -> impl Strategy<Value = Piece> {
    let text = "[ -~é∑]{0,12}";
    // Each list of values starts with (mostly) valid ones: favour those, so that many command
    // lines get past the parser and run.
    let value = prop_oneof![
        6 => (0..3usize).prop_map(Some),
        4 => any::<usize>().prop_map(Some),
        1 => Just(None),
    ];
    let random = prop_oneof![
        14 => Just(None),
        1 => proptest::string::string_regex(text).unwrap().prop_map(Some),
    ];
    prop_oneof![
        14 => (any::<usize>(), value, random).prop_map(|(o, v, s)| Piece::Option(o, v, s)),
        1 => (any::<usize>(), proptest::option::of(any::<usize>())).prop_map(|(o, v)| Piece::Stray(o, v)),
        1 => (any::<usize>(), proptest::option::of(proptest::string::string_regex(text).unwrap()))
            .prop_map(|(i, s)| Piece::Positional(i, s)),
    ]
}

/// A command line: a subcommand (or a stray word, or none), its positional argument or not,
/// usually its required options, and up to six pieces.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    (
        prop_oneof![30 => 0..SUBCOMMANDS.len(), 1 => Just(99usize), 1 => Just(100)],
        0..4u8,
        proptest::bool::weighted(0.7),
        // The first seven definitions are valid: favour them.
        prop_oneof![3 => 0..7usize, 1 => any::<usize>()],
        prop_oneof![
            2 => proptest::collection::vec(piece(), 0..3),
            1 => proptest::collection::vec(piece(), 3..7),
        ],
    )
        .prop_map(|(sub, positional, base, system, pieces)| {
            let mut args = Vec::new();
            let opts: &[Opt] = match sub {
                99 => {
                    args.push("fly".to_string());
                    TRAIN
                }
                100 => TRAIN, // no subcommand at all
                s => {
                    // `train-csv` and `eval-csv` are `train` and `eval` given a table.
                    args.push(SUBCOMMANDS[s].0.trim_end_matches("-csv").to_string());
                    if positional < SUBCOMMANDS[s].2 {
                        args.push(SYSTEMS[system % SYSTEMS.len()].to_string());
                    }
                    // Most lines give what the subcommand requires, so that they get further.
                    if base {
                        let required: &[&str] = match SUBCOMMANDS[s].0 {
                            "check" => &["--wrt", "x", "--claim", "2*x"],
                            "eval" => &["--model", "good.safetensors"],
                            "train-csv" => &["--data", "small.csv", "--target", "y", "--epochs", "2"],
                            "eval-csv" => &["--model", "csvmodel.safetensors", "--data", "small.csv"],
                            "predict" => &["--model", "csvmodel.safetensors", "--data", "rows.csv"],
                            _ => &[],
                        };
                        args.extend(required.iter().map(|a| a.to_string()));
                    }
                    SUBCOMMANDS[s].1
                }
            };
            for p in pieces {
                match p {
                    Piece::Option(o, v, s) => {
                        let (flag, values) = opts[o % opts.len()];
                        // Most options may be given once; repeating one is a usage error
                        // that would hide what comes after it, so mostly skip repeats.
                        let repeatable = ["--wrt", "--claim", "--at", "--set"].contains(&flag);
                        if !repeatable && args.iter().any(|a| a == flag) && o % 8 != 0 {
                            continue;
                        }
                        args.push(flag.to_string());
                        if values.is_empty() {
                            continue;
                        }
                        match (v, s) {
                            (_, Some(s)) => args.push(s),
                            (Some(v), None) => args.push(values[v % values.len()].to_string()),
                            (None, None) => {}
                        }
                    }
                    Piece::Stray(o, v) => {
                        let all: Vec<&str> = SUBCOMMANDS
                            .iter()
                            .flat_map(|s| s.1.iter().map(|o| o.0))
                            .chain(STRAY.iter().copied())
                            .collect();
                        args.push(all[o % all.len()].to_string());
                        if let Some(v) = v {
                            args.push(POSITIVE[v % POSITIVE.len()].to_string());
                        }
                    }
                    Piece::Positional(i, s) => {
                        args.push(s.unwrap_or_else(|| SYSTEMS[i % SYSTEMS.len()].to_string()))
                    }
                }
            }
            args
        })
}

#[test]
fn fuzz_command_lines() {
    let total = cases();
    let fixture_dir = scratch_dir();
    fixture(fixture_dir.path());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4) as u32;
    let codes: Arc<[AtomicUsize; 3]> =
        Arc::new([AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)]);
    // CHAINRULE_FUZZ_VERBOSE=1 prints every command line with its exit code.
    let verbose = std::env::var_os("CHAINRULE_FUZZ_VERBOSE").is_some();
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let root: PathBuf = fixture_dir.path().to_path_buf();
            let codes = codes.clone();
            let n = total / threads + u32::from(t < total % threads);
            std::thread::spawn(move || {
                // Each thread its own working directory (outputs are written there) holding
                // links to the shared fixture files, and its own seed.
                let cwd = root.join(format!("worker{t}"));
                std::fs::create_dir_all(&cwd).unwrap();
                for e in std::fs::read_dir(&root).unwrap() {
                    let e = e.unwrap();
                    let name = e.file_name();
                    if !name.to_string_lossy().starts_with("worker") {
                        #[cfg(unix)]
                        let _ = std::os::unix::fs::symlink(e.path(), cwd.join(&name));
                    }
                }
                let mut seed = [0u8; 32];
                seed[0] = t as u8;
                let mut runner = TestRunner::new_with_rng(
                    Config {
                        cases: n,
                        failure_persistence: None,
                        // Shrinking spawns many more processes; the failing command is shown.
                        max_shrink_iters: 64,
                        ..Config::default()
                    },
                    TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
                );
                runner.run(&command_line(), |args| {
                    let code = run_one(&args, &cwd, &root)
                        .map_err(|why| TestCaseError::fail(format!("chainrule {args:?}: {why}")))?;
                    codes[code as usize].fetch_add(1, Ordering::Relaxed);
                    if verbose {
                        println!("{code} {args:?}");
                    }
                    Ok(())
                })
            })
        })
        .collect();
    let mut failures = Vec::new();
    for h in handles {
        if let Err(e) = h.join().unwrap() {
            failures.push(e.to_string());
        }
    }
    println!(
        "command lines: {total} runs in {threads} threads, {:.1} s: exit 0: {}, exit 1: {}, exit 2: {}",
        start.elapsed().as_secs_f64(),
        codes[0].load(Ordering::Relaxed),
        codes[1].load(Ordering::Relaxed),
        codes[2].load(Ordering::Relaxed)
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // No output ever replaced what it must not: the FIFO, the device, the links, the mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let root = fixture_dir.path();
        let kind = |name: &str| std::fs::symlink_metadata(root.join(name)).map(|m| m.file_type());
        assert!(kind("fifo").unwrap().is_fifo());
        if let Ok(k) = kind("nulldev") {
            assert!(k.is_char_device());
        }
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        for link in ["link_file", "link_dir", "link_loop_a", "dangling"] {
            assert!(kind(link).unwrap().is_symlink(), "{link}");
        }
        let mode = std::fs::metadata(root.join("ro_file"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o400);
    }
}
