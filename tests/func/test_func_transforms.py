"""tinygrad_lr.func against torch.func, function by function, on the same float64 inputs (values and shapes).

The worked example is the lecture notes' linear regression, ℓ = 1/(2n)·Σ(Xw + b − y)²: its gradient, its Hessian
XᵀX/n, and its per-sample gradients ∇ℓ⁽ⁱ⁾ = [x⁽ⁱ⁾r, r] with r = x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾ (the hand formula, to 1e-12).
"""
import numpy as np
import pytest

import tinygrad_lr as tg
from conftest import optional
from tinygrad_lr import func

N, D = 7, 3
RNG = np.random.default_rng(0)
X, Y, W = RNG.standard_normal((N, D)), RNG.standard_normal(N), RNG.standard_normal(D)
B = 0.3


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


def ours(a):
    return tg.tensor(np.asarray(a, dtype=np.float64))


def same(a, b, tol=1e-12):
    """a (ours, possibly a pytree) equals b (torch's) in structure, shapes and values."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            same(a[k], b[k], tol)
    elif isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), (type(a), type(b))
        for x, y in zip(a, b):
            same(x, y, tol)
    else:
        assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def loss(lib):
    """The notes' ℓ(w, b) = 1/(2n)·Σ(Xw + b − y)², written once for both libraries."""
    X_, Y_ = (ours(X), ours(Y)) if lib is tg else (lib.tensor(X), lib.tensor(Y))
    return lambda w, b: ((X_ @ w + b - Y_) ** 2).sum() / (2 * N)


def sample_loss(w, b, x, y):
    """ℓ⁽ⁱ⁾ = ½(xᵀw + b − y)², one sample's loss (the notes' loss with n = 1)."""
    r = x @ w + b - y
    return 0.5 * r * r


# ---- grad, grad_and_value -------------------------------------------------------------------------------------
def test_grad_of_the_notes_loss_matches_torch_and_the_hand_formula(torch):
    gw, gb = func.grad(loss(tg), argnums=(0, 1))(ours(W), ours(B))
    tw, tb = torch.func.grad(loss(torch), argnums=(0, 1))(torch.tensor(W), torch.tensor(np.float64(B)))
    same((gw, gb), (tw, tb))
    r = X @ W + B - Y
    np.testing.assert_allclose(gw.numpy(), X.T @ r / N, rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), r.sum() / N, rtol=1e-12)


def test_grad_of_a_dict_of_parameters_with_aux(torch):
    def f(lib):
        def fn(params, x):
            out = (x @ params["w"] + params["b"]).tanh()
            return out.sum(), {"out": out}
        return fn
    params = {"w": W, "b": np.array(B)}
    g, aux = func.grad(f(tg), has_aux=True)({k: ours(v) for k, v in params.items()}, ours(X))
    tg_, taux = torch.func.grad(f(torch), has_aux=True)({k: torch.tensor(v) for k, v in params.items()},
                                                        torch.tensor(X))
    same(g, tg_)
    same(aux, taux)


def test_grad_and_value_returns_both_as_torch_does(torch):
    (g, (value, aux)) = func.grad_and_value(lambda w: ((w ** 3).sum(), w * 2), has_aux=True)(ours(W))
    (tg_, (tvalue, taux)) = torch.func.grad_and_value(lambda w: ((w ** 3).sum(), w * 2), has_aux=True)(
        torch.tensor(W))
    same((g, value, aux), (tg_, tvalue, taux))
    g, value = func.grad_and_value(lambda w, b: (w * b).sum(), argnums=1)(ours(W), ours(B))
    same((g, value), torch.func.grad_and_value(lambda w, b: (w * b).sum(), argnums=1)(torch.tensor(W),
                                                                                      torch.tensor(np.float64(B))))


def test_grad_of_grad_is_the_second_derivative():
    f = lambda x: (x ** 3).sum()  # noqa: E731
    g2 = func.grad(lambda x: func.grad(f)(x).sum())(ours(W))
    np.testing.assert_allclose(g2.numpy(), 6 * W, rtol=1e-12)
    # a closure's variable: ∂/∂y (x·y) = x, differentiated again by x
    outer = func.grad(lambda x: func.grad(lambda y: (x * y).sum())(ours(W)).sum())(ours(W))
    np.testing.assert_allclose(outer.numpy(), np.ones(D))


# ---- vjp, jvp ---------------------------------------------------------------------------------------------------
def test_vjp_with_two_outputs_matches_torch(torch):
    def f(x, y):
        return x.sin() * y, (x * y).sum()
    v = (RNG.standard_normal(D), np.array(1.5))
    out, fn = func.vjp(f, ours(W), ours(X[0]))
    tout, tfn = torch.func.vjp(f, torch.tensor(W), torch.tensor(X[0]))
    same(out, tout)
    same(fn((ours(v[0]), ours(v[1]))), tfn((torch.tensor(v[0]), torch.tensor(v[1]))))
    same(fn((ours(v[0]), ours(v[1]))), tfn((torch.tensor(v[0]), torch.tensor(v[1]))))  # called again


def test_jvp_matches_torch(torch):
    f = lambda x: (x.exp() * x.sum(), x.cos())  # noqa: E731
    out, t = func.jvp(f, (ours(W),), (ours(X[0]),))
    tout, tt = torch.func.jvp(f, (torch.tensor(W),), (torch.tensor(X[0]),))
    same((out, t), (tout, tt))


# ---- jacobians, hessian ------------------------------------------------------------------------------------------
def test_jacrev_and_jacfwd_match_torch_with_argnums_and_pytrees(torch):
    def f(x, y):
        return {"a": x.outer(y).tanh(), "b": (x * x).sum()}
    args = (W, X[0, :2])
    for ours_fn, theirs_fn in ((func.jacrev, torch.func.jacrev), (func.jacfwd, torch.func.jacfwd)):
        same(ours_fn(f, argnums=(0, 1))(*map(ours, args)),
             theirs_fn(f, argnums=(0, 1))(*[torch.tensor(a) for a in args]))
        same(ours_fn(f)(*map(ours, args)), theirs_fn(f)(*[torch.tensor(a) for a in args]))


def test_hessian_of_the_notes_loss_is_xtx_over_n(torch):
    H = func.hessian(loss(tg))(ours(W), ours(B))
    np.testing.assert_allclose(H.numpy(), X.T @ X / N, rtol=1e-12, atol=1e-15)
    same(H, torch.func.hessian(loss(torch))(torch.tensor(W), torch.tensor(np.float64(B))))
    Hwb = func.hessian(loss(tg), argnums=(0, 1))(ours(W), ours(B))  # the blocks of [X, 1]ᵀ[X, 1]/n
    same(Hwb, torch.func.hessian(loss(torch), argnums=(0, 1))(torch.tensor(W), torch.tensor(np.float64(B))))
    np.testing.assert_allclose(Hwb[0][1].numpy(), X.sum(0) / N, rtol=1e-12)


# ---- vmap ---------------------------------------------------------------------------------------------------------
def test_per_sample_gradients_of_the_notes_problem_equal_the_hand_formula():
    gw, gb = func.vmap(func.grad(sample_loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))(
        ours(W), ours(B), ours(X), ours(Y))
    r = X @ W + B - Y
    np.testing.assert_allclose(gw.numpy(), X * r[:, None], rtol=1e-12, atol=1e-12)  # x⁽ⁱ⁾ r
    np.testing.assert_allclose(gb.numpy(), r, rtol=1e-12, atol=1e-12)                # r
    batch_w, batch_b = func.grad(loss(tg), argnums=(0, 1))(ours(W), ours(B))          # their mean: the batch's
    np.testing.assert_allclose(gw.numpy().mean(0), batch_w.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gb.numpy().mean(), batch_b.numpy(), rtol=1e-12)


def test_vmap_in_dims_out_dims_and_nesting_match_torch(torch):
    A = RNG.standard_normal((3, 4, 5))
    cases = [
        (lambda x, y: x * y, dict(in_dims=(0, None)), (A, A[0])),
        (lambda x, y: x @ y, dict(in_dims=(-1, None), out_dims=1), (A, A[0, :, 0])),
        (lambda x: (x.sum(0), x.T), dict(out_dims=(0, -1)), (A,)),
        (lambda d: d["a"] * d["b"].sum(), dict(in_dims=({"a": 1, "b": None},)), ({"a": A, "b": A[0]},)),
        (lambda p: p[0] - p[1].mean(), dict(in_dims=((2, -1),)), ((A, A[:, :2]),)),
    ]
    for f, kw, args in cases:
        wrap = lambda lib, a: {k: wrap(lib, v) for k, v in a.items()} if isinstance(a, dict) else (  # noqa: E731
            tuple(wrap(lib, v) for v in a) if isinstance(a, tuple) else (ours(a) if lib is tg else lib.tensor(a)))
        same(func.vmap(f, **kw)(*[wrap(tg, a) for a in args]), torch.func.vmap(f, **kw)(*[wrap(torch, a) for a in args]))
    nested = lambda lib: lib.func.vmap(lib.func.vmap(lambda x, y: (x * y).sum()), in_dims=(0, None))  # noqa: E731
    same(nested(tg)(ours(A), ours(A[0])), nested(torch)(torch.tensor(A), torch.tensor(A[0])))
    same(func.vmap(lambda x: x, chunk_size=2)(ours(A)), torch.tensor(A))


def test_vmap_of_jacrev_and_of_hessian_match_torch(torch):
    f = lambda x: x.sin() * (x ** 2).sum()  # noqa: E731
    same(func.vmap(func.jacrev(f))(ours(X)), torch.func.vmap(torch.func.jacrev(f))(torch.tensor(X)))
    g = lambda x: (x.exp() * x).sum()  # noqa: E731
    same(func.vmap(func.hessian(g))(ours(X)), torch.func.vmap(torch.func.hessian(g))(torch.tensor(X)))


def test_vmap_of_a_vjp_function_over_cotangents(torch):
    out, fn = func.vjp(lambda x: x.outer(x), ours(W))
    cts = RNG.standard_normal((4, D, D))
    _, tfn = torch.func.vjp(lambda x: x.outer(x), torch.tensor(W))
    same(func.vmap(fn)(ours(cts)), torch.func.vmap(tfn)(torch.tensor(cts)))


# ---- functional_call ------------------------------------------------------------------------------------------------
def _mlp(lib, seed=0):
    lib.manual_seed(seed)
    return lib.nn.Sequential(lib.nn.Linear(D, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)).double()


def test_functional_call_and_per_sample_grads_of_an_mlp_match_torch(torch):
    model, tmodel = _mlp(tg), _mlp(torch)
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        tp.data = torch.tensor(p.detach().numpy().copy())
    own = list(model.parameters())
    params = {k: v.detach() for k, v in model.named_parameters()}
    tparams = {k: v.detach() for k, v in tmodel.named_parameters()}
    labels = np.arange(N) % 2
    same(func.functional_call(model, params, (ours(X),)), torch.func.functional_call(tmodel, tparams, (torch.tensor(X),)))

    def per_sample(lib, m, F):
        def loss_fn(p, x, y):
            return F.cross_entropy(lib.func.functional_call(m, p, (x.unsqueeze(0),)), y.unsqueeze(0))
        return lib.func.vmap(lib.func.grad(loss_fn), in_dims=(None, 0, 0))
    got = per_sample(tg, model, tg.nn.functional)(params, ours(X), tg.tensor(labels))
    want = per_sample(torch, tmodel, torch.nn.functional)(tparams, torch.tensor(X), torch.tensor(labels))
    same(got, want, 1e-10)
    assert all(p is q for p, q in zip(model.parameters(), own))  # the module's own parameters, put back


def test_functional_call_with_buffers_strict_and_errors():
    class Scaled(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = tg.nn.Linear(D, 1).double()
            self.register_buffer("scale", ours(2.0))

        def forward(self, x):
            return self.lin(x) * self.scale
    m = Scaled()
    p = {k: v.detach() for k, v in m.named_parameters()}
    out = func.functional_call(m, (p, {"scale": ours(3.0)}), ours(X))
    np.testing.assert_allclose(out.numpy(), m(ours(X)).detach().numpy() * 1.5, rtol=1e-12)
    assert m.scale.item() == 2.0
    with pytest.raises(RuntimeError, match="Unexpected key"):
        func.functional_call(m, {"nope": ours(1.0)}, ours(X))
    with pytest.raises(RuntimeError, match="Missing key"):
        func.functional_call(m, p, ours(X), strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        func.functional_call(m, (p, p), ours(X))
    with pytest.raises(ValueError):  # put back after an error too (here: x of the wrong width)
        func.functional_call(m, {"scale": ours(3.0), "lin.weight": p["lin.weight"] * 2}, ours(X[:, :2]))
    assert m.scale.item() == 2.0 and m.lin.weight is m._modules["lin"]._parameters["weight"]
    assert np.array_equal(m.lin.weight.detach().numpy(), p["lin.weight"].numpy())
