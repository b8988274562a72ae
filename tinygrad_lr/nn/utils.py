"""``nn.utils``: gradient clipping, used between ``backward()`` and ``step()``.

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()

``clip_grad_norm_`` scales all gradients together by one factor, so their joint norm is at most
``max_norm`` (the direction of the step is kept); ``clip_grad_value_`` clamps each entry.
"""
import math

from ..core.grad_mode import no_grad
from ..ops.shapes import stack
from ..core.tensor import Tensor


def _grads(parameters):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients in place so that their total norm is at most ``max_norm``; returns the total norm.

    total = ‖(‖g₁‖, ‖g₂‖, …)‖ (the norm of all entries of all gradients together, of order ``norm_type``;
    ``inf``: the largest |entry|);  every gᵢ ← gᵢ · min(1, max_norm / (total + 1e-6)), as in PyTorch.
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor(0.0)
    with no_grad():
        if math.isinf(norm_type):
            total = stack([g.abs().max() for g in grads]).max()
        else:
            total = stack([g.norm(norm_type) for g in grads]).norm(norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total.item()}, so it "
                "cannot be clipped (a nan or inf gradient: look for a log(0), a division by 0 or a diverging lr). "
                "Pass error_if_nonfinite=False to scale the gradients by it anyway")
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
