"""The activations beyond ReLU and GELU, as functions: ``F.elu``, ``F.softplus``, ``F.hardswish``, ...

Most are one line composed of the core's ops, so their gradients (and second gradients) come from
the ops they are made of:

    silu(x)      = x · σ(x)                      softsign(x)    = x / (1 + |x|)
    mish(x)      = x · tanh(softplus(x))         relu6(x)       = hardtanh(x, 0, 6)
    hardswish(x) = x · relu6(x + 3) / 6          hardsigmoid(x) = relu6(x + 3) / 6
    prelu(x, w)  = x where x > 0, else w · x     (w: one slope per channel, along dim 1)

Three are ``Function`` s, each with its reason: ``ELU`` (elu, selu and celu, PyTorch's one
kernel with three constants), ``Softplus`` (its threshold) and ``Hardtanh`` (its slope at the
bounds).  The slopes at the kinks are PyTorch's: elu's at x = 0 is the left one (α), hardtanh's
at its bounds is 0.

PyTorch's in-place forms (``elu_``, ``selu_``, ``celu_``, ``hardtanh_``) change their argument.
The functions' ``inplace=True`` argument is accepted (PyTorch code passes it) and gives the same
values in a new tensor, as ``F.relu``'s does.

Banners: the primitives; the function forms.
"""
import numpy as np

from ..core import Tensor
from ..ops import inplace as _inplace
from ..core.batching import elementwise
from ..core.function import Function
from ..core.primitives import Sigmoid

# SELU's constants (Klambauer et al. 2017), as PyTorch writes them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# ============================================================================
# the primitives
# ============================================================================
class ELU(Function):
    """out = λ·x if x > 0, else λ·α·(e^(s·x) − 1)      ∂L/∂x = g · (λ if x > 0, else s · (out + λ·α))

    λ (scale) and s (input_scale) make the one kernel of PyTorch serve three activations:
    elu (λ = s = 1), selu (λ, α the SELU constants, s = 1) and celu (λ = 1, s = 1/α).
    The slope of the left branch, λ·α·s·e^(s·x), is written with the output (out + λ·α = λ·α·e^(s·x)),
    so that the second derivative, taken through ``out``, is right too.

    Primitive, not where(x > 0, λx, λα·expm1(s·x)): e^(s·x) of the branch where() throws away overflows
    for large x, and its NaN gradient (0 · ∞) would leak through.
    """
    batch_rule = elementwise  # vmap: element-wise (core/batching.py)

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        positive = x > 0
        ctx.pos = positive.astype(x.dtype)  # constants per element: which branch
        ctx.neg = 1 - ctx.pos
        ctx.scale, ctx.input_scale, ctx.alpha_scale = scale, input_scale, scale * alpha
        out = np.where(positive, x * scale, ctx.alpha_scale * np.expm1(np.minimum(x, 0) * input_scale))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (ctx.pos * ctx.scale + ctx.neg * ((out + ctx.alpha_scale) * ctx.input_scale))


class Softplus(Function):
    """out = ln(1 + e^(βx)) / β where βx ≤ threshold, else x        ∂L/∂x = g · σ(βx) there, else g

    Above the threshold the curve is x to working precision, and PyTorch returns x itself.
    ln(1 + e^(βx)) is computed as ``np.logaddexp(0, βx)``: no overflow whatever the threshold.

    Primitive, not where(βx > threshold, x, log1p(exp(βx))/β): e^(βx) of the branch where() throws
    away overflows for large x, and its NaN gradient (0 · ∞) would leak through.
    """
    batch_rule = elementwise  # vmap: element-wise (core/batching.py)

    @staticmethod
    def forward(ctx, x, beta, threshold):
        z = x * beta
        linear = z > threshold
        ctx.above = linear.astype(x.dtype)  # constants per element: which branch
        ctx.below = 1 - ctx.above
        ctx.beta = beta
        ctx.save_for_backward(x)
        return np.where(linear, x, np.logaddexp(0, z) / beta)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (ctx.above + ctx.below * Sigmoid.compute(x * ctx.beta))


class Hardtanh(Function):
    """out = min(max(x, min_val), max_val)        ∂L/∂x = g · [min_val < x < max_val]

    Primitive, not clamp(x, min_val, max_val): PyTorch's hardtanh passes no gradient at the bounds
    (x = min_val or max_val: relu6 at 0 and 6, hardswish at ±3), where clamp passes all of it.
    """
    batch_rule = elementwise  # vmap: element-wise (core/batching.py)

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.inside = ((x > min_val) & (x < max_val)).astype(x.dtype)  # the derivative, a constant per element
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)  # integers stay integers, as in PyTorch

    @staticmethod
    def backward(ctx, g):
        return g * ctx.inside


# ============================================================================
# the function forms
# ============================================================================
def _tensor(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}; "
                        "convert it with tinygrad_lr.tensor(...) or tinygrad_lr.from_numpy(...)")
    return x


def _floating(op, x):
    """x, checked to be a Tensor, as a floating-point tensor (integers become float32)."""
    return x if _tensor(op, x).dtype.kind == "f" else x.float()


def elu(input, alpha=1.0, inplace=False):
    """ELU(x) = x if x > 0, else α·(eˣ − 1);  ∂ = 1 or α·eˣ (α at x = 0, as in PyTorch).  See ``ELU``."""
    return ELU.apply(_floating("elu", input), alpha=float(alpha), scale=1.0, input_scale=1.0)


def selu(input, inplace=False):
    """SELU(x) = λ·(x if x > 0, else α·(eˣ − 1)), λ ≈ 1.0507, α ≈ 1.6733: self-normalising (mean 0, variance 1)."""
    return ELU.apply(_floating("selu", input), alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):
    """CELU(x) = max(0, x) + min(0, α·(e^(x/α) − 1)): elu with a slope of 1 at 0 for every α (α ≠ 0)."""
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 (CELU divides by it: α·(e^(x/α) − 1)); use a nonzero alpha, "
                           "e.g. the default 1.0")
    return ELU.apply(_floating("celu", input), alpha=float(alpha), scale=1.0, input_scale=1 / alpha)


def silu(input, inplace=False):
    """SiLU(x) = x · σ(x) (also called swish);  ∂ = σ(x)·(1 + x·(1 − σ(x)))."""
    x = _floating("silu", input)
    return x * x.sigmoid()


def mish(input, inplace=False):
    """Mish(x) = x · tanh(softplus(x));  ∂ = tanh(sp) + x·σ(x)·(1 − tanh²(sp)), sp = softplus(x)."""
    x = _floating("mish", input)
    return x * softplus(x).tanh()


def softplus(input, beta=1.0, threshold=20.0):
    """Softplus(x) = ln(1 + e^(βx)) / β, and x itself where βx > threshold; ∂ = σ(βx) (see ``Softplus``)."""
    return Softplus.apply(_floating("softplus", input), beta=beta, threshold=threshold)


def softsign(input):
    """Softsign(x) = x / (1 + |x|);  ∂ = 1 / (1 + |x|)²."""
    x = _floating("softsign", input)
    return x / (x.abs() + 1)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Hardtanh(x) = min(max(x, min_val), max_val);  ∂ = 1 strictly between the bounds, else 0 (``Hardtanh``)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val (got min_val={min_val}, "
                         f"max_val={max_val}); swap them")
    return Hardtanh.apply(_tensor("hardtanh", input), min_val=min_val, max_val=max_val)  # integers stay integers


def relu6(input, inplace=False):
    """ReLU6(x) = min(max(x, 0), 6) = hardtanh(x, 0, 6);  ∂ = 1 for 0 < x < 6, else 0."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    """Hardsigmoid(x) = relu6(x + 3) / 6: 0 below −3, 1 above 3, linear between;  ∂ = 1/6 for −3 < x < 3."""
    return relu6(_floating("hardsigmoid", input) + 3) / 6


def hardswish(input, inplace=False):
    """Hardswish(x) = x · relu6(x + 3) / 6;  ∂ = 0 for x ≤ −3, x/3 + ½ for −3 < x < 3, 1 for x ≥ 3."""
    x = _floating("hardswish", input)
    return x * relu6(x + 3) / 6


def prelu(input, weight):
    """PReLU(x) = x if x > 0, else w·x, with one learnable slope w per channel (dim 1), or one for all.

    ∂L/∂x = g · (1 if x > 0, else w)  (w at x = 0, as in PyTorch);   ∂L/∂w = Σ g·x over the x ≤ 0 of its channel.
    ``weight`` has shape (C,) for an input (N, C, …), or one element; a 1-d input has no channel dim.
    """
    x = _floating("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: weight must be a Tensor (the slopes), got {type(weight).__name__}; "
                        "e.g. tinygrad_lr.tensor([0.25]), or use the module nn.PReLU()")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim} "
                           f"(shape {tuple(weight.shape)}); give one slope per channel, shape (C,)")
    n = weight.numel()
    if n == 1:
        return x.where(x > 0, weight.reshape(()) * x)
    channels = x.shape[1] if x.ndim >= 2 else 1
    if n != channels:
        where = (f"has {channels} channels in dim 1" if x.ndim >= 2 else
                 "has no channel dim (a 0-d or 1-d input counts as one channel)")
        raise RuntimeError(f"PReLU: Mismatch of parameter numbers and input channel size: {n} slopes "
                           f"(num_parameters={n}) but the input of shape {tuple(x.shape)} {where}; use "
                           f"nn.PReLU(num_parameters={channels}) for one slope per channel, or nn.PReLU() for one "
                           "shared slope")
    return x.where(x > 0, weight.reshape((n,) + (1,) * (x.ndim - 2)) * x)


# ---- PyTorch's in-place forms: x changes, and is returned ------------------------------------------
def elu_(input, alpha=1.0):
    """In-place ``elu``: ``input`` becomes elu(input) (recorded on a tensor in the graph)."""
    return _inplace.apply_("elu_", input, lambda x: elu(x, alpha))


def selu_(input):
    """In-place ``selu``."""
    return _inplace.apply_("selu_", input, selu)


def celu_(input, alpha=1.0):
    """In-place ``celu``."""
    return _inplace.apply_("celu_", input, lambda x: celu(x, alpha))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place ``hardtanh``."""
    return _inplace.apply_("hardtanh_", input, lambda x: hardtanh(x, min_val, max_val))
