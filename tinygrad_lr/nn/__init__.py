"""``tinygrad_lr.nn``: layers, models and losses, built on the autodiff core.

The files, one idea each (as PyTorch's ``torch/nn/modules``):

- ``module``: ``Module``, the base class (parameters, children, ``state_dict``, ``train``/``eval``);
  ``parameter``: ``Parameter``, ``UninitializedParameter``, ``UninitializedBuffer`` (no shape yet);
- ``container``: ``Sequential``, ``ModuleList``, ``ModuleDict``;
- ``linear``: ``Linear`` (y = xWᵀ + b), ``Identity``;
- ``conv``: ``Conv1d``, ``Conv2d``; ``pooling``: ``MaxPool1d``, ``MaxPool2d``, ``AvgPool1d``, ``AvgPool2d``,
  ``AdaptiveAvgPool1d``, ``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d``, ``Unfold``, ``Fold``;
- ``activation``: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``GELU``, ``Softmax``, ``LogSoftmax``,
  ``ELU``, ``SELU``, ``CELU``, ``SiLU``, ``Mish``, ``Softplus``, ``Softsign``, ``Hardtanh``, ``ReLU6``,
  ``Hardsigmoid``, ``Hardswish``, ``PReLU``;
- ``dropout``: ``Dropout``, ``Dropout2d``; ``flatten``: ``Flatten``, ``Unflatten``;
- ``hooks``: how a module's forward, forward-pre and full backward hooks run (``Module.register_*_hook``);
- ``sparse``: ``Embedding``; ``normalization``: ``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d``;
- ``lazy``: ``LazyLinear``, ``LazyConv1d``, ``LazyConv2d``, ``LazyBatchNorm1d``, ``LazyBatchNorm2d`` (the input size
  from the first input, then the eager class);
- ``loss``: ``MSELoss`` — ½·mean((ŷ − y)²), note the ½, unlike PyTorch — ``L1Loss``,
  ``SmoothL1Loss``, ``HuberLoss``, ``CrossEntropyLoss``, ``NLLLoss``, ``BCELoss``,
  ``BCEWithLogitsLoss``, ``KLDivLoss``, ``PoissonNLLLoss``, ``CosineEmbeddingLoss``,
  ``MarginRankingLoss``, ``TripletMarginLoss``; ``loss_args`` checks their arguments;
- ``functional`` (``F``): the same math as functions, and the fused Functions whose
  backward is the hand-derived formula (linear, ½-MSE, cross entropy, NLL, BCE, BCE with logits);
  ``functional_layers``: those of a small GPT (embedding, layer_norm, batch_norm, attention);
  ``functional_activations``: elu, softplus, hardswish, prelu, ...; ``functional_losses``: kl_div,
  poisson_nll_loss, the margin losses, cosine_similarity, pairwise_distance; ``functional_dropout``: dropout,
  dropout2d; ``functional_conv``, ``functional_pool``, ``functional_resize``: convolutions and unfold/fold,
  pooling, pad and interpolate; ``arguments``: the argument checks they share;
- ``init``: fill parameters (``normal_``, ``uniform_``, ``kaiming_uniform_``, ``xavier_normal_``,
  ``calculate_gain``, ...).
"""
from . import functional, init, utils  # noqa: F401
from .activation import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,  # noqa: F401
                         LogSoftmax, Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Softsign, Tanh)
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .conv import Conv1d, Conv2d  # noqa: F401
from .dropout import Dropout, Dropout2d  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d, LazyLinear  # noqa: F401
from .linear import Identity, Linear  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, HuberLoss,  # noqa: F401
                   KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss,
                   TripletMarginLoss)
from .module import Module  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: F401
from .parameter import Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d,  # noqa: F401
                      Fold, MaxPool1d, MaxPool2d, Unfold)
from .sparse import Embedding  # noqa: F401
