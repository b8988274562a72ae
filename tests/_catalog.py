"""The op catalog: one table of math that drives the forward, gradient and PyTorch-parity tests.

Each entry says what an op computes three ways:

- ``fn(lib, *xs)``: the op written once with PyTorch's names; ``lib`` is
  ``tinygrad_lr`` (and ``xs`` its tensors) or ``torch`` (and torch tensors).
  That the same line runs on both *is* the claim "a PyTorch loop ports by
  changing its imports".  ``torch_fn`` replaces it where PyTorch needs a
  different spelling (e.g. a NumPy index array becomes a torch tensor).
- ``ref(*arrays)``: the NumPy reference, the math written out by hand.
- ``shapes``: a hypothesis strategy of input-shape tuples (broadcasting pairs,
  0-d and size-1 dimensions included) and ``domain``: a strategy for the
  values of each input (log needs x > 0, |x| and relu stay away from their kink).

tests/core/test_ops_catalog.py checks forward against ``ref`` and gradients against
central finite differences of ``ref`` in float64; tests/core/test_parity_torch.py
checks values and gradients against PyTorch on the same float64 inputs.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_lr

# ---- values ---------------------------------------------------------------------
REAL = st.floats(-3, 3)
POSITIVE = st.floats(0.5, 3)                                     # log, sqrt, x ** -1
AWAY_FROM_ZERO = st.one_of(st.floats(-3, -0.25), st.floats(0.25, 3))  # |x|, relu, 1/x: no kink nearby

# ---- shapes ---------------------------------------------------------------------
ANY = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4).map(lambda s: (s,))
BROADCAST_PAIR = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4).map(lambda b: b.input_shapes)
DIM3 = hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=4).map(lambda s: (s,))


def fixed(*cases):
    """Fixed input shapes, e.g. fixed(((2, 3), (3,)), ((3,), (3,))) for matmul."""
    return st.sampled_from(cases)


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable
    ref: Callable
    shapes: st.SearchStrategy = ANY
    domain: tuple = (REAL,)          # one strategy per input; the last one repeats
    torch_fn: Optional[Callable] = None

    def domain_of(self, i):
        return self.domain[min(i, len(self.domain) - 1)]

    def run_torch(self, torch, *xs):
        return (self.torch_fn or self.fn)(torch, *xs)

    def __repr__(self):  # the pytest id
        return self.name


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---- binary ops: every pair of broadcast-compatible shapes ------------------------
BINARY = [
    Op("add", lambda lib, x, y: x + y, np.add, BROADCAST_PAIR),
    Op("sub", lambda lib, x, y: x - y, np.subtract, BROADCAST_PAIR),
    Op("mul", lambda lib, x, y: x * y, np.multiply, BROADCAST_PAIR),
    Op("div", lambda lib, x, y: x / y, np.divide, BROADCAST_PAIR, (REAL, AWAY_FROM_ZERO)),
    Op("add method", lambda lib, x, y: x.add(y), np.add, BROADCAST_PAIR),
    Op("sub function", lambda lib, x, y: lib.sub(x, y), np.subtract, BROADCAST_PAIR),
    Op("mul function", lambda lib, x, y: lib.mul(x, y), np.multiply, BROADCAST_PAIR),
    Op("div method", lambda lib, x, y: x.div(y), np.divide, BROADCAST_PAIR, (REAL, AWAY_FROM_ZERO)),
    Op("x used twice: x * y + x", lambda lib, x, y: x * y + x, lambda x, y: x * y + x, BROADCAST_PAIR),
]

# ---- unary ops ------------------------------------------------------------------
UNARY = [
    Op("neg", lambda lib, x: -x, np.negative),
    Op("neg method", lambda lib, x: x.neg(), np.negative),
    Op("pow 2", lambda lib, x: x ** 2, lambda x: x ** 2),
    Op("pow 3", lambda lib, x: x ** 3, lambda x: x ** 3),
    Op("pow 0.5", lambda lib, x: x ** 0.5, np.sqrt, domain=(POSITIVE,)),
    Op("pow -1", lambda lib, x: x ** -1, lambda x: 1 / x, domain=(AWAY_FROM_ZERO,)),
    Op("pow 0", lambda lib, x: x ** 0, lambda x: np.ones_like(x)),
    Op("pow 1", lambda lib, x: x.pow(1), lambda x: x),
    Op("pow 2.5", lambda lib, x: lib.pow(x, 2.5), lambda x: x ** 2.5, domain=(POSITIVE,)),
    Op("rpow: 2 ** x", lambda lib, x: 2 ** x, lambda x: 2.0 ** x),
    Op("square", lambda lib, x: x.square(), np.square),
    Op("sqrt", lambda lib, x: x.sqrt(), np.sqrt, domain=(POSITIVE,)),
    Op("exp", lambda lib, x: x.exp(), np.exp),
    Op("exp function", lambda lib, x: lib.exp(x), np.exp),
    Op("log", lambda lib, x: x.log(), np.log, domain=(POSITIVE,)),
    Op("abs", lambda lib, x: x.abs(), np.abs, domain=(AWAY_FROM_ZERO,)),
    Op("abs builtin", lambda lib, x: abs(x), np.abs, domain=(AWAY_FROM_ZERO,)),
    Op("relu", lambda lib, x: x.relu(), lambda x: np.maximum(x, 0), domain=(AWAY_FROM_ZERO,)),
    Op("sigmoid", lambda lib, x: x.sigmoid(), _sigmoid),
    Op("tanh", lambda lib, x: x.tanh(), np.tanh),
    Op("tanh function", lambda lib, x: lib.tanh(x), np.tanh),
    Op("clone", lambda lib, x: x.clone(), lambda x: x.copy()),
    Op("x * x + x (diamond)", lambda lib, x: x * x + x, lambda x: x * x + x),
]

# ---- matmul: PyTorch's rules for 1-d, 2-d and batched operands ---------------------
_MATMUL_SHAPES = {
    "1-d @ 1-d": ((3,), (3,)),
    "1-d @ 2-d": ((3,), (3, 4)),
    "2-d @ 1-d": ((2, 3), (3,)),
    "2-d @ 2-d": ((2, 3), (3, 4)),
    "(1, 1) @ (1, 1)": ((1, 1), (1, 1)),
    "batched @ batched": ((2, 2, 3), (2, 3, 4)),
    "batched @ 2-d": ((2, 2, 3), (3, 4)),
    "2-d @ batched": ((2, 3), (2, 3, 4)),
    "batch dims broadcast": ((2, 1, 2, 3), (3, 3, 2)),
    "batched @ 1-d": ((2, 2, 3), (3,)),
    "1-d @ batched": ((3,), (2, 3, 4)),
}
MATMUL = [Op(f"matmul {k}", lambda lib, x, y: x @ y, np.matmul, fixed(v)) for k, v in _MATMUL_SHAPES.items()]
MATMUL += [
    Op("matmul function", lambda lib, x, y: lib.matmul(x, y), np.matmul, fixed(((2, 3), (3, 2)))),
    Op("mm method", lambda lib, x, y: x.mm(y), np.matmul, fixed(((2, 3), (3, 2)))),
]

# ---- reductions over dim None / int / negative / tuple, with keepdim -----------------
_DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


def _reduction(name, np_fn):
    ops = []
    for dim in _DIMS:
        for keepdim in (False, True):
            ops.append(Op(f"{name}(dim={dim}, keepdim={keepdim})",
                          lambda lib, x, dim=dim, keepdim=keepdim: getattr(x, name)(dim=dim, keepdim=keepdim),
                          lambda x, dim=dim, keepdim=keepdim: np_fn(x, axis=dim, keepdims=keepdim),
                          ANY if dim is None else DIM3))
    ops.append(Op(f"{name}() of any shape", lambda lib, x: getattr(x, name)(), np_fn))
    ops.append(Op(f"{name}(-1) of a 0-d tensor", lambda lib, x: getattr(x, name)(-1), lambda x: np_fn(x),
                  fixed(((),))))
    ops.append(Op(f"{name}(dim=1) positional", lambda lib, x: getattr(x, name)(1),
                  lambda x: np_fn(x, axis=1), fixed(((2, 3),), ((4, 1),))))
    return ops


REDUCE = _reduction("sum", np.sum) + _reduction("mean", np.mean) + [
    Op("linreg loss 1/(2n) * sum((Xw + b - y) ** 2)",
       lambda lib, X, w, b, y: ((X @ w + b - y) ** 2).sum() / (2 * X.shape[0]),
       lambda X, w, b, y: ((X @ w + b - y) ** 2).sum() / (2 * X.shape[0]), fixed(((5, 2), (2,), (), (5,)))),
]

# ---- movement: reshape / view / transpose / expand ---------------------------------
MOVEMENT = [
    Op("reshape(-1)", lambda lib, x: x.reshape(-1), lambda x: x.reshape(-1)),
    Op("reshape(6, 4)", lambda lib, x: x.reshape(6, 4), lambda x: x.reshape(6, 4), fixed(((2, 3, 4),))),
    Op("reshape((4, -1, 2))", lambda lib, x: x.reshape((4, -1, 2)), lambda x: x.reshape(4, -1, 2),
       fixed(((2, 3, 4),))),
    Op("reshape 0-d to (1, 1)", lambda lib, x: x.reshape(1, 1), lambda x: x.reshape(1, 1), fixed(((),))),
    Op("reshape (1,) to 0-d", lambda lib, x: x.reshape(()), lambda x: x.reshape(()), fixed(((1,),))),
    Op("view(-1, 3)", lambda lib, x: x.view(-1, 3), lambda x: x.reshape(-1, 3), fixed(((2, 3),), ((4, 3, 1),))),
    Op("transpose(0, 2)", lambda lib, x: x.transpose(0, 2), lambda x: x.swapaxes(0, 2), DIM3),
    Op("transpose(-1, -2)", lambda lib, x: x.transpose(-1, -2), lambda x: x.swapaxes(-1, -2), DIM3),
    Op("transpose(1, 1)", lambda lib, x: x.transpose(1, 1), lambda x: x.copy(), DIM3),
    Op("T of a matrix", lambda lib, x: x.T, lambda x: x.T, fixed(((2, 3),), ((1, 4),))),
    Op("t() of a matrix", lambda lib, x: x.t(), lambda x: x.T, fixed(((2, 3),), ((3, 1),))),
    Op("t() of a vector", lambda lib, x: x.t(), lambda x: x, fixed(((3,),))),
    Op("mT", lambda lib, x: x.mT, lambda x: x.swapaxes(-1, -2), DIM3),
    Op("transpose function", lambda lib, x: lib.transpose(x, 0, 1), lambda x: x.swapaxes(0, 1), DIM3),
    Op("expand (3, 1) to (2, 3, 4)", lambda lib, x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)),
       fixed(((3, 1),), ((1,),), ((),))),
    Op("expand(-1, 4)", lambda lib, x: x.expand(-1, 4), lambda x: np.broadcast_to(x, (x.shape[0], 4)),
       fixed(((3, 1),), ((2, 4),))),
    Op("expand((2, 3))", lambda lib, x: x.expand((2, 3)), lambda x: np.broadcast_to(x, (2, 3)), fixed(((3,),))),
    Op("unsqueeze(1)", lambda lib, x: x.unsqueeze(1), lambda x: np.expand_dims(x, 1), fixed(((2, 3),))),
    Op("squeeze()", lambda lib, x: x.squeeze(), lambda x: x.squeeze(), fixed(((1, 3, 1),))),
    Op("flatten()", lambda lib, x: x.flatten(), lambda x: x.reshape(-1), DIM3),
]

# ---- indexing: basic and advanced; repeated indices accumulate ----------------------
_M = fixed(((4, 3),))
_B = fixed(((3, 4, 2),))


def _index(name, index, shapes=_M, torch_index=None, domain=(REAL,)):
    """x[index]; ``torch_index(torch)`` when PyTorch needs its own spelling of the index."""
    def torch_fn(torch, x):
        return x[torch_index(torch)] if torch_index else x[index]
    return Op(f"index {name}", lambda lib, x: x[index], lambda x: x[index], shapes, domain, torch_fn)


INDEX = [
    _index("[1]", 1),
    _index("[-1]", -1),
    _index("[1:3]", slice(1, 3)),
    _index("[::2]", slice(None, None, 2)),
    _index("[:, 1]", (slice(None), 1)),
    _index("[-1, -2]", (-1, -2)),
    _index("[None]", None),
    _index("[:, None, 1:]", (slice(None), None, slice(1, None))),
    _index("[..., 1]", (Ellipsis, 1), _B),
    _index("[1, ...]", (1, Ellipsis), _B),
    _index("[0, ..., None]", (0, Ellipsis, None), _B),
    _index("[[0, 0, 2]] (list, repeated)", [0, 0, 2]),
    _index("[np.array([3, 1, 3, 3])] (repeated)", np.array([3, 1, 3, 3]),
           torch_index=lambda torch: torch.tensor([3, 1, 3, 3])),
    _index("[np.array 2-d index]", np.array([[0, 1], [1, 1]]),
           torch_index=lambda torch: torch.tensor([[0, 1], [1, 1]])),
    _index("[:, [2, 2, 0]]", (slice(None), [2, 2, 0])),
    _index("[[0, 3, 0], [1, 1, 1]] (pairs, repeated)", ([0, 3, 0], [1, 1, 1])),
    _index("[[1, 1], :, 0]", ([1, 1], slice(None), 0), _B),
    _index("[bool mask]", np.array([True, False, True, True]),
           torch_index=lambda torch: torch.tensor([True, False, True, True])),
    _index("[2-d bool mask]", np.array([[True, False, True]] * 2 + [[False] * 3] * 2),
           torch_index=lambda torch: torch.tensor([[True, False, True]] * 2 + [[False] * 3] * 2)),
    Op("index [tensor([1, 1, 0])] (repeated)", lambda lib, x: x[lib.tensor([1, 1, 0])],
       lambda x: x[np.array([1, 1, 0])], _M),
    Op("index [x > 0] (data-dependent mask)", lambda lib, x: x[x > 0], lambda x: x[x > 0], _M,
       (AWAY_FROM_ZERO,)),
    Op("index then sum, repeated: x[[0, 0]].sum()", lambda lib, x: x[[0, 0]].sum(),
       lambda x: x[[0, 0]].sum(), _M),
    Op("minibatch gather X[idx] @ w", lambda lib, X, w: X[lib.tensor([3, 0, 3])] @ w,
       lambda X, w: X[np.array([3, 0, 3])] @ w, fixed(((4, 3), (3,)))),
]

# ---- joining --------------------------------------------------------------------
JOIN = [
    Op("stack dim=0", lambda lib, x, y: lib.stack([x, y]), lambda x, y: np.stack([x, y]),
       ANY.map(lambda s: s * 2)),
    Op("stack dim=-1", lambda lib, x, y, z: lib.stack((x, y, z), dim=-1), lambda *a: np.stack(a, axis=-1),
       ANY.map(lambda s: s * 3)),
    Op("stack dim=1", lambda lib, x, y: lib.stack([x, y], dim=1), lambda x, y: np.stack([x, y], axis=1),
       fixed(((2, 3), (2, 3)))),
    Op("stack of one", lambda lib, x: lib.stack([x]), lambda x: np.stack([x]), fixed(((3,),))),
    Op("cat dim=0", lambda lib, x, y: lib.cat([x, y]), lambda x, y: np.concatenate([x, y]),
       fixed(((2, 3), (1, 3)), ((1,), (3,)))),
    Op("cat dim=1", lambda lib, x, y, z: lib.cat([x, y, z], dim=1), lambda *a: np.concatenate(a, axis=1),
       fixed(((2, 1), (2, 3), (2, 2)))),
    Op("cat dim=-1", lambda lib, x, y: lib.cat((x, y), -1), lambda x, y: np.concatenate([x, y], axis=-1),
       fixed(((2, 3, 1), (2, 3, 2)))),
    Op("cat x with itself", lambda lib, x: lib.cat([x, x * 2]), lambda x: np.concatenate([x, x * 2]),
       fixed(((2, 3),))),
]

CATALOG = BINARY + UNARY + MATMUL + REDUCE + MOVEMENT + INDEX + JOIN

# The classification ops have catalogs of their own (same Op entries, same tests): elementwise math,
# reductions and softmax in _catalog_math.py; indexing, gathering, sorting and movement in _catalog_tensor.py.
from _catalog_math import MATH  # noqa: E402
from _catalog_tensor import TENSOR  # noqa: E402
from _catalog_surface import SURFACE  # noqa: E402  (%, rounding, more math, structure, in place: tests/_catalog_surface.py)
from _catalog_layers import LAYERS  # noqa: E402  (embedding, layer_norm, batch_norm, attention: tests/_catalog_layers.py)
from _catalog_activations import ACTIVATIONS_AND_LOSSES  # noqa: E402  (elu ... prelu, kl_div ...: _catalog_activations.py)
from _catalog_sampling import SAMPLING  # noqa: E402  (meshgrid: tests/_catalog_sampling.py)
from _catalog_conv import CONVOLUTIONS  # noqa: E402  (conv, pooling, unfold/fold, pad, interpolate: _catalog_conv.py)

CATALOG = CATALOG + MATH + TENSOR + SURFACE + LAYERS + ACTIVATIONS_AND_LOSSES + SAMPLING + CONVOLUTIONS

assert len({op.name for op in CATALOG}) == len(CATALOG), "catalog names must be unique (they are test ids)"


# ---- drawing inputs ---------------------------------------------------------------
@st.composite
def inputs(draw, op):
    """Float64 input arrays for ``op``: shapes from ``op.shapes``, values from its domain."""
    shapes = draw(op.shapes)
    return [draw(hnp.arrays(np.float64, shape, elements=op.domain_of(i))) for i, shape in enumerate(shapes)]


def cotangent(shape, seed=0):
    """A fixed, non-uniform ∂L/∂out, so that backward is checked with weights other than ones."""
    return np.random.default_rng(seed).standard_normal(shape)


def as_array(t):
    """A tinygrad_lr or torch tensor's values as a NumPy array."""
    if hasattr(t, "detach"):
        t = t.detach()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def tinygrad_leaves(arrays):
    return [tinygrad_lr.tensor(a, requires_grad=True) for a in arrays]
