//! The strided copy kernels and their adjoints: permute, broadcast_to, narrow, concat, index_select, gather.

use autograd::{concat, Tape, Tensor, Var};

use super::{assert_close, assert_exact, ravel, unravel, Nd};

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn permute_every_axis_order_with_its_inverse_as_gradient() {
    let shapes: [&[usize]; 5] = [&[7, 1, 33], &[1, 7, 3], &[33, 7, 2], &[3, 1, 7, 5], &[2, 7, 3, 5]];
    for shape in shapes {
        let x = Nd::new(shape, 21, false);
        for perm in permutations(shape.len()) {
            let tape = Tape::<f32>::new();
            let vx = tape.var(x.tensor::<f32>());
            let y = vx.permute(&perm);
            let want = x.permute(&perm);
            assert_exact(&format!("permute {shape:?} by {perm:?}"), &y.value(), &want);
            let g = Nd::new(&want.shape, 22, false);
            let grads = y.backward_with(&g.tensor()).unwrap();
            let mut inverse = vec![0; perm.len()];
            for (k, &p) in perm.iter().enumerate() {
                inverse[p] = k;
            }
            assert_exact(
                &format!("d permute {shape:?} by {perm:?}"),
                &grads[vx],
                &g.permute(&inverse),
            );
        }
    }
}

#[test]
fn broadcast_to_and_its_unbroadcasting_sum() {
    let cases: [(&[usize], &[usize]); 8] = [
        (&[1, 7], &[33, 7]),
        (&[7, 1], &[7, 33]),
        (&[3], &[5, 7, 3]),
        (&[1, 1, 1], &[7, 1, 33]),
        (&[1], &[129]),
        (&[7, 1, 3], &[2, 7, 5, 3]),
        (&[], &[7, 3]),
        (&[1, 33], &[1, 33]),
    ];
    for (from, to) in cases {
        let x = Nd::new(from, 31, false);
        let tape = Tape::<f64>::new();
        let vx = tape.var(x.tensor::<f64>());
        let y = vx.broadcast_to(to);
        assert_exact(
            &format!("broadcast {from:?} to {to:?}"),
            &y.value(),
            &x.broadcast(to),
        );
        // The adjoint: sum over the added and the stretched axes.
        let g = Nd::new(to, 32, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let lead = to.len() - from.len();
        let axes: Vec<usize> = (0..to.len())
            .filter(|&a| a < lead || (from[a - lead] == 1 && to[a] != 1))
            .collect();
        let summed = g.sum_keep(&axes);
        let want = Nd {
            shape: from.to_vec(),
            data: summed.data,
        };
        assert_close(&format!("d broadcast {from:?} to {to:?}"), &grads[vx], &want, 129);
    }
    // Binary ops broadcast both operands the same way.
    let a = Nd::new(&[7, 1, 3], 33, false);
    let b = Nd::new(&[5, 1], 34, false);
    let tape = Tape::<f64>::new();
    let (va, vb) = (tape.var(a.tensor::<f64>()), tape.var(b.tensor::<f64>()));
    let y = va * vb;
    let (ba, bb) = (a.broadcast(&[7, 5, 3]), b.broadcast(&[7, 5, 3]));
    let want = Nd {
        shape: vec![7, 5, 3],
        data: ba.data.iter().zip(&bb.data).map(|(x, y)| x * y).collect(),
    };
    assert_exact("[7, 1, 3] * [5, 1]", &y.value(), &want);
}

#[test]
fn narrow_and_its_adjoint_pad() {
    let x = Nd::new(&[7, 33, 5], 41, false);
    for axis in 0..3 {
        let size = x.shape[axis];
        for (start, len) in [
            (0, size),
            (0, 1),
            (size - 1, 1),
            (1, size - 2),
            (size / 2, size - size / 2),
            (3, 0),
        ] {
            let tape = Tape::<f64>::new();
            let vx = tape.var(x.tensor::<f64>());
            let y = vx.narrow(axis as isize, start, len);
            let mut shape = x.shape.clone();
            shape[axis] = len;
            let n: usize = shape.iter().product();
            let want = Nd {
                data: (0..n)
                    .map(|i| {
                        let mut idx = unravel(i, &shape);
                        idx[axis] += start;
                        x.at(&idx)
                    })
                    .collect(),
                shape: shape.clone(),
            };
            let what = format!("narrow axis {axis} {start}..{}", start + len);
            assert_exact(&what, &y.value(), &want);
            // Its rule is pad: the gradient in the window, zeros elsewhere.
            let g = Nd::new(&shape, 42, false);
            let grads = y.backward_with(&g.tensor()).unwrap();
            let mut padded = Nd::zeros(&x.shape);
            for i in 0..g.len() {
                let mut idx = unravel(i, &shape);
                idx[axis] += start;
                padded.data[ravel(&idx, &x.shape)] = g.data[i];
            }
            assert_exact(&format!("d {what}"), &grads[vx], &padded);
            // And pad's rule is narrow again (second order).
            if len > 0 {
                let first = autograd::grad((y * y).sum(), &[vx]).unwrap()[0];
                let second = autograd::grad(first.sum(), &[vx]).unwrap()[0];
                let twos: Vec<f64> = (0..x.len())
                    .map(|i| {
                        let j = unravel(i, &x.shape)[axis];
                        if j >= start && j < start + len {
                            2.0
                        } else {
                            0.0
                        }
                    })
                    .collect();
                assert_exact(
                    &format!("d2 {what}"),
                    &second.value(),
                    &Nd {
                        shape: x.shape.clone(),
                        data: twos,
                    },
                );
            }
        }
    }
}

#[test]
fn concat_along_every_axis_and_of_many_parts() {
    let parts: Vec<Nd> = [1usize, 7, 33]
        .iter()
        .enumerate()
        .map(|(i, &d)| Nd::new(&[d, 3, 5], 50 + i as u64, false))
        .collect();
    for axis in 0..3 {
        // Permute the parts so that the odd size is on `axis`.
        let perm: Vec<usize> = match axis {
            0 => vec![0, 1, 2],
            1 => vec![1, 0, 2],
            _ => vec![1, 2, 0],
        };
        let ps: Vec<Nd> = parts.iter().map(|p| p.permute(&perm)).collect();
        let tape = Tape::<f64>::new();
        let vs: Vec<Var<'_, f64>> = ps.iter().map(|p| tape.var(p.tensor::<f64>())).collect();
        let y = concat(&vs, axis as isize).unwrap();
        let mut shape = ps[0].shape.clone();
        shape[axis] = ps.iter().map(|p| p.shape[axis]).sum();
        let n: usize = shape.iter().product();
        let want = Nd {
            data: (0..n)
                .map(|i| {
                    let mut idx = unravel(i, &shape);
                    let mut k = 0;
                    while idx[axis] >= ps[k].shape[axis] {
                        idx[axis] -= ps[k].shape[axis];
                        k += 1;
                    }
                    ps[k].at(&idx)
                })
                .collect(),
            shape: shape.clone(),
        };
        assert_exact(&format!("concat axis {axis}"), &y.value(), &want);
        let g = Nd::new(&shape, 60, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let mut offset = 0;
        for (p, v) in ps.iter().zip(&vs) {
            let piece = Nd {
                data: (0..p.len())
                    .map(|i| {
                        let mut idx = unravel(i, &p.shape);
                        idx[axis] += offset;
                        g.at(&idx)
                    })
                    .collect(),
                shape: p.shape.clone(),
            };
            assert_exact(&format!("d concat axis {axis}"), &grads[*v], &piece);
            offset += p.shape[axis];
        }
    }
    // 600 parts: more than a node's 255 inputs, joined in groups.
    let tape = Tape::<f32>::new();
    let vs: Vec<Var<'_, f32>> = (0..600)
        .map(|i| tape.var(Tensor::from(vec![i as f32, -(i as f32)])))
        .collect();
    let y = concat(&vs, 0).unwrap();
    let want: Vec<f32> = (0..600).flat_map(|i| [i as f32, -(i as f32)]).collect();
    assert_eq!(y.value().to_vec(), want);
    let w: Vec<f32> = (0..1200).map(|i| i as f32).collect();
    let grads = y.backward_with(&Tensor::from(w.clone())).unwrap();
    for (i, v) in vs.iter().enumerate() {
        assert_eq!(grads[*v].to_vec(), w[2 * i..2 * i + 2].to_vec(), "part {i}");
    }
}

#[test]
fn index_select_and_gather_with_their_scatter_adds() {
    let x = Nd::new(&[7, 33, 3], 70, false);
    for axis in 0..3 {
        let size = x.shape[axis];
        let indices: Vec<usize> = vec![size - 1, 0, size / 2, size - 1, 0];
        let tape = Tape::<f64>::new();
        let vx = tape.var(x.tensor::<f64>());
        let y = vx.index_select(axis as isize, &indices);
        let mut shape = x.shape.clone();
        shape[axis] = indices.len();
        let n: usize = shape.iter().product();
        let want = Nd {
            data: (0..n)
                .map(|i| {
                    let mut idx = unravel(i, &shape);
                    idx[axis] = indices[idx[axis]];
                    x.at(&idx)
                })
                .collect(),
            shape: shape.clone(),
        };
        assert_exact(&format!("index_select axis {axis}"), &y.value(), &want);
        let g = Nd::new(&shape, 71, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let mut back = Nd::zeros(&x.shape);
        for i in 0..g.len() {
            let mut idx = unravel(i, &shape);
            idx[axis] = indices[idx[axis]];
            back.data[ravel(&idx, &x.shape)] += g.data[i];
        }
        assert_close(&format!("d index_select axis {axis}"), &grads[vx], &back, 2);

        // gather: one index per position of the other axes.
        let mut gshape = x.shape.clone();
        gshape.remove(axis);
        let m: usize = gshape.iter().product();
        let picks: Vec<usize> = (0..m).map(|i| (i * 5 + 3) % size).collect();
        let y = vx.gather(axis as isize, &picks);
        let want = Nd {
            data: (0..m)
                .map(|i| {
                    let mut idx = unravel(i, &gshape);
                    idx.insert(axis, picks[i]);
                    x.at(&idx)
                })
                .collect(),
            shape: gshape.clone(),
        };
        assert_exact(&format!("gather axis {axis}"), &y.value(), &want);
        let g = Nd::new(&gshape, 72, false);
        let grads = y.backward_with(&g.tensor()).unwrap();
        let mut back = Nd::zeros(&x.shape);
        for (i, (&pick, &gi)) in picks.iter().zip(&g.data).enumerate() {
            let mut idx = unravel(i, &gshape);
            idx.insert(axis, pick);
            back.data[ravel(&idx, &x.shape)] += gi;
        }
        assert_exact(&format!("d gather axis {axis}"), &grads[vx], &back);
    }
}
