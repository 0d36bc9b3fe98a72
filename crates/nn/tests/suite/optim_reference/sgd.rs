//! `Sgd` (plain, momentum, dampening, Nesterov, weight decay) against `torch.optim.SGD`.

use nn::optim::Sgd;

use super::{assert_run, train};

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
