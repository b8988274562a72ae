"""The front end of the rest of PyTorch's element-wise math: ``%`` and ``//``, ``floor``/``ceil``/``trunc``/
``frac``, the inverse trigonometric functions, ``atan2``, ``hypot``, ``erf``, ``log2``/``log10``/``exp2``,
``sinh``/``cosh``, and the logical and bitwise operators ``& | ^ ~``.

As in ``arithmetic.py``: each function checks its arguments, promotes its operands by PyTorch's rule and
applies a primitive of ``core/primitives`` (``Remainder``, ``Floor``, ``Asin`` ...) or composes a few
(``sinh`` is ``(expm1 x − expm1 −x) / 2``, ``frac`` is ``x − trunc x``).  Logical and bitwise results
are bool or integer tensors: no gradient, nothing recorded.
"""
import numpy as np

from ..core import batching, dtypes, primitives
from ..core.operators import binary, promote, to_float, values_of
from ..core.primitives import Atan2, Ceil, Clone, Exp2, Floor, FloorDivide, Fmod, Hypot, Log2, Log10, Remainder, Trunc
from ..core.tensor import Tensor
from .arithmetic import compare, unary


def _kind(a, b):
    """The dtype kind ('b', 'i', 'u', 'f') of the result of a and b once promoted."""
    return (a if isinstance(a, Tensor) else b).dtype.kind


# ---- remainder, fmod, floor_divide ------------------------------------------------------------
def _division(op, fn, a, b):
    """x % y, fmod and x // y: integers stay integers, and an integer divided by 0 is an error (as in PyTorch)."""
    a, b = promote(op, a, b)
    if _kind(a, b) == "b":
        raise TypeError(f"{op}: not defined for bool tensors; convert them first with .long() or .float()")
    if _kind(a, b) in "iu" and np.any(np.asarray(values_of(b)) == 0):
        raise RuntimeError(f"{op}: integer division by zero (the divisor holds a 0); use a nonzero divisor, "
                           "or floats (x.float()), where the result is nan or inf")
    return binary(op, fn, a, b)


def remainder(a, b):
    """x − ⌊x / y⌋ · y, with the sign of y (Python's %): Remainder."""
    return _division("remainder", Remainder, a, b)


def fmod(a, b):
    """x − trunc(x / y) · y, with the sign of x (C's fmod): Fmod."""
    return _division("fmod", Fmod, a, b)


def floor_divide(a, b):
    """⌊x / y⌋ (x // y): FloorDivide, which has no gradient (as in PyTorch)."""
    return _division("floor_divide", FloorDivide, a, b)


# ---- rounding: zero gradients ---------------------------------------------------------------
_ROUNDING = {"floor": Floor, "ceil": Ceil, "trunc": Trunc}


def rounding(op, x):
    """floor / ceil / trunc (primitives with a zero gradient); an integer tensor is already whole: a copy."""
    if x.dtype.kind != "f":
        return Clone.apply(x)
    return _ROUNDING[op].apply(x)


def frac(x):
    """x − trunc(x), the fractional part with x's sign, composed: its gradient is g (trunc's is 0)."""
    if x.dtype.kind != "f":
        raise TypeError(f"frac: needs a floating-point tensor, got {dtypes.dtype_name(x.dtype)} "
                        "(an integer has no fraction); convert it first with .float()")
    return x - Trunc.apply(x)


# ---- more functions of one variable -----------------------------------------------------------
def log2(x):
    """log₂ x (Log2: exact at the powers of 2; integers become float32)."""
    return unary("log2", Log2, x)


def log10(x):
    """log₁₀ x (Log10: exact at the powers of 10)."""
    return unary("log10", Log10, x)


def exp2(x):
    """2ˣ (Exp2: exact at the integers, where exp(x · ln 2) is not)."""
    return unary("exp2", Exp2, x)


def sinh(x):
    """sinh x = (eˣ − e⁻ˣ) / 2, composed as (expm1 x − expm1 −x) / 2: the two terms have opposite signs near 0,
    so nothing cancels (eˣ − e⁻ˣ would lose the digits of a small x)."""
    x = to_float(x)
    return (x.expm1() - (-x).expm1()) / 2


def cosh(x):
    """cosh x = (eˣ + e⁻ˣ) / 2, composed: a sum of two positive terms is exact (it overflows for |x| > 88 in
    float32, a little before cosh itself does)."""
    x = to_float(x)
    return (x.exp() + (-x).exp()) / 2


def inverse_trig(op, fn, x):
    """asin / acos / atan (primitives; integers become float32)."""
    return unary(op, fn, x)


def atan2(y, x):
    """atan2(y, x): the angle of the point (x, y) in (−π, π] (Atan2; integers become float32)."""
    y, x = promote("atan2", y, x)
    if _kind(y, x) != "f":
        y, x = (to_float(t) if isinstance(t, Tensor) else t for t in (y, x))
    return binary("atan2", Atan2, y, x)


def hypot(x, y):
    """√(x² + y²) without overflow (Hypot); floats only, as in PyTorch."""
    x, y = promote("hypot", x, y)
    if _kind(x, y) != "f":
        raise TypeError(f"hypot: needs floating-point tensors, got {dtypes.dtype_name(_kind_dtype(x, y))}; "
                        "convert them first with .float()")
    return binary("hypot", Hypot, x, y)


def _kind_dtype(a, b):
    return (a if isinstance(a, Tensor) else b).dtype


# ---- logical and bitwise: bool and integer tensors, no gradient ----------------------------------
def logical(op, ufunc, a, b=None):
    """logical_and / or / xor / not: nonzero is True, for tensors of any dtype; a bool tensor."""
    if b is None:
        return batching.values(ufunc, a) if batching.on else Tensor._make(ufunc(values_of(a)))
    return compare(op, ufunc, a, b)


def bitwise(op, ufunc, a, b=None):
    """& | ^ ~ : logical on bool tensors, bitwise on integer ones; a float operand is an error (as in PyTorch)."""
    pair = (a,) if b is None else promote(op, a, b)
    dt = a.dtype if b is None else _kind_dtype(*pair)
    if dt.kind not in "biu":
        shown = " and ".join(dtypes.dtype_name(t.dtype) if isinstance(t, Tensor) else type(t).__name__ for t in pair)
        raise TypeError(f"{op}: works on integer and bool tensors only, got {shown}; for a condition compare "
                        "first, e.g. (x > 0) & (y > 0), or use logical_and / logical_not")
    if b is None:
        return batching.values(ufunc, a) if batching.on else Tensor._make(np.asarray(ufunc(a._data)))
    return compare(op, ufunc, *pair)


# ---- the Tensor methods: more element-wise math (% and //, rounding, inverse trig, erf), logical and bitwise ops 
class ElementwiseMethods:
    """Tensor's methods for more element-wise math (% and //, rounding, inverse trig, erf), logical and bitwise ops.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def __mod__(self, other): return remainder(self, other)
    def __rmod__(self, other): return remainder(other, self)
    def __floordiv__(self, other): return floor_divide(self, other)
    def __rfloordiv__(self, other): return floor_divide(other, self)

    def remainder(self, other):
        """x − ⌊x / y⌋ · y, with the sign of y, as Python's % (∂/∂x = 1, ∂/∂y = −⌊x / y⌋)."""
        return remainder(self, other)

    def fmod(self, other):
        """x − trunc(x / y) · y, with the sign of x, as C's fmod (∂/∂x = 1, ∂/∂y = −trunc(x / y))."""
        return fmod(self, other)

    def floor_divide(self, other):
        """⌊x / y⌋ element-wise (x // y); no gradient, as in PyTorch."""
        return floor_divide(self, other)

    def floor(self):
        """⌊x⌋, the largest integer ≤ x (its gradient is 0)."""
        return rounding("floor", self)

    def ceil(self):
        """⌈x⌉, the smallest integer ≥ x (its gradient is 0)."""
        return rounding("ceil", self)

    def trunc(self):
        """x rounded towards 0 (its gradient is 0)."""
        return rounding("trunc", self)

    fix = trunc

    def frac(self):
        """x − trunc(x), the fractional part with x's sign (its gradient is 1)."""
        return frac(self)

    def log2(self):
        """log₂ x element-wise."""
        return log2(self)

    def log10(self):
        """log₁₀ x element-wise."""
        return log10(self)

    def exp2(self):
        """2ˣ element-wise."""
        return exp2(self)

    def sinh(self):
        """sinh x = (eˣ − e⁻ˣ) / 2 element-wise."""
        return sinh(self)

    def cosh(self):
        """cosh x = (eˣ + e⁻ˣ) / 2 element-wise."""
        return cosh(self)

    def asin(self):
        """arcsin x element-wise (nan outside [−1, 1])."""
        return inverse_trig("asin", primitives.Asin, self)

    def acos(self):
        """arccos x element-wise (nan outside [−1, 1])."""
        return inverse_trig("acos", primitives.Acos, self)

    def atan(self):
        """arctan x element-wise."""
        return inverse_trig("atan", primitives.Atan, self)

    arcsin, arccos, arctan = asin, acos, atan

    def atan2(self, other):
        """atan2(self, other): the angle of the point (other, self), in (−π, π]."""
        return atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        """√(self² + other²) element-wise, without overflow."""
        return hypot(self, other)

    def erf(self):
        """The error function erf x = 2/√π ∫₀ˣ e^(−t²) dt element-wise."""
        return inverse_trig("erf", primitives.Erf, self)

    def __and__(self, other): return bitwise("bitwise_and", np.bitwise_and, self, other)
    def __rand__(self, other): return bitwise("bitwise_and", np.bitwise_and, other, self)
    def __or__(self, other): return bitwise("bitwise_or", np.bitwise_or, self, other)
    def __ror__(self, other): return bitwise("bitwise_or", np.bitwise_or, other, self)
    def __xor__(self, other): return bitwise("bitwise_xor", np.bitwise_xor, self, other)
    def __rxor__(self, other): return bitwise("bitwise_xor", np.bitwise_xor, other, self)
    def __invert__(self): return bitwise("bitwise_not", np.invert, self)

    def logical_and(self, other):
        """True where both are nonzero (a bool tensor)."""
        return logical("logical_and", np.logical_and, self, other)

    def logical_or(self, other):
        """True where either is nonzero (a bool tensor)."""
        return logical("logical_or", np.logical_or, self, other)

    def logical_xor(self, other):
        """True where exactly one is nonzero (a bool tensor)."""
        return logical("logical_xor", np.logical_xor, self, other)

    def logical_not(self):
        """True where the element is zero (a bool tensor)."""
        return logical("logical_not", np.logical_not, self)

    def bitwise_and(self, other):
        """self & other: bitwise on integers, logical on bools."""
        return self & other

    def bitwise_or(self, other):
        """self | other: bitwise on integers, logical on bools."""
        return self | other

    def bitwise_xor(self, other):
        """self ^ other: bitwise on integers, logical on bools."""
        return self ^ other

    def bitwise_not(self):
        """~self: bitwise on integers, logical on bools."""
        return ~self
