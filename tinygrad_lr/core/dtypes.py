"""Data types and PyTorch's type-promotion rule, on top of NumPy dtypes.

A tinygrad_lr dtype *is* a NumPy dtype (``tinygrad_lr.float32 == np.float32``),
so arrays and tensors agree on what they hold.  What differs from NumPy is how
two operands are combined; PyTorch's rule is followed:

1. The result's *category* is the highest one present: bool < integer < float.
2. Operands come in three tiers: tensors with at least one dimension, 0-d
   tensors, and Python numbers.  The result dtype is decided by the highest
   tier that holds an operand of that category; a Python number alone only
   sets the category and then gets the default dtype (float32, int64, bool).

So ``float32_tensor * 2.5`` stays float32, ``int_tensor * 2.5`` is float32
(NumPy would say float64), and ``float32_tensor + float64_tensor`` is float64.
"""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_NAMES = {float32: "float32", float64: "float64", float16: "float16",
          int64: "int64", int32: "int32", int16: "int16", int8: "int8",
          uint8: "uint8", bool_: "bool"}

# The dtype a Python number gets when nothing else decides; the entry for float is
# torch.get_default_dtype(), changed in place by set_default_dtype.
_DEFAULT_FOR_PYTHON = {bool: bool_, int: int64, float: float32}

# t.type() names the dtype as PyTorch's legacy tensor types do ('torch.FloatTensor')
_TYPE_NAMES = {float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor", int64: "LongTensor",
               int32: "IntTensor", int16: "ShortTensor", int8: "CharTensor", uint8: "ByteTensor",
               bool_: "BoolTensor"}


def get_default_dtype():
    """The dtype of Python floats and of ``zeros``, ``randn``, ``arange(0.5)``... without ``dtype=``: float32."""
    return _DEFAULT_FOR_PYTHON[float]


def set_default_dtype(d):
    """Make ``d`` (float32 or float64) the dtype Python floats and the creation functions default to."""
    dt = to_dtype(d, "set_default_dtype")
    if dt not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 can be the default type, "
                        f"got {dtype_name(dt)}")
    _DEFAULT_FOR_PYTHON[float] = dt


def type_name(dtype):
    """'torch.FloatTensor' for float32: what ``t.type()`` returns."""
    return "torch." + _TYPE_NAMES[np.dtype(dtype)]


def from_type_name(name, op):
    """float32 for 'torch.FloatTensor' (or 'FloatTensor'): the dtype that ``t.type(name)`` converts to."""
    short = name[len("torch."):] if name.startswith("torch.") else name
    found = [dt for dt, n in _TYPE_NAMES.items() if n == short]
    if not found:
        raise ValueError(f"{op}: invalid type {name!r}; use a dtype (tinygrad_lr.float64) or a type name "
                         "such as 'torch.DoubleTensor'")
    return found[0]


def dtype_name(dtype):
    """'float32' for float32: the name a user writes after ``tinygrad_lr.``."""
    return _NAMES.get(np.dtype(dtype), str(dtype))


def is_floating(dtype):
    return np.dtype(dtype).kind == "f"


def _category(dtype):
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(np.dtype(dtype).kind, 3)


def to_dtype(dtype, op="tensor"):
    """Turn what a user passes as ``dtype=`` (None, np dtype, 'float64', float) into a dtype."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: dtype={dtype!r} is not a data type; "
                        f"use e.g. tinygrad_lr.float32 or tinygrad_lr.float64") from None
    if dt not in _NAMES:
        raise TypeError(f"{op}: dtype {dt} is not supported; supported: "
                        + ", ".join(sorted(_NAMES.values())))
    return dt


def result_dtype(*operands):
    """The dtype of a binary op's result, by PyTorch's promotion rule (see module doc).

    Each operand is an ``np.ndarray`` (a tensor's data) or a Python number.
    """
    tiers = ([], [], [])  # dimensioned arrays, 0-d arrays, Python numbers
    for x in operands:
        if isinstance(x, np.ndarray):
            tiers[0 if x.ndim else 1].append(x.dtype)
        else:
            tiers[2].append(_DEFAULT_FOR_PYTHON[type(x) if type(x) in _DEFAULT_FOR_PYTHON else float])
    top = max(_category(d) for tier in tiers for d in tier)
    for tier in tiers:
        same = [d for d in tier if _category(d) == top]
        if same:
            return np.result_type(*same)
    raise AssertionError("unreachable: some operand has the top category")
