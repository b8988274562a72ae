"""The argument checks the functional ops share: a Tensor input, a probability, and the int tuples
(kernel_size, stride, padding, ...) of the convolution and pooling ops, with PyTorch's rules and errors."""
import numpy as np

from ..core import Tensor


def check_tensor(op, x):
    """x must be a Tensor; the error names the op and says how to make one."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}; "
                        "convert it with tinygrad_lr.tensor(...) or tinygrad_lr.from_numpy(...)")


def check_p(p):
    """A dropout probability: a number in [0, 1]."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def as_list(shape):
    """A shape as PyTorch prints it in its errors: [1, 1, 32, 32]."""
    return "[" + ", ".join(str(n) for n in shape) + "]"


def int_tuple(op, name, value, n):
    """An int or a sequence of n ints, as a tuple of n ints (PyTorch's rule for stride, kernel_size, ...)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    try:
        values = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}") from None
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise ValueError(f"{op}: expected {name} to be a single integer value or a list of {n} values to match "
                         f"the {n}-d op, but got {name}={list(values)}")
    return values
