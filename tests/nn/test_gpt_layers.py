"""What a character-level GPT and makemore's MLP need, against PyTorch: Embedding, LayerNorm, BatchNorm1d,
register_buffer, scaled_dot_product_attention, masked_fill with a broadcast mask, stack of slices, no_grad as
a decorator; and a tiny GPT trained 50 AdamW steps in both frameworks from the same weights.

The functional forms are also catalog entries (tests/_catalog_layers.py: forward, finite differences,
second order, PyTorch parity); here are the modules, their running statistics and buffers, the gradient
rules that are not derivatives (padding_idx, scale_grad_by_freq), the hand formulas, and the errors.
"""
import math

import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as tt
from conftest import optional
from tinygrad_lr import nn
from tinygrad_lr.nn import functional as F

F64 = dict(rtol=1e-10, atol=1e-10)
F32 = dict(rtol=1e-5, atol=1e-5)


def _torch():
    return optional("torch")


def _np(t):
    return np.asarray(t.detach().numpy())


def _copy_params(ours, theirs, torch):
    """Give the PyTorch module our parameters and buffers (PyTorch's names are ours)."""
    state = {k: torch.tensor(_np(v)) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)


def _both_backward(ours_out, theirs_out, torch, seed=0):
    G = np.random.default_rng(seed).standard_normal(tuple(theirs_out.shape)).astype(_np(ours_out).dtype)
    (ours_out * tinygrad_lr.tensor(G)).sum().backward()
    (theirs_out * torch.tensor(G)).sum().backward()


# ---- Embedding -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, tol", [("float64", F64), ("float32", F32)])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}], ids=repr)
def test_embedding_matches_torch(kwargs, dtype, tol):
    torch = _torch()
    tinygrad_lr.manual_seed(0)
    ours = nn.Embedding(7, 3, dtype=getattr(tinygrad_lr, dtype), **kwargs)
    theirs = torch.nn.Embedding(7, 3, dtype=getattr(torch, dtype), **kwargs)
    if "padding_idx" in kwargs:  # the padding row starts at zero
        assert not _np(ours.weight[ours.padding_idx]).any() and ours.padding_idx == theirs.padding_idx
    _copy_params(ours, theirs, torch)
    idx = np.array([[1, 2, 1, 6], [0, 2, 2, 5]])  # repeated indices: their gradients add up
    out, ref = ours(tinygrad_lr.tensor(idx)), theirs(torch.tensor(idx))
    assert out.shape == tuple(ref.shape) and out.dtype == getattr(tinygrad_lr, dtype)
    np.testing.assert_allclose(_np(out), _np(ref), **tol)
    _both_backward(out, ref, torch)
    np.testing.assert_allclose(_np(ours.weight.grad), _np(theirs.weight.grad), **tol)
    assert ours.weight.grad.dtype == ours.weight.dtype
    assert repr(ours) == repr(theirs)


def test_embedding_gradient_is_a_scatter_add_of_the_rows():
    W = tinygrad_lr.randn(5, 2, dtype=tinygrad_lr.float64, requires_grad=True)
    idx = np.array([3, 0, 3, 3])
    G = np.arange(8.0).reshape(4, 2)
    (F.embedding(tinygrad_lr.tensor(idx), W) * tinygrad_lr.tensor(G)).sum().backward()
    expected = np.zeros((5, 2))
    np.add.at(expected, idx, G)
    np.testing.assert_array_equal(W.grad.numpy(), expected)
    W.grad = None
    (F.embedding(tinygrad_lr.tensor(idx), W, padding_idx=3) * tinygrad_lr.tensor(G)).sum().backward()
    expected[3] = 0
    np.testing.assert_array_equal(W.grad.numpy(), expected)


def test_embedding_max_norm_renormalises_the_rows_it_reads_as_torch():
    torch = _torch()
    W = np.random.default_rng(1).standard_normal((6, 4)) * 2
    ours, theirs = tinygrad_lr.tensor(W.copy(), requires_grad=True), torch.tensor(W.copy(), requires_grad=True)
    idx = [[0, 2], [2, 5]]
    for norm_type in (2.0, 1.0):
        out = F.embedding(tinygrad_lr.tensor(idx), ours, max_norm=1.5, norm_type=norm_type)
        ref = torch.nn.functional.embedding(torch.tensor(idx), theirs, max_norm=1.5, norm_type=norm_type)
        np.testing.assert_allclose(_np(out), _np(ref), **F64)
        np.testing.assert_allclose(_np(ours), _np(theirs), **F64)   # rows 0, 2, 5 rescaled in place
    np.testing.assert_array_equal(_np(ours)[[1, 3, 4]], W[[1, 3, 4]])
    module = nn.Embedding(6, 4, max_norm=1.0)
    module(tinygrad_lr.tensor([1, 1]))
    assert np.linalg.norm(_np(module.weight[1])) <= 1.0 + 1e-6
    assert repr(module) == "Embedding(6, 4, max_norm=1.0)"


def test_embedding_init_from_pretrained_and_repr():
    torch = _torch()
    tinygrad_lr.manual_seed(0)
    w = nn.Embedding(1000, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01        # N(0, 1), PyTorch's default
    table = tinygrad_lr.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and np.array_equal(_np(frozen(tinygrad_lr.tensor([1]))), [[3.0, 4.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0).weight.requires_grad
    for args, kwargs in [((10, 3), {}), ((10, 3), {"padding_idx": -2, "norm_type": 1.0, "max_norm": 2.0}),
                         ((10, 3), {"scale_grad_by_freq": True})]:
        assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))
    assert repr(tt.nn.Embedding(4, 2)) == "Embedding(4, 2)" and tt.nn.Embedding is nn.Embedding


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Embedding(10, 3)(tinygrad_lr.tensor([[1, 10]])), IndexError,
     r"^embedding: index 10 is out of range for num_embeddings=10 \(weight of shape \(10, 3\)\); indices must be in "
     r"0 … 9: make num_embeddings the vocabulary size \(at least 11\)"),
    (lambda: nn.Embedding(10, 3)(tinygrad_lr.tensor([-1, 2])), IndexError,
     r"^embedding: index -1 is out of range.*negative indices do not count from the end"),
    (lambda: nn.Embedding(10, 3)(tinygrad_lr.tensor([1.0, 2.0])), TypeError,
     r"^embedding: indices must be integers \(int64\), got float32 of shape \(2,\); convert them with \.long\(\)"),
    (lambda: nn.Embedding(10, 3)([1, 2]), TypeError, r"^embedding: input must be a Tensor of indices, got list"),
    (lambda: nn.Embedding(10, 3, sparse=True)(tinygrad_lr.tensor([1])), NotImplementedError,
     r"^embedding: sparse=True .* use sparse=False"),
    (lambda: nn.Embedding(10, 3, padding_idx=10), ValueError, r"padding_idx=10 must be within num_embeddings=10"),
    (lambda: nn.Embedding(10, 3, _weight=tinygrad_lr.zeros(3, 10)), ValueError,
     r"Shape of weight does not match num_embeddings and embedding_dim"),
    (lambda: nn.Embedding.from_pretrained(tinygrad_lr.zeros(3)), ValueError, r"expected to be 2-dimensional"),
], ids=["index-too-large", "negative-index", "float-indices", "list", "sparse", "padding-idx", "_weight",
        "pretrained-1d"])
def test_embedding_mistakes(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ---- LayerNorm -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, tol", [("float64", F64), ("float32", F32)])
@pytest.mark.parametrize("shape, normalized_shape, kwargs", [
    ((4, 5, 6), 6, {}), ((4, 5, 6), (5, 6), {}), ((6,), [6], {}), ((3, 6), 6, {"elementwise_affine": False}),
    ((3, 6), 6, {"bias": False}), ((2, 3, 6), 6, {"eps": 1e-2})], ids=str)
def test_layer_norm_matches_torch(shape, normalized_shape, kwargs, dtype, tol):
    torch = _torch()
    rng = np.random.default_rng(0)
    ours = nn.LayerNorm(normalized_shape, dtype=getattr(tinygrad_lr, dtype), **kwargs)
    theirs = torch.nn.LayerNorm(normalized_shape, dtype=getattr(torch, dtype), **kwargs)
    with tinygrad_lr.no_grad():  # γ, β away from 1 and 0, so that their gradients matter
        for p in ours.parameters():
            p.copy_(tinygrad_lr.tensor(rng.standard_normal(p.shape)))
    _copy_params(ours, theirs, torch)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    xa, xb = tinygrad_lr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xa), theirs(xb)
    assert out.dtype == getattr(tinygrad_lr, dtype)
    np.testing.assert_allclose(_np(out), _np(ref), **tol)
    _both_backward(out, ref, torch)
    np.testing.assert_allclose(_np(xa.grad), _np(xb.grad), **tol)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(_np(p.grad), _np(q.grad), **tol, err_msg=name)
    assert repr(ours) == repr(theirs)


def _hand_normalized_backward(x, G, w, axes):
    """The textbook formula: ∂L/∂x = 1/(nσ) · (n·ĝ − Σĝ − x̂ · Σ(ĝ · x̂)), ĝ = G·γ, sums over ``axes`` (n terms)."""
    n = np.prod([x.shape[a] for a in axes])
    mu = x.mean(axis=axes, keepdims=True)
    sigma = np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + 1e-5)
    x_hat, g_hat = (x - mu) / sigma, G * w
    return (n * g_hat - g_hat.sum(axis=axes, keepdims=True)
            - x_hat * (g_hat * x_hat).sum(axis=axes, keepdims=True)) / (n * sigma)


def _finite_differences(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


def test_layer_norm_backward_is_the_hand_formula_and_the_finite_differences():
    rng = np.random.default_rng(3)
    x, w, b, G = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal((3, 5))
    xt = tinygrad_lr.tensor(x, requires_grad=True)
    wt, bt = tinygrad_lr.tensor(w, requires_grad=True), tinygrad_lr.tensor(b, requires_grad=True)
    (F.layer_norm(xt, (5,), wt, bt) * tinygrad_lr.tensor(G)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), _hand_normalized_backward(x, G, w, (1,)), rtol=1e-12, atol=1e-12)

    def loss(x_, w_=w, b_=b):
        mu = x_.mean(1, keepdims=True)
        return float(((x_ - mu) / np.sqrt(((x_ - mu) ** 2).mean(1, keepdims=True) + 1e-5) * w_ + b_).ravel() @ G.ravel())
    np.testing.assert_allclose(xt.grad.numpy(), _finite_differences(loss, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(wt.grad.numpy(), _finite_differences(lambda w_: loss(x, w_), w), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(bt.grad.numpy(), G.sum(0), rtol=1e-12)


@pytest.mark.parametrize("make, match", [
    (lambda: nn.LayerNorm(4)(tinygrad_lr.zeros(2, 5)),
     r"^layer_norm: Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of "
     r"size\[2, 5\]; normalized_shape must be the last dims of the input"),
    (lambda: nn.LayerNorm((2, 5))(tinygrad_lr.zeros(2, 5, 2)),
     r"Given normalized_shape=\[2, 5\], expected input with shape \[\*, 2, 5\], but got input of size\[2, 5, 2\]"),
    (lambda: F.layer_norm(tinygrad_lr.zeros(2, 5), (5,), weight=tinygrad_lr.ones(4)),
     r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[4\] and "
     r"normalized_shape = \[5\]"),
])
def test_layer_norm_shape_mistakes(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---- BatchNorm1d ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, tol", [("float64", F64), ("float32", F32)])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"momentum": 0.5}, {"track_running_stats": False},
                                    {"affine": False}, {"bias": False}, {"eps": 1e-3}], ids=repr)
@pytest.mark.parametrize("shape", [(8, 3), (5, 3, 4)], ids=str)
def test_batch_norm_training_then_evaluation_matches_torch(shape, kwargs, dtype, tol):
    torch = _torch()
    rng = np.random.default_rng(0)
    ours = nn.BatchNorm1d(3, dtype=getattr(tinygrad_lr, dtype), **kwargs)
    theirs = torch.nn.BatchNorm1d(3, dtype=getattr(torch, dtype), **kwargs)
    with tinygrad_lr.no_grad():
        for p in ours.parameters():
            p.copy_(tinygrad_lr.tensor(rng.standard_normal(p.shape)))
    _copy_params(ours, theirs, torch)
    for step in range(4):   # the running statistics move with every training batch
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(dtype)
        xa, xb = tinygrad_lr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = ours(xa), theirs(xb)
        np.testing.assert_allclose(_np(out), _np(ref), **tol)
        _both_backward(out, ref, torch, seed=step)
        np.testing.assert_allclose(_np(xa.grad), _np(xb.grad), **tol)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(_np(p.grad), _np(q.grad), **tol, err_msg=name)
            p.grad, q.grad = None, None
        for (name, a), b in zip(ours.named_buffers(), theirs.buffers()):
            np.testing.assert_allclose(_np(a), _np(b), **tol, err_msg=name)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape).astype(dtype)
    xa, xb = tinygrad_lr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xa), theirs(xb)
    np.testing.assert_allclose(_np(out), _np(ref), **tol)
    _both_backward(out, ref, torch)
    np.testing.assert_allclose(_np(xa.grad), _np(xb.grad), **tol)
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked) == 4 and ours.num_batches_tracked.dtype == tinygrad_lr.int64
        one = ours(tinygrad_lr.tensor(x[:1]))   # one sample is fine in evaluation: the running statistics
        np.testing.assert_allclose(_np(one), _np(out)[:1], **tol)
    assert repr(ours) == repr(theirs)


def test_batch_norm_momentum_none_is_the_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None, dtype=tinygrad_lr.float64)
    batches = [np.random.default_rng(i).standard_normal((6, 2)) + i for i in range(3)]
    for x in batches:
        bn(tinygrad_lr.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in batches], 0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in batches], 0), rtol=1e-12)


def test_batch_norm_backward_is_the_hand_formula_and_the_finite_differences():
    rng = np.random.default_rng(4)
    x, w, G = rng.standard_normal((6, 3, 2)), rng.standard_normal(3), rng.standard_normal((6, 3, 2))
    xt, wt = tinygrad_lr.tensor(x, requires_grad=True), tinygrad_lr.tensor(w, requires_grad=True)
    (F.batch_norm(xt, None, None, wt, None, training=True) * tinygrad_lr.tensor(G)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), _hand_normalized_backward(x, G, w.reshape(3, 1), (0, 2)),
                               rtol=1e-12, atol=1e-12)

    def loss(x_, w_=w):
        mu = x_.mean((0, 2), keepdims=True)
        x_hat = (x_ - mu) / np.sqrt(((x_ - mu) ** 2).mean((0, 2), keepdims=True) + 1e-5)
        return float((x_hat * w_.reshape(3, 1)).ravel() @ G.ravel())
    np.testing.assert_allclose(xt.grad.numpy(), _finite_differences(loss, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(wt.grad.numpy(), _finite_differences(lambda w_: loss(x, w_), w), rtol=1e-6, atol=1e-7)


def test_batch_norm_buffers_are_saved_loaded_and_converted():
    bn = nn.BatchNorm1d(3)
    bn(tinygrad_lr.randn(5, 3) * 2 + 1)
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    fresh = nn.BatchNorm1d(3)
    fresh.load_state_dict(state)
    for (name, a), b in zip(fresh.named_buffers(), bn.buffers()):
        np.testing.assert_array_equal(_np(a), _np(b), err_msg=name)
    assert int(fresh.num_batches_tracked) == 1
    fresh.double()
    assert fresh.running_mean.dtype == tinygrad_lr.float64 and fresh.num_batches_tracked.dtype == tinygrad_lr.int64
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.BatchNorm1d(4)(tinygrad_lr.randn(1, 4)), ValueError,
     r"^Expected more than 1 value per channel when training, got input size torch\.Size\(\[1, 4\]\)\. .*"
     r"model\.eval\(\)"),
    (lambda: nn.BatchNorm1d(4)(tinygrad_lr.randn(1, 4, 1)), ValueError, r"Expected more than 1 value per channel"),
    (lambda: nn.BatchNorm1d(4)(tinygrad_lr.randn(8, 5)), ValueError,
     r"^batch_norm: running_mean should contain 5 elements not 4: the input of shape \(8, 5\) has 5 channels in "
     r"dim 1, so num_features must be 5"),
    (lambda: nn.BatchNorm1d(4)(tinygrad_lr.randn(8, 6, 4)), ValueError,
     r"has 6 channels in dim 1, but 4 in its last dim\. It looks like \(N, L, C\): transpose it to \(N, C, L\) "
     r"with x\.transpose\(1, 2\)"),
    (lambda: nn.BatchNorm1d(4, track_running_stats=False)(tinygrad_lr.randn(8, 5)), ValueError,
     r"^batch_norm: weight should contain 5 elements not 4"),
    (lambda: nn.BatchNorm1d(4)(tinygrad_lr.randn(2, 4, 3, 3)), ValueError,
     r"^expected 2D or 3D input \(got 4D input\)"),
    (lambda: F.batch_norm(tinygrad_lr.randn(3, 4), None, None), ValueError,
     r"running_mean must be defined in evaluation mode"),
])
def test_batch_norm_mistakes(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ---- register_buffer -----------------------------------------------------------------------------
class _Head(nn.Module):
    def __init__(self, block_size=4):
        super().__init__()
        self.key = nn.Linear(3, 2, bias=False)
        self.register_buffer("tril", tinygrad_lr.tril(tinygrad_lr.ones(block_size, block_size)))
        self.register_buffer("scratch", tinygrad_lr.zeros(2), persistent=False)


def test_register_buffer_state_dict_buffers_load_and_to():
    head = _Head()
    assert list(head.state_dict()) == ["tril", "key.weight"]        # persistent buffers only, PyTorch's order
    assert [n for n, _ in head.named_buffers()] == ["tril", "scratch"] and len(list(head.buffers())) == 2
    assert [n for n, _ in head.named_parameters()] == ["key.weight"]
    tril = head.tril
    head.double()
    assert head.tril is tril and tril.dtype == tinygrad_lr.float64 and head.scratch.dtype == tinygrad_lr.float64
    head.float()
    assert tril.dtype == tinygrad_lr.float32
    head.to(tinygrad_lr.float64)
    assert tril.dtype == tinygrad_lr.float64
    head.tril = tinygrad_lr.ones(4, 4)          # assigning to a buffer's name replaces the buffer
    assert "tril" in head._buffers and np.array_equal(_np(head.state_dict()["tril"]), np.ones((4, 4)))
    other = _Head()
    other.load_state_dict(head.state_dict())
    np.testing.assert_array_equal(_np(other.tril), np.ones((4, 4)))
    np.testing.assert_array_equal(_np(other.key.weight), _np(head.key.weight).astype(np.float32))
    head.tril = None
    assert "tril" not in head.state_dict()


def test_register_buffer_bad_names_are_refused_as_in_torch():
    head = _Head()
    with pytest.raises(KeyError, match=r"can't be empty or contain '\.'"):
        head.register_buffer("a.b", tinygrad_lr.zeros(1))
    with pytest.raises(KeyError, match=r"can't be empty"):
        head.register_buffer("", tinygrad_lr.zeros(1))
    for taken in ("forward", "key"):            # a method, a child module
        with pytest.raises(KeyError, match=f"attribute '{taken}' already exists"):
            head.register_buffer(taken, tinygrad_lr.zeros(1))
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        head.key.register_buffer("weight", tinygrad_lr.zeros(1))   # a parameter's name, as PyTorch
    with pytest.raises(TypeError, match=r"buffer name should be a string"):
        head.register_buffer(1, tinygrad_lr.zeros(1))
    with pytest.raises(TypeError, match=r"cannot assign list as buffer 'tril'"):
        head.tril = [1, 2]
    head.register_buffer("tril", tinygrad_lr.zeros(2))                 # re-registering a buffer is fine


# ---- scaled_dot_product_attention, masked_fill, stack, no_grad -----------------------------------------
@pytest.mark.parametrize("dtype, tol", [("float64", F64), ("float32", F32)])
@pytest.mark.parametrize("mask", ["none", "causal", "bool", "float"])
def test_scaled_dot_product_attention_matches_torch(mask, dtype, tol):
    torch = _torch()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3, 5, 4)).astype(dtype) for _ in range(3)]
    ours = [tinygrad_lr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    keep = rng.random((5, 5)) > 0.4
    extra = {"none": ({}, {}), "causal": ({"is_causal": True}, {"is_causal": True}),
             "bool": ({"attn_mask": tinygrad_lr.tensor(keep)}, {"attn_mask": torch.tensor(keep)}),
             "float": ({"attn_mask": tinygrad_lr.tensor(keep * -2.0, dtype=getattr(tinygrad_lr, dtype))},
                       {"attn_mask": torch.tensor(keep * -2.0, dtype=getattr(torch, dtype))})}[mask]
    out = F.scaled_dot_product_attention(*ours, **extra[0])
    ref = torch.nn.functional.scaled_dot_product_attention(*theirs, **extra[1])
    assert out.dtype == getattr(tinygrad_lr, dtype)
    np.testing.assert_allclose(_np(out), _np(ref), **tol)
    _both_backward(out, ref, torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), **tol)


def test_scaled_dot_product_attention_is_the_composition_and_its_dropout():
    q, k, v = (tinygrad_lr.randn(2, 4, 3, dtype=tinygrad_lr.float64) for _ in range(3))
    T = 4
    wei = (q @ k.transpose(-2, -1) * 3 ** -0.5).masked_fill(tinygrad_lr.tril(tinygrad_lr.ones(T, T)) == 0, float("-inf"))
    np.testing.assert_allclose(_np(F.scaled_dot_product_attention(q, k, v, is_causal=True)),
                               _np(F.softmax(wei, dim=-1) @ v), rtol=1e-14)
    assert not _np(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)).any()
    tinygrad_lr.manual_seed(3)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(_np(dropped), _np(F.scaled_dot_product_attention(q, k, v)))
    with pytest.raises(ValueError, match=r"Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=tinygrad_lr.ones(4, 4) > 0, is_causal=True)
    with pytest.raises(ValueError, match=r"expected query \(…, L, E\), key \(…, S, E\) and value \(…, S, Ev\)"):
        F.scaled_dot_product_attention(q, k[..., :2], v)


@pytest.mark.parametrize("value", [float("-inf"), -1e9, "0-d tensor"], ids=str)
def test_masked_fill_with_a_broadcast_causal_mask_matches_torch(value):
    torch = _torch()
    x = np.random.default_rng(0).standard_normal((2, 5, 5))
    tril_ours, tril_theirs = tinygrad_lr.tril(tinygrad_lr.ones(8, 8)), torch.tril(torch.ones(8, 8))
    va, vb = (tinygrad_lr.tensor(-3.0), torch.tensor(-3.0)) if value == "0-d tensor" else (value, value)
    a, b = tinygrad_lr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = a.masked_fill(tril_ours[:5, :5] == 0, va).softmax(-1)
    ref = b.masked_fill(tril_theirs[:5, :5] == 0, vb).softmax(-1)
    np.testing.assert_allclose(_np(out), _np(ref), **F64)
    _both_backward(out, ref, torch)
    np.testing.assert_allclose(_np(a.grad), _np(b.grad), **F64)
    assert not _np(a.grad)[:, np.triu_indices(5, 1)[0], np.triu_indices(5, 1)[1]].any()  # zero where filled


def test_stack_of_slices_as_gpt_batching_does():
    torch = _torch()
    data = np.random.default_rng(0).integers(0, 65, 1000)
    ix = np.random.default_rng(1).integers(0, 1000 - 8, 32)
    ours, theirs = tt.tensor(data, dtype=tt.long), torch.tensor(data, dtype=torch.long)
    x = tt.stack([ours[i:i + 8] for i in tt.tensor(ix)])
    y = torch.stack([theirs[i:i + 8] for i in torch.tensor(ix)])
    assert x.shape == (32, 8) and x.dtype == tinygrad_lr.int64
    np.testing.assert_array_equal(_np(x), y.numpy())


def test_no_grad_decorates_methods_and_functions():
    w = tinygrad_lr.ones(2, requires_grad=True)

    class Model:
        @tt.no_grad()
        def estimate_loss(self):
            return (w * 2).sum()

    @tt.no_grad()
    def evaluate(scale):
        return w * scale

    out, again = Model().estimate_loss(), evaluate(3)
    assert not out.requires_grad and out.grad_fn is None and not again.requires_grad
    assert Model.estimate_loss.__name__ == "estimate_loss" and tinygrad_lr.is_grad_enabled()
    assert (w * 2).requires_grad


# ---- a tiny GPT, trained in both frameworks ------------------------------------------------------
def _gpt(torch, vocab_size=10, n_embd=16, n_head=2, n_layer=2, block_size=8, dropout=0.0):
    """The lecture's GPT, written once; ``torch`` is PyTorch or ``tinygrad_lr.torch``."""
    nn, F = torch.nn, torch.nn.functional

    class Head(nn.Module):
        def __init__(self, head_size):
            super().__init__()
            self.key = nn.Linear(n_embd, head_size, bias=False)
            self.query = nn.Linear(n_embd, head_size, bias=False)
            self.value = nn.Linear(n_embd, head_size, bias=False)
            self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            B, T, C = x.shape
            k, q = self.key(x), self.query(x)
            wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
            wei = self.dropout(F.softmax(wei, dim=-1))
            return wei @ self.value(x)

    class MultiHeadAttention(nn.Module):
        def __init__(self, num_heads, head_size):
            super().__init__()
            self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
            self.proj = nn.Linear(head_size * num_heads, n_embd)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            return self.dropout(self.proj(torch.cat([h(x) for h in self.heads], dim=-1)))

    class FeedForward(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(), nn.Linear(4 * n_embd, n_embd),
                                     nn.Dropout(dropout))

        def forward(self, x):
            return self.net(x)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.sa, self.ffwd = MultiHeadAttention(n_head, n_embd // n_head), FeedForward()
            self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

        def forward(self, x):
            x = x + self.sa(self.ln1(x))
            return x + self.ffwd(self.ln2(x))

    class GPTLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
            self.position_embedding_table = nn.Embedding(block_size, n_embd)
            self.blocks = nn.Sequential(*[Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.lm_head = nn.Linear(n_embd, vocab_size)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            x = self.token_embedding_table(idx) + self.position_embedding_table(torch.arange(T))
            logits = self.lm_head(self.ln_f(self.blocks(x)))
            if targets is None:
                return logits, None
            B, T, C = logits.shape
            return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

        def generate(self, idx, max_new_tokens):
            for _ in range(max_new_tokens):
                logits, _ = self(idx[:, -block_size:])
                probs = F.softmax(logits[:, -1, :], dim=-1)
                idx = torch.cat((idx, probs.argmax(dim=-1, keepdim=True)), dim=1)   # greedy: comparable
            return idx

    @torch.no_grad()
    def estimate_loss(model, batches):
        model.eval()
        losses = torch.zeros(len(batches))
        for k, (X, Y) in enumerate(batches):
            losses[k] = model(X, Y)[1].item()
        model.train()
        return losses.mean()

    return GPTLanguageModel(), estimate_loss


def test_a_tiny_gpt_trains_to_the_same_losses_as_torch():
    torch = _torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny matrices: PyTorch's thread pool only spins (20x slower on 2 busy cores)
    try:
        _train_a_tiny_gpt_in_both(torch)
    finally:
        torch.set_num_threads(threads)


def _train_a_tiny_gpt_in_both(torch):
    ours, estimate_ours = _gpt(tt)
    theirs, estimate_theirs = _gpt(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())          # the tril buffers included
    _copy_params(ours, theirs, torch)
    opt_ours = tt.optim.AdamW(ours.parameters(), lr=1e-3)
    opt_theirs = torch.optim.AdamW(theirs.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    data = rng.integers(0, 10, 400)
    losses = []
    for step in range(50):
        ix = rng.integers(0, len(data) - 8, 4)
        x = np.stack([data[i:i + 8] for i in ix])
        y = np.stack([data[i + 1:i + 9] for i in ix])
        pair = []
        for lib, model, opt in ((tt, ours, opt_ours), (torch, theirs, opt_theirs)):
            _, loss = model(lib.tensor(x), lib.tensor(y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            pair.append(loss.item())
        losses.append(pair)
    losses = np.array(losses)
    np.testing.assert_allclose(losses[:, 0], losses[:, 1], rtol=1e-4, atol=1e-5)
    assert losses[-5:, 0].mean() < losses[:5, 0].mean()                   # it learned something
    batches = [(x[:2], y[:2]), (x[2:], y[2:])]
    ours_eval = estimate_ours(ours, [(tt.tensor(a), tt.tensor(b)) for a, b in batches])
    theirs_eval = estimate_theirs(theirs, [(torch.tensor(a), torch.tensor(b)) for a, b in batches])
    assert math.isclose(float(ours_eval), float(theirs_eval), rel_tol=1e-4) and ours.training
    context = np.zeros((1, 1), dtype=np.int64)
    generated = ours.generate(tt.tensor(context), max_new_tokens=12)
    assert generated.shape == (1, 13) and generated.dtype == tinygrad_lr.int64
    np.testing.assert_array_equal(_np(generated), theirs.generate(torch.tensor(context), max_new_tokens=12).numpy())
