"""Parity with PyTorch: every op of the catalog, the same float64 inputs, the same values and gradients.

PyTorch is the oracle here only (tinygrad_lr never imports it); without it
these tests skip locally and fail in CI (see conftest.optional).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr
from _catalog import CATALOG, as_array, cotangent, inputs, tinygrad_leaves
from conftest import optional

TOL = dict(rtol=1e-10, atol=1e-10)


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


def both(torch, op, arrays):
    """Run op on tinygrad_lr and on torch leaves; backward with the same ∂L/∂out; return both sides."""
    ours = tinygrad_leaves(arrays)
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = op.fn(tinygrad_lr, *ours), op.run_torch(torch, *theirs)
    G = cotangent(tuple(ref.shape))
    out.backward(tinygrad_lr.tensor(G))
    ref.backward(torch.tensor(G))
    return out, ref, ours, theirs


@pytest.mark.parametrize("op", CATALOG, ids=repr)
@settings(max_examples=8, deadline=None, derandomize=True)
@given(data=st.data())
def test_values_and_gradients_match_torch(torch, op, data):
    arrays = data.draw(inputs(op))
    out, ref, ours, theirs = both(torch, op, arrays)
    assert tuple(out.shape) == tuple(ref.shape), f"{op.name}: shape {out.shape}, PyTorch {tuple(ref.shape)}"
    assert str(out.dtype) == str(ref.dtype).replace("torch.", "")
    np.testing.assert_allclose(as_array(out), as_array(ref), **TOL, err_msg=op.name)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(as_array(a.grad), as_array(b.grad), **TOL,
                                   err_msg=f"{op.name}: gradient of input {i}")


@pytest.mark.parametrize("op", CATALOG, ids=repr)
@settings(max_examples=3, deadline=None, derandomize=True)
@given(data=st.data())
def test_float32_matches_torch_float32(torch, op, data):
    """float32 in, float32 out and float32 gradients, as in PyTorch (to float32 precision)."""
    arrays = [a.astype(np.float32) for a in data.draw(inputs(op))]
    ours = [tinygrad_lr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = op.fn(tinygrad_lr, *ours), op.run_torch(torch, *theirs)
    assert out.dtype == tinygrad_lr.float32 and ref.dtype == torch.float32
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(as_array(out), as_array(ref), rtol=1e-5, atol=1e-5)
    for a, b in zip(ours, theirs):
        assert a.grad.dtype == tinygrad_lr.float32
        np.testing.assert_allclose(as_array(a.grad), as_array(b.grad), rtol=1e-4, atol=1e-5)


# ---- whole programs: the same lines run on both libraries ------------------------------------
def train(lib, X, y, w0, b0, steps=60, lr=0.1, batch=8):
    """Mini-batch SGD on ½·mean((Xw + b − y)²), written once for tinygrad_lr and torch."""
    X, y = lib.tensor(X), lib.tensor(y)
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    losses = []
    for step in range(steps):
        idx = lib.tensor([(step * batch + i * 7) % len(X) for i in range(batch)])
        loss = ((X[idx] @ w + b - y[idx]) ** 2).mean() / 2
        loss.backward()
        with lib.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        losses.append(loss.item())
    return w.detach().numpy(), b.detach().numpy(), losses


def test_a_training_loop_gives_the_same_numbers(torch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = X @ np.array([[2.0], [-3.4], [0.5]]) + 4.2
    ours = train(tinygrad_lr, X, y, np.zeros((3, 1)), np.zeros(1))
    theirs = train(torch, X, y, np.zeros((3, 1)), np.zeros(1))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert ours[2][-1] < ours[2][0] / 10


def graph_tricks(lib, x0):
    """Diamonds, in-place on non-leaves, retain_graph, accumulation, create_graph: the same lines for both."""
    x = lib.tensor(x0, requires_grad=True)
    h = x * 2
    h += 1
    h *= x                                   # in place on a non-leaf
    a, b = h.tanh(), h.sigmoid()             # a diamond
    loss = (a * b + h[[0, 0, 2]].sum()).sum()
    loss.backward(retain_graph=True)
    loss.backward()                          # accumulates
    first = x.grad.clone()
    g, = lib.autograd.grad((x ** 3 * x.exp()).sum(), x, create_graph=True)
    second, = lib.autograd.grad((g * g).sum(), x)
    return first.numpy(), g.detach().numpy(), second.numpy()


def test_graph_tricks_give_the_same_gradients(torch):
    x0 = np.array([0.3, -1.2, 0.8])
    for a, b in zip(graph_tricks(tinygrad_lr, x0), graph_tricks(torch, x0)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
