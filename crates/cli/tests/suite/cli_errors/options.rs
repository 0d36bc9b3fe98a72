//! Unknown options, surplus arguments, missing values, arguments that are not UTF-8, and help and version.

use super::{fails_with, required, run, text, usage, VALUED};
#[cfg(unix)]
use std::ffi::OsStr;

#[test]
fn unknown_options_and_surplus_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for &(cmd, _) in VALUED {
        let mut args = vec![cmd];
        args.extend(required(cmd));
        for (extra, want) in [
            (&["--bogus"][..], "unexpected argument '--bogus'"),
            (&["--bogus=3"], "unexpected argument '--bogus'"),
            (&["-x"], "unexpected argument '-x'"),
            (&["--"], ""),
        ] {
            let mut a = args.clone();
            a.extend(extra);
            if extra == ["--"] {
                // `--` alone is harmless; it ends the options.
                continue;
            }
            usage(&a, dir.path(), want);
        }
    }
    // Surplus positional arguments where none (or one) is taken.
    usage(&["train", "surplus"], dir.path(), "unexpected argument 'surplus'");
    usage(&["notes", "surplus"], dir.path(), "unexpected argument 'surplus'");
    usage(
        &["eval", "--model", "m", "surplus"],
        dir.path(),
        "unexpected argument 'surplus'",
    );
    usage(
        &["graph", "y = x", "z = x"],
        dir.path(),
        "unexpected argument 'z = x'",
    );
    // Near misses get a suggestion.
    usage(
        &["train", "--epoch", "3"],
        dir.path(),
        "tip: a similar argument exists: '--epochs'",
    );
    usage(
        &["train", "--learning-rate", "0.1"],
        dir.path(),
        "unexpected argument",
    );
    usage(&["fly"], dir.path(), "unrecognized subcommand 'fly'");
    usage(
        &["trian"],
        dir.path(),
        "tip: some similar subcommands exist: 'trace', 'train'",
    );
    // No subcommand: the help, on stderr, with exit code 2.
    let out = run::<&str>(&[], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage: chainrule [OPTIONS] <COMMAND>"));
    assert!(!dir.path().join("runs").exists(), "nothing was written");
}

#[test]
fn a_missing_value_is_a_usage_error_for_every_option() {
    let dir = tempfile::tempdir().unwrap();
    for &(cmd, options) in VALUED {
        for &opt in options {
            // At the end of the line, and followed by another option.
            // The required arguments without `opt` and its value, then `opt` last.
            let mut args = vec![cmd];
            let req = required(cmd);
            let mut i = 0;
            while i < req.len() {
                if req[i] == opt {
                    i += 2;
                } else {
                    args.push(req[i]);
                    i += 1;
                }
            }
            args.push(opt);
            usage(&args, dir.path(), &format!("a value is required for '{opt}"));
            if cmd == "train" {
                let next = if opt == "--seed" { "--epochs" } else { "--seed" };
                usage(
                    &[cmd, opt, next, "1"],
                    dir.path(),
                    &format!("a value is required for '{opt}"),
                );
            }
        }
    }
    usage(
        &["eval"],
        dir.path(),
        "required arguments were not provided: --model",
    );
    usage(
        &["check"],
        dir.path(),
        "required arguments were not provided: <SYSTEM>",
    );
    usage(
        &["graph"],
        dir.path(),
        "required arguments were not provided: <SYSTEM>",
    );
    usage(
        &["train", "--epochs", "1", "--epochs", "2"],
        dir.path(),
        "cannot be used multiple times",
    );
    assert!(!dir.path().join("runs").exists(), "nothing was written");
}

#[cfg(unix)]
#[test]
fn arguments_that_are_not_utf8_are_usage_errors() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let bad = OsStr::from_bytes(b"\xff\xfe1");
    for args in [
        vec![OsStr::new("train"), OsStr::new("--epochs"), bad],
        vec![OsStr::new("check"), bad, OsStr::new("--wrt"), OsStr::new("x")],
        vec![OsStr::new("trace"), OsStr::new("--set"), bad],
    ] {
        fails_with(&args, dir.path(), 2, "invalid UTF-8");
    }
    // Values checked against a list just do not match it.
    fails_with(
        &[OsStr::new("notes"), OsStr::new("--format"), bad],
        dir.path(),
        2,
        "possible values: text, json",
    );
    fails_with(&[bad], dir.path(), 2, "unrecognized subcommand");
}

#[test]
fn help_and_version_are_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["--version"], &["-V"], &["-h"]] {
        let out = run(args, dir.path());
        assert!(out.status.success(), "{args:?}");
    }
    for &(cmd, _) in VALUED {
        let out = run(&[cmd, "--help"], dir.path());
        assert!(out.status.success(), "{cmd} --help");
        assert!(text(&out.stdout).contains("Usage: chainrule"), "{cmd}");
    }
}
