"""The Python peers of chainrule's comparison harness: micrograd, PyTorch (eager, CPU), JAX (jit,
CPU) and numpy (OpenBLAS, W3 only).

A long-lived worker, driven by run.py: `python peers.py FRAMEWORK` reads one JSON request a
line on stdin and answers one JSON line on stdout, exactly like the Rust workers
(chainrule-side, rust-peers). A request `{"w": "w2", "reps": 20, "warmup": 3}` sets the
workload up on first use (one untimed step whose value is returned as `first`), runs `warmup`
untimed steps, times `reps` steps one by one and answers
`{"ok": true, "times": [s...], "cpu": s, "wall": s, "check": x, "first": x}`.

Threads are set by run.py through the environment before the process starts (CMP_THREADS, and
OMP/OPENBLAS/MKL/XLA settings); this file applies CMP_THREADS where a library needs a call.
"""

import json
import math
import os
import struct
import sys
import time

THREADS = int(os.environ.get("CMP_THREADS", "1"))
W1_LR = 0.01
W1_ALPHA = 1e-4
W2_LR = 0.01
# Time to accuracy on the digits: chainrule train's defaults (benches/common/to_accuracy.rs).
DIGITS_TARGET = 0.97
DIGITS_LR = 0.003
DIGITS_BATCH = 32
DIGITS_MAX_EPOCHS = 20


def load_w1(path):
    with open(path) as f:
        return json.load(f)


def read_idx(path):
    """An IDX file of unsigned bytes (MNIST's format): its dimensions and its bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:3] != b"\0\0\x08":
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    rank = raw[3]
    dims = struct.unpack(f">{rank}I", raw[4:4 + 4 * rank])
    return dims, raw[4 + 4 * rank:]


# ----------------------------------------------------------------------------------------------
# micrograd (karpathy/micrograd 0.1.0 from PyPI): scalar graphs only.

class Micrograd:
    def __init__(self):
        import micrograd.engine
        import micrograd.nn

        sys.setrecursionlimit(1_000_000)  # backward's topological sort recurses along chains
        self.Value = micrograd.engine.Value
        self.nn = micrograd.nn
        if not hasattr(self.Value, "tanh"):
            # micrograd 0.1.0 (the PyPI release) has no tanh; W4 needs one. Added the way
            # micrograd writes relu: one node, a closure for the local derivative.
            Value = self.Value

            def tanh(self):
                t = math.tanh(self.data)
                out = Value(t, (self,), "tanh")

                def _backward():
                    self.grad += (1 - t * t) * out.grad

                out._backward = _backward
                return out

            Value.tanh = tanh

    def version(self):
        from importlib.metadata import version

        return {"micrograd": version("micrograd")}

    def make(self, req):
        w = req["w"]
        if w == "w1_scalar":
            return self.w1(load_w1(req["data"]))
        if w == "w4_scalar":
            return self.w4()
        raise ValueError(f"micrograd does not run {w}")

    def w1(self, d):
        Value = self.Value
        model = self.nn.MLP(2, [16, 16, 1])
        params = [v for l in d["layers"] for wrow, b in zip(l["w"], l["b"]) for v in wrow + [b]]
        for p, v in zip(model.parameters(), params):
            p.data = v
        X, y = d["x"], d["y"]

        def step():
            # micrograd's demo.ipynb `loss()` and update, minus the accuracy.
            inputs = [list(map(Value, xrow)) for xrow in X]
            scores = list(map(model, inputs))
            losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            reg_loss = W1_ALPHA * sum((p * p for p in model.parameters()))
            total_loss = data_loss + reg_loss
            model.zero_grad()
            total_loss.backward()
            for p in model.parameters():
                p.data -= W1_LR * p.grad
            return total_loss.data

        return step

    def w4(self):
        Value = self.Value

        def step():
            x0 = Value(0.1)
            x = x0
            for _ in range(500):
                x = x * 1.0001 + 0.5
                x = x.tanh()
            x.backward()  # the sum of one scalar is itself
            return x0.grad

        return step


# ----------------------------------------------------------------------------------------------
# PyTorch, eager, CPU.

class Torch:
    def __init__(self):
        import torch

        torch.set_num_threads(THREADS)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        self.torch = torch

    def version(self):
        t = self.torch
        return {"torch": t.__version__, "torch_threads": t.get_num_threads(),
                "torch_mkl": bool(t.backends.mkl.is_available()),
                "torch_mkldnn": bool(t.backends.mkldnn.is_available())}

    def make(self, req):
        return getattr(self, req["w"])(req)

    def _mlp(self, sizes, dtype):
        nn = self.torch.nn
        mods = []
        for i in range(len(sizes) - 1):
            mods.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                mods.append(nn.ReLU())
        return nn.Sequential(*mods).to(dtype)

    def w1_tensor(self, req):
        torch = self.torch
        d = load_w1(req["data"])
        model = self._mlp([2, 16, 16, 1], torch.float64)
        lins = [m for m in model if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for lin, l in zip(lins, d["layers"]):
                lin.weight.copy_(torch.tensor(l["w"], dtype=torch.float64))
                lin.bias.copy_(torch.tensor(l["b"], dtype=torch.float64))
        X = torch.tensor(d["x"], dtype=torch.float64)
        y = torch.tensor(d["y"], dtype=torch.float64)
        params = list(model.parameters())
        opt = torch.optim.SGD(params, lr=W1_LR)

        def step():
            opt.zero_grad(set_to_none=True)
            score = model(X).squeeze(1)
            data_loss = torch.relu(1 - y * score).mean()
            reg = W1_ALPHA * sum((p * p).sum() for p in params)
            loss = data_loss + reg
            loss.backward()
            opt.step()
            return loss.item()

        return step

    def w2(self, req):
        torch = self.torch
        torch.manual_seed(0)
        model = self._mlp([784, 256, 256, 10], torch.float32)
        g = torch.Generator().manual_seed(1)
        X = torch.randn(128, 784, generator=g)
        labels = torch.randint(0, 10, (128,), generator=g)
        opt = torch.optim.SGD(model.parameters(), lr=W2_LR)
        F = torch.nn.functional

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(X), labels)
            loss.backward()
            opt.step()
            return loss.item()

        return step

    def w3(self, req):
        torch = self.torch
        n = req["n"]
        g = torch.Generator().manual_seed(3)
        a = torch.randn(n, n, generator=g)
        b = torch.randn(n, n, generator=g)

        def step():
            return float((a @ b)[0, 0])

        return step

    def _w4(self, shape):
        torch = self.torch
        x0 = (torch.arange(16, dtype=torch.float64) * 0.1 - 0.8) if shape else torch.tensor(0.1, dtype=torch.float64)
        x0.requires_grad_(True)

        def step():
            x = x0
            for _ in range(500):
                x = x * 1.0001 + 0.5
                x = torch.tanh(x)
            x.sum().backward()
            gsum = float(x0.grad.sum())
            x0.grad = None
            return gsum

        return step

    def digits(self, req):
        """Time to 97%: one step is a whole run from scratch, reading the digits' IDX files
        (pixels / 16, as nn::data::digits), building the MLP 64-64-10 with chainrule's
        initialisation (Dense: Kaiming-uniform for the relu layer, Xavier-uniform for the linear
        output, zero biases) from a generator seeded 0, Adam lr 0.003, batch 32 in an order
        shuffled each epoch (torch.randperm from a generator seeded 0), evaluation on the 297
        test images after every epoch, stopping at the first epoch at or above 97%. Like
        nn::train::fit, it keeps the epoch's training loss and accuracy. The check value is the
        epochs run; step.accuracy the test accuracy reached."""
        torch = self.torch
        nn, F = torch.nn, torch.nn.functional
        folder = req["data"]

        def load(images, labels):
            (n, *_), pixels = read_idx(os.path.join(folder, images))
            _, ys = read_idx(os.path.join(folder, labels))
            x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).reshape(n, -1).float() / 16
            return x, torch.frombuffer(bytearray(ys), dtype=torch.uint8).long()

        def step():
            x, y = load("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
            tx, ty = load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
            g = torch.Generator().manual_seed(0)
            hidden, out = nn.Linear(64, 64), nn.Linear(64, 10)
            with torch.no_grad():
                nn.init.kaiming_uniform_(hidden.weight, nonlinearity="relu", generator=g)
                nn.init.xavier_uniform_(out.weight, generator=g)
                hidden.bias.zero_()
                out.bias.zero_()
            model = nn.Sequential(hidden, nn.ReLU(), out)
            opt = torch.optim.Adam(model.parameters(), lr=DIGITS_LR)
            n = len(y)
            order = torch.Generator().manual_seed(0)
            for epoch in range(1, DIGITS_MAX_EPOCHS + 1):
                loss_sum, correct = 0.0, 0
                for idx in torch.randperm(n, generator=order).split(DIGITS_BATCH):
                    opt.zero_grad(set_to_none=True)
                    logits = model(x[idx])
                    loss = F.cross_entropy(logits, y[idx])
                    loss.backward()
                    opt.step()
                    loss_sum += loss.item() * len(idx)
                    correct += int((logits.argmax(1) == y[idx]).sum())
                with torch.no_grad():  # the loss too, as nn::train's evaluation reports it
                    logits = model(tx)
                    F.cross_entropy(logits, ty).item()
                    accuracy = float((logits.argmax(1) == ty).float().mean())
                if accuracy >= DIGITS_TARGET:
                    break
            step.accuracy = accuracy
            return epoch

        return step

    def w4_scalar(self, req):
        return self._w4(False)

    def w4_vec16(self, req):
        return self._w4(True)


# ----------------------------------------------------------------------------------------------
# JAX, jit, CPU (x64 enabled for W1's f64; W2 and W3 use f32 arrays explicitly).

class Jax:
    def __init__(self):
        import jax

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp

    def version(self):
        import jaxlib

        return {"jax": self.jax.__version__, "jaxlib": jaxlib.__version__,
                "xla_flags": os.environ.get("XLA_FLAGS", "")}

    def make(self, req):
        return getattr(self, req["w"])(req)

    def _train_step(self, loss_fn, lr):
        jax = self.jax

        @jax.jit
        def step(params, X, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, X, y)
            return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), loss

        return step

    def w1_tensor(self, req):
        jax, jnp = self.jax, self.jnp
        d = load_w1(req["data"])
        params = [(jnp.array(l["w"], dtype=jnp.float64), jnp.array(l["b"], dtype=jnp.float64))
                  for l in d["layers"]]
        X = jnp.array(d["x"], dtype=jnp.float64)
        y = jnp.array(d["y"], dtype=jnp.float64)

        def loss_fn(params, X, y):
            h = X
            for i, (W, b) in enumerate(params):
                h = h @ W.T + b
                if i < len(params) - 1:
                    h = jax.nn.relu(h)
            data_loss = jnp.mean(jax.nn.relu(1 - y * h[:, 0]))
            reg = sum(jnp.sum(W * W) + jnp.sum(b * b) for W, b in params)
            return data_loss + W1_ALPHA * reg

        return self._loop(self._train_step(loss_fn, W1_LR), params, X, y)

    def w2(self, req):
        jax, jnp = self.jax, self.jnp
        key = jax.random.PRNGKey(0)
        params = []
        for fan_in, fan_out in [(784, 256), (256, 256), (256, 10)]:
            key, k1, k2 = jax.random.split(key, 3)
            bound = 1 / math.sqrt(fan_in)
            params.append((jax.random.uniform(k1, (fan_out, fan_in), jnp.float32, -bound, bound),
                           jax.random.uniform(k2, (fan_out,), jnp.float32, -bound, bound)))
        key, kx, ky = jax.random.split(key, 3)
        X = jax.random.normal(kx, (128, 784), jnp.float32)
        labels = jax.random.randint(ky, (128,), 0, 10)

        def loss_fn(params, X, labels):
            h = X
            for i, (W, b) in enumerate(params):
                h = h @ W.T + b
                if i < len(params) - 1:
                    h = jax.nn.relu(h)
            logp = jax.nn.log_softmax(h, axis=-1)
            return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

        return self._loop(self._train_step(loss_fn, W2_LR), params, X, labels)

    def _loop(self, step_fn, params, X, y):
        state = {"p": params}

        def step():
            p, loss = step_fn(state["p"], X, y)
            self.jax.block_until_ready((p, loss))
            state["p"] = p
            return float(loss)

        return step

    def w3(self, req):
        jax, jnp = self.jax, self.jnp
        n = req["n"]
        k1, k2 = jax.random.split(jax.random.PRNGKey(3))
        a = jax.random.normal(k1, (n, n), jnp.float32)
        b = jax.random.normal(k2, (n, n), jnp.float32)
        mm = jax.jit(jnp.matmul)

        def step():
            mm(a, b).block_until_ready()
            return 0.0

        return step


# ----------------------------------------------------------------------------------------------
# numpy (its OpenBLAS), W3 only.

class Numpy:
    def __init__(self):
        import numpy as np

        self.np = np

    def version(self):
        info = {"numpy": self.np.__version__}
        try:
            from threadpoolctl import threadpool_info

            for p in threadpool_info():
                if p.get("internal_api") == "openblas":
                    info["openblas"] = {k: p.get(k) for k in ("version", "architecture", "num_threads")}
        except ImportError:
            info["openblas"] = "threadpoolctl not installed"
        return info

    def make(self, req):
        if req["w"] != "w3":
            raise ValueError("numpy runs W3 only")
        np = self.np
        n = req["n"]
        rng = np.random.default_rng(3)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)

        def step():
            return float((a @ b)[0, 0])

        return step


FRAMEWORKS = {"micrograd": Micrograd, "torch": Torch, "jax": Jax, "numpy": Numpy}


def main():
    fw = FRAMEWORKS[sys.argv[1]]()
    cache = {}
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            cmd = req.get("cmd")
            if cmd == "quit":
                break
            if cmd == "info":
                resp = {"ok": True, "python": sys.version.split()[0], **fw.version()}
            else:
                key = (req["w"], req.get("n"))
                first = None
                if key not in cache:
                    cache[key] = fw.make(req)
                    first = cache[key]()
                step = cache[key]
                check = first
                for _ in range(req.get("warmup", 0)):
                    check = step()
                times = []
                c0, w0 = time.process_time(), time.perf_counter()
                for _ in range(req.get("reps", 1)):
                    t = time.perf_counter()
                    check = step()
                    times.append(time.perf_counter() - t)
                wall = time.perf_counter() - w0
                cpu = time.process_time() - c0
                resp = {"ok": True, "times": times, "cpu": cpu, "wall": wall, "check": check,
                        "first": first, "accuracy": getattr(step, "accuracy", None)}
        except Exception as e:  # reported to the driver, which shows it in the table
            resp = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(resp) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
