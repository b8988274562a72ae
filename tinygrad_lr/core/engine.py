"""The backward engine: from ``loss.backward()`` to each op's backward, in one loop.

Reverse-mode autodiff in three steps (``run`` below):

1. Seed: the loss's node receives ∂L/∂L = 1.
2. Visit the nodes that have received a gradient, always the *newest* first.
   Creation order is a topological order: a node is created after the nodes
   that made its inputs.  So when a node is the newest of those waiting, every
   op that used its output has already sent its share back, and the gradient
   it holds is complete.  (A heap keyed on creation order does this without a
   separate topological sort, and without recursion: a 10,000-op chain must
   not hit Python's recursion limit.)
3. At each node, one step of the chain rule: call its backward with
   ∂L/∂output and *add* each input's share to what that input has received so
   far — a value used twice gets the sum of both uses.  Leaves keep what they
   received: ``Tensor.backward`` accumulates it into ``.grad``,
   ``autograd.grad`` returns it.

The graph is freed as it is walked (each node drops its saved arrays) unless
``retain_graph``; the backward formulas record a graph of their own only
under ``create_graph`` (for second derivatives).
"""
import heapq
import itertools

import numpy as np

from . import capture, grad_mode
from .broadcast import broadcasts_to, sum_to_shape
from .function import Function
from .tensor import Tensor

# Callbacks run after each step as hook(node, grad_output, input_grads, summed): the backward trace
# (viz.trace_backward) draws the pass with them; see internal.watch_backward.
_step_hooks = []


# ---- the entry points: Tensor.backward, autograd.backward, autograd.grad ------------------------------
def backward(op, outputs, grad_outputs=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradient of ``outputs`` into the ``.grad`` of every leaf (or of each of ``inputs``)."""
    for t, g in run(op, outputs, grad_outputs, retain_graph, create_graph, inputs).items():
        accumulate(t, g, create_graph)


def grad(op, outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """The gradient of ``outputs`` with respect to each of ``inputs`` (None where it does not depend on it)."""
    received = run(op, outputs, grad_outputs, retain_graph, create_graph, inputs)
    return [received.get(t) for t in inputs]


# ---- the loop ------------------------------------------------------------------------------------------
def run(op, outputs, grad_outputs, retain_graph, create_graph, inputs=None):
    """Backpropagate from ``outputs``; returns {leaf or wanted input: the gradient it received}."""
    if retain_graph is None:
        retain_graph = create_graph
    received = {}  # node or leaf -> ∂L/∂(its value), summed over the uses seen so far
    ready = []     # the nodes in `received`, newest first (a max-heap on creation order)
    for out, g in zip(outputs, seeds(op, outputs, grad_outputs, create_graph)):
        _send(received, ready, out.grad_fn or out, g)
    wanted = on_path = None  # every leaf wants its gradient, unless autograd.grad names the inputs
    if inputs is not None:
        wanted, on_path = _wanted(outputs, inputs)
    previous, grad_mode._enabled = grad_mode._enabled, create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[1]
            g = received.pop(node)  # complete: every op that used this node's output has sent its share
            if on_path is not None and node not in on_path:
                continue  # autograd.grad(outputs, inputs): only what leads to the inputs
            if node._hooks:  # register_hook on the tensor this node made: the hooks see g, may replace it
                g = _run_hooks(node._hooks, g)
            if on_path is not None and node in wanted:
                received[wanted[node]] = g  # an input that is not a leaf: its gradient is g
            if node._retained is not None:
                _retain(node, g)
            for target, gi in zip(node._next, step(node, g)):  # the chain rule, one node at a time
                if gi is not None:
                    _send(received, ready, target, gi)
            if not retain_graph:
                node._free()
        result = received if inputs is None else {t: received[t] for t in inputs if t in received}
        if _leaf_hooks:  # register_hook on a leaf: its hooks see its complete gradient before .grad does
            for t, g in result.items():
                if t._hooks:
                    result[t] = _run_hooks(t._hooks, g)
    finally:
        grad_mode._enabled = previous
    return result


def _send(received, ready, target, g):
    """Add ``g`` to what ``target`` (a node or a leaf) has received; a node joins the heap with its first."""
    if target in received:
        received[target] = received[target] + g
    else:
        received[target] = g
        if isinstance(target, Function):
            heapq.heappush(ready, (-target._seq, target))


# ---- one step of the chain rule ------------------------------------------------------------------------
def step(node, g):
    """∂L/∂input for each input of ``node``, from g = ∂L/∂output: its backward, made regular."""
    try:  # (while tinygrad_lr.compile records a step, capture.py calls it, as this node's step: see there)
        returned = node.backward(node, g) if capture.recorder is None else capture.backward(node, g)
    except Exception as e:
        _say_where_it_was_made(node, e)
        raise
    if not (_step_hooks or grad_mode._anomaly_enabled):
        return _fit_to_inputs(node, returned)
    summed = []  # the hooks want to see which gradients were summed back to a broadcast input
    grads = _fit_to_inputs(node, returned, summed)
    _inspect(node, g, grads, summed)
    return grads


def _say_where_it_was_made(node, e):
    """Anomaly mode: a failing backward also says where its op was created."""
    if grad_mode._anomaly_enabled and getattr(node, "_created_at", "") and hasattr(e, "add_note"):
        e.add_note(f"(anomaly mode) {node.name()} was created at (most recent call last):\n{node._created_at}")


def _fit_to_inputs(node, returned, summed=None):
    """What a backward returned, as one gradient per input of the input's shape and dtype (None for an
    input that gets none).  A broadcast shape is summed back (the adjoint of broadcasting), and noted in
    ``summed`` if given; a wrong count or shape is a bug in that backward, and the error says which."""
    grads = returned if type(returned) is tuple else (returned,)
    metas = node._inputs_meta  # (shape, dtype) of each input that wants a gradient, else None
    if len(grads) != len(metas) and (len(grads) < len(metas) or any(x is not None for x in grads[len(metas):])):
        raise RuntimeError(
            f"{node.name()}: backward returned {len(grads)} gradient(s) but forward took "
            f"{len(metas)} positional argument(s); return one per argument (None where none is needed)")
    result = []
    for i, (gi, meta) in enumerate(zip(grads, metas)):
        if meta is None or gi is None:
            result.append(None)
            continue
        if not isinstance(gi, (np.ndarray, Tensor)):
            gi = np.asarray(gi)  # a NumPy scalar from arithmetic on 0-d arrays
        shape, dtype = meta
        if gi.shape != shape:
            if not broadcasts_to(shape, gi.shape):
                raise RuntimeError(
                    f"{node.name()}: backward returned a gradient of shape {tuple(gi.shape)} for "
                    f"input {i}, which has shape {tuple(shape)}; the gradient must have the "
                    "input's shape (or a shape the input broadcasts to)")
            if summed is not None:
                summed.append((i, tuple(gi.shape), tuple(shape)))
            gi = sum_to_shape(gi, shape)
        if gi.dtype != dtype:
            gi = gi.to(dtype) if isinstance(gi, Tensor) else gi.astype(dtype)
        result.append(gi)
    return result


def _inspect(node, g, grads, summed):
    """Anomaly mode's check for NaN and inf, then the hooks: only when one of them is on."""
    if grad_mode._anomaly_enabled:
        for i, gi in enumerate(grads):
            if gi is not None:
                _check_finite(node, i, gi)
    for hook in _step_hooks:
        hook(node, g, grads, summed)


# ---- Tensor.register_hook ------------------------------------------------------------------------------
_leaf_hooks = False  # True once a leaf got a hook: until then the loop over the leaves is skipped (speed only)


def _run_hooks(hooks, g):
    """Each hook in turn gets the gradient as a Tensor and may return another one to use instead."""
    for hook in list(hooks.values()):  # (a list: a hook may remove itself)
        given = g if isinstance(g, Tensor) else Tensor._make(g if isinstance(g, np.ndarray) else np.asarray(g))
        new = hook(given)
        if new is None:
            continue
        name = getattr(hook, "__name__", hook)
        if not isinstance(new, Tensor):
            raise TypeError(f"register_hook: the hook {name!r} returned {type(new).__name__}; a hook returns None "
                            "or a Tensor (the gradient to use instead)")
        if new.shape != given.shape or new.dtype != given.dtype:
            raise RuntimeError(
                f"register_hook: the hook {name!r} returned a gradient of shape {tuple(new.shape)} and dtype "
                f"{new.dtype}, but the gradient it was given has shape {tuple(given.shape)} and dtype {given.dtype}; "
                "return one of the same shape and dtype")
        g = new if isinstance(g, Tensor) else new._data
    return g


class RemovableHandle:
    """What ``register_hook`` (and a Module's ``register_forward_hook`` ...) returns: ``handle.remove()``
    takes the hook away; ``with handle:`` does at the end of the block.  The registry puts the hook under
    ``handle.id``; ``extra_dict`` (one dict or several) holds that hook's options, removed with it."""

    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.id = next(RemovableHandle._ids)
        if extra_dict is None:
            extra_dict = ()
        self._dicts = (hooks_dict, *(extra_dict if isinstance(extra_dict, (list, tuple)) else (extra_dict,)))

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


# ---- where gradients end up ----------------------------------------------------------------------------
def accumulate(t, g, create_graph):
    """t.grad += g (the first gradient is copied: the same array may also reach other tensors)."""
    grad = t._grad if capture.recorder is None else capture.accumulate(t)  # (tinygrad_lr.compile: capture.py)
    if create_graph:
        g = g if isinstance(g, Tensor) else Tensor._make(np.asarray(g))
        t.grad = g if grad is None else grad + g
    elif grad is None:
        g = g._data if isinstance(g, Tensor) else g
        # astype, not np.array: it keeps the recorder's tracing arrays (capture.py); a NumPy scalar still
        # becomes an array
        t._grad = Tensor._make(g.astype(t._data.dtype) if isinstance(g, np.ndarray) else np.array(g, t._data.dtype))
    elif grad._requires_grad:  # a grad from create_graph=True: keep it out of place
        t._grad = grad.detach() + g
    else:
        grad._data += g._data if isinstance(g, Tensor) else g
        grad._vc[0] += 1


def _retain(node, g):
    """``retain_grad()`` on a non-leaf: it keeps a copy of what its node received."""
    t = node._retained()
    if t is not None:
        accumulate(t, g, isinstance(g, Tensor))


# ---- before the loop: the seeds, and the nodes worth visiting for autograd.grad -------------------------
def seeds(op, outputs, grad_outputs, create_graph):
    """∂L/∂output to start from, for each output: 1 for a scalar, else the ``grad_outputs`` given."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif len(grad_outputs) != len(outputs):
        raise ValueError(f"{op}: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    n = len(outputs)
    return [_seed(op, i, n, out, g, create_graph) for i, (out, g) in enumerate(zip(outputs, grad_outputs))]


def _seed(op, i, n, out, gradient, create_graph):
    if not out._requires_grad:
        what = "this tensor" if op == "backward" and n == 1 else f"output {i}"
        raise RuntimeError(
            f"{op}: {what} does not require grad and has no grad_fn, so there is nothing to differentiate "
            "(it does not depend on any tensor with requires_grad=True). Create the leaves with "
            "requires_grad=True (or call .requires_grad_()) before computing with them, outside no_grad()")
    if gradient is None:
        data = out._data
        if data.size != 1:
            raise RuntimeError(
                f"{op}: grad can be implicitly created only for scalar outputs, but the output has shape "
                f"{tuple(out.shape)}. Reduce it to a scalar first (e.g. loss.sum() or loss.mean()), or pass "
                f"gradient= (∂L/∂output) with shape {tuple(out.shape)}")
        g = _one(data.dtype).reshape(data.shape).copy()  # ∂L/∂L = 1, a fresh array (a backward may write in it)
    else:
        g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=out.dtype)
        if g.shape != out.shape:
            raise RuntimeError(f"{op}: gradient has shape {tuple(g.shape)} but the output has shape "
                               f"{tuple(out.shape)}; they must match")
        if g.dtype != out.dtype:
            g = g.astype(out.dtype)
        if create_graph and isinstance(gradient, Tensor):
            return gradient if gradient.dtype == out.dtype else gradient.to(out.dtype)
    return Tensor._make(g) if create_graph else g


_ONES = {}  # dtype -> a 0-d array holding 1: copying it is faster than making a new one (speed only)


def _one(dtype):
    if dtype not in _ONES:
        _ONES[dtype] = np.ones((), dtype)
    return _ONES[dtype]


def _wanted(outputs, inputs):
    """For ``inputs``: {its node (or the leaf itself): the input}, and the nodes from which some input can
    be reached (the others need not run)."""
    wanted = {t.grad_fn if t.grad_fn is not None else t: t for t in inputs}
    nodes, stack = set(), [out.grad_fn for out in outputs if out.grad_fn is not None]
    while stack:  # every node reachable from the outputs, without recursion
        node = stack.pop()
        if node not in nodes:
            nodes.add(node)
            stack.extend(n for n in node._next if isinstance(n, Function) and n not in nodes)
    on_path = set()
    for node in sorted(nodes, key=lambda n: n._seq):  # oldest first: what a node sends to is decided already
        if node in wanted or any(n in on_path or n in wanted for n in node._next if n is not None):
            on_path.add(node)
    return wanted, on_path


def _check_finite(node, i, g):
    """Anomaly mode: stop at the first backward step that returns NaN or inf, and say where the op was made."""
    data = g._data if isinstance(g, Tensor) else g
    if not grad_mode._anomaly_check_nan or np.all(np.isfinite(data)):
        return
    kind = "NaN" if np.isnan(data).any() else "inf"
    first = tuple(int(k) for k in np.argwhere(~np.isfinite(data))[0])
    doc = (type(node).__doc__ or "").strip()
    where = getattr(node, "_created_at", "") or (
        "  (unknown: the forward pass ran outside detect_anomaly(); run it inside too to see the line)\n")
    raise RuntimeError(
        f"{node.name()}: backward returned {kind} in the gradient of input {i} (shape {tuple(data.shape)}, "
        f"first at index {first}).\n"
        f"The op's formula: {doc.splitlines()[0] if doc else '(no docstring)'}\n"
        f"The op was created at (most recent call last):\n{where}"
        "Typical causes: log(0), x / 0 or 0 / 0, sqrt(0) (the slope 1/(2√x) is infinite), exp overflowing.")
