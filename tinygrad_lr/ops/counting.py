"""Counting and order statistics: histograms (``histogram``: counts and bin edges; ``histc``: counts in equal
bins), ``bincount`` (counts of each non-negative integer), ``count_nonzero``, ``unique``, ``median`` and the
whole-tensor truths ``all``/``any``, as PyTorch's.  Only ``median`` has a gradient: it picks its element by
sorting, as ``max(dim)`` picks by argmax.

Both count how many elements (or how much weight) fall in each bin; neither has a gradient.

- A bin is [eᵢ, eᵢ₊₁): its left edge in, its right edge out, except the last bin, which holds its right
  edge too.  Elements outside [e₀, e_last] (and NaN) are not counted.
- ``bins=n`` makes n equal bins over ``range`` (min, max), or over the data's own [min, max] without one;
  an empty range [a, a] becomes [a − 0.5, a + 0.5] for ``histogram`` (NumPy's rule) and [a − 1, a + 1]
  for ``histc`` (whose min = max = 0, the default, means "the data's range").
- ``histogram`` places each element by its edges (a binary search, the same answer as PyTorch's);
  ``histc`` by the division ⌊(x − min) · n / (max − min)⌋ in the input's dtype, as PyTorch's does, which
  can differ from the edges by one bin for an element on an edge.
"""
import collections

import numpy as np

from ..core import batching, dtypes
from ..core.operators import axes_of, normalize_dim
from ..core.primitives import Amax, Index, Where
from ..core.tensor import Tensor

histogram_result = collections.namedtuple("histogram", ["hist", "bin_edges"])  # torch.return_types.histogram


def _flat_values(op, input):  # noqa: A002  (PyTorch's names)
    """The input's elements, flattened; a floating tensor is required, as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating tensor, got {dtypes.dtype_name(input.dtype)} of shape "
                        f"{tuple(input.shape)}; convert it with .float()")
    return input._data.reshape(-1)


def _bin_count(op, bins):
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
        raise TypeError(f"{op}: bins must be an int (the number of bins) or a 1-d tensor of bin edges, "
                        f"got {type(bins).__name__} {bins!r}" + ("; pass tensor([...])" if isinstance(
                            bins, (list, tuple)) else ""))
    if bins <= 0:
        raise RuntimeError(f"{op}: bins must be > 0, got {bins}")
    return int(bins)


def _counts(x, edges, weight, dt):
    """How many elements (or how much weight) fall in each bin [eᵢ, eᵢ₊₁), the last one closed."""
    n = len(edges) - 1
    inside = (x >= edges[0]) & (x <= edges[-1])  # False for NaN
    pos = np.minimum(np.searchsorted(edges, x[inside], side="right") - 1, n - 1)
    w = None if weight is None else weight[inside]
    return np.bincount(pos, weights=w, minlength=n).astype(dt)


@batching.per_sample
def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges): hist[i] counts the elements in [bin_edges[i], bin_edges[i + 1]) (the last bin
    closed), or sums their ``weight``; with ``density``, hist / (Σ hist · bin width), so that it integrates to 1.

    ``bins`` is a number of equal bins over ``range`` (the data's [min, max] by default) or a 1-d tensor of
    increasing bin edges.  No gradient.

    Example::

        >>> histogram(tensor([1., 2, 1]), bins=4, range=(0., 3.))
        histogram(hist=tensor([0., 2., 1., 0.]), bin_edges=tensor([0.0000, 0.7500, 1.5000, 2.2500, 3.0000]))
    """
    x = _flat_values("histogram", input)
    dt = input.dtype
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram: range= goes with a number of bins; with a tensor of bin edges, leave it out")
        if bins.ndim != 1 or bins.numel() == 0:
            raise RuntimeError(f"histogram: the bin edges must be a non-empty 1-d tensor, got shape "
                               f"{tuple(bins.shape)}")
        if bins.dtype != dt:
            raise RuntimeError(f"histogram: the input is {dtypes.dtype_name(dt)} but the bin edges are "
                               f"{dtypes.dtype_name(bins.dtype)}; convert them with bins.to(input.dtype)")
        edges = bins._data.copy()
        if (np.diff(edges) < 0).any():
            raise RuntimeError(f"histogram: the bin edges must increase monotonically, got {edges.tolist()}")
    else:
        n = _bin_count("histogram", bins)
        if range is not None:
            lo, hi = (float(v) for v in range)
        elif x.size:
            lo, hi = float(x.min()), float(x.max())
        else:
            lo, hi = 0.0, 1.0
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"histogram: the range [{lo}, {hi}] is not finite; "
                               + ("pass a finite range=(min, max)" if range is not None else
                                  "the data holds inf or NaN: pass range=(min, max) to count the finite values"))
        if lo > hi:
            raise RuntimeError(f"histogram: range=({lo}, {hi}) has min > max; pass (min, max) in that order")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, n + 1).astype(dt)
    w = None
    if weight is not None:
        if not isinstance(weight, Tensor) or weight.shape != input.shape:
            got = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
            raise RuntimeError(f"histogram: weight must be a tensor of the input's shape {tuple(input.shape)}, "
                               f"got {got}")
        if weight.dtype != dt:
            raise RuntimeError(f"histogram: the input is {dtypes.dtype_name(dt)} but weight is "
                               f"{dtypes.dtype_name(weight.dtype)}; convert it with weight.to(input.dtype)")
        w = weight._data.reshape(-1)
    hist = _counts(x, edges, w, dt) if len(edges) > 1 else np.zeros(0, dt)
    if density:
        with np.errstate(divide="ignore", invalid="ignore"):
            hist = (hist / hist.sum() / np.diff(edges)).astype(dt)
    return histogram_result(Tensor._make(hist), Tensor._make(edges))


@batching.per_sample
def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """The counts of the elements in ``bins`` equal bins over [min, max] (over the data's [min, max] when
    min = max); elements outside are not counted.  No gradient.

    Example::

        >>> histc(tensor([1., 2, 1]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    x = _flat_values("histc", input)
    n = _bin_count("histc", bins)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"histc: the range [{lo}, {hi}] is not finite; pass finite min and max (the data "
                           "holds inf or NaN when they are left at 0)")
    if lo > hi:
        raise RuntimeError(f"histc: max ({hi}) must be larger than min ({lo}); pass them in that order")
    dt = input.dtype
    lo_, hi_ = dt.type(lo), dt.type(hi)  # the edges in the input's dtype, as PyTorch's
    inside = (x >= lo_) & (x <= hi_)
    pos = ((x[inside] - lo_) * dt.type(n) / (hi_ - lo_)).astype(np.int64)  # the division in the input's dtype
    hist = np.bincount(np.minimum(pos, n - 1), minlength=n).astype(dt)
    return Tensor._make(hist)


median_result = collections.namedtuple("median", ["values", "indices"])  # torch.return_types.median


# ---- order statistics and counts ------------------------------------------------------------
def median(x, dim=None, keepdim=False):
    """The lower median (element ⌊(n − 1) / 2⌋ in sorted order), as in PyTorch.

    Without dim: a 0-d tensor; ties share the gradient evenly (``Where`` keeps the elements equal to the
    median, ``Amax`` takes their max: the median itself).  With dim: (values, indices), the value picked
    at its index, as ``max(dim)`` does, so the gradient goes to the index returned.
    Inside vmap the same, per sample: x's array has the batch dims in front (``nb``), the axes come after them.
    """
    nb, data = len(x._levels), x._data
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError(f"median: the tensor is empty (shape {tuple(x.shape)}), so it has no median")
        flat = np.sort(data.reshape(data.shape[:nb] + (-1,)), axis=-1)
        m = flat[..., (flat.shape[-1] - 1) // 2]
        hit = batching.like(x, data == m.reshape(m.shape + (1,) * x.ndim))
        return Amax.apply(Where.apply(hit, x, -np.inf if x.dtype.kind == "f" else m), axis=None, keepdims=False)
    d = normalize_dim("median", dim, x.ndim)
    if x.ndim == 0:
        return median_result(x.clone(), batching.like(x, np.zeros(data.shape, np.int64)))
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"median: dim {d} of shape {tuple(x.shape)} has size 0, and an empty slice has no median")
    order = np.argsort(data, axis=nb + d, kind="stable")
    i = np.take(order, [(n - 1) // 2], axis=nb + d)  # keeps dim d, of size 1
    grid = tuple(i if k == nb + d else np.arange(s).reshape((s,) + (1,) * (i.ndim - k - 1))
                 for k, s in enumerate(i.shape))
    values = batching.tag(batching.run(Index, x, index=grid), x._levels) if nb else Index.apply(x, index=grid)
    if not keepdim:
        values, i = values.squeeze(d), np.squeeze(i, nb + d)
    return median_result(values, batching.like(x, i.astype(np.int64)))


@batching.per_sample
def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct elements, in increasing order; with return_inverse, where each element of x went; with
    return_counts, how often each occurs.  Values and counts have no gradient."""
    if dim is not None:
        raise NotImplementedError("unique: dim= is not supported; unique of the whole tensor only")
    values, inverse, counts = np.unique(x._data, return_inverse=True, return_counts=True)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(x.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def count_nonzero(x, dim=None):
    """The number of nonzero elements (over dim, an int or a tuple): int64, no gradient."""
    axes = axes_of("count_nonzero", dim, x.ndim)
    axes = batching.shift(axes, len(x._levels), x.ndim) if x._levels else axes  # (inside vmap: past the batch dims)
    return batching.like(x, np.asarray(np.count_nonzero(x._data, axis=axes), dtype=np.int64))


def all_any(op, x, dim=None, keepdim=False):
    """all: True where every element (over ``dim``: an int, a tuple, or None for all) is nonzero; any: where
    some element is.  A bool tensor (uint8 in, uint8 out, as in PyTorch); NaN counts as nonzero."""
    axes = None if dim is None else axes_of(op, dim, x.ndim)
    axes = batching.shift(axes, len(x._levels), x.ndim) if x._levels else axes  # (inside vmap: past the batch dims)
    truth = (np.all if op == "all" else np.any)(x._data, axis=axes, keepdims=keepdim)
    return batching.like(x, np.asarray(truth, dtype=np.uint8 if x.dtype == np.uint8 else np.bool_))


# ---- the Tensor methods: histograms ------------------------------------------------------------------------
@batching.per_sample
def bincount(input, weights=None, minlength=0):  # noqa: A002  (PyTorch's names)
    """out[k] = the number of elements equal to k (or the sum of their ``weights``), k = 0 … max(input).

    ``input`` is a 1-d tensor of non-negative integers; the result has max(input) + 1 entries, at least
    ``minlength``: int64 counts, or the weights' float dtype (float64 for integer weights), as in PyTorch.
    """
    if not isinstance(input, Tensor) or input.ndim != 1 or input.dtype.kind not in "iub":
        got = f"{dtypes.dtype_name(input.dtype)} of shape {tuple(input.shape)}" if isinstance(input, Tensor) \
            else type(input).__name__
        raise RuntimeError(f"bincount: input must be a 1-d tensor of non-negative integers, got {got}")
    x = input._data.astype(np.int64, copy=False)
    if x.size and x.min() < 0:
        raise RuntimeError(f"bincount: input must be non-negative, found {int(x.min())}")
    if isinstance(minlength, bool) or not isinstance(minlength, (int, np.integer)) or minlength < 0:
        raise RuntimeError(f"bincount: minlength must be a non-negative integer, got {minlength!r}")
    if weights is None:
        return Tensor._make(np.bincount(x, minlength=int(minlength)).astype(np.int64))
    w = weights._data if isinstance(weights, Tensor) else np.asarray(weights)
    if w.shape != x.shape:
        raise RuntimeError(f"bincount: weights of shape {tuple(w.shape)} must have the input's shape {tuple(x.shape)}")
    dt = w.dtype if w.dtype.kind == "f" else np.float64
    return Tensor._make(np.bincount(x, weights=w, minlength=int(minlength)).astype(dt))


class CountingMethods:
    """Tensor's methods for histograms.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        """(hist, bin_edges): the counts (or summed weights) of the elements in each bin (no gradient)."""
        return histogram(self, bins, range=range, weight=weight, density=density)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002
        """The counts of the elements in ``bins`` equal bins over [min, max] (the data's range if min = max)."""
        return histc(self, bins, min, max)

    def bincount(self, weights=None, minlength=0):
        """The count of each non-negative integer in this 1-d tensor (see ``tinygrad_lr.bincount``)."""
        return bincount(self, weights, minlength)

    def all(self, dim=None, keepdim=False):
        """True if every element (over ``dim``, an int or a tuple) is nonzero: a bool tensor."""
        return all_any("all", self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """True if some element (over ``dim``, an int or a tuple) is nonzero: a bool tensor."""
        return all_any("any", self, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        """The lower median of all elements; with ``dim``, the pair (values, indices) along it."""
        return median(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        """The number of nonzero elements (over ``dim``), int64."""
        return count_nonzero(self, dim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        """The distinct elements, sorted; (values, inverse, counts) as asked (no gradient)."""
        return unique(self, sorted, return_inverse, return_counts, dim)
