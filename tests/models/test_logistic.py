"""Logistic regression: p = σ(Xw + b), ℓ = mean BCE, ∂ℓ/∂w = Xᵀ(σ(Xw + b) − y)/n, ∂ℓ/∂b = Σ(σ − y)/n.

The gradient three ways (the hand formula, autograd and finite differences in
``tinygrad-lr check``, PyTorch here), Newton's method (IRLS) with its Hessian
Aᵀdiag(p(1 − p))A/n converging in a handful of steps, and ``tinygrad-lr fit
--task logistic`` against scikit-learn's LogisticRegression.
"""
import re

import numpy as np
import pytest

import tinygrad_lr
from _linear_models import fit_json, write_csv
from conftest import optional
from tinygrad_lr import cli, nn, optim
from tinygrad_lr.autograd import functional, grad
from tinygrad_lr.check import check_gradients
from tinygrad_lr.cli import check_cmd
from tinygrad_lr.cli.classification import Classifier
from tinygrad_lr.cli.problem import Data


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def make_data(n=300, seed=0, w=(1.5, -2.0), b=0.5, shift=(0.0, 0.0)):
    """Labels drawn from the model itself, so the classes overlap and the optimum is finite."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) + shift
    y = (rng.random(n) < sigmoid((X - shift) @ np.array(w) + b)).astype(float)
    return X, y


def logistic_model(X, y):
    net = nn.Linear(X.shape[1], 1, dtype=tinygrad_lr.float64)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    return net, tinygrad_lr.tensor(X), tinygrad_lr.tensor(y.reshape(-1, 1)), nn.BCEWithLogitsLoss()


# ============================================================================
# the gradient and the Hessian, by hand
# ============================================================================
def test_tinygrad_lr_check_confirms_the_logistic_derivations():
    items = {item[0].split(":")[0]: item for item in check_cmd._derivations(0)}
    for title in ("logistic regression", "logistic regression by Newton (IRLS)"):
        _, formula, func, inputs, formulas, n, _ = items[title]
        assert check_gradients(func, inputs, formulas, batch_size=n, verbose=False), title
    assert items["logistic regression"][1] == "∂ℓ/∂w = Xᵀ(σ(Xw + b) − y)/n,  ∂ℓ/∂b = Σ(σ(Xw + b) − y)/n"


def test_check_names_the_usual_slip_in_the_logistic_gradient():
    _, _, func, inputs, formulas, n, _ = next(i for i in check_cmd._derivations(0) if i[0].startswith("logistic"))
    flipped = {"w": lambda w, b: -formulas["w"](w, b), "b": formulas["b"]}          # y − σ instead of σ − y
    result = check_gradients(func, inputs, flipped, batch_size=n, verbose=False)
    assert not result and result["w"].factor == pytest.approx(-1) and "sign" in result["w"].message


def test_the_hand_formulas_match_autograd_and_pytorch():
    torch = optional("torch")
    X, y = make_data(n=40)
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(2, 1)), rng.normal(size=(1,))
    p = sigmoid(X @ w + b)
    hand_w, hand_b = X.T @ (p - y[:, None]) / len(y), (p - y[:, None]).sum(axis=0) / len(y)
    wt, bt = (tinygrad_lr.tensor(a, requires_grad=True) for a in (w, b))
    ours = grad(nn.BCEWithLogitsLoss()(tinygrad_lr.tensor(X) @ wt + bt, tinygrad_lr.tensor(y[:, None])), [wt, bt])
    wp, bp = (torch.tensor(a, requires_grad=True) for a in (w, b))
    lp = torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(X) @ wp + bp,
                                                              torch.from_numpy(y[:, None]))
    theirs = torch.autograd.grad(lp, [wp, bp])
    for hand, o, t in zip((hand_w, hand_b), ours, theirs):
        np.testing.assert_allclose(o.numpy(), hand, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(t.numpy(), hand, rtol=1e-12, atol=1e-15)


def test_the_hessian_is_A_transpose_diag_p_one_minus_p_A_over_n():
    X, y = make_data(n=50)
    A = np.hstack([X, np.ones((50, 1))])
    theta = np.array([0.3, -0.8, 0.2])
    At, yt = tinygrad_lr.tensor(A), tinygrad_lr.tensor(y[:, None])
    H = functional.hessian(lambda t: nn.BCEWithLogitsLoss()((At @ t).reshape(-1, 1), yt),
                           tinygrad_lr.tensor(theta)).numpy()
    p = sigmoid(A @ theta)
    np.testing.assert_allclose(H, A.T @ np.diag(p * (1 - p)) @ A / 50, rtol=1e-10)
    assert np.linalg.eigvalsh(H)[-1] <= np.linalg.eigvalsh(A.T @ A / 50)[-1] / 4    # the bound behind the lr


# ============================================================================
# Newton (IRLS) and SGD
# ============================================================================
def test_newton_reaches_a_gradient_norm_below_1e_10_in_at_most_10_steps():
    X, y = make_data()
    net, Xt, yt, loss = logistic_model(X, y)
    newton = optim.Newton(net.parameters())

    def closure():
        newton.zero_grad()
        return loss(net(Xt), yt)
    norms = []
    for _ in range(10):
        newton.step(closure)
        norms.append(float(sum((g ** 2).sum() for g in grad(closure(), list(net.parameters()))) ** 0.5))
        if norms[-1] < 1e-10:
            break
    assert norms[-1] < 1e-10 and len(norms) <= 10, norms
    assert len(norms) >= 3                                        # not quadratic: one step is not enough
    ratios = [b / a ** 2 for a, b in zip(norms, norms[1:]) if a > 1e-6]
    assert max(ratios[-2:]) < 10                                  # quadratic convergence: ‖g⁺‖ ≲ C·‖g‖²


def test_sgd_trained_the_pytorch_way_approaches_the_newton_optimum():
    X, y = make_data()
    optimum = fit_logistic_newton(X, y)
    net, Xt, yt, loss = logistic_model(X, y)
    trainer = optim.SGD(net.parameters(), lr=2.0)
    for _ in range(1500):                                         # batch GD, lr below 2/λmax(H)
        l = loss(net(Xt), yt)  # noqa: E741
        trainer.zero_grad()
        l.backward()
        trainer.step()
    theta = np.r_[net.weight.detach().numpy().ravel(), net.bias.detach().numpy()]
    np.testing.assert_allclose(theta, optimum, atol=1e-6)


def fit_logistic_newton(X, y):
    problem = Classifier(Data("test", X, y, ["x1", "x2"], "y"), "logistic")
    from tinygrad_lr.cli.training import newton
    run = newton(problem, steps=20, quiet=True, tol=1e-12)
    return run.theta[:, 0]


# ============================================================================
# tinygrad-lr fit --task logistic, against scikit-learn
# ============================================================================
def sklearn_logistic(X, y, C):
    optional("sklearn")
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=C, tol=1e-12, max_iter=100_000, solver="lbfgs").fit(X, y)


def test_fit_logistic_newton_agrees_with_scikit_learn(tmp_path, capsys):
    X, y = make_data(shift=(2.0, -1.0))
    report, err = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic",
                            "--method", "newton"], capsys)
    model = sklearn_logistic(X, y, C=1e12)                       # unregularised in effect
    np.testing.assert_allclose(list(report["coefficients"].values()), model.coef_[0], atol=1e-4)
    assert report["bias"] == pytest.approx(model.intercept_[0], abs=1e-4)
    from sklearn.metrics import log_loss
    assert report["log_loss"] == pytest.approx(log_loss(y, model.predict_proba(X)[:, 1]), abs=1e-8)
    assert report["accuracy"] == pytest.approx(model.score(X, y))
    assert report["gradient_norm"] < 1e-10 and report["steps"] <= 10 and err == ""
    assert report["task"] == "logistic" and report["classes"] == ["0", "1"] and report["loss"] == report["log_loss"]


def test_fit_logistic_with_l2_agrees_with_scikit_learns_C(tmp_path, capsys):
    X, y = make_data()
    lam = 0.05
    report, _ = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic",
                          "--method", "newton", "--l2", str(lam)], capsys)
    model = sklearn_logistic(X, y, C=1 / (len(y) * lam))         # C·Σ BCE + ½‖w‖²  =  Cn·(mean BCE + (λ/2)‖w‖²)
    np.testing.assert_allclose(list(report["coefficients"].values()), model.coef_[0], atol=1e-6)
    assert report["bias"] == pytest.approx(model.intercept_[0], abs=1e-6)          # the bias is not penalised
    w = np.array(list(report["coefficients"].values()))
    assert report["loss"] == pytest.approx(report["log_loss"] + lam / 2 * w @ w, rel=1e-12)
    assert report["hyperparameters"]["l2"] == lam


@pytest.mark.parametrize("method, tol", [("batch", 1e-4), ("minibatch", 1e-3), ("sgd", 1e-2)])
def test_fit_logistic_gradient_methods_reach_the_optimum(tmp_path, capsys, method, tol):
    X, y = make_data()
    optimum = fit_logistic_newton(X, y)
    report, _ = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic",
                          "--method", method, "--standardize"], capsys)
    theta = np.r_[list(report["coefficients"].values()), report["bias"]]
    np.testing.assert_allclose(theta, optimum, atol=tol * 10)
    best = Classifier(Data("t", X, y, ["x1", "x2"], "y"), "logistic").loss(optimum[:, None])
    assert best <= report["log_loss"] <= best * (1 + tol)


def test_fit_logistic_text_output(tmp_path, capsys):
    X, y = make_data()
    assert cli.main(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic",
                     "--method", "newton"]) == 0
    out = capsys.readouterr().out
    assert "logistic regression of y (classes 0 and 1) from x1, x2" in out
    assert "H = Aᵀdiag(p(1 − p))A/n" in out and "(IRLS)" in out
    assert re.search(r"^log-loss \(mean binary cross-entropy\): 0\.\d+$", out, re.M)
    accuracy = re.search(r"^accuracy: (\S+) \((\d+) of 300 rows\)$", out, re.M)
    assert accuracy and float(accuracy.group(1)) == pytest.approx(int(accuracy.group(2)) / 300, abs=5e-5)
    assert re.search(r"^‖∇ℓ‖: \S+e-1\d", out, re.M)


def test_fit_logistic_json_fields_are_documented(tmp_path, capsys):
    X, y = make_data(n=60)
    report, _ = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic"],
                         capsys)
    for name in list(report) + list(report["hyperparameters"]):
        assert re.search(rf"\b{name}\b", cli.FIT_EPILOG), name


def test_separable_classes_get_a_note(tmp_path, capsys):
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0], [5.0, 0.0]])
    y = (X[:, 0] > 2.5).astype(float)
    report, err = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic",
                            "--method", "batch"], capsys)
    assert report["accuracy"] == 1.0 and "linearly separable" in err and "--l2" in err


def test_a_gradient_fit_far_from_the_optimum_gets_a_note(tmp_path, capsys):
    X, y = make_data(shift=(20.0, -5.0))                        # far from 0: ill-conditioned without --standardize
    report, err = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic",
                            "--method", "batch", "--epochs", "3"], capsys)
    assert report["gradient_norm"] > 1e-2
    assert "the fit is still far from the optimum" in err and "--standardize" in err and "--method newton" in err


MISTAKES = [
    (["--method", "closed"], 2, r"--method closed: logistic regression has no closed form .* use --method newton"),
    (["--plot", "p.png"], 2, r"--plot is for --task regression"),
]


@pytest.mark.parametrize("extra, status, message", MISTAKES)
def test_mistakes_are_one_line(tmp_path, capsys, extra, status, message):
    X, y = make_data(n=30)
    argv = ["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--task", "logistic"] + extra
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    err = capsys.readouterr().err
    assert e.value.code == status and err.count("\n") == 1 and re.search(message, err), err


def test_a_target_that_is_not_0_1_is_refused(tmp_path, capsys):
    X, y = make_data(n=30)
    with pytest.raises(SystemExit) as e:
        cli.main(["fit", write_csv(tmp_path / "d.csv", X, 2 * y + 1), "--target", "y", "--task", "logistic"])
    err = capsys.readouterr().err
    assert e.value.code == 1
    assert err == ("tinygrad-lr: error: --task logistic needs a 0/1 target, but column 'y' also holds 3; for "
                   "more than two classes use --task softmax\n")
