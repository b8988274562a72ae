"""``Dropout``, ``Dropout2d``: zero activations (elements, or whole channels) with probability p while training."""
import warnings

import numpy as np

from ..core import dtypes, internal
from ..ops.creation import rand
from . import functional as F
from .module import Module


class Dropout(Module):
    """h' = h · m / (1 − p), m ~ Bernoulli(1 − p) element-wise, in training; h itself in evaluation.

    Each element is zeroed with probability ``p`` and the survivors are scaled by
    1/(1 − p), so E[h'] = h and evaluation needs no rescaling.  ``model.train()`` and
    ``model.eval()`` switch it (``self.training``).  The masks come from the seeded
    generator: after ``tinygrad_lr.manual_seed(s)`` the same masks are drawn again.

    Args:
        p: the probability of zeroing an element, in [0, 1] (default 0.5; 1 zeroes everything).
        inplace: accepted for PyTorch code; the result is always a new tensor.

    Example::

        >>> net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
        >>> net.eval()   # no dropout when evaluating
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        F._check_p(p)
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


def _dropout_channels(input, p):
    """h' = h · m / (1 − p), one m ~ Bernoulli(1 − p) per (sample, channel), broadcast over the rest.

    The mask has shape (N, C, 1, 1) for (N, C, H, W): a channel is kept or zeroed as a whole.
    ∂L/∂h = g · m / (1 − p) (one Mul, whose backward broadcasts the mask again).
    """
    if input.ndim < 2:
        raise ValueError(f"Dropout2d: feature dropout needs at least 2 dims (N, C, ...), got shape "
                         f"{tuple(input.shape)}; use nn.Dropout to drop single elements")
    if input.ndim == 3:
        warnings.warn("Dropout2d got a 3-d input: like PyTorch it takes it as (N, C, L) and drops each channel's "
                      "L values together (1-d channel dropout), not as one unbatched image (C, H, W); for an "
                      "image use x.unsqueeze(0)", UserWarning, stacklevel=3)
    elif input.ndim != 4:
        warnings.warn(f"Dropout2d got a {input.ndim}-d input: it drops channels of 4-d inputs (N, C, H, W); "
                      "for other shapes use nn.Dropout", UserWarning, stacklevel=3)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    dt = input.dtype if input.dtype.kind == "f" else dtypes.float32
    keep = internal.values(rand(*shape, dtype=dtypes.float64)) >= p  # P(keep) = 1 − p
    mask = np.zeros(shape, dt) if p == 1 else (keep / (1 - p)).astype(dt)
    return input * internal.wrap(mask)


class Dropout2d(Dropout):
    """h'[n, c] = h[n, c] · m[n, c] / (1 − p), m ~ Bernoulli(1 − p) per channel, in training; h in evaluation.

    Dropout for convolutional feature maps: neighbouring pixels of a map are strongly correlated,
    so zeroing single elements barely regularises; instead each channel of each sample (a whole
    H × W map) is zeroed with probability ``p``, and the kept ones are scaled by 1/(1 − p), so
    E[h'] = h.  The masks come from the seeded generator (``tinygrad_lr.manual_seed``).

    Args:
        p: the probability of zeroing a channel, in [0, 1] (default 0.5).
        inplace: accepted for PyTorch code; the result is always a new tensor.

    Shape:
        - input: (N, C, H, W); output: the same shape.  A 3-d input is taken as (N, C, L), as in
          PyTorch, with a warning.
    """

    def forward(self, input):
        F._check_tensor("Dropout2d", input)
        if not self.training or self.p == 0 or input.numel() == 0:
            return input
        return _dropout_channels(input, self.p)
