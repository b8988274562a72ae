"""What ``a + b``, ``a @ b``, ``x ** 2``, ``x.exp()`` and ``x.sum()`` call: the front end of the arithmetic.

Each function here checks its arguments, turns Python numbers, lists and
arrays into operands (with PyTorch's type promotion: float32 + a Python float
stays float32, int64 + float32 is float32), turns NumPy's broadcast errors into
ours, and applies a primitive of ``primitives.py``, or composes a few
(``mean`` is ``sum / n``, ``b ** x`` is ``exp(x · ln b)``).  No math of its own.
"""
import collections
import math
import warnings

import numpy as np

from . import dtypes
from .operands import _axes, _broadcast_error, _shape, normalize_dim, operand, promote
from .primitives import (Add, Amax, Amin, Cat, Clamp, Cumsum, Div, Index, LogSoftmax, Matmul, Maximum, Minimum,
                         Mul, Norm, Pow, PowTensor, Round, Softmax, Sub, Sum, Where)
from .tensor import Tensor


def binary(op, fn, a, b):
    a, b = promote(op, a, b)
    try:
        return fn.apply(a, b)
    except ValueError:
        err = _broadcast_error(op, a, b)
        if err is None:
            raise
        raise err from None


def to_float(x):
    """x itself if floating point, else x in the default dtype (float32 unless set_default_dtype says otherwise)."""
    return x if x.dtype.kind == "f" else x.to(dtypes.get_default_dtype())


def add(a, b): return binary("add", Add, a, b)
def sub(a, b): return binary("sub", Sub, a, b)
def mul(a, b): return binary("mul", Mul, a, b)
def div(a, b):
    a, b = promote("div", a, b)
    if (a if isinstance(a, Tensor) else b).dtype.kind != "f":  # int / int is float32, as in PyTorch
        a, b = (to_float(x) if isinstance(x, Tensor) else x for x in (a, b))
    return binary("div", Div, a, b)


def pow(x, exponent):
    """x ** p for a number p (Pow), or for a tensor p (PowTensor); a 0-d tensor p without grad acts as its number."""
    if isinstance(exponent, Tensor) and exponent.ndim == 0 and not exponent.requires_grad:
        exponent = exponent.item()
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if isinstance(exponent, (Tensor, np.ndarray, list, tuple)):
        return tensor_pow(x, exponent)
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
        raise TypeError(f"pow: the exponent must be a number or a tensor, got {type(exponent).__name__}")
    x = operand("pow", x)
    if x.dtype.kind != "f" and (isinstance(exponent, float) or exponent < 0):
        x = to_float(x)  # int ** 0.5 or int ** -1 are not integers
    return Pow.apply(x, exponent)


def rpow(base, x):
    """b ** x for a number b: composed as exp(x · ln b) for b > 0; PowTensor for b ≤ 0 ((−2) ** 2 = 4, 0 ** 2 = 0)."""
    if isinstance(base, np.generic):
        base = base.item()
    if not isinstance(base, (int, float)) or isinstance(base, bool):
        raise TypeError(f"pow: the base must be a number or a tensor, got {type(base).__name__}")
    if base <= 0:
        return tensor_pow(base, x)
    return (to_float(x) * math.log(base)).exp()


def tensor_pow(x, exponent):
    """x ** y for a tensor y (PowTensor, broadcasting); integers to integer powers stay integers, as in PyTorch."""
    x, y = promote("pow", x, exponent)
    if (x if isinstance(x, Tensor) else y).dtype.kind in "biu" and np.any(np.asarray(_values(y)) < 0):
        raise RuntimeError("pow: integers to negative integer powers are not allowed (the result is not an "
                           "integer); convert the base to float first, e.g. x.float() ** y")
    return binary("pow", PowTensor, x, y)


def _values(x):
    return x._data if isinstance(x, Tensor) else x


def unary(op, fn, x):
    if x._data.dtype.kind != "f" and op not in ("abs", "relu"):
        x = to_float(x)  # as in PyTorch: exp/log/... of an integer tensor is float32 (abs and relu keep it)
    return fn.apply(x)


# ---- elementwise math of the classification issue: clamp, maximum, minimum, where, round ----------
def clamp(x, min=None, max=None):  # noqa: A002  (PyTorch's names)
    """min(max(x, min), max) element-wise (Clamp); a bound may be None (none), a number or a tensor."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given (not None)")
    args = [x] + [None if b is None else operand("clamp", b) for b in (min, max)]
    dt = dtypes.result_dtype(*[_values(a) for a in args if a is not None])
    x, lo, hi = (a.to(dt) if isinstance(a, Tensor) else a for a in args)
    try:
        return Clamp.apply(x, lo, hi)
    except ValueError:
        bounds = " and ".join(f"{name} {_shape(b)}" for name, b in (("min", lo), ("max", hi)) if b is not None)
        raise ValueError(f"clamp: the shapes of input {_shape(x)} and {bounds} cannot be broadcast together") from None


def maximum(a, b): return binary("maximum", Maximum, a, b)
def minimum(a, b): return binary("minimum", Minimum, a, b)


def nonzero(x, as_tuple=False):
    """The indices of the nonzero elements, one row each: a (k, ndim) int64 tensor; with ``as_tuple``, one (k,)
    tensor per dim (a 0-d x counting as 1-d), as in PyTorch. Indices have no gradient."""
    if as_tuple:
        return tuple(Tensor._make(i) for i in np.nonzero(np.atleast_1d(_values(x))))
    return Tensor._make(np.argwhere(_values(x)))


def where(condition, input=None, other=None):  # noqa: A002
    """input where condition is True, else other (Where, broadcasting); with the condition alone, the indices
    of its True elements, one int64 tensor per dim (``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        c = np.atleast_1d(_values(condition) if isinstance(condition, Tensor) else np.asarray(condition))
        return tuple(Tensor._make(i) for i in np.nonzero(c))
    if input is None or other is None:
        raise TypeError("where: pass both input and other (or neither, for the indices of the True elements)")
    if isinstance(condition, np.ndarray) and condition.dtype == np.bool_:
        condition = Tensor._make(condition)
    if not isinstance(condition, Tensor) or condition.dtype != np.bool_:
        got = dtypes.dtype_name(condition.dtype) if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(f"where: the condition must be a bool tensor, got {got}; compare first, "
                           "e.g. where(x > 0, x, 0.0)")
    x, y = promote("where", input, other)
    try:
        return Where.apply(condition, x, y)
    except ValueError:
        raise ValueError(f"where: the shapes of condition {_shape(condition)}, input {_shape(x)} and other "
                         f"{_shape(y)} cannot be broadcast together") from None


def rounding(x, decimals=0):
    """x rounded to ``decimals`` digits, halves to even (Round); an integer tensor stays as it is."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}")
    if decimals and x.dtype.kind != "f":
        raise TypeError(f"round: decimals= needs a floating-point tensor, got {dtypes.dtype_name(x.dtype)}; "
                        "convert it first with .float()")
    return Round.apply(x, decimals=int(decimals))


def compare(op, ufunc, a, b):
    a, b = promote(op, a, b)
    da = a._data if isinstance(a, Tensor) else a
    db = b._data if isinstance(b, Tensor) else b
    try:
        result = ufunc(da, db)  # an array stays itself (a recorder's tracing array too, see capture.py)
        return Tensor._make(result if isinstance(result, np.ndarray) else np.asarray(result))
    except ValueError:
        err = _broadcast_error(op, a, b)
        if err is None:
            raise
        raise err from None


def matmul(a, b, op="matmul"):
    a, b = promote(op, a, b)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"{op}: both arguments need at least 1 dimension, got shapes "
                         f"{_shape(a)} and {_shape(b)}; use * to multiply by a scalar")
    sa, sb = _shape(a), _shape(b)
    inner_a, inner_b = sa[-1], (sb[0] if b.ndim == 1 else sb[-2])
    if inner_a != inner_b:
        hint = (" (the first operand's rows are the second's inner size: did you mean to transpose it?)"
                if a.ndim == 2 and sa[0] == inner_b else "")
        raise ValueError(f"{op}: shapes {sa} and {sb} cannot be multiplied (inner dimensions "
                         f"{inner_a} and {inner_b} differ){hint}")
    try:
        return Matmul.apply(a, b)
    except ValueError:
        raise ValueError(f"{op}: the batch dimensions of shapes {sa} and {sb} cannot be "
                         "broadcast together") from None


# ---- products: dot, mv, mm, bmm (matmul of exactly the dims each takes, as in PyTorch), outer ----
_PRODUCTS = {"dot": (1, 1, "two vectors (1-d)"), "mv": (2, 1, "a matrix (2-d) and a vector (1-d)"),
             "mm": (2, 2, "two matrices (2-d)"), "bmm": (3, 3, "two batches of matrices (3-d)")}


def product(op, a, b):
    """dot, mv, mm or bmm: matmul, once the operands have the dims the op takes (bmm: equal batch sizes)."""
    a, b = promote(op, a, b)
    nd_a, nd_b, what = _PRODUCTS[op]
    sa, sb = _shape(a), _shape(b)
    if len(sa) != nd_a or len(sb) != nd_b:
        raise ValueError(f"{op}: expects {what}, got shapes {sa} and {sb}; matmul (@) takes any of these")
    if op == "bmm" and sa[0] != sb[0]:
        raise ValueError(f"bmm: the batch sizes of shapes {sa} and {sb} differ ({sa[0]} and {sb[0]}); "
                         "bmm does not broadcast, matmul (@) does")
    return matmul(a, b, op)


def outer(a, b):
    """out[i, j] = a[i] · b[j], composed as a column times a row (broadcasting mul)."""
    a, b = promote("outer", a, b)
    if len(_shape(a)) != 1 or len(_shape(b)) != 1:
        raise ValueError(f"outer: expects two vectors (1-d), got shapes {_shape(a)} and {_shape(b)}")
    return mul(a.reshape(-1, 1), b)


# ---- reductions ---------------------------------------------------------------
def floating(op, x, dtype=None):
    """x (cast to ``dtype`` if given), refused with a TypeError unless it is floating point (mean, var, softmax ...)."""
    x = x if dtype is None else x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got {dtypes.dtype_name(x.dtype)}; "
                        "convert it first with .float()")
    return x


def reduce_sum(op, x, dim, keepdim):
    return Sum.apply(x, axis=_axes(op, dim, x.ndim), keepdims=bool(keepdim))


def mean(x, dim=None, keepdim=False):
    """mean = sum / n, n the number of elements summed (composed: its gradient is g / n)."""
    floating("mean", x)
    axes = _axes("mean", dim, x.ndim)
    n = x.numel() if axes is None else math.prod(x.shape[a] for a in axes)
    return Sum.apply(x, axis=axes, keepdims=bool(keepdim)) / n


# ---- reductions of the classification issue: max, min, argmax, amax, prod, var, std, norm, logsumexp, cumsum ----
max_result = collections.namedtuple("max", ["values", "indices"])  # torch.return_types.max: v, i = x.max(1)
min_result = collections.namedtuple("min", ["values", "indices"])
_EXTREMA = {"max": (Amax, np.argmax, Maximum, max_result), "min": (Amin, np.argmin, Minimum, min_result)}


def _nonempty(op, x, axes):
    """A max (min, argmax ...) over no elements has no value: say so (RuntimeError for all, IndexError for a dim)."""
    if axes is None and x.numel() == 0:
        raise RuntimeError(f"{op}: the tensor is empty (shape {tuple(x.shape)}), so it has no {op}; "
                           "reduce along a dim of nonzero size with dim=")
    for a in axes or ():
        if x.shape[a] == 0:
            raise IndexError(f"{op}: dim {a} of shape {tuple(x.shape)} has size 0, and a reduction over no "
                             f"elements has no {op}")


def _first_index(op, find, x, dim, keepdim):
    """The int64 array of argmax / argmin: the first largest (smallest) element's index, flat or along dim."""
    if dim is None:
        _nonempty(op, x, None)
        i = np.asarray(find(x._data), dtype=np.int64)
        return i.reshape((1,) * x.ndim) if keepdim else i
    d = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return np.zeros((), np.int64)
    _nonempty(op, x, (d,))
    return find(x._data, axis=d, keepdims=bool(keepdim)).astype(np.int64, copy=False)


def arg_extremum(op, x, dim=None, keepdim=False):
    """argmax / argmin (no gradient: an index)."""
    return Tensor._make(_first_index(op, np.argmax if op == "argmax" else np.argmin, x, dim, keepdim))


def extremum(op, x, dim=None, keepdim=False):
    """max / min, PyTorch's three in one: of all elements (Amax: ties share the gradient evenly); along dim, the
    pair (values, indices), composed as x indexed at argmax, so the gradient goes to the index returned; and,
    given a tensor, element-wise (maximum)."""
    reduction, find, elementwise, result = _EXTREMA[op]
    if isinstance(dim, Tensor):  # torch.max(a, b)
        return binary("maximum" if op == "max" else "minimum", elementwise, x, dim)
    if dim is None:
        _nonempty(op, x, None)
        return reduction.apply(x, axis=None, keepdims=False)
    i = _first_index(op, find, x, dim, keepdim)
    if x.ndim == 0:
        return result(x.reshape(()), Tensor._make(i))
    d = normalize_dim(op, dim, x.ndim)
    index = list(np.indices(i.shape, sparse=True))  # every position of the result, and i along dim
    if keepdim:
        index[d] = i
    else:
        index.insert(d, i)
    return result(Index.apply(x, index=tuple(index)), Tensor._make(i))


def amax(op, x, dim=(), keepdim=False):
    """amax / amin over dim (all dims for () or None); ties share the gradient evenly."""
    axes = None if dim is None or (isinstance(dim, (tuple, list)) and not dim) else _axes(op, dim, x.ndim)
    _nonempty(op, x, axes)
    return (Amax if op in ("amax", "max") else Amin).apply(x, axis=axes, keepdims=bool(keepdim))


def prod(x, dim=None, keepdim=False, dtype=None):
    """Π over dim (over all elements for None), composed as pairwise products that halve the dim each step.

    log₂ n Mul nodes, and the gradient Π_{j≠i} xⱼ is exact where some xᵢ = 0 (out / xᵢ would be 0 / 0), at
    every order.  Integers multiply as int64, as in PyTorch.
    """
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu":
        x = x.to(dtypes.int64)
    if dim is None:
        t, d = x.reshape(-1), 0
    else:
        d = normalize_dim("prod", dim, x.ndim)
        t = x.reshape(1) if x.ndim == 0 else x
    if t.shape[d] == 0:  # the empty product is 1 (with a gradient of zeros)
        t = t.sum(d, keepdim=True) * 0 + 1
    lead = (slice(None),) * d
    while t.shape[d] > 1:
        n, h = t.shape[d], t.shape[d] // 2
        pairs = t[lead + (slice(0, h),)] * t[lead + (slice(h, 2 * h),)]
        t = pairs if n % 2 == 0 else Cat.apply(pairs, t[lead + (slice(2 * h, n),)], axis=d)
    if dim is None or x.ndim == 0:
        return t.reshape(())
    if keepdim:
        return t.clone() if t is x else t  # a product of one factor is a new tensor all the same
    return t.reshape(x.shape[:d] + x.shape[d + 1:])


def var(x, dim=None, unbiased=None, keepdim=False, correction=None, op="var"):
    """var = Σ (x − x̄)² / (n − correction) and std = ‖x − x̄‖₂ / √(n − correction) over dim, composed.

    PyTorch's default correction=1 (unbiased=True) divides by n − 1: the unbiased estimate.  std goes through
    the 2-norm so that its gradient is 0, not NaN, where all values are equal (as PyTorch's).
    """
    if isinstance(dim, bool):  # x.var(False): the old signature's unbiased
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: pass unbiased= or correction=, not both (unbiased=False is correction=0)")
    floating(op, x)
    c = correction if correction is not None else (1 if unbiased is None else int(bool(unbiased)))
    axes = _axes(op, dim, x.ndim)
    n = x.numel() if axes is None else math.prod(x.shape[a] for a in axes)
    dof = n - c
    if dof <= 0:
        warnings.warn(f"{op}: degrees of freedom n - correction = {n} - {c} <= 0, so the result is inf or nan; "
                      "use correction=0 (the population variance) or reduce over more elements", stacklevel=3)
    centered = x - mean(x, axes, keepdim=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # dof <= 0: ·inf, as in PyTorch
        if op == "std":
            return Norm.apply(centered, p=2, axis=axes, keepdims=bool(keepdim)) * (
                1 / math.sqrt(dof) if dof > 0 else math.inf)
        square_sum = Sum.apply(centered * centered, axis=axes, keepdims=bool(keepdim))
        return square_sum / dof if dof > 0 else square_sum * math.inf


def norm(x, p="fro", dim=None, keepdim=False, dtype=None, op="norm"):
    """‖x‖ₚ over dim (all elements by default): p = 2 or 'fro' and any other p (Norm); 1 (Σ |x|, composed);
    inf / −inf (amax / amin of |x|: ties share the gradient); 0 (the number of nonzeros: no gradient)."""
    x = floating(op, x, dtype)
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        why = " (the nuclear norm needs singular values)" if p == "nuc" else ""
        raise ValueError(f"{op}: p={p!r} is not supported{why}; use a number, inf, -inf or 'fro'")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: p must be a number or 'fro', got {p!r}")
    axes, keepdim = _axes(op, dim, x.ndim), bool(keepdim)
    if math.isinf(p):
        return amax("amax" if p > 0 else "amin", abs(x), axes if axes is not None else (), keepdim)
    if p == 0:
        return Tensor._make(np.asarray((x._data != 0).sum(axis=axes, keepdims=keepdim), dtype=x.dtype))
    if p == 1:
        return Sum.apply(abs(x), axis=axes, keepdims=keepdim)
    return Norm.apply(x, p=float(p), axis=axes, keepdims=keepdim)


def logsumexp(x, dim, keepdim=False):
    """ln Σ eˣ over dim, composed as m + ln Σ e^(x − m) with m = max x held constant: the same value without
    overflow (eˣ is inf for x > 88 in float32); m drops out of the gradient, which is softmax(x)."""
    x = to_float(x)
    axes = _axes("logsumexp", dim, x.ndim)
    m = np.max(x._data, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)  # all −inf (or an inf): shift by 0 instead
    out = (x - Tensor._make(m)).exp().sum(axes, keepdim=bool(keepdim)).log()
    return out + Tensor._make(m if keepdim else np.squeeze(m, axis=axes))


def cumsum(x, dim, dtype=None):
    """Running sums along dim (Cumsum); integers sum as int64, as in PyTorch."""
    if dtype is not None:
        x = x.to(dtype)
    d = normalize_dim("cumsum", dim, x.ndim)
    if x.ndim == 0:
        return Cumsum.apply(x.reshape(1), axis=0).reshape(())
    return Cumsum.apply(x, axis=d)


# ---- softmax ------------------------------------------------------------------------------------
def softmax(op, x, dim, dtype=None):
    """softmax / log_softmax along dim (the primitives Softmax, LogSoftmax: stable for any logits)."""
    x = floating(op, x, dtype)
    fn = Softmax if op == "softmax" else LogSoftmax
    d = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return fn.apply(x.reshape(1), axis=0).reshape(())
    return fn.apply(x, axis=d)
