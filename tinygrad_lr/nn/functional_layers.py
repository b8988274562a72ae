"""The layers of a character-level GPT as functions: ``F.embedding``, ``F.layer_norm``, ``F.batch_norm``,
``F.scaled_dot_product_attention`` (re-exported by ``nn.functional``, so ``F.layer_norm`` is this one).

Three are ``autograd.Function`` s, written as a user writes a custom op, forward and backward side by
side.  The two normalisations share one derivation: with x̂ = (x − μ)/σ over some dims (μ the mean,
σ² = mean (x − μ)² + ε) and ĝ = ∂L/∂x̂,

    ∂L/∂x = (1/σ) · (ĝ − mean ĝ − x̂ · mean(ĝ · x̂))

(μ and σ depend on every x, hence the two subtracted means; ``_normalized_backward``).  Layer norm
takes the means over each sample's last dims, batch norm over the batch for each channel.
Attention is a composition of the ops (matmul, masked_fill, softmax, dropout): autograd
differentiates it with no formula of its own.

Banners: the Functions; the function forms.
"""
import math

import numpy as np

from ..core import Tensor
from ..core import batching, dtypes, internal
from ..core.function import Function
from ..core.primitives import Index, IndexAdd, Permute, Reshape
from .arguments import check_tensor
from .functional_dropout import dropout


# ============================================================================
# the Functions
# ============================================================================
def _scatter_rows(g, indices, shape):
    """zeros(shape) with each row g[i…] added to row indices[i…]: Σ over repeated indices (np.add.at's
    result, computed as one bincount over (row, column) pairs, several times faster)."""
    rows, cols = shape
    flat = (indices.reshape(-1, 1).astype(np.intp, copy=False) * cols + np.arange(cols)).reshape(-1)
    summed = np.bincount(flat, weights=g.reshape(-1), minlength=rows * cols)
    return summed.reshape(shape).astype(g.dtype, copy=False)


class Embedding(Function):
    """out[i…] = W[idx[i…]]       ∂L/∂W[j] = Σ_{i…: idx[i…] = j} g[i…]  (0 for j = padding_idx)

    A lookup of rows; its gradient is a scatter-add: each output row's gradient goes back to the
    row of W it was read from, and a row read k times gets the sum of its k gradients.  With
    ``scale_grad_by_freq`` each g[i…] is first divided by k, the count of idx[i…] in the batch.
    ``factor`` holds those weights (1/k, and 0 where idx is padding_idx), or None.

    Fused, not a composition (W[idx], the ``Index`` op): padding_idx and scale_grad_by_freq change
    the gradient, and the scatter-add is one bincount instead of np.add.at (speed).
    """
    @staticmethod
    def forward(ctx, weight, indices, factor):
        ctx.indices, ctx.factor, ctx.shape = indices, factor, weight.shape
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        if ctx.factor is not None:
            g = g * ctx.factor
        if isinstance(g, np.ndarray):  # speed only: the bincount; on Tensors (create_graph) the same sum, recorded
            return _scatter_rows(g, ctx.indices, ctx.shape)
        return IndexAdd.compute(g, shape=ctx.shape, index=ctx.indices)


def _normalize(x, axes, eps):
    """(x̂, 1/σ, μ, σ²) over ``axes`` (kept as size 1): μ = mean x, σ² = mean (x − μ)² (biased), x̂ = (x − μ)/√(σ² + ε).

    Array syntax: forward runs it on arrays, backward under create_graph on Tensors (so it is recorded)."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    rstd = (var + eps) ** -0.5
    return centered * rstd, rstd, mean, var


def _normalized_backward(g_hat, x_hat, rstd, axes):
    """∂L/∂x = (1/σ) · (ĝ − mean ĝ − x̂ · mean(ĝ · x̂)), the means over ``axes``, for ĝ = ∂L/∂x̂."""
    return rstd * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                   - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True))


class LayerNorm(Function):
    """out = x̂ · γ + β,   x̂ = (x − μ)/√(σ² + ε),   μ = mean x,  σ² = mean (x − μ)², over the last dims

    ∂L/∂x = (1/σ) · (ĝ − mean ĝ − x̂ · mean(ĝ · x̂)),  ĝ = g · γ   (means over the normalized dims)
    ∂L/∂γ = Σ_rows g · x̂          ∂L/∂β = Σ_rows g              (rows: every leading index)

    ``axes`` are the last len(normalized_shape) dims; γ and β have the shape normalized_shape, or are None.
    Fused, not a composition (mean, sub, mul, mean, add, pow, mul, then γ and β): a clearer derivation,
    the textbook formula above, and one node instead of about ten.
    vmap: the axes past the batch dims; γ and β batched (one per sample) are applied after, composed.
    """
    @staticmethod
    def batch_rule(cls, args, kwargs):
        x, weight, bias = args
        nb = len(batching.levels(x))
        axes = batching.shift(kwargs["axes"], nb, len(batching.array_shape(x)) - nb)
        if not isinstance(weight, batching.Batched) and not isinstance(bias, batching.Batched):
            return batching.tag(batching.run(cls, x, weight, bias, axes=axes, eps=kwargs["eps"]), batching.levels(x))
        out = batching.tag(batching.run(cls, x, None, None, axes=axes, eps=kwargs["eps"]), batching.levels(x))
        out = out if weight is None else out * weight
        return out if bias is None else out + bias

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps):
        ctx.axes, ctx.eps = axes, eps
        x_hat, rstd, _, _ = _normalize(x, axes, eps)
        ctx.save_for_backward(x, weight)
        ctx.x_hat, ctx.rstd = x_hat, rstd  # speed only: backward on arrays reuses them
        out = x_hat if weight is None else x_hat * weight
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        if isinstance(x, np.ndarray):
            x_hat, rstd = ctx.x_hat, ctx.rstd
        else:  # create_graph: recomputed from x in the graph, so that it is differentiated too
            x_hat, rstd, _, _ = _normalize(x, ctx.axes, ctx.eps)
        rows = (-1,) + tuple(x.shape[x.ndim - len(ctx.axes):])
        return (_normalized_backward(g if weight is None else g * weight, x_hat, rstd, ctx.axes)
                if ctx.needs_input_grad[0] else None,
                (g * x_hat).reshape(rows).sum(axis=0) if ctx.needs_input_grad[1] else None,
                g.reshape(rows).sum(axis=0) if ctx.needs_input_grad[2] else None)


def _channel_sums(a, b=None):
    """Σ a (or Σ a·b) over every dim but 1, one number per channel: a (N, C, …) viewed as (N, C, P) and summed by
    einsum, which is several times faster than ``sum(axis=(0, 2, 3))`` here (speed only)."""
    a3 = a.reshape(a.shape[0], a.shape[1], -1)
    return np.einsum("ncp->c", a3) if b is None else np.einsum("ncp,ncp->c", a3, b.reshape(a3.shape))


def _channel_statistics(x, eps):
    """(x̂, 1/σ, μ, σ²) of each channel of x (N, C, …): μ = Σx/n, σ² = Σ(x − μ)²/n, x̂ = (x − μ)/√(σ² + ε);
    1/σ, μ, σ² of shape (C,).  BatchNorm's forward on arrays (``_normalize``'s numbers, summed faster: speed
    only)."""
    shape = (x.shape[1],) + (1,) * (x.ndim - 2)
    n = x.size // x.shape[1]
    mean = _channel_sums(x) / n
    x_hat = x - mean.reshape(shape)                 # (x − μ, scaled in place below into x̂)
    var = _channel_sums(x_hat, x_hat) / n
    rstd = (var + eps) ** -0.5
    x_hat *= rstd.reshape(shape)
    return x_hat, rstd, mean, var


class BatchNorm(Function):
    """out = x̂ · γ + β,   x̂ = (x − μ)/√(σ² + ε),   μ, σ² the mean and (biased) variance of each channel

    ∂L/∂x = 1/(nσ) · (n·ĝ − Σĝ − x̂ · Σ(ĝ · x̂)),  ĝ = g · γ
    ∂L/∂γ = Σ g · x̂          ∂L/∂β = Σ g

    x is (N, C) or (N, C, L, …); the channels are dim 1 and every sum runs over the other dims, whose
    n elements per channel are the batch the statistics come from.  The ∂L/∂x formula is layer
    norm's, (1/σ)(ĝ − mean ĝ − x̂ · mean(ĝ · x̂)), with the means over those n.  ``running``, if
    given, is (running_mean, running_var, momentum): forward moves the running estimates toward
    this batch's, with the unbiased variance, as PyTorch does (they are buffers: no gradient).

    Fused, not a composition: the same reasons as LayerNorm (the textbook formula, one node).
    Speed (on arrays; the formulas stay the ones above): the per-channel sums are einsum's; the two sums
    ∂L/∂γ and ∂L/∂β need are the ones ∂L/∂x needs, since Σĝ = γ·Σg and Σ(ĝ · x̂) = γ·Σ(g · x̂), so
    ∂L/∂x = (γ/σ) · (g − Σg/n − x̂ · Σ(g · x̂)/n), γ/σ one scale per channel.  Under create_graph the
    backward is the same formula in array syntax, on Tensors (so it can be differentiated again).
    vmap: each sample is a batch of its own: the batch dims join the channels (statistics per sample and
    channel), and γ, β are applied after, composed.  Running statistics are not batched (PyTorch refuses too).
    """
    @staticmethod
    def batch_rule(cls, args, kwargs):
        x, weight, bias = args
        if kwargs["running"] is not None:
            raise RuntimeError("vmap: batch_norm in training mode updates its running statistics, one pair for "
                               "every sample at once: not supported (PyTorch refuses too). Use a BatchNorm with "
                               "track_running_stats=False, or eval() mode, inside vmap")
        order = batching.levels(x)
        if order:  # (N, C, …) per sample → (N, samples·C, …): one batch norm, a channel per sample and channel
            nb, shape = len(order), batching.array_shape(x)
            moved = batching.run(Permute, x, dims=(nb,) + tuple(range(nb)) + tuple(range(nb + 1, len(shape))))
            flat = batching.run(Reshape, moved, shape=(shape[nb], -1) + shape[nb + 2:])
            out = batching.run(cls, flat, None, None, eps=kwargs["eps"], running=None)
            out = batching.run(Reshape, out, shape=(shape[nb],) + shape[:nb] + shape[nb + 1:])
            out = batching.tag(batching.run(Permute, out, dims=tuple(range(1, nb + 1)) + (0,) + tuple(
                range(nb + 1, len(shape)))), order)
        else:
            out = cls.apply(x, None, None, eps=kwargs["eps"], running=None)
        channels = (out.shape[1],) + (1,) * (out.ndim - 2)
        out = out if weight is None else out * weight.reshape(channels)
        return out if bias is None else out + bias.reshape(channels)

    @staticmethod
    def forward(ctx, x, weight, bias, eps, running):
        ctx.axes, ctx.eps = (0,) + tuple(range(2, x.ndim)), eps
        ctx.channel_shape = (x.shape[1],) + (1,) * (x.ndim - 2)  # γ and β broadcast along dim 1
        x_hat, rstd, mean, var = _channel_statistics(x, eps)
        if running is not None:
            running_mean, running_var, momentum = running
            n = x.size // x.shape[1]
            running_mean[...] = momentum * mean + (1 - momentum) * running_mean
            running_var[...] = momentum * (var * (n / (n - 1))) + (1 - momentum) * running_var
        ctx.save_for_backward(x, weight)
        ctx.x_hat, ctx.rstd = x_hat, rstd  # speed only: backward on arrays reuses them
        out = x_hat * weight.reshape(ctx.channel_shape) if weight is not None else x_hat.copy()  # (x̂ stays ctx's)
        if bias is not None:
            out += bias.reshape(ctx.channel_shape)
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        if isinstance(x, np.ndarray):  # speed only: the two sums, then ∂L/∂x from them (see the docstring)
            x_hat, n = ctx.x_hat, x.size // x.shape[1]
            sum_g, sum_gx = _channel_sums(g), _channel_sums(g, x_hat)
            grad_x = None
            if need[0]:
                scale = ctx.rstd if weight is None else weight * ctx.rstd                      # γ/σ
                grad_x = x_hat * (-sum_gx / n).reshape(ctx.channel_shape)
                grad_x += g
                grad_x -= (sum_g / n).reshape(ctx.channel_shape)
                grad_x *= scale.reshape(ctx.channel_shape)
            return grad_x, sum_gx if need[1] else None, sum_g if need[2] else None
        # create_graph: x̂ recomputed from x in the graph, so that it is differentiated too
        x_hat, rstd, _, _ = _normalize(x, ctx.axes, ctx.eps)
        g_hat = g if weight is None else g * weight.reshape(ctx.channel_shape)
        return (_normalized_backward(g_hat, x_hat, rstd, ctx.axes) if need[0] else None,
                (g * x_hat).sum(axis=ctx.axes) if need[1] else None,
                g.sum(axis=ctx.axes) if need[2] else None)


# ============================================================================
# the function forms
# ============================================================================
def _same_dtype(x, *others):
    """x and the others (None stays None) in one dtype, promoted as matmul would (float64 data, float32 layer)."""
    ts = [t for t in (x,) + others if t is not None]
    if all(t.dtype == x.dtype for t in ts):
        return (x,) + others
    dt = dtypes.result_dtype(*(internal.values(t) for t in ts))
    return tuple(None if t is None else t.to(dt) for t in (x,) + others)


def _padding_idx(op, padding_idx, num_embeddings):
    """padding_idx as an index in 0 … num_embeddings − 1 (a negative one counts from the end), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{op}: padding_idx={padding_idx} must be within num_embeddings={num_embeddings} "
                         f"(from {-num_embeddings} to {num_embeddings - 1})")
    return int(padding_idx) % num_embeddings


def _check_indices(op, input, num_embeddings, weight_shape):
    """The index array of ``input``: integers in 0 … num_embeddings − 1, or an error that says which one is not."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor of indices, got {type(input).__name__}; "
                        "convert it with tinygrad_lr.tensor(...)")
    idx = internal.values(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers (int64), got {dtypes.dtype_name(idx.dtype)} of shape "
                        f"{tuple(idx.shape)}; convert them with .long() (an embedding looks up one row per index)")
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= num_embeddings:
            bad = low if low < 0 else high
            fix = ("negative indices do not count from the end here" if bad < 0 else
                   f"make num_embeddings the vocabulary size (at least {high + 1}), or map the tokens to "
                   f"0 … {num_embeddings - 1}")
            raise IndexError(f"{op}: index {bad} is out of range for num_embeddings={num_embeddings} (weight of "
                             f"shape {tuple(weight_shape)}); indices must be in 0 … {num_embeddings - 1}: {fix}")
    return idx


def _embedding_renorm_(weight, idx, max_norm, norm_type):
    """Rescale, in place, each row of W that ``idx`` looks up and whose norm exceeds max_norm to norm
    max_norm (PyTorch's rule: scale = max_norm / (norm + 1e−7)); outside any graph."""
    w = internal.values(weight)
    rows = np.unique(idx)
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        w[rows[big]] *= (max_norm / (norms[big] + 1e-7)).astype(w.dtype)[:, None]
        internal.mark_changed(weight)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """out[i…] = weight[input[i…]]: the row of ``weight`` for each index (see ``Embedding``).

    - input: int64 indices of any shape, each in 0 … num_embeddings − 1;
    - weight: (num_embeddings, embedding_dim); out has shape input.shape + (embedding_dim,);
    - padding_idx: its row gets no gradient (it stays as it is, usually zeros);
    - max_norm: each looked-up row whose norm_type-norm exceeds max_norm is first rescaled, in
      place, to that norm (PyTorch's rule);
    - scale_grad_by_freq: each index's gradient is divided by how often it occurs in the batch.

    ∂L/∂weight[j] = Σ of the output gradients of the positions where input is j (a scatter-add).
    """
    op = "embedding"
    check_tensor(op, weight)
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-d (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    if sparse:
        raise NotImplementedError(f"{op}: sparse=True (a sparse gradient) is not supported: tinygrad_lr has dense "
                                  "tensors only; use sparse=False (the gradient is then a dense tensor of the "
                                  "weight's shape, which every optimizer takes)")
    num_embeddings = weight.shape[0]
    if batching.on and batching.takes((input, weight), {}):
        if max_norm is not None:
            raise RuntimeError(f"{op}: max_norm rescales the weight in place, which vmap does not batch; renormalise "
                               "the weight before vmap")
        return _batched_embedding(op, input, weight, padding_idx, scale_grad_by_freq)
    idx = _check_indices(op, input, num_embeddings, weight.shape)
    padding_idx = _padding_idx(op, padding_idx, num_embeddings)
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    factor = None
    if weight.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        factor = np.ones(idx.shape, weight.dtype)
        if scale_grad_by_freq:
            factor /= np.bincount(idx.reshape(-1), minlength=num_embeddings)[idx]
        if padding_idx is not None:
            factor[idx == padding_idx] = 0
        factor = factor[..., None]
    return Embedding.apply(weight, indices=idx, factor=factor)


def _frequency_factor(idx, nb, num_embeddings, dtype, padding_idx, scale_grad_by_freq):
    """Embedding's ``factor`` for the indices ``idx`` whose first ``nb`` dims are batch dims (inside vmap): the
    counts are each sample's own."""
    factor = np.ones(idx.shape, dtype)
    if scale_grad_by_freq:
        rows = idx.reshape(int(np.prod(idx.shape[:nb])), -1)
        offset = np.arange(rows.shape[0])[:, None] * num_embeddings
        counts = np.bincount((rows + offset).reshape(-1), minlength=rows.shape[0] * num_embeddings)
        factor /= counts[rows + offset].reshape(idx.shape)
    if padding_idx is not None:
        factor[idx == padding_idx] = 0
    return factor[..., None]


def _batched_embedding(op, input, weight, padding_idx, scale_grad_by_freq):
    """embedding inside vmap.  Shared weight, indices per sample: one lookup of all of them.  A weight per sample
    (grad's view of it): each sample's indices look up in its own weight (an arange for each batch dim); the
    gradient is scaled by Embedding's factor as y·f + (y − y·f).detach() (the value y, the gradient g·f)."""
    order, sizes = batching.union((input, weight))
    nb = len(order)
    num = weight.shape[0]
    idx = _check_indices(op, batching.expand(input, order, sizes), num, weight.shape)  # (the batch's array)
    padding_idx = _padding_idx(op, padding_idx, num)
    factor = None
    if weight.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        factor = _frequency_factor(idx, nb, num, weight.dtype, padding_idx, scale_grad_by_freq)
    if not isinstance(weight, batching.Batched):
        return batching.tag(Embedding.apply(weight, indices=idx, factor=factor), order)
    aranges = tuple(np.arange(n).reshape((1,) * i + (n,) + (1,) * (nb - 1 - i + idx.ndim - nb))
                    for i, n in enumerate(sizes))
    out = batching.tag(batching.run(Index, batching.expand(weight, order, sizes), index=aranges + (idx,)), order)
    if factor is None:
        return out
    f = batching.like(out, np.broadcast_to(factor, batching.array_shape(out)))
    return out * f + (out - out * f).detach()


def _shape_tuple(op, normalized_shape):
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    try:
        return tuple(int(n) for n in normalized_shape)
    except TypeError:
        raise TypeError(f"{op}: normalized_shape must be an int or a sequence of ints, "
                        f"got {normalized_shape!r}") from None


def as_list(shape):
    return "[" + ", ".join(str(n) for n in shape) + "]"


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """out = (x − μ)/√(σ² + ε) · weight + bias, μ and σ² over the last len(normalized_shape) dims (see ``LayerNorm``).

    The trailing dims of ``input`` must equal ``normalized_shape``; ``weight`` and ``bias``, if given,
    have that shape.  The variance is the biased one (divided by n), as in PyTorch.
    """
    op = "layer_norm"
    check_tensor(op, input)
    shape = _shape_tuple(op, normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"{op}: Given normalized_shape={as_list(shape)}, expected input with shape "
                         f"[*, {', '.join(str(n) for n in shape)}], but got input of size{as_list(input.shape)}; "
                         "normalized_shape must be the last dims of the input: LayerNorm(n_embd) for input of "
                         "shape (B, T, n_embd)")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{op}: Expected {name} to be of same shape as normalized_shape, but got {name} of "
                             f"shape {as_list(t.shape)} and normalized_shape = {as_list(shape)}")
    input, weight, bias = _same_dtype(input if input.dtype.kind == "f" else input.float(), weight, bias)
    return LayerNorm.apply(input, weight, bias, axes=tuple(range(input.ndim - k, input.ndim)), eps=eps)


def _check_channels(op, input, name, t):
    channels = input.shape[1]
    if t is not None and t.numel() != channels:
        text = (f"{op}: {name} should contain {channels} elements not {t.numel()}: the input of shape "
                f"{tuple(input.shape)} has {channels} channels in dim 1")
        if input.ndim == 3 and input.shape[2] == t.numel():
            raise ValueError(f"{text}, but {t.numel()} in its last dim. It looks like (N, L, C): transpose it to "
                             "(N, C, L) with x.transpose(1, 2)")
        raise ValueError(f"{text}, so num_features must be {channels}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of ``input`` (N, C) or (N, C, L, …), then scale by weight and shift by bias.

    - training=True: with the mean and (biased) variance of this batch, over every dim but 1 (see
      ``BatchNorm``); ``running_mean`` and ``running_var``, if given, move in place toward the
      batch's mean and unbiased variance: r ← (1 − momentum)·r + momentum·batch value;
    - training=False: with ``running_mean`` and ``running_var`` (constants):
      out = (x − running_mean)/√(running_var + ε) · weight + bias.
    """
    op = "batch_norm"
    check_tensor(op, input)
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C) or (N, C, L, ...), got shape {tuple(input.shape)}")
    if training and input.numel() // input.shape[1] == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}. "
                         "The variance of one value is 0: train with batches of 2 or more samples (a last batch "
                         "of one: DataLoader(..., drop_last=True)), or call model.eval() first to use the running "
                         "statistics")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_channels(op, input, name, t)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: running_mean must be defined in evaluation mode (training=False); pass the "
                             "running statistics, or training=True to use the batch's")
        shape = (input.shape[1],) + (1,) * (input.ndim - 2)
        # PyTorch's order: out = x·α + β with α = γ/√(σ² + ε), β = b − μ·α (the running μ, σ² are constants)
        alpha = ((running_var + eps) ** -0.5).reshape(shape)
        alpha = alpha if weight is None else alpha * weight.reshape(shape)
        beta = -running_mean.reshape(shape) * alpha
        beta = beta if bias is None else beta + bias.reshape(shape)
        return input * alpha + beta
    running = None
    if running_mean is not None and running_var is not None:
        running = (internal.values(running_mean), internal.values(running_var), momentum)
    input, weight, bias = _same_dtype(input if input.dtype.kind == "f" else input.float(), weight, bias)
    out = BatchNorm.apply(input, weight, bias, eps=eps, running=running)
    if running is not None:  # written in place by forward: graphs that saved them must know
        internal.mark_changed(running_mean)
        internal.mark_changed(running_var)
    return out


def _repeat_heads(op, t, heads):
    """(…, H, S, E) → (…, heads, S, E), each head repeated heads/H times in place (repeat_interleave on dim −3)."""
    h = t.shape[-3]
    if heads % h:
        raise ValueError(f"{op}: enable_gqa needs the query's number of heads ({heads}) to be a multiple of the "
                         f"key's and value's ({h})")
    lead = tuple(t.shape[:-3])
    return t.unsqueeze(-3).expand(lead + (h, heads // h) + tuple(t.shape[-2:])).reshape(
        lead + (heads,) + tuple(t.shape[-2:]))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(Q Kᵀ · s + M) V: attention, composed of matmul, masked_fill, softmax and dropout.

    - query (…, L, E), key (…, S, E), value (…, S, Ev); the result is (…, L, Ev); leading dims broadcast;
    - s = 1/√E unless ``scale`` is given;
    - attn_mask (broadcasting to (…, L, S)): a bool mask says which positions take part (True: attend;
      False: M = −∞), a float mask is added to the scores;
    - is_causal=True: position i attends to positions 0 … i only (the mask tril(ones(L, S)));
    - dropout_p: dropout on the attention weights (always, as in PyTorch: pass 0.0 when evaluating);
    - enable_gqa: key and value may have fewer heads (dim −3), each shared by a group of query heads.

    A row of the scores masked entirely gives weights 0 (not the NaN of a softmax of −∞), as in PyTorch.
    """
    op = "scaled_dot_product_attention"
    for t in (query, key, value):
        check_tensor(op, t)
    if min(query.ndim, key.ndim, value.ndim) < 2 or key.shape[-1] != query.shape[-1] or \
            value.shape[-2] != key.shape[-2]:
        raise ValueError(f"{op}: expected query (…, L, E), key (…, S, E) and value (…, S, Ev), got shapes "
                         f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: Explicit attn_mask should not be set when is_causal=True; pass one or the other "
                         "(is_causal=True is the mask tril(ones(L, S)))")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        key, value = _repeat_heads(op, key, query.shape[-3]), _repeat_heads(op, value, query.shape[-3])
    L, S = query.shape[-2], key.shape[-2]
    s = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * s
    if is_causal:
        attn_mask = internal.wrap(np.tril(np.ones((L, S), dtype=bool)))
    if attn_mask is not None:
        check_tensor(op, attn_mask)
        if attn_mask.dtype == np.bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    dead = None
    if attn_mask is not None:
        rows = np.all(internal.values(scores) == -math.inf, axis=-1, keepdims=True)  # nothing to attend to
        if rows.any():
            dead = batching.like(scores, rows)  # (inside vmap: batched as the scores are)
            scores = scores.masked_fill(dead, 0.0)  # a finite softmax there (zeroed below): no NaN, forward or back
    weights = scores.softmax(-1)
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value
