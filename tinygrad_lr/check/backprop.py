"""``check_backprop``: a backward pass derived by hand, checked intermediate by intermediate, in one call.

The exercise: run the forward pass of a small network one step at a time, keeping every intermediate
(logits, h, hpreact, ...); derive ∂loss/∂(each) by hand, from the loss back to the weights; compare each
with autograd's.  ``check_backprop`` does the comparing::

    result = check_backprop(loss, {"logits": logits, "h": h, "W2": W2, "b2": b2},
                            {"logits": dlogits, "h": dh, "W2": dW2, "b2": db2})

autograd's gradient of ``loss`` with respect to each intermediate is computed with
``autograd.grad(loss, intermediates, retain_graph=True)`` (no ``retain_grad()`` needed, and the graph is
kept for your own ``loss.backward()`` after).  For each name it prints:

- exact: your gradient equals autograd's bit for bit;
- close: within ``rtol``/``atol`` (float rounding: the same math in another order);
- max diff: the largest |yours − autograd's|;
- and for a mismatch, what it looks like (``autograd.mismatch``): ×2, ×½, ×n, −1, transposed, a missing
  sum over the dimension a tensor was broadcast along (``(32, 27)`` where ``(1, 27)`` is expected, and
  the sum over dim 0 matches), a term missing along a dimension.

A name without a hand gradient is listed as 'not given', never as a pass.
"""
import sys
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..autograd.grad import grad
from ..autograd.mismatch import allclose, describe
from ..core import grad_mode, internal
from ..core.tensor import Tensor
from .report import Report


@dataclass
class BackpropRow:
    """One intermediate: ``verdict`` is 'exact', 'close', 'WRONG', 'WRONG SHAPE' or 'not given';
    ``message`` says how a wrong gradient differs; ``hand`` and ``autograd`` are the two gradients."""
    name: str
    shape: tuple
    verdict: str
    exact: Optional[bool] = None
    close: Optional[bool] = None
    max_diff: float = float("nan")
    message: str = ""
    hand: Optional[np.ndarray] = field(default=None, repr=False)
    autograd: Optional[np.ndarray] = field(default=None, repr=False)

    @property
    def passed(self):
        return self.verdict in ("exact", "close")

    def __bool__(self):
        return self.passed


class BackpropCheck(Report):
    """What ``check_backprop`` found: a ``BackpropRow`` per intermediate, in the order given.

    Truthy when every intermediate has a hand gradient and every one is exact or close;
    ``result['dh']`` is one row; ``str(result)`` / ``print(result)`` is the table; in a notebook it
    displays as an HTML table.
    """

    _HEAD = ("name", "shape", "exact", "close", "max diff", "verdict")
    _noun = "intermediate"

    def _body(self):
        def yes(x):
            return "—" if x is None else ("yes" if x else "no")
        return [(r.name, str(r.shape), yes(r.exact), yes(r.close),
                 "—" if np.isnan(r.max_diff) else f"{r.max_diff:.1e}", r.verdict) for r in self.rows]

    def _summary(self):
        right = [r for r in self.rows if r.passed]
        missing = [r.name for r in self.rows if r.verdict == "not given"]
        wrong = [r.name for r in self.rows if not r.passed and r.verdict != "not given"]
        if not wrong and not missing:
            exact = sum(bool(r.exact) for r in right)
            return f"all {len(self.rows)} gradients right ({exact} exact, {len(right) - exact} close)"
        parts = []
        if wrong:
            parts.append(f"{len(wrong)} of {len(self.rows)} WRONG: {', '.join(wrong)}")
        if missing:
            parts.append(f"{len(missing)} not given: {', '.join(missing)}")
        return "; ".join(parts)

    def _notes(self):
        return [f"{r.name}: {r.message}" for r in self.rows if r.message]


def _hand_value(name, value):
    if isinstance(value, Tensor):
        return internal.copy_array(value)
    try:
        return np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(f"check_backprop: the hand gradient for {name!r} must be a tensor or an array, got "
                        f"{type(value).__name__}") from None


def _autograd(loss, names, tensors):
    """∂loss/∂(each intermediate), as arrays (zeros for one the loss does not depend on)."""
    unique = list({id(t): t for t in tensors}.values())
    try:
        with grad_mode.enable_grad():
            grads = grad(loss, unique, retain_graph=True, allow_unused=True)
    except RuntimeError as e:
        if hasattr(e, "add_note"):
            e.add_note("check_backprop: call it before loss.backward(), or call loss.backward(retain_graph=True)")
        raise
    by_id = {id(t): g for t, g in zip(unique, grads)}
    return [np.zeros(t.shape, dtype=t.dtype) if by_id[id(t)] is None else internal.copy_array(by_id[id(t)])
            for t in tensors]


def _row(name, tensor, H, A, sizes, rtol, atol):
    if H is None:
        return BackpropRow(name, tuple(tensor.shape), "not given", autograd=A,
                           message="no hand gradient given: not checked")
    H64, A64 = H.astype(np.float64), A.astype(np.float64)
    if H.shape != A.shape:
        words = describe(H64, A64, name=name, sizes=sizes, rtol=rtol, atol=atol)
        return BackpropRow(name, tuple(tensor.shape), "WRONG SHAPE", False, False, float("nan"), words.text, H, A)
    exact = bool(np.array_equal(H, A))
    close = exact or allclose(H64, A64, rtol, atol)
    diff = float(np.abs(H64 - A64).max(initial=0.0))
    if close:
        return BackpropRow(name, tuple(tensor.shape), "exact" if exact else "close", exact, close, diff, "", H, A)
    words = describe(H64, A64, name=name, sizes=sizes, rtol=rtol, atol=atol)
    return BackpropRow(name, tuple(tensor.shape), "WRONG", False, False, diff, words.text, H, A)


def check_backprop(loss, intermediates, hand_grads, *, rtol=1e-5, atol=1e-8, verbose=True, file=None):
    """Compare hand-derived gradients with autograd's, intermediate by intermediate; print a table.

    Args:
        loss: the scalar loss tensor, with its graph (before any ``loss.backward()``, or after one
            with ``retain_graph=True``).
        intermediates: a dict name → tensor of the forward pass (activations, logits, parameters)
            that the loss was computed from.
        hand_grads: a dict name → your ∂loss/∂(that tensor), as a tensor or a NumPy array; a name of
            ``intermediates`` missing here is listed as 'not given' (and the result is falsy).
        rtol, atol: 'close' means |yours − autograd's| ≤ atol + rtol·|autograd's| everywhere (the
            rule of ``torch.allclose``, with its defaults).
        verbose: print the table (to ``file``, default standard output).

    Returns:
        a ``BackpropCheck``: truthy when every gradient is given and exact or close; ``result['dh']``
        has ``.verdict``, ``.exact``, ``.close``, ``.max_diff`` and ``.message`` for each name.

    Example output::

        check_backprop: loss = 3.30, 4 intermediates
        name    shape     exact  close  max diff  verdict
        logits  (32, 27)  no     yes    4.7e-09   close
        h       (32, 64)  yes    yes    0.0e+00   exact
        b2      (27,)     —      —      —         WRONG SHAPE
        b2: missing sum over dim 0 (the broadcast of b2): shape (32, 27) where (27,) is expected, ...
    """
    op = "check_backprop"
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise TypeError(f"{op}: loss must be the scalar loss tensor, got "
                        + (f"a tensor of shape {tuple(loss.shape)}" if isinstance(loss, Tensor) else
                           type(loss).__name__))
    if not isinstance(intermediates, dict) or not isinstance(hand_grads, dict):
        raise TypeError(f"{op}: intermediates and hand_grads must be dicts name -> tensor / gradient")
    unknown = [k for k in hand_grads if k not in intermediates]
    if unknown:
        raise ValueError(f"{op}: there is no intermediate named {unknown[0]!r} to compare the hand gradient "
                         f"with; the intermediates are {', '.join(map(repr, intermediates))}")
    for name, t in intermediates.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: intermediate {name!r} must be a tensor of the forward pass, got "
                            f"{type(t).__name__}")
        if not t.requires_grad:
            raise ValueError(f"{op}: intermediate {name!r} does not require grad, so the loss has no gradient "
                             "with respect to it: compute it from parameters with requires_grad=True, outside "
                             "no_grad()")
    if not loss.requires_grad:
        raise ValueError(f"{op}: the loss does not require grad: compute it from the intermediates, outside no_grad()")
    names, tensors = list(intermediates), list(intermediates.values())
    auto = _autograd(loss, names, tensors)
    sizes = tuple(d for t in tensors for d in t.shape)
    rows = [_row(name, t, None if hand_grads.get(name) is None else _hand_value(name, hand_grads[name]), A, sizes,
                 rtol, atol) for name, t, A in zip(names, tensors, auto)]
    result = BackpropCheck(f"{op}: loss = {float(internal.values(loss).reshape(-1)[0]):.6g}, "
                           f"{len(rows)} intermediates", rows)
    if verbose:
        print(result, file=file if file is not None else sys.stdout)
    return result
