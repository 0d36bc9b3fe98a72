//! Any [`Sequential`] in a checkpoint: its modules' descriptions in the metadata (versioned),
//! and the model rebuilt from them; checkpoints of the older MLP description still load.

use super::{format, CheckpointError, Metadata, MlpSpec, ACTIVATIONS_KEY, SIZES_KEY};
use crate::activation::Activation;
use crate::layers::LayerError;
use crate::module::{ModuleSpec, ModuleSpecError};
use crate::param::ParamStore;
use crate::sequential::{BoxedModule, Sequential, SequentialBuilder};
use autograd::Float;
use serde_json::{json, Value};
use std::path::Path;

/// The metadata key of a [`Sequential`]'s description: JSON
/// `{"version": 1, "prefix": "", "modules": [{"type": "Linear", "args": [["in_features", "3"], ...]}, ...]}`.
pub const SEQUENTIAL_KEY: &str = "chainrule.sequential";

/// The version of the description written under [`SEQUENTIAL_KEY`].
pub const SEQUENTIAL_VERSION: u64 = 1;

/// Why a model cannot be rebuilt from a checkpoint's metadata.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RebuildError {
    /// Neither a [`SEQUENTIAL_KEY`] entry nor the older MLP keys.
    #[error("the metadata has no {SEQUENTIAL_KEY:?} entry (nor {SIZES_KEY:?} and {ACTIVATIONS_KEY:?}), so the model cannot be rebuilt")]
    Missing,
    /// The older MLP keys are there but wrong.
    #[error(transparent)]
    Mlp(#[from] super::SpecError),
    /// The description is not the JSON this version writes.
    #[error("{SEQUENTIAL_KEY}: {0}")]
    Malformed(String),
    /// A description of a later version.
    #[error("{SEQUENTIAL_KEY}: version {0} is newer than this chainrule reads ({SEQUENTIAL_VERSION})")]
    Version(u64),
    /// A module's description is wrong or of an unknown type.
    #[error("{SEQUENTIAL_KEY}: module {index}: {source}")]
    Module {
        /// The module's position.
        index: usize,
        /// What is wrong.
        source: ModuleSpecError,
    },
    /// Building the model failed (a name taken in the store, a probability out of range).
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// A module takes another width than the module before it gives.
    #[error("{SEQUENTIAL_KEY}: module {index} ({kind}) takes {takes} features but module {} gives {gives}", .index - 1)]
    Width {
        /// The module's position (at least 1).
        index: usize,
        /// Its type.
        kind: String,
        /// The width it takes.
        takes: usize,
        /// The width the module before it gives.
        gives: usize,
    },
    /// The description declares more parameters than the file could hold (checked before
    /// anything is allocated for them).
    #[error("the model described has at least {elements} parameters ({bytes} bytes of {dtype}), more than the file's {file_len} bytes could hold")]
    TooBig {
        /// The parameters the description implies (a lower bound, saturating).
        elements: u128,
        /// Their size in bytes.
        bytes: u128,
        /// The element type asked for.
        dtype: &'static str,
        /// The file's length.
        file_len: u64,
    },
}

/// A [`Sequential`]'s description as checkpoint metadata (one key, [`SEQUENTIAL_KEY`]),
/// with the name prefix its builder was given.
///
/// ```
/// use chainrule::nn::{checkpoint, ParamStore, Sequential};
/// let mut ps = ParamStore::<f64>::new();
/// let model = Sequential::builder(&mut ps, 0).linear(2, 3).relu().build().unwrap();
/// let meta = checkpoint::sequential_metadata(&model);
/// assert_eq!(
///     meta["chainrule.sequential"],
///     r#"{"modules":[{"args":[["in_features","2"],["out_features","3"],["bias","true"]],"type":"Linear"},{"args":[],"type":"ReLU"}],"prefix":"","version":1}"#
/// );
/// ```
pub fn sequential_metadata<T: Float>(model: &Sequential<T>) -> Metadata {
    let prefix = model.prefix();
    let modules: Vec<Value> = model
        .specs()
        .iter()
        .map(|s| json!({ "type": s.kind(), "args": s.args() }))
        .collect();
    let text = json!({ "version": SEQUENTIAL_VERSION, "prefix": prefix, "modules": modules }).to_string();
    Metadata::from([(SEQUENTIAL_KEY.to_string(), text)])
}

/// The module descriptions and the prefix stored under [`SEQUENTIAL_KEY`].
fn parse(text: &str) -> Result<(String, Vec<ModuleSpec>), RebuildError> {
    let bad = |m: &str| RebuildError::Malformed(m.to_string());
    let v: Value = serde_json::from_str(text).map_err(|e| RebuildError::Malformed(e.to_string()))?;
    let version = v["version"].as_u64().ok_or_else(|| bad("no version number"))?;
    if version > SEQUENTIAL_VERSION {
        return Err(RebuildError::Version(version));
    }
    let prefix = v["prefix"].as_str().ok_or_else(|| bad("no prefix"))?.to_string();
    let modules = v["modules"].as_array().ok_or_else(|| bad("no module list"))?;
    let specs = modules
        .iter()
        .map(|m| {
            let kind = m["type"].as_str().ok_or_else(|| bad("a module without a type"))?;
            let args = m["args"]
                .as_array()
                .ok_or_else(|| bad("a module without arguments"))?;
            args.iter().try_fold(ModuleSpec::new(kind), |spec, a| {
                match a.as_array().map(Vec::as_slice) {
                    Some([Value::String(k), Value::String(v)]) => Ok(spec.with(k.as_str(), v)),
                    _ => Err(bad("an argument that is not a [name, value] pair of strings")),
                }
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((prefix, specs))
}

/// Checks that the built-in modules' widths chain (a `Linear` taking what the module before
/// it gives) and returns a lower bound on the parameters they hold, saturating; module types
/// that are not built in are skipped (their width is unknown).
fn check_widths(specs: &[ModuleSpec]) -> Result<u128, RebuildError> {
    let mut width: Option<usize> = None;
    let mut elements: u128 = 0;
    for (index, spec) in specs.iter().enumerate() {
        let get = |k: &str| {
            spec.get::<usize>(k)
                .map_err(|source| RebuildError::Module { index, source })
        };
        let (takes, gives, held) = match spec.kind() {
            "Linear" | "Dense" => {
                let (i, o) = (get("in_features")?, get("out_features")?);
                (Some(i), Some(o), (i as u128) * (o as u128))
            }
            "LayerNorm" => {
                let n = get("normalized_shape")?;
                (Some(n), Some(n), 2 * n as u128)
            }
            "BatchNorm1d" => {
                let n = get("num_features")?;
                (Some(n), Some(n), 4 * n as u128)
            }
            "ReLU" | "Sigmoid" | "Tanh" | "Identity" | "SiLU" | "Softmax" | "LeakyReLU" | "Dropout" => {
                (None, width, 0)
            }
            _ => (None, None, 0),
        };
        if let (Some(takes), Some(gives)) = (takes, width)
            && takes != gives
        {
            return Err(RebuildError::Width {
                index,
                kind: spec.kind().to_string(),
                takes,
                gives,
            });
        }
        width = gives;
        elements = elements.saturating_add(held);
    }
    Ok(elements)
}

/// Appends the module `spec` describes: a built-in one, or what `resolve` makes of it.
fn append_spec<'a, T: Float>(
    b: SequentialBuilder<'a, T>,
    spec: &ModuleSpec,
    resolve: &mut Resolver<'_, T>,
) -> Result<SequentialBuilder<'a, T>, ModuleSpecError> {
    let features = |k: &str| spec.get::<usize>(k);
    // A float argument must be finite and in range: a NaN epsilon or slope from a file would
    // load and then turn every output into NaN.
    let real = |k: &str, ok: fn(f64) -> bool| {
        let v = spec.get::<f64>(k)?;
        if v.is_finite() && ok(v) {
            Ok(v)
        } else {
            Err(ModuleSpecError::Invalid {
                kind: spec.kind().to_string(),
                key: k.to_string(),
                value: v.to_string(),
            })
        }
    };
    // An epsilon of 0 divides by 0 on a constant feature (a column that dropout zeroed).
    let positive: fn(f64) -> bool = |v| v > 0.0;
    Ok(match spec.kind() {
        "Linear" => b.linear_bias(
            features("in_features")?,
            features("out_features")?,
            spec.get("bias")?,
        ),
        "Dense" => b.dense(
            features("in_features")?,
            features("out_features")?,
            spec.get::<Activation>("activation")?,
        ),
        "LayerNorm" => {
            let (n, eps) = (features("normalized_shape")?, real("eps", positive)?);
            b.append_with(move |ps, name, _| crate::LayerNorm::with_eps(ps, name, n, eps))
        }
        "BatchNorm1d" => {
            let (n, eps, m) = (
                features("num_features")?,
                real("eps", positive)?,
                real("momentum", |m| (0.0..=1.0).contains(&m))?,
            );
            b.append_with(move |ps, name, _| crate::BatchNorm1d::with_options(ps, name, n, eps, m))
        }
        "Dropout" => {
            let (p, seed) = (spec.get("p")?, spec.get("seed")?);
            b.append_with(move |_, _, _| crate::Dropout::new(p, seed))
        }
        "ReLU" => b.relu(),
        "Sigmoid" => b.sigmoid(),
        "Tanh" => b.tanh(),
        "Identity" => b.identity(),
        "SiLU" => b.silu(),
        "Softmax" => b.softmax(),
        "LeakyReLU" => b.leaky_relu(real("negative_slope", |_| true)?),
        kind => b
            .append_resolved(|ps, name, seed| resolve(spec, ps, name, seed))
            .ok_or_else(|| ModuleSpecError::Unknown(kind.to_string()))?,
    })
}

/// A resolver for module types that are not built in: given a module's description, the
/// store, its name prefix (`"3"`) and a seed, it builds the module, or returns `None` if the
/// type is not one it knows.
pub type Resolver<'r, T> =
    dyn FnMut(&ModuleSpec, &mut ParamStore<T>, &str, u64) -> Option<Result<BoxedModule<T>, LayerError>> + 'r;

/// Rebuilds a model from checkpoint metadata into `ps`, with fresh parameters drawn from
/// `seed` ([`load`](super::load) then fills them from the file): the [`SEQUENTIAL_KEY`]
/// description, or failing that a checkpoint of the older MLP keys (`chainrule.sizes`,
/// `chainrule.activations`), rebuilt as its `Sequential` of [`Dense`](crate::Dense) layers
/// named `layers.0`, `layers.1`, ... Modules of types that are not built in are an error.
///
/// ```
/// use chainrule::nn::{checkpoint, ParamStore, Sequential};
/// let mut ps = ParamStore::<f64>::new();
/// let model = Sequential::builder(&mut ps, 0).linear(2, 3).batch_norm1d(3).build().unwrap();
/// let mut fresh = ParamStore::<f64>::new();
/// let again = checkpoint::rebuild(&checkpoint::sequential_metadata(&model), &mut fresh, 1).unwrap();
/// assert_eq!(format!("{again:?}"), format!("{model:?}"));
/// assert_eq!(fresh.len(), ps.len());
/// ```
pub fn rebuild<T: Float>(
    meta: &Metadata,
    ps: &mut ParamStore<T>,
    seed: u64,
) -> Result<Sequential<T>, RebuildError> {
    rebuild_with(meta, ps, seed, &mut |_, _, _, _| None)
}

/// [`rebuild`], asking `resolve` for the modules that are not built in (modules written
/// outside the crate); see `examples/10_residual.rs`.
pub fn rebuild_with<T: Float>(
    meta: &Metadata,
    ps: &mut ParamStore<T>,
    seed: u64,
    resolve: &mut Resolver<'_, T>,
) -> Result<Sequential<T>, RebuildError> {
    rebuild_within(meta, ps, seed, resolve, None)
}

/// [`rebuild_with`], refusing a description whose parameters could not fit in `file_len`
/// bytes before allocating them (a few hundred bytes of metadata can declare terabytes).
fn rebuild_within<T: Float>(
    meta: &Metadata,
    ps: &mut ParamStore<T>,
    seed: u64,
    resolve: &mut Resolver<'_, T>,
    file_len: Option<u64>,
) -> Result<Sequential<T>, RebuildError> {
    let fits = |elements: u128| {
        let bytes = elements.saturating_mul(std::mem::size_of::<T>() as u128);
        match file_len {
            Some(file_len) if bytes > u128::from(file_len) => Err(RebuildError::TooBig {
                elements,
                bytes,
                dtype: T::NAME,
                file_len,
            }),
            _ => Ok(()),
        }
    };
    let Some(text) = meta.get(SEQUENTIAL_KEY) else {
        if !meta.contains_key(SIZES_KEY) && !meta.contains_key(ACTIVATIONS_KEY) {
            return Err(RebuildError::Missing);
        }
        let spec = MlpSpec::from_metadata(meta)?;
        fits(spec.num_params().map_or(u128::MAX, |n| n as u128))?;
        return Ok(spec.build(ps, "layers", seed)?);
    };
    let (prefix, specs) = parse(text)?;
    fits(check_widths(&specs)?)?;
    let mut b = Sequential::builder(ps, seed).prefix(&prefix);
    for (index, spec) in specs.iter().enumerate() {
        b = append_spec(b, spec, resolve).map_err(|source| RebuildError::Module { index, source })?;
    }
    Ok(b.build()?)
}

/// Saves a model's parameters and buffers with its description (and `extra` metadata, which
/// must not use [`SEQUENTIAL_KEY`]), atomically, as [`save`](super::save) does.
///
/// ```
/// use chainrule::nn::{checkpoint, ParamStore, Sequential};
/// let path = std::env::temp_dir().join(format!("chainrule-seq-{}.safetensors", std::process::id()));
/// let mut ps = ParamStore::<f64>::new();
/// let model = Sequential::builder(&mut ps, 0).linear(2, 3).layer_norm(3).tanh().build().unwrap();
/// checkpoint::save_sequential(&model, &ps, &path, &Default::default()).unwrap();
/// let (again, loaded) = checkpoint::load_sequential::<f64>(&path).unwrap();
/// assert_eq!((format!("{again:?}"), loaded), (format!("{model:?}"), ps));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_sequential<T: Float>(
    model: &Sequential<T>,
    ps: &ParamStore<T>,
    path: impl AsRef<Path>,
    extra: &Metadata,
) -> Result<(), CheckpointError> {
    let mut meta = extra.clone();
    meta.extend(sequential_metadata(model));
    format::save(ps, path, &meta)
}

/// Loads a model saved by [`save_sequential`] (or an older MLP checkpoint): rebuilt from the
/// metadata, then every parameter and buffer read from the file, checked as
/// [`load`](super::load) checks them.
pub fn load_sequential<T: Float>(
    path: impl AsRef<Path>,
) -> Result<(Sequential<T>, ParamStore<T>), CheckpointError> {
    load_sequential_with(path, &mut |_, _, _, _| None)
}

/// [`load_sequential`], asking `resolve` for the modules that are not built in.
pub fn load_sequential_with<T: Float>(
    path: impl AsRef<Path>,
    resolve: &mut Resolver<'_, T>,
) -> Result<(Sequential<T>, ParamStore<T>), CheckpointError> {
    let path = path.as_ref();
    let meta = format::read_metadata(path)?;
    let file_len = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut ps = ParamStore::new();
    let model = rebuild_within(&meta, &mut ps, 0, resolve, Some(file_len)).map_err(|e| {
        CheckpointError::Metadata {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    })?;
    format::load(&mut ps, path)?;
    Ok((model, ps))
}
