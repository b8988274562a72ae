"""Convolutions and pooling (nn/functional_conv.py, functional_pool.py, functional_resize.py) against PyTorch.

The op catalog (tests/_catalog_conv.py) checks one or two cases of each op against a NumPy loop, by finite
differences and to second order; here each op runs over a grid of its arguments (strides, paddings,
dilations, groups, ceil_mode, count_include_pad, …) against PyTorch: values and the gradients of every
input in float64, to 1e-10, and max pooling's indices exactly.  Then second derivatives (gradgradcheck),
the memory design of Conv2d (the graph keeps x and w, not the columns), and the errors a learner meets.
"""
import itertools
import warnings

import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.nn.functional as F
from conftest import optional
from tinygrad_lr.autograd import gradgradcheck
from tinygrad_lr.nn import functional_conv

TOL = dict(rtol=1e-10, atol=1e-10)
RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


def _parity(torch, ours, theirs, *arrays, indices=False):
    """Run ours (tinygrad_lr.nn.functional) and theirs (torch's) on the same float64 leaves; compare the
    values, the gradients of every input for a fixed non-uniform ∂L/∂out and, with ``indices``, the indices."""
    xs = [tinygrad_lr.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note on padding='same' with an even kernel
        out, ref = ours(*xs), theirs(*ts)
    if indices:
        (out, idx), (ref, ref_idx) = out, ref
        np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
        assert idx.dtype == tinygrad_lr.int64
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    g = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    out.backward(tinygrad_lr.tensor(g))
    ref.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **TOL)


def _no_ties(shape):
    """Values where no window has two equal elements: a permutation of 0 … n − 1, plus noise below 0.4."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) + RNG.uniform(-0.4, 0.4, n)).reshape(shape)


# ---- convolutions ------------------------------------------------------------------------------
CONV2D = [c for c in itertools.product([1, 2], [0, 1, "same", "valid"], [1, 2], [1, 2, 4], [False, True])
          if not (c[1] == "same" and c[0] == 2)]


@pytest.mark.parametrize("stride, padding, dilation, groups, bias", CONV2D)
def test_conv2d_matches_torch(torch, stride, padding, dilation, groups, bias):
    x, w, b = RNG.standard_normal((2, 4, 7, 6)), RNG.standard_normal((4, 4 // groups, 3, 2)), RNG.standard_normal(4)
    args = (x, w, b) if bias else (x, w)
    _parity(torch, lambda *t: F.conv2d(*t, stride=stride, padding=padding, dilation=dilation, groups=groups),
            lambda *t: torch.nn.functional.conv2d(*t, stride=stride, padding=padding, dilation=dilation,
                                                  groups=groups), *args)


@pytest.mark.parametrize("stride, padding, dilation", [((2, 1), (1, 0), (1, 2)), ((1, 3), (0, 2), (2, 1))])
def test_conv2d_with_a_pair_per_dim_matches_torch(torch, stride, padding, dilation):
    x, w = RNG.standard_normal((2, 3, 7, 8)), RNG.standard_normal((5, 3, 2, 3))
    _parity(torch, lambda *t: F.conv2d(*t, stride=stride, padding=padding, dilation=dilation),
            lambda *t: torch.nn.functional.conv2d(*t, stride=stride, padding=padding, dilation=dilation), x, w)


CONV1D = [c for c in itertools.product([1, 2], [0, 1, "same", "valid"], [1, 2], [1, 2])
          if not (c[1] == "same" and c[0] == 2)]


@pytest.mark.parametrize("stride, padding, dilation, groups", CONV1D)
def test_conv1d_matches_torch(torch, stride, padding, dilation, groups):
    x, w, b = RNG.standard_normal((2, 4, 9)), RNG.standard_normal((6, 4 // groups, 4)), RNG.standard_normal(6)
    _parity(torch, lambda *t: F.conv1d(*t, stride=stride, padding=padding, dilation=dilation, groups=groups),
            lambda *t: torch.nn.functional.conv1d(*t, stride=stride, padding=padding, dilation=dilation,
                                                  groups=groups), x, w, b)


def test_unbatched_inputs_give_unbatched_outputs(torch):
    w = RNG.standard_normal((2, 3, 3, 3))
    _parity(torch, lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: torch.nn.functional.conv2d(x, w, padding=1),
            RNG.standard_normal((3, 5, 5)), w)
    _parity(torch, lambda x, w: F.conv1d(x, w), lambda x, w: torch.nn.functional.conv1d(x, w),
            RNG.standard_normal((3, 6)), w[:, :, 0])
    _parity(torch, lambda x: F.max_pool2d(x, 2, return_indices=True),
            lambda x: torch.nn.functional.max_pool2d(x, 2, return_indices=True), _no_ties((3, 4, 5)), indices=True)
    _parity(torch, lambda x: F.avg_pool2d(x, 2), lambda x: torch.nn.functional.avg_pool2d(x, 2),
            RNG.standard_normal((3, 4, 5)))


def test_columns_built_a_part_of_the_batch_at_a_time_give_the_same_results(torch, monkeypatch):
    """With a tiny budget every sample's columns are built on their own: the batch loop of each Function."""
    monkeypatch.setattr(functional_conv, "_COLUMNS_BYTES", 1)
    x, w, b = RNG.standard_normal((3, 4, 6, 5)), RNG.standard_normal((6, 2, 3, 3)), RNG.standard_normal(6)
    _parity(torch, lambda *t: F.conv2d(*t, padding=1, groups=2), lambda *t: torch.nn.functional.conv2d(
        *t, padding=1, groups=2), x, w, b)


def test_float32_stays_float32():
    x, w = tinygrad_lr.randn(2, 3, 6, 6, requires_grad=True), tinygrad_lr.randn(4, 3, 3, 3, requires_grad=True)
    out = F.max_pool2d(F.conv2d(x, w, padding=1), 2)
    out = F.avg_pool2d(out, 3, 1, 1) + F.adaptive_avg_pool2d(out, 3) + F.interpolate(out, size=3, mode="bilinear")
    out.sum().backward()
    assert out.dtype == x.grad.dtype == w.grad.dtype == tinygrad_lr.float32


# ---- the memory design: what a convolution keeps for backward ------------------------------------
def test_conv2d_keeps_its_input_and_weight_for_backward_not_the_columns():
    x = tinygrad_lr.randn(4, 3, 8, 8, dtype=tinygrad_lr.float64, requires_grad=True)
    w = tinygrad_lr.randn(5, 3, 3, 3, dtype=tinygrad_lr.float64, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    node = out.grad_fn
    assert type(node).__name__ == "Conv2d" and [t is s for t, s in zip(node.saved_tensors, (x, w))] == [True, True]
    arrays = [v for v in vars(node).values() if isinstance(v, np.ndarray)]
    assert all(a.nbytes <= x.numel() * 8 for a in arrays), "the node holds an array larger than its input"


# ---- pooling -----------------------------------------------------------------------------------
MAX_POOL = [c for c in itertools.product([2, 3, (2, 3)], [None, 1, 2], [0, 1], [1, 2], [False, True])
            if all(p <= (d * (k - 1) + 1) // 2 for k, p, d in zip(np.broadcast_to(c[0], 2), (c[2],) * 2, (c[3],) * 2))]


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", MAX_POOL)
def test_max_pool2d_matches_torch_with_indices(torch, kernel, stride, padding, dilation, ceil_mode):
    _parity(torch, lambda x: F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True),
            lambda x: torch.nn.functional.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, True),
            _no_ties((2, 2, 7, 6)), indices=True)


AVG_POOL = [c + (None,) for c in itertools.product([2, 3, (2, 3)], [None, 2], [0, 1], [False, True], [True, False])
            ] + [(2, 1, 0, False, True, 3), ((3, 2), 2, 1, True, False, 5)]


@pytest.mark.parametrize("kernel, stride, padding, ceil_mode, count_include_pad, divisor_override", AVG_POOL)
def test_avg_pool2d_matches_torch(torch, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _parity(torch, lambda x: F.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override),
            lambda x: torch.nn.functional.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad,
                                                     divisor_override), RNG.standard_normal((2, 2, 7, 6)))


@pytest.mark.parametrize("kernel, stride, padding, ceil_mode", [(2, None, 0, False), (3, 2, 1, True), (2, 3, 1, True)])
def test_1d_pools_match_torch(torch, kernel, stride, padding, ceil_mode):
    _parity(torch, lambda x: F.max_pool1d(x, kernel, stride, padding, 1, ceil_mode, return_indices=True),
            lambda x: torch.nn.functional.max_pool1d(x, kernel, stride, padding, 1, ceil_mode, True),
            _no_ties((2, 3, 9)), indices=True)
    _parity(torch, lambda x: F.avg_pool1d(x, kernel, stride, padding, ceil_mode),
            lambda x: torch.nn.functional.avg_pool1d(x, kernel, stride, padding, ceil_mode),
            RNG.standard_normal((2, 3, 9)))


@pytest.mark.parametrize("size", [1, 2, 3, (4, 5), (None, 4), (7, 6), (5, 3)])
def test_adaptive_pools_match_torch(torch, size):
    _parity(torch, lambda x: F.adaptive_avg_pool2d(x, size), lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size),
            RNG.standard_normal((2, 2, 7, 6)))
    _parity(torch, lambda x: F.adaptive_max_pool2d(x, size, return_indices=True),
            lambda x: torch.nn.functional.adaptive_max_pool2d(x, size, True), _no_ties((2, 2, 7, 6)), indices=True)


def test_adaptive_1d_pools_match_torch(torch):
    _parity(torch, lambda x: F.adaptive_avg_pool1d(x, 4), lambda x: torch.nn.functional.adaptive_avg_pool1d(x, 4),
            RNG.standard_normal((2, 3, 9)))
    _parity(torch, lambda x: F.adaptive_max_pool1d(x, 4, True), lambda x: torch.nn.functional.adaptive_max_pool1d(
        x, 4, True), _no_ties((2, 3, 9)), indices=True)


def test_max_pool_takes_the_first_of_equal_elements_as_torch(torch):
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 3.0]]]])   # each window holds its maximum twice
    out, idx = F.max_pool2d(tinygrad_lr.tensor(x), 2, return_indices=True)
    assert idx.tolist() == [[[[1, 2]]]] and out.tolist() == [[[[3.0, 3.0]]]]  # the first in row-major order
    assert idx.tolist() == torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)[1].tolist()


# ---- unfold, fold, pad, interpolate ---------------------------------------------------------------
FOLD = list(itertools.product([2, (2, 3)], [1, 2], [0, 1], [1, 2]))


@pytest.mark.parametrize("kernel, dilation, padding, stride", FOLD)
def test_unfold_and_fold_match_torch(torch, kernel, dilation, padding, stride):
    x = RNG.standard_normal((2, 3, 6, 7))
    _parity(torch, lambda x: F.unfold(x, kernel, dilation, padding, stride),
            lambda x: torch.nn.functional.unfold(x, kernel, dilation, padding, stride), x)
    cols = torch.nn.functional.unfold(torch.tensor(x), kernel, dilation, padding, stride).numpy()
    _parity(torch, lambda c: F.fold(c, (6, 7), kernel, dilation, padding, stride),
            lambda c: torch.nn.functional.fold(c, (6, 7), kernel, dilation, padding, stride), cols)


PADS = [((1, 2), "constant", None), ((1, 2, -1, 3), "constant", 1.5), ((2, 2, 2, 2, 1, 0), "constant", None),
        ((-1, -2), "constant", None)] + [
    (pad, mode, None) for mode in ("reflect", "replicate", "circular") for pad in ((1, 2, 3, 0), (-1, 1, 0, 2))]


@pytest.mark.parametrize("pad, mode, value", PADS)
def test_pad_matches_torch(torch, pad, mode, value):
    _parity(torch, lambda x: F.pad(x, pad, mode, value), lambda x: torch.nn.functional.pad(x, pad, mode, value),
            RNG.standard_normal((2, 3, 4, 5)))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_on_3d_and_5d_inputs_match_torch(torch, mode):
    _parity(torch, lambda x: F.pad(x, (1, 2), mode), lambda x: torch.nn.functional.pad(x, (1, 2), mode),
            RNG.standard_normal((3, 4, 5)))
    _parity(torch, lambda x: F.pad(x, (1, 2, 1, 1, 0, 1), mode),
            lambda x: torch.nn.functional.pad(x, (1, 2, 1, 1, 0, 1), mode), RNG.standard_normal((1, 2, 3, 4, 5)))


RESIZES = [dict(size=7), dict(size=(3, 8)), dict(scale_factor=2), dict(scale_factor=0.6), dict(scale_factor=1.7),
           dict(scale_factor=1.7, recompute_scale_factor=True)]
INTERPOLATE = [(mode, kw, None) for mode in ("nearest", "nearest-exact", "area") for kw in RESIZES] + [
    ("bilinear", kw, ac) for kw in RESIZES for ac in (False, True)]


@pytest.mark.parametrize("mode, kwargs, align_corners", INTERPOLATE)
def test_interpolate_matches_torch(torch, mode, kwargs, align_corners):
    _parity(torch, lambda x: F.interpolate(x, mode=mode, align_corners=align_corners, **kwargs),
            lambda x: torch.nn.functional.interpolate(x, mode=mode, align_corners=align_corners, **kwargs),
            RNG.standard_normal((2, 2, 4, 5)))


@pytest.mark.parametrize("mode, shape", [("linear", (2, 3, 5)), ("trilinear", (1, 2, 3, 4, 5)), ("nearest", (2, 3, 5)),
                                         ("nearest", (1, 2, 3, 4, 5))])
def test_interpolate_in_1d_and_3d_matches_torch(torch, mode, shape):
    _parity(torch, lambda x: F.interpolate(x, scale_factor=1.5, mode=mode),
            lambda x: torch.nn.functional.interpolate(x, scale_factor=1.5, mode=mode), RNG.standard_normal(shape))


# ---- second derivatives -------------------------------------------------------------------------
def _leaves(*shapes):
    return tuple(tinygrad_lr.tensor(RNG.standard_normal(s), requires_grad=True) for s in shapes)


SECOND = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), ((2, 2, 5, 5), (3, 2, 3, 3), (3,))),
    "conv2d groups=2, dilation 2, padding='same'": (lambda x, w: F.conv2d(x, w, padding="same", dilation=2, groups=2),
                                                   ((1, 4, 5, 5), (4, 2, 2, 2))),
    "conv1d": (lambda x, w: F.conv1d(x, w, stride=2, padding=1), ((2, 2, 7), (3, 2, 3))),
    "max_pool2d ceil_mode": (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), ((1, 2, 5, 6),)),
    "avg_pool2d count_include_pad=False": (lambda x: F.avg_pool2d(x, 3, 2, 1, True, False), ((1, 2, 5, 6),)),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (2, 4)), ((1, 2, 5, 6),)),
    "unfold then fold": (lambda x: F.fold(F.unfold(x, 2, padding=1) * 2, (4, 5), 2, padding=1), ((1, 2, 4, 5),)),
    "pad reflect, interpolate bilinear": (lambda x: F.interpolate(F.pad(x, (1, 1, 2, 0), "reflect"), scale_factor=1.5,
                                                                  mode="bilinear"), ((1, 2, 3, 4),)),
}


@pytest.mark.parametrize("name", list(SECOND))
def test_second_derivatives_gradgradcheck(name):
    fn, shapes = SECOND[name]
    assert gradgradcheck(fn, _leaves(*shapes))


def test_conv2d_second_derivative_matches_torch(torch):
    """H·v of Σ conv2d(x, w)² with respect to (x, w), by double backward, as PyTorch's."""
    arrays = [RNG.standard_normal(s) for s in ((2, 4, 5, 5), (4, 2, 3, 3))]
    v = [RNG.standard_normal(a.shape) for a in arrays]

    def hv(lib, conv):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        g = lib.autograd.grad((conv(*leaves, padding=1, groups=2) ** 2).sum(), leaves, create_graph=True)
        return lib.autograd.grad(sum((gi * lib.tensor(vi)).sum() for gi, vi in zip(g, v)), leaves)

    for ours, theirs in zip(hv(tinygrad_lr, F.conv2d), hv(torch, torch.nn.functional.conv2d)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **TOL)


# ---- the errors a learner meets --------------------------------------------------------------------
def _raises(fn, *fragments):
    with pytest.raises((ValueError, TypeError)) as info:
        fn()
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in: {info.value}"


def test_a_channel_count_that_does_not_match_is_said_as_pytorch_says_it_with_the_fix():
    w = tinygrad_lr.randn(6, 3, 5, 5)
    _raises(lambda: F.conv2d(tinygrad_lr.randn(1, 1, 32, 32), w),
            "Given groups=1, weight of size [6, 3, 5, 5], expected input[1, 1, 32, 32] to have 3 channels, but got 1 "
            "channels instead", "in_channels")
    _raises(lambda: F.conv2d(tinygrad_lr.randn(8, 32, 32, 3), w), "x.permute(0, 3, 1, 2)")   # channels last
    # a batch of one-channel images (N, H, W) is read as one image (C, H, W)
    _raises(lambda: F.conv2d(tinygrad_lr.randn(8, 28, 28), tinygrad_lr.randn(6, 1, 5, 5)),
            "expected input[8, 28, 28] to have 1 channels", "x.unsqueeze(1)")


def test_a_kernel_larger_than_the_padded_input():
    _raises(lambda: F.conv2d(tinygrad_lr.randn(1, 3, 4, 4), tinygrad_lr.randn(6, 3, 5, 5)),
            "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be greater "
            "than actual input size")
    _raises(lambda: F.conv2d(tinygrad_lr.randn(1, 3, 4, 4), tinygrad_lr.randn(6, 3, 3, 3), dilation=2),
            "Kernel size: (5 x 5)")   # the dilated kernel
    _raises(lambda: F.max_pool2d(tinygrad_lr.randn(2, 4, 4, 4), 5), "Calculated output size: (4x0x0). Output size is "
            "too small")


def test_an_input_with_too_few_dims_names_the_shapes_and_unsqueeze():
    _raises(lambda: F.conv2d(tinygrad_lr.randn(28, 28), tinygrad_lr.randn(6, 1, 5, 5)),
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [28, 28]",
            "[6, 1, 5, 5]", "x.unsqueeze(0)")
    _raises(lambda: F.max_pool2d(tinygrad_lr.randn(4, 4), 2), "3D or 4D", "[4, 4]", "x.unsqueeze(0)")


@pytest.mark.parametrize("call, fragment", [
    (lambda: F.conv2d(tinygrad_lr.randn(2, 4, 5, 5), tinygrad_lr.randn(3, 2, 3, 3), groups=2),
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda: F.conv2d(tinygrad_lr.randn(2, 4, 5, 5), tinygrad_lr.randn(4, 4, 3, 3), tinygrad_lr.randn(5)),
     "expected bias to be 1-dimensional with 4 elements, but got bias of size [5]"),
    (lambda: F.conv2d(tinygrad_lr.randn(2, 4, 5, 5), tinygrad_lr.randn(4, 4, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(tinygrad_lr.randn(2, 4, 5, 5), tinygrad_lr.randn(4, 4, 3, 3), padding="full"),
     "Invalid padding string 'full'"),
    (lambda: F.conv2d(tinygrad_lr.randn(2, 4, 5, 5), tinygrad_lr.randn(4, 4, 3, 3), padding=-1),
     "negative padding is not supported"),
    (lambda: F.conv2d(tinygrad_lr.randn(2, 4, 5, 5), tinygrad_lr.randn(4, 4, 3, 3), stride=0),
     "non-positive stride is not supported"),
    (lambda: F.conv2d(tinygrad_lr.randn(2, 4, 5, 5), tinygrad_lr.randn(4, 4, 3, 3), stride=(1, 2, 3)),
     "stride=[1, 2, 3]"),
    (lambda: F.conv1d(tinygrad_lr.randn(2, 4, 5), tinygrad_lr.randn(4, 4, 3, 3)), "weight must be 3-d"),
    (lambda: F.max_pool2d(tinygrad_lr.randn(2, 4, 4, 4), 3, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
    (lambda: F.avg_pool2d(tinygrad_lr.randn(2, 4, 4, 4), 2, divisor_override=0), "divisor must be not zero"),
    (lambda: F.adaptive_avg_pool2d(tinygrad_lr.randn(2, 4, 4, 4), (2, 2, 2)), "output_size must be 2"),
    (lambda: F.fold(tinygrad_lr.randn(2, 12, 5), (3, 3), 2), "calculated number of sliding blocks 2 * 2 = 4"),
    (lambda: F.pad(tinygrad_lr.randn(2, 3), (1, 1, 1)), "Padding length must be divisible by 2"),
    (lambda: F.pad(tinygrad_lr.randn(2, 3, 4, 4), (5, 5, 1, 1), mode="reflect"),
     "Padding size should be less than the corresponding input dimension"),
    (lambda: F.pad(tinygrad_lr.randn(2, 3, 4, 4), (1, 1), mode="reflect"), "Padding size 2 is not supported for 4D"),
    (lambda: F.pad(tinygrad_lr.randn(2, 3, 4, 4), (1, 1, 1, 1), mode="wrap"), "Unrecognised padding mode 'wrap'"),
    (lambda: F.interpolate(tinygrad_lr.randn(1, 1, 4, 4), size=2, scale_factor=2), "only one of size or scale_factor"),
    (lambda: F.interpolate(tinygrad_lr.randn(1, 1, 4, 4), size=2, align_corners=True), "align_corners option"),
    (lambda: F.interpolate(tinygrad_lr.randn(1, 4, 4), size=2, mode="bilinear"), "bilinear mode needs 4D input"),
])
def test_wrong_arguments_are_named(call, fragment):
    _raises(call, fragment)
