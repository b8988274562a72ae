"""The primitives of the table: indexing and joining: x[index], its backward, cat, stack, writes (IndexPut, CopySlices).

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import numpy as np

from ..batching import align, expand, logical_shape, move_front, run, tag, union
from ..function import Function
from .unary import Clone
from .binary import Where
from .movement import Permute, Reshape
from ..batching import Batched

# ============================================================================
# indexing and joining
# ============================================================================
class Index(Function):
    """out = x[index]         ∂L/∂x = zeros like x, with g added at ``index``

    Repeated indices get the *sum* of their gradients (x[[0, 0]] uses x[0] twice).
    A basic index (ints, slices) gives a view of x's memory, as in NumPy and PyTorch.
    vmap: the same index behind a full slice per batch dim (see ``batch_index``).
    """
    is_view = True

    @staticmethod
    def batch_rule(cls, args, kwargs):
        x, order = args[0], args[0]._levels
        index, front = batch_index(kwargs["index"], len(order))
        return tag(move_front(run(cls, x, index=index), front, len(order)), order)

    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        parts = index if isinstance(index, tuple) else (index,)
        if _is_basic_index(parts) and not any(p is Ellipsis for p in parts):
            return x[parts + (Ellipsis,)]  # the same, but one element is a 0-d view (as in PyTorch), not a copy
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.compute(g, shape=ctx.in_shape, index=ctx.index)


def batch_index(index, nb):
    """A sample's index as the batch's: a full slice for each of the ``nb`` batch dims in front of it; and where
    NumPy then puts the batch dims: after the advanced-index dims (their count, the dim to move them from)
    when the arrays (and ints) of the index are not side by side, which NumPy moves to the front; else 0."""
    parts = index if isinstance(index, tuple) else (index,)
    advanced = [i for i, p in enumerate(parts) if isinstance(p, (np.ndarray, list, int, np.integer))
                and not isinstance(p, bool)]
    front = 0
    if any(isinstance(parts[i], (np.ndarray, list)) for i in advanced) and advanced != list(
            range(advanced[0], advanced[-1] + 1)):
        front = len(np.broadcast_shapes(*[np.shape(parts[i]) for i in advanced]))
    return (slice(None),) * nb + parts, front


def _is_basic_index(index):
    """True for ints, slices, None and ...: they never select one element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class IndexAdd(Function):
    """out = zeros(shape) with g added at ``index``   ∂L/∂g = gg[index]  (Index's backward)

    vmap: Index's rule run backwards (g's batch dims put where NumPy wants them).
    """
    @staticmethod
    def batch_rule(cls, args, kwargs):
        g, order = args[0], args[0]._levels
        nb = len(order)
        index, front = batch_index(kwargs["index"], nb)
        if front:  # g is (batch, advanced, rest): NumPy wants (advanced, batch, rest)
            g = run(Permute, g, dims=tuple(range(nb, nb + front)) + tuple(range(nb)) +
                    tuple(range(nb + front, g._data.ndim)))
        shape = g._data.shape[front:front + nb] if front else g._data.shape[:nb]
        return tag(run(cls, g, shape=shape + tuple(kwargs["shape"]), index=index), order)

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros_like(g, shape=shape)  # (zeros_like, not zeros: tinygrad_lr.compile sees it, see capture.py)
        if _is_basic_index(index):
            out[index] = g       # slices and ints never repeat an element
        else:
            np.add.at(out, index, g)  # fancy indices may: add, don't overwrite
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]


def _join_batch_rule(cls, args, kwargs):
    """vmap of cat and stack: every part with the full batch dims (a stride-0 view for a part the samples
    share), joined along the axis past them (a negative axis counts from the end: no shift)."""
    order, sizes = union(args)
    axis = kwargs["axis"]
    return tag(run(cls, *[expand(x, order, sizes) for x in args], axis=axis + len(order) if axis >= 0 else axis),
               order)


class Cat(Function):
    """out = [x₀, x₁, …] joined along ``axis``   ∂L/∂xᵢ = the slice of g where xᵢ went"""
    batch_rule = _join_batch_rule

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis, ctx.sizes = axis, [x.shape[axis] for x in xs]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        ends = np.cumsum(ctx.sizes).tolist()
        lead = (slice(None),) * ctx.axis
        return tuple(g[lead + (slice(end - n, end),)] if need else None
                     for n, end, need in zip(ctx.sizes, ends, ctx.needs_input_grad))


class Stack(Function):
    """out = [x₀, x₁, …] stacked along a new ``axis``   ∂L/∂xᵢ = g[…, i, …]"""
    batch_rule = _join_batch_rule

    @staticmethod
    def forward(ctx, *xs, axis):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        return tuple(g[lead + (i,)] if need else None for i, need in enumerate(ctx.needs_input_grad))


class IndexPut(Function):
    """out = x with out[index] = v  (x[index] = v, out of place)   ∂L/∂x = g with zeros at index   ∂L/∂v = g[index]

    v is cast to x's dtype and broadcast to x[index]'s shape (the engine sums ∂L/∂v back to v's shape).
    Where ``index`` names an element twice, one of the values is written (PyTorch leaves which one undefined),
    and each gets g at that element.  It is the math of ``scatter`` and ``masked_fill``.
    Primitive, not x·keep + IndexAdd(v): 0·inf is nan, so an inf or nan of x where it is overwritten would
    leak into the result, and an element named twice would get the sum of its values.
    vmap: x with its full batch dims, v lined up with x[index] as NumPy lays it out (see ``batch_index``).
    """
    @staticmethod
    def batch_rule(cls, args, kwargs):
        x, v = args
        order, sizes = union(args)
        nb = len(order)
        index, front = batch_index(kwargs["index"], nb)
        ndim = np.broadcast_to(np.empty((), np.int8), logical_shape(x))[kwargs["index"]].ndim  # a sample's x[index]
        if front:  # NumPy lays x[index] out as (advanced, batch, rest): so must v be
            if isinstance(v, Batched):
                v = align(v, order, ndim)
                v = run(Permute, v, dims=tuple(range(nb, nb + front)) + tuple(range(nb)) +
                        tuple(range(nb + front, nb + ndim)))
            elif hasattr(v, "_data") and v._data.ndim > ndim - front:
                padded = (1,) * (ndim - v._data.ndim) + v._data.shape
                v = run(Reshape, v, shape=padded[:front] + (1,) * nb + padded[front:])
        elif isinstance(v, Batched):
            v = align(v, order, ndim)
        return tag(run(cls, expand(x, order, sizes), v, index=index), order)

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        out = np.copy(x)  # a copy, and an array even when the gradient g of a 0-d tensor is a NumPy scalar
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        return (IndexPut.compute(g, 0, index=ctx.index) if ctx.needs_input_grad[0] else None,
                g[ctx.index] if ctx.needs_input_grad[1] else None)


class CopySlices(Function):
    """base[part] = v, written into base's memory   ∂L/∂base = g with zeros in the part   ∂L/∂v = g[part]

    ``x[index] = v`` and an in-place op on a view (``v = h[0:2]; v += 1``) are this op on the tensor that
    owns the memory.  ``steps`` are the view ops from the base to the part (see views.py), the last one
    possibly an ``Index`` with arrays in it.  v is cast to base's dtype and broadcast to the part's shape
    (the engine sums ∂L/∂v back to v's shape).
    Primitive because it is the one op that writes into an existing tensor's memory: it returns base's own
    array, changed, and neither gradient needs the old values.
    vmap: not batched (a write into one sample's memory); the error says what to write instead.
    """
    @staticmethod
    def batch_rule(cls, args, kwargs):
        raise RuntimeError("vmap: x[index] = v (or an in-place op on a view) inside vmap, where x or v is batched, is "
                           "not supported: write it out of place, e.g. x = torch.where(mask, v, x) or "
                           "x = torch.cat([...]); or do it outside vmap")

    @staticmethod
    def forward(ctx, base, v, steps):
        ctx.steps = steps
        _put(base, steps, v)
        return base

    @staticmethod
    def backward(ctx, g):
        copy = np.copy(g) if isinstance(g, (np.ndarray, np.generic)) else Clone.apply(g)  # (an array for 0-d g)
        return (CopySlices.compute(copy, 0, steps=ctx.steps) if ctx.needs_input_grad[0] else None,
                _part(g, ctx.steps) if ctx.needs_input_grad[1] else None)


def _part(a, steps):
    """The part of ``a`` (an array or a Tensor) that ``steps`` lead to."""
    for cls, kwargs in steps:
        a = cls.compute(a, **kwargs)
    return a


def _put(a, steps, value):
    """Write ``value`` into the part of array ``a`` that ``steps`` lead to, in a's memory."""
    for cls, kwargs in steps[:-1]:
        a = cls.forward(cls(), a, **kwargs)  # views: their memory is a's
    if steps and steps[-1][0] is Index:
        a[steps[-1][1]["index"]] = value     # (an index with arrays in it picks a copy: write through it)
    else:
        if steps:
            a = steps[-1][0].forward(steps[-1][0](), a, **steps[-1][1])
        a[...] = value
