"""Numerical safety: finite where the true value is finite, PyTorch's conventions at kinks, honest warnings.

- sigmoid, tanh and exp stay finite (and their gradients too) for any |x|:
  σ(±1000) is 1 / 0 with gradient 0, in float32 and float64; σ keeps its tiny
  left tail, so ln σ(−40) = −40 (not ln 0).
- log(0) is −inf, and under ``detect_anomaly`` the backward of log(0) names
  LogBackward, its formula and the line.
- MSELoss in float32 on large values overflows exactly where PyTorch's does,
  and its gradient (ŷ − y)/n stays finite.
- The gradients of |x| and relu at 0 are 0, as in PyTorch.
- Warnings: where an op's exact answer is ±inf or 0 at a singular point
  (e^1000 = inf, ln 0 = −inf, the slope of ln and √ at 0, 0⁻¹), the result
  comes silently, as in PyTorch.  NumPy's RuntimeWarning is kept where a NaN
  appears (ln of a negative number, 0/0) and for division by zero and
  overflow in arithmetic (an empty batch, a zero std, a diverging run):
  PyTorch is silent there, tinygrad_lr lets NumPy say so.
"""
import math
import warnings

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import nn
from tinygrad_lr.autograd import detect_anomaly, grad
from conftest import optional

DTYPES = [tinygrad_lr.float32, tinygrad_lr.float64]


def leaf(values, dtype=tinygrad_lr.float64):
    return tinygrad_lr.tensor(values, dtype=dtype, requires_grad=True)


def value_and_grad(fn, values, dtype):
    """fn(x) and ∂Σfn(x)/∂x, with every NumPy warning turned into an error."""
    x = leaf(values, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(x)
        out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype  # float32 stays float32
    return out.detach().numpy(), x.grad.numpy()


# ---- sigmoid, tanh, exp: finite, with finite gradients, at any |x| ------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sigmoid_of_plus_minus_1000_is_one_and_zero_with_a_zero_gradient(dtype):
    out, g = value_and_grad(lambda x: x.sigmoid(), [-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype)
    assert out[0] == 0 and out[2] == 0.5 and out[3] == 1 and out[4] == 1
    assert out[1] < 1e-40
    np.testing.assert_array_equal(g[[0, 3, 4]], 0)  # σ'(x) = σ(1 − σ) is below the dtype's resolution
    assert g[2] == 0.25 and np.all(np.isfinite(g))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sigmoid_keeps_its_left_tail(dtype):
    """σ(x) ≈ eˣ for x ≪ 0: ln σ(x) must be x, not ln 0 (the log-likelihood of logistic regression)."""
    out, g = value_and_grad(lambda x: x.sigmoid().log(), [-40.0, -30.0, -20.0, -5.0], dtype)
    expected = -np.log1p(np.exp(-np.array([-40.0, -30.0, -20.0, -5.0])))
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(g, 1 - 1 / (1 + np.exp([40.0, 30.0, 20.0, 5.0])), rtol=1e-6)  # 1 − σ(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_tanh_saturates_to_plus_minus_one_with_a_zero_gradient(dtype):
    out, g = value_and_grad(lambda x: x.tanh(), [-1000.0, -50.0, 50.0, 1000.0], dtype)
    np.testing.assert_array_equal(out, [-1, -1, 1, 1])
    np.testing.assert_array_equal(g, 0)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_exp_of_a_large_negative_number_is_zero_and_of_a_large_one_inf_silently(dtype):
    out, g = value_and_grad(lambda x: x.exp(), [-1000.0, -100.0, 0.0], dtype)
    np.testing.assert_array_equal(out[[0, 2]], [0, 1])
    np.testing.assert_array_equal(g[[0, 2]], [0, 1])
    big = 100.0 if dtype == np.float32 else 1000.0  # e¹⁰⁰ > 3.4e38, the float32 maximum
    out, g = value_and_grad(lambda x: x.exp(), [big], dtype)
    assert out[0] == np.inf and g[0] == np.inf


# ---- compositions: the overflowing formula and the stable one --------------------------------------
def softplus_naive(x):
    return (1 + x.exp()).log()          # ln(1 + eˣ): e¹⁰⁰⁰ overflows


def softplus_stable(x):
    return x.relu() + (1 + (-x.abs()).exp()).log()   # max(x, 0) + ln(1 + e^−|x|): the same function


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_softplus_the_stable_composition_stays_finite_where_the_naive_one_overflows(dtype):
    xs = [-1000.0, -30.0, -1.0, 1.0, 30.0, 1000.0]
    out, g = value_and_grad(softplus_stable, xs, dtype)
    x = np.array(xs)
    expected = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    # absolute accuracy: ln(1 + e⁻³⁰) rounds 1 + e⁻³⁰ first (there is no log1p), as PyTorch's composition does
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-13, atol=np.finfo(dtype).eps)
    np.testing.assert_allclose(g, np.exp(-np.logaddexp(0, -x)), rtol=1e-6)  # softplus' = σ
    naive = softplus_naive(leaf(xs, dtype)).detach().numpy()
    assert naive[-1] == np.inf        # ln(1 + inf): the composition overflows, in PyTorch too
    np.testing.assert_allclose(naive[1:-1], expected[1:-1], rtol=1e-5, atol=np.finfo(dtype).eps)


def test_the_compositions_match_pytorch():
    torch = optional("torch")
    xs = [-1000.0, -30.0, -1.0, 1.0, 30.0, 1000.0]
    for ours_fn in (softplus_stable, softplus_naive, lambda x: x.sigmoid().log(), lambda x: -softplus_stable(-x)):
        for dtype, tdtype in ((tinygrad_lr.float64, torch.float64), (tinygrad_lr.float32, torch.float32)):
            x, t = leaf(xs, dtype), torch.tensor(xs, dtype=tdtype, requires_grad=True)
            with np.errstate(all="ignore"):
                a, b = ours_fn(x), ours_fn(t)
                a.sum().backward()
            b.sum().backward()
            rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-15)  # ln(1 − 1e−13): 1 ulp of 1
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    reference = torch.nn.functional.softplus(torch.tensor(xs, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(softplus_stable(leaf(xs)).detach().numpy(), reference, rtol=1e-13, atol=1e-15)


# ---- log(0) -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_log_of_zero_is_minus_inf_and_its_slope_inf_silently(dtype):
    out, g = value_and_grad(lambda x: x.log(), [0.0, 1.0], dtype)
    assert out[0] == -np.inf and out[1] == 0
    assert g[0] == np.inf and g[1] == 1


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_log_of_zero_under_detect_anomaly_names_the_op_the_formula_and_the_line(dtype):
    x = leaf([1.0, 0.0, 2.0], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # the report is the only message: no NumPy warning before it
        with pytest.raises(RuntimeError) as info:
            with detect_anomaly():
                loss = (x.log() * 3).sum()  # log of 0: the culprit
                loss.backward()
    text = str(info.value)
    assert text.startswith("LogBackward: backward returned inf in the gradient of input 0 (shape (3,), "
                           "first at index (1,))")
    assert "out = ln x" in text and "∂L/∂x = g / x" in text
    assert "loss = (x.log() * 3).sum()  # log of 0: the culprit" in text
    assert "log(0)" in text  # the typical causes


def test_log_of_zero_inside_a_loss_under_detect_anomaly_second_order():
    """The same report when the failing backward is a double backward (create_graph=True)."""
    x = leaf([0.0, 1.0])
    with pytest.raises(RuntimeError, match=r"^LogBackward: backward returned inf"):
        with detect_anomaly():
            g, = grad((x * x).sum(), x, create_graph=True)
            grad(g.log().sum(), x)


# ---- MSELoss in float32 on large values -----------------------------------------------------
LARGE = [1e4, 1e10, 1e17, 1e18, 1e19, 1e20]


def _mse_f32(v, n=1000):
    pred = tinygrad_lr.full((n, 1), v, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow: asserted separately below
        loss = nn.MSELoss()(pred, tinygrad_lr.zeros(n, 1))
        loss.backward()
    return loss.item(), pred.grad.numpy()


@pytest.mark.parametrize("v", LARGE)
def test_mse_loss_float32_on_large_values_finite_gradient_and_inf_only_when_the_sum_overflows(v):
    """ℓ = Σ(ŷ − y)²/(2n): the sum of squares is what overflows (above 3.4e38), as in PyTorch.
    The gradient (ŷ − y)/n is finite whenever ŷ − y is: training can go on."""
    n = 1000
    loss, g = _mse_f32(v, n)
    sum_of_squares = n * v * v
    if sum_of_squares < 3e38:
        np.testing.assert_allclose(loss, sum_of_squares / (2 * n), rtol=1e-5)
    else:
        assert loss == np.inf
    np.testing.assert_allclose(g, v / n, rtol=1e-6)
    assert g.dtype == np.float32


def test_mse_loss_float32_overflow_warns_and_float64_does_not_overflow():
    with pytest.warns(RuntimeWarning, match="overflow"):   # the first sign of a diverging run
        nn.MSELoss()(tinygrad_lr.full((1000, 1), 1e18), tinygrad_lr.zeros(1000, 1))
    loss = nn.MSELoss()(tinygrad_lr.full((1000, 1), 1e18, dtype=tinygrad_lr.float64),
                        tinygrad_lr.zeros(1000, 1, dtype=tinygrad_lr.float64))
    assert loss.item() == pytest.approx(5e35, rel=1e-12)


@pytest.mark.parametrize("v", LARGE)
def test_mse_loss_float32_on_large_values_matches_pytorch(v):
    torch = optional("torch")
    loss, g = _mse_f32(v)
    pred = torch.full((1000, 1), v, requires_grad=True)
    expected = torch.nn.functional.mse_loss(pred, torch.zeros(1000, 1)) / 2   # ours keeps the ½
    expected.backward()
    assert math.isinf(loss) == math.isinf(expected.item())
    if not math.isinf(loss):
        assert loss == pytest.approx(expected.item(), rel=1e-5)
    np.testing.assert_allclose(g, pred.grad.numpy(), rtol=1e-6)


# ---- kinks: |x| and relu at 0 ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("op", ["abs", "relu"])
def test_gradient_of_abs_and_relu_at_zero_is_zero_as_in_pytorch(op, dtype):
    _, g = value_and_grad(lambda x: getattr(x, op)(), [-0.0, 0.0, -2.0, 3.0], dtype)
    expected = [0, 0, -1, 1] if op == "abs" else [0, 0, 0, 1]
    np.testing.assert_array_equal(g, expected)


def test_kinks_match_pytorch_including_the_second_derivative():
    torch = optional("torch")
    values = [-0.0, 0.0, -2.0, 3.0]
    for op in ("abs", "relu"):
        x, t = leaf(values), torch.tensor(values, dtype=torch.float64, requires_grad=True)
        g, = grad((getattr(x, op)() * x).sum(), x, create_graph=True)   # d/dx (x·|x|) = 2|x|
        gt, = torch.autograd.grad((getattr(t, op)() * t).sum(), t, create_graph=True)
        np.testing.assert_array_equal(g.detach().numpy(), gt.detach().numpy())
        h, = grad(g.sum(), x)
        ht, = torch.autograd.grad(gt.sum(), t)
        np.testing.assert_array_equal(h.numpy(), ht.numpy())


# ---- the RuntimeWarning policy --------------------------------------------------------------
def _f32(v):
    return tinygrad_lr.tensor(v)


def _f64(v):
    return tinygrad_lr.tensor(v, dtype=tinygrad_lr.float64)


def _slope_at_zero(fn):
    x = leaf([0.0])
    fn(x).sum().backward()
    return x.grad


SILENT = {   # the exact answer is ±inf or 0: no warning, as in PyTorch
    "exp(1000) = inf": (lambda: _f64([1000.0]).exp(), np.inf),
    "exp(-1000) = 0": (lambda: _f64([-1000.0]).exp(), 0.0),
    "exp(100) in float32 = inf": (lambda: _f32([100.0]).exp(), np.inf),
    "log(0) = -inf": (lambda: _f64([0.0]).log(), -np.inf),
    "slope of log at 0 = inf": (lambda: _slope_at_zero(lambda x: x.log()), np.inf),
    "0 ** -1 = inf": (lambda: _f64([0.0]) ** -1, np.inf),
    "0 ** -0.5 = inf": (lambda: _f64([0.0]) ** -0.5, np.inf),
    "slope of sqrt at 0 = inf": (lambda: _slope_at_zero(lambda x: x.sqrt()), np.inf),
    "sigmoid(-1000) = 0": (lambda: _f32([-1000.0]).sigmoid(), 0.0),
    "sigmoid(1000) = 1": (lambda: _f32([1000.0]).sigmoid(), 1.0),
    "tanh(-1000) = -1": (lambda: _f32([-1000.0]).tanh(), -1.0),
    "2 ** -2000 = 0": (lambda: 2 ** _f64([-2000.0]), 0.0),
}

WARNS = {    # NaN, division by zero, overflow in arithmetic: NumPy's warning is kept (PyTorch is silent)
    "log(-1) = nan": (lambda: _f64([-1.0]).log(), np.nan, "invalid value"),
    "0 / 0 = nan": (lambda: _f64([0.0]) / _f64([0.0]), np.nan, "invalid value"),
    "1 / 0 = inf": (lambda: _f64([1.0]) / _f64([0.0]), np.inf, "divide by zero"),
    "(1e20) ** 2 in float32 = inf": (lambda: _f32([1e20]) ** 2, np.inf, "overflow"),
    "1e30 * 1e30 in float32 = inf": (lambda: _f32([1e30]) * _f32([1e30]), np.inf, "overflow"),
}


@pytest.mark.parametrize("case", list(SILENT))
def test_exact_infinities_and_zeros_come_without_warnings(case):
    fn, expected = SILENT[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn()
    np.testing.assert_array_equal(out.detach().numpy(), [expected])


@pytest.mark.parametrize("case", list(WARNS))
def test_nan_division_by_zero_and_overflow_keep_numpys_warning(case):
    fn, expected, message = WARNS[case]
    with pytest.warns(RuntimeWarning, match=message):
        out = fn()
    np.testing.assert_array_equal(out.detach().numpy(), [expected])


def test_the_warning_policy_matches_pytorchs_values():
    """Silent or not, the values are PyTorch's."""
    torch = optional("torch")
    cases = {"exp": ([1000.0, -1000.0], "exp"), "log": ([0.0, -1.0, 1.0], "log"),
             "sigmoid": ([-1000.0, 1000.0, 0.0], "sigmoid"), "tanh": ([-1000.0, 1000.0], "tanh")}
    for values, op in cases.values():
        with np.errstate(all="ignore"):
            ours = getattr(_f64(values), op)().numpy()
        np.testing.assert_array_equal(ours, getattr(torch.tensor(values, dtype=torch.float64), op)().numpy())
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal((_f64([1.0, 0.0]) / _f64([0.0, 0.0])).numpy(),
                                      (torch.tensor([1.0, 0.0], dtype=torch.float64) / 0.0).numpy())
