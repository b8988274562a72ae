"""``check_per_sample``: the notes' per-sample gradient ∇ℓ⁽ⁱ⁾, for every sample, against ``vmap(grad)``, and
their mean against the batch gradient.

Mini-batch SGD in the notes is written with one gradient per sample::

    θ ← θ − η/|B| · Σ_{i∈B} ∇ℓ⁽ⁱ⁾(θ),     for linear regression  ∇ℓ⁽ⁱ⁾ = [x⁽ⁱ⁾r, r],  r = x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾

autograd's ``loss.backward()`` only ever shows the batch gradient, the mean.  ``check_per_sample`` makes the
per-sample ones visible:

1. ``func.vmap(func.grad(loss, argnums=...), in_dims=(None, …, None, 0, 0))(*params, X, y)``: the gradient
   of the one-sample loss, for every sample at once (``torch.func``'s semantics);
2. your formula, evaluated sample by sample;
3. the mean over the samples of those gradients against the gradient of the batch loss (autograd through
   the mean of the n one-sample losses): the identity ∇(1/n Σᵢ ℓ⁽ⁱ⁾) = 1/n Σᵢ ∇ℓ⁽ⁱ⁾, in numbers.
"""
import sys
from dataclasses import dataclass

import numpy as np

from ..autograd.grad import grad
from ..core import grad_mode, internal
from .gradients import _as_float64
from .report import Report


@dataclass
class PerSampleRow:
    """One parameter: ``max_error`` = max over samples and entries of |formula − vmap(grad)|, at
    ``worst_sample``; ``mean_error`` = max |mean of the per-sample gradients − batch gradient|."""
    name: str
    shape: tuple
    max_error: float
    worst_sample: int
    mean_error: float
    passed: bool
    verdict: str

    def __bool__(self):
        return self.passed


class PerSampleCheck(Report):
    """What ``check_per_sample`` found: a ``PerSampleRow`` per parameter; truthy when every per-sample formula
    matches ``vmap(grad)`` and the means match the batch gradient.  ``per_sample[name]`` holds vmap's
    (n, *shape) gradients, ``formula[name]`` yours, ``batch[name]`` the batch gradient."""

    _HEAD = ("param", "shape", "max |∇ℓ⁽ⁱ⁾ − vmap(grad)|", "worst i", "|mean − batch grad|", "verdict")
    _noun = "parameter"

    def __init__(self, title, rows, per_sample, formula, batch):
        super().__init__(title, rows)
        self.per_sample, self.formula, self.batch = per_sample, formula, batch

    def _body(self):
        return [(r.name, str(r.shape), f"{r.max_error:.1e}", str(r.worst_sample), f"{r.mean_error:.1e}", r.verdict)
                for r in self.rows]

    def _summary(self):
        n = next(iter(self.per_sample.values())).shape[0] if self.per_sample else 0
        if self.passed:
            return (f"∇ℓ⁽ⁱ⁾ = your formula for each of the {n} samples, and their mean = the batch gradient")
        return f"{sum(not r for r in self.rows)} of {len(self.rows)} WRONG: " + ", ".join(
            r.name for r in self.rows if not r)


def _vmap_grads(loss, params, X, y):
    """vmap(grad(loss, argnums=all params), in_dims=(None, …, 0, 0)): one gradient per sample and parameter."""
    from ..func import grad as func_grad, vmap
    k = len(params)
    per_sample = vmap(func_grad(loss, argnums=tuple(range(k))), in_dims=(None,) * k + (0, 0))(*params, X, y)
    return [internal.copy_array(g, np.float64) for g in per_sample]


def _batch_grads(loss, params, X, y):
    """autograd's gradient of the batch loss, the mean of the n one-sample losses."""
    leaves = [internal.wrap(internal.copy_array(p)).requires_grad_() for p in params]
    with grad_mode.enable_grad():
        total = sum(loss(*leaves, X[i], y[i]) for i in range(X.shape[0])) / X.shape[0]
        grads = grad(total, leaves, allow_unused=True)
    return [np.zeros(p.shape) if g is None else internal.copy_array(g, np.float64) for g, p in zip(grads, params)]


def check_per_sample(loss, params, X, y, formulas, *, rtol=1e-7, atol=1e-10, verbose=True, file=None):
    """Check per-sample gradient formulas against ``vmap(grad)``, and their mean against the batch gradient.

    Args:
        loss: the loss of ONE sample, ``loss(*params, x, y)`` → a one-element tensor, with tinygrad_lr ops;
            x is one row of X, y one entry of y.
        params: a dict name → value (tensor, array or number), copied to float64.
        X, y: the batch (samples along dim 0).
        formulas: a dict name → your ∇ℓ⁽ⁱ⁾ for that parameter, ``formula(*params, x, y)`` on float64 NumPy
            arrays, for one sample (e.g. ``lambda w, b, x, y: x * (x @ w + b - y)``).
        rtol, atol: a formula passes when |formula − vmap(grad)| ≤ atol + rtol·max|vmap(grad)|.
        verbose: print the table (to ``file``, default standard output).

    Returns:
        a ``PerSampleCheck``, truthy when every formula matches for every sample and the mean of the
        per-sample gradients is the batch gradient.
    """
    op = "check_per_sample"
    if not isinstance(params, dict) or not isinstance(formulas, dict):
        raise TypeError(f"{op}: params and formulas must be dicts name -> value / function")
    missing = [k for k in params if k not in formulas]
    unknown = [k for k in formulas if k not in params]
    if missing or unknown:
        raise ValueError(f"{op}: give one formula per parameter: " + (f"missing for {missing}" if missing else
                                                                     f"no parameter named {unknown[0]!r}"))
    names = list(params)
    values = [_as_float64(op, f"param {k!r}", v) for k, v in params.items()]
    X64, y64 = _as_float64(op, "X", X), _as_float64(op, "y", y)
    if X64.ndim == 0 or y64.ndim == 0 or len(X64) != len(y64):
        raise ValueError(f"{op}: X and y must hold the same number of samples along dim 0, got shapes "
                         f"{X64.shape} and {y64.shape}")
    tensors = [internal.wrap(v.copy()) for v in values]
    Xt, yt = internal.wrap(X64.copy()), internal.wrap(y64.copy())
    per_sample = _vmap_grads(loss, tensors, Xt, yt)
    batch = _batch_grads(loss, tensors, Xt, yt)
    rows, yours = [], {}
    for name, value, G, B in zip(names, values, per_sample, batch):
        F = np.stack([np.broadcast_to(np.asarray(formulas[name](*[v.copy() for v in values], X64[i], y64[i]),
                                                 dtype=np.float64), value.shape) for i in range(len(X64))])
        yours[name] = F
        err = np.abs(F - G).reshape(len(F), -1).max(axis=1)
        mean_err = float(np.abs(G.mean(axis=0) - B).max(initial=0.0))
        scale = float(np.abs(G).max(initial=0.0))
        ok_samples = bool(err.max() <= atol + rtol * scale)
        ok_mean = mean_err <= atol + 1e-9 * (1 + scale)
        verdict = "ok" if ok_samples and ok_mean else (
            f"WRONG for {int((err > atol + rtol * scale).sum())} of {len(F)} samples" if not ok_samples
            else "mean ≠ batch gradient")
        rows.append(PerSampleRow(name, tuple(value.shape), float(err.max()), int(err.argmax()), mean_err,
                                 ok_samples and ok_mean, verdict))
    title = f"{op}: {getattr(loss, '__name__', 'loss')}({', '.join(names)}, x⁽ⁱ⁾, y⁽ⁱ⁾) for {len(X64)} samples"
    result = PerSampleCheck(title, rows, dict(zip(names, per_sample)), yours, dict(zip(names, batch)))
    if verbose:
        print(result, file=file if file is not None else sys.stdout)
    return result
