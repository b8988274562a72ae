"""Pooling layers: summarise each window of a feature map by its maximum or its mean.

``MaxPool1d``, ``MaxPool2d``, ``AvgPool1d``, ``AvgPool2d``: windows of kernel_size, moved by stride
(default: kernel_size, so the windows tile the input), after padding; ``AdaptiveAvgPool2d``,
``AdaptiveMaxPool2d``, ``AdaptiveAvgPool1d``: the windows are chosen so that the output has a given
size (AdaptiveAvgPool2d(1) is the global average pooling of a ResNet's head); ``Unfold`` and
``Fold``: the sliding windows themselves, as columns (im2col) and back (summing overlaps).

The modules hold their arguments and call the functional forms (``functional_conv``: the math and
the backward); they have no parameters.  Output size per spatial dim, for input size L:

    L_out = ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1      (rounded up with ceil_mode=True)
"""
from . import functional as F
from .module import Module


def _single(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class _MaxPoolNd(Module):
    """What MaxPool1d and MaxPool2d share: the arguments and the repr (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """out[n, c, t] = max_j x[n, c, t·s + j·d − p], 0 ≤ j < k: the largest value of each window.

    ∂L/∂x: each window's gradient goes to the position of its maximum (padding counts as −∞).

    Args:
        kernel_size: k; stride: s (default k); padding: p, implicit −∞ on both sides (at most k/2);
        dilation: d, the step between the window's elements; return_indices: also return where
        each maximum came from; ceil_mode: round L_out up (a last, partial window).

    Shape:
        - input: (N, C, L) or (C, L);  output: (N, C, L_out).
    """

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """out[n, c, i, j] = max over the window (u, v) of x[n, c, i·s₀ + u·d₀ − p₀, j·s₁ + v·d₁ − p₁].

    MaxPool2d(2) halves the height and width, keeping the strongest response of each 2 × 2 block.
    ∂L/∂x: each window's gradient goes to the position of its maximum (padding counts as −∞).

    Args:
        kernel_size: an int or (kH, kW); stride: default kernel_size; padding: implicit −∞ (at most
        half the kernel); dilation; return_indices: also return the flat indices (h·W + w) of the
        maxima, for MaxUnpool; ceil_mode: round the output size up.

    Shape:
        - input: (N, C, H, W) or (C, H, W);  output: (N, C, H_out, W_out).

    Example::

        >>> pool = nn.MaxPool2d(2)
        >>> pool(tinygrad_lr.randn(8, 6, 28, 28)).shape
        torch.Size([8, 6, 14, 14])
    """

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool2d(Module):
    """out[n, c, i, j] = (1/D) · Σ over the window (u, v) of x[n, c, i·s₀ + u − p₀, j·s₁ + v − p₁].

    D is kH·kW (count_include_pad=True: the zeros of the padding count), or the number of the
    window's elements inside the input (count_include_pad=False), or divisor_override.
    ∂L/∂x: each window's gradient, divided by its D, goes to every element of the window.

    Args:
        kernel_size: an int or (kH, kW); stride: default kernel_size; padding: zeros on both sides;
        ceil_mode: round the output size up; count_include_pad, divisor_override: D, above.

    Shape:
        - input: (N, C, H, W) or (C, H, W);  output: (N, C, H_out, W_out).

    Example::

        >>> pool = nn.AvgPool2d(2)                       # LeNet's subsampling, as in d2l
        >>> pool(tinygrad_lr.randn(8, 6, 28, 28)).shape
        torch.Size([8, 6, 14, 14])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """out[n, c, t] = (1/D) · Σ_j x[n, c, t·s + j − p], 0 ≤ j < k (D as AvgPool2d's, without divisor_override).

    Args:
        kernel_size, stride (default kernel_size), padding: ints (kept as 1-tuples, as PyTorch does);
        ceil_mode; count_include_pad.

    Shape:
        - input: (N, C, L) or (C, L);  output: (N, C, L_out).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    """The adaptive pools' one argument, output_size, and their repr."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool):
    """out[n, c, i, j] = mean of x[n, c, h₀(i):h₁(i), w₀(j):w₁(j)], with the windows that give output_size.

    Window i of an input of size H for an output of size h runs from ⌊i·H/h⌋ to ⌈(i + 1)·H/h⌉, so
    the windows cover the input and overlap when h does not divide H.  AdaptiveAvgPool2d((1, 1))
    averages each feature map to one number: the head of a ResNet, whatever the image size.

    Args:
        output_size: an int (square) or (h, w); None in the pair keeps that dim's input size.

    Shape:
        - input: (N, C, H, W) or (C, H, W);  output: (N, C, h, w).
    """

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePool):
    """out[n, c, i] = mean of x[n, c, ⌊i·L/l⌋ : ⌈(i + 1)·L/l⌉]: AdaptiveAvgPool2d's windows along one dim.

    Shape:
        - input: (N, C, L) or (C, L);  output: (N, C, l), l = output_size.
    """

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """out[n, c, i, j] = max of x[n, c, h₀(i):h₁(i), w₀(j):w₁(j)], AdaptiveAvgPool2d's windows.

    Args:
        output_size: an int or (h, w), None keeping that dim's size; return_indices: also return
        the flat indices (h·W + w) of the maxima.

    Shape:
        - input: (N, C, H, W) or (C, H, W);  output: (N, C, h, w).
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class Unfold(Module):
    """im2col: (N, C, H, W) → (N, C·kH·kW, L), one column per sliding window (L windows).

    Column l holds the C·kH·kW values under window l, channel by channel; a convolution is then a
    matrix product, W.reshape(C_out, −1) @ columns.  ∂L/∂x is Fold of the gradient (overlaps add).

    Args:
        kernel_size, dilation, padding, stride: ints or pairs, as Conv2d's.
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """col2im: (N, C·kH·kW, L) → (N, C, H, W), each column put back under its window, overlaps summed.

    The adjoint of Unfold (not its inverse: a pixel under several windows gets the sum of their values).

    Args:
        output_size: (H, W) of the result; kernel_size, dilation, padding, stride: as Unfold's.
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
