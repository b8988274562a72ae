"""Every primitive op: forward and backward side by side, grouped under banners.

Notation in the docstrings: ``g`` is ∂L/∂out, the gradient arriving from the
op's output; each backward returns ∂L/∂input for each input (the
vector–Jacobian product).  Backwards are written in array syntax, so they run
on NumPy arrays, or on Tensors (recording a graph) under create_graph=True.
A gradient with a broadcast shape is summed back to the input's shape by the
engine (``engine.sum_to_shape``: "the adjoint of broadcast is sum").

Below the primitives are the functions the Tensor methods call: they check
arguments, turn Python numbers and arrays into operands (with PyTorch's type
promotion) and compose primitives (``mean`` is ``sum / n``, ``sqrt`` is
``pow(x, 0.5)``, ``2 ** x`` is ``exp(x · ln 2)``).
"""
import math
import operator

import numpy as np

from . import dtypes, grad_mode
from .engine import sum_to_shape
from .function import Function
from .tensor import Tensor


# ============================================================================
# binary ops (broadcasting)
# ============================================================================
class Add(Function):
    """out = x + y            ∂L/∂x = g          ∂L/∂y = g"""
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """out = x − y            ∂L/∂x = g          ∂L/∂y = −g"""
    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """out = x · y            ∂L/∂x = g · y      ∂L/∂y = g · x"""
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * y if ctx.needs_input_grad[0] else None,
                g * x if ctx.needs_input_grad[1] else None)


class Div(Function):
    """out = x / y            ∂L/∂x = g / y      ∂L/∂y = −g · x / y²"""
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        # −g · (x / y) / y, not −g · x / y²: y² overflows (or underflows) in float32 long before the result does
        return (g / y if ctx.needs_input_grad[0] else None,
                -g * (x / y / y) if ctx.needs_input_grad[1] else None)


# ============================================================================
# unary ops
# ============================================================================
class Neg(Function):
    """out = −x               ∂L/∂x = −g"""
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """out = xᵖ  (p a number)  ∂L/∂x = g · p · xᵖ⁻¹"""
    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        if exponent >= 0:
            return x ** exponent
        with np.errstate(divide="ignore"):  # 0 ** -1 = inf, silently as in PyTorch
            return x ** exponent

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:
            return g * 0, None  # x⁰ = 1 is constant (0 · x⁻¹ would be NaN at x = 0)
        if p == 2:
            return g * 2 * x, None  # the common square: skip computing x¹
        with np.errstate(divide="ignore"):  # for p < 1 the slope at x = 0 is inf (e.g. sqrt), as in PyTorch
            return g * p * x ** (p - 1), None


class Exp(Function):
    """out = eˣ               ∂L/∂x = g · eˣ = g · out"""
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):  # e¹⁰⁰⁰ = inf, silently as in PyTorch
            out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


class Log(Function):
    """out = ln x             ∂L/∂x = g / x"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore"):  # ln 0 = -inf, silently as in PyTorch (ln of x < 0 still warns)
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        with np.errstate(divide="ignore"):  # the slope 1/x at x = 0 is inf
            return g / x


class Abs(Function):
    """out = |x|              ∂L/∂x = g · sign(x)   (0 at x = 0, as in PyTorch)"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x > 0) - g * (x < 0)


class ReLU(Function):
    """out = max(x, 0)        ∂L/∂x = g · [x > 0]   (0 at x = 0, as in PyTorch)"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x > 0)


class Sigmoid(Function):
    """out = 1 / (1 + e⁻ˣ)    ∂L/∂x = g · out · (1 − out)

    Computed as exp(−ln(1 + e⁻ˣ)), the same function, with ``np.logaddexp(0, −x)``
    for ln(1 + e⁻ˣ): it never overflows, and keeps the tiny values of the left
    tail (σ(−40) ≈ 4.2e−18, so ln σ(−40) = −40 rather than ln 0).
    """
    @staticmethod
    def forward(ctx, x):
        out = np.exp(-np.logaddexp(0, -x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * (1 - out)


class Tanh(Function):
    """out = tanh x           ∂L/∂x = g · (1 − out²)"""
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)


class Cast(Function):
    """out = x as another dtype   ∂L/∂x = g (the engine casts it back to x's dtype)"""
    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g


class Clone(Function):
    """out = a copy of x      ∂L/∂x = g"""
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


# ============================================================================
# matmul
# ============================================================================
class Matmul(Function):
    """out = x @ y            ∂L/∂x = g @ yᵀ     ∂L/∂y = xᵀ @ g

    PyTorch's rules: a 1-d x is a row vector (1, n) and a 1-d y a column (n, 1),
    the added dimension is removed from the result; leading (batch) dimensions
    broadcast.  Backward works on the 2-d forms; the engine sums the batch
    dimensions and the added 1 back to each input's shape.
    """
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        x2 = x.reshape(1, -1) if x.ndim == 1 else x     # (…, k, n)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y     # (…, n, m)
        g2 = g.reshape(g.shape + (1,)) if y.ndim == 1 else g   # put back the removed dims
        g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if x.ndim == 1 else g2
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g2 @ y2.swapaxes(-1, -2)
            gx = gx.reshape(gx.shape[:-2] + gx.shape[-1:]) if x.ndim == 1 else gx
        if ctx.needs_input_grad[1]:
            gy = x2.swapaxes(-1, -2) @ g2
            gy = gy.reshape(gy.shape[:-1]) if y.ndim == 1 else gy
        return gx, gy


# ============================================================================
# reductions
# ============================================================================
class Sum(Function):
    """out = Σ over axes of x   ∂L/∂x = g broadcast back over the summed axes"""
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdims:  # put the summed axes back as size 1, then broadcast
            axes = range(len(ctx.in_shape)) if ctx.axis is None else ctx.axis
            kept = tuple(1 if i in axes else n for i, n in enumerate(ctx.in_shape))
            g = g.reshape(kept)
        if isinstance(g, Tensor):
            return Expand.apply(g, shape=ctx.in_shape), None, None
        out = np.empty(ctx.in_shape, g.dtype)  # on arrays: fill a new array (np.broadcast_to's
        out[...] = g                           # checks cost more than the copy for small sums)
        return out, None, None


# ============================================================================
# movement: reshape, transpose, expand
# ============================================================================
class Reshape(Function):
    """out = x with a new shape   ∂L/∂x = g reshaped to x's shape"""
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Transpose(Function):
    """out = x with dims d0 and d1 swapped   ∂L/∂x = g with them swapped back"""
    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return x.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, g):
        return g.swapaxes(*ctx.dims)


class Expand(Function):
    """out = x broadcast to ``shape`` (no copy)   ∂L/∂x = g summed back to x's shape"""
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.in_shape)


# ============================================================================
# indexing and joining
# ============================================================================
class Index(Function):
    """out = x[index]         ∂L/∂x = zeros like x, with g added at ``index``

    Repeated indices get the *sum* of their gradients (x[[0, 0]] uses x[0] twice).
    """
    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.call(g, shape=ctx.in_shape, index=ctx.index)


class IndexAdd(Function):
    """out = zeros(shape) with g added at ``index``   ∂L/∂g = gg[index]  (Index's backward)"""
    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic_index(index):
            out[index] = g       # slices and ints never repeat an element
        else:
            np.add.at(out, index, g)  # fancy indices may: add, don't overwrite
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]


class Cat(Function):
    """out = [x₀, x₁, …] joined along ``axis``   ∂L/∂xᵢ = the slice of g where xᵢ went"""
    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis, ctx.sizes = axis, [x.shape[axis] for x in xs]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        ends = np.cumsum(ctx.sizes).tolist()
        lead = (slice(None),) * ctx.axis
        return tuple(g[lead + (slice(end - n, end),)] if need else None
                     for n, end, need in zip(ctx.sizes, ends, ctx.needs_input_grad))


class Stack(Function):
    """out = [x₀, x₁, …] stacked along a new ``axis``   ∂L/∂xᵢ = g[…, i, …]"""
    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        return tuple(g[lead + (i,)] if need else None for i, need in enumerate(ctx.needs_input_grad))


# ============================================================================
# what the Tensor methods call: checks, operands, promotion, compositions
# ============================================================================
def _shape(t):
    return tuple(t.shape) if isinstance(t, (Tensor, np.ndarray)) else ()


def operand(op, x):
    """A Tensor, or a Python number (kept as a number so that float32 stays float32)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):  # before float: np.float64 is a subclass of float
        return x.item()  # a NumPy scalar acts like a Python number, as in PyTorch
    if isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, (np.ndarray, list, tuple)):
        from .creation import _to_array
        return Tensor._make(x if isinstance(x, np.ndarray) and x.dtype in dtypes._NAMES
                            else _to_array(x, None, op))
    raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}; expected a Tensor, "
                    "a NumPy array or a Python number")


def _needs_promotion(a, b):
    """False in the common cases: two tensors of one dtype, or a float tensor and a Python number."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return a._data.dtype != b._data.dtype
        return not (type(b) in (int, float) and a._data.dtype.kind == "f")
    return not (isinstance(b, Tensor) and type(a) in (int, float) and b._data.dtype.kind == "f")


def promote(op, a, b):
    """Both operands, converted to the result dtype of PyTorch's promotion rule."""
    if not _needs_promotion(a, b):
        return a, b
    a, b = operand(op, a), operand(op, b)  # arrays and lists become tensors, NumPy scalars numbers
    if not _needs_promotion(a, b):
        return a, b
    dt = dtypes.result_dtype(a._data if isinstance(a, Tensor) else a, b._data if isinstance(b, Tensor) else b)
    if isinstance(a, Tensor) and a.dtype != dt:
        a = a.to(dt)
    if isinstance(b, Tensor) and b.dtype != dt:
        b = b.to(dt)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._make(np.asarray(a, dtype=dt))
    return a, b


def _broadcast_error(op, a, b):
    sa, sb = _shape(a), _shape(b)
    for i in range(1, min(len(sa), len(sb)) + 1):
        if sa[-i] != sb[-i] and 1 not in (sa[-i], sb[-i]):
            return ValueError(
                f"{op}: shapes {sa} and {sb} cannot be broadcast together (dimension {-i}: "
                f"{sa[-i]} vs {sb[-i]}); sizes must match or be 1 when aligned from the right. "
                "Reshape one operand (e.g. y.reshape(-1, 1) or y.reshape(-1)) so they agree")
    return None


def binary(op, fn, a, b):
    a, b = promote(op, a, b)
    try:
        return fn.apply(a, b)
    except ValueError:
        err = _broadcast_error(op, a, b)
        if err is None:
            raise
        raise err from None


def add(a, b): return binary("add", Add, a, b)
def sub(a, b): return binary("sub", Sub, a, b)
def mul(a, b): return binary("mul", Mul, a, b)
def div(a, b):
    a, b = promote("div", a, b)
    if (a if isinstance(a, Tensor) else b).dtype.kind != "f":  # int / int is float32, as in PyTorch
        a, b = (x.float() if isinstance(x, Tensor) else x for x in (a, b))
    return binary("div", Div, a, b)


def pow(x, exponent):
    """x ** p for a number p."""
    if isinstance(exponent, Tensor) and exponent.ndim == 0 and not exponent.requires_grad:
        exponent = exponent.item()
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
        raise TypeError(f"pow: the exponent must be a Python number, got {type(exponent).__name__}; "
                        "for a tensor exponent write (b * x.log()).exp()")
    x = operand("pow", x)
    if x.dtype.kind != "f" and (isinstance(exponent, float) or exponent < 0):
        x = x.float()  # int ** 0.5 or int ** -1 are not integers
    return Pow.apply(x, exponent)


def rpow(base, x):
    """b ** x for a number b > 0, composed as exp(x · ln b)."""
    if not isinstance(base, (int, float)) or base <= 0:
        raise ValueError(f"pow: a number raised to a tensor power needs a base > 0, got {base!r}")
    return (x * math.log(base)).exp() if x.dtype.kind == "f" else (x.float() * math.log(base)).exp()


def unary(op, fn, x):
    if x._data.dtype.kind != "f" and op not in ("abs", "relu"):
        x = x.float()  # as in PyTorch: exp/log/... of an integer tensor is float32 (abs and relu keep it)
    return fn.apply(x)


def compare(op, ufunc, a, b):
    a, b = promote(op, a, b)
    da = a._data if isinstance(a, Tensor) else a
    db = b._data if isinstance(b, Tensor) else b
    try:
        return Tensor._make(np.asarray(ufunc(da, db)))
    except ValueError:
        err = _broadcast_error(op, a, b)
        if err is None:
            raise
        raise err from None


def matmul(a, b):
    a, b = promote("matmul", a, b)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{_shape(a)} and {_shape(b)}; use * to multiply by a scalar")
    sa, sb = a.shape, b.shape
    inner_a, inner_b = sa[-1], (sb[0] if b.ndim == 1 else sb[-2])
    if inner_a != inner_b:
        hint = (" (the first operand's rows are the second's inner size: did you mean to transpose it?)"
                if a.ndim == 2 and sa[0] == inner_b else "")
        raise ValueError(f"matmul: shapes {sa} and {sb} cannot be multiplied (inner dimensions "
                         f"{inner_a} and {inner_b} differ){hint}")
    try:
        return Matmul.apply(a, b)
    except ValueError:
        raise ValueError(f"matmul: the batch dimensions of shapes {sa} and {sb} cannot be "
                         "broadcast together") from None


def normalize_dim(op, dim, ndim):
    """A dim in range(ndim) from a possibly negative one; IndexError naming the range otherwise."""
    if isinstance(dim, Tensor):
        dim = dim.item()
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an integer, got {dim!r}")
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s) "
                         f"(expected a dim from {lo} to {hi})")
    return int(dim) % max(ndim, 1)


def _axes(op, dim, ndim):
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(sorted({normalize_dim(op, d, ndim) for d in dims}))
    if len(axes) != len(dims):
        raise ValueError(f"{op}: dim {tuple(dims)} names the same dimension twice")
    return tuple(a for a in axes if a < ndim)  # a 0-d tensor's dim 0 sums over nothing


def reduce_sum(op, x, dim, keepdim):
    return Sum.apply(x, axis=_axes(op, dim, x.ndim), keepdims=bool(keepdim))


def mean(x, dim=None, keepdim=False):
    """mean = sum / n, n the number of elements summed (composed: its gradient is g / n)."""
    if x.dtype.kind != "f":
        raise TypeError(f"mean: needs a floating-point tensor, got {dtypes.dtype_name(x.dtype)}; "
                        "convert it first with .float()")
    axes = _axes("mean", dim, x.ndim)
    n = x.numel() if axes is None else math.prod(x.shape[a] for a in axes)
    return Sum.apply(x, axis=axes, keepdims=bool(keepdim)) / n


def reshape(op, x, shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        shape = tuple(operator.index(n) for n in shape)  # int(2.5) would quietly be 2
    except TypeError:
        raise TypeError(f"{op}: the shape must be integers, got {shape!r}") from None
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        raise ValueError(f"{op}: invalid shape {shape}: sizes must be >= 0, and at most one may be -1")
    known = math.prod(n for n in shape if n != -1)
    if (-1 in shape and (known == 0 or x.numel() % known)) or (-1 not in shape and known != x.numel()):
        raise ValueError(f"{op}: cannot reshape a tensor of shape {tuple(x.shape)} ({x.numel()} elements) "
                         f"into shape {shape}")
    return Reshape.apply(x, shape=shape)


def transpose(x, dim0, dim1):
    d0, d1 = normalize_dim("transpose", dim0, x.ndim), normalize_dim("transpose", dim1, x.ndim)
    if x.ndim < 2 or d0 == d1:
        return Reshape.apply(x, shape=x.shape)  # nothing to swap, but still a new tensor (a view in PyTorch)
    return Transpose.apply(x, dim0=d0, dim1=d1)


def expand(x, sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if lead < 0 or any(n < 0 for n in shape) or not all(
            m in (1, n) for m, n in zip(x.shape, shape[lead:])):
        raise ValueError(f"expand: a tensor of shape {tuple(x.shape)} cannot be expanded to {tuple(sizes)}; "
                         "only dimensions of size 1 can grow")
    return Expand.apply(x, shape=shape)


# ---- indexing ----------------------------------------------------------------
def _is_basic_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _index_part(p):
    if isinstance(p, Tensor):
        p = p._data
    if isinstance(p, (list, np.ndarray)):
        p = np.asarray(p)
        if p.dtype == object or p.dtype.kind not in "biu" and p.size:
            raise IndexError(f"index: tensors used as indices must be integer or bool, got {p.dtype}")
        if p.size == 0:
            p = p.astype(np.int64)
        if p.dtype.kind == "b" and p.ndim:
            return p.nonzero()  # a mask picks the positions where it is True
        return (p,)
    if isinstance(p, np.integer):
        return (int(p),)
    if isinstance(p, bool) or not (p is None or p is Ellipsis or isinstance(p, (int, slice))):
        raise IndexError(f"index: only integers, slices, None, ..., and integer or bool tensors/arrays "
                         f"are valid indices, got {p!r} of type {type(p).__name__}")
    return (p,)


def normalize_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    out = tuple(q for p in parts for q in _index_part(p))
    return out[0] if len(out) == 1 and not isinstance(out[0], np.ndarray) else out


def _check_masks(x, index):
    """A bool mask must have the shape of the dimensions it selects from (NumPy would blame a position)."""
    dim = 0
    for p in index if isinstance(index, tuple) else (index,):
        if p is Ellipsis:
            return  # the dims after ... count from the end: NumPy checks those
        m = p._data if isinstance(p, Tensor) else p
        if isinstance(m, (list, np.ndarray)) and np.asarray(m).dtype == bool and np.ndim(m):
            want = tuple(x.shape[dim:dim + np.ndim(m)])
            if np.shape(m) != want:
                raise IndexError(f"index: a boolean mask of shape {np.shape(m)} cannot select from a tensor of shape "
                                 f"{tuple(x.shape)} at dim {dim}: the mask must have shape {want}")
            dim += np.ndim(m)
        elif p is not None:
            dim += 1


def getitem(x, index):
    _check_masks(x, index)
    index = normalize_index(index)
    try:
        return Index.apply(x, index=index)
    except IndexError as e:
        raise IndexError(f"index: {e} (indexing a tensor of shape {tuple(x.shape)})") from None


def setitem(x, index, value):
    index = normalize_index(index)
    value = operand("setitem", value)
    _check_inplace("setitem", x)
    if grad_mode._enabled and (x._requires_grad or isinstance(value, Tensor) and value._requires_grad):
        raise RuntimeError("setitem: assigning into a tensor that is part of a graph is not supported; "
                           "build the result out of place (e.g. with cat/stack), or do it under no_grad()")
    try:
        x._data[index] = value._data if isinstance(value, Tensor) else value
    except IndexError as e:
        raise IndexError(f"setitem: {e} (tensor of shape {tuple(x.shape)})") from None
    except ValueError as e:
        raise ValueError(f"setitem: cannot assign a value of shape {_shape(value)} to "
                         f"x[index] of tensor shape {tuple(x.shape)}: {e}") from None
    x._vc[0] += 1


# ---- joining -----------------------------------------------------------------
def _join(op, fn, tensors, dim, new_axis):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{op}: expects a non-empty list or tuple of tensors")
    ts = [operand(op, t) for t in tensors]
    ts = [t if isinstance(t, Tensor) else Tensor._make(np.asarray(t, dtype=dtypes.result_dtype(t)))
          for t in ts]
    dt = dtypes.result_dtype(*[t._data for t in ts])
    ts = [t.to(dt) for t in ts]
    ndim = ts[0].ndim + new_axis
    if not new_axis and ts[0].ndim == 0:
        raise ValueError(f"{op}: zero-dimensional tensors cannot be concatenated; use stack")
    axis = normalize_dim(op, dim, ndim)
    for i, t in enumerate(ts[1:], 1):
        a, b = list(ts[0].shape), list(t.shape)
        if not new_axis and len(a) == len(b):
            a[axis] = b[axis] = None
        if a != b:
            need = "the same shape" if new_axis else f"the same shape except in dim {axis}"
            raise ValueError(f"{op}: expects tensors of {need}, but tensor 0 has shape "
                             f"{tuple(ts[0].shape)} and tensor {i} has shape {tuple(t.shape)}")
    return fn.apply(*ts, axis=axis)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    return _join("cat", Cat, tensors, dim, new_axis=False)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    return _join("stack", Stack, tensors, dim, new_axis=True)


# ---- in place ----------------------------------------------------------------
def _check_inplace(op, x):
    if grad_mode._enabled and x._requires_grad and x.grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad (shape {tuple(x.shape)}) cannot be changed in place "
            "while operations are recorded: autograd would lose track of it. Do the update inside "
            "`with tinygrad_lr.no_grad():` (as optimizers do), or change `.data`")
    if not x._data.flags.writeable:
        raise RuntimeError(
            f"{op}: this tensor's memory is read-only (e.g. a DataLoader batch that is a view of its data "
            "set, or a read-only np.memmap), so it cannot be changed in place; use the out-of-place form "
            "(x = x + y) or change a copy (x = x.clone())")


def inplace(op, x, other, out_of_place, ufunc):
    """x ⊙= other: write into x's memory, or, when it must be recorded, rebase x on the new node."""
    _check_inplace(op, x)
    other = operand(op, other)
    if grad_mode._enabled and (x._requires_grad or isinstance(other, Tensor) and other._requires_grad):
        # Recorded: compute out of place, then x *becomes* the result.  The new
        # node sees x's old value through an alias of its own (h *= w needs the
        # old h); earlier nodes that saved x itself would now read the new value,
        # so the bump of x's old version makes them refuse to run.
        old = Tensor._make(x._data, x._requires_grad, x.grad_fn)
        out = out_of_place(old, old if other is x else other)
        if out.shape != x.shape:
            raise ValueError(f"{op}: the result has shape {tuple(out.shape)}, which does not fit the "
                             f"tensor of shape {tuple(x.shape)} changed in place")
        if out.dtype != x.dtype and x.dtype.kind == "f":
            out = out.to(x.dtype)  # in place keeps the tensor's dtype, as in PyTorch
        x._vc[0] += 1
        x._data, x.grad_fn, x._requires_grad, x._vc = out._data, out.grad_fn, True, out._vc
        return x
    od = other._data if isinstance(other, Tensor) else other
    try:
        ufunc(x._data, od, out=x._data, casting="same_kind")
    except TypeError:
        probe = ufunc(np.zeros(1, x.dtype), np.zeros(1, od.dtype) if isinstance(od, np.ndarray) else od)
        raise TypeError(f"{op}: the result of type {probe.dtype} cannot be stored in place "
                        f"in a {dtypes.dtype_name(x.dtype)} tensor; use the out-of-place form "
                        "(x = x + y) or convert x first (x = x.float())") from None
    except ValueError:
        raise ValueError(f"{op}: an operand of shape {_shape(other)} cannot be applied in place to a "
                         f"tensor of shape {tuple(x.shape)} (the result must keep the tensor's shape)") from None
    x._vc[0] += 1
    return x


def overwrite(op, x, value):
    """zero_, fill_, copy_, normal_, uniform_: replace x's values in place."""
    _check_inplace(op, x)
    if grad_mode._enabled and x.grad_fn is not None:
        raise RuntimeError(f"{op}: overwriting a tensor that is part of a graph is not supported; "
                           "do it under no_grad() or on a detached tensor")
    if grad_mode._enabled and isinstance(value, Tensor) and value._requires_grad:
        raise RuntimeError(f"{op}: the source requires grad, and copying it in place is not recorded, so its "
                           "gradient would be lost; write y = src.clone() instead (or copy under no_grad())")
    src = value._data if isinstance(value, Tensor) else value
    try:
        np.copyto(x._data, src, casting="unsafe")
    except ValueError:
        raise ValueError(f"{op}: a source of shape {_shape(value)} cannot be copied into a tensor "
                         f"of shape {tuple(x.shape)}") from None
    x._vc[0] += 1
    return x


# ---- the gradient that seeds a backward pass ---------------------------------
def seed_gradient(op, out, gradient, create_graph):
    """∂L/∂out to start from: 1 for a scalar, else the user's ``gradient`` of out's shape."""
    if gradient is None:
        data = out._data
        if data.size != 1:
            raise RuntimeError(
                f"{op}: grad can be implicitly created only for scalar outputs, but the output has shape "
                f"{tuple(out.shape)}. Reduce it to a scalar first (e.g. loss.sum() or loss.mean()), or pass "
                f"gradient= (∂L/∂output) with shape {tuple(out.shape)}")
        g = np.array(1, dtype=data.dtype).reshape(data.shape)  # ∂L/∂L = 1 (np.ones is slower for one element)
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
