"""Softmax regression: P = softmax(XWᵀ + b), ℓ = mean cross-entropy, ∂ℓ/∂Z = (softmax(Z) − onehot(y))/n.

The gradient three ways (``tinygrad-lr check``: formula, autograd, finite
differences; PyTorch here), and ``tinygrad-lr fit --task softmax`` on integer
class labels against scikit-learn's multinomial LogisticRegression.  W is not
identifiable (adding one vector to every class's row changes no probability),
so fits are compared by their probabilities, which are.
"""
import re

import numpy as np
import pytest

import tinygrad_lr
from _linear_models import fit_json, write_csv
from conftest import optional
from tinygrad_lr import cli, nn
from tinygrad_lr.autograd import grad
from tinygrad_lr.check import check_gradients
from tinygrad_lr.cli import check_cmd
from tinygrad_lr.cli.classification import Classifier
from tinygrad_lr.cli.problem import Data

W_TRUE = np.array([[2.0, 0.0], [-1.0, 1.5], [-1.0, -1.5]])


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def make_data(n=300, seed=0, labels=(1, 2, 3)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    P = softmax(X @ W_TRUE.T + [0.2, 0.0, -0.2])
    y = np.array([rng.choice(3, p=p) for p in P])
    return X, np.asarray(labels, dtype=float)[y]


def probabilities(report, X):
    classes = report["classes"]
    W = np.array([[report["coefficients"][c][f] for f in report["features"]] for c in classes])
    return softmax(X @ W.T + np.array([report["bias"][c] for c in classes]))


# ============================================================================
# the gradient
# ============================================================================
def test_tinygrad_lr_check_confirms_the_softmax_derivations():
    items = [item for item in check_cmd._derivations(0) if item[0].startswith("softmax regression")]
    assert [item[1] for item in items] == [
        "∂ℓ/∂Z = (softmax(Z) − onehot(y))/n",
        "∂ℓ/∂W = (softmax(Z) − onehot(y))ᵀX/n,  ∂ℓ/∂b = Σᵢ(softmax(Z) − onehot(y))/n"]
    for _, _, func, inputs, formulas, n, _ in items:
        assert check_gradients(func, inputs, formulas, batch_size=n, verbose=False)


def test_check_names_a_forgotten_one_over_n():
    _, _, func, inputs, formulas, n, _ = next(i for i in check_cmd._derivations(0) if "∂ℓ/∂Z" in i[1])
    summed = {"Z": lambda Z: n * formulas["Z"](Z)}
    result = check_gradients(func, inputs, summed, batch_size=n, verbose=False)
    assert not result and result["Z"].factor == pytest.approx(n) and "mean versus sum" in result["Z"].message


def test_the_hand_formula_matches_autograd_and_pytorch():
    torch = optional("torch")
    rng = np.random.default_rng(3)
    Z, y = rng.normal(size=(12, 4)) * 3, rng.integers(0, 4, size=12)
    hand = (softmax(Z) - np.eye(4)[y]) / 12
    Zt = tinygrad_lr.tensor(Z, requires_grad=True)
    ours, = grad(nn.CrossEntropyLoss()(Zt, tinygrad_lr.tensor(y, dtype=tinygrad_lr.int64)), Zt)
    Zp = torch.tensor(Z, requires_grad=True)
    theirs, = torch.autograd.grad(torch.nn.functional.cross_entropy(Zp, torch.from_numpy(y)), Zp)
    np.testing.assert_allclose(ours.numpy(), hand, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(theirs.numpy(), hand, rtol=1e-12, atol=1e-16)


# ============================================================================
# tinygrad-lr fit --task softmax
# ============================================================================
def sklearn_softmax(X, y, C):
    optional("sklearn")
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=C, tol=1e-12, max_iter=100_000, solver="lbfgs").fit(X, y)   # multinomial for K > 2


@pytest.mark.parametrize("l2", [0.0, 0.02])
def test_fit_softmax_newton_agrees_with_scikit_learn(tmp_path, capsys, l2):
    X, y = make_data()
    report, err = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "softmax",
                            "--method", "newton", "--l2", str(l2)], capsys)
    model = sklearn_softmax(X, y, C=1 / (len(y) * l2) if l2 else 1e12)
    np.testing.assert_allclose(probabilities(report, X), model.predict_proba(X), atol=1e-4)
    from sklearn.metrics import log_loss
    assert report["log_loss"] == pytest.approx(log_loss(y, model.predict_proba(X)), abs=1e-7)
    assert report["accuracy"] == pytest.approx(model.score(X, y))
    assert report["classes"] == ["1", "2", "3"] and report["gradient_norm"] < 1e-10 and report["steps"] <= 15
    assert err == ""                                   # the singular Hessian is handled: no warning
    if l2:
        W = np.array([list(report["coefficients"][c].values()) for c in report["classes"]])
        np.testing.assert_allclose(W, model.coef_, atol=1e-5)   # with the penalty, W is unique
        assert report["loss"] == pytest.approx(report["log_loss"] + l2 / 2 * (W ** 2).sum(), rel=1e-12)


@pytest.mark.parametrize("method", ["batch", "minibatch"])
def test_fit_softmax_gradient_methods_reach_the_newton_optimum(tmp_path, capsys, method):
    X, y = make_data()
    path = write_csv(tmp_path / "d.csv", X, y)
    best, _ = fit_json(["fit", path, "--target", "y", "--task", "softmax", "--method", "newton"], capsys)
    report, _ = fit_json(["fit", path, "--target", "y", "--task", "softmax", "--method", method], capsys)
    assert best["log_loss"] <= report["log_loss"] <= best["log_loss"] * (1 + 1e-3)
    np.testing.assert_allclose(probabilities(report, X), probabilities(best, X), atol=0.01)


def test_accuracy_is_the_share_of_rows_whose_largest_probability_is_their_class(tmp_path, capsys):
    X, y = make_data(labels=(0, 1, 2))
    report, _ = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "softmax",
                          "--method", "newton"], capsys)
    assert report["classes"] == ["0", "1", "2"]
    predicted = probabilities(report, X).argmax(axis=1)
    assert report["accuracy"] == pytest.approx((predicted == y).mean()) and report["correct"] == (predicted == y).sum()
    assert 0.6 < report["accuracy"] < 1


def test_the_classifier_problem_maps_labels_to_class_indices():
    X, y = make_data(n=20, labels=(5, 7, 9))
    problem = Classifier(Data("t", X, y, ["x1", "x2"], "y"), "softmax")
    assert problem.classes.tolist() == [5, 7, 9] and problem.outputs == 3
    np.testing.assert_array_equal(problem.targets().numpy(), (y - 5) / 2)
    assert problem.targets().dtype == tinygrad_lr.int64


def test_fit_softmax_text_output(tmp_path, capsys):
    X, y = make_data()
    assert cli.main(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "softmax",
                     "--method", "newton"]) == 0
    out = capsys.readouterr().out
    assert "softmax regression of y (classes 1, 2, 3) from x1, x2" in out
    assert re.search(r"^coefficient\s+class 1\s+class 2\s+class 3$", out, re.M)
    assert re.search(r"^log-loss \(mean cross-entropy\): 0\.\d+$", out, re.M)
    assert re.search(r"^accuracy: 0\.\d{4} \(\d+ of 300 rows\)$", out, re.M)


def test_non_integer_labels_are_refused(tmp_path, capsys):
    X, y = make_data(n=30)
    with pytest.raises(SystemExit) as e:
        cli.main(["fit", write_csv(tmp_path / "d.csv", X, y + 0.5), "--target", "y", "--task", "softmax"])
    assert e.value.code == 1
    assert capsys.readouterr().err == ("tinygrad-lr: error: --task softmax needs whole-number class labels, but "
                                       "column 'y' holds 1.5; for a numeric target use --task regression\n")
