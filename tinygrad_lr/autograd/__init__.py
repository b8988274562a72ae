"""``tinygrad_lr.autograd``: the public face of the engine, named as in ``torch.autograd``.

``Function`` is the very class the built-in ops are written with (see core/ops.py).
"""
from ..core.function import Function  # noqa: F401
from ..core.grad_mode import enable_grad, no_grad, set_grad_enabled  # noqa: F401
from .grad import backward, grad  # noqa: F401
