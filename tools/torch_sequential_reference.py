#!/usr/bin/env python3
"""PyTorch references for chainrule's modules (crates/nn/tests/suite/modules_torch.rs), float64.

Run from anywhere:  python3 tools/torch_sequential_reference.py   (any PyTorch >= 2.0)

1. Prints literals for LayerNorm and BatchNorm1d (pasted into the Rust test beside this
   script's name): outputs in training and evaluation mode, the gradient of a weighted sum of
   the output with respect to the input, and BatchNorm1d's running statistics after three
   training steps. Values are printed with `repr`, which round-trips float64 exactly.
2. Writes crates/nn/tests/data/torch_sequential.safetensors, the `state_dict` of a PyTorch
   `nn.Sequential` (with its `num_batches_tracked`, as PyTorch writes it, and no metadata), and
   crates/nn/tests/data/torch_sequential_io.safetensors: an input `x`, the model's output on it
   in training mode (`y_train`), the running statistics after that step, and the output in
   evaluation mode after it (`y_eval`).
"""

import pathlib

import torch
from safetensors.torch import save_file
from torch import nn

torch.set_default_dtype(torch.float64)


def show(name, t):
    print(f"{name} = {[repr(v) for v in t.detach().reshape(-1).tolist()]}".replace("'", ""))


# ---- 1. LayerNorm and BatchNorm1d literals ----------------------------------------------------
x = torch.tensor([[0.5, -1.25, 2.0, 0.75], [1.5, 0.25, -0.5, -2.0], [0.1, 0.2, 0.3, 0.4]], requires_grad=True)
c = torch.tensor([[1.0, -2.0, 0.5, 3.0], [-1.0, 0.25, 2.0, -0.5], [0.3, 0.7, -1.1, 1.9]])

ln = nn.LayerNorm(4)
with torch.no_grad():
    ln.weight.copy_(torch.tensor([1.5, -0.5, 2.0, 0.25]))
    ln.bias.copy_(torch.tensor([0.1, 0.2, -0.3, 0.0]))
y = ln(x)
(g,) = torch.autograd.grad((y * c).sum(), x)
show("ln_y", y)
show("ln_dx", g)

bn = nn.BatchNorm1d(4)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0, 0.25]))
    bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3, 0.0]))
bn.train()
y = bn(x)
(g,) = torch.autograd.grad((y * c).sum(), x)
show("bn_y_train1", y)
show("bn_dx_train1", g)
for step in [x * 2.0 - 1.0, x.flip(0) + 0.5]:  # steps 2 and 3
    bn(step)
show("bn_running_mean3", bn.running_mean)
show("bn_running_var3", bn.running_var)
bn.eval()
y = bn(x)
(g,) = torch.autograd.grad((y * c).sum(), x)
show("bn_y_eval", y)
show("bn_dx_eval", g)

# ---- 2. A Sequential's state_dict, written by PyTorch -----------------------------------------
torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(3, 5),
    nn.BatchNorm1d(5),
    nn.ReLU(),
    nn.Linear(5, 4, bias=False),
    nn.LayerNorm(4),
    nn.SiLU(),
    nn.Linear(4, 4),
    nn.Tanh(),
    nn.LeakyReLU(0.1),
    nn.Linear(4, 3),
    nn.Sigmoid(),
    nn.Identity(),
    nn.Softmax(dim=-1),
)
with torch.no_grad():
    model[4].weight.copy_(torch.tensor([1.5, -0.5, 2.0, 0.25]))
    model[4].bias.copy_(torch.tensor([0.1, 0.2, -0.3, 0.0]))
    model.train()
    for _ in range(2):  # running statistics that are not the initial ones
        model(torch.randn(6, 3))
data = pathlib.Path(__file__).resolve().parent.parent / "crates" / "nn" / "tests" / "data"
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(data / "torch_sequential.safetensors"))
x = torch.randn(5, 3)
with torch.no_grad():
    model.train()
    y_train = model(x)
    io = {
        "x": x,
        "y_train": y_train,
        "running_mean": model[1].running_mean.clone(),
        "running_var": model[1].running_var.clone(),
    }
    model.eval()
    io["y_eval"] = model(x)
save_file(io, str(data / "torch_sequential_io.safetensors"))
print("wrote", data / "torch_sequential.safetensors", "and torch_sequential_io.safetensors")
