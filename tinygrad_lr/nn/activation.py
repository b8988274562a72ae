"""Activation functions as modules, for ``nn.Sequential``: ``nn.Sequential(nn.Linear(2, 8), nn.ReLU(), ...)``.

Each is a thin module around its function (a Tensor method or a Function of
``nn.functional``, where the formula and its derivative are); ``repr`` shows its settings
as PyTorch's does.  ``inplace=True`` is accepted (PyTorch code passes it) and gives the
same values, but the result is always a new tensor.
"""
from . import functional as F
from .module import Module


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
