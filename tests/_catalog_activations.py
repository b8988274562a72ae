"""Catalog entries for the activations beyond ReLU (elu, selu, celu, silu, mish, softplus, softsign, hardtanh,
relu6, hardsigmoid, hardswish, prelu, and the in-place elu_ / hardtanh_) and for the losses of distributions,
counts and embeddings (kl_div, poisson_nll_loss, cosine_embedding_loss, margin_ranking_loss,
triplet_margin_loss) with the measures they use (cosine_similarity, pairwise_distance), all through
``nn.functional``: the same line runs as ``torch.nn.functional``.

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences (first and second order) and PyTorch parity all come from the one entry.  The slopes *at* the
kinks are conventions, checked against PyTorch in tests/nn/test_activations_losses.py; here the inputs stay
away from them: elu's 0, softplus's threshold, hardtanh's bounds, relu6's 0 and 6, hardswish's ±3.  The
margin losses get targets of 1 and −1 written into the entry, and margins that simple values do not hit;
the distances get inputs drawn apart (the anchor, its positive and its negative from disjoint ranges), so
that no difference is near 0, where a norm has a kink.
"""
import math

import numpy as np
from hypothesis import strategies as st

# _catalog.py imports this file at its end, once Op and the value and shape strategies exist:
from _catalog import AWAY_FROM_ZERO, DIM3, POSITIVE, REAL, Op, fixed


def _F(lib):
    return lib.nn.functional


def _away_from(*points, lo=-3, hi=3, margin=0.02):
    return st.floats(lo, hi).filter(lambda v: min(abs(v - p) for p in points) > margin)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.logaddexp(0, x * beta) / beta)


def _elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return np.where(x > 0, scale * x, scale * alpha * np.expm1(np.minimum(x, 0) * input_scale))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

ACTIVATIONS = [
    Op("F.elu", lambda lib, x: _F(lib).elu(x), _elu, domain=(AWAY_FROM_ZERO,)),
    Op("F.elu alpha=0.5", lambda lib, x: _F(lib).elu(x, alpha=0.5), lambda x: _elu(x, 0.5), domain=(AWAY_FROM_ZERO,)),
    Op("F.selu", lambda lib, x: _F(lib).selu(x), lambda x: _elu(x, SELU_ALPHA, SELU_SCALE), domain=(AWAY_FROM_ZERO,)),
    Op("F.celu alpha=0.5", lambda lib, x: _F(lib).celu(x, 0.5), lambda x: _elu(x, 0.5, 1.0, 2.0),
       domain=(AWAY_FROM_ZERO,)),
    Op("F.silu", lambda lib, x: _F(lib).silu(x), lambda x: x * _sigmoid(x)),
    Op("F.mish", lambda lib, x: _F(lib).mish(x), lambda x: x * np.tanh(_softplus(x))),
    Op("F.softplus", lambda lib, x: _F(lib).softplus(x), _softplus),
    Op("F.softplus beta=2 threshold=3", lambda lib, x: _F(lib).softplus(x, beta=2, threshold=3),
       lambda x: _softplus(x, 2, 3), domain=(_away_from(1.5),)),
    Op("F.softsign", lambda lib, x: _F(lib).softsign(x), lambda x: x / (1 + np.abs(x)), domain=(AWAY_FROM_ZERO,)),
    Op("F.hardtanh", lambda lib, x: _F(lib).hardtanh(x), lambda x: np.clip(x, -1, 1), domain=(_away_from(-1, 1),)),
    Op("F.hardtanh(-2, 2.5)", lambda lib, x: _F(lib).hardtanh(x, -2.0, 2.5), lambda x: np.clip(x, -2, 2.5),
       domain=(_away_from(-2, 2.5),)),
    Op("F.relu6", lambda lib, x: _F(lib).relu6(x), lambda x: np.clip(x, 0, 6), domain=(_away_from(0, 6, lo=-2, hi=8),)),
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32 even in float64: its parity is checked
    # against PyTorch's relu6(x + 3) / 6, the same function (and tests/nn/test_activations_losses.py compares the two)
    Op("F.hardsigmoid", lambda lib, x: _F(lib).hardsigmoid(x), lambda x: np.clip(x + 3, 0, 6) / 6,
       domain=(_away_from(-3, 3, lo=-5, hi=5),), torch_fn=lambda torch, x: torch.nn.functional.relu6(x + 3) / 6),
    Op("F.hardswish", lambda lib, x: _F(lib).hardswish(x), lambda x: x * np.clip(x + 3, 0, 6) / 6,
       domain=(_away_from(-3, 3, lo=-5, hi=5),)),
    Op("F.prelu one slope", lambda lib, x, w: _F(lib).prelu(x, w), lambda x, w: np.where(x > 0, x, w[0] * x),
       fixed(((2, 3), (1,)), ((4,), (1,)), ((), (1,))), (AWAY_FROM_ZERO, REAL)),
    Op("F.prelu per channel", lambda lib, x, w: _F(lib).prelu(x, w),
       lambda x, w: np.where(x > 0, x, w.reshape((-1,) + (1,) * (x.ndim - 2)) * x),
       fixed(((2, 3, 4), (3,)), ((4, 2), (2,))), (AWAY_FROM_ZERO, REAL)),
]


def _in_place(name, call, ref, domain):
    """``y = x.clone(); call(F, y)``: PyTorch's in-place form on a tensor of the graph, recorded."""
    def fn(lib, x):
        y = x.clone()
        assert call(_F(lib), y) is y
        return y
    return Op(f"F.{name} (in place on a clone)", fn, ref, fixed(((2, 3),), ((4,),)), domain)


IN_PLACE = [
    _in_place("elu_", lambda F, y: F.elu_(y, 0.7), lambda x: _elu(x, 0.7), (AWAY_FROM_ZERO,)),
    _in_place("hardtanh_", lambda F, y: F.hardtanh_(y, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0),
              (_away_from(-0.5, 2.0),)),
]


# ---- losses -------------------------------------------------------------------------------------------
def _reduce(loss, reduction):
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _kl(x, t, reduction="mean", log_target=False):
    loss = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
    return loss.sum() / x.shape[0] if reduction == "batchmean" else _reduce(loss, reduction)


def _poisson(x, y, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        safe = np.where(y > 1, y, 1.0)
        loss = loss + np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * math.pi * safe), 0.0)
    return _reduce(loss, reduction)


def _cos_rows(a, b, dim):
    eps = 1e-12
    return (a * b).sum(dim) / np.sqrt(((a * a).sum(dim) + eps) * ((b * b).sum(dim) + eps))


Y3 = np.array([1.0, -1.0, -1.0])
Y5 = np.array([1.0, -1.0, 1.0, 1.0, -1.0])
MARGIN = 0.1234      # a margin no simple value hits, so no input sits on the kink of max(0, ·)


def _cosine_embedding(a, b, y, margin=MARGIN, reduction="none"):
    cos = _cos_rows(a, b, y.ndim)
    return _reduce(np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0)), reduction)


def _distance(a, b, p=2.0, eps=1e-6, keepdim=False):
    d = a - b + eps
    return (np.abs(d) ** p).sum(-1, keepdims=keepdim) ** (1 / p)


def _triplet(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    d_neg = _distance(a, neg, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _distance(pos, neg, p, eps))
    return _reduce(np.maximum(margin + _distance(a, pos, p, eps) - d_neg, 0), reduction)


def _cosine_similarity(a, b, dim=1, eps=1e-8):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(dim)


def _constant(lib, values, like):
    return lib.tensor(values).to(like.dtype)


ANCHOR, POSITIVE_SIDE, FAR = st.floats(0.5, 3), st.floats(-3, -0.5), st.floats(3.5, 6)   # a − p, a − n, p − n ≠ 0
ROWS = fixed(((3, 4), (3, 4)))

LOSSES = [
    Op("F.kl_div batchmean", lambda lib, x, t: _F(lib).kl_div(x, t, reduction="batchmean"),
       lambda x, t: _kl(x, t, "batchmean"), fixed(((4, 3), (4, 3))), (REAL, POSITIVE)),
    Op("F.kl_div sum", lambda lib, x, t: _F(lib).kl_div(x, t, reduction="sum"), lambda x, t: _kl(x, t, "sum"),
       fixed(((2, 3, 2), (2, 3, 2))), (REAL, POSITIVE)),
    Op("F.kl_div none log_target", lambda lib, x, t: _F(lib).kl_div(x, t, reduction="none", log_target=True),
       lambda x, t: _kl(x, t, "none", log_target=True), fixed(((4, 3), (4, 3)), ((5,), (5,)))),
    Op("F.poisson_nll_loss", lambda lib, x, y: _F(lib).poisson_nll_loss(x, y), _poisson,
       fixed(((4, 3), (4, 3)), ((), ())), (REAL, POSITIVE)),
    Op("F.poisson_nll_loss rate, full, none",
       lambda lib, x, y: _F(lib).poisson_nll_loss(x, y, log_input=False, full=True, reduction="none"),
       lambda x, y: _poisson(x, y, log_input=False, full=True, reduction="none"), fixed(((4, 3), (4, 3))),
       (POSITIVE, st.one_of(st.floats(0.1, 0.8), st.floats(1.2, 4)))),            # Stirling's term starts at y = 1
    Op("F.cosine_embedding_loss none", lambda lib, a, b: _F(lib).cosine_embedding_loss(
        a, b, _constant(lib, Y3, a), margin=MARGIN, reduction="none"), lambda a, b: _cosine_embedding(a, b, Y3),
       ROWS, (AWAY_FROM_ZERO,)),
    Op("F.cosine_embedding_loss one pair", lambda lib, a, b: _F(lib).cosine_embedding_loss(
        a, b, _constant(lib, -1.0, a), margin=-MARGIN), lambda a, b: _cosine_embedding(a, b, np.array(-1.0), -MARGIN),
       fixed(((4,), (4,))), (AWAY_FROM_ZERO,)),
    Op("F.margin_ranking_loss", lambda lib, a, b: _F(lib).margin_ranking_loss(a, b, _constant(lib, Y5, a),
                                                                              margin=MARGIN),
       lambda a, b: np.maximum(-Y5 * (a - b) + MARGIN, 0).mean(), fixed(((5,), (5,)))),
    Op("F.margin_ranking_loss sum", lambda lib, a, b: _F(lib).margin_ranking_loss(a, b, _constant(lib, Y5, a),
                                                                                  reduction="sum"),
       lambda a, b: np.maximum(-Y5 * (a - b), 0).sum(), fixed(((5,), (5,))), (ANCHOR, FAR)),   # a < b: no tie
    Op("F.triplet_margin_loss", lambda lib, a, p, n: _F(lib).triplet_margin_loss(a, p, n, margin=3.1234),
       lambda a, p, n: _triplet(a, p, n, 3.1234), fixed(((3, 4),) * 3, ((4,),) * 3), (ANCHOR, POSITIVE_SIDE, FAR)),
    Op("F.triplet_margin_loss p=1 swap none", lambda lib, a, p, n: _F(lib).triplet_margin_loss(
        a, p, n, margin=5.1234, p=1, swap=True, reduction="none"),
       lambda a, p, n: _triplet(a, p, n, 5.1234, 1, swap=True, reduction="none"), fixed(((3, 4),) * 3),
       (ANCHOR, POSITIVE_SIDE, FAR)),
    Op("F.cosine_similarity dim=-1 broadcast", lambda lib, a, b: _F(lib).cosine_similarity(a, b, dim=-1),
       lambda a, b: _cosine_similarity(a, b, -1), fixed(((3, 4), (4,))), (AWAY_FROM_ZERO,)),
    Op("F.cosine_similarity", lambda lib, a, b: _F(lib).cosine_similarity(a, b), _cosine_similarity,
       fixed(((2, 3, 4), (2, 3, 4)), ((3, 2), (3, 2))), (AWAY_FROM_ZERO,)),
    Op("F.pairwise_distance", lambda lib, a, b: _F(lib).pairwise_distance(a, b), _distance,
       fixed(((3, 4), (3, 4)), ((4,), (4,)), ((2, 3, 4), (3, 4))), (ANCHOR, POSITIVE_SIDE)),
    Op("F.pairwise_distance p=1 keepdim", lambda lib, a, b: _F(lib).pairwise_distance(a, b, p=1, keepdim=True),
       lambda a, b: _distance(a, b, 1, keepdim=True), ROWS, (ANCHOR, POSITIVE_SIDE)),
    Op("F.pairwise_distance p=3", lambda lib, a, b: _F(lib).pairwise_distance(a, b, 3), lambda a, b: _distance(a, b, 3),
       DIM3.map(lambda s: s * 2), (ANCHOR, POSITIVE_SIDE)),
]

ACTIVATIONS_AND_LOSSES = ACTIVATIONS + IN_PLACE + LOSSES
