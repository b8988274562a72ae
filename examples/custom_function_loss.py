"""The linear-regression loss as ONE custom autograd Function, with the hand-derived gradient.

    ℓ(w, b) = 1/(2n)·‖Xw + b − y‖²        r = Xw + b − y  (the residuals, shape (n, 1))

    ∂ℓ/∂w = Xᵀr / n                        ∂ℓ/∂b = Σᵢ rᵢ / n

Instead of letting autograd chain six small ops (matmul, add, sub, pow, sum,
div), we write forward and backward ourselves, exactly as the built-in ops in
tinygrad_lr/core/primitives/ are written, then let the framework check the
derivation three ways: gradcheck (finite differences), autograd of the same
loss composed from built-in ops, and gradgradcheck (backward is written in
array syntax, so it is differentiable too).

    python examples/custom_function_loss.py
"""
import tinygrad_lr as torch
from tinygrad_lr.autograd import Function, gradcheck, gradgradcheck


class LinearRegressionLoss(Function):
    """ℓ = 1/(2n)·‖Xw + b − y‖²     ∂ℓ/∂w = g · Xᵀr/n     ∂ℓ/∂b = g · Σr/n     (r = Xw + b − y)"""

    @staticmethod
    def forward(ctx, X, w, b, y):          # NumPy arrays in, a NumPy array out
        ctx.save_for_backward(X, w, b, y)
        r = X @ w + b - y
        return (r * r).sum() / (2 * X.shape[0])

    @staticmethod
    def backward(ctx, grad_output):        # one gradient per forward argument
        X, w, b, y = ctx.saved_tensors
        n = X.shape[0]
        r = X @ w + b - y                  # recomputed from the inputs: differentiable again
        grad_w = grad_output * (X.T @ r) / n if ctx.needs_input_grad[1] else None
        grad_b = grad_output * r.sum(axis=0) / n if ctx.needs_input_grad[2] else None
        return None, grad_w, grad_b, None  # X and y are data: no gradient


def linreg_loss(X, w, b, y):
    """The same loss composed from built-in ops: autograd derives its gradient."""
    return ((X @ w + b - y) ** 2).sum() / (2 * X.shape[0])


def main(n=20, seed=0, verbose=True):
    torch.manual_seed(seed)
    X = torch.randn(n, 2, dtype=torch.float64)
    y = X @ torch.tensor([[2.0], [-3.4]], dtype=torch.float64) + 4.2 + 0.01 * torch.randn(n, 1, dtype=torch.float64)
    w = torch.randn(2, 1, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)

    # 1. finite differences, first and second derivatives (float64, PyTorch's tolerances)
    ok1 = gradcheck(LinearRegressionLoss.apply, (X, w, b, y))
    ok2 = gradgradcheck(LinearRegressionLoss.apply, (X, w, b, y))

    # 2. against autograd of the composed loss
    custom = LinearRegressionLoss.apply(X, w, b, y)
    custom.backward()
    gw, gb = w.grad.clone(), b.grad.clone()
    w.grad = b.grad = None
    composed = linreg_loss(X, w, b, y)
    composed.backward()
    dw = float((gw - w.grad).abs().numpy().max())
    db = float((gb - b.grad).abs().numpy().max())

    if verbose:
        print(f"loss: custom Function {custom.item():.10f}, composed ops {composed.item():.10f}")
        print(f"gradcheck: {ok1}, gradgradcheck: {ok2}")
        print(f"max |custom − autograd|: w {dw:.1e}, b {db:.1e}")
        print(f"grad w = {gw.reshape(-1).tolist()}, grad b = {gb.tolist()}")
    return ok1 and ok2, max(dw, db)


if __name__ == "__main__":
    main()
