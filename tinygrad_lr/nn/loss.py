"""Losses as modules: ``loss = nn.CrossEntropyLoss(); l = loss(net(X), y)``.

Each holds its settings (checked once, when it is made) and calls its function in
``nn.functional``, where the math is.  Constructors take PyTorch's arguments in PyTorch's
order, including the deprecated ``size_average`` and ``reduce`` (they still work, with
PyTorch's warning).  Giving the tensors to the constructor (``nn.CrossEntropyLoss(y_hat, y)``)
is the classic slip: the error says to create the loss first, then call it.
"""
import warnings

from . import functional as F
from . import functional_losses as F_losses
from . import loss_args
from .module import Module


class _Loss(Module):
    """The ``reduction`` every loss has: 'mean' (default), 'sum' or 'none' (element-wise)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = loss_args.reduction(type(self).__name__, size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        op = type(self).__name__
        self.register_buffer("weight", loss_args.check_weight(op, "weight", weight))


class MSELoss(Module):
    """Half the mean squared error, ℓ = 1/(2n) · Σᵢ (ŷᵢ − yᵢ)²  — **with the ½**.

    The ½ is the lecture notes' convention: it cancels the 2 of the derivative,
    so the gradient is the plain residual, ∂ℓ/∂ŷ = (ŷ − y)/n, and for linear
    regression ∂ℓ/∂w = Xᵀ(Xw + b − y)/n.  PyTorch's ``nn.MSELoss`` has no ½
    (it is twice this loss), so the same learning rate takes half the step here.

    Args:
        reduction: ``'mean'`` (default): 1/(2n)·Σ(ŷ − y)² over all n elements;
            ``'sum'``: ½·Σ(ŷ − y)²; ``'none'``: ½(ŷ − y)² element-wise.

    Shape:
        - input ŷ and target y: the same shape, e.g. (N, 1) and (N, 1).  Unlike
          PyTorch (which warns and broadcasts), different shapes raise a
          ValueError: (N, 1) against (N,) would broadcast to (N, N).
        - output: a scalar, or the input's shape for ``'none'``.  An empty batch gives nan.

    Example::

        >>> loss = nn.MSELoss()
        >>> loss(tinygrad_lr.tensor([[1.], [2.]]), tinygrad_lr.tensor([[1.], [4.]]))   # ½·(0 + 4)/2
        tensor(1.)
    """

    _door = "tinygrad_lr.nn"  # whose convention: the ½ (tinygrad_lr.torch's subclass: PyTorch's, without it)

    def __init__(self, *args, reduction="mean"):
        super().__init__()
        if len(args) > 1 or args and not isinstance(args[0], str):
            loss_args.check_reduction("MSELoss", args[0])  # MSELoss(y_hat, y): says to create the loss first
            raise TypeError(f"MSELoss: takes at most one positional argument (reduction), got {len(args)}")
        reduction = args[0] if args else reduction
        self.reduction = loss_args.check_reduction("MSELoss", reduction)
        squared_error_used(self._door)  # (noted when made, not at every call: nothing added to a training step)

    def forward(self, input, target):
        return F._mse_loss(input, target, self.reduction)  # reduction was checked in __init__


# ---- both doors' squared errors in one program -----------------------------------------------------
_DOORS_USED = set()  # whose MSELoss this process has used: "tinygrad_lr.nn" (the ½), "tinygrad_lr.torch.nn"


def squared_error_used(door):
    """Note that ``door``'s MSELoss was made (or the facade's ``mse_loss`` called); the first use of the second
    door warns, so once per process, naming the line that made it: the program mixes ½·mean((ŷ − y)²) with
    PyTorch's mean((ŷ − y)²)."""
    if door in _DOORS_USED:
        return
    _DOORS_USED.add(door)
    if len(_DOORS_USED) == 2:
        warnings.warn(
            "MSELoss: this program uses both tinygrad_lr.nn.MSELoss, ½·mean((ŷ − y)²) (the lecture notes'), and "
            "tinygrad_lr.torch.nn.MSELoss, PyTorch's mean((ŷ − y)²): tinygrad_lr.nn's gives half the loss and half "
            "the gradient (with SGD, the same lr takes half the step). Import nn from one door: `from "
            "tinygrad_lr.torch import nn` everywhere for PyTorch's numbers, or `from tinygrad_lr import nn` for "
            "the notes' (docs/porting.md)", UserWarning, stacklevel=3)


class L1Loss(_Loss):
    """The mean absolute error, ℓ = 1/n · Σᵢ |ŷᵢ − yᵢ|  (``'sum'``: Σ; ``'none'``: element-wise).

    ∂ℓ/∂ŷ = sign(ŷ − y)/n (0 where ŷ = y).  Input and target: the same shape.
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """ℓᵢ = ½(ŷᵢ − yᵢ)²/β if |ŷᵢ − yᵢ| < β, else |ŷᵢ − yᵢ| − ½β; then the mean (or sum, or none).

    Quadratic near 0, linear (as L1) far away, so outliers pull with a bounded force.
    ``beta`` ≥ 0 (default 1; 0 is the L1 loss).  Input and target: the same shape.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """ℓᵢ = ½(ŷᵢ − yᵢ)² if |ŷᵢ − yᵢ| < δ, else δ·(|ŷᵢ − yᵢ| − ½δ); then the mean (or sum, or none).

    ``delta`` > 0 (default 1).  Huber(δ) = δ · SmoothL1(β = δ).  Input and target: the same shape.
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax and negative log-likelihood in one: ℓ = −1/N · Σᵢ log softmax(zᵢ)_yᵢ.

    The loss of softmax regression and of every classifier whose last layer gives one
    score (logit) per class; its gradient is ∂ℓ/∂z = (softmax(z) − onehot(y))/N.  Give it
    the logits, not probabilities: it applies the softmax itself, stably (logits of ±10⁴
    are fine).

    Args:
        weight: one weight per class, shape (C,): ℓ = −Σᵢ w_yᵢ log pᵢ,yᵢ / Σᵢ w_yᵢ.
        ignore_index: targets equal to it are left out, of the mean too (default −100).
        reduction: 'mean' (default), 'sum' or 'none' (one loss per sample).
        label_smoothing: ε in [0, 1]: the target becomes (1 − ε)·onehot(y) + ε/C.

    Shape:
        - input: (N, C) logits, (N, C, d₁, …), or (C,) for one sample.
        - target: class indices (int64) of shape (N,), (N, d₁, …) or (); or class
          probabilities (floating point) of the input's shape.
        - output: a scalar; with 'none' the target's shape (without the class dim).

    Example::

        >>> loss = nn.CrossEntropyLoss()
        >>> loss(tinygrad_lr.tensor([[2.0, 0.0, 0.0]]), tinygrad_lr.tensor([0]))   # −log(e²/(e² + 2))
        tensor(0.2395)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """The negative log-likelihood of log-probabilities: ℓ = −1/N · Σᵢ xᵢ,yᵢ (x = log_softmax(z)).

    ``NLLLoss()(log_softmax(z, 1), y)`` equals ``CrossEntropyLoss()(z, y)``.  ``weight``,
    ``ignore_index``, ``reduction`` and the shapes as in ``CrossEntropyLoss`` (class indices only).
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities: ℓ = −1/n · Σ w·(y·ln x + (1 − y)·ln(1 − x)).

    The loss of logistic regression, with x = σ(Xw + b) and ∂ℓ/∂(Xw + b) = (σ − y)/n.
    Input probabilities in [0, 1] (logs clamped at −100, as in PyTorch); targets in [0, 1];
    both of the same shape.  ``weight`` broadcasts against the input.  Prefer
    ``BCEWithLogitsLoss`` on the logits: it is the same loss, computed stably.
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """``BCELoss`` of σ(z), computed from the logits z without overflow: ℓ = −1/n·Σ w·(y ln σ + (1 − y) ln(1 − σ)).

    ∂ℓ/∂z = w·(σ(z) − y)/n.  ``pos_weight`` p (one per class, along the last dim) multiplies
    the positive term: ℓ = −1/n·Σ w·(p·y ln σ(z) + (1 − y) ln(1 − σ(z))).  Input and target:
    the same shape, e.g. (N, 1) and (N, 1) with float targets.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", loss_args.check_weight("BCEWithLogitsLoss", "pos_weight", pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


# ---- distributions and counts ---------------------------------------------------------------
class KLDivLoss(_Loss):
    """The Kullback–Leibler divergence KL(y ‖ q) = Σ y · (ln y − ln q), for the input x = ln q.

    Give it log-probabilities (``log_softmax``'s output) and target probabilities y; with
    ``log_target=True`` the target is ln y too.  ``reduction='batchmean'`` is the KL divergence
    averaged over the batch (Σ / N); the default 'mean' divides by every element and warns, as in
    PyTorch.  Input and target: the same shape.  See ``F.kl_div``.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, "mean")  # the legacy arguments, as every loss's
        if size_average is None and reduce is None:
            self.reduction = F_losses._kl_reduction(reduction)  # and 'batchmean'
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """The negative log-likelihood of counts y under a Poisson law: ℓ = eˣ − y·x for x = ln λ (``log_input``).

    ``log_input=False``: the input is the rate λ itself, ℓ = λ − y·ln(λ + eps).  ``full=True`` adds
    Stirling's term for ln y!.  Input and target: the same shape.  See ``F.poisson_nll_loss``.
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


# ---- embeddings and rankings: the margin losses (targets 1 or -1) ----------------------------
class CosineEmbeddingLoss(_Loss):
    """ℓ = 1 − cos(x₁, x₂) for a similar pair (y = 1), max(0, cos(x₁, x₂) − margin) for a dissimilar one (y = −1).

    Shapes: x₁, x₂ (N, D), y (N,); or (D,), (D,) and a 0-d y.  ``margin`` in [−1, 1], 0 to 0.5
    suggested.  See ``F.cosine_embedding_loss``.
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """ℓ = max(0, −y · (x₁ − x₂) + margin): y = 1 when x₁ should score higher (by the margin), −1 when x₂ should.

    x₁, x₂ and y of one shape, e.g. (N,).  See ``F.margin_ranking_loss``.
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """ℓ = max(0, margin + d(a, p) − d(a, n)), d(x, y) = ‖x − y + eps‖ₚ: the anchor nearer its positive.

    ``swap=True`` takes min(d(a, n), d(p, n)) as the negative's distance.  anchor, positive and
    negative: (N, D) each, or (D,).  See ``F.triplet_margin_loss``.
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)
