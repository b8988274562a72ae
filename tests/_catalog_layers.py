"""Catalog entries for the layers of a small GPT: embedding, layer_norm, batch_norm (training) and
scaled_dot_product_attention, through ``nn.functional`` (the same line runs as ``torch.nn.functional``).

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences (first and second order) and PyTorch parity all come from the one entry.

The normalisations see x + small distinct offsets (``_apart``), so that no row or channel is constant:
there σ → √ε and the curvature is too steep for finite differences.  Embedding indices are fixed
(repeated, so the scatter-add sums); the padding_idx entry masks the padded positions out of the output,
so that the reference, which cannot stop a gradient, has the same zero gradient for that row.  The
gradient rules that are not derivatives of the forward (padding_idx itself, scale_grad_by_freq) are
checked against PyTorch in tests/nn/test_gpt_layers.py.
"""
import math

import numpy as np

# _catalog.py imports this file at its end, once Op and the value and shape strategies exist:
from _catalog import Op, fixed

IDX = [[1, 3, 1], [0, 3, 2]]                                # row 3 and row 1 are read twice
IDX3 = [[[0, 2], [2, 2]], [[3, 1], [0, 0]]]                 # 3-d indices
PAD = 3
EPS = 1e-5


def _F(lib):
    return lib.nn.functional


def _spread(shape):
    """Distinct offsets in [−1.5, 1.5]: x + _spread(x.shape) has no constant row or channel."""
    n = int(np.prod(shape))
    return (np.random.default_rng(7).permutation(n) / max(n - 1, 1) * 3 - 1.5).reshape(shape)


def _apart(lib, x):
    return x + lib.tensor(_spread(tuple(x.shape))).to(x.dtype)


def _np_normalize(x, axes, w=None, b=None):
    mu = x.mean(axis=axes, keepdims=True)
    out = (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + EPS)
    return out * (1 if w is None else w) + (0 if b is None else b)


def _np_layer_norm(x, k, w=None, b=None):
    x = x + _spread(x.shape)
    return _np_normalize(x, tuple(range(x.ndim - k, x.ndim)), w, b)


def _np_batch_norm(x, w=None, b=None):
    x = x + _spread(x.shape)
    shape = (x.shape[1],) + (1,) * (x.ndim - 2)
    return _np_normalize(x, (0,) + tuple(range(2, x.ndim)), None if w is None else w.reshape(shape),
                         None if b is None else b.reshape(shape))


def _np_attention(q, k, v, keep=None, add=None, scale=None):
    s = q @ k.swapaxes(-1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    if add is not None:
        s = s + add
    dead = np.all(s == -np.inf, axis=-1, keepdims=True)
    s = np.where(dead, 0, s)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return np.where(dead, 0, e / e.sum(axis=-1, keepdims=True)) @ v


def _np_gqa(t, heads):
    return np.repeat(t, heads // t.shape[-3], axis=-3)


def _math_kernel(fn):
    """PyTorch runs ``fn`` with its math attention kernel: its CPU flash kernel has no second derivative."""
    def torch_fn(torch, *xs):
        from torch.nn.attention import SDPBackend, sdpa_kernel
        with sdpa_kernel(SDPBackend.MATH):
            return fn(torch, *xs)
    return torch_fn


def _attention(name, fn, ref, shapes):
    return Op(name, fn, ref, shapes, torch_fn=_math_kernel(fn))


KEEP = [[True, False, True, True], [False, False, False, False], [True, True, True, False]]  # row 1: no key at all

EMBEDDING = [
    Op("embedding (repeated indices)", lambda lib, W: _F(lib).embedding(lib.tensor(IDX), W),
       lambda W: W[np.array(IDX)], fixed(((4, 3),), ((5, 1),))),
    Op("embedding of 3-d indices", lambda lib, W: _F(lib).embedding(lib.tensor(IDX3), W),
       lambda W: W[np.array(IDX3)], fixed(((4, 2),))),
    Op("embedding padding_idx (padded positions masked out)",
       lambda lib, W: _F(lib).embedding(lib.tensor(IDX), W, padding_idx=PAD) * lib.tensor(
           (np.array(IDX) != PAD)[..., None] * 1.0).to(W.dtype),
       lambda W: W[np.array(IDX)] * (np.array(IDX) != PAD)[..., None], fixed(((4, 3),))),
]

NORMALIZATION = [
    Op("layer_norm over the last dim", lambda lib, x, w, b: _F(lib).layer_norm(_apart(lib, x), (x.shape[-1],), w, b),
       lambda x, w, b: _np_layer_norm(x, 1, w, b), fixed(((2, 3, 4), (4,), (4,)), ((5, 3), (3,), (3,)))),
    Op("layer_norm over the last 2 dims", lambda lib, x, w, b: _F(lib).layer_norm(_apart(lib, x), x.shape[-2:], w, b),
       lambda x, w, b: _np_layer_norm(x, 2, w, b), fixed(((2, 3, 4), (3, 4), (3, 4)))),
    Op("layer_norm without weight and bias", lambda lib, x: _F(lib).layer_norm(_apart(lib, x), [x.shape[-1]]),
       lambda x: _np_layer_norm(x, 1), fixed(((3, 4),), ((4,),))),
    Op("batch_norm training (N, C)",
       lambda lib, x, w, b: _F(lib).batch_norm(_apart(lib, x), None, None, w, b, training=True),
       _np_batch_norm, fixed(((5, 3), (3,), (3,)), ((2, 1), (1,), (1,)))),
    Op("batch_norm training (N, C, L)",
       lambda lib, x, w, b: _F(lib).batch_norm(_apart(lib, x), None, None, w, b, training=True),
       _np_batch_norm, fixed(((4, 3, 2), (3,), (3,)), ((1, 2, 3), (2,), (2,)))),
    Op("batch_norm training without weight and bias",
       lambda lib, x: _F(lib).batch_norm(_apart(lib, x), None, None, training=True),
       _np_batch_norm, fixed(((6, 2),), ((2, 3, 2),))),
]

ATTENTION = [
    _attention("scaled_dot_product_attention", lambda lib, q, k, v: _F(lib).scaled_dot_product_attention(q, k, v),
               _np_attention, fixed(((2, 3, 4), (2, 5, 4), (2, 5, 2)), ((2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4)))),
    _attention("scaled_dot_product_attention is_causal",
               lambda lib, q, k, v: _F(lib).scaled_dot_product_attention(q, k, v, is_causal=True),
               lambda q, k, v: _np_attention(q, k, v, keep=np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))),
               fixed(((2, 4, 3), (2, 4, 3), (2, 4, 3)), ((1, 2, 3, 2), (1, 2, 4, 2), (1, 2, 4, 3)))),
    _attention("scaled_dot_product_attention bool mask (a row with no key)",
               lambda lib, q, k, v: _F(lib).scaled_dot_product_attention(q, k, v, attn_mask=lib.tensor(KEEP)),
               lambda q, k, v: _np_attention(q, k, v, keep=np.array(KEEP)), fixed(((2, 3, 2), (2, 4, 2), (2, 4, 3)))),
    _attention("scaled_dot_product_attention float mask (differentiated)",
               lambda lib, q, k, v, m: _F(lib).scaled_dot_product_attention(q, k, v, attn_mask=m),
               lambda q, k, v, m: _np_attention(q, k, v, add=m), fixed(((2, 3, 2), (2, 4, 2), (2, 4, 3), (3, 4)))),
    _attention("scaled_dot_product_attention scale and enable_gqa",
               lambda lib, q, k, v: _F(lib).scaled_dot_product_attention(q, k, v, scale=0.3, enable_gqa=True),
               lambda q, k, v: _np_attention(q, _np_gqa(k, 4), _np_gqa(v, 4), scale=0.3),
               fixed(((1, 4, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2)))),
]

LAYERS = EMBEDDING + NORMALIZATION + ATTENTION
