"""nn: Parameter, Module (registration, traversal, state_dict, repr), Linear, Sequential, init, MSELoss."""
import math
import re

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn
from tinygrad_lr.nn import functional as F
from tinygrad_lr.nn import init


def finite_difference(f, x, eps=1e-6):
    """Central differences of the scalar f(x) with respect to every entry of the float64 array x."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.scale = nn.Parameter(tg.ones(1))
        self.constant = tg.ones(1)  # a plain tensor: not a parameter
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        return self.out(self.hidden(x).relu()) * self.scale


# ---- Parameter ---------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad_and_shares_memory():
    t = tg.zeros(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, tg.Tensor) and p.is_leaf and p.requires_grad
    t.data.fill_(7)                          # the parameter sees changes to the source
    assert p.tolist() == [[7.0] * 3] * 2
    assert type(p * 2) is tg.Tensor          # results of ops are plain tensors
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_repr_is_pytorchs():
    p = nn.Parameter(tg.tensor([[1.0, 2.0]]))
    assert repr(p) == "Parameter containing:\ntensor([[1., 2.]], requires_grad=True)"


def test_deepcopy_of_a_model_copies_its_parameters():
    import copy
    net = nn.Sequential(nn.Linear(2, 1))
    net(tg.randn(3, 2)).sum().backward()
    twin = copy.deepcopy(net)
    assert type(twin[0].weight) is nn.Parameter and twin[0].weight is not net[0].weight
    assert np.array_equal(twin[0].weight.detach().numpy(), net[0].weight.detach().numpy())
    assert twin[0].weight.grad is None and net[0].weight.grad is not None  # PyTorch's rule: see test_copying.py
    with tg.no_grad():
        twin[0].weight.fill_(5.0)
    assert not (net[0].weight.detach().numpy() == 5.0).any()


def test_parameter_refuses_integer_data_and_bad_types():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        nn.Parameter(tg.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"Parameter: data must be a Tensor or a NumPy array, got list"):
        nn.Parameter([1.0, 2.0])


# ---- Module: registration and traversal ---------------------------------------------
def test_attribute_assignment_registers_parameters_and_children():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert [p.shape for p in net.parameters()] == [(1,), (4, 3), (4,), (1, 4), (1,)]
    assert [name for name, _ in net.named_children()] == ["hidden", "out"]
    assert list(net.children()) == [net.hidden, net.out]
    assert [name for name, _ in net.named_modules()] == ["", "hidden", "out"]
    assert list(net.modules())[0] is net
    assert "constant" not in dict(net.named_parameters())
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]


def test_reassigning_keeps_the_order_and_plain_attributes_work():
    net = Net()
    net.hidden = nn.Linear(3, 4)
    assert [name for name, _ in net.named_children()] == ["hidden", "out"]
    net.threshold = 0.5
    assert net.threshold == 0.5 and "threshold" not in dict(net.named_parameters())
    del net.scale
    assert "scale" not in dict(net.named_parameters())


def test_shared_modules_and_parameters_are_listed_once_but_saved_under_every_name():
    layer = nn.Linear(2, 2)
    net = nn.Sequential(layer, layer)
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(net.modules())) == 2
    assert list(net.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_module_mistakes_have_clear_errors():
    class Forgot(nn.Module):
        def __init__(self):
            self.linear = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"cannot assign module 'linear' before Module.__init__\(\) call: "
                                              r"call super\(\).__init__\(\) at the start of Forgot.__init__"):
        Forgot()
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(1)
    net = Net()
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'hiden'"):
        net.hiden
    with pytest.raises(TypeError, match=r"cannot assign Tensor as parameter 'scale' \(nn.Parameter or None "
                                        r"expected\); wrap it: nn.Parameter\(value\)"):
        net.scale = tg.ones(1)
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        net.register_parameter("forward", None)


def test_register_buffer_is_saved_but_not_learned():
    net = nn.Linear(1, 1)
    net.register_buffer("running", tg.zeros(2))
    net.register_buffer("scratch", tg.zeros(2), persistent=False)
    assert "running" in net.state_dict() and "scratch" not in net.state_dict()
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert len(list(net.parameters())) == 2


def test_call_runs_forward():
    net = Net()
    x = tg.randn(5, 3)
    calls = []
    original = Net.forward
    Net.forward = lambda self, x: calls.append(x) or original(self, x)
    try:
        out = net(x)
    finally:
        Net.forward = original
    assert calls == [x] and np.array_equal(out.detach().numpy(), net.forward(x).detach().numpy())


def test_zero_grad_sets_to_none_or_zeros_in_place():
    net = nn.Linear(2, 1)
    net(tg.randn(4, 2)).sum().backward()
    grad = net.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.weight.grad is grad and not grad.numpy().any()
    net.zero_grad()
    assert net.weight.grad is None and net.bias.grad is None


def test_train_and_eval_set_training_everywhere():
    net = Net()
    assert net.training and net.hidden.training
    assert net.eval() is net
    assert not net.training and not net.hidden.training and not net.out.training
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="train: mode is expected to be True or False, got 'no'"):
        net.train("no")


def test_requires_grad_freezes_and_apply_visits_every_module():
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "Net"]


def test_to_double_converts_parameters_in_place():
    net = nn.Linear(2, 1)
    weight = net.weight
    net.double()
    assert net.weight is weight and weight.dtype == tg.float64 and net.bias.dtype == tg.float64
    assert net(tg.randn(3, 2, dtype=tg.float64)).dtype == tg.float64
    with pytest.raises(TypeError, match="Module.to: only floating dtypes are supported, got int64"):
        net.to(tg.int64)


# ---- Module: state_dict ---------------------------------------------------------------
def test_state_dict_shares_memory_and_does_not_require_grad():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = net.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert not sd["0.weight"].requires_grad
    with tg.no_grad():
        net[0].weight.fill_(3.0)
    assert (sd["0.weight"].numpy() == 3.0).all()
    assert net.state_dict(keep_vars=True)["0.weight"] is net[0].weight


def test_load_state_dict_copies_values():
    a, b = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)), nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    weight = b[0].weight
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b[0].weight is weight                  # same parameter objects, new values
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())
    with tg.no_grad():
        a[0].weight.fill_(0.0)
    assert b[0].weight.detach().numpy().any()      # copied, not aliased


def test_load_state_dict_missing_unexpected_and_wrong_shape():
    net = nn.Linear(2, 1)
    good = net.state_dict()
    with pytest.raises(RuntimeError, match=r'Error\(s\) in loading state_dict for Linear:\n\tMissing key\(s\) in '
                                           r'state_dict: "bias"\.'):
        net.load_state_dict({"weight": good["weight"]})
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra"\.'):
        net.load_state_dict(dict(good, extra=tg.zeros(1)))
    before = net.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape \(1, 3\) from "
                                           r"checkpoint, the shape in current model is \(1, 2\)"):
        net.load_state_dict({"weight": tg.zeros(1, 3), "bias": tg.ones(1)})
    assert np.array_equal(net.weight.detach().numpy(), before)  # nothing changed on error
    assert net.bias.item() != 1.0
    result = net.load_state_dict({"weight": tg.zeros(1, 2), "extra": tg.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert not net.weight.detach().numpy().any()
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        net.load_state_dict({"weight": tg.zeros(2, 2)}, strict=False)   # never tolerated
    with pytest.raises(TypeError, match="load_state_dict: expected state_dict to be dict-like, got list"):
        net.load_state_dict([good])


# ---- repr ---------------------------------------------------------------------------
def test_repr_matches_pytorch():
    torch = optional("torch")
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 3, bias=False)), nn.Linear(3, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.Linear(3, 3, bias=False)),
                                 torch.nn.Linear(3, 1))
    assert repr(ours) == repr(theirs)
    assert repr(nn.MSELoss()) == repr(torch.nn.MSELoss()) == "MSELoss()"


def test_repr_of_a_custom_module():
    assert repr(Net()) == ("Net(\n"
                           "  (hidden): Linear(in_features=3, out_features=4, bias=True)\n"
                           "  (out): Linear(in_features=4, out_features=1, bias=True)\n"
                           ")")


# ---- Linear ---------------------------------------------------------------------------
def test_linear_shapes_and_extra_repr():
    net = nn.Linear(2, 1)
    assert net.weight.shape == (1, 2) and net.bias.shape == (1,)
    assert net.extra_repr() == "in_features=2, out_features=1, bias=True"
    assert net.weight.dtype == tg.float32
    assert nn.Linear(2, 1, bias=False).bias is None
    assert [n for n, _ in nn.Linear(2, 1, bias=False).named_parameters()] == ["weight"]
    assert net(tg.randn(5, 2)).shape == (5, 1)
    assert net(tg.randn(2)).shape == (1,)            # one sample
    assert net(tg.randn(4, 5, 2)).shape == (4, 5, 1)  # extra batch dimensions


def test_linear_computes_x_wt_plus_b():
    net = nn.Linear(3, 2)
    x = tg.randn(4, 3)
    expected = x.numpy() @ net.weight.detach().numpy().T + net.bias.detach().numpy()
    np.testing.assert_allclose(net(x).detach().numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(nn.Linear(3, 2, bias=False)(x).detach().numpy().shape, (4, 2))


def test_linear_default_init_is_uniform_within_one_over_sqrt_in_features():
    tg.manual_seed(0)
    net = nn.Linear(16, 4000)
    bound = 1 / math.sqrt(16)
    w, b = net.weight.detach().numpy(), net.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound                                  # fills the whole interval
    np.testing.assert_allclose(w.mean(), 0, atol=0.01)
    np.testing.assert_allclose(w.var(), bound ** 2 / 3, rtol=0.02)        # Var U(−a, a) = a²/3
    assert net.weight.is_leaf and net.weight.grad_fn is None


def test_linear_init_is_reproducible_from_the_seed_and_reset_parameters_redraws():
    tg.manual_seed(42)
    a = nn.Linear(3, 2)
    tg.manual_seed(42)
    b = nn.Linear(3, 2)
    assert np.array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert np.array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())
    weight = a.weight
    old = weight.detach().numpy().copy()
    a.reset_parameters()
    assert a.weight is weight and not np.array_equal(old, weight.detach().numpy())
    assert np.abs(weight.detach().numpy()).max() <= 1 / math.sqrt(3)


def test_linear_gradients_match_finite_differences_and_the_formula():
    rng = np.random.default_rng(0)
    x0, w0, b0 = rng.normal(size=(5, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    g = rng.normal(size=(5, 2))   # ∂L/∂y for L = Σ g ⊙ y

    net = nn.Linear(3, 2, dtype=tg.float64)
    net.load_state_dict({"weight": w0, "bias": b0})
    x = tg.tensor(x0, requires_grad=True)
    (net(x) * tg.tensor(g)).sum().backward()

    def loss(x_, w_, b_):
        return float(np.sum(g * (x_ @ w_.T + b_)))
    np.testing.assert_allclose(x.grad.numpy(), finite_difference(lambda a: loss(a, w0, b0), x0.copy()), rtol=1e-6)
    np.testing.assert_allclose(net.weight.grad.numpy(), finite_difference(lambda a: loss(x0, a, b0), w0.copy()),
                               rtol=1e-6)
    np.testing.assert_allclose(net.bias.grad.numpy(), finite_difference(lambda a: loss(x0, w0, a), b0.copy()),
                               rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), g @ w0, rtol=1e-12)          # ∂L/∂x = g W
    np.testing.assert_allclose(net.weight.grad.numpy(), g.T @ x0, rtol=1e-12)  # ∂L/∂W = gᵀ x
    np.testing.assert_allclose(net.bias.grad.numpy(), g.sum(0), rtol=1e-12)    # ∂L/∂b = Σ g


def test_linear_matches_pytorch_with_copied_weights():
    torch = optional("torch")
    ours = nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.from_numpy(ours.bias.detach().numpy()))
    x = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    y_ours, y_theirs = ours(tg.tensor(x)), theirs(torch.from_numpy(x))
    np.testing.assert_allclose(y_ours.detach().numpy(), y_theirs.detach().numpy(), rtol=1e-6, atol=1e-6)
    (y_ours ** 2).sum().backward()
    (y_theirs ** 2).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-5)


def test_linear_wrong_input_shape_names_the_layer_and_the_shape():
    with pytest.raises(ValueError, match=re.escape("Linear(3 → 1) got input of shape (5, 2): the last dimension "
                                                   "must be in_features = 3")):
        nn.Linear(3, 1)(tg.randn(5, 2))
    with pytest.raises(ValueError, match=re.escape("reshape it to (5, 1): x.reshape(-1, 1)")):
        nn.Linear(1, 1)(tg.randn(5))
    with pytest.raises(ValueError, match=re.escape("the samples seem to be in the columns: transpose the input")):
        nn.Linear(3, 1)(tg.randn(3, 8))
    with pytest.raises(ValueError, match=re.escape("Linear(3 → 1) got input of shape ()")):
        nn.Linear(3, 1)(tg.tensor(1.0))
    with pytest.raises(TypeError, match=re.escape("Linear(3 → 1): expected a Tensor as input, got ndarray; "
                                                  "convert it with tinygrad_lr.tensor(x)")):
        nn.Linear(3, 1)(np.zeros((2, 3)))


def test_linear_bad_arguments():
    with pytest.raises(ValueError, match="Linear: out_features must be >= 0, got -1"):
        nn.Linear(2, -1)
    with pytest.raises(TypeError, match="Linear: in_features must be an integer, got 2.5"):
        nn.Linear(2.5, 1)
    with pytest.raises(TypeError, match="Linear: parameters need a floating dtype, got int64"):
        nn.Linear(2, 1, dtype=tg.int64)


# ---- Sequential -----------------------------------------------------------------------
def test_sequential_indexing_len_iteration():
    a, b, c = nn.Linear(2, 3), nn.Linear(3, 3), nn.Linear(3, 1)
    net = nn.Sequential(a, b, c)
    assert len(net) == 3 and list(net) == [a, b, c]
    assert net[0] is a and net[-1] is c and net[-3] is a
    head = net[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b] and head[0] is a
    assert list(net[1:]) == [b, c] and [n for n, _ in net[1:].named_children()] == ["1", "2"]
    x = tg.randn(4, 2)
    np.testing.assert_allclose(net(x).detach().numpy(), c(b(a(x))).detach().numpy())
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of length 3"):
        net[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        net[-4]
    with pytest.raises(TypeError, match="Sequential indices must be integers or slices, not str"):
        net["0"]


def test_sequential_append_insert_setitem_delitem():
    a, b, c = nn.Linear(1, 1), nn.Linear(1, 1), nn.Linear(1, 1)
    net = nn.Sequential(a)
    assert net.append(b) is net and list(net) == [a, b]
    net.insert(1, c)
    assert list(net) == [a, c, b] and [n for n, _ in net.named_children()] == ["0", "1", "2"]
    net[0] = b
    assert list(net) == [b, c, b]
    del net[0]
    assert list(net) == [c, b] and [n for n, _ in net.named_children()] == ["0", "1"]
    net.extend([a])
    assert list(net) == [c, b, a]


def test_sequential_from_a_dict_and_bad_arguments():
    net = nn.Sequential({"linear": nn.Linear(2, 1)})
    assert [n for n, _ in net.named_parameters()] == ["linear.weight", "linear.bias"]
    with pytest.raises(TypeError, match=re.escape("Sequential: argument 0 is the class Linear, not a module; "
                                                  "create one: Linear(...)")):
        nn.Sequential(nn.Linear)
    with pytest.raises(TypeError, match="Sequential: argument 1 is a int, not a Module"):
        nn.Sequential(nn.Linear(1, 1), 3)


# ---- init -----------------------------------------------------------------------------
def test_init_functions_fill_in_place_without_recording_and_return_the_tensor():
    w = nn.Parameter(tg.zeros(200, 500))
    tg.manual_seed(0)
    assert init.normal_(w, mean=1.0, std=0.01) is w
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy().mean(), 1.0, atol=1e-3)
    np.testing.assert_allclose(w.detach().numpy().std(), 0.01, rtol=0.01)
    assert init.uniform_(w, -2, 3) is w
    assert w.detach().numpy().min() >= -2 and w.detach().numpy().max() <= 3
    np.testing.assert_allclose(w.detach().numpy().mean(), 0.5, atol=0.02)
    assert init.constant_(w, 0.25) is w and (w.detach().numpy() == 0.25).all()
    assert init.zeros_(w) is w and not w.detach().numpy().any()
    assert init.ones_(w) is w and (w.detach().numpy() == 1).all()


def test_init_is_seeded_and_xavier_has_its_bound():
    a, b = tg.zeros(3, 4), tg.zeros(3, 4)
    tg.manual_seed(5)
    init.normal_(a)
    tg.manual_seed(5)
    init.normal_(b)
    assert np.array_equal(a.numpy(), b.numpy())
    w = tg.zeros(300, 200)
    init.xavier_uniform_(w)
    bound = math.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    with pytest.raises(ValueError, match=r"xavier_normal_: fan in and fan out cannot be computed for a tensor "
                                         r"with fewer than 2 dimensions \(shape \(3,\)\)"):
        init.xavier_normal_(tg.zeros(3))


# ---- MSELoss --------------------------------------------------------------------------
def _pair(shape=(8, 1), dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)


@pytest.mark.parametrize("reduction, formula", [
    ("mean", lambda d: 0.5 * np.mean(d ** 2)),
    ("sum", lambda d: 0.5 * np.sum(d ** 2)),
    ("none", lambda d: 0.5 * d ** 2),
])
def test_mse_loss_has_the_half(reduction, formula):
    y_hat, y = _pair((6, 2), np.float64)
    out = nn.MSELoss(reduction)(tg.tensor(y_hat), tg.tensor(y))
    np.testing.assert_allclose(out.numpy(), formula(y_hat - y), rtol=1e-12)
    assert out.dtype == tg.float64


def test_mse_loss_value_for_the_docstring_example_and_dtype():
    out = nn.MSELoss()(tg.tensor([[1.0], [2.0]]), tg.tensor([[1.0], [4.0]]))
    assert out.item() == 1.0 and out.dtype == tg.float32 and out.shape == ()


def test_mse_loss_gradient_is_the_residual_over_n():
    y_hat0, y0 = _pair((10, 1))
    y_hat = tg.tensor(y_hat0, requires_grad=True)
    nn.MSELoss()(y_hat, tg.tensor(y0)).backward()
    np.testing.assert_allclose(y_hat.grad.numpy(), (y_hat0 - y0) / 10, rtol=1e-6)   # (ŷ − y)/n
    y_hat.grad = None
    nn.MSELoss("sum")(y_hat, tg.tensor(y0)).backward()
    np.testing.assert_allclose(y_hat.grad.numpy(), y_hat0 - y0, rtol=1e-6)          # ŷ − y


def test_mse_loss_gradient_matches_finite_differences():
    y_hat0, y0 = _pair((4, 3), np.float64)
    y_hat, y = tg.tensor(y_hat0, requires_grad=True), tg.tensor(y0, requires_grad=True)
    nn.MSELoss()(y_hat, y).backward()
    fd = finite_difference(lambda a: 0.5 * np.mean((a - y0) ** 2), y_hat0.copy())
    np.testing.assert_allclose(y_hat.grad.numpy(), fd, rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), -fd, rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_is_half_of_pytorchs(reduction):
    torch = optional("torch")
    y_hat0, y0 = _pair((7, 3))
    ours_in = tg.tensor(y_hat0, requires_grad=True)
    theirs_in = torch.tensor(y_hat0, requires_grad=True)
    ours = nn.MSELoss(reduction)(ours_in, tg.tensor(y0))
    theirs = torch.nn.MSELoss(reduction=reduction)(theirs_in, torch.tensor(y0))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy() / 2, rtol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy() / 2, rtol=1e-6)


def test_mse_loss_shape_mismatch_is_an_error():
    loss = nn.MSELoss()
    with pytest.raises(ValueError, match=re.escape("MSELoss: input (prediction) has shape (5, 1) but target has "
                                                   "shape (5,); they must be equal.")) as info:
        loss(tg.zeros(5, 1), tg.zeros(5))
    assert "(5, 5)" in str(info.value) and "y.reshape(-1, 1)" in str(info.value)
    with pytest.raises(ValueError, match=re.escape("input (prediction) has shape (5,) but target has shape (5, 1)")):
        loss(tg.zeros(5), tg.zeros(5, 1))
    with pytest.raises(ValueError, match=re.escape("has shape (2, 3) but target has shape (3, 2); they must be "
                                                   "equal. Reshape one of them")):
        loss(tg.zeros(2, 3), tg.zeros(3, 2))


def test_mse_loss_bad_reduction_and_types():
    with pytest.raises(ValueError, match="MSELoss: reduction='avg' is not a valid value; use 'mean', 'sum' or 'none'"):
        nn.MSELoss("avg")
    with pytest.raises(ValueError, match="reduction='average' is not a valid value"):
        F.mse_loss(tg.zeros(2), tg.zeros(2), reduction="average")
    with pytest.raises(TypeError, match="MSELoss: target must be a Tensor, got ndarray"):
        nn.MSELoss()(tg.zeros(2), np.zeros(2))
