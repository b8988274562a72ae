"""Dropout as functions: ``dropout`` (elements) and ``dropout2d`` (whole channels of feature maps).

Both multiply by a mask drawn from the seeded generator and scaled by 1/(1 − p), so E[h'] = h; the
backward is the same product (one Mul).
"""
import warnings

import numpy as np

from ..core import batching, dtypes, internal
from ..ops.creation import rand
from .arguments import check_p, check_tensor


def dropout(input, p=0.5, training=True, inplace=False):
    """h' = h · m / (1 − p) with m ~ Bernoulli(1 − p) element-wise in training; h itself otherwise.

    Each element is zeroed with probability p and the others are scaled by 1/(1 − p), so the
    expected value is unchanged: E[h'] = h.  The mask comes from the seeded generator
    (``tinygrad_lr.manual_seed``); p = 1 zeroes everything.  ∂L/∂h = g · m / (1 − p).
    ``inplace`` is accepted; the result is always a new tensor.
    """
    check_p(p)
    check_tensor("dropout", input)
    if not training or p == 0 or input.numel() == 0:
        return input
    dt = input.dtype if input.dtype.kind == "f" else dtypes.float32
    u = rand(*input.shape, dtype=dtypes.float64)  # (inside vmap: a draw per sample, if vmap's randomness says so)
    keep = internal.values(u) >= p  # P(keep) = 1 − p
    mask = np.zeros(keep.shape, dt) if p == 1 else (keep / (1 - p)).astype(dt)
    return input * batching.like(u, mask)  # one Mul: its backward is g · mask


def dropout2d(input, p=0.5, training=True, inplace=False, *, _op="dropout2d"):
    """h'[n, c] = h[n, c] · m[n, c] / (1 − p), one m ~ Bernoulli(1 − p) per (sample, channel), in training.

    Channel dropout for convolutional feature maps: the mask has shape (N, C, 1, 1) for (N, C, H, W) and
    is broadcast over the map, so a channel is kept or zeroed as a whole.  ∂L/∂h = g · m / (1 − p) (one
    Mul, whose backward broadcasts the mask again).  A 3-d input is (N, C, L), as in PyTorch, with its
    warning.  ``inplace`` is accepted; the result is always a new tensor.
    """
    check_p(p)
    check_tensor(_op, input)
    if not training or p == 0 or input.numel() == 0:
        return input
    if input.ndim < 2:
        raise ValueError(f"{_op}: feature dropout needs at least 2 dims (N, C, ...), got shape "
                         f"{tuple(input.shape)}; use nn.Dropout to drop single elements")
    if input.ndim == 3:
        warnings.warn(f"{_op} got a 3-d input: like PyTorch it takes it as (N, C, L) and drops each channel's "
                      "L values together (1-d channel dropout), not as one unbatched image (C, H, W); for an "
                      "image use x.unsqueeze(0)", UserWarning, stacklevel=3)
    elif input.ndim != 4:
        warnings.warn(f"{_op} got a {input.ndim}-d input: it drops channels of 4-d inputs (N, C, H, W); "
                      "for other shapes use nn.Dropout", UserWarning, stacklevel=3)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    dt = input.dtype if input.dtype.kind == "f" else dtypes.float32
    u = rand(*shape, dtype=dtypes.float64)
    keep = internal.values(u) >= p  # P(keep) = 1 − p
    mask = np.zeros(keep.shape, dt) if p == 1 else (keep / (1 - p)).astype(dt)
    return input * batching.like(u, mask)
