"""The table of primitives: every built-in differentiable op, forward and backward side by side.

This file is the calculus of the library, to be read top to bottom.  Each op is
a ``Function`` written exactly as a user writes a custom one, under a banner
(binary, unary, matmul, reductions, movement, indexing and joining), with its
forward formula and its vector–Jacobian product in the docstring.

Notation: ``g`` is ∂L/∂out, the gradient arriving from the op's output; each
backward returns ∂L/∂input for each input (``None`` where no gradient is
needed: see ``ctx.needs_input_grad``).  A gradient of a broadcast shape is
summed back to the input's shape by the engine (``broadcast.sum_to_shape``:
"the adjoint of broadcast is sum"), so no backward here does it itself.

Backwards are written once, in array syntax (``g * y``, ``g @ y.swapaxes(-1, -2)``,
``g.reshape(shape)``): they run on NumPy arrays, and on Tensors (recording a
graph) under ``create_graph=True``.  The two ops with no array-syntax spelling
(broadcast a gradient, scatter it into zeros) are primitives themselves
(``Expand``, ``IndexAdd``) and are called with ``Function.call``, which works
on both.

The rule for what is here: few primitives; everything else is composed where
it is used (``mean`` is ``sum / n``, ``sqrt`` is ``pow(x, 0.5)``, ``2 ** x`` is
``exp(x · ln 2)``; see ``arithmetic.py``).  A primitive that could be a
composition says why, in a docstring line that starts "Primitive, not ..."
(speed, numerical stability or exactness); the two fused ops of
``nn.functional`` say so in a line that starts "Fused".  A branch that exists
only for speed says "speed only" next to it.
"""
import numpy as np

from .broadcast import sum_to_shape
from .function import Function


# ============================================================================
# binary ops (broadcasting)
# ============================================================================
class Add(Function):
    """out = x + y            ∂L/∂x = g          ∂L/∂y = g"""
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """out = x − y            ∂L/∂x = g          ∂L/∂y = −g

    Primitive, not x + (−y): one node instead of two for the residual ŷ − y of every loss (speed).
    """
    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """out = x · y            ∂L/∂x = g · y      ∂L/∂y = g · x"""
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return (g * y if ctx.needs_input_grad[0] else None,
                g * x if ctx.needs_input_grad[1] else None)


class Div(Function):
    """out = x / y            ∂L/∂x = g / y      ∂L/∂y = −g · x / y²

    Primitive, not x · y⁻¹: x / y is exact where x · (1 / y) rounds twice (clearer and exact).
    """
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        # −g · (x / y) / y, not −g · x / y²: y² overflows (or underflows) in float32 long before the result does
        return (g / y if ctx.needs_input_grad[0] else None,
                -g * (x / y / y) if ctx.needs_input_grad[1] else None)


# ============================================================================
# unary ops
# ============================================================================
class Neg(Function):
    """out = −x               ∂L/∂x = −g

    Primitive, not (−1) · x: that would save x for its backward and multiply twice (speed).
    """
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """out = xᵖ  (p a number)  ∂L/∂x = g · p · xᵖ⁻¹"""
    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        if exponent >= 0:
            return x ** exponent
        with np.errstate(divide="ignore"):  # 0 ** -1 = inf, silently as in PyTorch
            return x ** exponent

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:
            return g * 0, None  # x⁰ = 1 is constant (0 · x⁻¹ would be NaN at x = 0)
        if p == 2:
            return g * 2 * x, None  # speed only: the common square, without computing x¹
        with np.errstate(divide="ignore"):  # for p < 1 the slope at x = 0 is inf (e.g. sqrt), as in PyTorch
            return g * p * x ** (p - 1), None


class Exp(Function):
    """out = eˣ               ∂L/∂x = g · eˣ = g · out"""
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):  # e¹⁰⁰⁰ = inf, silently as in PyTorch
            out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


class Log(Function):
    """out = ln x             ∂L/∂x = g / x"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore"):  # ln 0 = -inf, silently as in PyTorch (ln of x < 0 still warns)
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        with np.errstate(divide="ignore"):  # the slope 1/x at x = 0 is inf
            return g / x


class Abs(Function):
    """out = |x|              ∂L/∂x = g · sign(x)   (0 at x = 0, as in PyTorch)"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x > 0) - g * (x < 0)


class ReLU(Function):
    """out = max(x, 0)        ∂L/∂x = g · [x > 0]   (0 at x = 0, as in PyTorch)"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x > 0)


class Sigmoid(Function):
    """out = 1 / (1 + e⁻ˣ)    ∂L/∂x = g · out · (1 − out)

    Primitive, not 1 / (1 + exp(−x)): that overflows for x ≪ 0 (numerical stability).
    Computed as exp(−ln(1 + e⁻ˣ)), the same function, with ``np.logaddexp(0, −x)``
    for ln(1 + e⁻ˣ): it never overflows, and keeps the tiny values of the left
    tail (σ(−40) ≈ 4.2e−18, so ln σ(−40) = −40 rather than ln 0).
    """
    @staticmethod
    def forward(ctx, x):
        out = np.exp(-np.logaddexp(0, -x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * (1 - out)


class Tanh(Function):
    """out = tanh x           ∂L/∂x = g · (1 − out²)

    Primitive, not (e²ˣ − 1)/(e²ˣ + 1): that overflows for |x| large (numerical stability).
    """
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)


class Cast(Function):
    """out = x as another dtype   ∂L/∂x = g (the engine casts it back to x's dtype)"""
    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g


class Clone(Function):
    """out = a copy of x      ∂L/∂x = g"""
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


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
class Sum(Function):
    """out = Σ over axes of x   ∂L/∂x = g broadcast back over the summed axes"""
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        if not ctx.keepdims:  # put the summed axes back as size 1, then broadcast
            axes = range(len(ctx.in_shape)) if ctx.axis is None else ctx.axis
            g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(ctx.in_shape)))
        return Expand.call(g, shape=ctx.in_shape), None, None


# ============================================================================
# movement: reshape, transpose, expand
# ============================================================================
class Reshape(Function):
    """out = x with a new shape   ∂L/∂x = g reshaped to x's shape"""
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Transpose(Function):
    """out = x with dims d0 and d1 swapped   ∂L/∂x = g with them swapped back"""
    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return x.swapaxes(dim0, dim1)

    @staticmethod
    def backward(ctx, g):
        return g.swapaxes(*ctx.dims)


class Expand(Function):
    """out = x broadcast to ``shape`` (no copy)   ∂L/∂x = g summed back to x's shape"""
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.in_shape)


# ============================================================================
# indexing and joining
# ============================================================================
class Index(Function):
    """out = x[index]         ∂L/∂x = zeros like x, with g added at ``index``

    Repeated indices get the *sum* of their gradients (x[[0, 0]] uses x[0] twice).
    """
    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.call(g, shape=ctx.in_shape, index=ctx.index)


def _is_basic_index(index):
    """True for ints, slices, None and ...: they never select one element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class IndexAdd(Function):
    """out = zeros(shape) with g added at ``index``   ∂L/∂g = gg[index]  (Index's backward)"""
    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
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
