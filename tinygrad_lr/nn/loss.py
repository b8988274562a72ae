"""Losses as modules: ``loss = nn.MSELoss(); l = loss(net(X), y)``."""
from . import functional as F
from .module import Module


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
        - output: a scalar, or the input's shape for ``'none'``.

    Example::

        >>> loss = nn.MSELoss()
        >>> loss(tinygrad_lr.tensor([[1.], [2.]]), tinygrad_lr.tensor([[1.], [4.]]))   # ½·(0 + 4)/2
        tensor(1.)
    """

    def __init__(self, *args, reduction="mean"):
        super().__init__()
        if len(args) > 1 or args and not isinstance(args[0], str):
            F._check_reduction("MSELoss", args[0])  # MSELoss(y_hat, y): says to create the loss first
            raise TypeError(f"MSELoss: takes at most one positional argument (reduction), got {len(args)}")
        reduction = args[0] if args else reduction
        F._check_reduction("MSELoss", reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return F._mse_loss(input, target, self.reduction)  # reduction was checked in __init__
