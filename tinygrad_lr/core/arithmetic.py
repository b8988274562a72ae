"""What ``a + b``, ``a @ b``, ``x ** 2``, ``x.exp()`` and ``x.sum()`` call: the front end of the arithmetic.

Each function here checks its arguments, turns Python numbers, lists and
arrays into operands (with PyTorch's type promotion: float32 + a Python float
stays float32, int64 + float32 is float32), turns NumPy's broadcast errors into
ours, and applies a primitive of ``primitives.py``, or composes a few
(``mean`` is ``sum / n``, ``b ** x`` is ``exp(x · ln b)``).  No math of its own.
"""
import math

import numpy as np

from . import dtypes
from .operands import _axes, _broadcast_error, _shape, operand, promote
from .primitives import Add, Div, Matmul, Mul, Pow, Sub, Sum
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


# ---- reductions ---------------------------------------------------------------
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
