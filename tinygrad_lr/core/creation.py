"""Making tensors: from data (``tensor``, ``from_numpy``), filled (``zeros``, ``full``, ``arange``) or random.

Dtypes follow PyTorch: Python floats become float32, Python ints int64,
Python bools bool; NumPy arrays keep their dtype.
"""
import numbers

import numpy as np

from . import dtypes, random
from .tensor import Tensor


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


def _to_array(data, dtype, op):
    dt = dtypes.to_dtype(dtype, op)
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data)
    elif isinstance(data, (numbers.Number, list, tuple)):
        if isinstance(data, (list, tuple)):
            data = [x._data if isinstance(x, Tensor) else x for x in data]
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


def _leaf(arr, requires_grad, op="tensor"):
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False, *, device=None):
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array, a Tensor).

    Example::

        >>> tensor([[1., 2.]], requires_grad=True)
        tensor([[1., 2.]], requires_grad=True)
    """
    _check_device(device, "tensor")
    return _leaf(_to_array(data, dtype, "tensor"), requires_grad)


def from_numpy(array):
    """A tensor sharing memory with ``array`` (no copy: a ``np.memmap`` stays on disk)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    if array.dtype not in dtypes._NAMES:
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}; supported: "
                        + ", ".join(sorted(dtypes._NAMES.values())))
    return Tensor._make(array)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor``, but shares memory with a NumPy array (or a Tensor) when no conversion is needed."""
    _check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    if isinstance(data, np.ndarray) and data.dtype in dtypes._NAMES and (dtype is None or data.dtype == np.dtype(dtype)):
        return Tensor._make(data)
    return tensor(data, dtype=dtype)


def _size(size, op):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 for n in size):
        raise ValueError(f"{op}: sizes must be non-negative integers, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _check_device(device, op):
    """``device=`` is accepted so PyTorch code runs: the CPU is the only device."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: tinygrad_lr computes with NumPy on the CPU only, so device={str(device)!r} is "
                           "not available; use device='cpu' or leave device= out")


def _filled(op, size, value, dtype, requires_grad, device=None):
    _check_device(device, op)
    dt = dtypes.to_dtype(dtype, op) or dtypes._DEFAULT_FOR_PYTHON.get(type(value), dtypes.float32)
    return _leaf(np.full(_size(size, op), value, dtype=dt), requires_grad)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros, float32 unless ``dtype`` says otherwise."""
    return _filled("zeros", size, 0.0, dtype, requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _filled("ones", size, 1.0, dtype, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, *, device=None):
    """A tensor filled with one value; its dtype follows the value (1.0 → float32, 1 → int64)."""
    size = (size,) if isinstance(size, (int, np.integer)) else size
    return _filled("full", (size,), fill_value, dtype, requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    return _filled("empty", size, 0.0, dtype, requires_grad, device)


def zeros_like(t, dtype=None, requires_grad=False, *, device=None):
    return _filled("zeros_like", t.shape, 0, dtype or t.dtype, requires_grad, device)


def ones_like(t, dtype=None, requires_grad=False, *, device=None):
    return _filled("ones_like", t.shape, 1, dtype or t.dtype, requires_grad, device)


def full_like(t, fill_value, dtype=None, requires_grad=False, *, device=None):
    return _filled("full_like", t.shape, fill_value, dtype or t.dtype, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, *, device=None):
    """[start, start+step, …) up to ``end`` (excluded); int64 for integers, float32 otherwise."""
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the range from {start} to {end} with step {step} is empty in the wrong "
                         "direction; use a step of the opposite sign")
    all_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dt = dtypes.to_dtype(dtype, "arange") or (dtypes.int64 if all_int else dtypes.float32)
    return _leaf(np.arange(start, end, step).astype(dt), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, *, device=None):
    _check_device(device, "linspace")
    dt = dtypes.to_dtype(dtype, "linspace") or dtypes.float32
    return _leaf(np.linspace(start, end, steps).astype(dt), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, *, device=None):
    _check_device(device, "eye")
    return _leaf(np.eye(n, m, dtype=dtypes.to_dtype(dtype, "eye") or dtypes.float32), requires_grad)


# ---- random (all from the one seeded generator, see random.py) ----------------
def randn(*size, dtype=None, requires_grad=False, generator=None, device=None):
    """Samples of the standard normal N(0, 1)."""
    _check_device(device, "randn")
    return _leaf(random._normal_array(0.0, 1.0, _size(size, "randn"), dtype, generator), requires_grad)


def rand(*size, dtype=None, requires_grad=False, generator=None, device=None):
    """Samples of the uniform U(0, 1)."""
    _check_device(device, "rand")
    return _leaf(random._uniform_array(0.0, 1.0, _size(size, "rand"), dtype, generator), requires_grad)


def normal(mean, std, size=None, *, dtype=None, requires_grad=False, generator=None, device=None):
    """Samples of N(mean, std²): ``normal(0, 0.01, (1000, 2))``.

    ``mean`` and ``std`` may also be tensors (element-wise parameters; then ``size`` is their shape).
    """
    _check_device(device, "normal")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = dtype or next(t.dtype for t in (mean, std) if isinstance(t, Tensor))
        z = random._normal_array(0.0, 1.0, shape, dt, generator)
        if np.any(np.asarray(s) < 0):
            raise ValueError("normal: std must be >= 0")
        return _leaf((z * s + m).astype(dt), requires_grad)
    if size is None:
        raise TypeError("normal: with numbers for mean and std, pass size, e.g. normal(0, 1, (3, 2))")
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return _leaf(random._normal_array(mean, std, _size(size, "normal"), dtype, generator), requires_grad)


def randint(low, high=None, size=None, *, dtype=None, generator=None, device=None):
    """Integers uniformly from [low, high)."""
    _check_device(device, "randint")
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: pass size, e.g. randint(0, 10, (3,))")
    if low >= high:
        raise ValueError(f"randint: low ({low}) must be smaller than high ({high})")
    size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    dt = dtypes.to_dtype(dtype, "randint") or dtypes.int64
    return Tensor._make(random._rng(generator).integers(low, high, size).astype(dt))


def randperm(n, *, dtype=None, generator=None, device=None):
    """A random permutation of 0 … n−1."""
    _check_device(device, "randperm")
    dt = dtypes.to_dtype(dtype, "randperm") or dtypes.int64
    return Tensor._make(random._rng(generator).permutation(n).astype(dt))
