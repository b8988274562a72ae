"""The hand-derivation checker: the lecture notes' formulas pass; the usual slips are named in words."""
import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr.autograd import Function
from tinygrad_lr.check import GradientCheck, check_gradients, check_module

N = 10
rng = np.random.default_rng(3)
X = rng.standard_normal((N, 2))
Y = X @ np.array([[2.0], [-3.4]]) + 4.2 + 0.01 * rng.standard_normal((N, 1))
W0, B0 = np.array([[0.5], [-0.2]]), np.array([0.1])


def loss(w, b):
    """ℓ = 1/(2n)·‖Xw + b − y‖² (the lecture notes' loss), with X and y NumPy arrays."""
    return ((tinygrad_lr.tensor(X) @ w + b - tinygrad_lr.tensor(Y)) ** 2).sum() / (2 * N)


def residual(w, b):
    return X @ w + b - Y


RIGHT = {"w": lambda w, b: X.T @ residual(w, b) / N,           # ∂ℓ/∂w = Xᵀ(Xw + b − y)/n
         "b": lambda w, b: residual(w, b).sum(axis=0) / N}     # ∂ℓ/∂b = Σ(Xw + b − y)/n


def check(formulas, **kwargs):
    kwargs.setdefault("verbose", False)
    return check_gradients(loss, {"w": W0, "b": B0}, formulas, **kwargs)


# ---- right formulas pass ---------------------------------------------------------------------
def test_the_lecture_notes_formulas_pass_and_the_table_is_printed(capsys):
    result = check_gradients(loss, {"w": W0, "b": B0}, RIGHT)
    assert result and isinstance(result, GradientCheck) and result.passed
    assert [r.verdict for r in result] == ["ok", "ok"]
    assert result["w"].max_abs_error < 1e-12 and result["b"].max_rel_error < 1e-12
    assert result["w"].numeric_error < 1e-7  # autograd agrees with finite differences too
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("check_gradients: loss(w, b) = ")
    assert lines[1].split() == ["input", "shape", "max", "abs", "error", "max", "rel", "error", "verdict"]
    assert lines[2].split()[:3] == ["w", "(2,", "1)"] and lines[2].split()[-1] == "ok"
    assert lines[3].split()[:2] == ["b", "(1,)"] and lines[3].split()[-1] == "ok"
    assert lines[4] == "all gradients agree"
    assert str(result) == out.rstrip("\n")


def test_the_scalar_form_for_y_equals_ax_plus_b():
    """loss = 1/(2m)·Σ(axᵢ + b − yᵢ)²; ∂/∂a = 1/m·Σ(axᵢ + b − yᵢ)xᵢ; ∂/∂b = 1/m·Σ(axᵢ + b − yᵢ)."""
    x = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    y = 2 * x + 1 + np.array([0.1, -0.2, 0.05, 0.0, 0.1])
    m = len(x)

    def scalar_loss(a, b):
        return ((a * tinygrad_lr.tensor(x) + b - tinygrad_lr.tensor(y)) ** 2).sum() / (2 * m)
    result = check_gradients(scalar_loss, {"a": 0.3, "b": -0.4}, {
        "a": lambda a, b: ((a * x + b - y) * x).sum() / m,
        "b": lambda a, b: (a * x + b - y).sum() / m}, verbose=False)
    assert result and result["a"].shape == () and result["a"].verdict == "ok"


def test_formulas_may_use_tensors_and_mean():
    Xt, Yt = tinygrad_lr.tensor(X), tinygrad_lr.tensor(Y)
    result = check({"w": lambda w, b: Xt.T @ (Xt @ w + b - Yt) / N,       # a Tensor comes back: fine
                    "b": lambda w, b: np.mean(residual(w, b), axis=0)})
    assert result


# ---- the usual slips, named ---------------------------------------------------------------------
def test_a_dropped_half_is_named():
    result = check({**RIGHT, "w": lambda w, b: 2 * X.T @ residual(w, b) / N})  # forgot the ½ of the loss
    assert not result and result["b"] and not result["w"]
    assert result["w"].factor == pytest.approx(2.0)
    assert result["w"].verdict == "WRONG (2×)"
    assert "your formula is 2 × the gradient: did you drop the ½ of the loss?" in result["w"].message
    assert result["w"].max_rel_error == pytest.approx(1.0)


def test_mean_versus_sum_is_named():
    result = check({**RIGHT, "b": lambda w, b: residual(w, b).sum(axis=0)})  # Σ without the 1/n
    assert not result and result["w"] and result["b"].factor == pytest.approx(N)
    assert "mean versus sum?" in result["b"].message and "a factor of 10" in result["b"].message
    named = check({**RIGHT, "b": lambda w, b: residual(w, b).sum(axis=0)}, batch_size=N)
    assert "your formula is 10 × (n) the gradient: mean versus sum? The loss averages over the n = 10 samples" \
        in named["b"].message
    divided_twice = check({**RIGHT, "w": lambda w, b: X.T @ residual(w, b) / N / N}, batch_size=N)
    assert "Your formula divides by n = 10, but the loss sums over the samples" in divided_twice["w"].message


def test_a_sign_error_is_named():
    result = check({**RIGHT, "w": lambda w, b: X.T @ (Y - (X @ w + b)) / N})  # y − ŷ instead of ŷ − y
    assert not result and result["w"].factor == pytest.approx(-1.0)
    assert "your formula is −1 × the gradient: sign: gradient ascent?" in result["w"].message


def test_a_half_too_many_and_combinations():
    half = check({**RIGHT, "w": lambda w, b: X.T @ residual(w, b) / (2 * N)})
    assert half["w"].factor == pytest.approx(0.5) and "a ½ too many" in half["w"].message
    both = check({**RIGHT, "b": lambda w, b: -2 * residual(w, b).sum(axis=0)}, batch_size=N)
    msg = both["b"].message
    assert "sign: gradient ascent?" in msg and "did you drop the ½" in msg and "mean versus sum?" in msg


def test_other_mistakes_are_described():
    odd = check({**RIGHT, "w": lambda w, b: 3.7 * X.T @ residual(w, b) / N})
    assert "a constant factor that is not ½, 2, −1 or the batch size" in odd["w"].message
    not_a_factor = check({**RIGHT, "w": lambda w, b: X.T @ residual(w, b) / N + np.array([[0.0], [1.0]])})
    assert "differs from the gradient by more than a constant factor; worst element [1, 0]" in \
        not_a_factor["w"].message
    zeros = check({**RIGHT, "w": lambda w, b: np.zeros((2, 1))})
    assert "your formula returns zeros" in zeros["w"].message


def test_a_wrong_shape_is_reported_clearly(capsys):
    result = check_gradients(loss, {"w": W0, "b": B0},
                             {**RIGHT, "w": lambda w, b: (X.T @ residual(w, b) / N).reshape(-1)})
    assert not result and result["w"].verdict == "WRONG SHAPE" and result["w"].formula_shape == (2,)
    assert result["w"].message.startswith("your formula returns (2,) for a (2, 1) parameter; the values are "
                                          "right: return them with .reshape(2, 1)")
    assert "your formula returns (2,) for a (2, 1) parameter" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"w: your formula returns \(2,\) for a \(2, 1\) parameter"):
        check({**RIGHT, "w": lambda w, b: (X.T @ residual(w, b) / N).reshape(-1)}, raise_exception=True)


def test_shape_mistakes_get_specific_hints():
    per_sample = check({**RIGHT, "b": lambda w, b: residual(w, b) / N})  # forgot Σ over samples
    assert "your formula returns (10, 1) for a (1,) parameter: one entry per sample?" in per_sample["b"].message
    assert "summed that way your values are right" in per_sample["b"].message
    transposed = check({**RIGHT, "w": lambda w, b: (residual(w, b).T @ X / N) * np.array([[1.0, 2.0]])})
    assert transposed["w"].verdict == "WRONG SHAPE"
    unrelated = check({**RIGHT, "w": lambda w, b: np.ones(5)})
    assert "your formula returns (5,) for a (2, 1) parameter; the gradient of a parameter has the parameter's " \
           "shape" == unrelated["w"].message


def test_a_transposed_formula_is_recognised():
    A = rng.standard_normal((3, 2))

    def f(M):
        return (tinygrad_lr.tensor(A) * M).sum() + (M * M).sum() / 2   # ∂/∂M = A + M
    M0 = rng.standard_normal((3, 2))
    result = check_gradients(f, {"M": M0}, {"M": lambda M: (A + M).T}, verbose=False)
    assert "your formula returns (2, 3) for a (3, 2) parameter; it is the transpose of the gradient" in \
        result["M"].message


def test_a_wrong_autograd_is_told_apart_from_a_wrong_formula():
    class BadSquareSum(Function):
        """out = Σx²   ∂L/∂x = g · x   (wrong: the 2 is missing)"""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x * x).sum()

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x
    result = check_gradients(BadSquareSum.apply, {"x": [1.0, -2.0]}, {"x": lambda x: 2 * x}, verbose=False)
    assert result["x"].verdict == "ok (numeric)" and result["x"].passed  # the formula is right ...
    assert not result and not result["x"].autograd_ok                     # ... autograd is not: no pass
    assert "your formula agrees with finite differences, but autograd does not" in result["x"].message
    assert "the backward of BadSquareSumBackward is wrong" in result["x"].message
    summary = str(result).splitlines()[-1]
    assert "agree" not in summary and summary.startswith("autograd's gradient is WRONG for x: the backward of "
                                                         "BadSquareSumBackward is wrong (created at ")


def test_inputs_without_a_formula_are_still_checked_against_finite_differences():
    result = check({"w": RIGHT["w"]})
    assert result and result["b"].verdict == "no formula" and result["b"].numeric_error < 1e-7


def test_sequence_inputs_and_formulas():
    result = check_gradients(loss, [W0, B0], [RIGHT["w"], None], verbose=False)
    assert result and [r.name for r in result] == ["x0", "x1"] and result["x1"].verdict == "no formula"


# ---- bad input ------------------------------------------------------------------------------------
def test_bad_input_messages():
    with pytest.raises(ValueError, match=r"check_gradients: there is no input named 'c' to check a formula "
                                         r"against; the inputs are 'w', 'b'"):
        check({"c": RIGHT["w"]})
    with pytest.raises(TypeError, match=r"check_gradients: the formula for 'w' returned None; it must return the "
                                        r"gradient, an array of shape \(2, 1\)"):
        check({"w": lambda w, b: None})
    with pytest.raises(TypeError, match=r"check_gradients: the formula for 'w' must be a function"):
        check({"w": 3.0})
    with pytest.raises(ValueError, match=r"check_gradients: the loss must be a scalar, but it has shape \(10, 1\); "
                                         r"reduce it"):
        check_gradients(lambda w, b: tinygrad_lr.tensor(X) @ w + b, {"w": W0, "b": B0}, RIGHT, verbose=False)
    with pytest.raises(TypeError, match=r"check_gradients: the loss function must return a tensor"):
        check_gradients(lambda w, b: 1.0, {"w": W0, "b": B0}, RIGHT, verbose=False)
    with pytest.raises(RuntimeError, match=r"check_gradients: the loss does not depend on the inputs"):
        check_gradients(lambda w, b: tinygrad_lr.tensor(1.0), {"w": W0, "b": B0}, RIGHT, verbose=False)
    with pytest.raises(TypeError, match=r"check_gradients: input 'w' must be a tensor, an array or a number"):
        check_gradients(loss, {"w": "abc", "b": B0}, RIGHT, verbose=False)


def test_an_error_inside_a_formula_says_which_formula():
    with pytest.raises(ValueError) as info:
        check({"w": lambda w, b: X @ X})  # (10, 2) @ (10, 2): the user's own NumPy error
    assert any("your formula for 'w'" in note for note in getattr(info.value, "__notes__", [])) or \
        not hasattr(info.value, "add_note")


# ---- whole models ----------------------------------------------------------------------------------
class TinyLinear:
    """A stand-in with the nn.Module API that check_module uses: named_parameters() and __call__."""

    def __init__(self):
        self.weight = tinygrad_lr.tensor([[0.5, -0.2]], requires_grad=True)    # float32, like nn.Linear
        self.bias = tinygrad_lr.tensor([0.1], requires_grad=True)

    def named_parameters(self):
        return [("weight", self.weight), ("bias", self.bias)]

    def __call__(self, X):
        return X @ self.weight.T + self.bias


def linear_formulas(half=True):
    """For ŷ = XWᵀ + b and ½·mean((ŷ − y)²): ∂/∂W = (ŷ − y)ᵀX/n, ∂/∂b = Σ(ŷ − y)/n."""
    k = 1 if half else 2
    return {"weight": lambda p, X, y: k * (X @ p["weight"].T + p["bias"] - y).T @ X / len(X),
            "bias": lambda p, X, y: k * (X @ p["weight"].T + p["bias"] - y).sum(axis=0) / len(X)}


def test_check_module_checks_every_parameter_in_float64_and_puts_them_back():
    model = TinyLinear()
    before = [model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy()]
    Xf, Yf = tinygrad_lr.tensor(X, dtype=tinygrad_lr.float32), tinygrad_lr.tensor(Y, dtype=tinygrad_lr.float32)
    result = check_module(model, None, Xf, Yf, linear_formulas(), verbose=False)
    assert result and [r.name for r in result] == ["weight", "bias"]
    assert result["weight"].max_rel_error < 1e-12  # float64: not float32's 1e-7
    assert model.weight.dtype == np.float32 and model.bias.dtype == np.float32
    np.testing.assert_array_equal(model.weight.detach().numpy(), before[0])
    np.testing.assert_array_equal(model.bias.detach().numpy(), before[1])
    assert model.weight.grad is None and model.bias.grad is None


def test_check_module_names_the_slip_with_the_batch_size():
    model = TinyLinear()
    wrong = {**linear_formulas(), "bias": lambda p, X, y: (X @ p["weight"].T + p["bias"] - y).sum(axis=0)}
    result = check_module(model, None, X, Y, wrong, verbose=False)
    assert not result and result["weight"] and "n = 10" in result["bias"].message
    lecture_shape = {"weight": lambda p, X, y: X.T @ (X @ p["weight"].T + p["bias"] - y) / len(X)}  # Xᵀr: (2, 1)
    result = check_module(model, None, X, Y, lecture_shape, verbose=False)
    assert result["weight"].message.startswith("your formula returns (2, 1) for a (1, 2) parameter")


def test_check_module_with_the_real_nn_linear_and_mse_loss():
    from tinygrad_lr import nn
    tinygrad_lr.manual_seed(0)
    model = nn.Linear(2, 1)
    Xf, Yf = tinygrad_lr.tensor(X, dtype=tinygrad_lr.float32), tinygrad_lr.tensor(Y, dtype=tinygrad_lr.float32)
    assert check_module(model, nn.MSELoss(), Xf, Yf, linear_formulas(), verbose=False)  # MSELoss keeps the ½
    result = check_module(model, nn.MSELoss(), Xf, Yf, linear_formulas(half=False), verbose=False)
    assert "did you drop the ½ of the loss?" in result["weight"].message
    assert model.weight.dtype == np.float32


def test_check_module_bad_input():
    with pytest.raises(TypeError, match=r"check_module: model must be a module"):
        check_module(object(), None, X, Y)
    with pytest.raises(ValueError, match=r"check_module: there is no input named 'w' to check a formula against; "
                                         r"the inputs are 'weight', 'bias'"):
        check_module(TinyLinear(), None, X, Y, {"w": lambda p, X, y: 0})
