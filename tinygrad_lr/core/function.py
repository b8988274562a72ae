"""``Function``: one differentiable operation, its forward and its backward side by side.

Every built-in op (``Add``, ``Matmul``, ``Sum`` ...) is a ``Function`` subclass,
written exactly as a user writes a custom one::

    class Square(Function):
        '''y = x²        ∂L/∂x = g · 2x'''
        @staticmethod
        def forward(ctx, x):               # NumPy arrays in, a NumPy array out
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):    # one gradient per forward argument
            x, = ctx.saved_tensors
            return grad_output * 2 * x

    y = Square.apply(t)

An instance of the class is both the ``ctx`` that forward and backward share
and the node of the graph (``y.grad_fn``).  The node knows, for each forward
argument, where its gradient goes next (``next_functions``): the node that
made that input, the leaf tensor itself, or nowhere.

Backward is written once, in array syntax (``g * x``, ``g @ w.T``,
``g.sum(axis, keepdims=True)``).  Normally it runs on NumPy arrays; under
``backward(create_graph=True)`` the engine hands it Tensors instead, so the
same lines record a graph and the gradient can be differentiated again.
"""
import itertools

import numpy as np

from . import grad_mode

_sequence = itertools.count()  # creation order of nodes: the engine's topological order
_FREED = object()


class _Saved:
    """An input tensor saved for backward, with the version it had when saved."""
    __slots__ = ("tensor", "counter", "version")

    def __init__(self, tensor):
        self.tensor, self.counter, self.version = tensor, tensor._vc, tensor._vc[0]


class _SavedOutput:
    """The op's own output, saved as its array (a node holding its output tensor would be a cycle)."""
    __slots__ = ("data", "counter", "version")

    def __init__(self, data, counter):
        self.data, self.counter, self.version = data, counter, counter[0]


class Function:
    """Base class of differentiable operations; see the module docstring for a full example.

    Subclasses define two static methods:

    - ``forward(ctx, *args, **kwargs)``: computes the result from NumPy arrays
      (the ``Tensor`` arguments arrive as their arrays; other arguments as
      given).  Keyword arguments configure the op and get no gradient.
    - ``backward(ctx, grad_output)``: given ∂L/∂output, returns ∂L/∂arg for
      each positional argument of forward (a tuple, or one value for a
      one-argument op; ``None`` where no gradient is needed — see
      ``ctx.needs_input_grad``).  A gradient of a broadcast shape is summed back
      to the input's shape by the engine.

    Call ``MyFunction.apply(*args, **kwargs)``, never forward directly.
    """

    _retained = None  # a weak reference to the output, when retain_grad() was called on it

    def __init__(self):
        self.needs_input_grad = ()
        self._to_save = ()
        self._saved = ()

    # ---- used inside forward / backward ---------------------------------------
    def save_for_backward(self, *arrays):
        """Keep these arrays (inputs, the output, or others) for backward."""
        self._to_save = arrays

    @property
    def saved_tensors(self):
        """What forward saved: arrays, or Tensors when the engine builds a graph (create_graph=True).

        Raises if the graph was already freed by a backward pass, or if a saved
        tensor was changed in place after it was saved.
        """
        if self._saved is _FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time: its saved "
                "values were freed by the first backward. Pass retain_graph=True to the first "
                "backward() (or autograd.grad) if you need to go through the graph twice.")
        as_tensors = grad_mode._enabled  # the engine enables recording only for create_graph
        out = []
        for s in self._saved:
            if isinstance(s, _Saved):
                self._check_version(s, "an input")
                out.append(s.tensor if as_tensors else s.tensor._data)
            elif isinstance(s, _SavedOutput):
                self._check_version(s, "the output")
                # The output, seen as a function of the inputs through this very node.
                out.append(Tensor._make(s.data, True, self) if as_tensors else s.data)
            else:
                out.append(Tensor._make(s) if as_tensors and isinstance(s, np.ndarray) else s)
        return tuple(out)

    def _check_version(self, saved, what):
        if saved.counter[0] != saved.version:
            raise RuntimeError(
                f"{self.name()}: {what} saved for backward was modified by an in-place operation "
                f"(it is at version {saved.counter[0]}; expected version {saved.version}). The "
                "gradient would be wrong. Use an out-of-place operation (x = x + 1 rather than "
                "x += 1), or .clone() the tensor before changing it.")

    # ---- the graph ------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on the arguments' arrays and, if any input requires grad, record a node."""
        ctx = cls()
        raw, needs, record = [], [], False
        for a in args:  # one pass: the arrays for forward, and which inputs want a gradient
            if isinstance(a, Tensor):
                data = a._data
                if any(data is r for r in raw):  # x and x.detach() share one array: a view of it keeps
                    data = data.view()          # what forward saves attributable to the right input
                raw.append(data)
                needs.append(a._requires_grad)
                record = record or a._requires_grad
            else:
                raw.append(a)
                needs.append(False)
        record = record and grad_mode._enabled
        if record:
            ctx.needs_input_grad = tuple(needs)
        result = data = cls.forward(ctx, *raw, **kwargs)
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # a NumPy scalar (e.g. a full sum) becomes a 0-d array
        if not record or data.dtype.kind != "f":  # only floating results carry gradients
            out = Tensor._make(data)
            if data.base is not None:
                _share_version(out, args)
            return out
        out = Tensor._make(data, True, ctx)
        if data.base is not None:
            _share_version(out, args)
        ctx._seq = next(_sequence)
        # where each input's gradient goes next: the node that made it, the leaf itself, or nowhere
        ctx._next = tuple([(a.grad_fn or a) if need else None for a, need in zip(args, needs)])
        ctx._inputs_meta = tuple([(r.shape, r.dtype) if need else None for r, need in zip(raw, needs)])
        if ctx._to_save:
            ctx._saved = tuple([_resolve_saved(s, args, raw, result, data, out) for s in ctx._to_save])
            ctx._to_save = ()
        if grad_mode._anomaly_enabled:
            ctx._created_at = grad_mode._creation_trace()
        return out

    @classmethod
    def call(cls, *args, **kwargs):
        """Apply to Tensors (recording a graph), or compute straight on arrays (no graph).

        Backward formulas use this for the few ops that have no array-syntax
        spelling (broadcast a gradient, scatter it into zeros), so they too run
        on arrays normally and on Tensors under ``create_graph=True``.
        """
        if any(isinstance(a, Tensor) for a in args):
            return cls.apply(*args, **kwargs)
        return cls.forward(cls(), *args, **kwargs)

    def _free(self):
        """Drop the saved arrays after a backward pass that does not retain the graph."""
        if self._saved:
            self._saved = _FREED

    @classmethod
    def name(cls):
        return cls.__name__ + "Backward"

    @property
    def next_functions(self):
        """Where each input's gradient goes: the node that made it, the leaf tensor, or None."""
        return self._next

    def __repr__(self):
        return f"<{self.name()}>"


def _share_version(out, args):
    """A result that is a view (reshape, transpose, x[1:3]) of an input's memory shares that input's
    version counter, so that changing one in place is seen by the nodes that saved the other."""
    for a in args:
        if isinstance(a, Tensor) and np.may_share_memory(out._data, a._data):
            out._vc = a._vc
            return


def _resolve_saved(s, args, raw, result, data, out):
    """What forward saved, told apart by identity: an input tensor's array, the output, or another array."""
    if s is result or s is data:
        return _SavedOutput(data, out._vc)
    for i, r in enumerate(raw):
        if s is r:
            return _Saved(args[i]) if isinstance(args[i], Tensor) else s
    return s  # an intermediate array: a constant as far as the graph is concerned


from .tensor import Tensor  # noqa: E402  (Tensor's methods use Function: import after it exists)
