"""Every user mistake raises ValueError, TypeError, RuntimeError or IndexError whose message names the op,
the shapes or the value, and the fix; a test asserts each message."""
import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import tensor
from tinygrad_lr.autograd import Function


def _backward_twice():
    w = tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    loss.backward()


def _inplace_on_leaf():
    w = tinygrad_lr.zeros(2, 1, requires_grad=True)
    w -= 0.1


def _setitem_into_a_saved_output():
    x = tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()   # exp saves its output for backward
    h[0] = 5.0    # recorded (as in PyTorch), and it bumps h's version
    h.sum().backward()


def _inplace_on_a_view_of_a_leaf():
    w = tinygrad_lr.zeros(3, requires_grad=True)
    w[0:2].add_(1)


def _inplace_on_a_view_made_in_no_grad():
    h = tinygrad_lr.zeros(3, requires_grad=True) * 2
    with tinygrad_lr.no_grad():
        v = h[0:2]
    v.mul_(2)


class _TwoGradients(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g, g


class _WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        return np.ones(5)


M32, M31 = tinygrad_lr.ones(3, 2), tinygrad_lr.ones(3, 1)
X = tinygrad_lr.ones(2, 3)
W = tensor([1.0, 2.0], requires_grad=True)

MISTAKES = {
    # ---- shapes: matmul and broadcasting
    "matmul inner dims": (
        lambda: M32 @ M31, ValueError,
        r"^matmul: shapes \(3, 2\) and \(3, 1\) cannot be multiplied \(inner dimensions 2 and 3 differ\)"),
    "matmul function": (
        lambda: tinygrad_lr.matmul(tinygrad_lr.ones(3), tinygrad_lr.ones(2)), ValueError,
        r"^matmul: shapes \(3,\) and \(2,\) cannot be multiplied \(inner dimensions 3 and 2 differ\)"),
    "matmul 0-d": (
        lambda: tinygrad_lr.ones(3) @ tensor(2.0), ValueError,
        r"^matmul: both arguments need at least 1 dimension, got shapes \(3,\) and \(\); use \*"),
    "matmul batch dims": (
        lambda: tinygrad_lr.ones(2, 3, 4) @ tinygrad_lr.ones(3, 4, 5), ValueError,
        r"^matmul: the batch dimensions of shapes \(2, 3, 4\) and \(3, 4, 5\) cannot be broadcast"),
    "add broadcast": (
        lambda: tinygrad_lr.ones(3) + tinygrad_lr.ones(4), ValueError,
        r"^add: shapes \(3,\) and \(4,\) cannot be broadcast together \(dimension -1: 3 vs 4\).*reshape"),
    "mul broadcast": (
        lambda: X * tinygrad_lr.ones(3, 2), ValueError,
        r"^mul: shapes \(2, 3\) and \(3, 2\) cannot be broadcast together"),
    "sub broadcast with an array": (
        lambda: np.ones((5, 1)) - tinygrad_lr.ones(4, 2), ValueError,
        r"^sub: shapes \(5, 1\) and \(4, 2\) cannot be broadcast together \(dimension -2: 5 vs 4\)"),
    "div broadcast": (
        lambda: X / tinygrad_lr.ones(2), ValueError,
        r"^div: shapes \(2, 3\) and \(2,\)"),
    "compare broadcast": (
        lambda: X < tinygrad_lr.ones(2), ValueError,
        r"^lt: shapes \(2, 3\) and \(2,\) cannot be broadcast"),
    "predictions and labels of different lengths": (
        lambda: tinygrad_lr.ones(10) - tinygrad_lr.ones(8), ValueError,
        r"^sub: shapes \(10,\) and \(8,\) cannot be broadcast"),
    # ---- reshape
    "reshape count": (
        lambda: tinygrad_lr.ones(6).reshape(4, 2), ValueError,
        r"^reshape: cannot reshape a tensor of shape \(6,\) \(6 elements\) into shape \(4, 2\)"),
    "reshape -1 not dividing": (
        lambda: tinygrad_lr.ones(6).reshape(-1, 4), ValueError,
        r"^reshape: cannot reshape a tensor of shape \(6,\) \(6 elements\) into shape \(-1, 4\)"),
    "reshape two -1": (
        lambda: tinygrad_lr.ones(6).reshape(-1, -1), ValueError,
        r"^reshape: invalid shape \(-1, -1\): .*at most one may be -1"),
    "reshape negative": (
        lambda: tinygrad_lr.ones(6).reshape(-2, 3), ValueError,
        r"^reshape: invalid shape \(-2, 3\)"),
    "reshape not integers": (
        lambda: tinygrad_lr.ones(6).reshape(2.5, 2), TypeError,
        r"^reshape: the shape must be integers"),
    "view count": (
        lambda: tinygrad_lr.ones(6).view(5), ValueError,
        r"^view: cannot reshape a tensor of shape \(6,\)"),
    "expand": (
        lambda: X.expand(4, 3), ValueError,
        r"^expand: a tensor of shape \(2, 3\) cannot be expanded to \(4, 3\); only dimensions of size 1"),
    "t of 3-d": (
        lambda: tinygrad_lr.ones(2, 2, 2).t(), ValueError,
        r"^t: expects a tensor with at most 2 dimensions, got shape \(2, 2, 2\); use transpose"),
    # ---- dims
    "sum dim": (
        lambda: X.sum(2), IndexError,
        r"^sum: dim 2 is out of range for a tensor with 2 dimension\(s\) \(expected a dim from -2 to 1\)"),
    "sum negative dim": (
        lambda: X.sum(dim=-3), IndexError,
        r"^sum: dim -3 is out of range .*from -2 to 1"),
    "sum dim tuple": (
        lambda: X.sum((0, 5)), IndexError,
        r"^sum: dim 5 is out of range"),
    "sum repeated dim": (
        lambda: X.sum((0, -2)), ValueError,
        r"^sum: dim \(0, -2\) names the same dimension twice"),
    "sum dim float": (
        lambda: X.sum(0.5), TypeError,
        r"^sum: dim must be an integer, got 0.5"),
    "mean dim": (
        lambda: X.mean(dim=5), IndexError,
        r"^mean: dim 5 is out of range"),
    "mean of integers": (
        lambda: tensor([1, 2]).mean(), TypeError,
        r"^mean: needs a floating-point tensor, got int64; convert it first with .float\(\)"),
    "transpose dim": (
        lambda: X.transpose(0, 2), IndexError,
        r"^transpose: dim 2 is out of range"),
    "size dim": (
        lambda: X.size(2), IndexError,
        r"^size: dim 2 is out of range"),
    "unsqueeze dim": (
        lambda: X.unsqueeze(4), IndexError,
        r"^unsqueeze: dim 4 is out of range .*from -3 to 2"),
    "cat dim": (
        lambda: tinygrad_lr.cat([X, X], dim=2), IndexError,
        r"^cat: dim 2 is out of range"),
    "stack dim": (
        lambda: tinygrad_lr.stack([X, X], dim=3), IndexError,
        r"^stack: dim 3 is out of range .*from -3 to 2"),
    # ---- joining
    "stack shapes": (
        lambda: tinygrad_lr.stack([tinygrad_lr.ones(2), tinygrad_lr.ones(3)]), ValueError,
        r"^stack: expects tensors of the same shape, but tensor 0 has shape \(2,\) and tensor 1 has shape \(3,\)"),
    "cat shapes": (
        lambda: tinygrad_lr.cat([X, tinygrad_lr.ones(3, 2)]), ValueError,
        r"^cat: expects tensors of the same shape except in dim 0, but tensor 0 has shape \(2, 3\) and tensor 1 has "
        r"shape \(3, 2\)"),
    "cat 0-d": (
        lambda: tinygrad_lr.cat([tensor(1.0), tensor(2.0)]), ValueError,
        r"^cat: zero-dimensional tensors cannot be concatenated; use stack"),
    "cat nothing": (
        lambda: tinygrad_lr.cat([]), TypeError,
        r"^cat: expects a non-empty list or tuple of tensors"),
    "stack a tensor": (
        lambda: tinygrad_lr.stack(X), TypeError,
        r"^stack: expects a non-empty list or tuple"),
    # ---- indexing
    "index out of range": (
        lambda: X[5], IndexError,
        r"^index: index 5 is out of bounds for axis 0 with size 2 \(indexing a tensor of shape \(2, 3\)\)"),
    "negative index out of range": (
        lambda: X[0, -4], IndexError,
        r"^index: index -4 is out of bounds for axis 1 with size 3 .*\(2, 3\)"),
    "index tensor out of range": (
        lambda: X[tensor([0, 7])], IndexError,
        r"^index: index 7 is out of bounds for axis 0 with size 2"),
    "too many indices": (
        lambda: X[0, 0, 0], IndexError,
        r"^index: too many indices .*shape \(2, 3\)"),
    "float index": (
        lambda: X[1.5], IndexError,
        r"^index: only integers, slices, None, \.\.\., and integer or bool tensors/arrays are valid indices, got 1.5 "
        r"of type float"),
    "float index tensor": (
        lambda: X[tensor([1.0])], IndexError,
        r"^index: tensors used as indices must be integer or bool, got float32"),
    "mask of the wrong shape": (
        lambda: X[tensor([True, False, True])], IndexError,
        r"^index: a boolean mask of shape \(3,\) cannot select from a tensor of shape \(2, 3\) at dim 0: the mask "
        r"must have shape \(2,\)"),
    # ---- data
    "ragged": (
        lambda: tensor([[1, 2], [3]]), ValueError,
        r"^tensor: the nested sequence is ragged: at depth 1, element 1 is a sequence of length 1 but element 0 is a "
        r"sequence of length 2"),
    "ragged deeper": (
        lambda: tensor([[[1, 2], [3, 4]], [[1, 2], [3]]]), ValueError,
        r"^tensor: the nested sequence is ragged: at depth 2, element 1"),
    "number next to a list": (
        lambda: tensor([[1, 2], 3]), ValueError,
        r"^tensor: the nested sequence is ragged: .*element 1 is a number"),
    "text": (
        lambda: tensor(["1.5", "2"]), TypeError,
        r"^tensor: data must be numbers \(bool, int or float\), got '1.5' of type str"),
    "text among numbers": (
        lambda: tensor([1, "a"]), TypeError,
        r"^tensor: data must be numbers .*got 'a' of type str"),
    "None among numbers": (
        lambda: tensor([1.0, None]), TypeError,
        r"^tensor: data must be numbers .*got None of type NoneType"),
    "a dict": (
        lambda: tensor({"a": 1}), TypeError,
        r"^tensor: cannot make a tensor from dict"),
    "Tensor() of None": (
        lambda: tinygrad_lr.Tensor(None), TypeError,
        r"^Tensor: cannot make a tensor from NoneType"),
    "bad dtype": (
        lambda: tensor([1.0], dtype="float128x"), TypeError,
        r"^tensor: dtype='float128x' is not a data type"),
    "unsupported dtype": (
        lambda: tensor([1.0], dtype=np.complex64), TypeError,
        r"^tensor: dtype complex64 is not supported; supported: bool, float16, float32"),
    "negative size": (
        lambda: tinygrad_lr.zeros(2, -1), ValueError,
        r"^zeros: sizes must be non-negative integers, got \(2, -1\)"),
    "fractional size": (
        lambda: tinygrad_lr.randn(2.5), ValueError,
        r"^randn: sizes must be non-negative integers, got \(2.5,\)"),
    "negative std": (
        lambda: tinygrad_lr.normal(0, -1.0, (2,)), ValueError,
        r"^normal: std must be >= 0, got -1.0"),
    "normal without size": (
        lambda: tinygrad_lr.normal(0, 1), TypeError,
        r"^normal: .*pass size"),
    "arange step 0": (
        lambda: tinygrad_lr.arange(0, 5, 0), ValueError,
        r"^arange: step must be nonzero"),
    "seed not an integer": (
        lambda: tinygrad_lr.manual_seed(1.5), TypeError,
        r"^manual_seed: the seed must be an integer, got 1.5"),
    # ---- operands
    "a string operand": (
        lambda: X + "a", TypeError,
        r"^add: unsupported operand of type str; expected a Tensor, a NumPy array or a Python number"),
    "None operand": (
        lambda: None * X, TypeError,
        r"^mul: unsupported operand of type NoneType"),
    "string exponent": (
        lambda: X ** "2", TypeError,
        r"^pow: the exponent must be a number or a tensor, got str"),
    "integer to a negative integer power": (
        lambda: tinygrad_lr.tensor([1, 2]) ** tinygrad_lr.tensor([-1, 1]), RuntimeError,
        r"^pow: integers to negative integer powers are not allowed"),
    # ---- gradients
    "requires_grad on integers": (
        lambda: tensor([1, 2], requires_grad=True), TypeError,
        r"^requires_grad_: only floating-point tensors can require gradients, this one is int64; create it with "
        r"floats \(e.g. 1.0 rather than 1\) or convert it with .float\(\)"),
    "requires_grad_ on integers": (
        lambda: tinygrad_lr.arange(3).requires_grad_(), TypeError,
        r"^requires_grad_: only floating-point tensors .* int64"),
    "requires_grad on bool": (
        lambda: tinygrad_lr.zeros(2, dtype=tinygrad_lr.bool, requires_grad=True), TypeError,
        r"^requires_grad_: only floating-point tensors .* bool"),
    "stop requiring grad on a non-leaf": (
        lambda: (W * 2).requires_grad_(False), RuntimeError,
        r"^requires_grad_: this tensor was computed by MulBackward, .*\.detach\(\)"),
    "backward of a vector": (
        lambda: (W * 2).backward(), RuntimeError,
        r"^backward: grad can be implicitly created only for scalar outputs, but the output has shape \(2,\)\. "
        r"Reduce it to a scalar first \(e.g. loss.sum\(\) or loss.mean\(\)\), or pass gradient= .* with shape \(2,\)"),
    "backward with a wrongly shaped gradient": (
        lambda: (W * 2).backward(tinygrad_lr.ones(3)), RuntimeError,
        r"^backward: gradient has shape \(3,\) but the output has shape \(2,\); they must match"),
    "backward of a constant": (
        lambda: tinygrad_lr.ones(2).sum().backward(), RuntimeError,
        r"^backward: this tensor does not require grad and has no grad_fn.*requires_grad=True"),
    "backward computed under no_grad": (
        lambda: tinygrad_lr.no_grad()(lambda: (W * W).sum())().backward(), RuntimeError,
        r"^backward: this tensor does not require grad.*no_grad\(\)"),
    "backward twice": (
        _backward_twice, RuntimeError,
        r"^MulBackward: trying to backward through the graph a second time.*retain_graph=True"),
    "grad() of an input not requiring grad": (
        lambda: tinygrad_lr.autograd.grad((W * 2).sum(), tinygrad_lr.ones(2)), RuntimeError,
        r"^grad: input 0 \(shape \(2,\)\) does not require grad"),
    "grad() of an unused input": (
        lambda: tinygrad_lr.autograd.grad((W * 2).sum(), tensor([1.0], requires_grad=True)), RuntimeError,
        r"^grad: input 0 \(shape \(1,\)\) was not used .*allow_unused=True"),
    "assigning a grad of another shape": (
        lambda: setattr(tensor([1.0, 2.0], requires_grad=True), "grad", tinygrad_lr.ones(3)), ValueError,
        r"^grad: assigned grad has shape \(3,\), but the tensor has shape \(2,\)"),
    "retain_grad without grad": (
        lambda: tinygrad_lr.ones(2).retain_grad(), RuntimeError,
        r"^retain_grad: the tensor does not require grad"),
    "custom Function returns too many gradients": (
        lambda: _TwoGradients.apply(W).sum().backward(), RuntimeError,
        r"^_TwoGradientsBackward: backward returned 2 gradient\(s\) but forward took 1 positional argument\(s\)"),
    "custom Function returns a wrongly shaped gradient": (
        lambda: _WrongShape.apply(W).backward(), RuntimeError,
        r"^_WrongShapeBackward: backward returned a gradient of shape \(5,\) for input 0, which has shape \(2,\)"),
    # ---- in place
    "in place on a leaf requiring grad": (
        _inplace_on_leaf, RuntimeError,
        r"^sub_: a leaf tensor that requires grad \(shape \(2, 1\)\) cannot be changed in place while operations are "
        r"recorded.*no_grad\(\)"),
    "in place of another shape": (
        lambda: tinygrad_lr.ones(2).add_(tinygrad_lr.ones(3, 2)), ValueError,
        r"^add_: an operand of shape \(3, 2\) cannot be applied in place to a tensor of shape \(2,\)"),
    "in place float into int": (
        lambda: tensor([1, 2]).div_(2), TypeError,
        r"^div_: the result of type float64 cannot be stored in place in a int64 tensor"),
    "copy_ of another shape": (
        lambda: tinygrad_lr.ones(2).copy_(tinygrad_lr.ones(3)), ValueError,
        r"^copy_: a source of shape \(3,\) cannot be copied into a tensor of shape \(2,\)"),
    "in place on a view of a leaf": (
        _inplace_on_a_view_of_a_leaf, RuntimeError,
        r"^add_: a view of a leaf tensor that requires grad \(the view has shape \(2,\), the leaf \(3,\)\) is being "
        r"used in an in-place operation.*no_grad"),
    "in place on a view made in no_grad": (
        _inplace_on_a_view_made_in_no_grad, RuntimeError,
        r"^mul_: this view \(shape \(2,\)\) was made in no_grad mode and is being changed in place with grad mode"),
    "in place on an expanded tensor": (
        lambda: tinygrad_lr.ones(1).expand(3).add_(1), RuntimeError,
        r"^add_: this tensor's memory is read-only"),
    "setitem into an output saved for backward": (
        _setitem_into_a_saved_output, RuntimeError,
        r"^ExpBackward: the output saved for backward was modified by an in-place operation \(it is at version 1; "
        r"expected version 0\)"),
    # ---- conversions
    "item of many": (
        lambda: tinygrad_lr.ones(2, 3).item(), RuntimeError,
        r"^item: a tensor with 6 elements \(shape \(2, 3\)\) cannot be converted to a Python number; select one "
        r"element first"),
    "float() of many": (
        lambda: float(tinygrad_lr.ones(2)), RuntimeError,
        r"^item: a tensor with 2 elements"),
    "bool of many": (
        lambda: bool(tinygrad_lr.ones(2)), RuntimeError,
        r"^bool: the truth value of a tensor with 2 elements is ambiguous"),
    "format of many": (
        lambda: f"{tinygrad_lr.ones(2):.3f}", TypeError,
        r"^format: a tensor with 2 elements cannot take the format '.3f'"),
    "numpy of a tensor requiring grad": (
        lambda: W.numpy(), RuntimeError,
        r"^numpy: can't call numpy\(\) on a tensor that requires grad; use tensor.detach\(\).numpy\(\)"),
    "len of 0-d": (
        lambda: len(tensor(1.0)), TypeError,
        r"^len\(\) of a 0-d tensor"),
    "from_numpy of a list": (
        lambda: tinygrad_lr.from_numpy([1.0]), TypeError,
        r"^from_numpy: expected a NumPy array, got list"),
}


@pytest.mark.parametrize("name", list(MISTAKES))
def test_user_mistake_raises_a_message_naming_the_problem(name):
    action, error, pattern = MISTAKES[name]
    with pytest.raises(error, match=pattern) as info:
        action()
    assert info.value.__traceback__ is not None
    assert "Traceback" not in str(info.value)


def test_messages_do_not_chain_numpy_errors():
    """A user mistake shows our message only, not NumPy's exception underneath it."""
    for action in (lambda: M32 @ M31, lambda: tinygrad_lr.ones(3) + tinygrad_lr.ones(4), lambda: X[5]):
        with pytest.raises((ValueError, IndexError)) as info:
            action()
        e = info.value
        assert e.__cause__ is None and (e.__context__ is None or e.__suppress_context__)


def test_the_catalogue_of_mistakes_covers_the_issue():
    must = ["matmul inner dims", "add broadcast", "reshape count", "sum dim", "index out of range", "ragged", "text",
            "requires_grad on integers", "item of many", "backward of a vector",
            "backward with a wrongly shaped gradient", "backward of a constant", "in place on a leaf requiring grad"]
    assert set(must) <= set(MISTAKES)
    assert all(pattern.startswith("^") for _, _, pattern in MISTAKES.values())  # every message starts with its op
