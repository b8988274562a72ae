"""Activation functions as modules, for ``nn.Sequential``: ``nn.Sequential(nn.Linear(2, 8), nn.ReLU(), ...)``.

Each is a thin module around its function (a Tensor method or a Function of
``nn.functional``, where the formula and its derivative are); ``repr`` shows its settings
as PyTorch's does.  ``inplace=True`` is accepted (PyTorch code passes it) and gives the
same values, but the result is always a new tensor.  ``PReLU`` has a parameter: its slopes.
"""
import warnings

import numpy as np

from ..core import dtypes
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class ReLU(Module):
    """ReLU(x) = max(x, 0) element-wise;  ∂/∂x = [x > 0]."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x > 0 else negative_slope · x;  ∂/∂x = 1 or negative_slope."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ) element-wise;  ∂/∂x = σ(x)(1 − σ(x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh x element-wise;  ∂/∂x = 1 − tanh² x."""

    def forward(self, input):
        return F.tanh(input)


class GELU(Module):
    """GELU(x) = x · Φ(x), Φ the standard normal CDF; ``approximate='tanh'``: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _AlongDim(Module):
    """Softmax and LogSoftmax: one setting, the dim the probabilities are taken along."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """softmax(x)ᵢ = e^xᵢ / Σⱼ e^xⱼ along ``dim``: each slice along dim becomes probabilities summing to 1.

    For training a classifier give the logits to ``CrossEntropyLoss`` instead: it applies
    log-softmax itself, stably.
    """

    def forward(self, input):
        return F.softmax(input, self.dim)


class LogSoftmax(_AlongDim):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^xⱼ along ``dim`` (the input of ``NLLLoss``)."""

    def forward(self, input):
        return F.log_softmax(input, self.dim)


# ---- the smooth relatives of ReLU (F.elu ... in functional_activations.py) ------------------------
class _Inplace(Module):
    """An activation whose one setting is ``inplace`` (accepted; the result is always a new tensor)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ELU(Module):
    """ELU(x) = x if x > 0, else α·(eˣ − 1);  ∂/∂x = 1 or α·eˣ.  ``alpha`` (default 1) is the value at −∞."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """CELU(x) = max(0, x) + min(0, α·(e^(x/α) − 1)): ELU with a slope of 1 at 0 for every α ≠ 0."""

    def forward(self, input):
        return F.celu(input, self.alpha)


class SELU(_Inplace):
    """SELU(x) = λ·(x if x > 0, else α·(eˣ − 1)), λ ≈ 1.0507, α ≈ 1.6733: keeps activations at mean 0, variance 1."""

    def forward(self, input):
        return F.selu(input)


class SiLU(_Inplace):
    """SiLU(x) = x · σ(x) (swish);  ∂/∂x = σ(x)·(1 + x·(1 − σ(x)))."""

    def forward(self, input):
        return F.silu(input)


class Mish(_Inplace):
    """Mish(x) = x · tanh(softplus(x))."""

    def forward(self, input):
        return F.mish(input)


class Softplus(Module):
    """Softplus(x) = ln(1 + e^(βx)) / β, a smooth ReLU; x itself where βx > ``threshold``;  ∂/∂x = σ(βx)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """Softsign(x) = x / (1 + |x|);  ∂/∂x = 1 / (1 + |x|)²."""

    def forward(self, input):
        return F.softsign(input)


# ---- the piecewise-linear ones: their slopes at the kinks are PyTorch's ---------------------------
class Hardtanh(Module):
    """Hardtanh(x) = min(max(x, min_val), max_val);  ∂/∂x = 1 strictly between the bounds, 0 elsewhere.

    ``min_value`` / ``max_value`` are PyTorch's deprecated spellings (with its FutureWarning).
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        if max_val <= min_val:
            raise ValueError(f"{type(self).__name__}: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """ReLU6(x) = min(max(x, 0), 6) = Hardtanh(0, 6);  ∂/∂x = 1 for 0 < x < 6, else 0."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardsigmoid(Module):
    """Hardsigmoid(x) = relu6(x + 3) / 6: 0 below −3, 1 above 3, a line of slope 1/6 between."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace  # not in the repr, as in PyTorch

    def forward(self, input):
        return F.hardsigmoid(input)


class Hardswish(Hardsigmoid):
    """Hardswish(x) = x · relu6(x + 3) / 6: 0 below −3, x above 3, x(x + 3)/6 between."""

    def forward(self, input):
        return F.hardswish(input)


class PReLU(Module):
    """PReLU(x) = x if x > 0, else a·x, with a learnable slope a: one for all, or one per channel (dim 1).

    Args:
        num_parameters: 1 (one slope shared by every channel) or C, the input's channels (dim 1).
        init: the slopes' initial value (default 0.25).
        dtype: of the slopes (default: the default dtype).

    Attributes:
        weight: Parameter of shape (num_parameters,).  Weight decay should usually skip it.

    Shape: input (N, C, *) (or any shape with num_parameters=1); output the same.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) \
                or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive integer (1, or the number of channels), "
                             f"got {num_parameters!r}")
        dt = dtypes.to_dtype(dtype, "PReLU") or dtypes.get_default_dtype()
        self.num_parameters, self.init = int(num_parameters), init
        self.weight = Parameter(np.empty(self.num_parameters, dtype=dt))
        self.reset_parameters()

    def reset_parameters(self):
        """a = init for every slope."""
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
