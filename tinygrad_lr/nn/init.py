"""Fill parameters in place with initial values: ``init.normal_(net[0].weight, std=0.01)``.

Every function runs under ``no_grad`` (initialising is not part of the model's
computation), draws from the seeded generator (``tinygrad_lr.manual_seed``)
and returns the tensor it filled.

The scaled initialisations keep the variance of the activations about constant from
layer to layer.  For a weight of shape (out, in, *kernel), fan_in = in · Πkernel and
fan_out = out · Πkernel; the gain g of the nonlinearity that follows
(``calculate_gain``) makes up for what it removes (ReLU halves the variance: g = √2):

    xavier_uniform_   U(−a, a),   a = g·√(6 / (fan_in + fan_out))
    xavier_normal_    N(0, σ²),   σ = g·√(2 / (fan_in + fan_out))
    kaiming_uniform_  U(−b, b),   b = √3 · g / √fan      (fan = fan_in or fan_out, by ``mode``)
    kaiming_normal_   N(0, σ²),   σ = g / √fan

``nn.Linear``'s default is kaiming_uniform_ with a = √5 (g = √(1/3)), i.e. U(−1/√in, 1/√in).
"""
import math
import numbers
import warnings

import numpy as np

from ..core import internal
from ..core.grad_mode import no_grad


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """w ~ N(mean, std²), element-wise."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """w ~ U(a, b), element-wise."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def constant_(tensor, val):
    """w = val everywhere."""
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    """w = 0 everywhere."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """w = 1 everywhere."""
    return constant_(tensor, 1.0)


def eye_(tensor):
    """W = I (ones on the diagonal, zeros elsewhere) for a 2-d tensor: a layer that starts as the identity."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: Only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    with no_grad():
        return tensor.copy_(internal.wrap(np.eye(*tensor.shape, dtype=tensor.dtype)))


def _fans(tensor, op):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ValueError(f"{op}: fan in and fan out cannot be computed for a tensor with fewer than 2 "
                         f"dimensions (shape {tuple(tensor.shape)}); use it on weights, not biases")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


_GAIN_ONE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
             "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The gain g for the nonlinearity after a layer (PyTorch's table).

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: √2;  selu: 3/4;
    leaky_relu with negative slope a (``param``, default 0.01): √(2 / (1 + a²)).
    """
    if nonlinearity in _GAIN_ONE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, numbers.Real):
            raise ValueError(f"negative_slope {param} not a valid number")
        else:
            slope = param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}; use one of {', '.join(_GAIN_ONE)}, tanh, relu, "
                     "leaky_relu, selu")


def _kaiming_std(tensor, a, mode, nonlinearity, op):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _fans(tensor, op)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _empty(tensor):
    if tensor.numel() == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """w ~ U(−b, b) with b = √3 · gain / √fan (He et al., 2015); a is leaky_relu's negative slope."""
    if _empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """w ~ N(0, σ²) with σ = gain / √fan (He et al., 2015); a is leaky_relu's negative slope."""
    if _empty(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"), generator)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """w ~ U(−a, a) with a = gain · √(6 / (fan_in + fan_out))  (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """w ~ N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)
