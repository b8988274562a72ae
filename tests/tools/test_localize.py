"""A wrong backward is named: five seeded mistakes (a missing 2, a missing 1/n, the sign, a transpose, a missing
sum over a broadcast dimension) in custom Functions placed mid-graph, between built-in ops and a right custom
Function; gradcheck, check_gradients and check_module each name the right Function, the line that created it,
the input and the kind of error, every time."""
import re

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import nn
from _squares import Square, SquareNo2
from tinygrad_lr.autograd import Function, GradcheckError, gradcheck
from tinygrad_lr.autograd.localize import localize
from tinygrad_lr.check import check_gradients, check_module


class RowMeanNo1n(Function):
    """y = mean of each row (keepdim)   ∂L/∂x = g/n broadcast  (wrong: the 1/n is missing)"""
    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return x.mean(axis=1, keepdims=True)

    @staticmethod
    def backward(ctx, g):
        return g * np.ones(ctx.shape)


class NegExpNoSign(Function):
    """y = e⁻ˣ   ∂L/∂x = −e⁻ˣ·g  (wrong: the sign of the inner derivative is lost)"""
    @staticmethod
    def forward(ctx, x):
        y = np.exp(-x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class MatMulT(Function):
    """y = x @ W   ∂L/∂x = g @ Wᵀ, ∂L/∂W = xᵀ @ g  (wrong: gᵀ @ x, the transpose, for a square W)"""
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, g.T @ x


class CenterNoSum(Function):
    """y = x − mean(x, dim 0)   ∂L/∂x = g − mean(g, dim 0)  (wrong: the mean is broadcast along dim 0, and
    its gradient, a sum over dim 0, is missing)"""
    @staticmethod
    def forward(ctx, x):
        return x - x.mean(axis=0, keepdims=True)

    @staticmethod
    def backward(ctx, g):
        return g


# the Function, how it is applied, its input whose gradient is wrong, and words of the diagnosis
SEEDED = [
    (SquareNo2, lambda h, v: SquareNo2.apply(h), 0, "×½: half the right value: a factor 2 is missing"),
    (RowMeanNo1n, lambda h, v: RowMeanNo1n.apply(h), 0, "×3: n = 3 times the right value: a 1/n is missing"),
    (NegExpNoSign, lambda h, v: NegExpNoSign.apply(h), 0, "×−1: the sign is flipped"),
    (MatMulT, lambda h, v: MatMulT.apply(h, v), 1, "transposed: its transpose is the right gradient"),
    (CenterNoSum, lambda h, v: CenterNoSum.apply(h), 0, "missing (or wrong) a sum over dim 0"),
]
IDS = [case[0].__name__ for case in SEEDED]

rng = np.random.default_rng(0)
X = tinygrad_lr.tensor(rng.standard_normal((5, 3)))


def t(shape, requires_grad=True):
    return tinygrad_lr.tensor(rng.standard_normal(shape), requires_grad=requires_grad)


def graph(apply):
    """Built-in ops, then the Function under test, then built-in ops and a right custom Function."""
    def f(W, V):
        h = (X @ W).tanh()
        h = apply(h, V)
        return (Square.apply(h.sigmoid()) * 0.5).sum()
    return f


@pytest.mark.parametrize("cls, apply, bad_input, words", SEEDED, ids=IDS)
def test_gradcheck_names_the_wrong_function_its_line_input_and_kind(cls, apply, bad_input, words):
    W, V = t((3, 3)), t((3, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(graph(apply), (W, V))
    text = str(info.value)
    assert re.match(r"gradcheck: Jacobian mismatch for output 0 with respect to input [01],\n", text)  # PyTorch's
    assert ("The first op, in the order of the backward pass, whose backward disagrees with finite differences "
            "of its own forward:\n") in text
    where = f"    {cls.__name__}Backward (your Function {cls.__name__}), created at "
    assert where in text
    line = text.split(where)[1].splitlines()[0]  # the innermost line of this file that applied it
    assert "test_localize.py:" in line and f"{cls.__name__}.apply(h" in line.split(": ", 1)[1]
    assert f"its gradient for input {bad_input} (shape " in text and words in text
    assert "SquareBackward (your Function Square)" not in text  # the right one, nearer the output, agrees


@pytest.mark.parametrize("cls, apply, bad_input, words", SEEDED, ids=IDS)
def test_check_gradients_names_the_wrong_function_and_never_says_agree(cls, apply, bad_input, words):
    W0, V0 = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    result = check_gradients(graph(apply), {"W": W0, "V": V0}, {}, verbose=False)
    assert not result and result.localization.fault.op == cls.__name__
    assert result.localization.fault.input == bad_input and words in result.localization.fault.mismatch.text
    text = str(result)
    assert f"the backward of {cls.__name__}Backward is wrong" in text
    summary = text.splitlines()[-1]
    assert "agree" not in summary and f"the backward of {cls.__name__}Backward is wrong (created at " in summary
    html = result._repr_html_()  # in a notebook: the same report
    assert f"{cls.__name__}Backward (your Function {cls.__name__})" in html and "agree</p>" not in html


class Block(nn.Module):
    """Linear, then a custom Function, then a sum: the model check_module is given."""
    def __init__(self, apply):
        super().__init__()
        self.lin, self.apply_fn = nn.Linear(3, 3), apply
        self.V = nn.Parameter(tinygrad_lr.tensor(rng.standard_normal((3, 3))))

    def forward(self, x):
        return self.apply_fn(self.lin(x).tanh(), self.V).sum(1, keepdim=True)


@pytest.mark.parametrize("cls, apply, bad_input, words", SEEDED, ids=IDS)
def test_check_module_names_the_wrong_function(cls, apply, bad_input, words):
    Xa, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    result = check_module(Block(apply), None, Xa, y, verbose=False)
    assert not result and result.localization.fault.op == cls.__name__
    assert words in result.localization.fault.mismatch.text
    assert str(result).splitlines()[-1].startswith("autograd's gradient is WRONG for ")


def test_right_functions_pass_and_localize_finds_nothing():
    W, V = t((3, 3)), t((3, 3))
    f = graph(lambda h, v: Square.apply(h) @ v)
    assert gradcheck(f, (W, V))
    report = localize(f, (W, V))
    assert report.fault is None and report.checked == report.total >= 6 and not report.skipped
    assert str(report).startswith("Every op in the graph agrees with finite differences of its own forward")


def test_a_kink_is_not_blamed():
    """relu of relu: the second relu sees exact zeros, where finite differences straddle the kink."""
    x = tinygrad_lr.tensor([-1.0, 0.5, -0.3, 2.0], requires_grad=True)
    report = localize(lambda x: (x.relu().relu() * 3).sum(), (x,))
    assert report.fault is None and report.kinks >= 1


def test_every_wrong_node_with_first_only_false_and_the_order_of_the_backward_pass():
    W, V = t((3, 3)), t((3, 3))

    def f(W, V):
        h = NegExpNoSign.apply(X @ W)       # wrong, nearer the inputs
        return SquareNo2.apply(h @ V).sum()  # wrong, nearer the output: the backward pass meets it first
    report = localize(f, (W, V), first_only=False)
    assert report.fault.op == "SquareNo2" and report.checked == report.total


def test_a_backward_that_raises_is_named():
    class WrongShape(Function):
        """y = 2x, but backward returns a gradient of another shape"""
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return g.reshape(-1)[:2]
    x = t((2, 3))
    report = localize(lambda x: (WrongShape.apply(x.exp()) * 1.0).sum(), (x,))
    assert report.fault.op == "WrongShape" and "its backward raised: RuntimeError" in str(report)


def test_the_function_itself_as_func_and_a_bound_reference_taken_before():
    x = t((4,))
    assert localize(SquareNo2.apply, (x,)).fault.op == "SquareNo2"  # gradcheck(MyFunction.apply, ...)
    square_no_2 = SquareNo2.apply  # bound before the check: localize cannot watch it, and says so
    report = localize(lambda x: square_no_2(x.exp()).sum(), (x,))
    assert report.fault is None and "SquareNo2Backward (not made by a call of .apply inside the function" in \
        str(report)


def test_a_function_written_pytorch_style_is_checked_too():
    from tinygrad_lr import torch as facade

    class Cube(facade.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x * x  # wrong: 3x²
    x = t((3,))
    report = localize(lambda x: Cube.apply(x.tanh()).sum(), (x,))
    assert report.fault.op == "Cube" and report.fault.mismatch.factor == pytest.approx(1 / 3)


def test_float32_inputs_are_checked_in_float64():
    x = tinygrad_lr.tensor(rng.standard_normal((3, 2)), dtype=tinygrad_lr.float32, requires_grad=True)
    report = localize(lambda x: NegExpNoSign.apply(x * 2).sum(), (x,))
    assert report.fault.op == "NegExpNoSign" and report.fault.mismatch.factor == pytest.approx(-1)
