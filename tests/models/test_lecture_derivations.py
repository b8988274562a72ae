"""The lecture notes' hand-derived gradients, computed in NumPy, against autograd.

Linear regression ŷ = Xw + b with the loss ℓ = 1/(2n)·‖Xw + b − y‖²:

    ∂ℓ/∂w = Xᵀ(Xw + b − y)/n        ∂ℓ/∂b = Σ(Xw + b − y)/n

its scalar form y = ax + b, the per-sample gradient [x₁, x₂, 1]ᵀ(ŷ − y) summed
over a mini-batch with the update θ ← θ − η/|B|·Σ∇θℓ⁽ⁱ⁾, and the sum form
ℓ = Σ(ŷ − y)² = ‖Xw − y‖², whose gradient 2Xᵀ(Xw − y) vanishes at the closed
form w* = (XᵀX)⁻¹Xᵀy.  Everything in float64, to 1e-12.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr
from tinygrad_lr import tensor

TOL = dict(rtol=1e-12, atol=1e-12)


def f64(a, requires_grad=False):
    return tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def problem(n, d, seed):
    """Features, labels from y = Xw_true + b_true + noise, and a starting point (w, b) away from the optimum."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal((d, 1)) + 4.2 + 0.01 * rng.standard_normal((n, 1))
    return X, y, rng.standard_normal((d, 1)), rng.standard_normal()


# ---- ℓ = 1/(2n)·‖Xw + b − y‖² ------------------------------------------------------------------------
@settings(max_examples=15, deadline=None, derandomize=True)
@given(n=st.integers(1, 30), d=st.integers(1, 5), seed=st.integers(0, 2 ** 16))
def test_mean_squared_loss_gradient_is_Xt_residual_over_n(n, d, seed):
    X, y, w0, b0 = problem(n, d, seed)
    w, b = f64(w0, True), f64(b0, True)
    loss = ((f64(X) @ w + b - f64(y)) ** 2).sum() / (2 * n)
    loss.backward()

    r = X @ w0 + b0 - y                       # the residual ŷ − y, by hand
    np.testing.assert_allclose(loss.item(), (r ** 2).sum() / (2 * n), **TOL)
    np.testing.assert_allclose(w.grad.numpy(), X.T @ r / n, **TOL)
    np.testing.assert_allclose(b.grad.numpy(), r.sum() / n, **TOL)


def test_matrix_form_of_the_loss_gives_the_same_gradients():
    """ℓ(θ) = 1/(2n)·(ŷ − y)ᵀ(ŷ − y), written with a transpose and a (1, 1) result."""
    X, y, w0, b0 = problem(20, 2, seed=1)
    w, b = f64(w0, True), f64(b0, True)
    r = f64(X) @ w + b - f64(y)
    loss = r.T @ r / (2 * 20)
    assert loss.shape == (1, 1)
    loss.backward()                           # one element: no gradient argument needed
    np.testing.assert_allclose(w.grad.numpy(), X.T @ (X @ w0 + b0 - y) / 20, **TOL)
    np.testing.assert_allclose(b.grad.item(), (X @ w0 + b0 - y).sum() / 20, **TOL)


def test_vector_w_and_labels_and_a_mean():
    """The same derivation with w of shape (d,), y of shape (n,), and mean() for the 1/n."""
    X, y, w0, b0 = problem(12, 3, seed=2)
    y, w0 = y.ravel(), w0.ravel()
    w, b = f64(w0, True), f64([b0], True)
    (((f64(X) @ w + b - f64(y)) ** 2).mean() / 2).backward()
    r = X @ w0 + b0 - y
    np.testing.assert_allclose(w.grad.numpy(), X.T @ r / 12, **TOL)
    np.testing.assert_allclose(b.grad.numpy(), [r.sum() / 12], **TOL)
    assert b.grad.shape == (1,)               # the broadcast b gets its gradient summed back to its shape


# ---- the scalar form y = ax + b -----------------------------------------------------------------------
def test_scalar_model_per_sample_and_batch_mean():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(8), rng.standard_normal(8)
    a0, b0 = 0.7, -0.4
    # one sample: ℓᵢ = ½(axᵢ + b − yᵢ)²,  ∂ℓᵢ/∂a = (axᵢ + b − yᵢ)xᵢ,  ∂ℓᵢ/∂b = axᵢ + b − yᵢ
    for xi, yi in zip(x, y):
        a, b = f64(a0, True), f64(b0, True)
        (0.5 * (a * float(xi) + b - float(yi)) ** 2).backward()
        assert a.grad.item() == pytest.approx((a0 * xi + b0 - yi) * xi, rel=1e-12, abs=1e-12)
        assert b.grad.item() == pytest.approx(a0 * xi + b0 - yi, rel=1e-12, abs=1e-12)
    # the batch: loss = 1/(2m)·Σ(axᵢ + b − yᵢ)²,  ∇a = 1/m·Σ(axᵢ + b − yᵢ)xᵢ,  ∇b = 1/m·Σ(axᵢ + b − yᵢ)
    a, b = f64(a0, True), f64(b0, True)
    (((a * f64(x) + b - f64(y)) ** 2).mean() / 2).backward()
    r = a0 * x + b0 - y
    assert a.grad.item() == pytest.approx((r * x).mean(), rel=1e-12)
    assert b.grad.item() == pytest.approx(r.mean(), rel=1e-12)


def test_scalar_model_mini_batch_of_k():
    """loss_batch = 1/(2k)·Σ_{i in batch}(axᵢ + b − yᵢ)², on a batch picked with an index tensor."""
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal(50), rng.standard_normal(50)
    idx = np.array([3, 17, 17, 42, 0])        # k = 5 (a repeated sample counts twice)
    a, b = f64(1.5, True), f64(0.25, True)
    xb, yb = f64(x)[tensor(idx)], f64(y)[tensor(idx)]
    (((a * xb + b - yb) ** 2).sum() / (2 * 5)).backward()
    r = 1.5 * x[idx] + 0.25 - y[idx]
    assert a.grad.item() == pytest.approx((r * x[idx]).sum() / 5, rel=1e-12)
    assert b.grad.item() == pytest.approx(r.sum() / 5, rel=1e-12)


# ---- per-sample gradients and the mini-batch update ------------------------------------------------------
def test_per_sample_gradient_is_features_and_one_times_the_residual():
    """∇θℓ⁽ⁱ⁾ = [x₁⁽ⁱ⁾, x₂⁽ⁱ⁾, 1]ᵀ(ŷ⁽ⁱ⁾ − y⁽ⁱ⁾) for θ = [w₁, w₂, b] and ℓ⁽ⁱ⁾ = ½(ŷ⁽ⁱ⁾ − y⁽ⁱ⁾)²."""
    X, y, w0, b0 = problem(10, 2, seed=5)
    batch = [1, 4, 7, 8]
    total = np.zeros(3)
    for i in batch:
        w, b = f64(w0, True), f64(b0, True)
        y_hat = f64(X[i]) @ w + b             # (2,) @ (2, 1) → (1,)
        (0.5 * (y_hat - float(y[i, 0])) ** 2).sum().backward()
        grad = np.concatenate([w.grad.numpy().ravel(), [b.grad.item()]])
        by_hand = np.array([X[i, 0], X[i, 1], 1.0]) * (X[i] @ w0.ravel() + b0 - y[i, 0])
        np.testing.assert_allclose(grad, by_hand, **TOL)
        total += by_hand
    # summed over the mini-batch: what l.sum().backward() gives in one pass
    w, b = f64(w0, True), f64(b0, True)
    (0.5 * (f64(X[batch]) @ w + b - f64(y[batch])) ** 2).sum().backward()
    np.testing.assert_allclose(np.concatenate([w.grad.numpy().ravel(), [b.grad.item()]]), total, **TOL)


def test_mini_batch_sgd_step_matches_the_update_rule_of_the_notes():
    """w_j ← w_j − η/|B|·Σ x_j⁽ⁱ⁾(x₁⁽ⁱ⁾w₁ + x₂⁽ⁱ⁾w₂ + b − y⁽ⁱ⁾),  b ← b − η/|B|·Σ(x₁⁽ⁱ⁾w₁ + x₂⁽ⁱ⁾w₂ + b − y⁽ⁱ⁾)."""
    X, y, w0, b0 = problem(100, 2, seed=6)
    B, lr = np.array([5, 23, 23, 61, 99, 0, 42, 7, 18, 77]), 0.03
    w, b = f64(w0, True), f64([b0], True)
    loss = (0.5 * (f64(X)[tensor(B)] @ w + b - f64(y)[tensor(B)]) ** 2).sum()
    loss.backward()
    with tinygrad_lr.no_grad():
        for p in (w, b):
            p -= lr * p.grad / len(B)
    r = X[B, 0] * w0[0, 0] + X[B, 1] * w0[1, 0] + b0 - y[B, 0]
    np.testing.assert_allclose(w.detach().numpy().ravel(),
                               [w0[0, 0] - lr / len(B) * (X[B, 0] * r).sum(),
                                w0[1, 0] - lr / len(B) * (X[B, 1] * r).sum()], **TOL)
    np.testing.assert_allclose(b.item(), b0 - lr / len(B) * r.sum(), **TOL)
    assert w.is_leaf and b.is_leaf


def test_a_small_gradient_step_decreases_the_loss():
    """The notes' Taylor argument: f(θ − η∇f) ≈ f(θ) − η‖∇f‖² < f(θ) for a small η."""
    X, y, w0, b0 = problem(30, 3, seed=7)
    w = f64(w0, True)

    def loss():
        return ((f64(X) @ w + b0 - f64(y)) ** 2).sum() / (2 * 30)
    before = loss()
    before.backward()
    g2 = (w.grad.numpy() ** 2).sum()
    with tinygrad_lr.no_grad():
        w -= 1e-4 * w.grad
        after = loss().item()
    assert after < before.item()
    assert after == pytest.approx(before.item() - 1e-4 * g2, rel=1e-6)


# ---- the sum form ℓ = Σ(ŷ − y)² ------------------------------------------------------------------------
def test_sum_form_gradient_has_no_one_over_n():
    X, y, w0, b0 = problem(25, 3, seed=8)
    w, b = f64(w0, True), f64(b0, True)
    ((f64(X) @ w + b - f64(y)) ** 2).sum().backward()
    r = X @ w0 + b0 - y
    np.testing.assert_allclose(w.grad.numpy(), 2 * X.T @ r, **TOL)
    np.testing.assert_allclose(b.grad.item(), 2 * r.sum(), **TOL)


def test_sum_form_gradient_vanishes_at_the_closed_form_solution():
    """E_w = ‖y − Xw‖²: ∂E/∂w = 2Xᵀ(Xw − y) = 0 at w* = (XᵀX)⁻¹Xᵀy."""
    X, y, _, _ = problem(40, 3, seed=9)
    Xb = np.hstack([X, np.ones((40, 1))])     # the bias as a column of ones
    w_star = np.linalg.solve(Xb.T @ Xb, Xb.T @ y)
    w = f64(w_star, True)
    ((f64(Xb) @ w - f64(y)) ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 0, atol=1e-10)
    np.testing.assert_allclose(w_star[:3].ravel(), np.linalg.lstsq(X - X.mean(0), y - y.mean(), rcond=None)[0].ravel(),
                               rtol=1e-8)


def test_one_newton_step_reaches_the_closed_form():
    """Newton's x ← x − f'(x)/f''(x) in many dimensions: θ ← θ − H⁻¹∇ℓ, with H = XᵀX/n from create_graph."""
    X, y, w0, b0 = problem(30, 2, seed=10)
    Xb = np.hstack([X, np.ones((30, 1))])
    theta = f64(np.vstack([w0, [[b0]]]), True)
    loss = ((f64(Xb) @ theta - f64(y)) ** 2).sum() / (2 * 30)
    g, = tinygrad_lr.autograd.grad(loss, theta, create_graph=True)
    H = np.stack([tinygrad_lr.autograd.grad(g[i, 0], theta, retain_graph=True)[0].numpy().ravel()
                  for i in range(3)])
    np.testing.assert_allclose(H, Xb.T @ Xb / 30, **TOL)
    step = theta.detach().numpy() - np.linalg.solve(H, g.detach().numpy())
    np.testing.assert_allclose(step, np.linalg.solve(Xb.T @ Xb, Xb.T @ y), rtol=1e-10)
