"""Convolutions as functions: ``F.conv2d``, ``F.conv1d``, and ``F.unfold`` / ``F.fold`` (im2col and col2im).

A 2-d convolution (PyTorch's is a cross-correlation: the kernel is not flipped) of x (N, C, H, W) with
w (O, C/G, kh, kw), G groups, stride s, dilation d and zero padding:

    out[n, o, i, j] = b[o] + Σ_{c, p, q} x_pad[n, c', i·s + p·d, j·s + q·d] · w[o, c, p, q]

where c' = (o's group)·C/G + c.  It is one matrix product per sample and group: im2col lays the
windows of sample n out as the columns of a matrix X_nγ of shape (C/G·kh·kw, Ho·Wo), copied from a
strided view of x (``np.lib.stride_tricks.sliding_window_view``), and then out_nγ = W_γ X_nγ, W_γ the
group's kernels flattened to rows (O/G, C/G·kh·kw).  One ``np.matmul`` does them all (a batch of
samples and groups), and its result is already laid out as (N, O, Ho, Wo).

Its gradients are two more convolutions, each a Function of its own, so that their gradients can be
taken in turn (``create_graph=True``):

    ∂L/∂x = ConvTranspose2d(g, w):   col2im(W_γᵀ g_nγ)   the columns added back where they came from
    ∂L/∂w = Conv2dWeightGrad(x, g):  Σ_n g_nγ X_nγᵀ      x correlated with g
    ∂L/∂b = Σ_{n, i, j} g

The three are bilinear, and each one's gradient is made of the other two (⟨·, ·⟩ the sum of the
products of the elements; conv(x, w) is linear in x, so ⟨g, conv(x, w)⟩ = ⟨ConvTranspose2d(g, w), x⟩).

Speed and memory (the formulas stay the ones above):

- the columns are kh·kw times the size of the image they come from.  Conv2d saves x and w, not the
  columns (backward builds them again), and each op builds them for a few samples at a time, about
  2 MB of them (``_batch_parts``): still in the processor's cache when the matmul reads them, and a
  training step needs little more memory than its activations;
- with stride 1 the windows are taken over the whole padded width ("wide": each output row is
  computed for Wp = W + left + right columns, the last Wp − Wo of them dropped).  Then what one
  kernel offset (p, q) reads for all the windows of an image is one contiguous run of the flattened
  image, so im2col copies, and col2im adds, long runs instead of rows of Wo numbers;
- col2im adds kh·kw slices, one per kernel offset, into the same windows view im2col reads; with
  stride 1 and no more channels in g than in x, ∂L/∂x is computed instead as what it also is, a
  convolution of g with the flipped kernels (``_flipped_geometry``): a matmul, and no adds;
- ∂L/∂w is computed as its transpose, Σ_n X_nγ g_nγᵀ, the product BLAS does faster for these shapes;
- a 1×1 kernel with stride 1 and no padding needs no copy: its windows view is x itself.

Under vmap (``tinygrad_lr.func``) the three run once for the whole batch: the samples join N when they
share the weight, and with a weight per sample (per-sample gradients: ``vmap(grad(loss))``) they make a
grouped convolution, B·G groups, one weight and one weight gradient per sample (``_conv_batch_rule``).

Banners: the geometry and the array helpers; vmap's batch rule; the Functions; the function forms.
"""
from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..core import batching
from ..core.function import Function
from ..core.primitives import Reshape
from .arguments import as_list, check_tensor, int_tuple
from .functional_layers import _same_dtype


# ============================================================================
# the geometry and the array helpers
# ============================================================================
@dataclass(frozen=True)
class _Geometry:
    """Where the windows of a 2-d convolution (or unfold) lie in its input.

    kernel (kh, kw), stride, dilation: pairs; padding ((top, bottom), (left, right)): zeros added on
    each side ('same' pads an even kernel one more at the end, as PyTorch); size (H, W): the input's
    size before padding, which the gradient ∂L/∂x must have.
    """
    kernel: tuple
    stride: tuple
    dilation: tuple
    padding: tuple
    size: tuple
    groups: int = 1

    @property
    def padded(self):
        return tuple(n + lo + hi for n, (lo, hi) in zip(self.size, self.padding))

    @property
    def out_size(self):
        """Ho = ⌊(H + top + bottom − d·(kh − 1) − 1) / s⌋ + 1, and Wo likewise."""
        return tuple((n - d * (k - 1) - 1) // s + 1
                     for n, k, s, d in zip(self.padded, self.kernel, self.stride, self.dilation))

    @property
    def wide(self):
        """Whether a convolution takes its windows over the whole padded width (speed only, see the module
        docstring): with stride 1, and a kernel wider than 1 (a 1-wide kernel's rows are whole rows already)."""
        return self.stride == (1, 1) and self.kernel[1] > 1

    def width(self, wide):
        """The columns each output row is computed for: Wp with the wide layout, else Wo."""
        return self.padded[1] if wide else self.out_size[1]


def _padded(x, geom, wide=False):
    """x (n, C, H, W) on zeros: the padding around it and, for the wide layout, one spare row at the
    bottom (the last windows' extra columns run into it).  x itself when there is nothing to add."""
    (top, bottom), (left, right) = geom.padding
    if not (top or bottom or left or right or wide):
        return x
    n, C, H, W = x.shape
    out = np.zeros_like(x, shape=(n, C, geom.padded[0] + wide, geom.padded[1]))  # (zeros_like: see _add_windows)
    out[:, :, top:top + H, left:left + W] = x
    return out


def _windows(xp, geom, wide=False, writeable=False):
    """The windows of the padded xp, as a view (n, C, kh, kw, Ho, width) (no copy):

        view[n, c, p, q, i, j] = xp[n, c, i·s + p·d, j·s + q·d]      (j < width)

    width = Wo; or, wide (stride 1; xp has its spare row), width = Wp: a window j ≥ Wo runs past the
    row's end into the next row (a value computed and dropped), and view[n, c, p, q] is the run of
    Ho·Wp numbers of the flattened image that starts at p·d·Wp + q·d.
    """
    (kh, kw), (sh, sw), (dh, dw), (Ho, Wo) = geom.kernel, geom.stride, geom.dilation, geom.out_size
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)  # the dilated kernel's extent
    if wide:
        n, C, _, Wp = xp.shape
        runs = sliding_window_view(xp.reshape(n, C, -1), Ho * Wp, axis=2, writeable=writeable)  # one at every start
        runs = runs[:, :, :span[0] * Wp].reshape(n, C, span[0], Wp, Ho, Wp)  # the start r·Wp + c as (r, c)
        return runs[:, :, ::dh, :span[1]:dw]
    win = sliding_window_view(xp, span, axis=(2, 3), writeable=writeable)  # (n, C, ·, ·, span): every window
    win = win[:, :, :(Ho - 1) * sh + 1:sh, :(Wo - 1) * sw + 1:sw, ::dh, ::dw]  # every s-th, every d-th tap
    return win.transpose(0, 1, 4, 5, 2, 3)


def _add_windows(cols, geom, wide=False):
    """col2im, the adjoint of ``_windows``: cols (n, C, kh, kw, Ho, width) added back to where each window
    came from, into zeros (n, C, H, W); the padding's share is dropped (and, wide, cols must be zero in
    the extra columns).

    One add per kernel offset (p, q), through the windows view: view[:, :, p, q] += cols[:, :, p, q]
    (the windows of one offset do not overlap, so each is a plain add).
    """
    n, C, kh, kw = cols.shape[:4]
    # zeros_like, not zeros: under tinygrad_lr.compile the tracer sees the new array (see core/capture.py)
    canvas = np.zeros_like(cols, shape=(n, C, geom.padded[0] + wide, geom.padded[1]))
    win = _windows(canvas, geom, wide, writeable=True)
    for p in range(kh):
        for q in range(kw):
            window = win[:, :, p, q]
            window += cols[:, :, p, q]
    (top, _), (left, _) = geom.padding
    H, W = geom.size
    return canvas[:, :, top:top + H, left:left + W]


def _columns(x, geom, wide=False):
    """im2col for a few samples: (n, G, C/G·kh·kw, Ho·width), column (i, j) of sample n and group γ its
    window (i, j).  One copy of the windows view; none for a 1×1 kernel with stride 1 and no padding,
    whose view is x itself (then the convolution is a plain matmul)."""
    win = _windows(_padded(x, geom, wide), geom, wide)
    n, C, kh, kw, Ho, width = win.shape
    return win.reshape(n, geom.groups, C // geom.groups * kh * kw, Ho * width)


def _by_group(g, geom, wide=False):
    """A gradient g (n, O, Ho, Wo) laid out as the matmul's result, (n, G, O/G, Ho·width); for the wide
    layout with zeros in the extra columns (they must add nothing to the windows they stand for)."""
    n, O, Ho, Wo = g.shape
    if wide:
        wider = np.zeros_like(g, shape=(n, O, Ho, geom.width(wide)))
        wider[:, :, :, :Wo] = g
        g = wider
    return g.reshape(n, geom.groups, O // geom.groups, -1)


def _matmul(a, b):
    """a @ b.  With an inner dim of 1 (a depthwise convolution's one channel per group) the same numbers
    come from a broadcast product, which NumPy computes several times faster (speed only)."""
    return a * b if a.shape[-1] == 1 else a @ b


_COLUMNS_BYTES = 1 << 21  # 2 MB: see _batch_parts


def _batch_parts(n, channels, geom, itemsize, wide=False):
    """Slices of the batch whose columns (channels·kh·kw·Ho·width numbers a sample) take about 2 MB.

    Speed only: built a few samples at a time, the columns are still in the processor's cache when the
    matmul reads them (and a step needs little memory besides its activations)."""
    per_sample = channels * int(np.prod(geom.kernel)) * geom.out_size[0] * geom.width(wide) * itemsize
    step = max(1, _COLUMNS_BYTES // max(per_sample, 1))
    return [slice(i, i + step) for i in range(0, n, step)]


def _convolve(x, weight, geom):
    """Conv2d's value without the bias: out_nγ = W_γ X_nγ for a few samples at a time, (N, O, Ho, Wo)."""
    (N, C), O, G, (Ho, Wo), wide = x.shape[:2], weight.shape[0], geom.groups, geom.out_size, geom.wide
    out = np.empty_like(x, np.result_type(x, weight), shape=(N, O, Ho, Wo))  # (each part written below)
    rows = weight.reshape(G, O // G, -1)                                       # W_γ: one kernel per row
    for part in _batch_parts(N, C, geom, out.itemsize, wide):
        y = _matmul(rows, _columns(x[part], geom, wide))                       # W_γ X_nγ (n, G, O/G, Ho·width)
        out[part] = y.reshape(-1, O, Ho, geom.width(wide))[:, :, :, :Wo]       # (wide: extra columns dropped)
    return out


def _flipped_geometry(geom):
    """With stride 1, ∂L/∂x is the full correlation of g with the flipped kernels:

        ∂L/∂x[n, c', y, z] = Σ_{o, p, q} g_pad[n, o, y + p·d, z + q·d] · w[o, c, kh − 1 − p, kw − 1 − q]

    g padded with d·(k − 1) − (x's padding) zeros on each side.  Its geometry, or None when it does not
    apply (a stride, or more padding than d·(k − 1))."""
    if geom.stride != (1, 1):
        return None
    pads = tuple((d * (k - 1) - lo, d * (k - 1) - hi) for k, d, (lo, hi) in zip(geom.kernel, geom.dilation,
                                                                               geom.padding))
    if min(min(p) for p in pads) < 0:
        return None
    return _Geometry(geom.kernel, geom.stride, geom.dilation, pads, geom.out_size, geom.groups)


def _flipped_kernels(weight, G):
    """w (O, C/G, kh, kw) → w' (C, O/G, kh, kw):

        w'[γ·C/G + c, o, p, q] = w[γ·O/G + o, c, kh − 1 − p, kw − 1 − q]
    """
    O, Cg, kh, kw = weight.shape
    swapped = weight.reshape(G, O // G, Cg, kh, kw).swapaxes(1, 2)
    return swapped[:, :, :, ::-1, ::-1].reshape(G * Cg, O // G, kh, kw)


# ============================================================================
# vmap: the batch rule of the three convolutions
# ============================================================================
def _into_channels(t, order, sizes):
    """Images t (B…, N, C, H, W) (a stride-0 view where t has no batch dim) as (N, B·C, H, W): the channels
    of sample b are b·C … b·C + C − 1."""
    t = batching.expand(t, order, sizes)
    moved = batching.move_front(t, len(order), 1)                              # (N, B…, C, H, W)
    shape = batching.array_shape(moved)
    return batching.run(Reshape, moved, shape=(shape[0], -1) + shape[len(order) + 2:])


def _out_of_channels(out, order, sizes):
    """``_into_channels`` undone: (N, B·O, Ho, Wo) as the batched (B…, N, O, Ho, Wo)."""
    N, _, *rest = batching.array_shape(out)
    split = batching.run(Reshape, out, shape=(N,) + tuple(sizes) + (-1,) + tuple(rest))
    return batching.tag(batching.move_front(split, 1, len(order)), order)


def _stacked(t, order, sizes):
    """A weight (B…, O, …), one per sample, as one stack (B·O, …); None stays None."""
    if t is None:
        return None
    t = batching.expand(t, order, sizes)
    return batching.run(Reshape, t, shape=(-1,) + batching.array_shape(t)[len(order) + 1:])


def _conv_batch_rule(cls, args, kwargs):
    """vmap of Conv2d(x, w, b), ConvTranspose2d(g, w) and Conv2dWeightGrad(x, g): one call for the batch.

    - w (and b) the same for every sample: the batch dims join N, one convolution of B·N images
      (``batching.into_first_dim``);
    - w per sample (grad's view of a shared weight inside vmap is one: the weight stacked with stride 0),
      and always for Conv2dWeightGrad (whose result is a weight gradient per sample): a grouped
      convolution.  The images become (N, B·C, H, W), the weights (B·O, C/G, kh, kw), and B·G groups pair
      sample b's channels with sample b's kernels only; the B·O channels (or kernels) of the result are
      split back into the B samples.  So each sample gets its own weight, and its own weight gradient.
    """
    if cls is not Conv2dWeightGrad and not any(isinstance(a, batching.Batched) for a in args[1:]):
        return batching.into_first_dim(cls, args, kwargs)
    order, sizes = batching.union(args)
    grouped = replace(kwargs["geom"], groups=kwargs["geom"].groups * int(np.prod(sizes)))
    if cls is Conv2dWeightGrad:
        x, g = (_into_channels(a, order, sizes) for a in args)
        out = batching.run(cls, x, g, geom=grouped)                               # (B·O, C/G, kh, kw)
        return batching.tag(batching.run(Reshape, out, shape=tuple(sizes) + (-1,) + batching.array_shape(out)[1:]), order)
    stacks = [_stacked(a, order, sizes) for a in args[1:]]                       # the weight, and Conv2d's bias
    out = batching.run(cls, _into_channels(args[0], order, sizes), *stacks, geom=grouped)
    return _out_of_channels(out, order, sizes)


# ============================================================================
# the Functions
# ============================================================================
class Conv2d(Function):
    """out[n, o, i, j] = b[o] + Σ_{c, p, q} x_pad[n, c', i·s + p·d, j·s + q·d] · w[o, c, p, q]
    (per sample n and group γ: out_nγ = W_γ X_nγ, X_nγ the im2col columns)

    ∂L/∂x = ConvTranspose2d(g, w)        ∂L/∂w = Conv2dWeightGrad(x, g)        ∂L/∂b = Σ_{n, i, j} g

    x (N, C, H, W), w (O, C/G, kh, kw), b (O,) or None; ``geom`` is the window geometry (``_Geometry``).
    Primitive, not a composition (unfold, matmul, reshape): the graph keeps x and w, not the column
    matrix, which is kh·kw times the size of x; backward builds the columns again.
    vmap: see ``_conv_batch_rule`` (the batch joins N, or a grouped convolution when w is per sample).
    """
    batch_rule = _conv_batch_rule

    @staticmethod
    def forward(ctx, x, weight, bias, geom):
        ctx.geom = geom
        ctx.save_for_backward(x, weight)
        out = _convolve(x, weight, geom)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (ConvTranspose2d.compute(g, weight, geom=ctx.geom) if need[0] else None,
                Conv2dWeightGrad.compute(x, g, geom=ctx.geom) if need[1] else None,
                g.sum(axis=(0, 2, 3)) if need[2] else None)


class ConvTranspose2d(Function):
    """out = col2im(W_γᵀ g_nγ): the gradient of conv2d with respect to x, of x's shape (N, C, H, W)

    out[n, c', y, z] = Σ_{o, i, j, p, q: i·s + p·d = y + top, j·s + q·d = z + left} g[n, o, i, j] · w[o, c, p, q]

    ∂L/∂g = Conv2d(h, w)        ∂L/∂w = Conv2dWeightGrad(h, g)        (h = ∂L/∂out)

    (PyTorch's ``conv_transpose2d`` of g with w is this op.)  vmap: see ``_conv_batch_rule``.
    """
    batch_rule = _conv_batch_rule

    @staticmethod
    def forward(ctx, g, weight, geom):
        ctx.geom = geom
        ctx.save_for_backward(g, weight)
        flipped = _flipped_geometry(geom)
        if flipped is not None and g.shape[1] <= weight.shape[1] * geom.groups:
            # speed only: with stride 1 this is a convolution of g with the flipped kernels, a matmul on
            # columns that are cheaper to build than col2im's adds when g has no more channels than x
            return _convolve(g, _flipped_kernels(weight, geom.groups), flipped)
        (kh, kw), Ho, G, wide = geom.kernel, geom.out_size[0], geom.groups, geom.wide
        N, O, Cg = g.shape[0], weight.shape[0], weight.shape[1]
        out = np.empty_like(g, np.result_type(g, weight), shape=(N, G * Cg) + geom.size)  # (each part written below)
        rows = weight.reshape(G, O // G, -1).swapaxes(1, 2)                     # W_γᵀ (G, C/G·kh·kw, O/G)
        for part in _batch_parts(N, G * Cg, geom, out.itemsize, wide):
            cols = _matmul(rows, _by_group(g[part], geom, wide))                 # (n, G, C/G·kh·kw, Ho·width)
            out[part] = _add_windows(cols.reshape(-1, G * Cg, kh, kw, Ho, geom.width(wide)), geom, wide)
        return out

    @staticmethod
    def backward(ctx, h):
        g, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (Conv2d.compute(h, weight, None, geom=ctx.geom) if need[0] else None,
                Conv2dWeightGrad.compute(h, g, geom=ctx.geom) if need[1] else None)


class Conv2dWeightGrad(Function):
    """out = Σ_n g_nγ X_nγᵀ: the gradient of conv2d with respect to w, of w's shape (O, C/G, kh, kw)

    out[o, c, p, q] = Σ_{n, i, j} x_pad[n, c', i·s + p·d, j·s + q·d] · g[n, o, i, j]

    ∂L/∂x = ConvTranspose2d(g, h)        ∂L/∂g = Conv2d(x, h)        (h = ∂L/∂out)

    The columns here are the exact ones, never the wide layout's: its extra columns would multiply
    values of x by zeros of g, and 0 · ∞ is NaN.
    vmap: see ``_conv_batch_rule`` (a grouped convolution: a weight gradient per sample).
    """
    batch_rule = _conv_batch_rule

    @staticmethod
    def forward(ctx, x, g, geom):
        ctx.geom = geom
        ctx.save_for_backward(x, g)
        dwT = 0  # (∂L/∂W_γ)ᵀ = Σ_n X_nγ g_nγᵀ: the transpose, which BLAS computes faster here (speed only)
        for part in _batch_parts(x.shape[0], x.shape[1], geom, g.itemsize):
            cols = _columns(x[part], geom)                                       # X_nγ (n, G, C/G·kh·kw, Ho·Wo)
            dwT = dwT + (cols @ _by_group(g[part], geom).swapaxes(2, 3)).sum(axis=0)  # (G, C/G·kh·kw, O/G)
        return dwT.swapaxes(1, 2).reshape((g.shape[1], x.shape[1] // geom.groups) + geom.kernel)

    @staticmethod
    def backward(ctx, h):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (ConvTranspose2d.compute(g, h, geom=ctx.geom) if need[0] else None,
                Conv2d.compute(x, h, None, geom=ctx.geom) if need[1] else None)


class Unfold(Function):
    """out[n, (c, p, q), (i, j)] = x_pad[n, c, i·s + p·d, j·s + q·d]: im2col, (N, C·kh·kw, Ho·Wo)

    ∂L/∂x = Fold(g): each column's gradient added back to the window it came from (col2im).
    vmap: the batch dims join N (``batching.into_first_dim``).
    """
    batch_rule = batching.into_first_dim

    @staticmethod
    def forward(ctx, x, geom):
        ctx.geom = geom
        win = _windows(_padded(x, geom), geom)
        return win.reshape(win.shape[0], -1, win.shape[-2] * win.shape[-1])

    @staticmethod
    def backward(ctx, g):
        return Fold.compute(g, geom=ctx.geom)


class Fold(Function):
    """out = col2im(cols): each column (c, p, q) of window (i, j) added to x_pad[n, c, i·s + p·d, j·s + q·d],
    the padding then cut off; cols (N, C·kh·kw, Ho·Wo), out (N, C, H, W)

    ∂L/∂cols = Unfold(g): fold is unfold's adjoint (⟨fold(a), b⟩ = ⟨a, unfold(b)⟩).
    vmap: the batch dims join N (``batching.into_first_dim``).
    """
    batch_rule = batching.into_first_dim

    @staticmethod
    def forward(ctx, cols, geom):
        ctx.geom = geom
        (kh, kw), (Ho, Wo) = geom.kernel, geom.out_size
        return _add_windows(cols.reshape(cols.shape[0], -1, kh, kw, Ho, Wo), geom)

    @staticmethod
    def backward(ctx, g):
        return Unfold.compute(g, geom=ctx.geom)


# ============================================================================
# the function forms
# ============================================================================
def _conv_padding(op, padding, kernel, stride, dilation):
    """((lo, hi), …) per spatial dim from an int, a tuple, 'valid' (none) or 'same' (output size = input size)."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ValueError(f"{op}: Invalid padding string {padding!r}: use 'valid', 'same' or an int")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions (stride="
                             f"{stride}); use stride=1, or give the padding as an int")
        # d·(k − 1) zeros in all, half before; an even kernel's odd one goes at the end, as in PyTorch
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    pads = int_tuple(op, "padding", padding, n)
    if any(p < 0 for p in pads):
        raise ValueError(f"{op}: negative padding is not supported (padding={padding}); to crop the input, "
                         "slice it first")
    return tuple((p, p) for p in pads)


def _check_conv_input(op, dims, input, weight):
    """The input with a batch dim: (C, *spatial) gains one, (N, C, *spatial) is kept, anything else is an error."""
    if input.ndim == dims + 2:
        return input, False
    if input.ndim == dims + 1:
        return input.unsqueeze(0), True  # one unbatched sample, as in PyTorch
    spatial = ("L",) if dims == 1 else ("H", "W")
    fix = ""
    if input.ndim == dims:
        fix = (f"; for one sample with one channel use x.unsqueeze(0) (shape {as_list((1,) + tuple(input.shape))}"
               f" is (C, {', '.join(spatial)})), and x.unsqueeze(0).unsqueeze(0) for a batch of one")
    raise ValueError(f"{op}: Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, but got input "
                     f"of size: {as_list(input.shape)}; the layout is (N, C, {', '.join(spatial)}) with weight "
                     f"of shape {as_list(weight.shape)}{fix}")


def _check_conv_shapes(op, dims, x, weight, bias, groups, unbatched):
    """PyTorch's checks of the weight, the channels and the bias, with the fix."""
    if weight.ndim != dims + 2:
        raise ValueError(f"{op}: weight must be {dims + 2}-d (out_channels, in_channels/groups, "
                         f"{'kL' if dims == 1 else 'kH, kW'}), got weight of size {as_list(weight.shape)}")
    O, Cg = weight.shape[:2]
    if O % groups:
        raise ValueError(f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                         f"but got weight of size {as_list(weight.shape)} instead; out_channels must be a "
                         "multiple of groups")
    C = x.shape[1]
    if C != Cg * groups:
        shown = tuple(x.shape[1:]) if unbatched else tuple(x.shape)
        fix = (f"dim {0 if unbatched else 1} of the input is its channels: make the layer's in_channels {C}, or "
               f"give it an input with {Cg * groups} channels")
        if x.shape[-1] == Cg * groups and dims == 2:
            fix += (f"; the last dim is {Cg * groups}: channels-last images (N, H, W, C) become (N, C, H, W) "
                    "with x.permute(0, 3, 1, 2)")
        elif unbatched and Cg * groups == 1:
            fix += ("; a 3-d input is one unbatched sample (C, H, W): a batch of one-channel images (N, H, W) "
                    "needs x.unsqueeze(1)" if dims == 2 else "; a 2-d input is one sample (C, L): a batch of "
                    "one-channel signals (N, L) needs x.unsqueeze(1)")
        raise ValueError(f"{op}: Given groups={groups}, weight of size {as_list(weight.shape)}, expected "
                         f"input{as_list(shown)} to have {Cg * groups} channels, but got {C} channels "
                         f"instead; {fix}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != O):
        raise ValueError(f"{op}: Given weight of size {as_list(weight.shape)}, expected bias to be 1-dimensional "
                         f"with {O} elements, but got bias of size {as_list(bias.shape)} instead")


def _check_window_fits(op, geom, dims):
    """The (dilated) kernel must fit in the padded input."""
    padded, kernel = geom.padded[2 - dims:], geom.kernel[2 - dims:]
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, geom.dilation[2 - dims:]))
    if any(e > n for e, n in zip(effective, padded)):
        raise ValueError(f"{op}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                         f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater than "
                         "actual input size; pad the input (padding=...), use a smaller kernel or dilation, or "
                         "feed larger inputs")


def _conv(op, dims, input, weight, bias, stride, padding, dilation, groups):
    """conv1d and conv2d: check, lift a 1-d convolution to a 2-d one of height 1, run ``Conv2d``."""
    check_tensor(op, input)
    check_tensor(op, weight)
    if bias is not None:
        check_tensor(op, bias)
    stride, dilation = int_tuple(op, "stride", stride, dims), int_tuple(op, "dilation", dilation, dims)
    if any(s <= 0 for s in stride):
        raise ValueError(f"{op}: non-positive stride is not supported (stride={stride}); use stride >= 1")
    if any(d <= 0 for d in dilation):
        raise ValueError(f"{op}: dilation should be greater than zero (dilation={dilation}); 1 is no dilation")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(f"{op}: non-positive groups is not supported (groups={groups!r}); use groups >= 1")
    x, unbatched = _check_conv_input(op, dims, input, weight)
    _check_conv_shapes(op, dims, x, weight, bias, int(groups), unbatched)
    kernel = tuple(weight.shape[2:])
    pads = _conv_padding(op, padding, kernel, stride, dilation)
    x, weight, bias = _same_dtype(x if x.dtype.kind == "f" else x.float(), weight, bias)
    if dims == 1:  # (N, C, L) as (N, C, 1, L): a 2-d convolution with a kernel of height 1
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        kernel, stride, dilation, pads = (1,) + kernel, (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    geom = _Geometry(kernel, stride, dilation, pads, tuple(x.shape[2:]), int(groups))
    _check_window_fits(op, geom, dims)
    out = Conv2d.apply(x, weight, bias, geom=geom)
    if dims == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """A 2-d convolution (cross-correlation) of ``input`` with ``weight`` (see ``Conv2d`` for the formula).

    - input: (N, C_in, H, W), or (C_in, H, W) for one sample (the result then has no batch dim either);
    - weight: (C_out, C_in/groups, kH, kW); bias: (C_out,) or None;
    - stride, dilation: an int or a pair; padding: an int, a pair, 'valid' (0) or 'same' (stride 1 only:
      the output has the input's size; an even kernel gets the extra zero at the bottom / right);
    - groups: the channels split into groups convolved separately (groups = C_in: one kernel per channel).

    Output (N, C_out, Ho, Wo), Ho = ⌊(H + 2·padding − dilation·(kH − 1) − 1) / stride⌋ + 1, likewise Wo.
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """A 1-d convolution: input (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k); as ``conv2d``.

    Output length Lo = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.  Computed as a 2-d
    convolution of height 1.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _batched(op, input, ndim, layout):
    """input with its batch dim (an unbatched one gains it), and whether it was unbatched."""
    check_tensor(op, input)
    if input.ndim not in (ndim - 1, ndim):
        raise ValueError(f"{op}: Input Error: Only unbatched ({ndim - 1}D) or batched ({ndim}D) input Tensors are "
                         f"supported (got {input.ndim}D, shape {as_list(input.shape)}); the layout is {layout}")
    return (input.unsqueeze(0), True) if input.ndim == ndim - 1 else (input, False)


def _fold_geometry(op, kernel_size, dilation, padding, stride, size):
    kernel, dilation = int_tuple(op, "kernel_size", kernel_size, 2), int_tuple(op, "dilation", dilation, 2)
    padding, stride = int_tuple(op, "padding", padding, 2), int_tuple(op, "stride", stride, 2)
    for name, values, low in (("kernel_size", kernel, 1), ("dilation", dilation, 1), ("stride", stride, 1),
                              ("padding", padding, 0)):
        if any(v < low for v in values):
            raise ValueError(f"{op}: {name} must be {'non-negative' if low == 0 else 'positive'}, got {values}")
    return _Geometry(kernel, stride, dilation, tuple((p, p) for p in padding), size)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: each sliding window of ``input`` (N, C, H, W) as a column; out (N, C·kh·kw, L), L = Ho·Wo.

    out[n, c·kh·kw + p·kw + q, i·Wo + j] = x_pad[n, c, i·s + p·d, j·s + q·d] (see ``Unfold``).  Then
    ``conv2d(x, w)`` is ``(w.view(O, -1) @ unfold(x, k)).view(N, O, Ho, Wo)``.
    """
    op = "unfold"
    x, unbatched = _batched(op, input, 4, "(N, C, H, W)")
    geom = _fold_geometry(op, kernel_size, dilation, padding, stride, tuple(x.shape[2:]))
    if any(n < 1 for n in geom.out_size):
        raise ValueError(f"{op}: Given input with spatial size {as_list(x.shape[2:])}, kernel_size="
                         f"{geom.kernel}, dilation={geom.dilation}, padding={tuple(p for p, _ in geom.padding)}, "
                         f"calculated shape of the array of sliding blocks as {as_list(geom.out_size)}, but its "
                         "components must be at least one; use a smaller kernel or more padding")
    out = Unfold.apply(x if x.dtype.kind == "f" else x.float(), geom=geom)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of ``unfold``: columns (N, C·kh·kw, L) added into an (N, C, *output_size) image.

    Where windows overlap their values add up; ``fold(unfold(x))`` is x times the number of windows
    covering each pixel (see ``Fold``).
    """
    op = "fold"
    x, unbatched = _batched(op, input, 3, "(N, C·kh·kw, L)")
    geom = _fold_geometry(op, kernel_size, dilation, padding, stride, int_tuple(op, "output_size", output_size, 2))
    kh, kw = geom.kernel
    blocks = geom.out_size
    if x.shape[1] % (kh * kw):
        raise ValueError(f"{op}: Expected size of input's dimension 1 to be divisible by the product of "
                         f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={geom.kernel}")
    if min(blocks) < 1 or x.shape[2] != blocks[0] * blocks[1]:
        raise ValueError(f"{op}: Given output_size={geom.size}, kernel_size={geom.kernel}, dilation="
                         f"{geom.dilation}, padding={tuple(p for p, _ in geom.padding)}, stride={geom.stride}, "
                         f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                         f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}")
    out = Fold.apply(x if x.dtype.kind == "f" else x.float(), geom=geom)
    return out.squeeze(0) if unbatched else out
