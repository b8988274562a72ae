"""Module hooks with PyTorch's semantics (issue 23, item 16): register_forward_pre_hook, register_forward_hook,
register_full_backward_pre_hook, register_full_backward_hook, and their RemovableHandles.

Each scenario runs under tinygrad_lr and PyTorch on the same numbers and must log the same: what every hook
saw (arguments, outputs, grad_input, grad_output), what it replaced, and the gradients that followed.
"""
import warnings

import numpy as np
import pytest

import tinygrad_lr as tg
from conftest import optional
from tinygrad_lr import nn


def _r(t):
    return None if t is None else np.round(t.detach().numpy().astype(float), 5).tolist()


def _libs(lib):
    return (lib, lib.nn) if lib.__name__ == "torch" else (tg, nn)


def _three_layers(T, nn_):
    net = nn_.Sequential(nn_.Linear(3, 2), nn_.Tanh(), nn_.Linear(2, 1))
    with T.no_grad():
        net[0].weight.copy_(T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        net[0].bias.copy_(T.tensor([0.5, -0.5]))
        net[2].weight.copy_(T.tensor([[1.0, -1.0]]))
        net[2].bias.zero_()
    return net


def _forward_and_backward_hooks(lib):
    T, nn_ = _libs(lib)
    log, net = [], _three_layers(T, nn_)
    lin = net[0]
    handles = [
        lin.register_forward_pre_hook(lambda m, args: log.append(("pre", tuple(args[0].shape)))),
        lin.register_forward_hook(lambda m, args, out: out * 2),                    # replaces the output
        net[1].register_full_backward_hook(
            lambda m, gi, go: log.append(("tanh", [_r(g) for g in gi], [_r(g) for g in go]))),
        net[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,)),         # replaces grad_output
        lin.register_full_backward_hook(
            lambda m, gi, go: log.append(("linear", [_r(g) for g in gi], [_r(g) for g in go]))),
    ]
    x = T.tensor([[0.1, 0.2, 0.3], [-0.1, 0.0, 0.1]])
    with warnings.catch_warnings(record=True) as caught:   # PyTorch's: Linear's input needs no gradient
        warnings.simplefilter("always")
        net(x).sum().backward()
    log.append(("warned", sum("no inputs require gradients" in str(w.message) for w in caught)))
    log.append(("weight", _r(lin.weight.grad)))
    net.zero_grad()
    xr = T.tensor([[0.1, 0.2, 0.3], [-0.1, 0.0, 0.1]], requires_grad=True)
    handles.append(net[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 1,)))  # replaces grad_input
    net(xr).sum().backward()
    log += [("xr", _r(xr.grad)), ("weight", _r(lin.weight.grad))]
    for h in handles:
        h.remove()
    net.zero_grad()
    net(xr).sum().backward()
    log.append(("no hooks", _r(lin.weight.grad)))
    return log


def test_forward_and_full_backward_hooks_see_and_replace_as_in_pytorch():
    torch = optional("torch")
    assert _forward_and_backward_hooks(tg) == _forward_and_backward_hooks(torch)


def test_forward_and_full_backward_hooks_see_and_replace():
    log = _forward_and_backward_hooks(tg)
    assert log[0] == ("pre", (2, 3))
    assert log[1][0] == "tanh" and log[1][2] == [[[3.0, -3.0], [3.0, -3.0]]]   # 3 × ∂(sum)/∂output
    assert log[2] == ("linear", [None], log[1][1])      # x needs no gradient; Linear's output's is Tanh's input's
    assert log[3] == ("warned", 1)
    assert log[-1] != log[4]                              # the hooks removed: other gradients


def _several_inputs_and_outputs(lib):
    T, nn_ = _libs(lib)
    log = []

    class Two(nn_.Module):
        def forward(self, a, k, b):
            return a * b, (a + b).sum() * k, a.detach()

    m = Two()
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [_r(g) for g in go])))
    m.register_full_backward_hook(
        lambda mod, gi, go: log.append(("full", [_r(g) for g in gi], [_r(g) for g in go])) or (gi[0], gi[1], gi[2] * 2))
    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = T.tensor([3.0, 4.0], dtype=T.float64, requires_grad=True)   # another dtype
    p, s, d = m(a, 3.0, b)
    log.append(("outputs", str(p.dtype).split(".")[-1], str(s.dtype).split(".")[-1], d.requires_grad))
    (p.sum() + s * 2).backward()
    log.append(("grads", _r(a.grad), _r(b.grad)))
    identity = nn_.Identity()
    identity.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 5,))
    x = T.tensor([1.0, 2.0], requires_grad=True)
    (identity(x) * 2).sum().backward()
    log.append(("identity", _r(x.grad)))
    return log


def test_several_inputs_of_two_dtypes_and_several_outputs_as_in_pytorch():
    torch = optional("torch")
    assert _several_inputs_and_outputs(tg) == _several_inputs_and_outputs(torch)


def test_several_inputs_and_outputs():
    log = _several_inputs_and_outputs(tg)
    assert log[0] == ("outputs", "float64", "float64", False)
    assert log[1] == ("pre", [[1.0, 1.0], 2.0, None])
    assert log[2] == ("full", [[9.0, 10.0], None, [7.0, 8.0]], [[1.0, 1.0], 2.0, None])
    assert log[3] == ("grads", [9.0, 10.0], [14.0, 16.0])  # b's gradient doubled by the hook
    assert log[4] == ("identity", [10.0, 10.0])


def _double_backward(lib):
    T, nn_ = _libs(lib)
    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    tanh = nn_.Tanh()
    tanh.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
    g, = T.autograd.grad(tanh(x).sum(), x, create_graph=True)
    g.sum().backward()            # this gradient does not come through the module's output: the hook is not called
    return _r(g), _r(x.grad)


def test_a_second_derivative_through_a_hooked_module_as_in_pytorch():
    torch = optional("torch")
    assert _double_backward(tg) == _double_backward(torch)


def test_a_second_derivative_through_a_hooked_module():
    g, second = _double_backward(tg)
    t = np.tanh([1.0, 2.0])
    np.testing.assert_allclose(g, 2 * (1 - t ** 2), atol=1e-5)
    np.testing.assert_allclose(second, 2 * -2 * t * (1 - t ** 2), atol=1e-5)


def _kwargs_prepend_and_always_call(lib):
    T, nn_ = _libs(lib)
    log = []
    m = nn_.Linear(2, 2)
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 0,), kwargs), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kwargs", float(args[0].sum()), kwargs)),
                            with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append("prepended"), prepend=True)
    m(T.ones(1, 2))

    class Failing(nn_.Module):
        def forward(self, x):
            raise ValueError("forward failed")

    bad = Failing()
    bad.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    bad.register_forward_hook(lambda mod, args, out: log.append("not called"))
    with pytest.raises(ValueError, match="forward failed"):
        bad(T.ones(1))
    with T.no_grad():                        # evaluation: backward hooks add nothing
        tanh = nn_.Tanh()
        tanh.register_full_backward_hook(lambda *a: None)
        log.append(("no_grad", tanh(T.ones(2, requires_grad=True)).requires_grad))
    return log


def test_with_kwargs_prepend_always_call_and_no_grad_as_in_pytorch():
    torch = optional("torch")
    assert _kwargs_prepend_and_always_call(tg) == _kwargs_prepend_and_always_call(torch)


def test_with_kwargs_prepend_always_call_and_no_grad():
    assert _kwargs_prepend_and_always_call(tg) == ["prepended", ("kwargs", 0.0, {}), ("always", None),
                                                   ("no_grad", False)]


def test_forward_hooks_keep_activations_and_the_handle_removes_them():
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    seen = {}
    with net[1].register_forward_hook(lambda m, args, out: seen.update(h=out.detach())):
        net(tg.ones(3, 2))
    assert tuple(seen["h"].shape) == (3, 4) and (seen["h"].numpy() >= 0).all()
    seen.clear()
    net(tg.ones(3, 2))
    assert seen == {}
    assert not net[1]._hook_options              # no hook left: calls take the fast path again


def test_a_pre_hook_may_return_one_value_instead_of_a_tuple():
    m = nn.Identity()
    m.register_forward_pre_hook(lambda mod, args: args[0] + 1)
    assert m(tg.tensor([1.0])).item() == 2.0


def test_hooks_of_a_module_are_its_own():
    a, b = nn.Identity(), nn.Identity()
    a.register_forward_hook(lambda m, args, out: out * 0)
    x = tg.ones(1, 1)
    assert a(x).item() == 0.0 and b(x).item() == 1.0


def test_hook_mistakes_say_what_to_do():
    m = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"^Linear: a hook must be a function, got int"):
        m.register_forward_hook(3)
    with pytest.raises(RuntimeError, match=r"^register_backward_hook is deprecated in PyTorch .* use "
                                           r"register_full_backward_hook\(hook\).*docs/porting\.md"):
        m.register_backward_hook(lambda *a: None)
    m.register_forward_pre_hook(lambda mod, args, kwargs: "not a pair", with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"^forward pre-hook must return None or a tuple of \(new_args, "
                                           r"new_kwargs\)"):
        m(tg.ones(1, 2))
    tanh = nn.Tanh()
    tanh.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^full backward hook returned an invalid number of grad_input, got 2, but "
                                           r"expected 1"):
        tanh(x).sum().backward()
    tanh2 = nn.Tanh()
    tanh2.register_full_backward_hook(lambda mod, gi, go: (tg.ones(3),))
    with pytest.raises(RuntimeError, match=r"^full backward hook returned shape \(3,\) for grad_input\[0\], which must "
                                           r"be a Tensor of shape \(2,\)"):
        tanh2(x).sum().backward()


def test_a_non_tensor_output_with_backward_hooks_warns_as_pytorch():
    class Dict(nn.Module):
        def forward(self, x):
            return {"y": x * 2}

    m = Dict()
    m.register_full_backward_hook(lambda *a: None)
    with pytest.warns(UserWarning, match=r"^For backward hooks to be called, module output should be a Tensor or a "
                                         r"tuple of Tensors but received <class 'dict'>"):
        m(tg.ones(2, requires_grad=True))
