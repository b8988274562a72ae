"""``tinygrad_lr.autograd``: the public face of the engine, named as in ``torch.autograd``.

- ``grad`` / ``backward``: run the engine (``create_graph=True`` for higher derivatives);
- ``Function``: the very class the built-in ops are written with (see core/primitives/), for
  custom ops with a hand-derived backward;
- ``gradcheck`` / ``gradgradcheck``: compare backward with finite differences; ``localize``: which op's
  backward is wrong (gradcheck appends its report to a mismatch);
- ``functional``: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``vhp``, ``hvp``;
- ``detect_anomaly``: stop at the op whose backward makes the first NaN or inf.

The hand-derivation checker is ``tinygrad_lr.check``; graph drawing and the
backward trace are in ``tinygrad_lr.viz``.
"""
from ..core.function import Function  # noqa: F401
from ..core.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from . import functional  # noqa: F401
from .anomaly import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .grad import backward, grad  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from .localize import localize  # noqa: F401

__all__ = ["Function", "GradcheckError", "backward", "detect_anomaly", "enable_grad", "functional", "grad",
           "gradcheck", "gradgradcheck", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "is_grad_enabled",
           "localize", "no_grad", "set_detect_anomaly", "set_grad_enabled"]
