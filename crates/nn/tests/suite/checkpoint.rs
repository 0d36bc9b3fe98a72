//! Checkpoints: bit-exact round trips, byte-for-byte compatibility with PyTorch's safetensors
//! writer, every kind of mismatch, malformed files, and atomic saves.

use autograd::{Float, Tensor};
use nn::checkpoint::{self, CheckpointError, Metadata, Mismatch, MlpSpec};
use nn::{Activation, ParamStore};
use rand::{RngExt, SeedableRng};
use std::fs;
use std::path::Path;

fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A store with a matrix, a vector and a scalar, filled with awkward values.
fn store<T: Float>(seed: u64) -> ParamStore<T> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut ps = ParamStore::<T>::new();
    let mut w: Vec<T> = (0..12)
        .map(|_| T::from_f64(rng.random_range(-3.0..3.0)))
        .collect();
    // Values whose bits must survive: -0, a subnormal, the extremes, 1/3 (inexact in binary).
    w[0] = T::from_f64(-0.0);
    w[1] = T::min_positive_value() / T::from_f64(8.0);
    w[2] = T::max_value();
    w[3] = T::min_value();
    w[4] = T::one() / T::from_f64(3.0);
    ps.add("layers.0.weight", Tensor::from_vec(w, &[3, 4]).unwrap())
        .unwrap();
    ps.add(
        "layers.0.bias",
        Tensor::from_vec(
            vec![T::from_f64(0.1), T::from_f64(-0.2), T::from_f64(1e-30)],
            &[3],
        )
        .unwrap(),
    )
    .unwrap();
    ps.add("scale", Tensor::scalar(T::from_f64(std::f64::consts::PI)))
        .unwrap();
    ps
}

/// The same names and shapes as [`store`], all zeros.
fn zeros<T: Float>() -> ParamStore<T> {
    let mut ps = ParamStore::<T>::new();
    ps.add("layers.0.weight", Tensor::zeros(&[3, 4])).unwrap();
    ps.add("layers.0.bias", Tensor::zeros(&[3])).unwrap();
    ps.add("scale", Tensor::scalar(T::zero())).unwrap();
    ps
}

fn bits<T: Float>(ps: &ParamStore<T>) -> Vec<(String, Vec<usize>, Vec<u64>)> {
    ps.iter()
        .map(|(_, n, p)| {
            let b = p
                .value()
                .as_slice()
                .iter()
                .map(|&x| {
                    if std::mem::size_of::<T>() == 4 {
                        (x.as_f64() as f32).to_bits() as u64
                    } else {
                        x.as_f64().to_bits()
                    }
                })
                .collect();
            (n.to_string(), p.value().shape().to_vec(), b)
        })
        .collect()
}

fn round_trip<T: Float>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let ps = store::<T>(7);
    checkpoint::save(&ps, &path, &meta(&[("k", "v")])).unwrap();
    let mut back = zeros::<T>();
    back.set_frozen("scale", true).unwrap();
    checkpoint::load(&mut back, &path).unwrap();
    assert_eq!(bits(&back), bits(&ps), "every bit survives");
    assert!(
        back.iter().any(|(_, n, p)| n == "scale" && p.frozen()),
        "frozen flags are kept"
    );
    let header = checkpoint::read_header(&path).unwrap();
    let dtype = if std::mem::size_of::<T>() == 4 {
        "F32"
    } else {
        "F64"
    };
    let entries: Vec<(&str, &str, &[usize])> = header
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.dtype.as_str(), t.shape.as_slice()))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("layers.0.bias", dtype, &[3][..]),
            ("layers.0.weight", dtype, &[3, 4][..]),
            ("scale", dtype, &[][..])
        ]
    );
}

#[test]
fn f32_round_trip_is_bit_exact() {
    round_trip::<f32>();
}

#[test]
fn f64_round_trip_is_bit_exact() {
    round_trip::<f64>();
}

#[test]
fn metadata_round_trips_and_is_optional() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.safetensors"), dir.path().join("b.safetensors"));
    let m = meta(&[
        ("chainrule.sizes", "4,3"),
        ("note", "quotes \" and \\ and ünïcode\nnewline"),
        ("", ""),
    ]);
    checkpoint::save(&store::<f32>(1), &a, &m).unwrap();
    assert_eq!(checkpoint::read_metadata(&a).unwrap(), m);
    checkpoint::save(&store::<f32>(1), &b, &Metadata::new()).unwrap();
    assert!(checkpoint::read_metadata(&b).unwrap().is_empty());
}

#[test]
fn saving_is_deterministic() {
    let m = meta(&[
        ("z", "1"),
        ("a", "2"),
        ("m", "3"),
        ("chainrule.activations", "relu,identity"),
    ]);
    let first = checkpoint::to_bytes(&store::<f64>(3), &m).unwrap();
    for _ in 0..5 {
        assert_eq!(checkpoint::to_bytes(&store::<f64>(3), &m).unwrap(), first);
    }
}

/// Bytes written by PyTorch (`safetensors.torch.save`, safetensors 0.8, torch 2.x) for
/// `{"bias": [0.5, -0.25], "scale": 3.0, "weight": [[1, 2, 3], [-4, 1e-3, 6.5]]}` as float32
/// with metadata `{"chainrule.sizes": "3,2"}`, and the same tensors as float64 without
/// metadata. Our writer produces exactly these bytes, and reads them.
const TORCH_F32: &str = "e0000000000000007b225f5f6d657461646174615f5f223a7b22636861696e72756c652e73697a6573223a22332c32227d2c2262696173223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c385d7d2c227363616c65223a7b226474797065223a22463332222c227368617065223a5b5d2c22646174615f6f666673657473223a5b382c31325d7d2c22776569676874223a7b226474797065223a22463332222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b31322c33365d7d7d202020202020200000003f000080be000040400000803f0000004000004040000080c06f12833a0000d040";
const TORCH_F64: &str = "b8000000000000007b2262696173223a7b226474797065223a22463634222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c31365d7d2c227363616c65223a7b226474797065223a22463634222c227368617065223a5b5d2c22646174615f6f666673657473223a5b31362c32345d7d2c22776569676874223a7b226474797065223a22463634222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b32342c37325d7d7d202020202020000000000000e03f000000000000d0bf0000000000000840000000000000f03f0000000000000040000000000000084000000000000010c0000000e04d62503f0000000000001a40";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn torch_store<T: Float>() -> ParamStore<T> {
    let mut ps = ParamStore::<T>::new();
    let w = [1.0, 2.0, 3.0, -4.0, 1e-3f32 as f64, 6.5]
        .map(T::from_f64)
        .to_vec();
    ps.add("bias", Tensor::from(vec![T::from_f64(0.5), T::from_f64(-0.25)]))
        .unwrap();
    ps.add("scale", Tensor::scalar(T::from_f64(3.0))).unwrap();
    ps.add("weight", Tensor::from_vec(w, &[2, 3]).unwrap()).unwrap();
    ps
}

#[test]
fn bytes_match_pytorch_and_pytorch_files_load() {
    let f32_bytes = unhex(TORCH_F32);
    assert_eq!(
        checkpoint::to_bytes(&torch_store::<f32>(), &meta(&[("chainrule.sizes", "3,2")])).unwrap(),
        f32_bytes
    );
    let f64_bytes = unhex(TORCH_F64);
    assert_eq!(
        checkpoint::to_bytes(&torch_store::<f64>(), &Metadata::new()).unwrap(),
        f64_bytes
    );

    // Loading does not depend on the order of the store (PyTorch sorts by name).
    let mut ps = ParamStore::<f32>::new();
    ps.add("weight", Tensor::zeros(&[2, 3])).unwrap();
    ps.add("scale", Tensor::scalar(0.0)).unwrap();
    ps.add("bias", Tensor::zeros(&[2])).unwrap();
    checkpoint::load_bytes(&mut ps, &f32_bytes, "torch.safetensors").unwrap();
    assert_eq!(
        ps.value("weight").unwrap(),
        torch_store::<f32>().value("weight").unwrap()
    );
    assert_eq!(ps.value("scale").unwrap().item(), 3.0);
}

fn mismatches<T: Float>(ps: &mut ParamStore<T>, path: &Path) -> (Vec<Mismatch>, String) {
    let before = ps.clone();
    let err = checkpoint::load(ps, path).unwrap_err();
    assert_eq!(*ps, before, "a failed load changes nothing");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    match err {
        CheckpointError::Mismatch { mismatches, .. } => (mismatches, msg),
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

fn saved(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("model.safetensors");
    checkpoint::save(&store::<f32>(5), &path, &Metadata::new()).unwrap();
    path
}

#[test]
fn missing_tensor_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let mut ps = zeros::<f32>();
    ps.add("layers.1.weight", Tensor::zeros(&[2, 3])).unwrap();
    let (m, msg) = mismatches(&mut ps, &path);
    assert_eq!(
        m,
        vec![Mismatch::Missing {
            name: "layers.1.weight".into(),
            shape: vec![2, 3]
        }]
    );
    assert!(
        msg.contains("missing tensor layers.1.weight (the model expects shape [2, 3])"),
        "{msg}"
    );
}

#[test]
fn unexpected_tensor_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let mut ps = ParamStore::<f32>::new();
    ps.add("layers.0.weight", Tensor::zeros(&[3, 4])).unwrap();
    ps.add("layers.0.bias", Tensor::zeros(&[3])).unwrap();
    let (m, msg) = mismatches(&mut ps, &path);
    assert_eq!(
        m,
        vec![Mismatch::Unexpected {
            name: "scale".into(),
            shape: vec![]
        }]
    );
    assert!(
        msg.contains("unexpected tensor scale (shape []) is not a parameter of the model"),
        "{msg}"
    );
}

#[test]
fn shape_mismatch_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let mut ps = ParamStore::<f32>::new();
    ps.add("layers.0.weight", Tensor::zeros(&[4, 3])).unwrap();
    ps.add("layers.0.bias", Tensor::zeros(&[3])).unwrap();
    ps.add("scale", Tensor::zeros(&[1])).unwrap();
    let (m, msg) = mismatches(&mut ps, &path);
    assert_eq!(
        m,
        vec![
            Mismatch::Shape {
                name: "layers.0.weight".into(),
                expected: vec![4, 3],
                found: vec![3, 4]
            },
            Mismatch::Shape {
                name: "scale".into(),
                expected: vec![1],
                found: vec![]
            },
        ]
    );
    assert!(
        msg.contains("layers.0.weight has shape [3, 4] in the file, the model expects [4, 3]"),
        "{msg}"
    );
}

#[test]
fn dtype_mismatch_is_named_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path()); // f32
    let mut ps = zeros::<f64>();
    let (m, msg) = mismatches(&mut ps, &path);
    assert_eq!(m.len(), 3);
    assert_eq!(
        m[0],
        Mismatch::Dtype {
            name: "layers.0.weight".into(),
            expected: "F64".into(),
            found: "F32".into()
        }
    );
    assert!(
        msg.contains("layers.0.weight has dtype F32 in the file, the model expects F64"),
        "{msg}"
    );

    let path64 = dir.path().join("f64.safetensors");
    checkpoint::save(&store::<f64>(5), &path64, &Metadata::new()).unwrap();
    let (m, _) = mismatches(&mut zeros::<f32>(), &path64);
    assert!(m.iter().all(
        |m| matches!(m, Mismatch::Dtype { expected, found, .. } if expected == "F32" && found == "F64")
    ));
}

#[test]
fn non_float_dtype_is_a_mismatch() {
    // An I64 tensor named like a parameter (as PyTorch writes `num_batches_tracked`).
    let header = br#"{"scale":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&7i64.to_le_bytes());
    let mut ps = ParamStore::<f32>::new();
    ps.add("scale", Tensor::scalar(0.0)).unwrap();
    let err = checkpoint::load_bytes(&mut ps, &bytes, "int.safetensors").unwrap_err();
    assert!(
        err.to_string()
            .contains("scale has dtype I64 in the file, the model expects F32"),
        "{err}"
    );
}

#[test]
fn all_mismatches_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path());
    let mut ps = ParamStore::<f32>::new();
    ps.add("layers.0.weight", Tensor::zeros(&[3, 5])).unwrap();
    ps.add("extra", Tensor::zeros(&[2])).unwrap();
    let (m, _) = mismatches(&mut ps, &path);
    let names: Vec<&str> = m.iter().map(Mismatch::name).collect();
    assert_eq!(names, ["layers.0.weight", "extra", "layers.0.bias", "scale"]);
    assert!(matches!(m[0], Mismatch::Shape { .. }));
    assert!(matches!(m[1], Mismatch::Missing { .. }));
    assert!(matches!(m[2], Mismatch::Unexpected { .. }) && matches!(m[3], Mismatch::Unexpected { .. }));
}

fn assert_format_error(bytes: &[u8], what: &str) {
    let mut ps = zeros::<f32>();
    let before = ps.clone();
    match checkpoint::load_bytes(&mut ps, bytes, "bad.safetensors") {
        Err(CheckpointError::Format { .. }) => {}
        other => panic!("{what}: expected a format error, got {other:?}"),
    }
    assert_eq!(ps, before);
}

#[test]
fn truncated_files_are_errors() {
    let bytes = checkpoint::to_bytes(&store::<f32>(2), &meta(&[("a", "b")])).unwrap();
    for n in 0..bytes.len() {
        assert_format_error(&bytes[..n], &format!("the first {n} of {} bytes", bytes.len()));
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_format_error(&longer, "a trailing byte");
    // The same through the file system, and for the metadata reader.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.safetensors");
    fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let err = checkpoint::read_metadata(&path).unwrap_err();
    assert!(matches!(err, CheckpointError::Format { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("{} is not a valid safetensors file", path.display())),
        "{err}"
    );
}

#[test]
fn corrupted_and_random_files_are_errors_not_panics() {
    let good = checkpoint::to_bytes(&store::<f32>(2), &Metadata::new()).unwrap();
    let header_len = 8 + u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    // Every single-byte corruption of the header: an error or (rarely) a different valid file,
    // never a panic.
    for i in 0..header_len {
        for flip in [0x01u8, 0x20, 0x80, 0xff] {
            let mut b = good.clone();
            b[i] ^= flip;
            let mut ps = zeros::<f32>();
            let _ = checkpoint::load_bytes(&mut ps, &b, "flipped.safetensors");
        }
    }
    // Specific corruptions.
    let mut huge = good.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_format_error(&huge, "a header length of 2^64 - 1");
    let mut not_json = good.clone();
    not_json[8] = b'[';
    assert_format_error(&not_json, "a header that is not a JSON object");
    let bad_offsets = {
        let h = br#"{"scale":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}"#;
        let mut b = (h.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(h);
        b.extend_from_slice(&[0; 8]);
        b
    };
    assert_format_error(&bad_offsets, "offsets with a hole");
    let overflow = {
        let h =
            br#"{"scale":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#;
        let mut b = (h.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(h);
        b.extend_from_slice(&[0; 4]);
        b
    };
    assert_format_error(&overflow, "a shape whose size overflows");
    // Random bytes of many lengths, including ones with a plausible header length.
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    for len in (0..200).chain([1000, 4096]) {
        let mut b: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        assert_format_error(&b, &format!("{len} random bytes"));
        if len > 8 {
            b[..8].copy_from_slice(&((len as u64 - 8) / 2).to_le_bytes());
            assert_format_error(&b, &format!("{len} random bytes after a plausible length"));
        }
    }
}

#[test]
fn reading_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.safetensors");
    let err = checkpoint::load(&mut zeros::<f32>(), &missing).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {}", missing.display())),
        "{err}"
    );
    let err = checkpoint::load(&mut zeros::<f32>(), dir.path()).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "a directory: {err:?}");
    assert!(checkpoint::read_metadata(dir.path()).is_err());
}

fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn save_replaces_an_existing_file_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    fs::write(&path, b"old").unwrap();
    checkpoint::save(&store::<f32>(1), &path, &Metadata::new()).unwrap();
    let mut ps = zeros::<f32>();
    checkpoint::load(&mut ps, &path).unwrap();
    assert_eq!(bits(&ps), bits(&store::<f32>(1)));
    assert!(temp_files(dir.path()).is_empty());
    // A relative path with no directory part works too (the current directory is used).
    let cwd_file = format!("chainrule-checkpoint-test-{}.safetensors", std::process::id());
    checkpoint::save(&store::<f32>(1), &cwd_file, &Metadata::new()).unwrap();
    assert!(Path::new(&cwd_file).is_file());
    fs::remove_file(&cwd_file).unwrap();
}

#[test]
fn save_into_a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no").join("such").join("model.safetensors");
    let err = checkpoint::save(&store::<f32>(1), &path, &Metadata::new()).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&dir.path().join("no").join("such").display().to_string()),
        "{err}"
    );
    assert!(!dir.path().join("no").exists());
}

#[test]
fn a_failing_save_leaves_the_target_intact() {
    let dir = tempfile::tempdir().unwrap();
    // The target is a directory (with something in it): the rename fails.
    let target = dir.path().join("model.safetensors");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), b"keep").unwrap();
    let err = checkpoint::save(&store::<f32>(1), &target, &Metadata::new()).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains(&target.display().to_string()), "{err}");
    assert_eq!(fs::read(target.join("keep")).unwrap(), b"keep");
    assert!(temp_files(dir.path()).is_empty(), "the temporary file is removed");
    // The target's parent is a file: nothing can be created.
    let file = dir.path().join("plain");
    fs::write(&file, b"plain").unwrap();
    assert!(checkpoint::save(&store::<f32>(1), file.join("model.safetensors"), &Metadata::new()).is_err());
    assert_eq!(fs::read(&file).unwrap(), b"plain");
}

#[cfg(unix)]
#[test]
fn a_failing_save_in_a_read_only_directory_keeps_the_old_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    checkpoint::save(&store::<f32>(1), &path, &Metadata::new()).unwrap();
    let old = fs::read(&path).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permissions: then the save succeeds, and there is nothing to check.
    let probe = dir.path().join("probe");
    let root = fs::write(&probe, b"").is_ok();
    if !root {
        let err = checkpoint::save(&store::<f32>(2), &path, &Metadata::new()).unwrap_err();
        assert!(matches!(err, CheckpointError::Io { .. }), "{err:?}");
        assert_eq!(fs::read(&path).unwrap(), old, "the old file is untouched");
        assert!(temp_files(dir.path()).is_empty());
    }
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn mlp_spec_round_trips_through_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mlp.safetensors");
    let spec = MlpSpec::new(
        vec![4, 5, 3],
        vec![Activation::LeakyRelu(0.2), Activation::Identity],
    )
    .unwrap();
    let mut ps = ParamStore::<f32>::new();
    spec.build(&mut ps, "layers", 0).unwrap();
    let mut m = spec.to_metadata();
    m.insert("extra".into(), "kept".into());
    checkpoint::save(&ps, &path, &m).unwrap();

    let meta = checkpoint::read_metadata(&path).unwrap();
    let rebuilt = MlpSpec::from_metadata(&meta).unwrap();
    assert_eq!(rebuilt, spec);
    assert_eq!(rebuilt.to_string(), "4-5-3 (leaky_relu(0.2), identity)");
    let mut fresh = ParamStore::<f32>::new();
    rebuilt.build(&mut fresh, "layers", 1).unwrap();
    assert_ne!(fresh, ps);
    checkpoint::load(&mut fresh, &path).unwrap();
    assert_eq!(fresh, ps);
}

#[test]
fn bad_mlp_metadata_is_explained() {
    let cases = [
        (
            meta(&[("chainrule.activations", "relu")]),
            "no \"chainrule.sizes\" entry",
        ),
        (
            meta(&[("chainrule.sizes", "4,3")]),
            "no \"chainrule.activations\" entry",
        ),
        (
            meta(&[("chainrule.sizes", "4,x"), ("chainrule.activations", "relu")]),
            "\"x\" is not a layer size",
        ),
        (
            meta(&[("chainrule.sizes", "4,-3"), ("chainrule.activations", "relu")]),
            "\"-3\" is not a layer size",
        ),
        (
            meta(&[("chainrule.sizes", "4,3"), ("chainrule.activations", "swish")]),
            "unknown activation \"swish\"",
        ),
        (
            meta(&[("chainrule.sizes", "4,3,2"), ("chainrule.activations", "relu")]),
            "3 layer sizes need 2 activations, got 1",
        ),
        (
            meta(&[("chainrule.sizes", "4"), ("chainrule.activations", "")]),
            "at least 2 layer sizes",
        ),
        (
            meta(&[("chainrule.sizes", "4,0"), ("chainrule.activations", "relu")]),
            "must be positive",
        ),
    ];
    for (m, want) in cases {
        let err = MlpSpec::from_metadata(&m).unwrap_err().to_string();
        assert!(err.contains(want), "{m:?}: {err}");
    }
}
