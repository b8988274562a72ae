"""nn.init: the gains are PyTorch's table, and each initialiser draws from the distribution it promises.

The statistical checks use 10⁶ draws: the sample standard deviation of n normal draws has a
relative standard error of about 1/√(2n) = 0.07 %, so a 1 % tolerance is 14 standard errors
(cannot flake); the bound of a uniform is checked exactly (never exceeded) and from below
(the largest of 10⁶ draws is within 10⁻⁴ of it but for a probability of e⁻¹⁰⁰).
"""
import math

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn
from tinygrad_lr.nn import init

NONLINEARITIES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
                  ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
                  ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 3),
                  ("leaky_relu", math.sqrt(5)), ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", NONLINEARITIES)
def test_calculate_gain_is_pytorchs(nonlinearity, param):
    torch = optional("torch")
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors_are_pytorchs():
    with pytest.raises(ValueError, match=r"^Unsupported nonlinearity softplus"):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match=r"^negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


SHAPE = (1000, 1000)   # fan_in = fan_out = 1000, 10⁶ draws
CONV = (200, 50, 10, 10)  # fan_in = 5000, fan_out = 20000, 10⁶ draws


def _fans(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _check_uniform(w, bound):
    a = np.abs(w.numpy())
    assert a.max() <= np.float32(bound) and a.max() > bound * (1 - 1e-4)
    assert abs(a.mean() / (bound / 2) - 1) < 0.01   # |U(−b, b)| has mean b/2


def _check_normal(w, std):
    v = w.numpy().astype(np.float64)
    assert abs(v.mean()) < 6 * std / math.sqrt(v.size)
    assert abs(v.std() / std - 1) < 0.01


@pytest.mark.parametrize("shape", [SHAPE, CONV])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("leaky_relu", 0), ("relu", 0), ("leaky_relu", math.sqrt(5)), ("tanh", 0)])
def test_kaiming_bound_and_std(shape, mode, nonlinearity, a):
    fan = _fans(shape)[0 if mode == "fan_in" else 1]
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    tg.manual_seed(0)
    kwargs = dict(a=a, mode=mode, nonlinearity=nonlinearity)
    _check_uniform(init.kaiming_uniform_(tg.empty(*shape), **kwargs), math.sqrt(3) * std)
    _check_normal(init.kaiming_normal_(tg.empty(*shape), **kwargs), std)


@pytest.mark.parametrize("shape", [SHAPE, CONV])
@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("relu")])
def test_xavier_bound_and_std(shape, gain):
    fan_in, fan_out = _fans(shape)
    tg.manual_seed(1)
    _check_uniform(init.xavier_uniform_(tg.empty(*shape), gain=gain), gain * math.sqrt(6 / (fan_in + fan_out)))
    _check_normal(init.xavier_normal_(tg.empty(*shape), gain=gain), gain * math.sqrt(2 / (fan_in + fan_out)))


def test_the_bounds_are_pytorchs_formulas():
    """The same bound as PyTorch's: the largest |w| of many draws from each, relative to each other."""
    torch = optional("torch")
    for name, kwargs in [("kaiming_uniform_", dict(a=math.sqrt(5))),
                         ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")),
                         ("xavier_uniform_", dict(gain=2.0))]:
        a = getattr(init, name)(tg.empty(300, 200), **kwargs).numpy()
        b = getattr(torch.nn.init, name)(torch.empty(300, 200), **kwargs).numpy()
        assert abs(np.abs(a).max() / np.abs(b).max() - 1) < 1e-3


def test_linear_default_is_kaiming_uniform_with_a_sqrt5_drawn_the_same_way():
    tg.manual_seed(5)
    layer = nn.Linear(30, 4)
    tg.manual_seed(5)
    w = init.kaiming_uniform_(tg.empty(4, 30), a=math.sqrt(5))
    np.testing.assert_allclose(layer.weight.detach().numpy(), w.numpy(), rtol=1e-6)
    bound = math.sqrt(3) * init.calculate_gain("leaky_relu", math.sqrt(5)) / math.sqrt(30)
    assert math.isclose(bound, 1 / math.sqrt(30))


def test_init_runs_under_no_grad_returns_the_tensor_and_is_seeded():
    w = nn.Parameter(tg.empty(3, 4))
    assert init.kaiming_normal_(w) is w and w.is_leaf and w.grad_fn is None
    tg.manual_seed(9)
    a = init.xavier_normal_(tg.empty(5, 5)).numpy().copy()
    tg.manual_seed(9)
    assert (init.xavier_normal_(tg.empty(5, 5)).numpy() == a).all()
    g = tg.Generator().manual_seed(2)
    b = init.kaiming_uniform_(tg.empty(5, 5), generator=g).numpy().copy()
    assert (init.kaiming_uniform_(tg.empty(5, 5), generator=tg.Generator().manual_seed(2)).numpy() == b).all()
    assert init.kaiming_uniform_(tg.empty(5, 5, dtype=tg.float64)).dtype == tg.float64


def test_ones_eye_and_zero_element_tensors():
    assert (init.ones_(tg.empty(2, 3)) == 1).all()
    assert init.eye_(tg.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_uniform_(tg.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("call, match", [
    (lambda: init.kaiming_uniform_(tg.empty(3)), r"^kaiming_uniform_: fan in and fan out cannot be computed for a "
                                                 r"tensor with fewer than 2 dimensions \(shape \(3,\)\)"),
    (lambda: init.xavier_normal_(tg.empty(3)), r"^xavier_normal_: fan in and fan out cannot be computed"),
    (lambda: init.kaiming_normal_(tg.empty(3, 3), mode="fan_avg"), r"^Mode fan_avg not supported, please use one of "
                                                                  r"\['fan_in', 'fan_out'\]"),
    (lambda: init.kaiming_normal_(tg.empty(3, 3), nonlinearity="swish"), r"^Unsupported nonlinearity swish"),
    (lambda: init.eye_(tg.empty(3)), r"^eye_: Only tensors with 2 dimensions are supported"),
])
def test_init_mistakes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- in place, without recording, seeded ------------------------------------------------
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
