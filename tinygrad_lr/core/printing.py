"""``repr`` of a tensor in PyTorch's style: ``tensor([[1., 2.]], requires_grad=True)``."""
import numpy as np

from . import dtypes

_DEFAULT_DTYPES = (dtypes.float32, dtypes.int64, dtypes.bool_)


def _float_formatter(arr):
    finite = arr[np.isfinite(arr)]
    nonzero = np.abs(finite[finite != 0])
    if finite.size and np.all(finite == np.round(finite)) and (not nonzero.size or nonzero.max() < 1e8):
        fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)  # noqa: E731  integers: "1."
    elif nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        fmt = lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)   # noqa: E731
    else:
        fmt = lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)   # noqa: E731
    return fmt


def _body(arr):
    if arr.dtype.kind == "f":
        fmt = _float_formatter(arr.astype(np.float64))
    elif arr.dtype.kind == "b":
        fmt = str
    else:
        fmt = lambda v: str(int(v))  # noqa: E731
    shown = arr if arr.size <= 1000 else _edges(arr)
    width = max((len(fmt(v)) for v in np.ravel(shown)), default=0)
    return np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                           max_line_width=80, formatter={"all": lambda v: fmt(v).rjust(width)})


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
    if arr.dtype not in _DEFAULT_DTYPES:
        extra.append(f"dtype=tinygrad_lr.{dtypes.dtype_name(arr.dtype)}")
    if t.grad_fn is not None:
        extra.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extra.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extra) + ")"
