"""vmap's behaviour beyond the values: what a batched tensor looks like inside, the loop fallback of a Function
without a batch rule (one warning, right values), PyTorch's rule API, randomness, and the errors."""
import warnings

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.autograd import Function
from tinygrad_lr.func import grad, vmap

A = np.arange(24.0).reshape(4, 2, 3)


def test_inside_vmap_a_tensor_has_the_shape_of_one_sample():
    seen = {}

    def f(x):
        seen.update(shape=tuple(x.shape), ndim=x.ndim, len=len(x), numel=x.numel(), repr=repr(x))
        return x
    vmap(f, in_dims=1)(tg.tensor(A))
    assert seen["shape"] == (4, 3) and seen["ndim"] == 2 and seen["len"] == 4 and seen["numel"] == 12
    assert seen["repr"].startswith("BatchedTensor(lvl=") and "bdim=0" in seen["repr"]


class Cube(Function):
    """A user's op without a batch rule: out = x³, ∂L/∂x = 3x²·g."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g


def test_a_function_without_a_rule_runs_in_a_loop_with_one_warning():
    x = tg.tensor(A)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = vmap(lambda t: Cube.apply(t) + 1)(x)
        again = vmap(grad(lambda t: Cube.apply(t).sum()))(x)
    messages = [str(w.message) for w in caught if "batching rule" in str(w.message)]
    assert len(messages) == 1 and messages[0].startswith("vmap: Cube has no batching rule")
    np.testing.assert_array_equal(out.numpy(), A ** 3 + 1)
    np.testing.assert_array_equal(again.numpy(), 3 * A ** 2)


class Square(Function):
    """With PyTorch's rule API: vmap(info, in_dims, x) returns (output, out_dim) — no loop, no warning."""
    calls = 0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g

    @staticmethod
    def vmap(info, in_dims, x):
        Square.calls += 1
        assert info.batch_size == 4 and in_dims == (0,)
        return Square.apply(x), 0


def test_a_function_with_pytorchs_vmap_static_method_uses_it():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = vmap(lambda t: Square.apply(t))(tg.tensor(A))
        g = vmap(grad(lambda t: Square.apply(t).sum()))(tg.tensor(A))
    assert Square.calls == 2
    np.testing.assert_array_equal(out.numpy(), A ** 2)
    np.testing.assert_array_equal(g.numpy(), 2 * A)


def test_randomness():
    x = tg.tensor(A)
    with pytest.raises(RuntimeError, match="randomness"):
        vmap(lambda t: t + tg.randn(3))(x)
    with pytest.raises(RuntimeError, match="randomness"):
        vmap(lambda t: tg.nn.functional.dropout(t, 0.5))(x)
    different = vmap(lambda t: t * 0 + tg.randn(2, 3), randomness="different")(x).numpy()
    same = vmap(lambda t: t * 0 + tg.randn(2, 3), randomness="same")(x).numpy()
    assert not np.allclose(different[0], different[1]) and np.array_equal(same[0], same[1])
    dropped = vmap(lambda t: tg.nn.functional.dropout(t + 1, 0.5), randomness="different")(x).numpy()
    assert set(np.unique(dropped == 0)) == {True, False}


def test_errors_name_the_problem_and_the_fix():
    x, y = tg.tensor(A), tg.tensor(A[:3])
    with pytest.raises(ValueError, match="same size in the mapped dimension, got sizes \\[4, 3\\]"):
        vmap(lambda a, b: a)(x, y)
    with pytest.raises(ValueError, match="in_dim=3 .* -3 <= in_dim < 3"):
        vmap(lambda a: a, in_dims=3)(x)
    with pytest.raises(ValueError, match="no input is mapped"):
        vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(ValueError, match="non-Tensor"):
        vmap(lambda a, n: a, in_dims=(0, 0))(x, 3.0)
    with pytest.raises(ValueError, match="in_dims has 1 entries but 2"):
        vmap(lambda a, b: a, in_dims=(0,))(x, x)
    with pytest.raises(RuntimeError, match=r"vmap: \.item\(\) on a batched tensor"):
        vmap(lambda a: a.sum().item())(x)
    with pytest.raises(RuntimeError, match="torch.where"):
        vmap(lambda a: a if a.sum() > 0 else -a)(x)
    with pytest.raises(ValueError, match="must only return Tensors"):
        vmap(lambda a: 1.0)(x)
    with pytest.raises(ValueError, match="out_dims=None"):
        vmap(lambda a: a, out_dims=None)(x)
    with pytest.raises(RuntimeError, match="scalar Tensor"):
        vmap(grad(lambda a: a * 2))(x)
    with pytest.raises(RuntimeError, match="differs from sample to sample into a tensor the samples share"):
        shared = tg.zeros(2, 3, dtype=tg.float64)
        vmap(lambda a: shared.add_(a))(x)
    with pytest.raises(RuntimeError, match="with tinygrad_lr.func.grad"):
        vmap(lambda a: a.sum().backward())(x)


def test_an_output_the_samples_share_is_expanded_and_in_place_ops_on_a_batch_work():
    x = tg.tensor(A)
    out = vmap(lambda a: tg.ones(3, dtype=tg.float64), out_dims=0)(x)
    assert tuple(out.shape) == (4, 3)

    def f(a):
        b = a.clone()
        b.mul_(2)
        b[0] = a[1]
        return b
    np.testing.assert_array_equal(vmap(f)(x).numpy(), np.stack([np.stack([a[1], 2 * a[1]]) for a in A]))


def test_scatter_and_scatter_add_in_place_on_a_batch_equal_the_loop():
    """Found by tests/func/test_vmap_fuzz.py: y = x.clone(); y.scatter_add_(…) inside vmap raised 'not supported'
    (PyTorch batches it).  In place now runs the batched formula on x's old value; values and per-sample
    gradients equal a loop, and writing what differs per sample into a shared tensor is still refused."""
    s_all = A * 10 + 1
    index = tg.tensor([[1, 0, 1]])

    def f(x, s):
        y, z = x.clone(), x.clone()
        y.scatter_add_(0, index, s)
        z.scatter_(1, tg.tensor([[2], [0]]), s)
        return y, z

    def loss(x, s):
        y, z = f(x, s)
        return (y * tg.tensor(np.arange(6.0).reshape(2, 3))).sum() + (z * z).sum()

    for in_dims in [(0, 0), (0, None), (-1, 1)]:
        xs = tg.tensor(np.moveaxis(A, 0, in_dims[0]))
        ss = tg.tensor(s_all[0] if in_dims[1] is None else np.moveaxis(s_all, 0, in_dims[1]))
        got = vmap(f, in_dims=in_dims)(xs, ss)
        grads = vmap(grad(loss, argnums=(0, 1)), in_dims=in_dims)(xs, ss)
        for i, a in enumerate(A):
            s = s_all[0] if in_dims[1] is None else s_all[i]
            for out, want in zip(got, f(tg.tensor(a), tg.tensor(s))):
                np.testing.assert_array_equal(out.numpy()[i], want.numpy())
            x, s = tg.tensor(a, requires_grad=True), tg.tensor(s, requires_grad=True)
            for g, want in zip(grads, tg.autograd.grad(loss(x, s), [x, s])):
                np.testing.assert_array_equal(g.numpy()[i], want.numpy())
    with pytest.raises(RuntimeError, match="differs from sample to sample into a tensor the samples share"):
        vmap(f, in_dims=(None, 0))(tg.tensor(A[0]), tg.tensor(s_all))


def test_a_sample_that_is_0_d_promotes_as_a_0_d_tensor():
    """Found by tests/func/test_vmap_fuzz.py: inside vmap, a sample's 0-d float64 (x.amin()) times a float32
    vector gave float64 — the batch's array is 1-d, and the promotion rule looked at it — where the loop (and
    PyTorch) give float32: a 0-d tensor does not decide the dtype of a dimensioned one.  The rule now looks at
    the sample (operators.for_promotion): in arithmetic, where and clamp."""
    X = tg.tensor(A[:, 0])
    f32 = tg.tensor([0.5, 2.0, -1.0])
    programs = [lambda x: x.amin() * f32, lambda x: f32 - x.sum(), lambda x: tg.where(f32 > 0, f32, x.sum()),
                lambda x: tg.clamp(f32, min=x.mean())]
    for f in programs:
        out = vmap(f)(X)
        assert out.dtype == tg.float32
        np.testing.assert_array_equal(out.numpy(), np.stack([f(x).numpy() for x in X]))
    g = vmap(grad(lambda x: (x.amin() * f32).sum()))(X)
    assert g.dtype == tg.float64
    np.testing.assert_allclose(g.numpy(), np.stack([tg.autograd.grad((x.amin() * f32).sum(), [x])[0].numpy()
                                                    for x in [tg.tensor(a, requires_grad=True) for a in A[:, 0]]]))
