"""``torch.utils.benchmark``: ``tinygrad_lr.utils.benchmark`` (Timer, Measurement), nothing changed."""
import tinygrad_lr.utils.benchmark as _main

from .. import _reexport

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
