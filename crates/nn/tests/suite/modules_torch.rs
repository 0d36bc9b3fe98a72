//! LayerNorm, BatchNorm1d and a whole `Sequential` against PyTorch in float64: the literals
//! below and the two files in tests/data were produced by tools/torch_sequential_reference.py
//! (PyTorch 2.x, CPU); the inputs are the decimal literals of that script.

use autograd::{gradcheck, GradcheckOptions, Tape, Tensor};
use nn::checkpoint;
use nn::{BatchNorm1d, LayerNorm, Module, ParamStore, Sequential};

const TOL: f64 = 1e-12;

fn close(got: &Tensor<f64>, want: &[f64], what: &str) {
    assert_eq!(got.numel(), want.len(), "{what}: size");
    for (i, (g, w)) in got.as_slice().iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= TOL * w.abs().max(1.0),
            "{what}[{i}]: {g} vs PyTorch {w}"
        );
    }
}

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

// x, c, and the weight and bias of both layers, as in the script.
const X: [f64; 12] = [0.5, -1.25, 2.0, 0.75, 1.5, 0.25, -0.5, -2.0, 0.1, 0.2, 0.3, 0.4];
const C: [f64; 12] = [1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0, -0.5, 0.3, 0.7, -1.1, 1.9];
const WEIGHT: [f64; 4] = [1.5, -0.5, 2.0, 0.25];
const BIAS: [f64; 4] = [0.1, 0.2, -0.3, 0.0];

// Literals printed by tools/torch_sequential_reference.py, part 1.
const LN_Y: [f64; 12] = [
    0.1,
    0.954826603772164,
    2.2879769272188484,
    0.053916185983726,
    2.0977114542778805,
    0.027358269383393086,
    -0.7932620874760199,
    -0.35761501342011437,
    -1.9116566779468254,
    0.4235174086607584,
    0.5940696346430334,
    0.33527611299113763,
];
const LN_DX: [f64; 12] = [
    0.377413301886082,
    -0.07147016241395177,
    -0.038869920472104025,
    -0.26707321900002634,
    -0.8792353321669019,
    -0.3485250778707424,
    2.5743248965803383,
    -1.3465644865426938,
    5.27691369043885,
    -0.28993834924400125,
    -15.244521552678709,
    10.25754621148386,
];
const BN_Y_TRAIN1: [f64; 12] = [
    -0.4095173166106125,
    0.9067949749047208,
    2.3860114545225555,
    0.21135856207229337,
    2.1380692664424497,
    -0.17136685122112447,
    -2.4104375714105792,
    -0.3511279337652616,
    -1.4285519498318373,
    -0.1354281236835963,
    -0.875573883111976,
    0.13976937169296821,
];
const BN_DX_TRAIN1: [f64; 12] = [
    1.7147384142523636,
    0.006523053704192231,
    1.0279417586233544,
    0.06572238463408414,
    -0.48998719937680074,
    0.1884488899913797,
    2.1844020582113677,
    0.009581515557464212,
    -1.224751214875564,
    -0.19497194369557225,
    -3.2123438168347223,
    -0.0753039001915484,
];
const BN_RUNNING_MEAN3: [f64; 4] = [
    0.2127,
    -0.13626666666666665,
    0.17659999999999998,
    -0.14228333333333334,
];
const BN_RUNNING_VAR3: [f64; 4] = [1.01032, 1.1216758333333336, 1.61083, 1.9412908333333336];
const BN_Y_EVAL: [f64; 12] = [
    0.5287412409554049,
    0.7257939745679269,
    2.573331562461147,
    0.16010185697541654,
    2.021053252634503,
    0.017643344388449153,
    -1.3661929007136187,
    -0.3333289740562761,
    -0.06818356371623432,
    0.04124836539443174,
    -0.10554507249769357,
    0.09730156938956476,
];
const BN_DX_EVAL: [f64; 12] = [
    1.492312011679098,
    0.9442008402393037,
    0.7879048926349531,
    0.5382881793073011,
    -1.492312011679098,
    -0.11802510502991297,
    3.1516195705398125,
    -0.08971469655121685,
    0.44769360350372944,
    -0.3304702940837563,
    -1.733390763796897,
    0.340915846894624,
];

fn affine(ps: &mut ParamStore<f64>, prefix: &str) {
    ps.set(&format!("{prefix}.weight"), Tensor::from(WEIGHT.to_vec()))
        .unwrap();
    ps.set(&format!("{prefix}.bias"), Tensor::from(BIAS.to_vec()))
        .unwrap();
}

/// `(y, dy/dx of sum(y * c))` for one forward pass of `m` in `ps`; buffers updated.
fn run(
    m: &dyn Module<f64>,
    ps: &mut ParamStore<f64>,
    x: &Tensor<f64>,
    train: bool,
) -> (Tensor<f64>, Tensor<f64>) {
    let tape = Tape::new();
    let bound = if train {
        ps.bind(&tape)
    } else {
        ps.bind_eval(&tape)
    };
    let xv = tape.var_from(x);
    let y = m.forward(&bound, xv);
    let g = (y * tape.constant(t(&C, &[3, 4]))).sum().backward();
    ps.update_buffers(&bound);
    (y.value(), g[xv].clone())
}

#[test]
fn layer_norm_matches_pytorch() {
    let mut ps = ParamStore::new();
    let ln = LayerNorm::new(&mut ps, "ln", 4).unwrap();
    affine(&mut ps, "ln");
    for train in [true, false] {
        let (y, dx) = run(&ln, &mut ps, &t(&X, &[3, 4]), train);
        close(&y, &LN_Y, "ln y");
        close(&dx, &LN_DX, "ln dx");
    }
}

#[test]
fn batch_norm_matches_pytorch_over_three_steps_then_in_eval() {
    let mut ps = ParamStore::new();
    let bn = BatchNorm1d::new(&mut ps, "bn", 4).unwrap();
    affine(&mut ps, "bn");
    let x = t(&X, &[3, 4]);
    let (y, dx) = run(&bn, &mut ps, &x, true);
    close(&y, &BN_Y_TRAIN1, "bn y (train)");
    close(&dx, &BN_DX_TRAIN1, "bn dx (train)");
    // Steps 2 and 3: `x * 2 - 1` and the rows of x reversed, plus 0.5.
    let step2 = x.map(|v| v * 2.0 - 1.0);
    let flipped: Vec<f64> = X.chunks(4).rev().flatten().map(|v| v + 0.5).collect();
    run(&bn, &mut ps, &step2, true);
    run(&bn, &mut ps, &t(&flipped, &[3, 4]), true);
    close(
        ps.value("bn.running_mean").unwrap(),
        &BN_RUNNING_MEAN3,
        "running mean",
    );
    close(
        ps.value("bn.running_var").unwrap(),
        &BN_RUNNING_VAR3,
        "running var",
    );
    let (y, dx) = run(&bn, &mut ps, &x, false);
    close(&y, &BN_Y_EVAL, "bn y (eval)");
    close(&dx, &BN_DX_EVAL, "bn dx (eval)");
    // Evaluation changes nothing.
    close(
        ps.value("bn.running_var").unwrap(),
        &BN_RUNNING_VAR3,
        "running var after eval",
    );
}

#[test]
fn norms_pass_gradcheck_in_both_modes() {
    let mut ps = ParamStore::new();
    let ln = LayerNorm::new(&mut ps, "ln", 4).unwrap();
    let bn = BatchNorm1d::new(&mut ps, "bn", 4).unwrap();
    affine(&mut ps, "ln");
    affine(&mut ps, "bn");
    ps.set("bn.running_var", Tensor::from(vec![0.5, 2.0, 1.5, 0.8]))
        .unwrap();
    ps.set("bn.running_mean", Tensor::from(vec![0.1, -0.2, 0.3, 0.0]))
        .unwrap();
    let c = t(&C, &[3, 4]);
    for train in [true, false] {
        let report = gradcheck(
            |v| {
                let tape = v[0].tape();
                let p = if train { ps.bind(tape) } else { ps.bind_eval(tape) };
                (bn.forward(&p, ln.forward(&p, v[0])) * tape.constant_from(&c)).sum()
            },
            &[t(&X, &[3, 4])],
            &GradcheckOptions::default(),
        );
        assert!(report.passed, "train={train}: {report}");
        assert_eq!(report.checked, 12);
    }
}

/// The architecture of the script's `nn.Sequential`.
fn torch_architecture(ps: &mut ParamStore<f64>) -> Sequential<f64> {
    Sequential::builder(ps, 0)
        .linear(3, 5)
        .batch_norm1d(5)
        .relu()
        .linear_bias(5, 4, false)
        .layer_norm(4)
        .silu()
        .linear(4, 4)
        .tanh()
        .leaky_relu(0.1)
        .linear(4, 3)
        .sigmoid()
        .identity()
        .softmax()
        .build()
        .unwrap()
}

fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn a_pytorch_state_dict_loads_and_gives_pytorchs_outputs() {
    let mut ps = ParamStore::new();
    let model = torch_architecture(&mut ps);
    // The file has `1.num_batches_tracked` (I64) as PyTorch writes it; it is skipped.
    checkpoint::load(&mut ps, data("torch_sequential.safetensors")).unwrap();
    let mut io = ParamStore::new();
    for (name, shape) in [("x", [5, 3]), ("y_train", [5, 3]), ("y_eval", [5, 3])] {
        io.add(name, Tensor::zeros(&shape)).unwrap();
    }
    io.add("running_mean", Tensor::zeros(&[5])).unwrap();
    io.add("running_var", Tensor::zeros(&[5])).unwrap();
    checkpoint::load(&mut io, data("torch_sequential_io.safetensors")).unwrap();
    let want = |n: &str| io.value(n).unwrap().as_slice().to_vec();
    let x = io.value("x").unwrap();

    let tape = Tape::new();
    let bound = ps.bind(&tape);
    close(
        &model.forward(&bound, tape.constant_from(x)).value(),
        &want("y_train"),
        "y (train)",
    );
    ps.update_buffers(&bound);
    close(
        ps.value("1.running_mean").unwrap(),
        &want("running_mean"),
        "running mean",
    );
    close(
        ps.value("1.running_var").unwrap(),
        &want("running_var"),
        "running var",
    );
    let tape = Tape::new();
    let y = model.forward(&ps.bind_eval(&tape), tape.constant_from(x));
    close(&y.value(), &want("y_eval"), "y (eval)");
}

#[test]
fn a_chainrule_checkpoint_has_the_layout_of_pytorchs_state_dict() {
    let mut ps = ParamStore::new();
    let model = torch_architecture(&mut ps);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    checkpoint::save_sequential(&model, &ps, &path, &Default::default()).unwrap();
    let ours = checkpoint::read_header(&path).unwrap().tensors;
    let theirs: Vec<_> = checkpoint::read_header(data("torch_sequential.safetensors"))
        .unwrap()
        .tensors
        .into_iter()
        .filter(|e| e.name != "1.num_batches_tracked")
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 13); // 4 linear (one without bias), 2 norms, 2 buffers
}
