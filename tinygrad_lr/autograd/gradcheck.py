"""``gradcheck`` and ``gradgradcheck``: compare backward with the definition of a derivative.

For a function y = f(x₁, …, xₖ) the Jacobian J = ∂y/∂xᵢ is computed twice:

- **analytically**, by backward: row r of J is the vector–Jacobian product
  eᵣᵀ J, i.e. ``grad(y, xᵢ, grad_outputs=eᵣ)`` with eᵣ the r-th one-hot vector;
- **numerically**, by central differences: column c of J is
  (f(x + ε·e_c) − f(x − ε·e_c)) / 2ε, whose error is O(ε²) plus rounding.

They must agree entry by entry: |analytical − numerical| ≤ atol + rtol·|numerical|.
Names and defaults are PyTorch's (eps=1e-6, atol=1e-5, rtol=1e-3).

Use float64 inputs.  With ε = 10⁻⁶, f(x ± ε) differ from f(x) only from the
6th significant digit on; float32 keeps about 7, so a float32 numerical
derivative is mostly rounding error.

``gradgradcheck`` checks second derivatives the same way: it gradchecks the
function (x, v) ↦ vᵀ·∂f/∂x, whose backward is the backward of the backward
(it needs ``create_graph=True`` to work for every op on the way).
"""
import warnings

import numpy as np

from ..core import dtypes, grad_mode, internal
from ..ops.creation import zeros_like
from ..core.tensor import Tensor
from .grad import grad
from .localize import localize

_SHOW_FULL = 36  # print whole Jacobians up to this many entries


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when analytical and numerical derivatives disagree."""


def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _outputs(op, func, inputs):
    out = _as_tuple(func(*inputs))
    for k, o in enumerate(out):
        if not isinstance(o, Tensor):
            raise TypeError(f"{op}: the function must return a tensor or a tuple of tensors; "
                            f"output {k} is a {type(o).__name__}")
    return out


def _index(shape, flat):
    """The tuple index of element ``flat`` of an array of ``shape`` (``()`` for a 0-d one)."""
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _fmt(x):
    return f"{x:.6g}"


def _analytical(outputs, inputs, diff):
    """One Jacobian per (output, differentiable input), rows = output elements, by backward."""
    jac = {(k, i): np.zeros((o.numel(), inputs[i].numel())) for k, o in enumerate(outputs) for i in diff}
    for k, o in enumerate(outputs):
        if not o.requires_grad:
            continue  # does not depend on any input: its Jacobian is zero
        for r in range(o.numel()):
            onehot = np.zeros(o.numel(), dtype=o.dtype)
            onehot[r] = 1
            grads = grad(o, [inputs[i] for i in diff], grad_outputs=internal.wrap(onehot.reshape(o.shape)),
                         retain_graph=True, allow_unused=True)
            for i, g in zip(diff, grads):
                if g is not None:
                    jac[k, i][r] = internal.values(g).reshape(-1)
    return jac


def _numerical(func, inputs, diff, outputs, eps):
    """The same Jacobians by central differences, one input element at a time."""
    jac = {(k, i): np.zeros((o.numel(), inputs[i].numel())) for k, o in enumerate(outputs) for i in diff}
    for i in diff:
        x = inputs[i]
        for c in range(x.numel()):
            values = []
            for step in (eps, -eps):
                data = internal.values(x).copy()
                data.reshape(-1)[c] += step
                moved = list(inputs)
                moved[i] = internal.wrap(data).requires_grad_()  # a fresh leaf: func may differentiate it
                values.append([internal.values(o).astype(np.float64) for o in _outputs("gradcheck", func, moved)])
            for k, (up, down) in enumerate(zip(*values)):
                if outputs[k].dtype.kind == "f":
                    jac[k, i][:, c] = ((up - down) / (2 * eps)).reshape(-1)
    return jac


def _mismatch_text(op, k, i, a, n, out_shape, in_shape, eps, atol, rtol, labels, where=None):
    """What went wrong, in words: the worst entry with both values and the tolerance; then ``where``
    (which op's backward is wrong, for gradcheck), then the Jacobians when they are small."""
    tol = atol + rtol * np.abs(n)
    excess = np.abs(a - n) - tol
    r, c = np.unravel_index(int(np.argmax(excess)), a.shape)
    ai, ni = a[r, c], n[r, c]
    bad = int((excess > 0).sum())
    out_name, in_name = labels(k, i)
    numerical = f"numerical (central differences, eps={eps:g}):"
    lines = [
        f"{op}: Jacobian mismatch for {out_name} with respect to {in_name},",  # PyTorch's first line, after op:
        f"{out_name} has shape {tuple(out_shape)}, {in_name} has shape {tuple(in_shape)}.",
        f"Worst entry: d {out_name}{list(_index(out_shape, r))} / d {in_name}{list(_index(in_shape, c))}",
        f"    {'analytical (backward):'.ljust(len(numerical))} {_fmt(ai)}",
        f"    {numerical} {_fmt(ni)}",
        f"    |analytical − numerical| = {_fmt(abs(ai - ni))} > atol + rtol·|numerical| = "
        f"{atol:g} + {rtol:g}·{_fmt(abs(ni))} = {_fmt(tol[r, c])}",
        f"{bad} of {a.size} Jacobian entries are outside the tolerance.",
    ]
    nz = np.abs(n) > 1e-12
    if nz.any() and np.all(np.abs(a[~nz]) <= atol):
        ratio = a[nz] / n[nz]
        if np.allclose(ratio, 0, atol=1e-9):
            lines.append("analytical = 0 where numerical is not: backward's result does not depend on this input "
                         "(a value it uses was saved as a copy or detached, so it is a constant to autograd).")
        elif np.allclose(ratio, ratio[0], rtol=1e-3, atol=1e-9) and not np.isclose(ratio[0], 1, rtol=1e-3):
            lines.append(f"analytical = {_fmt(ratio[0])} × numerical everywhere: a constant factor "
                         "is wrong in the backward formula.")
    if where is not None:
        lines.append(where)
    if a.size <= _SHOW_FULL:
        lines.append("analytical (rows: output elements, columns: input elements):\n"
                     + np.array2string(a, precision=6, suppress_small=True))
        lines.append("numerical:\n" + np.array2string(n, precision=6, suppress_small=True))
    return "\n".join(lines)


def _fail(op, text, raise_exception):
    if raise_exception:
        raise GradcheckError(text)
    warnings.warn(text, stacklevel=3)
    return False


def _unsupported(op, **flags):
    for name, value in flags.items():
        if value:
            raise ValueError(f"{op}: {name}=True is not supported: tinygrad_lr has reverse mode only and no "
                             f"batched gradients; leave {name} at its default")


def _where(func, inputs, eps, atol, rtol):
    """gradcheck's second half: which op's backward is wrong (localize.py), or why that cannot be said."""
    try:
        return str(localize(func, inputs, eps=eps, atol=atol, rtol=rtol))
    except Exception as e:  # the report must not hide the mismatch it explains
        return f"(the ops could not be checked one by one: {type(e).__name__}: {e})"


def _check(op, func, inputs, eps, atol, rtol, raise_exception, nondet_tol, check_grad_dtypes, labels,
           locate=False):
    if not callable(func):
        raise TypeError(f"{op}: func must be callable, got {type(func).__name__}")
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError(f"{op}: none of the inputs requires grad, so there is nothing to check; create the "
                         "tensors to check with requires_grad=True")
    if not eps > 0:
        raise ValueError(f"{op}: eps must be > 0, got {eps!r}")
    for i in diff:
        if inputs[i].dtype != np.float64:
            warnings.warn(
                f"{op}: {labels(None, i)[1]} is {dtypes.dtype_name(inputs[i].dtype)}, not float64. Finite "
                "differences need double precision: float32 keeps about 7 significant digits, and "
                f"f(x + eps) − f(x − eps) with eps={eps:g} cancels most of them, so the numerical derivative "
                "is mostly rounding error and the check will likely fail. Create the inputs with "
                "dtype=tinygrad_lr.float64 (or call .double() on them).", UserWarning, stacklevel=3)
    with grad_mode.enable_grad():
        outputs = _outputs(op, func, inputs)
        analytical = _analytical(outputs, inputs, diff)
        again = _analytical(_outputs(op, func, inputs), inputs, diff)
        numerical = _numerical(func, inputs, diff, outputs, eps)
    if check_grad_dtypes:
        for k, o in enumerate(outputs):
            if o.requires_grad:
                for i, g in zip(diff, grad(o.sum(), [inputs[i] for i in diff], retain_graph=True,
                                           allow_unused=True)):
                    if g is not None and g.dtype != inputs[i].dtype:
                        return _fail(op, f"{op}: the gradient for {labels(k, i)[1]} has dtype {g.dtype}, but the "
                                         f"input is {inputs[i].dtype}; a gradient must have its input's dtype",
                                     raise_exception)
    for (k, i), a in analytical.items():
        if np.abs(a - again[k, i]).max(initial=0) > nondet_tol:
            return _fail(op, f"{op}: backward is not reentrant: two backward passes for {labels(k, i)[0]} "
                             f"with respect to {labels(k, i)[1]} gave different gradients (largest difference "
                             f"{_fmt(np.abs(a - again[k, i]).max())} > nondet_tol={nondet_tol:g}). Does a "
                             "backward change what forward saved?", raise_exception)
    for (k, i), a in analytical.items():
        n = numerical[k, i]
        if not np.all(np.abs(a - n) <= atol + rtol * np.abs(n)):
            where = _where(func, inputs, eps, atol, rtol) if locate else None
            text = _mismatch_text(op, k, i, a, n, outputs[k].shape, inputs[i].shape, eps, atol, rtol, labels, where)
            return _fail(op, text, raise_exception)
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    For every output y and every input x with ``requires_grad=True`` it compares
    the Jacobian ∂y/∂x from backward with (f(x + ε) − f(x − ε)) / 2ε, element by
    element: |analytical − numerical| ≤ atol + rtol·|numerical|.

    Args:
        func: a function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of arguments (tensors that require grad are checked;
            anything else is passed through unchanged). Use float64 (see below).
        eps: the finite-difference step ε.
        atol, rtol: absolute and relative tolerance.
        raise_exception: raise ``GradcheckError`` (a RuntimeError) on a mismatch; with False,
            warn with the same text and return False.
        nondet_tol: how much two backward passes may differ (backward must be deterministic).
        check_grad_dtypes: also require each gradient to have its input's dtype.
        check_undefined_grad, check_backward_ad, fast_mode: accepted for PyTorch compatibility;
            the full (slow) check always runs.
        check_batched_grad, check_batched_forward_grad, check_forward_ad, masked: must stay
            False (reverse mode only).

    Returns:
        True when every entry agrees.

    A float32 input gets a warning: finite differences with ε = 10⁻⁶ need the ~16
    digits of float64.  The error text names the output, the input, the element,
    both values and the tolerance, e.g.::

        gradcheck: Jacobian mismatch for output 0 with respect to input 1,
        output 0 has shape (), input 1 has shape (2, 1).
        Worst entry: d output 0[] / d input 1[1, 0]
            analytical (backward):                      -4.13
            numerical (central differences, eps=1e-06): -2.065
            ...
        The first op, in the order of the backward pass, whose backward disagrees with finite differences
        of its own forward:
            HalfSquaredErrorBackward (your Function HalfSquaredError), created at loss.py:12 in f: ...
            its gradient for input 0 (shape (5, 1)): ×2: twice the right value: a ½ dropped ...

    The first line is PyTorch's.  Then, when the check fails, every op of the function's graph is
    checked alone against finite differences of its own forward, in the order of the backward pass,
    and the first whose backward disagrees is named (``autograd.localize``): its class, the line that
    created it, its input, and the kind of error (×2, ×½, ×n, the sign, a transpose, a missing sum
    over a broadcast dimension).

    Example::

        x = tinygrad_lr.randn(3, dtype=tinygrad_lr.float64, requires_grad=True)
        assert gradcheck(MyFunction.apply, (x,))
    """
    _unsupported("gradcheck", check_batched_grad=check_batched_grad,
                 check_batched_forward_grad=check_batched_forward_grad, check_forward_ad=check_forward_ad,
                 masked=masked)
    if not check_backward_ad:
        return True  # nothing left to check (PyTorch: only forward AD would have been checked)

    def labels(k, i):
        return f"output {k}", f"input {i}"
    return _check("gradcheck", func, inputs, eps, atol, rtol, raise_exception, nondet_tol,
                  check_grad_dtypes, labels, locate=True)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Check second derivatives: gradcheck of the backward pass of ``func``.

    With v = ``grad_outputs`` (random, requiring grad, when not given), the
    function (x, v) ↦ vᵀ·∂f/∂x is computed with ``grad(..., create_graph=True)``
    and gradchecked with respect to both x and v.  Its Jacobian holds the second
    derivatives ∂²(vᵀf)/∂x² (and ∂f/∂x again, with respect to v).

    Args are those of ``gradcheck``, plus ``grad_outputs``: one tensor per output of
    func that requires grad. ``gen_non_contig_grad_outputs``, ``check_undefined_grad``,
    ``check_rev_over_rev`` and ``fast_mode`` are accepted for PyTorch compatibility;
    ``check_fwd_over_rev``, ``check_batched_grad`` and ``masked`` must stay False.

    Returns:
        True when every entry agrees; on a mismatch raises ``GradcheckError`` (or warns
        and returns False with ``raise_exception=False``).
    """
    op = "gradgradcheck"
    _unsupported(op, check_fwd_over_rev=check_fwd_over_rev, check_batched_grad=check_batched_grad, masked=masked)
    if not check_rev_over_rev:
        return True
    inputs = _as_tuple(inputs)
    n_in = len(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError(f"{op}: none of the inputs requires grad, so there is nothing to check; create the "
                         "tensors to check with requires_grad=True")
    with grad_mode.enable_grad():
        outputs = [o for o in _outputs(op, func, inputs) if o.requires_grad]
    if not outputs:
        raise ValueError(f"{op}: no output of the function requires grad (none depends on an input with "
                         "requires_grad=True), so it has no derivatives to check")
    if grad_outputs is None:
        rng = np.random.default_rng(0)  # fixed: the same check every run
        grad_outputs = tuple(internal.wrap(rng.standard_normal(o.shape).astype(o.dtype)).requires_grad_()
                             for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"{op}: got {len(grad_outputs)} grad_outputs for {len(outputs)} output(s) that "
                             "require grad; pass one per output")
        for k, (v, o) in enumerate(zip(grad_outputs, outputs)):
            if not isinstance(v, Tensor) or v.shape != o.shape:
                raise ValueError(f"{op}: grad_outputs[{k}] must be a tensor of the output's shape "
                                 f"{tuple(o.shape)}, got {getattr(v, 'shape', type(v).__name__)}")

    def first_derivatives(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(op, func, xs) if o.requires_grad]
        grads = grad(outs, [xs[i] for i in diff], grad_outputs=list(vs), create_graph=True, allow_unused=True)
        # an input the outputs do not use has a zero gradient (kept, so output k is input diff[k]'s gradient)
        return tuple(zeros_like(xs[i]) if g is None else g
                     for i, g in zip(diff, grads))

    def labels(k, i):
        out = f"the gradient for input {diff[k]}" if k is not None else ""
        return out, (f"input {i}" if i < n_in else f"grad_outputs[{i - n_in}]")
    return _check(op, first_derivatives, inputs + tuple(grad_outputs), eps, atol, rtol, raise_exception,
                  nondet_tol, check_grad_dtypes, labels)
