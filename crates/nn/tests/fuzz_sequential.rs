//! Fuzzing checkpoints of `Sequential` models (issue 10): files written as
//! `checkpoint::save_sequential` writes them, from models of every built-in module kind
//! (Linear, Dense, the activations, Dropout, LayerNorm, BatchNorm1d), with the
//! `chainrule.sequential` description mutated (numbers set to 0, huge, negative or fractional;
//! module types unknown; fields missing or duplicated; modules dropped, repeated or swapped;
//! the version and prefix changed) and, in half the cases, the tensors rebuilt to match the
//! mutated description; then loaded by `checkpoint::load_sequential` in f64 and f32.
//!
//! Every case must end in an error naming the file on one line, or a model that runs forward
//! (in evaluation and training mode) to finite outputs of the expected batch size; never a
//! panic; and no single allocation larger than 16 bytes per file byte plus 64 KiB (a counting
//! allocator, as in `fuzz_checkpoint.rs`): a description declaring huge layers over a small
//! file allocates nothing for them.
//!
//! 256 cases per property by default; `CHAINRULE_FUZZ_CASES` for the long run (see
//! `docs/reliability.md`).

use autograd::{Float, Tape, Tensor};
use nn::checkpoint::{self, SEQUENTIAL_KEY};
use nn::{Activation, Module, ParamStore, Sequential};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

mod common;
use common::{count_loaded, fuzz, largest_allocation, scratch_dir};

#[global_allocator]
static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;

/// Base models: every module kind, in three arrangements.
fn base_model<T: Float>(which: u8, ps: &mut ParamStore<T>) -> Sequential<T> {
    let b = Sequential::builder(ps, 3);
    match which {
        0 => b
            .linear(3, 5)
            .batch_norm1d(5)
            .relu()
            .dropout(0.25)
            .dense(5, 4, Activation::LeakyRelu(0.2))
            .layer_norm(4)
            .silu()
            .linear_bias(4, 2, false)
            .tanh()
            .leaky_relu(0.05)
            .sigmoid()
            .identity()
            .softmax(),
        1 => b.linear(2, 3).layer_norm(3).tanh().linear(3, 1),
        _ => b.prefix("net").batch_norm1d(4).dropout(0.5).linear(4, 2).relu(),
    }
    .build()
    .unwrap()
}

/// Argument values a hostile description holds (the description stores every value as a
/// string).
fn arg_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..8u64).prop_map(|v| v.to_string()),
        Just("4294967296".to_string()),
        Just("100000".to_string()),
        Just("9223372036854775808".to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-1".to_string()),
        Just("1.5".to_string()),
        Just("0.999999".to_string()),
        Just("1e3".to_string()),
        Just("1e400".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-0".to_string()),
        Just(String::new()),
        Just("true".to_string()),
        Just("relu".to_string()),
        Just("leaky_relu(1e308)".to_string()),
    ]
}

fn module_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Conv2d".to_string()),
        Just(String::new()),
        Just("linear".to_string()),
        Just("Linear".to_string()),
        Just("Dense".to_string()),
        Just("LayerNorm".to_string()),
        Just("BatchNorm1d".to_string()),
        Just("Dropout".to_string()),
        Just("LeakyReLU".to_string()),
        Just("ReLU".to_string()),
        Just("Softmax".to_string()),
    ]
}

/// JSON values for the description's top-level fields.
fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(2)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!("1")),
        Just(json!("")),
        Just(json!("net")),
        Just(json!("a.b")),
        Just(json!("\n")),
        Just(json!(null)),
        Just(json!([])),
        Just(json!({})),
        Just(json!([["in_features", "3"]])),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Set the (wrapped) argument of a (wrapped) module.
    Arg(usize, usize, String),
    /// Set a module's type.
    Type(usize, String),
    /// Remove an argument.
    DropArg(usize, usize),
    /// Append an argument pair (perhaps a second one of the same name).
    AddArg(usize, String, String),
    /// Remove a module.
    DropModule(usize),
    /// Repeat a module.
    RepeatModule(usize),
    /// Swap two modules.
    SwapModules(usize, usize),
    /// Set a top-level field (`version`, `prefix`, `modules`) or a module's `type`/`args`.
    Field(u8, Option<usize>, Value),
    /// Remove a top-level field or a module's field.
    DropField(u8, Option<usize>),
    /// Insert a character into the JSON text.
    Text(usize, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>;
    prop_oneof![
        6 => (at(), at(), arg_value()).prop_map(|(m, a, v)| Mutation::Arg(m, a, v)),
        2 => (at(), module_type()).prop_map(|(m, t)| Mutation::Type(m, t)),
        1 => (at(), at()).prop_map(|(m, a)| Mutation::DropArg(m, a)),
        2 => (at(), prop_oneof![Just("in_features"), Just("p"), Just("eps"), Just("bias"), Just("x")], arg_value())
            .prop_map(|(m, k, v)| Mutation::AddArg(m, k.to_string(), v)),
        1 => at().prop_map(Mutation::DropModule),
        1 => at().prop_map(Mutation::RepeatModule),
        1 => (at(), at()).prop_map(|(a, b)| Mutation::SwapModules(a, b)),
        2 => (0..5u8, proptest::option::of(at()), json_value()).prop_map(|(f, m, v)| Mutation::Field(f, m, v)),
        1 => (0..5u8, proptest::option::of(at())).prop_map(|(f, m)| Mutation::DropField(f, m)),
        1 => (at(), prop_oneof![Just('"'), Just(','), Just('['), Just('}'), Just('1'), Just('\u{0}')])
            .prop_map(|(i, c)| Mutation::Text(i, c)),
    ]
}

/// The (wrapped) module `i` of a description.
fn module(v: &mut Value, i: usize) -> Option<&mut Value> {
    let list = v.get_mut("modules")?.as_array_mut()?;
    let n = list.len();
    if n == 0 {
        return None;
    }
    list.get_mut(i % n)
}

/// The argument list of the (wrapped) module `i`.
fn args(v: &mut Value, i: usize) -> Option<&mut Vec<Value>> {
    module(v, i)?.get_mut("args")?.as_array_mut()
}

/// Applies `m` to the description's JSON text.
fn apply(text: &str, m: &Mutation) -> String {
    let mut v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return text.to_string(),
    };
    let modules = |v: &mut Value| v.get_mut("modules").and_then(Value::as_array_mut).cloned();
    const FIELDS: [&str; 5] = ["version", "prefix", "modules", "type", "args"];
    match m {
        Mutation::Arg(i, a, value) => {
            if let Some(list) = args(&mut v, *i)
                && !list.is_empty()
            {
                let n = list.len();
                if let Some(pair) = list[a % n].as_array_mut()
                    && pair.len() == 2
                {
                    pair[1] = json!(value);
                }
            }
        }
        Mutation::Type(i, t) => {
            if let Some(Value::Object(o)) = module(&mut v, *i) {
                o.insert("type".into(), json!(t));
            }
        }
        Mutation::DropArg(i, a) => {
            if let Some(list) = args(&mut v, *i)
                && !list.is_empty()
            {
                let n = list.len();
                list.remove(a % n);
            }
        }
        Mutation::AddArg(i, k, value) => {
            if let Some(list) = args(&mut v, *i) {
                list.push(json!([k, value]));
            }
        }
        Mutation::DropModule(i) | Mutation::RepeatModule(i) | Mutation::SwapModules(i, _) => {
            if let Some(mut list) = modules(&mut v)
                && !list.is_empty()
            {
                let n = list.len();
                match m {
                    Mutation::DropModule(_) => {
                        list.remove(i % n);
                    }
                    Mutation::RepeatModule(_) => list.insert(i % n, list[i % n].clone()),
                    Mutation::SwapModules(_, j) => list.swap(i % n, j % n),
                    _ => unreachable!(),
                }
                v["modules"] = Value::Array(list);
            }
        }
        Mutation::Field(f, at, value) => {
            let key = FIELDS[*f as usize];
            let target = match at {
                Some(i) if *f >= 3 => module(&mut v, *i),
                _ => Some(&mut v),
            };
            if let Some(Value::Object(o)) = target {
                o.insert(key.into(), value.clone());
            }
        }
        Mutation::DropField(f, at) => {
            let key = FIELDS[*f as usize];
            let target = match at {
                Some(i) if *f >= 3 => module(&mut v, *i),
                _ => Some(&mut v),
            };
            if let Some(Value::Object(o)) = target {
                o.remove(key);
            }
        }
        Mutation::Text(i, c) => {
            let mut s = v.to_string();
            let mut at = i % (s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            s.insert(at, *c);
            return s;
        }
    }
    v.to_string()
}

/// Whether a description holds numbers whose arithmetic may overflow (1e308 in a slope).
fn text_has_extremes(text: &str) -> bool {
    text.contains("e308") || text.contains("1e3") || text.contains("100000") || text.contains("4294967296")
}

/// The width the model takes: its first module's input width (3 for a model of activations).
fn input_width<T: Float>(model: &Sequential<T>) -> usize {
    for spec in model.specs() {
        for key in ["in_features", "normalized_shape", "num_features"] {
            if let Ok(n) = spec.get::<usize>(key) {
                return n;
            }
        }
    }
    3
}

/// Loads `path` as `T`: an error naming the file on one line, or a model that runs forward.
fn load<T: Float>(path: &Path, file_len: usize, meta_text: &str) -> Result<bool, TestCaseError> {
    let (r, largest) = largest_allocation(|| checkpoint::load_sequential::<T>(path));
    prop_assert!(
        largest <= 16 * file_len + (64 << 10),
        "an allocation of {} bytes for a file of {} bytes",
        largest,
        file_len
    );
    match r {
        Ok((model, ps)) => {
            let width = input_width(&model);
            prop_assert!(width <= 1 << 16, "a loaded model takes {} features", width);
            let x = Tensor::from_vec(
                (0..2 * width)
                    .map(|i| T::from_f64((i as f64 * 0.7).sin()))
                    .collect(),
                &[2, width],
            )
            .unwrap();
            for train in [false, true] {
                let tape = Tape::new();
                let bound = if train {
                    ps.bind(&tape)
                } else {
                    ps.bind_eval(&tape)
                };
                let y = model.forward(&bound, tape.constant(x.clone())).value();
                prop_assert_eq!(y.shape()[0], 2);
                // Finite unless a module's own numbers are extreme (a slope of 1e308 may
                // overflow in the next layer): a NaN from a NaN epsilon is not that.
                if !text_has_extremes(meta_text) {
                    prop_assert!(y.as_slice().iter().all(|v| v.is_finite()), "{:?}", y.as_slice());
                }
            }
            Ok(true)
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.starts_with(&format!("{}", path.display())), "{}", msg);
            prop_assert!(!msg.contains('\n'), "{}", msg);
            Ok(false)
        }
    }
}

/// Whether every width in a description is at most 64 (so that the test can build it).
fn small(text: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return true;
    };
    let Some(modules) = v["modules"].as_array() else {
        return true;
    };
    modules.len() <= 64
        && modules.iter().all(|m| {
            m["args"].as_array().is_none_or(|args| {
                args.iter().all(|a| {
                    let key = a[0].as_str().unwrap_or("");
                    let numeric =
                        ["in_features", "out_features", "normalized_shape", "num_features"].contains(&key);
                    !numeric
                        || a[1]
                            .as_str()
                            .and_then(|v| v.parse::<u64>().ok())
                            .is_none_or(|n| n <= 64)
                })
            })
        })
}

#[test]
fn fuzz_mutated_descriptions() {
    let dir = scratch_dir();
    let path = dir.path().join("seq.safetensors");
    let strategy = (
        0..3u8,
        proptest::collection::vec(mutation(), 1..4),
        any::<bool>(),
        any::<bool>(),
    );
    fuzz(
        "mutated descriptions",
        "loaded and ran",
        strategy,
        |(which, mutations, rebuild, f32_file)| {
            // The file as save_sequential writes it, in f32 or f64, with an extra key.
            let mut ps32 = ParamStore::<f32>::new();
            let mut ps64 = ParamStore::<f64>::new();
            let mut meta = if f32_file {
                checkpoint::sequential_metadata(&base_model(which, &mut ps32))
            } else {
                checkpoint::sequential_metadata(&base_model(which, &mut ps64))
            };
            meta.insert("note".into(), "kept".into());
            let mut text = meta[SEQUENTIAL_KEY].clone();
            for m in &mutations {
                text = apply(&text, m);
            }
            meta.insert(SEQUENTIAL_KEY.into(), text);
            // Half the cases give the mutated description tensors of its own (where it is
            // small enough to build here), so that loading gets past the shape checks.
            let mut fresh = ParamStore::<f64>::new();
            let bytes = if rebuild
                && small(&meta[SEQUENTIAL_KEY])
                && checkpoint::rebuild(&meta, &mut fresh, 5).is_ok()
            {
                checkpoint::to_bytes(&fresh, &meta).unwrap()
            } else if f32_file {
                checkpoint::to_bytes(&ps32, &meta).unwrap()
            } else {
                checkpoint::to_bytes(&ps64, &meta).unwrap()
            };
            std::fs::write(&path, &bytes).unwrap();
            let text = &meta[SEQUENTIAL_KEY];
            let a = load::<f64>(&path, bytes.len(), text)?;
            let b = load::<f32>(&path, bytes.len(), text)?;
            if a || b {
                count_loaded();
            }
            Ok(())
        },
    );
}

#[test]
fn non_finite_or_out_of_range_float_arguments_are_refused_by_name() {
    // Found by this suite: an epsilon, momentum or slope of NaN (or inf, or a negative
    // epsilon) in the description loaded, and the model then answered NaN for every input.
    let dir = scratch_dir();
    let path = dir.path().join("nan.safetensors");
    let cases = [
        (2u8, 0usize, "eps", "NaN"),
        (2, 0, "eps", "inf"),
        (2, 0, "eps", "-0.5"),
        // Found by the 20,000-case run: an epsilon of 0 (here "-0") with a column that
        // dropout zeroed in training mode gave 0 / 0.
        (2, 0, "eps", "-0"),
        (1, 1, "eps", "0"),
        (2, 0, "momentum", "NaN"),
        (2, 0, "momentum", "1.5"),
        (1, 1, "eps", "NaN"),
        (0, 9, "negative_slope", "NaN"),
        (0, 9, "negative_slope", "-inf"),
    ];
    for (which, index, key, value) in cases {
        let mut ps = ParamStore::<f64>::new();
        let model = base_model(which, &mut ps);
        let mut meta = checkpoint::sequential_metadata(&model);
        let mut v: Value = serde_json::from_str(&meta[SEQUENTIAL_KEY]).unwrap();
        let arg = v["modules"][index]["args"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|a| a[0] == key)
            .unwrap();
        arg[1] = json!(value);
        meta.insert(SEQUENTIAL_KEY.into(), v.to_string());
        std::fs::write(&path, checkpoint::to_bytes(&ps, &meta).unwrap()).unwrap();
        let kind = v["modules"][index]["type"].as_str().unwrap();
        let shown = value.parse::<f64>().unwrap();
        let err = checkpoint::load_sequential::<f64>(&path).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: chainrule.sequential: module {index}: {kind}: argument {key}={:?} is not valid",
                path.display(),
                shown.to_string()
            )
        );
    }
}

#[test]
fn widths_that_do_not_chain_and_layers_bigger_than_the_file_are_refused_before_building() {
    // Found by this suite: a description whose layers do not chain (Linear(3, 5) then
    // LayerNorm(4)), with tensors of its own, loaded and then panicked in forward; and a
    // description of huge layers over a small file was built (allocated) before its tensors
    // were checked.
    let dir = scratch_dir();
    let path = dir.path().join("w.safetensors");
    let write = |text: &str, ps: &ParamStore<f64>| {
        let meta = [(SEQUENTIAL_KEY.to_string(), text.to_string())]
            .into_iter()
            .collect();
        std::fs::write(&path, checkpoint::to_bytes(ps, &meta).unwrap()).unwrap();
    };
    let linear = |i: usize, o: usize| json!({"type": "Linear", "args": [["in_features", i.to_string()], ["out_features", o.to_string()], ["bias", "true"]]});
    let norm = |n: usize| json!({"type": "LayerNorm", "args": [["normalized_shape", n.to_string()], ["eps", "0.00001"]]});
    let text =
        json!({"version": 1, "prefix": "", "modules": [linear(3, 5), {"type": "ReLU", "args": []}, norm(4)]})
            .to_string();
    let mut ps = ParamStore::<f64>::new();
    let model = Sequential::builder(&mut ps, 0)
        .linear(3, 5)
        .relu()
        .layer_norm(4)
        .build()
        .unwrap();
    assert_eq!(checkpoint::sequential_metadata(&model)[SEQUENTIAL_KEY], text);
    let meta = checkpoint::sequential_metadata(&model);
    assert!(checkpoint::rebuild::<f64>(&meta, &mut ParamStore::new(), 0).is_err());
    write(&text, &ps);
    let err = checkpoint::load_sequential::<f64>(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: chainrule.sequential: module 2 (LayerNorm) takes 4 features but module 1 gives 5",
            path.display()
        )
    );
    for (i, o) in [(100_000, 100_000), (1 << 32, 1 << 32), (usize::MAX, 2)] {
        let text = json!({"version": 1, "prefix": "", "modules": [linear(i, o)]}).to_string();
        write(&text, &ParamStore::new());
        let len = std::fs::metadata(&path).unwrap().len();
        let (r, largest) = largest_allocation(|| checkpoint::load_sequential::<f32>(&path));
        let err = r.unwrap_err().to_string();
        let elements = i as u128 * o as u128;
        assert_eq!(
            err,
            format!(
                "{}: the model described has at least {elements} parameters ({} bytes of float32), more than the file's {len} bytes could hold",
                path.display(),
                elements * 4
            )
        );
        assert!(largest < 64 << 10, "{largest}");
    }
}
