"""examples/linear_regression_scratch.py converges: to the true parameters, and to the closed-form optimum of its data.

The data are y = Xw + b + ε with w = [2, −3.4], b = 4.2, ε ~ N(0, 0.01²), so the
best reachable loss ½·mean((ŷ − y)²) is the noise floor σ²/2 = 5e-5.
"""
import importlib.util
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_lr

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "linear_regression_scratch.py"
TRUE_W, TRUE_B, NOISE_FLOOR = [2.0, -3.4], 4.2, 0.01 ** 2 / 2


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("linear_regression_scratch", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [0, 1])
def test_training_converges_to_the_true_parameters_and_the_noise_floor(example, seed):
    w, b, loss = example.main(seed=seed, verbose=False)
    assert w.shape == (2, 1) and b.shape == (1,)
    np.testing.assert_allclose(w.detach().numpy().ravel(), TRUE_W, atol=0.01)
    assert abs(b.item() - TRUE_B) < 0.01
    assert loss == pytest.approx(NOISE_FLOOR, rel=0.2)


def test_training_reaches_the_closed_form_optimum_of_its_data(example):
    w, b, loss = example.main(seed=0, verbose=False)
    tinygrad_lr.manual_seed(0)  # main() draws its data right after seeding: draw the same data again
    X, y = example.synthetic_data(tinygrad_lr.tensor(TRUE_W), TRUE_B, 1000)
    Xb = np.hstack([X.numpy(), np.ones((1000, 1))]).astype(np.float64)
    theta, *_ = np.linalg.lstsq(Xb, y.numpy().astype(np.float64), rcond=None)
    best = ((Xb @ theta - y.numpy()) ** 2).mean() / 2
    np.testing.assert_allclose(w.detach().numpy().ravel(), theta[:2].ravel(), atol=2e-3)
    assert b.item() == pytest.approx(theta[2, 0], abs=2e-3)
    assert 0.999 * best <= loss < 1.1 * best  # (the loss is float32)


def test_parameters_stay_float32_leaves(example):
    w, b, _ = example.main(seed=2, num_epochs=1, verbose=False)
    assert w.dtype == b.dtype == tinygrad_lr.float32
    assert w.is_leaf and b.is_leaf and w.requires_grad and b.requires_grad


def test_runs_as_a_script():
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(",")[0] for line in lines[:3]] == ["epoch 1", "epoch 2", "epoch 3"]
    assert float(lines[2].split("loss")[1]) < 1e-4
