"""nn's two ops (F.linear, F.mse_loss) are single Functions; they must equal the compositions of primitives.

The composition is the definition (x @ W.T + b; ½·mean((ŷ − y)²)); the fused op is
there for speed.  Values, first and second derivatives must agree, in float64
and float32, for every reduction and for batched (3-d) inputs.
"""
import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import nn
from tinygrad_lr.autograd import grad, gradcheck, gradgradcheck
from tinygrad_lr.nn import functional as F


def composed_linear(x, w, b):
    out = x @ w.T
    return out if b is None else out + b


def composed_mse(yh, y, reduction):
    sq = (yh - y) ** 2
    if reduction == "none":
        return sq / 2
    return sq.sum() / 2 if reduction == "sum" else sq.sum() / (2 * sq.numel())


def leaves(*shapes, dtype=tg.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [tg.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes]


@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_composition_first_and_second_order(x_shape, bias):
    x, w, b = leaves(x_shape, (2, 3), (2,))
    b = b if bias else None
    inputs = [x, w] + ([b] if bias else [])
    fused, composed = F.linear(x, w, b), composed_linear(x, w, b)
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    weights = tg.tensor(np.random.default_rng(1).standard_normal(fused.shape))
    g1 = grad((fused * weights).sum(), inputs, create_graph=True)
    g2 = grad((composed * weights).sum(), inputs, create_graph=True)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-14)
    # second order: d/d(inputs) of Σ ∂L/∂W² (the gradients are linear in x and W, so this is non-trivial)
    h1 = grad((g1[1] ** 2).sum(), inputs, allow_unused=True)
    h2 = grad((g2[1] ** 2).sum(), inputs, allow_unused=True)
    for a, c in zip(h1, h2):
        if c is None:
            assert a is None or np.allclose(a.numpy(), 0)
        else:
            np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 1), (4,), (2, 3, 2)])
def test_mse_matches_composition_first_and_second_order(reduction, shape):
    yh, y = leaves(shape, shape, seed=2)
    fused, composed = F.mse_loss(yh, y, reduction), composed_mse(yh, y, reduction)
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    w = tg.tensor(np.random.default_rng(3).standard_normal(fused.shape))
    g1 = grad((fused * w).sum(), [yh, y], create_graph=True)
    g2 = grad((composed * w).sum(), [yh, y], create_graph=True)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-14)
    h1 = grad((g1[0] * yh).sum(), [yh, y])
    h2 = grad((g2[0] * yh).sum(), [yh, y])
    for a, c in zip(h1, h2):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-10, atol=1e-12)


def test_fused_ops_pass_gradcheck_and_gradgradcheck():
    x, w, b, y = leaves((4, 3), (2, 3), (2,), (4, 2), seed=4)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    for reduction in ("mean", "sum", "none"):
        assert gradcheck(lambda a, t: F.mse_loss(a, t, reduction), (F.linear(x, w, b).detach().requires_grad_(), y))
        assert gradgradcheck(lambda a, t: F.mse_loss(a, t, reduction), (F.linear(x, w, b).detach().requires_grad_(), y))


def test_mse_gradient_is_the_residual_over_n_in_float32():
    yh = tg.tensor([[1.0], [2.0], [4.0]], requires_grad=True)
    y = tg.tensor([[0.0], [2.0], [1.0]])
    loss = nn.MSELoss()(yh, y)
    loss.backward()
    assert loss.dtype == tg.float32 and yh.grad.dtype == tg.float32
    np.testing.assert_allclose(loss.item(), (1 + 0 + 9) / (2 * 3), rtol=1e-6)
    np.testing.assert_allclose(yh.grad.numpy(), [[1 / 3], [0.0], [1.0]], rtol=1e-6)


def test_hessian_of_linear_regression_through_nn_modules_is_AtA_over_n():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((8, 3))
    X, y = tg.tensor(A), tg.tensor(rng.standard_normal((8, 1)))
    net = nn.Linear(3, 1).double()
    gw, = grad(nn.MSELoss()(net(X), y), [net.weight], create_graph=True)
    rows = [grad(gw[0, j], [net.weight], retain_graph=True)[0].numpy().ravel() for j in range(3)]
    np.testing.assert_allclose(np.array(rows), A.T @ A / 8, rtol=1e-12)
