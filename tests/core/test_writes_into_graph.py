"""Writes into tensors that are part of a graph: ``x[i] = v``, ``x[mask] = v``, ``logits[i] = model(x)``,
in-place ops on views (``v = h[0:2]; v += 1`` changes h, and the gradient), as PyTorch records them.

Each program is written once with PyTorch's names, as a function of the library and one leaf ``x``; it
returns the loss and the tensors whose values it shows.  Three checks, as for every op:

- against PyTorch: the same program under torch gives the same values, loss and ``x.grad`` (float64);
- against finite differences of the program itself (float64), so a wrong gradient fails without torch;
- the values the writes must produce, written out by hand for the issue's example.
"""
import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch  # noqa: F401  (the facade: PyTorch's names)
from conftest import optional

X0 = np.array([0.3, -1.2, 0.8, 1.5, -0.4, 0.9])


def view_add(lib, x):
    """The issue's example: a write into a slice of h is a write into h."""
    h = x[:3] * 2
    v = h[0:2]
    v += 1
    return (h * h).sum(), [h, v]


def setitem_rows_from_a_model(lib, x):
    """logits[i] = model(x_i): a buffer that requires no grad filled with rows that do."""
    W = x.reshape(2, 3)
    data = lib.tensor([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0], [-1.5, 1.0]], dtype=lib.float64)
    logits = lib.zeros(4, 3, dtype=lib.float64)
    for i in range(4):
        logits[i] = data[i] @ W
    target = lib.tensor([0, 2, 1, 2])
    return lib.nn.functional.cross_entropy(logits, target), [logits]


def setitem_mask(lib, x):
    """x[mask] = v with v requiring grad, into a tensor in the graph."""
    h = x.exp()
    h = h * 1  # (exp saved its output: write into a tensor exp did not save)
    h[h > 1.5] = x[0] * 3
    return (h ** 2).sum(), [h]


def setitem_advanced_and_slices(lib, x):
    h = x.reshape(2, 3) * 1
    h[:, 1] = 0
    h[[0, 1], [2, 0]] = x[1:3] ** 2
    h[1][2] = x[5] * x[4]                  # a write through a view of a view
    return (h * lib.arange(6, dtype=lib.float64).reshape(2, 3)).sum(), [h]


def index_add_in_a_loop(lib, x):
    """dC[ix] += demb[k]: the hand-written embedding backward, on tensors that require grad."""
    C = x.reshape(3, 2) * 1
    emb = x[:2] * x[2:4]
    for k, ix in enumerate([2, 0, 2]):
        C[ix] += emb * (k + 1)
    return (C * C).sum(), [C]


def views_of_views(lib, x):
    h = (x * 1).reshape(2, 3)
    r = h[0]
    r.mul_(x[3:])                          # a view's in-place op changes h
    t = h.T
    t[2] += 5                              # a transposed view: column 2 of h
    return (h.sin() * h).sum(), [h, r, t]


def sibling_views(lib, x):
    """a and b share h's memory: writing into a changes what b shows, and b's gradient."""
    h = x * 1
    a, b = h[0:4], h[2:6]
    a.mul_(3)
    return (b * b).sum() + a.sum(), [h, a, b]


def base_changed_after_the_view(lib, x):
    h = x * 2
    v = h[1:4]
    h.mul_(x)                              # the base changes: v shows it, and its gradient goes through it
    h.add_(1)
    return (v * v * v).sum(), [v, h]


def overwrites(lib, x):
    """zero_, fill_ and copy_ on tensors in the graph; copy_ from a tensor that requires grad."""
    h = x * 1
    h[0:2].zero_()
    h[4:].fill_(2.0)
    buf = lib.zeros(3, dtype=lib.float64)
    buf.copy_(x[0:3] ** 2)
    return (h * h).sum() + (buf * h[1:4]).sum(), [h, buf]


def detached_alias_sees_the_write(lib, x):
    h = x * 2
    d = h.detach()
    h.add_(x)
    return (h * d).sum(), [h, d]


def masked_fill_and_clamp_on_views(lib, x):
    h = (x * 1).reshape(3, 2)
    h[1:].masked_fill_(h[1:] < 0, 0.5)
    h[0].clamp_(-0.5, 0.5)
    h.t()[1].exp_()
    return (h * h).sum(), [h]


PROGRAMS = [view_add, setitem_rows_from_a_model, setitem_mask, setitem_advanced_and_slices, index_add_in_a_loop,
            views_of_views, sibling_views, base_changed_after_the_view, overwrites, detached_alias_sees_the_write,
            masked_fill_and_clamp_on_views]


def run(lib, program, x0=X0):
    x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
    loss, shown = program(lib, x)
    loss.backward()
    return float(loss.item()), [t.detach().numpy().copy() for t in shown], x.grad.numpy().copy()


def test_the_issue_example_by_hand():
    x = tinygrad_lr.ones(3, requires_grad=True)
    h = x * 2
    v = h[0:2]
    v += 1
    assert h.tolist() == [3.0, 3.0, 2.0] and v.tolist() == [3.0, 3.0]
    (h * h).sum().backward()
    assert x.grad.tolist() == [12.0, 12.0, 8.0]           # ∂/∂x Σ(2x + [1, 1, 0])² = 4(2x + [1, 1, 0])
    assert h.grad_fn.name() == "CopySlicesBackward" and v._base is h and h._base is None


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_against_pytorch(program):
    torch = optional("torch")
    loss, shown, grad = run(tinygrad_lr.torch, program)
    t_loss, t_shown, t_grad = run(torch, program)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-12)
    for ours, theirs in zip(shown, t_shown):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=1e-12)


# (d = h.detach() is a constant to autograd, not to finite differences: that program is left out here)
@pytest.mark.parametrize("program", [p for p in PROGRAMS if p is not detached_alias_sees_the_write],
                         ids=lambda p: p.__name__)
def test_against_finite_differences(program):
    _, _, grad = run(tinygrad_lr, program)
    eps = 1e-6
    numeric = np.zeros_like(X0)
    for i in range(X0.size):
        up, down = X0.copy(), X0.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (run(tinygrad_lr, program, up)[0] - run(tinygrad_lr, program, down)[0]) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def test_second_derivatives_through_a_write():
    """CopySlices's backward is written in array syntax, so create_graph=True differentiates it again."""
    x = tinygrad_lr.tensor([0.5, -1.0, 2.0], dtype=tinygrad_lr.float64, requires_grad=True)
    h = x * x
    h[0] = x[1] ** 3
    h[1:].mul_(x[:2])
    (g,) = tinygrad_lr.autograd.grad(h.sum(), x, create_graph=True)
    # h = [x1³, x1²·x0, x2²·x1]  → ∂Σh/∂x = [x1², 3x1² + 2x1x0 + x2², 2x2x1]
    a, b, c = 0.5, -1.0, 2.0
    np.testing.assert_allclose(g.detach().numpy(), [b * b, 3 * b * b + 2 * b * a + c * c, 2 * c * b])
    (hess_row,) = tinygrad_lr.autograd.grad(g[1], x)
    np.testing.assert_allclose(hess_row.numpy(), [2 * b, 6 * b + 2 * a, 2 * c])


# ---- the errors PyTorch raises, raised here too --------------------------------------------------------
def _saved_output_written(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x.exp()
    h[0:2].add_(1)
    h.sum().backward()


def _saved_input_written_through_a_view(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    y = (h * h).sum()   # mul saved h
    v = h[1:]
    v.zero_()
    y.backward()


def _view_of_a_leaf(lib):
    w = lib.zeros(3, requires_grad=True)
    w[0:2].add_(1)


def _setitem_into_a_leaf(lib):
    w = lib.zeros(3, requires_grad=True)
    w[0] = 1.0


@pytest.mark.parametrize("mistake, pattern", [
    (_saved_output_written, r"ExpBackward: the output saved for backward was modified by an in-place operation"),
    (_saved_input_written_through_a_view, r"MulBackward: an input saved for backward was modified by an in-place"),
    (_view_of_a_leaf, r"add_: a view of a leaf tensor that requires grad"),
    (_setitem_into_a_leaf, r"setitem: a leaf tensor that requires grad \(shape \(3,\)\) cannot be changed in place"),
])
def test_errors_where_pytorch_raises(mistake, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        mistake(tinygrad_lr.torch)
    torch = optional("torch")
    with pytest.raises(RuntimeError):
        mistake(torch)


def test_writes_without_a_graph_stay_plain_numpy_writes():
    """No tensor requires grad: the write is one NumPy assignment, no node, the version moves."""
    N = tinygrad_lr.zeros((3, 3), dtype=tinygrad_lr.int32)
    for a, b in [(0, 1), (0, 1), (2, 0)]:
        N[a, b] += 1
    # each += is an in-place add on the view N[a, b], then a write of it back into N: two versions, as in PyTorch
    assert N.tolist() == [[0, 2, 0], [0, 0, 0], [1, 0, 0]] and N.grad_fn is None and N._version == 6
    P = N.float()
    P /= P.sum(1, keepdims=True) + 1
    assert P.grad_fn is None and abs(P[0, 1].item() - 2 / 3) < 1e-7


def test_no_grad_writes_into_a_parameter():
    """The optimizer's way (and the hand-written one: ``p.data += -lr * p.grad``) is untouched."""
    w = tinygrad_lr.ones(3, requires_grad=True)
    with tinygrad_lr.no_grad():
        w[0] = 5.0
        w[1:] *= 2
    w.data[2] += 1
    assert w.tolist() == [5.0, 2.0, 3.0] and w.is_leaf and w.requires_grad


def test_compile_of_a_step_that_writes_into_graph_tensors_is_never_silently_different():
    """A compiled step with writes into graph tensors gives the eager step's parameters (today it goes eager,
    with one warning saying why; a replayed program would have to give the same numbers)."""
    X = tinygrad_lr.tensor(np.random.default_rng(0).standard_normal((8, 4)))
    y = tinygrad_lr.tensor([0, 1, 2, 0, 1, 2, 0, 1])

    def make():
        tinygrad_lr.manual_seed(1)
        net = tinygrad_lr.nn.Linear(4, 3).double()
        return net, tinygrad_lr.optim.SGD(net.parameters(), lr=0.1)

    def body(net, opt):
        opt.zero_grad()
        out = net(X)
        logits = tinygrad_lr.zeros(8, 3, dtype=tinygrad_lr.float64)
        logits[:4] = out[:4]
        v = logits[4:]
        v += out[4:] * 2
        loss = tinygrad_lr.nn.functional.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss

    eager_net, eager_opt = make()
    for _ in range(6):
        body(eager_net, eager_opt)
    net, opt = make()
    step = tinygrad_lr.compile(lambda: body(net, opt))
    with pytest.warns(RuntimeWarning, match="runs eagerly"):
        for _ in range(6):
            step()
    np.testing.assert_array_equal(net.weight.detach().numpy(), eager_net.weight.detach().numpy())
    assert step.reason is not None
