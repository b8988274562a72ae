"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor holds its values in ``_data`` (a NumPy array).  A tensor made by an
op on tensors that require grad also holds ``grad_fn``, the graph node of
that op (see ``function.py``); a tensor made by the user is a *leaf*
(``grad_fn is None``) and collects its gradient in ``.grad``.

This file is the teaching Tensor: values, ``grad``, ``requires_grad``,
``backward`` (the engine, ``engine.py``), and the operators the lecture notes
write (``+ − × ÷ ** @``, ``sum``, ``mean``: ``operators.py``, each applying a
primitive of ``primitives/``).  With it alone, ŷ = Xw + b and
ℓ = 1/(2n)·Σ(ŷ − y)² train.  The rest of PyTorch's surface (``exp``, ``max``,
``x[i]``, ``reshape``, ``add_`` ...) is attached from ``tinygrad_lr/ops``,
which builds on this file and which this file never imports.
"""
import warnings
import weakref

import numpy as np

from . import batching, capture, copying, dtypes, function, primitives, printing, views
from .arrays import Size, device, to_array


def array_from(data, dtype, op):
    """A new array holding ``data``: a Tensor's values (copied), or numbers, lists, arrays (``arrays.py``)."""
    if isinstance(data, Tensor):
        return to_array(data._data, dtype, op)
    if isinstance(data, (list, tuple)):  # a list of tensors: their values
        data = [x._data if isinstance(x, Tensor) else x for x in data]
    return to_array(data, dtype, op)


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    Create tensors with ``tinygrad_lr.tensor(data)``, ``zeros``, ``randn`` and
    friends.  ``Tensor(data)`` works too and is the same as ``tensor(data)``.
    """

    __slots__ = ("_data", "_requires_grad", "grad_fn", "_grad", "_vc", "__weakref__", "__dict__")
    __array_ufunc__ = None  # ndarray <op> Tensor calls Tensor's reflected operator, not NumPy's loop
    _view = None         # for a view of another tensor's memory (x[1:3], x.T): how to make it again (views.py)
    _has_views = False   # True once a view (or a detach()) of this tensor's memory was made
    _hooks = None        # a leaf's register_hook functions, {handle id: hook} (an op's output: on its node)
    _levels = ()         # inside vmap, a batched tensor's: the vmap of each batch dim in front (batching.py)

    def __init__(self, data, dtype=None, requires_grad=False):
        self._data = array_from(data, dtype, "Tensor")
        self._requires_grad = False
        self.grad_fn = None
        self._grad = None
        self._vc = [0]  # version counter, shared by tensors that share memory through detach()
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data, requires_grad=False, grad_fn=None):
        """Wrap an array without checks or copies (the ops' fast path)."""
        t = object.__new__(Tensor)
        t._data, t._requires_grad, t.grad_fn, t._grad, t._vc = data, requires_grad, grad_fn, None, [0]
        return t

    # ---- what it is -----------------------------------------------------------
    shape = property(lambda self: Size(self._data.shape), doc="The size of each dimension, a tuple (a torch.Size).")
    dtype = property(lambda self: self._data.dtype, doc="The element type (a NumPy dtype).")
    ndim = property(lambda self: self._data.ndim, doc="The number of dimensions.")
    device = property(lambda self: _CPU, doc="Always device('cpu') (equal to 'cpu'): tinygrad_lr computes with NumPy.")
    is_leaf = property(lambda self: self.grad_fn is None,
                       doc="True for tensors made by the user (not by an op on tensors requiring grad).")
    _version = property(lambda self: self._vc[0], doc="How many times it was changed in place.")
    _base = property(lambda self: None if self._view is None else self._view[0],
                     doc="For a view (x[1:3], x.T, x.reshape(...)): the tensor whose memory it shows; else None.")

    def size(self, dim=None):
        """The shape, or the size of one dimension."""
        return self.shape if dim is None else self.shape[operators.normalize_dim("size", dim, self.ndim)]

    def dim(self):
        """The number of dimensions (``ndim``)."""
        return self.ndim

    def numel(self):
        """The number of elements."""
        return self._data.size

    def nelement(self):
        """The number of elements (``numel``)."""
        return self._data.size

    def ndimension(self):
        """The number of dimensions (``ndim``)."""
        return self.ndim

    def element_size(self):
        """The size of one element in bytes (4 for float32)."""
        return self._data.itemsize

    def is_contiguous(self, memory_format=None):
        """True: NumPy handles the memory layout, so every tensor acts as a contiguous one (see ``contiguous``)."""
        return True

    def data_ptr(self):
        """The address of the first element in memory (tensors that share memory share it)."""
        return self._data.__array_interface__["data"][0]

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no first dimension (use .item() for its value)")
        return self.shape[0]

    # ---- gradients ------------------------------------------------------------
    @property
    def requires_grad(self):
        """True if ops on this tensor are recorded so that gradients can flow back to it."""
        views.fresh(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Start (or stop) recording operations on this leaf tensor; returns self."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                f"requires_grad_: this tensor was computed by {self.grad_fn.name()}, so it is part "
                "of the graph and cannot stop requiring grad; use .detach() to get a copy without history")
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require gradients, this one is "
                f"{dtypes.dtype_name(self.dtype)}; create it with floats (e.g. 1.0 rather than 1) "
                f"or convert it with .float()")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (None until then).

        Only leaves get one, and the tensors that called ``retain_grad()``: reading it on another tensor
        computed by an op warns, as in PyTorch (it stays None).
        """
        grad = self._grad
        if grad is None and self.grad_fn is not None and self.grad_fn._retained is None:
            warnings.warn(_NOT_A_LEAF, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise ValueError(f"grad: assigned grad has shape {tuple(value.shape)}, "
                                 f"but the tensor has shape {tuple(self.shape)}")
        self._grad = value

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor too after backward."""
        views.fresh(self)
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)
        elif not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")

    @property
    def retains_grad(self):
        """True for a tensor computed by an op whose ``.grad`` is kept (``retain_grad()`` was called)."""
        return self.grad_fn is not None and self.grad_fn._retained is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` in every backward pass with this tensor's gradient; it may return a replacement.

        On a leaf the hook runs before the gradient is added into ``.grad``; on a tensor computed by an op,
        once its gradient is complete, before its ``grad_fn`` passes it on.  Hooks run in the order they
        were registered, each given what the one before returned.  Returns a handle:
        ``handle.remove()`` takes the hook away.

        Example: ``w.register_hook(lambda g: g.clamp(-1, 1))`` clips w's gradient.
        """
        views.fresh(self)
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require gradient; "
                               "create it with requires_grad=True (or call .requires_grad_() on it) first")
        owner = self if self.grad_fn is None else self.grad_fn  # an op's output: the node gets the gradient
        if owner._hooks is None:
            owner._hooks = {}
            if owner is self:
                engine._leaf_hooks = True  # the engine looks for leaves' hooks from now on
        handle = engine.RemovableHandle(owner._hooks)
        owner._hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph's leaves.

        Gradients *accumulate* into each leaf's ``.grad``: call ``zero_grad``
        (or set ``.grad = None``) between steps.

        Args:
            gradient: ∂L/∂self for a non-scalar tensor (same shape); omit for a scalar.
            retain_graph: keep the saved values so backward can run through the graph again
                (default: ``create_graph``).
            create_graph: record the backward pass itself, so the gradients can be
                differentiated again (second derivatives, Hessians).
            inputs: accumulate only into these leaves.
        """
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        views.fresh(self)
        engine.backward("backward", [self], None if gradient is None else [gradient],
                        retain_graph, create_graph, inputs)

    def detach(self):
        """The same values (shared memory) without history: a new leaf."""
        t = Tensor._make(self._data)
        t._vc = self._vc  # shares memory, so an in-place change to one is seen by both
        self._has_views = True  # ... and a recorded change to self must be written into that memory
        return t

    def detach_(self):
        """Take this tensor out of the graph in place: it becomes a leaf that does not require grad."""
        self.grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self):
        """The values as a tensor without history (shared memory).

        Changing it in place changes this tensor without autograd noticing:
        the PyTorch idiom ``w.data.normal_(0, 0.01)`` for initialisation.
        """
        t = Tensor._make(self._data)
        self._has_views = True  # a recorded change to self must be written into the memory t shows
        return t

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # ---- conversion -----------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a tensor with {self._data.size} elements (shape {tuple(self.shape)}) cannot be "
                "converted to a Python number; select one element first (e.g. t[0].item()) or use .tolist()")
        return self._data.item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._data.tolist()

    def numpy(self):
        """The values as a NumPy array (shared memory, not a copy)."""
        if self._requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        return self._data if capture.recorder is None else capture.hand_out(self)  # (compile stops: capture.py)

    def __array__(self, dtype=None, copy=None):
        """The values for NumPy: ``np.asarray(t)`` shares memory, ``np.array(t)`` copies; matplotlib plots them."""
        values = self.numpy()  # refused, as numpy() is, when the tensor requires grad
        array = values if dtype is None else values.astype(dtype, copy=False)
        return array.copy() if copy and array is values else array

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError(f"only integer tensors with one element can be used as an index, "
                            f"got {dtypes.dtype_name(self.dtype)} of shape {tuple(self.shape)}")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self._data.size} elements is ambiguous; "
                "use (t == u).all() or .any()")
        return bool(self._data.item())

    def __format__(self, spec):
        if self._data.size == 1 and self.ndim == 0 or (spec and self._data.size == 1):
            return format(self._data.item(), spec)
        if spec:
            raise TypeError(f"format: a tensor with {self._data.size} elements cannot take the format "
                            f"'{spec}'; format one element, e.g. f'{{t[0].item():{spec}}}'")
        return repr(self)

    def __repr__(self):
        return printing.tensor_repr(self)

    __str__ = __repr__

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    __hash__ = object.__hash__  # == compares element-wise, so hash by identity

    # copy.copy / copy.deepcopy follow PyTorch; pickle is refused (see copying.py for both)
    def __copy__(self): return copying.shallow_copy(self)
    def __deepcopy__(self, memo): return copying.deep_copy(self, memo)
    def __getstate__(self): return copying.refuse_pickle(self)

    # ---- the operators of the notes: + − × ÷ ** @ (operators.py: operands, promotion, one primitive each) ----
    def __add__(self, other): return operators.add(self, other)
    def __radd__(self, other): return operators.add(other, self)
    def __sub__(self, other): return operators.sub(self, other)
    def __rsub__(self, other): return operators.sub(other, self)
    def __mul__(self, other): return operators.mul(self, other)
    def __rmul__(self, other): return operators.mul(other, self)
    def __truediv__(self, other): return operators.div(self, other)
    def __rtruediv__(self, other): return operators.div(other, self)
    def __pow__(self, exponent): return operators.pow(self, exponent)
    def __rpow__(self, base): return operators.rpow(base, self)
    def __matmul__(self, other): return operators.matmul(self, other)
    def __rmatmul__(self, other): return operators.matmul(other, self)
    def __neg__(self): return primitives.Neg.apply(self)
    def __pos__(self): return self

    # ---- sums ------------------------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Sum over ``dim`` (an int, a tuple, or None for all); ``axis``/``keepdims`` are NumPy spellings."""
        t = self if dtype is None else self.to(dtype)
        return operators.reduce_sum("sum", t, axis if dim is None else dim,
                               keepdim if keepdims is None else keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Mean over ``dim``: the sum divided by the number of elements summed."""
        t = self if dtype is None else self.to(dtype)
        return operators.mean(t, axis if dim is None else dim, keepdim if keepdims is None else keepdims)


_CPU = device("cpu")
_NOT_A_LEAF = (  # PyTorch's words
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")

function.Tensor = Tensor  # Function.apply makes Tensors (function.py cannot import this file: see there)


class BatchedTensor(batching.Batched, Tensor):
    """A tensor inside ``vmap``: its array holds every sample, the batch dims in front (see batching.py)."""
    __slots__ = ()


batching.Tensor, batching.BatchedTensor, batching.primitives = Tensor, BatchedTensor, primitives  # (see there)

# The operators (operators.py) and backward (engine.py) build on Tensor, and Tensor's methods call them:
# the core's one import cycle, closed here, once Tensor exists.
from . import engine, operators  # noqa: E402
