"""Pooling as functions: ``F.max_pool2d``, ``F.avg_pool2d``, their adaptive forms, and the 1-d ones.

A pooling layer slides a window of kernel_size over each channel of x (N, C, H, W), with a stride
and padding, and keeps one number per window:

    max:  out[n, c, i, j] = max_{p, q} x_pad[n, c, i·s + p·d, j·s + q·d]        (x_pad: padded with −∞)
    avg:  out[n, c, i, j] = Σ_{p, q} x_pad[n, c, i·s + p, j·s + q] / D[i, j]   (x_pad: padded with 0)

Their gradients: max pooling sends each g[n, c, i, j] to the element that won its window (and a
pixel that wins two windows gets both); average pooling spreads g[n, c, i, j] / D[i, j] over the
window.  Both are computed in a loop over the kh·kw kernel offsets, each one strided slice of the
padded input, never a loop over the pixels.

Output size per spatial dim, as PyTorch: Ho = ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1, or ⌈…⌉ + 1 with
ceil_mode, in which case a last window that would start in the bottom padding (or beyond) is
dropped: every window starts inside the input or the top padding.  The adaptive forms choose the
windows for a given output size: window i of n → o covers ⌊i·n/o⌋ … ⌈(i + 1)·n/o⌉ − 1.

Under vmap (``tinygrad_lr.func``) every Function here runs once for the batch, the batch dims joined to N;
max pooling finds its indices on the batch's whole array (the helpers take any leading dims).

Banners: the geometry; the Functions; the function forms.
"""
import functools
from dataclasses import dataclass

import numpy as np

from ..core import batching, internal
from ..core.function import Function
from .arguments import as_list, check_tensor, int_tuple


# ============================================================================
# the geometry
# ============================================================================
@dataclass(frozen=True)
class _Pool:
    """The windows of a 2-d pooling: kernel, stride, padding (the same before and after), dilation
    (pairs), the input's size (H, W) and the output's (Ho, Wo)."""
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    size: tuple
    out_size: tuple

    def blank(self, like, fill):
        """A canvas (N, C, ·, ·) of ``fill`` (any leading dims: ``like``'s), big enough for the padded input and
        every window.

        (full_like, not full: under tinygrad_lr.compile the tracer sees the new array, see core/capture.py.)"""
        shape = tuple(max(p + n, (o - 1) * s + d * (k - 1) + 1) for n, o, k, s, p, d in
                      zip(self.size, self.out_size, self.kernel, self.stride, self.padding, self.dilation))
        return np.full_like(like, fill, shape=like.shape[:-2] + shape)

    def canvas(self, x, fill):
        """x (…, H, W) on a canvas of ``fill``, at (top, left) = padding; x itself when there is no padding
        and every window lies inside x (speed only: no copy)."""
        if self.padding == (0, 0) and all((o - 1) * s + d * (k - 1) + 1 <= n for n, o, k, s, d in
                                          zip(self.size, self.out_size, self.kernel, self.stride, self.dilation)):
            return x
        out = self.blank(x, fill)
        (ph, pw), (H, W) = self.padding, self.size
        out[..., ph:ph + H, pw:pw + W] = x
        return out

    def offsets(self):
        """For each kernel offset (p, q): its row and column in the window and the slices of the canvas
        that offset reads for all windows at once (canvas[:, :, rows, cols][..., i, j] is window (i, j)'s)."""
        (kh, kw), (sh, sw), (dh, dw), (Ho, Wo) = self.kernel, self.stride, self.dilation, self.out_size
        for p in range(kh):
            for q in range(kw):
                yield p, q, slice(p * dh, p * dh + (Ho - 1) * sh + 1, sh), slice(q * dw, q * dw + (Wo - 1) * sw + 1, sw)

    @property
    def tiles(self):
        """Whether the windows tile the plane: side by side (stride = kernel, no dilation, no padding), and
        covering all of it."""
        return (self.stride == self.kernel and self.dilation == (1, 1) and self.padding == (0, 0)
                and all(o * k == n for n, o, k in zip(self.size, self.out_size, self.kernel)))

    def crop(self, canvas):
        (ph, pw), (H, W) = self.padding, self.size
        return canvas[:, :, ph:ph + H, pw:pw + W]


def _out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size; with ceil_mode the last window must start inside the input or the top pad."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _max_pool_index(x, pool):
    """For each window, the flat index y·W + z in its (H, W) plane of its largest element (int64, (N, C, Ho, Wo)).

    PyTorch's rule: the first largest in the window's row-major order, and a NaN always wins (the last one).
    Any leading dims: inside vmap x is the batch's array (B…, N, C, H, W), and the indices are the batch's.
    """
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = pool.canvas(x, fill)
    (sh, sw), (ph, pw), (dh, dw), (Ho, Wo), W = pool.stride, pool.padding, pool.dilation, pool.out_size, pool.size[1]
    top, left = np.arange(Ho) * sh - ph, np.arange(Wo) * sw - pw  # each window's first row and column in x
    first_row = np.where(top < 0, top + (-top + dh - 1) // dh * dh, top)     # its first row inside x
    first_col = np.where(left < 0, left + (-left + dw - 1) // dw * dw, left)
    index = np.zeros_like(x, np.int64, shape=x.shape[:-2] + (Ho, Wo))
    index[...] = first_row[:, None] * W + first_col[None, :]
    best = np.full_like(x, fill, shape=index.shape)
    for p, q, rows, cols in pool.offsets():
        v = xp[..., rows, cols]
        better = v > best
        if x.dtype.kind == "f":
            better |= np.isnan(v)
        np.copyto(best, v, where=better)
        np.copyto(index, (top[:, None] + p * dh) * W + (left[None, :] + q * dw), where=better)
    return index


def _avg_divisor(pool, count_include_pad, divisor_override):
    """D[i, j]: divisor_override, else the window's size, with or without its padding (count_include_pad).

    A window of a ceil_mode pooling that reaches past the bottom (right) padding counts only up to it."""
    if divisor_override:
        return divisor_override
    sizes = []
    for n, o, k, s, p in zip(pool.size, pool.out_size, pool.kernel, pool.stride, pool.padding):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        sizes.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(*sizes)


def _adaptive_bounds(n, o):
    """Window i of an adaptive pooling from n to o: ⌊i·n/o⌋ … ⌈(i + 1)·n/o⌉ (end excluded)."""
    i = np.arange(o)
    return i * n // o, ((i + 1) * n + o - 1) // o


# ============================================================================
# the Functions
# ============================================================================
class AvgPool2d(Function):
    """out[n, c, i, j] = Σ_{p, q} x_pad[n, c, i·s + p, j·s + q] / D[i, j]

    ∂L/∂x = AvgPool2dTranspose(g): g[n, c, i, j] / D[i, j] spread over window (i, j).

    ``pool`` is the geometry (``_Pool``), ``divisor`` D (a number, or (Ho, Wo)).
    Primitive, not a composition (a sum of kh·kw slices): one node, and a backward of kh·kw slices.
    vmap: the batch dims join N (``batching.into_first_dim``), as for every Function here.
    """
    batch_rule = batching.into_first_dim

    @staticmethod
    def forward(ctx, x, pool, divisor):
        ctx.pool, ctx.divisor = pool, divisor
        xp, total = pool.canvas(x, 0), 0
        for _, _, rows, cols in pool.offsets():
            total = total + xp[:, :, rows, cols]
        return (total / divisor).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return AvgPool2dTranspose.compute(g, pool=ctx.pool, divisor=ctx.divisor)


class AvgPool2dTranspose(Function):
    """out[n, c, y, z] = Σ_{windows (i, j) that hold (y, z)} g[n, c, i, j] / D[i, j]   (avg_pool2d's adjoint)

    ∂L/∂g = AvgPool2d(h)     (h = ∂L/∂out)
    """
    batch_rule = batching.into_first_dim

    @staticmethod
    def forward(ctx, g, pool, divisor):
        ctx.pool, ctx.divisor = pool, divisor
        share = (g / divisor).astype(g.dtype, copy=False)
        if pool.tiles:  # speed only: no window overlaps another, so each element gets its one window's share
            (kh, kw) = pool.kernel
            return np.repeat(np.repeat(share, kh, axis=2), kw, axis=3)
        canvas = pool.blank(g, 0)
        for _, _, rows, cols in pool.offsets():
            window = canvas[:, :, rows, cols]  # (a view: the add lands in canvas)
            window += share
        return pool.crop(canvas)

    @staticmethod
    def backward(ctx, h):
        return AvgPool2d.compute(h, pool=ctx.pool, divisor=ctx.divisor)


def _plane_batch_rule(cls, args, kwargs):
    """vmap of GatherPlane and ScatterAddPlane: the batch dims join N, in the array and in ``index`` (found from
    the batch's values, it has them too; an index the samples share is broadcast to them)."""
    x, index = args[0], kwargs["index"]
    index = np.broadcast_to(index, batching.batch_sizes(x) + index.shape[index.ndim - 4:])
    folded = index.reshape((-1,) + index.shape[len(x._levels) + 1:])
    return batching.into_first_dim(cls, args, dict(kwargs, index=folded))


class GatherPlane(Function):
    """out[n, c, i, j] = x[n, c].flat[index[n, c, i, j]]   (max pooling: index is each window's largest)

    ∂L/∂x = ScatterAddPlane(g): each g[n, c, i, j] added to the element it was read from.
    vmap: ``_plane_batch_rule``.
    """
    batch_rule = _plane_batch_rule

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.size = index, x.shape[2:]
        N, C = x.shape[:2]
        return np.take_along_axis(x.reshape(N, C, -1), index.reshape(N, C, -1), axis=2).reshape(index.shape)

    @staticmethod
    def backward(ctx, g):
        return ScatterAddPlane.compute(g, index=ctx.index, size=ctx.size)


class ScatterAddPlane(Function):
    """out = zeros (N, C, *size) with out[n, c].flat[index[n, c, i, j]] += g[n, c, i, j]   (GatherPlane's adjoint)

    ∂L/∂g = GatherPlane(h)      (h = ∂L/∂out)
    An element named twice gets the sum; one ``np.bincount`` over the flat indices (np.add.at is slower).
    """
    batch_rule = _plane_batch_rule

    @staticmethod
    def forward(ctx, g, index, size):
        ctx.index = index
        N, C = g.shape[:2]
        plane = int(np.prod(size))
        flat = index.reshape(N * C, -1) + (np.arange(N * C) * plane)[:, None]
        out = np.bincount(flat.reshape(-1), weights=g.reshape(-1), minlength=N * C * plane)
        return out.reshape((N, C) + tuple(size)).astype(g.dtype, copy=False)

    @staticmethod
    def backward(ctx, h):
        return GatherPlane.compute(h, index=ctx.index)


# ============================================================================
# the function forms
# ============================================================================
def _batched(op, input, dims):
    """(N, C, H, W) from (N, C, H, W) or (C, H, W) — (N, C, 1, L) from (N, C, L) or (C, L) for the 1-d
    pools — and whether the input was unbatched."""
    check_tensor(op, input)
    if input.ndim not in (dims + 1, dims + 2) or input.numel() == 0:
        layout = "(N, C, L) or (C, L)" if dims == 1 else "(N, C, H, W) or (C, H, W)"
        fix = "; add the channel dim with x.unsqueeze(0)" if input.ndim == dims else ""
        raise ValueError(f"{op}: non-empty {dims + 1}D or {dims + 2}D (batch mode) tensor expected for input, got "
                         f"shape {as_list(input.shape)}; the layout is {layout}{fix}")
    x = input.unsqueeze(0) if input.ndim == dims + 1 else input
    return (x.unsqueeze(2) if dims == 1 else x), input.ndim == dims + 1


def _unbatch(out, dims, unbatched):
    out = out.squeeze(2) if dims == 1 else out
    return out.squeeze(0) if unbatched else out


def _pool(op, x, dims, kernel_size, stride, padding, dilation, ceil_mode, extent):
    """The geometry of a pooling, checked as PyTorch does; 1-d pools get a window of height 1.

    ``extent(k, d)`` is the window's size along a dim (k for average pooling, d·(k − 1) + 1 for max
    pooling): the padding may be at most half of it, so that every window holds an element of x."""
    kernel = int_tuple(op, "kernel_size", kernel_size, dims)
    empty = stride is None or isinstance(stride, (tuple, list)) and len(stride) == 0  # PyTorch's default: the kernel
    stride = kernel if empty else int_tuple(op, "stride", stride, dims)
    padding, dilation = int_tuple(op, "padding", padding, dims), int_tuple(op, "dilation", dilation, dims)
    if any(k <= 0 for k in kernel):
        raise ValueError(f"{op}: kernel_size must be greater than zero, but got kernel_size={kernel}")
    if any(s <= 0 for s in stride):
        raise ValueError(f"{op}: stride should not be zero (nor negative), got stride={stride}")
    if any(d <= 0 for d in dilation):
        raise ValueError(f"{op}: dilation must be greater than zero, but got dilation={dilation}")
    for k, p, d in zip(kernel, padding, dilation):
        if p < 0 or p > extent(k, d) // 2:
            raise ValueError(f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                             f"kernel_size={k} and dilation={d}; the padding only lets the windows at the edges "
                             f"overhang: use padding <= {extent(k, d) // 2}")
    if dims == 1:
        kernel, stride, padding, dilation = (1,) + kernel, (1,) + stride, (0,) + padding, (1,) + dilation
    size = tuple(x.shape[2:])
    out = tuple(_out_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))
    if min(out) < 1:
        shown, got = (size[1:], out[1:]) if dims == 1 else (size, out)
        raise ValueError(f"{op}: Given input size: ({x.shape[1]}x{'x'.join(map(str, shown))}). Calculated output "
                         f"size: ({x.shape[1]}x{'x'.join(map(str, got))}). Output size is too small; the window "
                         f"(kernel_size={kernel_size}, dilation={dilation[2 - dims:]}) is larger than the padded "
                         "input: use a smaller kernel, padding, or a larger input")
    return _Pool(kernel, stride, padding, dilation, size, out)


def _max_pool(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched = _batched(op, input, dims)
    pool = _pool(op, x, dims, kernel_size, stride, padding, dilation, ceil_mode, lambda k, d: d * (k - 1) + 1)
    index = _max_pool_index(internal.values(x), pool)  # (inside vmap: the batch's, from its whole array)
    out = _unbatch(GatherPlane.apply(x, index=index), dims, unbatched)
    if return_indices:
        return out, _unbatch(batching.like(x, index), dims, unbatched)
    return out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest element of each window: out[n, c, i, j] = max_{p, q} x_pad[n, c, i·s + p·d, j·s + q·d].

    - input (N, C, H, W) or (C, H, W); kernel_size, stride (default: kernel_size), padding (−∞, at
      most half the dilated kernel), dilation: an int or a pair;
    - ceil_mode: round the output size up (a last, partial window), never starting in the bottom padding;
    - return_indices: also return, for each output, the flat index y·W + z of its element in the
      (H, W) plane of the input (int64), as PyTorch (what ``max_unpool2d`` takes).

    ∂L/∂x: each g[n, c, i, j] goes to the element that won window (i, j) (the first largest; sums where
    windows overlap).
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``max_pool2d`` along one dim: input (N, C, L) or (C, L); the indices count along L."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool(op, dims, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, unbatched = _batched(op, input, dims)
    pool = _pool(op, x, dims, kernel_size, stride, padding, 1, ceil_mode, lambda k, d: k)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{op}: divisor must be not zero (divisor_override=0); pass None to divide by the window size")
    x = x if x.dtype.kind == "f" else x.float()
    divisor = _avg_divisor(pool, count_include_pad, divisor_override)
    if np.ndim(divisor):  # x's dtype, so that float32 stays float32; one number when all windows have the same
        divisor = divisor.flat[0].item() if np.all(divisor == divisor.flat[0]) else divisor.astype(x.dtype)
    return _unbatch(AvgPool2d.apply(x, pool=pool, divisor=divisor), dims, unbatched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window: out[n, c, i, j] = Σ_{p, q} x_pad[n, c, i·s + p, j·s + q] / D[i, j].

    - input (N, C, H, W) or (C, H, W); kernel_size, stride (default: kernel_size), padding (zeros, at
      most half the kernel): an int or a pair; ceil_mode as in ``max_pool2d``;
    - D: the window's size kh·kw, counting its padding (count_include_pad=True) or not; a window
      that ceil_mode lets reach past the padding counts only up to the padding's end; or
      ``divisor_override`` for every window.

    ∂L/∂x: g[n, c, i, j] / D[i, j] to each element of window (i, j) (see ``AvgPool2d``).
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """``avg_pool2d`` along one dim: input (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def _adaptive_size(op, x, dims, output_size):
    """The output size as a tuple of dims ints; None keeps the input's size along that dim."""
    sizes = (output_size,) * dims if output_size is None or isinstance(output_size, (int, np.integer)) \
        else tuple(output_size)
    if len(sizes) != dims:
        raise ValueError(f"{op}: output_size must be {dims} (an int or a tuple of {dims}), got "
                         f"output_size={output_size!r}")
    spatial = tuple(x.shape[x.ndim - dims:])
    sizes = tuple(n if o is None else int(o) for o, n in zip(sizes, spatial))
    if any(o <= 0 for o in sizes):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return sizes


@functools.lru_cache(maxsize=64)
def _averaging_array(n, o, dtype):
    """A (o, n) with A[i, y] = 1/|window i| on window i: (A x)[i] is the mean of window i.

    Made once per (n, o, dtype) and read-only: every call uses the same array, which a compiled step
    (``tinygrad_lr.compile``) then sees as one constant rather than a new array each call."""
    start, end = _adaptive_bounds(n, o)
    y = np.arange(n)
    inside = (y >= start[:, None]) & (y < end[:, None])
    matrix = (inside / (end - start)[:, None]).astype(dtype)
    matrix.flags.writeable = False
    return matrix


def _averaging_matrix(n, o, dtype):
    return internal.wrap(_averaging_array(n, o, np.dtype(dtype)))


def _adaptive_avg(op, dims, input, output_size):
    x, unbatched = _batched(op, input, dims)
    x = x if x.dtype.kind == "f" else x.float()
    out_size = _adaptive_size(op, input, dims, output_size)
    if dims == 1:
        out_size = (1,) + out_size
    (N, C, H, W), (Ho, Wo) = x.shape, out_size
    if (H, W) != (Ho, Wo) and H % Ho == 0 and W % Wo == 0:
        # speed only: equal windows side by side (global pooling, Ho = Wo = 1, among them): the block means
        return _unbatch(x.reshape(N, C, Ho, H // Ho, Wo, W // Wo).mean(dim=(3, 5)), dims, unbatched)
    # a window's mean is the mean of its rows' means, so the pooling is two matrix products: A_h · x · A_wᵀ
    out = x if W == Wo and H == Ho else x @ _averaging_matrix(W, Wo, x.dtype).T
    out = out if H == Ho else _averaging_matrix(H, Ho, x.dtype) @ out
    return _unbatch(out, dims, unbatched)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a given output size (Ho, Wo) (an int: square; None keeps that dim's size).

    Window (i, j) covers rows ⌊i·H/Ho⌋ … ⌈(i + 1)·H/Ho⌉ − 1 and the columns likewise; its mean is
    computed as A_h · x · A_wᵀ, A_h (Ho, H) averaging each window's rows, so the gradient
    ∂L/∂x = A_hᵀ · g · A_w comes from matmul's.
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    """``adaptive_avg_pool2d`` along one dim: input (N, C, L) or (C, L), output_size an int."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def _adaptive_max_index(x, out_size):
    """The flat index in the (H, W) plane of each adaptive window's first largest element, one window at a time
    (any leading dims, as ``_max_pool_index``)."""
    lead, (H, W) = x.shape[:-2], x.shape[-2:]
    (r0, r1), (c0, c1) = _adaptive_bounds(H, out_size[0]), _adaptive_bounds(W, out_size[1])
    index = np.zeros_like(x, np.int64, shape=lead + tuple(out_size))
    for i in range(out_size[0]):
        for j in range(out_size[1]):
            width = c1[j] - c0[j]
            best = x[..., r0[i]:r1[i], c0[j]:c1[j]].reshape(lead + (-1,)).argmax(axis=-1)
            index[..., i, j] = (r0[i] + best // width) * W + c0[j] + best % width
    return index


def _adaptive_max(op, dims, input, output_size, return_indices):
    x, unbatched = _batched(op, input, dims)
    out_size = _adaptive_size(op, input, dims, output_size)
    index = _adaptive_max_index(internal.values(x), (1,) + out_size if dims == 1 else out_size)
    out = _unbatch(GatherPlane.apply(x, index=index), dims, unbatched)
    if return_indices:
        return out, _unbatch(batching.like(x, index), dims, unbatched)
    return out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a given output size: the largest element of each adaptive window (see
    ``adaptive_avg_pool2d`` for the windows, ``max_pool2d`` for the indices and the gradient)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """``adaptive_max_pool2d`` along one dim: input (N, C, L) or (C, L)."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)
