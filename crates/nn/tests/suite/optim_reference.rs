//! Optimisers, learning-rate schedules and gradient clipping against PyTorch (float64).
//!
//! Every optimiser case trains the same two parameters, a `[2, 3]` weight `W` and a `[3]` bias
//! `b`, for five steps on the loss `mean((tanh((x + b) W^T) - y)^2) + 0.05 sum(b^4)`, where the
//! gradient of each step is the engine's gradient of that loss at the current parameters. The
//! loss of every step and the parameters after the fifth step must match
//! `torch.optim.SGD`/`Adam`/`AdamW` to 1e-12 relative.
//!
//! Beside each block of literals is the self-contained Python that produced it; all of them
//! are in `tools/pytorch_nn_reference.py` (`python tools/pytorch_nn_reference.py`, PyTorch >=
//! 2.0), which prints floats with `repr`, so the literals are PyTorch's f64 values bit for bit.
//!
//! Tolerance: relative 1e-12 (the engines may associate sums differently; the optimisers'
//! own arithmetic follows PyTorch's operation by operation).

use autograd::{Tape, Tensor};
use nn::optim::{clip_grad_norm, Adam, LrSchedule, Optimizer, Sgd};
use nn::ParamStore;

use crate::pytorch;
use pytorch::{assert_close, t};

/// What five steps of an optimiser produced.
struct Run {
    /// The loss at each step, before its update.
    losses: Vec<f64>,
    /// The gradients' joint norm at each step (before clipping), if clipping.
    norms: Vec<f64>,
    /// The weight after the fifth step (row-major).
    w: Vec<f64>,
    /// The bias after the fifth step.
    b: Vec<f64>,
}

/// Five steps of `opt` on the loss of the module docs (with `clip_grad_norm` before each step
/// if `clip` is set), from `W = [[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]]`, `b = [0.1, -0.2, 0.3]`.
fn train(opt: &mut impl Optimizer<f64>, clip: Option<f64>) -> Run {
    let x = t(
        &[1.0, 2.0, -1.0, 0.5, -1.5, 2.0, -0.7, 0.3, 0.9, 1.2, -0.4, -0.8],
        &[4, 3],
    );
    let y = t(&[0.3, -0.5, 0.8, 0.1, -0.2, 0.6, 0.4, -0.9], &[4, 2]);
    let mut store = ParamStore::<f64>::new();
    let w = store
        .add("weight", t(&[0.5, -0.3, 0.8, -0.6, 0.2, 0.4], &[2, 3]))
        .unwrap();
    let b = store.add("bias", t(&[0.1, -0.2, 0.3], &[3])).unwrap();
    let (mut losses, mut norms) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let tape = Tape::<f64>::new();
        let p = store.bind(&tape);
        let (xv, yv) = (tape.constant_from(&x), tape.constant_from(&y));
        let fit = ((xv + p[b]).matmul(p[w].t()).tanh() - yv).powf(2.0).mean();
        let loss = fit + p[b].powf(4.0).sum().mul_scalar(0.05);
        let mut grads = p.grads(loss.backward());
        losses.push(loss.item());
        if let Some(max_norm) = clip {
            norms.push(clip_grad_norm(&mut grads, max_norm));
        }
        opt.step(&mut store, &grads);
    }
    let w = store.value("weight").unwrap().to_vec();
    let b = store.value("bias").unwrap().to_vec();
    Run { losses, norms, w, b }
}

/// Checks a run against PyTorch's printed `losses`, `W` and `b`.
#[track_caller]
fn assert_run(run: &Run, losses: &[f64], w: &[f64], b: &[f64]) {
    assert_close("losses", &run.losses, losses);
    assert_close("W", &run.w, w);
    assert_close("b", &run.b, b);
}

#[test]
fn sgd_plain() {
    let mut opt = Sgd::new(0.1);
    let run = train(&mut opt, None);

    // PyTorch (case `sgd_plain` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.SGD([W, b], lr=0.1)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.14071379800433215,
            0.12137789169086459,
            0.10375643840067096,
            0.08834084909876773,
        ],
        &[
            0.608358298800161,
            -0.17777154335405193,
            0.6742887335553089,
            -0.6061190332087248,
            0.21764829337142247,
            0.37574124369551704,
        ],
        &[0.10918419917635903, -0.20267927076692918, 0.2897205071893586],
    );
}

#[test]
fn sgd_momentum() {
    let mut opt = Sgd::new(0.1).momentum(0.9);
    let run = train(&mut opt, None);

    // PyTorch (case `sgd_momentum` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.14071379800433215,
            0.10461709217700707,
            0.06441840352394923,
            0.03678811120558338,
        ],
        &[
            0.7640730646897328,
            -0.0052690011364879925,
            0.48457678865793136,
            -0.6147825935223635,
            0.23863017929319524,
            0.34557638133025576,
        ],
        &[0.112070292786479, -0.20591405060187903, 0.2672008494572731],
    );
}

#[test]
fn sgd_momentum_dampening() {
    let mut opt = Sgd::new(0.1).momentum(0.9).dampening(0.3);
    let run = train(&mut opt, None);

    // PyTorch (case `sgd_momentum_dampening` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9, dampening=0.3)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.14071379800433215,
            0.10998486079428944,
            0.07559163721070608,
            0.04737473901334547,
        ],
        &[
            0.7220422019841385,
            -0.05321272291831642,
            0.541621284473543,
            -0.6128275331733846,
            0.23673786577173186,
            0.34937085811148,
        ],
        &[0.11705020198882257, -0.20623615857295088, 0.27815912833690404],
    );
}

#[test]
fn sgd_nesterov() {
    let mut opt = Sgd::new(0.1).momentum(0.9).nesterov(true);
    let run = train(&mut opt, None);

    // PyTorch (case `sgd_nesterov` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9, nesterov=True)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.1229608093640404,
            0.0776149524387227,
            0.04303279912185199,
            0.02631588386988155,
        ],
        &[
            0.7791393434865187,
            0.014553980643738659,
            0.43769012071665947,
            -0.6151006934602727,
            0.22977109080774977,
            0.3546485209228631,
        ],
        &[0.08406838711139167, -0.20243018712539418, 0.2404907014507228],
    );
}

#[test]
fn sgd_weight_decay() {
    let mut opt = Sgd::new(0.1).weight_decay(0.05);
    let run = train(&mut opt, None);

    // PyTorch (case `sgd_weight_decay` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.SGD([W, b], lr=0.1, weight_decay=0.05)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.13983747842824154,
            0.11971886178733118,
            0.10143048274585562,
            0.08547311455555173,
        ],
        &[
            0.5952816631211235,
            -0.1720373445654587,
            0.6557028022246072,
            -0.5919390369812638,
            0.2117470715856936,
            0.3671636868630902,
        ],
        &[0.10695114649744936, -0.19785449800924243, 0.28284540500347277],
    );
}

#[test]
fn sgd_combined() {
    let mut opt = Sgd::new(0.1).momentum(0.8).dampening(0.2).weight_decay(0.05);
    let run = train(&mut opt, None);

    // PyTorch (case `sgd_combined` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.8, dampening=0.2, weight_decay=0.05)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.13983747842824154,
            0.10783040272949913,
            0.07303909681877717,
            0.044947579389390965,
        ],
        &[
            0.6816452986378542,
            -0.056637795536390916,
            0.5197131151748462,
            -0.5838019996113026,
            0.22101221090389553,
            0.33753892789638595,
        ],
        &[0.11008753699357864, -0.19569570345922688, 0.2643979186954016],
    );
}

#[test]
fn sgd_nesterov_weight_decay() {
    let mut opt = Sgd::new(0.1).momentum(0.8).nesterov(true).weight_decay(0.05);
    let run = train(&mut opt, None);

    // PyTorch (case `sgd_nesterov_weight_decay` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12332044831463453,
            0.07980687172174061,
            0.045371923165047776,
            0.02612924797509045,
        ],
        &[
            0.7036072799841541,
            -0.012377149111438139,
            0.4400240660875057,
            -0.5753240511129589,
            0.20937023625643264,
            0.336961869264111,
        ],
        &[0.08699867412740481, -0.18873874542053498, 0.23348086217492225],
    );
}

#[test]
fn adam_default() {
    let mut opt = Adam::new(0.05);
    let run = train(&mut opt, None);

    // PyTorch (case `adam_default` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.Adam([W, b], lr=0.05)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12370605387614764,
            0.08874059029557652,
            0.0578593220361887,
            0.035927227822515055,
        ],
        &[
            0.7411891336060012,
            -0.056794186050902126,
            0.5539135764658019,
            -0.5588518002295921,
            0.20173060936479525,
            0.40339927269829906,
        ],
        &[0.07670572179209359, -0.1671675060312745, 0.14845880263797745],
    );
}

#[test]
fn adam_weight_decay() {
    let mut opt = Adam::new(0.05).weight_decay(0.1);
    let run = train(&mut opt, None);

    // PyTorch (case `adam_weight_decay` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.Adam([W, b], lr=0.05, weight_decay=0.1)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12268841757136319,
            0.08878833597877057,
            0.05908713424115303,
            0.037495463909598396,
        ],
        &[
            0.7363633468529048,
            -0.05598285464647923,
            0.5532553290718594,
            -0.4080159825506569,
            0.1252808738254007,
            0.3143402128815755,
        ],
        &[0.11691684010853581, 0.03525176505976308, 0.05171909397741609],
    );
}

#[test]
fn adam_custom() {
    let mut opt = Adam::new(0.05).betas(0.8, 0.99).eps(1e-6);
    let run = train(&mut opt, None);

    // PyTorch (case `adam_custom` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.Adam([W, b], lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12370586667919999,
            0.0882740856742909,
            0.05777945882902482,
            0.03591095896819945,
        ],
        &[
            0.7372006092734574,
            -0.060130498053113504,
            0.5563367906098954,
            -0.563603572769232,
            0.20806255500587534,
            0.3981566431924815,
        ],
        &[0.06552829087228831, -0.16059986480133148, 0.13917420017923765],
    );
}

#[test]
fn adam_small_beta1() {
    let mut opt = Adam::new(0.05).betas(0.3, 0.9).eps(1e-3);
    // A first-moment weight 1 - beta1 >= 0.5 takes the other branch of PyTorch's `lerp`.
    let run = train(&mut opt, None);

    // PyTorch (case `adam_small_beta1` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.Adam([W, b], lr=0.05, betas=(0.3, 0.9), eps=1e-3)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.1235440525124356,
            0.08737344337747635,
            0.05867675881275745,
            0.0359141326186037,
        ],
        &[
            0.7183878969953221,
            -0.07638321449350309,
            0.5695119584096902,
            -0.6065727281862903,
            0.22640234120411612,
            0.376215453503653,
        ],
        &[0.0296143362425422, -0.14924408128192312, 0.10288478912444037],
    );
}

#[test]
fn adamw_default() {
    let mut opt = Adam::adamw(0.05);
    assert_eq!(
        (opt.weight_decay, opt.beta1, opt.beta2, opt.eps),
        (0.01, 0.9, 0.999, 1e-8)
    );
    let run = train(&mut opt, None);

    // PyTorch (case `adamw_default` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.AdamW([W, b], lr=0.05)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12362225109360094,
            0.08858565973298288,
            0.057674164127965034,
            0.035746813578617635,
        ],
        &[
            0.7396878995706728,
            -0.05631286909800983,
            0.5521748524214467,
            -0.5579953483790119,
            0.20104098662794614,
            0.4026292379622291,
        ],
        &[0.07659969861559289, -0.1668725683885162, 0.148055677539142],
    );
}

#[test]
fn adamw_custom() {
    let mut opt = Adam::adamw(0.05).betas(0.85, 0.995).eps(1e-7).weight_decay(0.1);
    let run = train(&mut opt, None);

    // PyTorch (case `adamw_custom` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.AdamW([W, b], lr=0.05, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.1)
    //     losses = []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item()); opt.step()
    //     print("losses =", losses)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12287058456204177,
            0.08697046692861503,
            0.05598741314121118,
            0.03419700786872245,
        ],
        &[
            0.7243064870584931,
            -0.05372959128333936,
            0.5379107774975843,
            -0.5532589819565785,
            0.19764700211036934,
            0.39369205375739613,
        ],
        &[0.07016862507142327, -0.16095572815115503, 0.13997997019771843],
    );
}

#[test]
fn adam_with_clipping() {
    let mut opt = Adam::new(0.05);
    let run = train(&mut opt, Some(0.3));

    // PyTorch (case `adam_with_clipping` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.Adam([W, b], lr=0.05)
    //     losses, norms = [], []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item())
    //         norms.append(torch.nn.utils.clip_grad_norm_([W, b], max_norm=0.3).item()); opt.step()
    //     print("losses =", losses)
    //     print("norms =", norms)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_close(
        "norms",
        &run.norms,
        &[
            0.45370714621319524,
            0.4375158506220869,
            0.3717153174069377,
            0.285053960508814,
            0.21339219357657338,
        ],
    );
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12370605290718602,
            0.08854536985564841,
            0.057362744294288975,
            0.03522893186398616,
        ],
        &[
            0.7465021975439396,
            -0.05221268566570851,
            0.5503192567693516,
            -0.5601033218049148,
            0.20631435604115045,
            0.40049209050766066,
        ],
        &[0.06708344461054386, -0.15904825296512984, 0.14873934814486306],
    );
}

#[test]
fn step_lr() {
    let schedule = LrSchedule::Step {
        step_size: 3,
        gamma: 0.3,
    };
    let lrs: Vec<f64> = (0..12).map(|epoch| schedule.lr(0.1, epoch)).collect();

    // PyTorch (case `step_lr` of tools/pytorch_nn_reference.py):
    //     import torch
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.3)
    //     lrs = []
    //     for epoch in range(12):
    //         lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    //     print("lrs =", lrs)
    assert_close(
        "lrs",
        &lrs,
        &[
            0.1,
            0.1,
            0.1,
            0.03,
            0.03,
            0.03,
            0.009,
            0.009,
            0.009,
            0.0026999999999999997,
            0.0026999999999999997,
            0.0026999999999999997,
        ],
    );
}

#[test]
fn cosine_lr_past_t_max() {
    // Past t_max PyTorch's cosine goes back up (it does not stay at eta_min).
    let schedule = LrSchedule::Cosine {
        t_max: 8,
        eta_min: 0.001,
    };
    let lrs: Vec<f64> = (0..12).map(|epoch| schedule.lr(0.1, epoch)).collect();

    // PyTorch (case `cosine_lr` of tools/pytorch_nn_reference.py):
    //     import torch
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    //     sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.001)
    //     lrs = []
    //     for epoch in range(12):
    //         lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    //     print("lrs =", lrs)
    assert_close(
        "lrs",
        &lrs,
        &[
            0.1,
            0.0962320368593087,
            0.0855017856687341,
            0.06944282990207196,
            0.0505,
            0.03155717009792806,
            0.0154982143312659,
            0.004767963140691306,
            0.001,
            0.004767963140691307,
            0.01549821433126591,
            0.03155717009792807,
        ],
    );
    assert_eq!(lrs[8], 0.001);
}

#[test]
fn cosine_lr_to_zero() {
    let schedule = LrSchedule::Cosine {
        t_max: 11,
        eta_min: 0.0,
    };
    let lrs: Vec<f64> = (0..12).map(|epoch| schedule.lr(0.05, epoch)).collect();

    // PyTorch (case `cosine_lr_to_zero` of tools/pytorch_nn_reference.py):
    //     import torch
    //     opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    //     sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=11)
    //     lrs = []
    //     for epoch in range(12):
    //         lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
    //     print("lrs =", lrs)
    assert_close(
        "lrs",
        &lrs,
        &[
            0.05,
            0.04898732434036244,
            0.04603133832077953,
            0.04137151834863213,
            0.035385375325047166,
            0.02855787095683213,
            0.021442129043167876,
            0.014614624674952845,
            0.008628481651367877,
            0.003968661679220473,
            0.0010126756596375661,
            0.0,
        ],
    );
    assert_eq!(lrs[11], 0.0);
}

/// The gradients of the clipping cases: a `[2, 3]`, a `[3]`, and a parameter without one.
fn clip_grads() -> Vec<Option<Tensor<f64>>> {
    vec![
        Some(t(&[0.3, -1.2, 2.5, 0.7, -0.4, 1.1], &[2, 3])),
        Some(t(&[-0.9, 0.05, 1.6], &[3])),
        None,
    ]
}

#[test]
fn clip_grad_norm_scales_down() {
    let mut grads = clip_grads();
    let norm = clip_grad_norm(&mut grads, 1.5);

    // PyTorch (case `clip_grad_norm` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     p1, p2 = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
    //     p3 = torch.zeros(2, requires_grad=True)  # no gradient
    //     p1.grad = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1]])
    //     p2.grad = torch.tensor([-0.9, 0.05, 1.6])
    //     norm = torch.nn.utils.clip_grad_norm_([p1, p2, p3], max_norm=1.5)
    //     print("norm =", norm.item())
    //     print("g1 =", p1.grad.flatten().tolist())
    //     print("g2 =", p2.grad.tolist())
    assert_close("norm", &[norm], &[3.6072842970855516]);
    assert_close(
        "g1",
        grads[0].as_ref().unwrap().as_slice(),
        &[
            0.1247475491787606,
            -0.4989901967150424,
            1.039562909823005,
            0.2910776147504414,
            -0.16633006557168084,
            0.4574076803221223,
        ],
    );
    assert_close(
        "g2",
        grads[1].as_ref().unwrap().as_slice(),
        &[-0.37424264753628184, 0.020791258196460105, 0.6653202622867234],
    );
    assert!(grads[2].is_none());
}

#[test]
fn clip_grad_norm_below_max_leaves_gradients() {
    let mut grads = clip_grads();
    grads.pop();
    let norm = clip_grad_norm(&mut grads, 10.0);

    // PyTorch (case `clip_grad_norm_below_max` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     p1, p2 = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
    //     p1.grad = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1]])
    //     p2.grad = torch.tensor([-0.9, 0.05, 1.6])
    //     norm = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm=10.0)
    //     print("norm =", norm.item())
    //     print("g1 =", p1.grad.flatten().tolist())
    //     print("g2 =", p2.grad.tolist())
    assert_close("norm", &[norm], &[3.6072842970855516]);
    assert_close(
        "g1",
        grads[0].as_ref().unwrap().as_slice(),
        &[0.3, -1.2, 2.5, 0.7, -0.4, 1.1],
    );
    assert_close("g2", grads[1].as_ref().unwrap().as_slice(), &[-0.9, 0.05, 1.6]);
}
