"""Adam and AdamW: steps scaled per entry by running averages of the gradient and of its square."""
from ..core.grad_mode import no_grad
from .optimizer import Optimizer, _check_at_least, _check_fraction


class Adam(Optimizer):
    r"""Adam: momentum on g, divided by the root of a running mean of g², entry by entry.

    One ``step()`` does, for every parameter θ with a gradient (PyTorch's rule;
    η = lr, (β₁, β₂) = betas, λ = weight_decay, t = the parameter's step count)::

        t ← t + 1
        g ← ∇θ ℓ(θ)                       (−∇θ ℓ(θ) if maximize)
        θ ← θ·(1 − η·λ)                   if λ ≠ 0 and decoupled_weight_decay (AdamW)
        g ← g + λ·θ                       if λ ≠ 0 otherwise  (L2 penalty ½λ‖θ‖², through m and v)
        m ← β₁·m + (1 − β₁)·g             the first moment   (m.lerp_(g, 1 − β₁))
        v ← β₂·v + (1 − β₂)·g²            the second moment  (element-wise square)
        v_max ← max(v_max, v)             if amsgrad, and v_max is used for v below
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    m and v start at 0, so early on they are biased toward 0: dividing by 1 − β₁ᵗ
    and 1 − β₂ᵗ corrects that.  Each entry of θ moves by about η·m̂/√v̂, a step of
    size ≈ η whatever the scale of its gradient: features on different scales
    matter much less than for SGD.  The floating-point operations are PyTorch's
    (single-tensor implementation), in its order, so float64 results agree to
    rounding.

    Args:
        params: the tensors to update (``model.parameters()``), or dicts of groups.
        lr: learning rate η ≥ 0 (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 added to the denominator (default 1e-8).
        weight_decay: λ ≥ 0 (default 0).
        amsgrad: divide by the largest v so far (AMSGrad), so steps never grow back.
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: shrink θ directly (AdamW) instead of adding λθ to g.

    State per parameter: ``'step'``, ``'exp_avg'`` (m), ``'exp_avg_sq'`` (v) and,
    with amsgrad, ``'max_exp_avg_sq'``.

    Example::

        trainer = optim.Adam(net.parameters(), lr=0.01)
        for X, y in data_iter:
            trainer.zero_grad()
            loss(net(X), y).backward()
            trainer.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        lr = _check_at_least("Invalid learning rate", "lr", lr, "1e-3")
        eps = _check_at_least("Invalid epsilon value", "eps", eps, "1e-8")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{type(self).__name__}: betas must be a pair of numbers (β₁, β₂), got {betas!r}; "
                            "e.g. betas=(0.9, 0.999)")
        betas = tuple(_check_fraction(f"Invalid beta parameter at index {i}", f"betas[{i}]", b, "betas=(0.9, 0.999)")
                      for i, b in enumerate(betas))
        weight_decay = _check_at_least("Invalid weight_decay value", "weight_decay", weight_decay, "1e-2")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=bool(amsgrad),
                        maximize=bool(maximize), decoupled_weight_decay=bool(decoupled_weight_decay))
        super().__init__(params, defaults)

    @no_grad()  # an update is not part of any graph
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            amsgrad = group["amsgrad"]
            moments = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
            decoupled = group["decoupled_weight_decay"]
            for p, g in self._gradients(group, weight_decay=not decoupled):   # g = ∇ℓ (+ λθ unless AdamW)
                state = self._state_of(p, *moments)
                state["step"] += 1
                t = state["step"].item()
                if decoupled and wd != 0:
                    p.mul_(1 - lr * wd)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.lerp_(g, 1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                if amsgrad:
                    v_max = state["max_exp_avg_sq"]
                    v = v_max.copy_(v_max.maximum(v))
                step_size = lr / (1 - beta1 ** t)
                denom = (v.sqrt() / (1 - beta2 ** t) ** 0.5).add_(eps)
                p.addcdiv_(m, denom, value=-step_size)
        return loss


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, θ ← θ·(1 − η·λ) before the Adam step.

    The same step as ``Adam`` (see there), except that weight decay shrinks θ
    directly instead of being added to the gradient, so it is not rescaled by
    1/√v: every entry decays at the same rate η·λ.  ``Adam(...,
    decoupled_weight_decay=True)`` is the same optimizer.

    Args:
        params, lr, betas, eps, amsgrad, maximize: as for ``Adam``.
        weight_decay: λ ≥ 0 (default 1e-2, PyTorch's AdamW default).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
