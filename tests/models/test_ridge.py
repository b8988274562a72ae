"""Ridge regression, the notes' answer to a singular XᵀX: ℓ + (λ/2)·‖w‖², the bias not penalised.

The reference is the closed form by centring, w* = (X_cᵀX_c + nλI)⁻¹X_cᵀ(y − ȳ), b* = ȳ − x̄ᵀw*
(cli.problem.ridge_solution); every method of ``tinygrad-lr fit --l2 λ`` must reach it, and so
must optim.SGD with ``weight_decay`` = λ in the weight's param group only.
"""
import numpy as np
import pytest

import tinygrad_lr
from _linear_models import fit_json, write_csv
from conftest import optional
from tinygrad_lr import cli, nn, optim
from tinygrad_lr.cli import check_cmd
from tinygrad_lr.cli.problem import Data, Problem, ridge_solution
from tinygrad_lr.cli.training import param_groups

LAM = 0.05


def make_data(n=120, seed=0, duplicate=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [1.0, -2.0, 3.0]      # not centred: the bias matters
    if duplicate:
        X[:, 2] = X[:, 1]                                                  # XᵀX is singular
    y = X @ [1.5, -0.7, 2.0] + 4.0 + 0.3 * rng.normal(size=n)
    return X, y


def augmented_ridge(X, y, lam):
    """The other derivation: A = [X 1], (AᵀA + nλ·diag(1, …, 1, 0))θ = Aᵀy."""
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    return np.linalg.solve(A.T @ A + n * lam * np.diag(np.r_[np.ones(d), 0.0]), A.T @ y)


def objective_gradient(X, y, theta, lam):
    """The hand formulas: ∂/∂w = Xᵀ(Xw + b − y)/n + λw, ∂/∂b = Σ(Xw + b − y)/n."""
    w, b = theta[:-1], theta[-1]
    r = X @ w + b - y
    return np.r_[X.T @ r / len(y) + lam * w, r.sum() / len(y)]


def problem(X, y, lam=LAM, standardize=False):
    return Problem(Data("test", X, y, [f"x{k}" for k in range(X.shape[1])], "y"), standardize, lam)


# ============================================================================
# the closed form
# ============================================================================
@pytest.mark.parametrize("lam", [1e-3, LAM, 2.0])
def test_centring_and_the_unpenalised_column_give_the_same_theta(lam):
    X, y = make_data()
    theta = ridge_solution(problem(X, y, lam), lam)
    np.testing.assert_allclose(theta, augmented_ridge(X, y, lam), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(objective_gradient(X, y, theta, lam), 0, atol=1e-10)   # a stationary point


def test_the_bias_is_not_penalised():
    # shifting y by c shifts b* by c and leaves w* alone; a penalised bias would shrink toward 0
    X, y = make_data()
    a, b = ridge_solution(problem(X, y), LAM), ridge_solution(problem(X, y + 100.0), LAM)
    np.testing.assert_allclose(b[:-1], a[:-1], rtol=1e-10)
    assert b[-1] - a[-1] == pytest.approx(100.0, rel=1e-10)


def test_a_singular_XtX_gets_a_unique_solution():
    X, y = make_data(duplicate=True)
    assert np.linalg.matrix_rank(X.T @ X) == 2
    p = problem(X, y)
    theta = p.theta_star
    assert theta[1] == pytest.approx(theta[2], rel=1e-10)     # the two copies of a column share the weight
    np.testing.assert_allclose(objective_gradient(X, y, theta, LAM), 0, atol=1e-10)
    assert np.isfinite(p.condition)                          # the Hessian AᵀA/n + λ·diag(1, …, 1, 0) is regular


def test_as_lambda_goes_to_zero_ridge_becomes_least_squares():
    X, y = make_data()
    A = np.hstack([X, np.ones((len(y), 1))])
    lstsq = np.linalg.lstsq(A, y, rcond=None)[0]                # the notes' θ* = (AᵀA)⁻¹Aᵀy
    np.testing.assert_allclose(ridge_solution(problem(X, y, 1e-10), 1e-10), lstsq, rtol=1e-6)


def test_matches_scikit_learn_ridge():
    optional("sklearn")
    from sklearn.linear_model import Ridge
    X, y = make_data()
    model = Ridge(alpha=len(y) * LAM, fit_intercept=True, solver="cholesky").fit(X, y)   # ‖·‖² + α‖w‖², α = nλ
    theta = ridge_solution(problem(X, y), LAM)
    np.testing.assert_allclose(theta[:-1], model.coef_, rtol=1e-8)
    assert theta[-1] == pytest.approx(model.intercept_, rel=1e-8)


def test_standardize_penalises_the_weights_of_the_standardized_features():
    X, y = make_data()
    p = problem(X, y, standardize=True)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    theta_z = augmented_ridge(Z, y, LAM)                         # ridge on z, then back to x's units
    w = theta_z[:-1] / X.std(axis=0)
    np.testing.assert_allclose(p.theta_star, np.r_[w, theta_z[-1] - w @ X.mean(axis=0)], rtol=1e-10)
    assert p.loss(p.theta_star) <= p.loss(p.theta_star * 1.001)


# ============================================================================
# optim.SGD with weight decay on the weight only
# ============================================================================
def train_sgd(X, y, groups, steps=3000, lr=0.2):
    net = nn.Linear(X.shape[1], 1, dtype=tinygrad_lr.float64)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    trainer = optim.SGD(groups(net), lr=lr)
    loss = nn.MSELoss()
    Xt, yt = tinygrad_lr.tensor(X), tinygrad_lr.tensor(y.reshape(-1, 1))
    for _ in range(steps):
        l = loss(net(Xt), yt)  # noqa: E741
        trainer.zero_grad()
        l.backward()
        trainer.step()
    return np.r_[net.weight.detach().numpy().ravel(), net.bias.detach().numpy()]


def test_sgd_with_weight_decay_on_the_weight_group_reaches_the_closed_form():
    X, y = make_data()
    Z = (X - X.mean(axis=0)) / X.std(axis=0)                     # well conditioned: batch GD converges quickly
    theta = train_sgd(Z, y, lambda net: param_groups(net, LAM))
    np.testing.assert_allclose(theta, augmented_ridge(Z, y, LAM), rtol=1e-9, atol=1e-9)


def test_weight_decay_on_every_parameter_also_shrinks_the_bias():
    X, y = make_data()
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    everything = train_sgd(Z, y, lambda net: [{"params": list(net.parameters()), "weight_decay": LAM}])
    right = augmented_ridge(Z, y, LAM)
    assert everything[-1] == pytest.approx(right[-1] / (1 + LAM), rel=1e-6)   # b = ȳ/(1 + λ): shrunk toward 0
    assert abs(everything[-1] - right[-1]) > 0.1


def test_param_groups_step_like_pytorch():
    torch = optional("torch")
    X, y = make_data(n=30)
    net = nn.Linear(3, 1, dtype=tinygrad_lr.float64)
    tnet = torch.nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        tnet.weight.copy_(torch.from_numpy(net.weight.detach().numpy()))
        tnet.bias.copy_(torch.from_numpy(net.bias.detach().numpy()))
    ours = optim.SGD(param_groups(net, LAM), lr=0.01, momentum=0.9)
    theirs = torch.optim.SGD([{"params": [tnet.weight], "weight_decay": LAM}, {"params": [tnet.bias]}], lr=0.01,
                             momentum=0.9)
    Xt, yt = tinygrad_lr.tensor(X), tinygrad_lr.tensor(y.reshape(-1, 1))
    Xp, yp = torch.from_numpy(X), torch.from_numpy(y.reshape(-1, 1))
    for _ in range(20):
        l = ((net(Xt) - yt) ** 2).mean()  # noqa: E741   (PyTorch's MSE, without the ½)
        ours.zero_grad()
        l.backward()
        ours.step()
        lt = torch.nn.functional.mse_loss(tnet(Xp), yp)
        theirs.zero_grad()
        lt.backward()
        theirs.step()
    np.testing.assert_allclose(net.weight.detach().numpy(), tnet.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(net.bias.detach().numpy(), tnet.bias.detach().numpy(), rtol=1e-12)


# ============================================================================
# tinygrad-lr fit --l2 and check
# ============================================================================
@pytest.mark.parametrize("method", ["closed", "batch", "minibatch", "sgd", "newton"])
def test_fit_l2_every_method_reaches_the_closed_form(tmp_path, capsys, method):
    X, y = make_data(duplicate=True)                              # singular XᵀX: only the penalty makes θ* unique
    report, err = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--l2", str(LAM),
                            "--method", method, "--standardize"], capsys)
    p = problem(X, y, standardize=True)
    assert report["l2"] == LAM and report["loss_definition"].startswith("1/(2n)·Σ(ŷ − y)² + (λ/2)·‖w‖²")
    assert report["closed_form"]["loss"] == pytest.approx(p.best_loss, rel=1e-12)
    assert report["relative_loss_gap"] < {"closed": 1e-12, "newton": 1e-12, "batch": 1e-6}.get(method, 1e-3)
    theta = np.r_[list(report["coefficients"].values()), report["bias"]]
    assert report["loss"] == pytest.approx(p.loss(theta), rel=1e-12)
    assert report["data_loss"] == pytest.approx(((X @ theta[:-1] + theta[-1] - y) ** 2).mean() / 2, rel=1e-12)
    assert report["data_loss"] < report["loss"]
    if method in ("closed", "newton"):
        assert report["distance_to_optimum"] < 1e-9
    assert "linearly dependent" not in err                       # no rank warning: the ridge system is regular


def test_fit_l2_text_output(tmp_path, capsys):
    X, y = make_data()
    assert cli.main(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--l2", "0.5",
                     "--method", "closed"]) == 0
    out = capsys.readouterr().out
    assert "method: ridge closed form w* = (X_cᵀX_c + nλI)⁻¹X_cᵀ(y − ȳ), b* = ȳ − x̄ᵀw*" in out
    assert "ridge: λ = 0.5 on w (the bias is not penalised); ½·mean((ŷ − y)²) alone:" in out
    assert "loss ½·mean((ŷ − y)²) + (λ/2)·‖w‖²:" in out


def test_fit_without_l2_reports_no_ridge_fields(tmp_path, capsys):
    X, y = make_data()
    report, _ = fit_json(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--method", "closed"], capsys)
    assert "l2" not in report and "data_loss" not in report


def test_fit_negative_l2_is_a_usage_error(tmp_path, capsys):
    X, y = make_data()
    with pytest.raises(SystemExit) as e:
        cli.main(["fit", write_csv(tmp_path / "d.csv", X, y), "--target", "y", "--l2", "-1"])
    assert e.value.code == 2
    assert "argument --l2: must be >= 0, got -1" in capsys.readouterr().err


def test_check_confirms_the_ridge_derivation_and_names_a_forgotten_penalty(capsys):
    items = check_cmd._derivations(0)
    title, formula, func, inputs, formulas, n, note = next(item for item in items if item[0].startswith("ridge"))
    assert formula == "∂ℓ/∂w = Xᵀ(Xw + b − y)/n + λw,  ∂ℓ/∂b = Σ(Xw + b − y)/n"
    from tinygrad_lr.check import check_gradients
    assert check_gradients(func, inputs, formulas, batch_size=n, verbose=False)
    forgotten = {"w": lambda w, b: formulas["w"](w, b) - 0.3 * w, "b": formulas["b"]}    # the λw left out
    result = check_gradients(func, inputs, forgotten, batch_size=n, verbose=False)
    assert not result and result["w"].verdict.startswith("WRONG") and result["b"].passed
