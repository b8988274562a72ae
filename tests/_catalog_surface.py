"""Catalog entries for the rest of the surface a PyTorch program touches: % and fmod, floor/ceil/trunc/frac,
log2/log10/exp2, sinh/cosh, asin/acos/atan/atan2, erf, hypot; narrow, roll, diag, triu/tril, trace, cumprod,
diff, median, einsum, view_as/reshape_as/expand_as/type_as, mH; and the element-wise in-place methods, run on
a clone (recorded, so gradients flow through the rebased tensor).

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences (first and second order) and PyTorch parity all come from the one entry.  The ops that give no
gradient (//, unique, count_nonzero, logical and bitwise) are tested against PyTorch in
tests/ops/test_tensor_methods.py.

Kinks and jumps stay out of reach of the finite differences: floor and friends jump at the integers,
remainder where x / y is an integer, atan2 across its branch cut (y = 0, x < 0), hypot at the origin.
"""
import math

import numpy as np
from hypothesis import strategies as st

# _catalog.py imports this file at its end, once Op and the value and shape strategies exist:
from _catalog import AWAY_FROM_ZERO, BROADCAST_PAIR, DIM3, POSITIVE, REAL, Op, fixed


def _away_from(points, margin=0.02, lo=-3, hi=3):
    """floats in [lo, hi] at least ``margin`` from the nearest point of a grid (``points(v)``): no jump nearby."""
    return st.floats(lo, hi).filter(lambda v: abs(v - points(v)) > margin)


OFF_INTEGERS = _away_from(lambda v: round(v))                       # floor, ceil, trunc, frac
OFF_HALVES = _away_from(lambda v: math.floor(v) + 0.5)              # round
OFF_HALF_GRID = _away_from(lambda v: round(v * 2) / 2)              # x % y for y in DIVISORS: x / y never whole
DIVISORS = st.sampled_from([1.5, -2.0, 3.0, -0.5])
# 2.5 % x jumps where 2.5 / x is whole: x away from 2.5 / k, and from 0
RMOD_X = st.floats(-3, 3).filter(lambda v: abs(v) > 0.3 and abs(2.5 / v - round(2.5 / v)) > 0.05)
INSIDE_ONE = st.floats(-0.9, 0.9)                                   # asin, acos: their slope is inf at ±1
FACTORS = st.one_of(st.just(0.0), st.floats(-1.25, -0.5), st.floats(0.5, 1.25))  # cumprod: zeros too

_M = fixed(((4, 3),))
_V = fixed(((4,),))
SQUARE = fixed(((3, 3),))


def _spread(shape):
    """Small distinct offsets: median of x + _spread(x.shape) has no ties (there the gradient is PyTorch's rule)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(5).permutation(n) * 0.0151 + 0.0023).reshape(shape)


def _diag_embed(x, k, dim1, dim2):
    """out[..., i, i + k] = x[..., i], the two new dims moved to (dim1, dim2): by loops, for the test."""
    n = x.shape[-1]
    m = n + abs(k)
    out = np.zeros(x.shape[:-1] + (m, m))
    for i in range(n):
        out[..., i if k >= 0 else i - k, i + k if k >= 0 else i] = x[..., i]
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def _untied(lib, x):
    return x + lib.tensor(_spread(tuple(x.shape))).to(x.dtype)


def _np_median(x, axis=None):
    """The lower median, as PyTorch's (NumPy's median averages the two middle values)."""
    if axis is None:
        return np.sort(x.reshape(-1))[(x.size - 1) // 2]
    return np.take(np.sort(x, axis=axis), (x.shape[axis] - 1) // 2, axis=axis)


ELEMENTWISE = [
    Op("remainder x % 2.5", lambda lib, x: x % 2.5, lambda x: np.remainder(x, 2.5),
       domain=(_away_from(lambda v: round(v / 2.5) * 2.5),)),
    Op("remainder x % y (tensor)", lambda lib, x, y: x % y, np.remainder, BROADCAST_PAIR, (OFF_HALF_GRID, DIVISORS)),
    # (PyTorch has no derivative for a Python number % a tensor; its 0-d tensor % a tensor is the same math)
    Op("remainder 2.5 % x (reflected)", lambda lib, x: 2.5 % x, lambda x: np.remainder(2.5, x), domain=(RMOD_X,),
       torch_fn=lambda torch, x: torch.tensor(2.5, dtype=x.dtype) % x),
    Op("remainder function", lambda lib, x, y: lib.remainder(x, y), np.remainder, BROADCAST_PAIR,
       (OFF_HALF_GRID, DIVISORS)),
    Op("remainder method, number", lambda lib, x: x.remainder(-1.5), lambda x: np.remainder(x, -1.5),
       domain=(OFF_HALF_GRID,)),
    Op("fmod(x, y)", lambda lib, x, y: lib.fmod(x, y), np.fmod, BROADCAST_PAIR, (OFF_HALF_GRID, DIVISORS)),
    Op("fmod method, number", lambda lib, x: x.fmod(2.0), lambda x: np.fmod(x, 2.0), domain=(OFF_HALF_GRID,)),
    Op("floor", lambda lib, x: x.floor(), np.floor, domain=(OFF_INTEGERS,)),
    Op("floor function", lambda lib, x: lib.floor(x), np.floor, domain=(OFF_INTEGERS,)),
    Op("ceil", lambda lib, x: lib.ceil(x), np.ceil, domain=(OFF_INTEGERS,)),
    Op("trunc", lambda lib, x: x.trunc(), np.trunc, domain=(OFF_INTEGERS,)),
    Op("frac", lambda lib, x: x.frac(), lambda x: x - np.trunc(x), domain=(OFF_INTEGERS,)),
    Op("frac function", lambda lib, x: lib.frac(x), lambda x: x - np.trunc(x), domain=(OFF_INTEGERS,)),
    Op("x * floor(x) + ceil(x)", lambda lib, x: x * x.floor() + x.ceil(), lambda x: x * np.floor(x) + np.ceil(x),
       domain=(OFF_INTEGERS,)),
    Op("log2", lambda lib, x: x.log2(), np.log2, domain=(POSITIVE,)),
    Op("log10 function", lambda lib, x: lib.log10(x), np.log10, domain=(POSITIVE,)),
    Op("exp2", lambda lib, x: lib.exp2(x), np.exp2),
    Op("sinh", lambda lib, x: x.sinh(), np.sinh),
    Op("cosh function", lambda lib, x: lib.cosh(x), np.cosh),
    Op("asin", lambda lib, x: x.asin(), np.arcsin, domain=(INSIDE_ONE,)),
    Op("acos function", lambda lib, x: lib.acos(x), np.arccos, domain=(INSIDE_ONE,)),
    Op("atan", lambda lib, x: x.atan(), np.arctan),
    Op("arctan function", lambda lib, x: lib.arctan(x), np.arctan),
    Op("atan2(y, x)", lambda lib, y, x: lib.atan2(y, x), np.arctan2, BROADCAST_PAIR, (AWAY_FROM_ZERO,)),
    Op("atan2 method, x with itself", lambda lib, x: x.atan2(x * x + 1), lambda x: np.arctan2(x, x * x + 1)),
    Op("erf", lambda lib, x: x.erf(), lambda x: np.vectorize(math.erf)(x).astype(np.float64)),
    Op("erf function", lambda lib, x: lib.erf(x), lambda x: np.vectorize(math.erf)(x).astype(np.float64)),
    Op("hypot", lambda lib, x, y: lib.hypot(x, y), np.hypot, BROADCAST_PAIR, (AWAY_FROM_ZERO,)),
    Op("hypot method", lambda lib, x, y: x.hypot(y), np.hypot, BROADCAST_PAIR, (AWAY_FROM_ZERO,)),
]

STRUCTURE = [
    Op("narrow(0, 1, 2)", lambda lib, x: x.narrow(0, 1, 2), lambda x: x[1:3], _M),
    Op("narrow function (-1, -2, 2)", lambda lib, x: lib.narrow(x, -1, -2, 2), lambda x: x[..., -2:],
       fixed(((2, 3, 4),))),
    Op("narrow length 0", lambda lib, x: x.narrow(1, 3, 0), lambda x: x[:, 3:], _M),
    Op("roll(1)", lambda lib, x: x.roll(1), lambda x: np.roll(x, 1), _M),
    Op("roll(-2, 0)", lambda lib, x: x.roll(-2, 0), lambda x: np.roll(x, -2, 0), _M),
    Op("roll function ((1, 5), (0, 1))", lambda lib, x: lib.roll(x, (1, 5), (0, 1)),
       lambda x: np.roll(x, (1, 5), (0, 1)), _M),
    Op("roll(0, 1) (a copy)", lambda lib, x: x.roll(0, 1), lambda x: x.copy(), _M),
    Op("diag of a vector", lambda lib, x: x.diag(), np.diag, _V),
    Op("diag(1) of a vector", lambda lib, x: lib.diag(x, 1), lambda x: np.diag(x, 1), _V),
    Op("diag(-2) of a vector", lambda lib, x: x.diag(-2), lambda x: np.diag(x, -2), fixed(((3,),))),
    Op("diag of a matrix", lambda lib, x: lib.diag(x), np.diag, _M),
    Op("diag(1) of a matrix", lambda lib, x: x.diag(1), lambda x: np.diag(x, 1), _M),
    Op("diag(-1) of a matrix", lambda lib, x: x.diag(-1), lambda x: np.diag(x, -1), _M),
    Op("diag_embed of a batch of vectors", lambda lib, x: lib.diag_embed(x), lambda x: _diag_embed(x, 0, -2, -1), _M),
    Op("diag_embed(1, 0, 2) of a batch", lambda lib, x: x.diag_embed(1, 0, 2), lambda x: _diag_embed(x, 1, 0, 2),
       fixed(((2, 3),))),
    Op("diag_embed(-2, -1, 0) of a vector", lambda lib, x: x.diag_embed(-2, -1, 0),
       lambda x: _diag_embed(x, -2, -1, 0), _V),
    Op("triu", lambda lib, x: x.triu(), np.triu, _M),
    Op("triu(1) batched", lambda lib, x: lib.triu(x, 1), lambda x: np.triu(x, 1), fixed(((2, 3, 4),))),
    Op("tril", lambda lib, x: lib.tril(x), np.tril, SQUARE),
    Op("tril(-1)", lambda lib, x: x.tril(-1), lambda x: np.tril(x, -1), _M),
    Op("trace", lambda lib, x: x.trace(), np.trace, fixed(((4, 3),), ((3, 3),), ((1, 2),))),
    Op("trace function", lambda lib, x: lib.trace(x), np.trace, SQUARE),
    Op("cumprod(0)", lambda lib, x: x.cumprod(0), lambda x: np.cumprod(x, 0), DIM3, (FACTORS,)),
    Op("cumprod(-1) of 7 (odd length)", lambda lib, x: lib.cumprod(x, -1), lambda x: np.cumprod(x, -1),
       fixed(((7,),), ((2, 5),)), (FACTORS,)),
    Op("cumprod(dim=1) with zeros", lambda lib, x: (x * lib.tensor([[0.0, 1, 1, 1], [1, 1, 0, 1]])).cumprod(dim=1),
       lambda x: np.cumprod(x * np.array([[0.0, 1, 1, 1], [1, 1, 0, 1]]), 1), fixed(((2, 4),)), (FACTORS,)),
    Op("cumprod of a 0-d tensor", lambda lib, x: x.cumprod(0), lambda x: x, fixed(((),))),
    Op("diff", lambda lib, x: x.diff(), lambda x: np.diff(x), _M),
    Op("diff(n=2, dim=0)", lambda lib, x: lib.diff(x, n=2, dim=0), lambda x: np.diff(x, 2, 0), _M),
    Op("diff with prepend and append", lambda lib, x, p, a: lib.diff(x, dim=1, prepend=p, append=a),
       lambda x, p, a: np.diff(x, axis=1, prepend=p, append=a), fixed(((4, 3), (4, 1), (4, 2)))),
    Op("median() (distinct)", lambda lib, x: _untied(lib, x).median(), lambda x: _np_median(x + _spread(x.shape))),
    Op("median(dim).values (distinct)", lambda lib, x: _untied(lib, x).median(1).values,
       lambda x: _np_median(x + _spread(x.shape), 1), DIM3),
    Op("median function (dim=0, keepdim) (distinct)", lambda lib, x: lib.median(_untied(lib, x), 0, True)[0],
       lambda x: np.expand_dims(_np_median(x + _spread(x.shape), 0), 0), fixed(((4, 3),), ((5,),))),
    Op("einsum ij,jk->ik", lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), np.matmul, fixed(((2, 3), (3, 4)))),
    Op("einsum bij,bjk->bik", lambda lib, x, y: lib.einsum("bij,bjk->bik", x, y), np.matmul,
       fixed(((2, 2, 3), (2, 3, 4)))),
    Op("einsum i,i-> (dot)", lambda lib, x, y: lib.einsum("i,i->", x, y), np.dot, fixed(((4,), (4,)))),
    Op("einsum i,j->ij (outer)", lambda lib, x, y: lib.einsum("i,j->ij", x, y), np.outer, fixed(((3,), (2,)))),
    Op("einsum ij->ji", lambda lib, x: lib.einsum("ij->ji", x), lambda x: x.T, _M),
    Op("einsum ii->i (diagonal)", lambda lib, x: lib.einsum("ii->i", x), np.diag, SQUARE),
    Op("einsum ij,ij->i (row dots)", lambda lib, x, y: lib.einsum("ij,ij->i", x, y), lambda x, y: (x * y).sum(1),
       fixed(((4, 3), (4, 3)))),
    Op("einsum implicit ij,jk", lambda lib, x, y: lib.einsum("ij,jk", x, y), np.matmul, fixed(((2, 3), (3, 2)))),
    Op("einsum list of operands, bn,nk,k->b", lambda lib, x, w, v: lib.einsum("bn,nk,k->b", [x, w, v]),
       lambda x, w, v: x @ w @ v, fixed(((2, 3), (3, 4), (4,)))),
    Op("view_as", lambda lib, x, y: x.view_as(y) * y, lambda x, y: x.reshape(y.shape) * y, fixed(((2, 3), (3, 2)))),
    Op("reshape_as", lambda lib, x, y: x.reshape_as(y) * y, lambda x, y: x.reshape(y.shape) * y,
       fixed(((6,), (3, 2)))),
    Op("expand_as", lambda lib, x, y: x.expand_as(y) * y, lambda x, y: x * y, fixed(((3, 1), (2, 3, 4)))),
    Op("type_as (float64)", lambda lib, x, y: x.type_as(y) + y, np.add, fixed(((2, 3), (3,)))),
    Op("mH", lambda lib, x: x.mH, lambda x: x.swapaxes(-1, -2), DIM3),
]


def _inplace(name, call, ref, domain=(REAL,), shapes=None):
    """``y = x.clone(); call(y)``: in place on a non-leaf, recorded (y is rebased on the op's node)."""
    def fn(lib, x):
        y = x.clone()
        out = call(y)
        assert out is y
        return y
    return Op(f"{name} (in place on a clone)", fn, ref, fixed(((2, 3),), ((4,),), ((),)) if shapes is None else shapes,
              domain)


INPLACE = [
    _inplace("abs_", lambda y: y.abs_(), np.abs, (AWAY_FROM_ZERO,)),
    _inplace("exp_", lambda y: y.exp_(), np.exp),
    _inplace("log_", lambda y: y.log_(), np.log, (POSITIVE,)),
    _inplace("sqrt_", lambda y: y.sqrt_(), np.sqrt, (POSITIVE,)),
    _inplace("square_", lambda y: y.square_(), np.square),
    _inplace("neg_", lambda y: y.neg_(), np.negative),
    _inplace("pow_(3)", lambda y: y.pow_(3), lambda x: x ** 3),
    _inplace("clamp_(-1, 1)", lambda y: y.clamp_(-1, 1), lambda x: np.clip(x, -1, 1), (OFF_INTEGERS,)),
    _inplace("clip_(min=0)", lambda y: y.clip_(min=0), lambda x: np.maximum(x, 0), (OFF_INTEGERS,)),
    _inplace("relu_", lambda y: y.relu_(), lambda x: np.maximum(x, 0), (AWAY_FROM_ZERO,)),
    _inplace("sigmoid_", lambda y: y.sigmoid_(), lambda x: 1 / (1 + np.exp(-x))),
    _inplace("tanh_", lambda y: y.tanh_(), np.tanh),
    _inplace("floor_", lambda y: y.floor_(), np.floor, (OFF_INTEGERS,)),
    _inplace("round_", lambda y: y.round_(), np.round, (OFF_HALVES,)),
    _inplace("square_ then exp_ (chained)", lambda y: y.square_().exp_(), lambda x: np.exp(x * x)),
    _inplace("unsqueeze_(0)", lambda y: y.unsqueeze_(0), lambda x: x[None]),
    _inplace("squeeze_()", lambda y: y.squeeze_(), lambda x: x.squeeze(), shapes=fixed(((1, 3, 1),), ((2, 1),))),
    _inplace("t_", lambda y: y.t_(), lambda x: x.T, shapes=fixed(((2, 3),), ((4,),))),
]



def _put(array, index, value):
    out = np.array(array, dtype=float)
    out[index] = value
    return out


def _write(name, call, ref, shapes, domain=(REAL,)):
    """``h = x * 1; call(h, y)``: a recorded write into a tensor in the graph (``CopySlices``, see core/views.py);
    the result is h, a function of x (the part not written) and y (the part written)."""
    def fn(lib, x, y):
        h = x * 1
        call(h, y)
        return h
    return Op(f"write: {name}", fn, ref, fixed(shapes), domain)


WRITES = [
    _write("h[1] = y", lambda h, y: h.__setitem__(1, y), lambda x, y: _put(x, 1, y), ((4, 3), (3,))),
    _write("h[:, 1:] = y (broadcast)", lambda h, y: h.__setitem__((slice(None), slice(1, None)), y),
           lambda x, y: _put(x, (slice(None), slice(1, None)), y), ((4, 3), (2,))),
    _write("h[[0, 2]] = y", lambda h, y: h.__setitem__([0, 2], y), lambda x, y: _put(x, [0, 2], y), ((4, 3), (2, 3))),
    _write("h[h > 0] = y[0]", lambda h, y: h.__setitem__(h > 0, y[0]),
           lambda x, y: _put(x, x > 0, y[0]), ((4, 3), (1,)), (AWAY_FROM_ZERO,)),  # (the mask stays put)
    _write("h[0:2] += y (a view)", lambda h, y: h[0:2].add_(y), lambda x, y: x + np.pad(np.broadcast_to(y, (2, 3)),
                                                                                      ((0, 2), (0, 0))),
           ((4, 3), (3,))),
    _write("h.T[1] *= y (a transposed view)", lambda h, y: h.T[1].mul_(y),
           lambda x, y: x * np.stack([np.ones(4), y, np.ones(4)], 1), ((4, 3), (4,))),
    _write("h.view(-1)[2:5].copy_(y)", lambda h, y: h.view(-1)[2:5].copy_(y),
           lambda x, y: _put(x.reshape(-1), slice(2, 5), y).reshape(x.shape), ((4, 3), (3,))),
]

SURFACE = ELEMENTWISE + STRUCTURE + INPLACE + WRITES
