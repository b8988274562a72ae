"""What ``a + b``, ``a @ b``, ``x ** 2``, ``x.exp()`` and ``x.sum()`` call: the front end of the arithmetic.

Each function here checks its arguments, turns Python numbers, lists and
arrays into operands (with PyTorch's type promotion: float32 + a Python float
stays float32, int64 + float32 is float32), turns NumPy's broadcast errors into
ours, and applies a primitive of ``core/primitives``, or composes a few
(``mean`` is ``sum / n``, ``b ** x`` is ``exp(x · ln b)``).  No math of its own.
"""
import collections
import math
import warnings

import numpy as np

from ..core import batching, dtypes, operators, primitives
from ..core.operators import (axes_of, binary, broadcast_error, floating, matmul, mean, mul, normalize_dim, operand,
                              for_promotion, promote, shape_of, to_float, values_of)
from ..core.primitives import (Amax, Amin, Cat, Clamp, Cumsum, Index, LogSoftmax, Maximum, Minimum, Mul, Norm, Round,
                               Softmax, Sum, Where)
from ..core.tensor import Tensor
from .shapes import _slice, cat


def unary(op, fn, x):
    if x._data.dtype.kind != "f" and op not in ("abs", "relu"):
        x = to_float(x)  # as in PyTorch: exp/log/... of an integer tensor is float32 (abs and relu keep it)
    return fn.apply(x)


# ---- element-wise math with bounds and choices: clamp, maximum, minimum, where, round ----------
def clamp(x, min=None, max=None):  # noqa: A002  (PyTorch's names)
    """min(max(x, min), max) element-wise (Clamp); a bound may be None (none), a number or a tensor."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given (not None)")
    args = [x] + [None if b is None else operand("clamp", b) for b in (min, max)]
    dt = dtypes.result_dtype(*[for_promotion(a) for a in args if a is not None])
    x, lo, hi = (a.to(dt) if isinstance(a, Tensor) else a for a in args)
    try:
        return Clamp.apply(x, lo, hi)
    except ValueError:
        bounds = " and ".join(f"{name} {shape_of(b)}" for name, b in (("min", lo), ("max", hi)) if b is not None)
        raise ValueError(f"clamp: the shapes of input {shape_of(x)} and {bounds} cannot be broadcast together") from None


def maximum(a, b): return binary("maximum", Maximum, a, b)
def minimum(a, b): return binary("minimum", Minimum, a, b)


def nonzero(x, as_tuple=False):
    """The indices of the nonzero elements, one row each: a (k, ndim) int64 tensor; with ``as_tuple``, one (k,)
    tensor per dim (a 0-d x counting as 1-d), as in PyTorch. Indices have no gradient."""
    if as_tuple:
        return tuple(Tensor._make(i) for i in np.nonzero(np.atleast_1d(values_of(x))))
    return Tensor._make(np.argwhere(values_of(x)))


def where(condition, input=None, other=None):  # noqa: A002
    """input where condition is True, else other (Where, broadcasting); with the condition alone, the indices
    of its True elements, one int64 tensor per dim (``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        c = np.atleast_1d(values_of(condition) if isinstance(condition, Tensor) else np.asarray(condition))
        return tuple(Tensor._make(i) for i in np.nonzero(c))
    if input is None or other is None:
        raise TypeError("where: pass both input and other (or neither, for the indices of the True elements)")
    if isinstance(condition, np.ndarray) and condition.dtype == np.bool_:
        condition = Tensor._make(condition)
    if not isinstance(condition, Tensor) or condition.dtype != np.bool_:
        got = dtypes.dtype_name(condition.dtype) if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(f"where: the condition must be a bool tensor, got {got}; compare first, "
                           "e.g. where(x > 0, x, 0.0)")
    x, y = promote("where", input, other)
    try:
        return Where.apply(condition, x, y)
    except ValueError:
        raise ValueError(f"where: the shapes of condition {shape_of(condition)}, input {shape_of(x)} and other "
                         f"{shape_of(y)} cannot be broadcast together") from None


def rounding(x, decimals=0):
    """x rounded to ``decimals`` digits, halves to even (Round); an integer tensor stays as it is."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}")
    if decimals and x.dtype.kind != "f":
        raise TypeError(f"round: decimals= needs a floating-point tensor, got {dtypes.dtype_name(x.dtype)}; "
                        "convert it first with .float()")
    return Round.apply(x, decimals=int(decimals))


def compare(op, ufunc, a, b):
    a, b = promote(op, a, b)
    if batching.on and (isinstance(a, batching.Batched) or isinstance(b, batching.Batched)):
        return batching.values(ufunc, a, b)  # inside vmap (core/batching.py)
    da = a._data if isinstance(a, Tensor) else a
    db = b._data if isinstance(b, Tensor) else b
    try:
        result = ufunc(da, db)  # an array stays itself (a recorder's tracing array too, see capture.py)
        return Tensor._make(result if isinstance(result, np.ndarray) else np.asarray(result))
    except ValueError:
        err = broadcast_error(op, a, b)
        if err is None:
            raise
        raise err from None


# ---- closeness: allclose, isclose, equal (no gradient) ------------------------------------------
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002  (PyTorch's names)
    """True if |input − other| ≤ atol + rtol·|other| everywhere (broadcasting); both of one dtype, as in PyTorch."""
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"allclose: {name} must be a Tensor, got {type(t).__name__}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"allclose: input is {input.dtype} but other is {other.dtype}; convert one first, "
                           f"e.g. other.to(input.dtype)")
    a, b = input.detach().numpy(), other.detach().numpy()
    try:
        return np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError:
        raise ValueError(f"allclose: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast") from None


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """Element-wise |input − other| ≤ atol + rtol·|other|: a bool tensor (no gradient)."""
    a = input.detach().numpy() if isinstance(input, Tensor) else np.asarray(input)
    b = other.detach().numpy() if isinstance(other, Tensor) else np.asarray(other)
    return Tensor._make(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))




def equal(input, other):  # noqa: A002
    """True if both have the same shape and the same values (of any dtypes; NaN is never equal)."""
    return input.shape == other.shape and (input == other).all().item()


# ---- products: dot, mv, mm, bmm (matmul of exactly the dims each takes, as in PyTorch), outer ----
_PRODUCTS = {"dot": (1, 1, "two vectors (1-d)"), "mv": (2, 1, "a matrix (2-d) and a vector (1-d)"),
             "mm": (2, 2, "two matrices (2-d)"), "bmm": (3, 3, "two batches of matrices (3-d)")}


def product(op, a, b):
    """dot, mv, mm or bmm: matmul, once the operands have the dims the op takes (bmm: equal batch sizes)."""
    a, b = promote(op, a, b)
    nd_a, nd_b, what = _PRODUCTS[op]
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != nd_a or len(sb) != nd_b:
        raise ValueError(f"{op}: expects {what}, got shapes {sa} and {sb}; matmul (@) takes any of these")
    if op == "bmm" and sa[0] != sb[0]:
        raise ValueError(f"bmm: the batch sizes of shapes {sa} and {sb} differ ({sa[0]} and {sb[0]}); "
                         "bmm does not broadcast, matmul (@) does")
    return matmul(a, b, op)


def outer(a, b):
    """out[i, j] = a[i] · b[j], composed as a column times a row (broadcasting mul)."""
    a, b = promote("outer", a, b)
    if len(shape_of(a)) != 1 or len(shape_of(b)) != 1:
        raise ValueError(f"outer: expects two vectors (1-d), got shapes {shape_of(a)} and {shape_of(b)}")
    return mul(a.reshape(-1, 1), b)


# ---- reductions ---------------------------------------------------------------
# ---- reductions: max, min, argmax, amax, prod, var, std, norm, logsumexp, cumsum ----
max_result = collections.namedtuple("max", ["values", "indices"])  # torch.return_types.max: v, i = x.max(1)
min_result = collections.namedtuple("min", ["values", "indices"])
_EXTREMA = {"max": (Amax, np.argmax, Maximum, max_result), "min": (Amin, np.argmin, Minimum, min_result)}


def _nonempty(op, x, axes):
    """A max (min, argmax ...) over no elements has no value: say so (RuntimeError for all, IndexError for a dim)."""
    if axes is None and x.numel() == 0:
        raise RuntimeError(f"{op}: the tensor is empty (shape {tuple(x.shape)}), so it has no {op}; "
                           "reduce along a dim of nonzero size with dim=")
    for a in axes or ():
        if x.shape[a] == 0:
            raise IndexError(f"{op}: dim {a} of shape {tuple(x.shape)} has size 0, and a reduction over no "
                             f"elements has no {op}")


def _first_index(op, find, x, dim, keepdim):
    """The int64 array of argmax / argmin: the first largest (smallest) element's index, flat or along dim.

    Inside vmap (x batched), per sample: the batch dims of x's array stay in front of the result's."""
    nb, data = len(x._levels), x._data
    if dim is None:
        _nonempty(op, x, None)
        i = np.asarray(find(data.reshape(data.shape[:nb] + (-1,)), axis=-1) if nb else find(data), dtype=np.int64)
        return i.reshape(i.shape + (1,) * x.ndim) if keepdim else i
    d = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return np.zeros(data.shape[:nb], np.int64)
    _nonempty(op, x, (d,))
    return find(data, axis=nb + d, keepdims=bool(keepdim)).astype(np.int64, copy=False)


def arg_extremum(op, x, dim=None, keepdim=False):
    """argmax / argmin (no gradient: an index)."""
    return batching.like(x, _first_index(op, np.argmax if op == "argmax" else np.argmin, x, dim, keepdim))


def extremum(op, x, dim=None, keepdim=False):
    """max / min, PyTorch's three in one: of all elements (Amax: ties share the gradient evenly); along dim, the
    pair (values, indices), composed as x indexed at argmax, so the gradient goes to the index returned; and,
    given a tensor, element-wise (maximum)."""
    reduction, find, elementwise, result = _EXTREMA[op]
    if isinstance(dim, Tensor):  # torch.max(a, b)
        return binary("maximum" if op == "max" else "minimum", elementwise, x, dim)
    if dim is None:
        _nonempty(op, x, None)
        return reduction.apply(x, axis=None, keepdims=False)
    i = batching.like(x, _first_index(op, find, x, dim, keepdim))
    if x.ndim == 0:
        return result(x.reshape(()), i)
    d = normalize_dim(op, dim, x.ndim)
    index = list(np.indices(i.shape, sparse=True))  # every position of the result, and i along dim
    if keepdim:
        index[d] = i if x._levels else i._data
    else:
        index.insert(d, i if x._levels else i._data)
    values = x[tuple(index)] if x._levels else Index.apply(x, index=tuple(index))  # (batched i: a gather per sample)
    return result(values, i)


def amax(op, x, dim=(), keepdim=False):
    """amax / amin over dim (all dims for () or None); ties share the gradient evenly."""
    axes = None if dim is None or (isinstance(dim, (tuple, list)) and not dim) else axes_of(op, dim, x.ndim)
    _nonempty(op, x, axes)
    return (Amax if op in ("amax", "max") else Amin).apply(x, axis=axes, keepdims=bool(keepdim))


def prod(x, dim=None, keepdim=False, dtype=None):
    """Π over dim (over all elements for None), composed as pairwise products that halve the dim each step.

    log₂ n Mul nodes, and the gradient Π_{j≠i} xⱼ is exact where some xᵢ = 0 (out / xᵢ would be 0 / 0), at
    every order.  Integers multiply as int64, as in PyTorch.
    """
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu":
        x = x.to(dtypes.int64)
    if dim is None:
        t, d = x.reshape(-1), 0
    else:
        d = normalize_dim("prod", dim, x.ndim)
        t = x.reshape(1) if x.ndim == 0 else x
    if t.shape[d] == 0:  # the empty product is 1 (with a gradient of zeros)
        t = t.sum(d, keepdim=True) * 0 + 1
    lead = (slice(None),) * d
    while t.shape[d] > 1:
        n, h = t.shape[d], t.shape[d] // 2
        pairs = t[lead + (slice(0, h),)] * t[lead + (slice(h, 2 * h),)]
        t = pairs if n % 2 == 0 else Cat.apply(pairs, t[lead + (slice(2 * h, n),)], axis=d)
    if dim is None or x.ndim == 0:
        return t.reshape(())
    if keepdim:
        return t.clone() if t is x else t  # a product of one factor is a new tensor all the same
    return t.reshape(x.shape[:d] + x.shape[d + 1:])


def var(x, dim=None, unbiased=None, keepdim=False, correction=None, op="var"):
    """var = Σ (x − x̄)² / (n − correction) and std = ‖x − x̄‖₂ / √(n − correction) over dim, composed.

    PyTorch's default correction=1 (unbiased=True) divides by n − 1: the unbiased estimate.  std goes through
    the 2-norm so that its gradient is 0, not NaN, where all values are equal (as PyTorch's).
    """
    if isinstance(dim, bool):  # x.var(False): the old signature's unbiased
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: pass unbiased= or correction=, not both (unbiased=False is correction=0)")
    floating(op, x)
    c = correction if correction is not None else (1 if unbiased is None else int(bool(unbiased)))
    axes = axes_of(op, dim, x.ndim)
    n = x.numel() if axes is None else math.prod(x.shape[a] for a in axes)
    dof = n - c
    if dof <= 0:
        warnings.warn(f"{op}: degrees of freedom n - correction = {n} - {c} <= 0, so the result is inf or nan; "
                      "use correction=0 (the population variance) or reduce over more elements", stacklevel=3)
    centered = x - mean(x, axes, keepdim=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # dof <= 0: ·inf, as in PyTorch
        if op == "std":
            return Norm.apply(centered, p=2, axis=axes, keepdims=bool(keepdim)) * (
                1 / math.sqrt(dof) if dof > 0 else math.inf)
        square_sum = Sum.apply(centered * centered, axis=axes, keepdims=bool(keepdim))
        return square_sum / dof if dof > 0 else square_sum * math.inf


def norm(x, p="fro", dim=None, keepdim=False, dtype=None, op="norm"):
    """‖x‖ₚ over dim (all elements by default): p = 2 or 'fro' and any other p (Norm); 1 (Σ |x|, composed);
    inf / −inf (amax / amin of |x|: ties share the gradient); 0 (the number of nonzeros: no gradient)."""
    x = floating(op, x, dtype)
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        why = " (the nuclear norm needs singular values)" if p == "nuc" else ""
        raise ValueError(f"{op}: p={p!r} is not supported{why}; use a number, inf, -inf or 'fro'")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: p must be a number or 'fro', got {p!r}")
    axes, keepdim = axes_of(op, dim, x.ndim), bool(keepdim)
    if math.isinf(p):
        return amax("amax" if p > 0 else "amin", abs(x), axes if axes is not None else (), keepdim)
    if p == 0:
        return Tensor._make(np.asarray((x._data != 0).sum(axis=axes, keepdims=keepdim), dtype=x.dtype))
    if p == 1:
        return Sum.apply(abs(x), axis=axes, keepdims=keepdim)
    return Norm.apply(x, p=float(p), axis=axes, keepdims=keepdim)


def logsumexp(x, dim, keepdim=False):
    """ln Σ eˣ over dim, composed as m + ln Σ e^(x − m) with m = max x held constant: the same value without
    overflow (eˣ is inf for x > 88 in float32); m drops out of the gradient, which is softmax(x)."""
    x = to_float(x)
    axes = axes_of("logsumexp", dim, x.ndim)
    along = batching.shift(axes, len(x._levels), x.ndim) if x._levels else axes  # (inside vmap: past the batch dims)
    m = np.max(x._data, axis=along, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)  # all −inf (or an inf): shift by 0 instead
    out = (x - batching.like(x, m)).exp().sum(axes, keepdim=bool(keepdim)).log()
    return out + batching.like(x, m if keepdim else np.squeeze(m, axis=along))


def cumsum(x, dim, dtype=None):
    """Running sums along dim (Cumsum); integers sum as int64, as in PyTorch."""
    if dtype is not None:
        x = x.to(dtype)
    d = normalize_dim("cumsum", dim, x.ndim)
    if x.ndim == 0:
        return Cumsum.apply(x.reshape(1), axis=0).reshape(())
    return Cumsum.apply(x, axis=d)


# ---- softmax ------------------------------------------------------------------------------------
def softmax(op, x, dim, dtype=None):
    """softmax / log_softmax along dim (the primitives Softmax, LogSoftmax: stable for any logits)."""
    x = floating(op, x, dtype)
    fn = Softmax if op == "softmax" else LogSoftmax
    d = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:
        return fn.apply(x.reshape(1), axis=0).reshape(())
    return fn.apply(x, axis=d)


# ---- running products and differences -----------------------------------------------------------
def cumprod(x, dim, dtype=None):
    """out[i] = Π_{j ≤ i} x[j] along dim, composed as a scan: after step s, t[i] = Π of x[i − 2ˢ + 1 … i].

    Each step multiplies t by itself shifted by 2ˢ (log₂ n Mul nodes), so the gradient is exact where some
    x[j] = 0 (the formula out / x would be 0 / 0 there), at every order.  Integers multiply as int64.
    """
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu":
        x = x.to(dtypes.int64)
    d = normalize_dim("cumprod", dim, x.ndim)
    if x.ndim == 0:
        return x.clone()
    t, n, shift = x, x.shape[d], 1
    while shift < n:
        t = Cat.apply(t[_slice(d, slice(0, shift))],
                      Mul.apply(t[_slice(d, slice(shift, n))], t[_slice(d, slice(0, n - shift))]), axis=d)
        shift *= 2
    return t.clone() if t is x else t


def diff(x, n=1, dim=-1, prepend=None, append=None):
    """out[i] = x[i + 1] − x[i] along dim, n times (x joined first with prepend and append, as in PyTorch)."""
    if x.ndim == 0:
        raise RuntimeError("diff: expects a tensor with at least 1 dimension, got a 0-d tensor")
    d = normalize_dim("diff", dim, x.ndim)
    parts = [p if isinstance(p, Tensor) else Tensor._make(np.asarray(p, dtype=x.dtype))
             for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = cat(parts, d)
    for _ in range(int(n)):
        m = x.shape[d]
        after, before = x[_slice(d, slice(1, m))], x[_slice(d, slice(0, max(m - 1, 0)))]
        x = (after ^ before) if x.dtype == np.bool_ else after - before  # bools: ≠, as in PyTorch
    return x


# ---- the Tensor methods: arithmetic, element-wise math, comparisons, reductions and softmax ----------------
class ArithmeticMethods:
    """Tensor's methods for arithmetic, element-wise math, comparisons, reductions and softmax.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def __abs__(self): return self.abs()

    def add(self, other, *, alpha=1):
        """self + alpha · other (broadcasting; ``alpha`` as in ``torch.add``)."""
        return operators.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """self − alpha · other (broadcasting)."""
        return operators.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        """self · other, element-wise (broadcasting)."""
        return operators.mul(self, other)

    def div(self, other):
        """self / other, element-wise (broadcasting); integers divide to float32, as in PyTorch."""
        return operators.div(self, other)

    def matmul(self, other):
        """The matrix product self @ other (PyTorch's rules for 1-d and batched operands)."""
        return operators.matmul(self, other)

    def dot(self, tensor):
        """The dot product Σᵢ selfᵢ · tensorᵢ of two vectors (1-d)."""
        return product("dot", self, tensor)

    def mv(self, vec):
        """The matrix–vector product self @ vec (2-d @ 1-d)."""
        return product("mv", self, vec)

    def mm(self, mat2):
        """The matrix product self @ mat2 of two matrices (2-d @ 2-d)."""
        return product("mm", self, mat2)

    def bmm(self, mat2):
        """The batched matrix product out[b] = self[b] @ mat2[b] (3-d @ 3-d, equal batch sizes)."""
        return product("bmm", self, mat2)

    def outer(self, vec2):
        """The outer product out[i, j] = self[i] · vec2[j] of two vectors."""
        return outer(self, vec2)

    def neg(self):
        """−self."""
        return primitives.Neg.apply(self)

    def pow(self, exponent):
        """self ** exponent, for a number or a tensor exponent (broadcasting)."""
        return operators.pow(self, exponent)

    def square(self):
        """self², composed as pow(self, 2)."""
        return operators.pow(self, 2)

    def sqrt(self):
        """√self, composed as pow(self, 0.5)."""
        return operators.pow(self, 0.5)

    def exp(self):
        """eˣ element-wise (integers become float32)."""
        return unary("exp", primitives.Exp, self)

    def log(self):
        """The natural logarithm ln x element-wise (ln 0 = −inf)."""
        return unary("log", primitives.Log, self)

    def abs(self):
        """|x| element-wise."""
        return unary("abs", primitives.Abs, self)

    def relu(self):
        """max(x, 0) element-wise."""
        return unary("relu", primitives.ReLU, self)

    def sigmoid(self):
        """σ(x) = 1 / (1 + e⁻ˣ) element-wise, computed without overflow."""
        return unary("sigmoid", primitives.Sigmoid, self)

    def tanh(self):
        """tanh x element-wise."""
        return unary("tanh", primitives.Tanh, self)

    def sin(self):
        """sin x element-wise (integers become float32)."""
        return unary("sin", primitives.Sin, self)

    def cos(self):
        """cos x element-wise."""
        return unary("cos", primitives.Cos, self)

    def tan(self):
        """tan x element-wise."""
        return unary("tan", primitives.Tan, self)

    def log1p(self):
        """ln(1 + x) element-wise, exact for small x."""
        return unary("log1p", primitives.Log1p, self)

    def expm1(self):
        """eˣ − 1 element-wise, exact for small x."""
        return unary("expm1", primitives.Expm1, self)

    def rsqrt(self):
        """1 / √x element-wise, composed as pow(x, −0.5)."""
        return operators.pow(self, -0.5)

    def reciprocal(self):
        """1 / x element-wise (integers become float32)."""
        return operators.div(1, self)

    def sign(self):
        """−1, 0 or 1 by the sign of each element (its gradient is 0)."""
        return primitives.Sign.apply(self)

    def round(self, *, decimals=0):
        """Round to ``decimals`` digits, halves to even (its gradient is 0)."""
        return rounding(self, decimals)

    def clamp(self, min=None, max=None):  # noqa: A002
        """Limit to [min, max] element-wise; either bound may be None, a number or a tensor."""
        return clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """The larger of self and other element-wise (broadcasting; a tie splits the gradient)."""
        return maximum(self, other)

    def minimum(self, other):
        """The smaller of self and other element-wise (broadcasting; a tie splits the gradient)."""
        return minimum(self, other)

    def where(self, condition, other):
        """self where condition is True, else other (``torch.where(condition, self, other)``)."""
        return where(condition, self, other)

    def nonzero(self, *, as_tuple=False):
        """The indices of the nonzero elements: a (k, ndim) int64 tensor, or a tuple of one per dim."""
        return nonzero(self, as_tuple)

    __hash__ = object.__hash__  # == compares element-wise (so Python would drop the hash): hash by identity
    def __eq__(self, other): return compare("eq", np.equal, self, other)
    def __ne__(self, other): return compare("ne", np.not_equal, self, other)
    def __lt__(self, other): return compare("lt", np.less, self, other)
    def __le__(self, other): return compare("le", np.less_equal, self, other)
    def __gt__(self, other): return compare("gt", np.greater, self, other)
    def __ge__(self, other): return compare("ge", np.greater_equal, self, other)

    def eq(self, other):
        """self == other element-wise, a bool tensor."""
        return self == other

    def ne(self, other):
        """self != other element-wise, a bool tensor."""
        return self != other

    def lt(self, other):
        """self < other element-wise, a bool tensor."""
        return self < other

    def le(self, other):
        """self <= other element-wise, a bool tensor."""
        return self <= other

    def gt(self, other):
        """self > other element-wise, a bool tensor."""
        return self > other

    def ge(self, other):
        """self >= other element-wise, a bool tensor."""
        return self >= other

    def max(self, dim=None, keepdim=False):
        """The largest element; with ``dim``, the pair (values, indices) along it; with a tensor, ``maximum``."""
        return extremum("max", self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """The smallest element; with ``dim``, the pair (values, indices) along it; with a tensor, ``minimum``."""
        return extremum("min", self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        """The largest elements over ``dim`` (an int or a tuple; () for all); ties share the gradient."""
        return amax("amax", self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        """The smallest elements over ``dim`` (an int or a tuple; () for all); ties share the gradient."""
        return amax("amin", self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the first largest element (of the flattened tensor, or along ``dim``)."""
        return arg_extremum("argmax", self, axis if dim is None else dim,
                                       keepdim if keepdims is None else keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the first smallest element (of the flattened tensor, or along ``dim``)."""
        return arg_extremum("argmin", self, axis if dim is None else dim,
                                       keepdim if keepdims is None else keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product of all elements, or along ``dim``."""
        return prod(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance Σ (x − x̄)² / (n − correction) over ``dim`` (correction=1 by default)."""
        return var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation √var over ``dim`` (correction=1 by default)."""
        return var(self, dim, unbiased, keepdim, correction, op="std")

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm (Σ |x|ᵖ)^(1/p) over ``dim`` (all elements by default); p = 2 ('fro'), 1, inf, −inf, 0, any p."""
        return norm(self, p, dim, keepdim, dtype)

    def logsumexp(self, dim, keepdim=False):
        """ln Σ eˣ over ``dim``, computed without overflow."""
        return logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        """The running sums along ``dim``."""
        return cumsum(self, dim, dtype)

    def softmax(self, dim, dtype=None):
        """eˣ / Σ eˣ along ``dim``, computed without overflow (each slice sums to 1)."""
        return softmax("softmax", self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        """x − ln Σ eˣ along ``dim``, computed without overflow: the log of softmax, finite for any logits."""
        return softmax("log_softmax", self, dim, dtype)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """True if |self − other| ≤ atol + rtol·|other| everywhere (broadcasting; one dtype)."""
        return allclose(self, other, rtol, atol, equal_nan)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Element-wise |self − other| ≤ atol + rtol·|other|: a bool tensor."""
        return isclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        """True if both have the same shape and the same values."""
        return equal(self, other)

    def cumprod(self, dim, *, dtype=None):
        """The running products along ``dim`` (exact gradients where an element is 0)."""
        return cumprod(self, dim, dtype)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The differences x[i + 1] − x[i] along ``dim``, ``n`` times."""
        return diff(self, n, dim, prepend, append)
