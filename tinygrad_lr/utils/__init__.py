"""``tinygrad_lr.utils``: home of ``utils.data`` and ``utils.benchmark`` (PyTorch's ``torch.utils`` paths)."""
from . import benchmark, data  # noqa: F401
