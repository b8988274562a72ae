"""``tinygrad_lr.utils``: home of ``utils.data``, so that ``from torch.utils import data`` ports."""
from . import data  # noqa: F401
