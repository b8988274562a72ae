"""``import tinygrad_lr.torch as torch``: tinygrad_lr with PyTorch's module paths and PyTorch's numbers.

Two doors to one package:

- ``import tinygrad_lr`` speaks the lecture notes' math: ``nn.MSELoss`` is ½·mean((ŷ − y)²), so
  backward gives the notes' gradient Xᵀ(Xw + b − y)/n;
- ``import tinygrad_lr.torch as torch`` reproduces a PyTorch program's numbers: the same names,
  with PyTorch's semantics in the few places the main package differs on purpose (``_variants.py``
  holds them and their table).

Everything else here *is* the main package's object (re-exported when imported, see
``_reexport.py``), under PyTorch's paths: ``torch.nn``, ``torch.nn.functional``, ``torch.nn.init``,
``torch.optim``, ``torch.optim.lr_scheduler``, ``torch.autograd``, ``torch.utils.data``,
``torch.linalg``.  ``import tinygrad_lr`` never imports this package.
"""
import tinygrad_lr as _main

from . import _reexport
from . import autograd, func, linalg, nn, optim, utils  # noqa: F401  (PyTorch's module paths)
from . import accelerator, backends  # noqa: F401  (the device questions: answered 'none here')

__all__ = _reexport.reexport(_main, globals())
__getattr__ = _reexport.fallback(_main, __name__)
__version__ = _main.__version__
