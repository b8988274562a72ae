"""The table of primitives: every built-in differentiable op, forward and backward side by side.

This file is the calculus of the library, to be read top to bottom.  Each op is
a ``Function`` written exactly as a user writes a custom one, under a banner
(binary, unary, matmul, reductions, softmax, movement, indexing and joining), with its
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
on both; so are the primitives a backward needs that arrays have no method for
(sin's backward calls ``Cos.call(x)``, where's calls ``Where.call``).

The rule for what is here: few primitives; everything else is composed where
it is used (``mean`` is ``sum / n``, ``sqrt`` is ``pow(x, 0.5)``, ``2 ** x`` is
``exp(x · ln 2)``; see ``arithmetic.py``).  A primitive that could be a
composition says why, in a docstring line that starts "Primitive, not ..."
(speed, numerical stability or exactness); the two fused ops of
``nn.functional`` say so in a line that starts "Fused".  A branch that exists
only for speed says "speed only" next to it.
"""
import math
import operator

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


class PowTensor(Function):
    """out = xʸ (y a tensor)   ∂L/∂x = g · y · xʸ⁻¹ (0 at x = y = 0)   ∂L/∂y = g · out · ln x (0 where x = 0, y ≥ 0)

    The two zeros are PyTorch's first derivatives: x⁰ = 1 whatever x is, and 0ʸ = 0 whatever y > 0 is.
    (PyTorch also zeroes ∂L/∂x wherever y = 0, which is the same value but loses ∂²L/∂x∂y = g / x there.)
    Primitive, not exp(y · ln x): that is NaN for x < 0 and x = 0, where xʸ is defined ((−2)² = 4, 0² = 0).
    """
    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf, (-2) ** 0.5 = nan, as in PyTorch
            out = x ** y
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # the values Where throws away may be inf or nan
            return (Where.call((x == 0) * (y == 0), 0, g * y * x ** (y - 1)) if ctx.needs_input_grad[0] else None,
                    Where.call((x == 0) * (y >= 0), 0, g * out * Log.call(x)) if ctx.needs_input_grad[1] else None)


class Maximum(Function):
    """out = max(x, y) element-wise   ∂L/∂x = g · ([x > y] + ½[x = y])   ∂L/∂y = g · ([y > x] + ½[x = y])

    At a tie each side gets half of g, as in PyTorch.
    """
    _pick, _wins = staticmethod(np.maximum), staticmethod(operator.gt)  # (operators work on Tensors too)

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return ctx._pick(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        half = g * (x == y) / 2
        return (g * ctx._wins(x, y) + half if ctx.needs_input_grad[0] else None,
                g * ctx._wins(y, x) + half if ctx.needs_input_grad[1] else None)


class Minimum(Maximum):
    """out = min(x, y) element-wise   ∂L/∂x = g · ([x < y] + ½[x = y])   ∂L/∂y = g · ([y < x] + ½[x = y])"""
    _pick, _wins = staticmethod(np.minimum), staticmethod(operator.lt)


class Where(Function):
    """out = x where cond, else y   ∂L/∂x = g where cond, else 0   ∂L/∂y = 0 where cond, else g

    ``cond`` is a bool array and gets no gradient.  The zeros are exact, even where g is inf or NaN.
    """
    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.cond = cond
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        return (None,
                Where.call(ctx.cond, g, 0) if ctx.needs_input_grad[1] else None,
                Where.call(ctx.cond, 0, g) if ctx.needs_input_grad[2] else None)


class Clamp(Function):
    """out = min(max(x, lo), hi)   ∂L/∂x = g · [lo ≤ x ≤ hi]   ∂L/∂lo = g · [x < lo]   ∂L/∂hi = g · [x > hi]

    ``lo`` or ``hi`` may be None (no bound), a number or an array (broadcasting).
    Primitive, not minimum(maximum(x, lo), hi): at x = lo (or hi) PyTorch gives the whole gradient to x,
    where maximum would split it in halves between x and lo.
    """
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        gx = g if lo is None else g * (x >= lo)
        gx = gx if hi is None else gx * (x <= hi)
        return (gx if ctx.needs_input_grad[0] else None,
                g * (x < lo) if ctx.needs_input_grad[1] else None,
                g * (x > hi) if ctx.needs_input_grad[2] else None)


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


class Sin(Function):
    """out = sin x            ∂L/∂x = g · cos x"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Cos.call(x)


class Cos(Function):
    """out = cos x            ∂L/∂x = −g · sin x"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * Sin.call(x)


class Tan(Function):
    """out = tan x            ∂L/∂x = g · (1 + out²)"""
    @staticmethod
    def forward(ctx, x):
        out = np.tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 + out * out)


class Log1p(Function):
    """out = ln(1 + x)        ∂L/∂x = g / (1 + x)

    Primitive, not log(1 + x): 1 + x rounds away the digits of a small x (in float32, 1 + 1e−8 is 1) (exactness).
    """
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore"):  # ln(1 + (−1)) = −inf, silently as in PyTorch
            return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (1 + x)


class Expm1(Function):
    """out = eˣ − 1           ∂L/∂x = g · (out + 1)

    Primitive, not exp(x) − 1: for a small x that subtracts two nearly equal numbers (in float32,
    e^(1e−8) − 1 is 0) (exactness).
    """
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (out + 1)


class Sign(Function):
    """out = sign x ∈ {−1, 0, 1}   ∂L/∂x = 0 (a step function: flat wherever it has a slope, as in PyTorch)"""
    @staticmethod
    def forward(ctx, x):
        return np.sign(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Round(Function):
    """out = x rounded to ``decimals`` digits (halves to even)   ∂L/∂x = 0 (a step function, as in PyTorch)"""
    @staticmethod
    def forward(ctx, x, decimals):
        return np.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Floor(Function):
    """out = ⌊x⌋ (the largest integer ≤ x)   ∂L/∂x = 0 (a step function, as in PyTorch)"""
    _fn = staticmethod(np.floor)

    @staticmethod
    def forward(ctx, x):
        return ctx._fn(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Ceil(Floor):
    """out = ⌈x⌉ (the smallest integer ≥ x)   ∂L/∂x = 0"""
    _fn = staticmethod(np.ceil)


class Trunc(Floor):
    """out = x with its fraction cut off (towards 0)   ∂L/∂x = 0"""
    _fn = staticmethod(np.trunc)


class Log2(Function):
    """out = log₂ x           ∂L/∂x = g / (x · ln 2)

    Primitive, not ln x / ln 2: the division rounds, and log₂ 8 would be 2.9999999999999996 (exactness).
    """
    _fn, _ln_base = staticmethod(np.log2), math.log(2)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore"):  # log 0 = −inf, silently as in PyTorch
            return ctx._fn(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (x * ctx._ln_base)


class Log10(Log2):
    """out = log₁₀ x          ∂L/∂x = g / (x · ln 10)   (a primitive for Log2's reason: log₁₀ 1000 = 3 exactly)"""
    _fn, _ln_base = staticmethod(np.log10), math.log(10)


class Exp2(Function):
    """out = 2ˣ               ∂L/∂x = g · out · ln 2

    Primitive, not exp(x · ln 2) (which ``2 ** x`` is): that rounds twice, and 2³ would be 7.999999999999998
    (exactness).
    """
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = np.exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * math.log(2)


class Asin(Function):
    """out = arcsin x  (|x| ≤ 1)   ∂L/∂x = g / √(1 − x²)"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # the slope at x = ±1 is inf, as in PyTorch
            return g / (1 - x * x) ** 0.5


class Acos(Function):
    """out = arccos x  (|x| ≤ 1)   ∂L/∂x = −g / √(1 − x²)

    Primitive, not π/2 − arcsin x: near x = 1 that subtracts two nearly equal numbers (exactness).
    """
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g / (1 - x * x) ** 0.5


class Atan(Function):
    """out = arctan x         ∂L/∂x = g / (1 + x²)"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (1 + x * x)


_erf = np.frompyfunc(math.erf, 1, 1)


class Erf(Function):
    """out = erf x = 2/√π ∫₀ˣ e^(−t²) dt   ∂L/∂x = g · 2/√π · e^(−x²)

    NumPy has no erf: forward calls Python's ``math.erf`` on each element (correctly rounded, slow for big arrays),
    through a ufunc made by ``np.frompyfunc`` (so that tinygrad_lr.compile sees it as one NumPy call).
    """
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        out = _erf(x)
        return out.astype(x.dtype) if isinstance(out, np.ndarray) else np.array(out, dtype=x.dtype)  # 0-d: a float

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * Exp.call(-(x * x))


class Atan2(Function):
    """out = atan2(y, x), the angle of the point (x, y)   ∂L/∂y = g · x / (x² + y²)   ∂L/∂x = −g · y / (x² + y²)

    Primitive, not arctan(y / x): that loses the quadrant (the sign of x) and divides by x = 0.
    """
    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # at (0, 0): nan, as in PyTorch
            r2 = x * x + y * y
            return (g * x / r2 if ctx.needs_input_grad[0] else None,
                    -g * y / r2 if ctx.needs_input_grad[1] else None)


class Hypot(Function):
    """out = √(x² + y²)       ∂L/∂x = g · x / out   ∂L/∂y = g · y / out

    Primitive, not (x² + y²) ** 0.5: x² overflows for |x| > 1e154 in float64 (1.8e19 in float32), where
    the result does not (numerical stability).
    """
    @staticmethod
    def forward(ctx, x, y):
        out = np.hypot(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):  # at (0, 0): nan, as in PyTorch
            return (g * x / out if ctx.needs_input_grad[0] else None,
                    g * y / out if ctx.needs_input_grad[1] else None)


class Remainder(Function):
    """out = x − ⌊x / y⌋ · y  (the sign of y, Python's %)   ∂L/∂x = g   ∂L/∂y = −g · ⌊x / y⌋

    Primitive, not x − floor(x / y) · y: x / y rounds, and where it rounds up to an integer the
    composition is off by a whole y (NumPy's remainder is exact) (exactness).
    """
    _fn, _whole = staticmethod(np.remainder), Floor

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0.0 = nan, silently as in PyTorch
            return ctx._fn(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g if ctx.needs_input_grad[0] else None,
                    -g * ctx._whole.call(x / y) if ctx.needs_input_grad[1] else None)


class Fmod(Remainder):
    """out = x − trunc(x / y) · y  (the sign of x, C's fmod)   ∂L/∂x = g   ∂L/∂y = −g · trunc(x / y)

    (A primitive for Remainder's reason: NumPy's fmod is exact.)
    """
    _fn, _whole = staticmethod(np.fmod), Trunc


class FloorDivide(Function):
    """out = ⌊x / y⌋          no gradient: PyTorch defines none, and backward says so

    A result of inputs that require grad requires grad too (as in PyTorch), so the error comes at backward.
    Primitive, not (x / y).floor(): integers stay integers (7 // 2 is 3, not 3.0), and floor's zero gradient
    would hide PyTorch's refusal.
    """
    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(x, y)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("floor_divide: x // y has no derivative (it is a step function, and PyTorch defines "
                           "none); detach its inputs (x.detach() // y), or use (x / y).floor() for a zero gradient")


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
        return Expand.call(_kept(ctx, g), shape=ctx.in_shape), None, None


class Amax(Function):
    """out = max of x over axes   ∂L/∂x = g / k at each of the k elements equal to the max, 0 elsewhere

    Ties share the gradient evenly, as in PyTorch's amax and max() (max(dim) picks one: see arithmetic.py).
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
        return Cumsum.call(g[backwards], axis=ctx.axis)[backwards]


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
        return g - Exp.call(out) * g.sum(axis=ctx.axis, keepdims=True)


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
        return Permute.call(g, dims=tuple(int(d) for d in np.argsort(ctx.dims)))


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
        return (IndexPut.call(g, 0, index=ctx.index) if ctx.needs_input_grad[0] else None,
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
        return (CopySlices.call(copy, 0, steps=ctx.steps) if ctx.needs_input_grad[0] else None,
                _part(g, ctx.steps) if ctx.needs_input_grad[1] else None)


def _part(a, steps):
    """The part of ``a`` (an array or a Tensor) that ``steps`` lead to."""
    for cls, kwargs in steps:
        a = cls.call(a, **kwargs)
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
