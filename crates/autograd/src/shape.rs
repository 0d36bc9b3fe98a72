//! Shapes, strides, axes and broadcasting: the index arithmetic every op shares.

use crate::error::{Error, Result};
use smallvec::SmallVec;

/// A tensor's shape: its size along each axis, outermost first. Inline (no heap) up to rank 4.
pub type Shape = SmallVec<[usize; 4]>;

/// The number of elements of a shape (1 for a scalar).
#[inline]
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major (C-order) strides of a shape, in elements.
pub fn strides(shape: &[usize]) -> Shape {
    let mut s: Shape = smallvec::smallvec![0; shape.len()];
    let mut acc = 1;
    for i in (0..shape.len()).rev() {
        s[i] = acc;
        acc *= shape[i];
    }
    s
}

/// Resolves a possibly negative axis (`-1` is the last) against a rank.
pub fn normalize_axis(op: &'static str, axis: isize, shape: &[usize]) -> Result<usize> {
    let rank = shape.len() as isize;
    let a = if axis < 0 { axis + rank } else { axis };
    if a < 0 || a >= rank {
        return Err(Error::AxisOutOfRange {
            op,
            axis,
            shape: shape.into(),
        });
    }
    Ok(a as usize)
}

/// Resolves a list of axes into a bit mask (bit `i` set = axis `i` listed). Duplicates are an error.
pub fn axes_mask(op: &'static str, axes: &[isize], shape: &[usize]) -> Result<u64> {
    if shape.len() > 64 {
        return Err(Error::InvalidArgument {
            op,
            shape: shape.into(),
            message: "reductions support rank <= 64".into(),
        });
    }
    let mut mask = 0u64;
    for &a in axes {
        let a = normalize_axis(op, a, shape)?;
        if mask & (1 << a) != 0 {
            return Err(Error::InvalidArgument {
                op,
                shape: shape.into(),
                message: format!("axis {a} is listed twice"),
            });
        }
        mask |= 1 << a;
    }
    Ok(mask)
}

/// The shape after reducing the masked axes to size 1 (keepdim).
pub fn reduced_shape(shape: &[usize], mask: u64) -> Shape {
    shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if mask & (1 << i) != 0 { 1 } else { d })
        .collect()
}

/// The shape after removing the masked axes (no keepdim).
pub fn squeezed_shape(shape: &[usize], mask: u64) -> Shape {
    shape
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) == 0)
        .map(|(_, &d)| d)
        .collect()
}

/// NumPy broadcasting of two shapes: align at the right, sizes must match or be 1.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape> {
    let rank = a.len().max(b.len());
    let mut out: Shape = smallvec::smallvec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(Error::ShapeMismatch {
                    op,
                    lhs: a.into(),
                    rhs: b.into(),
                    expected: format!(
                        "sizes must match or be 1 at every aligned axis (axis {i} has {da} vs {db})"
                    ),
                })
            }
        };
    }
    Ok(out)
}

/// Whether `from` broadcasts to `to` (NumPy rules).
pub fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len()
        && from
            .iter()
            .rev()
            .zip(to.iter().rev())
            .all(|(&f, &t)| f == t || f == 1)
}

/// Strides (in elements) that read a tensor of shape `from` as if it had shape `to`: 0 along
/// broadcast axes. `from` must broadcast to `to`.
pub fn broadcast_strides(from: &[usize], to: &[usize]) -> Shape {
    let fs = strides(from);
    let lead = to.len() - from.len();
    (0..to.len())
        .map(|i| {
            if i < lead || from[i - lead] == 1 {
                0
            } else {
                fs[i - lead]
            }
        })
        .collect()
}

/// Calls `f(i, offset)` for every element `i` (row-major) of an array of shape `shape`, where
/// `offset` walks another array by `strides` starting at `base`. One loop, no recursion: the
/// index advances like an odometer. This is the single strided-iteration primitive behind
/// expand, permute, narrow, pad and reductions.
#[inline]
pub fn for_each_strided(shape: &[usize], strides: &[usize], base: usize, mut f: impl FnMut(usize, usize)) {
    let n = numel(shape);
    if n == 0 {
        return;
    }
    let rank = shape.len();
    if rank == 0 {
        f(0, base);
        return;
    }
    let inner = shape[rank - 1];
    let inner_stride = strides[rank - 1];
    let mut idx: Shape = smallvec::smallvec![0; rank];
    let mut off = base;
    let mut i = 0;
    loop {
        let mut o = off;
        for _ in 0..inner {
            f(i, o);
            i += 1;
            o += inner_stride;
        }
        // Advance the odometer over the outer axes.
        let mut ax = rank - 1;
        loop {
            if ax == 0 {
                return;
            }
            ax -= 1;
            idx[ax] += 1;
            off += strides[ax];
            if idx[ax] < shape[ax] {
                break;
            }
            off -= strides[ax] * shape[ax];
            idx[ax] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes("t", &[3, 1], &[4]).unwrap().as_slice(), &[3, 4]);
        assert_eq!(broadcast_shapes("t", &[], &[2, 3]).unwrap().as_slice(), &[2, 3]);
        assert!(broadcast_shapes("t", &[3], &[4]).is_err());
        assert_eq!(broadcast_strides(&[3, 1], &[2, 3, 4]).as_slice(), &[0, 1, 0]);
    }

    #[test]
    fn strided_walk_transposes() {
        // A 2x3 matrix read through transposed strides gives its transpose.
        let data = [0, 1, 2, 3, 4, 5];
        let mut out = vec![];
        for_each_strided(&[3, 2], &[1, 3], 0, |_, o| out.push(data[o]));
        assert_eq!(out, vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn negative_axes_count_from_the_end() {
        assert_eq!(normalize_axis("t", -1, &[2, 3]).unwrap(), 1);
        assert!(normalize_axis("t", 2, &[2, 3]).is_err());
        assert_eq!(axes_mask("t", &[0, -1], &[2, 3, 4]).unwrap(), 0b101);
    }
}
