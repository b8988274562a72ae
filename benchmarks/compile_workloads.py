"""Benchmark: ``tinygrad_lr.compile`` on the six workloads of issue 22, against a hand-written NumPy step.

    python benchmarks/compile_workloads.py             # 15 interleaved rounds of 40 steps (a minute or two)
    python benchmarks/compile_workloads.py --quick     # 3 rounds of 5 steps: proves the runner works (seconds)
    python benchmarks/compile_workloads.py --only mlp --only large --rounds 30

Workloads (synthetic data, drawn once; the batches are prepared outside the timed step for every
contender, and the step cycles through 8 of them):

- ``mlp``: MLP 784 → 256 → ReLU → 10, cross-entropy, Adam, B = 128;
- ``softmax``: softmax regression on 60,000 × 784 (10 classes), SGD, B = 256;
- ``logistic``: logistic regression on 10,000 × 20, ``BCEWithLogitsLoss``, SGD, B = 64;
- ``micrograd``: micrograd's 2 → 16 → tanh → 16 → tanh → 1 MLP on 100 points, MSE, SGD, full batch;
- ``small``: the notes' linear regression, 1000 × 2, MSE, SGD, B = 10;
- ``large``: linear regression, 100,000 × 256, MSE, SGD, B = 1024.

Contenders, interleaved in one process (a busy machine slows them alike), each step returning its loss:

- **numpy**: the floor, a careful hand-written step (hand-derived gradients, updates in place);
- **eager**: the idiomatic tinygrad_lr step (``zero_grad``, loss, ``backward``, ``step``);
- **compiled**: the same step under ``tinygrad_lr.compile``;
- **torch**: the same step on PyTorch, ``torch.set_num_threads(1)`` (when it is installed).

Every contender runs on one thread: NumPy's BLAS is pinned with threadpoolctl, and by
OMP/OPENBLAS/MKL_NUM_THREADS set before NumPy is imported.  Each round runs every contender for one
untimed step (the caches come back after another contender ran), then times ``--steps`` steps one by
one.  The report gives the median and the 10th percentile of the per-step times, and the ratio
compiled / numpy of the 10th percentiles against the issue's target.
"""
import os

from one_thread import pin_threads, torch_one_thread  # (first: one BLAS thread per contender, set before NumPy)

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tinygrad_lr as tg  # noqa: E402
from tinygrad_lr import nn, optim  # noqa: E402

TARGETS = {"mlp": 1.0, "softmax": 1.05, "logistic": 1.3, "micrograd": 1.2, "small": 1.3, "large": 1.05}
TITLES = {"mlp": "MLP 784-256-10, cross-entropy, Adam, B = 128",
          "softmax": "softmax regression 60,000 x 784, SGD, B = 256",
          "logistic": "logistic regression 10,000 x 20, SGD, B = 64",
          "micrograd": "micrograd's 2-16-16-1 tanh MLP, 100 points, SGD",
          "small": "the notes' linear regression 1000 x 2, B = 10",
          "large": "linear regression 100,000 x 256, B = 1024"}
N_BATCHES = 8


# ---- data: the batches, drawn once from a synthetic problem ------------------------------------
def batches(name, rng):
    """[(x, y)] float32 NumPy batches for workload ``name`` (class targets int64)."""
    if name == "mlp":
        n, d, k, b = 60_000, 784, 10, 128
    elif name == "softmax":
        n, d, k, b = 60_000, 784, 10, 256
    elif name == "logistic":
        n, d, k, b = 10_000, 20, 2, 64
    elif name == "micrograd":
        n, d, k, b = 100, 2, 0, 100
    elif name == "small":
        n, d, k, b = 1000, 2, 0, 10
    else:
        n, d, k, b = 100_000, 256, 0, 1024
    w = rng.standard_normal((d, k if k > 2 else 1)).astype(np.float32) / np.sqrt(d)
    out = []
    for _ in range(N_BATCHES if b < n else 1):
        x = rng.standard_normal((b, d)).astype(np.float32)
        z = x @ w
        if k > 2:
            y = z.argmax(axis=1).astype(np.int64)
        elif k == 2:
            y = (z > 0).astype(np.float32)
        else:
            y = (z + 0.1 * rng.standard_normal(z.shape)).astype(np.float32)
        out.append((x, y))
    return out


def init_params(name, rng):
    """The starting weights, as (out, in) matrices and biases (PyTorch's layout), float32."""
    sizes = {"mlp": [784, 256, 10], "softmax": [784, 10], "logistic": [20, 1], "micrograd": [2, 16, 16, 1],
             "small": [2, 1], "large": [256, 1]}[name]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return params


LR = {"mlp": 1e-3, "softmax": 0.1, "logistic": 0.1, "micrograd": 0.05, "small": 0.03, "large": 0.01}


# ---- the floor: hand-written NumPy steps -------------------------------------------------------
def numpy_step(name, params):
    """A careful person's NumPy step for ``name``: the gradients by hand, the updates in place."""
    lr = np.float32(LR[name])
    if name in ("small", "large"):
        W, b = params

        def step(x, y):
            r = x @ W.T
            r += b
            r -= y
            loss = np.mean(r * r)
            r *= 2 / len(x)
            np.subtract(W, lr * (r.T @ x), out=W)
            np.subtract(b, lr * r.sum(axis=0), out=b)
            return loss
        return step
    if name == "logistic":
        W, b = params

        def step(x, y):
            z = (x @ W.T)[:, 0] + b
            loss = np.mean(np.logaddexp(0, z) - y[:, 0] * z)
            g = 1 / (1 + np.exp(-z))
            g -= y[:, 0]
            g /= len(x)
            np.subtract(W, lr * (g @ x)[None, :], out=W)
            np.subtract(b, lr * g.sum(), out=b)
            return loss
        return step
    if name == "micrograd":
        W1, b1, W2, b2, W3, b3 = params

        def step(x, y):
            h1 = np.tanh(x @ W1.T + b1)
            h2 = np.tanh(h1 @ W2.T + b2)
            r = h2 @ W3.T + b3 - y
            loss = np.mean(r * r)
            r *= 2 / len(x)
            g2 = r @ W3 * (1 - h2 * h2)
            g1 = g2 @ W2 * (1 - h1 * h1)
            np.subtract(W3, lr * (r.T @ h2), out=W3)
            np.subtract(b3, lr * r.sum(axis=0), out=b3)
            np.subtract(W2, lr * (g2.T @ h1), out=W2)
            np.subtract(b2, lr * g2.sum(axis=0), out=b2)
            np.subtract(W1, lr * (g1.T @ x), out=W1)
            np.subtract(b1, lr * g1.sum(axis=0), out=b1)
            return loss
        return step

    def softmax_ce(z, y):
        """Cross-entropy of logits z and its gradient (p − onehot)/B, in place in z."""
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        s = z.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = np.mean(np.log(s[:, 0]) - np.log(z[rows, y]))
        z /= s
        z[rows, y] -= 1
        z /= len(y)
        return loss, z

    if name == "softmax":
        W, b = params

        def step(x, y):
            loss, g = softmax_ce(x @ W.T + b, y)
            np.subtract(W, lr * (g.T @ x), out=W)
            np.subtract(b, lr * g.sum(axis=0), out=b)
            return loss
        return step

    # mlp, with Adam done in place
    W1, b1, W2, b2 = params
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = [0]
    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def step(x, y):
        h = x @ W1.T + b1
        a = np.maximum(h, 0)
        loss, g = softmax_ce(a @ W2.T + b2, y)
        ga = g @ W2
        ga *= h > 0
        grads = [ga.T @ x, ga.sum(axis=0), g.T @ a, g.sum(axis=0)]
        t[0] += 1
        step_size = LR[name] / (1 - beta1 ** t[0])
        root_bc2 = np.sqrt(1 - beta2 ** t[0])
        for p, gp, mp, vp in zip(params, grads, m, v):
            mp *= beta1
            mp += (1 - beta1) * gp
            vp *= beta2
            gp *= gp
            gp *= 1 - beta2
            vp += gp
            denom = np.sqrt(vp)
            denom /= root_bc2
            denom += eps
            np.divide(mp, denom, out=denom)
            denom *= step_size
            p -= denom
        return loss
    return step


# ---- tinygrad_lr and PyTorch: the idiomatic step ------------------------------------------------
def framework_step(name, params, fw, nn_, optim_):
    """The idiomatic step for ``name`` on tinygrad_lr or PyTorch, from the same starting weights."""
    sizes = {"mlp": [784, 256, 10], "softmax": [784, 10], "logistic": [20, 1], "micrograd": [2, 16, 16, 1],
             "small": [2, 1], "large": [256, 1]}[name]
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn_.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(nn_.ReLU() if name == "mlp" else nn_.Tanh())
    net = nn_.Sequential(*layers)
    with fw.no_grad():
        for p, value in zip(net.parameters(), params):
            p.copy_(fw.tensor(value.copy()))
    loss_fn = {"mlp": nn_.CrossEntropyLoss, "softmax": nn_.CrossEntropyLoss,
               "logistic": nn_.BCEWithLogitsLoss}.get(name, nn_.MSELoss)()
    if name == "mlp":
        opt = optim_.Adam(net.parameters(), lr=LR[name])
    else:
        opt = optim_.SGD(net.parameters(), lr=LR[name])

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def contenders(name, torch, rng):
    data = batches(name, rng)
    params = init_params(name, rng)
    out = {"numpy": (numpy_step(name, [p.copy() for p in params]), data)}
    tg_data = [(tg.tensor(x), tg.tensor(y)) for x, y in data]
    out["eager"] = (framework_step(name, params, tg, nn, optim), tg_data)
    compiled = tg.compile(framework_step(name, params, tg, nn, optim))
    out["compiled"] = (compiled, tg_data)
    if torch is not None:
        torch_data = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]
        out["torch"] = (framework_step(name, params, torch, torch.nn, torch.optim), torch_data)
    return out, compiled


def run_case(name, rounds, steps, torch, seed=0):
    cont, compiled = contenders(name, torch, np.random.default_rng(seed))
    counters = {k: 0 for k in cont}

    def one(k):
        fn, data = cont[k]
        x, y = data[counters[k] % len(data)]
        counters[k] += 1
        return fn(x, y)

    for k in cont:   # the compiled step records its program in its first calls
        for _ in range(4):
            one(k)
    if compiled.reason is not None:
        print(f"  note: the compiled {name} step runs eagerly: {compiled.reason}")
    times = {k: [] for k in cont}
    order = list(cont)
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            for k in order[r % len(order):] + order[:r % len(order)]:
                one(k)
                ts = times[k]
                for _ in range(steps):
                    t0 = time.perf_counter()
                    one(k)
                    ts.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return {k: (np.median(v), np.percentile(v, 10)) for k, v in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 5 steps (seconds)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--only", action="append", choices=list(TARGETS), help="run only these workloads")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 15)
    steps = args.steps or (5 if args.quick else 40)
    threads = pin_threads()
    torch = None if args.no_torch else torch_one_thread()
    print(f"Python {platform.python_version()}, NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch else "") + f"; {threads}; {rounds} rounds × {steps} steps")
    print(f"{'workload':<12}{'contender':<10}{'median µs':>11}{'p10 µs':>9}{'/ numpy p10':>13}")
    summary = []
    for name in args.only or list(TARGETS):
        res = run_case(name, rounds, steps, torch)
        base = res["numpy"][1]
        for k, (med, p10) in res.items():
            print(f"{name:<12}{k:<10}{med * 1e6:>11.1f}{p10 * 1e6:>9.1f}{p10 / base:>12.2f}×")
        ratio = res["compiled"][1] / base
        summary.append((name, ratio, res["eager"][1] / base,
                        res["torch"][1] / base if "torch" in res else float("nan")))
    print("\ncompiled / numpy (10th percentiles) against the targets of issue 22:")
    for name, ratio, eager, torch_ratio in summary:
        met = "met" if ratio <= TARGETS[name] else "MISSED"
        print(f"  {TITLES[name]:<50} {ratio:5.2f}×  target ≤ {TARGETS[name]:.2f}×  {met}"
              f"   (eager {eager:.2f}×, torch {torch_ratio:.2f}×)")


if __name__ == "__main__":
    main()
