"""The primitives of the table: matmul, reductions (sum, amax, norm, cumsum) and softmax.

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import numpy as np

from ..function import Function
from ..batching import Batched, along_axes, logical_shape, run, tag, union
from .unary import Exp
from .movement import Expand, Reshape, Transpose

# ============================================================================
# matmul
# ============================================================================
def _matmul_batch_rule(cls, args, kwargs):
    """vmap of x @ y: one product for the whole batch.

    - a batch times one matrix (or vector): the batch's rows times it, as they are ((B·rows, k) @ (k, m));
    - one matrix times a batch of vectors: y @ xᵀ, the same one product;
    - a batch times a matrix every sample shares (grad's stride-0 view of a weight): ``SharedMatmul``;
    - otherwise: both lined up on the batch dims (a 1-d operand as a row or a column) and multiplied.
    """
    x, y = args
    order, _ = union(args)
    nx, ny = len(logical_shape(x)), len(logical_shape(y))
    bx, by = isinstance(x, Batched), isinstance(y, Batched)
    if not by and ny <= 2:
        return tag(run(cls, x, y), order)
    if not bx and nx <= 2 and ny == 1:
        return tag(run(cls, y, x if nx == 1 else run(Transpose, x, dim0=0, dim1=1)), order)
    if bx and by and x._levels == y._levels and max(nx, ny) <= 2:
        nb = len(order)
        if _shared(y):
            return tag(run(SharedMatmul, x, y, nb=nb), order)
        if _shared(x):  # x @ y = (yᵀ @ xᵀ)ᵀ, with the shared operand second
            xt = x if nx == 1 else run(Transpose, x, dim0=nb, dim1=nb + 1)
            if ny == 1:
                return tag(run(SharedMatmul, y, xt, nb=nb), order)
            out = run(SharedMatmul, run(Transpose, y, dim0=nb, dim1=nb + 1), xt, nb=nb)
            return tag(out if nx == 1 else run(Transpose, out, dim0=nb, dim1=nb + 1), order)
    return tag(_lined_up_product(cls, x, y, order), order)


def _shared(t):
    """True for a batched tensor whose samples are one array (stride 0 along the batch dims): a shared weight."""
    nb = len(t._levels)
    return all(s == 0 or n == 1 for s, n in zip(t._data.strides[:nb], t._data.shape[:nb]))


def _lined_up_product(cls, x, y, order):
    """x @ y with both on the batch dims ``order`` (size 1 where one has none) and on one number of dims;
    a 1-d x is a row (1, k), a 1-d y a column (k, 1), and the added dims are dropped from the result."""
    sx, sy = logical_shape(x), logical_shape(y)
    sx2 = sx[:-1] + (1,) + sx[-1:] if len(sx) == 1 else sx
    sy2 = sy + (1,) if len(sy) == 1 else sy
    ndim = max(len(sx2), len(sy2))
    lined = []
    for t, s in ((x, sx2), (y, sy2)):
        have = dict(zip(getattr(t, "_levels", ()), t._data.shape))
        shape = tuple(have.get(level, 1) for level in order) + (1,) * (ndim - len(s)) + s
        lined.append(t if shape == t._data.shape else run(Reshape, t, shape=shape))
    out = run(cls, *lined)
    shape = out._data.shape
    shape = shape[:-2] + shape[-1:] if len(sx) == 1 else shape
    shape = shape[:-1] if len(sy) == 1 else shape
    return out if shape == out._data.shape else run(Reshape, out, shape=shape)


class Matmul(Function):
    """out = x @ y            ∂L/∂x = g @ yᵀ     ∂L/∂y = xᵀ @ g

    PyTorch's rules: a 1-d x is a row vector (1, n) and a 1-d y a column (n, 1),
    the added dimension is removed from the result; leading (batch) dimensions
    broadcast.  Backward works on the 2-d forms; the engine sums the batch
    dimensions and the added 1 back to each input's shape.
    vmap: see ``_matmul_batch_rule``.
    """
    batch_rule = _matmul_batch_rule
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


class SharedMatmul(Function):
    """out[b] = x[b] @ W   for each sample b of a vmap, W one matrix (or vector) the samples share

    ∂L/∂x[b] = g[b] @ Wᵀ          ∂L/∂W[b] = x[b]ᵀ @ g[b]   (one gradient per sample: what vmap(grad) asks for)

    x is (batch, *rows, k); w is W broadcast to (batch, k, m) or (batch, k) with stride 0 (grad's view of a
    weight inside vmap), ``nb`` batch dims in front of both.  Speed only: Matmul on these arrays would make
    one small product per sample; here forward and ∂L/∂x are one product (batch·rows, k) @ (k, m) each, and
    ∂L/∂W an outer product per sample.  (Under create_graph the backward uses w itself, sample by sample.)
    """
    @staticmethod
    def forward(ctx, x, w, nb):
        ctx.save_for_backward(x, w)
        ctx.nb = nb
        one = w[(0,) * nb]  # the matrix all samples share
        return (x.reshape(-1, x.shape[-1]) @ one).reshape(x.shape[:-1] + one.shape[1:])

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        nb = ctx.nb
        batch, k = x.shape[:nb], x.shape[-1]
        m = 1 if w.ndim == nb + 1 else w.shape[-1]
        rows = x.reshape(batch + (-1, k))                 # (batch, R, k)
        gs = g.reshape(batch + (rows.shape[nb], m))       # (batch, R, m)
        ws = w.reshape(batch + (k, m))                    # (batch, k, m)
        gx = gw = None
        if ctx.needs_input_grad[0]:
            if isinstance(g, np.ndarray):  # speed only: one product with the shared matrix
                gx = gs.reshape(-1, m) @ ws[(0,) * nb].T
            else:
                gx = gs @ ws.swapaxes(-1, -2)
            gx = gx.reshape(x.shape)
        if ctx.needs_input_grad[1]:
            if rows.shape[nb] == 1:  # one row per sample: the outer product x[b] g[b]ᵀ
                gw = x.reshape(batch + (k, 1)) * g.reshape(batch + (1, m))
            else:
                gw = rows.swapaxes(-1, -2) @ gs
            gw = gw.reshape(w.shape)
        return gx, gw


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
    batch_rule = along_axes
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
    batch_rule = along_axes
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
    batch_rule = along_axes
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
    batch_rule = along_axes
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
    batch_rule = along_axes
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
    batch_rule = along_axes
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
