"""``torch.nn.functional``: ``tinygrad_lr.nn.functional``, with PyTorch's ``mse_loss`` (no ½)."""
import tinygrad_lr.nn.functional as _main

from .. import _reexport
from .._variants import mse_loss  # noqa: F401

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
