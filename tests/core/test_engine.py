"""The backward engine: graph shapes, accumulation, freeing, grad modes, in-place rules, dtypes, create_graph."""
import gc
import weakref

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import tensor
from tinygrad_lr.autograd import Function
from tinygrad_lr.core import engine


def leaf(values, dtype=tinygrad_lr.float64):
    return tensor(values, dtype=dtype, requires_grad=True)


# ---- graph shapes -------------------------------------------------------------------
def test_value_used_by_two_ops_gets_the_sum_of_both_gradients():
    x = leaf([1.0, -2.0, 3.0])
    (x * x + x).sum().backward()  # d/dx (x² + x) = 2x + 1
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -3.0, 7.0])


def test_diamond_two_branches_share_a_parent():
    p = leaf([0.5, 2.0])
    a, b = p * 2, p + 1          # both made from p
    (a * b).sum().backward()     # z = 2p(p + 1): dz/dp = 2(p + 1) + 2p = 4p + 2
    np.testing.assert_allclose(p.grad.numpy(), 4 * np.array([0.5, 2.0]) + 2)


def test_diamond_with_branches_of_different_depth():
    x = leaf([0.3, -0.7])
    u = x.exp()
    v = (u * u).tanh()           # a long branch ...
    w = (v + u).sum()            # ... and a short one meet again
    w.backward()
    e = np.exp([0.3, -0.7])
    expected = (1 - np.tanh(e * e) ** 2) * 2 * e * e + e
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_chain_of_10000_ops_does_not_hit_the_recursion_limit():
    x = leaf(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-10)
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None  # the deep graph is released, too


def test_deep_chain_of_additions_with_create_graph():
    x = leaf(2.0)
    y = x
    for _ in range(3000):
        y = y + x * x                 # y = x + 3000 x²
    g, = tinygrad_lr.autograd.grad(y, x, create_graph=True)
    assert g.item() == 1 + 3000 * 2 * 2.0 and g.requires_grad
    h, = tinygrad_lr.autograd.grad(g, x)
    assert h.item() == 6000


# ---- accumulation, freeing, retain_graph -------------------------------------------------
def test_gradients_accumulate_across_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    assert x.grad is first  # accumulated into the same tensor, as in PyTorch


def test_grad_is_a_copy_not_the_seed_gradient():
    x = leaf([1.0, 2.0])
    g = tensor([1.0, 1.0], dtype=tinygrad_lr.float64)
    (x + 0).backward(g)
    with tinygrad_lr.no_grad():
        g.mul_(100)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_second_backward_through_a_freed_graph_names_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"MulBackward: .*second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_freed_graph_drops_its_saved_arrays():
    x = leaf(np.ones(3))
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        node.saved_tensors


# ---- grad modes ------------------------------------------------------------------------
def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with tinygrad_lr.no_grad():
        y = (x * 2).exp().sum()
        assert not tinygrad_lr.is_grad_enabled()
    assert tinygrad_lr.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_grad_mode_decorators_and_nesting():
    x = leaf([1.0])

    @tinygrad_lr.no_grad()
    def quiet():
        return x * 2

    @tinygrad_lr.enable_grad()
    def loud():
        return x * 2

    @tinygrad_lr.set_grad_enabled(False)
    def off():
        return x * 2

    assert not quiet().requires_grad and not off().requires_grad
    with tinygrad_lr.no_grad():
        assert loud().requires_grad
        with tinygrad_lr.enable_grad():
            assert (x * 2).grad_fn is not None
        assert (x * 2).grad_fn is None
    assert quiet.__name__ == "quiet" and tinygrad_lr.is_grad_enabled()


def test_set_grad_enabled_as_a_call_and_as_a_context():
    x = leaf([1.0])
    try:
        tinygrad_lr.set_grad_enabled(False)  # a plain call switches at once, as in PyTorch
        assert not tinygrad_lr.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        tinygrad_lr.set_grad_enabled(True)
    with tinygrad_lr.set_grad_enabled(False):
        assert (x * 2).grad_fn is None
    assert tinygrad_lr.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with tinygrad_lr.no_grad():
            1 / 0
    assert tinygrad_lr.is_grad_enabled()


# ---- leaves, detach, .data, retain_grad, inputs= ------------------------------------------
def test_leaves_and_non_leaves():
    x = leaf([1.0])
    c = tensor([2.0])
    assert x.is_leaf and c.is_leaf and (c * 2).is_leaf  # no grad needed: still a leaf
    y = x * c
    assert not y.is_leaf and y.requires_grad
    assert repr(y.grad_fn) == "<MulBackward>"
    # PyTorch's pairs: x is a leaf (its AccumulateGrad node), c needs no gradient
    (acc, i), (none, j) = y.grad_fn.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x and i == 0 and none is None and j == 0
    assert y.grad_fn.next_functions[0][0] is acc  # one AccumulateGrad per leaf
    assert acc.next_functions == ()
    z = y.exp()
    assert z.grad_fn.name() == "ExpBackward" and z.grad_fn.next_functions == ((y.grad_fn, 0),)


@pytest.mark.parametrize("expr, name", [
    (lambda x: x + 1, "AddBackward"), (lambda x: x - 1, "SubBackward"), (lambda x: x * 2, "MulBackward"),
    (lambda x: x / 2, "DivBackward"), (lambda x: -x, "NegBackward"), (lambda x: x ** 3, "PowBackward"),
    (lambda x: x.exp(), "ExpBackward"), (lambda x: x.log(), "LogBackward"), (lambda x: x.abs(), "AbsBackward"),
    (lambda x: x.relu(), "ReLUBackward"), (lambda x: x.sigmoid(), "SigmoidBackward"),
    (lambda x: x.tanh(), "TanhBackward"), (lambda x: x @ x, "MatmulBackward"), (lambda x: x.sum(), "SumBackward"),
    (lambda x: x.reshape(1, 2), "ReshapeBackward"), (lambda x: x[0], "IndexBackward"),
    (lambda x: tinygrad_lr.stack([x, x]), "StackBackward"), (lambda x: tinygrad_lr.cat([x, x]), "CatBackward"),
    (lambda x: x.clone(), "CloneBackward"), (lambda x: x.expand(3, 2), "ExpandBackward"),
])
def test_grad_fn_names(expr, name):
    y = expr(leaf([1.0, 2.0]))
    assert y.grad_fn.name() == name and f"grad_fn=<{name}>" in repr(y)


def test_detach_shares_memory_and_has_no_history():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    d2 = x.detach()
    d2[0] = 5.0  # shared memory, as in PyTorch
    assert x[0].item() == 5.0


def test_data_shares_memory_and_is_not_tracked():
    w = leaf([1.0, 2.0])
    w.data.mul_(3)  # allowed although w requires grad: the PyTorch init idiom
    np.testing.assert_allclose(w.detach().numpy(), [3.0, 6.0])
    assert not w.data.requires_grad and np.shares_memory(w.data.numpy(), w.detach().numpy())
    w.data = tensor([7.0, 8.0], dtype=tinygrad_lr.float64)
    assert w.requires_grad and w.tolist() == [7.0, 8.0]


def test_requires_grad_():
    x = tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.retain_grad()
    other = x * 3
    (h * h + other).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 8.0])    # 2h
    np.testing.assert_allclose(x.grad.numpy(), [11.0, 19.0])  # 2h · 2 + 3
    with pytest.warns(UserWarning, match=r"is not a leaf Tensor is being accessed"):  # PyTorch's warning
        assert other.grad is None


def test_backward_inputs_accumulates_only_into_the_given_tensors():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0])
    (x * w).sum().backward(inputs=x)
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


# ---- only needed gradients ---------------------------------------------------------------
class Spy(Function):
    """out = x · y, counting backward calls and recording needs_input_grad."""
    calls = []

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        Spy.calls.append(ctx.needs_input_grad)
        x, y = ctx.saved_tensors
        return (g * y if ctx.needs_input_grad[0] else None,
                g * x if ctx.needs_input_grad[1] else None)


def test_input_without_grad_gets_no_backward_work():
    Spy.calls = []
    x, c = leaf([1.0, 2.0]), tensor([3.0, 4.0], dtype=tinygrad_lr.float64)
    constant_only = Spy.apply(c, c)             # nothing requires grad: no node at all
    assert constant_only.grad_fn is None
    y = Spy.apply(x, constant_only)
    y.sum().backward()
    assert Spy.calls == [(True, False)]         # one backward, and it knows c needs nothing
    np.testing.assert_allclose(x.grad.numpy(), [9.0, 16.0])


def test_engine_visits_only_nodes_that_lead_to_leaves_requiring_grad():
    seen = []

    def hook(node, grad_output, input_grads, summed):
        seen.append((node.name(), [g is not None for g in input_grads]))

    K = tensor(np.ones((3, 3)))                 # a constant
    w = leaf(np.ones((3, 1)))
    engine._step_hooks.append(hook)
    try:
        ((K @ K) @ w).sum().backward()
    finally:
        engine._step_hooks.remove(hook)
    assert seen == [("SumBackward", [True]), ("MatmulBackward", [False, True])]


# ---- dtypes ---------------------------------------------------------------------------------
def test_float32_stays_float32_in_forward_and_gradients():
    w = tensor([[0.5], [-1.0]], requires_grad=True)
    X = tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    loss = ((X @ w + 0.1 - 2.5) ** 2).mean() / 2 + w.abs().sum() * 0.01 + w.sigmoid().tanh().sum()
    assert loss.dtype == tinygrad_lr.float32
    loss.backward()
    assert w.grad.dtype == tinygrad_lr.float32


def test_float64_stays_float64():
    w = leaf([[0.5], [-1.0]])
    loss = ((tensor([[1.0, 2.0]]) @ w) ** 2 / 2).sum()  # a float32 constant meets a float64 leaf
    assert loss.dtype == tinygrad_lr.float64
    loss.backward()
    assert w.grad.dtype == tinygrad_lr.float64


def test_mixed_float32_float64_gives_float64_and_float32_leaf_grads():
    a, b = tensor([1.0, 2.0], requires_grad=True), leaf([3.0, 4.0])
    y = a * b
    assert y.dtype == tinygrad_lr.float64
    y.sum().backward()
    assert a.grad.dtype == tinygrad_lr.float32 and b.grad.dtype == tinygrad_lr.float64
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_to_float64_is_differentiable_and_the_grad_keeps_the_leaf_dtype():
    a = tensor([1.0, 2.0], requires_grad=True)
    y = a.to(tinygrad_lr.float64)
    assert y.dtype == tinygrad_lr.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert a.grad.dtype == tinygrad_lr.float32
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 4.0])
    assert a.to(tinygrad_lr.float32) is a  # no conversion: the same tensor, as in PyTorch


# ---- create_graph -------------------------------------------------------------------------
def test_create_graph_gives_differentiable_gradients():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad                                    # 3x²
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    x.grad = None
    g.sum().backward()                            # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_second_derivative_of_the_linear_regression_loss_is_XtX_over_n():
    rng = np.random.default_rng(0)
    Xa, ya = rng.standard_normal((6, 2)), rng.standard_normal(6)
    X, y, w = tensor(Xa), tensor(ya), leaf([0.3, -0.2])
    loss = ((X @ w - y) ** 2).sum() / (2 * 6)
    g, = tinygrad_lr.autograd.grad(loss, w, create_graph=True)
    rows = [tinygrad_lr.autograd.grad(g[i], w, retain_graph=True)[0].numpy() for i in range(2)]
    np.testing.assert_allclose(np.stack(rows), Xa.T @ Xa / 6, rtol=1e-12)


def test_second_derivative_of_sigmoid_and_division():
    x = leaf([0.4, -1.3])
    s, = tinygrad_lr.autograd.grad((x.sigmoid() / (x * x + 1)).sum(), x, create_graph=True)
    h, = tinygrad_lr.autograd.grad(s.sum(), x)

    def f(v):
        return 1 / (1 + np.exp(-v)) / (v * v + 1)
    v, eps = np.array([0.4, -1.3]), 1e-4
    np.testing.assert_allclose(h.numpy(), (f(v + eps) - 2 * f(v) + f(v - eps)) / eps ** 2, rtol=1e-6)


# ---- in place ----------------------------------------------------------------------------
INPLACE = {
    "add_": lambda t: t.add_(1.0), "sub_": lambda t: t.sub_(tensor([1.0, 1.0])), "mul_": lambda t: t.mul_(2),
    "div_": lambda t: t.div_(2.0), "zero_": lambda t: t.zero_(), "fill_": lambda t: t.fill_(3.0),
    "normal_": lambda t: t.normal_(0, 1), "uniform_": lambda t: t.uniform_(-1, 1),
    "copy_": lambda t: t.copy_(tensor([5.0, 6.0])),
}
AUGMENTED = {"+=": lambda t: t.__iadd__(1.0), "-=": lambda t: t.__isub__(1.0),
             "*=": lambda t: t.__imul__(2.0), "/=": lambda t: t.__itruediv__(2.0)}


@pytest.mark.parametrize("op", list(INPLACE) + list(AUGMENTED))
def test_in_place_on_a_leaf_requiring_grad_is_allowed_under_no_grad(op):
    w = tensor([1.0, 2.0], requires_grad=True)
    before = w.detach().numpy().copy()
    with tinygrad_lr.no_grad():
        out = {**INPLACE, **AUGMENTED}[op](w)
    assert out is w and w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w._version == 1
    if op not in ("normal_", "uniform_"):
        assert not np.array_equal(w.detach().numpy(), before)


@pytest.mark.parametrize("op", list(INPLACE) + list(AUGMENTED))
def test_in_place_on_a_tensor_without_grad_is_allowed(op):
    t = tensor([1.0, 2.0])
    memory = t.numpy()
    out = {**INPLACE, **AUGMENTED}[op](t)
    assert out is t and t.grad_fn is None and t.numpy() is memory  # written into the same memory


@pytest.mark.parametrize("op", list(INPLACE) + list(AUGMENTED))
def test_in_place_on_a_leaf_requiring_grad_raises(op):
    w = tensor([1.0, 2.0], requires_grad=True)
    name = {"+=": "add_", "-=": "sub_", "*=": "mul_", "/=": "div_"}.get(op, op)
    with pytest.raises(RuntimeError, match=rf"{name}: a leaf tensor that requires grad \(shape \(2,\)\) cannot "
                                           r"be changed in place.*no_grad"):
        {**INPLACE, **AUGMENTED}[op](w)
    assert w.tolist() == [1.0, 2.0]


def test_sgd_update_by_hand():
    w = tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with tinygrad_lr.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert w.is_leaf and w.grad.tolist() == [0.0, 0.0]


def test_changing_a_saved_input_in_place_makes_backward_raise():
    w = leaf([1.0, 2.0])
    y = w * w
    with tinygrad_lr.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=r"MulBackward: an input saved for backward was modified by an "
                                           r"in-place operation \(it is at version 1; expected version 0\)"):
        y.sum().backward()


def test_changing_a_saved_output_in_place_makes_backward_raise():
    x = leaf([1.0, 2.0])
    e = x.exp()   # exp saves its output
    e.mul_(2)     # e is not a leaf: allowed, recorded
    with pytest.raises(RuntimeError, match=r"ExpBackward: the output saved for backward was modified"):
        e.sum().backward()


def test_changing_a_detached_alias_in_place_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = x * x
    x.detach().zero_()  # shares memory and version counter with x
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


@pytest.mark.parametrize("view", [lambda w: w[0:1], lambda w: w.reshape(2, 1), lambda w: w.t(), lambda w: w[None]])
def test_changing_a_view_of_a_saved_tensor_in_place_makes_backward_raise(view):
    w = leaf([1.0, 2.0])
    y = (w * w).sum()
    with tinygrad_lr.no_grad():
        v = view(w)   # shares w's memory, and so its version counter
        v += 10
    assert w[0].item() == 11.0
    with pytest.raises(RuntimeError, match="MulBackward: an input saved for backward was modified by an in-place"):
        y.backward()


def test_in_place_on_a_non_leaf_is_rebased_and_gives_the_right_gradient():
    x = leaf([1.0, 2.0])
    h = x * 2
    h += 1
    h *= x           # h = (2x + 1) · x
    h -= x / 2
    assert h.grad_fn.name() == "SubBackward" and not h.is_leaf
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([1.0, 2.0]) + 1 - 0.5)


def test_in_place_with_an_operand_requiring_grad_makes_the_target_part_of_the_graph():
    w = leaf([1.0, 2.0])
    acc = tinygrad_lr.zeros(2)   # float32: in place keeps its dtype
    acc += w * 3
    acc.mul_(w)
    assert acc.dtype == tinygrad_lr.float32 and acc.grad_fn is not None
    acc.sum().backward()         # acc = 3w²
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 12.0])


def test_in_place_on_itself():
    x = leaf([1.0, 3.0])
    h = x + 0
    h *= h
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 6.0])


def test_version_counter_counts_in_place_changes():
    t = tensor([1.0])
    assert t._version == 0
    t += 1
    t.mul_(2)
    t[0] = 3.0
    assert t._version == 3
