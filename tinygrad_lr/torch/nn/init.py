"""``torch.nn.init``: ``tinygrad_lr.nn.init``, nothing changed."""
import tinygrad_lr.nn.init as _main

from .. import _reexport

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
