"""``torch.utils.data``: ``tinygrad_lr.utils.data`` (Dataset, TensorDataset, DataLoader), nothing changed."""
import tinygrad_lr.utils.data as _main

from .. import _reexport

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
