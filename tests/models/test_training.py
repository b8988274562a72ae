"""End to end: both examples, and batch / mini-batch / single-sample SGD, converge to the closed-form optimum.

The reference is not a magic number: it is the least-squares solution
θ* = argmin ½·mean((Xw + b − y)²) of the very data trained on (np.linalg.lstsq
on [X, 1]), and its loss, which sits at the noise floor σ²/2 = 5e-5.
"""
import importlib.util
import pathlib

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import data, nn, optim
from tinygrad_lr.optim import lr_scheduler

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
TRUE_W, TRUE_B, NOISE_FLOOR = np.array([2.0, -3.4]), 4.2, 0.01 ** 2 / 2


def _example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _closed_form(X, y):
    """θ* = (w*, b*) by least squares, and its loss ½·mean((Xw* + b* − y)²)."""
    A = np.c_[X, np.ones(len(X))].astype(np.float64)
    theta, *_ = np.linalg.lstsq(A, y.astype(np.float64).ravel(), rcond=None)
    return theta, 0.5 * np.mean((A @ theta - y.ravel()) ** 2)


@pytest.mark.parametrize("name", ["linear_regression_scratch", "linear_regression_concise"])
def test_examples_reach_the_noise_floor_and_recover_w_and_b(name):
    example = _example(name)
    seed = 0
    w, b, final_loss = example.main(seed=seed, verbose=False)
    w, b = np.ravel(w.detach().numpy()), np.ravel(b.detach().numpy())
    np.testing.assert_allclose(w, TRUE_W, atol=0.01)
    np.testing.assert_allclose(b, [TRUE_B], atol=0.01)
    assert abs(final_loss - NOISE_FLOOR) < 0.2 * NOISE_FLOOR

    tg.manual_seed(seed)    # the same data the example trained on: the first draws after the seed
    X, y = example.synthetic_data(tg.tensor([2, -3.4]), 4.2, 1000)
    theta, optimum = _closed_form(X.numpy(), y.numpy())
    assert optimum <= final_loss < 1.05 * optimum
    np.testing.assert_allclose(np.r_[w, b], theta, atol=2e-3)


def test_concise_example_prints_per_epoch_loss_and_parameters(capsys):
    _example("linear_regression_concise").main(num_epochs=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("epoch 1, loss ") and out[1].startswith("epoch 2, loss ")
    assert out[2].startswith("w: [") and "(true [2.0, -3.4" in out[2] and out[3].startswith("b: ")


# ---- batch, mini-batch and stochastic gradient descent -------------------------------------
def _problem(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = X @ TRUE_W + TRUE_B + rng.normal(0, 0.01, n)
    return X, y.reshape(-1, 1)


def _train(X, y, batch_size, lr, epochs, decay_every):
    """The PyTorch loop, on float64: Linear + ½-MSE + SGD + DataLoader, the lr ×0.1 every few epochs."""
    tg.manual_seed(0)
    net = nn.Linear(2, 1, dtype=tg.float64)
    loss = nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=lr)
    scheduler = lr_scheduler.StepLR(trainer, step_size=decay_every, gamma=0.1)
    loader = data.DataLoader(data.TensorDataset(tg.from_numpy(X), tg.from_numpy(y)), batch_size, shuffle=True)
    for _ in range(epochs):
        for X_batch, y_batch in loader:
            trainer.zero_grad()
            loss(net(X_batch), y_batch).backward()
            trainer.step()
        scheduler.step()
    theta = np.r_[net.weight.detach().numpy().ravel(), net.bias.detach().numpy()]
    with tg.no_grad():
        final = loss(net(tg.from_numpy(X)), tg.from_numpy(y)).item()
    return theta, final


@pytest.mark.parametrize("kind, batch_size, lr, epochs, decay_every, atol, rtol_loss", [
    ("batch GD", 1000, 0.5, 60, 1000, 1e-10, 1e-10),       # one step per epoch, the exact gradient
    ("mini-batch SGD", 10, 0.1, 9, 3, 5e-4, 1e-3),
    ("single-sample SGD", 1, 0.01, 4, 2, 1e-3, 3e-3),     # the lecture notes' stochastic GD
])
def test_gradient_descent_converges_to_the_closed_form_optimum(kind, batch_size, lr, epochs, decay_every, atol,
                                                               rtol_loss):
    X, y = _problem()
    theta_star, optimum = _closed_form(X, y)
    theta, final = _train(X, y, batch_size, lr, epochs, decay_every)
    np.testing.assert_allclose(theta, theta_star, atol=atol, err_msg=kind)
    assert optimum * (1 - 1e-12) <= final <= optimum * (1 + rtol_loss), kind


def test_batch_gradient_is_the_hand_derived_one():
    """∂ℓ/∂w = Xᵀ(Xw + b − y)/n and ∂ℓ/∂b = Σ(Xw + b − y)/n for ℓ = 1/(2n)·Σ(Xw + b − y)²."""
    X, y = _problem(50, seed=1)
    net = nn.Linear(2, 1, dtype=tg.float64)
    nn.MSELoss()(net(tg.from_numpy(X)), tg.from_numpy(y)).backward()
    w, b = net.weight.detach().numpy().T, net.bias.detach().numpy()
    residual = X @ w + b - y
    np.testing.assert_allclose(net.weight.grad.numpy(), (X.T @ residual / len(X)).T, rtol=1e-12)
    np.testing.assert_allclose(net.bias.grad.numpy(), residual.sum(0) / len(X), rtol=1e-12)
