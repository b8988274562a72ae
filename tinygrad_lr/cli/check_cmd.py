"""``tinygrad-lr check``: each derivation of the lecture notes against autograd and finite differences.

``_derivations`` lists them — the vector and scalar forms of ∂ℓ/∂w and ∂ℓ/∂b,
the per-sample gradients summed over a mini-batch, the sum form of batch GD, the
gradient behind the closed form, Newton's Hessian; then (``_linear_model_derivations``)
ridge, logistic regression with its Newton/IRLS Hessian, and softmax regression —
each with its loss function and its hand-derived formulas; ``cmd_check`` hands each one to
tinygrad_lr.check.check_gradients.  Then (``_per_sample_cases``) the per-sample gradients ∇ℓ⁽ⁱ⁾ of
linear, ridge, logistic and softmax regression, for every sample of a batch, against
``func.vmap(func.grad(ℓ))``, and their mean against the batch gradient (``check_per_sample``).
(The file is not called check.py so that it is not mistaken for tinygrad_lr/check/, the checker itself.)
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
    items += _linear_model_derivations(rng, X, y, n)
    return items


def _linear_model_derivations(rng, X, y, n):
    """Ridge (the notes' answer to a singular XᵀX), logistic and softmax regression: the same three-way check."""
    from .. import nn
    from ..autograd.grad import grad
    lam = 0.3
    Xt, yt = tinygrad_lr.tensor(X), tinygrad_lr.tensor(y)
    w, b = rng.normal(size=(2, 1)), rng.normal(size=(1,))

    def ridge(w, b):
        return ((Xt @ w + b - yt) ** 2).sum() / (2 * n) + lam / 2 * (w ** 2).sum()
    items = [(f"ridge: ℓ = 1/(2n)·‖Xw + b − y‖² + (λ/2)·‖w‖², λ = {lam:g}, the bias not penalised",
              "∂ℓ/∂w = Xᵀ(Xw + b − y)/n + λw,  ∂ℓ/∂b = Σ(Xw + b − y)/n",
              ridge, {"w": w, "b": b},
              {"w": lambda w, b: X.T @ (X @ w + b - y) / n + lam * w,
               "b": lambda w, b: (X @ w + b - y).sum(axis=0) / n},
              n, "optim.SGD's weight_decay=λ adds exactly λw: give it to the weight's param group only")]

    labels = (rng.random((n, 1)) < 0.5).astype(np.float64)
    lt = tinygrad_lr.tensor(labels)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def logistic(w, b):
        return nn.BCEWithLogitsLoss()(Xt @ w + b, lt)
    items.append(("logistic regression: p = σ(Xw + b), ℓ = −(1/n)·Σ[y·log p + (1 − y)·log(1 − p)] (mean BCE)",
                  "∂ℓ/∂w = Xᵀ(σ(Xw + b) − y)/n,  ∂ℓ/∂b = Σ(σ(Xw + b) − y)/n",
                  logistic, {"w": w, "b": b},
                  {"w": lambda w, b: X.T @ (sigmoid(X @ w + b) - labels) / n,
                   "b": lambda w, b: (sigmoid(X @ w + b) - labels).sum(axis=0) / n},
                  n, "the same form as linear regression's: Xᵀ(prediction − y)/n"))

    A = np.hstack([X, np.ones((n, 1))])
    At, v = tinygrad_lr.tensor(A), rng.normal(size=3)
    vt = tinygrad_lr.tensor(v)

    def logistic_hessian_times_v(theta):
        with tinygrad_lr.enable_grad():
            t = theta if theta.requires_grad else theta.detach().requires_grad_()
            g, = grad(nn.BCEWithLogitsLoss()((At @ t).reshape(-1, 1), lt), t, create_graph=True)
            return (g * vt).sum()
    def p(theta):
        return sigmoid(A @ theta)
    items.append(("logistic regression by Newton (IRLS): θ ← θ − H⁻¹∇ℓ, A = [X 1]",
                  "H·v = Aᵀdiag(p(1 − p))A·v/n with p = σ(Aθ) (the Hessian by double backward)",
                  logistic_hessian_times_v, {"theta": np.r_[w[:, 0], b]},
                  {"theta": lambda th: A.T @ (p(th) * (1 - p(th)) * (A @ v)) / n}, n, None))

    K = 3
    classes = rng.integers(0, K, size=n)
    onehot, ct = np.eye(K)[classes], tinygrad_lr.tensor(classes, dtype=tinygrad_lr.int64)

    def softmax(Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)

    def cross_entropy(Z):
        return nn.CrossEntropyLoss()(Z, ct)
    items.append((f"softmax regression: ℓ = −(1/n)·Σ log softmax(Z)[i, yᵢ] for logits Z (n × {K})",
                  "∂ℓ/∂Z = (softmax(Z) − onehot(y))/n",
                  cross_entropy, {"Z": rng.normal(size=(n, K))},
                  {"Z": lambda Z: (softmax(Z) - onehot) / n}, n, None))

    def softmax_regression(W, b):
        return nn.CrossEntropyLoss()(Xt @ W.t() + b, ct)
    items.append(("softmax regression: Z = XWᵀ + b, the chain rule through ∂ℓ/∂Z",
                  "∂ℓ/∂W = (softmax(Z) − onehot(y))ᵀX/n,  ∂ℓ/∂b = Σᵢ(softmax(Z) − onehot(y))/n",
                  softmax_regression, {"W": rng.normal(size=(K, 2)), "b": rng.normal(size=(K,))},
                  {"W": lambda W, b: (softmax(X @ W.T + b) - onehot).T @ X / n,
                   "b": lambda W, b: (softmax(X @ W.T + b) - onehot).sum(axis=0) / n}, n, None))
    return items


def _per_sample_cases(seed):
    """The notes' per-sample gradients ∇ℓ⁽ⁱ⁾, model by model: (title, formula in words, the one-sample loss,
    params, X, y, per-sample formulas).  Each loss is written for ONE sample (x a row of X, y its target)."""
    rng = np.random.default_rng(seed + 1)
    n, lam, K = 8, 0.3, 3
    X, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
    w, b = rng.normal(size=2), rng.normal(size=1)
    labels = (rng.random((n, 1)) < 0.5).astype(np.float64)
    onehot = np.eye(K)[rng.integers(0, K, size=n)]

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    def linear(w, b, x, y):
        return ((x @ w + b - y) ** 2).sum() / 2

    def ridge(w, b, x, y):
        return ((x @ w + b - y) ** 2).sum() / 2 + lam / 2 * (w ** 2).sum()

    def logistic(w, b, x, y):  # −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = log(1 + eᶻ) − y·z
        z = x @ w + b
        return ((z.exp() + 1).log() - y * z).sum()

    def softmax_regression(W, b, x, y):  # −log softmax(z)[class] = log Σ eᶻ − onehot·z
        z = W @ x + b
        return z.exp().sum().log() - (y * z).sum()
    return [
        ("linear regression: ℓ⁽ⁱ⁾ = ½(x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾)²", "∇ℓ⁽ⁱ⁾ = [x⁽ⁱ⁾r, r],  r = x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾",
         linear, {"w": w, "b": b}, X, y,
         {"w": lambda w, b, x, y: x * (x @ w + b - y), "b": lambda w, b, x, y: x @ w + b - y}),
        (f"ridge: ℓ⁽ⁱ⁾ = ½(x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾)² + (λ/2)‖w‖², λ = {lam:g}", "∇ℓ⁽ⁱ⁾ = [x⁽ⁱ⁾r + λw, r]",
         ridge, {"w": w, "b": b}, X, y,
         {"w": lambda w, b, x, y: x * (x @ w + b - y) + lam * w, "b": lambda w, b, x, y: x @ w + b - y}),
        ("logistic regression: ℓ⁽ⁱ⁾ = −[y log σ(z) + (1 − y) log(1 − σ(z))], z = x⁽ⁱ⁾ᵀw + b",
         "∇ℓ⁽ⁱ⁾ = [x⁽ⁱ⁾(σ(z) − y⁽ⁱ⁾), σ(z) − y⁽ⁱ⁾]", logistic, {"w": w, "b": b}, X, labels,
         {"w": lambda w, b, x, y: x * (sigmoid(x @ w + b) - y), "b": lambda w, b, x, y: sigmoid(x @ w + b) - y}),
        (f"softmax regression: ℓ⁽ⁱ⁾ = −log softmax(Wx⁽ⁱ⁾ + b)[y⁽ⁱ⁾], {K} classes",
         "∇ℓ⁽ⁱ⁾ = [(p − onehot(y⁽ⁱ⁾)) x⁽ⁱ⁾ᵀ, p − onehot(y⁽ⁱ⁾)],  p = softmax(Wx⁽ⁱ⁾ + b)",
         softmax_regression, {"W": rng.normal(size=(K, 2)), "b": rng.normal(size=K)}, X, onehot,
         {"W": lambda W, b, x, y: np.outer(softmax(W @ x + b) - y, x), "b": lambda W, b, x, y: softmax(W @ x + b) - y}),
    ]


def _check_per_sample(seed):
    """The per-sample section of ``check``: prints each case; returns how many passed, of how many."""
    from ..check import check_per_sample
    cases = _per_sample_cases(seed)
    print()
    print("Per-sample gradients: ∇ℓ⁽ⁱ⁾ of each sample, your formula against vmap(grad(ℓ)), and their mean "
          "against the gradient of the batch loss (1/n)·Σᵢ ℓ⁽ⁱ⁾")
    passed = 0
    for k, (title, formula, loss, params, X, y, formulas) in enumerate(cases, 1):
        print()
        print(f"[per-sample {k}] {title}")
        print(f"    {formula}")
        out = io.StringIO()
        result = check_per_sample(loss, params, X, y, formulas, file=out)
        print("    " + out.getvalue().rstrip("\n").replace("\n", "\n    "))
        passed += bool(result)
    return passed, len(cases)


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
    samples_passed, samples = _check_per_sample(args.seed)
    print()
    print(f"{samples_passed} of {samples} per-sample checks confirmed (∇ℓ⁽ⁱ⁾ = vmap(grad), mean = batch gradient)"
          if samples_passed == samples else f"{samples - samples_passed} of {samples} per-sample checks FAILED")
    print(f"{passed} of {len(items)} derivations confirmed (formula = autograd = finite differences)"
          if passed == len(items) else f"{len(items) - passed} of {len(items)} derivations FAILED")
    return 0 if passed == len(items) and samples_passed == samples else 1
