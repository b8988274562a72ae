"""The classification examples run as scripts and reach the accuracy their docstrings state.

Each example's data overlap, so the accuracy is bounded: ≈ 0.92 for the two blobs of
logistic_regression.py (Φ(√2)) and the three of softmax_regression.py; two_moons is
not linearly separable, so a straight boundary stays near 0.87 while the MLP gets ≈ 0.99.
"""
import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def run_script(name):
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def number(pattern, out):
    found = re.search(pattern, out, re.M)
    assert found, (pattern, out)
    return float(found.group(1))


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_logistic_regression_script():
    out = run_script("logistic_regression.py")
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("epoch")] == \
        [f"epoch {k}" for k in range(1, 6)]
    assert number(r"^SGD test accuracy: (\S+)$", out) >= 0.88
    assert number(r"^Newton test accuracy: (\S+)$", out) >= 0.88
    steps = number(r"^Newton: (\d+) steps to ‖∇ℓ‖ = (?:\S+), loss", out)
    norm = number(r"^Newton: \d+ steps to ‖∇ℓ‖ = (\S+), loss", out)
    assert steps <= 10 and norm <= 1e-10                       # IRLS: a handful of steps


def test_logistic_regression_sgd_and_newton_reach_the_same_accuracy():
    example = load("logistic_regression")
    sgd, newton, steps = example.main(seed=1, verbose=False)
    assert abs(sgd - newton) < 0.02 and steps <= 10             # the same linear model, two ways


def test_softmax_regression_script():
    out = run_script("softmax_regression.py")
    losses = [number(r"loss (\S+),", line) for line in out.splitlines() if line.startswith("epoch")]
    assert len(losses) == 10 and losses[-1] < losses[0]
    assert number(r"^test accuracy: (\S+)$", out) >= 0.88
    assert "a test point of each class: classes [0, 1, 2]" in out


@pytest.mark.parametrize("seed", [1, 2])
def test_softmax_regression_other_seeds(seed):
    accuracy, loss = load("softmax_regression").main(seed=seed, verbose=False)
    assert accuracy >= 0.88 and loss < 0.3


def test_mlp_two_moons_script():
    out = run_script("mlp_two_moons.py")
    mlp = number(r"^MLP test accuracy: (\S+)$", out)
    linear = number(r"^logistic regression \(a straight boundary\) test accuracy: (\S+)$", out)
    assert mlp >= 0.95                                         # the hidden layers bend the boundary
    assert linear < 0.92 and mlp - linear >= 0.05              # a straight line cannot
    assert "MLP epoch 40," in out
