"""Catalog entries for convolutions and pooling: conv1d/conv2d, the max and average pools (fixed, adaptive,
1-d), unfold/fold, pad and interpolate, through ``nn.functional`` (the same line runs as
``torch.nn.functional``).

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences (first and second order) and PyTorch parity all come from the one entry.  The references
here are direct loops, one output pixel (or window) at a time, written for the test: slow and obvious,
sharing nothing with the im2col and strided-slice code of tinygrad_lr/nn/functional_conv.py and
functional_pool.py.

Max pooling needs inputs without ties (where two elements of a window are equal its gradient is a
matter of convention, and finite differences see a kink): its entries pool x + a fixed permutation of
0, 1, 2, … (``_apart``), with x drawn from (−0.4, 0.4), so every window has one largest element, at a
distance of at least 0.2 from the next.
"""
import math

import numpy as np
from hypothesis import strategies as st

# _catalog.py imports this file at its end, once Op and the shape strategies exist:
from _catalog import Op, fixed

SMALL = st.floats(-0.4, 0.4)


def _F(lib):
    return lib.nn.functional


def _spread(shape):
    """A fixed permutation of 0, 1, …, n − 1 in ``shape``: x + _spread(x.shape) has no ties for |x| < 0.4."""
    n = int(np.prod(shape))
    return np.random.default_rng(5).permutation(n).reshape(shape).astype(np.float64)


def _apart(lib, x):
    return x + lib.tensor(_spread(tuple(x.shape))).to(x.dtype)


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# ---- references: one output pixel at a time -----------------------------------------
def _np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, i, j] = b[o] + Σ_{c, p, q} window(i, j)[n, c, p, q] · w[o, c, p, q] over o's group, one (i, j)
    at a time."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    kh, kw = w.shape[2:]
    if padding == "same":
        pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in ((kh, dh), (kw, dw))]
    else:
        pads = [(p, p) for p in _pair(padding)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    N, C, H, W = xp.shape
    O = w.shape[0]
    xg = xp.reshape(N, groups, C // groups, H, W)                 # [n, group, c, y, z]
    wg = w.reshape(groups, O // groups, C // groups, kh, kw)      # [group, o, c, p, q]
    Ho, Wo = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xg[..., i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            out[:, :, i, j] = np.einsum("ngcpq,gocpq->ngo", window, wg).reshape(N, O)
    return out if b is None else out + b[:, None, None]


def _np_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    out = _np_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding) if padding != "same" else "same",
                     (1, dilation), groups)
    return out[:, :, 0]


def _out_size(n, k, s, p, d, ceil_mode):
    """Windows that start at 0, s, 2s, … in the padded input and fit in it (ceil_mode: that start in it)."""
    last = n + 2 * p - d * (k - 1) - 1                  # the last start at which a window fits
    count = (last + s - 1) // s + 1 if ceil_mode else last // s + 1
    if ceil_mode and (count - 1) * s >= n + p:           # a window must start before the end padding
        count -= 1
    return count


def _np_max_pool2d(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    (kh, kw), (ph, pw), (dh, dw) = _pair(kernel), _pair(padding), _pair(dilation)
    sh, sw = _pair(kernel if stride is None else stride)
    N, C, H, W = x.shape
    Ho, Wo = _out_size(H, kh, sh, ph, dh, ceil_mode), _out_size(W, kw, sw, pw, dw, ceil_mode)
    xp = np.full((N, C, H + 2 * ph + sh * kh, W + 2 * pw + sw * kw), -np.inf)  # room for ceil_mode's last window
    xp[:, :, ph:ph + H, pw:pw + W] = x
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def _np_avg_pool2d(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor=None):
    (kh, kw), (ph, pw) = _pair(kernel), _pair(padding)
    sh, sw = _pair(kernel if stride is None else stride)
    N, C, H, W = x.shape
    Ho, Wo = _out_size(H, kh, sh, ph, 1, ceil_mode), _out_size(W, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            top, left = i * sh - ph, j * sw - pw                     # the window in x's coordinates
            bottom, right = min(top + kh, H + ph), min(left + kw, W + pw)  # cut at the end of the padding
            inside = x[:, :, max(top, 0):min(bottom, H), max(left, 0):min(right, W)]
            if divisor:
                d = divisor
            elif count_include_pad:
                d = (bottom - top) * (right - left)
            else:
                d = inside.shape[2] * inside.shape[3]
            out[:, :, i, j] = inside.sum(axis=(2, 3)) / d
    return out


def _np_adaptive(x, size, reduce):
    N, C, H, W = x.shape
    Ho, Wo = size
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(math.floor(i * H / Ho), math.ceil((i + 1) * H / Ho))
            cols = slice(math.floor(j * W / Wo), math.ceil((j + 1) * W / Wo))
            out[:, :, i, j] = reduce(x[:, :, rows, cols], axis=(2, 3))
    return out


def _np_unfold(x, kernel, dilation=1, padding=0, stride=1):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _pair(kernel), _pair(dilation), _pair(padding), _pair(stride)
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    N, C, H, W = xp.shape
    Ho, Wo = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, C * kh * kw, Ho * Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
            out[:, :, i * Wo + j] = window.reshape(N, -1)
    return out


def _np_fold(cols, size, kernel, dilation=1, padding=0, stride=1):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = _pair(kernel), _pair(dilation), _pair(padding), _pair(stride)
    N, C = cols.shape[0], cols.shape[1] // (kh * kw)
    H, W = size[0] + 2 * ph, size[1] + 2 * pw
    Ho, Wo = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, C, H, W))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw] += \
                cols[:, :, i * Wo + j].reshape(N, C, kh, kw)
    return out[:, :, ph:ph + size[0], pw:pw + size[1]]


def _np_nearest(x, size):
    H, W = x.shape[2:]
    rows = [min(math.floor(i * H / size[0]), H - 1) for i in range(size[0])]
    cols = [min(math.floor(j * W / size[1]), W - 1) for j in range(size[1])]
    return x[:, :, rows][:, :, :, cols]


def _np_bilinear(x, size, align_corners):
    H, W = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(size))

    def source(i, n, o):
        """The source coordinate of output i, its two neighbours and their weights."""
        if align_corners:
            s = i * (n - 1) / (o - 1) if o > 1 else 0.0
        else:
            s = max((i + 0.5) * n / o - 0.5, 0.0)
        lo = min(int(s), n - 1)
        return lo, min(lo + 1, n - 1), s - lo

    for i in range(size[0]):
        y0, y1, a = source(i, H, size[0])
        for j in range(size[1]):
            x0, x1, b = source(j, W, size[1])
            out[:, :, i, j] = ((1 - a) * ((1 - b) * x[:, :, y0, x0] + b * x[:, :, y0, x1])
                               + a * ((1 - b) * x[:, :, y1, x0] + b * x[:, :, y1, x1]))
    return out


def _np_pad(x, pad, mode="constant", value=0.0):
    k = len(pad) // 2  # pad names the last dim first
    widths = [(0, 0)] * (x.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))]
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


# ---- the entries: one or two per op (the grids of strides, paddings, dilations and groups against
# PyTorch are in tests/nn/test_conv_functional.py) ---------------------------------------------
CONV = [
    Op("conv2d", lambda lib, x, w, b: _F(lib).conv2d(x, w, b), _np_conv2d, fixed(((2, 2, 5, 5), (3, 2, 3, 3), (3,)))),
    Op("conv2d groups=2, stride 2, padding 1, dilation 2, kernel 2x3",
       lambda lib, x, w: _F(lib).conv2d(x, w, stride=2, padding=1, dilation=2, groups=2),
       lambda x, w: _np_conv2d(x, w, stride=2, padding=1, dilation=2, groups=2), fixed(((1, 4, 6, 7), (2, 2, 2, 3)))),
    Op("conv2d depthwise (groups = channels), stride (2, 1), padding (1, 0)",
       lambda lib, x, w: _F(lib).conv2d(x, w, stride=(2, 1), padding=(1, 0), groups=3),
       lambda x, w: _np_conv2d(x, w, stride=(2, 1), padding=(1, 0), groups=3), fixed(((1, 3, 5, 5), (3, 1, 3, 3)))),
    Op("conv1d padding='same', even kernel", lambda lib, x, w, b: _F(lib).conv1d(x, w, b, padding="same"),
       lambda x, w, b: _np_conv1d(x, w, b, padding="same"), fixed(((2, 2, 6), (3, 2, 4), (3,)))),
]

POOL = [
    Op("max_pool2d kernel 3, stride 2, padding 1, ceil_mode",
       lambda lib, x: _F(lib).max_pool2d(_apart(lib, x), 3, 2, 1, ceil_mode=True),
       lambda x: _np_max_pool2d(x + _spread(x.shape), 3, 2, 1, ceil_mode=True), fixed(((2, 2, 6, 7),)), (SMALL,)),
    Op("max_pool1d kernel 2, dilation 2", lambda lib, x: _F(lib).max_pool1d(_apart(lib, x), 2, dilation=2),
       lambda x: _np_max_pool2d((x + _spread(x.shape))[:, :, None], (1, 2), dilation=(1, 2))[:, :, 0],
       fixed(((2, 3, 7),)), (SMALL,)),
    Op("avg_pool2d kernel 3, stride 2, padding 1, ceil_mode, count_include_pad=False",
       lambda lib, x: _F(lib).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
       lambda x: _np_avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), fixed(((2, 2, 6, 7),))),
    Op("avg_pool1d kernel 3, stride 2, padding 1", lambda lib, x: _F(lib).avg_pool1d(x, 3, 2, 1),
       lambda x: _np_avg_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))[:, :, 0], fixed(((2, 3, 7),))),
    Op("adaptive_avg_pool2d to (3, 2)", lambda lib, x: _F(lib).adaptive_avg_pool2d(x, (3, 2)),
       lambda x: _np_adaptive(x, (3, 2), np.mean), fixed(((2, 2, 7, 5),))),
    Op("adaptive_max_pool2d to (3, 4) (overlapping windows)",
       lambda lib, x: _F(lib).adaptive_max_pool2d(_apart(lib, x), (3, 4)),
       lambda x: _np_adaptive(x + _spread(x.shape), (3, 4), np.max), fixed(((1, 2, 7, 5),)), (SMALL,)),
]

RESHAPE = [
    Op("unfold kernel (2, 3), padding 1, stride 2", lambda lib, x: _F(lib).unfold(x, (2, 3), padding=1, stride=2),
       lambda x: _np_unfold(x, (2, 3), padding=1, stride=2), fixed(((2, 2, 5, 6),))),
    Op("fold kernel 2, stride 1 (overlapping: sums)", lambda lib, c: _F(lib).fold(c, (4, 5), 2),
       lambda c: _np_fold(c, (4, 5), 2), fixed(((2, 8, 12),))),
    Op("pad constant (1, 2, -1, 1), value 0.5 (negative: cuts)",
       lambda lib, x: _F(lib).pad(x, (1, 2, -1, 1), value=0.5),
       lambda x: _np_pad(x, (1, 2, 0, 1), value=0.5)[..., 1:, :], fixed(((2, 3, 4),), ((2, 1, 3, 2),))),
    Op("pad reflect", lambda lib, x: _F(lib).pad(x, (2, 1, 1, 2), mode="reflect"),
       lambda x: _np_pad(x, (2, 1, 1, 2), "reflect"), fixed(((2, 2, 4, 3),), ((2, 3, 4),))),
    Op("pad circular", lambda lib, x: _F(lib).pad(x, (2, 1, 0, 3), mode="circular"),
       lambda x: _np_pad(x, (2, 1, 0, 3), "circular"), fixed(((1, 2, 3, 4),))),
    Op("interpolate nearest to (7, 3)", lambda lib, x: _F(lib).interpolate(x, size=(7, 3)),
       lambda x: _np_nearest(x, (7, 3)), fixed(((2, 2, 4, 5),))),
    Op("interpolate bilinear", lambda lib, x: _F(lib).interpolate(x, size=(6, 4), mode="bilinear"),
       lambda x: _np_bilinear(x, (6, 4), False), fixed(((1, 2, 4, 5),))),
    Op("interpolate bilinear align_corners=True",
       lambda lib, x: _F(lib).interpolate(x, size=(5, 6), mode="bilinear", align_corners=True),
       lambda x: _np_bilinear(x, (5, 6), True), fixed(((1, 2, 3, 4),))),
]

CONVOLUTIONS = CONV + POOL + RESHAPE
