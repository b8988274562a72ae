"""The primitives of the table: unary ops: element-wise math, casts and copies.

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import math

import numpy as np

from ..function import Function
from ..batching import elementwise

# ============================================================================
# unary ops
# ============================================================================
class Neg(Function):
    """out = −x               ∂L/∂x = −g

    Primitive, not (−1) · x: that would save x for its backward and multiply twice (speed).
    """
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """out = xᵖ  (p a number)  ∂L/∂x = g · p · xᵖ⁻¹"""
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g


class Clone(Function):
    """out = a copy of x      ∂L/∂x = g"""
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Sin(Function):
    """out = sin x            ∂L/∂x = g · cos x"""
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Cos.compute(x)


class Cos(Function):
    """out = cos x            ∂L/∂x = −g · sin x"""
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * Sin.compute(x)


class Tan(Function):
    """out = tan x            ∂L/∂x = g · (1 + out²)"""
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x):
        return np.sign(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Round(Function):
    """out = x rounded to ``decimals`` digits (halves to even)   ∂L/∂x = 0 (a step function, as in PyTorch)"""
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x, decimals):
        return np.round(x, decimals)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Floor(Function):
    """out = ⌊x⌋ (the largest integer ≤ x)   ∂L/∂x = 0 (a step function, as in PyTorch)"""
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        out = _erf(x)
        return out.astype(x.dtype) if isinstance(out, np.ndarray) else np.array(out, dtype=x.dtype)  # 0-d: a float

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * Exp.compute(-(x * x))
