"""The math ops of the classification issue beyond the catalog: second derivatives, stability, ties, results.

The catalog (tests/_catalog_math.py) checks every op's values and gradients against NumPy, finite differences
and PyTorch on smooth inputs.  Here: ``gradgradcheck`` on every op that is twice differentiable; softmax,
log_softmax and logsumexp of logits of ±1e4 (finite values, PyTorch's gradients); the gradient at ties
and kinks, where PyTorch's rule decides (max() and amax split it evenly, max(dim) sends it to the index
returned, maximum halves it, clamp keeps it at a bound, the 2-norm and std give 0 where the vector or the
spread is 0); max/min(dim)'s (values, indices); integer inputs; float32 kept; and the one-line errors.
"""
import math

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import linalg
from tinygrad_lr.autograd import gradgradcheck
from conftest import optional


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


def leaf(values):
    return tinygrad_lr.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4))                      # distinct values: no ties, no kinks
POS = RNG.uniform(0.5, 2.0, (3, 4))
SMALL = RNG.uniform(-1.0, 1.0, (3, 4))


# ---- second derivatives: gradgradcheck (float64) on every twice-differentiable op --------------
SECOND_ORDER = {
    "sin": (lambda x: x.sin(), [X]),
    "cos": (lambda x: tinygrad_lr.cos(x), [X]),
    "tan": (lambda x: x.tan(), [SMALL]),
    "log1p": (lambda x: x.log1p(), [POS]),
    "expm1": (lambda x: x.expm1(), [X]),
    "rsqrt": (lambda x: x.rsqrt(), [POS]),
    "reciprocal": (lambda x: x.reciprocal(), [POS]),
    "clamp (numbers)": (lambda x: x.clamp(-0.5, 0.5) * x, [X]),
    "clamp (tensor bounds)": (lambda x, lo, hi: x.clamp(lo, hi) * x, [X, X[:1] - 1.3, X[:1] + 1.1]),
    "maximum": (lambda x, y: tinygrad_lr.maximum(x, y) * x, [X, X[::-1] + 0.05]),
    "minimum": (lambda x, y: x.minimum(y) * y, [X, X[::-1] + 0.05]),
    "where": (lambda x, y: tinygrad_lr.where(x > 0, x * y, y.exp()), [X, SMALL]),
    "pow (tensor ** tensor)": (lambda x, y: x ** y, [POS, SMALL]),
    "pow (x ** sin x)": (lambda x: x ** x.sin(), [POS]),
    "pow (0-d exponent)": (lambda x, y: x.pow(y), [POS, np.array(1.7)]),
    "max()": (lambda x: x.max() * x, [X]),
    "max(dim).values": (lambda x: x.max(1).values * x.sum(1), [X]),
    "min(dim, keepdim)": (lambda x: x.min(0, keepdim=True)[0] * x, [X]),
    "amax over dims": (lambda x: x.amax((0, 1)) * x, [X]),
    "amin": (lambda x: x.amin(1) ** 2, [X]),
    "prod()": (lambda x: x.prod(), [SMALL[:2]]),
    "prod(dim) with zeros": (lambda x: (x * np.array([0.0, 1, 1, 0])).prod(1), [SMALL]),
    "prod(0, keepdim)": (lambda x: x.prod(0, keepdim=True), [X]),
    "var": (lambda x: x.var(1), [X]),
    "var(correction=0)": (lambda x: x.var(correction=0), [X]),
    "std": (lambda x: x.std(0, keepdim=True), [X]),
    "norm()": (lambda x: x.norm(), [X]),
    "norm(p=3, dim=1)": (lambda x: x.norm(3, dim=1), [X]),
    "norm(p=1.5)": (lambda x: tinygrad_lr.norm(x, 1.5), [X]),
    "norm(p=inf)": (lambda x: x.norm(math.inf) * x, [X]),
    "linalg.norm(ord=1)": (lambda x: linalg.norm(x, 1) * x, [X]),
    "linalg.vector_norm(ord=0.5, dim=0)": (lambda x: linalg.vector_norm(x, 0.5, dim=0), [POS]),
    "logsumexp": (lambda x: x.logsumexp(1), [X]),
    "logsumexp over dims": (lambda x: tinygrad_lr.logsumexp(x, (0, 1), keepdim=True), [X]),
    "cumsum": (lambda x: x.cumsum(1) * x, [X]),
    "softmax": (lambda x: x.softmax(1), [X]),
    "softmax(0) * x": (lambda x: tinygrad_lr.softmax(x, 0) * x, [X]),
    "log_softmax": (lambda x: x.log_softmax(-1), [X]),
    "log_softmax of large logits": (lambda x: (x * 50).log_softmax(1), [X]),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives_match_finite_differences(name):
    fn, arrays = SECOND_ORDER[name]
    assert gradgradcheck(fn, [leaf(a) for a in arrays])


def test_the_hessian_of_logsumexp_is_diag_s_minus_s_st():
    """∂²/∂x² ln Σ eˣ = diag(s) − s sᵀ, s = softmax(x): double backward through the composition."""
    x0 = np.array([0.3, -1.0, 2.0])
    H = tinygrad_lr.autograd.functional.hessian(lambda x: x.logsumexp(0), leaf(x0))
    s = np.exp(x0) / np.exp(x0).sum()
    np.testing.assert_allclose(H.numpy(), np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-14)


def test_pow_second_derivative_at_a_zero_exponent_is_the_true_one():
    """∂/∂y ∂(xʸ)/∂x = xʸ⁻¹ (1 + y ln x) = 1/x at y = 0 (PyTorch's double backward says 0 there)."""
    x, y = leaf(2.0), leaf(0.0)
    gx, = tinygrad_lr.autograd.grad(x ** y, x, create_graph=True)
    assert gx.item() == 0.0
    gxy, = tinygrad_lr.autograd.grad(gx, y)
    assert gxy.item() == 0.5


# ---- stability: logits of ±1e4 ------------------------------------------------------------------
LOGITS = np.array([[1e4, -1e4, 0.0, 1e4 - 1], [-1e4, -1e4 + 3, -1e4, -1e4 - 50], [1e4, 1e4, 1e4, 1e4]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_huge_logits_give_finite_values_and_pytorchs_gradients(torch, name, dtype):
    ours = tinygrad_lr.tensor(LOGITS.astype(dtype), requires_grad=True)
    theirs = torch.tensor(LOGITS.astype(dtype), requires_grad=True)
    out, ref = getattr(ours, name)(1), getattr(theirs, name)(1)
    assert out.dtype == np.dtype(dtype)
    assert np.all(np.isfinite(out.detach().numpy()))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-6)
    G = np.random.default_rng(0).standard_normal(tuple(ref.shape)).astype(dtype)
    out.backward(tinygrad_lr.tensor(G))
    ref.backward(torch.tensor(G))
    assert np.all(np.isfinite(ours.grad.numpy()))
    # (PyTorch's float32 logsumexp backward is exp(x − out) with out ≈ 1e4 rounded to float32's 1e−3 steps:
    # its gradient is off by up to 1e−3 there; ours matches the float64 one to float32 precision)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5 if dtype == "float64" else 1e-3,
                               atol=1e-6)
    exact = leaf(LOGITS)
    getattr(exact, name)(1).backward(tinygrad_lr.tensor(G.astype(np.float64)))
    np.testing.assert_allclose(ours.grad.numpy(), exact.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_log_softmax_of_far_apart_logits_is_not_minus_inf():
    out = tinygrad_lr.tensor([0.0, -200.0]).log_softmax(0)   # softmax(x)[1] = e⁻²⁰⁰ underflows in float32
    np.testing.assert_allclose(out.numpy(), [0.0, -200.0], atol=1e-5)


def test_logsumexp_of_minus_inf_is_minus_inf_and_of_an_empty_dim_too():
    x = tinygrad_lr.tensor([[-math.inf, -math.inf], [0.0, -math.inf]])
    np.testing.assert_array_equal(x.logsumexp(1).numpy(), [-math.inf, 0.0])
    np.testing.assert_array_equal(tinygrad_lr.zeros(2, 0).logsumexp(1).numpy(), [-math.inf, -math.inf])


# ---- ties and kinks: PyTorch's rules ---------------------------------------------------------------
TIES = {
    "max() splits evenly": (lambda lib, x: x.max(), [[1.0, 3.0, 3.0, 2.0]]),
    "min() splits evenly (three ties)": (lambda lib, x: lib.min(x), [[[0.5, 0.5], [2.0, 0.5]]]),
    "amax() splits evenly": (lambda lib, x: x.amax(), [[1.0, 3.0, 3.0, 2.0]]),
    "amax(dim) splits evenly per slice": (lambda lib, x: x.amax(1), [[[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]]]),
    "amin(dims, keepdim)": (lambda lib, x: x.amin((0, 1), keepdim=True), [[[0.0, 1.0], [0.0, 0.0]]]),
    "max(dim) sends it to the first index": (lambda lib, x: x.max(1).values, [[[1.0, 3.0, 3.0], [3.0, 3.0, 1.0]]]),
    "min(dim) sends it to the first index": (lambda lib, x: x.min(0).values, [[[1.0, 2.0], [1.0, 0.0]]]),
    "maximum halves it": (lambda lib, x, y: lib.maximum(x, y), [[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]),
    "minimum halves it": (lambda lib, x, y: lib.minimum(x, y), [[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]),
    "max(a, b) is maximum": (lambda lib, x, y: lib.max(x, y), [[1.0, 2.0], [2.0, 2.0]]),
    "clamp keeps it at a bound": (lambda lib, x: x.clamp(1.0, 2.0), [[0.0, 1.0, 1.5, 2.0, 3.0]]),
    "clamp with tensor bounds at the bounds": (lambda lib, x, lo, hi: x.clamp(lo, hi),
                                               [[0.0, 1.0, 1.5, 2.0, 3.0], [1.0] * 5, [2.0] * 5]),
    "clamp(min=tensor) at the bound": (lambda lib, x, lo: x.clamp(min=lo), [[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]),
    "norm(inf) at ties": (lambda lib, x: x.norm(math.inf), [[-2.0, 1.0, 2.0]]),
    "linalg.norm(ord=1) at equal column sums": (lambda lib, x: lib.linalg.norm(x, 1), [[[1.0, -1.0], [1.0, 1.0]]]),
    "2-norm of zeros: 0, not NaN": (lambda lib, x: x.norm(), [[0.0, 0.0, 0.0]]),
    "2-norm of a zero row": (lambda lib, x: lib.linalg.vector_norm(x, dim=1), [[[0.0, 0.0], [3.0, 4.0]]]),
    "p-norm of zeros": (lambda lib, x: x.norm(3), [[0.0, 0.0]]),
    "norm(p=0.5) with a zero": (lambda lib, x: x.norm(0.5), [[0.0, 1.0, 4.0]]),
    "std of equal values: 0, not NaN": (lambda lib, x: x.std(), [[2.0, 2.0, 2.0]]),
    "std(dim) with one constant row": (lambda lib, x: x.std(1), [[[1.0, 1.0], [1.0, 3.0]]]),
    "|x| via norm(p=1) at 0": (lambda lib, x: x.norm(1), [[0.0, -1.0, 2.0]]),
    "prod with one zero": (lambda lib, x: x.prod(), [[0.0, 2.0, 3.0]]),
    "prod with two zeros": (lambda lib, x: x.prod(0), [[[0.0, 2.0], [0.0, 0.0], [5.0, 1.0]]]),
    "sign and round: gradient 0": (lambda lib, x: x.sign() + x.round() + lib.round(x, decimals=1), [[0.5, -1.25, 0.0]]),
    "x ** y at x = 0 and y = 0": (lambda lib, x, y: x ** y, [[0.0, 0.0, 2.0, 0.0, 0.0], [0.0, 2.0, 0.0, -1.0, 0.5]]),
    "x ** y with x < 0": (lambda lib, x, y: x ** y, [[-2.0, -3.0], [2.0, 3.0]]),
    "(-2) ** t and 0 ** t": (lambda lib, y: (-2.0) ** y + 0 ** y, [[1.0, 2.0, 3.0]]),
    "where: the unchosen side gets exact zeros": (lambda lib, x: lib.where(x > 0, x.log(), x),
                                                  [[-1.0, 0.0, 2.0]]),
}


@pytest.mark.parametrize("name", list(TIES))
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # ln(−1) on the side where drops
def test_gradient_at_ties_and_kinks_is_pytorchs(torch, name):
    fn, values = TIES[name]
    ours = [leaf(v) for v in values]
    theirs = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    out, ref = fn(tinygrad_lr, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, equal_nan=True)
    G = np.arange(1.0, 1.0 + ref.numel()).reshape(tuple(ref.shape))
    out.backward(tinygrad_lr.tensor(G))
    ref.backward(torch.tensor(G))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, equal_nan=True, err_msg=name)


def test_argmax_and_argmin_pick_the_first_of_ties_as_pytorch(torch):
    x = np.array([[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]])
    for dim, keepdim in ((None, False), (None, True), (0, False), (1, True), (-1, False)):
        for name in ("argmax", "argmin"):
            ours = getattr(tinygrad_lr.tensor(x), name)(dim=dim, keepdim=keepdim)
            ref = getattr(torch.tensor(x), name)(dim=dim, keepdim=keepdim)
            assert ours.dtype == np.int64 and tuple(ours.shape) == tuple(ref.shape), (name, dim, keepdim)
            np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert tinygrad_lr.argmax(tinygrad_lr.tensor([2.0, 5.0, 5.0])).item() == 1
    assert tinygrad_lr.tensor(3.0).argmax(0).item() == 0


# ---- max / min along a dim: (values, indices) ------------------------------------------------------
def test_max_along_a_dim_is_a_namedtuple_of_values_and_indices(torch):
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    result = tinygrad_lr.tensor(x).max(1)
    values, indices = result                                   # unpacks like a tuple
    assert type(result).__name__ == "max" and result._fields == ("values", "indices")
    assert result.values is values and result[1] is indices
    ref = torch.tensor(x).max(1)
    np.testing.assert_array_equal(values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref.indices.numpy())
    assert indices.dtype == np.int64 and not indices.requires_grad
    low = tinygrad_lr.min(tinygrad_lr.tensor(x), dim=0, keepdim=True)
    assert type(low).__name__ == "min" and low.values.shape == (1, 3) and low.indices.tolist() == [[0, 1, 0]]
    assert "values=" in repr(low) and "indices=" in repr(low)


def test_max_of_a_0d_tensor_along_dim_0():
    v, i = tinygrad_lr.tensor(3.0, requires_grad=True).max(0)
    assert v.shape == () and v.item() == 3.0 and i.item() == 0 and v.requires_grad


# ---- integer inputs, as in PyTorch --------------------------------------------------------------
def test_integer_inputs_follow_pytorch(torch):
    cases = {
        "sin": lambda lib, t: t.sin(), "rsqrt": lambda lib, t: t.rsqrt(), "reciprocal": lambda lib, t: t.reciprocal(),
        "log1p": lambda lib, t: lib.log1p(t), "sign": lambda lib, t: t.sign(), "round": lambda lib, t: t.round(),
        "clamp ints": lambda lib, t: t.clamp(0, 2), "clamp float bound": lambda lib, t: t.clamp(min=0.5),
        "maximum": lambda lib, t: lib.maximum(t, t.flip(0)), "max": lambda lib, t: t.max(),
        "amax": lambda lib, t: t.amax(0), "prod": lambda lib, t: t.prod(), "cumsum": lambda lib, t: t.cumsum(0),
        "logsumexp": lambda lib, t: t.logsumexp(0), "pow int ** int": lambda lib, t: t ** t,
        "pow int ** float tensor": lambda lib, t: t ** lib.tensor([0.5, 1.0, 2.0]),
        "where of ints": lambda lib, t: lib.where(t > 1, t, 0),
    }
    for name, fn in cases.items():
        for dt in ("int64", "int32"):
            ours = fn(tinygrad_lr, tinygrad_lr.tensor(np.array([1, 2, 3], dtype=dt)))
            ref = fn(torch, torch.tensor(np.array([1, 2, 3], dtype=dt)))
            assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (name, dt, ours.dtype, ref.dtype)
            np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, err_msg=name)


# ---- float32 stays float32 ----------------------------------------------------------------------
FLOAT32 = [
    lambda x: x.sin(), lambda x: x.cos(), lambda x: x.tan(), lambda x: x.abs().log1p(), lambda x: x.expm1(),
    lambda x: x.abs().rsqrt(), lambda x: x.reciprocal(), lambda x: x.sign(), lambda x: x.round(decimals=2),
    lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(x * 0.5), lambda x: tinygrad_lr.maximum(x, 0.25),
    lambda x: tinygrad_lr.where(x > 0, x, 0.5), lambda x: x.abs() ** x,
    lambda x: x.abs() ** tinygrad_lr.tensor(2.0, dtype=tinygrad_lr.float64),   # a 0-d float64 does not promote
    lambda x: x.max(), lambda x: x.max(1).values, lambda x: x.amin(0), lambda x: x.prod(1),
    lambda x: x.var(0), lambda x: x.std(), lambda x: x.norm(), lambda x: x.norm(3, 1), lambda x: x.norm(math.inf),
    lambda x: linalg.norm(x, 1), lambda x: x.logsumexp(1), lambda x: x.cumsum(0), lambda x: x.softmax(1),
    lambda x: x.log_softmax(0),
]


@pytest.mark.parametrize("i", range(len(FLOAT32)))
def test_float32_stays_float32(i):
    x = tinygrad_lr.tensor(X.astype(np.float32), requires_grad=True)
    out = FLOAT32[i](x)
    assert out.dtype == tinygrad_lr.float32
    out.sum().backward()
    assert x.grad.dtype == tinygrad_lr.float32


def test_dtype_argument_of_the_reductions_and_softmax(torch):
    x = X.astype(np.float32)
    for name, args in (("softmax", (1,)), ("log_softmax", (0,)), ("sum", ()), ("mean", ()), ("prod", ()),
                       ("cumsum", (1,))):
        ours = getattr(tinygrad_lr.tensor(x), name)(*args, dtype=tinygrad_lr.float64)
        ref = getattr(torch.tensor(x), name)(*args, dtype=torch.float64)
        assert ours.dtype == tinygrad_lr.float64, name
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12, err_msg=name)
    assert tinygrad_lr.tensor([1, 2, 3]).prod(dtype=tinygrad_lr.float32).dtype == tinygrad_lr.float32
    assert tinygrad_lr.tensor([1, 2, 3]).softmax(0, dtype=tinygrad_lr.float32).dtype == tinygrad_lr.float32


# ---- forms and smaller cases ----------------------------------------------------------------------
def test_where_with_the_condition_alone_gives_the_indices_of_the_true_elements(torch):
    c = np.array([[True, False, True], [False, False, True]])
    ours, theirs = tinygrad_lr.where(tinygrad_lr.tensor(c)), torch.where(torch.tensor(c))
    assert len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs):
        assert a.dtype == np.int64
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_var_and_std_accept_pytorchs_spellings_of_the_correction(torch):
    x = X
    for args, kwargs in (((), {}), ((1,), {}), ((1, False), {}), ((False,), {}), ((0, True, True), {}),
                         ((), {"correction": 0}), (((0, 1),), {"correction": 2, "keepdim": True}),
                         ((), {"unbiased": False}), ((1,), {"unbiased": True, "keepdim": True})):
        for name in ("var", "std"):
            ours = getattr(tinygrad_lr.tensor(x), name)(*args, **kwargs)
            ref = getattr(torch.tensor(x), name)(*args, **kwargs)
            assert ours.shape == tuple(ref.shape), (name, args, kwargs)
            np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-12, err_msg=f"{name}{args}{kwargs}")


def test_var_with_no_degrees_of_freedom_warns_and_is_inf_or_nan_as_in_pytorch():
    with pytest.warns(UserWarning, match=r"var: degrees of freedom n - correction = 1 - 1 <= 0"):
        assert math.isnan(tinygrad_lr.tensor([2.0]).var().item())
    with pytest.warns(UserWarning, match="std: degrees of freedom"):
        assert tinygrad_lr.tensor([1.0, 2.0]).std(correction=3).item() == math.inf


def test_prod_of_an_empty_dim_is_one_and_cumsum_of_an_empty_one_is_empty():
    np.testing.assert_array_equal(tinygrad_lr.zeros(2, 0).prod(1).numpy(), [1.0, 1.0])
    assert tinygrad_lr.zeros(2, 0).cumsum(1).shape == (2, 0)
    assert tinygrad_lr.zeros(2, 0).softmax(1).shape == (2, 0)


def test_rsqrt_and_reciprocal_at_zero_are_inf_as_in_pytorch():
    assert tinygrad_lr.tensor([0.0]).rsqrt().item() == math.inf
    with np.errstate(divide="ignore"):   # (1 / 0 is Div's, which lets NumPy warn)
        assert tinygrad_lr.tensor([0.0]).reciprocal().item() == math.inf


def test_norm_of_p_0_counts_the_nonzeros_and_has_no_gradient():
    x = leaf([0.0, 2.0, -1.0])
    out = x.norm(0)
    assert out.item() == 2.0 and not out.requires_grad     # as in PyTorch: the count is a constant


def test_function_forms_are_the_methods():
    x = tinygrad_lr.tensor(X)
    for name in ("sin", "cos", "tan", "expm1", "sign", "round", "softmax", "log_softmax", "cumsum", "logsumexp"):
        args = (1,) if name in ("softmax", "log_softmax", "cumsum", "logsumexp") else ()
        np.testing.assert_array_equal(getattr(tinygrad_lr, name)(x, *args).numpy(), getattr(x, name)(*args).numpy())
    np.testing.assert_array_equal(tinygrad_lr.clamp(x, max=0.0).numpy(), np.minimum(X, 0.0))
    np.testing.assert_array_equal(tinygrad_lr.amax([[1.0, 4.0], [3.0, 2.0]], 0).numpy(), [3.0, 4.0])


# ---- errors: one line that names the op, the value and the fix ---------------------------------------
ERRORS = [
    (lambda: tinygrad_lr.zeros(2, 3).max(3), IndexError,
     r"max: dim 3 is out of range for a tensor with 2 dimension\(s\) \(expected a dim from -2 to 1\)"),
    (lambda: tinygrad_lr.zeros(2, 3).argmin(-3), IndexError, "argmin: dim -3 is out of range"),
    (lambda: tinygrad_lr.zeros(2, 3).softmax(2), IndexError, "softmax: dim 2 is out of range"),
    (lambda: tinygrad_lr.zeros(2, 3).cumsum(5), IndexError, "cumsum: dim 5 is out of range"),
    (lambda: tinygrad_lr.zeros(2, 3).amax((0, 0)), ValueError, r"amax: dim \(0, 0\) names the same dimension twice"),
    (lambda: tinygrad_lr.zeros(2, 3).argmax((0, 1)), TypeError, "argmax: dim must be an integer"),
    (lambda: tinygrad_lr.zeros(2, 3).norm("nuc"), ValueError, r"norm: p='nuc' is not supported \(the nuclear norm"),
    (lambda: tinygrad_lr.zeros(2, 3).norm("foo"), ValueError, "norm: p='foo' is not supported; use a number"),
    (lambda: linalg.norm(tinygrad_lr.zeros(2, 3), 2), ValueError,
     "linalg.norm: the matrix norm ord=2 is not supported"),
    (lambda: linalg.norm(tinygrad_lr.zeros(2, 3, 4), 1), ValueError, "linalg.norm: ord=1 needs a 1-d or 2-d input"),
    (lambda: linalg.vector_norm(tinygrad_lr.zeros(3), "fro"), ValueError,
     "linalg.vector_norm: ord='fro' is not a vector"),
    (lambda: tinygrad_lr.tensor([1, 2]).norm(), TypeError, "norm: needs a floating-point tensor, got int64"),
    (lambda: tinygrad_lr.tensor([1, 2]).var(), TypeError, "var: needs a floating-point tensor, got int64"),
    (lambda: tinygrad_lr.tensor([1, 2]).softmax(0), TypeError, r"softmax: needs a floating-point tensor, got int64; "
                                                               r"convert it first with \.float\(\)"),
    (lambda: tinygrad_lr.zeros(3).var(unbiased=False, correction=1), TypeError,
     "var: pass unbiased= or correction=, not both"),
    (lambda: tinygrad_lr.zeros(3).clamp(), RuntimeError, "clamp: at least one of min and max must be given"),
    (lambda: tinygrad_lr.zeros(2, 3).clamp(tinygrad_lr.zeros(2)), ValueError,
     r"clamp: the shapes of input \(2, 3\) and min \(2,\) cannot be broadcast together"),
    (lambda: tinygrad_lr.where(tinygrad_lr.tensor([1.0, 0.0]), 1.0, 0.0), RuntimeError,
     r"where: the condition must be a bool tensor, got float32; compare first, e.g. where\(x > 0, x, 0.0\)"),
    (lambda: tinygrad_lr.where(tinygrad_lr.tensor([True]), tinygrad_lr.zeros(2)), TypeError,
     "where: pass both input and other"),
    (lambda: tinygrad_lr.where(tinygrad_lr.tensor([True, False]), tinygrad_lr.zeros(3), 0.0), ValueError,
     r"where: the shapes of condition \(2,\), input \(3,\) and other \(\) cannot be broadcast together"),
    (lambda: tinygrad_lr.maximum(tinygrad_lr.zeros(2), tinygrad_lr.zeros(3)), ValueError,
     r"maximum: shapes \(2,\) and \(3,\) cannot be broadcast together"),
    (lambda: tinygrad_lr.zeros(0).max(), RuntimeError, r"max: the tensor is empty \(shape \(0,\)\), so it has no max"),
    (lambda: tinygrad_lr.zeros(2, 0).amin(1), IndexError, r"amin: dim 1 of shape \(2, 0\) has size 0"),
    (lambda: tinygrad_lr.zeros(2, 0).argmax(), RuntimeError, "argmax: the tensor is empty"),
    (lambda: tinygrad_lr.tensor([1, 2]) ** tinygrad_lr.tensor([-1, 2]), RuntimeError,
     "pow: integers to negative integer powers are not allowed"),
    (lambda: tinygrad_lr.zeros(2) ** "2", TypeError, "pow: the exponent must be a number or a tensor, got str"),
    (lambda: tinygrad_lr.tensor([1, 2]).round(decimals=1), TypeError, "round: decimals= needs a floating-point tensor"),
    (lambda: tinygrad_lr.zeros(2).round(decimals=0.5), TypeError, "round: decimals must be an integer"),
    (lambda: tinygrad_lr.zeros(2, 3).softmax(), TypeError, "dim"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_user_mistakes_get_one_clear_line(i):
    call, kind, pattern = ERRORS[i]
    with pytest.raises(kind, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)
