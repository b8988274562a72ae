"""Second derivatives of every catalog op, and ``autograd.grad``'s contract (PyTorch's semantics).

The second-order check: for L = Σ(C · out + ½ D · out²) (C, D fixed non-uniform
weights, so that the backward of even a linear op gets a gradient that depends
on x), the gradient G(x) = ∂L/∂x is computed with ``create_graph=True`` and
differentiated again along a random direction V:

    H V = ∂/∂x Σᵢ ⟨Gᵢ(x), Vᵢ⟩        (autograd, second order)
        ≈ (G(x + εV) − G(x − εV)) / 2ε   (finite differences of first derivatives)

and, in CI, against torch.autograd.grad(create_graph=True) on the same inputs.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr
from _catalog import CATALOG, as_array, cotangent, inputs, tinygrad_leaves
from conftest import optional
from tinygrad_lr.autograd import grad

EXAMPLES = settings(max_examples=4, deadline=None, derandomize=True)


def weights(shape):
    return cotangent(shape, seed=0), cotangent(shape, seed=1)


def loss_of(out, C, D, lib):
    C, D = lib.tensor(C), lib.tensor(D)
    return (C * out + 0.5 * D * out * out).sum()


def first_derivatives(op, arrays, create_graph=False):
    leaves = tinygrad_leaves(arrays)
    out = op.fn(tinygrad_lr, *leaves)
    grads = grad(loss_of(out, *weights(out.shape), tinygrad_lr), leaves, create_graph=create_graph,
                 allow_unused=True)
    return leaves, grads


def hessian_times(op, arrays, V):
    """H V by double backward."""
    leaves, G = first_derivatives(op, arrays, create_graph=True)
    terms = [(g * tinygrad_lr.tensor(v)).sum() for g, v in zip(G, V) if g is not None and g.requires_grad]
    if not terms:
        return [np.zeros_like(a) for a in arrays]
    HV = grad(sum(terms[1:], terms[0]), leaves, allow_unused=True)
    return [np.zeros_like(a) if h is None else as_array(h) for h, a in zip(HV, arrays)]


def hessian_times_numerically(op, arrays, V, eps=1e-6):
    def G(sign):
        moved = [a + sign * eps * v for a, v in zip(arrays, V)]
        _, grads = first_derivatives(op, moved)
        return [np.zeros_like(a) if g is None else as_array(g) for g, a in zip(grads, arrays)]
    up, down = G(+1), G(-1)
    return [(u - d) / (2 * eps) for u, d in zip(up, down)]


def directions(arrays, seed=2):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(a.shape) for a in arrays]


@pytest.mark.parametrize("op", CATALOG, ids=repr)
@EXAMPLES
@given(data=st.data())
def test_second_derivative_matches_finite_differences(op, data):
    arrays = data.draw(inputs(op))
    V = directions(arrays)
    got = hessian_times(op, arrays, V)
    expected = hessian_times_numerically(op, arrays, V)
    for i, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{op.name}: second derivative (H·V) for input {i}")


def torch_hessian_times(torch, op, arrays, V):
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = op.run_torch(torch, *leaves)
    C, D = weights(tuple(out.shape))
    G = torch.autograd.grad(loss_of(out, C, D, torch), leaves, create_graph=True, allow_unused=True)
    terms = [(g * torch.tensor(v)).sum() for g, v in zip(G, V) if g is not None and g.requires_grad]
    if not terms:
        return [np.zeros_like(a) for a in arrays]
    HV = torch.autograd.grad(sum(terms[1:], terms[0]), leaves, allow_unused=True)
    return [np.zeros_like(a) if h is None else h.detach().numpy() for h, a in zip(HV, arrays)]


@pytest.mark.parametrize("op", CATALOG, ids=repr)
@settings(max_examples=2, deadline=None, derandomize=True)
@given(data=st.data())
def test_second_derivative_matches_torch(op, data):
    torch = optional("torch")
    arrays = data.draw(inputs(op))
    V = directions(arrays)
    got = hessian_times(op, arrays, V)
    expected = torch_hessian_times(torch, op, arrays, V)
    for i, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-10,
                                   err_msg=f"{op.name}: H·V for input {i}, against PyTorch")


# ---- closed forms ---------------------------------------------------------------------
X = np.array([0.3, -1.2, 2.0, 0.7])
POS = np.array([0.4, 1.3, 2.5, 0.9])
SECOND = [  # (name, f, x, f'' in closed form)
    ("x³", lambda x: x ** 3, X, lambda x: 6 * x),
    ("x ** 0.5", lambda x: x ** 0.5, POS, lambda x: -0.25 * x ** -1.5),
    ("x ** -1", lambda x: x ** -1, X, lambda x: 2 * x ** -3.0),
    ("x ** -2.5", lambda x: x ** -2.5, POS, lambda x: 8.75 * x ** -4.5),
    ("exp", lambda x: x.exp(), X, np.exp),
    ("log", lambda x: x.log(), POS, lambda x: -1 / x ** 2),
    ("sigmoid", lambda x: x.sigmoid(), X,
     lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    ("tanh", lambda x: x.tanh(), X, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("1 / x", lambda x: 1 / x, X, lambda x: 2 / x ** 3),
    ("relu(x)²", lambda x: x.relu() ** 2, X, lambda x: 2.0 * (x > 0)),
    ("|x|³", lambda x: x.abs() ** 3, X, lambda x: 6 * np.abs(x)),
]


@pytest.mark.parametrize("name, f, x, f2", SECOND, ids=[s[0] for s in SECOND])
def test_second_derivative_closed_form(name, f, x, f2):
    t = tinygrad_lr.tensor(x, requires_grad=True)
    g, = grad(f(t).sum(), t, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    h, = grad(g.sum(), t)  # f is element-wise: the Hessian is diagonal, its row sums are f''
    np.testing.assert_allclose(h.numpy(), f2(x), rtol=1e-12, atol=1e-12)


def test_third_and_fourth_derivatives_of_x4():
    x = tinygrad_lr.tensor([1.5, -2.0], requires_grad=True)
    g1, = grad((x ** 4).sum(), x, create_graph=True)
    g2, = grad(g1.sum(), x, create_graph=True)
    g3, = grad(g2.sum(), x, create_graph=True)
    g4, = grad(g3.sum(), x)
    np.testing.assert_allclose(g1.detach().numpy(), 4 * np.array([1.5, -2.0]) ** 3)
    np.testing.assert_allclose(g2.detach().numpy(), 12 * np.array([1.5, -2.0]) ** 2)
    np.testing.assert_allclose(g3.detach().numpy(), 24 * np.array([1.5, -2.0]))
    np.testing.assert_allclose(g4.numpy(), [24.0, 24.0])


def test_mixed_partials_are_symmetric():
    """f = x²y³: ∂²f/∂x∂y = ∂²f/∂y∂x = 6xy²."""
    x = tinygrad_lr.tensor(1.5, requires_grad=True)
    y = tinygrad_lr.tensor(-0.5, requires_grad=True)
    f = x ** 2 * y ** 3
    fx, fy = grad(f, (x, y), create_graph=True)
    fxy, = grad(fx, y, retain_graph=True)
    fyx, = grad(fy, x)
    assert fxy.item() == pytest.approx(6 * 1.5 * 0.25) and fyx.item() == pytest.approx(6 * 1.5 * 0.25)


def test_to_float64_second_derivative_keeps_dtypes():
    """Cast: a float32 leaf used in float64; its gradients (of every order) come back float32."""
    x32 = np.array([0.5, -1.25, 2.0], dtype=np.float32)
    x = tinygrad_lr.tensor(x32, requires_grad=True)
    y = x.to(tinygrad_lr.float64)
    assert y.dtype == np.float64
    g, = grad((y ** 3).sum(), x, create_graph=True)
    assert g.dtype == np.float32
    h, = grad(g.sum(), x)
    assert h.dtype == np.float32
    np.testing.assert_allclose(g.detach().numpy(), 3 * x32.astype(np.float64) ** 2, rtol=1e-6)
    np.testing.assert_allclose(h.numpy(), 6 * x32.astype(np.float64), rtol=1e-6)


def test_to_float64_second_derivative_matches_torch():
    torch = optional("torch")
    x32 = np.array([0.5, -1.25, 2.0], dtype=np.float32)
    ours, theirs = [], []
    for lib, out in ((tinygrad_lr, ours), (torch, theirs)):
        x = lib.tensor(x32, requires_grad=True)
        g, = (grad if lib is tinygrad_lr else torch.autograd.grad)(
            (x.to(lib.float64).sigmoid() * x.to(lib.float64)).sum(), x, create_graph=True)
        h, = (grad if lib is tinygrad_lr else torch.autograd.grad)((g * g).sum(), x)
        out += [as_array(g), as_array(h), str(h.dtype).split(".")[-1]]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)
    assert ours[2] == theirs[2] == "float32"


def test_float32_stays_float32_under_create_graph():
    x = tinygrad_lr.tensor([0.5, 2.0], dtype=tinygrad_lr.float32, requires_grad=True)
    g, = grad((x.exp() * x).sum(), x, create_graph=True)
    h, = grad(g.sum(), x)
    assert g.dtype == h.dtype == np.float32


# ---- grad's contract --------------------------------------------------------------------
def leaf(values):
    return tinygrad_lr.tensor(values, dtype=tinygrad_lr.float64, requires_grad=True)


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x = leaf([1.0, 2.0])
    out = grad((x * x).sum(), x)
    assert isinstance(out, tuple) and len(out) == 1
    np.testing.assert_array_equal(out[0].numpy(), [2.0, 4.0])
    assert x.grad is None
    assert not out[0].requires_grad  # create_graph=False: a plain value


def test_grad_of_several_outputs_and_inputs():
    x, y = leaf([1.0, 2.0]), leaf(3.0)
    gx, gy = grad([(x * y).sum(), (x ** 2).sum()], [x, y])  # gradients of the sum of the outputs
    np.testing.assert_allclose(gx.numpy(), [3.0 + 2.0, 3.0 + 4.0])
    assert gy.item() == pytest.approx(3.0)


def test_grad_with_respect_to_an_intermediate_tensor():
    x = leaf([1.0, -2.0])
    h = x * 3
    out = (h ** 2).sum()
    gh, gx = grad(out, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * np.array([3.0, -6.0]))
    np.testing.assert_allclose(gx.numpy(), 3 * 2 * np.array([3.0, -6.0]))


def test_grad_outputs_give_a_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    v = tinygrad_lr.tensor([1.0, 0.0, -1.0], dtype=tinygrad_lr.float64)
    g, = grad(x ** 2, x, grad_outputs=v)
    np.testing.assert_allclose(g.numpy(), [2.0, 0.0, -6.0])


def test_grad_outputs_that_require_grad_give_a_jacobian_vector_product():
    """The double-backward trick: uᵀJ is linear in u; its gradient in u along v is J v."""
    x = leaf([1.0, 2.0])
    u = tinygrad_lr.zeros(2, dtype=tinygrad_lr.float64, requires_grad=True)
    f = tinygrad_lr.stack([x[0] * x[1], x[0] ** 3])  # J = [[x1, x0], [3x0², 0]]
    uJ, = grad(f, x, grad_outputs=u, create_graph=True)
    v = tinygrad_lr.tensor([1.0, -1.0], dtype=tinygrad_lr.float64)
    Jv, = grad(uJ, u, grad_outputs=v)
    np.testing.assert_allclose(Jv.numpy(), [2.0 - 1.0, 3.0])


def test_backward_with_create_graph_makes_dot_grad_differentiable():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    h, = grad(x.grad.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])


def test_a_value_used_twice_at_second_order():
    """f = x·sin-free diamond: y = x², f = y·x = x³ with x used in two places."""
    x = leaf(2.0)
    y = x * x
    g, = grad(y * x, x, create_graph=True)
    h, = grad(g, x)
    assert g.item() == pytest.approx(12.0) and h.item() == pytest.approx(12.0)


def test_retain_graph():
    x = leaf([1.0, 2.0])
    out = (x.exp() * x).sum()
    g1, = grad(out, x, retain_graph=True)
    g2, = grad(out, x)
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*retain_graph=True"):
        grad(out, x)


def test_create_graph_retains_the_graph_by_default():
    x = leaf([1.0, 2.0])
    out = (x.exp() * x).sum()
    grad(out, x, create_graph=True)
    g, = grad(out, x)  # still there: retain_graph defaults to create_graph
    np.testing.assert_allclose(g.numpy(), np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))


# ---- bad input ---------------------------------------------------------------------------
def test_grad_of_a_non_scalar_without_grad_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"grad: grad can be implicitly created only for scalar outputs, but "
                                           r"the output has shape \(2,\).*loss.sum\(\).*\(2,\)"):
        grad(x * 2, x)


def test_grad_of_an_input_not_in_the_graph():
    x, unused = leaf([1.0, 2.0]), leaf(3.0)
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(shape \(\)\) was not used to compute the outputs.*"
                                           r"allow_unused=True"):
        grad((x * x).sum(), [x, unused])
    gx, gu = grad((x * x).sum(), [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])


def test_grad_of_an_input_that_does_not_require_grad():
    x, c = leaf([1.0]), tinygrad_lr.tensor([2.0])
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(shape \(1,\)\) does not require grad.*requires_grad=True"):
        grad((x * c).sum(), [x, c])


def test_grad_of_an_output_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match=r"grad: output 0 does not require grad"):
        grad(tinygrad_lr.tensor(1.0) * 2, leaf(1.0))


def test_grad_outputs_of_the_wrong_shape_or_number():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"grad: gradient has shape \(3,\) but the output has shape \(2,\)"):
        grad(x * 2, x, grad_outputs=tinygrad_lr.ones(3))
    with pytest.raises(ValueError, match=r"grad: got 1 outputs but 2 grad_outputs"):
        grad(x * 2, x, grad_outputs=[tinygrad_lr.ones(2), tinygrad_lr.ones(2)])


def test_grad_of_something_that_is_not_a_tensor():
    with pytest.raises(TypeError, match=r"grad: expected a tensor or a sequence of tensors, got float"):
        grad(1.0, leaf(1.0))
