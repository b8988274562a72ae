"""L-BFGS: quasi-Newton steps whose curvature is learned from the last few gradients."""
import math

from ..core import Tensor
from ..ops.creation import zeros
from ..core.grad_mode import no_grad
from ..ops.shapes import cat
from .optimizer import Optimizer, _check_at_least, _check_count

LINE_SEARCHES = (None, "strong_wolfe")


class LBFGS(Optimizer):
    r"""L-BFGS (Nocedal, 1980; PyTorch's implementation, after minFunc): Newton-like steps without a Hessian.

    All parameters are one vector θ, with gradient g.  ``step(closure)`` runs up to
    ``max_iter`` iterations of (η = lr, m = history_size)::

        s ← θ_new − θ_old,  y ← g_new − g_old       the last step, and the change of gradient it made
        keep (s, y) if yᵀs > 1e-10                  (the m most recent pairs)
        d ← −H·g                                    two-loop recursion, H ≈ ∇²ℓ⁻¹ from the pairs,
                                                    starting from H₀ = (yᵀs / yᵀy)·I
        t ← η                                       (the first iteration ever: min(1, 1/‖g‖₁)·η)
        t ← a step along d meeting the strong Wolfe conditions, if line_search_fn='strong_wolfe':
              ℓ(θ + t·d) ≤ ℓ(θ) + 10⁻⁴·t·gᵀd         (enough decrease)
              |∇ℓ(θ + t·d)ᵀd| ≤ 0.9·|gᵀd|            (the slope flattened)
        θ ← θ + t·d

    Each pair says how the gradient changed along one step: yᵀs/sᵀs is the
    curvature along s.  BFGS builds the inverse Hessian from all of them;
    L-BFGS keeps m, so it costs O(m·P) memory for P parameter entries.  On the
    lecture notes' quadratic loss it approaches θ* in a handful of iterations.

    The iterations stop early when max|g| ≤ tolerance_grad, when a step or the
    change of the loss is below tolerance_change, or after ``max_eval`` closure
    calls.  State between calls (on the first parameter, as in PyTorch):
    ``'func_evals'``, ``'n_iter'``, ``'d'``, ``'t'``, ``'old_dirs'`` (the y's),
    ``'old_stps'`` (the s's), ``'ro'`` (1/yᵀs), ``'H_diag'``,
    ``'prev_flat_grad'``, ``'prev_loss'``, ``'al'``.

    The closure re-evaluates the model: it zeroes the gradients, computes the loss,
    calls ``backward()`` and returns the loss; ``step`` calls it several times.

    Args:
        params: the tensors to update (one group only: no per-parameter options).
        lr: η ≥ 0 (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure calls per ``step`` (default max_iter·5/4).
        tolerance_grad: stop when max|g| ≤ this (default 1e-7).
        tolerance_change: stop when a step or the loss changes less (default 1e-9).
        history_size: m, the pairs (s, y) kept (default 100).
        line_search_fn: None (a fixed step t) or 'strong_wolfe'.

    Example::

        trainer = optim.LBFGS(net.parameters(), line_search_fn="strong_wolfe")

        def closure():
            trainer.zero_grad()
            l = loss(net(X), y)
            l.backward()
            return l

        for _ in range(5):
            trainer.step(closure)
    """

    _flat_state = ("d", "old_dirs", "old_stps", "prev_flat_grad")   # vectors of all P entries

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        lr = _check_at_least("Invalid learning rate", "lr", lr, "1")
        max_iter = _check_count("Invalid max_iter value", "max_iter", max_iter, "20")
        max_eval = max_iter * 5 // 4 if max_eval is None else _check_count("Invalid max_eval value", "max_eval",
                                                                           max_eval, "25")
        tolerance_grad = _check_at_least("Invalid tolerance_grad value", "tolerance_grad", tolerance_grad, "1e-7")
        tolerance_change = _check_at_least("Invalid tolerance_change value", "tolerance_change", tolerance_change,
                                           "1e-9")
        history_size = _check_count("Invalid history_size value", "history_size", history_size, "100")
        if line_search_fn not in LINE_SEARCHES:
            raise ValueError(f"Invalid line_search_fn: {line_search_fn!r} (LBFGS supports line_search_fn=None "
                             "or 'strong_wolfe')")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(f"LBFGS doesn't support per-parameter options (parameter groups): got "
                             f"{len(self.param_groups)} groups; pass one list of parameters")

    # ---- θ and g as one vector -------------------------------------------------------
    @property
    def _params(self):
        return self.param_groups[0]["params"]

    def _flat_grad(self):
        """g: every parameter's gradient, flattened and joined (zeros where a parameter has none)."""
        return cat([zeros(p.numel(), dtype=p.dtype) if p.grad is None else p.grad.reshape(-1)
                    for p in self._params])

    def _move(self, t, d):
        """θ ← θ + t·d, with d cut back into the parameters' shapes."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[offset:offset + n].view(p.shape), alpha=t)
            offset += n

    def _loss_and_grad_at(self, closure, theta, t, d):
        """ℓ and g at θ + t·d, then θ back to ``theta`` (the line search's probe)."""
        self._move(t, d)
        loss = float(self._closure_loss(closure))
        g = self._flat_grad()
        for p, saved in zip(self._params, theta):
            p.copy_(saved)
        return loss, g

    # ---- the step ------------------------------------------------------------------
    @no_grad()  # the updates are not part of any graph; the closure records its own
    def step(self, closure=None):
        """Up to ``max_iter`` L-BFGS iterations; returns the loss the closure computed first."""
        if closure is None:
            raise TypeError("LBFGS.step() needs a closure that re-evaluates the loss, e.g. def closure(): "
                            "trainer.zero_grad(); l = loss(net(X), y); l.backward(); return l — then "
                            "trainer.step(closure)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = self._closure_loss(closure)
        if not isinstance(first_loss, (Tensor, float, int)):
            raise TypeError(f"LBFGS.step: the closure must return the loss, but it returned "
                            f"{type(first_loss).__name__}")
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if _max_abs(g) <= tolerance_grad:       # already at a stationary point
            return first_loss

        d, t = state.get("d"), state.get("t")
        y_hist, s_hist, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, g_prev, loss_prev = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # ---- the direction d = −H·g
            if state["n_iter"] == 1:
                d, y_hist, s_hist, ro, H_diag = -g, [], [], [], 1
            else:
                y, s = g - g_prev, d * t
                ys = y.dot(s).item()
                if ys > 1e-10:                   # a pair with positive curvature: remember it
                    if len(y_hist) == group["history_size"]:
                        del y_hist[0], s_hist[0], ro[0]
                    y_hist.append(y)
                    s_hist.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y).item()
                al = state.setdefault("al", [None] * group["history_size"])
                d = _two_loop(g, s_hist, y_hist, ro, H_diag, al)
            g_prev, loss_prev = g.clone(), loss
            # ---- the step length t
            t = min(1.0, 1.0 / g.abs().sum().item()) * lr if state["n_iter"] == 1 else lr
            gtd = g.dot(d).item()
            if gtd > -tolerance_change:          # d is no longer a descent direction
                break
            if group["line_search_fn"] == "strong_wolfe":
                theta = [p.clone() for p in self._params]
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda x, t_, d_: self._loss_and_grad_at(closure, x, t_, d_), theta, t, d, loss, g, gtd,
                    max_ls=max_eval - evals)
                self._move(t, d)
            else:
                self._move(t, d)
                ls_evals = 0
                if n_iter != max_iter:           # re-evaluate, unless this was the last iteration
                    loss = float(self._closure_loss(closure))
                    g = self._flat_grad()
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            # ---- stop?
            if (n_iter == max_iter or evals >= max_eval or _max_abs(g) <= tolerance_grad
                    or _max_abs(d * t) <= tolerance_change or abs(loss - loss_prev) < tolerance_change):
                break
        state.update(d=d, t=t, old_dirs=y_hist, old_stps=s_hist, ro=ro, H_diag=H_diag, prev_flat_grad=g_prev,
                     prev_loss=loss_prev)
        return first_loss


def _max_abs(v):
    """max |vᵢ| as a Python number."""
    return v.abs().max().item()


def _two_loop(g, s_list, y_list, ro, H_diag, al):
    """d = −H·g by L-BFGS's two-loop recursion over the pairs (s, y), ρ = 1/yᵀs, H₀ = H_diag·I.

    ``al`` receives the first loop's coefficients αᵢ = ρᵢ·sᵢᵀq (kept in the state, as in PyTorch).
    """
    q = -g
    for i in range(len(s_list) - 1, -1, -1):   # newest pair first
        al[i] = s_list[i].dot(q).item() * ro[i]
        q.add_(y_list[i], alpha=-al[i])
    r = q * H_diag
    for i in range(len(s_list)):               # oldest pair first
        be_i = y_list[i].dot(r).item() * ro[i]
        r.add_(s_list[i], alpha=al[i] - be_i)
    return r


# ---- the strong-Wolfe line search (minFunc's, as PyTorch has it) ---------------------
def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, kept within bounds.

    With d₁ = g1 + g2 − 3·(f1 − f2)/(x1 − x2) and d₂ = √(d₁² − g1·g2), for x1 ≤ x2 it is
    x2 − (x2 − x1)·(g2 + d₂ − d₁)/(g2 − g1 + 2d₂); without a real d₂, the midpoint of the bounds.
    """
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


def _strong_wolfe(loss_and_grad_at, theta, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step t along d with ℓ(t) ≤ ℓ(0) + c1·t·ℓ′(0) and |ℓ′(t)| ≤ c2·|ℓ′(0)|; returns (ℓ, g, t, evaluations).

    Phase 1 grows t until [t_prev, t] brackets such a step (or t itself is one); phase 2
    shrinks the bracket by cubic interpolation.  A point is (t, ℓ, g, ℓ′ = gᵀd).
    """
    d_norm = _max_abs(d)
    f_new, g_new = loss_and_grad_at(theta, t, d)
    evals, ls_iter = 1, 0
    gtd_new = g_new.dot(d).item()
    prev = (0, f, g, gtd)
    done = False
    # ---- phase 1: bracket
    while ls_iter < max_ls:
        here = (t, f_new, g_new, gtd_new)
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= prev[1]):
            bracket = [prev, here]               # too little decrease: a good step lies before t
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [here], True         # t meets both conditions
            break
        if gtd_new >= 0:
            bracket = [prev, here]               # the slope turned: the minimum lies before t
            break
        # still going down steeply: extrapolate, between 1.01·t and 10·t
        t_next = _cubic_interpolate(prev[0], prev[1], prev[3], t, f_new, gtd_new,
                                    bounds=(t + 0.01 * (t - prev[0]), t * 10))
        prev, t = here, t_next
        f_new, g_new = loss_and_grad_at(theta, t, d)
        evals += 1
        gtd_new = g_new.dot(d).item()
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [(0, f, g, None), (t, f_new, g_new, None)]
    # ---- phase 2: zoom into the bracket; low is its point with the lower loss
    insufficient_progress = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        (a, fa, _, ga), (b, fb, _, gb) = bracket
        if abs(b - a) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(a, fa, ga, b, fb, gb)
        # keep t away from the ends of the bracket, or it may shrink too slowly
        left, right = min(a, b), max(a, b)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            if insufficient_progress or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = loss_and_grad_at(theta, t, d)
        evals += 1
        gtd_new = g_new.dot(d).item()
        ls_iter += 1
        here = (t, f_new, g_new, gtd_new)
        if f_new > (f + c1 * t * gtd) or f_new >= bracket[low][1]:
            bracket[high] = here                 # not low enough: t is the new high end
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]     # the minimum lies on low's other side
            bracket[low] = here
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals
