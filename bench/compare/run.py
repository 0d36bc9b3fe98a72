#!/usr/bin/env python3
"""chainrule's comparison harness: W1-W4 in chainrule, micrograd, PyTorch, JAX, numpy, candle and
burn, and time to 97% on the digits in chainrule and PyTorch, interleaved in one run, one table
of medians and ratios.

    python3 bench/compare/run.py --venv /tmp/chainrule-peers

builds the two Rust workers (bench/compare/chainrule-side: the engine by path;
bench/compare/rust-peers: candle and burn), starts one long-lived worker process per
(framework, thread count), and then, for several rounds, sends every case to its worker in a
shuffled order, collecting per-step times. The table shows the median over all rounds and the
ratio chainrule / peer of the medians (below 1: chainrule is faster).

The workloads are defined in docs/performance.md, "Comparison with peers". Only the standard
library is needed here; the Python peers run in the venv given by --venv (see requirements.txt).
"""

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

W4_OPS = 1500  # 500 x (mul, add, tanh): nodes recorded per chain, the same in every framework
W3_SIZES = [128, 256, 512, 1024]
DIGITS_DIR = ROOT / "crates" / "nn" / "data" / "digits"  # the IDX files chainrule embeds


# ----------------------------------------------------------------------------------------------
# W1's shared data: the same points, labels and initial weights for every framework.

def w1_data(path):
    """100 two-moons points as scikit-learn's make_moons(100, noise=0.1) builds them (outer moon
    first, labels -1 then +1), the noise from Python's seeded Mersenne Twister, and micrograd's
    initialisation (weights uniform in [-1, 1], biases 0) for the MLP 2-16-16-1."""
    r = random.Random(1)
    n = 50
    ts = [math.pi * i / (n - 1) for i in range(n)]
    pts = [(math.cos(t), math.sin(t)) for t in ts] + [(1 - math.cos(t), 1 - math.sin(t) - 0.5) for t in ts]
    x = [[a + r.gauss(0, 0.1), b + r.gauss(0, 0.1)] for a, b in pts]
    y = [-1.0] * n + [1.0] * n
    layers = []
    for nin, nout in [(2, 16), (16, 16), (16, 1)]:
        layers.append({"w": [[r.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)],
                       "b": [0.0] * nout})
    with open(path, "w") as f:
        json.dump({"x": x, "y": y, "layers": layers}, f)


# ----------------------------------------------------------------------------------------------
# Building.

def root_release_profile():
    """The workspace's [profile.release] (without debug info), applied to both Rust workers so
    chainrule and its Rust peers are compiled alike."""
    import tomllib

    with open(ROOT / "Cargo.toml", "rb") as f:
        prof = tomllib.load(f).get("profile", {}).get("release", {})
    prof = {k: v for k, v in prof.items() if k not in ("debug", "split-debuginfo", "strip")}
    prof.setdefault("opt-level", 3)
    return prof


def engine_has_threads_feature():
    import tomllib

    with open(ROOT / "crates" / "autograd" / "Cargo.toml", "rb") as f:
        return "threads" in tomllib.load(f).get("features", {})


def cargo_build(project, extra, log):
    cmd = ["cargo", "build", "--release", "--manifest-path", str(HERE / project / "Cargo.toml")]
    for k, v in root_release_profile().items():
        cmd += ["--config", f"profile.release.{k}={json.dumps(v)}"]
    cmd += extra
    log(f"$ {' '.join(cmd)}")
    subprocess.run(cmd, check=True)
    return HERE / project / "target" / "release" / project


# ----------------------------------------------------------------------------------------------
# Workers.

def thread_env(threads, numpy=False):
    env = dict(os.environ)
    t = str(threads)
    env.update({
        "CMP_THREADS": t,
        "OMP_NUM_THREADS": t, "MKL_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t,
        "RAYON_NUM_THREADS": t,       # candle's gemm, burn-ndarray's rayon
        "MATMUL_NUM_THREADS": t,      # matrixmultiply (burn-ndarray) reads it
        "CHAINRULE_NUM_THREADS": t,   # chainrule's pool (its kernels and gemmkit's GEMM)
        "TF_CPP_MIN_LOG_LEVEL": "2",
    })
    if threads == 1:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    else:
        env.pop("XLA_FLAGS", None)
    # Some machines here set these for old OpenBLAS builds; they slow a current numpy (and say
    # nothing to the others). Benchmarks run without them; the table reports numpy's kernel.
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


class Worker:
    def __init__(self, name, cmd, threads, cpu=None):
        self.name, self.threads = name, threads
        self.dead, self.proc = None, None
        self.errlog = tempfile.TemporaryFile(mode="w+")
        # `--pin`: set before the worker starts, so every thread it ever makes inherits it.
        pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.errlog, env=thread_env(threads), text=True,
                                         bufsize=1, preexec_fn=pin)
        except OSError as e:
            self.dead = f"cannot start {name}: {e}"

    def ask(self, req):
        if self.dead:
            return {"ok": False, "error": self.dead}
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as e:
            line = ""
        if not line:
            self.errlog.seek(0)
            tail = self.errlog.read()[-300:].strip().replace("\n", " / ")
            self.dead = f"worker {self.name} exited (code {self.proc.poll()}): {tail}"
            return {"ok": False, "error": self.dead}
        return json.loads(line)

    def close(self):
        if self.proc is None:
            return
        if not self.dead:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ----------------------------------------------------------------------------------------------
# Cases: (workload, size, framework, threads).

W_LABEL = {
    "w1_scalar": "W1a micrograd demo step, scalar graph (f64)",
    "w1_scalar_replay": "W1a the same step, captured once and replayed (chainrule's Plan)",
    "w1_tensor": "W1b micrograd demo step, tensor path, batch 100 (f64)",
    "w2": "W2 MLP 784-256-256-10 training step, batch 128 (f32)",
    "w2_replay": "W2 the same step, captured once and replayed (chainrule's Plan, as nn::train::fit)",
    "w2_scaling": "W2 replayed on 1 and 2 threads, paired in blocks in one process (time: 2 threads)",
    "w3": "W3 f32 square GEMM",
    "w4_scalar": "W4 1000-statement chain + backward, scalar (f64)",
    "w4_vec16": "W4 1000-statement chain + backward, 16 elements (f64)",
    "digits": "time to 97% test accuracy, embedded digits, MLP 64-64-10, Adam, batch 32 (f32)",
}


def cases(chainrule_threads):
    cs = []
    add = lambda w, fws, t=1, n=None: cs.extend((w, n, fw, t) for fw in fws)
    add("w1_scalar", ["chainrule", "micrograd"])
    add("w1_scalar_replay", ["chainrule"])
    add("w1_tensor", ["chainrule", "torch", "jax", "candle", "burn", "burn-flex"])
    add("w2", ["chainrule", "torch", "jax", "candle", "burn", "burn-flex"], 1)
    add("w2", (["chainrule"] if 2 in chainrule_threads else []) + ["torch", "jax", "candle", "burn", "burn-flex"], 2)
    add("w2_replay", ["chainrule"], 1)
    add("w2_replay", ["chainrule"] if 2 in chainrule_threads else [], 2)
    add("w2_scaling", ["chainrule"] if 2 in chainrule_threads else [], 2)
    for n in W3_SIZES:
        add("w3", ["chainrule", "numpy", "torch", "jax", "candle", "burn", "burn-flex"], 1, n)
    add("w4_scalar", ["chainrule", "micrograd", "torch", "candle", "burn", "burn-flex"])
    add("w4_vec16", ["chainrule", "torch", "candle", "burn", "burn-flex"])
    add("digits", ["chainrule", "torch"], 1)
    add("digits", (["chainrule"] if 2 in chainrule_threads else []) + ["torch"], 2)
    return cs


def worker_key(fw, threads):
    group = {"candle": "rust-peers", "burn": "rust-peers", "burn-flex": "rust-peers"}.get(fw, fw)
    return (group, threads)


def print_environment(log):
    """The machine and every framework's version, as the table's header."""
    model = cores = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s*(.+)", out).group(1).strip()
        cores = re.search(r"^CPU\(s\):\s*(\d+)", out, re.M).group(1)
    except Exception:
        pass
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"machine: {model}, {cores} CPUs, {platform.platform()}")
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    print("SIMD: " + " ".join(f for f in ("avx2", "fma", "avx512f") if re.search(rf"\b{f}\b", flags)))
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"rustc: {rustc}")
    git = lambda *a: subprocess.run(["git", "--no-optional-locks", "-C", str(ROOT), *a],
                                    capture_output=True, text=True)
    rev = git("rev-parse", "--short", "HEAD").stdout.strip()
    dirty = git("diff", "--quiet", "HEAD", "--", "crates").returncode != 0
    print(f"chainrule: {rev}{' + uncommitted changes under crates/' if dirty else ''}")
    own = HERE / "chainrule-side" / "Cargo.lock"
    if own.exists():
        vs = sorted(set(re.findall(r'name = "gemmkit"\nversion = "([^"]+)"', own.read_text())))
        if vs:
            print(f"chainrule's GEMM: gemmkit {'/'.join(vs)}")
    lock = HERE / "rust-peers" / "Cargo.lock"
    if lock.exists():
        text = lock.read_text()
        vers = []
        for name in ("candle-core", "gemm", "burn", "burn-ndarray", "ndarray", "matrixmultiply"):
            vs = sorted(set(re.findall(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', text)))
            if vs:
                vers.append(f"{name} {'/'.join(vs)}")
        print("rust peers: " + ", ".join(vers))


def paired_scaling(meta):
    """From `w2_scaling`'s blocks: the medians of the second core's speed-up on the replayed W2
    step (1 thread / 2 threads) and of the machine's own (two 1-thread steps side by side against
    one alone, nothing shared), each block's ratios taken within it; and the number of blocks."""
    blocks = meta.get(("w2_scaling", None, "chainrule", 2), {}).get("blocks") or []
    if not blocks:
        return None
    s2 = statistics.median(one / two for one, two, _ in blocks)
    machine = statistics.median(2 * one / side for one, _, side in blocks)
    return s2, machine, len(blocks)


def print_bars(med, meta, cpu_wall=None, pinned=False):
    """Issue 5's bars that this comparison can decide, met or missed and by how much. `pinned`:
    the 1-thread workers ran on one CPU (`--pin`), which the 1-thread rows then say."""
    one_cpu = " (every framework on one CPU)" if pinned else ""
    # If no 2-thread case got more than 1.2 cores, the second core was taken by something else
    # (PyTorch alone parallelises W2's GEMMs on an idle machine): the 2-thread verdicts are void.
    two = [cw[0] / cw[1] for c, cw in (cpu_wall or {}).items() if c[3] == 2 and cw[1] > 0]
    two_void = bool(two) and max(two) < 1.2
    def m(w, fw, t=1, n=None):
        return med.get((w, n, fw, t))

    lines = []

    def bar(name, value, limit, ok, how, words=("met", "MISSED")):
        if value is None:
            lines.append(f"| {name} | {limit} | not measured | - |")
        else:
            lines.append(f"| {name} | {limit} | {how} | {words[0] if ok else words[1]} |")

    cr, mg = m("w1_scalar", "chainrule"), m("w1_scalar", "micrograd")
    x = mg / cr if cr and mg else None
    bar("W1 scalar graph", x, ">= 1500x faster than micrograd", x and x >= 1500,
        f"{x:.1f}x faster ({1500 / x:.0f}x short)" if x and x < 1500 else f"{x:.0f}x faster" if x else "")
    cr = m("w1_scalar_replay", "chainrule")
    x = mg / cr if cr and mg else None
    bar("W1 scalar graph, replayed", x, ">= 1500x faster than micrograd", x and x >= 1500,
        f"{x:.1f}x faster ({1500 / x:.0f}x short)" if x and x < 1500 else f"{x:.0f}x faster" if x else "")
    fwd = meta.get(("w1_scalar_replay", None, "chainrule", 1), {}).get("nodes")
    ns = cr / fwd[0] * 1e9 if cr and fwd else None
    bar("W1 scalar graph, replayed", ns, "<= 8 ns per forward node", ns is not None and ns <= 8,
        f"{ns:.1f} ns" if ns else "")
    cr, jx = m("w1_tensor", "chainrule"), m("w1_tensor", "jax")
    x = cr / jx if cr and jx else None
    bar("W1 tensor path", x, "faster than JAX jit", x and x < 1, f"chainrule / JAX = {x:.2f}" if x else "")
    for t in (1, 2):
        cr = m("w2", "chainrule", t)
        for fw, limit, ok in (("torch", "<= 0.9x PyTorch eager", lambda r: r <= 0.9),
                              ("candle", "faster than candle", lambda r: r < 1),
                              ("burn", "faster than burn (ndarray)", lambda r: r < 1),
                              ("burn-flex", "(burn flex, for information)", lambda r: r < 1)):
            p = m("w2", fw, t)
            x = cr / p if cr and p else None
            words = ("chainrule faster", "chainrule slower") if fw == "burn-flex" else ("met", "MISSED")
            if t == 2 and two_void:
                words = tuple(f"void (no second core; would be {w})" for w in words)
            bar(f"W2, {t} thread{'s' if t > 1 else one_cpu}", x, limit, x is not None and ok(x),
                f"chainrule / {fw} = {x:.2f}" if x else "", words)
    # Issue 15's bars, on the step as `fit` runs it (replayed): JAX jit compiles its step once too.
    one, two = m("w2_replay", "chainrule", 1), m("w2_replay", "chainrule", 2)
    for t, cr in ((1, one), (2, two)):
        jx = m("w2", "jax", t)
        x = cr / jx if cr and jx else None
        words = ("met", "MISSED")
        if t == 2 and two_void:
            words = tuple(f"void (no second core; would be {w})" for w in words)
        bar(f"W2 replayed, {t} thread{'s' if t > 1 else one_cpu}", x, "faster than JAX jit", x is not None and x < 1,
            f"chainrule / JAX = {x:.2f}" if x else "", words)
    pt = m("w2", "torch", 2)
    x = two / pt if two and pt else None
    bar("W2 replayed, 2 threads", x, "<= 0.75x PyTorch eager", x is not None and x <= 0.75,
        f"chainrule / torch = {x:.2f}" if x else "", words)
    x = one / two if one and two else None
    bar("W2 replayed, the second core", x, ">= 1.6x speed-up", x is not None and x >= 1.6,
        f"{x:.3f}x (1 thread / 2 threads)" if x else "", words)
    # The same bar paired: 1 and 2 threads within ~50 ms of each other, beside what the machine
    # gives two steps that share nothing (its ceiling for any split of the step).
    sc = paired_scaling(meta)
    x = sc[0] if sc else None
    bar("W2 replayed, the second core, paired in one process", x, ">= 1.6x speed-up", x is not None and x >= 1.6,
        f"{sc[0]:.3f}x (median of {sc[2]} blocks; in the same blocks two 1-thread steps side by side "
        f"ran {sc[1]:.2f}x one alone, so the split reached {sc[0] / sc[1]:.0%} of what this machine's "
        "second core gives)" if sc else "", words)
    for n in (256, 512, 1024):
        cr, npy = m("w3", "chainrule", 1, n), m("w3", "numpy", 1, n)
        x = npy / cr if cr and npy else None  # throughput ratio
        bar(f"W3 n = {n}, 1 thread", x, ">= 0.9x numpy/OpenBLAS GFLOP/s", x and x >= 0.9,
            f"{x:.3f}x numpy's GFLOP/s" if x else "")
    for w, limit in (("w4_scalar", 20), ("w4_vec16", 100)):  # issue 15's (issue 5's: 50 and 100)
        cr = m(w, "chainrule")
        ns = cr / W4_OPS * 1e9 if cr else None
        bar(f"W4 {'scalar' if w == 'w4_scalar' else '16 elements'}", ns, f"<= {limit} ns per recorded op",
            ns is not None and ns <= limit, f"{ns:.0f} ns ({ns / limit:.2f}x the bar)" if ns else "")
    for t in (1, 2):
        # Issue 15 sets no bar here: the ratio is for information.
        cr, pt = m("digits", "chainrule", t), m("digits", "torch", t)
        x = cr / pt if cr and pt else None
        words = ("chainrule faster", "chainrule slower")
        if t == 2 and two_void:
            words = tuple(f"void (no second core; would be {w})" for w in words)
        bar(f"time to 97% on the digits, {t} thread{'s' if t > 1 else ''}", x, "(PyTorch, for information)",
            x is not None and x < 1, f"chainrule / PyTorch = {x:.3g}" if x else "", words)
    print("\n| bar | limit | measured | verdict |\n|---|---|---|---|")
    print("\n".join(lines))


def fmt_time(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.1f} us"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--venv", required=True, help="the Python venv with requirements.txt installed")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    ap.add_argument("--target", type=float, default=0.2,
                    help="seconds of timed steps per case per round (default 0.2)")
    ap.add_argument("--min-cpu", type=float, default=0.85,
                    help="drop one-thread batches that got less than this share of a core (default 0.85)")
    ap.add_argument("--only", default="",
                    help="comma-separated workloads (w1_scalar,w1_scalar_replay,w1_tensor,w2,w2_replay,w3,w4_scalar,w4_vec16,digits)")
    ap.add_argument("--frameworks", default="",
                    help="comma-separated frameworks to run (default all: chainrule,micrograd,torch,jax,numpy,candle,burn,burn-flex)")
    ap.add_argument("--skip-build", action="store_true", help="use the already built Rust workers")
    ap.add_argument("--json", help="write every sample and the environment here")
    ap.add_argument("--pin", action="store_true",
                    help="run every 1-thread worker on one CPU, so that '1 thread' means one CPU for "
                         "every framework (JAX jit's 1-thread worker otherwise uses about 1.5: see the "
                         "CPU/wall column)")
    args = ap.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)

    py = Path(args.venv) / "bin" / "python"
    if not py.exists():
        sys.exit(f"no python at {py}: create the venv first (see bench/compare/README.md)")

    threads_feature = engine_has_threads_feature()
    chainrule_threads = [1, 2] if threads_feature else [1]
    all_cases = cases(chainrule_threads)
    if args.only:
        keep = set(args.only.split(","))
        all_cases = [c for c in all_cases if c[0] in keep]
    if args.frameworks:
        keep = set(args.frameworks.split(","))
        all_cases = [c for c in all_cases if c[2] in keep]

    # --- build (the candle/burn worker only if a chosen case needs it)
    extra = ["--features", "autograd/threads"] if threads_feature else []
    cr_bin = HERE / "chainrule-side" / "target" / "release" / "chainrule-side"
    rp_bin = HERE / "rust-peers" / "target" / "release" / "rust-peers"
    if not args.skip_build:
        cr_bin = cargo_build("chainrule-side", extra, log)
        if any(worker_key(fw, t)[0] == "rust-peers" for _, _, fw, t in all_cases):
            rp_bin = cargo_build("rust-peers", [], log)

    tmp = tempfile.mkdtemp(prefix="chainrule-compare-")
    data = os.path.join(tmp, "w1.json")
    w1_data(data)

    # --- workers, one per (framework group, threads)
    cmds = {
        "chainrule": [str(cr_bin)],
        "rust-peers": [str(rp_bin)],
        "torch": [str(py), str(HERE / "peers.py"), "torch"],
        "jax": [str(py), str(HERE / "peers.py"), "jax"],
        "micrograd": [str(py), str(HERE / "peers.py"), "micrograd"],
        "numpy": [str(py), str(HERE / "peers.py"), "numpy"],
    }
    print_environment(log)
    if args.pin and not hasattr(os, "sched_setaffinity"):
        sys.exit("--pin needs CPU affinity (os.sched_setaffinity), which this system does not offer")
    pin_cpu = min(os.sched_getaffinity(0)) if args.pin else None
    if args.pin:
        print(f"1-thread workers pinned to CPU {pin_cpu} (--pin); 2-thread workers are not pinned")
    load0 = os.getloadavg()
    workers = {}
    for w, n, fw, t in all_cases:
        key = worker_key(fw, t)
        if key not in workers:
            workers[key] = Worker(f"{key[0]}-{key[1]}t", cmds[key[0]], t, pin_cpu if t == 1 else None)
    env_info = {}
    for key, wk in workers.items():
        info = wk.ask({"cmd": "info"})
        env_info[f"{key[0]} {key[1]}t"] = info
        shown = {k: v for k, v in info.items() if k != "ok"}
        print(f"worker {key[0]} ({key[1]} thread{'s' if key[1] > 1 else ''}): {json.dumps(shown)}")

    def request(case, reps, warmup):
        w, n, fw, t = case
        req = {"fw": fw, "w": w, "reps": reps, "warmup": warmup,
               "data": str(DIGITS_DIR) if w == "digits" else data}
        if n is not None:
            req["n"] = n
        return workers[worker_key(fw, t)].ask(req)

    # --- calibration: set up (JIT, first step), warm up, pick the repetitions per round
    samples = {c: [] for c in all_cases}
    meta = {c: {} for c in all_cases}
    reps = {}
    t0 = time.time()
    for c in all_cases:
        # A digits step is a whole training run (up to a second or more): its set-up run is
        # warm-up enough.
        r = request(c, 1, 0) if c[0] == "digits" else request(c, 3, 2)
        if not r.get("ok"):
            meta[c]["error"] = r.get("error")
            log(f"  {c}: ERROR {r.get('error')}")
            continue
        meta[c]["first"] = r.get("first")
        if r.get("nodes") is not None:
            meta[c]["nodes"] = r["nodes"]
        one = max(min(r["times"]), 1e-7)
        if c[0] == "w2_scaling":  # a step's time is one phase of its block: budget whole blocks
            one = max(r["wall"] / len(r["times"]), 1e-7)
        reps[c] = max(1, min(5000, int(args.target / one)))
        log(f"  calibrated {c}: {fmt_time(one)} -> {reps[c]} reps/round")
    log(f"calibration took {time.time() - t0:.1f} s")

    # --- interleaved rounds
    rng = random.Random(0)
    order = [c for c in all_cases if c in reps]
    cpu_wall = {c: [0.0, 0.0] for c in order}
    batches = {c: [] for c in order}
    for rnd in range(args.rounds):
        rng.shuffle(order)
        t1 = time.time()
        for c in order:
            r = request(c, reps[c], 0)
            if not r.get("ok"):
                meta[c]["error"] = r.get("error")
                continue
            batches[c].append(r)
            if (r.get("extra") or {}).get("blocks"):
                meta[c].setdefault("blocks", []).extend(r["extra"]["blocks"])
            if r.get("accuracy") is not None:  # the digits: epochs run and accuracy reached
                meta[c].setdefault("epochs", set()).add(r["check"])
                meta[c].setdefault("accuracy", set()).add(r["accuracy"])
            cpu_wall[c][0] += r["cpu"]
            cpu_wall[c][1] += r["wall"]
        log(f"round {rnd + 1}/{args.rounds}: {time.time() - t1:.1f} s")

    for wk in workers.values():
        wk.close()
    load1 = os.getloadavg()
    print(f"\nload average (1, 5, 15 min) before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
          f"after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")

    # A one-thread batch during which the process got less than --min-cpu of a core was slowed
    # by something outside the run: it is left out (and counted), unless every batch was.
    dropped = {}
    for c, bs in batches.items():
        keep = [b for b in bs if c[3] != 1 or b["wall"] <= 0 or b["cpu"] / b["wall"] >= args.min_cpu]
        if not keep:
            keep = bs
        dropped[c] = len(bs) - len(keep)
        for b in keep:
            samples[c].extend(b["times"])

    # --- table
    med = {c: statistics.median(s) for c, s in samples.items() if s}
    rows = []
    print()
    print("chainrule / peer: ratio of median step times (below 1: chainrule is faster). "
          "CPU/wall: CPU-seconds per second of the timed loop (about the threads really used).\n")
    print("| workload | threads | framework | median | per unit | chainrule / peer | CPU/wall | samples |")
    print("|---|---|---|---|---|---|---|---|")
    for c in all_cases:
        w, n, fw, t = c
        m = med.get(c)
        ref = med.get((w, n, "chainrule", t)) or (med.get((w, n, "chainrule", 1)) if t == 2 else None)
        ref_note = "" if (w, n, "chainrule", t) in med or ref is None else " (vs chainrule 1t)"
        if m is None:
            unit, ratio = meta[c].get("error", "no samples"), "-"
        else:
            if w == "w3":
                unit = f"{2 * n ** 3 / m / 1e9:.1f} GFLOP/s"
            elif w.startswith("w4"):
                unit = f"{m / W4_OPS * 1e9:.0f} ns/op"
            elif meta[c].get("epochs"):
                e, a = sorted(meta[c]["epochs"]), sorted(meta[c]["accuracy"])
                span = lambda lo, hi, f: f(lo) if lo == hi else f"{f(lo)}-{f(hi)}"
                unit = (f"{span(e[0], e[-1], lambda v: f'{v:.0f}')} epochs to "
                        f"{span(a[0], a[-1], lambda v: f'{100 * v:.1f}')}%")
            elif w == "w2_scaling" and (sc := paired_scaling(meta)):
                s2, machine, nb = sc
                unit = f"second core {s2:.2f}x; two 1-thread steps side by side {machine:.2f}x (medians of {nb} blocks)"
            elif "nodes" in meta[c] and w.startswith("w1_scalar"):
                fwd, total = meta[c]["nodes"]
                # A plan's count is of the values a replay writes (fused groups write one each).
                after = "written per replay" if w.endswith("_replay") else "with backward"
                unit = f"{m / fwd * 1e9:.1f} ns per forward node ({fwd} forward, {total} {after})"
            else:
                unit = ""
            ratio = "1" if fw == "chainrule" else (f"{ref / m:.3g}{ref_note}" if ref else "-")
        cw = cpu_wall.get(c)
        cpu = f"{cw[0] / cw[1]:.2f}" if cw and cw[1] > 0 else "-"
        label = W_LABEL[w] + (f", n = {n}" if n else "")
        kept = f"{len(samples[c])}" + (f" ({dropped[c]}/{len(batches[c])} batches dropped)" if dropped.get(c) else "")
        print(f"| {label} | {t} | {fw} | {fmt_time(m)} | {unit} | {ratio} | {cpu} | {kept} |")
        rows.append({"workload": w, "n": n, "framework": fw, "threads": t, "median_s": m,
                     "samples": len(samples[c]), "batches_dropped": dropped.get(c), "ratio_chainrule_over_peer": (ref / m) if (m and ref) else None,
                     "cpu_over_wall": (cw[0] / cw[1]) if cw and cw[1] > 0 else None,
                     **{k: sorted(v) if isinstance(v, set) else v for k, v in meta[c].items()}})
    busy = [c for c in order if c[3] == 1 and cpu_wall[c][1] > 0 and cpu_wall[c][0] / cpu_wall[c][1] < 0.9]
    if busy:
        print(f"\nWARNING: {len(busy)} one-thread cases got less than 0.9 CPU-seconds per second over "
              "all their batches: the machine was busy with something else (batches below "
              f"{args.min_cpu} were dropped, see the samples column); rerun on a quiet machine.")
    two = [c for c in order if c[3] == 2 and cpu_wall[c][1] > 0 and cpu_wall[c][0] / cpu_wall[c][1] < 1.5]
    if two:
        print(f"\nNOTE: {len(two)} two-thread cases used less than 1.5 CPU-seconds per second "
              f"({', '.join(c[2] for c in two)}): either the library did not parallelise that step "
              "or the machine's second core was busy.")
    if not threads_feature:
        print("\nchainrule: the engine has no `threads` feature, so it runs W2 and the digits on 1 thread only; "
              "its 2-thread ratios compare that 1-thread time with the peers' 2-thread times.")
    print_bars(med, meta, cpu_wall, args.pin)
    w1_first = {fw: meta[(w, n, fw, t)].get("first") for (w, n, fw, t) in all_cases if w.startswith("w1")}
    if any(v is not None for v in w1_first.values()):
        print("\nW1 loss of the first step (same data and weights everywhere):",
              ", ".join(f"{k} {v:.12g}" for k, v in w1_first.items() if v is not None))

    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "env": env_info, "samples": {"|".join(map(str, c)): s for c, s in samples.items()},
                       "machine": {"platform": platform.platform()},
                       "one_thread_pinned_to_cpu": pin_cpu}, f, indent=1)


if __name__ == "__main__":
    main()
