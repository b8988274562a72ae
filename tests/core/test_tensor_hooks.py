"""Tensor.register_hook, and reading .grad of a tensor that is not a leaf (issue 23, items 15-16).

- A hook on a leaf gets the leaf's gradient before it is added into ``.grad``; on a tensor computed by an op,
  its complete gradient before its ``grad_fn`` passes it on; a returned tensor replaces it; ``handle.remove()``
  takes the hook away.  The same numbers as PyTorch, for ``backward``, ``backward(inputs=...)``,
  ``autograd.grad`` and ``create_graph=True``.
- ``.grad`` of a non-leaf warns with PyTorch's words, unless ``retain_grad()`` was called; a leaf's does not.
"""
import warnings

import numpy as np
import pytest

import tinygrad_lr as tg
from conftest import optional


def _scenario(lib):
    """Hooks on a leaf and on an intermediate (one replacing, one watching), with retain_grad: what each sees."""
    calls = []

    def watch(name, replace=None):
        def hook(g):
            calls.append((name, g.detach().numpy().tolist()))
            return None if replace is None else replace(g)
        return hook

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(watch("x", lambda g: g * 10))
    y = x * 3
    y.register_hook(watch("y", lambda g: g + 1))
    y.retain_grad()
    y.register_hook(watch("y, after the first hook"))
    z = (y * y).sum()
    results = [("grad x", [g.numpy().tolist() for g in lib.autograd.grad(z, [x], retain_graph=True)]),
               ("grad y", [g.numpy().tolist() for g in lib.autograd.grad(z, [y], retain_graph=True)])]
    z.backward(retain_graph=True)
    results.append(("backward", x.grad.numpy().tolist(), y.grad.numpy().tolist()))
    handle.remove()
    x.grad = None
    z.backward(inputs=[x])
    results.append(("without the x hook", x.grad.numpy().tolist()))
    return calls, results


def test_hooks_see_and_replace_gradients_as_in_pytorch():
    torch = optional("torch")
    assert _scenario(tg) == _scenario(torch)


def test_hooks_see_and_replace_gradients():
    calls, results = _scenario(tg)
    assert results[2] == ("backward", [210.0, 390.0], [21.0, 39.0])  # x: 3·(2y + 1)·10; y: kept 3 times (+1 each)
    assert calls[:3] == [("y", [6.0, 12.0]), ("y, after the first hook", [7.0, 13.0]), ("x", [21.0, 39.0])]
    assert results[3] == ("without the x hook", [21.0, 39.0])


def test_a_leaf_hook_sees_this_pass_s_gradient_before_it_is_accumulated():
    w, seen = tg.tensor([1.0, 2.0], requires_grad=True), []
    w.register_hook(lambda g: seen.append(g.numpy().copy()))
    for _ in range(2):
        (w * w).sum().backward()              # no zero_grad: .grad accumulates, the hook sees 2w each time
    np.testing.assert_array_equal(seen, [[2.0, 4.0], [2.0, 4.0]])
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 8.0])


def test_hooks_run_in_order_and_a_handle_removes_its_own_also_as_a_context_manager():
    w, order = tg.tensor([1.0], requires_grad=True), []
    first = w.register_hook(lambda g: order.append(1))
    with w.register_hook(lambda g: order.append(2) or g * 2):
        w.register_hook(lambda g: order.append(3) or g + 1)
        (w * 1).sum().backward()
    assert order == [1, 2, 3] and w.grad.item() == 3.0
    first.remove()
    first.remove()                             # twice: nothing more happens
    order.clear()
    w.grad = None
    (w * 1).sum().backward()                   # the hooks 1 and 2 are gone
    assert order == [3] and w.grad.item() == 2.0


def test_a_hook_that_removes_itself_runs_once():
    w, calls = tg.tensor([1.0], requires_grad=True), []

    def once(g):
        calls.append(1)
        handle.remove()
    handle = w.register_hook(once)
    for _ in range(2):
        (w * 2).sum().backward()
    assert calls == [1]


def test_a_hook_under_create_graph_gets_a_tensor_in_the_graph_and_its_result_is_differentiated():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = x ** 2
    y.register_hook(lambda g: g * x)            # ∂L/∂y · x: the replacement depends on x
    g, = tg.autograd.grad(y.sum(), x, create_graph=True)  # g = x · 2x = 2x²
    np.testing.assert_allclose(g.detach().numpy(), [2.0, 8.0])
    g.sum().backward()                                     # d(2x²)/dx = 4x
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_a_hook_clips_a_parameter_gradient_during_training():
    tg.manual_seed(0)
    net = tg.nn.Linear(3, 1)
    net.weight.register_hook(lambda g: g.clamp(-0.01, 0.01))
    tg.nn.MSELoss()(net(tg.randn(8, 3) * 100), tg.zeros(8, 1)).backward()
    assert net.weight.grad.abs().max().item() <= 0.01


def test_hook_mistakes_raise_with_what_to_do():
    with pytest.raises(RuntimeError, match=r"^register_hook: cannot register a hook on a tensor that doesn't require "
                                           r"gradient; create it with requires_grad=True"):
        tg.tensor([1.0]).register_hook(print)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    handle = w.register_hook(lambda g: tg.ones(3))
    with pytest.raises(RuntimeError, match=r"^register_hook: the hook '<lambda>' returned a gradient of shape \(3,\) "
                                           r"and dtype float32, but the gradient it was given has shape \(2,\)"):
        (w * 2).sum().backward()
    handle.remove()
    w.register_hook(lambda g: 5)
    with pytest.raises(TypeError, match=r"^register_hook: the hook '<lambda>' returned int; a hook returns None or "
                                        r"a Tensor"):
        (w * 2).sum().backward()


def test_pytorch_refuses_the_same_hooks():
    torch = optional("torch")
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        torch.tensor([1.0]).register_hook(print)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: torch.ones(3))
    with pytest.raises(RuntimeError, match="changed the size"):
        (w * 2).sum().backward()


# ---- .grad of a tensor that is not a leaf (item 15) ---------------------------------------------------------
def _grad_warnings(read):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = read()
    return value, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_reading_the_grad_of_a_non_leaf_warns_with_pytorchs_words():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    h.sum().backward()
    value, messages = _grad_warnings(lambda: h.grad)
    assert value is None and len(messages) == 1
    assert messages[0].startswith("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                                  "Its .grad attribute won't be populated during autograd.backward().")
    assert "use .retain_grad() on the non-leaf Tensor" in messages[0]


def test_the_warning_is_pytorchs_text():
    torch = optional("torch")
    w = torch.tensor([1.0], requires_grad=True)
    _, theirs = _grad_warnings(lambda: (w * 2).grad)
    _, ours = _grad_warnings(lambda: (tg.tensor([1.0], requires_grad=True) * 2).grad)
    assert ours == [theirs[0].split(" (Triggered internally")[0]]


def test_no_warning_for_leaves_retained_tensors_and_tensors_without_history():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    h.retain_grad()
    (h * h).sum().backward()
    for read, expected in [(lambda: w.grad, [8.0, 16.0]), (lambda: h.grad, [4.0, 8.0]),
                           (lambda: tg.tensor([1.0]).grad, None), (lambda: h.detach().grad, None)]:
        value, messages = _grad_warnings(read)
        assert messages == []
        assert (value if value is None else value.numpy().tolist()) == expected
    assert h.retains_grad and not w.retains_grad and not (w * 2).retains_grad


def test_retains_grad_as_pytorch():
    torch = optional("torch")
    for lib in (tg, torch):
        w = lib.tensor([1.0], requires_grad=True)
        h = w * 2
        before = h.retains_grad
        h.retain_grad()
        assert (before, h.retains_grad, w.retains_grad) == (False, True, False)
