//! `Adam` and `AdamW` (defaults, weight decay, custom betas and eps) against `torch.optim`.

use nn::optim::Adam;

use super::{assert_run, train};

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
