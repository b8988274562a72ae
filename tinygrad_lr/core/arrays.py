"""From Python data to NumPy arrays, with PyTorch's dtype defaults.  A leaf module: it imports
nothing of the package but the dtype table.

Python floats become float32, Python ints int64, Python bools bool; NumPy
arrays keep their dtype.  Tensors are unwrapped by the caller (``tensor.py``)
before they get here.
"""
import numbers

import numpy as np

from . import dtypes


def _ragged(data, depth=0):
    """Describe where a nested list stops being rectangular (None if it is)."""
    if not isinstance(data, (list, tuple)):
        return None
    lengths = [len(x) if isinstance(x, (list, tuple)) else None for x in data]
    if len(set(lengths)) > 1:
        i = next(i for i, n in enumerate(lengths) if n != lengths[0])
        what = lambda n: "a number" if n is None else f"a sequence of length {n}"  # noqa: E731
        return (f"at depth {depth + 1}, element {i} is {what(lengths[i])} but element 0 is "
                f"{what(lengths[0])}")
    for x in data:
        inner = _ragged(x, depth + 1)
        if inner:
            return inner
    return None


def to_array(data, dtype, op):
    """A new array holding ``data`` (a number, nested lists or tuples, a NumPy array), of ``dtype``
    if given; ``op`` names the caller in errors (a ragged list, a string among the numbers)."""
    dt = dtypes.to_dtype(dtype, op)
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data)
    elif isinstance(data, (numbers.Number, list, tuple)):
        try:
            arr = np.array(data)
        except ValueError:
            where = _ragged(data)
            raise ValueError(f"{op}: the nested sequence is ragged: {where}; every row must have the "
                             "same length" if where else f"{op}: could not make an array of {data!r}") from None
        if dt is None and arr.dtype == np.float64 and not _has_numpy_floats(data):
            arr = arr.astype(np.float32)  # Python floats are float32 by default, as in PyTorch
    else:
        raise TypeError(f"{op}: cannot make a tensor from {type(data).__name__}; pass a number, a (nested) "
                        "list or tuple of numbers, a NumPy array or a Tensor")
    if arr.dtype.kind not in "biuf":
        items = _flatten(data) if isinstance(data, (list, tuple)) else arr.ravel().tolist()
        bad = next((v for v in items if not isinstance(v, numbers.Number)), None)
        raise TypeError(f"{op}: data must be numbers (bool, int or float), got {bad!r} of type "
                        f"{type(bad).__name__}")
    if arr.dtype not in dtypes._NAMES:
        arr = arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64)
    return arr if dt is None else arr.astype(dt)


def _flatten(data):
    """The items of nested lists, in order (for error messages)."""
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        else:
            yield x


def _has_numpy_floats(data):
    if isinstance(data, np.floating):
        return True
    if isinstance(data, (list, tuple)):
        return any(_has_numpy_floats(x) for x in data[:1])
    return isinstance(data, np.ndarray)


def check_device(device, op):
    """``device=`` is accepted so PyTorch code runs: the CPU is the only device."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: tinygrad_lr computes with NumPy on the CPU only, so device={str(device)!r} is "
                           "not available; use device='cpu' or leave device= out")
