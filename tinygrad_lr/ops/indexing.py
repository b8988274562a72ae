"""The front end of indexing: ``x[index]`` and ``x[index] = value``.

Indices may be ints, bools, slices, None, ..., integer or bool tensors/arrays,
ranges and lists; each part is normalised to what NumPy takes, and NumPy's
errors are turned into ours with the tensor's shape.  A list that holds lists,
ranges or tensors is a tuple of indices, as in PyTorch: ``y_hat[range(n), y]``
and ``x[[rows, cols]]`` pick one element per pair.  The math is in
``core/primitives`` (``Index``, and ``IndexAdd`` for its backward).
"""
import numpy as np

from ..core import batching, grad_mode
from ..core.operators import operand, shape_of
from ..core.primitives import Index, Permute, Where
from ..core.tensor import Tensor
from . import inplace
from .inplace import check_inplace


# PyTorch's rule (NumPy's before 1.23): a list holding one of these is a tuple of indices, not one index array
_TUPLE_ITEMS = (Tensor, np.ndarray, list, tuple, range, slice, type(None), type(Ellipsis))


def _parts(index):
    """The parts of an index, one per indexing step: x[i, j] and x[[i, j]] with i, j lists are both (i, j)."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32 and any(isinstance(p, _TUPLE_ITEMS) for p in index):
        return tuple(index)
    return (index,)


def _index_part(p):
    if isinstance(p, Tensor):
        p = p._data
    if isinstance(p, range):
        p = np.arange(p.start, p.stop, p.step, dtype=np.int64)
    if isinstance(p, (bool, np.bool_)):
        return (bool(p),)  # x[True] adds a dim of size 1 (x[False]: of size 0), as in NumPy and PyTorch
    if isinstance(p, (list, np.ndarray)):
        p = np.asarray(p)
        if p.dtype == object or p.dtype.kind not in "biu" and p.size:
            raise IndexError(f"index: tensors used as indices must be integer or bool, got {p.dtype}")
        if p.size == 0:
            p = p.astype(np.int64)
        if p.dtype.kind == "b" and p.ndim:
            return p.nonzero()  # a mask picks the positions where it is True
        return (p,)
    if isinstance(p, np.integer):
        return (int(p),)
    if not (p is None or p is Ellipsis or isinstance(p, (int, slice))):
        raise IndexError(f"index: only integers, slices, None, ..., and integer or bool tensors/arrays "
                         f"are valid indices, got {p!r} of type {type(p).__name__}")
    return (p,)


def normalize_index(index):
    out = tuple(q for p in _parts(index) for q in _index_part(p))
    return out[0] if len(out) == 1 and not isinstance(out[0], np.ndarray) else out


def _check_masks(x, index):
    """A bool mask must have the shape of the dimensions it selects from (NumPy would blame a position)."""
    dim = 0
    for p in _parts(index):
        if p is Ellipsis:
            return  # the dims after ... count from the end: NumPy checks those
        m = p._data if isinstance(p, Tensor) else p
        if isinstance(m, (list, np.ndarray)) and np.asarray(m).dtype == bool and np.ndim(m):
            want = tuple(x.shape[dim:dim + np.ndim(m)])
            if np.shape(m) != want:
                raise IndexError(f"index: a boolean mask of shape {np.shape(m)} cannot select from a tensor of shape "
                                 f"{tuple(x.shape)} at dim {dim}: the mask must have shape {want}")
            dim += np.ndim(m)
        elif p is not None and np.asarray(m).dtype != bool:  # (x[True] adds a dim, it uses none)
            dim += 1


def getitem(x, index):
    if batching.on and any(isinstance(p, batching.Batched) for p in _parts(index)):
        return _gather(x, _parts(index))  # inside vmap, an index that differs from sample to sample
    _check_masks(x, index)
    index = normalize_index(index)
    try:
        return Index.apply(x, index=index)
    except IndexError as e:
        raise IndexError(f"index: {e} (indexing a tensor of shape {tuple(x.shape)})") from None


def setitem(x, index, value):
    if batching.on and any(isinstance(p, batching.Batched) for p in _parts(index)):
        return _masked_write(x, _parts(index), value)  # inside vmap, a mask per sample
    index = normalize_index(index)
    value = operand("setitem", value)
    check_inplace("setitem", x)
    batched = batching.on and batching.takes((x, value), {})
    if grad_mode._enabled and (x._requires_grad or isinstance(value, Tensor) and value._requires_grad):
        try:  # recorded: x[index] is replaced in x's memory, and x gets a CopySlices node (see views.py)
            inplace.record("setitem", x, value, index=index)
        except IndexError as e:
            raise IndexError(f"setitem: {e} (tensor of shape {tuple(x.shape)})") from None
        return
    try:
        if batched:  # inside vmap: the index and value as the batch's
            index, value = inplace.part("setitem", x, index, value)
        x._data[index] = value._data if isinstance(value, Tensor) else value
    except IndexError as e:
        raise IndexError(f"setitem: {e} (tensor of shape {tuple(x.shape)})") from None
    except ValueError as e:
        raise ValueError(f"setitem: cannot assign a value of shape {shape_of(value)} to "
                         f"x[index] of tensor shape {tuple(x.shape)}: {e}") from None
    x._vc[0] += 1


def _gather(x, parts):
    """x[index] inside vmap, where some part of the index is batched (``x[y]``, ``logits[arange(n), y]``).

    Each batch dim gets an ``arange`` index of its own, so that every index array picks in its own sample:
    NumPy then lays the result out as (batch, advanced-index dims, the other dims); when the sample's
    advanced parts stand together after a slice, the sample's result has them there, and a permute puts them
    back.  One gather for the whole batch.
    """
    for p in parts:
        if isinstance(p, batching.Batched) and p.dtype == np.bool_:
            raise RuntimeError("vmap: x[mask] with a mask that differs from sample to sample: the result's shape "
                               "depends on the values, so no batch can hold it. Keep the shape: "
                               "torch.where(mask, x, 0) or x.masked_fill(~mask, 0)")
    order, sizes = batching.union([x] + list(parts))
    nb = len(order)
    steps = []
    for p in parts:
        steps.extend([p] if isinstance(p, batching.Batched) else _index_part(p))
    consumed = sum(1 for p in steps if p is not None and p is not Ellipsis)
    flat = []
    for p in steps:  # ... spelled out as slices: the positions of the parts are the sample's dims
        flat.extend([slice(None)] * (x.ndim - consumed) if p is Ellipsis else [p])
    advanced = [i for i, p in enumerate(flat) if not (p is None or isinstance(p, slice))]
    shape = np.broadcast_shapes(*[tuple(batching.logical_shape(p)) if isinstance(p, batching.Batched)
                                  else np.shape(p) for i, p in enumerate(flat) if i in advanced])
    aranges = tuple(np.arange(n).reshape((1,) * i + (n,) + (1,) * (nb - 1 - i + len(shape)))
                    for i, n in enumerate(sizes))
    index = aranges + tuple(batching.align(p, order, len(shape))._data if isinstance(p, batching.Batched) else p
                            for p in flat)
    out = batching.run(Index, batching.expand(x, order, sizes), index=index)
    if advanced == list(range(advanced[0], advanced[-1] + 1)) and advanced[0] > 0:
        before = advanced[0]  # the sample's result has its basic dims before the advanced ones first
        n, a = out._data.ndim, len(shape)
        dims = tuple(range(nb)) + tuple(range(nb + a, nb + a + before)) + tuple(range(nb, nb + a)) + tuple(
            range(nb + a + before, n))
        out = batching.run(Permute, out, dims=dims)
    return batching.tag(out, order)


def _masked_write(x, parts, value):
    """``x[mask] = v`` inside vmap with a mask per sample and one value: x ← where(mask, v, x), in place."""
    value = operand("setitem", value)
    mask = parts[0]
    if len(parts) != 1 or mask.dtype != np.bool_ or np.size(getattr(value, "_data", value)) != 1 and (
            not isinstance(value, Tensor) or value.numel() != 1):
        inplace.part("setitem", x, parts, value)  # (raises: an index per sample)
    value = value.reshape(()) if isinstance(value, Tensor) else value
    check_inplace("setitem", x)
    if grad_mode._enabled and (x._requires_grad or isinstance(value, Tensor) and value._requires_grad):
        return inplace.record("setitem", x, Where.apply(mask, value, inplace.old_value(x)))
    return inplace.write_batch("setitem", x, Where.apply(mask, value, x))


# ---- the Tensor methods: x[index] and x[index] = value -----------------------------------------------------
class IndexingMethods:
    """Tensor's methods for x[index] and x[index] = value.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def __getitem__(self, index):
        return getitem(self, index)

    def __setitem__(self, index, value):
        setitem(self, index, value)
