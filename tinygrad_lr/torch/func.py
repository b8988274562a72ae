"""``torch.func``: ``tinygrad_lr.func`` under PyTorch's path (the same objects: see ``_reexport.py``)."""
import tinygrad_lr.func as _main

from . import _reexport

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
