"""Catalog entries for indexing with lists and ranges, gather, scatter, index_select, masked_fill, topk, sort, dot/mv/bmm/outer, repeat, flip, permute, split, chunk.

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences and PyTorch parity all come from the one entry.
"""
import numpy as np

# _catalog.py imports this file at its end, once Op and the value and shape strategies exist:
from _catalog import ANY, AWAY_FROM_ZERO, BROADCAST_PAIR, POSITIVE, REAL, Op, fixed  # noqa: F401

_M = fixed(((4, 3),))
_B = fixed(((2, 3, 4),))


def _distinct(shape):
    """Small distinct offsets: sort and topk of x + _distinct(x.shape) have no ties, whatever x hypothesis draws
    (at a tie the order, and so the gradient, is PyTorch's choice, and finite differences see a kink)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(7).permutation(n) * 0.0137 + 0.0011).reshape(shape)


def _untied(lib, x):
    return x + lib.tensor(_distinct(tuple(x.shape))).to(x.dtype)


def _np_take(x, dim, index):
    return np.take_along_axis(x, np.asarray(index), axis=dim)


def _np_scatter(x, dim, index, src, add=False):
    """out = x with src put (or added) at index along dim, written out as loops over the index."""
    out = x.copy()
    index = np.asarray(index)
    src = np.broadcast_to(src, index.shape) if np.ndim(src) == 0 else src
    for pos in np.ndindex(index.shape):
        target = pos[:dim] + (index[pos],) + pos[dim + 1:]
        out[target] = out[target] + src[pos] if add else src[pos]
    return out


_G0 = [[0, 1, 2], [3, 3, 0]]              # gather along dim 0 of a (4, 3): repeated rows
_G1 = [[2, 2], [0, 1], [1, 1], [0, 0]]     # along dim 1: each row picks twice, narrower than x
_S1 = [[0], [2], [1], [0]]                 # scatter along dim 1: one position per row (no repeats: PyTorch
_S0 = [[3, 0, 1], [1, 2, 0]]               # ... leaves the value of a repeated position undefined)
_A0 = [[0, 0, 3], [0, 2, 3], [1, 0, 3]]    # scatter_add along dim 0: repeated positions add up
_MASK = [[True, False, True], [False, False, False], [True, True, True], [False, True, False]]

PRODUCTS = [
    Op("dot", lambda lib, x, y: lib.dot(x, y), np.dot, fixed(((3,), (3,)), ((1,), (1,)))),
    Op("dot method", lambda lib, x, y: x.dot(y), np.dot, fixed(((4,), (4,)))),
    Op("mv", lambda lib, A, v: lib.mv(A, v), np.matmul, fixed(((2, 3), (3,)), ((1, 4), (4,)))),
    Op("mv method", lambda lib, A, v: A.mv(v), np.matmul, fixed(((3, 2), (2,)))),
    Op("mm function", lambda lib, x, y: lib.mm(x, y), np.matmul, fixed(((2, 3), (3, 4)), ((1, 1), (1, 2)))),
    Op("bmm", lambda lib, x, y: lib.bmm(x, y), np.matmul, fixed(((2, 2, 3), (2, 3, 4)), ((1, 3, 1), (1, 1, 2)))),
    Op("bmm method", lambda lib, x, y: x.bmm(y), np.matmul, fixed(((3, 1, 2), (3, 2, 2)))),
    Op("outer", lambda lib, x, y: lib.outer(x, y), np.outer, fixed(((3,), (4,)), ((1,), (2,)))),
    Op("outer method, x with itself", lambda lib, x: x.outer(x), lambda x: np.outer(x, x), fixed(((3,),))),
    Op("matmul(input=, other=)", lambda lib, x, y: lib.matmul(input=x, other=y), np.matmul,
       fixed(((2, 3), (3,)), ((2, 2, 3), (3, 2)))),
]

GATHER = [
    Op("gather dim 0, repeated", lambda lib, x: x.gather(0, lib.tensor(_G0)), lambda x: _np_take(x, 0, _G0), _M),
    Op("gather dim 1, narrower index", lambda lib, x: x.gather(1, lib.tensor(_G1)), lambda x: _np_take(x, 1, _G1), _M),
    Op("gather dim -1 function", lambda lib, x: lib.gather(x, -1, lib.tensor(_G1)), lambda x: _np_take(x, 1, _G1), _M),
    Op("gather 3-d dim 1", lambda lib, x: x.gather(1, lib.tensor([[[2, 0, 0, 1]], [[1, 1, 1, 1]]])),
       lambda x: _np_take(x, 1, [[[2, 0, 0, 1]], [[1, 1, 1, 1]]]), _B),
    Op("gather empty index", lambda lib, x: x.gather(1, lib.zeros(4, 0, dtype=lib.int64)),
       lambda x: x[:, :0], _M),
    Op("softmax regression pick: x[range(n), y] == gather(1, y[:, None])",
       lambda lib, x: x[range(4), lib.tensor([2, 0, 1, 1])] * x.gather(1, lib.tensor([[2], [0], [1], [1]]))[:, 0],
       lambda x: x[range(4), [2, 0, 1, 1]] ** 2, _M),
    Op("index_select dim 0, repeated", lambda lib, x: x.index_select(0, lib.tensor([3, 0, 3, 3])),
       lambda x: x[[3, 0, 3, 3]], _M),
    Op("index_select dim 1 function", lambda lib, x: lib.index_select(x, 1, lib.tensor([2, 2])),
       lambda x: x[:, [2, 2]], _M),
    Op("index_select dim -1 of 3-d, empty", lambda lib, x: x.index_select(-1, lib.tensor([], dtype=lib.int64)),
       lambda x: x[..., :0], _B),
    Op("scatter src dim 1", lambda lib, x, s: x.scatter(1, lib.tensor(_S1), s),
       lambda x, s: _np_scatter(x, 1, _S1, s), fixed(((4, 3), (4, 1)))),
    Op("scatter src dim 0 function", lambda lib, x, s: lib.scatter(x, 0, lib.tensor(_S0), s),
       lambda x, s: _np_scatter(x, 0, _S0, s), fixed(((4, 3), (2, 3)))),
    Op("scatter value", lambda lib, x: x.scatter(1, lib.tensor(_S1), -2.5),
       lambda x: _np_scatter(x, 1, _S1, -2.5), _M),
    Op("scatter value=", lambda lib, x: x.scatter(0, lib.tensor(_S0), value=1.5),
       lambda x: _np_scatter(x, 0, _S0, 1.5), _M),
    Op("scatter_add dim 0, repeated", lambda lib, x, s: x.scatter_add(0, lib.tensor(_A0), s),
       lambda x, s: _np_scatter(x, 0, _A0, s, add=True), fixed(((4, 3), (3, 3)))),
    Op("scatter_add dim 1 function, all to one place", lambda lib, x, s: lib.scatter_add(x, 1, lib.tensor([[1, 1, 1]] * 4), s),
       lambda x, s: _np_scatter(x, 1, [[1, 1, 1]] * 4, s, add=True), fixed(((4, 3), (4, 3)))),
    Op("one-hot targets by scatter: zeros.scatter(1, y, 1.) * x", lambda lib, x:
       lib.zeros_like(x).scatter(1, lib.tensor([[2], [0], [1], [1]]), 1.0) * x,
       lambda x: np.eye(3)[[2, 0, 1, 1]] * x, _M),
    Op("masked_fill constant mask", lambda lib, x: x.masked_fill(lib.tensor(_MASK), -1.5),
       lambda x: np.where(_MASK, -1.5, x), _M),
    Op("masked_fill x > 0", lambda lib, x: x.masked_fill(x > 0, 0.0), lambda x: np.where(x > 0, 0.0, x),
       domain=(AWAY_FROM_ZERO,)),
    Op("masked_fill broadcast mask", lambda lib, x: x.masked_fill(lib.tensor([True, False, True]), 2.0),
       lambda x: np.where([True, False, True], 2.0, x), _M),
    Op("masked_fill mask larger than x", lambda lib, x: x.masked_fill(lib.tensor([[True], [False]]), 2.0),
       lambda x: np.where([[True], [False]], 2.0, x), fixed(((3,),))),
    Op("masked_fill 0-d tensor value (gets the sum)", lambda lib, x, v: lib.masked_fill(x, lib.tensor(_MASK), v),
       lambda x, v: np.where(_MASK, v, x), fixed(((4, 3), ()))),
    Op("masked_fill -inf then exp (attention masking)",
       lambda lib, x: x.masked_fill(lib.tensor(_MASK), float("-inf")).exp(), lambda x: np.exp(np.where(_MASK, -np.inf, x)),
       _M),
]

SORTING = [
    Op("sort values", lambda lib, x: _untied(lib, x).sort().values, lambda x: np.sort(x + _distinct(x.shape), -1),
       fixed(((5,),), ((4, 3),), ((2, 3, 4),))),
    Op("sort(0, descending=True)[0]", lambda lib, x: _untied(lib, x).sort(0, descending=True)[0],
       lambda x: -np.sort(-(x + _distinct(x.shape)), 0), fixed(((4, 3),), ((5,),))),
    Op("sort function dim=1 stable", lambda lib, x: lib.sort(_untied(lib, x), dim=1, stable=True).values,
       lambda x: np.sort(x + _distinct(x.shape), 1), _B),
    Op("sort of a 0-d tensor", lambda lib, x: x.sort().values, lambda x: x, fixed(((),))),
    Op("gather(dim, argsort(dim)) is sort", lambda lib, x: (lambda u: u.gather(0, u.argsort(0)))(_untied(lib, x)),
       lambda x: np.sort(x + _distinct(x.shape), 0), _M),
    Op("argsort descending function", lambda lib, x: (lambda u: u[lib.argsort(u, descending=True)])(_untied(lib, x)),
       lambda x: -np.sort(-(x + _distinct(x.shape))), fixed(((6,),))),
    Op("topk(2)", lambda lib, x: _untied(lib, x).topk(2).values, lambda x: -np.sort(-(x + _distinct(x.shape)))[..., :2],
       fixed(((4, 3),), ((5,),))),
    Op("topk(3, dim=0, largest=False)[0]", lambda lib, x: _untied(lib, x).topk(3, dim=0, largest=False)[0],
       lambda x: np.sort(x + _distinct(x.shape), 0)[:3], _M),
    Op("topk function k = n", lambda lib, x: lib.topk(_untied(lib, x), 4).values,
       lambda x: -np.sort(-(x + _distinct(x.shape))), fixed(((4,),))),
    Op("topk k = 0", lambda lib, x: x.topk(0, dim=1).values, lambda x: x[:, :0], _M),
    Op("topk values * indices", lambda lib, x: (lambda r: r.values * r.indices)(_untied(lib, x).topk(2, dim=1)),
       lambda x: (lambda u: np.sort(u, 1)[:, ::-1][:, :2] * np.argsort(-u, 1)[:, :2])(x + _distinct(x.shape)), _M),
]

LIST_INDEX = [
    Op("index [range(n), y] (softmax regression)", lambda lib, x: x[range(4), lib.tensor([0, 2, 1, 1])],
       lambda x: x[np.arange(4), [0, 2, 1, 1]], _M),
    Op("index [range(n), list], repeated", lambda lib, x: x[range(4), [2, 2, 2, 2]],
       lambda x: x[np.arange(4), [2, 2, 2, 2]], _M),
    Op("index [range(1, 4, 2), 0]", lambda lib, x: x[range(1, 4, 2), 0], lambda x: x[[1, 3], 0], _M),
    Op("index [range(3)]", lambda lib, x: x[range(3)], lambda x: x[:3], _M),
    Op("index [range(0)] (empty)", lambda lib, x: x[range(0)], lambda x: x[:0], _M),
    Op("index [[rows, cols]] (a list of lists is a tuple)", lambda lib, x: x[[[0, 3, 0], [1, 2, 1]]],
       lambda x: x[[0, 3, 0], [1, 2, 1]], _M, torch_fn=lambda torch, x: x[[0, 3, 0], [1, 2, 1]]),
    Op("index [[range(2), [1, 1]]]", lambda lib, x: x[[range(2), [1, 1]]], lambda x: x[[0, 1], [1, 1]], _M,
       torch_fn=lambda torch, x: x[range(2), [1, 1]]),
    Op("index [[], []] (empty pairs)", lambda lib, x: x[[], []], lambda x: x[[], []].reshape(0), _M),
    Op("index [tensor rows, tensor cols]", lambda lib, x: x[lib.tensor([[0, 1], [3, 3]]), lib.tensor([[1], [2]])],
       lambda x: x[np.array([[0, 1], [3, 3]]), np.array([[1], [2]])], _M),
    Op("index [True]", lambda lib, x: x[True], lambda x: x[None], _M),
    Op("index [:, range(2), 1]", lambda lib, x: x[:, range(2), 1], lambda x: x[:, :2, 1], _B),
]

MOVES = [
    Op("repeat(2, 1, 3)", lambda lib, x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), fixed(((4, 3),), ((1, 2),))),
    Op("repeat((2, 2))", lambda lib, x: x.repeat((2, 2)), lambda x: np.tile(x, (2, 2)), fixed(((4, 3),), ((1, 1),))),
    Op("repeat(1, 1) (a copy)", lambda lib, x: x.repeat(1, 1), lambda x: x.copy(), _M),
    Op("repeat(3) of a 0-d tensor", lambda lib, x: x.repeat(3), lambda x: np.tile(x, 3), fixed(((),))),
    Op("repeat(0, 2)", lambda lib, x: x.repeat(0, 2), lambda x: np.tile(x, (0, 2)), fixed(((3,),))),
    Op("tile(2) function", lambda lib, x: lib.tile(x, (2,)), lambda x: np.tile(x, 2), fixed(((4, 3),), ((2,),))),
    Op("tile(2, 1, 1) method", lambda lib, x: x.tile(2, 1, 1), lambda x: np.tile(x, (2, 1, 1)), _M),
    Op("flip(0)", lambda lib, x: x.flip(0), lambda x: np.flip(x, 0), fixed(((4, 3),), ((5,),))),
    Op("flip(0, -1)", lambda lib, x: x.flip(0, -1), lambda x: np.flip(x, (0, -1)), _B),
    Op("flip function dims=(1,)", lambda lib, x: lib.flip(x, dims=(1,)), lambda x: np.flip(x, 1), _B),
    Op("permute(2, 0, 1)", lambda lib, x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), _B),
    Op("permute((1, 0))", lambda lib, x: x.permute((1, 0)), lambda x: x.T, _M),
    Op("permute function, negative dims", lambda lib, x: lib.permute(x, (-1, 0, -2)), lambda x: x.transpose(2, 0, 1), _B),
    Op("permute(dims=...)", lambda lib, x: x.permute(dims=(0, 2, 1)), lambda x: x.transpose(0, 2, 1), _B),
    Op("movedim(0, -1)", lambda lib, x: x.movedim(0, -1), lambda x: np.moveaxis(x, 0, -1), _B),
    Op("movedim function ((0, 1), (2, 0))", lambda lib, x: lib.movedim(x, (0, 1), (2, 0)),
       lambda x: np.moveaxis(x, (0, 1), (2, 0)), _B),
    Op("moveaxis(1, 0)", lambda lib, x: x.moveaxis(1, 0), lambda x: np.moveaxis(x, 1, 0), _B),
    Op("split(3), weighted", lambda lib, x: lib.cat([p * (i + 1) for i, p in enumerate(x.split(3))]),
       lambda x: np.concatenate([p * (i + 1) for i, p in enumerate(np.split(x, [3]))]), _M),
    Op("split([1, 0, 3]) sections", lambda lib, x: lib.cat([p * (i + 1) for i, p in enumerate(x.split([1, 0, 3]))]),
       lambda x: np.concatenate([x[:1], x[1:] * 3]), _M),
    Op("split function dim=1", lambda lib, x: lib.split(x, 2, dim=1)[1], lambda x: x[:, 2:], _M),
    Op("chunk(2, 1), weighted", lambda lib, x: lib.cat([p * (i + 1) for i, p in enumerate(x.chunk(2, 1))], 1),
       lambda x: np.concatenate([x[:, :2], x[:, 2:] * 2], 1), _M),
    Op("chunk(3) of 4 rows: sizes 2, 2", lambda lib, x: lib.stack([p.sum(0) for p in lib.chunk(x, 3)]),
       lambda x: np.stack([x[:2].sum(0), x[2:].sum(0)]), _M),
    Op("unbind, weighted", lambda lib, x: lib.stack([p * (i + 1) for i, p in enumerate(x.unbind())]),
       lambda x: x * np.arange(1, 5)[:, None], _M),
    Op("unbind function dim=-1", lambda lib, x: lib.unbind(x, -1)[2], lambda x: x[..., 2], _B),
]

TENSOR = PRODUCTS + GATHER + SORTING + LIST_INDEX + MOVES
