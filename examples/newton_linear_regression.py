"""Newton's method for linear regression: one step lands on the least-squares solution.

The lecture notes' Newton iteration finds a zero of the derivative:

    θ ← θ − ℓ'(θ) / ℓ''(θ),    in several variables   θ ← θ − H⁻¹ ∇ℓ(θ).

With A = [X 1] (a column of ones for the bias) and θ = [w; b],

    ℓ(θ) = 1/(2n)·‖Aθ − y‖²,    ∇ℓ = Aᵀ(Aθ − y)/n,    H = AᵀA/n  (the same for every θ).

ℓ is quadratic, so its second-order Taylor expansion is exact and one Newton
step from any start solves ∇ℓ = 0, i.e. the normal equations AᵀAθ = Aᵀy.
Autograd gives ∇ℓ and (through create_graph=True) H; no derivation needed.

    python examples/newton_linear_regression.py
"""
import numpy as np

import tinygrad_lr as torch
from tinygrad_lr.autograd import grad
from tinygrad_lr.autograd.functional import hessian


def main(n=100, seed=0, verbose=True):
    torch.manual_seed(seed)
    X = torch.randn(n, 2, dtype=torch.float64)
    y = X @ torch.tensor([2.0, -3.4], dtype=torch.float64) + 4.2 + 0.01 * torch.randn(n, dtype=torch.float64)
    A = torch.cat([X, torch.ones(n, 1, dtype=torch.float64)], dim=1)   # [X 1]

    def loss(theta):
        return ((A @ theta - y) ** 2).sum() / (2 * n)

    theta = torch.randn(3, dtype=torch.float64, requires_grad=True)    # any start
    H = hessian(loss, theta)                                           # (3, 3)
    g, = grad(loss(theta), theta)                                      # (3,)
    step = np.linalg.solve(H.numpy(), g.numpy())                       # H⁻¹ ∇ℓ
    with torch.no_grad():
        newton = theta - torch.tensor(step)

    lstsq = np.linalg.lstsq(A.numpy(), y.numpy(), rcond=None)[0]
    hessian_error = np.abs(H.numpy() - A.numpy().T @ A.numpy() / n).max()
    solution_error = np.abs(newton.numpy() - lstsq).max()
    if verbose:
        print("H =\n", H.numpy(), "\n  = AᵀA/n, largest difference", f"{hessian_error:.1e}")
        print("start        ", theta.detach().numpy())
        print("one Newton step", newton.numpy())
        print("np.linalg.lstsq", lstsq, f"(largest difference {solution_error:.1e})")
        print("loss after the step:", loss(newton).item())
    return hessian_error, solution_error


if __name__ == "__main__":
    main()
