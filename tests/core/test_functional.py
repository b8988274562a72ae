"""autograd.functional: jacobian, hessian, vjp, jvp, vhp, hvp — closed forms, PyTorch parity, Newton's method."""
import numpy as np
import pytest

import tinygrad_lr
from conftest import optional
from tinygrad_lr.autograd import functional as F
from tinygrad_lr.autograd import grad

rng = np.random.default_rng(7)
A2 = rng.standard_normal((3, 2))
XV = np.array([0.5, -1.0, 2.0])
YV = np.array([[1.5, 0.2], [-0.3, 0.8]])


def t(values, requires_grad=False):
    return tinygrad_lr.tensor(values, dtype=tinygrad_lr.float64, requires_grad=requires_grad)


# ---- closed forms ------------------------------------------------------------------------
def test_jacobian_of_a_linear_map_is_the_matrix():
    J = F.jacobian(lambda x: t(A2) @ x, t([0.3, -0.7]))
    assert isinstance(J, tinygrad_lr.Tensor) and J.shape == (3, 2)
    np.testing.assert_allclose(J.numpy(), A2)


def test_jacobian_of_an_elementwise_function_is_diagonal():
    J = F.jacobian(lambda x: x.exp(), t(XV))
    np.testing.assert_allclose(J.numpy(), np.diag(np.exp(XV)))


def test_jacobian_shapes_follow_pytorch():
    """Output yᵢ and input xⱼ give a block of shape yᵢ.shape + xⱼ.shape; tuples give tuples."""
    x, y = t(XV), t(YV)
    J = F.jacobian(lambda x, y: (x.sum() * y, x * 2), (x, y))
    assert isinstance(J, tuple) and len(J) == 2 and all(isinstance(row, tuple) and len(row) == 2 for row in J)
    assert J[0][0].shape == (2, 2, 3) and J[0][1].shape == (2, 2, 2, 2)
    assert J[1][0].shape == (3, 3) and J[1][1].shape == (3, 2, 2)
    np.testing.assert_allclose(J[0][0].numpy(), np.broadcast_to(YV[:, :, None], (2, 2, 3)))
    np.testing.assert_allclose(J[1][0].numpy(), 2 * np.eye(3))
    np.testing.assert_array_equal(J[1][1].numpy(), 0)  # x * 2 does not use y: zeros (not strict)
    single_out = F.jacobian(lambda x, y: x * y.sum(), (x, y))
    assert isinstance(single_out, tuple) and single_out[0].shape == (3, 3) and single_out[1].shape == (3, 2, 2)
    single_in = F.jacobian(lambda x: (x, x.sum()), x)
    assert isinstance(single_in, tuple) and single_in[0].shape == (3, 3) and single_in[1].shape == (3,)


def test_jacobian_does_not_touch_the_inputs_or_their_grads():
    x = t(XV, requires_grad=True)
    J = F.jacobian(lambda x: x ** 2, x)
    assert x.grad is None and not J.requires_grad
    np.testing.assert_allclose(J.numpy(), np.diag(2 * XV))


def test_jacobian_with_create_graph_is_differentiable():
    x = t(XV, requires_grad=True)
    J = F.jacobian(lambda x: x ** 3, x, create_graph=True)  # diag(3x²)
    assert J.requires_grad
    g, = grad(J.sum(), x)  # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(g.numpy(), 6 * XV)


def test_hessian_of_a_quadratic_form():
    """f(x) = ½ xᵀMx has Hessian (M + Mᵀ)/2."""
    M = rng.standard_normal((3, 3))
    H = F.hessian(lambda x: 0.5 * (x @ (t(M) @ x)), t(XV))
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H.numpy(), (M + M.T) / 2, atol=1e-12)


def test_hessian_of_a_function_of_a_matrix_and_of_a_tuple():
    H = F.hessian(lambda y: (y ** 3).sum(), t(YV))
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.numpy().reshape(4, 4), np.diag(6 * YV.reshape(-1)))
    x, s = t([1.0, 2.0]), t(3.0)
    H = F.hessian(lambda x, s: (x * x).sum() * s, (x, s))  # [[2s·I, 2x], [2xᵀ, 0]]
    assert H[0][0].shape == (2, 2) and H[0][1].shape == (2,) and H[1][0].shape == (2,) and H[1][1].shape == ()
    np.testing.assert_allclose(H[0][0].numpy(), 6 * np.eye(2))
    np.testing.assert_allclose(H[0][1].numpy(), [2.0, 4.0])
    np.testing.assert_allclose(H[1][0].numpy(), [2.0, 4.0])
    assert H[1][1].item() == 0


def test_hessian_with_create_graph_gives_third_derivatives():
    x = t(XV, requires_grad=True)
    H = F.hessian(lambda x: (x ** 4).sum(), x, create_graph=True)  # diag(12x²)
    np.testing.assert_allclose(H.detach().numpy(), np.diag(12 * XV ** 2))
    g, = grad(H.sum(), x)  # d/dx Σ 12x² = 24x
    np.testing.assert_allclose(g.numpy(), 24 * XV)
    _, hv = F.hvp(lambda x: (x ** 4).sum(), x, t(np.ones(3)), create_graph=True)
    g, = grad(hv.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * XV)


def test_vjp_jvp_hvp_vhp_closed_forms():
    x = t(XV)
    v = t([1.0, -2.0, 0.5])
    out, vj = F.vjp(lambda x: x ** 2, x, v)
    np.testing.assert_allclose(out.numpy(), XV ** 2)
    np.testing.assert_allclose(vj.numpy(), 2 * XV * v.numpy())
    out, jv = F.jvp(lambda x: t(A2.T) @ x, x, v)  # a linear map: J v = Aᵀ v
    np.testing.assert_allclose(jv.numpy(), A2.T @ v.numpy())
    f = lambda x: (x ** 3).sum()  # noqa: E731   H = diag(6x)
    out, hv = F.hvp(f, x, v)
    assert out.item() == pytest.approx((XV ** 3).sum())
    np.testing.assert_allclose(hv.numpy(), 6 * XV * v.numpy())
    _, vh = F.vhp(f, x, v)
    np.testing.assert_allclose(vh.numpy(), hv.numpy())
    assert not out.requires_grad and not hv.requires_grad


def test_v_may_be_omitted_for_one_element():
    out, g = F.vjp(lambda x: (x * x).sum(), t(XV))
    np.testing.assert_allclose(g.numpy(), 2 * XV)
    out, h = F.hvp(lambda s: s ** 4, t(2.0))
    assert h.item() == pytest.approx(12 * 4.0)


def test_tuple_inputs_give_tuple_results():
    x, y = t(XV), t(YV)
    out, (gx, gy) = F.vjp(lambda x, y: x.sum() * y, (x, y), t(np.ones((2, 2))))
    np.testing.assert_allclose(gx.numpy(), np.full(3, YV.sum()))
    np.testing.assert_allclose(gy.numpy(), np.full((2, 2), XV.sum()))
    out, (hx, hy) = F.hvp(lambda x, y: x.sum() * (y ** 2).sum(), (x, y), (t(np.ones(3)), t(np.ones((2, 2)))))
    np.testing.assert_allclose(hx.numpy(), np.full(3, (2 * YV).sum()))  # ∂²/∂x∂y · 1
    np.testing.assert_allclose(hy.numpy(), 2 * YV * 3 + 2 * XV.sum())


# ---- PyTorch parity --------------------------------------------------------------------------
def f_tuple(lib):
    def f(x, y):
        return (x.sigmoid() * (y @ x[:2]).tanh().sum()).sum() + (x ** 3).sum() * y.exp().mean()
    return f


def test_against_torch_functional():
    torch = optional("torch")
    ours = (t(XV), t(YV))
    theirs = (torch.tensor(XV), torch.tensor(YV))
    vx, vy = rng.standard_normal(3), rng.standard_normal((2, 2))
    H = F.hessian(f_tuple(tinygrad_lr), ours)
    Ht = torch.autograd.functional.hessian(f_tuple(torch), theirs)
    for i in range(2):
        for j in range(2):
            assert H[i][j].shape == tuple(Ht[i][j].shape)
            np.testing.assert_allclose(H[i][j].numpy(), Ht[i][j].numpy(), rtol=1e-10, atol=1e-12)
    J = F.jacobian(lambda x, y: (y @ x[:2]).exp(), ours)
    Jt = torch.autograd.functional.jacobian(lambda x, y: (y @ x[:2]).exp(), theirs)
    for a, b in zip(J, Jt):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    for name in ("hvp", "vhp"):
        out, res = getattr(F, name)(f_tuple(tinygrad_lr), ours, (t(vx), t(vy)))
        out_t, res_t = getattr(torch.autograd.functional, name)(f_tuple(torch), theirs,
                                                                (torch.tensor(vx), torch.tensor(vy)))
        assert out.item() == pytest.approx(out_t.item())
        for a, b in zip(res, res_t):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    g = lambda x, y: x[:2] * y.sum(0) + x[1:].exp()  # noqa: E731
    out, res = F.vjp(g, ours, t([1.0, -1.0]))
    _, res_t = torch.autograd.functional.vjp(g, theirs, torch.tensor([1.0, -1.0], dtype=torch.float64))
    for a, b in zip(res, res_t):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    out, res = F.jvp(g, ours, (t(vx), t(vy)))
    _, res_t = torch.autograd.functional.jvp(g, theirs, (torch.tensor(vx), torch.tensor(vy)))
    np.testing.assert_allclose(res.numpy(), res_t.numpy(), rtol=1e-12)


# ---- Newton's method (the lecture notes) -----------------------------------------------------------
def linear_regression(n=50, seed=0):
    r = np.random.default_rng(seed)
    X = r.standard_normal((n, 2))
    y = X @ np.array([2.0, -3.4]) + 4.2 + 0.01 * r.standard_normal(n)
    A = np.hstack([X, np.ones((n, 1))])
    return A, y


def test_hessian_of_the_linear_regression_loss_is_AtA_over_n():
    A, y = linear_regression()
    n = len(y)
    loss = lambda theta: ((t(A) @ theta - t(y)) ** 2).sum() / (2 * n)  # noqa: E731
    for start in ([0.0, 0.0, 0.0], [5.0, -1.0, 2.0]):  # the same H everywhere: ℓ is quadratic
        H = F.hessian(loss, t(start))
        np.testing.assert_allclose(H.numpy(), A.T @ A / n, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("start", [[0.0, 0.0, 0.0], [10.0, -7.0, 3.0], [-1e3, 2e3, 5.0]])
def test_one_newton_step_lands_on_lstsq(start):
    A, y = linear_regression()
    n = len(y)
    loss = lambda theta: ((t(A) @ theta - t(y)) ** 2).sum() / (2 * n)  # noqa: E731
    theta = t(start, requires_grad=True)
    H = F.hessian(loss, theta)
    g, = grad(loss(theta), theta)
    newton = np.array(start) - np.linalg.solve(H.numpy(), g.numpy())
    expected = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(newton, expected, rtol=0, atol=1e-9)
    # hvp gives the same step without forming H: solve H d = g column by column
    cols = [F.hvp(loss, t(start), t(e))[1].numpy() for e in np.eye(3)]
    np.testing.assert_allclose(np.stack(cols, axis=1), H.numpy(), atol=1e-12)


def test_newton_example_runs():
    import runpy
    from pathlib import Path
    example = runpy.run_path(str(Path(__file__).resolve().parents[2] / "examples" / "newton_linear_regression.py"))
    hessian_error, solution_error = example["main"](verbose=False)
    assert hessian_error < 1e-12 and solution_error < 1e-9


# ---- strict mode and bad input ------------------------------------------------------------------------
def test_strict_mode_refuses_an_unused_input():
    x, y = t(XV), t(YV)
    with pytest.raises(RuntimeError, match=r"jacobian: output 0 of the user-provided function is independent "
                                           r"of input 1.*strict mode.*strict=False"):
        F.jacobian(lambda x, y: x * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"vjp: the output of the user-provided function is independent of "
                                           r"input 1"):
        F.vjp(lambda x, y: x.sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"hvp: the gradient of the user-provided function is independent of "
                                           r"input 0 \(the function is linear in it\)"):
        F.hvp(lambda x: x.sum() * 2, x, t(np.ones(3)), strict=True)


def test_hessian_needs_a_single_element_output():
    with pytest.raises(ValueError, match=r"hessian: the Tensor returned by the function given to hessian should "
                                         r"contain a single element, but it has shape \(3,\)"):
        F.hessian(lambda x: x ** 2, t(XV))
    with pytest.raises(ValueError, match=r"hvp: the function given to hvp should return a single Tensor"):
        F.hvp(lambda x: (x.sum(), x.sum()), t(XV), t(XV))


def test_v_must_match():
    with pytest.raises(ValueError, match=r"vjp: the vector v can only be None if the user-provided function's "
                                         r"output is a single Tensor with a single element"):
        F.vjp(lambda x: x * 2, t(XV))
    with pytest.raises(ValueError, match=r"hvp: entry 0 in v has invalid size: should be \(3,\).*got \(2,\)"):
        F.hvp(lambda x: (x ** 2).sum(), t(XV), t([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"jvp: v has 1 entries but the inputs have 2"):
        F.jvp(lambda x, y: x, (t(XV), t(YV)), t(XV))


def test_inputs_must_be_float_tensors():
    with pytest.raises(TypeError, match=r"jacobian: the inputs given to jacobian must be either a Tensor or a "
                                        r"tuple of Tensors but the value at index 1 has type list"):
        F.jacobian(lambda x, y: x, (t(XV), [1.0]))
    with pytest.raises(TypeError, match=r"hessian: input 0 has dtype int64; derivatives need floating-point"):
        F.hessian(lambda x: x.sum(), tinygrad_lr.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"jacobian: strategy='forward-mode' is not supported"):
        F.jacobian(lambda x: x, t(XV), strategy="forward-mode")
