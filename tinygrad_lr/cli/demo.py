"""``tinygrad-lr demo`` (and ``tinygrad-lr`` alone): the lecture notes' example, trained the PyTorch way.

The training is examples/linear_regression_concise.py, line for line: the same
data for the same seed, nn.Sequential(nn.Linear(2, 1)), nn.MSELoss, optim.SGD
and a shuffled DataLoader, so the demo prints the example's losses (a test in
tests/cli/test_cli.py keeps the two in step).  Then the learned w, b next to the
true ones and the closed form, and a gradient check.
"""
import math

import numpy as np

import tinygrad_lr
from .. import linalg, nn, optim
from ..data import DataLoader, TensorDataset
from .output import CommandError, table
from .problem import LOSS, NOISE, SAMPLES, TRUE_B, TRUE_W, synthetic_tensors


def cmd_demo(args):
    """The lecture notes' example, as examples/linear_regression_concise.py trains it."""
    print("tinygrad-lr demo: linear regression ŷ = Xw + b, trained the PyTorch way with tinygrad_lr")
    print(f"data: {SAMPLES} samples of y = Xw + b + ε, w = [2, -3.4], b = 4.2, ε ~ N(0, {NOISE}²), seed {args.seed}")
    print(f"model: nn.Linear(2, 1); loss: nn.MSELoss() = {LOSS} (with the ½); optimizer: optim.SGD(lr={args.lr:g}); "
          f"data: DataLoader(batch_size={args.batch_size}, shuffle=True)")
    print()
    features, labels = synthetic_tensors(args.seed)
    data_iter = DataLoader(TensorDataset(features, labels), args.batch_size, shuffle=True)
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    w0, b0 = net[0].weight.detach().numpy().copy(), net[0].bias.detach().numpy().copy()
    loss = nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=args.lr)
    with np.errstate(all="ignore"):
        for epoch in range(args.epochs):
            for X, y in data_iter:
                l = loss(net(X), y)  # noqa: E741
                trainer.zero_grad()
                l.backward()
                trainer.step()
            with tinygrad_lr.no_grad():
                l = loss(net(features), labels)  # noqa: E741
            print(f"epoch {epoch + 1}, loss {l:f}")
            if not math.isfinite(float(l)):
                raise CommandError(f"demo: training diverged (loss {float(l)}): --lr {args.lr:g} is too large; "
                                   "try --lr 0.03")

    X64, y64 = features.numpy().astype(np.float64), labels.numpy().astype(np.float64)
    A = np.hstack([X64, np.ones((len(X64), 1))])
    theta_star = linalg.lstsq(A, y64).solution.numpy().reshape(-1)         # lstsq on [X 1]
    w, b = net[0].weight.detach().numpy().reshape(-1), float(net[0].bias.detach().numpy()[0])
    best = float(((A @ theta_star - y64.reshape(-1)) ** 2).mean() / 2)
    final = float(((A @ np.r_[w, b] - y64.reshape(-1)) ** 2).mean() / 2)
    print()
    rows = [[f"w[{k}]", f"{TRUE_W[k]:.4f}", f"{w[k]:.4f}", f"{theta_star[k]:.4f}"] for k in range(2)]
    rows.append(["b", f"{TRUE_B:.4f}", f"{b:.4f}", f"{theta_star[2]:.4f}"])
    rows.append([f"loss {LOSS}", f"{NOISE ** 2 / 2:.2e} (σ²/2)", f"{final:.2e}", f"{best:.2e}"])
    print(table(["", "true", "learned (SGD)", "closed form (lstsq on [X 1])"], rows, right=(1, 2, 3)))
    print()
    error = _demo_gradient_check(X64, y64, w0, b0)
    verdict = "PASS" if error <= 1e-10 else "FAIL"
    print(f"gradient check at the initial w, b (float64): autograd vs the hand-derived ∂ℓ/∂w = Xᵀ(Xw + b − y)/n, "
          f"∂ℓ/∂b = Σ(Xw + b − y)/n: max abs error {error:.1e} — {verdict}")
    print()
    print("next: tinygrad-lr --help · tinygrad-lr compare --plot curves.png · tinygrad-lr check · tinygrad-lr graph")
    return 0 if verdict == "PASS" else 1


def _demo_gradient_check(X, y, w0, b0):
    """max |autograd − formula| for the gradient of ½·mean((Xw + b − y)²) at (w0, b0), in float64."""
    model = nn.Linear(2, 1, dtype=tinygrad_lr.float64)
    model.load_state_dict({"weight": tinygrad_lr.tensor(w0.astype(np.float64)),
                           "bias": tinygrad_lr.tensor(b0.astype(np.float64))})
    nn.MSELoss()(model(tinygrad_lr.tensor(X)), tinygrad_lr.tensor(y)).backward()
    n = len(X)
    r = X @ w0.reshape(-1, 1).astype(np.float64) + b0.astype(np.float64) - y     # Xw + b − y, shape (n, 1)
    dw, db = X.T @ r / n, r.sum(axis=0) / n                                       # the hand-derived formulas
    return max(np.abs(model.weight.grad.numpy().reshape(-1) - dw.reshape(-1)).max(),
               np.abs(model.bias.grad.numpy() - db).max())
