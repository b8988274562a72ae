"""The primitives of the table: movement: reshape, transpose, expand, permute (views of the input).

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import numpy as np

from ..broadcast import sum_to_shape
from ..function import Function

# ============================================================================
# movement: reshape, transpose, expand
# ============================================================================
class Reshape(Function):
    """out = x with a new shape   ∂L/∂x = g reshaped to x's shape"""
    is_view = True
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Transpose(Function):
    """out = x with dims d0 and d1 swapped   ∂L/∂x = g with them swapped back"""
    is_view = True
    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return x.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, g):
        return g.swapaxes(*ctx.dims)


class Expand(Function):
    """out = x broadcast to ``shape`` (no copy)   ∂L/∂x = g summed back to x's shape"""
    is_view = True
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
    """
    is_view = True
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return Permute.compute(g, dims=tuple(int(d) for d in np.argsort(ctx.dims)))
