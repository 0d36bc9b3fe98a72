//! Learning-rate schedules (`LrSchedule::Step`, `Cosine`) against `torch.optim.lr_scheduler`.

use nn::optim::LrSchedule;

use crate::pytorch::assert_close;

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
