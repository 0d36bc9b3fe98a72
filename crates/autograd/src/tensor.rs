//! [`Tensor`]: an owned n-d array, row-major. The values a tape records and the gradients it
//! returns are tensors.

use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::shape::{numel, strides, Shape};
use rand::SeedableRng;
use rand_distr::Distribution;
use std::fmt;

/// An n-dimensional array of `f32` or `f64`, stored contiguously in row-major order.
///
/// ```
/// use chainrule::Tensor;
/// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t[[1, 2]], 6.0);
/// assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<T = f64> {
    shape: Shape,
    data: Vec<T>,
}

impl<T: Float> Tensor<T> {
    /// A tensor from a flat row-major buffer; errors if `data.len()` is not the shape's size.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert!(Tensor::from_vec(vec![1.0f32, 2.0], &[3]).is_err());
    /// ```
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Result<Self> {
        let expected = numel(shape);
        if data.len() != expected {
            return Err(Error::ElementCount {
                op: "from_vec",
                shape: shape.into(),
                expected,
                got: data.len(),
            });
        }
        Ok(Self {
            shape: shape.into(),
            data,
        })
    }

    /// A rank-0 tensor holding one value.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// let s = Tensor::scalar(2.5);
    /// assert_eq!(s.shape(), &[] as &[usize]);
    /// assert_eq!(s.item(), 2.5);
    /// ```
    pub fn scalar(value: T) -> Self {
        Self {
            shape: Shape::new(),
            data: vec![value],
        }
    }

    /// A tensor of the given shape filled with `value`.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert_eq!(Tensor::full(&[2], 7.0).to_vec(), vec![7.0, 7.0]);
    /// ```
    pub fn full(shape: &[usize], value: T) -> Self {
        Self {
            shape: shape.into(),
            data: vec![value; numel(shape)],
        }
    }

    /// Zeros of the given shape.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert_eq!(Tensor::<f64>::zeros(&[2, 2]).sum(), 0.0);
    /// ```
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::zero())
    }

    /// Ones of the given shape.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert_eq!(Tensor::<f32>::ones(&[2, 3]).sum(), 6.0);
    /// ```
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::one())
    }

    /// `start, start + step, ...` up to but excluding `end`, as a 1-D tensor (like `torch.arange`).
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert_eq!(Tensor::arange(0.0, 1.0, 0.25).to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    /// ```
    pub fn arange(start: T, end: T, step: T) -> Self {
        let n = if step == T::zero() {
            0
        } else {
            ((end - start) / step)
                .ceil()
                .max(T::zero())
                .to_usize()
                .unwrap_or(0)
        };
        let data: Vec<T> = (0..n).map(|i| start + T::from_f64(i as f64) * step).collect();
        Self {
            shape: smallvec::smallvec![n],
            data,
        }
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive (like `torch.linspace`).
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert_eq!(Tensor::linspace(0.0, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: T, end: T, steps: usize) -> Self {
        let data: Vec<T> = match steps {
            0 => vec![],
            1 => vec![start],
            _ => {
                let step = (end - start) / T::from_f64((steps - 1) as f64);
                (0..steps)
                    .map(|i| {
                        if i == steps - 1 {
                            end
                        } else {
                            start + T::from_f64(i as f64) * step
                        }
                    })
                    .collect()
            }
        };
        Self {
            shape: smallvec::smallvec![steps],
            data,
        }
    }

    /// The `n x n` identity matrix.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert_eq!(Tensor::<f64>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize) -> Self {
        let mut t = Self::zeros(&[n, n]);
        for i in 0..n {
            t.data[i * n + i] = T::one();
        }
        t
    }

    /// Samples uniform on `[low, high)` from a generator seeded with `seed` (reproducible).
    ///
    /// # Panics
    /// If `low >= high` or a bound is not finite.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// let a = Tensor::<f64>::rand_uniform(&[100], -1.0, 1.0, 7);
    /// assert_eq!(a, Tensor::rand_uniform(&[100], -1.0, 1.0, 7));
    /// assert!(a.to_vec().iter().all(|&x| (-1.0..1.0).contains(&x)));
    /// ```
    pub fn rand_uniform(shape: &[usize], low: T, high: T, seed: u64) -> Self {
        let (lo, hi) = (low.as_f64(), high.as_f64());
        let dist = rand_distr::Uniform::new(lo, hi).expect("finite bounds with low < high");
        Self::sampled(shape, dist, seed)
    }

    /// Samples a normal distribution `N(mean, std^2)` from a generator seeded with `seed`.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// let a = Tensor::<f64>::rand_normal(&[10_000], 0.0, 2.0, 1);
    /// let mean = a.sum() / 10_000.0;
    /// assert!(mean.abs() < 0.1);
    /// ```
    pub fn rand_normal(shape: &[usize], mean: T, std: T, seed: u64) -> Self {
        let dist =
            rand_distr::Normal::new(mean.as_f64(), std.as_f64().abs()).expect("a finite standard deviation");
        Self::sampled(shape, dist, seed)
    }

    /// A tensor of `shape` drawn from `dist` by a generator seeded with `seed`.
    fn sampled(shape: &[usize], dist: impl Distribution<f64>, seed: u64) -> Self {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let data = (0..numel(shape))
            .map(|_| T::from_f64(dist.sample(&mut rng)))
            .collect();
        Self {
            shape: shape.into(),
            data,
        }
    }

    /// The shape, outermost axis first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The rank (number of axes).
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements in row-major order.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// A copy of the elements in row-major order.
    pub fn to_vec(&self) -> Vec<T> {
        self.data.clone()
    }

    /// The elements, consuming the tensor.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// The single value of a one-element tensor.
    ///
    /// # Panics
    /// If the tensor does not hold exactly one element.
    #[track_caller]
    pub fn item(&self) -> T {
        match self.try_item() {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// The single value of a one-element tensor, or an error naming its shape.
    pub fn try_item(&self) -> Result<T> {
        if self.data.len() == 1 {
            Ok(self.data[0])
        } else {
            Err(Error::NotScalar {
                op: "item",
                shape: self.shape.clone(),
            })
        }
    }

    /// The element at a multi-index, or `None` if the index is out of range or of the wrong rank.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// let t = Tensor::<f64>::eye(3);
    /// assert_eq!(t.get(&[1, 1]), Some(1.0));
    /// assert_eq!(t.get(&[3, 0]), None);
    /// ```
    pub fn get(&self, index: &[usize]) -> Option<T> {
        self.offset(index).map(|o| self.data[o])
    }

    fn offset(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() || index.iter().zip(&self.shape).any(|(i, d)| i >= d) {
            return None;
        }
        Some(index.iter().zip(strides(&self.shape)).map(|(i, s)| i * s).sum())
    }

    /// The same elements under another shape with as many elements.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// let t = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]).unwrap();
    /// assert_eq!(t[[1, 0]], 3.0);
    /// ```
    pub fn reshape(self, shape: &[usize]) -> Result<Self> {
        if numel(shape) != self.data.len() {
            return Err(Error::ElementCount {
                op: "reshape",
                shape: shape.into(),
                expected: numel(shape),
                got: self.data.len(),
            });
        }
        Ok(Self {
            shape: shape.into(),
            data: self.data,
        })
    }

    /// Applies `f` to every element.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// assert_eq!(Tensor::full(&[2], 3.0).map(|x| x * x).to_vec(), vec![9.0, 9.0]);
    /// ```
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        Self {
            shape: self.shape.clone(),
            data: self.data.iter().map(|&x| f(x)).collect(),
        }
    }

    /// Combines two tensors of the same shape element by element.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// let a = Tensor::full(&[2], 3.0);
    /// let b = Tensor::full(&[2], 4.0);
    /// assert_eq!(a.zip_map(&b, |x, y| x * y).unwrap().to_vec(), vec![12.0, 12.0]);
    /// ```
    pub fn zip_map(&self, other: &Self, f: impl Fn(T, T) -> T) -> Result<Self> {
        if self.shape != other.shape {
            return Err(Error::ShapeMismatch {
                op: "zip_map",
                lhs: self.shape.clone(),
                rhs: other.shape.clone(),
                expected: "equal shapes".into(),
            });
        }
        Ok(Self {
            shape: self.shape.clone(),
            data: self
                .data
                .iter()
                .zip(&other.data)
                .map(|(&x, &y)| f(x, y))
                .collect(),
        })
    }

    /// The sum of all elements.
    pub fn sum(&self) -> T {
        self.data.iter().fold(T::zero(), |a, &b| a + b)
    }

    /// Converts every element to another float type.
    ///
    /// ```
    /// # use chainrule::Tensor;
    /// let t: Tensor<f32> = Tensor::<f64>::full(&[1], 0.5).cast();
    /// assert_eq!(t.item(), 0.5f32);
    /// ```
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor {
            shape: self.shape.clone(),
            data: self.data.iter().map(|&x| U::from_f64(x.as_f64())).collect(),
        }
    }

    /// The largest absolute difference between two tensors of the same shape
    /// (`None` if the shapes differ). NaN anywhere gives NaN.
    pub fn max_abs_diff(&self, other: &Self) -> Option<T> {
        if self.shape != other.shape {
            return None;
        }
        Some(self.data.iter().zip(&other.data).fold(T::zero(), |m, (&a, &b)| {
            let d = (a - b).abs();
            if d > m || d.is_nan() {
                d
            } else {
                m
            }
        }))
    }

    pub(crate) fn from_parts(shape: Shape, data: Vec<T>) -> Self {
        debug_assert_eq!(numel(&shape), data.len());
        Self { shape, data }
    }
}

impl<T: Float, const N: usize> std::ops::Index<[usize; N]> for Tensor<T> {
    type Output = T;
    #[track_caller]
    fn index(&self, index: [usize; N]) -> &T {
        match self.offset(&index) {
            Some(o) => &self.data[o],
            None => panic!(
                "index {index:?} is out of range for shape {:?}",
                self.shape.as_slice()
            ),
        }
    }
}

impl<T: Float> From<T> for Tensor<T> {
    fn from(value: T) -> Self {
        Self::scalar(value)
    }
}

impl<T: Float> From<Vec<T>> for Tensor<T> {
    fn from(data: Vec<T>) -> Self {
        Self {
            shape: smallvec::smallvec![data.len()],
            data,
        }
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Prints like PyTorch: `tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]], dtype=float64)`.
/// Four decimals, aligned columns; scientific notation when magnitudes call for it.
impl<T: Float> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finite: Vec<f64> = self
            .data
            .iter()
            .map(|x| x.as_f64())
            .filter(|x| x.is_finite())
            .collect();
        let max = finite.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let min_nz = finite
            .iter()
            .filter(|x| **x != 0.0)
            .fold(f64::INFINITY, |m, x| m.min(x.abs()));
        let sci = max >= 1e8 || (min_nz < 1e-4 && min_nz.is_finite());
        let cells: Vec<String> = self
            .data
            .iter()
            .map(|x| {
                let x = x.as_f64();
                if x.is_nan() {
                    "nan".into()
                } else if x.is_infinite() {
                    if x > 0.0 {
                        "inf".into()
                    } else {
                        "-inf".into()
                    }
                } else if sci {
                    format!("{x:.4e}")
                } else {
                    format!("{x:.4}")
                }
            })
            .collect();
        let width = cells.iter().map(|c| c.len()).max().unwrap_or(0);
        write!(f, "tensor(")?;
        if self.shape.is_empty() {
            write!(f, "{}", cells[0])?;
        } else {
            // Non-recursive nested printing: open brackets as an odometer rolls over.
            let rank = self.shape.len();
            let n = self.data.len();
            if n == 0 {
                write!(f, "{}{}", "[".repeat(rank), "]".repeat(rank))?;
            }
            let st = strides(&self.shape);
            for (i, cell) in cells.iter().enumerate() {
                let opened = st.iter().filter(|&&s| i % s == 0).count();
                if i > 0 {
                    let closed = st.iter().filter(|&&s| i % s == 0).count();
                    write!(f, ",")?;
                    if closed > 1 {
                        write!(f, "{}", "\n".repeat(closed - 1))?;
                        write!(f, "{}", " ".repeat(8 + rank - closed))?;
                    } else {
                        write!(f, " ")?;
                    }
                    write!(f, "{}", "[".repeat(closed - 1))?;
                } else {
                    write!(f, "{}", "[".repeat(opened))?;
                }
                write!(f, "{cell:>width$}")?;
                let closing = st.iter().filter(|&&s| (i + 1) % s == 0).count();
                if i + 1 == n {
                    write!(f, "{}", "]".repeat(closing))?;
                } else {
                    write!(f, "{}", "]".repeat(closing - 1))?;
                }
            }
        }
        if T::NAME == "float64" {
            write!(f, ", dtype=float64")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_pytorch_layout() {
        let t = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        assert_eq!(
            t.to_string(),
            "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])"
        );
        assert_eq!(Tensor::<f32>::scalar(0.5).to_string(), "tensor(0.5000)");
        assert_eq!(
            Tensor::<f64>::from(vec![1.0, -2.5]).to_string(),
            "tensor([ 1.0000, -2.5000], dtype=float64)"
        );
        let t3 = Tensor::<f32>::arange(0.0, 8.0, 1.0).reshape(&[2, 2, 2]).unwrap();
        assert_eq!(
            t3.to_string(),
            "tensor([[[0.0000, 1.0000],\n         [2.0000, 3.0000]],\n\n        [[4.0000, 5.0000],\n         [6.0000, 7.0000]]])"
        );
    }

    #[test]
    fn constructors_have_the_documented_values() {
        assert_eq!(Tensor::<f64>::arange(1.0, 4.0, 1.0).to_vec(), vec![1.0, 2.0, 3.0]);
        assert_eq!(Tensor::<f64>::eye(3).sum(), 3.0);
        let n = Tensor::<f64>::rand_normal(&[20_000], 1.0, 3.0, 42);
        let mean = n.sum() / 20_000.0;
        let var = n.map(|x| (x - mean) * (x - mean)).sum() / 20_000.0;
        assert!((mean - 1.0).abs() < 0.08, "{mean}");
        assert!((var - 9.0).abs() < 0.3, "{var}");
    }
}
