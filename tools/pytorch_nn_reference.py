#!/usr/bin/env python3
"""Reference values for crates/nn/tests/{optim_reference,loss_reference,init_variance}.rs,
computed by PyTorch in float64.

Run:  python3 tools/pytorch_nn_reference.py     (a Python with any PyTorch >= 2.0, float64)

Each case below is a short, self-contained Python snippet; the same text is copied, verbatim,
into a comment beside the literals it produced in the Rust tests. Every snippet prints lines of
the form `name = value`, where value is a float or a flat (row-major) list of floats printed
with `repr`, which round-trips exactly (up to 17 significant digits), so the Rust literals
are the very same f64 values PyTorch computed.

Inputs are decimal literals, which Python and Rust parse to the same f64 values.

Optimiser cases all train the same two parameters, a [2, 3] weight `W` and a [3] bias `b`,
for five steps on the loss `mean((tanh((x + b) W^T) - y)^2) + 0.05 sum(b^4)`; the gradient of
each step is that of the loss at the current parameters. They print the loss of every step
and the parameters after the fifth.
"""

CASES = [
    # ----------------------------------------------------------------------------------------
    # Optimisers (crates/nn/tests/suite/optim_reference.rs)
    # ----------------------------------------------------------------------------------------
    (
        "sgd_plain",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "sgd_momentum",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "sgd_momentum_dampening",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9, dampening=0.3)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "sgd_nesterov",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9, nesterov=True)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "sgd_weight_decay",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1, weight_decay=0.05)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "sgd_combined",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.8, dampening=0.2, weight_decay=0.05)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "sgd_nesterov_weight_decay",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "adam_default",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.Adam([W, b], lr=0.05)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "adam_weight_decay",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.Adam([W, b], lr=0.05, weight_decay=0.1)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "adam_custom",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.Adam([W, b], lr=0.05, betas=(0.8, 0.99), eps=1e-6)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "adam_small_beta1",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.Adam([W, b], lr=0.05, betas=(0.3, 0.9), eps=1e-3)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "adamw_default",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.AdamW([W, b], lr=0.05)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "adamw_custom",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.AdamW([W, b], lr=0.05, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.1)
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item()); opt.step()
print("losses =", losses)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "adam_with_clipping",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
opt = torch.optim.Adam([W, b], lr=0.05)
losses, norms = [], []
for _ in range(5):
    opt.zero_grad()
    loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    loss.backward(); losses.append(loss.item())
    norms.append(torch.nn.utils.clip_grad_norm_([W, b], max_norm=0.3).item()); opt.step()
print("losses =", losses)
print("norms =", norms)
print("W =", W.flatten().tolist())
print("b =", b.tolist())
""",
    ),
    (
        "step_lr",
        """
import torch
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.3)
lrs = []
for epoch in range(12):
    lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
print("lrs =", lrs)
""",
    ),
    (
        "cosine_lr",
        """
import torch
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.001)
lrs = []
for epoch in range(12):
    lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
print("lrs =", lrs)
""",
    ),
    (
        "cosine_lr_to_zero",
        """
import torch
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=11)
lrs = []
for epoch in range(12):
    lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
print("lrs =", lrs)
""",
    ),
    (
        "clip_grad_norm",
        """
import torch; torch.set_default_dtype(torch.float64)
p1, p2 = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
p3 = torch.zeros(2, requires_grad=True)  # no gradient
p1.grad = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1]])
p2.grad = torch.tensor([-0.9, 0.05, 1.6])
norm = torch.nn.utils.clip_grad_norm_([p1, p2, p3], max_norm=1.5)
print("norm =", norm.item())
print("g1 =", p1.grad.flatten().tolist())
print("g2 =", p2.grad.tolist())
""",
    ),
    (
        "clip_grad_norm_below_max",
        """
import torch; torch.set_default_dtype(torch.float64)
p1, p2 = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
p1.grad = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1]])
p2.grad = torch.tensor([-0.9, 0.05, 1.6])
norm = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm=10.0)
print("norm =", norm.item())
print("g1 =", p1.grad.flatten().tolist())
print("g2 =", p2.grad.tolist())
""",
    ),
    # ----------------------------------------------------------------------------------------
    # Losses (crates/nn/tests/suite/loss_reference.rs)
    # ----------------------------------------------------------------------------------------
    (
        "mse_half",
        """
import torch; torch.set_default_dtype(torch.float64)
f = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1], [-2.0, 0.9, 0.05], [1.6, -0.8, 0.4]], requires_grad=True)
y = torch.tensor([[0.5, -1.0, 1.5], [0.2, 0.1, 0.8], [-1.3, 1.7, -0.6], [1.0, 0.3, 0.9]], requires_grad=True)
m = f.shape[0]
J = 0.5 * torch.nn.MSELoss(reduction='sum')(f, y) / m
J.backward()
print("J =", J.item())
print("df =", f.grad.flatten().tolist())
print("dy =", y.grad.flatten().tolist())
""",
    ),
    (
        "mse",
        """
import torch; torch.set_default_dtype(torch.float64)
f = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1], [-2.0, 0.9, 0.05], [1.6, -0.8, 0.4]], requires_grad=True)
y = torch.tensor([[0.5, -1.0, 1.5], [0.2, 0.1, 0.8], [-1.3, 1.7, -0.6], [1.0, 0.3, 0.9]], requires_grad=True)
J = torch.nn.MSELoss()(f, y)
J.backward()
print("J =", J.item())
print("df =", f.grad.flatten().tolist())
print("dy =", y.grad.flatten().tolist())
""",
    ),
    (
        "bce",
        """
import torch; torch.set_default_dtype(torch.float64)
p = torch.tensor([[0.2, 0.9, 0.55], [0.7, 0.05, 0.35]], requires_grad=True)
y = torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.3, 1.0]], requires_grad=True)
J = torch.nn.BCELoss()(p, y)
J.backward()
print("J =", J.item())
print("dp =", p.grad.flatten().tolist())
print("dy =", y.grad.flatten().tolist())
""",
    ),
    (
        "bce_saturated",
        """
import torch; torch.set_default_dtype(torch.float64)
p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.25], requires_grad=True)
y = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5])
J = torch.nn.BCELoss()(p, y)
J.backward()
print("J =", J.item())
print("dp =", p.grad.tolist())
""",
    ),
    (
        "bce_with_logits",
        """
import torch; torch.set_default_dtype(torch.float64)
z = torch.tensor([[0.8, -1.5, 2.3], [-0.2, 3.1, -2.7]], requires_grad=True)
y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.6, 0.25]], requires_grad=True)
J = torch.nn.BCEWithLogitsLoss()(z, y)
J.backward()
print("J =", J.item())
print("dz =", z.grad.flatten().tolist())
print("dy =", y.grad.flatten().tolist())
""",
    ),
    (
        "cross_entropy",
        """
import torch; torch.set_default_dtype(torch.float64)
z = torch.tensor([[0.2, -1.3, 2.4, 0.7], [1.1, 0.4, -0.6, 3.2], [-0.5, 0.9, 0.1, -2.2]], requires_grad=True)
J = torch.nn.CrossEntropyLoss()(z, torch.tensor([2, 0, 3]))
J.backward()
print("J =", J.item())
print("dz =", z.grad.flatten().tolist())
""",
    ),
    (
        "cross_entropy_single_row",
        """
import torch; torch.set_default_dtype(torch.float64)
z = torch.tensor([0.3, -0.8, 1.7, 0.4], requires_grad=True)
J = torch.nn.CrossEntropyLoss()(z, torch.tensor(1))
J.backward()
print("J =", J.item())
print("dz =", z.grad.tolist())
""",
    ),
    (
        "cross_entropy_probs",
        """
import torch; torch.set_default_dtype(torch.float64)
z = torch.tensor([[0.2, -1.3, 2.4, 0.7], [1.1, 0.4, -0.6, 3.2], [-0.5, 0.9, 0.1, -2.2]], requires_grad=True)
p = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.15, 0.05], [0.25, 0.25, 0.25, 0.25]], requires_grad=True)
J = torch.nn.CrossEntropyLoss()(z, p)
J.backward()
print("J =", J.item())
print("dz =", z.grad.flatten().tolist())
print("dp =", p.grad.flatten().tolist())
""",
    ),
    (
        "hinge",
        """
import torch; torch.set_default_dtype(torch.float64)
s = torch.tensor([2.0, 0.5, -0.3, 1.4, -1.2, 0.85], requires_grad=True)
y = torch.tensor([1.0, 1.0, -1.0, -1.0, 1.0, 1.0], requires_grad=True)
J = torch.relu(1.0 - y * s).mean()
J.backward()
print("J =", J.item())
print("ds =", s.grad.tolist())
print("dy =", y.grad.tolist())
""",
    ),
    (
        "l2_penalty",
        """
import torch; torch.set_default_dtype(torch.float64)
W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
c = torch.tensor(1.7, requires_grad=True)
J = (W ** 2).sum() + (b ** 2).sum() + c ** 2
J.backward()
print("J =", J.item())
print("dW =", W.grad.flatten().tolist())
print("db =", b.grad.tolist())
print("dc =", c.grad.item())
""",
    ),
    # ----------------------------------------------------------------------------------------
    # Initialisation gains (crates/nn/tests/suite/init_variance.rs)
    # ----------------------------------------------------------------------------------------
    (
        "calculate_gain",
        """
import torch
g = torch.nn.init.calculate_gain
print("linear =", g('linear'))
print("sigmoid =", g('sigmoid'))
print("tanh =", g('tanh'))
print("relu =", g('relu'))
print("leaky_relu_default =", g('leaky_relu'))
print("leaky_relu_0_2 =", g('leaky_relu', 0.2))
print("leaky_relu_0_01 =", g('leaky_relu', 0.01))
""",
    ),
]


def main() -> None:
    for name, src in CASES:
        print(f"== {name}")
        exec(src.strip() + "\n", {})


if __name__ == "__main__":
    main()
