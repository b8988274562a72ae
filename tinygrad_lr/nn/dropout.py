"""``Dropout``, ``Dropout2d``: zero activations (elements, or whole channels) with probability p while training."""
from . import functional as F
from .arguments import check_p
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
        check_p(p)
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


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
        return F.dropout2d(input, self.p, self.training, _op="Dropout2d")
