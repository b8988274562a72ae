"""``check_gradients`` and ``check_module``: your formula, autograd's gradient and finite differences, at one
point, in float64 (the package docstring shows an example)."""
import sys

import numpy as np

from ..autograd.grad import grad
from ..autograd.localize import localize, watchable
from ..core import grad_mode, internal
from ..core.tensor import Tensor
from .report import GradientCheck, InputCheck
from .slips import _diagnose, _num


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


def _numeric(evaluate, values, k, eps):
    """∂loss/∂(input k) by central differences, one element at a time (2 loss evaluations each)."""
    N = np.zeros(values[k].shape)
    flat = N.reshape(-1)
    with grad_mode.no_grad():
        for j in range(values[k].size):
            moved = list(values)
            moved[k] = values[k].copy()
            moved[k].reshape(-1)[j] += eps
            up = float(evaluate(moved, False)[0].item())
            moved[k].reshape(-1)[j] -= 2 * eps
            down = float(evaluate(moved, False)[0].item())
            flat[j] = (up - down) / (2 * eps)
    return N


def _localize(evaluate, values):
    """Which op's backward is wrong (autograd.localize), or None when that cannot be found out."""
    try:
        return localize(lambda: evaluate(values, True)[0])
    except Exception:  # the report must still be printed: it says autograd is wrong, only not where
        return None


def _backward_words(localization):
    fault = localization.fault if localization is not None else None
    if fault is None:
        return ("no single op's backward disagrees with finite differences of its own forward: a kink (relu or "
                "|x| at 0) or a function that is not smooth here")
    return f"the backward of {fault.node} is wrong ({fault.created_at.split(': ')[0]}; see below)"


def _row(op, name, value, A, N, tol, formulas, formula_args, n, rtol, atol, localization):
    """The verdict for one input: its formula (if any) against autograd, and autograd against finite differences."""
    num_err = None if N is None else float(np.abs(A - N).max(initial=0.0))
    auto_ok = bool(num_err is None or num_err <= tol)
    note = "" if auto_ok else (f"autograd and finite differences disagree here (max |autograd − numeric| = "
                               f"{num_err:.2g}): {_backward_words(localization)}")
    if name not in formulas:
        return InputCheck(name, tuple(value.shape), None, float("nan"), float("nan"), num_err, auto_ok,
                          "no formula" if auto_ok else "autograd ≠ numeric", note, autograd_ok=auto_ok,
                          autograd=A, numeric=N)
    F = _formula_value(op, name, formulas[name], formula_args, value.shape)
    passed, verdict, message, factor = _diagnose(F, A, n, rtol, atol)
    if F.shape == A.shape:
        err = float(np.abs(F - A).max(initial=0.0))
        scale = np.abs(A).max(initial=0.0)
        rel = err / scale if scale > 0 else (0.0 if err == 0 else float("inf"))
    else:
        err = rel = float("nan")
    if not passed and not auto_ok and F.shape == N.shape and np.abs(F - N).max(initial=0.0) <= tol:
        passed, verdict, factor = True, "ok (numeric)", None
        message = ("your formula agrees with finite differences, but autograd does not: "
                   + _backward_words(localization))
    elif note:
        message = (message + "; " if message else "") + note
    label = getattr(formulas[name], "__name__", None)
    return InputCheck(name, tuple(value.shape), tuple(F.shape), err, rel, num_err, passed, verdict, message, factor,
                      auto_ok, F, A, N, None if label in (None, "<lambda>") else label)


def _run(op, title, names, values, evaluate, formulas, formula_args, n, eps, rtol, atol, numeric, verbose,
         file, raise_exception):
    """The common part: autograd, finite differences, the op to blame if they disagree, formulas, report."""
    with grad_mode.enable_grad():
        loss, leaves = evaluate(values, True)
        loss = _scalar_loss(op, loss)
        if not loss.requires_grad:
            raise RuntimeError(f"{op}: the loss does not depend on the inputs (it has no grad_fn); compute it "
                               "from the tensors the function is given")
        auto = [np.zeros(v.shape) if g is None else internal.copy_array(g, np.float64)
                for g, v in zip(grad(loss, leaves, allow_unused=True), values)]
    L = float(loss.item())
    numerics = [_numeric(evaluate, values, k, eps) if numeric else None for k in range(len(values))]
    tols = [1e-5 * (1 + np.abs(A).max(initial=0.0)) + 1e-13 * (1 + abs(L)) / eps for A in auto]
    localization = None
    if any(N is not None and np.abs(A - N).max(initial=0.0) > tol for A, N, tol in zip(auto, numerics, tols)):
        localization = _localize(evaluate, values)
    rows = [_row(op, name, value, A, N, tol, formulas, formula_args, n, rtol, atol, localization)
            for name, value, A, N, tol in zip(names, values, auto, numerics, tols)]
    result = GradientCheck(title + f" = {_num(L)}", rows, localization, eps if numeric else None)
    if verbose:
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
        a ``GradientCheck``: truthy when every input passes and autograd agrees with finite
        differences; ``result['w'].verdict``, ``.message``, ``.factor``, ``.max_abs_error`` for each
        input; ``result.to_latex()`` for a report.  When autograd disagrees with finite differences
        (a custom Function with a wrong backward), ``result.localization`` names the op whose backward
        is wrong, where it was created and how it is wrong (``autograd.localize``), and so does the
        report's last line.

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
    func = watchable(func)  # (MyFunction.apply itself as the loss: the localisation must see it applied)

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
