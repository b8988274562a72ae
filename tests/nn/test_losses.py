"""The classification and robust-regression losses: values and gradients equal PyTorch's, on edge cases.

One catalogue, ``CASES``, drives every test: each entry is a call written once as a function of
the library's ``nn.functional`` (``F``) and of the arguments, run under tinygrad_lr and under
PyTorch on the same numbers.  Values and gradients must agree to 1e-10 in float64 and to float32
rounding in float32; gradcheck and gradgradcheck (float64) check the backward formulas themselves.
Then: the loss modules, the fused ops against their compositions, and each mistake's error.
"""
import math
import warnings

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn
from tinygrad_lr.autograd import grad, gradcheck, gradgradcheck
from tinygrad_lr.nn import functional as F

rng = np.random.default_rng(0)


def _logits(*shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def _probs(*shape, low=0.05, high=0.95):
    return rng.uniform(low, high, shape)


def _soft(n, c):
    p = rng.random((n, c)) + 0.1
    return p / p.sum(1, keepdims=True)


# A case: (id, call, args, differentiable).  call(F, *tensors) is the loss; args are NumPy arrays
# (floats become tensors of the tested dtype, integers int64); differentiable: the indices of the
# args that require grad.
def _case(id, call, args, diff=(0,)):
    return pytest.param(call, args, diff, id=id)


_y = rng.integers(0, 4, 6)
_y_ignored = _y.copy()
_y_ignored[[1, 4]] = -100
_w4 = np.array([0.3, 1.0, 2.5, 0.7])
_z = _logits(6, 4)
_extreme = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [0.0, 0.0, -1e4]])
_x01 = np.array([0.0, 1.0, 0.0, 1.0, 0.3, 1e-10, 1 - 1e-7])   # probabilities exactly 0 and 1
_t01 = np.array([0.0, 1.0, 1.0, 0.0, 0.6, 0.0, 1.0])

CASES = [
    # ---- cross entropy: class indices ----
    *[_case(f"ce-{r}", lambda F, z, y, r=r: F.cross_entropy(z, y, reduction=r), [_z, _y])
      for r in ("mean", "sum", "none")],
    _case("ce-weight", lambda F, z, y, w: F.cross_entropy(z, y, weight=w), [_z, _y, _w4]),
    _case("ce-weight-sum", lambda F, z, y, w: F.cross_entropy(z, y, weight=w, reduction="sum"), [_z, _y, _w4]),
    _case("ce-weight-none", lambda F, z, y, w: F.cross_entropy(z, y, weight=w, reduction="none"), [_z, _y, _w4]),
    _case("ce-ignore-index", lambda F, z, y: F.cross_entropy(z, y), [_z, _y_ignored]),
    _case("ce-ignore-index-weight", lambda F, z, y, w: F.cross_entropy(z, y, weight=w), [_z, _y_ignored, _w4]),
    _case("ce-ignore-index-none", lambda F, z, y: F.cross_entropy(z, y, reduction="none"), [_z, _y_ignored]),
    _case("ce-ignore-index-own", lambda F, z, y: F.cross_entropy(z, y, ignore_index=2), [_z, _y]),
    _case("ce-all-ignored", lambda F, z, y: F.cross_entropy(z, y), [_z, np.full(6, -100)]),   # nan, gradient 0
    _case("ce-all-ignored-sum", lambda F, z, y: F.cross_entropy(z, y, reduction="sum"), [_z, np.full(6, -100)]),
    _case("ce-smoothing", lambda F, z, y: F.cross_entropy(z, y, label_smoothing=0.2), [_z, _y]),
    _case("ce-smoothing-none", lambda F, z, y: F.cross_entropy(z, y, label_smoothing=0.2, reduction="none"), [_z, _y]),
    _case("ce-smoothing-weight-ignore", lambda F, z, y, w: F.cross_entropy(z, y, weight=w, label_smoothing=0.3),
          [_z, _y_ignored, _w4]),
    _case("ce-smoothing-1", lambda F, z, y: F.cross_entropy(z, y, label_smoothing=1.0), [_z, _y]),
    _case("ce-one-class-batch", lambda F, z, y: F.cross_entropy(z, y), [_z, np.full(6, 2)]),
    _case("ce-extreme-logits", lambda F, z, y: F.cross_entropy(z, y, reduction="none"),
          [_extreme, np.array([1, 0, 2])]),
    _case("ce-extreme-logits-mean", lambda F, z, y: F.cross_entropy(z, y), [_extreme, np.array([0, 1, 2])]),
    _case("ce-spatial", lambda F, z, y: F.cross_entropy(z, y), [_logits(2, 3, 4, 2), rng.integers(0, 3, (2, 4, 2))]),
    _case("ce-spatial-none-weight", lambda F, z, y, w: F.cross_entropy(z, y, weight=w, reduction="none"),
          [_logits(2, 3, 4), rng.integers(0, 3, (2, 4)), np.array([1.0, 2.0, 0.5])]),
    _case("ce-unbatched", lambda F, z, y: F.cross_entropy(z, y), [_logits(5), np.array(3)]),
    _case("ce-unbatched-none", lambda F, z, y: F.cross_entropy(z, y, reduction="none"), [_logits(5), np.array(3)]),
    _case("ce-empty-batch", lambda F, z, y: F.cross_entropy(z, y), [np.zeros((0, 3)), np.zeros(0, np.int64)]),
    _case("ce-empty-batch-sum", lambda F, z, y: F.cross_entropy(z, y, reduction="sum"),
          [np.zeros((0, 3)), np.zeros(0, np.int64)]),
    # ---- cross entropy: class probabilities (gradients for both) ----
    _case("ce-probs", lambda F, z, q: F.cross_entropy(z, q), [_z, _soft(6, 4)], (0, 1)),
    _case("ce-probs-none", lambda F, z, q: F.cross_entropy(z, q, reduction="none"), [_z, _soft(6, 4)], (0, 1)),
    _case("ce-probs-weight-smoothing", lambda F, z, q, w: F.cross_entropy(z, q, weight=w, label_smoothing=0.1),
          [_z, _soft(6, 4), _w4], (0, 1)),
    _case("ce-probs-spatial", lambda F, z, q: F.cross_entropy(z, q),
          [_logits(2, 3, 4), np.moveaxis(_soft(8, 3).reshape(2, 4, 3), 2, 1)], (0, 1)),
    _case("ce-probs-unbatched", lambda F, z, q: F.cross_entropy(z, q), [_logits(4), _soft(1, 4)[0]], (0, 1)),
    _case("ce-probs-empty", lambda F, z, q: F.cross_entropy(z, q), [np.zeros((0, 3)), np.zeros((0, 3))], (0, 1)),
    # ---- NLL ----
    *[_case(f"nll-{r}", lambda F, x, y, r=r: F.nll_loss(x, y, reduction=r), [_z, _y]) for r in ("mean", "sum", "none")],
    _case("nll-weight-ignore", lambda F, x, y, w: F.nll_loss(x, y, weight=w), [_z, _y_ignored, _w4]),
    _case("nll-weight-ignore-none", lambda F, x, y, w: F.nll_loss(x, y, weight=w, reduction="none"),
          [_z, _y_ignored, _w4]),
    _case("nll-all-ignored", lambda F, x, y: F.nll_loss(x, y), [_z, np.full(6, -100)]),
    _case("nll-spatial", lambda F, x, y: F.nll_loss(x, y), [_logits(2, 3, 4), rng.integers(0, 3, (2, 4))]),
    _case("nll-unbatched", lambda F, x, y: F.nll_loss(x, y), [_logits(5), np.array(1)]),
    _case("nll-minus-inf-elsewhere", lambda F, x, y: F.nll_loss(x, y), [np.array([[0.0, -np.inf], [-np.inf, 0.0]]),
                                                                       np.array([0, 1])]),
    _case("nll-empty", lambda F, x, y: F.nll_loss(x, y), [np.zeros((0, 3)), np.zeros(0, np.int64)]),
    # ---- BCE ----
    *[_case(f"bce-{r}", lambda F, x, y, r=r: F.binary_cross_entropy(x, y, reduction=r),
            [_probs(5, 3), rng.random((5, 3))], (0, 1)) for r in ("mean", "sum", "none")],
    _case("bce-weight", lambda F, x, y, w: F.binary_cross_entropy(x, y, weight=w), [_probs(5, 3), rng.random((5, 3)),
                                                                                 rng.random(3)], (0, 1)),
    _case("bce-exact-0-and-1", lambda F, x, y: F.binary_cross_entropy(x, y, reduction="none"), [_x01, _t01], (0, 1)),
    _case("bce-exact-0-and-1-mean", lambda F, x, y: F.binary_cross_entropy(x, y), [_x01, _t01], (0, 1)),
    _case("bce-empty", lambda F, x, y: F.binary_cross_entropy(x, y), [np.zeros(0), np.zeros(0)], (0, 1)),
    # ---- BCE with logits ----
    *[_case(f"bcel-{r}", lambda F, z, y, r=r: F.binary_cross_entropy_with_logits(z, y, reduction=r),
            [_logits(5, 3, scale=3), rng.random((5, 3))], (0, 1)) for r in ("mean", "sum", "none")],
    _case("bcel-weight", lambda F, z, y, w: F.binary_cross_entropy_with_logits(z, y, weight=w),
          [_logits(5, 3), rng.random((5, 3)), rng.random((5, 1))], (0, 1)),
    _case("bcel-pos-weight", lambda F, z, y, p: F.binary_cross_entropy_with_logits(z, y, pos_weight=p),
          [_logits(5, 3), rng.random((5, 3)), np.array([0.5, 2.0, 3.0])], (0, 1)),
    _case("bcel-pos-weight-none-weight", lambda F, z, y, w, p: F.binary_cross_entropy_with_logits(
        z, y, weight=w, pos_weight=p, reduction="none"), [_logits(4, 2), rng.random((4, 2)), rng.random(2),
                                                          np.array([4.0, 0.25])], (0, 1)),
    _case("bcel-extreme-logits", lambda F, z, y: F.binary_cross_entropy_with_logits(z, y, reduction="none"),
          [np.array([1e4, -1e4, 1e4, -1e4, 40.0, -40.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.5])], (0, 1)),
    _case("bcel-extreme-pos-weight", lambda F, z, y, p: F.binary_cross_entropy_with_logits(z, y, pos_weight=p),
          [np.array([[1e4, -1e4], [-1e4, 1e4]]), np.array([[1.0, 0.0], [1.0, 0.3]]), np.array([2.0, 3.0])], (0, 1)),
    _case("bcel-empty", lambda F, z, y: F.binary_cross_entropy_with_logits(z, y),
          [np.zeros((0, 1)), np.zeros((0, 1))], (0, 1)),
    # ---- L1, smooth L1, Huber ----
    *[_case(f"l1-{r}", lambda F, a, b, r=r: F.l1_loss(a, b, reduction=r), [_logits(4, 3), _logits(4, 3)], (0, 1))
      for r in ("mean", "sum", "none")],
    _case("l1-ties", lambda F, a, b: F.l1_loss(a, b), [np.array([1.0, 2.0, -3.0]), np.array([1.0, 0.0, -3.0])], (0, 1)),
    _case("l1-empty", lambda F, a, b: F.l1_loss(a, b), [np.zeros(0), np.zeros(0)], (0, 1)),
    *[_case(f"smooth-l1-beta-{beta}-{r}", lambda F, a, b, r=r, beta=beta: F.smooth_l1_loss(a, b, reduction=r,
                                                                                            beta=beta),
            [_logits(4, 3, scale=2), _logits(4, 3)], (0, 1)) for beta in (1.0, 0.5, 0.0) for r in ("mean", "none")],
    _case("smooth-l1-at-beta", lambda F, a, b: F.smooth_l1_loss(a, b, reduction="none"),
          [np.array([1.0, -1.0, 0.0, 2.5]), np.array([0.0, 0.0, 0.0, 0.0])], (0, 1)),
    *[_case(f"huber-delta-{d}-{r}", lambda F, a, b, r=r, d=d: F.huber_loss(a, b, reduction=r, delta=d),
            [_logits(4, 3, scale=2), _logits(4, 3)], (0, 1)) for d in (1.0, 2.0, 0.3) for r in ("mean", "sum", "none")],
    _case("huber-empty", lambda F, a, b: F.huber_loss(a, b), [np.zeros(0), np.zeros(0)], (0, 1)),
]


def _tensors(lib, args, diff, dtype):
    out = []
    for i, a in enumerate(args):
        a = np.asarray(a)
        if a.dtype.kind == "f":
            t = lib.tensor(a.astype(dtype))
            out.append(t.requires_grad_() if i in diff else t)
        else:
            out.append(lib.tensor(a.astype(np.int64)))
    return out


def _run(lib, call, args, diff, dtype):
    """The loss value and the gradients of Σ r ⊙ loss (r fixed weights) with respect to the differentiable args."""
    ts = _tensors(lib, args, diff, dtype)
    out = call(lib.nn.functional, *ts)
    r = np.linspace(0.5, 1.5, max(out.numel(), 1)).reshape(out.shape if out.numel() else ()).astype(dtype)
    wanted = [ts[i] for i in diff]
    value = out.detach().numpy().copy()
    if out.numel() == 0:
        return value, [np.zeros(t.shape) for t in wanted]
    gs = lib.autograd.grad((out * lib.tensor(r)).sum(), wanted)
    return value, [g.detach().numpy().copy() for g in gs]


@pytest.mark.parametrize("call, args, diff", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_matches_pytorch(call, args, diff, dtype):
    torch = optional("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PyTorch warns about nothing that matters here
        ours, ours_grads = _run(tg, call, args, diff, dtype)
        theirs, their_grads = _run(torch, call, args, diff, dtype)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=1e-6)
    assert ours.dtype == theirs.dtype == dtype, "float32 stays float32"
    np.testing.assert_allclose(ours, theirs, **tol)
    for a, b in zip(ours_grads, their_grads):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **tol)


def _differentiable(args, diff):
    return all(np.isfinite(np.asarray(a, float)).all() for a in args) and all(
        np.asarray(args[i]).size for i in diff)


# gradcheck away from the kinks and clamps (finite differences need a smooth function there)
_SMOOTH = [c for c in CASES if not any(k in c.id for k in ("extreme", "exact-0", "ties", "at-beta", "empty",
                                                           "all-ignored", "minus-inf"))]


@pytest.mark.parametrize("call, args, diff", _SMOOTH)
def test_loss_gradcheck_and_gradgradcheck(call, args, diff):
    ts = _tensors(tg, args, diff, np.float64)
    fn = lambda *xs: call(F, *xs)  # noqa: E731
    assert gradcheck(fn, tuple(ts))
    assert gradgradcheck(fn, tuple(ts))


def test_the_catalogue_covers_every_loss():
    covered = {c.id.split("-")[0] for c in CASES}
    assert covered == {"ce", "nll", "bce", "bcel", "l1", "smooth", "huber"}


# ---- what the edge cases give, spelled out --------------------------------------------------------
def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z = tg.tensor(_z, requires_grad=True)
    F.cross_entropy(z, tg.tensor(_y)).backward()
    p = np.exp(_z - _z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(z.grad.numpy(), (p - np.eye(4)[_y]) / len(_y), rtol=1e-12, atol=1e-15)


def test_cross_entropy_all_ignored_is_nan_with_zero_gradient_as_in_pytorch():
    z = tg.tensor(_z, requires_grad=True)
    loss = F.cross_entropy(z, tg.tensor(np.full(6, -100)))
    assert math.isnan(loss.item())
    loss.backward()
    assert (z.grad.numpy() == 0).all()


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_extreme_logits_give_finite_losses_and_gradients(dtype):
    z = tg.tensor(_extreme, dtype=dtype, requires_grad=True)
    loss = F.cross_entropy(z, tg.tensor([1, 0, 2]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad.numpy()).all()
    zb = tg.tensor([1e4, -1e4], dtype=dtype, requires_grad=True)
    lb = F.binary_cross_entropy_with_logits(zb, tg.tensor([0.0, 1.0], dtype=dtype))
    lb.backward()
    assert lb.item() == pytest.approx(1e4) and np.isfinite(zb.grad.numpy()).all()


def test_bce_at_exact_zero_and_one_is_clamped_at_100():
    loss = F.binary_cross_entropy(tg.tensor([0.0, 1.0, 0.0, 1.0]), tg.tensor([1.0, 0.0, 0.0, 1.0]), reduction="none")
    assert loss.tolist() == [100.0, 100.0, 0.0, 0.0]


@pytest.mark.parametrize("loss", [lambda: F.cross_entropy(tg.zeros(0, 3), tg.zeros(0, dtype=tg.int64)),
                                  lambda: F.nll_loss(tg.zeros(0, 3), tg.zeros(0, dtype=tg.int64)),
                                  lambda: F.binary_cross_entropy(tg.zeros(0), tg.zeros(0)),
                                  lambda: F.binary_cross_entropy_with_logits(tg.zeros(0), tg.zeros(0)),
                                  lambda: F.l1_loss(tg.zeros(0), tg.zeros(0)),
                                  lambda: F.smooth_l1_loss(tg.zeros(0), tg.zeros(0)),
                                  lambda: F.huber_loss(tg.zeros(0), tg.zeros(0)),
                                  lambda: F.mse_loss(tg.zeros(0), tg.zeros(0))])
def test_the_mean_of_an_empty_batch_is_nan_silently_as_in_pytorch(loss):
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no NumPy "invalid value" warning either
        assert math.isnan(loss().item())


def test_mse_loss_is_still_half_of_pytorchs():
    torch = optional("torch")
    a, b = _logits(4, 2), _logits(4, 2)
    ours = F.mse_loss(tg.tensor(a), tg.tensor(b)).item()
    assert ours == pytest.approx(torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b)).item() / 2, rel=1e-12)


def test_cross_entropy_is_nll_of_log_softmax_and_the_fused_op_matches_the_composition():
    z, y = tg.tensor(_z, requires_grad=True), tg.tensor(_y)
    fused = F.cross_entropy(z, y)
    composed = -(z.log_softmax(1)[range(6), y]).mean()
    np.testing.assert_allclose(fused.item(), composed.item(), rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(z, 1), y).item(), fused.item(), rtol=1e-12)
    g1, = grad(fused, [z], create_graph=True)
    g2, = grad(composed, [z], create_graph=True)
    np.testing.assert_allclose(g1.detach().numpy(), g2.detach().numpy(), rtol=1e-10, atol=1e-15)
    h1, = grad((g1 * g1).sum(), [z])
    h2, = grad((g2 * g2).sum(), [z])
    np.testing.assert_allclose(h1.numpy(), h2.numpy(), rtol=1e-9, atol=1e-14)


def test_bce_with_logits_equals_bce_of_sigmoid_where_both_are_accurate():
    z, y = tg.tensor(_logits(5, 2), requires_grad=True), tg.tensor(rng.random((5, 2)))
    a = F.binary_cross_entropy_with_logits(z, y)
    b = F.binary_cross_entropy(z.sigmoid(), y)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-12)
    np.testing.assert_allclose(grad(a, [z])[0].numpy(), grad(b, [z])[0].numpy(), rtol=1e-10)


# ---- the modules ---------------------------------------------------------------------------------
def test_loss_modules_call_their_functions_with_their_settings():
    z, y, w = tg.tensor(_z), tg.tensor(_y_ignored), tg.tensor(_w4)
    assert nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(z, y).item() == \
        F.cross_entropy(z, y, weight=w, label_smoothing=0.1).item()
    y2 = tg.tensor(_y)
    assert nn.NLLLoss(ignore_index=2, reduction="sum")(z, y2).item() == \
        F.nll_loss(z, y2, ignore_index=2, reduction="sum").item()
    x, t = tg.tensor(_probs(4)), tg.tensor(rng.random(4))
    assert nn.BCELoss(reduction="sum")(x, t).item() == F.binary_cross_entropy(x, t, reduction="sum").item()
    p = tg.tensor([2.0])
    assert nn.BCEWithLogitsLoss(pos_weight=p)(x, t).item() == \
        F.binary_cross_entropy_with_logits(x, t, pos_weight=p).item()
    assert nn.L1Loss()(x, t).item() == F.l1_loss(x, t).item()
    assert nn.SmoothL1Loss(beta=0.5)(x, t).item() == F.smooth_l1_loss(x, t, beta=0.5).item()
    assert nn.HuberLoss(delta=0.2)(x, t).item() == F.huber_loss(x, t, delta=0.2).item()


def test_loss_modules_repr_and_state_dict_as_pytorch():
    torch = optional("torch")
    w = np.array([1.0, 2.0])
    for name, kwargs in [("CrossEntropyLoss", {}), ("CrossEntropyLoss", {"weight": w}), ("NLLLoss", {"weight": w}),
                         ("BCELoss", {}), ("BCEWithLogitsLoss", {"pos_weight": w}), ("L1Loss", {}),
                         ("SmoothL1Loss", {"beta": 2.0}), ("HuberLoss", {"delta": 0.5}), ("MSELoss", {})]:
        ours = getattr(nn, name)(**{k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                            for k, v in kwargs.items()})
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_legacy_size_average_and_reduce_map_to_a_reduction_with_pytorchs_warning():
    z, y = tg.tensor(_z), tg.tensor(_y)
    with pytest.warns(UserWarning, match=r"size_average and reduce args will be deprecated, please use "
                                         r"reduction='sum' instead"):
        loss = nn.CrossEntropyLoss(size_average=False)
    assert loss.reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(z, z, reduce=False).shape == (6, 4)


def test_loss_keeps_float32_and_promotes_like_pytorch():
    z = tg.tensor(_z, dtype=tg.float32, requires_grad=True)
    loss = F.cross_entropy(z, tg.tensor(_y), weight=tg.tensor(_w4))   # a float64 weight: the loss stays float32
    loss.backward()
    assert loss.dtype == tg.float32 and z.grad.dtype == tg.float32
    assert F.binary_cross_entropy_with_logits(z, tg.tensor(rng.random((6, 4)))).dtype == tg.float64  # promoted


# ---- the mistakes ---------------------------------------------------------------------------------
Z, Y = tg.tensor(_z, dtype=tg.float32), tg.tensor(_y)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.cross_entropy(Z, Y.float()), TypeError,
     r"^CrossEntropyLoss: target of shape \(6,\) is float32: class indices must be integers, convert them with "
     r"y\.long\(\)"),
    (lambda: F.cross_entropy(Z, tg.rand(6, 3)), ValueError,
     r"^CrossEntropyLoss: target of class probabilities has shape \(6, 3\) but input has shape \(6, 4\)"),
    (lambda: F.cross_entropy(Z, tg.tensor([0, 1, 2, 3, 4, 1])), IndexError,
     r"^CrossEntropyLoss: target 4 is out of bounds for input of shape \(6, 4\), which has 4 classes; class "
     r"indices must be in 0 … 3"),
    (lambda: F.cross_entropy(Z, tg.tensor([0, -1, 2, 3, 1, 1])), IndexError, r"target -1 is out of bounds"),
    (lambda: F.nll_loss(Z, tg.tensor([0, 1, 2, 3, 7, 1])), IndexError, r"^NLLLoss: target 7 is out of bounds"),
    (lambda: F.cross_entropy(Z[:, :1], tg.tensor(_y % 2)), ValueError,
     r"^CrossEntropyLoss: input of shape \(6, 1\) has one class.*nn\.BCEWithLogitsLoss\(\).*or give the model 2 "
     r"outputs"),
    (lambda: F.cross_entropy(Z, Y.reshape(-1, 1)), RuntimeError,
     r"^CrossEntropyLoss: target has shape \(6, 1\), a column; class indices need shape \(6,\).*y\.reshape\(-1\)"),
    (lambda: F.cross_entropy(Z, Y[:4]), ValueError,
     r"Expected input batch_size \(6\) to match target batch_size \(4\)"),
    (lambda: F.cross_entropy(Y, Z), TypeError,
     r"^CrossEntropyLoss: input \(the scores, one per class\) must be floating point, got int64 of shape \(6,\)\. "
     r"The target is floating point: the arguments look swapped, call loss\(y_hat, y\)"),
    (lambda: F.cross_entropy(Z, Y.bool()), TypeError, r"target must hold class indices \(int64\)"),
    (lambda: F.cross_entropy(Z, Y, weight=tg.ones(3)), RuntimeError,
     r"weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: \[3\]"),
    (lambda: F.cross_entropy(Z, Y, label_smoothing=1.5), RuntimeError,
     r"label_smoothing must be between 0\.0 and 1\.0\. Got: 1\.5"),
    (lambda: F.nll_loss(Z, Y.float()), TypeError, r"^NLLLoss: target must be class indices \(int64\)"),
    (lambda: F.binary_cross_entropy(tg.tensor([0.5, 1.5]), tg.tensor([1.0, 0.0])), RuntimeError,
     r"^BCELoss: all elements of input should be between 0 and 1, found 1\.5.*pass logits to BCEWithLogitsLoss "
     r"instead"),
    (lambda: F.binary_cross_entropy(tg.tensor([0.5, 0.5]), tg.tensor([1.0, 2.0])), RuntimeError,
     r"^BCELoss: all elements of target should be between 0 and 1, found 2\.0"),
    (lambda: F.binary_cross_entropy(tg.tensor([0.5, 0.5]), tg.tensor([[1.0], [0.0]])), ValueError,
     r"^BCELoss: input \(prediction\) has shape \(2,\) but target has shape \(2, 1\).*y\.reshape\(-1, 1\)"),
    (lambda: F.binary_cross_entropy_with_logits(tg.ones(3), tg.ones(3), pos_weight=tg.ones(2)), ValueError,
     r"^BCEWithLogitsLoss: pos_weight of shape \(2,\) does not broadcast against the input's shape \(3,\)"),
    (lambda: F.binary_cross_entropy(tg.ones(3), tg.ones(3), weight=tg.ones(3, 3)), ValueError,
     r"weight of shape \(3, 3\) does not broadcast against the input's shape \(3,\)"),
    (lambda: F.l1_loss(tg.ones(3), [1.0, 2.0, 3.0]), TypeError, r"^L1Loss: target must be a Tensor, got list"),
    (lambda: F.smooth_l1_loss(tg.ones(3), tg.ones(3), beta=-1), RuntimeError,
     r"smooth_l1_loss does not support negative values for beta"),
    (lambda: F.huber_loss(tg.ones(3), tg.ones(3), delta=0), RuntimeError,
     r"huber_loss does not support non-positive values for delta"),
    (lambda: F.huber_loss(tg.ones(3), tg.ones(3), reduction="avg"), ValueError,
     r"^HuberLoss: reduction='avg' is not a valid value"),
    (lambda: nn.CrossEntropyLoss(tg.ones(6, 4, requires_grad=True), Y), TypeError,
     r"^CrossEntropyLoss: got a Tensor as size_average; the constructor takes the loss's settings\. Create the loss "
     r"first, then call it on the prediction and the target: loss = nn\.CrossEntropyLoss\(\); l = loss\(y_hat, y\)"),
    (lambda: nn.CrossEntropyLoss(tg.ones(2, 3, requires_grad=True)), TypeError,
     r"^CrossEntropyLoss: weight is a Tensor that requires grad \(a prediction\?\).*Create the loss first"),
    (lambda: nn.BCELoss(tg.ones(2), tg.ones(2)), TypeError,
     r"^BCELoss: got a Tensor as size_average.*loss = nn\.BCELoss\(\)"),
    (lambda: nn.L1Loss(tg.ones(2), tg.ones(2)), TypeError, r"^L1Loss: got a Tensor as size_average"),
    (lambda: nn.HuberLoss(tg.ones(2), tg.ones(2)), TypeError,
     r"^HuberLoss: reduction must be .* got a Tensor\. Create"),
    (lambda: nn.BCEWithLogitsLoss(weight=[1.0, 2.0]), TypeError,
     r"^BCEWithLogitsLoss: weight must be a Tensor or None"),
])
def test_each_mistake_names_the_loss_the_shapes_and_the_fix(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert info.value.__cause__ is None and (info.value.__suppress_context__ or info.value.__context__ is None)
