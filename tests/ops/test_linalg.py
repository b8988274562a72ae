"""linalg.lstsq and linalg.solve: the closed form θ* = (AᵀA)⁻¹Aᵀy, checked against NumPy (and PyTorch).

A rank-deficient A (collinear or constant columns, fewer rows than columns) must
never give a silent answer: lstsq warns, naming the rank and the columns, and
returns the minimum-norm solution, which is NumPy's pinv(A) @ y.
"""
import warnings

import numpy as np
import pytest

import tinygrad_lr
from conftest import optional
from tinygrad_lr import linalg
from tinygrad_lr.autograd import gradcheck, gradgradcheck


def _regression(n=50, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    A = np.hstack([X, np.ones((n, 1))])                       # [X 1]
    y = X @ rng.normal(size=d) + 0.5 + 0.1 * rng.normal(size=n)
    return A, y


# ---- full rank: the normal equations' unique solution --------------------------------
@pytest.mark.parametrize("columns", [None, 2])
def test_lstsq_matches_numpy(columns):
    A, y = _regression()
    B = y if columns is None else np.stack([y, 2 * y + 1], axis=1)
    result = linalg.lstsq(tinygrad_lr.tensor(A), tinygrad_lr.tensor(B))
    x, residuals, rank, sv = np.linalg.lstsq(A, B, rcond=None)
    np.testing.assert_allclose(result.solution.numpy(), x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.residuals.numpy(), residuals.reshape(result.residuals.shape), rtol=1e-10)
    np.testing.assert_allclose(result.singular_values.numpy(), sv, rtol=1e-12)
    assert int(result.rank) == rank == 4
    assert result.solution.shape == x.shape and result.solution.dtype == tinygrad_lr.float64


def test_lstsq_solves_the_normal_equations():
    A, y = _regression(seed=1)
    theta = linalg.lstsq(A, y).solution.numpy()
    np.testing.assert_allclose(A.T @ A @ theta, A.T @ y, rtol=1e-10, atol=1e-10)       # AᵀAθ = Aᵀy
    np.testing.assert_allclose(theta, np.linalg.solve(A.T @ A, A.T @ y), rtol=1e-10)   # θ = (AᵀA)⁻¹Aᵀy


def test_lstsq_result_unpacks_like_pytorchs():
    A, y = _regression()
    solution, residuals, rank, singular_values = linalg.lstsq(A, y)
    assert isinstance(solution, tinygrad_lr.Tensor) and solution.shape == (4,)
    assert residuals.shape == () and rank.dtype == tinygrad_lr.int64 and singular_values.shape == (4,)
    assert not solution.requires_grad


def test_lstsq_exact_fit_of_a_line():
    A = tinygrad_lr.tensor([[1., 0.], [1., 1.], [1., 2.]])   # [1 x]
    result = linalg.lstsq(A, tinygrad_lr.tensor([1., 3., 5.]))   # y = 1 + 2x
    np.testing.assert_allclose(result.solution.numpy(), [1.0, 2.0], atol=1e-6)
    assert result.solution.dtype == tinygrad_lr.float32           # float32 in, float32 out


def test_lstsq_dtypes():
    A, y = _regression()
    assert linalg.lstsq(A.astype(np.float32), y.astype(np.float32)).solution.dtype == tinygrad_lr.float32
    assert linalg.lstsq(A.astype(np.float32), y).solution.dtype == tinygrad_lr.float64
    ints = linalg.lstsq(np.array([[1, 0], [1, 1], [1, 2]]), np.array([1, 3, 5]))
    assert ints.solution.dtype == tinygrad_lr.float32
    np.testing.assert_allclose(ints.solution.numpy(), [1, 2], atol=1e-5)


def test_residuals_are_empty_when_not_overdetermined_with_full_rank():
    A, y = _regression(n=4, d=3)                     # square
    assert linalg.lstsq(A, y).residuals.shape == (0,)


# ---- rank-deficient: warn, and return the minimum-norm solution -------------------------
def _rank_deficient_cases():
    A, y = _regression(n=30, d=3, seed=2)
    X = A[:, :3]
    ones = np.ones((30, 1))
    yield "duplicated column", np.hstack([X, X[:, :1], ones]), y, 4, [0, 3]
    yield "collinear column", np.hstack([X, 2 * X[:, 1:2] - X[:, 2:3], ones]), y, 4, [1, 2, 3]
    yield "constant column next to the ones", np.hstack([X, 3 * ones, ones]), y, 4, [3, 4]
    yield "fewer rows than columns", A[:3], y[:3], 3, [0, 1, 2, 3]


@pytest.mark.parametrize("name, A, y, rank, involved", list(_rank_deficient_cases()),
                         ids=[c[0] for c in _rank_deficient_cases()])
def test_rank_deficient_warns_and_returns_the_minimum_norm_solution(name, A, y, rank, involved):
    with pytest.warns(linalg.RankDeficientWarning, match=rf"has rank {rank} < {A.shape[1]} columns") as record:
        result = linalg.lstsq(A, y)
    message = str(record[0].message)
    assert "minimum-norm solution" in message and "drop the dependent column" in message
    assert record[0].message.rank == rank and list(record[0].message.columns) == involved
    theta = result.solution.numpy()
    np.testing.assert_allclose(theta, np.linalg.pinv(A) @ y, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(theta, np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-9, atol=1e-10)
    assert int(result.rank) == rank and result.residuals.shape == (0,)
    # it is a least-squares solution: the normal equations hold
    np.testing.assert_allclose(A.T @ (A @ theta - y), 0, atol=1e-9)


def test_rank_deficient_warning_points_at_the_caller():
    A = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    with pytest.warns(linalg.RankDeficientWarning) as record:
        linalg.lstsq(A, np.array([1.0, 2.0, 3.0]))
    assert record[0].filename == __file__


def test_full_rank_does_not_warn():
    A, y = _regression()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linalg.lstsq(A, y)


def test_rcond_sets_the_cutoff():
    A = np.diag([1.0, 1e-6])
    with pytest.warns(linalg.RankDeficientWarning, match="rank 1 < 2"):
        result = linalg.lstsq(A, np.array([1.0, 1.0]), rcond=1e-3)
    np.testing.assert_allclose(result.solution.numpy(), [1.0, 0.0])


# ---- mistakes ------------------------------------------------------------------------
def test_lstsq_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"lstsq: A has shape \(5, 2\) and B has shape \(4,\)"):
        linalg.lstsq(np.ones((5, 2)), np.ones(4))


@pytest.mark.parametrize("A, B, match", [
    (np.ones(5), np.ones(5), r"lstsq: A must be a matrix of shape \(m, n\), got shape \(5,\); .*reshape\(-1, 1\)"),
    (np.ones((2, 2, 2)), np.ones(2), r"A must be a matrix .* got shape \(2, 2, 2\)"),
    (np.ones((3, 2)), np.ones((3, 2, 1)), r"B must have shape \(3,\) or \(3, k\)"),
    (np.ones((0, 2)), np.ones(0), r"A has no rows"),
    (np.array([[1.0, np.nan], [1.0, 2.0]]), np.ones(2), r"A contains NaN or inf \(first at index \[0, 1\]\)"),
    (np.ones((2, 2)), np.array([1.0, np.inf]), r"B contains NaN or inf"),
])
def test_lstsq_bad_input(A, B, match):
    with pytest.raises(ValueError, match=match):
        linalg.lstsq(A, B)


def test_lstsq_bad_arguments():
    A, y = _regression()
    with pytest.raises(ValueError, match="lstsq: driver must be one of"):
        linalg.lstsq(A, y, driver="magic")
    with pytest.raises(ValueError, match="lstsq: rcond must be a number >= 0, got -1"):
        linalg.lstsq(A, y, rcond=-1)
    with pytest.raises(TypeError, match="lstsq: A must be a tensor or an array of numbers, got str"):
        linalg.lstsq("A", y)
    with pytest.raises(TypeError, match="lstsq: B must hold real numbers, got dtype complex128"):
        linalg.lstsq(A, y.astype(complex))
    for driver in ("gels", "gelsy", "gelsd", "gelss"):
        np.testing.assert_allclose(linalg.lstsq(A, y, driver=driver).solution.numpy(),
                                   linalg.lstsq(A, y).solution.numpy())


# ---- solve ---------------------------------------------------------------------------
def test_solve_matches_numpy():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(4, 4)) + 4 * np.eye(4), rng.normal(size=(4, 2))
    np.testing.assert_allclose(linalg.solve(A, B).numpy(), np.linalg.solve(A, B), rtol=1e-12)
    np.testing.assert_allclose(linalg.solve(tinygrad_lr.tensor(A), tinygrad_lr.tensor(B[:, 0])).numpy(),
                               np.linalg.solve(A, B[:, 0]), rtol=1e-12)
    out = linalg.solve(tinygrad_lr.tensor([[2., 0.], [0., 4.]]), tinygrad_lr.tensor([2., 2.]))
    assert out.dtype == tinygrad_lr.float32 and out.tolist() == [1.0, 0.5]


def test_solve_normal_equations_is_the_closed_form():
    A, y = _regression()
    At, yt = tinygrad_lr.tensor(A), tinygrad_lr.tensor(y)
    theta = linalg.solve(At.T @ At, At.T @ yt)
    np.testing.assert_allclose(theta.numpy(), linalg.lstsq(A, y).solution.numpy(), rtol=1e-10)


@pytest.mark.parametrize("vector", [False, True])
def test_solve_gradients(vector):
    rng = np.random.default_rng(4)
    A = tinygrad_lr.tensor(rng.normal(size=(3, 3)) + 3 * np.eye(3), requires_grad=True)
    B = tinygrad_lr.tensor(rng.normal(size=(3,) if vector else (3, 2)), requires_grad=True)
    assert gradcheck(linalg.solve, (A, B))
    assert gradgradcheck(linalg.solve, (A, B))


def test_solve_gradient_formula():
    """∂L/∂B = A⁻ᵀG and ∂L/∂A = −A⁻ᵀG Xᵀ, for L = Σ X ⊙ C (so G = C)."""
    rng = np.random.default_rng(5)
    a, b, c = rng.normal(size=(3, 3)) + 3 * np.eye(3), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    A, B = tinygrad_lr.tensor(a, requires_grad=True), tinygrad_lr.tensor(b, requires_grad=True)
    X = linalg.solve(A, B)
    (X * tinygrad_lr.tensor(c)).sum().backward()
    gB = np.linalg.solve(a.T, c)
    np.testing.assert_allclose(B.grad.numpy(), gB, rtol=1e-10)
    np.testing.assert_allclose(A.grad.numpy(), -gB @ np.linalg.solve(a, b).T, rtol=1e-10)


@pytest.mark.parametrize("A", [np.array([[1.0, 2.0], [2.0, 4.0]]),
                               np.array([[1.0, 1.0], [1.0, 1.0 + 1e-17]]),
                               np.zeros((2, 2))], ids=["singular", "singular to working precision", "zero"])
def test_solve_refuses_a_singular_matrix(A):
    with pytest.raises(linalg.LinAlgError, match=r"solve: A of shape \(2, 2\) is singular \(rank [01] < 2.*"
                                                 r"use linalg.lstsq\(A, B\)"):
        linalg.solve(A, np.ones(2))
    assert issubclass(linalg.LinAlgError, RuntimeError)


def test_solve_shape_mistakes():
    with pytest.raises(ValueError, match=r"solve: A must be square, got shape \(3, 2\); .*linalg.lstsq"):
        linalg.solve(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"solve: A has shape \(2, 2\) and B has shape \(3,\)"):
        linalg.solve(np.eye(2), np.ones(3))


# ---- PyTorch parity ------------------------------------------------------------------
def test_parity_with_pytorch():
    torch = optional("torch")
    A, y = _regression(seed=6)
    B = np.stack([y, y ** 2], axis=1)
    expected = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B)).solution.numpy()
    np.testing.assert_allclose(linalg.lstsq(A, B).solution.numpy(), expected, rtol=1e-10, atol=1e-12)
    M = A.T @ A
    tA, tB = torch.tensor(M, requires_grad=True), torch.tensor(B[:4], requires_grad=True)
    torch.linalg.solve(tA, tB).square().sum().backward()
    mA, mB = tinygrad_lr.tensor(M, requires_grad=True), tinygrad_lr.tensor(B[:4], requires_grad=True)
    X = linalg.solve(mA, mB)
    np.testing.assert_allclose(X.detach().numpy(), torch.linalg.solve(tA, tB).detach().numpy(), rtol=1e-10)
    (X * X).sum().backward()
    np.testing.assert_allclose(mA.grad.numpy(), tA.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(mB.grad.numpy(), tB.grad.numpy(), rtol=1e-8, atol=1e-12)
