"""``torch.utils``: home of ``torch.utils.data`` and ``torch.utils.benchmark``."""
from . import benchmark, data  # noqa: F401
