"""``tinygrad_lr.nn``: layers, models and losses, built on the autodiff core.

``Module`` is the base class; ``Linear`` is y = xWᵀ + b; ``Sequential`` chains
modules; ``MSELoss`` is ½·mean((ŷ − y)²) (note the ½, unlike PyTorch);
``init`` fills parameters; ``functional`` has the same math as functions.
"""
from . import functional, init  # noqa: F401
from .container import Sequential  # noqa: F401
from .linear import Linear  # noqa: F401
from .loss import MSELoss  # noqa: F401
from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
