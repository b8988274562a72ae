"""``tinygrad_lr.nn``: layers, models and losses, built on the autodiff core.

The files, one idea each (as PyTorch's ``torch/nn/modules``):

- ``module``: ``Module``, the base class (parameters, children, ``state_dict``, ``train``/``eval``);
  ``parameter``: ``Parameter``;
- ``container``: ``Sequential``, ``ModuleList``, ``ModuleDict``;
- ``linear``: ``Linear`` (y = xWᵀ + b), ``Identity``;
- ``activation``: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``GELU``, ``Softmax``, ``LogSoftmax``;
- ``dropout``: ``Dropout``; ``flatten``: ``Flatten``, ``Unflatten``;
- ``loss``: ``MSELoss`` — ½·mean((ŷ − y)²), note the ½, unlike PyTorch — ``L1Loss``,
  ``SmoothL1Loss``, ``HuberLoss``, ``CrossEntropyLoss``, ``NLLLoss``, ``BCELoss``,
  ``BCEWithLogitsLoss``; ``loss_args`` checks their arguments;
- ``functional`` (``F``): the same math as functions, and the fused Functions whose
  backward is the hand-derived formula (linear, ½-MSE, cross entropy, NLL, BCE, BCE with logits);
- ``init``: fill parameters (``normal_``, ``uniform_``, ``kaiming_uniform_``, ``xavier_normal_``,
  ``calculate_gain``, ...).
"""
from . import functional, init  # noqa: F401
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .linear import Identity, Linear  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,  # noqa: F401
                   NLLLoss, SmoothL1Loss)
from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
