"""From Python data to NumPy arrays, with PyTorch's dtype defaults; and the two small types PyTorch
code passes around with them, ``Size`` (a shape) and ``device``.  A leaf module: it imports nothing
of the package but the dtype table.

Python floats become the default dtype (float32 unless ``set_default_dtype`` says otherwise),
Python ints int64, Python bools bool; NumPy arrays keep their dtype.  Tensors are unwrapped by the
caller (``tensor.py``) before they get here.
"""
import math
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
        default = dtypes.get_default_dtype()
        if dt is None and arr.dtype == np.float64 and default != np.float64 and not _has_numpy_floats(data):
            arr = arr.astype(default)  # Python floats get the default dtype (float32), as in PyTorch
    else:
        raise TypeError(f"{op}: cannot make a tensor from {type(data).__name__}; pass a number, a (nested) "
                        "list or tuple of numbers, a NumPy array or a Tensor")
    if arr.dtype.kind not in "biuf":
        raise TypeError(_not_numbers(data, arr, op))
    if arr.dtype not in dtypes._NAMES:
        arr = arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64)
    return arr if dt is None else arr.astype(dt)


def _not_numbers(data, arr, op):
    """The message for data that is not bool, int or float numbers: it names the dtype or the first bad item."""
    if arr.dtype.kind == "c":
        return (f"{op}: {arr.dtype} is not supported: tensors hold bool, int or float numbers, not complex ones; "
                "make one tensor of the .real part and one of the .imag part (or take abs())")
    for item in _flatten(data) if isinstance(data, (list, tuple)) else arr.ravel().tolist():
        if not isinstance(item, _REAL):
            return f"{op}: data must be numbers (bool, int or float), got {item!r} of type {type(item).__name__}"
        if isinstance(item, int) and not -2 ** 63 <= item < 2 ** 63:   # NumPy keeps it as an object
            return f"{op}: the integer {item} does not fit in int64 (-2**63 to 2**63 - 1); write it as a float"
    # numbers all, in an array of another dtype (object): say what to convert
    return f"{op}: a NumPy array of dtype {arr.dtype} is not supported; convert it first, e.g. arr.astype(np.float32)"


_REAL = (bool, int, float, np.bool_, np.integer, np.floating)   # what a tensor can hold


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


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple of ints that prints as ``torch.Size([2, 3])``.

    It *is* a tuple: ``t.shape == (2, 3)``, ``t.shape[0]``, ``n, d = t.shape`` and hashing work as
    for the plain tuple.  ``numel()`` is the number of elements, the product of the sizes.
    """
    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def numel(self):
        """The number of elements of a tensor of this shape: n₁·n₂·…  (1 for ``Size([])``)."""
        return math.prod(self)


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")  # the names PyTorch code writes; only 'cpu' computes


class device(str):  # noqa: N801  (torch.device)
    """Where a tensor lives, as ``torch.device``: ``device('cpu')``, ``device('cuda', 0)``, ``device('cuda:0')``.

    It is the device's name as a ``str`` (``'cpu'``, ``'cuda:0'``), so every ``device=`` and ``.to(...)``
    that accepts ``'cpu'`` accepts it, and ``device('cpu') == 'cpu'``.  ``type`` is the kind of
    device, ``index`` its number (None if not given).  Any device can be named (PyTorch code writes
    ``device('cuda' if cuda.is_available() else 'cpu')``); only the CPU can be used.
    """

    def __new__(cls, type, index=None):  # noqa: A002  (PyTorch's parameter name)
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a device name such as 'cpu' or 'cuda:0', got {type!r}")
        kind, colon, number = type.partition(":")
        if kind not in _DEVICE_TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(_DEVICE_TYPES)} at the start of the "
                               f"device string, got {type!r}; tinygrad_lr computes on 'cpu'")
        if colon and (not number.isdigit() or index is not None):
            raise RuntimeError(f"device: invalid device string {type!r}; write e.g. 'cuda:0' or device('cuda', 0)")
        if colon:
            index = int(number)
        if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
            raise RuntimeError(f"device: the index must be a non-negative integer, got {index!r}")
        self = super().__new__(cls, kind if index is None else f"{kind}:{index}")
        self.type, self.index = kind, index
        return self

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"


def check_device(device, op):
    """``device=`` is accepted so PyTorch code runs: the CPU is the only device (a name or a ``device``)."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: tinygrad_lr computes with NumPy on the CPU only, so device={str(device)!r} is "
                           "not available; use device='cpu' or leave device= out")
