"""vmap through a convolutional network: PyTorch's "Per-sample-gradients" tutorial, and the batch rules of the
convolution, pooling and padding Functions that it and its relatives use.

The tutorial's computation (a SimpleCNN: conv, ReLU, conv, ReLU, max_pool2d, flatten, linear, ReLU, linear,
log_softmax, nll_loss), written with PyTorch's names through ``tinygrad_lr.torch``, smaller (14 × 14 images,
fewer channels): ``vmap(grad(compute_loss), in_dims=(None, None, 0, 0))`` with ``functional_call`` must give
torch.func's per-sample gradients on the same float64 weights (to 1e-10), the loop of ``autograd.grad`` one sample
at a time gives the same, and no op runs vmap's loop fallback (no "no batching rule" warning).

The Functions that a network's forward pass never calls under vmap with dispatch on (the convolution's two
gradients, ConvTranspose2d and Conv2dWeightGrad: grad's backward pass runs on the physical arrays) are checked
directly against a loop, with a weight shared by the samples and a weight per sample, and in a vmap of a vmap.
"""
import re
import warnings

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.torch as ttorch
from conftest import optional
from tinygrad_lr.func import grad, vmap
from tinygrad_lr.nn.functional_conv import Conv2d, Conv2dWeightGrad, ConvTranspose2d, _Geometry

BATCH, IMAGE = 5, 14


def simple_cnn(torch):
    """The tutorial's SimpleCNN (sizes reduced), written once for both libraries."""
    nn, F = torch.nn, torch.nn.functional

    class SimpleCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.fc1 = nn.Linear(8 * 5 * 5, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    return SimpleCNN().double()


def per_sample_grads(torch, func, model, data, targets):
    """The tutorial's second half: the loss of one sample as a function of the parameters, vmap(grad(...))."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        predictions = func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return torch.nn.functional.nll_loss(predictions, target.unsqueeze(0))

    return func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)


def test_the_per_sample_gradients_tutorial_matches_torch_func_without_a_loop():
    torch = optional("torch")
    rng = np.random.default_rng(0)
    data = rng.standard_normal((BATCH, 1, IMAGE, IMAGE))
    targets = rng.integers(0, 10, BATCH)
    tg.manual_seed(0)
    ours = simple_cnn(ttorch)
    theirs = simple_cnn(torch)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = per_sample_grads(ttorch, ttorch.func, ours, ttorch.tensor(data), ttorch.tensor(targets))
    looped = [str(w.message) for w in caught if re.search("no batching rule", str(w.message))]
    assert not looped, f"an op ran vmap's loop fallback: {looped}"
    want = per_sample_grads(torch, torch.func, theirs, torch.tensor(data), torch.tensor(targets))
    assert list(got) == list(want)
    for name in want:
        assert tuple(got[name].shape) == tuple(want[name].shape) == (BATCH,) + tuple(want[name].shape[1:])
        np.testing.assert_allclose(got[name].numpy(), want[name].numpy(), rtol=1e-10, atol=1e-12, err_msg=name)

    # the tutorial's first half: one sample at a time, autograd.grad, stacked: the same numbers
    loss_fn = ttorch.nn.functional.nll_loss
    X, y = ttorch.tensor(data), ttorch.tensor(targets)
    rows = [ttorch.autograd.grad(loss_fn(ours(X[i].unsqueeze(0)), y[i].unsqueeze(0)), list(ours.parameters()))
            for i in range(BATCH)]
    for (name, _), grads in zip(ours.named_parameters(), zip(*rows)):
        np.testing.assert_allclose(ttorch.stack(grads).numpy(), got[name].numpy(), rtol=1e-10, atol=1e-12)


# ---- the convolution's gradients under vmap, called directly ------------------------------------------------
GEOM = _Geometry((3, 2), (2, 1), (1, 2), ((1, 1), (0, 1)), (6, 7), groups=2)   # strided, dilated, padded, grouped
RNG = np.random.default_rng(1)
X = RNG.standard_normal((BATCH, 2, 4, 6, 7))      # per sample: N = 2 images, C = 4 channels
W = RNG.standard_normal((BATCH, 6, 2, 3, 2))      # O = 6 kernels of C/G = 2 channels
G = RNG.standard_normal((BATCH, 2, 6) + GEOM.out_size)


def _loop(fn, *arrays):
    """fn on each sample (an array of None: shared, its sample 0), stacked."""
    return np.stack([fn(*[tg.tensor(a[0] if shared else a[b]) for a, shared in arrays]).numpy()
                     for b in range(BATCH)])


@pytest.mark.parametrize("op, arrays", [
    (lambda x, w: Conv2d.apply(x, w, None, geom=GEOM), (X, W)),
    (lambda g, w: ConvTranspose2d.apply(g, w, geom=GEOM), (G, W)),
    (lambda x, g: Conv2dWeightGrad.apply(x, g, geom=GEOM), (X, G)),
], ids=["Conv2d", "ConvTranspose2d", "Conv2dWeightGrad"])
@pytest.mark.parametrize("shared", [(), (1,), (0,)], ids=["all per sample", "second shared", "first shared"])
def test_the_convolutions_under_vmap_equal_the_loop(op, arrays, shared):
    dims = tuple(None if i in shared else 0 for i in range(2))
    inputs = [tg.tensor(a[0] if i in shared else a) for i, a in enumerate(arrays)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a loop fallback warns: an error here)
        out = vmap(op, in_dims=dims)(*inputs)
    expected = _loop(op, *[(a, i in shared) for i, a in enumerate(arrays)])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_conv_under_vmap_of_vmap_with_a_weight_per_outer_sample():
    """Two levels: the images vary along both, the weight along the outer one only."""
    x = RNG.standard_normal((3, BATCH, 2, 4, 6, 7))
    conv = vmap(vmap(lambda x, w: Conv2d.apply(x, w, None, geom=GEOM), in_dims=(0, None)), in_dims=(0, 0))
    out = conv(tg.tensor(x), tg.tensor(W[:3]))
    for i in range(3):
        for j in range(BATCH):
            one = Conv2d.apply(tg.tensor(x[i, j]), tg.tensor(W[i]), None, geom=GEOM).numpy()
            np.testing.assert_allclose(out.numpy()[i, j], one, rtol=1e-12, atol=1e-12)


def test_per_sample_gradient_of_a_conv_weight_is_each_samples_own():
    """vmap(grad) of a conv's weight: sample b's gradient is Σ over its own images only (the grouped convolution's
    weight gradient), checked against grad sample by sample, with a bias and padding as the tutorial's layers."""
    x, w, b = tg.tensor(X[:, :, :2]), tg.tensor(W[0, :4]), tg.tensor(RNG.standard_normal(4))

    def loss(w, b, x):
        return (tg.nn.functional.conv2d(x, w, b, padding=1) ** 2).sum()

    gw, gb = vmap(grad(loss, argnums=(0, 1)), in_dims=(None, None, 0))(w, b, x)
    for i in range(BATCH):
        ew, eb = grad(loss, argnums=(0, 1))(w, b, x[i])
        np.testing.assert_allclose(gw.numpy()[i], ew.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gb.numpy()[i], eb.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_indices_and_pad_under_vmap_are_each_samples():
    F = tg.nn.functional
    x = tg.tensor(RNG.standard_normal((BATCH, 3, 5, 6)))

    def f(x):
        out, index = F.max_pool2d(F.pad(x, (1, 0, 2, 1)), 3, stride=2, return_indices=True)
        return out, index

    out, index = vmap(f)(x)
    for i in range(BATCH):
        e_out, e_index = f(x[i])
        np.testing.assert_array_equal(out.numpy()[i], e_out.numpy())
        np.testing.assert_array_equal(index.numpy()[i], e_index.numpy())


# ---- the fused batch norm (nn/functional_layers.py), which the ResNet-style networks above it use -------------
def test_batch_norm_without_affine_keeps_its_saved_x_hat_apart_from_its_output():
    """A write into the output (out[0] = 5) must not reach the x̂ that backward reuses: with γ and β absent the
    output is x̂'s value, not x̂'s array.  ∂/∂x Σ x·out is checked against PyTorch's."""
    torch = optional("torch")
    x = np.random.default_rng(2).standard_normal((4, 3, 5))
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for lib, leaf in ((tg, ours), (torch, theirs)):
        out = lib.nn.functional.batch_norm(leaf, None, None, training=True)
        out[0] = 5.0
        (out * lib.tensor(x)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
