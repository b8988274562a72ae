"""optim.Newton: θ ← θ − η·(H + λI)⁻¹∇ℓ with the Hessian from double backward.

ℓ of linear regression is quadratic (H = AᵀA/n), so one full step lands on the
least-squares solution from any start: checked to 1e-9 against NumPy in float64,
for the dense Hessian and for conjugate gradient on Hessian–vector products.
On a non-quadratic function, a step is the lecture notes' x ← x − f′(x)/f″(x).
"""
import warnings

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import nn, optim


def _data(n=100, d=2, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.linspace(2.0, -3.4, d) + 4.2 + 0.01 * rng.normal(size=n)
    return X.astype(dtype), y.reshape(-1, 1).astype(dtype)


def _lstsq(X, y):
    A = np.hstack([X, np.ones((len(X), 1))]).astype(np.float64)
    return np.linalg.lstsq(A, y.astype(np.float64), rcond=None)[0].ravel()


def _linear(X, seed=1, dtype=tinygrad_lr.float64):
    tinygrad_lr.manual_seed(seed)
    net = nn.Linear(X.shape[1], 1, dtype=dtype)
    with tinygrad_lr.no_grad():
        net.weight.normal_(0, 3)    # start far away: one step must not care
        net.bias.fill_(-5.0)
    return net


def _theta(net):
    return np.r_[net.weight.detach().numpy().ravel(), net.bias.detach().numpy()]


def _closure(opt, net, X, y):
    loss = nn.MSELoss()

    def closure():
        opt.zero_grad()
        return loss(net(X), y)
    return closure


@pytest.mark.parametrize("max_dense", [2000, 0], ids=["dense Hessian", "conjugate gradient"])
def test_one_step_solves_linear_regression(max_dense):
    Xa, ya = _data()
    X, y = tinygrad_lr.tensor(Xa), tinygrad_lr.tensor(ya)
    net = _linear(Xa)
    newton = optim.Newton(net.parameters(), max_dense=max_dense)
    start_loss = newton.step(_closure(newton, net, X, y))
    np.testing.assert_allclose(_theta(net), _lstsq(Xa, ya), rtol=0, atol=1e-9)
    assert start_loss.item() > 1.0          # step returns the loss before the step
    second = newton.step(_closure(newton, net, X, y)).item()
    best = ((np.hstack([Xa, np.ones((100, 1))]) @ _lstsq(Xa, ya) - ya.ravel()) ** 2).mean() / 2
    assert second == pytest.approx(best, rel=1e-10)   # the loss at the solution
    np.testing.assert_allclose(_theta(net), _lstsq(Xa, ya), rtol=0, atol=1e-9)   # and it stays there


def test_one_step_with_many_features_uses_conjugate_gradient():
    Xa, ya = _data(n=200, d=30, seed=2)
    X, y = tinygrad_lr.tensor(Xa), tinygrad_lr.tensor(ya)
    net = _linear(Xa)
    newton = optim.Newton(net.parameters(), max_dense=10)   # 31 entries > 10: Hessian–vector products only
    newton.step(_closure(newton, net, X, y))
    np.testing.assert_allclose(_theta(net), _lstsq(Xa, ya), rtol=0, atol=1e-9)


def test_float32_parameters_stay_float32():
    Xa, ya = _data(dtype=np.float32)
    net = _linear(Xa, dtype=tinygrad_lr.float32)
    newton = optim.Newton(net.parameters())
    newton.step(_closure(newton, net, tinygrad_lr.tensor(Xa), tinygrad_lr.tensor(ya)))
    assert net.weight.dtype == tinygrad_lr.float32 and net.weight.is_leaf
    np.testing.assert_allclose(_theta(net), _lstsq(Xa, ya), atol=2e-4)


def test_a_step_is_x_minus_f_prime_over_f_second():
    """The lecture notes' iteration x ← x − f′(x)/f″(x), for f(x) = Σ eˣ − 2x (minimum at ln 2)."""
    x0 = np.array([1.5, -0.7, 0.2])
    x = tinygrad_lr.tensor(x0, requires_grad=True)
    newton = optim.Newton([x])
    newton.step(lambda: (x.exp() - 2 * x).sum())
    np.testing.assert_allclose(x.detach().numpy(), x0 - (np.exp(x0) - 2) / np.exp(x0), rtol=1e-12)
    for _ in range(8):                                      # and it converges quadratically
        newton.step(lambda: (x.exp() - 2 * x).sum())
    np.testing.assert_allclose(x.detach().numpy(), np.log(2), rtol=1e-12)


def test_lr_and_damping():
    """θ ← θ − η·(H + λI)⁻¹g, with H and g known in closed form for linear regression."""
    Xa, ya = _data(n=40, seed=3)
    A = np.hstack([Xa, np.ones((40, 1))])
    net = _linear(Xa)
    theta0 = _theta(net)
    H = A.T @ A / 40
    g = A.T @ (A @ theta0 - ya.ravel()) / 40
    newton = optim.Newton(net.parameters(), lr=0.5, damping=0.3)
    newton.step(_closure(newton, net, tinygrad_lr.tensor(Xa), tinygrad_lr.tensor(ya)))
    np.testing.assert_allclose(_theta(net), theta0 - 0.5 * np.linalg.solve(H + 0.3 * np.eye(3), g), rtol=1e-10)


def test_param_groups_have_their_own_lr():
    Xa, ya = _data(n=40, seed=4)
    net = _linear(Xa)
    weight0, bias0 = net.weight.detach().numpy().copy(), net.bias.detach().numpy().copy()
    newton = optim.Newton([{"params": [net.weight]}, {"params": [net.bias], "lr": 0.0}])
    newton.step(_closure(newton, net, tinygrad_lr.tensor(Xa), tinygrad_lr.tensor(ya)))
    assert np.array_equal(net.bias.detach().numpy(), bias0)
    assert not np.allclose(net.weight.detach().numpy(), weight0)


def test_parameters_the_loss_does_not_use_are_left_alone():
    x = tinygrad_lr.tensor([3.0], requires_grad=True)
    unused = tinygrad_lr.tensor([7.0], requires_grad=True)
    newton = optim.Newton([x, unused])
    newton.step(lambda: ((x - 1) ** 2).sum())
    assert x.item() == pytest.approx(1.0) and unused.item() == 7.0


def test_grad_is_not_touched():
    x = tinygrad_lr.tensor([3.0], requires_grad=True)
    newton = optim.Newton([x])
    newton.step(lambda: ((x - 1) ** 2).sum())
    assert x.grad is None


def test_a_singular_hessian_warns_and_takes_the_minimum_norm_step():
    Xa, ya = _data(n=50, seed=5)
    Xd = np.hstack([Xa, Xa[:, :1]])                          # a duplicated feature: H is singular
    net = _linear(Xd)
    newton = optim.Newton(net.parameters())
    with pytest.warns(RuntimeWarning, match=r"Newton.step: the Hessian \(4 × 4\) is singular \(rank 3 < 4\).*"
                                            r"minimum-norm step.*damping > 0"):
        newton.step(_closure(newton, net, tinygrad_lr.tensor(Xd), tinygrad_lr.tensor(ya)))
    A = np.hstack([Xd, np.ones((50, 1))])
    best = ((A @ np.linalg.pinv(A) @ ya.ravel() - ya.ravel()) ** 2).mean() / 2
    reached = ((A @ _theta(net) - ya.ravel()) ** 2).mean() / 2
    assert reached == pytest.approx(best, rel=1e-9)          # a least-squares solution all the same


def test_damping_removes_the_singularity():
    Xa, ya = _data(n=50, seed=5)
    Xd = np.hstack([Xa, Xa[:, :1]])
    net = _linear(Xd)
    newton = optim.Newton(net.parameters(), damping=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        newton.step(_closure(newton, net, tinygrad_lr.tensor(Xd), tinygrad_lr.tensor(ya)))


def test_a_hessian_that_is_not_positive_definite_warns():
    x = tinygrad_lr.tensor([0.5, 1.0], requires_grad=True)
    newton = optim.Newton([x])
    with pytest.warns(RuntimeWarning, match="not positive definite.*points uphill"):
        newton.step(lambda: -(x ** 2).sum())
    x2 = tinygrad_lr.tensor([0.5, 1.0], requires_grad=True)
    newton_cg = optim.Newton([x2], max_dense=0)
    with pytest.warns(RuntimeWarning, match="not positive definite.*plain gradient step"):
        newton_cg.step(lambda: -(x2 ** 2).sum())


def test_conjugate_gradient_that_stops_early_says_so():
    Xa, ya = _data(n=60, d=6, seed=6)
    Xa[:, 0] *= 100                                         # badly conditioned: CG needs several iterations
    net = _linear(Xa)
    newton = optim.Newton(net.parameters(), max_dense=0, cg_max_iter=1)
    with pytest.warns(RuntimeWarning, match="conjugate gradient stopped after 1 iterations.*raise cg_max_iter"):
        newton.step(_closure(newton, net, tinygrad_lr.tensor(Xa), tinygrad_lr.tensor(ya)))


# ---- mistakes ------------------------------------------------------------------------------
def test_step_needs_a_closure():
    x = tinygrad_lr.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Newton.step\(\) needs a closure that computes and returns the loss"):
        optim.Newton([x]).step()


def test_a_closure_that_calls_backward_is_explained():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    newton = optim.Newton([x])

    def closure():
        newton.zero_grad()
        loss = (x ** 2).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match=r"did the closure call loss.backward\(\)\?.*without calling backward"):
        newton.step(closure)


@pytest.mark.parametrize("returned, match", [
    (lambda x: x * 2, r"the closure must return the loss, a one-element tensor, but it returned a tensor of "
                      r"shape \(2,\)"),
    (lambda x: 3.0, "but it returned float"),
])
def test_the_closure_must_return_a_scalar_loss(returned, match):
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=match):
        optim.Newton([x]).step(lambda: returned(x))


def test_a_loss_computed_without_the_graph_is_refused():
    x = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad.*not under no_grad"):
        optim.Newton([x]).step(lambda: x.detach().sum())


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(lr=-1.0), ValueError, r"Invalid learning rate: -1.0"),
    (dict(lr="1"), TypeError, r"Invalid learning rate: '1' \(lr must be a number\)"),
    (dict(damping=-0.1), ValueError, r"Invalid damping value: -0.1 \(damping must be >= 0"),
    (dict(max_dense=-1), ValueError, r"Invalid max_dense value: -1"),
    (dict(cg_max_iter=0), ValueError, r"Invalid cg_max_iter value: 0"),
    (dict(cg_tol=0.0), ValueError, r"Invalid cg_tol value: 0.0"),
])
def test_argument_checks(kwargs, error, match):
    with pytest.raises(error, match=match):
        optim.Newton([tinygrad_lr.tensor([1.0], requires_grad=True)], **kwargs)


def test_optimizer_basics():
    net = nn.Linear(2, 1)
    newton = optim.Newton(net.parameters(), damping=0.1)
    assert newton.param_groups[0]["lr"] == 1.0 and newton.param_groups[0]["damping"] == 0.1
    assert "Newton" in repr(newton)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.Newton(net.weight)
