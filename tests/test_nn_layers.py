"""The layers of classification and MLPs: activations, Flatten/Unflatten, Identity, Dropout, ModuleList, ModuleDict.

Each activation is run under tinygrad_lr and PyTorch on the same numbers (values and gradients to
1e-10 in float64, to float32 rounding in float32, at hand-picked points: 0, ties, large values)
and passes gradcheck and gradgradcheck; the modules print as PyTorch's do; Dropout is checked
statistically with tolerances of many standard deviations; the containers register what they
hold, with PyTorch's state_dict keys.
"""
import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn
from tinygrad_lr.autograd import gradcheck, gradgradcheck
from tinygrad_lr.nn import functional as F

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
        np.testing.assert_allclose(v.detach().numpy(), theirs(torch.tensor(x))[k].detach().numpy(), rtol=1e-6)
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


# ---- Parameter of a non-leaf tensor ------------------------------------------------------------------
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
