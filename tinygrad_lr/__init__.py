"""tinygrad_lr: a small, readable reverse-mode autograd framework on NumPy, with PyTorch's names.

    import tinygrad_lr as torch      # a PyTorch loop ports by changing its imports

The layout is the design: ``core/`` is the autodiff engine (Tensor, Function,
ops, backward); ``autograd/`` is its public face (grad, Function, gradcheck);
``nn``, ``optim`` and ``data`` stand on top of it.
"""
from .core import Tensor
from .core import arithmetic
from .core.creation import (arange, as_tensor, empty, eye, from_numpy, full, full_like, linspace, normal,
                            ones, ones_like, rand, randint, randn, randperm, tensor, zeros, zeros_like)
from .core.dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from .core.dtypes import bool_ as bool  # noqa: A001  (torch.bool)
from .core.dtypes import float32 as float  # noqa: A001  (torch.float)
from .core.dtypes import float64 as double
from .core.dtypes import int32 as int  # noqa: A001  (torch.int)
from .core.dtypes import int64 as long
from .core.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .core.shapes import cat, stack
from .core.random import Generator, default_generator, initial_seed, manual_seed
from . import autograd  # noqa: F401
from . import data, nn, optim, utils  # noqa: F401  (the training stack, on top of the core)
from . import linalg  # noqa: F401  (lstsq, solve: the closed form)
from .serialization import load, save

__version__ = "0.1.0"


def matmul(a, b):
    """Matrix product with PyTorch's rules for 1-d, 2-d and batched operands."""
    return arithmetic.matmul(a, b)


def _method(name):
    def fn(x, *args, **kwargs):
        if not isinstance(x, Tensor):
            x = tensor(x)
        return getattr(x, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Function form of ``Tensor.{name}``."
    return fn


# torch.exp(x) and friends: the function forms of the Tensor methods
add, sub, mul, div, pow, neg = (_method(n) for n in ("add", "sub", "mul", "div", "pow", "neg"))
exp, log, abs, sqrt, square = (_method(n) for n in ("exp", "log", "abs", "sqrt", "square"))  # noqa: A001
relu, sigmoid, tanh = (_method(n) for n in ("relu", "sigmoid", "tanh"))
sum, mean = _method("sum"), _method("mean")  # noqa: A001
reshape, transpose, t, flatten = (_method(n) for n in ("reshape", "transpose", "t", "flatten"))
squeeze, unsqueeze, clone, detach = (_method(n) for n in ("squeeze", "unsqueeze", "clone", "detach"))
mm = matmul

# ---- function forms of the classification ops: elementwise math, reductions, softmax (issue 12) ----

# ---- function forms of the classification ops: indexing, gathering, sorting, movement (issue 12) ----

# ---- devices, default dtype and comparisons of whole tensors (issue 12) ----


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()
