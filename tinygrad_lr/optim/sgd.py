"""Stochastic gradient descent, with PyTorch's momentum, Nesterov, weight decay and maximize."""
from ..core.grad_mode import no_grad
from .optimizer import Optimizer, _number


class SGD(Optimizer):
    r"""Stochastic gradient descent: θ ← θ − η·g, optionally with momentum.

    One ``step()`` does, for every parameter θ with a gradient (PyTorch's rule;
    η = lr, μ = momentum, τ = dampening, λ = weight_decay)::

        g ← ∇θ ℓ(θ)                       (−∇θ ℓ(θ) if maximize)
        g ← g + λ·θ                       if λ ≠ 0   (L2 penalty ½λ‖θ‖²)
        if μ ≠ 0:
            b ← g                         at the first step
            b ← μ·b + (1 − τ)·g           after it   (b: the momentum buffer)
            g ← g + μ·b                   if nesterov
            g ← b                         otherwise
        θ ← θ − η·g

    With ``momentum=0`` this is the lecture notes' update θ ← θ − η·∇θ ℓ(θ);
    which of batch, mini-batch and stochastic gradient descent it is depends
    only on how many samples the loss ℓ is computed on.  Parameters whose
    ``.grad`` is None are skipped.  Updates are made in place, so a
    parameter keeps its identity (and its memory) through training.

    Args:
        params: the tensors to update (``model.parameters()``), or dicts of groups.
        lr: learning rate η ≥ 0 (default 1e-3, as in PyTorch).
        momentum: μ ≥ 0 (default 0).
        dampening: τ (default 0).
        weight_decay: λ ≥ 0 (default 0).
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend the objective instead of descending it.

    Example::

        trainer = optim.SGD(net.parameters(), lr=0.03)
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        lr = _number("lr", lr, "Invalid learning rate")
        momentum = _number("momentum", momentum, "Invalid momentum value")
        dampening = _number("dampening", dampening, "Invalid dampening value")
        weight_decay = _number("weight_decay", weight_decay, "Invalid weight_decay value")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr} (the learning rate must be >= 0, e.g. lr=0.03)")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum} (momentum must be >= 0, e.g. 0.9)")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (weight decay must be >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"Nesterov momentum requires a momentum and zero dampening (got momentum={momentum}, "
                             f"dampening={dampening}); pass e.g. momentum=0.9, dampening=0")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=bool(nesterov), maximize=bool(maximize))
        super().__init__(params, defaults)

    @no_grad()  # an update is not part of any graph
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given.

        ``closure`` (optional) re-computes the loss and its gradients; it runs with
        gradient recording on.
        """
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, mu, tau, nesterov = group["lr"], group["momentum"], group["dampening"], group["nesterov"]
            for p, g in self._gradients(group):      # g = ∇ℓ (−∇ℓ if maximize) + λθ
                if mu != 0:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.clone().detach()
                    else:
                        buf.mul_(mu).add_(g, alpha=1 - tau)
                    g = g.add(buf, alpha=mu) if nesterov else buf
                p.add_(g, alpha=-lr)  # in place: p keeps its identity (and its version counts the change)
        return loss
