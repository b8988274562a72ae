"""The losses of distributions, counts and embeddings, as functions, and the two measures the embedding
losses are made of.

Each is composed of the core's ops, in PyTorch's formula, so its gradient (and second gradient) is
theirs; x is the prediction, y the target:

    kl_div(x, y)                = y · (ln y − x)  (0 where y = 0)      log_target:  eʸ · (y − x)
    poisson_nll_loss(x, y)      = eˣ − y·x  (x = ln λ)                 log_input=False:  x − y·ln(x + eps)
                                  full: + y ln y − y + ½ ln(2πy) where y > 1 (Stirling's ln y!)
    cosine_embedding_loss       = 1 − cos(x₁, x₂) where y = 1,    max(0, cos(x₁, x₂) − margin) where y = −1
    margin_ranking_loss         = max(0, −y · (x₁ − x₂) + margin)
    triplet_margin_loss         = max(0, margin + d(a, p) − d(a, n)),  d = pairwise_distance
    pairwise_distance(x₁, x₂)   = ‖x₁ − x₂ + eps‖ₚ over the last dim (eps added to the difference, as PyTorch)
    cosine_similarity(x₁, x₂)   = Σ x₁/max(‖x₁‖, eps) · x₂/max(‖x₂‖, eps) over ``dim``

Then the reduction: 'mean' over every element, 'sum' or 'none'; kl_div also has 'batchmean', the
sum over the batch size (the KL divergence's definition; PyTorch's 'mean' warns).  As for the
other losses (see ``loss_args``), the tensors of one loss must have one shape: a silent broadcast
would compare every prediction with every target.  The targets of the two margin losses must be 1
or −1 (PyTorch takes any value and gives a meaningless loss).
"""
import math
import warnings

import numpy as np

from ..core import Tensor
from ..core import internal
from . import loss_args


def _reduce(loss, reduction):
    """loss element-wise ('none'), Σ loss ('sum'), or Σ loss / n ('mean': nan for n = 0, as in PyTorch)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    n = loss.numel()
    return total / n if n else total * math.nan


def _tensors(op, **named):
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}; "
                            "convert it with tinygrad_lr.tensor(...) or tinygrad_lr.from_numpy(...)")


def _same_shapes(op, example, **named):
    """The tensors of one loss compared entry by entry: one shape, never a silent broadcast."""
    shapes = {name: tuple(t.shape) for name, t in named.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{name} {s}" for name, s in shapes.items())
        raise ValueError(f"{op}: the shapes of {listed} must be equal; reshape them, e.g. {example}")


def _plus_minus_one(op, target, meaning):
    y = internal.values(target)
    bad = (y != 1) & (y != -1)
    if bad.any():
        raise ValueError(f"{op}: targets must be 1 or -1, found {y[bad].flat[0]} (target of shape "
                         f"{tuple(target.shape)}); {meaning}. For labels 0/1 pass 2 * y - 1")


# ============================================================================
# distributions and counts
# ============================================================================
_KL_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the support size."
                    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                    "'mean' will be changed to behave the same as 'batchmean' in the next major release.")


def _kl_reduction(reduction):
    """KLDivLoss's reduction: 'mean', 'sum', 'none', or 'batchmean' (Σ / N, the KL divergence of each sample)."""
    if reduction == "batchmean":
        return reduction
    if isinstance(reduction, str) and reduction not in ("mean", "sum", "none"):
        raise ValueError(f"KLDivLoss: reduction={reduction!r} is not a valid value; use 'batchmean' (the KL "
                         "divergence, averaged over the batch), 'sum', 'mean' or 'none'")
    return loss_args.check_reduction("KLDivLoss", reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """The Kullback–Leibler divergence KL(y ‖ q) = Σ y · (ln y − ln q), for input x = ln q (log-probabilities).

    - ℓ = y · (ln y − x) element-wise (0 where y = 0);  ∂ℓ/∂x = −y,  ∂ℓ/∂y = ln y + 1 − x.
    - log_target=True: the target is ln y too, ℓ = eʸ · (y − x);  ∂ℓ/∂x = −eʸ.
    - reduction='batchmean': Σ ℓ / N, N the batch size (dim 0): the mean KL divergence per sample.
      'mean' divides by every element instead, and warns as PyTorch does; 'sum', 'none'.

    The input is log_softmax's output (log-probabilities); the target probabilities (≥ 0).
    """
    op = "KLDivLoss"
    if size_average is not None or reduce is not None:
        reduction = loss_args.reduction(op, size_average, reduce, reduction)  # legacy: PyTorch does not warn
    else:
        reduction = _kl_reduction(reduction)
        if reduction == "mean":
            warnings.warn(_KL_MEAN_WARNING, UserWarning, stacklevel=2)
    loss_args.same_shape(op, input, target)
    input, target = loss_args.floats(op, input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        y = internal.values(target)
        if (y < 0).any():
            raise ValueError(f"{op}: the target holds probabilities (log_target=False) but has {y[y < 0].flat[0]} "
                             f"< 0 (target of shape {tuple(target.shape)}); if the target is log-probabilities "
                             "pass log_target=True. The input, the first argument, is the log-probabilities: "
                             "loss(log_softmax(z, 1), p)")
        loss = target * (target.where(target > 0, 1.0).log() - input)  # ln y read as ln 1 where y = 0: 0 · ln 0 = 0
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    total = loss.sum()
    n = input.shape[0] if input.ndim else 1
    return total / n if n else total * math.nan


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """The negative log-likelihood of counts y under a Poisson law of rate λ, without the constant ln y!.

    - log_input=True (the default): the input is x = ln λ (a Linear layer's output), ℓ = eˣ − y·x;
      ∂ℓ/∂x = eˣ − y.
    - log_input=False: the input is λ ≥ 0, ℓ = λ − y·ln(λ + eps);  ∂ℓ/∂λ = 1 − y / (λ + eps).
    - full=True adds Stirling's approximation of ln y!, y ln y − y + ½ ln(2πy), where y > 1.
    """
    op = "PoissonNLLLoss"
    reduction = loss_args.reduction(op, size_average, reduce, reduction)
    loss_args.same_shape(op, input, target)
    input, target = loss_args.floats(op, input, target)
    if log_input:
        loss = input.exp() - target * input
    else:
        lam = internal.values(input)
        if (lam < 0).any():
            raise ValueError(f"{op}: with log_input=False the input is the rate λ ≥ 0, but it has "
                             f"{lam[lam < 0].flat[0]} (input of shape {tuple(input.shape)}); if the input is ln λ (e.g. a Linear layer's "
                             "output), use log_input=True, the default")
        loss = input - target * (input + eps).log()
    if full:
        small = target <= 1
        y = target.masked_fill(small, 1.0)  # where the term is left out: logs of 1, no NaN in the gradient
        loss = loss + (y * y.log() - y + 0.5 * (2 * math.pi * y).log()).masked_fill(small, 0.0)
    return _reduce(loss, reduction)


# ============================================================================
# embeddings: similarities, distances and margins
# ============================================================================
def _floats_broadcast(op, x1, x2):
    """x1 and x2 in one floating dtype, and the shape they broadcast to."""
    _tensors(op, x1=x1, x2=x2)
    x1, x2 = loss_args.floats(op, x1, x2)
    try:
        shape = tuple(int(n) for n in np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    except ValueError:
        raise ValueError(f"{op}: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} cannot be broadcast "
                         "together; give them one shape, e.g. (N, D) and (N, D) (or (N, D) and (D,))") from None
    return x1, x2, shape


def _at_least(norm, eps):
    """max(‖x‖, eps) in value and ‖x‖ in gradient: PyTorch clamps the norms under no_grad."""
    return norm + (norm.clamp(min=eps) - norm).detach()


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos(x₁, x₂) = ⟨x₁, x₂⟩ / (‖x₁‖·‖x₂‖) along ``dim``, each norm at least ``eps``; x₁ and x₂ broadcast.

    Computed as PyTorch does, Σ (x₁ / ‖x₁‖) · (x₂ / ‖x₂‖): the result stays in [−1, 1] and nothing
    overflows for large vectors.
    """
    x1, x2, shape = _floats_broadcast("cosine_similarity", x1, x2)
    x1, x2 = (x if tuple(x.shape) == shape else x.expand(shape) for x in (x1, x2))
    n1, n2 = (_at_least(x.norm(2, dim, keepdim=True), eps) for x in (x1, x2))
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x₁ − x₂ + eps‖ₚ over the last dim: the distance between each pair of rows (x₁ and x₂ broadcast).

    The eps is added to the difference, as in PyTorch, so equal rows are at distance eps·D^(1/p), with a
    gradient, rather than at 0, where the p-norm has none.
    """
    x1, x2, _ = _floats_broadcast("pairwise_distance", x1, x2)
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


_COSINE_EPS = 1e-12  # PyTorch's, added to each squared norm


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """ℓ = 1 − cos(x₁, x₂) for a similar pair (y = 1), max(0, cos(x₁, x₂) − margin) for a dissimilar one (y = −1).

    cos = ⟨x₁, x₂⟩ / √((‖x₁‖² + 10⁻¹²)(‖x₂‖² + 10⁻¹²)) over each row.  Shapes: x₁, x₂ (N, D) and y (N,);
    or (D,) and a 0-d y.
    """
    op = "CosineEmbeddingLoss"
    reduction = loss_args.reduction(op, size_average, reduce, reduction)
    _tensors(op, input1=input1, input2=input2, target=target)
    if target.ndim > 1:
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not supported: target has shape "
                           f"{tuple(target.shape)}; give one target (1 or -1) per pair, shape (N,)")
    need = target.ndim + 1
    if input1.ndim != need or input2.ndim != need:
        raise RuntimeError(f"{op}: {target.ndim}D target tensor expects {need}D input tensors, but found inputs "
                           f"with shapes {tuple(input1.shape)} and {tuple(input2.shape)}; give pairs of rows "
                           f"(N, D), (N, D) with targets (N,), or one pair (D,), (D,) with a 0-d target")
    _same_shapes(op, "(N, D), (N, D)", input1=input1, input2=input2)
    if target.ndim and target.shape[0] != input1.shape[0]:
        raise ValueError(f"{op}: target of shape {tuple(target.shape)} but inputs of shape {tuple(input1.shape)}: "
                         f"one target per pair of rows, shape ({input1.shape[0]},)")
    _plus_minus_one(op, target, "1 for a similar pair, -1 for a dissimilar one")
    x1, x2 = loss_args.floats(op, input1, input2)
    d = target.ndim
    cos = (x1 * x2).sum(d) / (((x1 * x1).sum(d) + _COSINE_EPS) * ((x2 * x2).sum(d) + _COSINE_EPS)).sqrt()
    return _reduce((1 - cos).where(target == 1, (cos - margin).clamp(min=0)), reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """ℓ = max(0, −y · (x₁ − x₂) + margin): y = 1 says x₁ should score higher than x₂ (by margin), y = −1 lower.

    ∂ℓ/∂x₁ = −y where the margin is violated, 0 elsewhere.  x₁, x₂ and y of one shape, e.g. (N,).
    """
    op = "MarginRankingLoss"
    reduction = loss_args.reduction(op, size_average, reduce, reduction)
    _tensors(op, input1=input1, input2=input2, target=target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"{op}: All input tensors should have same dimension but got sizes: input1: "
                           f"{tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: {tuple(target.shape)}; "
                           "give the three one shape, e.g. (N,)")
    _same_shapes(op, "(N,), (N,), (N,)", input1=input1, input2=input2, target=target)
    _plus_minus_one(op, target, "1 when input1 should rank higher, -1 when input2 should")
    x1, x2 = loss_args.floats(op, input1, input2)
    return _reduce((-target * (x1 - x2) + margin).clamp(min=0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """ℓ = max(0, margin + d(a, p) − d(a, n)), d = ``pairwise_distance``: the anchor nearer the positive than
    the negative, by a margin > 0.

    swap=True uses min(d(a, n), d(p, n)) for the negative's distance (the harder of the two).
    Shapes: (N, D) each, or (D,) for one triplet; ℓ has shape (N,) for 'none'.
    """
    op = "TripletMarginLoss"
    reduction = loss_args.reduction(op, size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    _tensors(op, anchor=anchor, positive=positive, negative=negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: The anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs; give each the shape (N, D)")
    _same_shapes(op, "(N, D) each", anchor=anchor, positive=positive, negative=negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)
