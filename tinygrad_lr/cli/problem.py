"""The objects every command works on: the data, the problem set up from it, and the outcome of a method.

- ``Data``: features X (n, d), target y (n,) and their names, from a CSV file
  (csvfile.read_csv) or the lecture notes' synthetic data (``synthetic_data``);
- ``Problem``: A = [X 1], the closed form θ* = lstsq(A, y) and its loss L*, the
  features gradient descent trains on, and the default learning rates;
- ``Run``: what one method did: θ, the loss, its hyperparameters and its loss curve.

The formulas (A = [X 1], θ = [w; b], n samples)::

    ŷ = Xw + b                          the model
    ℓ(θ) = 1/(2n)·‖Aθ − y‖²             the loss: half the mean squared error
    θ* = (AᵀA)⁻¹Aᵀy                     the closed form
"""
import time
from dataclasses import dataclass, field

import numpy as np

import tinygrad_lr
from .. import linalg, nn
from .output import CommandError, warnings_as_notes

TRUE_W, TRUE_B, NOISE, SAMPLES = (2.0, -3.4), 4.2, 0.01, 1000    # the lecture notes' synthetic data
LOSS = "½·mean((ŷ − y)²)"
LOSS_DEFINITION = "1/(2n)·Σ(ŷ − y)², half the mean squared error (the lecture notes' loss)"
RIDGE_DEFINITION = ("1/(2n)·Σ(ŷ − y)² + (λ/2)·‖w‖², half the mean squared error plus the ridge penalty on the "
                    "weights (the bias is not penalised; with --standardize, w of the standardized features)")
METHODS = ("minibatch", "sgd", "batch", "closed", "newton")
GD_METHODS = ("batch", "minibatch", "sgd")
NAMES = {"batch": "batch GD", "minibatch": "mini-batch SGD", "sgd": "SGD", "newton": "Newton",
         "closed": "closed form", "adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad", "lbfgs": "L-BFGS"}
LR_FACTOR = {"batch": 1.0, "minibatch": 0.1, "sgd": 0.03}          # default lr = factor / λmax(AᵀA/n)


# ============================================================================
# data: the lecture notes' synthetic data (a CSV file: csvfile.py)
# ============================================================================
@dataclass
class Data:
    """A regression problem: features X (n, d), target y (n,), their names, and the rows left out."""
    name: str
    X: np.ndarray
    y: np.ndarray
    features: list
    target: str
    skipped: list = field(default_factory=list)   # line numbers of the rows skipped by --drop-bad-rows

    @property
    def n(self):
        return len(self.y)


def synthetic_tensors(seed, n=SAMPLES):
    """The lecture notes' data, y = Xw + b + ε with w = [2, −3.4], b = 4.2, ε ~ N(0, 0.01²).

    Drawn exactly as examples/linear_regression_concise.py draws it (float32 tensors,
    X of shape (n, 2), y of shape (n, 1)), so the same seed gives the same numbers.
    """
    tinygrad_lr.manual_seed(seed)
    true_w = tinygrad_lr.tensor(TRUE_W)
    X = tinygrad_lr.normal(0, 1, (n, len(TRUE_W)))
    y = tinygrad_lr.matmul(X, true_w) + TRUE_B
    y += tinygrad_lr.normal(0, NOISE, y.shape)
    return X, y.reshape((-1, 1))


def synthetic_data(seed, n=SAMPLES):
    X, y = synthetic_tensors(seed, n)
    return Data(f"synthetic data (seed {seed})", X.numpy().astype(np.float64),
                y.numpy().reshape(-1).astype(np.float64), ["x1", "x2"], "y")


# ============================================================================
# the problem: A = [X 1], the closed form, the units gradient descent works in
# ============================================================================
class Problem:
    """A data set ready for the methods.

    - ``A = [X 1]`` and the closed form θ* = lstsq(A, y), with its loss L*;
    - the features gradient descent trains on: X itself, or with ``standardize``
      z = (x − mean)/std column by column (the loss is the same: only the units of w change);
    - λ, the largest eigenvalue of the Hessian AᵀA/n of those features, which sets
      the default learning rates (gradient descent is stable for η < 2/λ);
    - with ``l2`` > 0, ridge regression: the loss gains (l2/2)·‖w‖² (w of the features
      trained on; the bias is not penalised), θ* is ``ridge_solution`` and the Hessian
      gains l2 on the weights' diagonal.
    """

    def __init__(self, data, standardize=False, l2=0.0):
        self.data, self.standardize, self.l2 = data, standardize, l2
        self._set_features()
        start = time.perf_counter()
        with warnings_as_notes(self.columns):
            self.theta_star = (ridge_solution(self, l2) if l2 else
                               linalg.lstsq(self.A, data.y).solution.numpy())   # θ* = [w; b]
        self.closed_seconds = time.perf_counter() - start
        self.best_loss = self.loss(self.theta_star)
        self._set_curvature()

    def _set_features(self):
        """A = [X 1], and the features trained on: X, or z = (x − mean)/std with ``standardize``."""
        data = self.data
        self.columns = list(data.features) + ["(bias)"]
        if self.standardize:
            self.mean, self.std = data.X.mean(axis=0), data.X.std(axis=0)
            for name, s, m in zip(data.features, self.std, self.mean):
                if s == 0:
                    raise CommandError(f"--standardize: feature {name!r} is constant (every value is {m:g}), so it "
                                       "cannot be scaled to unit variance; next to the bias it adds nothing: leave "
                                       "it out with --features", 2)
            self.X_train = (data.X - self.mean) / self.std
        else:
            self.mean, self.std = np.zeros(data.X.shape[1]), np.ones(data.X.shape[1])
            self.X_train = data.X
        self.A = np.hstack([data.X, np.ones((data.n, 1))])

    def _set_curvature(self, scale=1.0):
        """The eigenvalues of scale·AᵀA/n + l2·diag(1, …, 1, 0) on the features trained on: the Hessian (for a
        classifier, with scale ¼ or ½, a bound on it); the largest, λ, sets the default learning rates."""
        n = self.data.n
        A_train = np.hstack([self.X_train, np.ones((n, 1))])
        eigenvalues = np.linalg.eigvalsh(scale * A_train.T @ A_train / n
                                         + np.diag(np.r_[np.full(len(self.std), self.l2), 0.0]))
        self.curvature, self.trace = float(eigenvalues[-1]), float(eigenvalues.sum())
        self.condition = float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else float("inf")

    def loss(self, theta):
        """ℓ(θ) = 1/(2n)·‖Aθ − y‖² (+ (l2/2)·‖w‖² for ridge), θ = [w; b] in the data's units."""
        w_train = theta[:-1] * self.std                  # the weights of the features trained on
        return self.data_loss(theta) + self.l2 / 2 * float(w_train @ w_train)

    def data_loss(self, theta):
        """1/(2n)·‖Aθ − y‖², without the ridge penalty."""
        r = self.A @ theta - self.data.y
        return float(r @ r) / (2 * len(r))

    # what the training loops (training.py) ask of a problem; a classifier (classification.py) answers differently
    outputs = 1                                          # the model is nn.Linear(d, outputs)

    @property
    def curvature_of(self):
        """The matrix whose largest eigenvalue is ``self.curvature``: the Hessian."""
        return "AᵀA/n" + (" + λ·diag(1, …, 1, 0)" if self.l2 else "")

    def targets(self):
        """y as a float64 (n, 1) tensor, no copy."""
        return tinygrad_lr.from_numpy(self.data.y.reshape(-1, 1))

    def criterion(self):
        """The loss module: nn.MSELoss(), the notes' ½·mean((ŷ − y)²)."""
        return nn.MSELoss()

    def theta_of(self, net):
        """θ = [w; b] of an nn.Linear(d, 1) trained on these features, in the data's units.

        A model trained on z = (x − mean)/std predicts ŷ = Σ w_z·(x − mean)/std + b_z,
        so for x itself w = w_z/std and b = b_z − Σ w·mean.
        """
        w_z, b_z = net.weight.detach().numpy().reshape(-1), float(net.bias.detach().numpy()[0])
        w = w_z / self.std
        return np.concatenate([w, [b_z - w @ self.mean]])

    def default_lr(self, batch_size):
        """The default η for steps on batches of ``batch_size`` rows.

        1/λ for the full batch (gradient descent is stable for η < 2/λ, λ = λmax(AᵀA/n)),
        0.1/λ for mini-batches and 0.03/λ for single rows, whose sampled gradients are
        noisy.  With many features the gradient of one row is large (its squared size
        is about tr(AᵀA/n) times the residual's), so those two are also kept below
        0.1·B/tr(AᵀA/n).
        """
        if batch_size >= self.data.n:
            return LR_FACTOR["batch"] / self.curvature
        factor = LR_FACTOR["sgd"] if batch_size == 1 else LR_FACTOR["minibatch"]
        return min(factor / self.curvature, 0.1 * batch_size / self.trace)

    def r2(self, theta):
        y = self.data.y
        return 1.0 - float(((self.A @ theta - y) ** 2).sum()) / float(((y - y.mean()) ** 2).sum())


def ridge_solution(problem, l2):
    """The minimum of ℓ(w, b) = 1/(2n)·‖Zw + b − y‖² + (λ/2)·‖w‖² (λ = l2, bias not penalised), by centring.

    Z are the features trained on (X, or standardized).  Setting the derivatives to 0:

        ∂ℓ/∂b = Σ(Zw + b − y)/n = 0                 ⇒  b = ȳ − z̄ᵀw
        then Zw + b − y = Z_c w − y_c  (Z_c = Z − z̄, y_c = y − ȳ), and
        ∂ℓ/∂w = Z_cᵀ(Z_c w − y_c)/n + λw = 0        ⇒  w = (Z_cᵀZ_c + nλI)⁻¹ Z_cᵀ y_c

    the notes' θ* = (XᵀX)⁻¹Xᵀy on centred data, with nλI added: invertible for every
    λ > 0, even when XᵀX is singular.  (Augmenting A = [Z 1] and solving
    (AᵀA + nλ·diag(1, …, 1, 0))θ = Aᵀy gives the same θ; centring takes the
    unpenalised bias out of the system.)  Returned as [w; b] in the data's units.
    """
    Z, y, n = problem.X_train, problem.data.y, problem.data.n
    z_mean, y_mean = Z.mean(axis=0), y.mean()
    Zc = Z - z_mean
    w_z = linalg.solve(Zc.T @ Zc + n * l2 * np.eye(Z.shape[1]), Zc.T @ (y - y_mean)).numpy()
    w = w_z / problem.std
    return np.concatenate([w, [y_mean - w_z @ z_mean - w @ problem.mean]])


@dataclass
class Run:
    """The outcome of one method on one problem."""
    method: str
    theta: np.ndarray                  # [w; b] in the data's units
    loss: float
    lr: float = None
    epochs: int = None
    batch_size: int = None
    momentum: float = 0.0
    schedule: str = None
    steps: int = 0
    evaluations: int = 0               # per-sample gradient evaluations
    seconds: float = 0.0
    samples: list = field(default_factory=list)   # the loss curve: samples processed ...
    curve: list = field(default_factory=list)     # ... and the loss on all the data then
    epoch_losses: list = field(default_factory=list)
    optimizer: str = "sgd"             # the update rule of a gradient method (cli/optimizers.py)

    @property
    def label(self):
        if self.optimizer != "sgd":            # Adam (B = 10), ..., L-BFGS
            return NAMES[self.optimizer] + ("" if self.optimizer == "lbfgs" else f" (B = {self.batch_size})")
        if self.method == "minibatch":
            return f"mini-batch SGD (B = {self.batch_size})"
        if self.method == "sgd":
            return "SGD (B = 1)"
        if self.method == "newton":
            return f"Newton ({self.steps} step{'s' if self.steps != 1 else ''})"
        return NAMES[self.method]

    def loss_after(self, samples):
        """The loss after the steps made with at most ``samples`` samples (the last recorded point up to there)."""
        return [loss for s, loss in zip(self.samples, self.curve) if s <= samples][-1]

    def rises(self):
        """The share of recorded steps in which the loss on all the data went up: the noise of the method."""
        ups = [b > a * (1 + 1e-12) for a, b in zip(self.curve, self.curve[1:])]
        return sum(ups) / len(ups) if ups else 0.0
