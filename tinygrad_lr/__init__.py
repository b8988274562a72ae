"""tinygrad_lr: a small, readable reverse-mode autograd framework on NumPy, with PyTorch's names.

    import tinygrad_lr as torch      # a PyTorch loop ports by changing its imports

The layout is the design: ``core/`` is the autodiff engine (Tensor, Function,
ops, backward); ``autograd/`` is its public face (grad, Function, gradcheck);
``nn``, ``optim`` and ``data`` stand on top of it.
"""
from .core import Tensor, operators
from . import ops  # noqa: F401  (the Tensor surface: attaches its methods to Tensor)
from .ops.creation import (arange, as_tensor, empty, eye, from_numpy, full, full_like, linspace, multinomial,
                            normal, ones, ones_like, rand, randint, randint_like, randn, randperm, tensor, zeros,
                            zeros_like)
from .core.dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from .core.dtypes import bool_ as bool  # noqa: A001  (torch.bool)
from .core.dtypes import float32 as float  # noqa: A001  (torch.float)
from .core.dtypes import float64 as double
from .core.dtypes import int32 as int  # noqa: A001  (torch.int)
from .core.dtypes import int64 as long
from .core.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .ops import shapes as _shapes
from .ops.out import accepts_out as _accepts_out
from .core.random import Generator, default_generator, initial_seed, manual_seed
from . import autograd  # noqa: F401
from . import data, nn, optim, utils  # noqa: F401  (the training stack, on top of the core)
from . import linalg  # noqa: F401  (lstsq, solve: the closed form)
from . import check, viz  # noqa: F401  (the tools: hand-derivation checks, graphs and the backward trace)
from . import func  # noqa: F401  (torch.func: grad, vmap, jacrev, hessian, functional_call)
from .serialization import load, save
from .jit import compile  # noqa: A004  (torch.compile: record a training step, replay it as NumPy)

__version__ = "0.1.0"


@_accepts_out("matmul", exact_dtype=True)
def matmul(input, other):  # noqa: A002  (PyTorch's argument names: torch.matmul(input=a, other=b))
    """Matrix product with PyTorch's rules for 1-d, 2-d and batched operands."""
    return operators.matmul(input, other)


# the function forms that take PyTorch's out= (core/out.py); products and all/any want out of the result's dtype
_OUT = {"add", "sub", "mul", "div", "pow", "neg", "exp", "log", "abs", "sqrt", "square", "sigmoid", "tanh", "sin",
        "cos", "log1p", "expm1", "rsqrt", "reciprocal", "clamp", "clip", "maximum", "minimum", "sum", "mean"}
_OUT_EXACT = {"mm", "bmm", "mv", "dot", "all", "any"}


def _method(name):
    def fn(x, *args, **kwargs):
        if not isinstance(x, Tensor):
            x = tensor(x)
        return getattr(x, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Function form of ``Tensor.{name}``" + (" (with ``out=``)." if name in _OUT | _OUT_EXACT else ".")
    if name in _OUT | _OUT_EXACT:
        return _accepts_out(name, exact_dtype=name in _OUT_EXACT)(fn)
    return fn


cat, stack = _accepts_out("cat")(_shapes.cat), _accepts_out("stack")(_shapes.stack)


# torch.exp(x) and friends: the function forms of the Tensor methods
add, sub, mul, div, pow, neg = (_method(n) for n in ("add", "sub", "mul", "div", "pow", "neg"))
exp, log, abs, sqrt, square = (_method(n) for n in ("exp", "log", "abs", "sqrt", "square"))  # noqa: A001
relu, sigmoid, tanh = (_method(n) for n in ("relu", "sigmoid", "tanh"))
sum, mean = _method("sum"), _method("mean")  # noqa: A001
reshape, transpose, t, flatten = (_method(n) for n in ("reshape", "transpose", "t", "flatten"))
squeeze, unsqueeze, clone, detach = (_method(n) for n in ("squeeze", "unsqueeze", "clone", "detach"))

# ---- function forms: element-wise math, reductions, softmax ----
# (from here on max, min and round in this module are these functions, not Python's builtins)
sin, cos, tan, log1p, expm1 = (_method(n) for n in ("sin", "cos", "tan", "log1p", "expm1"))
rsqrt, reciprocal, sign, round = (_method(n) for n in ("rsqrt", "reciprocal", "sign", "round"))  # noqa: A001
clamp, clip, maximum, minimum = (_method(n) for n in ("clamp", "clip", "maximum", "minimum"))
max, min, amax, amin = (_method(n) for n in ("max", "min", "amax", "amin"))  # noqa: A001
argmax, argmin = _method("argmax"), _method("argmin")
prod, var, std, norm = (_method(n) for n in ("prod", "var", "std", "norm"))
logsumexp, cumsum, softmax, log_softmax = (_method(n) for n in ("logsumexp", "cumsum", "softmax", "log_softmax"))


@_accepts_out("where")
def where(condition, input=None, other=None):  # noqa: A002  (PyTorch's names)
    """input where condition is True, else other; ``where(condition)`` alone: the indices of the True elements."""
    return ops.arithmetic.where(condition, input, other)


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """The indices of the nonzero elements of input: (k, ndim) int64, or with as_tuple one tensor per dim."""
    return ops.arithmetic.nonzero(input, as_tuple)


# ---- function forms: indexing, gathering, sorting, movement ----
dot, mv, mm, bmm, outer = (_method(n) for n in ("dot", "mv", "mm", "bmm", "outer"))
gather, scatter, scatter_add = (_method(n) for n in ("gather", "scatter", "scatter_add"))
index_select, masked_fill = _method("index_select"), _method("masked_fill")
sort, argsort, topk = (_method(n) for n in ("sort", "argsort", "topk"))
permute, movedim, moveaxis, tile, flip = (_method(n) for n in ("permute", "movedim", "moveaxis", "tile", "flip"))
split, chunk, unbind = (_method(n) for n in ("split", "chunk", "unbind"))

# ---- function forms of %, //, rounding, more math, logic, matrix structure ----
remainder, fmod, floor_divide = (_method(n) for n in ("remainder", "fmod", "floor_divide"))
floor, ceil, trunc, fix, frac = (_method(n) for n in ("floor", "ceil", "trunc", "fix", "frac"))
log2, log10, exp2, sinh, cosh, erf = (_method(n) for n in ("log2", "log10", "exp2", "sinh", "cosh", "erf"))
asin, acos, atan, atan2, hypot = (_method(n) for n in ("asin", "acos", "atan", "atan2", "hypot"))
arcsin, arccos, arctan, arctan2 = (_method(n) for n in ("arcsin", "arccos", "arctan", "arctan2"))
logical_and, logical_or, logical_xor, logical_not = (
    _method(n) for n in ("logical_and", "logical_or", "logical_xor", "logical_not"))
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = (
    _method(n) for n in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"))
narrow, roll, diag, diag_embed, triu, tril, trace = (_method(n) for n in ("narrow", "roll", "diag", "diag_embed", "triu",
                                                                             "tril", "trace"))
cumprod, diff, unique, count_nonzero, median = (
    _method(n) for n in ("cumprod", "diff", "unique", "count_nonzero", "median"))

from .ops.matrices import einsum  # noqa: E402  (composed of permutes, products and sums)

# ---- devices, default dtype and comparisons of whole tensors ----
import numpy as _np

from .core.arrays import Size, check_device as _check_device, device
from .ops.creation import empty_like, rand_like, randn_like
from .core.dtypes import get_default_dtype, set_default_dtype

isnan, isinf, isfinite = (_method(n) for n in ("isnan", "isinf", "isfinite"))
is_floating_point = _method("is_floating_point")


def set_default_device(device):
    """Accept ``'cpu'`` (or None): the only device there is; ``'cuda'`` raises an error that says so."""
    _check_device(device, "set_default_device")


def get_default_device():
    """``device('cpu')``: where new tensors are made."""
    return device("cpu")


class cuda:  # noqa: N801  (torch.cuda: PyTorch code asks it questions before choosing 'cpu')
    """The answers of ``torch.cuda`` for a library that computes on the CPU only."""

    @staticmethod
    def is_available():
        """False: there is no GPU to compute on."""
        return False

    @staticmethod
    def device_count():
        """0 GPUs."""
        return 0

    @staticmethod
    def manual_seed(seed):
        """Does nothing, as in PyTorch without a GPU (seed the CPU with ``tinygrad_lr.manual_seed``)."""

    manual_seed_all = manual_seed


allclose, isclose, equal = ops.arithmetic.allclose, ops.arithmetic.isclose, ops.arithmetic.equal


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


# ---- counting, grids, legacy types, determinism (ops/counting.py, ops/matrices.py, ops/legacy.py) ----
from .ops.counting import bincount, histc, histogram  # noqa: E402
from .ops.legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,  # noqa: E402
                          HalfTensor, IntTensor, LongTensor, ShortTensor)
from .ops.matrices import meshgrid  # noqa: E402

import warnings as _warnings  # noqa: E402

all, any = _method("all"), _method("any")  # noqa: A001  (from here on, these functions, not Python's builtins)

_settings = {"deterministic": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted, for PyTorch programs that ask: every op here is deterministic already (NumPy on the CPU)."""
    _settings["deterministic"] = True if mode else False  # (bool is tinygrad_lr.bool, a dtype, here)


def are_deterministic_algorithms_enabled():
    """What ``use_deterministic_algorithms`` was last told (False by default, as in PyTorch)."""
    return _settings["deterministic"]


def set_float32_matmul_precision(precision):
    """Accepted ('highest', 'high' or 'medium'), for PyTorch programs; NumPy's float32 matmul is always 'highest'."""
    if precision not in ("highest", "high", "medium"):  # PyTorch warns and keeps the precision it had
        _warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of 'highest', 'high', or 'medium'; "
                       "the call has no effect", UserWarning, stacklevel=2)
        return
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision():
    """The precision last set by ``set_float32_matmul_precision`` ('highest' by default)."""
    return _settings["matmul_precision"]


def set_num_threads(n):
    """How many threads NumPy's matrix products (BLAS) may use.  Applied through threadpoolctl when it is
    installed (pip install threadpoolctl); without it the number is only remembered, and the BLAS library
    keeps its own (set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before starting Python instead)."""
    import numbers  # (int and bool are dtypes in this module, as torch.int and torch.bool)
    if not isinstance(n, numbers.Integral) or n is True or n is False or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    _settings["num_threads"] = n
    try:
        import threadpoolctl
    except ImportError:
        return
    _settings["thread_limit"] = threadpoolctl.threadpool_limits(limits=n, user_api="blas")


def get_num_threads():
    """The number set by ``set_num_threads``, else the number of cores (as PyTorch's default)."""
    import os
    return _settings.get("num_threads") or os.cpu_count() or 1
