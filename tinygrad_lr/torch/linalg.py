"""``torch.linalg``: ``tinygrad_lr.linalg`` (lstsq, solve, ...), nothing changed."""
import tinygrad_lr.linalg as _main

from . import _reexport

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
