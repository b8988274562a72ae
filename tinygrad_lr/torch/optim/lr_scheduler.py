"""``torch.optim.lr_scheduler``: ``tinygrad_lr.optim.lr_scheduler``, nothing changed."""
import tinygrad_lr.optim.lr_scheduler as _main

from .. import _reexport

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
