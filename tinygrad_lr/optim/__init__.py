"""``tinygrad_lr.optim``: optimizers that update parameters from their ``.grad``.

``SGD`` is θ ← θ − η·g with PyTorch's momentum, Nesterov and weight decay;
``lr_scheduler`` changes η from epoch to epoch.
"""
from . import lr_scheduler  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .newton import Newton  # noqa: F401  (θ ← θ − H⁻¹∇ℓ, the Hessian by double backward)
