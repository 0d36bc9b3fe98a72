//! The workloads of issue 5, shared by the benchmarks in `benches/` and by
//! `tests/suite/bench_limits.rs` (which checks the hand-written limits and the scalar graph against
//! the engine's gradients). Everything here uses public APIs only.
//!
//! - W1, micrograd's demo step: 100 two-moons points (noise 0.1, labels -1/+1), an MLP
//!   2-16-16-1 (relu hidden, linear output), loss `mean(relu(1 - y score)) + 1e-4 sum p^2`,
//!   SGD lr 0.01, in `f64` as micrograd: [`W1Scalar`] (one node per scalar op),
//!   [`W1Tensor`] (`nn::Mlp` on the batch) and [`W1Limit`] (hand-written).
//! - W2, an MLP training step: 784-256-256-10, relu, softmax cross-entropy from logits, batch
//!   128, `f32`, SGD lr 0.01, seeded normal inputs and random labels: [`W2Engine`] and
//!   [`W2Limit`].

#![allow(dead_code)] // each benchmark uses part of this module

pub mod limit;
pub mod replay;

use autograd::{Float, Tape, Tensor, Var};
use limit::{add_l2_grad, cross_entropy_loss, hinge_l2_loss, MlpLimit};
use nn::optim::{Optimizer, Sgd};
use nn::{loss, Activation, Mlp, Module, ParamStore, Sequential};
use std::process::Command;

/// W1's layer sizes.
pub const W1_SIZES: [usize; 4] = [2, 16, 16, 1];
/// W1's number of points.
pub const W1_POINTS: usize = 100;
/// W1's L2 coefficient.
pub const W1_ALPHA: f64 = 1e-4;
/// The learning rate of W1 and W2.
pub const LR: f64 = 0.01;
/// W2's layer sizes.
pub const W2_SIZES: [usize; 4] = [784, 256, 256, 10];
/// W2's batch size.
pub const W2_BATCH: usize = 128;

const W1_DATA_SEED: u64 = 1;
const W1_MODEL_SEED: u64 = 0;
const W2_MODEL_SEED: u64 = 0;
const W2_INPUT_SEED: u64 = 1;
const W2_LABEL_SEED: u64 = 2;

/// relu on the hidden layers, linear output.
fn activations(layers: usize) -> Vec<Activation> {
    let mut a = vec![Activation::Relu; layers - 1];
    a.push(Activation::Identity);
    a
}

/// An MLP of `nn` with the given sizes, seeded, and its parameter store.
pub fn mlp<T: Float>(sizes: &[usize], seed: u64) -> (Sequential<T>, ParamStore<T>) {
    let mut ps = ParamStore::new();
    let mlp = Mlp::new(&mut ps, "layers", sizes, &activations(sizes.len() - 1), seed).expect("fresh store");
    (mlp, ps)
}

/// The parameters of a store as plain vectors (`w0, b0, w1, b1, ...`).
pub fn param_vecs<T: Float>(ps: &ParamStore<T>) -> Vec<Vec<T>> {
    ps.iter().map(|(_, _, p)| p.value().to_vec()).collect()
}

/// W1's data: the points `[100, 2]` and the labels `[100, 1]` in {-1, +1}.
pub fn w1_data() -> (Tensor<f64>, Tensor<f64>) {
    let moons = nn::data::two_moons::<f64>(W1_POINTS, 0.1, W1_DATA_SEED);
    let y = moons
        .labels
        .iter()
        .map(|&l| if l == 1 { 1.0 } else { -1.0 })
        .collect();
    (moons.x, Tensor::from_vec(y, &[W1_POINTS, 1]).expect("100 labels"))
}

/// W1(b): the batch of 100 through `nn`'s `Mlp`, `nn::loss::hinge` and `l2_penalty`, the
/// engine's backward, `nn`'s `Sgd`.
pub struct W1Tensor {
    /// The model.
    pub mlp: Sequential<f64>,
    /// Its parameters.
    pub params: ParamStore<f64>,
    x: Tensor<f64>,
    y: Tensor<f64>,
    opt: Sgd<f64>,
    tape: Tape<f64>,
}

impl Default for W1Tensor {
    fn default() -> Self {
        Self::new()
    }
}

impl W1Tensor {
    /// The seeded model and data.
    pub fn new() -> Self {
        let (x, y) = w1_data();
        let (mlp, params) = mlp(&W1_SIZES, W1_MODEL_SEED);
        Self {
            mlp,
            params,
            x,
            y,
            opt: Sgd::new(LR),
            tape: Tape::new(),
        }
    }

    /// The loss and every parameter's gradient (store order), without an update.
    pub fn loss_and_grads(&mut self) -> (f64, Vec<Vec<f64>>) {
        self.tape.reset();
        let tape = &self.tape;
        let bound = self.params.bind(tape);
        let total = self.loss(&bound, tape);
        let grads = bound.grads(total.backward());
        let grads = grads
            .into_iter()
            .map(|g| g.expect("trainable").to_vec())
            .collect();
        (total.item(), grads)
    }

    fn loss<'t>(&self, bound: &nn::Bound<'t, f64>, tape: &'t Tape<f64>) -> Var<'t, f64> {
        let scores = self.mlp.forward(bound, tape.constant_from(&self.x));
        let data_loss = loss::hinge(scores, tape.constant_from(&self.y)).expect("shapes");
        let reg = loss::l2_penalty(bound.vars())
            .expect("parameters")
            .mul_scalar(W1_ALPHA);
        data_loss + reg
    }

    /// One training step; returns the loss before the update.
    pub fn step(&mut self) -> f64 {
        self.tape.reset();
        let (loss, grads) = {
            let tape = &self.tape;
            let bound = self.params.bind(tape);
            let total = self.loss(&bound, tape);
            (total.item(), bound.grads(total.backward()))
        };
        self.opt.step(&mut self.params, &grads);
        loss
    }

    /// The number of nodes the last step recorded (forward and backward).
    pub fn tape_len(&self) -> usize {
        self.tape.len()
    }

    /// The bytes held by the step's tape.
    pub fn tape_bytes(&self) -> usize {
        self.tape.memory_bytes()
    }
}

/// W1(a): micrograd's scalar graph, one node per scalar op. Each neuron is
/// `b + w_0 x_0 + w_1 x_1 + ...` (micrograd's `sum(wi * xi, self.b)`) then relu, from scalar
/// variables; the loss is `sum_i relu(1 + (-y_i) s_i) * (1/100)` plus
/// `1e-4 * sum_p p * p`, each sum starting from a constant 0 as Python's `sum` does.
pub struct W1Scalar {
    /// The parameters in the store's order and layout (`w0 [16, 2], b0, w1, b1, w2, b2`).
    pub params: Vec<Vec<f64>>,
    x: Vec<f64>,
    y: Vec<f64>,
    tape: Tape<f64>,
    forward_nodes: usize,
}

impl Default for W1Scalar {
    fn default() -> Self {
        Self::new()
    }
}

impl W1Scalar {
    /// The same seeded parameters and data as [`W1Tensor::new`].
    pub fn new() -> Self {
        let (x, y) = w1_data();
        let (_, ps) = mlp::<f64>(&W1_SIZES, W1_MODEL_SEED);
        Self {
            params: param_vecs(&ps),
            x: x.to_vec(),
            y: y.to_vec(),
            tape: Tape::new(),
            forward_nodes: 0,
        }
    }

    /// Records the forward graph; returns the loss and the parameters' handles (flattened in
    /// `params` order).
    fn forward<'t>(
        tape: &'t Tape<f64>,
        params: &[Vec<f64>],
        x: &[f64],
        y: &[f64],
    ) -> (Var<'t, f64>, Vec<Var<'t, f64>>) {
        let p: Vec<Vec<Var<'t, f64>>> = params
            .iter()
            .map(|t| t.iter().map(|&v| tape.scalar_var(v)).collect())
            .collect();
        let layers = W1_SIZES.len() - 1;
        let mut data_loss = tape.scalar(0.0);
        let mut h: Vec<Var<'t, f64>> = Vec::with_capacity(16);
        let mut next: Vec<Var<'t, f64>> = Vec::with_capacity(16);
        for (xi, &yi) in x.chunks_exact(2).zip(y) {
            h.clear();
            h.extend(xi.iter().map(|&v| tape.scalar(v)));
            for l in 0..layers {
                let (fan_in, fan_out) = (W1_SIZES[l], W1_SIZES[l + 1]);
                let (w, b) = (&p[2 * l], &p[2 * l + 1]);
                next.clear();
                for o in 0..fan_out {
                    let mut act = b[o];
                    for i in 0..fan_in {
                        act = act + w[o * fan_in + i] * h[i];
                    }
                    next.push(if l + 1 < layers { act.relu() } else { act });
                }
                std::mem::swap(&mut h, &mut next);
            }
            let score = h[0];
            data_loss = data_loss + (1.0 + (-yi) * score).relu();
        }
        let data_loss = data_loss * (1.0 / W1_POINTS as f64);
        let flat: Vec<Var<'t, f64>> = p.into_iter().flatten().collect();
        let mut reg = tape.scalar(0.0);
        for &q in &flat {
            reg = reg + q * q;
        }
        (data_loss + W1_ALPHA * reg, flat)
    }

    /// The loss and every parameter's gradient (in `params` layout), without an update.
    pub fn loss_and_grads(&mut self) -> (f64, Vec<Vec<f64>>) {
        self.tape.reset();
        let (total, flat) = Self::forward(&self.tape, &self.params, &self.x, &self.y);
        let g = total.backward();
        let mut it = flat.iter().map(|&v| g[v].item());
        let grads = self
            .params
            .iter()
            .map(|t| t.iter().map(|_| it.next().expect("one per parameter")).collect())
            .collect();
        (total.item(), grads)
    }

    /// One training step (forward over the 100 points, backward, SGD); returns the loss.
    pub fn step(&mut self) -> f64 {
        self.tape.reset();
        let Self {
            params,
            x,
            y,
            tape,
            forward_nodes,
        } = self;
        let (total, flat) = Self::forward(tape, params, x, y);
        *forward_nodes = tape.len();
        let g = total.backward();
        let mut vars = flat.iter();
        for t in params.iter_mut() {
            for p in t.iter_mut() {
                *p -= LR * g[*vars.next().expect("one per parameter")].item();
            }
        }
        total.item()
    }

    /// The nodes the forward pass of the last step recorded (micrograd's node count: leaves,
    /// constants and op results).
    pub fn forward_nodes(&self) -> usize {
        self.forward_nodes
    }

    /// The nodes the last step recorded in all (forward and backward).
    pub fn tape_len(&self) -> usize {
        self.tape.len()
    }

    /// The bytes held by the step's tape.
    pub fn tape_bytes(&self) -> usize {
        self.tape.memory_bytes()
    }

    /// Replaces the tape by one of exactly `nodes` nodes and `elements` values of capacity.
    pub fn presize_tape(&mut self, nodes: usize, elements: usize) {
        self.tape = Tape::with_capacity(nodes, elements);
    }
}

/// W1's hand-written limit (tensor version, `f64`).
pub struct W1Limit {
    /// The MLP with its buffers.
    pub mlp: MlpLimit<f64>,
    x: Vec<f64>,
    y: Vec<f64>,
}

impl Default for W1Limit {
    fn default() -> Self {
        Self::new()
    }
}

impl W1Limit {
    /// The same seeded parameters and data as [`W1Tensor::new`].
    pub fn new() -> Self {
        let (x, y) = w1_data();
        let (_, ps) = mlp::<f64>(&W1_SIZES, W1_MODEL_SEED);
        Self {
            mlp: MlpLimit::new(&W1_SIZES, W1_POINTS, param_vecs(&ps)),
            x: x.to_vec(),
            y: y.to_vec(),
        }
    }

    /// The loss; the gradients are left in `self.mlp.grads`.
    pub fn loss_and_grads(&mut self) -> f64 {
        self.mlp.forward(&self.x);
        let loss = hinge_l2_loss(&mut self.mlp, &self.y, W1_ALPHA);
        self.mlp.backward(&self.x);
        add_l2_grad(&mut self.mlp, W1_ALPHA);
        loss
    }

    /// One training step; returns the loss before the update.
    pub fn step(&mut self) -> f64 {
        let loss = self.loss_and_grads();
        self.mlp.sgd(LR);
        loss
    }
}

/// W2's batch: seeded standard normal inputs `[128, 784]` and uniform random labels in 0..10.
pub fn w2_batch<T: Float>() -> (Tensor<T>, Vec<usize>) {
    let x = Tensor::rand_normal(&[W2_BATCH, W2_SIZES[0]], T::zero(), T::one(), W2_INPUT_SEED);
    let classes = W2_SIZES[W2_SIZES.len() - 1];
    let u = Tensor::<f64>::rand_uniform(&[W2_BATCH], 0.0, classes as f64, W2_LABEL_SEED);
    let labels = u
        .as_slice()
        .iter()
        .map(|&v| (v as usize).min(classes - 1))
        .collect();
    (x, labels)
}

/// W2 on the engine: `nn`'s `Mlp`, `nn::loss::cross_entropy`, backward, `Sgd` (the step of
/// `nn::train::fit_with`, without its bookkeeping).
pub struct W2Engine<T: Float = f32> {
    /// The model.
    pub mlp: Sequential<T>,
    /// Its parameters.
    pub params: ParamStore<T>,
    x: Tensor<T>,
    labels: Vec<usize>,
    opt: Sgd<T>,
    tape: Tape<T>,
}

impl<T: Float> Default for W2Engine<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> W2Engine<T> {
    /// The seeded model and batch.
    pub fn new() -> Self {
        let (x, labels) = w2_batch();
        let (mlp, params) = mlp(&W2_SIZES, W2_MODEL_SEED);
        Self {
            mlp,
            params,
            x,
            labels,
            opt: Sgd::new(LR),
            tape: Tape::new(),
        }
    }

    /// The loss and every parameter's gradient (store order), without an update.
    pub fn loss_and_grads(&mut self) -> (f64, Vec<Vec<T>>) {
        self.tape.reset();
        let tape = &self.tape;
        let bound = self.params.bind(tape);
        let logits = self.mlp.forward(&bound, tape.constant_from(&self.x));
        let loss = loss::cross_entropy(logits, &self.labels).expect("labels");
        let grads = bound.grads(loss.backward());
        let grads = grads
            .into_iter()
            .map(|g| g.expect("trainable").to_vec())
            .collect();
        (loss.item().as_f64(), grads)
    }

    /// One training step; returns the loss before the update.
    pub fn step(&mut self) -> f64 {
        self.tape.reset();
        let (loss, grads) = {
            let tape = &self.tape;
            let bound = self.params.bind(tape);
            let logits = self.mlp.forward(&bound, tape.constant_from(&self.x));
            let loss = loss::cross_entropy(logits, &self.labels).expect("labels");
            (loss.item().as_f64(), bound.grads(loss.backward()))
        };
        self.opt.step(&mut self.params, &grads);
        loss
    }

    /// The number of nodes the last step recorded.
    pub fn tape_len(&self) -> usize {
        self.tape.len()
    }

    /// The bytes held by the step's tape.
    pub fn tape_bytes(&self) -> usize {
        self.tape.memory_bytes()
    }
}

/// W2's hand-written limit.
pub struct W2Limit<T = f32> {
    /// The MLP with its buffers.
    pub mlp: MlpLimit<T>,
    x: Vec<T>,
    labels: Vec<usize>,
}

impl<T: Float> Default for W2Limit<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> W2Limit<T> {
    /// The same seeded parameters and batch as [`W2Engine::new`].
    pub fn new() -> Self {
        let (x, labels) = w2_batch::<T>();
        let (_, ps) = mlp::<T>(&W2_SIZES, W2_MODEL_SEED);
        Self {
            mlp: MlpLimit::new(&W2_SIZES, W2_BATCH, param_vecs(&ps)),
            x: x.to_vec(),
            labels,
        }
    }

    /// The loss; the gradients are left in `self.mlp.grads`.
    pub fn loss_and_grads(&mut self) -> f64 {
        self.mlp.forward(&self.x);
        let loss = cross_entropy_loss(&mut self.mlp, &self.labels);
        self.mlp.backward(&self.x);
        loss.as_f64()
    }

    /// One training step; returns the loss before the update.
    pub fn step(&mut self) -> f64 {
        let loss = self.loss_and_grads();
        self.mlp.sgd(T::from_f64(LR));
        loss
    }
}

/// The environment variable that marks a child process started by [`per_thread_count`].
const THREADS_VAR: &str = "CHAINRULE_BENCH_THREADS";

/// Set (to anything) to run the benchmarks with glibc's allocator as a fresh process has it:
/// no [`warm_allocator`], and criterion kept from running `cargo metadata` (whose large output,
/// once freed, warms the allocator too).
pub const FRESH_MALLOC_VAR: &str = "CHAINRULE_BENCH_FRESH_MALLOC";

/// Runs `body(n)` once per thread count `n`, each in a fresh child process of this benchmark
/// with `CHAINRULE_NUM_THREADS=n` (each count gets a pool of its own size, started in a fresh
/// process) and a warmed allocator (unless [`FRESH_MALLOC_VAR`] is
/// set). The children get this process's arguments (criterion's filters and options). Panics
/// if a child fails.
pub fn per_thread_count(counts: &[usize], body: impl FnOnce(usize)) {
    let fresh = std::env::var_os(FRESH_MALLOC_VAR).is_some();
    if let Ok(n) = std::env::var(THREADS_VAR) {
        if !fresh {
            warm_allocator();
        }
        body(n.parse().expect("a thread count"));
        return;
    }
    let exe = std::env::current_exe().expect("the benchmark's path");
    for &n in counts {
        let mut child = Command::new(&exe);
        child
            .args(std::env::args_os().skip(1))
            .env(THREADS_VAR, n.to_string())
            .env(chainrule::NUM_THREADS_VAR, n.to_string());
        if fresh && std::env::var_os("CARGO_TARGET_DIR").is_none() {
            // The benchmark is `target/release/deps/<name>`: criterion needs no `cargo metadata`.
            if let Some(target) = exe.ancestors().nth(3) {
                child.env("CARGO_TARGET_DIR", target);
            }
        }
        let status = child.status().expect("the benchmark runs itself");
        assert!(status.success(), "the run with {n} thread(s) failed: {status}");
    }
}

/// Puts glibc's allocator in the state of a process that has run for a while: allocating and
/// freeing a 16 MiB block raises its dynamic mmap threshold to 16 MiB (and its trim threshold
/// to 32 MiB), so later large blocks that are freed every step (the engine's gradient copies)
/// are reused from the heap instead of being unmapped and faulted in again. In a fresh process
/// the engine's W2 step is much slower for that reason alone; `w2/threads=1/fresh_malloc`
/// measures it (see docs/performance.md).
pub fn warm_allocator() {
    let block: Vec<u8> = Vec::with_capacity(16 << 20);
    drop(std::hint::black_box(block));
}

/// Whether this is a real benchmark run (`cargo bench` passes `--bench`), as opposed to
/// `cargo test --benches`, which runs each benchmark once as a smoke test.
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`, ...); `None` off Linux.
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
