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
import weakref

import numpy as np

from . import batching, capture, grad_mode, views

_sequence = itertools.count()  # creation order of nodes: the engine's topological order
_FREED = object()
_OUTPUT = object()  # in a saved entry: "this is the op's own output"


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

    is_view = False        # True for the ops whose result is a view of their input's memory (reshape, x[1:3], ...)
    needs_input_grad = ()  # set on the node when recorded: one bool per forward argument
    _to_save = ()          # what forward passed to save_for_backward, until apply resolves it
    _saved = ()            # ... resolved: see _resolve_saved
    _retained = None       # a weak reference to the output, when retain_grad() was called on it
    _hooks = None          # the output's register_hook functions, {handle id: hook}
    batch_rule = None      # how vmap runs the op on a batch at once: rule(cls, args, kwargs) (see batching.py)

    # ---- what a subclass writes ---------------------------------------------------
    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the op's value from NumPy arrays; a subclass must define it."""
        raise NotImplementedError(
            f"{type(ctx).__name__}: a Function subclass must define a static method forward(ctx, *args), which "
            "computes the result from the NumPy arrays of its arguments (ctx.save_for_backward(...) keeps "
            "what backward needs); see help(tinygrad_lr.autograd.Function) for an example")

    @staticmethod
    def backward(ctx, grad_output):
        """Return ∂L/∂arg for each argument of forward, given ∂L/∂output; a subclass must define it."""
        raise NotImplementedError(
            f"{type(ctx).__name__}: a Function subclass must define a static method backward(ctx, grad_output), "
            "which returns the gradient for each positional argument of forward (None where none is "
            "needed); see help(tinygrad_lr.autograd.Function) for an example")

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
        for value, source, counter, version in self._saved:
            if counter is not None and counter[0] != version:
                what = "the output" if source is _OUTPUT else "an input"
                raise RuntimeError(
                    f"{self.name()}: {what} saved for backward was modified by an in-place operation "
                    f"(it is at version {counter[0]}; expected version {version}). The gradient "
                    "would be wrong. Use an out-of-place operation (x = x + 1 rather than x += 1), "
                    "or .clone() the tensor before changing it.")
        if not grad_mode._enabled:  # the engine enables recording only for create_graph
            return tuple([entry[0] for entry in self._saved])
        return tuple([_as_tensor(self, value, source) for value, source, _, _ in self._saved])

    # ---- the graph ------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on the arguments' arrays and, if any input requires grad, record a node."""
        if batching.on and batching.takes(args, kwargs):  # inside vmap, a batched argument: the op's batch rule
            return batching.apply(cls, args, kwargs)
        ctx = cls()
        raw, needs = [], []  # forward's arguments (a Tensor's array in its place), and who wants a gradient
        for a in args:
            if isinstance(a, Tensor):
                if a._view is not None and a._view[0].grad_fn is not a._view[2]:
                    views.refresh(a)  # a view whose base was changed in place since: see views.py
                raw.append(a._data)
                needs.append(a._requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        forward = cls.forward if capture.recorder is None else capture.apply(cls, args, raw)  # (compile: capture.py)
        if len(raw) > 1 and len(set(map(id, raw))) < len(raw):
            _unalias(raw)
        needs = tuple(needs)
        record = True in needs and grad_mode._enabled
        if record:
            ctx.needs_input_grad = needs
        result = data = forward(ctx, *raw, **kwargs)
        if not isinstance(data, np.ndarray):
            data = np.asarray(data)  # a NumPy scalar (e.g. a full sum) becomes a 0-d array
        if not record or data.dtype.kind != "f":  # only floating results carry gradients
            out = Tensor._make(data)
            if data.base is not None:
                views.share_memory(out, args, cls, kwargs)
            return out
        out = Tensor._make(data, True, ctx)
        if data.base is not None:
            views.share_memory(out, args, cls, kwargs)
        ctx._seq = next(_sequence)
        # for each input that wants a gradient: where it goes next (the node that made the input,
        # or the leaf itself) and the shape and dtype it must have; None for the others
        nxt, meta = [], []
        for a, r, need in zip(args, raw, needs):
            if need:
                nxt.append(a.grad_fn or a)
                meta.append((r.shape, r.dtype))
            else:
                nxt.append(None)
                meta.append(None)
        ctx._next, ctx._inputs_meta = tuple(nxt), tuple(meta)
        if ctx._to_save:
            ctx._saved = _resolve_saved(ctx._to_save, args, raw, result, out)
            del ctx._to_save
        if grad_mode._anomaly_enabled:
            ctx._created_at = grad_mode._creation_trace()
        return out

    @classmethod
    def compute(cls, *args, **kwargs):
        """The op's value on whatever it is given: on Tensors, ``apply`` (recording a graph); on NumPy arrays,
        ``forward`` alone (no graph, no node).

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
        """Where each input's gradient goes, as PyTorch's ``((node, 0), ...)`` pairs.

        The node is the one that made the input, an ``AccumulateGrad`` for a leaf (its ``.variable`` is
        the leaf tensor), or None for an input that needs no gradient.  The engine itself follows
        ``_next``: the same targets, with the leaf tensor in place of its ``AccumulateGrad``.
        """
        return tuple((AccumulateGrad.of(n) if isinstance(n, Tensor) else n, 0) for n in self._next)

    def __repr__(self):
        return f"<{self.name()}>"


class AccumulateGrad:
    """The end of a path in the graph: a leaf tensor, where backward adds the gradient into ``.grad``
    (what PyTorch's ``next_functions`` shows for a leaf; ``variable`` is the leaf)."""

    next_functions = ()

    def __init__(self, variable):
        self._variable = weakref.ref(variable)  # weak: the leaf holds this node (no reference cycle)

    @property
    def variable(self):
        return self._variable()

    @staticmethod
    def of(leaf):
        node = leaf.__dict__.get("_accumulate_grad")
        if node is None:
            node = leaf.__dict__["_accumulate_grad"] = AccumulateGrad(leaf)
        return node

    @staticmethod
    def name():
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def _unalias(raw):
    """x and x.detach() share one array: give each later occurrence a view of its own, so that what
    forward saves is attributable to the right input (see _resolve_saved)."""
    seen = set()
    for i, r in enumerate(raw):
        if isinstance(r, np.ndarray):
            if id(r) in seen:
                raw[i] = r.view()
            seen.add(id(r))


def _resolve_saved(to_save, args, raw, result, out):
    """What forward saved, told apart by identity, as entries (value, source, version counter, version).

    - an input tensor's array: source is the tensor; its version now is remembered, so that an
      in-place change before backward is caught;
    - the op's output: source is _OUTPUT (the node cannot hold its output tensor: that is a cycle);
    - anything else (an intermediate array, a number): a constant, source None, never stale.
    """
    entries = []
    for s in to_save:
        if s is result or s is out._data:
            entries.append((out._data, _OUTPUT, out._vc, out._vc[0]))
            continue
        for a, r in zip(args, raw):
            if s is r and isinstance(a, Tensor):
                entries.append((r, a, a._vc, a._vc[0]))
                break
        else:
            entries.append((s, None, None, 0))
    return tuple(entries)


def _as_tensor(node, value, source):
    """A saved entry as backward sees it under create_graph=True: a Tensor in the graph."""
    if source is _OUTPUT:
        return Tensor._make(value, True, node)  # the output, as a function of the inputs through this node
    if source is not None:
        return source
    return Tensor._make(value) if isinstance(value, np.ndarray) else value


batching.Function = Function  # vmap's loop fallback applies a Function sample by sample (batching.py)

# The Tensor class, set by tensor.py when it defines it.  Function.apply makes Tensors, but this file cannot
# import tensor.py: tensor.py imports the primitives, which are Functions (an import cycle through every
# primitive).  So the class is handed over instead of imported.
Tensor = None
