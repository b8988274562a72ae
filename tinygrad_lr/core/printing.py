"""``repr`` of a tensor in PyTorch's style: ``tensor([[1., 2.]], requires_grad=True)``."""
import numpy as np

from . import dtypes



def _float_formatter(arr):
    """PyTorch's choice: whole numbers as "1.", a wide range in scientific notation, else 4 decimals."""
    finite = arr[np.isfinite(arr)]
    nonzero = np.abs(finite[finite != 0])
    wide = nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8)
    if np.all(finite == np.round(finite)) and not wide:
        fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)  # noqa: E731  integers: "1."
    elif wide or (nonzero.size and nonzero.min() < 1e-4):
        fmt = lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)   # noqa: E731
    else:
        fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)   # noqa: E731
    return fmt


def _body(arr):
    summarize = arr.size > 1000  # a long tensor prints (and is judged by) its first and last 3 rows
    shown = _edges(arr) if summarize else arr
    if arr.dtype.kind == "f":
        fmt = _float_formatter(shown.astype(np.float64))
        flat = shown.ravel()
        sized = flat[np.isfinite(flat) & (flat != 0)]  # as PyTorch: columns as wide as the nonzero numbers
    else:
        fmt = str if arr.dtype.kind == "b" else lambda v: str(int(v))  # noqa: E731
        sized = shown.ravel()
    width = max((len(fmt(v)) for v in sized), default=1)
    return _nested(arr, len("tensor("), lambda v: fmt(v).rjust(width), width, summarize)


def _nested(arr, indent, fmt, width, summarize):
    """One level of brackets; the levels below are indented under it, separated by ndim − 1 blank lines."""
    if arr.ndim == 0:
        return fmt(arr.item())
    n = arr.shape[0]
    rows = [0, 1, 2, None, n - 3, n - 2, n - 1] if summarize and n > 6 else range(n)  # None: the gap
    if arr.ndim == 1:
        items = [" ..." if i is None else fmt(arr[i]) for i in rows]
        per_line = max(1, (80 - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if i is None else _nested(arr[i], indent + 1, fmt, width, summarize) for i in rows]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _edges(arr):
    for axis in range(arr.ndim):
        if arr.shape[axis] > 6:
            arr = np.concatenate([arr.take(range(3), axis), arr.take(range(-3, 0), axis)], axis)
    return arr


def tensor_repr(t):
    arr = t._data
    body = "[]" if arr.size == 0 else _body(arr)
    extra = []
    if arr.size == 0 and arr.shape != (0,):
        extra.append(f"size={tuple(arr.shape)}")
    default = dtypes.get_default_dtype()  # PyTorch names the dtype only when it is not a default one
    if arr.dtype not in (default, dtypes.int64, dtypes.bool_) or arr.size == 0 and arr.dtype != default:
        extra.append(f"dtype=tinygrad_lr.{dtypes.dtype_name(arr.dtype)}")
    if t.grad_fn is not None:
        extra.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extra.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extra) + ")"
