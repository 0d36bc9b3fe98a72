#!/usr/bin/env python3
"""Reference values for crates/autograd/tests/suite/pytorch_reference.rs, computed by PyTorch in float64.

Run:  python3 tools/pytorch_reference.py [CASE ...]   (a Python with any PyTorch >= 2.0, float64)

Each case below is a short, self-contained Python snippet; the same text is copied, verbatim,
into a comment beside the literals it produced in the Rust test. Every snippet prints lines of
the form `name = value`, where value is a float or a flat (row-major) list of floats printed
with `repr`, which round-trips exactly (up to 17 significant digits), so the Rust literals
are the very same f64 values PyTorch computed.

Inputs are written as decimal literals or as formulas of plain +, -, *, / on Python floats,
which IEEE arithmetic evaluates identically in Rust.

The case `log1p_expm1_silu` checks the ops added by following the checklist of docs/design.md
("Adding an op") at ordinary points and at extreme ones (log1p next to -1 and 0, expm1 at 1e-10
and 700, silu at -800, 0 and 800), first and second derivatives through `create_graph=True`.
"""

CASES = [
    (
        "broadcast_column_with_row",
        """
import torch; torch.set_default_dtype(torch.float64)
a = torch.tensor([[0.5], [-1.25], [2.0]], requires_grad=True)
b = torch.tensor([0.3, -0.7, 1.1, 2.5], requires_grad=True)
y = ((a * b).sin() + a / (b + 3.0) - (a - b) ** 2).sum()
y.backward()
print("y =", y.item())
print("da =", a.grad.flatten().tolist())
print("db =", b.grad.flatten().tolist())
""",
    ),
    (
        "broadcast_scalar_with_matrix",
        """
import torch; torch.set_default_dtype(torch.float64)
s = torch.tensor(0.7, requires_grad=True)
m = torch.tensor([[1.5, -0.4, 2.2], [0.1, -1.8, 0.9]], requires_grad=True)
y = ((s * m).exp() / (1.0 + s + m * m) + (s - m).abs() * s + (m / s).tanh()).sum()
y.backward()
print("y =", y.item())
print("ds =", s.grad.item())
print("dm =", m.grad.flatten().tolist())
""",
    ),
    (
        "broadcast_rank3_with_column",
        """
import torch; torch.set_default_dtype(torch.float64)
a = torch.tensor([((k * 7) % 24 - 11.5) / 8 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
b = torch.tensor([[0.6], [-1.3], [2.1]], requires_grad=True)
y = (torch.tanh(a * b) * (a - b)).sum() + (a / (b * b + 1.0)).mean() + (b - a).exp().mean()
y.backward()
print("y =", y.item())
print("da =", a.grad.flatten().tolist())
print("db =", b.grad.flatten().tolist())
""",
    ),
    (
        "softmax_and_log_softmax_2d",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[0.2, -1.3, 2.4, 0.7], [1.1, 0.4, -0.6, 3.2], [50.0, -40.0, 0.9, 49.5]], requires_grad=True)
w = torch.tensor([[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, 1.0], [-2.0, 0.3, 1.2, 0.8]])
p0 = x.softmax(0)
l1 = x.log_softmax(1)
y = (p0 * w).sum() + (l1 * w.flip(0)).sum() + (x.softmax(-1) * w * w).sum() + (x.log_softmax(0) * w).sum()
y.backward()
print("p0 =", p0.flatten().tolist())
print("l1 =", l1.flatten().tolist())
print("y =", y.item())
print("dx =", x.grad.flatten().tolist())
""",
    ),
    (
        "softmax_and_log_softmax_3d_middle_axis",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([((k * 5) % 24 - 11.0) / 4 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
w = torch.tensor([((k * 11) % 24 - 7.0) / 6 for k in range(24)]).reshape(2, 3, 4)
p = x.softmax(1)
l = x.log_softmax(1)
y = (p * w).sum() + (l * w * w).sum()
y.backward()
print("p =", p.flatten().tolist())
print("l =", l.flatten().tolist())
print("y =", y.item())
print("dx =", x.grad.flatten().tolist())
""",
    ),
    (
        "mlp_matmul_chain",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[0.5, -1.2, 0.3], [1.4, 0.2, -0.7], [-0.9, 0.8, 1.1], [0.05, -0.35, 0.6]], requires_grad=True)
W1 = torch.tensor([[0.2, -0.5, 0.7, 0.1, -0.3], [0.9, 0.4, -0.8, 0.6, 0.05], [-0.4, 0.3, 0.25, -0.7, 0.5]], requires_grad=True)
b1 = torch.tensor([0.1, -0.2, 0.05, 0.3, -0.15], requires_grad=True)
W2 = torch.tensor([[0.6, -0.4], [-0.3, 0.8], [0.5, 0.2], [-0.7, -0.1], [0.35, 0.45]], requires_grad=True)
b2 = torch.tensor([0.03, -0.06], requires_grad=True)
t = torch.tensor([[0.5, -0.5], [1.0, 0.0], [-0.25, 0.75], [0.1, 0.2]])
out = torch.tanh(x @ W1 + b1) @ W2 + b2
y = ((out - t) ** 2).mean()
y.backward()
print("out =", out.flatten().tolist())
print("y =", y.item())
for n, v in [("dx", x), ("dW1", W1), ("db1", b1), ("dW2", W2), ("db2", b2)]:
    print(n, "=", v.grad.flatten().tolist())
""",
    ),
    (
        "batched_matmul",
        """
import torch; torch.set_default_dtype(torch.float64)
A = torch.tensor([((k * 7) % 13 - 6) / 5 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
B = torch.tensor([((k * 3) % 11 - 5) / 4 for k in range(16)]).reshape(2, 4, 2).requires_grad_()
W = torch.tensor([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6], [0.2, -0.7]], requires_grad=True)
v = torch.tensor([0.9, -0.3, 0.4, 1.2], requires_grad=True)
AB = A @ B
y = AB.sin().sum() + ((A @ W) * AB).sum() + (v @ W).exp().sum()
y.backward()
print("AB =", AB.flatten().tolist())
print("y =", y.item())
print("dA =", A.grad.flatten().tolist())
print("dB =", B.grad.flatten().tolist())
print("dW =", W.grad.flatten().tolist())
print("dv =", v.grad.flatten().tolist())
""",
    ),
    (
        "cross_entropy_gather_logsumexp",
        """
import torch; torch.set_default_dtype(torch.float64)
z = torch.tensor([[1.2, -0.3, 0.8, 2.1, -1.5], [0.0, 0.4, -0.9, 0.3, 1.7], [100.0, 98.5, -20.0, 99.0, 0.0], [-2.2, -0.7, 0.6, 0.1, -1.0]], requires_grad=True)
target = torch.tensor([1, 0, 4, 2])
y = (torch.logsumexp(z, -1) - z[torch.arange(4), target]).mean()
y.backward()
print("y =", y.item())
print("cross_entropy =", torch.nn.functional.cross_entropy(z, target).item())
print("dz =", z.grad.flatten().tolist())
""",
    ),
    (
        "index_select_with_repeats",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[0.3, -1.1, 2.0], [0.8, 0.5, -0.4], [1.7, -0.2, 0.9], [-0.6, 1.3, 0.1]], requires_grad=True)
r = x.index_select(0, torch.tensor([2, 0, 2, 3]))
c = x.index_select(1, torch.tensor([2, 2, 0]))
y = (r * torch.tensor([1.0, -2.0, 0.5])).sin().sum() + (c ** 3).sum()
y.backward()
print("r =", r.flatten().tolist())
print("c =", c.flatten().tolist())
print("y =", y.item())
print("dx =", x.grad.flatten().tolist())
""",
    ),
    (
        "narrow_concat_stack",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[0.4, -1.2, 0.9, 2.3], [-0.5, 1.6, 0.2, -0.8], [1.1, 0.3, -1.7, 0.6]], requires_grad=True)
z = torch.tensor([[0.7, -0.1, 1.4, -2.0], [0.25, 0.9, -0.6, 1.2]], requires_grad=True)
n = x.narrow(1, 1, 2)
c = torch.cat([x, z], 0)
s = torch.stack([x.narrow(0, 1, 2), z], 1)
w = torch.arange(1.0, 17.0).reshape(2, 2, 4) / 8
y = n.sin().sum() + (c ** 3).sum() + (s * w).exp().sum() + torch.stack([z, z * z], 0).tanh().sum()
y.backward()
print("s =", s.flatten().tolist())
print("y =", y.item())
print("dx =", x.grad.flatten().tolist())
print("dz =", z.grad.flatten().tolist())
""",
    ),
    (
        "max_min_reductions_with_ties",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[1.5, -0.5, 1.5, 0.25], [2.0, 2.0, 2.0, -1.0], [-0.75, -0.5, -3.0, 0.5]], requires_grad=True)
u = torch.tensor([[[1.0, 3.0, 3.0], [-2.0, 0.5, -2.0]], [[3.0, -1.0, 0.0], [0.5, 0.5, -4.0]]], requires_grad=True)
rmax = x.amax(1)
cmin = x.amin(0)
umax = u.amax((0, 2), keepdim=True)
y = (rmax * torch.tensor([1.0, 2.0, -3.0])).sum() + (cmin * torch.tensor([0.5, 1.5, -1.0, 2.0])).sum() + 3.0 * x.max() - x.min() + (umax * torch.tensor([[[1.5], [-2.0]]])).sum() + u.amin((1, 2)).sum()
y.backward()
print("rmax =", rmax.tolist())
print("cmin =", cmin.tolist())
print("umax =", umax.flatten().tolist())
print("y =", y.item())
print("dx =", x.grad.flatten().tolist())
print("du =", u.grad.flatten().tolist())
""",
    ),
    (
        "maximum_minimum_with_ties",
        """
import torch; torch.set_default_dtype(torch.float64)
a = torch.tensor([0.5, -1.0, 2.0, 3.0, -0.25], requires_grad=True)
b = torch.tensor([0.5, -2.0, 2.0, 1.0, 0.75], requires_grad=True)
A = torch.tensor([[0.2, -0.4, 1.0], [0.7, 0.3, -1.0]], requires_grad=True)
c = torch.tensor([0.2, 0.3, 0.0], requires_grad=True)
y = (torch.maximum(a, b) * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum() + (torch.minimum(a, b) ** 2).sum() + torch.maximum(A, c).exp().sum() + (torch.minimum(c, A) * A).sum()
y.backward()
print("y =", y.item())
print("da =", a.grad.tolist())
print("db =", b.grad.tolist())
print("dA =", A.grad.flatten().tolist())
print("dc =", c.grad.tolist())
""",
    ),
    (
        "pow_with_tensor_exponent",
        """
import torch; torch.set_default_dtype(torch.float64)
a = torch.tensor([0.5, 1.7, 2.0, 0.0, 0.0, 3.1], requires_grad=True)
b = torch.tensor([1.5, -0.8, 3.0, 2.5, 0.0, 0.0], requires_grad=True)
p = torch.tensor([[1.3], [0.6]], requires_grad=True)
q = torch.tensor([2.0, -1.5, 0.5], requires_grad=True)
n = torch.tensor([-1.5, -0.7], requires_grad=True)
e = torch.tensor([2.0, 3.0])
ab = a ** b
y = (ab * torch.tensor([1.0, -0.5, 0.25, 2.0, 1.5, 0.75])).sum() + (p ** q).sum() + (n ** e).sum()
y.backward()
print("ab =", ab.tolist())
print("y =", y.item())
print("da =", a.grad.tolist())
print("db =", b.grad.tolist())
print("dp =", p.grad.flatten().tolist())
print("dq =", q.grad.tolist())
print("dn =", n.grad.tolist())
""",
    ),
    (
        "where_with_broadcasting",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([[0.9, -0.4, 0.25], [1.6, 0.1, -2.0]], requires_grad=True)
v = torch.tensor([0.3, -1.2, 0.8], requires_grad=True)
o = torch.where(x > 0.25, x * v, (v - x).sin())
y = (o * torch.tensor([[1.0, 2.0, -1.0], [0.5, -3.0, 1.5]])).sum() + torch.where(v < 0.0, x ** 2, v.exp()).sum()
y.backward()
print("o =", o.flatten().tolist())
print("y =", y.item())
print("dx =", x.grad.flatten().tolist())
print("dv =", v.grad.tolist())
""",
    ),
    (
        "clamp_at_and_outside_bounds",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([-2.0, -1.0, -0.3, 0.5, 1.5, 3.0], requires_grad=True)
c = x.clamp(-1.0, 1.5)
y = (c * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).sum() + (c * x).sum()
y.backward()
print("c =", c.tolist())
print("y =", y.item())
print("dx =", x.grad.tolist())
""",
    ),
    (
        "softplus_and_sigmoid_at_large_magnitudes",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([-800.0, -30.0, -2.5, 0.0, 3.5, 30.0, 800.0], requires_grad=True)
w = torch.tensor([1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5])
sp = torch.nn.functional.softplus(x)
sg = torch.sigmoid(x)
(dsp,) = torch.autograd.grad((sp * w).sum(), x)
(dsg,) = torch.autograd.grad((sg * w).sum(), x)
print("softplus =", sp.tolist())
print("sigmoid =", sg.tolist())
print("dsoftplus =", dsp.tolist())
print("dsigmoid =", dsg.tolist())
""",
    ),
    (
        "relu_abs_leaky_relu_at_zero",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([-1.5, 0.0, 2.0, -0.0, 0.75], requires_grad=True)
w = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
F = torch.nn.functional
outs = {"relu": x.relu(), "abs": x.abs(), "leaky_relu": F.leaky_relu(x, 0.2)}
for name, o in outs.items():
    (d,) = torch.autograd.grad((o * w).sum(), x)
    print(name, "=", o.tolist())
    print("d" + name, "=", d.tolist())
""",
    ),
    (
        "hessian_vector_product",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([0.4, -0.9, 1.3], requires_grad=True)
W = torch.tensor([[0.5, -0.2, 0.8], [0.3, 0.7, -0.6], [-0.4, 0.1, 0.9]], requires_grad=True)
v = torch.tensor([1.0, -0.5, 2.0])
f = (torch.tanh(W @ x) ** 2).sum() + (x.sigmoid() * x).sum() + (x * x).softmax(0)[1]
(g,) = torch.autograd.grad(f, x, create_graph=True)
hv_x, hv_W = torch.autograd.grad((g * v).sum(), (x, W))
print("f =", f.item())
print("g =", g.tolist())
print("hv_x =", hv_x.tolist())
print("hv_W =", hv_W.flatten().tolist())
""",
    ),
    (
        "second_and_third_order",
        """
import torch; torch.set_default_dtype(torch.float64)
z = torch.tensor([[0.3, -1.1, 2.2], [1.5, 0.2, -0.4]], requires_grad=True)
v = torch.tensor([[0.5, 1.0, -1.5], [2.0, -0.5, 0.25]])
loss = (torch.logsumexp(z, -1) - z[torch.arange(2), torch.tensor([2, 0])]).mean()
(g,) = torch.autograd.grad(loss, z, create_graph=True)
(hv,) = torch.autograd.grad((g * v).sum(), z)
t = torch.tensor(0.7, requires_grad=True)
s = torch.nn.functional.softplus(t) * t.sin() + t ** 3 / (1.0 + t * t)
(d1,) = torch.autograd.grad(s, t, create_graph=True)
(d2,) = torch.autograd.grad(d1, t, create_graph=True)
(d3,) = torch.autograd.grad(d2, t)
print("g =", g.flatten().tolist())
print("hv =", hv.flatten().tolist())
print("s =", s.item())
print("d1 =", d1.item())
print("d2 =", d2.item())
print("d3 =", d3.item())
""",
    ),
    (
        "movement_and_reductions",
        """
import torch; torch.set_default_dtype(torch.float64)
x = torch.tensor([((k * 9) % 24 - 12.0) / 7 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
b = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
p = x.permute(2, 0, 1)
r = x.transpose(0, 1).reshape(3, 8)
y = (p * torch.tensor([1.0, -1.0, 0.5, 2.0]).reshape(4, 1, 1)).sin().sum() + (r.sum(1, keepdim=True) * r).mean() + (x.mean((0, 2)) * b).sum() + b.broadcast_to(4, 3).cos().sum() + torch.logsumexp(x, (0, 2)).sum() + x.transpose(1, 2).mean(0).max()
y.backward()
print("y =", y.item())
print("dx =", x.grad.flatten().tolist())
print("db =", b.grad.tolist())
""",
    ),
    (
        "log1p_expm1_silu",
        """
import torch; torch.set_default_dtype(torch.float64)
base = [-0.75, -1e-10, 1e-12, 0.3, 2.5, 40.0]
points = {"log1p": base + [-1.0 + 1e-10, 0.0, 1e-300], "expm1": base + [1e-10, 700.0, -40.0], "silu": base + [-800.0, 0.0, 800.0]}
w = torch.tensor([1.0, -2.0, 0.5, 3.0, -1.5, 0.25, 2.0, -0.5, 1.5])
for name, f in [("log1p", torch.log1p), ("expm1", torch.expm1), ("silu", torch.nn.functional.silu)]:
    x = torch.tensor(points[name], requires_grad=True)
    y = f(x)
    (g,) = torch.autograd.grad((y * w).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad((g * w).sum(), x)
    print(name, "=", y.tolist())
    print("d" + name, "=", g.tolist())
    print("dd" + name, "=", gg.tolist())
""",
    ),
]


def main() -> None:
    import sys

    # Case names as arguments run only those cases; none runs every case.
    wanted = set(sys.argv[1:])
    for name, src in CASES:
        if wanted and name not in wanted:
            continue
        print(f"== {name}")
        exec(src.strip() + "\n", {})


if __name__ == "__main__":
    main()
