//! chainrule's side of the comparison harness (`bench/compare/run.py` drives it).
//!
//! A long-lived worker: it reads one JSON request a line on stdin and answers one JSON line on
//! stdout, so the driver can interleave it round-robin with the peers' workers. A request
//! `{"w": "w2", "reps": 20, "warmup": 3}` sets the workload up on first use (running `warmup`
//! untimed steps), then times `reps` steps one by one and answers
//! `{"ok": true, "times": [seconds...], "cpu": s, "wall": s, "check": x}` where `cpu / wall` is
//! the process's CPU time over the wall time of the timed loop (the threads actually used) and
//! `check` a value to compare across frameworks (a loss, a sum).
//!
//! Workloads (docs/performance.md, "Comparison with peers", defines them):
//! - `w1_scalar`: micrograd's demo step with one scalar node per op (scalar `Var`s);
//! - `w1_scalar_replay`: the same step captured once (`Tape::capture`) and replayed;
//! - `w1_tensor`: the same step through `nn::Mlp` on a batch of 100 (f64);
//! - `w2`: 784-256-256-10 relu MLP, softmax cross-entropy, batch 128, f32, SGD 0.01;
//! - `w2_replay`: the same step captured once and replayed (as `nn::train::fit` runs it);
//! - `w2_scaling`: the replayed step on 1 and 2 threads and two 1-thread steps side by side,
//!   alternated in blocks in one process (`scaling.rs`);
//! - `w3`: f32 `n x n` matmul (`"n": 128..1024`), forward only;
//! - `w4_scalar`, `w4_vec16`: 500 x (x = x * 1.0001 + 0.5; x = tanh(x)), then backward of the sum;
//! - `digits`: a whole training run to 97% test accuracy on the embedded digits (the criterion
//!   bench `benches/time_to_accuracy.rs`'s run, the same file); `check` is the epochs it took and
//!   `accuracy` the test accuracy it stopped at.

mod scaling;

use autograd::{Plan, PlanSpec, Tape, Tensor, Var};
use nn::optim::{Optimizer, Sgd};
use nn::{loss, Activation, Mlp, Module, ParamStore, Sequential};
use rand::{RngExt, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

// The run the criterion bench times, included from the root package so both time the same thing.
#[path = "../../../../benches/common/to_accuracy.rs"]
#[allow(dead_code)] // its TARGET serves the criterion bench's assertion
mod to_accuracy;

fn cpu_seconds() -> f64 {
    // SAFETY: clock_gettime writes one timespec into the struct we pass.
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// A workload set up once, stepped many times.
trait Workload {
    /// One timed step; returns a value to check across frameworks.
    fn step(&mut self) -> f64;
    /// The time of the step's measured part, if not the whole step (W3: the matmul alone).
    fn inner_time(&self) -> Option<f64> {
        None
    }
    /// The nodes the last step recorded on its tape before the backward sweep, and in all (for
    /// a plan: the values a replay writes, `Plan::len`).
    fn nodes(&self) -> Option<(usize, usize)> {
        None
    }
    /// The test accuracy the last step reached (the digits run).
    fn accuracy(&self) -> Option<f64> {
        None
    }
    /// Anything else a request's steps measured, answered as `extra` and then forgotten
    /// (`w2_scaling`'s blocks).
    fn extra(&mut self) -> Option<Value> {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// W1: micrograd's demo step.

/// The shared W1 data written by run.py: points, labels and the initial parameters.
struct W1Data {
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
    /// Per layer: weight `[out][in]` row-major and bias `[out]`.
    layers: Vec<(usize, usize, Vec<f64>, Vec<f64>)>,
}

fn load_w1(path: &str) -> W1Data {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read W1 data")).expect("W1 data is JSON");
    let f = |v: &Value| v.as_f64().expect("number");
    let x = v["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| [f(&p[0]), f(&p[1])])
        .collect();
    let y = v["y"].as_array().unwrap().iter().map(f).collect();
    let layers = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let w = l["w"].as_array().unwrap();
            let (out, inp) = (w.len(), w[0].as_array().unwrap().len());
            let wv = w
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(f))
                .collect();
            let b = l["b"].as_array().unwrap().iter().map(f).collect();
            (out, inp, wv, b)
        })
        .collect();
    W1Data { x, y, layers }
}

const W1_LR: f64 = 0.01;
const W1_ALPHA: f64 = 1e-4;

/// (a) One scalar node per op, exactly as micrograd builds it: a neuron is
/// `relu(b + w0 x0 + w1 x1 + ...)`, the loss `sum_i relu(1 - y_i s_i) / 100 + 1e-4 sum p^2`.
struct W1Scalar {
    data: W1Data,
    /// Parameters in micrograd's order: per layer, per neuron, its weights then its bias.
    params: Vec<f64>,
    tape: Tape<f64>,
    fwd_nodes: usize,
}

impl W1Scalar {
    fn new(data: W1Data) -> Self {
        let mut params = Vec::new();
        for (out, inp, w, b) in &data.layers {
            for o in 0..*out {
                params.extend_from_slice(&w[o * inp..(o + 1) * inp]);
                params.push(b[o]);
            }
        }
        Self {
            data,
            params,
            tape: Tape::new(),
            fwd_nodes: 0,
        }
    }
}

/// W1(a)'s loss on `tape` at `params` (micrograd's order): one scalar node per op; returns the
/// loss and the parameters' handles.
fn w1_scalar_loss<'t>(
    tape: &'t Tape<f64>,
    data: &W1Data,
    params: &[f64],
) -> (Var<'t, f64>, Vec<Var<'t, f64>>) {
    let p: Vec<_> = params.iter().map(|&v| tape.scalar_var(v)).collect();
    let n_layers = data.layers.len();
    let mut losses = Vec::with_capacity(data.x.len());
    for (xi, &yi) in data.x.iter().zip(&data.y) {
        let mut h = vec![tape.scalar(xi[0]), tape.scalar(xi[1])];
        let mut k = 0;
        for (li, (out, inp, _, _)) in data.layers.iter().enumerate() {
            let mut next = Vec::with_capacity(*out);
            for _ in 0..*out {
                let (w, b) = (&p[k..k + inp], p[k + inp]);
                k += inp + 1;
                let act = w.iter().zip(&h).fold(b, |acc, (&wi, &xi)| acc + wi * xi);
                next.push(if li + 1 < n_layers { act.relu() } else { act });
            }
            h = next;
        }
        losses.push((h[0] * -yi + 1.0).relu());
    }
    let n = losses.len() as f64;
    let data_loss = losses.into_iter().reduce(|a, b| a + b).unwrap() * (1.0 / n);
    let reg = p.iter().map(|&q| q * q).reduce(|a, b| a + b).unwrap() * W1_ALPHA;
    (data_loss + reg, p)
}

impl Workload for W1Scalar {
    fn nodes(&self) -> Option<(usize, usize)> {
        Some((self.fwd_nodes, self.tape.len()))
    }
    fn step(&mut self) -> f64 {
        self.tape.reset();
        let tape = &self.tape;
        let (total, p) = w1_scalar_loss(tape, &self.data, &self.params);
        self.fwd_nodes = tape.len();
        let g = total.backward();
        for (v, q) in self.params.iter_mut().zip(&p) {
            *v -= W1_LR * g[*q].item();
        }
        total.item()
    }
}

/// W1(a) recorded once and replayed (`Tape::capture`): the same step, loss and SGD update bit
/// for bit, with no recording per step; the update runs on the plan's parameters in place.
struct W1ScalarReplay {
    plan: Plan<f64>,
    /// The plan still holds the captured step's results (the first step reads them).
    fresh: bool,
    fwd_nodes: usize,
}

impl W1ScalarReplay {
    fn new(data: W1Data) -> Self {
        let s = W1Scalar::new(data);
        let mut fwd_nodes = 0;
        let plan = Tape::capture(|tape| {
            let (total, p) = w1_scalar_loss(tape, &s.data, &s.params);
            fwd_nodes = tape.len();
            PlanSpec::new().output(total).grads(total, &p)
        });
        Self {
            plan,
            fresh: true,
            fwd_nodes,
        }
    }
}

impl Workload for W1ScalarReplay {
    fn nodes(&self) -> Option<(usize, usize)> {
        Some((self.fwd_nodes, self.plan.len()))
    }
    fn step(&mut self) -> f64 {
        if !self.fresh {
            self.plan.replay();
        }
        self.fresh = false;
        let loss = self.plan.output(0)[0];
        self.plan.update_params(|_, w, g| w[0] -= W1_LR * g[0]);
        loss
    }
}

/// (b) The tensor path: `nn::Mlp` over the batch of 100, `loss::hinge` + `1e-4 l2_penalty`.
struct W1Tensor {
    x: Tensor<f64>,
    y: Tensor<f64>,
    model: Sequential<f64>,
    params: ParamStore<f64>,
    opt: Sgd<f64>,
    tape: Tape<f64>,
    fwd_nodes: usize,
}

impl W1Tensor {
    fn new(data: W1Data) -> Self {
        let mut params = ParamStore::<f64>::new();
        let acts = [Activation::Relu, Activation::Relu, Activation::Identity];
        let model = Mlp::new(&mut params, "layers", &[2, 16, 16, 1], &acts, 0).unwrap();
        for (i, (out, inp, w, b)) in data.layers.iter().enumerate() {
            params
                .set(
                    &format!("layers.{i}.weight"),
                    Tensor::from_vec(w.clone(), &[*out, *inp]).unwrap(),
                )
                .unwrap();
            params
                .set(&format!("layers.{i}.bias"), Tensor::from(b.clone()))
                .unwrap();
        }
        let n = data.x.len();
        let x = Tensor::from_vec(data.x.iter().flat_map(|p| *p).collect(), &[n, 2]).unwrap();
        let y = Tensor::from_vec(data.y.clone(), &[n, 1]).unwrap();
        Self {
            x,
            y,
            model,
            params,
            opt: Sgd::new(W1_LR),
            tape: Tape::new(),
            fwd_nodes: 0,
        }
    }
}

impl Workload for W1Tensor {
    fn nodes(&self) -> Option<(usize, usize)> {
        Some((self.fwd_nodes, self.tape.len()))
    }
    fn step(&mut self) -> f64 {
        self.tape.reset();
        let tape = &self.tape;
        let bound = self.params.bind(tape);
        let scores = self.model.forward(&bound, tape.constant_from(&self.x));
        let data_loss = loss::hinge(scores, tape.constant_from(&self.y)).unwrap();
        let reg = loss::l2_penalty(bound.vars()).unwrap().mul_scalar(W1_ALPHA);
        let total = data_loss + reg;
        self.fwd_nodes = tape.len();
        let grads = bound.grads(total.backward());
        let l = total.item();
        self.opt.step(&mut self.params, &grads);
        l
    }
}

// ---------------------------------------------------------------------------------------------
// W2: MLP training step, f32.

struct W2 {
    x: Tensor<f32>,
    labels: Vec<usize>,
    model: Sequential<f32>,
    params: ParamStore<f32>,
    opt: Sgd<f32>,
    tape: Tape<f32>,
    fwd_nodes: usize,
}

impl W2 {
    fn new() -> Self {
        let mut params = ParamStore::<f32>::new();
        let acts = [Activation::Relu, Activation::Relu, Activation::Identity];
        let model = Mlp::new(&mut params, "layers", &[784, 256, 256, 10], &acts, 0).unwrap();
        let x = Tensor::rand_normal(&[128, 784], 0.0, 1.0, 1);
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let labels = (0..128).map(|_| rng.random_range(0..10)).collect();
        Self {
            x,
            labels,
            model,
            params,
            opt: Sgd::new(0.01),
            tape: Tape::new(),
            fwd_nodes: 0,
        }
    }
}

impl Workload for W2 {
    fn nodes(&self) -> Option<(usize, usize)> {
        Some((self.fwd_nodes, self.tape.len()))
    }
    fn step(&mut self) -> f64 {
        self.tape.reset();
        let tape = &self.tape;
        let bound = self.params.bind(tape);
        let logits = self.model.forward(&bound, tape.constant_from(&self.x));
        let l = loss::cross_entropy(logits, &self.labels).unwrap();
        self.fwd_nodes = tape.len();
        let grads = bound.grads(l.backward());
        let v = l.item() as f64;
        self.opt.step(&mut self.params, &grads);
        v
    }
}

/// W2 captured once (`Tape::capture`) and replayed, as `nn::train::fit` and the CLI train: the
/// batch and labels written in, the step replayed, SGD in place on the plan's parameters, split
/// over the threads as `nn`'s (bit for bit `W2`'s step, `tests/suite/plan_replay.rs`).
struct W2Replay {
    x: Tensor<f32>,
    labels: Vec<usize>,
    plan: Plan<f32>,
}

impl W2Replay {
    fn new() -> Self {
        let W2 {
            x,
            labels,
            model,
            params,
            ..
        } = W2::new();
        let plan = Tape::capture(|tape| {
            let bound = params.bind(tape);
            let input = tape.constant_from(&x);
            let loss = loss::cross_entropy(model.forward(&bound, input), &labels).unwrap();
            PlanSpec::new()
                .input(input)
                .indices(loss)
                .output(loss)
                .grads(loss, bound.vars())
        });
        Self { x, labels, plan }
    }
}

impl Workload for W2Replay {
    fn step(&mut self) -> f64 {
        self.plan.run(&[&self.x], &[&self.labels]);
        let loss = self.plan.output(0)[0] as f64;
        // Split over the threads as `nn::optim::Sgd` splits it (each thread updates the rows of
        // a weight it computed the gradient of).
        self.plan.update_params(|_, w, g| {
            autograd::for_each_chunk_mut(w, |start, w| {
                w.iter_mut().zip(&g[start..]).for_each(|(w, &g)| *w -= 0.01 * g)
            })
        });
        loss
    }
}

// ---------------------------------------------------------------------------------------------
// W3: GEMM through the engine's matmul op (values only: no gradient is recorded).

struct W3 {
    a: Tensor<f32>,
    b: Tensor<f32>,
    tape: Tape<f32>,
    /// Seconds of the matmul call alone, set by `step` (binding the inputs is not timed).
    last: f64,
}

impl W3 {
    fn new(n: usize) -> Self {
        Self {
            a: Tensor::rand_normal(&[n, n], 0.0, 1.0, 3),
            b: Tensor::rand_normal(&[n, n], 0.0, 1.0, 4),
            tape: Tape::new(),
            last: 0.0,
        }
    }
}

impl Workload for W3 {
    fn step(&mut self) -> f64 {
        self.tape.reset();
        let tape = &self.tape;
        let (a, b) = (tape.constant_from(&self.a), tape.constant_from(&self.b));
        let t0 = Instant::now();
        let c = a.matmul(b);
        self.last = t0.elapsed().as_secs_f64();
        c.with_values(|v| v[0] as f64)
    }
    fn inner_time(&self) -> Option<f64> {
        Some(self.last)
    }
}

// ---------------------------------------------------------------------------------------------
// W4: per-op overhead.

struct W4 {
    x0: Tensor<f64>,
    tape: Tape<f64>,
    fwd_nodes: usize,
}

impl Workload for W4 {
    fn nodes(&self) -> Option<(usize, usize)> {
        Some((self.fwd_nodes, self.tape.len()))
    }
    fn step(&mut self) -> f64 {
        self.tape.reset();
        let tape = &self.tape;
        let x0 = tape.var_from(&self.x0);
        let mut x = x0;
        for _ in 0..500 {
            x = x * 1.0001 + 0.5;
            x = x.tanh();
        }
        let s = x.sum();
        self.fwd_nodes = tape.len();
        let g = s.backward();
        g[x0].sum()
    }
}

// ---------------------------------------------------------------------------------------------
// Time to 97% on the digits: one step is a whole run from scratch (data, model, training).

#[derive(Default)]
struct Digits {
    accuracy: Option<f64>,
}

impl Workload for Digits {
    fn step(&mut self) -> f64 {
        let (epochs, accuracy) = to_accuracy::train_to_target();
        self.accuracy = Some(accuracy);
        epochs as f64
    }
    fn accuracy(&self) -> Option<f64> {
        self.accuracy
    }
}

// ---------------------------------------------------------------------------------------------

fn make(req: &Value) -> Result<Box<dyn Workload>, String> {
    let w = req["w"].as_str().unwrap_or("");
    let data = || -> Result<W1Data, String> {
        let path = req["data"].as_str().ok_or("W1 needs \"data\": the data file")?;
        Ok(load_w1(path))
    };
    Ok(match w {
        "w1_scalar" => Box::new(W1Scalar::new(data()?)),
        "w1_scalar_replay" => Box::new(W1ScalarReplay::new(data()?)),
        "w1_tensor" => Box::new(W1Tensor::new(data()?)),
        "w2" => Box::new(W2::new()),
        "w2_replay" => Box::new(W2Replay::new()),
        "w2_scaling" if autograd::get_num_threads() < 2 => {
            return Err("w2_scaling needs a worker with 2 threads or more".into());
        }
        "w2_scaling" => Box::new(scaling::W2Scaling::new()),
        "w3" => Box::new(W3::new(req["n"].as_u64().ok_or("w3 needs n")? as usize)),
        "w4_scalar" => Box::new(W4 {
            x0: Tensor::scalar(0.1),
            tape: Tape::new(),
            fwd_nodes: 0,
        }),
        "w4_vec16" => Box::new(W4 {
            x0: Tensor::from((0..16).map(|i| 0.1 * i as f64 - 0.8).collect::<Vec<_>>()),
            tape: Tape::new(),
            fwd_nodes: 0,
        }),
        "digits" => Box::new(Digits::default()),
        other => return Err(format!("unknown workload {other:?}")),
    })
}

fn run(cache: &mut HashMap<String, Box<dyn Workload>>, req: &Value) -> Result<Value, String> {
    let key = format!("{}/{}", req["w"], req["n"]);
    // A new workload's first step (untimed) gives `first`, comparable across frameworks.
    let mut first = None;
    if !cache.contains_key(&key) {
        let mut wl = make(req)?;
        first = Some(wl.step());
        cache.insert(key.clone(), wl);
    }
    let wl = cache.get_mut(&key).unwrap();
    let mut check = first.unwrap_or(0.0);
    for _ in 0..req["warmup"].as_u64().unwrap_or(0) {
        check = wl.step();
    }
    let _ = wl.extra(); // what the set-up and warm-up steps measured
    let reps = req["reps"].as_u64().unwrap_or(1) as usize;
    let mut times = Vec::with_capacity(reps);
    let (c0, w0) = (cpu_seconds(), Instant::now());
    for _ in 0..reps {
        let t = Instant::now();
        check = wl.step();
        let dt = t.elapsed().as_secs_f64();
        times.push(wl.inner_time().unwrap_or(dt));
    }
    let wall = w0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c0;
    Ok(
        json!({"ok": true, "times": times, "cpu": cpu, "wall": wall, "check": check, "first": first, "nodes": wl.nodes(), "accuracy": wl.accuracy(), "extra": wl.extra()}),
    )
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut cache: HashMap<String, Box<dyn Workload>> = HashMap::new();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        if line.trim().is_empty() {
            continue;
        }
        let resp = match serde_json::from_str::<Value>(&line) {
            Err(e) => json!({"ok": false, "error": e.to_string()}),
            Ok(req) => match req["cmd"].as_str() {
                Some("quit") => break,
                Some("info") => json!({"ok": true, "framework": "chainrule"}),
                _ => run(&mut cache, &req).unwrap_or_else(|e| json!({"ok": false, "error": e})),
            },
        };
        writeln!(out, "{resp}").unwrap();
        out.flush().unwrap();
    }
}
