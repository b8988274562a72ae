"""``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d``: normalise activations to mean 0 and variance 1, then scale, shift.

Both compute x̂ = (x − μ)/√(σ² + ε) and out = x̂ · γ + β; they differ in what μ and σ² are taken over:

- ``LayerNorm``: each sample's last dims (the features of one token), the same in training and
  evaluation;
- ``BatchNorm1d``, ``BatchNorm2d``: each channel over the batch (and its length or pixels), in
  training; in evaluation, running estimates gathered during training (buffers, saved by
  ``state_dict``).

The math and the backward formula are in ``functional_layers`` (``LayerNorm``, ``BatchNorm``).
"""
import numpy as np

from ..core import dtypes
from ..ops.creation import ones, tensor, zeros
from ..core.grad_mode import no_grad
from . import functional as F
from . import init
from .functional_layers import _shape_tuple
from .module import Module
from .parameter import Parameter


def _float_dtype(op, dtype):
    dt = dtypes.to_dtype(dtype, op) or dtypes.get_default_dtype()
    if not dtypes.is_floating(dt):
        raise TypeError(f"{op}: parameters need a floating dtype, got {dtypes.dtype_name(dt)}")
    return dt


class LayerNorm(Module):
    """out = (x − μ)/√(σ² + ε) · γ + β, with μ and σ² the mean and variance of each sample's last dims.

    In a transformer block, ``nn.LayerNorm(n_embd)`` normalises each token's vector of n_embd features
    on its own: no batch statistics, so training and evaluation compute the same thing.  σ² is the
    biased variance (divided by n), as in PyTorch.  γ starts at ones, β at zeros.

    Args:
        normalized_shape: the trailing shape to normalise over: an int (the last dim) or a tuple.
        eps: added to σ² for stability (default 1e-5).
        elementwise_affine: learn γ and β (of shape normalized_shape); False: out = x̂.
        bias: learn β too (with elementwise_affine).
        dtype: of the parameters (default: the default dtype).

    Shape:
        - input: (*, *normalized_shape);  output: the same shape.

    Example::

        >>> ln = nn.LayerNorm(16)
        >>> ln(tinygrad_lr.randn(4, 8, 16)).shape
        torch.Size([4, 8, 16])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple("LayerNorm", normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = _float_dtype("LayerNorm", dtype)
        if elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(np.empty(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """γ = 1, β = 0: the layer starts as the plain normalisation."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: the parameters γ, β, the running estimates, and the forward.

    out = (x − μ)/√(σ² + ε) · γ + β per channel (dim 1).  In training (``model.train()``) μ and σ² are
    the mean and biased variance of each channel over every other dim (the batch, and the length or
    the pixels), and the running estimates move toward them:

        running_mean ← (1 − momentum) · running_mean + momentum · μ
        running_var  ← (1 − momentum) · running_var  + momentum · σ² · n/(n − 1)   (unbiased)

    with momentum=None the cumulative average of all batches so far (momentum = 1/num_batches_tracked).
    In evaluation (``model.eval()``) they replace the batch's statistics, so one sample at a time
    gives the same answer as a batch.  With track_running_stats=False the batch's statistics are
    always used.  γ starts at ones, β at zeros; the running estimates at 0 and 1.  The subclasses
    differ only in the input dims they accept (``_dims``, ``_shapes``).
    """
    _dims, _shapes = (), ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        op = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 0:
            raise ValueError(f"{op}: num_features must be a number of channels >= 0, got {num_features!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = _float_dtype(op, dtype)
        if affine:
            self.weight = Parameter(np.empty(self.num_features, dtype=dt))
            if bias:
                self.bias = Parameter(np.empty(self.num_features, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(self.num_features, dtype=dt))
            self.register_buffer("running_var", ones(self.num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=dtypes.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input):
        if input.ndim not in self._dims:
            dims = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"expected {dims} input (got {input.ndim}D input): {type(self).__name__} takes "
                             f"{self._shapes}, got shape {tuple(input.shape)}")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # the cumulative average: batch k gets weight 1/k
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """out = (x − μ)/√(σ² + ε) · γ + β per channel, μ and σ² over the batch (training) or running estimates (eval).

    In training μ and σ² are the mean and biased variance of each channel over the batch (and the
    length L of (N, C, L) inputs); the running estimates, their update rule and evaluation are
    ``_BatchNorm``'s (above).

    Args:
        num_features: C, the number of channels (features).
        eps: added to σ² for stability (default 1e-5).
        momentum: the weight of each new batch in the running estimates (default 0.1), or None.
        affine: learn γ and β; track_running_stats: keep the running estimates (buffers).
        bias: learn β too (with affine).

    Shape:
        - input: (N, C) or (N, C, L);  output: the same shape.

    Example::

        >>> bn = nn.BatchNorm1d(200)                    # makemore's MLP: Linear, BatchNorm1d, Tanh
        >>> bn(tinygrad_lr.randn(32, 200)).shape
        torch.Size([32, 200])
    """
    _dims, _shapes = (2, 3), "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """out = (x − μ)/√(σ² + ε) · γ + β per channel, μ and σ² over the batch and the pixels (training).

    The batch norm of a convolutional network (after a Conv2d, before the ReLU): channel c of an
    (N, C, H, W) input is normalised with the mean and biased variance of its N·H·W values, so every
    pixel of a feature map gets the same γ_c and β_c.  The running estimates (n = N·H·W in the
    unbiased variance), momentum and evaluation are ``_BatchNorm``'s (above), and the fused
    Function with its backward is ``functional_layers.BatchNorm``, the same as BatchNorm1d's.

    Args:
        num_features: C, the number of channels (a Conv2d's out_channels).
        eps, momentum, affine, track_running_stats, bias: as BatchNorm1d.

    Shape:
        - input: (N, C, H, W);  output: the same shape.

    Example::

        >>> bn = nn.BatchNorm2d(16)                     # Conv2d(6, 16, 5), BatchNorm2d(16), ReLU
        >>> bn(tinygrad_lr.randn(8, 16, 10, 10)).shape
        torch.Size([8, 16, 10, 10])
    """
    _dims, _shapes = (4,), "(N, C, H, W); for one image (C, H, W) use x.unsqueeze(0)"
