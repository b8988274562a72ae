"""Adagrad: each entry's step divided by the root of the sum of all its squared gradients so far."""
from ..core.grad_mode import no_grad
from .optimizer import Optimizer, _check_at_least


class Adagrad(Optimizer):
    r"""Adagrad: θ ← θ − η_t·g/(√s + ε), s the sum of every g² seen (Duchi et al., 2011; PyTorch's rule).

    One ``step()`` does, for every parameter θ with a gradient (η = lr,
    δ = lr_decay, λ = weight_decay, t = the parameter's step count)::

        t ← t + 1
        g ← ∇θ ℓ(θ)                       (−∇θ ℓ(θ) if maximize)
        g ← g + λ·θ                       if λ ≠ 0
        η_t ← η / (1 + (t − 1)·δ)
        s ← s + g²                        (element-wise; s starts at initial_accumulator_value)
        θ ← θ − η_t · g / (√s + ε)

    s only grows, so each entry's step shrinks as its gradients add up: entries
    with large or frequent gradients slow down first.  On a long run the steps
    become too small; RMSprop and Adam replace the sum by a running mean.

    Args:
        params: the tensors to update (``model.parameters()``), or dicts of groups.
        lr: learning rate η ≥ 0 (default 1e-2).
        lr_decay: δ ≥ 0 (default 0).
        weight_decay: λ ≥ 0 (default 0).
        initial_accumulator_value: s at the start, ≥ 0 (default 0); as in PyTorch, this argument
            sets s for every group (a group's own value only applies to groups added later).
        eps: ε ≥ 0 added to the denominator (default 1e-10).
        maximize: ascend the objective instead of descending it.

    State per parameter (made when the optimizer is, as in PyTorch): ``'step'``, ``'sum'`` (s).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        lr = _check_at_least("Invalid learning rate", "lr", lr, "1e-2")
        lr_decay = _check_at_least("Invalid lr_decay value", "lr_decay", lr_decay, "1e-4")
        weight_decay = _check_at_least("Invalid weight_decay value", "weight_decay", weight_decay, "1e-4")
        initial_accumulator_value = _check_at_least("Invalid initial_accumulator_value value",
                                                    "initial_accumulator_value", initial_accumulator_value, "0.1")
        eps = _check_at_least("Invalid epsilon value", "eps", eps, "1e-10")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=bool(maximize))
        super().__init__(params, defaults)
        for group in self.param_groups:       # PyTorch starts every group's s at the argument's value
            for p in group["params"]:
                self._state_of(p, "sum", fill=initial_accumulator_value)

    @no_grad()  # an update is not part of any graph
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            for p, g in self._gradients(group):      # g = ∇ℓ (−∇ℓ if maximize) + λθ
                state = self._state_of(p, "sum", fill=group["initial_accumulator_value"])
                state["step"] += 1
                t = state["step"].item()
                clr = lr / (1 + (t - 1) * lr_decay)
                s = state["sum"].addcmul_(g, g, value=1)
                p.addcdiv_(g, s.sqrt().add_(eps), value=-clr)
        return loss
