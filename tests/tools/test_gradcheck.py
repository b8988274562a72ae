"""gradcheck / gradgradcheck on custom autograd Functions: right ones pass, wrong ones are named precisely."""
import runpy
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lr
from _squares import Square, SquareNo2
from tinygrad_lr.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def t(values, requires_grad=True):
    return tinygrad_lr.tensor(values, dtype=tinygrad_lr.float64, requires_grad=requires_grad)


class ScaledProduct(Function):
    """out = s · x · y  (s a number)     ∂L/∂x = g · s · y     ∂L/∂y = g · s · x"""
    @staticmethod
    def forward(ctx, x, y, s):
        ctx.save_for_backward(x, y)
        ctx.s = s
        return s * x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = g * ctx.s * y if ctx.needs_input_grad[0] else None
        gy = g * ctx.s * x * (1 + (x > 1.5)) if ctx.needs_input_grad[1] else None  # wrong where x > 1.5
        return gx, gy, None


class ExpCopy(Function):
    """out = eˣ   ∂L/∂x = g · eˣ — right to first order, but the saved copy is a constant to autograd."""
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out.copy())  # an intermediate array: its dependence on x is lost
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


class ExpRight(Function):
    """out = eˣ   ∂L/∂x = g · out (the output itself is saved: differentiable again)"""
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


X = [1.0, 2.0, 3.0]


def test_passes_a_right_function():
    assert gradcheck(Square.apply, (t(X),)) is True
    assert gradcheck(Square.apply, t(X)) is True  # a single tensor instead of a tuple


def test_catches_a_wrong_function_and_names_input_element_values_and_tolerance():
    with pytest.raises(GradcheckError) as info:
        gradcheck(SquareNo2.apply, (t(X),))
    text = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert text.startswith("gradcheck: Jacobian mismatch for output 0 with respect to input 0,\n")  # PyTorch's
    assert "output 0 has shape (3,), input 0 has shape (3,)." in text
    assert "Worst entry: d output 0[2] / d input 0[2]" in text  # the largest excess: x = 3
    assert "    analytical (backward):                      3\n" in text
    assert "numerical (central differences, eps=1e-06): 6\n" in text
    assert "> atol + rtol·|numerical| = 1e-05 + 0.001·6 = 0.00601" in text
    assert "3 of 9 Jacobian entries are outside the tolerance" in text
    assert "analytical = 0.5 × numerical everywhere" in text


def test_raise_exception_false_warns_and_returns_false():
    with pytest.warns(UserWarning, match=r"Jacobian mismatch for output 0 with respect to input 0,"):
        assert gradcheck(SquareNo2.apply, (t(X),), raise_exception=False) is False


def test_names_the_input_and_the_element_among_several():
    x, y = t([1.0, 2.0]), t([0.5, -1.0])
    with pytest.raises(GradcheckError, match=r"with respect to input 1,\n.*input 1 has shape \(2,\)[\s\S]*"
                                             r"d output 0\[1\] / d input 1\[1\]"):
        gradcheck(ScaledProduct.apply, (x, y, 3.0))  # the number 3.0 passes through unchanged
    x_small = t([1.0, 1.2])
    assert gradcheck(ScaledProduct.apply, (x_small, y, 3.0))  # below 1.5 the formula is right


def test_inputs_that_do_not_require_grad_are_not_checked():
    x, y = t([1.0, 2.0]), t([0.5, -1.0], requires_grad=False)
    assert gradcheck(ScaledProduct.apply, (x, y, 3.0))  # y's wrong gradient is never asked for


def test_the_tolerances_are_pytorchs():
    import inspect
    params = inspect.signature(gradcheck).parameters
    assert (params["eps"].default, params["atol"].default, params["rtol"].default) == (1e-6, 1e-5, 1e-3)
    assert params["raise_exception"].default is True
    g2 = inspect.signature(gradgradcheck).parameters
    assert list(g2)[:3] == ["func", "inputs", "grad_outputs"] and g2["grad_outputs"].default is None


def test_a_looser_tolerance_accepts_a_small_error():
    class AlmostSquare(Function):
        """out = x²   ∂L/∂x = g · 2x · (1 + 10⁻⁴)"""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x * (1 + 1e-4)
    assert gradcheck(AlmostSquare.apply, (t(X),))  # within rtol=1e-3
    with pytest.warns(UserWarning, match="Jacobian mismatch"):
        assert gradcheck(AlmostSquare.apply, (t(X),), rtol=1e-6, atol=1e-8, raise_exception=False) is False


def test_several_outputs():
    def f(x):
        return x * 2, (x ** 3).sum()
    assert gradcheck(f, (t(X),))

    def g(x):
        return x * 2, SquareNo2.apply(x).sum()
    with pytest.raises(GradcheckError, match=r"Jacobian mismatch for output 1 with respect to input 0,\noutput 1 has shape \(\)"):
        gradcheck(g, (t(X),))


def test_composed_builtin_ops_pass():
    rng = np.random.default_rng(0)
    X_, y_ = t(rng.standard_normal((5, 2)), False), t(rng.standard_normal((5, 1)), False)

    def loss(w, b):
        return ((X_ @ w + b - y_) ** 2).mean() / 2 + (w.tanh() * b.sigmoid()).sum()
    w, b = t(rng.standard_normal((2, 1))), t([0.1])
    assert gradcheck(loss, (w, b))
    assert gradgradcheck(loss, (w, b))


def test_nondeterministic_backward_is_caught():
    calls = []

    class Noisy(Function):
        """out = 2x   ∂L/∂x = 2g, plus a different tiny error on every call"""
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * (2 + 1e-9 * len(calls))
    with pytest.raises(GradcheckError, match=r"backward is not reentrant: two backward passes for output 0 with "
                                             r"respect to input 0 gave different gradients"):
        gradcheck(Noisy.apply, (t(X),))
    assert gradcheck(Noisy.apply, (t(X),), nondet_tol=1e-6)


# ---- gradgradcheck ---------------------------------------------------------------------------
def test_gradgradcheck_passes_a_function_that_saves_its_output():
    assert gradgradcheck(ExpRight.apply, (t([0.5, -1.0]),))
    assert gradgradcheck(Square.apply, (t(X),), (t([1.0, -2.0, 0.5]),))  # explicit grad_outputs


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = t([0.5, -1.0])
    assert gradcheck(ExpCopy.apply, (x,))  # the first derivative is right ...
    with pytest.raises(GradcheckError, match=r"gradgradcheck: Jacobian mismatch for the gradient for input 0 "
                                             r"with respect to input 0,\n.* has shape \(2,\)"):
        gradgradcheck(ExpCopy.apply, (x,))  # ... its derivative is not: the saved copy is a constant
    with pytest.raises(GradcheckError, match=r"analytical = 0 where numerical is not: backward's result does not "
                                             r"depend on this input \(a value it uses was saved as a copy"):
        gradgradcheck(ExpCopy.apply, (x,))


def test_gradgradcheck_names_grad_outputs_as_inputs():
    class SquareCutsG(Function):
        """out = x²   ∂L/∂x = g · 2x, but backward detaches g: right to first order, cut at second"""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            g = g.detach() if isinstance(g, tinygrad_lr.Tensor) else g  # the bug: no graph through g
            return g * 2 * x
    assert gradcheck(SquareCutsG.apply, (t(X),))
    # gradgradcheck differentiates (x, v) ↦ vᵀ·∂f/∂x = 2vx with respect to v too: 2x, but backward says 0
    with pytest.raises(GradcheckError, match=r"for the gradient for input 0 with respect to "
                                             r"grad_outputs\[0\],\n.*grad_outputs\[0\] has shape \(3,\)"):
        gradgradcheck(SquareCutsG.apply, (t(X),))


def test_the_custom_function_example():
    example = runpy.run_path(str(Path(__file__).resolve().parents[2] / "examples" / "custom_function_loss.py"))
    ok, largest_difference = example["main"](verbose=False)
    assert ok and largest_difference < 1e-12
    LinearRegressionLoss = example["LinearRegressionLoss"]
    rng = np.random.default_rng(1)
    X_, y_ = t(rng.standard_normal((6, 2)), False), t(rng.standard_normal((6, 1)), False)
    w, b = t(rng.standard_normal((2, 1))), t([0.3])
    assert gradcheck(LinearRegressionLoss.apply, (X_, w, b, y_))
    loss = LinearRegressionLoss.apply(X_, w, b, y_)
    loss.backward()
    r = X_.numpy() @ w.detach().numpy() + 0.3 - y_.numpy()
    np.testing.assert_allclose(w.grad.numpy(), X_.numpy().T @ r / 6)  # the lecture notes' formulas
    np.testing.assert_allclose(b.grad.numpy(), r.sum(axis=0) / 6)


# ---- bad input ------------------------------------------------------------------------------------
def test_float32_inputs_get_a_warning_that_says_why():
    x = tinygrad_lr.tensor(X, dtype=tinygrad_lr.float32, requires_grad=True)
    with pytest.warns(UserWarning, match=r"gradcheck: input 0 is float32, not float64\. Finite differences need "
                                         r"double precision: float32 keeps about 7 significant digits.*"
                                         r"dtype=tinygrad_lr.float64"):
        with pytest.raises(GradcheckError):  # and indeed: rounding error swamps the numerical derivative
            gradcheck(Square.apply, (x,))


def test_no_input_requires_grad():
    with pytest.raises(ValueError, match=r"gradcheck: none of the inputs requires grad.*requires_grad=True"):
        gradcheck(Square.apply, (t(X, requires_grad=False),))
    with pytest.raises(ValueError, match=r"gradgradcheck: none of the inputs requires grad"):
        gradgradcheck(Square.apply, (t(X, requires_grad=False),))


def test_unsupported_modes_and_bad_arguments():
    with pytest.raises(ValueError, match=r"gradcheck: check_forward_ad=True is not supported: tinygrad_lr has "
                                         r"reverse mode only"):
        gradcheck(Square.apply, (t(X),), check_forward_ad=True)
    with pytest.raises(TypeError, match=r"gradcheck: the function must return a tensor or a tuple of tensors; "
                                        r"output 0 is a float"):
        gradcheck(lambda x: 1.0, (t(X),))
    with pytest.raises(ValueError, match=r"gradgradcheck: got 2 grad_outputs for 1 output\(s\)"):
        gradgradcheck(Square.apply, (t(X),), (t(X), t(X)))
    with pytest.raises(ValueError, match=r"gradgradcheck: grad_outputs\[0\] must be a tensor of the output's shape "
                                         r"\(3,\)"):
        gradgradcheck(Square.apply, (t(X),), (t([1.0]),))
