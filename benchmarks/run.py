"""Benchmarks: tinygrad_lr's idiomatic training loop against a hand-written NumPy loop and PyTorch's.

    python benchmarks/run.py            # full sizes (a few minutes)
    python benchmarks/run.py --quick    # small sizes, seconds: proves the runner works (CI)

Every case runs its contenders in interleaved rounds in this one process and
reports medians, so a noisy machine slows all of them alike; the numbers that
matter are the ratios tinygrad_lr / NumPy and tinygrad_lr / PyTorch.

Contenders: "numpy" is the hand-written loop that also computes the loss each step; "numpy-noloss"
computes only what the update needs (the baseline of the compile targets); "tinygrad_lr" is the
idiomatic eager loop; "compiled" is the same loop with its step under tinygrad_lr.compile,
returning the loss, and "compiled-noloss" the compiled step without returning it.

Cases:
  small       linear regression 1000 × 2, batch 10: time per mini-batch SGD step
  adam        the same problem and batches, optim.Adam instead of SGD: time per step
  momentum    the same problem and batches, SGD with momentum 0.9: time per step
  mlp         an MLP 20 → 64 → ReLU → 10 with cross entropy, 2000 samples, batch 64, SGD: eager against compiled
  large       linear regression 100,000 × 256, batch 1024: time per step
  dataloader  one shuffled epoch of the large data, no training
  memory      peak RSS while training 1,000,000 × 100 float32 for one epoch, against the data size;
              and RSS growth over 10,000 steps (graphs must be freed)
"""
import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tinygrad_lr as tg  # noqa: E402
from tinygrad_lr import nn  # noqa: E402
from tinygrad_lr.utils import data  # noqa: E402

torch = None  # loaded in main(), not in the memory child: its import would inflate peak RSS


def _load_torch():
    global torch
    try:
        import torch as _torch
        torch = _torch
    except ImportError:
        torch = None

LR = 0.01
MOMENTUM = 0.9
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8   # Adam's defaults


def make_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    w = rng.standard_normal((d, 1), dtype=np.float32)
    y = X @ w + 0.5 + 0.01 * rng.standard_normal((n, 1), dtype=np.float32)
    return X, y


# ---- one epoch of mini-batch SGD, three ways; each returns the number of steps taken ----
def numpy_epoch(state, batch_size):
    """The floor: the hand-derived gradients, written directly in NumPy."""
    X, y, w, b, rng = state["X"], state["y"], state["w"], state["b"], state["rng"]
    perm = rng.permutation(len(X))
    steps = 0
    for i in range(0, len(X), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = X[idx], y[idx]
        r = xb @ w + b - yb                 # ŷ − y
        state["loss"] = 0.5 * float((r * r).mean())   # ℓ = 1/(2k)·Σ(ŷ − y)²
        k = len(idx)
        w -= LR * (xb.T @ r) / k            # ∂ℓ/∂w = Xᵀ(ŷ − y)/k
        b -= LR * r.sum(axis=0) / k         # ∂ℓ/∂b = Σ(ŷ − y)/k
        steps += 1
    return steps


def numpy_noloss_epoch(state, batch_size):
    """The floor without the loss: only what the update needs (the compile targets' baseline)."""
    X, y, w, b, rng = state["X"], state["y"], state["w"], state["b"], state["rng"]
    perm = rng.permutation(len(X))
    steps = 0
    for i in range(0, len(X), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = X[idx], y[idx]
        r = xb @ w + b - yb                 # ŷ − y
        k = len(idx)
        w -= LR * (xb.T @ r) / k            # ∂ℓ/∂w = Xᵀ(ŷ − y)/k
        b -= LR * r.sum(axis=0) / k         # ∂ℓ/∂b = Σ(ŷ − y)/k
        steps += 1
    return steps


def numpy_momentum_epoch(state, batch_size):
    """The floor for SGD with momentum μ = 0.9, without the loss: b ← μb + g, θ ← θ − η·b."""
    X, y, w, b, rng = state["X"], state["y"], state["w"], state["b"], state["rng"]
    bw, bb = state["m"]
    perm = rng.permutation(len(X))
    steps = 0
    for i in range(0, len(X), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = X[idx], y[idx]
        r = xb @ w + b - yb
        k = len(idx)
        bw *= MOMENTUM
        bw += (xb.T @ r) / k
        bb *= MOMENTUM
        bb += r.sum(axis=0) / k
        w -= LR * bw
        b -= LR * bb
        steps += 1
    return steps


def numpy_adam_epoch(state, batch_size):
    """The floor for Adam: the same gradients, and Adam's update written directly in NumPy.

    Written out like numpy_epoch rather than sharing a helper with it: a generator in
    between would slow the floor both ratios are measured against.
    """
    X, y, w, b, rng = state["X"], state["y"], state["w"], state["b"], state["rng"]
    perm = rng.permutation(len(X))
    steps = 0
    for i in range(0, len(X), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = X[idx], y[idx]
        r = xb @ w + b - yb
        state["loss"] = 0.5 * float((r * r).mean())
        k = len(idx)
        state["t"] += 1
        t = state["t"]
        for p, g, m, v in zip((w, b), ((xb.T @ r) / k, r.sum(axis=0) / k), state["m"], state["v"]):
            m += (1 - BETA1) * (g - m)                   # m ← β₁m + (1 − β₁)g
            v *= BETA2
            v += (1 - BETA2) * g * g                     # v ← β₂v + (1 − β₂)g²
            p -= (LR / (1 - BETA1 ** t)) * m / (np.sqrt(v) / np.sqrt(1 - BETA2 ** t) + EPS)
        steps += 1
    return steps


def framework_epoch(state, batch_size=None):
    """The idiomatic loop; the same code for tinygrad_lr and PyTorch."""
    net, loss_fn, opt = state["net"], state["loss_fn"], state["opt"]
    steps = 0
    for xb, yb in state["loader"]:
        loss = loss_fn(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps += 1
    return steps


def compiled_epoch(state, batch_size=None):
    """The idiomatic loop with its step under tinygrad_lr.compile (state["step"]); the loss is returned."""
    step = state["step"]
    steps = 0
    for xb, yb in state["loader"]:
        step(xb, yb)
        steps += 1
    return steps


def compiled_state(X, y, batch_size, optimizer="sgd", loss=True):
    state = tinygrad_state(X, y, batch_size, optimizer)
    net, loss_fn, opt = state["net"], state["loss_fn"], state["opt"]

    def train_step(xb, yb):
        loss = loss_fn(net(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def train_step_noloss(xb, yb):
        opt.zero_grad()
        loss_fn(net(xb), yb).backward()
        opt.step()

    state["step"] = tg.compile(train_step if loss else train_step_noloss)
    return state


def numpy_state(X, y, batch_size):
    d = X.shape[1]
    w, b = np.zeros((d, 1), np.float32), np.zeros(1, np.float32)
    return {"X": X, "y": y, "w": w, "b": b, "rng": np.random.default_rng(1),
            "t": 0, "m": [np.zeros_like(w), np.zeros_like(b)], "v": [np.zeros_like(w), np.zeros_like(b)]}


def _optimizer(framework, params, optimizer):
    if optimizer == "adam":
        return framework.optim.Adam(params, lr=LR, betas=(BETA1, BETA2), eps=EPS)
    if optimizer == "momentum":
        return framework.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    return framework.optim.SGD(params, lr=LR)


def tinygrad_state(X, y, batch_size, optimizer="sgd"):
    tg.manual_seed(1)
    ds = data.TensorDataset(tg.from_numpy(X), tg.from_numpy(y))
    net = nn.Linear(X.shape[1], 1)
    return {"net": net, "loss_fn": nn.MSELoss(), "opt": _optimizer(tg, net.parameters(), optimizer),
            "loader": data.DataLoader(ds, batch_size=batch_size, shuffle=True)}


def torch_state(X, y, batch_size, optimizer="sgd"):
    torch.manual_seed(1)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    net = torch.nn.Linear(X.shape[1], 1)
    return {"net": net, "loss_fn": torch.nn.MSELoss(), "opt": _optimizer(torch, net.parameters(), optimizer),
            "loader": torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True)}


def timed_rounds(contenders, rounds):
    """Run each contender twice per round, interleaved, and time the second run; return
    {name: median seconds per unit}.

    The first run is a warm-up: after another contender (above all PyTorch) ran, the
    caches and the allocator hold its state, and the first epoch of the next one pays
    about half a millisecond to get them back. That is a fixed cost per epoch, the same
    for every contender, so timing it would flatter whichever loop is slower per step.
    A real training loop runs epoch after epoch: the second run is its steady state.
    """
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            gc.collect()
            fn()
            t0 = time.perf_counter()
            units = fn()
            times[name].append((time.perf_counter() - t0) / units)
    return {name: statistics.median(ts) for name, ts in times.items()}


def training_case(n, d, batch_size, rounds, optimizer="sgd"):
    X, y = make_data(n, d)
    states = {"numpy": numpy_state(X, y, batch_size), "tinygrad_lr": tinygrad_state(X, y, batch_size, optimizer),
              "compiled": compiled_state(X, y, batch_size, optimizer)}
    numpy_loop = {"adam": numpy_adam_epoch, "momentum": numpy_momentum_epoch}.get(optimizer, numpy_epoch)
    contenders = {"numpy": lambda: numpy_loop(states["numpy"], batch_size)}
    if optimizer == "sgd":
        states["numpy-noloss"] = numpy_state(X, y, batch_size)
        contenders["numpy-noloss"] = lambda: numpy_noloss_epoch(states["numpy-noloss"], batch_size)
    contenders["tinygrad_lr"] = lambda: framework_epoch(states["tinygrad_lr"])
    contenders["compiled"] = lambda: compiled_epoch(states["compiled"])
    if optimizer != "adam":
        states["compiled-noloss"] = compiled_state(X, y, batch_size, optimizer, loss=False)
        contenders["compiled-noloss"] = lambda: compiled_epoch(states["compiled-noloss"])
    if torch is not None:
        states["torch"] = torch_state(X, y, batch_size, optimizer)
        contenders["torch"] = lambda: framework_epoch(states["torch"])
    return timed_rounds(contenders, rounds)


def mlp_case(n, rounds, batch_size=64):
    """An MLP 20 → 64 → ReLU → 10 with cross entropy and SGD: the eager loop against the compiled one."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 20), dtype=np.float32)
    y = rng.integers(0, 10, n)
    states = {}
    for name in ("tinygrad_lr", "compiled"):
        tg.manual_seed(1)
        net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))
        loss_fn, opt = nn.CrossEntropyLoss(), tg.optim.SGD(net.parameters(), lr=0.05, momentum=MOMENTUM)
        loader = data.DataLoader(data.TensorDataset(tg.from_numpy(X), tg.from_numpy(y)), batch_size=batch_size,
                                 shuffle=True)
        states[name] = {"net": net, "loss_fn": loss_fn, "opt": opt, "loader": loader}

        def train_step(xb, yb, net=net, loss_fn=loss_fn, opt=opt):
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        states[name]["step"] = tg.compile(train_step)
    return timed_rounds({"tinygrad_lr": lambda: framework_epoch(states["tinygrad_lr"]),
                         "compiled": lambda: compiled_epoch(states["compiled"])}, rounds)


def dataloader_case(n, d, batch_size, rounds):
    X, y = make_data(n, d)
    rng = np.random.default_rng(2)

    def numpy_data_iter():
        """The lecture notes' hand-written iterator: a permutation and one fancy index per batch.

        A generator consumed by a for loop, like a DataLoader: the previous batch
        is still referenced while the next one is made, as in any real loop.
        (Dropping each batch before making the next lets malloc reuse one
        buffer, which is about twice as fast for 1 MiB batches but is not a loop
        anyone writes.)
        """
        perm = rng.permutation(n)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            yield X[idx], y[idx]

    tg_loader = data.DataLoader(data.TensorDataset(tg.from_numpy(X), tg.from_numpy(y)),
                                batch_size=batch_size, shuffle=True)

    def consume(loader):
        for _ in loader:
            pass
        return 1

    contenders = {"numpy": lambda: consume(numpy_data_iter()), "tinygrad_lr": lambda: consume(tg_loader)}
    if torch is not None:
        t_loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
            batch_size=batch_size, shuffle=True)
        contenders["torch"] = lambda: consume(t_loader)
    return timed_rounds(contenders, rounds)


# ---- memory: each measurement in a fresh process, so peak RSS is its own ----
def _peak_rss_bytes():
    # VmHWM, the peak RSS of this address space (ru_maxrss would also count the parent forked before exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def _current_rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_child(n, d, batch_size, growth_steps):
    """Runs in a subprocess: baseline RSS, data RSS, peak RSS over one epoch, RSS growth over many steps."""
    base = _current_rss_bytes()
    X, y = make_data(n, d)
    data_bytes = X.nbytes + y.nbytes
    with_data = _current_rss_bytes()
    state = tinygrad_state(X, y, batch_size)
    framework_epoch(state)
    peak = _peak_rss_bytes()
    # growth: many steps on one small batch; the graphs must be freed every step
    net, loss_fn, opt = state["net"], state["loss_fn"], state["opt"]
    xb, yb = tg.from_numpy(X[:batch_size]), tg.from_numpy(y[:batch_size])
    for _ in range(200):
        opt.zero_grad(); loss_fn(net(xb), yb).backward(); opt.step()  # noqa: E702
    before = _current_rss_bytes()
    for _ in range(growth_steps):
        opt.zero_grad(); loss_fn(net(xb), yb).backward(); opt.step()  # noqa: E702
    after = _current_rss_bytes()
    print(json.dumps({"base": base, "data_bytes": data_bytes, "with_data": with_data, "peak": peak,
                      "growth": after - before, "growth_steps": growth_steps}))


def memory_case(n, d, batch_size, growth_steps):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child",
                          f"{n},{d},{batch_size},{growth_steps}"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- report ----
def ratio_line(name, res, unit_scale, unit):
    parts = [f"{k} {v * unit_scale:9.1f} {unit}" for k, v in res.items()]
    line = f"{name:<11}" + " | ".join(parts)
    ratios = []
    for base in ("numpy", "numpy-noloss", "tinygrad_lr"):
        if base not in res:
            continue
        for k in ("tinygrad_lr", "compiled", "compiled-noloss"):
            if k in res and k != base:
                ratios.append(f"{k}/{base} {res[k] / res[base]:.2f}x")
    if "torch" in res:
        ratios.append(f"tinygrad_lr/torch {res['tinygrad_lr'] / res['torch']:.2f}x")
    return line + "\n" + " " * 11 + "->  " + ", ".join(ratios)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, to prove the runner works")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds per case")
    p.add_argument("--only", choices=["small", "adam", "momentum", "large", "mlp", "dataloader", "memory"],
                   action="append")
    p.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        memory_child(*map(int, args.memory_child.split(",")))
        return
    _load_torch()
    q = args.quick
    rounds = args.rounds or (3 if q else 15)
    cases = args.only or ["small", "adam", "momentum", "large", "mlp", "dataloader", "memory"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}"
          + (" [quick mode]" if q else ""))
    if "small" in cases:
        print(ratio_line("small", training_case(1000, 2, 10, rounds), 1e6, "us/step"))
    if "adam" in cases:
        print(ratio_line("adam", training_case(1000, 2, 10, rounds, "adam"), 1e6, "us/step"))
    if "momentum" in cases:
        print(ratio_line("momentum", training_case(1000, 2, 10, rounds, "momentum"), 1e6, "us/step"))
    if "large" in cases:
        n, d = (5000, 32) if q else (100_000, 256)
        print(ratio_line("large", training_case(n, d, 1024 if not q else 128, rounds), 1e6, "us/step"))
    if "mlp" in cases:
        print(ratio_line("mlp", mlp_case(500 if q else 2000, rounds), 1e6, "us/step"))
    if "dataloader" in cases:
        n, d = (5000, 32) if q else (100_000, 256)
        print(ratio_line("dataloader", dataloader_case(n, d, 1024 if not q else 128, rounds), 1e3, "ms/epoch"))
    if "memory" in cases:
        n, d, steps = (20_000, 10, 500) if q else (1_000_000, 100, 10_000)
        m = memory_case(n, d, 1024 if not q else 128, steps)
        training = m["peak"] - m["base"]
        print(f"memory     data {m['data_bytes'] / 2**20:.1f} MiB, peak RSS above start "
              f"{training / 2**20:.1f} MiB -> {training / m['data_bytes']:.2f}x the data; "
              f"RSS growth over {m['growth_steps']} steps: {m['growth'] / 2**10:.0f} KiB")


if __name__ == "__main__":
    main()
