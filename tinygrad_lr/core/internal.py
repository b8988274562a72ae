"""The core's internal API: what the layers above it (nn, optim, data, serialization, linalg, the
autograd tools) may use besides the public Tensor methods.

A Tensor keeps its values, its gradient and its version counter in private fields.  Code outside
``core/`` never touches them: it calls the public methods (``p.add_(g, alpha=-lr)`` under
``no_grad``, ``p.grad``, ``t.detach()``), or, where it must work on the NumPy arrays themselves
(a fused Function's forward, a data loader slicing a data set, a checkpoint being written), one
of the few functions below.  Each says what it skips and why that is safe.
"""
from . import capture, engine
from .tensor import Tensor


def wrap(array):
    """A new leaf tensor around ``array``: no copy, no dtype check (the array is already right).

    For results computed on arrays outside any graph: a batch, a loaded checkpoint, a solver's answer.
    """
    return Tensor._make(array)


def values(t):
    """The NumPy array behind ``t``: no copy, no graph, and no refusal when ``t`` requires grad.

    Reading is always safe.  Writing into it is an in-place change autograd cannot see: call
    ``mark_changed(t)`` after, so a graph that saved the old values refuses to use them.
    """
    return t._data if capture.recorder is None else capture.values(t)  # (tinygrad_lr.compile: capture.py)


def mark_changed(t):
    """Record that ``values(t)`` was changed in place (bump its version counter)."""
    t._vc[0] += 1


def set_values(t, array):
    """Replace ``t``'s array by another one (a dtype conversion, ``Module.to``); counts as an in-place change."""
    t._data = array
    t._vc[0] += 1


def init_leaf(t, data):
    """Make ``t`` (a new instance of a Tensor subclass) a leaf over ``data``'s memory, without copying.

    ``data`` is a Tensor (then ``t`` also shares its version counter: an in-place change to one is
    seen by the graphs that saved the other) or a NumPy array.  This is ``Parameter(data)``.
    """
    if isinstance(data, Tensor):
        array, counter = data._data, data._vc
    else:
        array, counter = data, [0]
    t._data, t._requires_grad, t.grad_fn, t._grad, t._vc = array, False, None, None, counter
    return t


def clear_grad(t, set_to_none=True):
    """``zero_grad``'s rule for one tensor, shared by ``Module.zero_grad`` and ``Optimizer.zero_grad``.

    ``set_to_none`` (the default, as in PyTorch) drops the gradient, so the next backward starts
    from a fresh one; otherwise it is zeroed in place (and taken out of any graph first).
    """
    grad = t._grad
    if grad is None:
        return
    if set_to_none:
        t._grad = None
        return
    if grad.grad_fn is not None:  # a gradient made with create_graph=True: cut it from that graph
        grad.detach_()
    grad._requires_grad = False
    array = grad._data if capture.recorder is None else capture.clear(grad, t)  # (tinygrad_lr.compile: capture.py)
    array.fill(0)
    grad._vc[0] += 1


def copy_array(t, dtype=None):
    """A copy of ``t``'s values as a new NumPy array (``dtype`` to convert), never a view."""
    return values(t).astype(dtype or t._data.dtype)  # (astype, not np.array: tinygrad_lr.compile sees it)


def creation_order(node):
    """A number that grows with every node recorded: sorted by it, a node comes after the nodes it uses.

    Only reads the counter the engine orders its pass by (``viz.to_dot`` numbers the ops with it).
    """
    return node._seq


def next_targets(node):
    """Where each input's gradient goes from ``node``: the node that made it, the leaf tensor itself, or None
    (``next_functions`` without PyTorch's pairs and ``AccumulateGrad`` wrappers: what the engine follows)."""
    return node._next


def input_shapes(node):
    """For each input of ``node``, the shape forward saw, or None for an input that gets no gradient.

    Only reads what the node recorded for the engine (``viz.to_dot`` labels the edges with it).
    """
    return tuple(None if meta is None else meta[0] for meta in node._inputs_meta)


class watch_backward:
    """``with watch_backward(hook):`` calls ``hook(node, grad_output, input_grads, summed)`` after each
    backward step the engine takes inside the block (``viz.trace_backward`` draws the pass with it).

    ``summed`` lists ``(input index, gradient shape, input shape)`` for each gradient that was
    summed back to its input's shape (the adjoint of broadcasting).
    """

    def __init__(self, hook):
        self.hook = hook

    def __enter__(self):
        engine._step_hooks.append(self.hook)
        return self

    def __exit__(self, *exc):
        if self.hook in engine._step_hooks:
            engine._step_hooks.remove(self.hook)
        return False


def backward_watched():
    """True while a ``watch_backward`` block (a hook on every backward step) is open."""
    return bool(engine._step_hooks)


def backward_inspected():
    """True while backward steps are watched or checked (a ``watch_backward`` block, anomaly mode): the
    engine then runs Python at every step that a replayed program would skip (``tinygrad_lr.compile``)."""
    return bool(engine._step_hooks) or engine.grad_mode._anomaly_enabled


def set_grad(t, array):
    """``t.grad`` = a new tensor over ``array``, without the setter's checks: ``tinygrad_lr.compile``'s
    replay, whose program computed ``array`` with t's shape and dtype, as the eager step would have."""
    t._grad = Tensor._make(array)
