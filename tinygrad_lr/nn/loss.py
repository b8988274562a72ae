"""Losses as modules: ``loss = nn.CrossEntropyLoss(); l = loss(net(X), y)``.

Each holds its settings (checked once, when it is made) and calls its function in
``nn.functional``, where the math is.  Constructors take PyTorch's arguments in PyTorch's
order, including the deprecated ``size_average`` and ``reduce`` (they still work, with
PyTorch's warning).  Giving the tensors to the constructor (``nn.CrossEntropyLoss(y_hat, y)``)
is the classic slip: the error says to create the loss first, then call it.
"""
from . import functional as F
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

    def __init__(self, *args, reduction="mean"):
        super().__init__()
        if len(args) > 1 or args and not isinstance(args[0], str):
            loss_args.check_reduction("MSELoss", args[0])  # MSELoss(y_hat, y): says to create the loss first
            raise TypeError(f"MSELoss: takes at most one positional argument (reduction), got {len(args)}")
        reduction = args[0] if args else reduction
        self.reduction = loss_args.check_reduction("MSELoss", reduction)

    def forward(self, input, target):
        return F._mse_loss(input, target, self.reduction)  # reduction was checked in __init__


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
