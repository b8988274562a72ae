"""How a gradient differs from the right one, in words: a constant factor (×2, ×½, ×n, −1), a transpose,
a missing sum over a broadcast dimension, a term missing along a dimension, a wrong shape.

Hand derivations go wrong in a few typical ways, and each leaves its own trace in the numbers:

====================================  =========================================  ==========================
the slip                              what the gradient G looks like              test (R: the right one)
====================================  =========================================  ==========================
the ½ of ½(ŷ − y)² dropped            G = 2R                                      G = c·R, c = 2
the 2 of x² forgotten                 G = ½R                                      c = ½
the mean's 1/n forgotten              G = nR                                      c = n, a size in the shapes
the sign of the chain rule lost       G = −R                                      c = −1
Xᵀg where gᵀX is meant                G = Rᵀ                                      Gᵀ = R
a bias broadcast over the rows,       G has the rows: shape (n, k) for (1, k)     Σ over those rows = R
its gradient not summed back
a mean subtracted along dim 0         G − R is the same in every row              G − R = mean over dim 0
(x − x̄), its term forgotten
====================================  =========================================  ==========================

``describe(got, want)`` runs these tests in that order and returns a ``Mismatch`` (its ``kind`` and a
sentence).  It is used by the node-by-node localisation (an op's backward against finite differences of
that op alone: ``autograd.localize``) and by ``tinygrad_lr.check.check_backprop`` (your hand-derived
gradients against autograd's).
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.broadcast import broadcasts_to, sum_to_shape


@dataclass
class Mismatch:
    """How ``got`` differs from ``want``: ``kind`` is one of 'factor', 'transpose', 'broadcast-sum',
    'extra-sum', 'reshape', 'broadcast-term', 'zeros', 'other'; ``text`` says it in a sentence;
    ``factor`` is c when got = c·want; ``dims`` the dimensions a sum is missing over (or one too many)."""
    kind: str
    text: str
    factor: Optional[float] = None
    dims: tuple = ()


def allclose(got, want, rtol, atol):
    """|got − want| ≤ atol + rtol·|want| element by element (gradcheck's and ``np.allclose``'s rule)."""
    return bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))


def constant_factor(got, want, rtol, atol):
    """c when got = c·want (c ≠ 1, least squares, then checked element by element), else None."""
    scale = float(np.vdot(want, want))
    if scale == 0:
        return None
    c = float(np.vdot(got, want)) / scale
    if c == 0 or np.isclose(c, 1, rtol=rtol, atol=0) or not allclose(got, c * want, rtol, atol):
        return None
    return c


def name_factor(c, sizes=()):
    """Words for got = c·want: '×2: twice the right value (...)', '×−1: the sign is flipped', ..."""
    parts = []
    if c < 0:
        parts.append("the sign is flipped (ŷ − y versus y − ŷ, or the minus of a chain-rule step lost)")
    k = abs(c)
    n = next((s for s in sorted(set(sizes)) if s > 2 and (np.isclose(k, s, rtol=1e-6) or
                                                        np.isclose(k, 1 / s, rtol=1e-6))), None)
    if np.isclose(k, 2, rtol=1e-6):
        parts.append("twice the right value: a ½ dropped (the ½ of ½(ŷ − y)²), or a 2 counted twice")
    elif np.isclose(k, 0.5, rtol=1e-6):
        parts.append("half the right value: a factor 2 is missing (the 2 that differentiating x² brings down?)")
    elif n is not None and k > 1:
        parts.append(f"n = {n} times the right value: a 1/n is missing (the 1/n of a mean: mean versus sum?)")
    elif n is not None:
        parts.append(f"the right value divided by n = {n}: a 1/n too many (divided by n twice, or a mean where "
                     "the forward sums)")
    elif not np.isclose(k, 1, rtol=1e-6):
        parts.append("a constant factor that is not 2, ½ or a size of the tensors: check the constants")
    return f"×{_factor_label(c, n)}: " + "; and ".join(parts)


def _factor_label(c, n):
    k = abs(c)
    sign = "−" if c < 0 else ""
    if np.isclose(k, 1, rtol=1e-6):
        return sign + "1"
    if np.isclose(k, 0.5, rtol=1e-6):
        return sign + "½"
    if n is not None and k < 1:
        return f"{sign}1/{n}"
    return sign + f"{k:.6g}"


def _worst(got, want):
    k = int(np.argmax(np.abs(got - want)))
    idx = [int(i) for i in np.unravel_index(k, want.shape)] if want.shape else []
    return f"worst element {idx}: {got.reshape(-1)[k]:.6g} where {want.reshape(-1)[k]:.6g} is right"


def _dims(dims):
    return "dim " + ", ".join(map(str, dims)) if len(dims) == 1 else "dims " + ", ".join(map(str, dims))


def _summed_axes(big, small):
    """The axes of an array of shape ``big`` that ``sum_to_shape(·, small)`` sums over (numbered as in ``big``)."""
    lead = len(big) - len(small)
    return tuple(range(lead)) + tuple(lead + i for i, s in enumerate(small) if s == 1 and big[lead + i] != 1)


def _same_shape(got, want, sizes, rtol, atol):
    c = constant_factor(got, want, rtol, atol)
    if c is not None:
        return Mismatch("factor", name_factor(c, sizes), factor=c)
    if got.ndim == 2 and got.shape[0] == got.shape[1] and got.shape[0] > 1 and allclose(got.T, want, rtol, atol):
        return Mismatch("transpose", "transposed: its transpose is the right gradient (Xᵀg where gᵀX is meant, "
                                     "or g @ W where g @ Wᵀ is)")
    scale = np.abs(want).max(initial=0.0)
    if np.abs(got).max(initial=0.0) <= atol and scale > atol:
        return Mismatch("zeros", f"all zeros, where the right gradient is not ({_worst(got, want)})")
    d = got - want
    for k in range(got.ndim):
        if got.shape[k] > 1 and allclose(d, np.broadcast_to(d.mean(axis=k, keepdims=True), d.shape), rtol,
                                         atol + rtol * scale):
            return Mismatch("broadcast-term", f"missing (or wrong) a sum over dim {k}: it is off by a term that is "
                            f"the same all along dim {k}, the gradient through something broadcast along dim {k} (a "
                            f"mean, a max or a bias added or subtracted there), which is a sum over dim {k}",
                            dims=(k,))
    return Mismatch("other", f"differs by more than a constant factor; {_worst(got, want)}")


def describe(got, want, *, name=None, sizes=(), rtol=1e-5, atol=1e-8):
    """A ``Mismatch`` saying how ``got`` differs from the right gradient ``want`` (both float64 arrays).

    ``name`` is the tensor the gradient is for (it names the broadcast a sum is missing for);
    ``sizes`` are the sizes a 1/n can come from (the dimensions of the tensors involved).
    """
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    sizes = tuple(sizes) + tuple(got.shape) + tuple(want.shape)
    if got.shape == want.shape:
        return _same_shape(got, want, sizes, rtol, atol)
    of = f" (the broadcast of {name})" if name else ""
    shapes = f"shape {tuple(got.shape)} where {tuple(want.shape)} is expected"
    if got.ndim == 2 and got.shape == want.shape[::-1] and allclose(got.T, want, rtol, atol):
        return Mismatch("transpose", f"transposed: {shapes}, and its transpose is the right gradient")
    if broadcasts_to(want.shape, got.shape):
        dims = _summed_axes(got.shape, want.shape)
        summed = sum_to_shape(got, want.shape)
        if allclose(summed, want, rtol, atol):
            return Mismatch("broadcast-sum", f"missing sum over {_dims(dims)}{of}: {shapes}, and its sum over "
                            f"{_dims(dims)} is the right gradient", dims=dims)
        c = constant_factor(summed, want, rtol, atol)
        if c is not None:
            return Mismatch("broadcast-sum", f"missing sum over {_dims(dims)}{of} ({shapes}); summed, it is still "
                            + name_factor(c, sizes), factor=c, dims=dims)
    if got.size == want.size and allclose(got.reshape(want.shape), want, rtol, atol):
        return Mismatch("reshape", f"the right values in the wrong shape: {shapes} (reshape it, or keepdim=True)")
    if broadcasts_to(got.shape, want.shape):
        dims = _summed_axes(want.shape, got.shape)
        if allclose(sum_to_shape(want, got.shape), got, rtol, atol):
            return Mismatch("extra-sum", f"summed over {_dims(dims)} once too often: {shapes}; the right "
                            f"gradient keeps {_dims(dims)} and sums to yours", dims=dims)
    return Mismatch("other", f"{shapes}: the gradient of a tensor has that tensor's shape")
