"""Adadelta: Adagrad's per-entry scaling, with a running mean of g² and steps in the units of θ."""
from ..core.grad_mode import no_grad
from .optimizer import Optimizer, _check_at_least, _check_fraction


class Adadelta(Optimizer):
    r"""Adadelta: Δ = √(u + ε)/√(v + ε)·g, θ ← θ − η·Δ (Zeiler, 2012; PyTorch's rule).

    One ``step()`` does, for every parameter θ with a gradient (η = lr,
    ρ = rho, λ = weight_decay)::

        g ← ∇θ ℓ(θ)                       (−∇θ ℓ(θ) if maximize)
        g ← g + λ·θ                       if λ ≠ 0
        v ← ρ·v + (1 − ρ)·g²              the running mean of g²
        Δ ← √(u + ε) / √(v + ε) · g       the step, in the units of θ
        u ← ρ·u + (1 − ρ)·Δ²              the running mean of the squared steps
        θ ← θ − η·Δ

    v and u start at 0.  The ratio √(u + ε)/√(v + ε) has the units of θ over
    those of g, like the inverse of a curvature, so the default η = 1 needs no
    tuning to the scale of the problem.

    Args:
        params: the tensors to update (``model.parameters()``), or dicts of groups.
        lr: η ≥ 0, a factor on Δ (default 1.0).
        rho: ρ in [0, 1] (default 0.9).
        eps: ε ≥ 0 (default 1e-6).
        weight_decay: λ ≥ 0 (default 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: ``'step'``, ``'square_avg'`` (v), ``'acc_delta'`` (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        lr = _check_at_least("Invalid learning rate", "lr", lr, "1.0")
        rho = _check_fraction("Invalid rho value", "rho", rho, "rho=0.9", one_allowed=True)
        eps = _check_at_least("Invalid epsilon value", "eps", eps, "1e-6")
        weight_decay = _check_at_least("Invalid weight_decay value", "weight_decay", weight_decay, "1e-4")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=bool(maximize))
        super().__init__(params, defaults)

    @no_grad()  # an update is not part of any graph
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for p, g in self._gradients(group):      # g = ∇ℓ (−∇ℓ if maximize) + λθ
                state = self._state_of(p, "square_avg", "acc_delta")
                state["step"] += 1
                v, u = state["square_avg"], state["acc_delta"]
                v.mul_(rho).addcmul_(g, g, value=1 - rho)
                delta = (u + eps).sqrt().div_((v + eps).sqrt()).mul_(g)
                u.mul_(rho).addcmul_(delta, delta, value=1 - rho)
                p.add_(delta, alpha=-lr)
        return loss
