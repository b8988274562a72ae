"""``torch.autograd``: ``tinygrad_lr.autograd``, with PyTorch's ``Function`` (Tensors in and out)."""
import tinygrad_lr.autograd as _main
from tinygrad_lr.autograd import functional  # noqa: F401  (torch.autograd.functional)

from . import _reexport
from ._variants import Function  # noqa: F401

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
