//! The hand-written "limit" of W1 (tensor version) and W2: an MLP with relu hidden layers and a
//! linear output, its forward pass, its gradients derived by hand (no tape, no graph), and
//! SGD, over buffers allocated once. The matrix products call the engine's GEMM directly
//! (`autograd::gemm`, gemmkit's, as `matmul` records it), so the distance between an engine step and this one is
//! the engine's own overhead.
//!
//! Layout as PyTorch's `nn.Linear` and `nn`'s `Dense`: weights `[out, in]` row-major, biases
//! `[out]`, activations `[batch, features]` row-major; `params` holds `w0, b0, w1, b1, ...`
//! in the order of `nn`'s parameter store.

/// The engine's GEMM, through its safe wrapper: `matmul(ta, tb, m, k, n, a, b, beta, c)` sets
/// `C[m, n] = op(A) op(B) + beta C` on row-major buffers (panicking if a length is wrong).
pub use autograd::gemm as matmul;
use autograd::Float;

/// An MLP `sizes[0] - sizes[1] - ... - sizes[L]`, relu on every layer but the last (linear),
/// for a fixed batch size, with every buffer allocated once.
#[derive(Clone, Debug)]
pub struct MlpLimit<T> {
    sizes: Vec<usize>,
    batch: usize,
    /// `w0, b0, w1, b1, ...` (weights `[out, in]`, biases `[out]`).
    pub params: Vec<Vec<T>>,
    /// The gradients of the last [`MlpLimit::backward`], in the order of `params`.
    pub grads: Vec<Vec<T>>,
    /// Each layer's output `[batch, out]`: after relu for hidden layers, the logits last.
    acts: Vec<Vec<T>>,
    /// The loss's gradient with respect to the logits, `[batch, out]`, filled by the loss.
    pub dlogits: Vec<T>,
    delta: Vec<T>,
    delta_prev: Vec<T>,
}

impl<T: Float> MlpLimit<T> {
    /// An MLP with the given layer sizes and parameters (`w0, b0, w1, b1, ...`).
    ///
    /// # Panics
    /// If a parameter does not have its layer's size.
    pub fn new(sizes: &[usize], batch: usize, params: Vec<Vec<T>>) -> Self {
        assert_eq!(params.len(), 2 * (sizes.len() - 1), "two tensors per layer");
        for (l, w) in sizes.windows(2).enumerate() {
            assert_eq!(params[2 * l].len(), w[0] * w[1], "weight {l}");
            assert_eq!(params[2 * l + 1].len(), w[1], "bias {l}");
        }
        let widest = sizes.iter().copied().max().unwrap_or(0);
        let out = *sizes.last().expect("at least one size");
        Self {
            sizes: sizes.to_vec(),
            batch,
            grads: params.iter().map(|p| vec![T::zero(); p.len()]).collect(),
            params,
            acts: sizes[1..].iter().map(|&o| vec![T::zero(); batch * o]).collect(),
            dlogits: vec![T::zero(); batch * out],
            delta: vec![T::zero(); batch * widest],
            delta_prev: vec![T::zero(); batch * widest],
        }
    }

    /// The batch size.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The forward pass on `x` (`[batch, sizes[0]]`); returns the logits `[batch, out]`.
    pub fn forward(&mut self, x: &[T]) -> &[T] {
        let layers = self.sizes.len() - 1;
        for l in 0..layers {
            let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
            let (before, after) = self.acts.split_at_mut(l);
            let input: &[T] = if l == 0 { x } else { &before[l - 1] };
            let out = &mut after[0];
            // Z = X W^T + b: the bias goes in first, the GEMM adds onto it (beta = 1).
            let bias = &self.params[2 * l + 1];
            for row in out.chunks_exact_mut(fan_out) {
                row.copy_from_slice(bias);
            }
            matmul(
                false,
                true,
                self.batch,
                fan_in,
                fan_out,
                input,
                &self.params[2 * l],
                T::one(),
                out,
            );
            if l + 1 < layers {
                // relu, as a select rather than a branch (the signs are random, a branch would
                // be mispredicted half the time); NaN passes through, as in the engine.
                for z in out.iter_mut() {
                    *z = if *z < T::zero() { T::zero() } else { *z };
                }
            }
        }
        &self.acts[layers - 1]
    }

    /// The gradients of every parameter (into `grads`) from `dlogits`, after a
    /// [`MlpLimit::forward`] on the same `x`.
    pub fn backward(&mut self, x: &[T]) {
        let layers = self.sizes.len() - 1;
        let out = self.sizes[layers];
        self.delta[..self.batch * out].copy_from_slice(&self.dlogits);
        for l in (0..layers).rev() {
            let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
            let input: &[T] = if l == 0 { x } else { &self.acts[l - 1] };
            let delta = &self.delta[..self.batch * fan_out];
            // dW = delta^T X, db = column sums of delta.
            matmul(
                true,
                false,
                fan_out,
                self.batch,
                fan_in,
                delta,
                input,
                T::zero(),
                &mut self.grads[2 * l],
            );
            let gb = &mut self.grads[2 * l + 1];
            gb.fill(T::zero());
            for row in delta.chunks_exact(fan_out) {
                for (g, &d) in gb.iter_mut().zip(row) {
                    *g += d;
                }
            }
            if l > 0 {
                // dX = delta W, then through the previous layer's relu (mask: output > 0).
                let prev = &mut self.delta_prev[..self.batch * fan_in];
                matmul(
                    false,
                    false,
                    self.batch,
                    fan_out,
                    fan_in,
                    delta,
                    &self.params[2 * l],
                    T::zero(),
                    prev,
                );
                for (d, &a) in prev.iter_mut().zip(&self.acts[l - 1]) {
                    *d = if a > T::zero() { *d } else { T::zero() };
                }
                std::mem::swap(&mut self.delta, &mut self.delta_prev);
            }
        }
    }

    /// Plain SGD: `p -= lr g` for every parameter.
    pub fn sgd(&mut self, lr: T) {
        for (p, g) in self.params.iter_mut().zip(&self.grads) {
            for (p, &g) in p.iter_mut().zip(g) {
                *p -= lr * g;
            }
        }
    }
}

/// W1's loss on the limit: `mean(relu(1 - y s)) + alpha sum p^2` for scores `s` (the logits
/// of a one-output MLP) and labels `y` in {-1, +1}; fills `dlogits` and returns the loss. Call
/// [`add_l2_grad`] after `backward` for the penalty's share of the gradients.
pub fn hinge_l2_loss<T: Float>(mlp: &mut MlpLimit<T>, y: &[T], alpha: T) -> T {
    let n = T::from_f64(mlp.batch() as f64);
    let mut data_loss = T::zero();
    for ((d, &s), &y) in mlp.dlogits.iter_mut().zip(&mlp.acts[mlp.acts.len() - 1]).zip(y) {
        let margin = T::one() - y * s;
        if margin > T::zero() {
            data_loss += margin;
            *d = -y / n;
        } else {
            *d = T::zero();
        }
    }
    let mut reg = T::zero();
    for p in &mlp.params {
        for &v in p {
            reg += v * v;
        }
    }
    data_loss / n + alpha * reg
}

/// Adds the gradient of `alpha sum p^2`, `2 alpha p`, to every parameter's gradient.
pub fn add_l2_grad<T: Float>(mlp: &mut MlpLimit<T>, alpha: T) {
    let two_alpha = T::from_f64(2.0) * alpha;
    for (g, p) in mlp.grads.iter_mut().zip(&mlp.params) {
        for (g, &p) in g.iter_mut().zip(p) {
            *g += two_alpha * p;
        }
    }
}

/// Softmax cross-entropy from the logits with integer labels, averaged over the batch
/// (`mean_i(-log_softmax(z_i)[y_i])`, shifted by each row's maximum); fills `dlogits` with
/// `(softmax(z) - onehot(y)) / batch` and returns the loss.
pub fn cross_entropy_loss<T: Float>(mlp: &mut MlpLimit<T>, labels: &[usize]) -> T {
    let classes = *mlp.sizes.last().expect("sizes");
    let n = T::from_f64(mlp.batch() as f64);
    let logits = &mlp.acts[mlp.acts.len() - 1];
    let mut loss = T::zero();
    for ((z, d), &y) in logits
        .chunks_exact(classes)
        .zip(mlp.dlogits.chunks_exact_mut(classes))
        .zip(labels)
    {
        let mut m = z[0];
        for &v in &z[1..] {
            if v > m {
                m = v;
            }
        }
        let mut sum = T::zero();
        for (d, &v) in d.iter_mut().zip(z) {
            *d = (v - m).exp();
            sum += *d;
        }
        loss += sum.ln() + m - z[y];
        for d in d.iter_mut() {
            *d = *d / sum / n;
        }
        d[y] -= T::one() / n;
    }
    loss / n
}
