"""``tinygrad_lr.optim``: optimizers that update parameters from their ``.grad``.

Each is PyTorch's, with its update rule as math in its docstring:

- ``SGD``: θ ← θ − η·g, with PyTorch's momentum, Nesterov and weight decay;
- ``Adam``, ``AdamW``: momentum on g divided by √(running mean of g²), with bias correction;
- ``RMSprop``: g divided by √(running mean of g²), optionally centered and with momentum;
- ``Adagrad``: g divided by √(sum of all g² so far);
- ``Adadelta``: Adagrad's scaling with the units fixed by a running mean of the steps;
- ``LBFGS``: quasi-Newton steps from the last gradients (a closure; optional strong-Wolfe line search);
- ``Newton``: θ ← θ − H⁻¹∇ℓ, the Hessian by double backward;
- ``lr_scheduler`` changes η from epoch to epoch (StepLR, CosineAnnealingLR, OneCycleLR, ...).
"""
from . import lr_scheduler  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adadelta import Adadelta  # noqa: F401
from .lbfgs import LBFGS  # noqa: F401
from .newton import Newton  # noqa: F401
