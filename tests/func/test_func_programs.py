"""Programs of the kind PyTorch's torch.func tutorials show, written our way, run under both libraries with the
same float64 weights: Jacobians of a tanh layer (by rows of autograd.grad, vmap(vjp), jacrev, jacfwd), Hessians
three ways, a batch of Jacobians and Hessians by vmap, Hessian-vector products by jvp(grad), and an ensemble of
models run at once with stack_module_state + functional_call + vmap."""
import copy
from functools import partial

import numpy as np
import pytest

import tinygrad_lr.torch as tt
from conftest import optional

RNG = np.random.default_rng(3)


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


def both(torch, *arrays):
    """The same float64 arrays as our tensors and as torch's."""
    return [tt.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def layer(lib, w, b, x):
    return lib.nn.functional.linear(x, w, b).tanh()


def close(a, b, tol=1e-10):
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def test_a_jacobian_four_ways_and_hessians_three_ways_equal_torch_func(torch):
    (w, b, x), (tw, tb, tx) = both(torch, RNG.standard_normal((5, 4)), RNG.standard_normal(5), RNG.standard_normal(4))
    xr = x.clone().requires_grad_()
    rows = tt.stack([tt.autograd.grad(layer(tt, w, b, xr), xr, e)[0] for e in tt.eye(5, dtype=tt.float64)])
    _, vjp_fn = tt.func.vjp(partial(layer, tt, w, b), x)
    by_vmap, = tt.func.vmap(vjp_fn)(tt.eye(5, dtype=tt.float64))
    theirs = torch.func.jacrev(partial(layer, torch), argnums=2)(tw, tb, tx)
    for ours in (rows, by_vmap, tt.func.jacrev(partial(layer, tt), argnums=2)(w, b, x),
                 tt.func.jacfwd(partial(layer, tt), argnums=2)(w, b, x)):
        close(ours, theirs)
    jw, jb = tt.func.jacrev(partial(layer, tt), argnums=(0, 1))(w, b, x)
    close(jw, torch.func.jacrev(partial(layer, torch), argnums=0)(tw, tb, tx))
    assert tuple(jb.shape) == (5, 5)
    h = torch.func.hessian(partial(layer, torch), argnums=2)(tw, tb, tx)
    f = partial(layer, tt)
    for ours in (tt.func.hessian(f, argnums=2)(w, b, x), tt.func.jacrev(tt.func.jacrev(f, argnums=2), argnums=2)(w, b, x),
                 tt.func.jacfwd(tt.func.jacfwd(f, argnums=2), argnums=2)(w, b, x)):
        close(ours, h)


def test_a_batch_of_jacobians_and_hessians_by_vmap(torch):
    (w, b, x), (tw, tb, tx) = both(torch, RNG.standard_normal((3, 4)), RNG.standard_normal(3),
                                   RNG.standard_normal((6, 4)))
    f, g = partial(layer, tt), partial(layer, torch)
    jac = tt.func.vmap(tt.func.jacrev(f, argnums=2), in_dims=(None, None, 0))(w, b, x)
    close(jac, torch.func.vmap(torch.func.jacrev(g, argnums=2), in_dims=(None, None, 0))(tw, tb, tx))
    summed = tt.func.jacrev(lambda w, b, x: f(w, b, x).sum(0), argnums=2)(w, b, x).movedim(1, 0)
    close(summed, jac)                       # the samples are independent: the Jacobian of the sum holds them all
    hess = tt.func.vmap(tt.func.hessian(f, argnums=2), in_dims=(None, None, 0))(w, b, x)
    close(hess, torch.func.vmap(torch.func.hessian(g, argnums=2), in_dims=(None, None, 0))(tw, tb, tx))


def test_hessian_vector_products_by_jvp_of_grad(torch):
    (x, v), (tx, tv) = both(torch, RNG.standard_normal(50), RNG.standard_normal(50))

    def hvp(lib, f, x, v):
        return lib.func.jvp(lib.func.grad(f), (x,), (v,))[1]
    ours = hvp(tt, lambda x: (x.sin() * x).sum(), x, v)
    close(ours, hvp(torch, lambda x: (x.sin() * x).sum(), tx, tv))
    close(ours, (2 * x.cos() - x * x.sin()) * v)   # d²/dx² (x sin x) = 2 cos x − x sin x, element-wise


def test_an_ensemble_runs_at_once_with_stack_module_state_and_vmap(torch):
    def models(lib):
        lib.manual_seed(0)
        return [lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(12, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
                for _ in range(4)]
    ours, theirs = models(tt), models(torch)
    for m, t in zip(ours, theirs):      # the same weights on both sides
        m.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    (data,), (tdata,) = both(torch, RNG.standard_normal((4, 5, 3, 4)).astype(np.float32))

    def run(lib, models, data):
        params, buffers = lib.func.stack_module_state(models)
        assert all(p.is_leaf and p.requires_grad for p in params.values())
        call = partial(lib.func.functional_call, copy.deepcopy(models[0]).to('meta'))  # a skeleton

        def fmodel(p, b, x):
            return call((p, b), (x,))
        each = lib.func.vmap(fmodel)(params, buffers, data)                       # model i on batch i
        shared = lib.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, data[0])   # all on batch 0
        return params, each, shared
    params, each, shared = run(tt, ours, data)
    tparams, teach, tshared = run(torch, theirs, tdata)
    assert {k: tuple(v.shape) for k, v in params.items()} == {k: tuple(v.shape) for k, v in tparams.items()}
    close(each, teach, 1e-5)
    close(shared, tshared, 1e-5)
    close(each, tt.stack([m(x) for m, x in zip(ours, data)]), 1e-6)
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        tt.func.stack_module_state([])
    ours[1].eval()
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        tt.func.stack_module_state(ours)
