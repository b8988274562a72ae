"""The primitives of the table: matmul, reductions (sum, amax, norm, cumsum) and softmax.

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import numpy as np

from ..function import Function
from .unary import Exp
from .movement import Expand

# ============================================================================
# matmul
# ============================================================================
class Matmul(Function):
    """out = x @ y            ∂L/∂x = g @ yᵀ     ∂L/∂y = xᵀ @ g

    PyTorch's rules: a 1-d x is a row vector (1, n) and a 1-d y a column (n, 1),
    the added dimension is removed from the result; leading (batch) dimensions
    broadcast.  Backward works on the 2-d forms; the engine sums the batch
    dimensions and the added 1 back to each input's shape.
    """
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        x2 = x.reshape(1, -1) if x.ndim == 1 else x     # (…, k, n)
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y     # (…, n, m)
        g2 = g.reshape(g.shape + (1,)) if y.ndim == 1 else g   # put back the removed dims
        g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if x.ndim == 1 else g2
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g2 @ y2.swapaxes(-1, -2)
            gx = gx.reshape(gx.shape[:-2] + gx.shape[-1:]) if x.ndim == 1 else gx
        if ctx.needs_input_grad[1]:
            gy = x2.swapaxes(-1, -2) @ g2
            gy = gy.reshape(gy.shape[:-1]) if y.ndim == 1 else gy
        return gx, gy


# ============================================================================
# reductions
# ============================================================================
def _kept(ctx, t):
    """A reduction's result (or its gradient) with the reduced axes put back as size 1: it broadcasts against x."""
    if ctx.keepdims:
        return t
    axes = range(len(ctx.in_shape)) if ctx.axis is None else ctx.axis
    return t.reshape(tuple(1 if i in axes else n for i, n in enumerate(ctx.in_shape)))


class Sum(Function):
    """out = Σ over axes of x   ∂L/∂x = g broadcast back over the summed axes"""
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return Expand.compute(_kept(ctx, g), shape=ctx.in_shape), None, None


class Amax(Function):
    """out = max of x over axes   ∂L/∂x = g / k at each of the k elements equal to the max, 0 elsewhere

    Ties share the gradient evenly, as in PyTorch's amax and max() (max(dim) picks one: see ops/arithmetic.py).
    """
    _reduce = staticmethod(np.max)

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        out = ctx._reduce(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        hit = x == _kept(ctx, out)
        return _kept(ctx, g) * hit / hit.sum(axis=ctx.axis, keepdims=True, dtype=g.dtype)


class Amin(Amax):
    """out = min of x over axes   ∂L/∂x = g / k at each of the k elements equal to the min (Amax's backward)"""
    _reduce = staticmethod(np.min)


class Norm(Function):
    """out = ‖x‖ₚ = (Σ |x|ᵖ)^(1/p) over axes   ∂L/∂x = g · sign(x) · |x|ᵖ⁻¹ / outᵖ⁻¹   (0 where out = 0 or x = 0)

    Primitive, not (Σ |x|ᵖ)^(1/p) composed: the composition's gradient is NaN (0 · ∞) where out = 0, and
    PyTorch's is 0 there (the 2-norm of a zero vector, the std of equal values).
    """
    @staticmethod
    def forward(ctx, x, p, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims, ctx.p = x.shape, axis, keepdims, p
        if p == 2:
            out = np.sqrt((x * x).sum(axis=axis, keepdims=keepdims))  # speed only: no |x| and no x ** 2.0
        else:
            with np.errstate(divide="ignore"):  # p < 0 and some x = 0: |x|ᵖ = inf, out = 0
                out = (np.abs(x) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        out, p = _kept(ctx, out), ctx.p
        safe = out + (out == 0)                # 1 where out = 0, so nothing there is 0 / 0
        scale = _kept(ctx, g) * (out != 0) / (safe if p == 2 else safe ** (p - 1))
        if p == 2:
            return x * scale
        magnitude = abs(x) + (x == 0)          # |x|, with 1 where x = 0: x · |x|ᵖ⁻² is then 0 for every p
        return x * magnitude ** (p - 2) * scale


class Cumsum(Function):
    """out[i] = Σ_{j ≤ i} x[j] along ``axis``   ∂L/∂x[j] = Σ_{i ≥ j} g[i]: the cumsum of g run from the other end"""
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        backwards = (slice(None),) * ctx.axis + (slice(None, None, -1),)
        return Cumsum.compute(g[backwards], axis=ctx.axis)[backwards]


# ============================================================================
# softmax
# ============================================================================
class Softmax(Function):
    """out = eˣ / Σ eˣ along ``axis``   ∂L/∂x = out ⊙ (g − Σ g ⊙ out)

    Primitive, not exp(x) / exp(x).sum(): eˣ overflows to inf (and the ratio to NaN) for x > 88 in float32,
    so it computes e^(x − max x), the same ratio; and one node instead of four (numerical stability, speed).
    """
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))  # (initial: an empty axis has no max)
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """out = x − ln Σ eˣ along ``axis``   ∂L/∂x = g − softmax(x) · Σ g,   softmax(x) = e^out

    Primitive, not log(softmax(x)): softmax underflows to 0 for logits far below the largest one, and
    ln 0 = −inf, where x − max − ln Σ e^(x − max) stays finite (numerical stability).
    """
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g - Exp.compute(out) * g.sum(axis=ctx.axis, keepdims=True)
