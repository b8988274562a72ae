"""RMSprop: each entry's step divided by the root of a running mean of its squared gradient."""
from ..core.grad_mode import no_grad
from .optimizer import Optimizer, _check_at_least


class RMSprop(Optimizer):
    r"""RMSprop: θ ← θ − η·g/(√v + ε), v a running mean of g² (Hinton's lecture notes; PyTorch's rule).

    One ``step()`` does, for every parameter θ with a gradient (η = lr,
    α = alpha, μ = momentum, λ = weight_decay)::

        g ← ∇θ ℓ(θ)                       (−∇θ ℓ(θ) if maximize)
        g ← g + λ·θ                       if λ ≠ 0
        v ← α·v + (1 − α)·g²              the running mean of g² (element-wise)
        if centered:
            ḡ ← α·ḡ + (1 − α)·g           the running mean of g
            d ← √(v − ḡ²) + ε             divide by an estimate of g's standard deviation
        else:
            d ← √v + ε
        if μ > 0:
            b ← μ·b + g/d                 (b: the momentum buffer)
            θ ← θ − η·b
        else:
            θ ← θ − η·g/d

    v, ḡ and b start at 0.  Dividing by √v makes the step of each entry about
    η whatever the size of its gradient.  There is no bias correction (unlike
    Adam), so the first steps are large: √v starts near √(1 − α)·|g|.

    Args:
        params: the tensors to update (``model.parameters()``), or dicts of groups.
        lr: learning rate η ≥ 0 (default 1e-2).
        alpha: smoothing constant α ≥ 0 (default 0.99).
        eps: ε ≥ 0 added to the denominator (default 1e-8).
        weight_decay: λ ≥ 0 (default 0).
        momentum: μ ≥ 0 (default 0).
        centered: divide by the centered √(v − ḡ²) instead of √v.
        maximize: ascend the objective instead of descending it.

    State per parameter: ``'step'``, ``'square_avg'`` (v), with momentum
    ``'momentum_buffer'`` (b), when centered ``'grad_avg'`` (ḡ).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        lr = _check_at_least("Invalid learning rate", "lr", lr, "1e-2")
        eps = _check_at_least("Invalid epsilon value", "eps", eps, "1e-8")
        momentum = _check_at_least("Invalid momentum value", "momentum", momentum, "0.9")
        weight_decay = _check_at_least("Invalid weight_decay value", "weight_decay", weight_decay, "1e-4")
        alpha = _check_at_least("Invalid alpha value", "alpha", alpha, "0.99")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=bool(centered),
                        weight_decay=weight_decay, maximize=bool(maximize))
        super().__init__(params, defaults)

    @no_grad()  # an update is not part of any graph
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
            centered = group["centered"]
            buffers = ("square_avg",) + (("momentum_buffer",) if mu > 0 else ()) + (("grad_avg",) if centered else ())
            for p, g in self._gradients(group):      # g = ∇ℓ (−∇ℓ if maximize) + λθ
                state = self._state_of(p, *buffers)
                state["step"] += 1
                v = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
                if centered:
                    g_avg = state["grad_avg"].lerp_(g, 1 - alpha)
                    d = (v - g_avg * g_avg).sqrt().add_(eps)
                else:
                    d = v.sqrt().add_(eps)
                if mu > 0:
                    b = state["momentum_buffer"].mul_(mu).addcdiv_(g, d)
                    p.add_(b, alpha=-lr)
                else:
                    p.addcdiv_(g, d, value=-lr)
        return loss
