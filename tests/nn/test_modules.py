"""nn's modules and layers: Parameter, Module, Linear, Sequential, MSELoss, the activations, Dropout, the containers.

- Parameter and Module: registration, traversal, state_dict, repr; Linear and Sequential; MSELoss (with
  the ½) against its formula, finite differences and PyTorch.
- F.linear and F.mse_loss are single Functions (for speed); the composition of primitives is the
  definition (x @ W.T + b; ½·mean((ŷ − y)²)), and values, first and second derivatives must agree with
  it, in float64 and float32, for every reduction and for batched (3-d) inputs.
- The layers of classification and MLPs: activations, Flatten/Unflatten, Identity, Dropout, ModuleList,
  ModuleDict.  Each activation is run under tinygrad_lr and PyTorch on the same numbers (values and
  gradients to 1e-10 in float64, to float32 rounding in float32, at hand-picked points: 0, ties, large
  values) and passes gradcheck and gradgradcheck; the modules print as PyTorch's do; Dropout is checked
  statistically with tolerances of many standard deviations; the containers register what they hold,
  with PyTorch's state_dict keys.

nn.init is tested in test_init.py, the other losses in test_losses.py and test_activations_losses.py.
"""
import math
import re

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn
from tinygrad_lr.autograd import grad, gradcheck, gradgradcheck
from tinygrad_lr.nn import functional as F


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


# ==================================================================================================
# Parameter, Module, Linear, Sequential, MSELoss
# ==================================================================================================
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
    assert twin[0].weight.grad is None and net[0].weight.grad is not None  # PyTorch's rule (tests/ops/test_copying.py)
    with tg.no_grad():
        twin[0].weight.fill_(5.0)
    assert not (net[0].weight.detach().numpy() == 5.0).any()


def test_parameter_refuses_integer_data_and_bad_types():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        nn.Parameter(tg.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"Parameter: data must be a Tensor or a NumPy array, got list"):
        nn.Parameter([1.0, 2.0])


def test_parameter_of_a_non_leaf_is_a_new_leaf_sharing_the_values_as_in_pytorch():
    a = tg.ones(3, requires_grad=True)
    b = a * 2
    p = nn.Parameter(b)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    (p * 3).sum().backward()
    assert p.grad.tolist() == [3.0, 3.0, 3.0] and a.grad is None   # the graph of b is not followed
    with tg.no_grad():
        p.add_(1)
    assert b.tolist() == [3.0, 3.0, 3.0]   # shared values


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


# ==================================================================================================
# F.linear and F.mse_loss: single Functions, equal to their compositions
# ==================================================================================================
def composed_linear(x, w, b):
    out = x @ w.T
    return out if b is None else out + b


def composed_mse(yh, y, reduction):
    sq = (yh - y) ** 2
    if reduction == "none":
        return sq / 2
    return sq.sum() / 2 if reduction == "sum" else sq.sum() / (2 * sq.numel())


def leaves(*shapes, dtype=tg.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [tg.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes]


@pytest.mark.parametrize("x_shape", [(5, 3), (3,), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_composition_first_and_second_order(x_shape, bias):
    x, w, b = leaves(x_shape, (2, 3), (2,))
    b = b if bias else None
    inputs = [x, w] + ([b] if bias else [])
    fused, composed = F.linear(x, w, b), composed_linear(x, w, b)
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    weights = tg.tensor(np.random.default_rng(1).standard_normal(fused.shape))
    g1 = grad((fused * weights).sum(), inputs, create_graph=True)
    g2 = grad((composed * weights).sum(), inputs, create_graph=True)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-14)
    # second order: d/d(inputs) of Σ ∂L/∂W² (the gradients are linear in x and W, so this is non-trivial)
    h1 = grad((g1[1] ** 2).sum(), inputs, allow_unused=True)
    h2 = grad((g2[1] ** 2).sum(), inputs, allow_unused=True)
    for a, c in zip(h1, h2):
        if c is None:
            assert a is None or np.allclose(a.numpy(), 0)
        else:
            np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 1), (4,), (2, 3, 2)])
def test_mse_matches_composition_first_and_second_order(reduction, shape):
    yh, y = leaves(shape, shape, seed=2)
    fused, composed = F.mse_loss(yh, y, reduction), composed_mse(yh, y, reduction)
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    w = tg.tensor(np.random.default_rng(3).standard_normal(fused.shape))
    g1 = grad((fused * w).sum(), [yh, y], create_graph=True)
    g2 = grad((composed * w).sum(), [yh, y], create_graph=True)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-12, atol=1e-14)
    h1 = grad((g1[0] * yh).sum(), [yh, y])
    h2 = grad((g2[0] * yh).sum(), [yh, y])
    for a, c in zip(h1, h2):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-10, atol=1e-12)


def test_fused_ops_pass_gradcheck_and_gradgradcheck():
    x, w, b, y = leaves((4, 3), (2, 3), (2,), (4, 2), seed=4)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    for reduction in ("mean", "sum", "none"):
        assert gradcheck(lambda a, t: F.mse_loss(a, t, reduction), (F.linear(x, w, b).detach().requires_grad_(), y))
        assert gradgradcheck(lambda a, t: F.mse_loss(a, t, reduction), (F.linear(x, w, b).detach().requires_grad_(), y))


def test_mse_gradient_is_the_residual_over_n_in_float32():
    yh = tg.tensor([[1.0], [2.0], [4.0]], requires_grad=True)
    y = tg.tensor([[0.0], [2.0], [1.0]])
    loss = nn.MSELoss()(yh, y)
    loss.backward()
    assert loss.dtype == tg.float32 and yh.grad.dtype == tg.float32
    np.testing.assert_allclose(loss.item(), (1 + 0 + 9) / (2 * 3), rtol=1e-6)
    np.testing.assert_allclose(yh.grad.numpy(), [[1 / 3], [0.0], [1.0]], rtol=1e-6)


def test_hessian_of_linear_regression_through_nn_modules_is_AtA_over_n():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((8, 3))
    X, y = tg.tensor(A), tg.tensor(rng.standard_normal((8, 1)))
    net = nn.Linear(3, 1).double()
    gw, = grad(nn.MSELoss()(net(X), y), [net.weight], create_graph=True)
    rows = [grad(gw[0, j], [net.weight], retain_graph=True)[0].numpy().ravel() for j in range(3)]
    np.testing.assert_allclose(np.array(rows), A.T @ A / 8, rtol=1e-12)


# ==================================================================================================
# the layers of classification and MLPs: activations, Dropout, containers
# ==================================================================================================
X = np.concatenate([np.linspace(-4, 4, 17), [0.0, -0.0, 1e-8, -1e-8, 30.0, -30.0]])   # 0, tiny, large
M = np.random.default_rng(0).standard_normal((3, 5))

# (id, make(nn) -> module, input): the same line builds our module and PyTorch's
ACTIVATIONS = [
    ("relu", lambda nn: nn.ReLU(), X),
    ("leaky-relu", lambda nn: nn.LeakyReLU(), X),
    ("leaky-relu-0.2", lambda nn: nn.LeakyReLU(0.2), X),
    ("sigmoid", lambda nn: nn.Sigmoid(), X),
    ("tanh", lambda nn: nn.Tanh(), X),
    ("gelu", lambda nn: nn.GELU(), X),
    ("gelu-tanh", lambda nn: nn.GELU(approximate="tanh"), X),
    ("softmax-0", lambda nn: nn.Softmax(dim=0), M),
    ("softmax-1", lambda nn: nn.Softmax(dim=1), M),
    ("softmax-extreme", lambda nn: nn.Softmax(dim=1), np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0]])),
    ("log-softmax-1", lambda nn: nn.LogSoftmax(dim=1), M),
    ("log-softmax-extreme", lambda nn: nn.LogSoftmax(dim=-1), np.array([[1e4, -1e4, 0.0], [3.0, 3.0, 3.0]])),
    ("flatten", lambda nn: nn.Flatten(), np.arange(24.0).reshape(2, 3, 4)),
    ("flatten-0-1", lambda nn: nn.Flatten(0, 1), np.arange(24.0).reshape(2, 3, 4)),
    ("unflatten", lambda nn: nn.Unflatten(1, (3, 4)), np.arange(24.0).reshape(2, 12)),
    ("unflatten-inferred", lambda nn: nn.Unflatten(-1, (2, -1)), np.arange(24.0).reshape(2, 12)),
    ("identity", lambda nn: nn.Identity(54, unused="x"), M),
    ("dropout-eval", lambda nn: nn.Dropout(0.3).eval(), M),
]


def _run(lib, make, x, dtype):
    t = lib.tensor(x.astype(dtype), requires_grad=True)
    out = make(lib.nn)(t)
    w = lib.tensor(np.linspace(-1, 2, out.numel()).reshape(out.shape).astype(dtype))
    g, = lib.autograd.grad((out * w).sum(), [t])
    return out.detach().numpy(), g.numpy()


@pytest.mark.parametrize("make, x", [pytest.param(m, x, id=i) for i, m, x in ACTIVATIONS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layer_matches_pytorch(make, x, dtype):
    torch = optional("torch")
    ours, theirs = _run(tg, make, x, dtype), _run(torch, make, x, dtype)
    tol = dict(rtol=1e-10, atol=1e-13) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for a, b in zip(ours, theirs):
        assert a.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("make, x", [pytest.param(m, x, id=i) for i, m, x in ACTIVATIONS if "extreme" not in i])
def test_layer_gradcheck_and_gradgradcheck(make, x):
    x = x[np.abs(x) > 1e-3] if x.ndim == 1 else x   # finite differences across a kink are not a derivative
    t = tg.tensor(x, requires_grad=True)
    layer = make(nn)
    assert gradcheck(layer, (t,))
    assert gradgradcheck(layer, (t,))


def test_repr_as_pytorch():
    torch = optional("torch")

    def build(nn):
        return nn.Sequential(nn.ReLU(), nn.ReLU(inplace=True), nn.LeakyReLU(), nn.LeakyReLU(0.2, True), nn.Sigmoid(),
                             nn.Tanh(), nn.Softmax(dim=1), nn.LogSoftmax(1), nn.Softmax(), nn.GELU(), nn.GELU("tanh"),
                             nn.Flatten(), nn.Flatten(0, 2), nn.Unflatten(1, (2, 5)), nn.Identity(), nn.Dropout(),
                             nn.Dropout(0.1, inplace=True),
                             nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.Tanh(), nn.Tanh()]),
                             nn.ModuleList(), nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(1, 2)}))
    assert repr(build(nn)) == repr(build(torch.nn))


def test_softmax_without_dim_warns_and_takes_pytorchs_legacy_dim():
    torch = optional("torch")
    for shape in [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]:
        x = np.random.default_rng(1).standard_normal(shape)
        with pytest.warns(UserWarning, match=r"Implicit dimension choice for softmax has been deprecated"):
            ours = nn.Softmax()(tg.tensor(x)).numpy()
        with pytest.warns(UserWarning):
            theirs = torch.nn.Softmax()(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_functional_activations_are_the_modules():
    x = tg.tensor(X)
    assert (F.relu(x) == nn.ReLU()(x)).all() and (F.leaky_relu(x, 0.3) == nn.LeakyReLU(0.3)(x)).all()
    assert (F.gelu(x, approximate="tanh") == nn.GELU("tanh")(x)).all()
    assert (F.sigmoid(x) == x.sigmoid()).all() and (F.tanh(x) == x.tanh()).all()
    assert (F.softmax(tg.tensor(M), 1) == tg.tensor(M).softmax(1)).all()
    assert (F.log_softmax(tg.tensor(M), dim=0) == tg.tensor(M).log_softmax(0)).all()
    assert F.one_hot(tg.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]


def test_leaky_relu_slope_at_zero_is_the_negative_slope_as_in_pytorch():
    x = tg.tensor([0.0, -0.0], requires_grad=True)
    F.leaky_relu(x, 0.25).sum().backward()
    assert x.grad.tolist() == [0.25, 0.25]


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.GELU("fast"), ValueError, r"^GELU: approximate must be 'none' or 'tanh', got 'fast'"),
    (lambda: F.relu([1.0, -1.0]), TypeError, r"^relu: input must be a Tensor, got list"),
    (lambda: nn.Unflatten(1, (3, 5))(tg.zeros(2, 12)), ValueError,
     r"^Unflatten: sizes \[3, 5\] don't multiply up to the size of dim 1 \(12\)"),
    (lambda: nn.Unflatten(1, 12), TypeError, r"^Unflatten: unflattened_size must be a tuple of ints"),
    (lambda: nn.Flatten(3)(tg.zeros(2, 3)), IndexError, r"^flatten: dim 3 is out of range"),
])
def test_layer_mistakes(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- Dropout ------------------------------------------------------------------------------------
def test_dropout_in_training_zeroes_a_fraction_p_and_scales_the_rest():
    tg.manual_seed(0)
    n, p = 200_000, 0.3
    out = nn.Dropout(p)(tg.ones(n)).numpy()
    kept = out != 0
    assert set(np.unique(out)) == {0.0, np.float32(1 / (1 - p))}
    # the number zeroed is Binomial(n, p): 6 standard deviations cannot flake
    assert abs((~kept).sum() - n * p) < 6 * np.sqrt(n * p * (1 - p))
    # the mean is preserved: E[h'] = h (within 6 standard deviations of the mean of n draws)
    assert abs(out.mean() - 1.0) < 6 * np.sqrt(p / (1 - p) / n)


def test_dropout_same_seed_same_mask_and_the_gradient_uses_the_mask():
    x = tg.randn(50, 20, requires_grad=True)
    tg.manual_seed(7)
    a = F.dropout(x, 0.5)
    tg.manual_seed(7)
    b = F.dropout(x, 0.5)
    assert (a == b).all()
    tg.manual_seed(8)
    assert not (F.dropout(x, 0.5) == a).all()
    a.sum().backward()
    mask = (a.detach().numpy() != 0) * 2.0
    np.testing.assert_array_equal(x.grad.numpy(), mask)


def test_dropout_eval_is_the_identity_and_train_switches_it_back():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9))
    x = tg.randn(8, 4)
    net.eval()
    assert net[1](x) is x
    assert (net(x) == net[0](x)).all()
    net.train()
    tg.manual_seed(0)
    assert (net(x) == 0).any()


def test_dropout_p_0_and_p_1_and_float32():
    x = tg.randn(3, 4, requires_grad=True)
    assert F.dropout(x, 0.0) is x
    zeros = F.dropout(x, 1.0)
    assert (zeros == 0).all() and zeros.dtype == tg.float32
    zeros.sum().backward()
    assert (x.grad == 0).all()
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x.double(), 0.5).dtype == tg.float64


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", True])
def test_dropout_p_outside_0_1_is_pytorchs_value_error(p):
    with pytest.raises(ValueError, match=r"^dropout probability has to be between 0 and 1, but got"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"^dropout probability has to be between 0 and 1"):
        F.dropout(tg.ones(2), p)


def test_dropout_gradcheck_with_a_fixed_seed():
    x = tg.randn(4, 5, dtype=tg.float64, requires_grad=True)

    def f(x):
        tg.manual_seed(3)   # the same mask for every evaluation
        return F.dropout(x, 0.4)
    assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))


# ---- ModuleList and ModuleDict ---------------------------------------------------------------------
class _MLP:
    """The same model in both libraries: a ModuleList of layers and a ModuleDict of heads."""

    @staticmethod
    def build(nn):
        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3)])
                self.heads = nn.ModuleDict({"price": nn.Linear(3, 1), "kind": nn.Linear(3, 2)})

            def forward(self, x):
                for layer in self.layers:
                    x = layer(x)
                return {k: head(x) for k, head in self.heads.items()}
        return MLP()


def test_containers_register_their_modules_with_pytorchs_state_dict_keys():
    torch = optional("torch")
    ours, theirs = _MLP.build(nn), _MLP.build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(list(ours.parameters())) == 8
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    for k, v in ours(tg.tensor(x)).items():
        np.testing.assert_allclose(v.detach().numpy(), theirs(torch.tensor(x))[k].detach().numpy(), rtol=1e-6,
                                   atol=1e-7)  # (float32; an output can come near 0: rtol alone is not enough)
    ours.eval()
    assert not ours.layers[0].training and not ours.heads["kind"].training


def test_a_plain_list_is_not_registered_but_a_module_list_is():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]
    assert list(Plain().parameters()) == []
    m = nn.Module()
    m.layers = nn.ModuleList([nn.Linear(2, 2)])
    assert len(list(m.parameters())) == 2


def test_module_list_is_used_like_a_list():
    a, b, c, d = nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Identity()
    ml = nn.ModuleList([a, b])
    ml.append(c).extend([d])
    assert list(ml) == [a, b, c, d] and len(ml) == 4 and ml[-1] is d
    ml.insert(1, nn.GELU())
    assert list(ml._modules) == ["0", "1", "2", "3", "4"] and isinstance(ml[1], nn.GELU)
    sliced = ml[1:3]
    assert isinstance(sliced, nn.ModuleList) and list(sliced._modules) == ["0", "1"] and sliced[1] is b
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"] and isinstance(ml[0], nn.GELU)
    ml[0] = a
    assert ml[0] is a
    both = ml + nn.ModuleList([b])
    assert len(both) == 5 and len(ml) == 4
    ml += [c]
    assert len(ml) == 5
    assert len(nn.ModuleList(nn.Sequential(a, b))) == 2   # any iterable of modules, as in PyTorch
    with pytest.raises(NotImplementedError, match=r'Module \[ModuleList\] is missing the required "forward"'):
        ml(tg.ones(1))


def test_module_dict_is_used_like_a_dict():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    md = nn.ModuleDict({"a": a})
    md["b"] = b
    md.update([("c", c)])
    md.update({"a": c})
    assert list(md) == list(md.keys()) == ["a", "b", "c"] and md["a"] is c
    assert list(md.values()) == [c, b, c] and list(md.items())[1] == ("b", b)
    assert "b" in md and "z" not in md and len(md) == 3
    assert md.pop("b") is b and "b" not in md
    del md["a"]
    assert list(md) == ["c"]
    md.clear()
    assert len(md) == 0


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.ModuleList(nn.ReLU()), TypeError, r"^ModuleList\.extend should be called with an iterable, but got "
                                                  r"ReLU"),
    (lambda: nn.ModuleList().extend(3), TypeError, r"^ModuleList\.extend should be called with an iterable, but got "
                                                   r"int"),
    (lambda: nn.ModuleList().append(3), TypeError, r"^ModuleList: the appended module is a int, not a Module"),
    (lambda: nn.ModuleList([nn.Linear]), TypeError, r"^ModuleList: the appended module is the class Linear, not a "
                                                    r"module; create one: Linear\(\.\.\.\)"),
    (lambda: nn.ModuleList([nn.ReLU()])[5], IndexError, r"^index 5 is out of range for a ModuleList of length 1"),
    (lambda: nn.ModuleList([nn.ReLU()])["a"], TypeError, r"^ModuleList indices must be integers or slices, not str"),
    (lambda: nn.ModuleList().insert(3, nn.ReLU()), IndexError, r"insert: index 3 is out of range for a ModuleList"),
    (lambda: nn.ModuleDict({"a": 3}), TypeError, r"^ModuleDict: the module named 'a' is a int, not a Module"),
    (lambda: nn.ModuleDict()["x"], KeyError, r"'x'"),
    (lambda: nn.ModuleDict({"a.b": nn.ReLU()}), KeyError, r"can't be empty or contain '\.'"),
    (lambda: nn.ModuleDict().update(3), TypeError, r"^ModuleDict\.update should be called with an iterable of "
                                                   r"key/value pairs, but got int"),
    (lambda: nn.ModuleDict().update([1]), TypeError, r"^ModuleDict update sequence element #0 should be a \(name, "
                                                     r"module\) pair"),
])
def test_container_mistakes(call, error, match):
    with pytest.raises(error, match=match):
        call()
