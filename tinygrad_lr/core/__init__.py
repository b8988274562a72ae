"""The autodiff core: Tensor, Function, the engine, the ops.  Nothing here imports nn, optim or data."""
from .tensor import Tensor  # noqa: F401  (first: the modules below build on it)
from . import engine, ops  # noqa: F401
from .function import Function  # noqa: F401
