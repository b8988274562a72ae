"""The backward engine: one loop over the graph, newest node first.

Reverse-mode autodiff in three steps:

1. Seed: the output's node receives ∂L/∂output (1 for a scalar loss).
2. Visit the nodes that have received something, always the newest first
   (a heap ordered by creation).  A node is always created after the nodes of
   its inputs, so when it is the newest of those waiting, every op that used
   its output has already sent its share of the gradient: the gradient is
   complete.  No recursion (a 10,000-op chain must not hit Python's recursion
   limit) and no separate topological sort.
3. At each node: call its backward with ∂L/∂output, check the result's shapes,
   sum a broadcast gradient back to its input's shape, and *add* each input's
   share into what that input has received so far (a value used twice gets
   the sum of both uses).  Leaves accumulate into ``.grad``.
"""
import heapq

import numpy as np

from . import grad_mode
from .function import Function
from .tensor import Tensor

# Callbacks (node, grad_output, input_grads, summed) run after each step: the trace uses them.
_step_hooks = []


def sum_to_shape(g, shape):
    """The adjoint of broadcasting: sum ``g`` over the axes broadcasting added or stretched.

    If x of shape (3, 1) was broadcast to (2, 3, 4), every x[i, 0] was used
    2·4 times, so its gradient is the sum of those 8 entries of g.  Works on
    arrays and on Tensors (``sum(axis, keepdims)`` and ``reshape``).
    """
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _expandable(shape, to_shape):
    """True when broadcasting ``shape`` can produce ``to_shape``."""
    return len(shape) <= len(to_shape) and all(
        n == 1 or n == m for n, m in zip(reversed(shape), reversed(to_shape)))


def backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Run reverse-mode autodiff from ``roots`` (Tensors) seeded with ``root_grads``.

    With ``inputs=None`` gradients accumulate into the ``.grad`` of every leaf
    that requires grad.  With a list of ``inputs`` nothing is accumulated; the
    gradient for each input is returned instead (what ``autograd.grad`` needs),
    ``None`` for an input the outputs do not depend on.
    """
    grads = {}        # node -> gradient of its output received so far
    captured = {}     # id(tensor) -> gradient, for the requested inputs
    wanted = {}       # node or id(leaf) -> tensor, for the requested inputs
    if inputs is not None:
        for t in inputs:
            wanted[t.grad_fn if t.grad_fn is not None else id(t)] = t

    def deliver(target, g):
        """Add ``g`` to what ``target`` (a node or a leaf tensor) has received."""
        if isinstance(target, Function):
            grads[target] = g if target not in grads else grads[target] + g
        elif inputs is not None:
            if id(target) in wanted:
                key = id(target)
                captured[key] = g if key not in captured else captured[key] + g
        else:
            _accumulate(target, g, create_graph)

    for root, g in zip(roots, root_grads):
        deliver(root.grad_fn or root, g)
    # with inputs, only the nodes on a path to a requested input need to run
    useful = _on_path_to(roots, wanted) if inputs is not None else None

    # Newest node first: a node is always created after the nodes of its inputs, so when it is
    # the newest of those that have received something, every op that used its output has
    # sent its share and its gradient is complete.  `ready` is a max-heap on creation order.
    ready = [(-node._seq, node) for node in grads]
    heapq.heapify(ready)
    # The backward formulas record a graph of their own only under create_graph.
    previous, grad_mode._enabled = grad_mode._enabled, create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[1]
            g = grads.pop(node)
            if useful is not None and node not in useful:
                continue
            if node in wanted:
                captured[id(wanted[node])] = g
            if node._retained is not None:
                _retain(node, g)
            # the local step of the chain rule (None where no gradient goes)
            for target, gi in zip(node._next, _call_backward(node, g)):
                if gi is not None:
                    if isinstance(target, Function) and target not in grads:
                        heapq.heappush(ready, (-target._seq, target))
                    deliver(target, gi)
            if not retain_graph:
                node._free()
    finally:
        grad_mode._enabled = previous
    if inputs is not None:
        return [captured.get(id(t)) for t in inputs]
    return None


def _on_path_to(roots, wanted):
    """The nodes from which a wanted input can be reached: oldest first, a node is on a path if
    it is wanted itself or sends a gradient to a wanted leaf or to a node on a path."""
    nodes, stack = set(), [r.grad_fn for r in roots if r.grad_fn is not None]
    while stack:  # every node reachable from the roots, without recursion
        node = stack.pop()
        if node not in nodes:
            nodes.add(node)
            stack.extend(n for n in node._next if isinstance(n, Function) and n not in nodes)
    useful = set()
    for node in sorted(nodes, key=lambda n: n._seq):
        if node in wanted or any(n in useful if isinstance(n, Function) else id(n) in wanted
                                 for n in node._next if n is not None):
            useful.add(node)
    return useful


def _call_backward(node, g):
    """Call ``node.backward`` and make its answer one gradient per input, of the input's shape and
    dtype (None for an input that gets none); then show the step to the hooks (the trace)."""
    try:
        out = node.backward(node, g)
    except Exception as e:  # anomaly mode: say which line of the forward pass made the failing op
        if grad_mode._anomaly_enabled and getattr(node, "_created_at", "") and hasattr(e, "add_note"):
            e.add_note(f"(anomaly mode) {node.name()} was created at (most recent call last):\n{node._created_at}")
        raise
    if type(out) is not tuple:
        out = (out,)
    metas = node._inputs_meta
    if len(out) != len(metas) and (len(out) < len(metas) or any(x is not None for x in out[len(metas):])):
        raise RuntimeError(
            f"{node.name()}: backward returned {len(out)} gradient(s) but forward took "
            f"{len(metas)} positional argument(s); return one per argument (None where none is needed)")
    result, summed = [], []
    for i, (gi, meta) in enumerate(zip(out, metas)):
        if meta is None or gi is None:
            result.append(None)
            continue
        if type(gi) is not np.ndarray and not isinstance(gi, Tensor):
            gi = np.asarray(gi)  # a NumPy scalar from arithmetic on 0-d arrays
        shape, dtype = meta
        if gi.shape != shape:
            if not _expandable(shape, gi.shape):
                raise RuntimeError(
                    f"{node.name()}: backward returned a gradient of shape {tuple(gi.shape)} for "
                    f"input {i}, which has shape {tuple(shape)}; the gradient must have the "
                    "input's shape (or a shape the input broadcasts to)")
            summed.append((i, tuple(gi.shape), tuple(shape)))
            gi = sum_to_shape(gi, shape)
        if gi.dtype != dtype:
            gi = gi.to(dtype) if isinstance(gi, Tensor) else gi.astype(dtype)
        if grad_mode._anomaly_enabled:
            _check_finite(node, i, gi)
        result.append(gi)
    for hook in _step_hooks:
        hook(node, g, result, summed)
    return result


def _accumulate(leaf, g, create_graph):
    """leaf.grad += g (the first gradient is copied: it may be shared with other tensors)."""
    if create_graph:
        g = g if isinstance(g, Tensor) else Tensor._make(np.asarray(g))
        leaf.grad = g if leaf._grad is None else leaf._grad + g
    elif leaf._grad is None:
        leaf._grad = Tensor._make(np.array(g._data if isinstance(g, Tensor) else g,
                                           dtype=leaf._data.dtype))
    elif leaf._grad._requires_grad:  # a grad from create_graph=True: keep it out of place
        leaf._grad = leaf._grad.detach() + g
    else:
        leaf._grad._data += g._data if isinstance(g, Tensor) else g
        leaf._grad._vc[0] += 1


def _retain(node, g):
    t = node._retained()
    if t is not None:
        _accumulate(t, g, isinstance(g, Tensor))


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
