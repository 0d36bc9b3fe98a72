//! Memory: runs that cannot fit are refused with the estimate, runs that fit complete, `eval` of many classes.

use super::{assert_fails, assert_ok, limited, stderr, wide_checkpoint};

/// The estimate a refusal names, in bytes (`needs about 7.96 GiB`).
fn estimate_in(err: &str) -> f64 {
    let rest = err.split("needs about ").nth(1).expect("an estimate");
    let mut it = rest.split_whitespace();
    let x: f64 = it.next().unwrap().parse().unwrap();
    let unit = match it.next().unwrap() {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024f64.powi(4),
        u => panic!("unit {u}"),
    };
    x * unit
}

#[test]
fn runs_that_cannot_fit_are_refused_with_the_estimate_and_the_room() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let limit: u64 = 1 << 30;
    for hidden in ["16000,16000", "1048576", "8192,8192,8192", "4096,4096,4096,4096"] {
        for dtype in ["f32", "f64"] {
            let out = limited(
                d,
                limit,
                &["train", "--epochs", "1", "--hidden", hidden, "--dtype", dtype],
            );
            let err = stderr(&out);
            assert_fails(
                &out,
                1,
                &["needs about", "address-space limit (ulimit -v) leaves"],
                &format!("--hidden {hidden} {dtype}"),
            );
            assert!(estimate_in(&err) > limit as f64, "{err}");
            assert!(out.stdout.is_empty(), "refused before training");
        }
    }
    // A run under a limit of twice its estimate (plus what its threads reserve, as
    // `memory::THREAD_RESERVE` says) completes: the estimate bounds the run.
    // The matrix-multiplication threads and the progress bar's, 136 MiB each.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64) + 1;
    for hidden in ["512,512", "2048"] {
        let refused = limited(d, 40 << 20, &["train", "--epochs", "1", "--hidden", hidden]);
        let estimate = estimate_in(&stderr(&refused));
        let fits = limited(
            d,
            (2.0 * estimate) as u64 + (64 << 20) + threads * (136 << 20),
            &["train", "--epochs", "1", "--hidden", hidden, "--out", "fits"],
        );
        assert_ok(&fits, &format!("--hidden {hidden} under twice its estimate"));
    }
}

#[test]
fn eval_output_and_memory_stay_bounded_with_many_classes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for classes in [10, 20, 21, 1000, 30_000] {
        let model = d.join(format!("wide{classes}.safetensors"));
        wide_checkpoint(&model, classes);
        // 30,000 classes made a 900-million-cell matrix (5.9 GB); 1 GiB is plenty now.
        let out = limited(d, 1 << 30, &["eval", "--model", model.to_str().unwrap()]);
        assert_ok(&out, &format!("{classes} classes"));
        let text = String::from_utf8(out.stdout).unwrap();
        let lines = text.lines().count();
        if classes <= 20 {
            assert_eq!(lines, 4 + 2 + classes, "{text}");
        } else {
            assert!(
                lines <= 4 + 4 + 2 * 10,
                "{classes} classes: {lines} lines\n{text}"
            );
            assert!(text.contains(&format!("confusion matrix: {classes} classes, too many to print")));
        }
    }
}
