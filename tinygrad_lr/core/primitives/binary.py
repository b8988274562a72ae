"""The primitives of the table: binary ops (broadcasting): + − × ÷, pow with a tensor exponent, max/min, where,
clamp, atan2, hypot, remainder, floor division.

See the package docstring (``primitives/__init__.py``) for the notation and the rules."""
import operator

import numpy as np

from ..function import Function
from ..batching import elementwise
from .unary import Floor, Log, Trunc

# ============================================================================
# binary ops (broadcasting)
# ============================================================================
class Add(Function):
    """out = x + y            ∂L/∂x = g          ∂L/∂y = g"""
    batch_rule = elementwise
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
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """out = x · y            ∂L/∂x = g · y      ∂L/∂y = g · x"""
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
            return (Where.compute((x == 0) * (y == 0), 0, g * y * x ** (y - 1)) if ctx.needs_input_grad[0] else None,
                    Where.compute((x == 0) * (y >= 0), 0, g * out * Log.compute(x)) if ctx.needs_input_grad[1] else None)


class Maximum(Function):
    """out = max(x, y) element-wise   ∂L/∂x = g · ([x > y] + ½[x = y])   ∂L/∂y = g · ([y > x] + ½[x = y])

    At a tie each side gets half of g, as in PyTorch.
    """
    batch_rule = elementwise
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
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.cond = cond
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        return (None,
                Where.compute(ctx.cond, g, 0) if ctx.needs_input_grad[1] else None,
                Where.compute(ctx.cond, 0, g) if ctx.needs_input_grad[2] else None)


class Clamp(Function):
    """out = min(max(x, lo), hi)   ∂L/∂x = g · [lo ≤ x ≤ hi]   ∂L/∂lo = g · [x < lo]   ∂L/∂hi = g · [x > hi]

    ``lo`` or ``hi`` may be None (no bound), a number or an array (broadcasting).
    Primitive, not minimum(maximum(x, lo), hi): at x = lo (or hi) PyTorch gives the whole gradient to x,
    where maximum would split it in halves between x and lo.
    """
    batch_rule = elementwise
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


class Atan2(Function):
    """out = atan2(y, x), the angle of the point (x, y)   ∂L/∂y = g · x / (x² + y²)   ∂L/∂x = −g · y / (x² + y²)

    Primitive, not arctan(y / x): that loses the quadrant (the sign of x) and divides by x = 0.
    """
    batch_rule = elementwise
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
    batch_rule = elementwise
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
    batch_rule = elementwise
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
                    -g * ctx._whole.compute(x / y) if ctx.needs_input_grad[1] else None)


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
    batch_rule = elementwise
    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(x, y)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("floor_divide: x // y has no derivative (it is a step function, and PyTorch defines "
                           "none); detach its inputs (x.detach() // y), or use (x / y).floor() for a zero gradient")
