"""``torch.nn.utils``: ``tinygrad_lr.nn.utils`` (gradient clipping), nothing changed."""
import tinygrad_lr.nn.utils as _main

from .. import _reexport

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
