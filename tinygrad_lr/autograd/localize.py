"""Which op's backward is wrong: each node of a graph checked alone against finite differences.

``gradcheck`` compares the Jacobian of a whole function with finite differences: it says *that* a
gradient is wrong, not *where*.  A wrong gradient enters the chain rule at one node — often a custom
``Function`` with a hand-derived backward — and every gradient the backward pass computes after it
is wrong too.  ``localize(func, inputs)`` finds that node:

1. it runs ``func(*inputs)`` again, watching ``Function.apply``: for each node recorded it keeps the
   op's class, the arguments it was applied to (the tensors' arrays copied as they were at that
   moment) and the line of your code that created it;
2. it visits the nodes of the graph in the order the backward pass runs them, the output's first;
3. each node alone, in float64, with a random cotangent v in place of ∂L/∂output: backward's answer,
   the vector–Jacobian product vᵀJ, is compared with central differences of the scalar vᵀ·forward(x),
   one element j of an input at a time::

       (vᵀ forward(x + ε·eⱼ) − vᵀ forward(x − ε·eⱼ)) / 2ε  ≈  (vᵀJ)ⱼ

   (at most ``max_elements`` elements per input: a random sample of them beyond that);
4. the first node whose backward disagrees is the answer: its class, where it was created, the input,
   the worst element, and what kind of error it is (``mismatch.describe``: ×2, ×½, ×n, the sign, a
   transpose, a missing sum over a broadcast dimension).

Why the order of the backward pass: it is the order in which the engine uses the nodes, so the first
wrong node is where the gradient first goes wrong — the nodes before it (nearer the output) computed
right values, every gradient after it is contaminated.  The nodes after it are not checked, unless
``first_only=False``.

Where a forward has a kink (relu or |x| at 0, a max with ties) there is no derivative: an element whose
one-sided differences disagree is left out of the comparison rather than blamed.  A node whose forward
gives two different values for the same input (dropout, sampling) is skipped, and so is a node made
outside the function (a tensor computed before the call).

Example::

    report = localize(loss_fn, (w, b))
    print(report)          # the wrong node, its input, the kind of error, where it was created
    report.fault.op        # 'MyFunction', or None when every node agrees
"""
import contextlib
import linecache
import os
import sys
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..core import grad_mode, internal
from ..core.function import Function
from ..core.tensor import Tensor
from .mismatch import Mismatch, describe
from .grad import grad

_CORE_APPLY = Function.__dict__["apply"]       # the classmethod Function.apply, as the core defines it
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the library's own frames, skipped when naming the line that created a node (cli/ and examples are code that
# uses the library: their lines are the ones to show)
_LIBRARY = tuple(os.path.join(_PACKAGE, d) + os.sep for d in
                 ("core", "ops", "autograd", "nn", "check", "func", "torch", "optim", "data", "utils", "jit"))


# ============================================================================
# what was applied, and where
# ============================================================================
@dataclass
class _Call:
    """One ``Function.apply`` that recorded a node: enough to run that op again, alone."""
    cls: type
    args: tuple      # as given to apply (the tensors themselves, to rebind keyword arguments that hold them)
    arrays: list     # for each argument: a copy of a tensor's array (float64 if floating), or None
    needs: tuple     # for each argument: does it want a gradient
    kwargs: dict
    site: Optional[tuple]  # (file, line, function) of the user's line that applied it


def _is_library(filename, cache={}):
    hit = cache.get(filename)
    if hit is None:
        hit = cache[filename] = os.path.abspath(filename).startswith(_LIBRARY)
    return hit


def _user_site():
    """The innermost frame outside the library: the line of your code that made the op (cheap: no source read)."""
    frame = sys._getframe(2)
    while frame is not None and _is_library(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


def _site_text(site):
    if site is None:
        return "(no line of your code: made inside the library)"
    path, line, function = site
    try:
        shown = os.path.relpath(path)
        shown = path if shown.startswith("..") else shown
    except ValueError:  # another drive (Windows)
        shown = path
    source = linecache.getline(path, line).strip()
    return f"{shown}:{line} in {function}" + (f": {source}" if source else "")


def _copy(a):
    array = internal.values(a)
    return array.astype(np.float64) if array.dtype.kind == "f" else array.copy()


@contextlib.contextmanager
def _recording():
    """Inside the block, every ``Function.apply`` that records a node also notes a ``_Call`` for it."""
    calls = {}   # node -> _Call
    core = _CORE_APPLY.__func__

    def apply(cls, *args, **kwargs):
        out = core(cls, *args, **kwargs)
        node = out.grad_fn if isinstance(out, Tensor) else None
        if node is not None and type(node) is cls and node not in calls:
            calls[node] = _Call(cls, args, [_copy(a) if isinstance(a, Tensor) else None for a in args],
                                tuple(isinstance(a, Tensor) and a.requires_grad for a in args), kwargs,
                                _user_site())
        return out
    previous = Function.__dict__["apply"]
    Function.apply = classmethod(apply)
    try:
        yield calls
    finally:
        Function.apply = previous


def watchable(func):
    """``func``, or, when it is ``MyFunction.apply`` (a method bound before the watching began), a function
    that looks ``apply`` up at each call, so that ``localize`` sees the op it applies."""
    owner = getattr(func, "__self__", None)
    if isinstance(owner, type) and issubclass(owner, Function) and getattr(func, "__name__", None) == "apply":
        def apply(*args, **kwargs):
            return owner.apply(*args, **kwargs)
        return apply
    return func


# ============================================================================
# the report
# ============================================================================
@dataclass
class WrongBackward:
    """A node whose backward disagrees with finite differences of its own forward.

    ``op`` is its class name (your Function's name), ``node`` the node's name (``MyFunctionBackward``),
    ``created_at`` the line that made it, ``input`` the argument of forward whose gradient is wrong;
    ``mismatch`` says how it is wrong (``.kind``, ``.text``, ``.factor``); ``error`` is the exception's
    text when backward raised instead.
    """
    op: str
    node: str
    custom: bool
    created_at: str
    input: Optional[int] = None
    input_shape: tuple = ()
    backward_value: Optional[np.ndarray] = field(default=None, repr=False)
    numerical_value: Optional[np.ndarray] = field(default=None, repr=False)
    max_abs_error: float = float("nan")
    mismatch: Optional[Mismatch] = None
    error: Optional[str] = None
    uses: int = 1

    def __str__(self):
        who = f"your Function {self.op}" if self.custom else f"the built-in op {self.op}"
        lines = [f"{self.node} ({who}), created at {self.created_at}"]
        if self.uses > 1:
            lines[0] += f" (the last of the {self.uses} times it is applied)"
        if self.error is not None:
            lines.append(f"its backward raised: {self.error}")
            return "\n".join(lines)
        lines.append(f"its gradient for input {self.input} (shape {tuple(self.input_shape)}): "
                     f"{self.mismatch.text if self.mismatch else 'wrong'}")
        b, n = self.backward_value.reshape(-1), self.numerical_value.reshape(-1)
        k = int(np.nanargmax(np.abs(b - n)))
        idx = [int(i) for i in np.unravel_index(k, self.input_shape)] if self.input_shape else []
        lines.append(f"worst element {idx}: backward {b[k]:.6g}, finite differences of {self.op}.forward "
                     f"{n[k]:.6g} (max |difference| {self.max_abs_error:.3g})")
        return "\n".join(lines)


@dataclass
class Localization:
    """What ``localize`` found: ``fault`` (a ``WrongBackward``, or None when every node checked agrees),
    ``checked`` nodes checked of ``total`` in the graph, and the nodes ``skipped`` with the reason."""
    fault: Optional[WrongBackward]
    checked: int
    total: int
    skipped: list
    kinks: int = 0

    def __str__(self):
        how = ("each op checked alone, at the values it saw in this call, in float64, against finite differences "
               "of its own forward with a random ∂L/∂output")
        if self.fault is not None:
            lines = ["The first op, in the order of the backward pass, whose backward disagrees with finite "
                     "differences of its own forward:"]
            lines += ["    " + line for line in str(self.fault).splitlines()]
            agree = self.checked - 1
            lines.append(f"({how}; " + (f"the {agree} op(s) before it in the backward pass agree)" if agree
                                        else "it is the first op the backward pass meets)"))
        else:
            lines = [f"Every op in the graph agrees with finite differences of its own forward ({self.checked} of "
                     f"{self.total} checked: {how}). The mismatch comes from how they are put together: a point "
                     "where the function is not smooth (relu or |x| at 0, a max with ties), a value computed "
                     "outside the function, or an in-place change between forward and backward."]
        if self.skipped:
            lines.append("not checked: " + "; ".join(f"{name} ({why})" for name, why in self.skipped))
        if self.kinks:
            lines.append(f"({self.kinks} element(s) at a kink of an op's forward were left out of the comparison)")
        return "\n".join(lines)


# ============================================================================
# one node alone
# ============================================================================
def _rebind(value, originals, replacements):
    """``value`` with each of the ``originals`` tensors it holds (in tuples, lists, dicts) replaced."""
    if isinstance(value, Tensor):
        for o, r in zip(originals, replacements):
            if value is o and r is not None:
                return r
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(_rebind(v, originals, replacements) for v in value)
    if isinstance(value, dict):
        return {k: _rebind(v, originals, replacements) for k, v in value.items()}
    return value


def _forward(call, arrays):
    """The op's value on ``arrays`` (one per argument, None for a non-tensor one), with no graph, as float64."""
    raw = [call.args[k] if a is None else a for k, a in enumerate(arrays)]
    wrapped = [None if a is None else internal.wrap(a) for a in arrays]
    kwargs = _rebind(call.kwargs, call.args, wrapped)  # (a keyword argument holding the op's tensors sees these)
    with grad_mode.no_grad():
        y = call.cls.forward(call.cls(), *raw, **kwargs)
    return np.asarray(internal.values(y) if isinstance(y, Tensor) else y, dtype=np.float64)


def _backward(call, v):
    """Apply the op to fresh float64 leaves and backpropagate ``v``: the gradient for each argument (or None)."""
    leaves = [None if a is None else internal.wrap(a.copy()).requires_grad_(need and a.dtype.kind == "f")
              for a, need in zip(call.arrays, call.needs)]
    args = [call.args[k] if leaf is None else leaf for k, leaf in enumerate(leaves)]
    with grad_mode.enable_grad():
        out = _CORE_APPLY.__func__(call.cls, *args, **_rebind(call.kwargs, call.args, leaves))
        wanted = [leaf for leaf in leaves if leaf is not None and leaf.requires_grad]
        if out.grad_fn is None or not wanted:
            return None
        grads = grad(out, wanted, grad_outputs=internal.wrap(v.astype(out.dtype)), allow_unused=True)
    grads = iter(grads)
    return [None if leaf is None or not leaf.requires_grad else next(grads) for leaf in leaves]


def _numerical(call, arrays, k, v, eps, coords):
    """Central differences of vᵀ·forward with respect to argument k at the flat indices ``coords`` (NaN
    elsewhere), and a mask of the elements at a kink: one-sided differences that disagree."""
    x = arrays[k].reshape(-1)
    center = float(np.vdot(v, _forward(call, arrays)))
    N, kink = np.full(x.size, np.nan), np.zeros(x.size, dtype=bool)
    for j in coords:
        old = x[j]
        x[j] = old + eps
        up = float(np.vdot(v, _forward(call, arrays)))
        x[j] = old - eps
        down = float(np.vdot(v, _forward(call, arrays)))
        x[j] = old
        N[j] = (up - down) / (2 * eps)
        right, left = (up - center) / eps, (center - down) / eps
        kink[j] = abs(right - left) > 1e-3 * (1 + abs(right) + abs(left)) + 1e-4
    return N.reshape(arrays[k].shape), kink.reshape(arrays[k].shape)


def _check_call(call, rng, eps, atol, rtol, max_elements):
    """(WrongBackward or None, number of kinks left out, reason it was skipped or None) for one node."""
    arrays = [None if a is None else a.copy() for a in call.arrays]
    y = _forward(call, arrays)
    if not np.array_equal(y, _forward(call, arrays), equal_nan=True):
        return None, 0, "its forward is random: two runs on the same input differ"
    v = rng.standard_normal(y.shape)
    name = call.cls.__name__
    custom = not call.cls.__module__.startswith("tinygrad_lr.")
    where = _site_text(call.site)
    try:
        grads = _backward(call, v)
    except Exception as e:  # a backward that raises is the wrong one
        return WrongBackward(name, call.cls.name(), custom, where, error=f"{type(e).__name__}: {e}"), 0, None
    if grads is None:
        return None, 0, "no gradient flows through it"
    kinks = 0
    sizes = tuple(y.shape) + tuple(s for a in arrays if a is not None for s in a.shape)
    for k, g in enumerate(grads):
        if arrays[k] is None or not call.needs[k] or arrays[k].dtype.kind != "f":
            continue
        B = np.zeros(arrays[k].shape) if g is None else internal.values(g).astype(np.float64)
        size = arrays[k].size
        coords = range(size) if size <= max_elements else np.sort(rng.choice(size, max_elements, replace=False))
        N, kink = _numerical(call, arrays, k, v, eps, coords)
        checked = ~np.isnan(N) & ~kink
        kinks += int(kink.sum())
        rounding = 4e-16 * float(np.abs(v * y).sum()) / eps  # how far rounding alone moves a difference
        bad = checked & (np.abs(B - np.nan_to_num(N)) > atol + rtol * np.abs(np.nan_to_num(N)) + rounding)
        if not bad.any():
            continue
        whole = bool(checked.all())
        Bc, Nc = (B, N) if whole else (B[checked], N[checked])
        words = describe(Bc, Nc, sizes=sizes, rtol=rtol, atol=atol + rounding)
        if not whole and words.kind != "factor":  # a sample of the elements: only a constant factor is telling
            words = Mismatch("other", f"wrong at {int(bad.sum())} of the {int(checked.sum())} elements checked")
        return WrongBackward(name, call.cls.name(), custom, where, k, tuple(arrays[k].shape),
                             np.where(checked, B, np.nan), np.where(checked, N, np.nan),
                             float(np.abs(B - N)[checked].max()), words), kinks, None
    return None, kinks, None


# ============================================================================
# the graph
# ============================================================================
def _nodes(outputs):
    """The nodes of the graph behind ``outputs``, in the order the backward pass runs them (newest first)."""
    seen, stack = set(), [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(n for n in internal.next_targets(node) if isinstance(n, Function))
    return sorted(seen, key=internal.creation_order, reverse=True)


def localize(func, inputs=(), *, eps=1e-6, atol=1e-5, rtol=1e-3, max_elements=1000, first_only=True, seed=0):
    """Run ``func(*inputs)`` and check the backward of each op in its graph alone; name the first that is wrong.

    Args:
        func: the function (returning a tensor or a tuple of tensors), as given to ``gradcheck``.
        inputs: its arguments (a tensor or a tuple).
        eps, atol, rtol: the finite-difference step and the tolerances (gradcheck's defaults); an
            element passes when |backward − numerical| ≤ atol + rtol·|numerical| (+ rounding).
        max_elements: at most this many elements of each input of a node are checked (a random sample).
        first_only: stop at the first wrong node (the default); with False every node is checked and
            ``fault`` is still the first, in the order of the backward pass.
        seed: the random cotangents and samples (the same report every run).

    Returns:
        a ``Localization``: ``.fault`` is a ``WrongBackward`` (``.op``, ``.node``, ``.created_at``,
        ``.input``, ``.mismatch``) or None; ``str()`` is the report ``gradcheck`` appends to its error.
    """
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    func = watchable(func)
    with _recording() as calls, grad_mode.enable_grad():
        outputs = func(*inputs)
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    nodes = _nodes(outputs)
    rng = np.random.default_rng(seed)
    counts = {}
    for node in nodes:
        counts[type(node)] = counts.get(type(node), 0) + 1
    fault, checked, skipped, kinks = None, 0, [], 0
    for node in nodes:
        call = calls.get(node)
        if call is None:
            skipped.append((node.name(), "not made by a call of .apply inside the function: made before it, or "
                                         "through a reference op = MyFunction.apply taken before the check"))
            continue
        found, k, why = _check_call(call, rng, eps, atol, rtol, max_elements)
        kinks += k
        if why is not None:
            skipped.append((node.name(), why))
            continue
        checked += 1
        if found is not None and fault is None:
            found.uses = counts[type(node)]
            fault = found
            if first_only:
                break
    return Localization(fault, checked, len(nodes), skipped, kinks)
