"""Check a hand-derived gradient: your formula against autograd and against finite differences.

You derived, say, for ℓ(w, b) = 1/(2n)·‖Xw + b − y‖²

    ∂ℓ/∂w = Xᵀ(Xw + b − y)/n        ∂ℓ/∂b = Σ(Xw + b − y)/n

``check_gradients`` evaluates three things at the same point, in float64:

1. your formula;
2. autograd's gradient (backward through the loss you wrote);
3. central finite differences (ℓ(θ + ε) − ℓ(θ − ε)) / 2ε, the definition of a derivative.

It prints a table (input, max abs error, max rel error, verdict) and, when your
formula is off by a constant factor, names the usual slip in words: 2× (the ½ of
the loss dropped), ½×, n× or 1/n× (mean versus sum over the batch), −1× (the
sign: gradient ascent), or a formula of the wrong shape.

Example::

    from tinygrad_lr.check import check_gradients

    def loss(w, b):
        return ((X @ w + b - y) ** 2).sum() / (2 * n)

    result = check_gradients(loss, {"w": w, "b": b}, {
        "w": lambda w, b: X.T @ (X @ w + b - y) / n,
        "b": lambda w, b: (X @ w + b - y).sum(axis=0) / n,
    })
    assert result       # truthy when every formula is right

``check_module(model, loss_fn, X, y, formulas)`` does the same for every named
parameter of an ``nn`` model on one batch.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import notebook
from .autograd.grad import grad
from .core import grad_mode, internal
from .core.engine import sum_to_shape
from .core.tensor import Tensor

__all__ = ["check_gradients", "check_module", "GradientCheck", "InputCheck"]


# ============================================================================
# the result
# ============================================================================
@dataclass
class InputCheck:
    """The verdict for one input (or parameter).

    ``max_abs_error`` = max |formula − autograd|; ``max_rel_error`` = that divided by
    max |autograd| (NaN for a wrong shape); ``numeric_error`` = max |autograd −
    finite differences|; ``factor`` = c when formula = c · autograd.
    """
    name: str
    shape: tuple
    formula_shape: Optional[tuple]
    max_abs_error: float
    max_rel_error: float
    numeric_error: Optional[float]
    passed: bool
    verdict: str
    message: str = ""
    factor: Optional[float] = None

    def __bool__(self):
        return self.passed


class GradientCheck:
    """What ``check_gradients`` / ``check_module`` found: one ``InputCheck`` per input.

    Truthy when every input passes; ``result['w']`` is the check of input w;
    ``str(result)`` is the printed report; in a notebook it displays as an HTML table.
    """

    def __init__(self, title, rows):
        self.title, self.rows = title, list(rows)

    @property
    def passed(self):
        return all(r.passed for r in self.rows)

    def __bool__(self):
        return self.passed

    def __getitem__(self, name):
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no input named {name!r}; the inputs are {', '.join(r.name for r in self.rows)}")

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def failures(self):
        return [r for r in self.rows if not r.passed]

    _HEAD = ("input", "shape", "max abs error", "max rel error", "verdict")

    def _body(self):
        def num(x):
            return "—" if x is None or np.isnan(x) else f"{x:.1e}"
        return [(r.name, str(r.shape), num(r.max_abs_error), num(r.max_rel_error), r.verdict) for r in self.rows]

    def _summary(self):
        return ("all gradients agree" if self.passed else
                f"{len(self.failures)} of {len(self.rows)} gradient(s) WRONG: " + ", ".join(r.name for r in self.failures))

    def _repr_html_(self):
        """The report as a table, for notebooks: a row per input, then the messages and the summary."""
        notes = [f"{r.name}: {r.message}" for r in self.rows if r.message] + [self._summary()]
        return notebook.table(self.title, self._HEAD, self._body(), notes)

    def __str__(self):
        head, body = self._HEAD, self._body()
        widths = [max(len(row[k]) for row in [head] + body) for k in range(4)]
        lines = [self.title]
        for row in [head] + body:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[4])
        for r in self.rows:
            if r.message:
                lines.append(f"{r.name}: {r.message}")
        lines.append(self._summary())
        return "\n".join(lines)

    def __repr__(self):
        verdicts = ", ".join(f"{r.name}: {r.verdict}" for r in self.rows)
        return f"GradientCheck(passed={self.passed}, {verdicts})"


# ============================================================================
# naming the mistake
# ============================================================================
def _describe_factor(c, n):
    """Words for formula = c · gradient: which slip makes that factor."""
    candidates = []
    for sign in (1, -1):
        for a in (0, 1, -1):
            for b in ((0, 1, -1) if n is not None and n > 2 else (0,)):
                candidates.append((abs(a) + abs(b) + (sign < 0), sign, a, b))
    for _, sign, a, b in sorted(candidates):
        if (sign, a, b) != (1, 0, 0) and np.isclose(c, sign * 2.0 ** a * float(n or 1) ** b, rtol=1e-6, atol=0):
            break
    else:
        k = abs(c) if abs(c) >= 1 else 1 / abs(c) if c != 0 else 0
        if k >= 3 and np.isclose(k, round(k), rtol=1e-6, atol=0):
            k = int(round(k))
            more = abs(c) > 1
            text = (f"your formula is {_num(c)} × the gradient: a factor of {k}: mean versus sum? If there are "
                    f"{k} samples, " + ("the loss averages over them (1/n) and your formula sums"
                                        if more else "your formula divides by n but the loss sums over them"))
            return text + ("; and the sign is flipped (gradient ascent?)" if c < 0 else "")
        return (f"your formula is {_num(c)} × the gradient: a constant factor that is not ½, 2, −1 or the "
                "batch size; check the constants of your derivation")
    parts = []
    if sign < 0:
        parts.append("sign: gradient ascent? Your formula points uphill (ŷ − y versus y − ŷ)")
    if a == 1:
        parts.append("did you drop the ½ of the loss? With ℓ = 1/(2n)·Σ(ŷ − y)², the ½ cancels the 2 that "
                     "differentiating the square brings down")
    if a == -1:
        parts.append("a ½ too many: the ½ of the loss already cancelled the 2 of the square's derivative "
                     "(or this loss has no ½)")
    if b == 1:
        parts.append(f"mean versus sum? The loss averages over the n = {n} samples, so its gradient carries "
                     "a 1/n that your formula lacks")
    if b == -1:
        parts.append(f"mean versus sum? Your formula divides by n = {n}, but the loss sums over the samples "
                     "(or you divided by n twice)")
    return f"your formula is {_factor_name(c, sign, a, b)} the gradient: " + "; and ".join(parts)


def _factor_name(c, sign, a, b):
    """'2 ×', '−1 ×', '½ ×', '10 × (n)', '5 × (n/2)' ..."""
    if b == 0:
        return ("−" if sign < 0 else "") + {0: "1", 1: "2", -1: "½"}[a] + " ×"
    top = {0: "", 1: "2"}.get(a, "") + ("n" if b == 1 else "")
    bottom = ("2" if a == -1 else "") + ("n" if b == -1 else "")
    sym = (top or "1") + ("/" + (bottom if len(bottom) == 1 else f"({bottom})") if bottom else "")
    return f"{_num(c)} × ({'−' if sign < 0 else ''}{sym})"


def _num(x):
    return f"{x:.6g}"


def _worst(F, A):
    k = int(np.argmax(np.abs(F - A)))
    idx = tuple(int(i) for i in np.unravel_index(k, A.shape)) if A.shape else ()
    return f"worst element {list(idx)}: formula {_num(F.reshape(-1)[k])}, autograd {_num(A.reshape(-1)[k])}"


def _compare_values(F, A, rtol, atol):
    """(agree, factor, words) for two arrays of the same shape."""
    scale = np.abs(A).max(initial=0.0)
    if np.abs(F - A).max(initial=0.0) <= atol + rtol * scale:
        return True, 1.0, ""
    if scale == 0:
        return False, None, f"the gradient is 0 here, your formula is not ({_worst(F, A)})"
    c = float(np.vdot(F, A) / np.vdot(A, A))
    if c != 0 and np.abs(F - c * A).max() <= atol + rtol * abs(c) * scale:
        return False, c, None  # a constant factor: the caller names it
    if np.abs(F).max() <= atol:
        return False, None, f"your formula returns zeros ({_worst(F, A)})"
    return False, None, f"your formula differs from the gradient by more than a constant factor; {_worst(F, A)}"


def _diagnose(F, A, n, rtol, atol):
    """(passed, verdict, message, factor) for formula values F and the autograd gradient A."""
    if F.shape == A.shape:
        ok, c, words = _compare_values(F, A, rtol, atol)
        if ok:
            return True, "ok", "", 1.0
        if words is None:
            return False, f"WRONG ({_num(c)}×)", _describe_factor(c, n), c
        return False, "WRONG", words, c
    kind = "scalar parameter (shape ())" if A.shape == () else f"{tuple(A.shape)} parameter"
    msg = f"your formula returns {tuple(F.shape)} for a {kind}"
    if F.size == A.size:
        if F.ndim == 2 and A.ndim == 2 and F.shape == A.shape[::-1] and _compare_values(F.T, A, rtol, atol)[0]:
            return False, "WRONG SHAPE", msg + ("; it is the transpose of the gradient: return its .T (e.g. "
                                                "rᵀX instead of Xᵀr)"), None
        ok, c, words = _compare_values(F.reshape(A.shape), A, rtol, atol)
        if ok:
            return False, "WRONG SHAPE", msg + f"; the values are right: return them with .reshape{tuple(A.shape)}", 1.0
        words = words if words is not None else _describe_factor(c, n)
        return False, "WRONG SHAPE", msg + "; after reshaping, " + words, c
    if A.ndim <= F.ndim and all(a in (1, f) for a, f in zip(A.shape[::-1], F.shape[::-1])):
        summed = sum_to_shape(F, A.shape)
        ok, c, words = _compare_values(summed, A, rtol, atol)
        hint = msg + ": one entry per sample? The parameter is shared by all samples, so its gradient is the " \
                     "Σ over them (e.g. .sum(axis=0))"
        if ok:
            return False, "WRONG SHAPE", hint + "; summed that way your values are right", None
        return False, "WRONG SHAPE", hint, None
    return False, "WRONG SHAPE", msg + "; the gradient of a parameter has the parameter's shape", None


# ============================================================================
# the three gradients
# ============================================================================
def _as_float64(op, name, value):
    try:
        return np.array(internal.values(value) if isinstance(value, Tensor) else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be a tensor, an array or a number, got {type(value).__name__}") from None


def _formula_value(op, name, formula, args, shape):
    if not callable(formula):
        raise TypeError(f"{op}: the formula for {name!r} must be a function returning the gradient, got "
                        f"{type(formula).__name__}")
    try:
        out = formula(*args)
    except Exception as e:
        if hasattr(e, "add_note"):
            e.add_note(f"{op}: (this was raised by your formula for {name!r})")
        raise
    if out is None:
        raise TypeError(f"{op}: the formula for {name!r} returned None; it must return the gradient, an array "
                        f"of shape {tuple(shape)}")
    if isinstance(out, Tensor):
        out = internal.values(out)
    try:
        return np.array(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: the formula for {name!r} returned a {type(out).__name__}, not an array of "
                        "numbers") from None


def _scalar_loss(op, loss):
    if not isinstance(loss, Tensor):
        raise TypeError(f"{op}: the loss function must return a tensor computed from its inputs, got "
                        f"{type(loss).__name__}")
    if loss.numel() != 1:
        raise ValueError(f"{op}: the loss must be a scalar, but it has shape {tuple(loss.shape)}; reduce it "
                         "(e.g. .mean() or .sum())")
    return loss


def _run(op, title, names, values, evaluate, formulas, formula_args, n, eps, rtol, atol, numeric, verbose,
         file, raise_exception):
    """The common part: autograd, finite differences, formulas, verdicts, report."""
    with grad_mode.enable_grad():
        loss, leaves = evaluate(values, True)
        loss = _scalar_loss(op, loss)
        if not loss.requires_grad:
            raise RuntimeError(f"{op}: the loss does not depend on the inputs (it has no grad_fn); compute it "
                               "from the tensors the function is given")
        auto = [np.zeros(v.shape) if g is None else internal.copy_array(g, np.float64)
                for g, v in zip(grad(loss, leaves, allow_unused=True), values)]
    L = float(loss.item())
    rows = []
    for k, (name, value, A) in enumerate(zip(names, values, auto)):
        num_err = None
        tol = 1e-5 * (1 + np.abs(A).max(initial=0.0)) + 1e-13 * (1 + abs(L)) / eps
        N = None
        if numeric:
            N = np.zeros(value.shape)
            flat = N.reshape(-1)
            with grad_mode.no_grad():
                for j in range(value.size):
                    moved = list(values)
                    moved[k] = values[k].copy()
                    moved[k].reshape(-1)[j] += eps
                    up = float(evaluate(moved, False)[0].item())
                    moved[k].reshape(-1)[j] -= 2 * eps
                    down = float(evaluate(moved, False)[0].item())
                    flat[j] = (up - down) / (2 * eps)
            num_err = float(np.abs(A - N).max(initial=0.0))
        auto_ok = num_err is None or num_err <= tol
        note = "" if auto_ok else (
            f"autograd and finite differences disagree here (max |autograd − numeric| = {num_err:.2g}): a kink "
            "(relu or |x| at 0), a function that is not smooth, or a custom Function with a wrong backward")
        if name not in formulas:
            rows.append(InputCheck(name, tuple(value.shape), None, float("nan"), float("nan"), num_err, auto_ok,
                                   "no formula" if auto_ok else "autograd ≠ numeric", note))
            continue
        F = _formula_value(op, name, formulas[name], formula_args, value.shape)
        passed, verdict, message, factor = _diagnose(F, A, n, rtol, atol)
        if F.shape == A.shape:
            err = float(np.abs(F - A).max(initial=0.0))
            scale = np.abs(A).max(initial=0.0)
            rel = err / scale if scale > 0 else (0.0 if err == 0 else float("inf"))
        else:
            err = rel = float("nan")
        if not passed and not auto_ok and N is not None and F.shape == N.shape and \
                np.abs(F - N).max(initial=0.0) <= tol:
            passed, verdict = True, "ok (numeric)"
            message = ("your formula agrees with finite differences, but autograd does not: the loss's backward "
                       "is wrong (a custom Function?)")
        elif note:
            message = (message + "; " if message else "") + note
        rows.append(InputCheck(name, tuple(value.shape), tuple(F.shape), err, rel, num_err, passed, verdict,
                               message, factor))
    result = GradientCheck(title + f" = {_num(L)}", rows)
    if verbose:
        import sys
        print(result, file=file if file is not None else sys.stdout)
    if raise_exception and not result.passed:
        raise ValueError(str(result))
    return result


def _names_and_values(op, inputs):
    if isinstance(inputs, dict):
        names = [str(k) for k in inputs]
        raw = list(inputs.values())
    elif isinstance(inputs, (list, tuple)):
        names = [f"x{k}" for k in range(len(inputs))]
        raw = list(inputs)
    else:
        names, raw = ["x"], [inputs]
    if not raw:
        raise ValueError(f"{op}: no inputs given; pass a dict name -> value of the inputs to differentiate")
    return names, [_as_float64(op, f"input {n!r}", v) for n, v in zip(names, raw)]


def _formula_dict(op, formulas, names):
    if formulas is None:
        return {}
    if isinstance(formulas, dict):
        out = {str(k): f for k, f in formulas.items()}
    elif isinstance(formulas, (list, tuple)):
        if len(formulas) != len(names):
            raise ValueError(f"{op}: got {len(formulas)} formulas for {len(names)} inputs; pass one per input "
                             "(None for an input without one), or a dict name -> formula")
        out = {n: f for n, f in zip(names, formulas) if f is not None}
    elif callable(formulas) and len(names) == 1:
        out = {names[0]: formulas}
    else:
        raise TypeError(f"{op}: formulas must be a dict name -> function, got {type(formulas).__name__}")
    unknown = [k for k in out if k not in names]
    if unknown:
        raise ValueError(f"{op}: there is no input named {unknown[0]!r} to check a formula against; the inputs "
                         f"are {', '.join(map(repr, names))}")
    return out


def check_gradients(func, inputs, formulas, *, batch_size=None, eps=1e-6, rtol=1e-5, atol=1e-10, numeric=True,
                    verbose=True, file=None, raise_exception=False):
    """Compare your gradient formulas with autograd and finite differences; print a table; return the verdicts.

    Args:
        func: the loss as a function of the inputs, ``func(*tensors)`` → a one-element tensor,
            written with tinygrad_lr ops (it is called with float64 tensors, in the order of ``inputs``).
        inputs: the point to check at: a dict name → value (tensor, array or number), or a
            sequence (named x0, x1, …).  Values are copied to float64.
        formulas: a dict name → your gradient formula.  Each formula is called with the input
            values as float64 NumPy arrays, in the same order as func, and returns ∂loss/∂input
            (an array, tensor or number of the input's shape).  An input without a formula is
            still checked: autograd against finite differences.
        batch_size: the number of samples n, if the loss averages over them; lets the report name
            an n× or 1/n× factor with certainty (a whole-number factor is flagged anyway).
        eps: the finite-difference step.
        rtol, atol: a formula passes when max|formula − autograd| ≤ atol + rtol·max|autograd|.
        numeric: also compute finite differences (2 loss evaluations per element).
        verbose: print the table (to ``file``, default standard output).
        raise_exception: raise ValueError with the report when a formula is wrong.

    Returns:
        a ``GradientCheck``: truthy when every input passes; ``result['w'].verdict``,
        ``.message``, ``.factor``, ``.max_abs_error`` for each input.

    Example output::

        check_gradients: loss(w, b) = 9.53
        input  shape   max abs error  max rel error  verdict
        w      (2, 1)  0.0e+00        0.0e+00        ok
        b      (1,)    3.1e+00        1.0e+00        WRONG
        b: your formula is 2 × the gradient: did you drop the ½ of the loss? ...
    """
    op = "check_gradients"
    if not callable(func):
        raise TypeError(f"{op}: func must be the loss as a function of the inputs, got {type(func).__name__}")
    names, values = _names_and_values(op, inputs)
    formulas = _formula_dict(op, formulas, names)

    def evaluate(arrays, requires_grad):
        leaves = [internal.wrap(a).requires_grad_(requires_grad) for a in arrays]
        return func(*leaves), leaves
    title = f"{op}: {getattr(func, '__name__', 'loss')}({', '.join(names)})"
    return _run(op, title, names, values, evaluate, formulas, [v.copy() for v in values], batch_size, eps, rtol,
                atol, numeric, verbose, file, raise_exception)


def check_module(model, loss_fn, X, y, formulas=None, *, eps=1e-6, rtol=1e-5, atol=1e-10, numeric=True,
                 verbose=True, file=None, raise_exception=False):
    """Check every named parameter of a model on one batch, in float64.

    Args:
        model: a module (anything callable with ``named_parameters()``), e.g. ``nn.Linear(2, 1)``.
        loss_fn: ``loss_fn(model(X), y)`` → the loss (e.g. ``nn.MSELoss()``); None means the
            lecture notes' ½·mean((ŷ − y)²).
        X, y: one batch; len(X) is the batch size n used to name an n× factor.
        formulas: a dict parameter name → ``formula(params, X, y)`` returning ∂loss/∂param, where
            ``params`` is a dict name → float64 NumPy array and X, y are float64 arrays.
            Parameters without a formula are checked autograd against finite differences.
        the rest: as for ``check_gradients``.

    The parameters are switched to float64 copies for the check and put back afterwards;
    the model's ``.grad`` fields are not touched.

    Example::

        model = nn.Linear(2, 1)
        check_module(model, nn.MSELoss(), X, y, {
            "weight": lambda p, X, y: (X @ p["weight"].T + p["bias"] - y).T @ X / len(X),
            "bias": lambda p, X, y: (X @ p["weight"].T + p["bias"] - y).sum(axis=0) / len(X)})
    """
    op = "check_module"
    if not hasattr(model, "named_parameters") or not callable(model):
        raise TypeError(f"{op}: model must be a module (callable, with named_parameters()), got "
                        f"{type(model).__name__}")
    named = list(model.named_parameters())
    if not named:
        raise ValueError(f"{op}: the model has no parameters to check")
    names = [str(k) for k, _ in named]
    params = [p for _, p in named]
    formulas = _formula_dict(op, formulas, names)
    X64, y64 = _as_float64(op, "X", X), _as_float64(op, "y", y)
    n = X64.shape[0] if X64.ndim else None
    loss_name = getattr(loss_fn, "__name__", type(loss_fn).__name__)
    if loss_fn is None:
        loss_name = "½·mean((ŷ − y)²)"

        def loss_fn(out, target):
            return ((out - target) ** 2).mean() / 2
    originals = [internal.values(p) for p in params]

    def evaluate(arrays, requires_grad):
        for p, a in zip(params, arrays):
            internal.set_values(p, a)
        return loss_fn(model(internal.wrap(X64)), internal.wrap(y64)), params
    values = [np.array(a, dtype=np.float64) for a in originals]
    title = f"{op}: {type(model).__name__} on a batch of {n}, loss {loss_name}"
    try:
        return _run(op, title, names, values, evaluate, formulas,
                    ({k: v.copy() for k, v in zip(names, values)}, X64.copy(), y64.copy()), n, eps, rtol, atol,
                    numeric, verbose, file, raise_exception)
    finally:
        for p, a in zip(params, originals):
            internal.set_values(p, a)
