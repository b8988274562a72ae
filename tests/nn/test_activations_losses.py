"""The activations beyond ReLU (ELU ... PReLU) and the losses of distributions, counts and embeddings
(KLDivLoss ... TripletMarginLoss): values and gradients equal PyTorch's, at the kinks too.

Two catalogues drive the comparisons, as in tests/nn/test_losses.py: each entry is a call written once
as a function of the library's ``nn.functional`` (``F``), run under tinygrad_lr and under PyTorch on
the same numbers, in float64 (to 1e-10) and float32 (to float32 rounding).  The activations' inputs
sit on their kinks and thresholds (softplus's threshold, hardtanh's bounds, relu6 at 0 and 6,
hardswish and hardsigmoid at ±3, elu at 0), where the slope is a convention: PyTorch's.  Then the
modules (repr, settings, PReLU's parameter), the in-place forms, KLDivLoss's warning, and each
mistake's error.  The finite-difference and second-order checks are in the op catalog
(tests/_catalog_activations.py).
"""
import warnings

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
import tinygrad_lr.torch as ttorch
from tinygrad_lr import nn
from tinygrad_lr.nn import functional as F

rng = np.random.default_rng(0)

# on and around every kink and threshold of the activations below
KINKS = np.array([-30.0, -4.0, -3.0 - 1e-9, -3.0, -3.0 + 1e-9, -2.5, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0,
                  2.5, 2.9, 3.0, 3.1, 4.9, 5.0, 5.1, 5.9, 6.0, 6.1, 9.9, 10.0, 10.1, 19.9, 20.0, 20.1, 40.0])


def _case(id, call, args, diff=(0,)):
    return pytest.param(call, args, diff, id=id)


ACTIVATIONS = [
    _case("elu", lambda F, x: F.elu(x), [KINKS]),
    _case("elu-alpha-0.5", lambda F, x: F.elu(x, alpha=0.5), [KINKS]),
    _case("elu-alpha-negative", lambda F, x: F.elu(x, -0.7), [KINKS]),
    _case("selu", lambda F, x: F.selu(x), [KINKS]),
    _case("celu", lambda F, x: F.celu(x), [KINKS]),
    _case("celu-alpha-0.5", lambda F, x: F.celu(x, alpha=0.5), [KINKS]),
    _case("celu-alpha-2", lambda F, x: F.celu(x, 2.0), [KINKS]),
    _case("silu", lambda F, x: F.silu(x), [KINKS]),
    _case("mish", lambda F, x: F.mish(x), [KINKS]),
    _case("softplus", lambda F, x: F.softplus(x), [KINKS]),
    _case("softplus-beta-2-threshold-10", lambda F, x: F.softplus(x, beta=2, threshold=10), [KINKS]),
    _case("softplus-beta-0.5-threshold-1", lambda F, x: F.softplus(x, 0.5, 1), [KINKS]),
    _case("softsign", lambda F, x: F.softsign(x), [KINKS]),
    _case("hardtanh", lambda F, x: F.hardtanh(x), [KINKS]),
    _case("hardtanh-(-2, 2.5)", lambda F, x: F.hardtanh(x, -2.0, 2.5), [KINKS]),
    _case("hardtanh-min-equals-max", lambda F, x: F.hardtanh(x, 1.0, 1.0), [KINKS]),
    _case("relu6", lambda F, x: F.relu6(x), [KINKS]),
    _case("hardsigmoid", lambda F, x: F.hardsigmoid(x), [KINKS]),
    _case("hardswish", lambda F, x: F.hardswish(x), [KINKS]),
    _case("prelu-one-slope", lambda F, x, w: F.prelu(x, w), [KINKS.reshape(31, 1), np.array([0.25])], (0, 1)),
    _case("prelu-per-channel", lambda F, x, w: F.prelu(x, w), [KINKS[:30].reshape(2, 3, 5), np.array([0.1, -0.5, 2.0])],
          (0, 1)),
    _case("prelu-per-channel-4d", lambda F, x, w: F.prelu(x, w), [rng.standard_normal((2, 3, 2, 2)),
                                                                  np.array([0.1, 0.2, 0.3])], (0, 1)),
    _case("prelu-1d", lambda F, x, w: F.prelu(x, w), [KINKS, np.array([0.3])], (0, 1)),
    _case("prelu-0d", lambda F, x, w: F.prelu(x, w), [np.array(-2.0), np.array([0.3])], (0, 1)),
    _case("prelu-0d-weight", lambda F, x, w: F.prelu(x, w), [KINKS[:6].reshape(2, 3), np.array(0.3)], (0, 1)),
]

# float64 gradients compared more loosely: PyTorch's hardsigmoid multiplies by 1/6 rounded to float32
# (0.16666667163...) even in float64, ours by 1/6 (3e-8 apart, relatively); and the cosine of a zero vector
# has gradients of 1e5 (1/√10⁻¹²), whose last digits depend on the order of the operations.
_LOOSE_GRADIENT = {"hardsigmoid": dict(rtol=1e-7, atol=1e-12), "zero-vector": dict(rtol=1e-8, atol=1e-12)}

_x, _p = rng.standard_normal((4, 3)), rng.random((4, 3))
_logq = _x - np.log(np.exp(_x).sum(1, keepdims=True))
_q = rng.random((4, 3)) + 0.1
_q /= _q.sum(1, keepdims=True)
_q0 = _q.copy()
_q0[[0, 2], [1, 0]] = 0.0                   # probabilities exactly 0: 0 · ln 0 = 0
_counts = rng.integers(0, 6, (4, 3)).astype(float)
_y = np.array([1.0, -1.0, -1.0, 1.0])
_a, _pos, _neg = rng.standard_normal((5, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 4))

LOSSES = [
    *[_case(f"kl-div-{r}", lambda F, x, y, r=r: F.kl_div(x, y, reduction=r), [_logq, _q], (0, 1))
      for r in ("batchmean", "sum", "none", "mean")],
    _case("kl-div-zeros-in-target", lambda F, x, y: F.kl_div(x, y, reduction="none"), [_logq, _q0]),
    *[_case(f"kl-div-log-target-{r}", lambda F, x, y, r=r: F.kl_div(x, y, reduction=r, log_target=True),
            [_logq, np.log(_q)], (0, 1)) for r in ("batchmean", "sum", "none", "mean")],
    _case("kl-div-batchmean-1d", lambda F, x, y: F.kl_div(x, y, reduction="batchmean"), [_logq[0], _q[0]], (0, 1)),
    _case("kl-div-batchmean-0d", lambda F, x, y: F.kl_div(x, y, reduction="batchmean"), [np.array(-1.2), np.array(0.3)],
          (0, 1)),
    *[_case(f"poisson-{r}", lambda F, x, y, r=r: F.poisson_nll_loss(x, y, reduction=r), [_x, _counts], (0, 1))
      for r in ("mean", "sum", "none")],
    _case("poisson-full", lambda F, x, y: F.poisson_nll_loss(x, y, full=True, reduction="none"), [_x, _counts]),
    _case("poisson-full-mean", lambda F, x, y: F.poisson_nll_loss(x, y, full=True), [_x, _counts + 0.5], (0, 1)),
    _case("poisson-rate", lambda F, x, y: F.poisson_nll_loss(x, y, log_input=False), [_p, _counts], (0, 1)),
    _case("poisson-rate-zero-eps", lambda F, x, y: F.poisson_nll_loss(x, y, log_input=False, eps=1e-3,
                                                                       reduction="none"),
          [np.where(_p > 0.5, _p, 0.0), _counts], (0, 1)),
    _case("poisson-rate-full", lambda F, x, y: F.poisson_nll_loss(x, y, log_input=False, full=True, reduction="sum"),
          [_p, _counts + 0.5], (0, 1)),
    *[_case(f"cosine-embedding-{r}", lambda F, a, b, y, r=r: F.cosine_embedding_loss(a, b, y, reduction=r),
            [_x, _p, _y]) for r in ("mean", "sum", "none")],
    _case("cosine-embedding-margin", lambda F, a, b, y: F.cosine_embedding_loss(a, b, y, 0.2, reduction="none"),
          [_x, _p, _y], (0, 1)),
    _case("cosine-embedding-one-pair", lambda F, a, b, y: F.cosine_embedding_loss(a, b, y), [_x[0], _p[0],
                                                                                             np.array(-1.0)], (0, 1)),
    _case("cosine-embedding-zero-vector", lambda F, a, b, y: F.cosine_embedding_loss(a, b, y, reduction="none"),
          [np.vstack([np.zeros(3), _x[1:]]), _p, _y], (0, 1)),
    _case("cosine-embedding-int-target", lambda F, a, b, y: F.cosine_embedding_loss(a, b, y), [_x, _p,
                                                                                              _y.astype(np.int64)]),
    *[_case(f"margin-ranking-{r}", lambda F, a, b, y, r=r: F.margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
            [_x[:, 0].copy(), _x[:, 1].copy(), _y], (0, 1)) for r in ("mean", "sum", "none")],
    _case("margin-ranking-no-margin", lambda F, a, b, y: F.margin_ranking_loss(a, b, y), [_x[:, 0].copy(),
                                                                                          _x[:, 1].copy(), _y], (0, 1)),
    *[_case(f"triplet-{r}", lambda F, a, p, n, r=r: F.triplet_margin_loss(a, p, n, reduction=r), [_a, _pos, _neg],
            (0, 1, 2)) for r in ("mean", "sum", "none")],
    _case("triplet-p1-swap", lambda F, a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                                      reduction="none"), [_a, _pos, _neg], (0, 1, 2)),
    _case("triplet-p3-eps", lambda F, a, p, n: F.triplet_margin_loss(a, p, n, margin=0.5, p=3, eps=1e-3),
          [_a, _pos, _neg], (0, 1, 2)),
    _case("triplet-one", lambda F, a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0), [_a[0], _pos[0], _neg[0]],
          (0, 1, 2)),
    _case("triplet-positive-equals-anchor", lambda F, a, p, n: F.triplet_margin_loss(a, p, n, reduction="none"),
          [_a, _a.copy(), _neg], (0, 1, 2)),
    _case("cosine-similarity", lambda F, a, b: F.cosine_similarity(a, b), [_x, _p], (0, 1)),
    _case("cosine-similarity-broadcast", lambda F, a, b: F.cosine_similarity(a, b, dim=-1), [_x, _p[0]], (0, 1)),
    _case("cosine-similarity-dim0-eps", lambda F, a, b: F.cosine_similarity(a, b, 0, eps=0.5), [_x * 0.1, _p], (0, 1)),
    _case("cosine-similarity-zero-vector", lambda F, a, b: F.cosine_similarity(a, b), [np.zeros((2, 3)), _p[:2]],
          (0, 1)),
    _case("pairwise-distance", lambda F, a, b: F.pairwise_distance(a, b), [_x, _p], (0, 1)),
    _case("pairwise-distance-p1-keepdim", lambda F, a, b: F.pairwise_distance(a, b, p=1, keepdim=True), [_x, _p],
          (0, 1)),
    _case("pairwise-distance-equal-rows", lambda F, a, b: F.pairwise_distance(a, b, p=3), [_x, _x.copy()], (0, 1)),
    _case("pairwise-distance-broadcast", lambda F, a, b: F.pairwise_distance(a, b, eps=0.0), [_x, _p[0]], (0, 1)),
]


def _tensors(lib, args, diff, dtype):
    out = []
    for i, a in enumerate(args):
        a = np.asarray(a)
        if a.dtype.kind == "f":
            t = lib.tensor(a.astype(dtype))
            out.append(t.requires_grad_() if i in diff else t)
        else:
            out.append(lib.tensor(a))
    return out


def _run(lib, call, args, diff, dtype):
    """The value and the gradients of Σ r ⊙ out (r fixed weights) with respect to the differentiable args."""
    ts = _tensors(lib, args, diff, dtype)
    out = call(lib.nn.functional, *ts)
    r = np.linspace(0.5, 1.5, max(out.numel(), 1)).reshape(out.shape).astype(dtype)
    gs = lib.autograd.grad((out * lib.tensor(r)).sum(), [ts[i] for i in diff])
    return out.detach().numpy().copy(), [g.detach().numpy().copy() for g in gs]


def _compare(call, args, diff, dtype, request):
    torch = optional("torch")
    loose = [tol for name, tol in _LOOSE_GRADIENT.items() if name in request.node.callspec.id]
    loose = loose[0] if loose else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # KLDivLoss's 'mean' warning: tested below
        ours, ours_grads = _run(tg, call, args, diff, dtype)
        theirs, their_grads = _run(torch, call, args, diff, dtype)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=1e-6)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == dtype, "float32 stays float32"
    np.testing.assert_allclose(ours, theirs, **tol)
    for a, b in zip(ours_grads, their_grads):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **(loose if loose and dtype == np.float64 else tol))


@pytest.mark.parametrize("call, args, diff", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_matches_pytorch_at_its_kinks(call, args, diff, dtype, request):
    _compare(call, args, diff, dtype, request)


@pytest.mark.parametrize("call, args, diff", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_matches_pytorch(call, args, diff, dtype, request):
    _compare(call, args, diff, dtype, request)


def test_the_kinks_take_pytorchs_slopes():
    """Spelled out: the slope at a kink is the left one for elu (α), 0 at hardtanh's bounds, w at 0 for prelu."""
    x = tg.tensor([-3.0, 0.0, 3.0, 6.0], dtype=tg.float64, requires_grad=True)
    for fn, slopes in [(lambda x: F.elu(x, 0.5), [0.5 * np.exp(-3), 0.5, 1, 1]),
                       (lambda x: F.celu(x, 0.5), [np.exp(-6), 1, 1, 1]),
                       (F.relu6, [0, 0, 1, 0]), (lambda x: F.hardtanh(x, -3.0, 3.0), [0, 1, 0, 0]),
                       (F.hardswish, [0, 0.5, 1, 1]), (F.hardsigmoid, [0, 1 / 6, 0, 0]),
                       (lambda x: F.prelu(x, tg.tensor([0.25], dtype=tg.float64)), [0.25, 0.25, 1, 1])]:
        g, = tg.autograd.grad(fn(x).sum(), [x])
        np.testing.assert_allclose(g.numpy(), slopes, rtol=1e-13)


def test_softplus_never_overflows_and_is_x_above_the_threshold():
    x = tg.tensor([-1000.0, 1000.0, 5.0, 5.5], dtype=tg.float64, requires_grad=True)
    y = F.softplus(x, beta=2, threshold=2000)      # PyTorch: inf at 1000 (e^2000 overflows)
    assert np.isfinite(y.tolist()).all() and y.tolist()[1] == 1000.0
    y = F.softplus(x, beta=2, threshold=10)
    assert y.tolist()[3] == 5.5 and y.tolist()[2] != 5.0   # above βx = 10, x itself; at it, the formula
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_integer_inputs_are_promoted_except_by_hardtanh_as_in_pytorch():
    i = tg.tensor([-7, 0, 3, 9])
    assert F.hardtanh(i).dtype == tg.int64 and F.relu6(i).tolist() == [0, 0, 3, 6]
    assert F.elu(i).dtype == F.softsign(i).dtype == F.hardswish(i).dtype == tg.float32


# ---- in-place forms and the inplace argument ----------------------------------------------------------
@pytest.mark.parametrize("name, args", [("elu_", (0.5,)), ("selu_", ()), ("celu_", (2.0,)), ("hardtanh_", (-0.5, 2.0))])
def test_in_place_forms_change_their_argument_and_record_as_pytorch(name, args):
    torch = optional("torch")
    x0 = KINKS[:12]
    ours, theirs = tg.tensor(x0), torch.tensor(x0)
    assert getattr(F, name)(ours, *args) is ours
    getattr(torch.nn.functional, name)(theirs, *args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    grads = []
    for lib in (tg, torch):
        leaf = lib.tensor(x0, requires_grad=True)
        h = leaf * 2
        getattr(lib.nn.functional, name)(h, *args)
        (h * lib.tensor(np.arange(12.0))).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(*grads, rtol=1e-12)


def test_inplace_true_gives_the_same_values_in_a_new_tensor():
    x = tg.tensor([-1.0, 2.0])
    for fn in (lambda x: F.elu(x, inplace=True), lambda x: F.hardtanh(x, inplace=True), lambda x: F.silu(x, True),
               lambda x: nn.ReLU6(inplace=True)(x), lambda x: nn.Hardswish(inplace=True)(x)):
        y = fn(x)
        assert y is not x and x.tolist() == [-1.0, 2.0]


# ---- the modules ------------------------------------------------------------------------------------
MODULES = [("ELU", {}), ("ELU", {"alpha": 0.5, "inplace": True}), ("SELU", {}), ("SELU", {"inplace": True}),
           ("CELU", {}), ("CELU", {"alpha": 2.0}), ("SiLU", {}), ("SiLU", {"inplace": True}), ("Mish", {}),
           ("Softplus", {}), ("Softplus", {"beta": 2, "threshold": 10}), ("Softsign", {}), ("Hardtanh", {}),
           ("Hardtanh", {"min_val": -2, "max_val": 3, "inplace": True}),
           ("Hardtanh", {"min_val": -2.5, "max_val": 0.5}),
           ("ReLU6", {}), ("ReLU6", {"inplace": True}), ("Hardswish", {}), ("Hardswish", {"inplace": True}),
           ("Hardsigmoid", {}), ("Hardsigmoid", {"inplace": True}), ("PReLU", {}),
           ("PReLU", {"num_parameters": 3, "init": 0.1}), ("KLDivLoss", {}),
           ("KLDivLoss", {"reduction": "batchmean", "log_target": True}), ("PoissonNLLLoss", {}),
           ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 1e-3, "reduction": "sum"}),
           ("CosineEmbeddingLoss", {}), ("CosineEmbeddingLoss", {"margin": 0.5, "reduction": "none"}),
           ("MarginRankingLoss", {"margin": 1.0}), ("TripletMarginLoss", {}),
           ("TripletMarginLoss", {"margin": 2.0, "p": 1, "eps": 0.0, "swap": True, "reduction": "sum"})]


@pytest.mark.parametrize("name, kwargs", MODULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(MODULES)])
def test_module_repr_settings_and_state_dict_as_pytorch(name, kwargs):
    torch = optional("torch")
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in vars(theirs).items():
        if not key.startswith("_") and key != "training":
            assert getattr(ours, key) == value, key
    assert getattr(ttorch.nn, name) is getattr(nn, name)   # the facade re-exports it


ACTIVATION_MODULES = [("ELU", {"alpha": 0.5}), ("SELU", {}), ("CELU", {"alpha": 0.5}), ("SiLU", {}), ("Mish", {}),
                      ("Softplus", {"beta": 2, "threshold": 10}), ("Softsign", {}), ("Hardtanh", {"min_val": -2.0}),
                      ("ReLU6", {}), ("Hardswish", {}), ("Hardsigmoid", {}), ("PReLU", {}), ("PReLU", {"init": -0.3})]


@pytest.mark.parametrize("name, kwargs", ACTIVATION_MODULES)
def test_activation_module_computes_its_function_as_pytorch(name, kwargs):
    torch = optional("torch")
    x = KINKS.reshape(1, 31)
    outs = []
    for lib in (tg, torch):
        m = getattr(lib.nn, name)(**kwargs)
        outs.append(m(lib.tensor(x, dtype=lib.float32)).detach().numpy())
    np.testing.assert_allclose(*outs, rtol=1e-6, atol=1e-7)


def test_prelu_learns_one_slope_per_channel_as_pytorch():
    torch = optional("torch")
    x = rng.standard_normal((4, 3, 5))
    results = []
    for lib in (tg, torch):
        m = lib.nn.PReLU(num_parameters=3, dtype=lib.float64)
        y = m(lib.tensor(x))
        (y * lib.tensor(np.linspace(-1, 1, 60).reshape(4, 3, 5))).sum().backward()
        results.append((y.detach().numpy(), m.weight.grad.numpy(), tuple(m.weight.shape)))
    (y1, g1, s1), (y2, g2, s2) = results
    assert s1 == s2 == (3,)
    np.testing.assert_allclose(y1, y2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-12)
    m = nn.PReLU()
    assert m.weight.dtype == tg.float32 and m.weight.tolist() == [0.25] and len(list(m.parameters())) == 1


def test_prelu_trains_with_an_optimizer():
    m = nn.PReLU(2, init=0.5)
    trainer = tg.optim.SGD(m.parameters(), lr=0.1)
    x = tg.tensor([[-1.0, -2.0], [1.0, 3.0]])
    (m(x).sum()).backward()                  # ∂/∂a = Σ x over the x ≤ 0 of each channel
    assert m.weight.grad.tolist() == [-1.0, -2.0]
    trainer.step()
    np.testing.assert_allclose(m.weight.detach().numpy(), [0.6, 0.7], rtol=1e-6)


def test_hardtanhs_deprecated_keywords_warn_as_pytorch():
    with pytest.warns(FutureWarning, match=r"keyword argument `min_value` is deprecated and renamed to `min_val`"):
        m = nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0


def test_loss_modules_call_their_functions_with_their_settings():
    x, q = tg.tensor(_logq), tg.tensor(_q)
    assert nn.KLDivLoss(reduction="batchmean")(x, q).item() == F.kl_div(x, q, reduction="batchmean").item()
    c = tg.tensor(_counts)
    assert nn.PoissonNLLLoss(full=True)(x, c).item() == F.poisson_nll_loss(x, c, full=True).item()
    a, b, y = tg.tensor(_x), tg.tensor(_p), tg.tensor(_y)
    assert nn.CosineEmbeddingLoss(0.3)(a, b, y).item() == F.cosine_embedding_loss(a, b, y, 0.3).item()
    assert nn.MarginRankingLoss(0.3, reduction="sum")(a[:, 0], b[:, 0], y).item() == \
        F.margin_ranking_loss(a[:, 0], b[:, 0], y, 0.3, reduction="sum").item()
    assert nn.TripletMarginLoss(p=1, swap=True)(a, b, a * 2).item() == \
        F.triplet_margin_loss(a, b, a * 2, p=1, swap=True).item()


# ---- KLDivLoss's reductions and warning ----------------------------------------------------------------
def test_kl_div_mean_warns_with_pytorchs_words_and_batchmean_does_not():
    torch = optional("torch")
    messages = []
    for lib in (tg, torch):
        x, q = lib.tensor(_logq), lib.tensor(_q)
        with pytest.warns(UserWarning, match=r"^reduction: 'mean' divides the total loss by both the batch size") as w:
            lib.nn.functional.kl_div(x, q)
        messages.append(str(w[0].message))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.KLDivLoss(reduction="batchmean")(x, q)
            lib.nn.KLDivLoss(size_average=True, reduce=False)(x, q)   # the legacy arguments warn about themselves
        assert [str(m.message) for m in w] == [
            "size_average and reduce args will be deprecated, please use reduction='none' instead."]
    assert messages[0] == messages[1]


def test_kl_div_batchmean_is_the_sum_over_the_batch_size():
    x, q = tg.tensor(_logq), tg.tensor(_q)
    total = F.kl_div(x, q, reduction="sum").item()
    assert F.kl_div(x, q, reduction="batchmean").item() == pytest.approx(total / 4, rel=1e-14)
    with pytest.warns(UserWarning):
        assert F.kl_div(x, q).item() == pytest.approx(total / 12, rel=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no NumPy warning: nan, as in PyTorch
        assert np.isnan(F.kl_div(tg.zeros(0, 3), tg.zeros(0, 3), reduction="batchmean").item())


def test_legacy_size_average_maps_to_a_reduction_with_pytorchs_warning():
    with pytest.warns(UserWarning, match=r"please use reduction='sum' instead"):
        assert nn.KLDivLoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match=r"please use reduction='none' instead"):
        assert nn.TripletMarginLoss(reduce=False).reduction == "none"


# ---- the mistakes -----------------------------------------------------------------------------------
X = tg.tensor(_x)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.cosine_embedding_loss(X, X, tg.tensor([1, 0, 0, 1])), ValueError,
     r"^CosineEmbeddingLoss: targets must be 1 or -1, found 0 \(target of shape \(4,\)\); 1 for a similar pair, -1 "
     r"for a dissimilar one\. For labels 0/1 pass 2 \* y - 1"),
    (lambda: F.cosine_embedding_loss(X, X, tg.ones(4, 1)), RuntimeError,
     r"^CosineEmbeddingLoss: 0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cosine_embedding_loss(X[0], X[0], tg.ones(4)), RuntimeError,
     r"^CosineEmbeddingLoss: 1D target tensor expects 2D input tensors, but found inputs with shapes \(3,\) and "
     r"\(3,\)"),
    (lambda: F.cosine_embedding_loss(X, X[:2], tg.ones(4)), ValueError,
     r"^CosineEmbeddingLoss: the shapes of input1 \(4, 3\), input2 \(2, 3\) must be equal"),
    (lambda: F.cosine_embedding_loss(X, X, tg.ones(3)), ValueError,
     r"^CosineEmbeddingLoss: target of shape \(3,\) but inputs of shape \(4, 3\): one target per pair of rows, "
     r"shape \(4,\)"),
    (lambda: F.margin_ranking_loss(X[:, 0], X[:, 1], tg.tensor([1.0, 0.0, 1.0, 0.0])), ValueError,
     r"^MarginRankingLoss: targets must be 1 or -1, found 0\.0"),
    (lambda: F.margin_ranking_loss(X[:, 0], X[:, 1], tg.ones(4, 1)), RuntimeError,
     r"^MarginRankingLoss: All input tensors should have same dimension but got sizes: input1: \(4,\), input2: "
     r"\(4,\), target: \(4, 1\)"),
    (lambda: F.margin_ranking_loss(X[:, 0], X[:2, 1], tg.ones(4)), ValueError,
     r"^MarginRankingLoss: the shapes of input1 \(4,\), input2 \(2,\), target \(4,\) must be equal"),
    (lambda: F.triplet_margin_loss(X, X, X, margin=0), ValueError,
     r"^TripletMarginLoss: margin must be greater than 0"),
    (lambda: nn.TripletMarginLoss(margin=-1), ValueError,
     r"^TripletMarginLoss: expected margin to be greater than 0, got -1 instead"),
    (lambda: F.triplet_margin_loss(X, X[0], X), RuntimeError,
     r"The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: "
     r"anchor 2D, positive 1D, and negative 2D inputs"),
    (lambda: F.kl_div(X, tg.tensor(_q - 0.5), reduction="batchmean"), ValueError,
     r"^KLDivLoss: the target holds probabilities \(log_target=False\) but has -0\.\d+ < 0 .*pass log_target=True"),
    (lambda: F.kl_div(X, tg.tensor(_q), reduction="avg"), ValueError,
     r"^KLDivLoss: reduction='avg' is not a valid value; use 'batchmean'"),
    (lambda: nn.KLDivLoss(reduction="batch"), ValueError, r"^KLDivLoss: reduction='batch' is not a valid value"),
    (lambda: nn.KLDivLoss(X, X), TypeError, r"^KLDivLoss: got a Tensor as size_average.*loss = nn\.KLDivLoss\(\)"),
    (lambda: F.kl_div(X, tg.tensor(_q[:, :1]), reduction="sum"), ValueError,
     r"^KLDivLoss: input \(prediction\) has shape \(4, 3\) but target has shape \(4, 1\)"),
    (lambda: F.poisson_nll_loss(X, tg.tensor(_counts), log_input=False), ValueError,
     r"^PoissonNLLLoss: with log_input=False the input is the rate λ ≥ 0, but it has -\d\.\d+ .*use "
     r"log_input=True"),
    (lambda: nn.PoissonNLLLoss(reduction="avg"), ValueError, r"^PoissonNLLLoss: reduction='avg' is not a valid value"),
    (lambda: F.cosine_similarity(X, tg.ones(2)), ValueError,
     r"^cosine_similarity: x1 of shape \(4, 3\) and x2 of shape \(2,\) cannot be broadcast together"),
    (lambda: F.pairwise_distance(X, [1.0, 2.0, 3.0]), TypeError, r"^pairwise_distance: x2 must be a Tensor, got list"),
    (lambda: nn.PReLU(3)(tg.ones(2, 4)), RuntimeError,
     r"^PReLU: Mismatch of parameter numbers and input channel size: 3 slopes \(num_parameters=3\) but the input of "
     r"shape \(2, 4\) has 4 channels in dim 1; use nn\.PReLU\(num_parameters=4\) for one slope per channel, or "
     r"nn\.PReLU\(\) for one shared slope"),
    (lambda: nn.PReLU(3)(tg.ones(3)), RuntimeError, r"has no channel dim \(a 0-d or 1-d input counts as one channel\)"),
    (lambda: nn.PReLU(0), ValueError, r"^PReLU: num_parameters must be a positive integer"),
    (lambda: F.prelu(X, 0.25), TypeError, r"^prelu: weight must be a Tensor \(the slopes\), got float"),
    (lambda: F.prelu(X, tg.ones(3, 1)), RuntimeError, r"^prelu: Expected `weight` to be a scalar or 1D tensor, but "
                                                      r"got: ndim = 2"),
    (lambda: F.celu(X, alpha=0), RuntimeError, r"^celu: alpha cannot be 0"),
    (lambda: F.hardtanh(X, 2.0, 1.0), ValueError, r"^hardtanh: min_val cannot be greater than max_val"),
    (lambda: nn.Hardtanh(1.0, 1.0), ValueError, r"^Hardtanh: max_val \(1\.0\) must be greater than min_val \(1\.0\)"),
    (lambda: F.elu([1.0, -1.0]), TypeError, r"^elu: input must be a Tensor, got list"),
    (lambda: F.elu_(tg.tensor([1.0], requires_grad=True)), RuntimeError,
     r"^elu_: a leaf tensor that requires grad .* cannot be changed in place"),
])
def test_each_mistake_names_the_op_the_shapes_and_the_fix(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert info.value.__cause__ is None and (info.value.__suppress_context__ or info.value.__context__ is None)
