"""The primitives of the table: indexing and joining: x[index], its backward, cat, stack, writes (IndexPut, CopySlices).

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import numpy as np

from ..function import Function
from .unary import Clone
from .binary import Where

# ============================================================================
# indexing and joining
# ============================================================================
class Index(Function):
    """out = x[index]         ∂L/∂x = zeros like x, with g added at ``index``

    Repeated indices get the *sum* of their gradients (x[[0, 0]] uses x[0] twice).
    A basic index (ints, slices) gives a view of x's memory, as in NumPy and PyTorch.
    """
    is_view = True
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


def _is_basic_index(index):
    """True for ints, slices, None and ...: they never select one element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class IndexAdd(Function):
    """out = zeros(shape) with g added at ``index``   ∂L/∂g = gg[index]  (Index's backward)"""
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


class Cat(Function):
    """out = [x₀, x₁, …] joined along ``axis``   ∂L/∂xᵢ = the slice of g where xᵢ went"""
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
    """
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
    """
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
