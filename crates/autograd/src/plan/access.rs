//! Reading and updating a plan's values in place: its inputs, outputs, gradients and
//! parameters, as slices of the plan's buffer (no copies).

use super::Plan;
use crate::dtype::Float;

impl<T: Float> Plan<T> {
    /// The elements of value input `k`, to write the next step's values in place.
    ///
    /// # Panics
    /// If there is no input `k` (as the other accessors).
    pub fn input_mut(&mut self, k: usize) -> &mut [T] {
        let r = self.inputs[k].range();
        &mut self.g.data[r]
    }

    /// The values of output `k` after the last run (row-major).
    pub fn output(&self, k: usize) -> &[T] {
        &self.g.data[self.outputs[k].range()]
    }

    /// The shape of output `k`.
    pub fn output_shape(&self, k: usize) -> &[usize] {
        &self.outputs[k].shape
    }

    /// The gradient of the loss with respect to parameter `k` after the last run.
    pub fn grad(&self, k: usize) -> &[T] {
        &self.g.data[self.grads[k].range()]
    }

    /// The values of parameter `k`.
    pub fn param(&self, k: usize) -> &[T] {
        &self.g.data[self.params[k].range()]
    }

    /// The values of parameter `k`, to update in place (the next run uses them).
    pub fn param_mut(&mut self, k: usize) -> &mut [T] {
        let r = self.params[k].range();
        &mut self.g.data[r]
    }

    /// Calls `f(k, values, gradient)` for every parameter `k`, values mutable: an optimiser
    /// step inside the plan, with no copies. If the step splits over the engine's threads, so
    /// may `f`: with [`for_each_chunk_mut`](crate::for_each_chunk_mut) it splits each
    /// parameter as the step's GEMMs split its rows, so every thread updates the rows it
    /// computed the gradient of and reads next step (docs/threads.md, "A thread keeps its
    /// rows"); the pool's workers are kept awake for it as for a replay. So `f` is `Send`:
    /// where the step splits and the calling thread is not one of the pool's, `f` runs on one of
    /// the pool's threads, as the replay does (the calling thread waits for it).
    ///
    /// ```
    /// use chainrule::{for_each_chunk_mut, PlanSpec, Tape, Tensor};
    /// let mut plan = Tape::<f32>::capture(|tape| {
    ///     let w = tape.var(Tensor::ones(&[256, 300]));
    ///     let loss = (w * w).sum(); // gradient 2 w
    ///     PlanSpec::new().output(loss).grads(loss, &[w])
    /// });
    /// plan.update_params(|_, w, g| {
    ///     for_each_chunk_mut(w, |start, w| {
    ///         w.iter_mut().zip(&g[start..]).for_each(|(w, &g)| *w -= 0.25 * g)
    ///     })
    /// });
    /// assert!(plan.param(0).iter().all(|&w| w == 0.5));
    /// ```
    pub fn update_params(&mut self, mut f: impl FnMut(usize, &mut [T], &[T]) + Send) {
        let Self {
            g,
            params,
            grads,
            program,
            ..
        } = self;
        program.while_threaded(|| {
            for (k, (p, d)) in params.iter().zip(grads.iter()).enumerate() {
                let (p, d) = (p.range(), d.range());
                // Disjoint (checked when the plan was made).
                let (values, grad) = if p.end <= d.start {
                    let (lo, hi) = g.data.split_at_mut(d.start);
                    (&mut lo[p], &hi[..d.len()])
                } else {
                    let (lo, hi) = g.data.split_at_mut(p.start);
                    (&mut hi[..p.len()], &lo[d])
                };
                f(k, values, grad);
            }
        })
    }

    /// The number of parameters.
    pub fn num_params(&self) -> usize {
        self.params.len()
    }

    /// The number of nodes a run writes: leaves and values that share their input's elements
    /// are not recomputed, and a fused group writes only the value read after it (the sum of
    /// a fused linear layer or of a fused chain of scalar `add`s).
    pub fn len(&self) -> usize {
        // A pair's step recomputes two nodes.
        self.program.steps.len() + self.program.pairs.len()
    }

    /// Whether a run recomputes nothing.
    pub fn is_empty(&self) -> bool {
        self.program.steps.is_empty()
    }
}

impl<T: Float> std::fmt::Debug for Plan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Plan {{ steps: {}, inputs: {}, index inputs: {}, outputs: {}, params: {} }}",
            self.program.steps.len(),
            self.inputs.len(),
            self.indices.len(),
            self.outputs.len(),
            self.params.len()
        )
    }
}
