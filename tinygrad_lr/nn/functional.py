"""The math of the layers and losses as functions: ``F.linear``, ``F.relu``, ``F.cross_entropy``, ...

The ops that are not already Tensor methods are ``autograd.Function`` s, defined here exactly
as a user defines a custom op, each with its forward formula and its backward side by side.
The two of linear regression carry the lecture notes' hand-derived formulas:

    ℓ = 1/(2n)·Σ(ŷ − y)²     ∂ℓ/∂ŷ = (ŷ − y)/n
    ŷ = x Wᵀ + b             ∂ℓ/∂W = gᵀ x,  ∂ℓ/∂b = Σ_rows g,  ∂ℓ/∂x = g W

so together ∂ℓ/∂W = Xᵀ(Xw + b − y)/n and ∂ℓ/∂b = Σ(Xw + b − y)/n; those of classification
carry theirs, e.g. for softmax regression ∂ℓ/∂Z = (softmax(Z) − onehot(y))/n.  The same values
come out of the core's primitives composed (``x @ W.T + b``, ``((ŷ − y) ** 2).sum() / (2n)``,
``-log_softmax(Z)[range(n), y].mean()``) — the tests check they agree — but one node for each
does the work of the four to six a composition records, which is most of the time of a small
training step.  Each says why it is fused in a line that starts "Fused".

The backward formulas are written once, in array syntax (``Exp.compute``, ``Softmax.compute``: the ops arrays
lack as methods), so that ``create_graph=True`` differentiates them again.  The checks of the
losses' arguments, and the class targets turned into a weight matrix, are in ``loss_args``.

Banners: the fused layer and loss of linear regression; activations; classification losses;
the function forms (``F.relu`` ... ``F.huber_loss``).  The other topics (dropout, the GPT layers, convolutions,
pooling, resizing, more activations and losses) are in ``functional_*.py``, gathered here at the end.
"""
import math
import warnings

import numpy as np

from ..core import Tensor
from ..core import batching, dtypes, internal
from ..core.batching import elementwise, reduced
from ..core.function import Function
from ..ops.gathering import one_hot  # noqa: F401  (F.one_hot, as in PyTorch)
from ..core.primitives import Abs, Erf, Exp, Log, Log1p, LogSoftmax, Reshape, Sigmoid, Softmax, Tanh
from . import loss_args
from .arguments import check_tensor


# ============================================================================
# the fused layer and loss of linear regression
# ============================================================================
class Linear(Function):
    """out = x Wᵀ + b         ∂L/∂x = g W        ∂L/∂W = gᵀ x        ∂L/∂b = Σ_rows g

    x is (*, in), W is (out, in), b is (out,) or None; every leading dimension
    of x is one more row of the batch.
    vmap: a batch of x through one layer is more rows (one call); a W or b per sample (grad's view of a
    shared weight inside vmap) is x @ Wᵀ + b composed, whose matmul rule makes one product of it.
    """
    @staticmethod
    def batch_rule(cls, args, kwargs):
        x, weight, bias = args
        if not isinstance(weight, batching.Batched) and not isinstance(bias, batching.Batched):
            return batching.tag(batching.run(cls, x, weight, bias), batching.levels(x))
        out = x @ weight.T
        return out if bias is None else out + bias

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = x @ weight.T
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        grad_x = g @ weight if ctx.needs_input_grad[0] else None
        if g.ndim != 2:  # one sample, or more leading dimensions: make every one of them a row
            g, x = g.reshape(-1, weight.shape[0]), x.reshape(-1, weight.shape[1])
        return (grad_x,
                g.T @ x if ctx.needs_input_grad[1] else None,
                g.sum(axis=0) if ctx.needs_input_grad[2] else None)


class HalfSquaredError(Function):
    """out = ½·Σ(ŷ − y)² · s, s = 1/n for 'mean' (n elements), 1 for 'sum'; ½(ŷ − y)² for 'none'

    ∂L/∂ŷ = g · s · (ŷ − y)        ∂L/∂y = −∂L/∂ŷ
    """
    batch_rule = reduced  # vmap: element-wise ('none') on the batch, then each sample's sum or mean
    half = 0.5            # the ½ of the notes (MseLoss, PyTorch's, has 1)

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)  # not ŷ − y: backward recomputes it, so that under
        diff = input - target                 # create_graph it is part of the graph
        ctx.scale = (1 / diff.size if diff.size else math.nan) if reduction == "mean" else 1  # empty: nan, as PyTorch
        if reduction == "none":
            return ctx.half * diff * diff
        return np.add.reduce(diff * diff, axis=None) * (ctx.half * ctx.scale)  # = .sum(), without its Python wrapper

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        grad = (input - target) * (g * (2 * ctx.half * ctx.scale))  # (2·½ = 1 exactly: the notes' (ŷ − y)·g·s)
        return (grad if ctx.needs_input_grad[0] else None,
                -grad if ctx.needs_input_grad[1] else None)


class MseLoss(HalfSquaredError):
    """out = Σ(ŷ − y)² · s, PyTorch's squared error (``tinygrad_lr.torch``'s MSELoss): the same op without the ½

    ∂L/∂ŷ = g · 2s · (ŷ − y)        ∂L/∂y = −∂L/∂ŷ

    One node, named as PyTorch's (``loss.grad_fn`` is ``MseLossBackward``, and its ``next_functions`` lead
    to the model, as the tutorials print).
    """
    half = 1.0


# ============================================================================
# activations
# ============================================================================
class LeakyReLU(Function):
    """out = x if x > 0 else a·x          ∂L/∂x = g · (1 if x > 0 else a)   (a at x = 0, as in PyTorch)

    Fused, not a composition (where(x > 0, x, a·x)): one node, whose derivative is a constant per element.
    """
    batch_rule = elementwise  # vmap: element-wise (core/batching.py)

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)  # the derivative, a constant per element
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.slope, None


_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _normal_pdf(x):
    """φ(x) = e^(−x²/2) / √(2π), in array syntax."""
    return Exp.compute(x * x * -0.5) * _INV_SQRT_2PI


def _normal_cdf(x):
    """Φ(x) = ½·(1 + erf(x / √2)) on an array."""
    return 0.5 * (1 + Erf.compute(x / math.sqrt(2)))


class NormalCDF(Function):
    """out = Φ(x) = ½·(1 + erf(x / √2))    ∂L/∂x = g · φ(x),  φ(x) = e^(−x²/2) / √(2π)

    GELU's backward uses it, so that its second derivative can be taken.  A Function because erf has
    no composition in the ops (NumPy lacks it).
    """
    batch_rule = elementwise  # vmap: element-wise (core/batching.py)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _normal_cdf(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * _normal_pdf(x)


_TANH_C, _TANH_K = math.sqrt(2 / math.pi), 0.044715


class GELU(Function):
    """out = x · Φ(x)            ∂L/∂x = g · (Φ(x) + x · φ(x))       (approximate='none')

    approximate='tanh':  out = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³)
                         ∂L/∂x = g · (½(1 + tanh u) + ½x(1 − tanh² u) · √(2/π)(1 + 3·0.044715x²))

    Fused, not a composition (x · Φ(x), or the tanh formula's six ops): one node, the derivative written out.
    """
    batch_rule = elementwise  # vmap: element-wise (core/batching.py)

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_TANH_C * (x + _TANH_K * x * x * x)))
        ctx.cdf = _normal_cdf(x)
        return x * ctx.cdf

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = Tanh.compute(_TANH_C * (x + _TANH_K * x * x * x))
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_TANH_C * (1 + 3 * _TANH_K * x * x))), None
        cdf = ctx.cdf if isinstance(x, np.ndarray) else NormalCDF.compute(x)  # speed only: forward's Φ(x) on arrays
        return g * (cdf + x * _normal_pdf(x)), None


# ============================================================================
# classification losses
# ============================================================================
# A is the target as a weight matrix of the input's shape (see loss_args): onehot(y), weighted,
# smoothed or ignored, or the class probabilities.  The class dim is 1.  'mean' divides by D.
def _reduce(loss, reduction, divisor):
    """loss element-wise ('none'), Σ loss ('sum'), or Σ loss / D ('mean'; nan for D = 0, as in PyTorch)."""
    if reduction == "none":
        return loss
    total = np.add.reduce(loss, axis=None)
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.true_divide(total, divisor, dtype=loss.dtype)


def _scale(ctx, reduction, divisor):
    ctx.reduction = reduction
    ctx.scale = 1.0 if reduction != "mean" else (1 / divisor if divisor else 0.0)  # D = 0: no gradient


def _per_element(ctx, g):
    """g·s for a scalar loss; for 'none' g of shape (N, d₁, …) gets back the class dim it was summed over."""
    if ctx.reduction != "none":
        return g * ctx.scale
    return g.reshape(g.shape[:1] + (1,) + g.shape[1:])


def _weighted_sum(a, logp):
    """Σ_c a · log p over the class dim, where a = 0 contributes 0 even if log p = −inf."""
    with np.errstate(invalid="ignore"):
        return np.where(a == 0, 0, a * logp).sum(axis=1)


def _class_rows(cls, args, kwargs):
    """vmap of CrossEntropy and NLL: every sample's rows as rows of one batch, the loss of each row ('none'),
    then each sample's sum (or mean: divided by ``divisor``)."""
    input, target = args
    order, sizes = batching.union(args)
    sample = batching.logical_shape(input)
    rows = (-1,) + sample[1:]
    x = batching.run(Reshape, batching.expand(input, order, sizes), shape=rows)
    if isinstance(target, Tensor):
        a = batching.run(Reshape, batching.expand(target, order, sizes), shape=rows)
    else:
        a = np.broadcast_to(target, tuple(sizes) + sample).reshape(rows)
    per_row = batching.run(cls, x, a, reduction="none", divisor=kwargs["divisor"])
    loss = batching.tag(batching.run(Reshape, per_row, shape=tuple(sizes) + sample[:1] + sample[2:]), order)
    reduction, divisor = kwargs["reduction"], kwargs["divisor"]
    if reduction == "none":
        return loss
    total = loss.sum()
    return total if reduction == "sum" else total * (1 / divisor if divisor else 0.0)


class CrossEntropy(Function):
    """out = s · Σᵢ ℓᵢ,  ℓᵢ = −Σ_c A[i, c] · log softmax(Zᵢ)_c;   'none': the ℓᵢ

    ∂L/∂Z = g·s · (softmax(Z) · Σ_c A[i, c] − A)          ∂L/∂A = −g·s · log softmax(Z)

    Z is (N, C, d₁, …) with the classes in dim 1; A, the target (see ``loss_args``), has Z's
    shape; s = 1/D for 'mean', 1 for 'sum'.  For class indices without weights A = onehot(y),
    D = N, and ∂ℓ/∂Z = (softmax(Z) − onehot(y))/N: softmax regression's gradient.

    Fused, not a composition (log_softmax, then nll_loss): one node instead of a chain of
    four, and the backward is the hand formula, softmax minus the target.

    Speed only (the same bits): log softmax and softmax come from one e^(Z − max), and softmax is kept
    for the backward; given ``index`` = y where A = onehot(y), ℓᵢ = −log softmax(Zᵢ)_yᵢ is picked, not
    summed, and Σ_c A[i, c] = 1 is not multiplied.
    """
    batch_rule = _class_rows  # vmap: every sample's rows as rows of one batch (see there)

    @staticmethod
    def forward(ctx, input, target, reduction, divisor, index=None):
        _scale(ctx, reduction, divisor)
        shifted = input - input.max(axis=1, keepdims=True, initial=-np.inf)  # LogSoftmax's and Softmax's formulas
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_p = shifted - np.log(total)
        p = e / total if ctx.needs_input_grad[:1] == (True,) else None  # (only when backward will need it)
        ctx.save_for_backward(input, target, p)
        ctx.onehot = index is not None
        if index is None:
            return _reduce(-_weighted_sum(target, log_p), reduction, divisor)
        return _reduce(-log_p[np.arange(index.shape[0]), index], reduction, divisor)

    @staticmethod
    def backward(ctx, g):
        input, target, p = ctx.saved_tensors
        g = _per_element(ctx, g)
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            if not isinstance(input, np.ndarray):  # create_graph=True: softmax as a function of Z in the graph
                p = Softmax.compute(input, axis=1)
            if not ctx.onehot:
                p = p * target.sum(axis=1, keepdims=True)
            grad_input = (p - target) * g
        if ctx.needs_input_grad[1]:
            grad_target = -LogSoftmax.compute(input, axis=1) * g
        return grad_input, grad_target


class NLL(Function):
    """out = −s · Σᵢ Σ_c A[i, c] · X[i, c]   (X: log-probabilities);  'none': the row sums

    ∂L/∂X = −g·s · A        (A: the class indices as a weight matrix, see ``CrossEntropy``)

    Fused, not a composition (A · X, a sum, a scale): one node, and a one-line backward.
    """
    batch_rule = _class_rows  # vmap: every sample's rows as rows of one batch (see there)

    @staticmethod
    def forward(ctx, input, target, reduction, divisor):
        ctx.target = target  # a constant (class indices)
        _scale(ctx, reduction, divisor)
        return _reduce(-_weighted_sum(target, input), reduction, divisor)

    @staticmethod
    def backward(ctx, g):
        return -ctx.target * _per_element(ctx, g), None


def _log100(x):
    """max(ln x, −100): PyTorch's clamp, so that x = 0 or 1 gives a finite loss."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100)


_BCE_FLOOR = float(np.float32(1e-12))  # PyTorch's 10⁻¹², a float32 constant (so 9.99999996e−13)


class BinaryCrossEntropy(Function):
    """out = s · Σ −w · (y · max(ln x, −100) + (1 − y) · max(ln(1 − x), −100));   'none': element-wise

    ∂L/∂x = g·s·w · (x − y) / max(x(1 − x), 10⁻¹²)         ∂L/∂y = g·s·w · (ln(1 − x) − ln x)

    x are probabilities, y targets in [0, 1], w an optional weight; s = 1/n for 'mean'
    (n elements), 1 for 'sum'.  The clamps are PyTorch's: x = 0 or 1 give finite values.

    Fused, not a composition: the clamped logs and the floor 10⁻¹² of the derivative are
    PyTorch's exact rule, which a composition of log and clamp would not reproduce at 0 and 1.
    """
    batch_rule = reduced  # vmap: element-wise ('none') on the batch, then each sample's sum or mean

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        ctx.save_for_backward(input, target)
        _scale(ctx, reduction, input.size)
        ctx.weight = 1 if weight is None else weight
        ctx.floor = (input * (1 - input) < _BCE_FLOOR).astype(input.dtype)  # where backward divides by 10⁻¹²
        with np.errstate(divide="ignore"):
            log_1mx = np.maximum(np.log1p(-input), -100)
        loss = -(target * _log100(input) + (1 - target) * log_1mx) * ctx.weight
        return _reduce(loss.astype(input.dtype, copy=False), reduction, input.size)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gw = g * ctx.scale * ctx.weight
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            denominator = x * (1 - x) * (1 - ctx.floor) + _BCE_FLOOR * ctx.floor
            grad_x = gw * (x - y) / denominator
        if ctx.needs_input_grad[1]:
            grad_y = gw * (Log1p.compute(-x) - Log.compute(x))  # not clamped, as in PyTorch: ±inf at 0 and 1
        return grad_x, grad_y


def _softplus(x):
    """ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|)), without overflow, in array syntax."""
    a = Abs.compute(x)
    return (x + a) * 0.5 + Log1p.compute(Exp.compute(-a))


class BinaryCrossEntropyWithLogits(Function):
    """out = s · Σ w · ((1 − y)·z + l·softplus(−z)),  l = 1 + (p − 1)·y,  softplus(u) = ln(1 + eᵘ)

    ∂L/∂z = g·s·w · (l·σ(z) − p·y)          ∂L/∂y = g·s·w · (−z + (p − 1)·softplus(−z))

    z are logits, y targets, w a weight, p the pos_weight (1 without it, so l = 1 and
    ∂L/∂z = g·s·w·(σ(z) − y)); s = 1/n for 'mean', 1 for 'sum'.  −ln σ(z) = softplus(−z)
    is computed as ``np.logaddexp(0, −z)``: no overflow for any z, so |z| = 10⁴ is fine.

    Fused, not a composition (σ, then BCE): σ(z) rounds to 1 for z > 37 in float64 (17 in
    float32) and the loss would lose its tail; and one node instead of a chain.
    """
    batch_rule = reduced  # vmap: element-wise ('none') on the batch, then each sample's sum or mean

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        ctx.save_for_backward(input, target)
        _scale(ctx, reduction, input.size)
        ctx.weight, ctx.pos_weight = 1 if weight is None else weight, pos_weight
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        loss = ((1 - target) * input + log_weight * np.logaddexp(0, -input)) * ctx.weight
        return _reduce(loss.astype(input.dtype, copy=False), reduction, input.size)

    @staticmethod
    def backward(ctx, g):
        z, y = ctx.saved_tensors
        gw, p = g * ctx.scale * ctx.weight, ctx.pos_weight
        grad_z = grad_y = None
        if ctx.needs_input_grad[0]:
            sig = Sigmoid.compute(z)
            grad_z = gw * (sig - y if p is None else (1 + (p - 1) * y) * sig - p * y)
        if ctx.needs_input_grad[1]:
            grad_y = gw * (-z if p is None else (p - 1) * _softplus(-z) - z)
        return grad_z, grad_y


# ============================================================================
# the function forms
# ============================================================================
def _float(x):
    return x if x.dtype.kind == "f" else x.float()


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, for x of shape (*, in), W of shape (out, in) and b of shape (out,).

    Gradients (see ``Linear``): ∂L/∂x = g W, ∂L/∂W = gᵀ x, ∂L/∂b = Σ_rows g.
    """
    dt = weight.dtype
    if input.dtype != dt or bias is not None and bias.dtype != dt:
        # promote as matmul would: float64 data through a float32 layer gives float64
        dt = dtypes.result_dtype(*(internal.values(t) for t in (input, weight, bias) if t is not None))
        input, weight, bias = (None if t is None else t.to(dt) for t in (input, weight, bias))
    return Linear.apply(input, weight, bias)


def relu(input, inplace=False):
    """max(x, 0) element-wise; ∂ = g·[x > 0].  ``inplace`` is accepted; the result is always a new tensor."""
    check_tensor("relu", input)
    return input.relu()


def sigmoid(input):
    """σ(x) = 1 / (1 + e⁻ˣ) element-wise; ∂ = g·σ(x)(1 − σ(x))."""
    check_tensor("sigmoid", input)
    return input.sigmoid()


def tanh(input):
    """tanh x element-wise; ∂ = g·(1 − tanh² x)."""
    check_tensor("tanh", input)
    return input.tanh()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope·x (see ``LeakyReLU``); ``inplace`` is accepted, the result is new."""
    check_tensor("leaky_relu", input)
    return LeakyReLU.apply(_float(input), float(negative_slope))


def gelu(input, approximate="none"):
    """x·Φ(x), Φ the standard normal CDF; approximate='tanh' uses PyTorch's tanh formula (see ``GELU``)."""
    check_tensor("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(_float(input), approximate)


def _softmax_dim(op, input, dim):
    check_tensor(op, input)
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1  # PyTorch's legacy choice


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(x)ᵢ = e^xᵢ / Σⱼ e^xⱼ along ``dim`` (``Tensor.softmax``)."""
    dim = _softmax_dim("softmax", input, dim)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^xⱼ along ``dim`` (``Tensor.log_softmax``)."""
    dim = _softmax_dim("log_softmax", input, dim)
    return input.log_softmax(dim, dtype=dtype)


def mse_loss(input, target, reduction="mean"):
    """Half the squared error, with the ½ of the lecture notes' derivations.

    - ``'mean'``: ℓ = 1/(2n) · Σᵢ (ŷᵢ − yᵢ)², n the number of elements;  ∂ℓ/∂ŷ = (ŷ − y)/n
    - ``'sum'``:  ℓ = ½ · Σᵢ (ŷᵢ − yᵢ)²;                                  ∂ℓ/∂ŷ = ŷ − y
    - ``'none'``: ℓᵢ = ½ (ŷᵢ − yᵢ)², element-wise

    PyTorch's ``F.mse_loss`` has no ½: this is ``torch.nn.functional.mse_loss / 2``.
    ``input`` and ``target`` must have the same shape (no broadcasting).
    """
    return _mse_loss(input, target, loss_args.check_reduction("MSELoss", reduction))


def _mse_loss(input, target, reduction, op=HalfSquaredError):
    """``mse_loss`` for a ``reduction`` already checked (``nn.MSELoss`` checks it once, when it is made);
    ``op=MseLoss`` for PyTorch's, without the ½ (tinygrad_lr.torch)."""
    loss_args.same_shape("MSELoss", input, target)
    input, target = loss_args.floats("MSELoss", input, target)
    return op.apply(input, target, reduction=reduction)


def _elementwise(op, input, target, reduction, loss):
    """An element-wise loss of d = ŷ − y composed of Tensor ops, then reduced (mean: nan when empty)."""
    loss_args.same_shape(op, input, target)
    input, target = loss_args.floats(op, input, target)
    out = loss(input - target)
    if reduction == "none":
        return out
    return out.sum() if reduction == "sum" else out.sum() / out.numel() if out.numel() else out.sum() * math.nan


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """ℓ = mean |ŷ − y| ('mean'), Σ |ŷ − y| ('sum') or |ŷ − y| ('none');  ∂ℓ/∂ŷ = sign(ŷ − y)/n (0 at 0)."""
    reduction = loss_args.reduction("L1Loss", size_average, reduce, reduction)
    return _elementwise("L1Loss", input, target, reduction, lambda d: d.abs())


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """ℓᵢ = ½ dᵢ² / β if |dᵢ| < β else |dᵢ| − ½β, d = ŷ − y; then reduced.  β = 0 is the L1 loss.

    ∂ℓᵢ/∂ŷᵢ = dᵢ / β inside, sign(dᵢ) outside: the slope is continuous at |d| = β.
    """
    reduction = loss_args.reduction("SmoothL1Loss", size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta}); use beta >= 0")
    if beta == 0:
        return _elementwise("SmoothL1Loss", input, target, reduction, lambda d: d.abs())
    return _elementwise("SmoothL1Loss", input, target, reduction,
                        lambda d: (0.5 * d * d / beta).where(d.abs() < beta, d.abs() - 0.5 * beta))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """ℓᵢ = ½ dᵢ² if |dᵢ| < δ else δ·(|dᵢ| − ½δ), d = ŷ − y; then reduced.  = δ · smooth_l1 with β = δ.

    ∂ℓᵢ/∂ŷᵢ = dᵢ inside, δ·sign(dᵢ) outside.
    """
    reduction = loss_args.check_reduction("HuberLoss", reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta}); use delta > 0")
    return _elementwise("HuberLoss", input, target, reduction,
                        lambda d: (0.5 * d * d).where(d.abs() < delta, delta * (d.abs() - 0.5 * delta)))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """ℓ = −Σᵢ w_yᵢ · log softmax(zᵢ)_yᵢ / Σᵢ w_yᵢ: softmax and negative log-likelihood in one (see ``CrossEntropy``).

    - input: logits of shape (N, C), (N, C, d₁, …) or (C,).
    - target: class indices (int64) of shape (N,), (N, d₁, …) or (); entries equal to
      ``ignore_index`` are left out (of the mean too: all left out gives nan, as in PyTorch);
      or class probabilities (floating point) of input's shape, for which 'mean' divides by N·d₁·….
    - weight: one weight per class, shape (C,).  label_smoothing ε: the target becomes
      (1 − ε)·target + ε/C on every class.
    - ∂ℓ/∂z = (softmax(z) − onehot(y))/N without weights or smoothing.
    """
    reduction = loss_args.reduction("CrossEntropyLoss", size_average, reduce, reduction)
    return _class_loss(CrossEntropy, "CrossEntropyLoss", input, target, weight, ignore_index, reduction,
                       label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """ℓ = −Σᵢ w_yᵢ · xᵢ,yᵢ / Σᵢ w_yᵢ for log-probabilities x (``log_softmax``'s output) and class indices y.

    Shapes, ``weight`` and ``ignore_index`` as in ``cross_entropy`` (class indices only);
    ``cross_entropy(z, y) = nll_loss(log_softmax(z, 1), y)``.  ∂ℓ/∂x = −w_y·onehot(y) / Σ w_y.
    """
    reduction = loss_args.reduction("NLLLoss", size_average, reduce, reduction)
    return _class_loss(NLL, "NLLLoss", input, target, weight, ignore_index, reduction)


def _class_loss(fn, op, input, target, weight, ignore_index, reduction, label_smoothing=0.0):
    if batching.on and batching.takes((input, target), {}):
        return _batched_class_loss(fn, op, input, target, weight, ignore_index, reduction, label_smoothing)
    if fn is NLL and isinstance(target, Tensor) and target.dtype.kind == "f":
        raise TypeError(f"{op}: target must be class indices (int64), got {dtypes.dtype_name(target.dtype)} of shape "
                        f"{tuple(target.shape)}; convert it with y.long() (for class probabilities use "
                        "cross_entropy)")
    input, a, divisor, unbatched, y = loss_args.class_targets(op, input, target, weight, ignore_index, label_smoothing)
    index = {} if fn is NLL or y is None else {"index": y}  # A = onehot(y): see CrossEntropy (speed only)
    out = fn.apply(input, a, reduction=reduction, divisor=divisor, **index)
    return out.reshape(()) if unbatched and reduction == "none" else out


def _batched_class_loss(fn, op, input, target, weight, ignore_index, reduction, label_smoothing):
    """cross_entropy and nll_loss inside vmap: every sample's rows as the rows of one batch, one loss of each row
    ('none'), then each sample's reduction; 'mean' divides by the sample's own D (its rows not ignored, weighted)."""
    loss_args.check_tensors(op, input, target)
    order, sizes = batching.union((input, target))
    sample, one = tuple(input.shape), input.ndim == 1  # one: a single sample (C,) and a 0-d target
    rows = 0 if one else 1  # the dims that stay: a row's
    x = batching.run(Reshape, batching.expand(input, order, sizes), shape=(-1,) + sample[rows:])
    t = batching.run(Reshape, batching.expand(target, order, sizes), shape=(-1,) + tuple(target.shape)[rows:])
    per_row = _class_loss(fn, op, x, t, weight, ignore_index, "none", label_smoothing)  # (ordinary tensors)
    loss = batching.tag(per_row.reshape(tuple(sizes) + (() if one else sample[:1] + sample[2:])), order)
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if target.dtype.kind == "f":  # class probabilities: D is the number of rows
        return total / max(1, int(np.prod(sample[:1] + sample[2:])) if not one else 1)
    y = internal.values(t).reshape(tuple(sizes) + (-1,)).astype(np.int64, copy=False)
    kept = y != ignore_index
    w = np.ones(1) if weight is None else internal.values(weight).astype(np.float64)
    D = np.where(kept, w[np.where(kept, y, 0) if weight is not None else 0], 0).sum(axis=-1)  # per sample
    with np.errstate(divide="ignore"):  # every row ignored: D = 0, and the mean is nan, as in PyTorch
        scale = np.where(D == 0, np.nan, 1 / D).astype(total.dtype)
    return total * batching.tag(internal.wrap(scale), order)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """ℓ = mean −w·(y·ln x + (1 − y)·ln(1 − x)) for probabilities x, targets y in [0, 1] (``BinaryCrossEntropy``).

    Logs are clamped at −100, as in PyTorch.  ∂ℓ/∂x = w·(x − y) / (x(1 − x)) / n.
    ``weight`` broadcasts against the input.  For logits use ``binary_cross_entropy_with_logits``.
    """
    op = "BCELoss"
    reduction = loss_args.reduction(op, size_average, reduce, reduction)
    loss_args.same_shape(op, input, target)
    input, target = loss_args.floats(op, input, target)
    loss_args.in_unit_interval(op, "input", input, "BCELoss takes probabilities (e.g. after sigmoid); pass logits "
                                                   "to BCEWithLogitsLoss instead")
    loss_args.in_unit_interval(op, "target", target, "targets are probabilities, usually 0 or 1")
    return BinaryCrossEntropy.apply(input, target, weight=loss_args.constant(op, "weight", weight, input),
                                    reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """ℓ = mean w·((1 − y)·z + (1 + (p − 1)y)·ln(1 + e^(−z))): BCE of σ(z), computed stably from the logits z.

    ∂ℓ/∂z = w·(σ(z) − y)/n without ``pos_weight`` p (see ``BinaryCrossEntropyWithLogits``).
    ``weight`` broadcasts against the input; ``pos_weight`` (one per class) along its last dim.
    """
    op = "BCEWithLogitsLoss"
    reduction = loss_args.reduction(op, size_average, reduce, reduction)
    loss_args.same_shape(op, input, target)
    input, target = loss_args.floats(op, input, target)
    return BinaryCrossEntropyWithLogits.apply(
        input, target, weight=loss_args.constant(op, "weight", weight, input),
        pos_weight=loss_args.constant(op, "pos_weight", pos_weight, input), reduction=reduction)


# dropout and dropout2d (functional_dropout); the layers of a small GPT (embedding, layer_norm, batch_norm,
# attention: functional_layers).  These files import from nothing of this one (the shared argument checks are
# in arguments.py), so the imports run one way: this file gathers them.
from .functional_dropout import dropout, dropout2d  # noqa: E402,F401
from .functional_layers import batch_norm, embedding, layer_norm, scaled_dot_product_attention  # noqa: E402,F401
# convolutions, unfold / fold (functional_conv); pooling (functional_pool); pad, interpolate (functional_resize)
from .functional_conv import conv1d, conv2d, fold, unfold  # noqa: E402,F401
from .functional_pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,  # noqa: E402,F401
                              adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)
from .functional_resize import interpolate, pad  # noqa: E402,F401
# the other activations (elu, softplus, hardswish, prelu, ...) and losses (kl_div, the margin losses, ...)
from .functional_activations import (celu, celu_, elu, elu_, hardsigmoid, hardswish, hardtanh,  # noqa: E402,F401
                                     hardtanh_, mish, prelu, relu6, selu, selu_, silu, softplus, softsign)
from .functional_losses import (cosine_embedding_loss, cosine_similarity, kl_div,  # noqa: E402,F401
                                margin_ranking_loss, pairwise_distance, poisson_nll_loss, triplet_margin_loss)
