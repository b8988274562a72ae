"""The ops that change an image's size: ``F.pad`` and ``F.interpolate``.

``pad`` adds (or, with negative amounts, cuts) rows and columns around the last dims:

    constant:   the value (0 by default)             [1 2 3] padded by 2 → [0 0 1 2 3 0 0]
    reflect:    the input mirrored, edge not repeated                    → [3 2 1 2 3 2 1]
    replicate:  the edge value repeated                                  → [1 1 1 2 3 3 3]
    circular:   the input wrapped around                                 → [2 3 1 2 3 1 2]

Constant padding is a ``Function`` whose adjoint is itself with the amounts negated (padding by p is
undone, for the gradient, by cutting p).  The other modes read each output element from one input
element: they are an index (``x[..., idx]``, one per padded dim), whose gradient adds back.

``interpolate`` resizes: 'nearest' reads the nearest input element (an index again); 'linear',
'bilinear' and 'trilinear' mix the two nearest along each dim, one dim at a time, which is a matrix
product with a constant (out, in) matrix M whose rows hold the two weights 1 − λ and λ; 'area' is
``adaptive_avg_pool``.  The source coordinate of output element i is PyTorch's:

    align_corners=False:  (i + ½)·scale − ½  (at least 0)      scale = in/out, or 1/scale_factor
    align_corners=True:   i·(in − 1)/(out − 1)                 (the corners' centres line up)

Banners: pad; interpolate.
"""
import functools
import math

import numpy as np

from ..core import batching, internal
from ..core.function import Function
from .arguments import check_tensor


# ============================================================================
# pad
# ============================================================================
class Pad(Function):
    """out = x with ``pads`` ((before, after) per dim) rows of ``value`` added, or cut where negative

    ∂L/∂x = Pad(g, −pads): the gradient of the added elements is dropped, that of the cut ones is 0.
    vmap: nothing added or cut along the batch dims.
    """
    @staticmethod
    def batch_rule(cls, args, kwargs):
        x = args[0]
        pads = ((0, 0),) * len(x._levels) + tuple(kwargs["pads"])
        return batching.tag(batching.run(cls, x, pads=pads, value=kwargs["value"]), x._levels)

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        cut = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, pads))
        return np.pad(x[cut], [(max(lo, 0), max(hi, 0)) for lo, hi in pads], constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return Pad.compute(g, pads=tuple((-lo, -hi) for lo, hi in ctx.pads), value=0)


def _source_index(n, lo, hi, mode):
    """For each output position along a dim of size n padded by (lo, hi): the input position it reads.

    A negative amount first cuts the input (as PyTorch), and the rest is padded from what is left:
    positions j = −lo … m + hi − 1 of the m kept elements, mapped into 0 … m − 1."""
    start = max(-lo, 0)
    m = n - start - max(-hi, 0)
    j = np.arange(-max(lo, 0), m + max(hi, 0))
    if mode == "reflect":
        j = np.where(j < 0, -j, np.where(j >= m, 2 * (m - 1) - j, j))
    elif mode == "replicate":
        j = np.clip(j, 0, m - 1)
    else:  # circular
        j = j % m
    return start + j


def _pad_amounts(op, input, pad):
    if not isinstance(pad, (tuple, list)) or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool)
                                                     for p in pad):
        raise TypeError(f"{op}: pad must be a tuple of ints (left, right, top, bottom, ...), got {pad!r}")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise ValueError(f"{op}: Padding length must be divisible by 2, got pad={tuple(pad)}: give a (before, after) "
                         "pair for each dim, last dim first")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"{op}: Padding length should be less than or equal to two times the input dimension but got "
                         f"padding length {len(pad)} and input of dimension {input.ndim}")
    k = len(pad) // 2  # pad lists the last dim first: (left, right, top, bottom, ...)
    return [(0, 0)] * (input.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))]


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)/2 dims of ``input``; ``pad`` = (left, right, top, bottom, front, back), the last
    dim first, as in PyTorch.

    - mode='constant': with ``value`` (0 if None); a negative amount cuts that many elements;
    - mode='reflect' (amount < size), 'replicate', 'circular' (amount ≤ size): for the last 1, 2 or 3 dims
      of a (batched or unbatched) input, e.g. pad of length 4 on (N, C, H, W) or (C, H, W).

    ∂L/∂x: the gradient of every output element goes to the input element it came from (summed).
    """
    op = "pad"
    check_tensor(op, input)
    pads = _pad_amounts(op, input, pad)
    for d, (n, (lo, hi)) in enumerate(zip(input.shape, pads)):
        if n + lo + hi < 0:
            raise ValueError(f"{op}: The input size {n}, plus negative padding {lo} and {hi} resulted in a negative "
                             f"output size, which is invalid. Check dimension {d} of your input.")
    if mode == "constant":
        return Pad.apply(input, pads=tuple(pads), value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"{op}: Unrecognised padding mode {mode!r}; use 'constant', 'reflect', 'replicate' or "
                         "'circular'")
    if value is not None and value != 0:
        raise ValueError(f"{op}: Padding mode {mode!r} doesn't take in value argument (value={value}); the values "
                         "come from the input: drop value, or use mode='constant'")
    k = len(pad) // 2
    if not 1 <= k <= 3 or input.ndim not in (k + 1, k + 2):
        raise ValueError(f"{op}: Padding size {len(pad)} is not supported for {input.ndim}D input tensor with "
                         f"mode {mode!r}: it pads the last {k} dim(s) of an input with {k + 1} (unbatched) or "
                         f"{k + 2} (batched) dims")
    x = input
    for d in range(input.ndim - k, input.ndim):
        n, (lo, hi) = input.shape[d], pads[d]
        if mode == "reflect" and max(lo, hi) >= n or mode == "circular" and max(lo, hi) > n:
            limit = "less than" if mode == "reflect" else "at most"
            raise ValueError(f"{op}: Padding size should be {limit} the corresponding input dimension for mode "
                             f"{mode!r}, but got: padding ({lo}, {hi}) at dimension {d} of input "
                             f"{list(input.shape)}; use mode='replicate', or pad less")
        x = x[(slice(None),) * d + (_source_index(n, lo, hi, mode),)]
    return x


# ============================================================================
# interpolate
# ============================================================================
_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _nearest_index(n, out, scale, exact, two_d):
    """PyTorch's nearest source index, computed in float32 as PyTorch does: ⌊i·scale⌋ (or ⌊(i + ½)·scale⌋),
    at most n − 1.

    PyTorch's 2-d 'nearest' (not its 1-d and 3-d) maps out = n and out = 2n exactly, whatever the scale_factor."""
    if two_d and not exact and out in (n, 2 * n):
        return np.arange(out) * n // out
    s = np.float32(1 / scale) if scale else np.float32(n) / np.float32(out)
    i = np.arange(out, dtype=np.float32)
    src = np.floor((i + np.float32(0.5)) * s if exact else i * s).astype(np.int64)
    return np.minimum(src, n - 1)


def _linear_matrix(n, out, scale, align_corners, dtype):
    """M (out, n): row i holds the weights 1 − λ and λ of the two input elements around output i's source."""
    return internal.wrap(_linear_array(n, out, scale, align_corners, np.dtype(dtype)))


@functools.lru_cache(maxsize=64)
def _linear_array(n, out, scale, align_corners, dtype):
    """``_linear_matrix``'s array, made once per arguments and read-only: every call uses the same array,
    which a compiled step (``tinygrad_lr.compile``) then sees as one constant, not a new array each call."""
    i = np.arange(out, dtype=np.float64)
    if align_corners:
        src = i * ((n - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        s = 1 / scale if scale else n / out
        src = np.maximum((i + 0.5) * s - 0.5, 0)
    left = np.minimum(np.floor(src).astype(np.int64), n - 1)
    right = np.minimum(left + 1, n - 1)
    lam = src - left
    m = np.zeros((out, n))
    np.add.at(m, (np.arange(out), left), 1 - lam)   # (add: left = right at the last element)
    np.add.at(m, (np.arange(out), right), lam)
    m = m.astype(dtype)
    m.flags.writeable = False
    return m


def _sizes(op, input, size, scale_factor, recompute_scale_factor):
    """The output's spatial sizes and the scales used for the coordinates (None: in/out)."""
    dims = input.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: {'only one' if size is not None else 'either'} of size or scale_factor should be "
                         "defined")
    spatial = list(input.shape[2:])
    if size is not None:
        sizes = [size] * dims if isinstance(size, (int, np.integer)) else list(size)
        if len(sizes) != dims:
            raise ValueError(f"{op}: Input and output must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {spatial} and output size of {tuple(sizes)}; give "
                             f"one size per dim after (N, C)")
        return [int(s) for s in sizes], [None] * dims
    scales = [scale_factor] * dims if isinstance(scale_factor, (int, float)) else list(scale_factor)
    if len(scales) != dims:
        raise ValueError(f"{op}: Input and scale_factor must have the same number of spatial dimensions, but got "
                         f"input with spatial dimensions of {spatial} and scale_factor of shape {tuple(scales)}")
    sizes = [math.floor(float(n) * float(s)) for n, s in zip(spatial, scales)]
    return sizes, [None] * dims if recompute_scale_factor else [float(s) for s in scales]


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dims of ``input`` (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size``, or by
    ``scale_factor`` (output size ⌊in·scale_factor⌋).

    - mode 'nearest' / 'nearest-exact': each output reads input ⌊i·scale⌋ / ⌊(i + ½)·scale⌋;
    - 'linear' (3-d), 'bilinear' (4-d), 'trilinear' (5-d): the two nearest inputs along each dim,
      weighted by distance; ``align_corners`` as PyTorch (see the module docstring);
    - 'area': the mean of each input window (``adaptive_avg_pool``).

    scale = in/out, or 1/scale_factor when it was given (unless recompute_scale_factor=True).
    """
    op = "interpolate"
    check_tensor(op, input)
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area")
    if mode not in modes or input.ndim not in (3, 4, 5):
        raise ValueError(f"{op}: Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                         f"modes: {' | '.join(modes)} (got {mode!r}); the layout is (N, C, ...): an unbatched "
                         "input needs x.unsqueeze(0)")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise ValueError(f"{op}: Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode]}D input; "
                         f"use mode={next(m for m, n in _LINEAR.items() if n == input.ndim)!r}")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError(f"{op}: align_corners option can only be set with the interpolating modes: linear | "
                         f"bilinear | trilinear (mode is {mode!r})")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported here; use antialias=False")
    sizes, scales = _sizes(op, input, size, scale_factor, recompute_scale_factor)
    if min(sizes) <= 0:
        raise ValueError(f"{op}: Input and output sizes should be greater than 0, but got input {list(input.shape[2:])}"
                         f" and output {sizes}")
    x = input if input.dtype.kind == "f" or mode.startswith("nearest") else input.float()
    if mode == "area":
        from .functional_pool import adaptive_avg_pool1d, adaptive_avg_pool2d
        if x.ndim == 5:
            raise NotImplementedError(f"{op}: mode='area' is supported for 3-d and 4-d inputs here")
        return (adaptive_avg_pool1d if x.ndim == 3 else adaptive_avg_pool2d)(x, sizes if x.ndim == 4 else sizes[0])
    for d, (n, out, scale) in enumerate(zip(input.shape[2:], sizes, scales), start=2):
        if mode in _LINEAR:  # along dim d: x ← M x, written as (x with d last) @ Mᵀ
            m = _linear_matrix(n, out, scale, bool(align_corners), x.dtype)
            x = (x.transpose(d, -1) @ m.T).transpose(d, -1)
        else:
            x = x[(slice(None),) * d + (_nearest_index(n, out, scale, mode == "nearest-exact", x.ndim == 4),)]
    return x
