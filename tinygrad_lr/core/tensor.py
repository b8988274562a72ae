"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor holds its values in ``_data`` (a NumPy array).  A tensor made by an
op on tensors that require grad also holds ``grad_fn``, the graph node of
that op (see ``function.py``); a tensor made by the user is a *leaf*
(``grad_fn is None``) and collects its gradient in ``.grad``.

Operators and methods here are one line each: they call the front end
(``arithmetic.py``, ``shapes.py``, ``indexing.py``, ``gathering.py``, ``inplace.py``), which
checks the arguments and applies the primitives of ``primitives.py``, where
the math lives; ``backward`` calls the engine (``engine.py``).

Those modules build on Tensor and Tensor's methods call them: this is the
package's one import cycle, closed by importing them at the end of this file.
"""
import math
import weakref

import numpy as np

from . import copying, dtypes, printing, random
from . import capture
from .arrays import Size, check_device, device, to_array


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
        return self.shape if dim is None else self.shape[operands.normalize_dim("size", dim, self.ndim)]

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
        """The gradient accumulated by ``backward()`` (None until then)."""
        return self._grad

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
        if capture.recorder is not None:  # tinygrad_lr.compile cannot see what is done with the array
            capture.recorder.fail("the step reads a tensor's values (.numpy())")
        return self._data

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

    # ---- dtype and copies (recorded, so gradients flow through) ----------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """Convert to a dtype and/or device: ``to(float64)``, ``to('cpu')``, ``to(device, dtype)``, ``to(other)``."""
        for a in args:
            if isinstance(a, str):  # a device (a name, or a device object, which is a str too)
                device = a
            else:
                dtype = a.dtype if isinstance(a, Tensor) else a
        check_device(device, "to")  # 'cpu' is fine, 'cuda' gets an error that says why
        dt = self.dtype if dtype is None else dtypes.to_dtype(dtype, "to")
        if dt == self.dtype:
            return self.clone() if copy else self
        return primitives.Cast.apply(self, dtype=dt)

    def type(self, dtype=None):
        """Without ``dtype``, its type's name ('torch.FloatTensor'); else ``to(dtype)`` (a dtype or such a name)."""
        if dtype is None:
            return dtypes.type_name(self.dtype)
        return self.to(dtypes.from_type_name(dtype, "type") if isinstance(dtype, str) else dtype)

    def is_floating_point(self):
        """True for float16, float32 and float64 tensors."""
        return dtypes.is_floating(self.dtype)

    def isnan(self):
        """x ≠ x element-wise: True where the value is NaN (a bool tensor, no gradient)."""
        return Tensor._make(np.isnan(self._data))

    def isinf(self):
        """True where the value is +inf or −inf (a bool tensor, no gradient)."""
        return Tensor._make(np.isinf(self._data))

    def isfinite(self):
        """True where the value is neither NaN nor ±inf (a bool tensor, no gradient)."""
        return Tensor._make(np.isfinite(self._data))

    def cpu(self):
        """Itself: the CPU is the only device."""
        return self

    def float(self):
        """A float32 copy (itself if already float32); recorded, so gradients flow back."""
        return self.to(dtypes.float32)

    def double(self):
        """A float64 copy (itself if already float64); recorded, so gradients flow back."""
        return self.to(dtypes.float64)

    def half(self):
        """A float16 copy (itself if already float16); recorded, so gradients flow back."""
        return self.to(dtypes.float16)

    def type_as(self, other):
        """This tensor in ``other``'s dtype (``to(other.dtype)``)."""
        return self.to(other.dtype)

    # ---- new tensors like this one: its dtype unless dtype= is given ------------------------------
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of zeros of the given size, with this tensor's dtype."""
        return creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of ones of the given size, with this tensor's dtype."""
        return creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """A tensor of the given size with this tensor's dtype (its values are zeros here)."""
        return creation.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """A tensor of the given size filled with ``fill_value``, with this tensor's dtype."""
        return creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new leaf holding a copy of ``data``, with this tensor's dtype (no history)."""
        return creation.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def long(self):
        """An int64 copy (no gradient flows through integers)."""
        return self.to(dtypes.int64)

    def int(self):
        """An int32 copy."""
        return self.to(dtypes.int32)

    def bool(self):
        """A bool copy (nonzero is True)."""
        return self.to(dtypes.bool_)

    def clone(self):
        """A copy of the values; gradients flow back to the original."""
        return primitives.Clone.apply(self)

    def contiguous(self):
        """Itself: NumPy handles the memory layout."""
        return self

    # ---- arithmetic: one line each; the math is in primitives.py ----------------
    def __add__(self, other): return arithmetic.add(self, other)
    def __radd__(self, other): return arithmetic.add(other, self)
    def __sub__(self, other): return arithmetic.sub(self, other)
    def __rsub__(self, other): return arithmetic.sub(other, self)
    def __mul__(self, other): return arithmetic.mul(self, other)
    def __rmul__(self, other): return arithmetic.mul(other, self)
    def __truediv__(self, other): return arithmetic.div(self, other)
    def __rtruediv__(self, other): return arithmetic.div(other, self)
    def __pow__(self, exponent): return arithmetic.pow(self, exponent)
    def __rpow__(self, base): return arithmetic.rpow(base, self)
    def __matmul__(self, other): return arithmetic.matmul(self, other)
    def __rmatmul__(self, other): return arithmetic.matmul(other, self)
    def __neg__(self): return primitives.Neg.apply(self)
    def __pos__(self): return self
    def __abs__(self): return self.abs()

    def add(self, other, *, alpha=1):
        """self + alpha · other (broadcasting; ``alpha`` as in ``torch.add``)."""
        return arithmetic.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """self − alpha · other (broadcasting)."""
        return arithmetic.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        """self · other, element-wise (broadcasting)."""
        return arithmetic.mul(self, other)

    def div(self, other):
        """self / other, element-wise (broadcasting); integers divide to float32, as in PyTorch."""
        return arithmetic.div(self, other)

    def matmul(self, other):
        """The matrix product self @ other (PyTorch's rules for 1-d and batched operands)."""
        return arithmetic.matmul(self, other)

    def dot(self, tensor):
        """The dot product Σᵢ selfᵢ · tensorᵢ of two vectors (1-d)."""
        return arithmetic.product("dot", self, tensor)

    def mv(self, vec):
        """The matrix–vector product self @ vec (2-d @ 1-d)."""
        return arithmetic.product("mv", self, vec)

    def mm(self, mat2):
        """The matrix product self @ mat2 of two matrices (2-d @ 2-d)."""
        return arithmetic.product("mm", self, mat2)

    def bmm(self, mat2):
        """The batched matrix product out[b] = self[b] @ mat2[b] (3-d @ 3-d, equal batch sizes)."""
        return arithmetic.product("bmm", self, mat2)

    def outer(self, vec2):
        """The outer product out[i, j] = self[i] · vec2[j] of two vectors."""
        return arithmetic.outer(self, vec2)

    def neg(self):
        """−self."""
        return primitives.Neg.apply(self)

    def pow(self, exponent):
        """self ** exponent, for a number or a tensor exponent (broadcasting)."""
        return arithmetic.pow(self, exponent)

    def square(self):
        """self², composed as pow(self, 2)."""
        return arithmetic.pow(self, 2)

    def sqrt(self):
        """√self, composed as pow(self, 0.5)."""
        return arithmetic.pow(self, 0.5)

    def exp(self):
        """eˣ element-wise (integers become float32)."""
        return arithmetic.unary("exp", primitives.Exp, self)

    def log(self):
        """The natural logarithm ln x element-wise (ln 0 = −inf)."""
        return arithmetic.unary("log", primitives.Log, self)

    def abs(self):
        """|x| element-wise."""
        return arithmetic.unary("abs", primitives.Abs, self)

    def relu(self):
        """max(x, 0) element-wise."""
        return arithmetic.unary("relu", primitives.ReLU, self)

    def sigmoid(self):
        """σ(x) = 1 / (1 + e⁻ˣ) element-wise, computed without overflow."""
        return arithmetic.unary("sigmoid", primitives.Sigmoid, self)

    def tanh(self):
        """tanh x element-wise."""
        return arithmetic.unary("tanh", primitives.Tanh, self)

    def sin(self):
        """sin x element-wise (integers become float32)."""
        return arithmetic.unary("sin", primitives.Sin, self)

    def cos(self):
        """cos x element-wise."""
        return arithmetic.unary("cos", primitives.Cos, self)

    def tan(self):
        """tan x element-wise."""
        return arithmetic.unary("tan", primitives.Tan, self)

    def log1p(self):
        """ln(1 + x) element-wise, exact for small x."""
        return arithmetic.unary("log1p", primitives.Log1p, self)

    def expm1(self):
        """eˣ − 1 element-wise, exact for small x."""
        return arithmetic.unary("expm1", primitives.Expm1, self)

    def rsqrt(self):
        """1 / √x element-wise, composed as pow(x, −0.5)."""
        return arithmetic.pow(self, -0.5)

    def reciprocal(self):
        """1 / x element-wise (integers become float32)."""
        return arithmetic.div(1, self)

    def sign(self):
        """−1, 0 or 1 by the sign of each element (its gradient is 0)."""
        return primitives.Sign.apply(self)

    def round(self, *, decimals=0):
        """Round to ``decimals`` digits, halves to even (its gradient is 0)."""
        return arithmetic.rounding(self, decimals)

    def clamp(self, min=None, max=None):  # noqa: A002
        """Limit to [min, max] element-wise; either bound may be None, a number or a tensor."""
        return arithmetic.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """The larger of self and other element-wise (broadcasting; a tie splits the gradient)."""
        return arithmetic.maximum(self, other)

    def minimum(self, other):
        """The smaller of self and other element-wise (broadcasting; a tie splits the gradient)."""
        return arithmetic.minimum(self, other)

    def where(self, condition, other):
        """self where condition is True, else other (``torch.where(condition, self, other)``)."""
        return arithmetic.where(condition, self, other)

    def nonzero(self, *, as_tuple=False):
        """The indices of the nonzero elements: a (k, ndim) int64 tensor, or a tuple of one per dim."""
        return arithmetic.nonzero(self, as_tuple)

    # ---- more element-wise math: % and //, rounding, inverse trig, erf (elementwise.py) ------------
    def __mod__(self, other): return elementwise.remainder(self, other)
    def __rmod__(self, other): return elementwise.remainder(other, self)
    def __floordiv__(self, other): return elementwise.floor_divide(self, other)
    def __rfloordiv__(self, other): return elementwise.floor_divide(other, self)

    def remainder(self, other):
        """x − ⌊x / y⌋ · y, with the sign of y, as Python's % (∂/∂x = 1, ∂/∂y = −⌊x / y⌋)."""
        return elementwise.remainder(self, other)

    def fmod(self, other):
        """x − trunc(x / y) · y, with the sign of x, as C's fmod (∂/∂x = 1, ∂/∂y = −trunc(x / y))."""
        return elementwise.fmod(self, other)

    def floor_divide(self, other):
        """⌊x / y⌋ element-wise (x // y); no gradient, as in PyTorch."""
        return elementwise.floor_divide(self, other)

    def floor(self):
        """⌊x⌋, the largest integer ≤ x (its gradient is 0)."""
        return elementwise.rounding("floor", self)

    def ceil(self):
        """⌈x⌉, the smallest integer ≥ x (its gradient is 0)."""
        return elementwise.rounding("ceil", self)

    def trunc(self):
        """x rounded towards 0 (its gradient is 0)."""
        return elementwise.rounding("trunc", self)

    fix = trunc

    def frac(self):
        """x − trunc(x), the fractional part with x's sign (its gradient is 1)."""
        return elementwise.frac(self)

    def log2(self):
        """log₂ x element-wise."""
        return elementwise.log2(self)

    def log10(self):
        """log₁₀ x element-wise."""
        return elementwise.log10(self)

    def exp2(self):
        """2ˣ element-wise."""
        return elementwise.exp2(self)

    def sinh(self):
        """sinh x = (eˣ − e⁻ˣ) / 2 element-wise."""
        return elementwise.sinh(self)

    def cosh(self):
        """cosh x = (eˣ + e⁻ˣ) / 2 element-wise."""
        return elementwise.cosh(self)

    def asin(self):
        """arcsin x element-wise (nan outside [−1, 1])."""
        return elementwise.inverse_trig("asin", primitives.Asin, self)

    def acos(self):
        """arccos x element-wise (nan outside [−1, 1])."""
        return elementwise.inverse_trig("acos", primitives.Acos, self)

    def atan(self):
        """arctan x element-wise."""
        return elementwise.inverse_trig("atan", primitives.Atan, self)

    arcsin, arccos, arctan = asin, acos, atan

    def atan2(self, other):
        """atan2(self, other): the angle of the point (other, self), in (−π, π]."""
        return elementwise.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        """√(self² + other²) element-wise, without overflow."""
        return elementwise.hypot(self, other)

    def erf(self):
        """The error function erf x = 2/√π ∫₀ˣ e^(−t²) dt element-wise."""
        return elementwise.inverse_trig("erf", primitives.Erf, self)

    # ---- logical and bitwise: bool / integer tensors, no gradient (elementwise.py) --------------------
    def __and__(self, other): return elementwise.bitwise("bitwise_and", np.bitwise_and, self, other)
    def __rand__(self, other): return elementwise.bitwise("bitwise_and", np.bitwise_and, other, self)
    def __or__(self, other): return elementwise.bitwise("bitwise_or", np.bitwise_or, self, other)
    def __ror__(self, other): return elementwise.bitwise("bitwise_or", np.bitwise_or, other, self)
    def __xor__(self, other): return elementwise.bitwise("bitwise_xor", np.bitwise_xor, self, other)
    def __rxor__(self, other): return elementwise.bitwise("bitwise_xor", np.bitwise_xor, other, self)
    def __invert__(self): return elementwise.bitwise("bitwise_not", np.invert, self)

    def logical_and(self, other):
        """True where both are nonzero (a bool tensor)."""
        return elementwise.logical("logical_and", np.logical_and, self, other)

    def logical_or(self, other):
        """True where either is nonzero (a bool tensor)."""
        return elementwise.logical("logical_or", np.logical_or, self, other)

    def logical_xor(self, other):
        """True where exactly one is nonzero (a bool tensor)."""
        return elementwise.logical("logical_xor", np.logical_xor, self, other)

    def logical_not(self):
        """True where the element is zero (a bool tensor)."""
        return elementwise.logical("logical_not", np.logical_not, self)

    def bitwise_and(self, other):
        """self & other: bitwise on integers, logical on bools."""
        return self & other

    def bitwise_or(self, other):
        """self | other: bitwise on integers, logical on bools."""
        return self | other

    def bitwise_xor(self, other):
        """self ^ other: bitwise on integers, logical on bools."""
        return self ^ other

    def bitwise_not(self):
        """~self: bitwise on integers, logical on bools."""
        return ~self

    # ---- comparisons: bool tensors, no gradient ------------------------------------
    def __eq__(self, other): return arithmetic.compare("eq", np.equal, self, other)
    def __ne__(self, other): return arithmetic.compare("ne", np.not_equal, self, other)
    def __lt__(self, other): return arithmetic.compare("lt", np.less, self, other)
    def __le__(self, other): return arithmetic.compare("le", np.less_equal, self, other)
    def __gt__(self, other): return arithmetic.compare("gt", np.greater, self, other)
    def __ge__(self, other): return arithmetic.compare("ge", np.greater_equal, self, other)

    def eq(self, other):
        """self == other element-wise, a bool tensor."""
        return self == other

    def ne(self, other):
        """self != other element-wise, a bool tensor."""
        return self != other

    def lt(self, other):
        """self < other element-wise, a bool tensor."""
        return self < other

    def le(self, other):
        """self <= other element-wise, a bool tensor."""
        return self <= other

    def gt(self, other):
        """self > other element-wise, a bool tensor."""
        return self > other

    def ge(self, other):
        """self >= other element-wise, a bool tensor."""
        return self >= other

    def all(self, dim=None, keepdim=False):
        """True if every element (over ``dim``, an int or a tuple) is nonzero: a bool tensor."""
        return structure.all_any("all", self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """True if some element (over ``dim``, an int or a tuple) is nonzero: a bool tensor."""
        return structure.all_any("any", self, dim, keepdim)

    # ---- reductions -----------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Sum over ``dim`` (an int, a tuple, or None for all); ``axis``/``keepdims`` are NumPy spellings."""
        t = self if dtype is None else self.to(dtype)
        return arithmetic.reduce_sum("sum", t, axis if dim is None else dim,
                               keepdim if keepdims is None else keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Mean over ``dim``: the sum divided by the number of elements summed."""
        t = self if dtype is None else self.to(dtype)
        return arithmetic.mean(t, axis if dim is None else dim, keepdim if keepdims is None else keepdims)

    def max(self, dim=None, keepdim=False):
        """The largest element; with ``dim``, the pair (values, indices) along it; with a tensor, ``maximum``."""
        return arithmetic.extremum("max", self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """The smallest element; with ``dim``, the pair (values, indices) along it; with a tensor, ``minimum``."""
        return arithmetic.extremum("min", self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        """The largest elements over ``dim`` (an int or a tuple; () for all); ties share the gradient."""
        return arithmetic.amax("amax", self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        """The smallest elements over ``dim`` (an int or a tuple; () for all); ties share the gradient."""
        return arithmetic.amax("amin", self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the first largest element (of the flattened tensor, or along ``dim``)."""
        return arithmetic.arg_extremum("argmax", self, axis if dim is None else dim,
                                       keepdim if keepdims is None else keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the first smallest element (of the flattened tensor, or along ``dim``)."""
        return arithmetic.arg_extremum("argmin", self, axis if dim is None else dim,
                                       keepdim if keepdims is None else keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product of all elements, or along ``dim``."""
        return arithmetic.prod(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance Σ (x − x̄)² / (n − correction) over ``dim`` (correction=1 by default)."""
        return arithmetic.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation √var over ``dim`` (correction=1 by default)."""
        return arithmetic.var(self, dim, unbiased, keepdim, correction, op="std")

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm (Σ |x|ᵖ)^(1/p) over ``dim`` (all elements by default); p = 2 ('fro'), 1, inf, −inf, 0, any p."""
        return arithmetic.norm(self, p, dim, keepdim, dtype)

    def logsumexp(self, dim, keepdim=False):
        """ln Σ eˣ over ``dim``, computed without overflow."""
        return arithmetic.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        """The running sums along ``dim``."""
        return arithmetic.cumsum(self, dim, dtype)

    def cumprod(self, dim, *, dtype=None):
        """The running products along ``dim`` (exact gradients where an element is 0)."""
        return structure.cumprod(self, dim, dtype)

    def median(self, dim=None, keepdim=False):
        """The lower median of all elements; with ``dim``, the pair (values, indices) along it."""
        return structure.median(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        """The number of nonzero elements (over ``dim``), int64."""
        return structure.count_nonzero(self, dim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        """The distinct elements, sorted; (values, inverse, counts) as asked (no gradient)."""
        return structure.unique(self, sorted, return_inverse, return_counts, dim)

    def trace(self):
        """The sum of the diagonal of a matrix."""
        return structure.trace(self)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        """(hist, bin_edges): the counts (or summed weights) of the elements in each bin (no gradient)."""
        return counting.histogram(self, bins, range=range, weight=weight, density=density)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002
        """The counts of the elements in ``bins`` equal bins over [min, max] (the data's range if min = max)."""
        return counting.histc(self, bins, min, max)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Indices drawn with probabilities proportional to each row of this tensor (int64, no gradient)."""
        return creation.multinomial(self, num_samples, replacement, generator=generator)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The differences x[i + 1] − x[i] along ``dim``, ``n`` times."""
        return structure.diff(self, n, dim, prepend, append)

    # ---- softmax ----------------------------------------------------------------
    def softmax(self, dim, dtype=None):
        """eˣ / Σ eˣ along ``dim``, computed without overflow (each slice sums to 1)."""
        return arithmetic.softmax("softmax", self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        """x − ln Σ eˣ along ``dim``, computed without overflow: the log of softmax, finite for any logits."""
        return arithmetic.softmax("log_softmax", self, dim, dtype)

    # ---- shape ----------------------------------------------------------------
    def reshape(self, *shape):
        """The same values in a new shape (one size may be -1: inferred)."""
        return shapes.reshape("reshape", self, shape)

    def view(self, *shape):
        """The same values in a new shape, like ``reshape``."""
        return shapes.reshape("view", self, shape)

    def view_as(self, other):
        """``view(other.shape)``."""
        return self.view(other.shape)

    def reshape_as(self, other):
        """``reshape(other.shape)``."""
        return self.reshape(other.shape)

    def expand_as(self, other):
        """``expand(other.shape)``."""
        return self.expand(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims start_dim … end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        s = operands.normalize_dim("flatten", start_dim, self.ndim)
        e = operands.normalize_dim("flatten", end_dim, self.ndim)
        size = math.prod(self.shape[s:e + 1])  # not -1: that is ambiguous when another dim is 0
        return self.reshape(self.shape[:s] + (size,) + self.shape[e + 1:])

    def unsqueeze(self, dim):
        """Insert a dimension of size 1 at ``dim``."""
        d = operands.normalize_dim("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        """Remove the dimensions of size 1 (only ``dim``, if given)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        d = operands.normalize_dim("squeeze", dim, self.ndim)
        return self.reshape(self.shape if self.ndim == 0 or self.shape[d] != 1 else self.shape[:d] + self.shape[d + 1:])

    def transpose(self, dim0, dim1):
        """Swap two dimensions."""
        return shapes.transpose(self, dim0, dim1)

    swapaxes = transpose  # NumPy's name: backward formulas use it on arrays and tensors alike

    def t(self):
        """Transpose a matrix (0-d and 1-d tensors are returned as they are)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {tuple(self.shape)}; "
                             "use transpose(dim0, dim1) or .mT")
        return self.transpose(0, -1)

    T = property(t, doc="The transpose of a matrix (see t()).")
    mT = property(lambda self: self.transpose(-2, -1), doc="Transpose the last two dimensions.")
    mH = property(lambda self: self.transpose(-2, -1), doc="The conjugate transpose of the last two dims (mT: values are real).")

    def narrow(self, dim, start, length):
        """The slice start … start + length − 1 along ``dim``."""
        return structure.narrow(self, dim, start, length)

    def roll(self, shifts, dims=None):
        """Shift the elements along ``dims`` (of the flattened tensor without dims), wrapping around."""
        return structure.roll(self, shifts, dims)

    def diag(self, diagonal=0):
        """A vector put on diagonal k of a square matrix, or the diagonal k of a matrix."""
        return structure.diag(self, diagonal)

    def triu(self, diagonal=0):
        """The upper triangle (on and above diagonal k) of the last two dims; zeros below."""
        return structure.triangle("triu", self, diagonal)

    def tril(self, diagonal=0):
        """The lower triangle (on and below diagonal k) of the last two dims; zeros above."""
        return structure.triangle("tril", self, diagonal)

    def expand(self, *sizes):
        """Broadcast to a larger shape without copying (-1 keeps a size)."""
        return shapes.expand(self, sizes)

    def permute(self, *dims_, dims=None):
        """Reorder the dims: ``x.permute(2, 0, 1)`` or ``x.permute((2, 0, 1))``; out.shape[i] = x.shape[dims[i]]."""
        return shapes.permute(self, dims_ if dims is None else (dims,))

    def movedim(self, source, destination):
        """Move the dim(s) ``source`` to position(s) ``destination``; the others keep their order."""
        return shapes.movedim(self, source, destination)

    moveaxis = movedim

    def repeat(self, *sizes):
        """Tile the tensor sizes[i] times along dim i (a copy; more sizes than dims add leading dims)."""
        return shapes.repeat(self, sizes)

    def tile(self, *dims):
        """Like repeat, with leading 1s when fewer sizes than dims are given."""
        return shapes.tile(self, dims)

    def flip(self, *dims_, dims=None):
        """Reverse the order of the elements along the given dims (a copy)."""
        return shapes.flip(self, dims_ if dims is None else (dims,))

    def split(self, split_size, dim=0):
        """A tuple of pieces along dim: of size split_size (the last may be smaller), or of the sizes in a list."""
        return shapes.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        """A tuple of at most ``chunks`` pieces of size ⌈n / chunks⌉ along dim."""
        return shapes.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        """A tuple of the slices along dim, with that dim removed."""
        return shapes.unbind(self, dim)

    # ---- indexing -------------------------------------------------------------
    def __getitem__(self, index):
        return indexing.getitem(self, index)

    def __setitem__(self, index, value):
        indexing.setitem(self, index, value)

    def gather(self, dim, index):
        """Pick along dim at index: out[i][j] = self[index[i][j]][j] for dim 0 (out has index's shape)."""
        return gathering.gather(self, dim, index)

    def index_select(self, dim, index):
        """The slices along dim at the positions of a 1-d index."""
        return gathering.index_select(self, dim, index)

    def scatter(self, dim, index, src=None, value=None):
        """A copy with src (or value) put along dim at index: out[index[i][j]][j] = src[i][j] for dim 0."""
        return gathering.scatter(self, dim, index, src, value)

    def scatter_add(self, dim, index, src):
        """A copy with src added along dim at index (repeated indices add up)."""
        return gathering.scatter_add(self, dim, index, src)

    def scatter_(self, dim, index, src=None, value=None):
        """scatter, in place."""
        return gathering.scatter_(self, dim, index, src, value)

    def scatter_add_(self, dim, index, src):
        """scatter_add, in place."""
        return gathering.scatter_add_(self, dim, index, src)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where the bool mask is True (the mask broadcasts)."""
        return gathering.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        """masked_fill, in place."""
        return gathering.masked_fill_(self, mask, value)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices): sorted along dim (stable), with self.gather(dim, indices) == values."""
        return gathering.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices that sort along dim (sort's indices)."""
        return gathering.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (largest=False: smallest) elements along dim, sorted."""
        return gathering.topk(self, k, dim, largest, sorted)

    # ---- in place (see ops.inplace for the rules) ------------------------------
    def add_(self, other, alpha=1):
        """self += alpha · other, in place (an optimizer's θ ← θ − η·g is ``p.add_(g, alpha=-lr)``)."""
        return inplace.update("add_", self, other, arithmetic.add, np.add, alpha)

    def sub_(self, other, alpha=1):
        """self −= alpha · other, in place."""
        return inplace.update("sub_", self, other, arithmetic.sub, np.subtract, alpha)

    def mul_(self, other):
        """self *= other, in place."""
        return inplace.update("mul_", self, other, arithmetic.mul, np.multiply)

    def div_(self, other):
        """self /= other, in place."""
        return inplace.update("div_", self, other, arithmetic.div, np.true_divide)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """self += value · tensor1 · tensor2, in place (Adam's v ← β₂v + (1 − β₂)g² after ``v.mul_(beta2)``)."""
        return inplace.compound("addcmul_", self, lambda x, a, b: x + value * a * b, tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """self += value · tensor1 / tensor2, in place (Adam's θ ← θ − η·m̂/(√v̂ + ε))."""
        return inplace.compound("addcdiv_", self, lambda x, a, b: x + value * a / b, tensor1, tensor2)

    def lerp_(self, end, weight):
        """self += weight · (end − self), in place (Adam's m ← β₁m + (1 − β₁)g is ``m.lerp_(g, 1 - beta1)``)."""
        return inplace.compound("lerp_", self, inplace.lerp_formula("lerp_", weight), end)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def zero_(self):
        """Fill with zeros, in place."""
        return inplace.overwrite("zero_", self, 0)

    def fill_(self, value):
        """Fill with one value, in place."""
        return inplace.overwrite("fill_", self, value.item() if isinstance(value, Tensor) else value)

    def copy_(self, src):
        """Copy ``src``'s values (broadcast to this shape) into this tensor, in place."""
        return inplace.overwrite("copy_", self, src)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std²) from the seeded generator."""
        return inplace.overwrite("normal_", self, random._normal_array(mean, std, self.shape, self.dtype, generator))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with samples of U(a, b) from the seeded generator."""
        return inplace.overwrite("uniform_", self, random._uniform_array(a, b, self.shape, self.dtype, generator))

    # element-wise functions in place: the out-of-place op computes the values (inplace.apply_)
    def abs_(self):
        """abs, in place."""
        return inplace.apply_("abs_", self, Tensor.abs)

    def exp_(self):
        """exp, in place."""
        return inplace.apply_("exp_", self, Tensor.exp)

    def log_(self):
        """log, in place."""
        return inplace.apply_("log_", self, Tensor.log)

    def sqrt_(self):
        """sqrt, in place."""
        return inplace.apply_("sqrt_", self, Tensor.sqrt)

    def square_(self):
        """square, in place."""
        return inplace.apply_("square_", self, Tensor.square)

    def neg_(self):
        """neg, in place."""
        return inplace.apply_("neg_", self, Tensor.neg)

    def pow_(self, exponent):
        """pow, in place."""
        return inplace.apply_("pow_", self, lambda x: x.pow(exponent))

    def clamp_(self, min=None, max=None):  # noqa: A002
        """clamp, in place."""
        return inplace.apply_("clamp_", self, lambda x: x.clamp(min, max))

    def clip_(self, min=None, max=None):  # noqa: A002
        """clip (clamp), in place."""
        return inplace.apply_("clip_", self, lambda x: x.clamp(min, max))

    def relu_(self):
        """relu, in place."""
        return inplace.apply_("relu_", self, Tensor.relu)

    def sigmoid_(self):
        """sigmoid, in place."""
        return inplace.apply_("sigmoid_", self, Tensor.sigmoid)

    def tanh_(self):
        """tanh, in place."""
        return inplace.apply_("tanh_", self, Tensor.tanh)

    def floor_(self):
        """floor, in place."""
        return inplace.apply_("floor_", self, Tensor.floor)

    def ceil_(self):
        """ceil, in place."""
        return inplace.apply_("ceil_", self, Tensor.ceil)

    def trunc_(self):
        """trunc, in place."""
        return inplace.apply_("trunc_", self, Tensor.trunc)

    def round_(self, *, decimals=0):
        """round, in place."""
        return inplace.apply_("round_", self, lambda x: x.round(decimals=decimals))

    # shape changes in place (the same memory, a new shape)
    def unsqueeze_(self, dim):
        """unsqueeze, in place."""
        return inplace.reshape_("unsqueeze_", self, lambda x: x.unsqueeze(dim))

    def squeeze_(self, dim=None):
        """squeeze, in place."""
        return inplace.reshape_("squeeze_", self, lambda x: x.squeeze(dim))

    def t_(self):
        """t, in place."""
        return inplace.reshape_("t_", self, Tensor.t)


_CPU = device("cpu")

# The one import cycle: these modules build on Tensor, so they are imported once it exists.
from . import arithmetic, engine, gathering, indexing, inplace, operands, primitives, shapes  # noqa: E402
from . import counting, creation, elementwise, structure, views  # noqa: E402
