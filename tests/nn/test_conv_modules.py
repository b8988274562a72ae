"""The modules of convolutional networks against PyTorch: Conv1d, Conv2d, the pools, BatchNorm2d, Dropout2d,
Unfold and Fold.

What the modules add to the functional forms (tests/nn/test_conv_functional.py tests those): the
constructors and their errors, the initialisation, the reprs, the parameter and buffer names and
shapes (so a state_dict loads across), padding_mode, BatchNorm2d's running statistics, Dropout2d's
channel masks; and the Linear error a learner meets after a conv whose output size is not the one
written in the Linear.
"""
import math
import warnings

import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as tt
from conftest import optional
from tinygrad_lr import nn
from tinygrad_lr.nn import functional as F

F64 = dict(rtol=1e-10, atol=1e-10)
F32 = dict(rtol=1e-5, atol=1e-5)

# constructor calls, run under both frameworks
MODULES = [
    "Conv2d(3, 6, 5)", "Conv2d(1, 6, kernel_size=5, padding=2)", "Conv2d(6, 16, (3, 5), stride=(2, 1), bias=False)",
    "Conv2d(4, 8, 3, padding='same', dilation=2, groups=2)", "Conv2d(4, 4, 3, padding='valid', groups=4)",
    "Conv2d(2, 3, 3, padding=1, padding_mode='reflect')", "Conv2d(2, 3, 4, padding='same', padding_mode='circular')",
    "Conv2d(2, 3, (3, 2), padding=(1, 2), padding_mode='replicate')",
    "Conv1d(3, 6, 5)", "Conv1d(4, 8, 3, stride=2, padding=1, groups=2)", "Conv1d(2, 3, 4, padding='same')",
    "Conv1d(2, 3, 3, padding=2, padding_mode='reflect')",
    "MaxPool2d(2)", "MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", "MaxPool2d((2, 3), dilation=(1, 2))",
    "MaxPool1d(3, stride=2, padding=1)", "AvgPool2d(2)", "AvgPool2d(3, stride=2, padding=1, ceil_mode=True)",
    "AvgPool2d((2, 3), count_include_pad=False, padding=1)", "AvgPool2d(3, divisor_override=2)", "AvgPool1d(3, 2, 1)",
    "AdaptiveAvgPool2d((1, 1))", "AdaptiveAvgPool2d(3)", "AdaptiveAvgPool2d((None, 2))", "AdaptiveMaxPool2d((2, 3))",
    "AdaptiveAvgPool1d(3)", "BatchNorm2d(6)", "BatchNorm2d(4, eps=1e-3, momentum=None, affine=False)",
    "BatchNorm2d(4, track_running_stats=False, bias=False)", "Dropout2d(0.3)", "Unfold(3)",
    "Unfold((2, 3), dilation=1, padding=1, stride=2)", "Fold((4, 5), 2)",
    "Fold(output_size=(5, 5), kernel_size=3, padding=1)",
]


def _torch():
    return optional("torch")


def _np(t):
    return np.asarray(t.detach().numpy())


def _both(source, torch):
    """The module ``source`` under tinygrad_lr.torch and under PyTorch, PyTorch's given our parameters and buffers."""
    ours, theirs = eval("tt.nn." + source), eval("torch.nn." + source)
    theirs.load_state_dict({k: torch.tensor(_np(v)) for k, v in ours.state_dict().items()})
    return ours, theirs


# ---- constructors: repr, parameters, buffers, state_dict ----------------------------------------------
def test_reprs_parameters_and_buffers_are_pytorchs():
    torch = _torch()
    for source in MODULES:
        ours, theirs = _both(source, torch)
        assert repr(ours) == repr(theirs), source
        ours_p, theirs_p = dict(ours.named_parameters()), dict(theirs.named_parameters())
        shapes = [{k: tuple(v.shape) for k, v in p.items()} for p in (ours_p, theirs_p)]
        assert shapes[0] == shapes[1], source
        ours_b, theirs_b = dict(ours.named_buffers()), dict(theirs.named_buffers())
        assert list(ours_b) == list(theirs_b), source
        assert [str(v.dtype).split(".")[-1] for v in ours_b.values()] == \
            [str(v.dtype).split(".")[-1] for v in theirs_b.values()], source
        assert list(ours.state_dict()) == list(theirs.state_dict()), source
        for name in ("kernel_size", "stride", "padding", "dilation", "groups", "padding_mode", "in_channels",
                     "out_channels", "output_size", "ceil_mode", "count_include_pad", "num_features", "p"):
            if hasattr(theirs, name):
                assert getattr(ours, name) == getattr(theirs, name), (source, name)


def test_a_state_dict_saved_by_pytorch_loads_and_computes_the_same():
    torch = _torch()
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 5))
    theirs(torch.randn(8, 2, 6, 6))           # move the running statistics away from 0 and 1
    theirs.eval()
    ours = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 3 * 3, 5)).eval()
    ours.load_state_dict({k: tinygrad_lr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert int(ours[1].num_batches_tracked) == 1 and ours[1].num_batches_tracked.dtype == tinygrad_lr.int64
    x = np.random.default_rng(0).standard_normal((3, 2, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(_np(ours(tinygrad_lr.tensor(x))), _np(theirs(torch.tensor(x))), **F32)
    back = {k: torch.tensor(_np(v)) for k, v in ours.state_dict().items()}
    assert all(torch.equal(back[k], v) for k, v in theirs.state_dict().items())


@pytest.mark.parametrize("make, fan_in", [(lambda: nn.Conv2d(16, 32, 3), 144),
                                          (lambda: nn.Conv2d(8, 12, 5, groups=4), 50),
                                          (lambda: nn.Conv1d(6, 40, 7), 42)])
def test_initialisation_is_uniform_within_one_over_root_fan_in(make, fan_in):
    """kaiming_uniform_(a=√5) is U(−1/√fan_in, 1/√fan_in), the variance bound²/3; the bias likewise."""
    tinygrad_lr.manual_seed(0)
    conv = make()
    bound = 1 / math.sqrt(fan_in)
    w, b = _np(conv.weight).ravel(), _np(conv.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.15
    assert np.abs(b).max() <= bound and b.std() > 0.2 * bound
    assert conv.weight.dtype == tinygrad_lr.float32 and nn.Conv2d(1, 1, 1, dtype=tinygrad_lr.float64).weight.dtype \
        == tinygrad_lr.float64


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Conv2d(3, 6, 5, groups=2), ValueError, r"^Conv2d: in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 6, 5, groups=4), ValueError, r"^Conv2d: out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 6, 5, groups=0), ValueError, r"^Conv2d: groups must be a positive integer, got 0"),
    (lambda: nn.Conv2d(3, 6, 5, padding="full"), ValueError, r"invalid padding string 'full'.*'valid', 'same'"),
    (lambda: nn.Conv2d(3, 6, 5, stride=2, padding="same"), ValueError,
     r"padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv1d(3, 6, 5, padding_mode="zero"), ValueError,
     r"padding_mode must be one of \['zeros', 'reflect', 'replicate', 'circular'\], but got padding_mode='zero'"),
    (lambda: nn.Conv2d(3, 6, (5, 5, 5)), ValueError, r"^Conv2d: expected kernel_size to be a single integer value or a list of 2 values"),
    (lambda: nn.Conv2d(3.0, 6, 5), TypeError, r"^Conv2d: in_channels must be an integer, got 3\.0"),
    (lambda: nn.Conv2d(3, 6, 5, dtype=tinygrad_lr.int64), TypeError, r"floating dtype"),
    (lambda: nn.Conv2d(3, 6, 5)(tinygrad_lr.randn(2, 1, 28, 28)), ValueError,
     r"expected input\[2, 1, 28, 28\] to have 3 channels, but got 1 channels instead"),
    (lambda: nn.BatchNorm2d(3)(tinygrad_lr.randn(3, 8, 8)), ValueError,
     r"^expected 4D input \(got 3D input\): BatchNorm2d takes \(N, C, H, W\).*unsqueeze\(0\)"),
    (lambda: nn.BatchNorm2d(3)(tinygrad_lr.randn(2, 5, 8, 8)), ValueError,
     r"running_mean should contain 5 elements not 3"),
    (lambda: nn.BatchNorm2d(3)(tinygrad_lr.randn(1, 3, 1, 1)), ValueError, r"Expected more than 1 value per channel"),
    (lambda: nn.Dropout2d(0.5)(tinygrad_lr.randn(4)), ValueError, r"^Dropout2d: feature dropout needs at least 2 dims"),
    (lambda: nn.Dropout2d(1.5), ValueError, r"dropout probability has to be between 0 and 1"),
])
def test_mistakes(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_linear_after_a_conv_says_the_flattened_size_it_got():
    """LeNet written for 28 × 28 images fed 32 × 32 ones: the Linear gets 16·6·6 = 576 features, not 400."""
    tinygrad_lr.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.AvgPool2d(2), nn.Flatten(),
                        nn.Linear(16 * 4 * 4, 120))
    with pytest.raises(ValueError, match=r"^Linear\(256 → 120\) got input of shape \(2, 576\): the last dimension must "
                       r"be in_features = 256; the input is the flattened output of shape \(2, 16, 6, 6\), "
                       r"16·6·6 = 576 features per sample, so in_features should be 576: nn.Linear\(576, 120\)"):
        net(tinygrad_lr.randn(2, 1, 36, 36))
    with pytest.raises(ValueError, match=r"in_features = 256$"):   # no graph to say where the 576 came from
        with tinygrad_lr.no_grad():
            net(tinygrad_lr.randn(2, 1, 36, 36))


# ---- forward and backward against PyTorch ------------------------------------------------------------
INPUTS = {"Conv1d": (2, None, 11), "Conv2d": (2, None, 9, 8), "MaxPool1d": (2, 3, 11), "AvgPool1d": (2, 3, 11),
          "AdaptiveAvgPool1d": (2, 3, 11), "Unfold": (2, 3, 6, 7)}   # the rest: (2, 4, 9, 8)


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")  # PyTorch notes a copy
@pytest.mark.parametrize("source", [s for s in MODULES if not s.startswith(("Dropout2d", "Fold", "BatchNorm"))])
def test_forward_and_backward_match_torch_in_float64(source):
    torch = _torch()
    ours, theirs = _both(source, torch)
    ours.double()
    theirs.double()
    name = source.split("(")[0]
    shape = INPUTS.get(name, (2, 4, 9, 8))
    if shape[1] is None:
        shape = shape[:1] + (ours.in_channels,) + shape[2:]
    x = np.random.default_rng(1).standard_normal(shape)
    xa, xb = tinygrad_lr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xa), theirs(xb)
    np.testing.assert_allclose(_np(out), _np(ref), **F64, err_msg=source)
    G = np.random.default_rng(2).standard_normal(tuple(ref.shape))
    (out * tinygrad_lr.tensor(G)).sum().backward()
    (ref * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(_np(xa.grad), _np(xb.grad), **F64, err_msg=source)
    for (pname, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(_np(p.grad), _np(q.grad), **F64, err_msg=f"{source}: {pname}")


def test_fold_is_unfolds_adjoint_as_in_torch():
    torch = _torch()
    ours, theirs = _both("Fold(output_size=(5, 6), kernel_size=3, padding=1, stride=2)", torch)
    cols = np.random.default_rng(3).standard_normal((2, 2 * 9, 9))
    np.testing.assert_allclose(_np(ours(tinygrad_lr.tensor(cols))), _np(theirs(torch.tensor(cols))), **F64)


def test_pools_return_indices_as_torch():
    torch = _torch()
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 6))
    for source in ("MaxPool2d(3, stride=2, padding=1, return_indices=True)",
                   "AdaptiveMaxPool2d(2, return_indices=True)"):
        ours, theirs = _both(source, torch)
        (out, idx), (ref, ref_idx) = ours(tinygrad_lr.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(_np(out), _np(ref), **F64)
        np.testing.assert_array_equal(_np(idx), _np(ref_idx))


# ---- BatchNorm2d ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False, "momentum": 0.5},
                                    {"track_running_stats": False}], ids=repr)
def test_batch_norm_2d_training_then_evaluation_matches_torch(kwargs):
    """Statistics over (N, H, W) per channel; the running ones with n = N·H·W in the unbiased variance."""
    torch = _torch()
    rng = np.random.default_rng(0)
    ours, theirs = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs)
    with tinygrad_lr.no_grad():
        for p in ours.parameters():
            p.copy_(tinygrad_lr.tensor(rng.standard_normal(p.shape)))
    theirs.load_state_dict({k: torch.tensor(_np(v)) for k, v in ours.state_dict().items()})
    for step in range(3):
        x = (rng.standard_normal((4, 3, 5, 6)) * (step + 1) + step).astype(np.float32)
        xa, xb = tinygrad_lr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = ours(xa), theirs(xb)
        np.testing.assert_allclose(_np(out), _np(ref), **F32)
        G = rng.standard_normal(x.shape).astype(np.float32)
        (out * tinygrad_lr.tensor(G)).sum().backward()
        (ref * torch.tensor(G)).sum().backward()
        np.testing.assert_allclose(_np(xa.grad), _np(xb.grad), **F32)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(_np(p.grad), _np(q.grad), rtol=1e-4, atol=1e-4, err_msg=name)
        for (name, a), b in zip(ours.named_buffers(), theirs.buffers()):
            np.testing.assert_allclose(_np(a), _np(b), **F32, err_msg=name)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(_np(ours(tinygrad_lr.tensor(x))), _np(theirs(torch.tensor(x))), **F32)
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked) == 3
        one = ours(tinygrad_lr.tensor(x[:1]))     # one image in evaluation: the running statistics
        np.testing.assert_allclose(_np(one), _np(ours(tinygrad_lr.tensor(x)))[:1], **F32)


def test_batch_norm_2d_normalises_each_channel_over_batch_and_pixels():
    x = np.random.default_rng(5).standard_normal((4, 2, 3, 3)) * np.array([1.0, 5.0])[:, None, None] + 3
    out = _np(nn.BatchNorm2d(2, dtype=tinygrad_lr.float64)(tinygrad_lr.tensor(x)))
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) / (x.var(axis=(0, 2, 3)) + 1e-5))
    assert isinstance(nn.BatchNorm2d(2), nn.Module) and not isinstance(nn.BatchNorm2d(2), nn.BatchNorm1d)


# ---- Dropout2d ---------------------------------------------------------------------------------------
def test_dropout_2d_zeroes_whole_channels_and_scales_the_rest():
    tinygrad_lr.manual_seed(0)
    drop = nn.Dropout2d(0.25)
    x = tinygrad_lr.ones(64, 32, 3, 4, requires_grad=True)
    out = drop(x)
    y = _np(out)
    assert (y == y[:, :, :1, :1]).all()                              # one value per (sample, channel)
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y[:, :, 0, 0] == 0).mean() - 0.25) < 0.04             # 2048 channels, a quarter dropped
    out.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), y)                   # ∂L/∂x = m / (1 − p)
    tinygrad_lr.manual_seed(0)
    np.testing.assert_array_equal(_np(nn.Dropout2d(0.25)(tinygrad_lr.ones(64, 32, 3, 4))), y)   # seeded
    drop.eval()
    assert drop(x) is x
    assert not _np(nn.Dropout2d(1.0)(x)).any()
    tinygrad_lr.manual_seed(0)
    np.testing.assert_array_equal(_np(F.dropout2d(tinygrad_lr.ones(64, 32, 3, 4), 0.25)), y)  # F: the same draw
    assert F.dropout2d(x, 0.25, training=False) is x


def test_dropout_2d_warns_as_pytorch_on_a_3d_input():
    tinygrad_lr.manual_seed(1)
    with pytest.warns(UserWarning, match=r"Dropout2d got a 3-d input: like PyTorch it takes it as \(N, C, L\)"):
        y = _np(nn.Dropout2d(0.5)(tinygrad_lr.ones(8, 16, 5)))
    assert (y == y[:, :, :1]).all() and 0 < (y == 0).mean() < 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Dropout2d(0.5)(tinygrad_lr.ones(2, 3, 4, 4))                # 4-d: no warning


def test_the_facade_has_the_modules():
    for name in ("Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
                 "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm2d", "Dropout2d", "Unfold", "Fold"):
        assert getattr(tt.nn, name) is getattr(nn, name)
