"""nn.utils.clip_grad_norm_ and clip_grad_value_: against the formula, and against PyTorch."""
import math

import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as facade
from conftest import optional

A = np.array([[3.0, -4.0], [1.0, 2.0]])
B = np.array([0.5, -7.0])


def grads_after_clipping(lib, clip, *args, **kwargs):
    a = lib.tensor(A, requires_grad=True)
    b = lib.tensor(B, requires_grad=True)
    unused = lib.tensor(B, requires_grad=True)   # no gradient: skipped, as in PyTorch
    ((a * a).sum() + (b ** 3).sum()).backward()
    total = clip([a, b, unused], *args, **kwargs)
    return total, a.grad.numpy().copy(), b.grad.numpy().copy()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_is_the_formula(norm_type, max_norm):
    ga, gb = 2 * A, 3 * B ** 2
    entries = np.concatenate([ga.ravel(), gb])
    total = np.abs(entries).max() if math.isinf(norm_type) else (np.abs(entries) ** norm_type).sum() ** (1 / norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    got, a, b = grads_after_clipping(tinygrad_lr, tinygrad_lr.nn.utils.clip_grad_norm_, max_norm, norm_type)
    np.testing.assert_allclose(got.item(), total, rtol=1e-12)
    np.testing.assert_allclose(a, ga * coef, rtol=1e-12)
    np.testing.assert_allclose(b, gb * coef, rtol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_and_value_equal_pytorch(norm_type):
    torch = optional("torch")
    for name, args in [("clip_grad_norm_", (0.5, norm_type)), ("clip_grad_value_", (1.5,))]:
        ours = grads_after_clipping(facade, getattr(facade.nn.utils, name), *args)
        theirs = grads_after_clipping(torch, getattr(torch.nn.utils, name), *args)
        for x, y in zip(ours[1:], theirs[1:]):
            np.testing.assert_allclose(x, y, rtol=1e-12)
        if name == "clip_grad_norm_":
            np.testing.assert_allclose(float(ours[0]), float(theirs[0]), rtol=1e-12)


def test_a_nonfinite_norm_is_an_error_only_when_asked():
    p = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    p.grad = tinygrad_lr.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the total norm of order 2.0 of the gradients is nan"):
        tinygrad_lr.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(tinygrad_lr.nn.utils.clip_grad_norm_(p, 1.0).item())


def test_from_torch_nn_utils_import_works():
    from tinygrad_lr.torch.nn.utils import clip_grad_norm_, clip_grad_value_
    assert clip_grad_norm_ is tinygrad_lr.nn.utils.clip_grad_norm_ and clip_grad_value_ is not None
    assert float(clip_grad_norm_([], 1.0)) == 0.0
