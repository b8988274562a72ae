"""The front end of shapes: dims, ``reshape``/``view``, ``transpose``, ``expand``, ``cat`` and ``stack``.

Each checks sizes and dims (negative dims count from the end, as in PyTorch)
and names the problem in its error, then applies one primitive of
``primitives.py``.
"""
import math
import operator

import numpy as np

from . import dtypes
from .operands import normalize_dim, operand
from .primitives import Cat, Expand, Reshape, Stack, Transpose
from .tensor import Tensor


def reshape(op, x, shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        shape = tuple(operator.index(n) for n in shape)  # int(2.5) would quietly be 2
    except TypeError:
        raise TypeError(f"{op}: the shape must be integers, got {shape!r}") from None
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        raise ValueError(f"{op}: invalid shape {shape}: sizes must be >= 0, and at most one may be -1")
    known = math.prod(n for n in shape if n != -1)
    if (-1 in shape and (known == 0 or x.numel() % known)) or (-1 not in shape and known != x.numel()):
        raise ValueError(f"{op}: cannot reshape a tensor of shape {tuple(x.shape)} ({x.numel()} elements) "
                         f"into shape {shape}")
    return Reshape.apply(x, shape=shape)


def transpose(x, dim0, dim1):
    d0, d1 = normalize_dim("transpose", dim0, x.ndim), normalize_dim("transpose", dim1, x.ndim)
    if x.ndim < 2 or d0 == d1:
        return Reshape.apply(x, shape=x.shape)  # nothing to swap, but still a new tensor (a view in PyTorch)
    return Transpose.apply(x, dim0=d0, dim1=d1)


def expand(x, sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if lead < 0 or any(n < 0 for n in shape) or not all(
            m in (1, n) for m, n in zip(x.shape, shape[lead:])):
        raise ValueError(f"expand: a tensor of shape {tuple(x.shape)} cannot be expanded to {tuple(sizes)}; "
                         "only dimensions of size 1 can grow")
    return Expand.apply(x, shape=shape)


# ---- joining -----------------------------------------------------------------
def _join(op, fn, tensors, dim, new_axis):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{op}: expects a non-empty list or tuple of tensors")
    ts = [operand(op, t) for t in tensors]
    ts = [t if isinstance(t, Tensor) else Tensor._make(np.asarray(t, dtype=dtypes.result_dtype(t)))
          for t in ts]
    dt = dtypes.result_dtype(*[t._data for t in ts])
    ts = [t.to(dt) for t in ts]
    ndim = ts[0].ndim + new_axis
    if not new_axis and ts[0].ndim == 0:
        raise ValueError(f"{op}: zero-dimensional tensors cannot be concatenated; use stack")
    axis = normalize_dim(op, dim, ndim)
    for i, t in enumerate(ts[1:], 1):
        a, b = list(ts[0].shape), list(t.shape)
        if not new_axis and len(a) == len(b):
            a[axis] = b[axis] = None
        if a != b:
            need = "the same shape" if new_axis else f"the same shape except in dim {axis}"
            raise ValueError(f"{op}: expects tensors of {need}, but tensor 0 has shape "
                             f"{tuple(ts[0].shape)} and tensor {i} has shape {tuple(t.shape)}")
    return fn.apply(*ts, axis=axis)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    return _join("cat", Cat, tensors, dim, new_axis=False)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    return _join("stack", Stack, tensors, dim, new_axis=True)
