"""The primitives of the table: movement: reshape, transpose, expand, permute (views of the input).

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import numpy as np

from ..broadcast import sum_to_shape
from ..batching import align, run, shift, tag
from ..function import Function

# ============================================================================
# movement: reshape, transpose, expand
# ============================================================================
class Reshape(Function):
    """out = x with a new shape   ∂L/∂x = g reshaped to x's shape

    vmap: each sample reshaped; the batch dims stay in front of the new shape.
    """
    is_view = True

    @staticmethod
    def batch_rule(cls, args, kwargs):
        x = args[0]
        return tag(run(cls, x, shape=x._data.shape[:len(x._levels)] + tuple(kwargs["shape"])), x._levels)

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Transpose(Function):
    """out = x with dims d0 and d1 swapped   ∂L/∂x = g with them swapped back

    vmap: the two dims counted past the batch dims.
    """
    is_view = True

    @staticmethod
    def batch_rule(cls, args, kwargs):
        x = args[0]
        nb = len(x._levels)
        ndim = x._data.ndim - nb
        return tag(run(cls, x, dim0=shift(kwargs["dim0"], nb, ndim), dim1=shift(kwargs["dim1"], nb, ndim)), x._levels)

    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return x.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, g):
        return g.swapaxes(*ctx.dims)


class Expand(Function):
    """out = x broadcast to ``shape`` (no copy)   ∂L/∂x = g summed back to x's shape

    vmap: each sample padded with size-1 dims to the new number of dims, then broadcast behind the batch dims.
    """
    is_view = True

    @staticmethod
    def batch_rule(cls, args, kwargs):
        x, shape = args[0], tuple(kwargs["shape"])
        order = x._levels
        x = align(x, order, len(shape))
        return tag(run(cls, x, shape=x._data.shape[:len(order)] + shape), order)

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.in_shape)


class Permute(Function):
    """out = x with its dims reordered: out.shape[i] = x.shape[dims[i]]   ∂L/∂x = g permuted back (the inverse order)

    Primitive, not a chain of transposes: one node and one view for any order of the dims.
    vmap: the batch dims stay in front, the sample's dims are reordered behind them.
    """
    is_view = True

    @staticmethod
    def batch_rule(cls, args, kwargs):
        x = args[0]
        nb = len(x._levels)
        dims = tuple(range(nb)) + tuple(nb + d % max(x._data.ndim - nb, 1) for d in kwargs["dims"])
        return tag(run(cls, x, dims=dims), x._levels)

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return Permute.compute(g, dims=tuple(int(d) for d in np.argsort(ctx.dims)))
