//! Path arguments that are not UTF-8: every path option works with them.

use super::{assert_fails, assert_ok, digits_dir, quick, run};
use nn::checkpoint;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;

/// Names that are not UTF-8: a lone continuation byte, an invalid start, a truncated sequence,
/// an overlong encoding, a surrogate, 0xFF, mixed with valid text.
fn non_utf8_names() -> Vec<OsString> {
    [
        &b"o\xff"[..],
        b"\x80",
        b"caf\xc3",
        b"\xc0\xafx",
        b"\xed\xa0\x80d",
        b"m\xfe\xff.safetensors",
        b"\xe2\x82",
    ]
    .iter()
    .map(|b| OsString::from_vec(b.to_vec()))
    .collect()
}

#[test]
fn non_utf8_paths_work_for_every_path_option() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, name) in non_utf8_names().into_iter().enumerate() {
        // --out: the outputs land in the directory of that name.
        let out = run(d, &quick(&[OsStr::new("--out"), &name]));
        assert_ok(&out, &format!("--out {name:?}"));
        let model = d.join(&name).join("model.safetensors");
        let meta = checkpoint::read_metadata(&model).unwrap();
        assert!(meta["chainrule.command"].contains('\u{FFFD}'), "{meta:?}");
        assert!(d.join(&name).join("curve.svg").is_file());
        // --save: the model has that name.
        let mut file = name.clone();
        file.push(format!("-{i}.safetensors"));
        let out = run(
            d,
            &quick(&[OsStr::new("--out"), OsStr::new("o"), OsStr::new("--save"), &file]),
        );
        assert_ok(&out, &format!("--save {file:?}"));
        assert!(d.join(&file).is_file());
        // eval --model reads it.
        let out = run(d, &[OsStr::new("eval"), OsStr::new("--model"), &file]);
        assert_ok(&out, &format!("eval --model {file:?}"));
        // --data: a directory of that name holding the digits, and a missing one.
        let mut data = OsString::from("data-");
        data.push(&name);
        digits_dir(&d.join(&data));
        let out = run(
            d,
            &quick(&[OsStr::new("--out"), OsStr::new("o"), OsStr::new("--data"), &data]),
        );
        assert_ok(&out, &format!("--data {data:?}"));
        let out = run(
            d,
            &[
                OsStr::new("eval"),
                OsStr::new("--model"),
                &file,
                OsStr::new("--data"),
                &data,
            ],
        );
        assert_ok(&out, &format!("eval --data {data:?}"));
        let mut missing = OsString::from("missing-");
        missing.push(&name);
        let out = run(d, &quick(&[OsStr::new("--data"), &missing]));
        assert_fails(&out, 2, &["does not exist", "\u{FFFD}"], "missing --data");
    }
}
