//! Feature standardisation as scikit-learn's `StandardScaler`: `(x - mean) / scale` per column,
//! fitted on the training rows only and stored in a checkpoint's metadata so evaluation and
//! prediction apply exactly the same transform.

use crate::checkpoint::Metadata;
use autograd::{Float, Tensor};

/// What can go wrong fitting, applying or loading a [`StandardScaler`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScalerError {
    /// The data is not a matrix `[rows, columns]`, has no rows, or has the wrong width.
    #[error("standard scaler: {0}")]
    Shape(String),
    /// The metadata lacks a key or holds a malformed value.
    #[error("standard scaler: metadata key {key:?}: {message}")]
    Metadata {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Per-column mean and scale (population standard deviation, as scikit-learn), in `f64`.
/// A constant column (standard deviation 0) gets scale 1: it is centred but not scaled, and is
/// listed in [`StandardScaler::constant`].
#[derive(Clone, Debug, PartialEq)]
pub struct StandardScaler {
    /// The column means.
    pub mean: Vec<f64>,
    /// The column scales (standard deviation, or 1 for a constant column).
    pub scale: Vec<f64>,
    /// The columns that were constant in the training rows (centred, left unscaled).
    pub constant: Vec<usize>,
}

/// The mean and population standard deviation of `n` finite values, two passes in `f64`. Where
/// the plain sums overflow (values near `f64::MAX`) they are taken again on the values divided
/// by the largest magnitude, so both stay finite; otherwise the plain sums are kept, bit for bit.
fn mean_sd(values: impl Iterator<Item = f64> + Clone, n: usize) -> (f64, f64) {
    let plain = |scale: f64| {
        let mean = values.clone().map(|a| a / scale).sum::<f64>() / n as f64;
        let var = values.clone().map(|a| (a / scale - mean).powi(2)).sum::<f64>() / n as f64;
        (mean * scale, var.sqrt() * scale)
    };
    let (mean, sd) = plain(1.0);
    if mean.is_finite() && sd.is_finite() {
        return (mean, sd);
    }
    let largest = values.clone().fold(0.0f64, |m, a| m.max(a.abs()));
    plain(largest)
}

impl StandardScaler {
    /// Fits on `x` `[rows, columns]` (the training rows only). Errors on a non-matrix or on 0
    /// rows. Two-pass mean and variance in `f64`, so large offsets do not cancel.
    ///
    /// ```
    /// use chainrule::nn::data::StandardScaler;
    /// let x = chainrule::Tensor::from_vec(vec![1.0f64, 5.0, 3.0, 5.0], &[2, 2]).unwrap();
    /// let s = StandardScaler::fit(&x).unwrap();
    /// assert_eq!((s.mean.clone(), s.scale.clone()), (vec![2.0, 5.0], vec![1.0, 1.0]));
    /// assert_eq!(s.constant, vec![1]);
    /// assert_eq!(s.transform(&x).unwrap().as_slice(), &[-1.0, 0.0, 1.0, 0.0]);
    /// ```
    pub fn fit<T: Float>(x: &Tensor<T>) -> Result<Self, ScalerError> {
        if x.ndim() != 2 || x.shape()[0] == 0 {
            return Err(ScalerError::Shape(format!(
                "fit needs a matrix [rows >= 1, columns], got shape {:?}",
                x.shape()
            )));
        }
        let (n, f) = (x.shape()[0], x.shape()[1]);
        let v = x.as_slice();
        let column = |j: usize| v.iter().skip(j).step_by(f.max(1)).take(n).map(|a| a.as_f64());
        let (mean, sd): (Vec<f64>, Vec<f64>) = (0..f).map(|j| mean_sd(column(j), n)).unzip();
        Ok(Self {
            scale: sd.iter().map(|&s| if s > 0.0 { s } else { 1.0 }).collect(),
            constant: (0..f).filter(|&i| sd[i] == 0.0).collect(),
            mean,
        })
    }

    /// The number of columns.
    pub fn columns(&self) -> usize {
        self.mean.len()
    }

    fn check<T: Float>(&self, x: &Tensor<T>, what: &str) -> Result<(), ScalerError> {
        if x.ndim() != 2 || x.shape()[1] != self.columns() {
            return Err(ScalerError::Shape(format!(
                "{what} needs [rows, {}], got shape {:?}",
                self.columns(),
                x.shape()
            )));
        }
        Ok(())
    }

    fn apply<T: Float>(&self, x: &Tensor<T>, f: impl Fn(f64, f64, f64) -> f64) -> Tensor<T> {
        let c = self.columns().max(1);
        let data = x
            .as_slice()
            .iter()
            .enumerate()
            .map(|(i, a)| T::from_f64(f(a.as_f64(), self.mean[i % c], self.scale[i % c])))
            .collect();
        Tensor::from_vec(data, x.shape()).expect("same shape")
    }

    /// `(x - mean) / scale` per column (as `x / scale - mean / scale` where `x - mean` would
    /// overflow, so values near `f64::MAX` of both signs stay finite).
    pub fn transform<T: Float>(&self, x: &Tensor<T>) -> Result<Tensor<T>, ScalerError> {
        self.check(x, "transform")?;
        Ok(self.apply(x, |a, m, s| {
            let d = a - m;
            if d.is_finite() {
                d / s
            } else {
                a / s - m / s
            }
        }))
    }

    /// `x * scale + mean` per column: back to the original units.
    ///
    /// ```
    /// use chainrule::nn::data::StandardScaler;
    /// let y = chainrule::Tensor::from_vec(vec![10.0f64, 20.0, 30.0], &[3, 1]).unwrap();
    /// let s = StandardScaler::fit(&y).unwrap();
    /// let z = s.transform(&y).unwrap();
    /// assert_eq!(s.inverse_transform(&z).unwrap().as_slice(), &[10.0, 20.0, 30.0]);
    /// ```
    pub fn inverse_transform<T: Float>(&self, x: &Tensor<T>) -> Result<Tensor<T>, ScalerError> {
        self.check(x, "inverse_transform")?;
        Ok(self.apply(x, |a, m, s| a * s + m))
    }

    /// Writes `{prefix}.mean`, `{prefix}.scale` (`[a,b,...]` with each `f64` in
    /// its shortest exact form, so it round-trips bit for bit) and `{prefix}.constant` (column indices) into a checkpoint's metadata.
    ///
    /// ```
    /// use chainrule::nn::data::StandardScaler;
    /// let s = StandardScaler { mean: vec![0.1, -3.0], scale: vec![2.5, 1.0], constant: vec![1] };
    /// let mut meta = chainrule::nn::checkpoint::Metadata::new();
    /// s.to_metadata(&mut meta, "features");
    /// assert_eq!(meta["features.scale"], "[2.5,1.0]");
    /// assert_eq!(StandardScaler::from_metadata(&meta, "features").unwrap(), s);
    /// ```
    pub fn to_metadata(&self, meta: &mut Metadata, prefix: &str) {
        // Rust's `{:?}` is the shortest text that parses back to the same bits (serde_json's
        // default float parser is not exact).
        let json = |v: &[f64]| {
            format!(
                "[{}]",
                v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(",")
            )
        };
        meta.insert(format!("{prefix}.mean"), json(&self.mean));
        meta.insert(format!("{prefix}.scale"), json(&self.scale));
        let constant = serde_json::to_string(&self.constant).expect("integers serialise");
        meta.insert(format!("{prefix}.constant"), constant);
    }

    /// Reads what [`StandardScaler::to_metadata`] wrote. Errors name the key: missing, not a
    /// list of numbers, lengths that differ, or a scale that is not finite and positive.
    pub fn from_metadata(meta: &Metadata, prefix: &str) -> Result<Self, ScalerError> {
        let read = |name: &str| -> Result<Vec<f64>, ScalerError> {
            let key = format!("{prefix}.{name}");
            let err = |message: String| ScalerError::Metadata {
                key: key.clone(),
                message,
            };
            let text = meta.get(&key).ok_or_else(|| err("missing".into()))?;
            let inner = text
                .trim()
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .ok_or_else(|| err(format!("{text:?} is not a list of numbers [a,b,...]")))?;
            let v: Vec<f64> = if inner.trim().is_empty() {
                Vec::new()
            } else {
                inner
                    .split(',')
                    .map(|x| {
                        x.trim()
                            .parse::<f64>()
                            .map_err(|_| err(format!("{x:?} is not a number")))
                    })
                    .collect::<Result<_, _>>()?
            };
            if let Some(bad) = v
                .iter()
                .find(|x| !x.is_finite() || (name == "scale" && **x <= 0.0))
            {
                return Err(err(format!(
                    "{bad} is not a finite{} number",
                    if name == "scale" { ", positive" } else { "" }
                )));
            }
            Ok(v)
        };
        let (mean, scale) = (read("mean")?, read("scale")?);
        if mean.len() != scale.len() {
            return Err(ScalerError::Metadata {
                key: format!("{prefix}.scale"),
                message: format!("{} scales for {} means", scale.len(), mean.len()),
            });
        }
        let key = format!("{prefix}.constant");
        let constant: Vec<usize> = match meta.get(&key) {
            Some(text) => serde_json::from_str(text).map_err(|e| ScalerError::Metadata {
                key: key.clone(),
                message: format!("not a list of column indices: {e}"),
            })?,
            None => Vec::new(),
        };
        if let Some(c) = constant.iter().find(|&&c| c >= mean.len()) {
            return Err(ScalerError::Metadata {
                key,
                message: format!("column {c} is out of range for {} columns", mean.len()),
            });
        }
        Ok(Self {
            mean,
            scale,
            constant,
        })
    }
}
