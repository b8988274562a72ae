"""The math of the layers and losses as functions: ``F.linear``, ``F.mse_loss``.

Each is one ``autograd.Function``, defined here exactly as a user defines a
custom op, and its backward is the lecture notes' hand-derived formula:

    ℓ = 1/(2n)·Σ(ŷ − y)²     ∂ℓ/∂ŷ = (ŷ − y)/n
    ŷ = x Wᵀ + b             ∂ℓ/∂W = gᵀ x,  ∂ℓ/∂b = Σ_rows g,  ∂ℓ/∂x = g W

so together ∂ℓ/∂W = Xᵀ(Xw + b − y)/n and ∂ℓ/∂b = Σ(Xw + b − y)/n.  The same
values come out of the core's primitives composed (``x @ W.T + b``,
``((ŷ − y) ** 2).sum() / (2n)``) — the tests check both agree — but one node
for each does the work of the four to six a composition records, which is
most of the time of a small training step.
"""
import numpy as np

from ..core import Tensor
from ..core import dtypes, internal, operands
from ..core.function import Function


class Linear(Function):
    """out = x Wᵀ + b         ∂L/∂x = g W        ∂L/∂W = gᵀ x        ∂L/∂b = Σ_rows g

    x is (*, in), W is (out, in), b is (out,) or None; every leading dimension
    of x is one more row of the batch.
    """
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
    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)  # not ŷ − y: backward recomputes it, so that under
        diff = input - target                 # create_graph it is part of the graph
        ctx.scale = 1 / diff.size if reduction == "mean" and diff.size else 1
        if reduction == "none":
            return 0.5 * diff * diff
        return np.add.reduce(diff * diff, axis=None) * (0.5 * ctx.scale)  # = .sum(), without its Python wrapper

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        grad = (input - target) * (g * ctx.scale)
        return (grad if ctx.needs_input_grad[0] else None,
                -grad if ctx.needs_input_grad[1] else None)


_REDUCTIONS = ("mean", "sum", "none")


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


def _check_reduction(op, reduction):
    if not isinstance(reduction, str):  # nn.MSELoss(y_hat, ...): the loss is made first, then called
        raise TypeError(f"{op}: reduction must be 'mean', 'sum' or 'none', got a {type(reduction).__name__}. "
                        f"Create the loss first, then call it on the prediction and the target: "
                        f"loss = nn.{op}(); l = loss(y_hat, y)")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction={reduction!r} is not a valid value; use 'mean', 'sum' or 'none'")


def mse_loss(input, target, reduction="mean"):
    """Half the squared error, with the ½ of the lecture notes' derivations.

    - ``'mean'``: ℓ = 1/(2n) · Σᵢ (ŷᵢ − yᵢ)², n the number of elements;  ∂ℓ/∂ŷ = (ŷ − y)/n
    - ``'sum'``:  ℓ = ½ · Σᵢ (ŷᵢ − yᵢ)²;                                  ∂ℓ/∂ŷ = ŷ − y
    - ``'none'``: ℓᵢ = ½ (ŷᵢ − yᵢ)², element-wise

    PyTorch's ``F.mse_loss`` has no ½: this is ``torch.nn.functional.mse_loss / 2``.
    ``input`` and ``target`` must have the same shape (no broadcasting).
    """
    _check_reduction("MSELoss", reduction)
    return _mse_loss(input, target, reduction)


def _mse_loss(input, target, reduction):
    """``mse_loss`` for a ``reduction`` already checked (``nn.MSELoss`` checks it once, when it is made)."""
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        name, t = ("input", input) if not isinstance(input, Tensor) else ("target", target)
        raise TypeError(f"MSELoss: {name} must be a Tensor, got {type(t).__name__}; "
                        "convert it with tinygrad_lr.tensor(...) or tinygrad_lr.from_numpy(...)")
    if input.shape != target.shape:
        raise ValueError(_shape_mismatch(input.shape, target.shape))
    dt = input.dtype
    if dt != target.dtype or dt.kind != "f":
        input, target = operands.promote("MSELoss", input, target)
        if input.dtype.kind != "f":
            input, target = input.float(), target.float()
    return HalfSquaredError.apply(input, target, reduction=reduction)


def _shape_mismatch(si, st):
    text = (f"MSELoss: input (prediction) has shape {si} but target has shape {st}; they must be equal. ")
    if len(si) == 2 and si[1] == 1 and st == si[:1] or len(st) == 2 and st[1] == 1 and si == st[:1]:
        n = si[0]
        text += (f"Broadcasting ({n}, 1) against ({n},) would compare every prediction with every target "
                 f"(a ({n}, {n}) matrix) and give a wrong loss without any error. ")
        return text + ("Reshape the target to the prediction's shape: y.reshape(-1, 1) "
                       "(or the prediction: y_hat.reshape(-1))")
    return text + "Reshape one of them, e.g. target.reshape(input.shape)"
