"""``Conv1d`` and ``Conv2d``: learned filters slid over a sequence or an image.

A convolution layer holds a weight of shape (out_channels, in_channels/groups, *kernel_size) and a
bias of shape (out_channels,); its forward is ``F.conv1d`` / ``F.conv2d`` (``functional_conv``,
where the math, im2col and the backward are).  What the modules add: PyTorch's constructors and
their checks, PyTorch's initialisation, its ``repr``, and ``padding_mode`` (the padding is done by
``F.pad`` first, then the convolution runs unpadded).

Output size, per spatial dim, for input size L, kernel k, stride s, padding p, dilation d:

    L_out = ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1

so Conv2d(1, 6, 5, padding=2) keeps 28 × 28, and Conv2d(6, 16, 5) turns 14 × 14 into 10 × 10.
"""
import math

import numpy as np

from ..core import dtypes
from . import functional as F
from .arguments import int_tuple
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _count(op, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{op}: {name} must be a positive integer, got {value}")
    return int(value)


class _ConvNd(Module):
    """What Conv1d and Conv2d share: the checks, the parameters, their initialisation, the repr, the forward.

    ``_n`` is the number of spatial dims; ``_conv`` the functional form (F.conv1d or F.conv2d).
    """
    _n = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        op, n = type(self).__name__, self._n
        self.in_channels, self.out_channels = _count(op, "in_channels", in_channels), \
            _count(op, "out_channels", out_channels)
        self.groups = _count(op, "groups", groups)
        if in_channels % groups:
            raise ValueError(f"{op}: in_channels must be divisible by groups, got in_channels={in_channels} and "
                             f"groups={groups}; each group convolves in_channels/groups input channels")
        if out_channels % groups:
            raise ValueError(f"{op}: out_channels must be divisible by groups, got out_channels={out_channels} and "
                             f"groups={groups}; each group makes out_channels/groups output channels")
        self.kernel_size = int_tuple(op, "kernel_size", kernel_size, n)
        self.stride = int_tuple(op, "stride", stride, n)
        self.dilation = int_tuple(op, "dilation", dilation, n)
        self.padding = self._check_padding(op, padding)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{op}: padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode={padding_mode!r}")
        self.padding_mode = padding_mode
        dt = dtypes.to_dtype(dtype, op) or dtypes.get_default_dtype()
        if not dtypes.is_floating(dt):
            raise TypeError(f"{op}: parameters need a floating dtype, got {dtypes.dtype_name(dt)}")
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _check_padding(self, op, padding):
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of ['valid', 'same'] "
                                 "(or an int, or a tuple of ints)")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                                 f"(stride={self.stride}); give the padding as numbers, e.g. padding=k // 2")
            return padding
        return int_tuple(op, "padding", padding, self._n)

    def reset_parameters(self):
        """W ~ kaiming_uniform_(a=√5), i.e. U(−1/√fan_in, 1/√fan_in), and b ~ U(−1/√fan_in, 1/√fan_in) (PyTorch's).

        fan_in = in_channels/groups · Πkernel_size, the number of inputs each output value sums.
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _pad_amounts(self):
        """F.pad's list for padding_mode: (left, right) per spatial dim, the last dim first."""
        if self.padding == "valid":
            pairs = [(0, 0)] * self._n
        elif self.padding == "same":  # total d·(k − 1), the extra one (even kernels) on the right
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        else:
            pairs = [(p, p) for p in self.padding]
        return [a for pair in reversed(pairs) for a in pair]

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._pad_amounts(), mode=self.padding_mode)
            return self._conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return self._conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """out[n, o, t] = b[o] + Σ_c Σ_j W[o, c, j] · x[n, c, t·s + j·d − p]: filters slid along a sequence.

    Each output channel o has one filter per input channel (of its group), of length kernel_size;
    the input is zero-padded by ``padding`` at both ends unless ``padding_mode`` says otherwise.
    Weight and bias start from U(−1/√fan_in, 1/√fan_in), fan_in = in_channels/groups · kernel_size.

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size, stride, dilation: ints (or 1-tuples).
        padding: an int, or 'valid' (none) or 'same' (the output as long as the input; stride 1 only).
        groups: split the channels into this many groups convolved separately (C_in for depthwise).
        bias: learn b; padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        dtype: of the parameters (default: the default dtype).

    Shape:
        - input: (N, C_in, L) or (C_in, L);  output: (N, C_out, L_out), L_out as in the module docstring.

    Example::

        >>> conv = nn.Conv1d(4, 8, 3, padding=1)
        >>> conv(tinygrad_lr.randn(2, 4, 10)).shape
        torch.Size([2, 8, 10])
    """
    _n = 1

    @staticmethod
    def _conv(input, weight, bias, stride, padding, dilation, groups):
        return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


class Conv2d(_ConvNd):
    """out[n, o, i, j] = b[o] + Σ_c Σ_(u,v) W[o, c, u, v] · x[n, c, i·s₀ + u·d₀ − p₀, j·s₁ + v·d₁ − p₁]

    The layer of convolutional networks: each of the out_channels filters, of shape
    (in_channels/groups, kH, kW), is slid over the image and gives one feature map; the bias adds a
    constant per map.  Weight and bias start from U(−1/√fan_in, 1/√fan_in) with
    fan_in = in_channels/groups · kH · kW (PyTorch's kaiming_uniform_ with a = √5).

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size, stride, dilation: ints, or (height, width) pairs.
        padding: an int or a pair, or 'valid' (none) or 'same' (the output the input's size; stride 1).
        groups: split the channels into this many groups convolved separately (C_in for depthwise).
        bias: learn b; padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'.
        dtype: of the parameters (default: the default dtype).

    Shape:
        - input: (N, C_in, H, W) or (C_in, H, W);  output: (N, C_out, H_out, W_out), each size as in
          the module docstring.

    Example::

        >>> conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)     # LeNet's first layer
        >>> conv(tinygrad_lr.randn(8, 1, 28, 28)).shape
        torch.Size([8, 6, 28, 28])
    """
    _n = 2

    @staticmethod
    def _conv(input, weight, bias, stride, padding, dilation, groups):
        return F.conv2d(input, weight, bias, stride, padding, dilation, groups)
