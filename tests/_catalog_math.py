"""Catalog entries for elementwise math (sin, clamp, where, ...), reductions (max, var, norm, ...), softmax, log_softmax, logsumexp, cumsum.

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences and PyTorch parity all come from the one entry.

Kinks are kept out of reach of the finite differences: clamp's x never comes near its (integer) bounds,
maximum's operands never meet, sign and |x| stay away from 0, round away from its halves; and max, amax,
argmax-like reductions see x + small distinct offsets, so no two elements tie (ties, where PyTorch's rule
decides the gradient, are tested against PyTorch in tests/ops/test_math_ops.py).
"""
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# _catalog.py imports this file at its end, once Op and the value and shape strategies exist:
from _catalog import AWAY_FROM_ZERO, BROADCAST_PAIR, DIM3, POSITIVE, REAL, Op, fixed


# ---- values ---------------------------------------------------------------------
def _away_from(points, margin=0.02):
    """floats in [-3, 3] at least ``margin`` from every point of the grid ``points(x)``: no kink nearby."""
    return st.floats(-3, 3).filter(lambda v: abs(v - points(v)) > margin)


OFF_GRID = _away_from(lambda v: round(v))                                # clamp's x: the bounds are integers
OFF_HALVES = _away_from(lambda v: math.floor(v) + 0.5)                   # round: it jumps at the halves
OFF_TENTH_HALVES = _away_from(lambda v: math.floor(v * 10) / 10 + 0.05, 0.005)   # round(decimals=1)
LOWER = st.sampled_from([-2.0, -1.0])                                    # integer bounds, lower below upper
UPPER = st.sampled_from([1.0, 2.0])
INTEGER = st.sampled_from([-2.0, -1.0, 0.0, 1.0, 2.0])                   # never equal to an OFF_GRID value
SMALL = st.floats(-1.2, 1.2)                                             # tan: far from ±π/2
ABOVE_MINUS_ONE = st.floats(-0.5, 3)                                     # log1p
# pow's exponent: not exactly 0, where PyTorch's second derivative drops ∂²/∂x∂y (see PowTensor);
# prod's factors: 0 or not tiny (PyTorch's double backward of prod divides by x: x = 1e-308 overflows it)
NONZERO = st.one_of(st.floats(-3, -0.01), st.floats(0.01, 3))
FACTORS = st.one_of(st.just(0.0), st.floats(-1.25, -0.5), st.floats(0.5, 1.25))  # (and products of 24 stay small)

# ---- shapes ---------------------------------------------------------------------
AT_LEAST_2 = hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4).map(lambda s: (s,))  # var: n > 1
DIM3_AT_LEAST_2 = hnp.array_shapes(min_dims=3, max_dims=3, min_side=2, max_side=4).map(lambda s: (s,))
MATRIX = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4).map(lambda s: (s,))


def _spread(shape):
    """Small distinct offsets: x + _spread(x.shape) has no two equal elements, whatever x hypothesis draws."""
    n = int(np.prod(shape))
    return (np.random.default_rng(12).permutation(n) * 0.0173 + 0.0019).reshape(shape)


def _untied(lib, x):
    return x + lib.tensor(_spread(tuple(x.shape))).to(x.dtype)


def _np_untied(x):
    return x + _spread(x.shape)


def _lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _pnorm(x, p, axis=None, keepdims=False):
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


# ---- elementwise ------------------------------------------------------------------
ELEMENTWISE = [
    Op("sin", lambda lib, x: x.sin(), np.sin),
    Op("sin function", lambda lib, x: lib.sin(x), np.sin),
    Op("cos", lambda lib, x: x.cos(), np.cos),
    Op("cos function", lambda lib, x: lib.cos(x), np.cos),
    Op("tan", lambda lib, x: x.tan(), np.tan, domain=(SMALL,)),
    Op("log1p", lambda lib, x: x.log1p(), np.log1p, domain=(ABOVE_MINUS_ONE,)),
    Op("expm1", lambda lib, x: lib.expm1(x), np.expm1),
    Op("rsqrt", lambda lib, x: x.rsqrt(), lambda x: 1 / np.sqrt(x), domain=(POSITIVE,)),
    Op("reciprocal", lambda lib, x: lib.reciprocal(x), lambda x: 1 / x, domain=(AWAY_FROM_ZERO,)),
    Op("sign", lambda lib, x: x.sign(), np.sign, domain=(AWAY_FROM_ZERO,)),
    Op("sign times x (|x|)", lambda lib, x: x.sign() * x, np.abs, domain=(AWAY_FROM_ZERO,)),
    Op("round", lambda lib, x: x.round(), np.round, domain=(OFF_HALVES,)),
    Op("round(decimals=1)", lambda lib, x: lib.round(x, decimals=1), lambda x: np.round(x, 1),
       domain=(OFF_TENTH_HALVES,)),
    Op("sin(x) * round(x) + x", lambda lib, x: x.sin() * x.round() + x, lambda x: np.sin(x) * np.round(x) + x,
       domain=(OFF_HALVES,)),
    Op("clamp(-1, 1)", lambda lib, x: x.clamp(-1, 1), lambda x: np.clip(x, -1, 1), domain=(OFF_GRID,)),
    Op("clamp(min=0)", lambda lib, x: x.clamp(min=0), lambda x: np.maximum(x, 0), domain=(OFF_GRID,)),
    Op("clamp(max=1.0)", lambda lib, x: lib.clamp(x, max=1.0), lambda x: np.minimum(x, 1.0), domain=(OFF_GRID,)),
    Op("clip(-2, 1)", lambda lib, x: lib.clip(x, -2, 1), lambda x: np.clip(x, -2, 1), domain=(OFF_GRID,)),
    Op("clamp(tensor min, tensor max)", lambda lib, x, lo, hi: x.clamp(lo, hi), np.clip,
       fixed(((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((2, 3), (1, 3), (2, 1))), (OFF_GRID, LOWER, UPPER)),
    Op("clamp(min=tensor)", lambda lib, x, lo: x.clamp(min=lo), np.maximum, BROADCAST_PAIR, (OFF_GRID, INTEGER)),
    Op("clamp(max=tensor)", lambda lib, x, hi: lib.clamp(x, max=hi), np.minimum, BROADCAST_PAIR,
       (OFF_GRID, INTEGER)),
    Op("maximum", lambda lib, x, y: lib.maximum(x, y), np.maximum, BROADCAST_PAIR, (OFF_GRID, INTEGER)),
    Op("maximum method, swapped", lambda lib, y, x: y.maximum(x), np.maximum, BROADCAST_PAIR, (INTEGER, OFF_GRID)),
    Op("minimum", lambda lib, x, y: lib.minimum(x, y), np.minimum, BROADCAST_PAIR, (OFF_GRID, INTEGER)),
    Op("max(a, b) is maximum", lambda lib, x, y: lib.max(x, y), np.maximum, BROADCAST_PAIR, (OFF_GRID, INTEGER)),
    Op("min(a, b) method", lambda lib, x, y: x.min(y), np.minimum, BROADCAST_PAIR, (OFF_GRID, INTEGER)),
    Op("where(x > 0, x, y)", lambda lib, x, y: lib.where(x > 0, x, y), lambda x, y: np.where(x > 0, x, y),
       BROADCAST_PAIR, (AWAY_FROM_ZERO, REAL)),
    Op("where(x > 0, x, 0.0)", lambda lib, x: lib.where(x > 0, x, 0.0), lambda x: np.where(x > 0, x, 0.0),
       domain=(AWAY_FROM_ZERO,)),
    Op("where(y < 0, 2.5, x * y)", lambda lib, x, y: lib.where(y < 0, 2.5, x * y),
       lambda x, y: np.where(y < 0, 2.5, x * y), BROADCAST_PAIR, (REAL, AWAY_FROM_ZERO)),
    Op("x.where(cond, y)", lambda lib, x, y: x.where(y > 0, y), lambda x, y: np.where(y > 0, x, y),
       BROADCAST_PAIR, (REAL, AWAY_FROM_ZERO)),
    Op("pow(tensor, tensor)", lambda lib, x, y: x ** y, np.power, BROADCAST_PAIR, (POSITIVE, NONZERO)),
    Op("pow function, tensor exponent", lambda lib, x, y: lib.pow(x, y), np.power, BROADCAST_PAIR,
       (POSITIVE, NONZERO)),
    Op("x ** 0-d tensor exponent", lambda lib, x, y: x.pow(y), np.power, fixed(((2, 3), ()), ((4,), ())),
       (POSITIVE, NONZERO)),
    Op("pow: x ** sin(x)", lambda lib, x: x ** x.sin(), lambda x: x ** np.sin(x), domain=(POSITIVE,)),
]

# ---- reductions over dims, with keepdim ----------------------------------------------
_DIMS = [None, 0, -1, (0, 2), (2, 0, 1)]


def _over_dims(name, call, ref, shapes=DIM3, domain=(REAL,), dims=_DIMS):
    """One entry per (dim, keepdim); ``call(lib, x, dim, keepdim)`` and ``ref(x, axis, keepdims)``."""
    ops = []
    for dim in dims:
        for keepdim in (False, True):
            if dim is None and keepdim:
                continue
            ops.append(Op(f"{name}(dim={dim}, keepdim={keepdim})",
                          lambda lib, x, dim=dim, keepdim=keepdim: call(lib, x, dim, keepdim),
                          lambda x, dim=dim, keepdim=keepdim: ref(x, dim, keepdim), shapes, domain))
    return ops


REDUCTIONS = [
    Op("max() (distinct)", lambda lib, x: _untied(lib, x).max(), lambda x: _np_untied(x).max()),
    Op("min() function (distinct)", lambda lib, x: lib.min(_untied(lib, x)), lambda x: _np_untied(x).min()),
    Op("max(dim).values (distinct)", lambda lib, x: _untied(lib, x).max(1).values,
       lambda x: _np_untied(x).max(1), DIM3),
    Op("max(dim, keepdim=True)[0] (distinct)", lambda lib, x: _untied(lib, x).max(dim=-1, keepdim=True)[0],
       lambda x: _np_untied(x).max(-1, keepdims=True), DIM3),
    Op("min(dim=0).values (distinct)", lambda lib, x: lib.min(_untied(lib, x), dim=0).values,
       lambda x: _np_untied(x).min(0), fixed(((4, 3),), ((1,),), ((3, 1, 2),))),
    Op("max(0) of a 0-d tensor", lambda lib, x: x.max(0).values, lambda x: x, fixed(((),))),
    Op("max(dim) values, then sum with indices unused", lambda lib, x: _untied(lib, x).max(0)[0].sum() * x.sum(),
       lambda x: _np_untied(x).max(0).sum() * x.sum(), fixed(((3, 2),))),
    Op("amax() (distinct)", lambda lib, x: _untied(lib, x).amax(), lambda x: _np_untied(x).max()),
    *_over_dims("amax (distinct)", lambda lib, x, d, k: lib.amax(_untied(lib, x), () if d is None else d, k),
                lambda x, a, k: _np_untied(x).max(axis=a, keepdims=k)),
    *_over_dims("amin (distinct)", lambda lib, x, d, k: _untied(lib, x).amin(dim=() if d is None else d, keepdim=k),
                lambda x, a, k: _np_untied(x).min(axis=a, keepdims=k), dims=[None, 1, (0, -1)]),
    Op("prod()", lambda lib, x: x.prod(), np.prod, domain=(FACTORS,)),
    Op("prod() function of 7 elements (odd halving)", lambda lib, x: lib.prod(x), np.prod, fixed(((7,),), ((5, 1),)),
       (FACTORS,)),
    *_over_dims("prod", lambda lib, x, d, k: x.prod(d, keepdim=k) if d is not None else x.prod(),
                lambda x, a, k: np.prod(x, axis=a, keepdims=k), domain=(FACTORS,), dims=[None, 0, 1, -1]),
    Op("prod(dim) with zeros", lambda lib, x: (x * lib.tensor([[0.0, 1, 1], [1, 1, 1], [0, 0, 1]])).prod(1),
       lambda x: (x * np.array([[0.0, 1, 1], [1, 1, 1], [0, 0, 1]])).prod(1), fixed(((3, 3),)), (FACTORS,)),
    Op("prod(0) of a 0-d tensor", lambda lib, x: x.prod(0), lambda x: x, fixed(((),)), (FACTORS,)),
    Op("var()", lambda lib, x: x.var(), lambda x: np.var(x, ddof=1), AT_LEAST_2),
    Op("var(unbiased=False)", lambda lib, x: lib.var(x, unbiased=False), np.var, AT_LEAST_2),
    Op("var(correction=0) of any shape", lambda lib, x: x.var(correction=0), np.var),
    *_over_dims("var", lambda lib, x, d, k: x.var(d, keepdim=k), lambda x, a, k: np.var(x, axis=a, ddof=1, keepdims=k),
                DIM3_AT_LEAST_2, dims=[0, -1, (0, 2)]),
    Op("var(1, correction=2)", lambda lib, x: x.var(1, correction=2), lambda x: np.var(x, axis=1, ddof=2),
       fixed(((2, 3),), ((1, 4),))),
    Op("var(0, False) (old signature)", lambda lib, x: x.var(0, False), lambda x: np.var(x, axis=0),
       fixed(((2, 3),))),
    # std and the norms have a kink where the spread (the vector) is 0: distinct values, away from 0
    Op("std() (distinct)", lambda lib, x: _untied(lib, x).std(), lambda x: np.std(_np_untied(x), ddof=1), AT_LEAST_2),
    Op("std function (distinct)", lambda lib, x: lib.std(_untied(lib, x), correction=0),
       lambda x: np.std(_np_untied(x)), AT_LEAST_2),
    *_over_dims("std (distinct)", lambda lib, x, d, k: _untied(lib, x).std(d, keepdim=k),
                lambda x, a, k: np.std(_np_untied(x), axis=a, ddof=1, keepdims=k), DIM3_AT_LEAST_2, dims=[1, (0, 2)]),
    Op("norm()", lambda lib, x: x.norm(), lambda x: np.sqrt(np.sum(x * x)), domain=(AWAY_FROM_ZERO,)),
    Op("norm function", lambda lib, x: lib.norm(x), lambda x: np.sqrt(np.sum(x * x)), domain=(AWAY_FROM_ZERO,)),
    Op("norm('fro', dim=(0, 1))", lambda lib, x: x.norm("fro", dim=(0, 1)), lambda x: np.sqrt((x * x).sum((0, 1))),
       DIM3, (AWAY_FROM_ZERO,)),
    *_over_dims("norm p=2", lambda lib, x, d, k: x.norm(2, d, k), lambda x, a, k: _pnorm(x, 2, a, k),
                domain=(AWAY_FROM_ZERO,), dims=[0, (1, 2)]),
    *_over_dims("norm p=1", lambda lib, x, d, k: x.norm(1, d, k), lambda x, a, k: _pnorm(x, 1, a, k),
                domain=(AWAY_FROM_ZERO,), dims=[None, -1]),
    *_over_dims("norm p=3", lambda lib, x, d, k: lib.norm(x, 3, d, k), lambda x, a, k: _pnorm(x, 3, a, k),
                domain=(AWAY_FROM_ZERO,), dims=[None, 1]),
    Op("norm p=0.5", lambda lib, x: x.norm(0.5), lambda x: _pnorm(x, 0.5), domain=(AWAY_FROM_ZERO,)),
    Op("norm p=-1, dim=0", lambda lib, x: x.norm(-1, 0), lambda x: _pnorm(x, -1, 0), fixed(((3, 2),), ((1,),)),
       (AWAY_FROM_ZERO,)),
    Op("norm p=inf (distinct)", lambda lib, x: _untied(lib, x).norm(math.inf), lambda x: np.abs(_np_untied(x)).max(),
       domain=(AWAY_FROM_ZERO,)),
    Op("norm p=-inf, dim=1 (distinct)", lambda lib, x: _untied(lib, x).norm(-math.inf, 1),
       lambda x: np.abs(_np_untied(x)).min(1), DIM3, (AWAY_FROM_ZERO,)),
    Op("linalg.norm()", lambda lib, x: lib.linalg.norm(x), lambda x: np.sqrt(np.sum(x * x)), domain=(AWAY_FROM_ZERO,)),
    Op("linalg.norm(dim=1)", lambda lib, x: lib.linalg.norm(x, dim=1), lambda x: np.sqrt(np.sum(x * x, 1)), DIM3,
       (AWAY_FROM_ZERO,)),
    Op("linalg.norm(ord='fro')", lambda lib, x: lib.linalg.norm(x, "fro"), lambda x: np.linalg.norm(x, "fro"), MATRIX,
       (AWAY_FROM_ZERO,)),
    Op("linalg.norm(ord=1) (distinct)", lambda lib, x: lib.linalg.norm(_untied(lib, x), 1),
       lambda x: np.linalg.norm(_np_untied(x), 1), MATRIX, (AWAY_FROM_ZERO,)),
    Op("linalg.norm(ord=inf, keepdim) (distinct)",
       lambda lib, x: lib.linalg.norm(_untied(lib, x), math.inf, keepdim=True),
       lambda x: np.linalg.norm(_np_untied(x), np.inf, keepdims=True), MATRIX, (AWAY_FROM_ZERO,)),
    Op("linalg.norm(ord=-1, dim=(2, 0)) (distinct)", lambda lib, x: lib.linalg.norm(_untied(lib, x), -1, dim=(2, 0)),
       lambda x: np.linalg.norm(_np_untied(x), -1, axis=(2, 0)), DIM3, (AWAY_FROM_ZERO,)),
    Op("linalg.vector_norm()", lambda lib, x: lib.linalg.vector_norm(x), lambda x: np.sqrt(np.sum(x * x)),
       domain=(AWAY_FROM_ZERO,)),
    Op("linalg.vector_norm(ord=3, dim=(0, 2), keepdim)",
       lambda lib, x: lib.linalg.vector_norm(x, 3, dim=(0, 2), keepdim=True),
       lambda x: _pnorm(x, 3, (0, 2), True), DIM3, (AWAY_FROM_ZERO,)),
    Op("linalg.vector_norm(ord=1.5, dim=-1)", lambda lib, x: lib.linalg.vector_norm(x, ord=1.5, dim=-1),
       lambda x: _pnorm(x, 1.5, -1), DIM3, (AWAY_FROM_ZERO,)),
    Op("logsumexp(0)", lambda lib, x: x.logsumexp(0), lambda x: _lse(x, 0), DIM3),
    *_over_dims("logsumexp", lambda lib, x, d, k: lib.logsumexp(x, d, k), _lse, dims=[-1, (0, 2)]),
    Op("logsumexp of a 0-d tensor", lambda lib, x: x.logsumexp(0), lambda x: x, fixed(((),))),
    Op("cumsum(0)", lambda lib, x: x.cumsum(0), lambda x: np.cumsum(x, 0), DIM3),
    Op("cumsum(-1)", lambda lib, x: lib.cumsum(x, -1), lambda x: np.cumsum(x, -1), DIM3),
    Op("cumsum(1) of a matrix", lambda lib, x: x.cumsum(dim=1), lambda x: np.cumsum(x, 1), MATRIX),
    Op("cumsum(0) of a 0-d tensor", lambda lib, x: x.cumsum(0), lambda x: x, fixed(((),))),
    Op("cumsum then cumsum (x used twice)", lambda lib, x: x.cumsum(0).cumsum(0) * x,
       lambda x: np.cumsum(np.cumsum(x, 0), 0) * x, fixed(((4,),), ((3, 2),))),
]

# ---- softmax ------------------------------------------------------------------------
SOFTMAX = [
    Op("softmax(-1)", lambda lib, x: x.softmax(-1), lambda x: _softmax(x, -1), DIM3),
    Op("softmax(0) function", lambda lib, x: lib.softmax(x, 0), lambda x: _softmax(x, 0), DIM3),
    Op("softmax(dim=1) of a matrix", lambda lib, x: x.softmax(dim=1), lambda x: _softmax(x, 1), MATRIX),
    Op("softmax of a 0-d tensor", lambda lib, x: x.softmax(0), lambda x: np.ones_like(x), fixed(((),))),
    Op("log_softmax(-1)", lambda lib, x: x.log_softmax(-1), lambda x: x - _lse(x, -1, True), DIM3),
    Op("log_softmax(1) function", lambda lib, x: lib.log_softmax(x, 1), lambda x: x - _lse(x, 1, True), DIM3),
    Op("log_softmax(0) of a vector", lambda lib, x: x.log_softmax(0), lambda x: x - _lse(x, 0, True),
       fixed(((5,),), ((1,),))),
    Op("cross entropy by hand: -(log_softmax(z) * onehot).sum()",
       lambda lib, z: -(z.log_softmax(1) * lib.tensor(np.eye(3)[[0, 2, 1, 2]]).to(z.dtype)).sum(),
       lambda z: -((z - _lse(z, 1, True)) * np.eye(3)[[0, 2, 1, 2]]).sum(), fixed(((4, 3),))),
    Op("softmax regression: softmax(X @ W + b)", lambda lib, X, W, b: (X @ W + b).softmax(1),
       lambda X, W, b: _softmax(X @ W + b, 1), fixed(((5, 2), (2, 3), (3,)))),
]

MATH = ELEMENTWISE + REDUCTIONS + SOFTMAX
