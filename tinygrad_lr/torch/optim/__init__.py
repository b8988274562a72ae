"""``torch.optim``: ``tinygrad_lr.optim``, nothing changed."""
import tinygrad_lr.optim as _main

from .. import _reexport
from . import lr_scheduler  # noqa: F401

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
