"""Arguments into operands: the checks every front-end function starts with.

- ``operand``: a Tensor, or a Python number kept as a number (so float32 + 0.5 stays float32);
  lists and arrays become tensors;
- ``promote``: both operands in the result dtype of PyTorch's promotion rule;
- ``normalize_dim``: a dim in range(ndim) from a possibly negative one.

Each names the op and the bad value in its error.
"""
import numpy as np

from . import dtypes
from .tensor import Tensor, array_from


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
