"""Python's operators on tensors — ``+ − × ÷ ** @`` — and ``sum``/``mean``: what ``a + b`` calls.

Each operator turns its arguments into operands (``operand``: Python numbers stay numbers, so float32 + 0.5
stays float32; lists and arrays become tensors), brings them to one dtype by PyTorch's promotion rule
(``promote``: int64 + float32 is float32, int / int is float32), applies one primitive
(``primitives/``), and turns NumPy's broadcast errors into ours, naming both shapes.  No math of its own.

These are the operations the lecture notes write (ŷ = Xw + b, ℓ = 1/(2n)·Σ(ŷ − y)²): with them and
``backward``, the core alone trains linear regression.  The rest of the surface (``exp``, ``max``,
indexing, ...) is in ``tinygrad_lr/ops/`` and builds on these.
"""
import math

import numpy as np

from . import dtypes
from .primitives import Add, Div, Matmul, Mul, Pow, PowTensor, Sub, Sum
from .tensor import Tensor, array_from


def shape_of(t):
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
        return Tensor._make(x if isinstance(x, np.ndarray) and x.dtype in dtypes._NAMES
                            else array_from(x, None, op))
    raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}; expected a Tensor, "
                    "a NumPy array or a Python number")


def _needs_promotion(a, b):
    """False in the common cases: two tensors of one dtype, or a float tensor and a Python number.

    Speed only: ``promote`` gives the same answer for those, after more work.
    """
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return a._data.dtype != b._data.dtype
        return not (type(b) in (int, float) and a._data.dtype.kind == "f")
    return not (isinstance(b, Tensor) and type(a) in (int, float) and b._data.dtype.kind == "f")


def for_promotion(x):
    """What PyTorch's promotion rule looks at in an operand: a tensor's array (its dtype, and whether it is 0-d),
    or a number.  Inside vmap a batched tensor whose samples are 0-d has a dimensioned array (the batch dim):
    the rule goes by the sample, so it sees a 0-d array of that dtype (float32 · a 0-d float64 stays float32)."""
    if not isinstance(x, Tensor):
        return x
    return x._data if x.ndim or not x._data.ndim else np.empty((), x._data.dtype)


def promote(op, a, b):
    """Both operands, converted to the result dtype of PyTorch's promotion rule."""
    if not _needs_promotion(a, b):
        return a, b
    a, b = operand(op, a), operand(op, b)  # arrays and lists become tensors, NumPy scalars numbers
    if not _needs_promotion(a, b):
        return a, b
    dt = dtypes.result_dtype(for_promotion(a), for_promotion(b))
    if isinstance(a, Tensor) and a.dtype != dt:
        a = a.to(dt)
    if isinstance(b, Tensor) and b.dtype != dt:
        b = b.to(dt)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._make(np.asarray(a, dtype=dt))
    return a, b


def broadcast_error(op, a, b):
    sa, sb = shape_of(a), shape_of(b)
    for i in range(1, min(len(sa), len(sb)) + 1):
        if sa[-i] != sb[-i] and 1 not in (sa[-i], sb[-i]):
            return ValueError(
                f"{op}: shapes {sa} and {sb} cannot be broadcast together (dimension {-i}: "
                f"{sa[-i]} vs {sb[-i]}); sizes must match or be 1 when aligned from the right. "
                "Reshape one operand (e.g. y.reshape(-1, 1) or y.reshape(-1)) so they agree")
    return None


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


def axes_of(op, dim, ndim):
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = tuple(sorted({normalize_dim(op, d, ndim) for d in dims}))
    if len(axes) != len(dims):
        raise ValueError(f"{op}: dim {tuple(dims)} names the same dimension twice")
    return tuple(a for a in axes if a < ndim)  # a 0-d tensor's dim 0 sums over nothing


# ---- the operators: + − × ÷ ** @ and the sums the notes use -------------------------------------------
def binary(op, fn, a, b):
    a, b = promote(op, a, b)
    try:
        return fn.apply(a, b)
    except ValueError:
        err = broadcast_error(op, a, b)
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
    if isinstance(exponent, Tensor) and exponent.ndim == 0 and not exponent.requires_grad and not exponent._levels:
        exponent = exponent.item()  # (not for a batched exponent: one number per sample, see batching.py)
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
    if (x if isinstance(x, Tensor) else y).dtype.kind in "biu" and np.any(np.asarray(values_of(y)) < 0):
        raise RuntimeError("pow: integers to negative integer powers are not allowed (the result is not an "
                           "integer); convert the base to float first, e.g. x.float() ** y")
    return binary("pow", PowTensor, x, y)


def values_of(x):
    return x._data if isinstance(x, Tensor) else x


def matmul(a, b, op="matmul"):
    a, b = promote(op, a, b)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"{op}: both arguments need at least 1 dimension, got shapes "
                         f"{shape_of(a)} and {shape_of(b)}; use * to multiply by a scalar")
    sa, sb = shape_of(a), shape_of(b)
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


def floating(op, x, dtype=None):
    """x (cast to ``dtype`` if given), refused with a TypeError unless it is floating point (mean, var, softmax ...)."""
    x = x if dtype is None else x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got {dtypes.dtype_name(x.dtype)}; "
                        "convert it first with .float()")
    return x


def reduce_sum(op, x, dim, keepdim):
    return Sum.apply(x, axis=axes_of(op, dim, x.ndim), keepdims=bool(keepdim))


def mean(x, dim=None, keepdim=False):
    """mean = sum / n, n the number of elements summed (composed: its gradient is g / n)."""
    floating("mean", x)
    axes = axes_of("mean", dim, x.ndim)
    n = x.numel() if axes is None else math.prod(x.shape[a] for a in axes)
    return Sum.apply(x, axis=axes, keepdims=bool(keepdim)) / n
