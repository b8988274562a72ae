"""``tinygrad-lr check``: each derivation of the lecture notes against autograd and finite differences.

``_derivations`` lists them — the vector and scalar forms of ∂ℓ/∂w and ∂ℓ/∂b,
the per-sample gradients summed over a mini-batch, the sum form of batch GD, the
gradient behind the closed form, Newton's Hessian — each with its loss function
and its hand-derived formulas; ``cmd_check`` hands each one to
tinygrad_lr.check.check_gradients.  (The file is not called check.py so that it
is not mistaken for tinygrad_lr/check.py, the checker itself.)
"""
import io

import numpy as np

import tinygrad_lr


def _derivations(seed):
    """The lecture notes' derivations: (title, the formula in words, loss function, inputs, formulas, n, note)."""
    from ..autograd.grad import grad
    rng = np.random.default_rng(seed)
    n = 10
    X, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
    x1, y1 = X[:, 0], y[:, 0]
    Xt, yt, x1t, y1t = (tinygrad_lr.tensor(a) for a in (X, y, x1, y1))
    A = np.hstack([X, np.ones((n, 1))])
    At = tinygrad_lr.tensor(A)
    w, b = rng.normal(size=(2, 1)), rng.normal(size=(1,))
    v = rng.normal(size=3)
    items = []

    def vector_form(w, b):
        return ((Xt @ w + b - yt) ** 2).sum() / (2 * n)
    items.append(("vector form: ŷ = Xw + b, ℓ = 1/(2n)·‖ŷ − y‖²",
                  "∂ℓ/∂w = Xᵀ(Xw + b − y)/n,  ∂ℓ/∂b = Σ(Xw + b − y)/n",
                  vector_form, {"w": w, "b": b},
                  {"w": lambda w, b: X.T @ (X @ w + b - y) / n, "b": lambda w, b: (X @ w + b - y).sum(axis=0) / n},
                  n, None))

    def scalar_form(a, b):
        return ((a * x1t + b - y1t) ** 2).sum() / (2 * n)
    items.append(("scalar form: y = ax + b, loss = 1/(2m)·Σ(axᵢ + b − yᵢ)²",
                  "∂loss/∂a = (1/m)·Σ(axᵢ + b − yᵢ)·xᵢ,  ∂loss/∂b = (1/m)·Σ(axᵢ + b − yᵢ)",
                  scalar_form, {"a": np.array(0.7), "b": np.array(-0.3)},
                  {"a": lambda a, b: ((a * x1 + b - y1) * x1).sum() / n, "b": lambda a, b: (a * x1 + b - y1).sum() / n},
                  n, None))

    def minibatch_loss(theta):
        return ((At @ theta - y1t) ** 2).mean() / 2
    items.append(("mini-batch: θ ← θ − η/|B|·Σ_{i∈B} ∇ℓ⁽ⁱ⁾(θ) on a batch B of |B| = 10 samples",
                  "∇ℓ⁽ⁱ⁾ = [x₁⁽ⁱ⁾; x₂⁽ⁱ⁾; 1]·(ŷ⁽ⁱ⁾ − y⁽ⁱ⁾), one sample at a time, summed and divided by |B|",
                  minibatch_loss, {"theta": np.r_[w[:, 0], b]},
                  {"theta": lambda th: sum(A[i] * (A[i] @ th - y1[i]) for i in range(n)) / n},
                  n, None))

    def batch_sum_form(a, b):
        return ((a * x1t + b - y1t) ** 2).sum() / 2
    items.append(("batch GD, sum form: a ← a − α·Σ(axᵢ + b − yᵢ)·xᵢ,  b ← b − α·Σ(axᵢ + b − yᵢ)",
                  "∂/∂a ½Σ(axᵢ + b − yᵢ)² = Σ(axᵢ + b − yᵢ)·xᵢ,  ∂/∂b = Σ(axᵢ + b − yᵢ)",
                  batch_sum_form, {"a": np.array(0.7), "b": np.array(-0.3)},
                  {"a": lambda a, b: ((a * x1 + b - y1) * x1).sum(), "b": lambda a, b: (a * x1 + b - y1).sum()},
                  n, "the notes write loss_batch = Σ(ŷ − y)² without the ½, but the update they give is the gradient "
                     "of ½·Σ(ŷ − y)²: for Σ(ŷ − y)² it is twice that (the 2 goes into α)"))

    def normal_equations(w_hat):
        return ((yt - At @ w_hat) ** 2).sum()
    items.append(("closed form: E(ŵ) = (y − Xŵ)ᵀ(y − Xŵ) with ŵ = (w; b), X = [X 1]",
                  "∂E/∂ŵ = 2Xᵀ(Xŵ − y), zero at ŵ* = (XᵀX)⁻¹Xᵀy",
                  normal_equations, {"w_hat": np.r_[w, [b]]},
                  {"w_hat": lambda wh: 2 * A.T @ (A @ wh - y)}, n, None))

    vt = tinygrad_lr.tensor(v)

    def newton_hessian_times_v(theta):
        # ∇ℓ(θ)·v, differentiated once more by the checker: H v (double backward)
        with tinygrad_lr.enable_grad():
            t = theta if theta.requires_grad else theta.detach().requires_grad_()
            g, = grad(((At @ t - y1t) ** 2).sum() / (2 * n), t, create_graph=True)
            return (g * vt).sum()
    items.append(("Newton: θ ← θ − H⁻¹∇ℓ with the Hessian H = AᵀA/n, A = [X 1]",
                  "H·v = ∂(∇ℓ·v)/∂θ = AᵀA·v/n for a vector v (the Hessian by double backward)",
                  newton_hessian_times_v, {"theta": np.r_[w[:, 0], b]},
                  {"theta": lambda th: A.T @ A @ v / n}, n, None))
    return items


def cmd_check(args):
    from ..check import check_gradients
    print("tinygrad-lr check: each derivation of the lecture notes, at a random point in float64, three ways: the "
          "formula, autograd, and central finite differences")
    passed = 0
    items = _derivations(args.seed)
    for k, (title, formula, func, inputs, formulas, n, note) in enumerate(items, 1):
        print()
        print(f"[{k}] {title}")
        print(f"    {formula}")
        if note:
            print(f"    (note: {note})")
        out = io.StringIO()
        result = check_gradients(func, inputs, formulas, batch_size=n, file=out)
        print("    " + out.getvalue().rstrip("\n").replace("\n", "\n    "))
        numeric = max(r.numeric_error for r in result)
        print(f"    autograd vs central finite differences: max abs difference {numeric:.1e}")
        passed += bool(result)
    print()
    print(f"{passed} of {len(items)} derivations confirmed (formula = autograd = finite differences)"
          if passed == len(items) else f"{len(items) - passed} of {len(items)} derivations FAILED")
    return 0 if passed == len(items) else 1
