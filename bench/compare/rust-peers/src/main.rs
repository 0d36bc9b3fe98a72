//! candle and burn sides of chainrule's comparison harness: burn with its ndarray backend
//! (`"fw": "burn"`, the backend issue 5 names, deprecated in burn 0.22) and with its flex backend
//! (`"fw": "burn-flex"`, burn 0.22's maintained pure-Rust CPU backend), both with autodiff.
//!
//! A long-lived worker driven by `bench/compare/run.py`, with the same line protocol as
//! `chainrule-side` and `peers.py`: one JSON request a line on stdin, e.g.
//! `{"fw": "candle", "w": "w2", "reps": 20, "warmup": 3}`, one JSON answer a line on stdout,
//! `{"ok": true, "times": [s...], "cpu": s, "wall": s, "check": x, "first": x}`.
//! A workload is set up on first use; its first step is untimed and returned as `first`.
//!
//! Threads: both libraries size their pools from the environment set by run.py before the
//! process starts (RAYON_NUM_THREADS for candle's gemm and burn-ndarray's rayon,
//! MATMUL_NUM_THREADS for matrixmultiply's threading inside burn-ndarray).

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

type Step = Box<dyn FnMut() -> f64>;

fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into the struct we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// W1's shared data (written by run.py): points `[100][2]`, labels, and per layer a weight
/// `[out][in]` and a bias `[out]`.
struct W1Data {
    x: Vec<f64>,
    y: Vec<f64>,
    layers: Vec<(usize, usize, Vec<f64>, Vec<f64>)>,
}

fn load_w1(path: &str) -> W1Data {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read W1 data")).unwrap();
    let f = |v: &Value| v.as_f64().unwrap();
    let x = v["x"].as_array().unwrap().iter().flat_map(|p| [f(&p[0]), f(&p[1])]).collect();
    let y = v["y"].as_array().unwrap().iter().map(f).collect();
    let layers = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let w = l["w"].as_array().unwrap();
            let (out, inp) = (w.len(), w[0].as_array().unwrap().len());
            let wv = w.iter().flat_map(|r| r.as_array().unwrap().iter().map(f)).collect();
            (out, inp, wv, l["b"].as_array().unwrap().iter().map(f).collect())
        })
        .collect();
    W1Data { x, y, layers }
}

/// W2's data: N(0, 1) inputs `[128, 784]` and labels in 0..10, seeded; weights uniform in
/// +-1/sqrt(fan_in) as PyTorch's `nn.Linear` initialises them.
fn w2_data() -> (Vec<f32>, Vec<u32>, Vec<(usize, usize, Vec<f32>, Vec<f32>)>) {
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let x = (0..128 * 784).map(|_| StandardNormal.sample(&mut rng)).collect();
    let labels = (0..128).map(|_| rng.random_range(0..10u32)).collect();
    let layers = [(784, 256), (256, 256), (256, 10)]
        .iter()
        .map(|&(inp, out)| {
            let k = 1.0 / (inp as f32).sqrt();
            let w = (0..out * inp).map(|_| rng.random_range(-k..k)).collect();
            let b = (0..out).map(|_| rng.random_range(-k..k)).collect();
            (out, inp, w, b)
        })
        .collect();
    (x, labels, layers)
}

fn gemm_data(n: usize) -> (Vec<f32>, Vec<f32>) {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let a = (0..n * n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let b = (0..n * n).map(|_| StandardNormal.sample(&mut rng)).collect();
    (a, b)
}

fn w4_start(vec16: bool) -> Vec<f64> {
    if vec16 {
        (0..16).map(|i| 0.1 * i as f64 - 0.8).collect()
    } else {
        vec![0.1]
    }
}

// ---------------------------------------------------------------------------------------------

mod candle_side {
    use super::*;
    use candle_core::{DType, Device, Tensor, Var};
    use candle_nn::optim::{Optimizer, SGD};

    type R<T> = candle_core::Result<T>;

    fn mlp(x: &Tensor, params: &[(Var, Var)]) -> R<Tensor> {
        let mut h = x.clone();
        for (i, (w, b)) in params.iter().enumerate() {
            // candle_nn::Linear's forward for a 2-d input: x W^T + b.
            h = h.matmul(&w.t()?)?.broadcast_add(b)?;
            if i + 1 < params.len() {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    pub fn make(req: &Value) -> R<Step> {
        let dev = Device::Cpu;
        Ok(match req["w"].as_str().unwrap_or("") {
            "w1_tensor" => {
                let d = load_w1(req["data"].as_str().unwrap());
                let n = d.y.len();
                let x = Tensor::from_vec(d.x, (n, 2), &dev)?;
                let y = Tensor::from_vec(d.y, (n, 1), &dev)?;
                let params: Vec<(Var, Var)> = d
                    .layers
                    .into_iter()
                    .map(|(o, i, w, b)| Ok((Var::from_vec(w, (o, i), &dev)?, Var::from_vec(b, o, &dev)?)))
                    .collect::<R<_>>()?;
                let vars: Vec<Var> = params.iter().flat_map(|(w, b)| [w.clone(), b.clone()]).collect();
                let mut opt = SGD::new(vars.clone(), 0.01)?;
                Box::new(move || {
                    let mut step = || -> R<f64> {
                        let score = mlp(&x, &params)?;
                        let data = (&y * &score)?.affine(-1.0, 1.0)?.relu()?.mean_all()?;
                        let mut reg = vars[0].sqr()?.sum_all()?;
                        for v in &vars[1..] {
                            reg = (reg + v.sqr()?.sum_all()?)?;
                        }
                        let loss = (data + reg.affine(1e-4, 0.0)?)?;
                        opt.backward_step(&loss)?;
                        loss.to_scalar::<f64>()
                    };
                    step().expect("candle w1")
                })
            }
            "w2" => {
                let (x, labels, layers) = w2_data();
                let x = Tensor::from_vec(x, (128, 784), &dev)?;
                let labels = Tensor::from_vec(labels, 128, &dev)?;
                let params: Vec<(Var, Var)> = layers
                    .into_iter()
                    .map(|(o, i, w, b)| Ok((Var::from_vec(w, (o, i), &dev)?, Var::from_vec(b, o, &dev)?)))
                    .collect::<R<_>>()?;
                let vars: Vec<Var> = params.iter().flat_map(|(w, b)| [w.clone(), b.clone()]).collect();
                let mut opt = SGD::new(vars, 0.01)?;
                Box::new(move || {
                    let mut step = || -> R<f64> {
                        let logits = mlp(&x, &params)?;
                        let loss = candle_nn::loss::cross_entropy(&logits, &labels)?;
                        opt.backward_step(&loss)?;
                        Ok(loss.to_scalar::<f32>()? as f64)
                    };
                    step().expect("candle w2")
                })
            }
            "w3" => {
                let n = req["n"].as_u64().unwrap() as usize;
                let (a, b) = gemm_data(n);
                let a = Tensor::from_vec(a, (n, n), &dev)?;
                let b = Tensor::from_vec(b, (n, n), &dev)?;
                Box::new(move || {
                    let c = a.matmul(&b).expect("candle matmul");
                    assert_eq!(c.dtype(), DType::F32);
                    0.0
                })
            }
            w @ ("w4_scalar" | "w4_vec16") => {
                let v = w4_start(w == "w4_vec16");
                let x0 = if w == "w4_scalar" { Var::new(v[0], &dev)? } else { Var::from_vec(v, 16, &dev)? };
                Box::new(move || {
                    let step = || -> R<f64> {
                        let mut x: Tensor = x0.as_tensor().clone();
                        for _ in 0..500 {
                            x = ((&x * 1.0001)? + 0.5)?;
                            x = x.tanh()?;
                        }
                        let grads = x.sum_all()?.backward()?;
                        grads.get(&x0).unwrap().sum_all()?.to_scalar::<f64>()
                    };
                    step().expect("candle w4")
                })
            }
            other => return Err(candle_core::Error::Msg(format!("candle does not run {other}"))),
        })
    }
}

// ---------------------------------------------------------------------------------------------

mod burn_side {
    use super::*;
    use burn::tensor::activation::{log_softmax, relu};
    use burn::tensor::{DType, Device, Int, Tensor, TensorData};

    fn mlp(x: Tensor<2>, params: &[(Tensor<2>, Tensor<1>)]) -> Tensor<2> {
        let mut h = x;
        for (i, (w, b)) in params.iter().enumerate() {
            // burn::nn::Linear stores W as [in, out]; here [out, in] as the other peers, so
            // x W^T (a transposed view) + b.
            h = h.matmul(w.clone().transpose()) + b.clone().unsqueeze::<2>();
            if i + 1 < params.len() {
                h = relu(h);
            }
        }
        h
    }

    /// Parameters held without autodiff; each step binds them as fresh tracked leaves, and SGD
    /// updates the held values with the gradients (what burn's optimiser does underneath).
    fn bind(params: &[(Tensor<2>, Tensor<1>)]) -> Vec<(Tensor<2>, Tensor<1>)> {
        params
            .iter()
            .map(|(w, b)| (w.clone().autodiff().require_grad(), b.clone().autodiff().require_grad()))
            .collect()
    }

    fn sgd(params: &mut [(Tensor<2>, Tensor<1>)], bound: &[(Tensor<2>, Tensor<1>)], grads: &burn::tensor::Gradients, lr: f64) {
        for ((w, b), (bw, bb)) in params.iter_mut().zip(bound) {
            *w = w.clone() - bw.grad(grads).unwrap().mul_scalar(lr);
            *b = b.clone() - bb.grad(grads).unwrap().mul_scalar(lr);
        }
    }

    fn scalar(t: Tensor<1>) -> f64 {
        t.into_data().convert::<f64>().try_to_vec::<f64>().unwrap()[0]
    }

    /// `flex`: burn's maintained pure-Rust CPU backend instead of the (deprecated) ndarray one.
    #[allow(deprecated)] // Device::ndarray: the backend issue 5 names; see docs/performance.md
    pub fn make(req: &Value, flex: bool) -> Result<Step, String> {
        let dev = if flex { Device::flex() } else { Device::ndarray() };
        Ok(match req["w"].as_str().unwrap_or("") {
            "w1_tensor" => {
                let d = load_w1(req["data"].as_str().unwrap());
                let n = d.y.len();
                let f64opt = (&dev, DType::F64);
                let x: Tensor<2> = Tensor::from_data(TensorData::new(d.x, [n, 2]), f64opt).autodiff();
                let y: Tensor<2> = Tensor::from_data(TensorData::new(d.y, [n, 1]), f64opt).autodiff();
                let mut params: Vec<(Tensor<2>, Tensor<1>)> = d
                    .layers
                    .into_iter()
                    .map(|(o, i, w, b)| {
                        (
                            Tensor::from_data(TensorData::new(w, [o, i]), f64opt),
                            Tensor::from_data(TensorData::new(b, [o]), f64opt),
                        )
                    })
                    .collect();
                Box::new(move || {
                    let bound = bind(&params);
                    let score = mlp(x.clone(), &bound);
                    let data = relu((y.clone() * score).neg().add_scalar(1.0)).mean();
                    let mut reg = bound[0].0.clone().square().sum();
                    for (i, (w, b)) in bound.iter().enumerate() {
                        if i > 0 {
                            reg = reg + w.clone().square().sum();
                        }
                        reg = reg + b.clone().square().sum();
                    }
                    let loss = data + reg.mul_scalar(1e-4);
                    let grads = loss.backward();
                    sgd(&mut params, &bound, &grads, 0.01);
                    scalar(loss)
                })
            }
            "w2" => {
                let (x, labels, layers) = w2_data();
                let x: Tensor<2> = Tensor::from_data(TensorData::new(x, [128, 784]), &dev).autodiff();
                let labels: Vec<i64> = labels.into_iter().map(i64::from).collect();
                let labels: Tensor<2, Int> =
                    Tensor::<1, Int>::from_data(TensorData::new(labels, [128]), &dev).reshape([128, 1]).autodiff();
                let mut params: Vec<(Tensor<2>, Tensor<1>)> = layers
                    .into_iter()
                    .map(|(o, i, w, b)| {
                        (
                            Tensor::from_data(TensorData::new(w, [o, i]), &dev),
                            Tensor::from_data(TensorData::new(b, [o]), &dev),
                        )
                    })
                    .collect();
                Box::new(move || {
                    let bound = bind(&params);
                    let logits = mlp(x.clone(), &bound);
                    // burn::nn::loss::CrossEntropyLoss without weights or smoothing.
                    let picked = log_softmax(logits, 1).gather(1, labels.clone());
                    let loss = picked.mean().neg();
                    let grads = loss.backward();
                    sgd(&mut params, &bound, &grads, 0.01);
                    scalar(loss)
                })
            }
            "w3" => {
                let n = req["n"].as_u64().unwrap() as usize;
                let (a, b) = gemm_data(n);
                let a: Tensor<2> = Tensor::from_data(TensorData::new(a, [n, n]), &dev);
                let b: Tensor<2> = Tensor::from_data(TensorData::new(b, [n, n]), &dev);
                let dev2 = dev.clone();
                Box::new(move || {
                    let c = a.clone().matmul(b.clone());
                    dev2.sync().unwrap();
                    drop(c);
                    0.0
                })
            }
            w @ ("w4_scalar" | "w4_vec16") => {
                let v = w4_start(w == "w4_vec16");
                let k = v.len();
                let start: Tensor<1> = Tensor::from_data(TensorData::new(v, [k]), (&dev, DType::F64));
                Box::new(move || {
                    let x0 = start.clone().autodiff().require_grad();
                    let mut x = x0.clone();
                    for _ in 0..500 {
                        x = x.mul_scalar(1.0001).add_scalar(0.5);
                        x = x.tanh();
                    }
                    let grads = x.sum().backward();
                    scalar(x0.grad(&grads).unwrap().sum())
                })
            }
            other => return Err(format!("burn does not run {other}")),
        })
    }
}

// ---------------------------------------------------------------------------------------------

fn run(cache: &mut HashMap<String, Step>, req: &Value) -> Result<Value, String> {
    let fw = req["fw"].as_str().unwrap_or("");
    let key = format!("{fw}/{}/{}", req["w"], req["n"]);
    let mut first = None;
    if !cache.contains_key(&key) {
        let mut step = match fw {
            "candle" => candle_side::make(req).map_err(|e| e.to_string())?,
            "burn" => burn_side::make(req, false)?,
            "burn-flex" => burn_side::make(req, true)?,
            other => return Err(format!("unknown framework {other:?}")),
        };
        first = Some(step());
        cache.insert(key.clone(), step);
    }
    let step = cache.get_mut(&key).unwrap();
    let mut check = first.unwrap_or(0.0);
    for _ in 0..req["warmup"].as_u64().unwrap_or(0) {
        check = step();
    }
    let reps = req["reps"].as_u64().unwrap_or(1) as usize;
    let mut times = Vec::with_capacity(reps);
    let (c0, w0) = (cpu_seconds(), Instant::now());
    for _ in 0..reps {
        let t = Instant::now();
        check = step();
        times.push(t.elapsed().as_secs_f64());
    }
    let wall = w0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - c0;
    Ok(json!({"ok": true, "times": times, "cpu": cpu, "wall": wall, "check": check, "first": first}))
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut cache: HashMap<String, Step> = HashMap::new();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        if line.trim().is_empty() {
            continue;
        }
        let resp = match serde_json::from_str::<Value>(&line) {
            Err(e) => json!({"ok": false, "error": e.to_string()}),
            Ok(req) => match req["cmd"].as_str() {
                Some("quit") => break,
                Some("info") => json!({
                    "ok": true,
                    "rayon_threads": rayon_threads(),
                }),
                _ => {
                    // A panic inside a framework is reported, not fatal to the worker.
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut cache, &req))) {
                        Ok(Ok(v)) => v,
                        Ok(Err(e)) => json!({"ok": false, "error": e}),
                        Err(p) => json!({"ok": false, "error": format!("panic: {:?}", p.downcast_ref::<String>().map(String::as_str).or(p.downcast_ref::<&str>().copied()))}),
                    }
                }
            },
        };
        writeln!(out, "{resp}").unwrap();
        out.flush().unwrap();
    }
}

fn rayon_threads() -> Option<usize> {
    std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok())
}
