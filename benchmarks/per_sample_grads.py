"""Benchmark: per-sample gradients with ``vmap(grad(loss))``, against a hand-written NumPy formula, the Python loop
over samples with autograd, and ``torch.func.vmap(torch.func.grad(...))``.

    python benchmarks/per_sample_grads.py            # n = 10,000 (linear regression), 2,000 (MLP), 8 (CNN)
    python benchmarks/per_sample_grads.py --quick    # small sizes, seconds: proves the runner works

Problems (float64, synthetic data drawn once):

- ``linreg``: the notes' linear regression, d = 10, n = 10,000 samples: ℓ⁽ⁱ⁾ = ½(x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾)², whose
  per-sample gradient is [x⁽ⁱ⁾r, r] with r = x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾ (the NumPy contender computes exactly that);
- ``mlp``: an MLP 20 → 64 → tanh → 1 with the squared error, through ``functional_call``, n = 2,000: the
  per-sample gradients of its 1,409 parameters (the NumPy contender is the hand-written backward, batched);
- ``cnn``: PyTorch's "Per-sample-gradients" tutorial, its SimpleCNN (Conv2d 1→32 3 × 3, ReLU, Conv2d 32→64,
  ReLU, max_pool2d 2, Linear 9216→128, ReLU, Linear 128→10, log_softmax, nll_loss) on 1 × 28 × 28 images,
  n = 8 (the tutorial's batch): the per-sample gradients of its 1.2 million parameters, ``vmap(grad(loss))`` through
  ``functional_call`` as the tutorial writes it (the NumPy contender: im2col, matmuls, the hand backward).

Contenders, interleaved in one process (a busy machine slows them alike):

- **numpy**: the hand formula, on all samples at once (the floor);
- **vmap**: ``vmap(grad(loss), in_dims=(None, 0, 0))`` — one batched forward and backward;
- **loop**: ``grad(loss)`` called once per sample in a Python loop (what vmap replaces; timed on the first
  500 samples and scaled to n);
- **torch.func**: ``torch.func.vmap(torch.func.grad(...))`` with ``torch.set_num_threads(1)`` (when installed).

Every contender runs on one BLAS thread (``one_thread.py``).  The report gives medians and the ratios to NumPy;
nothing asserts on time.  Every contender's gradients are checked against NumPy's before timing.
"""
import os

from one_thread import pin_threads, torch_one_thread  # (first: one BLAS thread per contender, set before NumPy)

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tinygrad_lr as tg  # noqa: E402
import tinygrad_lr.torch as facade  # noqa: E402
from tinygrad_lr.func import functional_call, grad, vmap  # noqa: E402

LOOP_SAMPLES = 500  # the Python loop is timed on this many samples, then scaled to n


# ---- the notes' linear regression ------------------------------------------------------------------------------
def linreg(n, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X, y, w, b = rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal(d), 0.5

    def numpy_grads():
        r = X @ w + b - y
        return np.concatenate([X * r[:, None], r[:, None]], axis=1)

    def loss(w_, b_, x, t):
        r = x @ w_ + b_ - t
        return 0.5 * r * r

    W, B, Xt, Yt = tg.tensor(w), tg.tensor(np.float64(b)), tg.tensor(X), tg.tensor(y)
    per_sample = vmap(grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))
    one = grad(loss, argnums=(0, 1))

    def ours():
        gw, gb = per_sample(W, B, Xt, Yt)
        return np.concatenate([gw.numpy(), gb.numpy()[:, None]], axis=1)

    def loop():
        rows = [one(W, B, Xt[i], Yt[i]) for i in range(min(n, LOOP_SAMPLES))]
        return np.stack([np.concatenate([gw.numpy(), gb.numpy()[None]]) for gw, gb in rows])

    contenders = {"numpy": numpy_grads, "vmap": ours, "loop": loop}
    torch = _torch()
    if torch is not None:
        tw, tb, tX, ty = (torch.tensor(a) for a in (w, np.float64(b), X, y))
        t_per_sample = torch.func.vmap(torch.func.grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))

        def theirs():
            gw, gb = t_per_sample(tw, tb, tX, ty)
            return np.concatenate([gw.numpy(), gb.numpy()[:, None]], axis=1)
        contenders["torch.func"] = theirs
    return contenders


# ---- an MLP through functional_call ------------------------------------------------------------------------------
def mlp(n, d=20, h=64, seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    tg.manual_seed(seed)
    model = tg.nn.Sequential(tg.nn.Linear(d, h), tg.nn.Tanh(), tg.nn.Linear(h, 1)).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    W1, b1, W2, b2 = (params[k].numpy() for k in ("0.weight", "0.bias", "2.weight", "2.bias"))

    def numpy_grads():  # the hand-written backward of ½(W₂ tanh(W₁x + b₁) + b₂ − y)², for every sample at once
        a = np.tanh(X @ W1.T + b1)
        r = a @ W2[0] + b2[0] - y                       # (n,)
        g_a = r[:, None] * W2[0] * (1 - a * a)          # (n, h)
        return {"0.weight": g_a[:, :, None] * X[:, None, :], "0.bias": g_a,
                "2.weight": (r[:, None] * a)[:, None, :], "2.bias": r[:, None]}

    def loss(p, x, t):
        r = functional_call(model, p, (x,))[0] - t
        return 0.5 * r * r

    ours, loop = _vmap_and_loop(loss, params, X, y, n)
    contenders = {"numpy": numpy_grads, "vmap": ours, "loop": loop}
    torch = _torch()
    if torch is not None:
        torch.manual_seed(seed)
        tmodel = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.Tanh(), torch.nn.Linear(h, 1)).double()
        tparams = {k: torch.tensor(v.numpy()) for k, v in params.items()}
        tX, ty = torch.tensor(X), torch.tensor(y)

        def tloss(p, x, t):
            r = torch.func.functional_call(tmodel, p, (x,))[0] - t
            return 0.5 * r * r
        t_per_sample = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))

        def theirs():
            return {k: v.numpy() for k, v in t_per_sample(tparams, tX, ty).items()}
        contenders["torch.func"] = theirs
    return contenders


# ---- the tutorial's CNN through functional_call -------------------------------------------------------------------
def simple_cnn(torch):
    """PyTorch's "Per-sample-gradients" tutorial's SimpleCNN, written once for both libraries (``torch`` is
    ``tinygrad_lr.torch`` or PyTorch), in float64."""
    nn, F = torch.nn, torch.nn.functional

    class SimpleCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
            self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = F.relu(self.fc1(torch.flatten(x, 1)))
            return F.log_softmax(self.fc2(x), dim=1)

    return SimpleCNN().double()


def _im2col(x, k=3):
    """(n, C, H, W) → the columns (n, Ho·Wo, C·k·k) of a k × k convolution without padding, and (Ho, Wo)."""
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # (n, C, Ho, Wo, k, k)
    n, C, Ho, Wo = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n, Ho * Wo, C * k * k), (Ho, Wo)


def _conv(x, w, b=None):
    """out[s, o] = b[o] + Σ w[o] ⋆ x[s] (valid, stride 1), the columns kept for the weight gradient."""
    cols, (Ho, Wo) = _im2col(x, w.shape[-1])
    out = (cols @ w.reshape(len(w), -1).T).transpose(0, 2, 1).reshape(len(x), len(w), Ho, Wo)
    return (out if b is None else out + b[:, None, None]), cols


def cnn_numpy(P, X, y):
    """The hand-written per-sample backward of the SimpleCNN's nll_loss(log_softmax(...)), every sample at once."""
    n = len(X)
    a1, c1 = _conv(X, P["conv1.weight"], P["conv1.bias"])
    r1 = np.maximum(a1, 0)
    a2, c2 = _conv(r1, P["conv2.weight"], P["conv2.bias"])
    r2 = np.maximum(a2, 0)
    blocks = r2.reshape(n, 64, 12, 2, 12, 2)
    pooled = blocks.max(axis=(3, 5))
    f = pooled.reshape(n, -1)
    h = np.maximum(f @ P["fc1.weight"].T + P["fc1.bias"], 0)
    z = h @ P["fc2.weight"].T + P["fc2.bias"]
    dz = np.exp(z - z.max(axis=1, keepdims=True))
    dz /= dz.sum(axis=1, keepdims=True)
    dz[np.arange(n), y] -= 1                                          # ∂ℓ/∂z = softmax(z) − onehot(y)
    dh = (dz @ P["fc2.weight"]) * (h > 0)
    df = dh @ P["fc1.weight"]
    winner = blocks == pooled[:, :, :, None, :, None]                 # (ties: only in all-zero windows, which
    dr2 = (winner * df.reshape(pooled.shape)[:, :, :, None, :, None])  #  ReLU's gradient zeroes anyway)
    da2 = dr2.reshape(r2.shape) * (a2 > 0)
    w2 = P["conv2.weight"]
    flipped = w2[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)              # ∂L/∂r1: da2 padded, ⋆ the flipped kernels
    da1 = _conv(np.pad(da2, ((0, 0), (0, 0), (2, 2), (2, 2))), np.ascontiguousarray(flipped))[0] * (a1 > 0)
    return {"conv1.weight": (da1.reshape(n, 32, -1) @ c1).reshape((n,) + P["conv1.weight"].shape),
            "conv1.bias": da1.sum(axis=(2, 3)),
            "conv2.weight": (da2.reshape(n, 64, -1) @ c2).reshape((n,) + w2.shape),
            "conv2.bias": da2.sum(axis=(2, 3)),
            "fc1.weight": dh[:, :, None] * f[:, None, :], "fc1.bias": dh,
            "fc2.weight": dz[:, :, None] * h[:, None, :], "fc2.bias": dz}


def cnn(n, seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, 1, 28, 28)), rng.integers(0, 10, n)
    tg.manual_seed(seed)
    model = simple_cnn(facade)
    params = {k: v.detach() for k, v in model.named_parameters()}
    P = {k: v.numpy() for k, v in params.items()}

    def loss(p, x, t):  # the tutorial's compute_loss: one sample as a batch of one
        return facade.nn.functional.nll_loss(functional_call(model, p, (x.unsqueeze(0),)), t.unsqueeze(0))

    ours, loop = _vmap_and_loop(loss, params, X, y, n)
    contenders = {"numpy": lambda: cnn_numpy(P, X, y), "vmap": ours, "loop": loop}
    torch = _torch()
    if torch is not None:
        tmodel = simple_cnn(torch)
        tparams = {k: torch.tensor(v) for k, v in P.items()}
        tX, ty = torch.tensor(X), torch.tensor(y)

        def tloss(p, x, t):
            return torch.nn.functional.nll_loss(torch.func.functional_call(tmodel, p, (x.unsqueeze(0),)),
                                                t.unsqueeze(0))
        t_per_sample = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))

        def theirs():
            return {k: v.numpy() for k, v in t_per_sample(tparams, tX, ty).items()}
        contenders["torch.func"] = theirs
    return contenders


# ---- running them ----------------------------------------------------------------------------------------------
_TORCH = []


def _torch():
    if not _TORCH:
        _TORCH.append(torch_one_thread())
    return _TORCH[0]


def _vmap_and_loop(loss, params, X, y, n):
    """Two contenders for a loss of (params dict, one sample, its target): vmap(grad) over the batch, and the
    Python loop of grad over the first LOOP_SAMPLES samples."""
    Xt, Yt = tg.tensor(X), tg.tensor(y)
    per_sample, one = vmap(grad(loss), in_dims=(None, 0, 0)), grad(loss)

    def ours():
        return {k: v.numpy() for k, v in per_sample(params, Xt, Yt).items()}

    def loop():
        rows = [one(params, Xt[i], Yt[i]) for i in range(min(n, LOOP_SAMPLES))]
        return {k: np.stack([r[k].numpy() for r in rows]) for k in params}
    return ours, loop


def _check(contenders, n):
    """Every contender's gradients equal NumPy's hand formula (the loop's on its first samples)."""
    want = contenders["numpy"]()
    for name, run in contenders.items():
        got = run()
        pairs = [(got, want)] if isinstance(want, np.ndarray) else [(got[k], want[k]) for k in want]
        for g, w in pairs:
            np.testing.assert_allclose(g, w[:len(g)], rtol=1e-9, atol=1e-12, err_msg=name)


def _time(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench(title, contenders, n, rounds):
    _check(contenders, n)
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            run()  # untimed: the caches come back after another contender ran
            t = _time(run)
            times[name].append(t * n / min(n, LOOP_SAMPLES) if name == "loop" else t)
    base = statistics.median(times["numpy"])
    print(f"\n{title}")
    print(f"  {'contender':<12}{'median':>12}{'/ numpy':>10}")
    for name, ts in times.items():
        m = statistics.median(ts)
        note = f"  (the first {LOOP_SAMPLES} samples, scaled to n)" if name == "loop" and n > LOOP_SAMPLES else ""
        print(f"  {name:<12}{m * 1e3:>10.2f} ms{m / base:>9.1f}x{note}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes, to prove the runner works")
    p.add_argument("--rounds", type=int, default=None)
    args = p.parse_args()
    how = pin_threads()
    rounds = args.rounds or (2 if args.quick else 7)
    n_lin, n_mlp, n_cnn = (500, 200, 2) if args.quick else (10_000, 2_000, 8)
    print(f"per-sample gradients, float64, one BLAS thread ({how}); medians of {rounds} rounds")
    bench(f"linreg: the notes' linear regression, d = 10, n = {n_lin:,}", linreg(n_lin), n_lin, rounds)
    bench(f"mlp: MLP 20-64-tanh-1 through functional_call, squared error, n = {n_mlp:,}", mlp(n_mlp), n_mlp, rounds)
    bench(f"cnn: the tutorial's SimpleCNN (conv 1-32, conv 32-64, max pool, 9216-128-10), 1 x 28 x 28, "
          f"nll_loss, n = {n_cnn}", cnn(n_cnn), n_cnn, rounds)


if __name__ == "__main__":
    main()
