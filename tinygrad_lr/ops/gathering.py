"""The front end of gathering and sorting: ``gather``, ``scatter``, ``scatter_add``, ``index_select``,
``masked_fill``, ``one_hot``, ``sort``, ``argsort`` and ``topk``.

Each checks its index (an integer tensor whose shape fits and whose values are in range) and names the
problem in its error, then writes the op as a NumPy index and applies a primitive of ``core/primitives``:

- ``gather(x, dim, index)`` is ``x[grid]``: the grid is ``index`` in dim and the positions themselves
  in the other dims (out[i][j] = x[index[i][j]][j] for dim 0), so it is ``Index``, and its gradient is
  scattered back, repeated indices adding up;
- ``scatter`` puts src at the grid (``IndexPut``), ``scatter_add`` adds it there (``IndexAdd``);
- ``masked_fill`` puts the value where the mask is True (``IndexPut``);
- ``sort`` and ``topk`` find the order with NumPy and gather the values, so the gradient of each value
  goes back to the place it came from.
"""
import collections
import operator

import numpy as np

from ..core import batching, dtypes
from ..core.operators import broadcast_error, normalize_dim, operand
from ..core.primitives import Add, Clone, Expand, Index, IndexAdd, IndexPut, Reshape, Where
from ..core.tensor import Tensor
from . import inplace

# (values, indices) pairs, as PyTorch's torch.return_types: v, i = x.sort() or x.sort().values
sort_result = collections.namedtuple("sort", ["values", "indices"])
topk_result = collections.namedtuple("topk", ["values", "indices"])


# ---- checking an index ---------------------------------------------------------------
def _index_array(op, index):
    """An index tensor's values as an int64 array; TypeError for anything but int64 and int32 tensors."""
    index = operand(op, index)
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index must be an integer tensor, got {type(index).__name__} {index!r}")
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise TypeError(f"{op}: index must be an int64 (or int32) tensor, got {dtypes.dtype_name(index.dtype)}; "
                        "convert it with .long()")
    return index._data.astype(np.int64, copy=False)


def _check_range(op, idx, d, shape):
    """Every index in 0 … n − 1 for dim d of size n (negative indices are errors here, as in PyTorch)."""
    n = shape[d]
    bad = idx[(idx < 0) | (idx >= n)]
    if bad.size:
        raise IndexError(f"{op}: index {bad.flat[0]} is out of bounds for dim {d} with size {n} (a tensor of "
                         f"shape {tuple(shape)}); the indices must be from 0 to {n - 1}")


def _grid(idx, d):
    """NumPy's index for x[…, idx[i, j, …], …]: idx in dim d, and in every other dim k its own position iₖ."""
    return tuple(idx if k == d else np.arange(n).reshape((n,) + (1,) * (idx.ndim - k - 1))
                 for k, n in enumerate(idx.shape))


def _along(op, x, dim, index, src=None, batch=0):
    """The checks of gather and scatter.  Returns NumPy's index into x (the grid) and the index's shape.

    A 0-d x acts as a tensor of shape (1,), as in PyTorch (and so do a 0-d index and src): the grid
    then indexes x.reshape(1).  A 0-d index of a 1-d x is one position (``scatter_(0, tensor(3), value=1)``).
    Inside vmap, ``batch`` is the number of batch dims in front of the index's array (x's has them too).
    """
    idx = _index_array(op, index)
    d = normalize_dim(op, dim, x.ndim)
    lead, shape, idx_shape = idx.shape[:batch], tuple(x.shape), idx.shape[batch:]
    if x.ndim == 0 and len(idx_shape) <= 1 or x.ndim == 1 and len(idx_shape) == 0:
        shape, idx = shape or (1,), idx.reshape(lead + (-1,))
    if idx.ndim - batch != len(shape):
        raise ValueError(f"{op}: index must have as many dims as the tensor of shape {tuple(x.shape)}, "
                         f"got an index of shape {idx_shape}")
    for k, (m, n) in enumerate(zip(idx.shape[batch:], shape)):
        if k != d and m > n:
            raise ValueError(f"{op}: an index of shape {idx_shape} does not fit the tensor of shape "
                             f"{tuple(x.shape)}: outside dim {d} it may not be larger (dim {k}: {m} > {n})")
    if src is not None:
        src_shape = tuple(src.shape) or (1,)
        if len(src_shape) != idx.ndim - batch or any(m > n for m, n in zip(idx.shape[batch:], src_shape)):
            raise ValueError(f"{op}: src of shape {tuple(src.shape)} does not cover the index of shape "
                             f"{idx_shape}: it needs as many dims, and a value for every index")
        if src.dtype != x.dtype:
            raise TypeError(f"{op}: src is {dtypes.dtype_name(src.dtype)} but the tensor is "
                            f"{dtypes.dtype_name(x.dtype)}; convert it with src.to(x.dtype)")
    _check_range(op, idx, batch + d, lead + shape)
    return _grid(idx, batch + d), idx_shape


def _batched(op, x, dim, index, src=None):
    """gather and scatter inside vmap: x (full batch dims), the grid into it (``_along``), the batch's levels."""
    order, sizes = batching.union((x, index, src))
    nb = len(order)
    index = batching.expand(operand(op, index), order, sizes)
    grid, shape = _along(op, x, dim, index, src, batch=nb)
    xb = batching.expand(x, order, sizes)
    if x.ndim == 0:  # as a vector (see _along)
        xb = batching.run(Reshape, xb, shape=tuple(sizes) + (1,))
    return xb, grid, shape, order, sizes


def _src_part(src, shape):
    """The part of src the index uses: src[:m₀, :m₁, …] for an index of shape (m₀, m₁, …)."""
    src = src.reshape(1) if src.ndim == 0 else src
    return src if src.shape == shape else src[tuple(slice(0, m) for m in shape)]


# ---- gathering -------------------------------------------------------------------
def gather(x, dim, index):
    """out[i][j] = x[index[i][j]][j] (dim 0) or x[i][index[i][j]] (dim 1): out has index's shape."""
    if batching.on and batching.takes((x, index), {}):  # inside vmap: one gather for the batch
        xb, grid, shape, order, sizes = _batched("gather", x, dim, index)
        out = batching.run(Index, xb, index=grid)
        return batching.tag(batching.run(Reshape, out, shape=tuple(sizes) + shape), order)
    grid, shape = _along("gather", x, dim, index)
    if x.ndim == 0 or not shape:  # as a vector (see _along)
        return Index.apply(x.reshape(-1), index=grid).reshape(shape)
    return Index.apply(x, index=grid)


def index_select(x, dim, index):
    """The slices of x at the positions of a 1-d index along dim (repeats allowed)."""
    if batching.on and isinstance(index, batching.Batched):  # an index per sample: x[:, …, index] gathers
        d = normalize_dim("index_select", dim, x.ndim)
        return x[(slice(None),) * d + (index.reshape(-1),)] if x.ndim else x.reshape(1)[index.reshape(-1)]
    idx = _index_array("index_select", index)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-d (a list of positions), got an index of shape {idx.shape}")
    d = normalize_dim("index_select", dim, x.ndim)
    if x.ndim == 0 and idx.size != 1:
        raise ValueError(f"index_select: a 0-d tensor has one element, so the index must have one value, got {idx.size}")
    _check_range("index_select", idx, d, tuple(x.shape) or (1,))
    if x.ndim == 0:
        return Clone.apply(x)
    return Index.apply(x, index=(slice(None),) * d + (idx.reshape(-1),))


def _scatter(op, x, dim, index, src):
    """The checks of scatter and scatter_add.  Returns src cut to the index's shape (or the value, a number)
    and the result's formula in array syntax, which runs on tensors and, for in place, on arrays."""
    adds = op.startswith("scatter_add")
    if isinstance(src, (Tensor, np.ndarray, list)):
        src = operand(op, src)
    elif adds:
        raise TypeError(f"{op}: src must be a tensor, got {type(src).__name__} {src!r}")
    elif isinstance(src, bool) or not isinstance(src, (int, float, np.number)):
        raise TypeError(f"{op}: needs a tensor src or a number value, got {type(src).__name__}")
    if batching.on and batching.takes((x, index, src), {}):
        return _batched_scatter(op, x, dim, index, src, adds)
    grid, shape = _along(op, x, dim, index, src if isinstance(src, Tensor) else None)
    v = _src_part(src, shape) if isinstance(src, Tensor) else src
    if adds:
        def formula(a, v):
            return a + IndexAdd.compute(v, shape=a.shape, index=grid)
    else:
        def formula(a, v):
            return IndexPut.compute(a, v, index=grid)
    if x.ndim == 0:  # as a vector (see _along)
        return v, lambda a, v: formula(a.reshape(1), v).reshape(())
    return v, formula


def _batched_scatter(op, x, dim, index, src, adds):
    """_scatter inside vmap: the formula runs on the batch's arrays (x with its full batch dims, the grid with
    an arange for each batch dim), then the result is tagged.  In place, the formula gets x's old value (a
    recorded change) or x itself, so it is expanded there, from its argument."""
    tensor = isinstance(src, Tensor)
    _, grid, shape, order, sizes = _batched(op, x, dim, index, src if tensor else None)
    v = batching.expand(_src_part(src, shape), order, sizes) if tensor else src
    if tensor and v._data.ndim != len(grid):  # a 0-d x or index (see _along): as vectors
        v = batching.run(Reshape, v, shape=tuple(sizes) + (-1,))

    def formula(a, v):
        a = batching.expand(a, order, sizes)
        if x.ndim == 0:  # as a vector (see _along)
            a = batching.run(Reshape, a, shape=tuple(sizes) + (1,))
        out = (batching.run(Add, a, batching.run(IndexAdd, v, shape=a._data.shape, index=grid)) if adds
               else batching.run(IndexPut, a, v, index=grid))
        return batching.tag(batching.run(Reshape, out, shape=tuple(sizes) + tuple(x.shape)), order)
    return v, formula


def scatter(x, dim, index, src=None, value=None):
    """out = x with out[index[i][j]][j] = src[i][j] (dim 0), or = value; x itself is not changed.

    ∂L/∂x = g where nothing was put, ∂L/∂src = g.gather(dim, index) (``IndexPut``'s backward).
    """
    v, formula = _scatter("scatter", x, dim, index, value if src is None else src)
    return formula(x, v)


def scatter_add(x, dim, index, src):
    """out = x with src[i][j] added at out[index[i][j]][j] (dim 0); repeated indices add up.

    ∂L/∂x = g, ∂L/∂src = g.gather(dim, index) (``IndexAdd``'s backward).
    """
    v, formula = _scatter("scatter_add", x, dim, index, src)
    return formula(x, v)


def scatter_(x, dim, index, src=None, value=None):
    """scatter, in place (the rules are those of ops/inplace.py)."""
    v, formula = _scatter("scatter_", x, dim, index, value if src is None else src)
    return inplace.compound("scatter_", x, formula, v)


def scatter_add_(x, dim, index, src):
    """scatter_add, in place (the rules are those of ops/inplace.py)."""
    v, formula = _scatter("scatter_add_", x, dim, index, src)
    return inplace.compound("scatter_add_", x, formula, v)


def _mask(op, x, mask, value, shape=None):
    """The checks of masked_fill: (the bool mask broadcast to ``shape``, the value)."""
    mask, value = _mask_and_value(op, mask, value)
    try:
        shape = np.broadcast_shapes(x.shape, mask.shape) if shape is None else shape
        return np.broadcast_to(mask._data, shape), value
    except ValueError:
        raise (broadcast_error(op, x, mask) or ValueError(
            f"{op}: a mask of shape {tuple(mask.shape)} cannot be broadcast to the tensor's shape "
            f"{tuple(x.shape)} (in place keeps the tensor's shape)")) from None


def _mask_and_value(op, mask, value):
    mask = operand(op, mask)
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        kind = dtypes.dtype_name(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(f"{op}: mask must be a bool tensor, got {kind}; build it with a comparison, e.g. x > 0")
    if isinstance(value, Tensor) and value.ndim:
        raise ValueError(f"{op}: value must be a number or a 0-d tensor, got a tensor of shape {tuple(value.shape)}")
    if not isinstance(value, Tensor) and (isinstance(value, bool) or not isinstance(value, (int, float, np.number))):
        raise TypeError(f"{op}: value must be a number or a 0-d tensor, got {type(value).__name__}")
    return mask, value


def masked_fill(x, mask, value):
    """out = value where mask is True, x elsewhere (mask broadcasts with x); ∂L/∂x = g where mask is False."""
    if batching.on and isinstance(operand("masked_fill", mask), batching.Batched):  # inside vmap, a mask per sample:
        mask, value = _mask_and_value("masked_fill", mask, value)                    # where(mask, value, x)
        return Where.apply(mask, value.to(x.dtype) if isinstance(value, Tensor) else value, x)
    m, value = _mask("masked_fill", x, mask, value)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        value = value.to(x.dtype)  # the result keeps x's dtype, as in PyTorch
    return IndexPut.apply(x if x.shape == m.shape else Expand.apply(x, shape=m.shape), value, index=m)


def masked_fill_(x, mask, value):
    """masked_fill, in place (the mask broadcasts to x's shape)."""
    m, value = _mask("masked_fill_", x, mask, value, tuple(x.shape))
    return inplace.compound("masked_fill_", x, lambda a, v: IndexPut.compute(a, v, index=m), value)


def one_hot(tensor, num_classes=-1):
    """out[…, c] = 1 if tensor[…] == c else 0: int64, of shape tensor.shape + (num_classes,); no gradient.

    num_classes = -1 takes one more than the largest class in ``tensor``.
    """
    tensor = operand("one_hot", tensor)
    if not isinstance(tensor, Tensor) or tensor.dtype != dtypes.int64:
        kind = dtypes.dtype_name(tensor.dtype) if isinstance(tensor, Tensor) else type(tensor).__name__
        raise TypeError(f"one_hot: needs an int64 tensor of class indices, got {kind}; convert it with .long()")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be a number of classes >= 0, or -1 to infer it, "
                         f"got {num_classes!r}")
    c = tensor._data
    if num_classes == -1:
        if c.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(c.max()) + 1
    if c.size and c.min() < 0:
        raise ValueError(f"one_hot: class values must be >= 0, got {c.min()}")
    if c.size and c.max() >= num_classes:
        raise ValueError(f"one_hot: class value {c.max()} is too large for num_classes={num_classes} "
                         f"(classes are 0 … {num_classes - 1})")
    return Tensor._make((c[..., None] == np.arange(num_classes)).astype(np.int64))


# ---- sorting ---------------------------------------------------------------------
def _order(a, d, descending):
    """The stable order of a along axis d: ascending with NaN last, or descending with NaN first (NaN is
    the largest, as in PyTorch).  Descending is the ascending order of a reversed, read backwards, so that
    equal elements keep their order in both."""
    if not descending:
        return np.argsort(a, axis=d, kind="stable")
    return a.shape[d] - 1 - np.flip(np.argsort(np.flip(a, d), axis=d, kind="stable"), d)


def _picked(x, order, d):
    """x at ``order`` along dim d (NumPy's index from ``_grid``); inside vmap, order is the batch's (its batch dims
    in front, as x's array has them) and d counts past them: one gather for the whole batch."""
    if not x._levels:
        return Index.apply(x, index=_grid(order, d))
    return batching.tag(batching.run(Index, x, index=_grid(order, d)), x._levels)


def sort(x, dim=-1, descending=False, stable=False):
    """(values, indices) with values = x sorted along dim and x.gather(dim, indices) == values.

    The sort is always stable (equal elements keep their order; ``stable`` is accepted for PyTorch).
    ∂L/∂x: each value's gradient goes back to the position it came from (gather's backward).
    """
    d = normalize_dim("sort", dim, x.ndim)
    if x.ndim == 0:
        return sort_result(Clone.apply(x), batching.like(x, np.zeros(x._data.shape, np.int64)))
    d += len(x._levels)  # (inside vmap: past the batch dims of x's array)
    order = _order(x._data, d, descending)
    return sort_result(_picked(x, order, d), batching.like(x, order))


def argsort(x, dim=-1, descending=False, stable=False):
    """The indices that sort x along dim (sort's indices)."""
    d = normalize_dim("argsort", dim, x.ndim) + len(x._levels)
    return batching.like(x, np.zeros(x._data.shape, np.int64) if x.ndim == 0 else _order(x._data, d, descending))


def topk(x, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest elements along dim, largest first (largest=False: smallest, smallest first).

    The result is always sorted (``sorted=False`` is accepted: PyTorch then leaves the order open).
    """
    try:
        k = operator.index(k)
    except TypeError:
        raise TypeError(f"topk: k must be an integer, got {k!r}") from None
    d = normalize_dim("topk", dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise ValueError(f"topk: k = {k} is out of range for dim {d} of size {n} (tensor of shape "
                         f"{tuple(x.shape)}); k must be from 0 to {n}")
    if x.ndim == 0:
        return topk_result(Clone.apply(x), batching.like(x, np.zeros(x._data.shape, np.int64)))
    d += len(x._levels)
    order = _order(x._data, d, largest)[(slice(None),) * d + (slice(0, k),)]
    return topk_result(_picked(x, order, d), batching.like(x, order))


# ---- the Tensor methods: gather, scatter, masked_fill, sort, topk ------------------------------------------
class GatheringMethods:
    """Tensor's methods for gather, scatter, masked_fill, sort, topk.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def gather(self, dim, index):
        """Pick along dim at index: out[i][j] = self[index[i][j]][j] for dim 0 (out has index's shape)."""
        return gather(self, dim, index)

    def index_select(self, dim, index):
        """The slices along dim at the positions of a 1-d index."""
        return index_select(self, dim, index)

    def scatter(self, dim, index, src=None, value=None):
        """A copy with src (or value) put along dim at index: out[index[i][j]][j] = src[i][j] for dim 0."""
        return scatter(self, dim, index, src, value)

    def scatter_add(self, dim, index, src):
        """A copy with src added along dim at index (repeated indices add up)."""
        return scatter_add(self, dim, index, src)

    def scatter_(self, dim, index, src=None, value=None):
        """scatter, in place."""
        return scatter_(self, dim, index, src, value)

    def scatter_add_(self, dim, index, src):
        """scatter_add, in place."""
        return scatter_add_(self, dim, index, src)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where the bool mask is True (the mask broadcasts)."""
        return masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        """masked_fill, in place."""
        return masked_fill_(self, mask, value)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices): sorted along dim (stable), with self.gather(dim, indices) == values."""
        return sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices that sort along dim (sort's indices)."""
        return argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """(values, indices) of the k largest (largest=False: smallest) elements along dim, sorted."""
        return topk(self, k, dim, largest, sorted)
