"""``Linear``: the affine layer y = x Wᵀ + b, linear regression's model."""
import math

import numpy as np

from ..core import Tensor
from ..core import dtypes, internal
from ..core.primitives import Reshape
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x Wᵀ + b.

    With one output this is linear regression, ŷ = Xw + b (w is the one row of W).
    Both W and b start from U(−1/√in_features, 1/√in_features), PyTorch's
    default, drawn from the seeded generator (``tinygrad_lr.manual_seed``).

    Args:
        in_features: size of each input sample (d).
        out_features: size of each output sample.
        bias: if False, the layer has no b (``self.bias`` is None).
        dtype: of the parameters (default: the default dtype, float32 unless set_default_dtype says otherwise).

    Shape:
        - input: (*, in_features), e.g. (N, in_features) for a batch of N samples
        - output: (*, out_features)

    Attributes:
        weight: Parameter of shape (out_features, in_features).
        bias: Parameter of shape (out_features,), or None.

    Example::

        >>> net = nn.Linear(2, 1)
        >>> net(tinygrad_lr.randn(5, 2)).shape
        (5, 1)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"Linear: {name} must be an integer, got {n!r}")
            if n < 0:
                raise ValueError(f"Linear: {name} must be >= 0, got {n}")
        dt = dtypes.to_dtype(dtype, "Linear") or dtypes.get_default_dtype()
        if not dtypes.is_floating(dt):
            raise TypeError(f"Linear: parameters need a floating dtype, got {dtypes.dtype_name(dt)}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """W, b ~ U(−1/√in_features, 1/√in_features) (PyTorch's default)."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{self._arrow()}: expected a Tensor as input, got {type(input).__name__}; "
                            "convert it with tinygrad_lr.tensor(x) or tinygrad_lr.from_numpy(x)")
        shape = input.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(self._shape_error(tuple(shape), input))
        return F.linear(input, self.weight, self.bias)

    def _arrow(self):
        return f"Linear({self.in_features} → {self.out_features})"

    def _shape_error(self, shape, input=None):
        text = (f"{self._arrow()} got input of shape {shape}: the last dimension must be "
                f"in_features = {self.in_features}")
        flat = _flattened_from(input)
        if len(shape) == 2 and flat is not None and len(flat) > 2 and flat[0] == shape[0]:  # (N, C, H, W) → (N, C·H·W)
            sizes = "·".join(str(n) for n in flat[1:])
            return (text + f"; the input is the flattened output of shape {flat}, {sizes} = {shape[1]} features "
                    f"per sample, so in_features should be {shape[1]}: nn.Linear({shape[1]}, {self.out_features}) "
                    f"(or change the layers before it so that they output {self.in_features})")
        if len(shape) == 1 and self.in_features == 1:
            return text + f"; for a batch of {shape[0]} numbers reshape it to ({shape[0]}, 1): x.reshape(-1, 1)"
        if len(shape) == 1 and shape[0] != self.in_features:
            return text + f"; one sample should have shape ({self.in_features},), a batch (N, {self.in_features})"
        if len(shape) == 2 and shape[0] == self.in_features:
            return text + "; the samples seem to be in the columns: transpose the input (x.T)"
        if len(shape) > 2 and int(np.prod(shape[1:])) == self.in_features:
            return (text + f"; each sample is {shape[1:]}: flatten it first, x.reshape(x.shape[0], -1) or "
                    "nn.Flatten() before the layer")
        return text

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _flattened_from(input):
    """The shape ``input`` was reshaped (flattened) from, if the graph says so (it does in training); else None."""
    node = getattr(input, "grad_fn", None)
    return internal.input_shapes(node)[0] if isinstance(node, Reshape) else None


class Identity(Module):
    """out = input: a placeholder layer (any arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input
