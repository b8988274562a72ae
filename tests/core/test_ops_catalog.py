"""Every op of the catalog (tests/_catalog.py): forward against NumPy, gradient against finite differences.

The gradient check is the definition of a derivative: for L = Σ out · G (G a
fixed, non-uniform ∂L/∂out), each ∂L/∂xᵢ must match the central difference
(L(xᵢ + ε) − L(xᵢ − ε)) / 2ε of the NumPy reference, in float64.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr
from _catalog import CATALOG, as_array, cotangent, inputs, tinygrad_leaves

EXAMPLES = settings(max_examples=12, deadline=None, derandomize=True)


def numerical_gradient(f, arrays, i, eps=1e-6):
    """Central differences of the scalar f(*arrays) with respect to arrays[i], element by element."""
    x = arrays[i]
    grad = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        old = x[j]
        x[j] = old + eps
        up = f(*arrays)
        x[j] = old - eps
        down = f(*arrays)
        x[j] = old
        grad[j] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("op", CATALOG, ids=repr)
@EXAMPLES
@given(data=st.data())
def test_forward_matches_numpy(op, data):
    arrays = data.draw(inputs(op))
    out = op.fn(tinygrad_lr, *[tinygrad_lr.tensor(a) for a in arrays])
    expected = np.asarray(op.ref(*arrays))
    assert isinstance(out, tinygrad_lr.Tensor)
    assert out.shape == expected.shape, f"{op.name}: shape {out.shape}, NumPy says {expected.shape}"
    assert out.dtype == np.float64, f"{op.name}: float64 inputs gave {out.dtype}"
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12, err_msg=op.name)

    # the same op on leaves that require grad, under no_grad: the same values, nothing recorded
    with tinygrad_lr.no_grad():
        quiet = op.fn(tinygrad_lr, *tinygrad_leaves(arrays))
    assert quiet.grad_fn is None and not quiet.requires_grad, f"{op.name} recorded a graph under no_grad"
    np.testing.assert_array_equal(quiet.numpy(), out.numpy())


@pytest.mark.parametrize("op", CATALOG, ids=repr)
@EXAMPLES
@given(data=st.data())
def test_gradient_matches_finite_differences(op, data):
    arrays = data.draw(inputs(op))
    leaves = tinygrad_leaves(arrays)
    out = op.fn(tinygrad_lr, *leaves)
    G = cotangent(out.shape)
    out.backward(tinygrad_lr.tensor(G))

    def loss(*xs):
        return float(np.sum(np.asarray(op.ref(*xs)) * G))

    for i, leaf in enumerate(leaves):
        expected = numerical_gradient(loss, [a.copy() for a in arrays], i)
        assert leaf.grad is not None, f"{op.name}: input {i} got no gradient"
        assert leaf.grad.shape == leaf.shape and leaf.grad.dtype == np.float64
        np.testing.assert_allclose(as_array(leaf.grad), expected, rtol=1e-6, atol=1e-6,
                                   err_msg=f"{op.name}: gradient of input {i} (shape {leaf.shape})")


# ---- Python numbers and arrays on either side of every binary operator -------------------------
OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "/": lambda a, b: a / b, "@": lambda a, b: a @ b}
OTHERS = {  # what stands on the other side of a (2, 3) tensor
    "int": 3, "float": -2.5, "NumPy scalar": np.float64(1.5), "0-d array": np.array(2.0),
    "array (2, 1)": np.array([[1.5], [-2.0]]), "array (3,)": np.array([0.5, -1.0, 2.0]),
    "list (3,)": [0.5, -1.0, 2.0], "nested list (2, 3)": [[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]],
}
MATMUL_OTHERS = {"array (3,) / (2,)": (np.array([0.5, -1.0, 2.0]), np.array([1.0, -3.0])),
                 "array (3, 2) / (4, 2)": (np.ones((3, 2)) * 0.5, np.arange(8.0).reshape(4, 2)),
                 "list": ([1.0, 2.0, 3.0], [2.0, -1.0])}
X23 = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.5]])


@pytest.mark.parametrize("side", ["tensor ⊙ other", "other ⊙ tensor"])
@pytest.mark.parametrize("other", list(OTHERS))
@pytest.mark.parametrize("symbol", ["+", "-", "*", "/"])
def test_numbers_and_arrays_on_either_side(symbol, other, side):
    f, value = OPERATORS[symbol], OTHERS[other]
    left = side == "tensor ⊙ other"

    def ref(x):
        return f(x, np.asarray(value)) if left else f(np.asarray(value), x)
    t = tinygrad_lr.tensor(X23, requires_grad=True)
    out = f(t, value) if left else f(value, t)
    assert isinstance(out, tinygrad_lr.Tensor) and out.dtype == np.float64
    np.testing.assert_allclose(as_array(out), ref(X23), rtol=1e-12)
    out.backward(tinygrad_lr.tensor(cotangent(out.shape)))
    expected = numerical_gradient(lambda x: float(np.sum(ref(x) * cotangent(out.shape))), [X23.copy()], 0)
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("other", list(MATMUL_OTHERS))
def test_arrays_on_either_side_of_matmul(other):
    right, left = MATMUL_OTHERS[other]   # t @ right and left @ t for t of shape (2, 3)
    t = tinygrad_lr.tensor(X23, requires_grad=True)
    a, b = t @ right, left @ t
    np.testing.assert_allclose(as_array(a), X23 @ np.asarray(right), rtol=1e-12)
    np.testing.assert_allclose(as_array(b), np.asarray(left) @ X23, rtol=1e-12)
    (a.sum() + b.sum()).backward()
    r, l = np.asarray(right), np.asarray(left)
    # ∂/∂t Σ(t @ r) = 1 @ rᵀ and ∂/∂t Σ(l @ t) = lᵀ @ 1 (a 1-d operand is a row / a column)
    by_hand = (np.ones(a.shape) @ r.T if r.ndim == 2 else np.outer(np.ones(2), r)) + \
              (l.T @ np.ones(b.shape) if l.ndim == 2 else np.outer(l, np.ones(3)))
    np.testing.assert_allclose(t.grad.numpy(), by_hand, rtol=1e-12)


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, 0, np.float64(2.0), "0-d tensor"])
def test_pow_with_number_exponents(exponent):
    p = 2.0 if isinstance(exponent, str) else exponent
    x = np.array([0.5, 1.5, 3.0])
    t = tinygrad_lr.tensor(x, requires_grad=True)
    out = t ** (tinygrad_lr.tensor(2.0) if isinstance(exponent, str) else exponent)
    np.testing.assert_allclose(as_array(out), x ** p, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), p * x ** (p - 1) if p != 0 else 0 * x, rtol=1e-12)


@pytest.mark.parametrize("base", [2, 0.5, np.e, np.float64(3.0)])
def test_number_raised_to_a_tensor(base):
    x = np.array([-1.0, 0.0, 2.5])
    t = tinygrad_lr.tensor(x, requires_grad=True)
    out = base ** t
    np.testing.assert_allclose(as_array(out), float(base) ** x, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.log(float(base)) * float(base) ** x, rtol=1e-12)


def test_float32_tensor_with_python_numbers_stays_float32():
    t = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    for out in (t + 1, 2.5 * t, t - np.float64(0.5), 1 / t, t ** 2, 2 ** t, (t * 3.0).sum() / 7):
        assert out.dtype == tinygrad_lr.float32
