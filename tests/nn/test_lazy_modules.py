"""Lazy modules (``nn.LazyLinear``, ``LazyConv1d``, ``LazyConv2d``, ``LazyBatchNorm1d``, ``LazyBatchNorm2d``) and
their placeholders (``UninitializedParameter``, ``UninitializedBuffer``), against PyTorch's.

- the sizes come from the first input, the module then is the eager class (``type(m) is nn.Linear``), with
  the eager class's initialisation, and its reprs before and after are PyTorch's;
- the parameters are the same objects before and after (an optimizer built before updates them);
- d2l.ai's pattern (a lazy LeNet, with and without lazy batch norms, one dummy batch, ``net.apply(init_cnn)``,
  SGD steps) under ``tinygrad_lr.torch`` and under PyTorch, from the same weights: the same losses;
- the errors: a placeholder refuses its shape and any math, with the fix; bad first inputs;
- ``load_state_dict`` into a lazy network sizes it from the checkpoint.
"""
import copy

import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as facade
from conftest import optional
from tinygrad_lr import nn
from tinygrad_lr.nn.lazy import LazyModuleMixin
from tinygrad_lr.nn.parameter import UninitializedError, is_lazy


@pytest.fixture(scope="module")
def torch():
    module = optional("torch")
    module.set_num_threads(1)
    return module


def _shapes(module):
    return {name: tuple(t.shape) for name, t in list(module.named_parameters()) + list(module.named_buffers())}


# ---- sizes from the first input, then the eager class ---------------------------------------------------
CASES = [  # (the lazy module, written for either library; the first input's shape; the eager class's name)
    (lambda nn: nn.LazyLinear(10), (3, 4), "Linear"),
    (lambda nn: nn.LazyLinear(6, bias=False), (2, 5, 7), "Linear"),
    (lambda nn: nn.LazyConv1d(6, 3, stride=2), (2, 5, 9), "Conv1d"),
    (lambda nn: nn.LazyConv1d(4, 3, padding=1), (5, 9), "Conv1d"),                 # unbatched: channels are dim 0
    (lambda nn: nn.LazyConv2d(6, kernel_size=5, padding=2), (1, 1, 28, 28), "Conv2d"),
    (lambda nn: nn.LazyConv2d(8, 3, groups=2, bias=False, padding_mode="reflect", padding=1), (2, 4, 6, 6), "Conv2d"),
    (lambda nn: nn.LazyConv2d(4, 3, dilation=2, padding="same"), (3, 9, 9), "Conv2d"),
    (lambda nn: nn.LazyBatchNorm1d(), (4, 3), "BatchNorm1d"),
    (lambda nn: nn.LazyBatchNorm1d(eps=1e-3, momentum=None), (4, 3, 5), "BatchNorm1d"),
    (lambda nn: nn.LazyBatchNorm2d(), (2, 3, 4, 4), "BatchNorm2d"),
    (lambda nn: nn.LazyBatchNorm2d(affine=False, track_running_stats=False), (2, 3, 4, 4), "BatchNorm2d"),
]


@pytest.mark.parametrize("make, shape, eager", CASES, ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_the_first_input_sizes_the_module_and_it_becomes_the_eager_class_as_in_pytorch(torch, make, shape, eager):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)                       # LazyLinear(in_features=0, out_features=10, bias=True)
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = ours(tinygrad_lr.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours) is getattr(nn, eager) and type(theirs).__name__ == eager
    assert repr(ours) == repr(theirs)                       # Linear(in_features=4, ...), Conv2d(3, 6, ...)
    assert _shapes(ours) == {k: tuple(v) for k, v in _shapes(theirs).items()}
    assert not any(is_lazy(t) for t in list(ours.parameters()) + list(ours.buffers()))
    assert tuple(y.shape) == tuple(getattr(torch.nn, eager)(**_eager_args(ours))(torch.tensor(x)).shape)


def _eager_args(m):
    """The eager module's constructor arguments, read from ours (to build PyTorch's eager twin)."""
    if isinstance(m, nn.Linear):
        return dict(in_features=m.in_features, out_features=m.out_features, bias=m.bias is not None)
    if isinstance(m, (nn.Conv1d, nn.Conv2d)):
        return dict(in_channels=m.in_channels, out_channels=m.out_channels, kernel_size=m.kernel_size, stride=m.stride,
                    padding=m.padding, dilation=m.dilation, groups=m.groups, bias=m.bias is not None,
                    padding_mode=m.padding_mode)
    return dict(num_features=m.num_features, affine=m.affine, track_running_stats=m.track_running_stats)


@pytest.mark.parametrize("lazy, eager, x", [
    (lambda: nn.LazyLinear(5), lambda: nn.Linear(3, 5), (2, 3)),
    (lambda: nn.LazyConv2d(4, 3, groups=2), lambda: nn.Conv2d(6, 4, 3, groups=2), (1, 6, 5, 5)),
    (lambda: nn.LazyConv1d(2, 3), lambda: nn.Conv1d(3, 2, 3), (3, 7)),
])
def test_the_initialisation_is_the_eager_classes_draw_for_draw(lazy, eager, x):
    """The lazy constructor draws no random numbers; the first call draws what the eager constructor would."""
    tinygrad_lr.manual_seed(7)
    m = lazy()
    m(tinygrad_lr.zeros(*x))
    tinygrad_lr.manual_seed(7)
    e = eager()
    for (name, a), (_, b) in zip(m.named_parameters(), e.named_parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)


def test_a_lazy_batch_norm_starts_as_the_eager_one():
    bn = nn.LazyBatchNorm2d()
    bn.eval()  # running statistics, so the output says what they are
    x = tinygrad_lr.randn(2, 3, 4, 4)
    np.testing.assert_allclose(bn(x).detach().numpy(), x.numpy() / np.sqrt(1 + 1e-5), rtol=1e-6)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3 and int(bn.num_batches_tracked) == 0


def test_the_parameters_are_the_same_objects_an_optimizer_built_before_updates_them(torch):
    net = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
    before = list(net.parameters())
    opt = tinygrad_lr.optim.SGD(net.parameters(), lr=0.1)
    adam = tinygrad_lr.optim.Adam(net.parameters(), lr=0.1)
    opt.zero_grad()
    opt.step()   # before the first forward nothing has a gradient: nothing to do, as PyTorch's step
    adam.step()
    net(tinygrad_lr.randn(8, 3)).square().mean().backward()
    assert all(a is b for a, b in zip(before, net.parameters(), strict=True))
    assert all(type(p) is nn.Parameter and p.requires_grad for p in before)
    w0 = net[0].weight.detach().clone()
    opt.step()
    assert not np.allclose(net[0].weight.detach().numpy(), w0.numpy())      # the optimizer's copy is the model's
    adam.step()
    assert adam.state[net[0].weight]["step"] == 1
    # PyTorch too: step() before the first forward does nothing and raises nothing
    theirs = torch.nn.LazyLinear(2)
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    assert theirs.has_uninitialized_params()


# ---- d2l's pattern, twinned against PyTorch -----------------------------------------------------------------
def lazy_lenet(torch, batch_norm=False):
    """d2l's LeNet as its current edition writes it (and, with batch_norm, its BNLeNet)."""
    nn = torch.nn

    def bn(cls):
        return [cls()] if batch_norm else []

    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), *bn(nn.LazyBatchNorm2d), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), *bn(nn.LazyBatchNorm2d), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120), *bn(nn.LazyBatchNorm1d), nn.Sigmoid(),
        nn.LazyLinear(84), *bn(nn.LazyBatchNorm1d), nn.Sigmoid(),
        nn.LazyLinear(10))


def d2l_program(torch, batches, weights, batch_norm=False):
    """Build, size with one batch, initialise with net.apply(init_cnn), load the given weights (both runs start
    from the same numbers), train with SGD."""
    net = lazy_lenet(torch, batch_norm)
    initialised = []

    def init_cnn(module):  # d2l's
        if type(module) == torch.nn.Linear or type(module) == torch.nn.Conv2d:  # noqa: E721
            torch.nn.init.xavier_uniform_(module.weight)
            initialised.append(type(module).__name__)

    net(torch.tensor(batches[0][0]))   # d2l's apply_init: one batch of the data (a batch norm needs two samples)
    net.apply(init_cnn)
    net.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    optimizer = torch.optim.SGD(net.parameters(), lr=0.9)
    loss, losses = torch.nn.CrossEntropyLoss(), []
    for X, y in batches:
        l = loss(net(torch.tensor(X)), torch.tensor(y))  # noqa: E741
        optimizer.zero_grad()
        l.backward()
        optimizer.step()
        losses.append(l.item())
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    return initialised, losses, state


@pytest.mark.parametrize("batch_norm", [False, True], ids=["lenet", "bn_lenet"])
def test_d2l_lazy_lenet_trains_as_under_pytorch(torch, batch_norm):
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((16, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 16)) for _ in range(3)]
    start = _initial_state(facade, batches[0][0], batch_norm)   # our initial weights, given to both runs
    ours_init, ours, ours_state = d2l_program(facade, batches, start, batch_norm)
    theirs_init, theirs, theirs_state = d2l_program(torch, batches, start, batch_norm)
    assert ours_init == theirs_init == ["Conv2d", "Conv2d", "Linear", "Linear", "Linear"]  # type(m) == nn.Linear held
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert len(set(ours)) == len(ours)   # each step changed the model: the twins do not agree by doing nothing
    assert ours_state.keys() == theirs_state.keys()
    for key in ours_state:
        np.testing.assert_allclose(ours_state[key], theirs_state[key], rtol=1e-4, atol=1e-5, err_msg=key)


def _initial_state(torch, X, batch_norm):
    net = lazy_lenet(torch, batch_norm)
    net(torch.tensor(X))
    net.apply(lambda m: torch.nn.init.xavier_uniform_(m.weight) if type(m) in (torch.nn.Linear, torch.nn.Conv2d)
              else None)
    return {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}


# ---- errors -----------------------------------------------------------------------------------------------
def test_a_placeholder_refuses_its_shape_and_any_math_with_the_fix(torch):
    w = nn.LazyLinear(3).weight
    assert repr(w) == repr(torch.nn.LazyLinear(3).weight) == "<UninitializedParameter>"
    assert w.dtype == tinygrad_lr.float32 and w.requires_grad and w.grad is None
    refused = [lambda: w.shape, lambda: w.numel(), lambda: w + 1, lambda: w.sum(), lambda: tinygrad_lr.ones(2) @ w,
               lambda: w.mul_(2), lambda: w[0], lambda: w.detach(), lambda: w.data, lambda: len(w),
               lambda: nn.init.xavier_uniform_(w)]
    for use in refused:
        with pytest.raises(UninitializedError, match=r"uninitialized parameter has no values yet .* Run the model "
                                                     r"once on a batch first"):
            use()
    # PyTorch raises a RuntimeError for the shape and a ValueError for math: ours is both
    for ours_use, theirs_use, kind in [(lambda: w.shape, lambda p: p.shape, RuntimeError),
                                       (lambda: w * 2, lambda p: p * 2, ValueError)]:
        with pytest.raises(kind):
            theirs_use(torch.nn.LazyLinear(3).weight)
        with pytest.raises(kind):
            ours_use()
    net = nn.Sequential(nn.LazyLinear(3))   # d2l counts parameters; before the first forward it cannot
    with pytest.raises(UninitializedError):
        sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("make, shape, kind, good", [
    (lambda nn: nn.LazyConv2d(4, 3), (5, 5), RuntimeError, (2, 5, 5)),               # 2-D input, 2-D convolution
    (lambda nn: nn.LazyConv2d(4, 3, groups=2), (1, 3, 5, 5), ValueError, (1, 4, 5, 5)),  # 3 channels in 2 groups
    (lambda nn: nn.LazyBatchNorm1d(), (2, 3, 4, 5), ValueError, (2, 3)),                  # 4-D input to BatchNorm1d
])
def test_a_bad_first_input_is_refused_as_pytorch_does_and_the_module_stays_lazy(torch, make, shape, kind, good):
    ours, theirs = make(nn), make(torch.nn)
    with pytest.raises(kind):
        theirs(torch.zeros(*shape))
    before = repr(ours)
    with pytest.raises(kind, match=type(ours).__name__ + "|expected"):
        ours(tinygrad_lr.zeros(*shape))
    # (PyTorch's module keeps the size of the refused input, or even becomes the eager class: ours stays as it was)
    assert ours.has_uninitialized_params() and repr(ours) == before
    ours(tinygrad_lr.zeros(*good))
    assert not is_lazy(ours.weight)


def test_a_lazy_linear_explains_a_scalar_or_a_list_input():
    with pytest.raises(ValueError, match="0-d input .* shape \\(N, in_features\\)"):
        nn.LazyLinear(3)(tinygrad_lr.tensor(1.0))
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.LazyLinear(3)([1.0, 2.0])


def test_materialize_keeps_the_object_and_becomes_an_ordinary_parameter_or_tensor():
    p = nn.UninitializedParameter(requires_grad=False, dtype=tinygrad_lr.float64)
    ref = p
    p.materialize((2, 3))
    assert p is ref and type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and not p.requires_grad
    assert p.dtype == tinygrad_lr.float64 and p.sum().item() == 0.0
    b = nn.UninitializedBuffer()
    assert not b.requires_grad and repr(b) == "<UninitializedBuffer>"
    b.materialize(4, dtype=tinygrad_lr.float64)
    assert type(b) is tinygrad_lr.Tensor and tuple(b.shape) == (4,) and b.dtype == tinygrad_lr.float64


# ---- saving and loading ------------------------------------------------------------------------------------
def test_load_state_dict_sizes_a_lazy_network_from_the_checkpoint(torch):
    eager = lazy_lenet(tinygrad_lr, batch_norm=True)
    x = tinygrad_lr.randn(2, 1, 28, 28)
    eager(x)
    eager.eval()
    lazy = lazy_lenet(tinygrad_lr, batch_norm=True)
    assert lazy.load_state_dict(eager.state_dict()) == ([], [])
    lazy.eval()
    assert repr(lazy) == repr(eager) and type(lazy[-1]) is nn.Linear and lazy[-1].in_features == 84
    np.testing.assert_array_equal(lazy(x).detach().numpy(), eager(x).detach().numpy())
    # a checkpoint PyTorch saved loads into our lazy network, and ours into PyTorch's
    theirs = lazy_lenet(torch)
    theirs(torch.zeros(1, 1, 28, 28))
    ours = lazy_lenet(tinygrad_lr)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    back = lazy_lenet(torch)
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    with torch.no_grad():
        expected = theirs(torch.tensor(x.numpy())).numpy()
        assert np.array_equal(back(torch.tensor(x.numpy())).numpy(), expected)
    np.testing.assert_allclose(ours(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_a_lazy_state_dict_holds_the_placeholders_and_a_wrong_checkpoint_is_named(torch):
    lazy = nn.LazyBatchNorm2d()
    state = lazy.state_dict()
    assert [repr(v) for v in state.values()] == [repr(v) for v in torch.nn.LazyBatchNorm2d().state_dict().values()]
    with pytest.raises(RuntimeError, match="size mismatch for weight: copying a param with shape \\(2, 4\\)"):
        nn.LazyLinear(3).load_state_dict({"weight": tinygrad_lr.zeros(2, 4), "bias": tinygrad_lr.zeros(3)})
    with pytest.raises(RuntimeError, match="cannot take its input size from \\['bias'\\] alone.*'weight'"):
        nn.LazyLinear(3).load_state_dict({"bias": tinygrad_lr.zeros(3)}, strict=False)
    partial = nn.Sequential(nn.Linear(2, 2), nn.LazyLinear(3))
    assert partial.load_state_dict({}, strict=False).missing_keys == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert partial[1].has_uninitialized_params()


def test_a_deep_copy_of_a_lazy_network_is_lazy_and_sized_on_its_own():
    net = nn.Sequential(nn.LazyLinear(2))
    twin = copy.deepcopy(net)
    twin(tinygrad_lr.zeros(1, 5))
    assert tuple(twin[0].weight.shape) == (2, 5) and net[0].has_uninitialized_params()
    net(tinygrad_lr.zeros(1, 3))
    assert tuple(net[0].weight.shape) == (2, 3)


def test_a_custom_lazy_module_and_hooks(torch):
    class LazyScale(LazyModuleMixin, nn.Module):   # PyTorch's recipe: initialize_parameters, no cls_to_become
        def __init__(self):
            super().__init__()
            self.scale = nn.UninitializedParameter()

        def initialize_parameters(self, x):
            self.scale.materialize(x.shape[-1])
            nn.init.ones_(self.scale)

        def forward(self, x):
            return x * self.scale

    m = LazyScale()
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append(tuple(args[0].shape)))
    assert m(tinygrad_lr.ones(2, 3)).tolist() == [[1.0] * 3] * 2 and seen == [(2, 3)]
    assert type(m) is LazyScale and not m.has_uninitialized_params()
    loaded = LazyScale()
    loaded.load_state_dict({"scale": tinygrad_lr.tensor([2.0, 3.0])})   # each tensor takes its entry's shape
    assert loaded(tinygrad_lr.ones(1, 2)).tolist() == [[2.0, 3.0]]
    lin = nn.LazyLinear(2)
    lin.register_forward_hook(lambda mod, args, out: seen.append(type(mod).__name__))
    lin(tinygrad_lr.ones(1, 3))
    assert seen[-1] == "Linear"


def test_the_facade_has_them():
    assert facade.nn.LazyLinear is nn.LazyLinear and facade.nn.LazyConv2d is nn.LazyConv2d
    assert facade.nn.LazyBatchNorm2d is nn.LazyBatchNorm2d and facade.nn.UninitializedParameter is \
        nn.UninitializedParameter and facade.nn.UninitializedBuffer is nn.UninitializedBuffer


def test_the_dtype_given_to_the_constructor_is_the_parameters_dtype():
    for m, x in [(nn.LazyLinear(2, dtype=tinygrad_lr.float64), (1, 3)),
                 (nn.LazyConv1d(2, 1, dtype=tinygrad_lr.float64), (1, 3, 4)),
                 (nn.LazyBatchNorm1d(dtype=tinygrad_lr.float64), (2, 3))]:
        assert m.weight.dtype == tinygrad_lr.float64
        m(tinygrad_lr.zeros(*x, dtype=tinygrad_lr.float64))
        assert {t.dtype for t in m.parameters()} == {np.dtype("float64")}
