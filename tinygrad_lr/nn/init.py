"""Fill parameters in place with initial values: ``init.normal_(net[0].weight, std=0.01)``.

Every function runs under ``no_grad`` (initialising is not part of the model's
computation), draws from the seeded generator (``tinygrad_lr.manual_seed``)
and returns the tensor it filled.
"""
import math

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


def _fans(tensor, op):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ValueError(f"{op}: fan in and fan out cannot be computed for a tensor with fewer than 2 "
                         f"dimensions (shape {tuple(tensor.shape)}); use it on weights, not biases")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """w ~ U(−a, a) with a = gain · √(6 / (fan_in + fan_out))  (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """w ~ N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)
