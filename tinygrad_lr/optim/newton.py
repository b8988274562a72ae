"""Newton's method: the step that uses the curvature, θ ← θ − η·H⁻¹∇ℓ(θ)."""
import numbers
import warnings

import numpy as np

from ..autograd.grad import grad
from ..core import Tensor
from ..core import internal
from ..core.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, _number


class Newton(Optimizer):
    r"""Newton's method, with the Hessian from double backward.

    The lecture notes find a minimum as a zero of the derivative, x ← x − f′(x)/f″(x);
    in several variables one ``step(closure)`` does, for all parameters θ together
    (η = lr, λ = damping)::

        g ← ∇θ ℓ(θ)                       (autograd, create_graph=True)
        H ← ∇²θ ℓ(θ)                      (autograd again: the gradient of each entry of g)
        solve (H + λI) d = g
        θ ← θ − η·d

    ℓ is approximated by its second-order Taylor expansion and θ jumps to that
    quadratic's minimum.  For linear regression, ℓ(θ) = 1/(2n)·‖Aθ − y‖² with
    A = [X 1] *is* quadratic (H = AᵀA/n for every θ), so one step with lr=1 lands on
    the least-squares solution θ* = (AᵀA)⁻¹Aᵀy from any start.

    How H is used:

    - up to ``max_dense`` parameter entries in total (default 2000): H is built
      densely, one backward pass per entry (row i of H is the gradient of gᵢ), and
      the system is solved directly.  A singular H + λI (e.g. linearly dependent
      features) gives a ``RuntimeWarning`` and the minimum-norm step H⁺g;
    - above that: H is never formed; the system is solved by conjugate gradient,
      which needs only Hessian–vector products Hv = ∇θ(g·v) (one backward pass each),
      for at most ``cg_max_iter`` iterations.

    Newton's step assumes H is positive definite (a bowl).  On a non-convex loss it
    may point uphill — then a warning says so; a damping λ > 0 helps.

    The closure: a function that computes the loss on the data and **returns it
    without calling backward()** (Newton differentiates it twice itself, and
    backward() would free the graph it needs).  It may call ``optimizer.zero_grad()``
    first, as PyTorch closures do; ``.grad`` is not used or changed by ``step``.

    Args:
        params: the tensors to update (``model.parameters()``), or dicts of groups
            (each group may have its own lr and damping).
        lr: step size η ≥ 0 (default 1.0, the full Newton step).
        damping: λ ≥ 0 added to the Hessian's diagonal (default 0): λ → ∞ turns the
            step into gradient descent with step η/λ.
        max_dense: build H densely when the parameters have at most this many entries.
        cg_max_iter: conjugate-gradient iterations above ``max_dense`` (default: the
            number of entries, at most 200).
        cg_tol: stop conjugate gradient when ‖(H + λI)d − g‖ ≤ cg_tol·‖g‖.

    Example::

        net = nn.Linear(2, 1)
        loss = nn.MSELoss()
        newton = optim.Newton(net.parameters())

        def closure():
            newton.zero_grad()
            return loss(net(X), y)          # no backward(): Newton differentiates twice itself

        newton.step(closure)                # one step: the least-squares solution
    """

    def __init__(self, params, lr=1.0, damping=0, *, max_dense=2000, cg_max_iter=None, cg_tol=1e-10):
        lr = _number("lr", lr, "Invalid learning rate")
        damping = _number("damping", damping, "Invalid damping value")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr} (the learning rate must be >= 0; lr=1.0 is the full "
                             "Newton step)")
        if damping < 0.0:
            raise ValueError(f"Invalid damping value: {damping} (damping must be >= 0, e.g. 1e-4)")
        if isinstance(max_dense, bool) or not isinstance(max_dense, numbers.Integral) or max_dense < 0:
            raise ValueError(f"Invalid max_dense value: {max_dense!r} (an integer >= 0: the number of parameter "
                             "entries up to which the Hessian is built densely)")
        if cg_max_iter is not None and (isinstance(cg_max_iter, bool) or not isinstance(cg_max_iter, numbers.Integral)
                                        or cg_max_iter < 1):
            raise ValueError(f"Invalid cg_max_iter value: {cg_max_iter!r} (an integer >= 1, or None)")
        cg_tol = _number("cg_tol", cg_tol, "Invalid cg_tol value")
        if cg_tol <= 0:
            raise ValueError(f"Invalid cg_tol value: {cg_tol} (a tolerance > 0, e.g. 1e-10)")
        super().__init__(params, dict(lr=lr, damping=damping))
        self.max_dense, self.cg_max_iter, self.cg_tol = int(max_dense), cg_max_iter, cg_tol

    def step(self, closure=None):
        """One Newton step; returns the loss the closure computed (before the step)."""
        if closure is None:
            raise TypeError("Newton.step() needs a closure that computes and returns the loss, e.g. "
                            "newton.step(lambda: loss_fn(model(X), y)): Newton differentiates the loss twice "
                            "(gradient and Hessian), so .grad alone is not enough")
        with enable_grad():
            loss = closure()
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            what = type(loss).__name__ if not isinstance(loss, Tensor) else f"a tensor of shape {tuple(loss.shape)}"
            raise TypeError(f"Newton.step: the closure must return the loss, a one-element tensor, but it returned "
                            f"{what}")
        entries = [(p, group) for group in self.param_groups for p in group["params"]]
        params = [p for p, _ in entries]
        if not loss.requires_grad:
            raise RuntimeError("Newton.step: the loss returned by the closure does not require grad: compute it "
                               "from the parameters, with gradient recording on (not under no_grad())")
        try:
            grads = grad(loss, params, create_graph=True, allow_unused=True)
        except RuntimeError as e:
            if "second time" not in str(e):
                raise
            raise RuntimeError("Newton.step: the graph of the loss was already freed — did the closure call "
                               "loss.backward()? Newton differentiates the loss twice itself: return the loss "
                               "without calling backward()") from e
        # the parameters the loss depends on, and where each sits in the flat vector θ
        used = [(p, group, g) for (p, group), g in zip(entries, grads) if g is not None]
        if not used:
            return loss
        sizes = [p.numel() for p, _, _ in used]
        g_flat = np.concatenate([_flat64(g) for _, _, g in used])
        damp = np.concatenate([np.full(k, group["damping"], dtype=np.float64) for k, (_, group, _) in
                               zip(sizes, used)])
        hvp = self._hessian_products([g for _, _, g in used], [p for p, _, _ in used], sizes)
        if g_flat.size <= self.max_dense:
            d = _dense_newton_direction(hvp, g_flat, damp)
        else:
            d = self._cg_newton_direction(hvp, g_flat, damp)
        # θ ← θ − η·d, in place and not part of any graph
        offset = 0
        with no_grad():
            for (p, group, _), k in zip(used, sizes):
                p.sub_((group["lr"] * d[offset:offset + k]).reshape(p.shape).astype(p.dtype))
                offset += k
        return loss

    @staticmethod
    def _hessian_products(grads, params, sizes):
        """A function: a flat vector v (or a one-hot index) ↦ H v, by one more backward pass through ∇ℓ."""
        live = [i for i, g in enumerate(grads) if g.requires_grad]  # a gradient without a graph: H's rows are 0

        def hvp(v):
            if not live:
                return np.zeros(sum(sizes))
            pieces = np.split(v, np.cumsum(sizes)[:-1])
            outs = [grads[i] for i in live]
            seeds = [internal.wrap(pieces[i].reshape(grads[i].shape).astype(grads[i].dtype)) for i in live]
            second = grad(outs, params, grad_outputs=seeds, retain_graph=True, allow_unused=True)
            return np.concatenate([np.zeros(k) if h is None else _flat64(h) for h, k in zip(second, sizes)])
        return hvp

    def _cg_newton_direction(self, hvp, g, damp):
        """Solve (H + λI) d = g by conjugate gradient, with Hessian–vector products only."""
        max_iter = self.cg_max_iter or min(g.size, 200)
        d, r = np.zeros_like(g), g.copy()      # residual r = g − (H + λI) d
        p, rr = r.copy(), r @ r
        target = self.cg_tol * np.sqrt(rr)
        for it in range(max_iter):
            if np.sqrt(rr) <= target:
                break
            Mp = hvp(p) + damp * p
            curvature = p @ Mp
            if curvature <= 0:                 # not a bowl along p: no minimum to jump to
                warnings.warn(f"Newton.step: the Hessian is not positive definite (pᵀHp = {curvature:.3g} at "
                              f"conjugate-gradient iteration {it}); stopping there"
                              + ("; the step is a plain gradient step" if it == 0 else "")
                              + ". Pass damping > 0 to make the step safe", RuntimeWarning, stacklevel=3)
                return g.copy() if it == 0 else d
            alpha = rr / curvature
            d += alpha * p
            r -= alpha * Mp
            rr, rr_old = r @ r, rr
            p = r + (rr / rr_old) * p
        else:
            if np.sqrt(rr) > target:
                warnings.warn(f"Newton.step: conjugate gradient stopped after {max_iter} iterations with a relative "
                              f"residual {np.sqrt(rr) / np.sqrt(g @ g):.1e} > cg_tol = {self.cg_tol:g}; raise "
                              "cg_max_iter for a more exact step", RuntimeWarning, stacklevel=3)
        return d


def _flat64(t):
    """A tensor's values as a flat float64 array (a copy): θ and ∇ℓ are solved for as one vector."""
    return t.detach().numpy().reshape(-1).astype(np.float64)


def _dense_newton_direction(hvp, g, damp):
    """Build H row by row (row i = H eᵢ, H is symmetric) and solve (H + λI) d = g."""
    size = g.size
    H = np.empty((size, size))
    for i in range(size):
        e = np.zeros(size)
        e[i] = 1.0
        H[i] = hvp(e)
    H = (H + H.T) / 2                      # symmetric in exact arithmetic; make it so in floating point
    M = H + np.diag(damp)
    s = np.linalg.svd(M, compute_uv=False)
    rank = int((s > np.finfo(np.float64).eps * size * s[0]).sum()) if s[0] > 0 else 0
    if rank < size:
        warnings.warn(f"Newton.step: the Hessian ({size} × {size}) is singular (rank {rank} < {size}): the loss is "
                      "flat along some direction (e.g. linearly dependent features, or a parameter it does not "
                      "depend on through a square); taking the minimum-norm step H⁺∇ℓ. Pass damping > 0 (e.g. "
                      "1e-6) to regularize", RuntimeWarning, stacklevel=3)
        d = np.linalg.lstsq(M, g, rcond=None)[0]
    else:
        d = np.linalg.solve(M, g)
    if g @ d < 0:
        warnings.warn("Newton.step: the Hessian is not positive definite here, so the Newton step points uphill "
                      "(toward a maximum or a saddle); pass damping > 0 (larger than −the smallest eigenvalue) to "
                      "make it a descent step", RuntimeWarning, stacklevel=3)
    return d
