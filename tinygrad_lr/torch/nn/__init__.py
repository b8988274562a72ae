"""``torch.nn``: ``tinygrad_lr.nn``, with PyTorch's ``MSELoss`` (no ½)."""
import tinygrad_lr.nn as _main

from .. import _reexport
from .._variants import MSELoss  # noqa: F401
from . import functional, init, utils  # noqa: F401

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
