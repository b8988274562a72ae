"""Second-order fuzzing: double backward (``create_graph=True``) on random graphs.

For a random program (tests/_fuzz_graphs.py) with loss L and leaves xᵢ, take
the first derivatives gᵢ = ∂L/∂xᵢ with ``create_graph=True``, then the
gradient of s = Σᵢ Σ(gᵢ · Vᵢ) for random weights Vᵢ: that is the
Hessian–vector product H·V, every second derivative of the graph weighted.
It must agree with PyTorch (float64, rtol 1e-9), and, without PyTorch, with
central finite differences of the first derivatives along V:
H·V ≈ (g(x + h·V) − g(x − h·V)) / 2h  (H is symmetric, so ∇(g·V) = H·V).

A gradient that does not depend on the leaves (abs and relu have zero
curvature: tinygrad_lr's gradient then does not require grad, where PyTorch's
is a zero that does) counts as zeros on both sides.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_lr
from _fuzz_graphs import as_array, budget, grad_leaves, loss_of, programs, run
from conftest import optional

FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=not budget.long,
            print_blob=True)
# PyTorch warns that backward(create_graph=True) makes a reference cycle (leaf → .grad → graph → leaf)
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
MODES = ("autograd.grad(create_graph=True)", "loss.backward(create_graph=True)")


def directions(program, seed):
    """One random weight array Vᵢ per leaf that requires grad."""
    rng = np.random.default_rng(seed)
    return [np.asarray(np.round(rng.uniform(-1, 1, size=a.shape), 3)) for a, rg in program.leaves.values() if rg]


def has_float32(program):
    """A program with float32 values carries float32 rounding (NumPy's and PyTorch's differ in the last bit)."""
    ns = run(program, tinygrad_lr)
    return any(ns[name].dtype == np.float32 for name in program.values)


def double_backward(program, lib, vs, mode):
    """(g, H·V): the first derivatives, and the gradient of Σᵢ Σ(gᵢ · Vᵢ); None where nothing flows."""
    ns = run(program, lib)
    leaves = grad_leaves(program, ns)
    loss = loss_of(program, ns, lib)
    if not loss.requires_grad:
        return [None] * len(leaves), [None] * len(leaves)
    if mode == "loss.backward(create_graph=True)":
        loss.backward(create_graph=True)
        grads = [t.grad for t in leaves]
    else:
        grads = list(lib.autograd.grad(loss, leaves, create_graph=True, allow_unused=True))
    terms = [(g * (v if lib is tinygrad_lr else lib.from_numpy(v))).sum()
             for g, v in zip(grads, vs) if g is not None and g.requires_grad]
    if not terms:
        return grads, [None] * len(leaves)
    s = sum(terms[1:], terms[0])
    return grads, list(lib.autograd.grad(s, leaves, allow_unused=True))


def dense(g, shape):
    return np.zeros(shape) if g is None else as_array(g)


def assert_close(actual, expected, what, rtol):
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    if expected.size:
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


@settings(max_examples=budget(120, 8_000), **FUZZ)
@given(programs(max_ops=8), st.integers(0, 2 ** 16), st.sampled_from(MODES))
def test_double_backward_matches_pytorch(program, seed, mode):
    torch = optional("torch")
    vs = directions(program, seed)
    g_ours, hv_ours = double_backward(program, tinygrad_lr, vs, mode)
    g_theirs, hv_theirs = double_backward(program, torch, vs, mode)
    shapes = [a.shape for a, rg in program.leaves.values() if rg]
    rtol = 2e-5 if has_float32(program) else 1e-9
    for i, shape in enumerate(shapes):
        assert (g_ours[i] is None) == (g_theirs[i] is None), f"first derivative {i}: {g_ours[i]} vs {g_theirs[i]}"
        assert_close(dense(g_ours[i], shape), dense(g_theirs[i], shape), f"first derivative of leaf {i}", rtol)
        assert_close(dense(hv_ours[i], shape), dense(hv_theirs[i], shape), f"H·V for leaf {i}", rtol)


def first_derivatives(program, shift, h):
    """g(x + h·V) with every leaf moved: one first-order backward of tinygrad_lr."""
    saved = dict(program.leaves)
    moved = iter(shift)
    for name, (a, rg) in saved.items():
        if rg:
            program.leaves[name] = (a + h * next(moved), True)
    try:
        ns = run(program, tinygrad_lr)
        leaves = grad_leaves(program, ns)
        loss = loss_of(program, ns, tinygrad_lr)
        if not loss.requires_grad:
            return [np.zeros(t.shape) for t in leaves]
        grads = tinygrad_lr.autograd.grad(loss, leaves, allow_unused=True)
        return [dense(g, t.shape) for g, t in zip(grads, leaves)]
    finally:
        program.leaves.update(saved)


@settings(max_examples=budget(40, 3_000), **FUZZ)
@given(programs(fd_safe=True, max_ops=6), st.integers(0, 2 ** 16), st.sampled_from(MODES))
def test_double_backward_matches_finite_differences_of_the_gradient(program, seed, mode):
    h = 1e-5
    vs = directions(program, seed)
    _, hv = double_backward(program, tinygrad_lr, vs, mode)
    plus, minus = first_derivatives(program, vs, h), first_derivatives(program, vs, -h)
    for i, (p, m) in enumerate(zip(plus, minus)):
        fd = (p - m) / (2 * h)
        assert_close(dense(hv[i], fd.shape), fd, f"H·V for leaf {i} against finite differences", 1e-5)
