"""The math of the layers and losses as functions: ``F.linear``, ``F.mse_loss``.

Both are compositions of the core's primitives (matmul, transpose, add, sub,
pow, sum, div), so their gradients come from those primitives' backwards.
"""
from ..core import Tensor
from ..core import ops

_REDUCTIONS = ("mean", "sum", "none")


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, for x of shape (*, in), W of shape (out, in) and b of shape (out,).

    Gradients (from the primitives): ∂L/∂x = g W, ∂L/∂W = gᵀ x, ∂L/∂b = Σ_rows g.
    """
    out = ops.matmul(input, weight.T)
    return out if bias is None else out + bias


def _check_reduction(op, reduction):
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
    for name, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"MSELoss: {name} must be a Tensor, got {type(t).__name__}; "
                            "convert it with tinygrad_lr.tensor(...) or tinygrad_lr.from_numpy(...)")
    if input.shape != target.shape:
        raise ValueError(_shape_mismatch(tuple(input.shape), tuple(target.shape)))
    squared = (input - target) ** 2
    if reduction == "none":
        return squared / 2
    if reduction == "sum":
        return squared.sum() / 2
    return squared.sum() / (2 * squared.numel())


def _shape_mismatch(si, st):
    text = (f"MSELoss: input (prediction) has shape {si} but target has shape {st}; they must be equal. ")
    if len(si) == 2 and si[1] == 1 and st == si[:1] or len(st) == 2 and st[1] == 1 and si == st[:1]:
        n = si[0]
        text += (f"Broadcasting ({n}, 1) against ({n},) would compare every prediction with every target "
                 f"(a ({n}, {n}) matrix) and give a wrong loss without any error. ")
        return text + ("Reshape the target to the prediction's shape: y.reshape(-1, 1) "
                       "(or the prediction: y_hat.reshape(-1))")
    return text + "Reshape one of them, e.g. target.reshape(input.shape)"
