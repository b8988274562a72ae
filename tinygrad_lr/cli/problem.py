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
import functools
import math
import time
from dataclasses import dataclass, field

import numpy as np

import tinygrad_lr
from .. import linalg, nn
from .output import CommandError, note, numerical_failures, warnings_as_notes

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
EXACT = 1e-12      # L* below EXACT·½·var(y) (the loss of predicting ȳ) counts as 0: an exact fit, gaps absolute


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
    unused: dict = field(default_factory=dict)    # {column: why it is not used} for the file's other columns

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
      the default learning rates (gradient descent is stable for η < 2/λ): computed
      when first asked for (the closed form needs no learning rate), from a small
      matrix when there are fewer rows than features (``hessian_spectrum``);
    - with ``l2`` > 0, ridge regression: the loss gains (l2/2)·‖w‖² (w of the features
      trained on; the bias is not penalised), θ* is ``ridge_solution`` and the Hessian
      gains l2 on the weights' diagonal.
    """

    def __init__(self, data, standardize=False, l2=0.0):
        self.data, self.standardize, self.l2 = data, standardize, l2
        self._set_features()
        start = time.perf_counter()
        with warnings_as_notes(self.columns, data.n), numerical_failures("the closed form", data), \
                np.errstate(over="ignore", invalid="ignore"):     # lstsq's residuals may overflow; θ* is checked
            self.theta_star = (ridge_solution(self, l2) if l2 else
                               linalg.lstsq(self.A, data.y).solution.numpy())   # θ* = [w; b]
        self.closed_seconds = time.perf_counter() - start
        self.best_loss = self.loss(self.theta_star)
        self._check_loss_fits()
        self._set_curvature()

    def _set_features(self):
        """A = [X 1], and the features trained on: X, or z = (x − mean)/std with ``standardize``.

        A constant feature has std 0: --standardize centres it and leaves it unscaled (z = 0, so
        its weight stays 0: next to the bias it adds nothing), with a note.
        """
        data = self.data
        self.columns = list(data.features) + ["(bias)"]
        self.constant = [name for name, flat in zip(data.features, np.ptp(data.X, axis=0) == 0) if flat]
        if self.standardize:
            self.mean, self.std = column_mean_and_std(data.X)
            if self.constant:
                flat = np.isin(data.features, self.constant)
                self.mean[flat], self.std[flat] = data.X[0, flat], 1.0
                values = ", ".join(f"{name} = {v:g}" for name, v in zip(self.constant, data.X[0, flat]))
                note(f"--standardize: the constant feature(s) {', '.join(self.constant)} ({values} in every row) are "
                     "centred but not scaled (std 0): their weight stays 0, next to the bias they add nothing; "
                     f"--exclude {','.join(self.constant)} leaves them out")
            self.X_train = (data.X - self.mean) / self.std
        else:
            self.mean, self.std = np.zeros(data.X.shape[1]), np.ones(data.X.shape[1])
            self.X_train = data.X
        self.A = np.hstack([data.X, np.ones((data.n, 1))])

    def _set_curvature(self, scale=1.0):
        """The Hessian is scale·AᵀA/n + l2·diag(1, …, 1, 0) on the features trained on (for a classifier, with
        scale ¼ or ½, a bound on it); its eigenvalues are computed when first asked for (``spectrum``)."""
        self.hessian_scale = scale

    @functools.cached_property
    def spectrum(self):
        """(λ, the trace, the condition number) of the Hessian; λ, the largest eigenvalue, sets the default lr."""
        return hessian_spectrum(self.X_train, self.hessian_scale, self.l2)

    curvature = property(lambda self: self.spectrum[0], doc="λ = λmax of the Hessian (gradient descent: η < 2/λ)")
    trace = property(lambda self: self.spectrum[1], doc="the trace of the Hessian, the sum of its eigenvalues")
    condition = property(lambda self: self.spectrum[2], doc="λmax/λmin of the Hessian (inf when it is singular)")

    @functools.cached_property
    def gram(self):
        """AᵀA/n of the features trained on ((d + 1) × (d + 1)), for the notes on conditioning."""
        return gram(self.X_train)

    def _check_loss_fits(self):
        """A one-line error when even the best fit's loss overflows float64: residuals beyond about 1e154."""
        if math.isfinite(self.best_loss):
            return
        y = self.data.y
        with np.errstate(over="ignore", invalid="ignore"):
            residual = np.abs(self.A @ self.theta_star - y).max()
        raise CommandError(f"the target {self.data.target!r} (values up to {np.abs(y).max():.3g}) is too large: the "
                           f"loss {LOSS} overflows float64 even at the best fit θ* (residuals up to {residual:.3g}); "
                           f"{_rescale_hint(y)}")

    def check_trainable(self, method):
        """A one-line error when a method that starts from θ = 0 cannot: the Hessian AᵀA/n of the features trained
        on overflows (values near 1e300), or the loss at θ = 0, ½·mean(y²), does (a target beyond about 1e154)."""
        if not math.isfinite(self.curvature):
            k = int(np.argmax(np.abs(self.X_train).max(axis=0)))
            raise CommandError(f"{method} cannot work on these features: the Hessian AᵀA/n overflows (feature "
                               f"{self.data.features[k]!r} has values up to {np.abs(self.X_train[:, k]).max():.3g}); "
                               "pass --standardize, or use --method closed")
        y = self.data.y
        if not math.isfinite(half_mean_square(y)):
            raise CommandError(f"{method} cannot start: at θ = 0 the loss ½·mean(y²) overflows float64 (the target "
                               f"{self.data.target!r} has values up to {np.abs(y).max():.3g}); {_rescale_hint(y)}, "
                               "or use --method closed")

    def loss(self, theta):
        """ℓ(θ) = 1/(2n)·‖Aθ − y‖² (+ (l2/2)·‖w‖² for ridge), θ = [w; b] in the data's units."""
        if not self.l2:
            return self.data_loss(theta)
        w_train = theta[:-1] * self.std                  # the weights of the features trained on
        with np.errstate(over="ignore", invalid="ignore"):
            return self.data_loss(theta) + self.l2 / 2 * float(w_train @ w_train)

    def data_loss(self, theta):
        """1/(2n)·‖Aθ − y‖², without the ridge penalty (inf, without a NumPy warning, when it overflows)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return half_mean_square(self.A @ theta - self.data.y)

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
        self.check_trainable("gradient descent")
        if batch_size >= self.data.n:
            return LR_FACTOR["batch"] / self.curvature
        factor = LR_FACTOR["sgd"] if batch_size == 1 else LR_FACTOR["minibatch"]
        return min(factor / self.curvature, 0.1 * batch_size / self.trace)

    def r2(self, theta):
        """R² = 1 − Σ(ŷ − y)²/Σ(y − ȳ)² = 1 − (rms(ŷ − y)/std(y))², in a form that does not overflow near 1e300."""
        with np.errstate(over="ignore", invalid="ignore"):
            residual = rms(self.A @ theta - self.data.y)
        return 1.0 - (residual / float(column_mean_and_std(self.data.y[:, None])[1][0])) ** 2

    @property
    def baseline_loss(self):
        """L₀ = ½·var(y), the loss of the best constant prediction ŷ = ȳ: the scale of the loss (R² = 1 − ℓ/L₀)."""
        std = float(column_mean_and_std(self.data.y[:, None])[1][0])
        return 0.5 * std * std                            # Python floats: inf past 1.8e308, no warning

    @property
    def fits_exactly(self):
        """L* < EXACT·L₀: the closed form fits the data exactly, to rounding (L* ≈ 0, R² = 1 to 12 digits).
        Compared as √(2L*) < √EXACT·std(y), the rms residual against y's spread, which cannot overflow."""
        std = float(column_mean_and_std(self.data.y[:, None])[1][0])
        return not math.sqrt(2 * self.best_loss) >= math.sqrt(EXACT) * std

    def relative_gap(self, loss):
        """(loss − L*)/L*, or None when L* ≈ 0 (``fits_exactly``): L* is then rounding noise, and a ratio to it
        means nothing (a gap of 1e-3 over an L* of 1e-31 is +1e30 %); report the absolute gap loss − L*."""
        return None if self.fits_exactly else (loss - self.best_loss) / self.best_loss


def standardized_condition(problem):
    """The condition number the Hessian would have on standardized features (the constant ones left out).

    For z = (x − x̄)/σ, AᵀA/n of [Z 1] is [[R, 0], [0, 1]], R the correlation matrix of the
    features: computed from AᵀA/n of the features themselves, cov = XᵀX/n − x̄x̄ᵀ.
    """
    d = len(problem.std)
    keep = [k for k, name in enumerate(problem.data.features) if name not in problem.constant]
    if not keep:
        return 1.0
    mean = problem.gram[:d, d][keep]
    cov = problem.gram[np.ix_(keep, keep)] - np.outer(mean, mean)
    sigma = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return spectrum(np.block([[cov / np.outer(sigma, sigma), np.zeros((len(keep), 1))],
                              [np.zeros((1, len(keep))), np.ones((1, 1))]]))[2]


def without_constant_condition(problem):
    """The condition number of the Hessian AᵀA/n of the features trained on, the constant ones left out."""
    keep = [k for k, name in enumerate(problem.columns) if name not in problem.constant]
    return spectrum(problem.gram[np.ix_(keep, keep)])[2]


def rms(v):
    """The root mean square √mean(v²), computed as s·√mean((v/s)²) with s = max|v|: no overflow near 1e300."""
    scale = float(np.abs(v).max()) if len(v) else 0.0
    if not 0 < scale < math.inf:
        return scale                                      # 0, or inf/nan: nothing to scale
    return scale * math.sqrt(float(np.mean((v / scale) ** 2)))


def half_mean_square(v):
    """½·mean(v²) = ½·rms(v)²: inf (not a NumPy warning) when it is beyond float64."""
    root = rms(v)
    return 0.5 * root * root                              # Python floats: inf past 1.8e308, no warning


def norm(v):
    """‖v‖ = rms(v)·√len(v), safe near 1e300 (np.linalg.norm squares the entries and can overflow)."""
    return rms(v) * math.sqrt(len(v))


def _rescale_hint(y):
    """'divide the column by 1e299': the power of ten that brings the target's values to the order of 1."""
    return f"divide the column by 1e{int(math.floor(math.log10(np.abs(y).max())))}"


def gram(X):
    """AᵀA/n of A = [X 1], without making A: [[XᵀX/n, x̄], [x̄ᵀ, 1]] (inf where it overflows)."""
    with np.errstate(over="ignore", invalid="ignore"):
        xx, mean = X.T @ X / len(X), X.mean(axis=0)
    return np.block([[xx, mean[:, None]], [mean[None, :], np.ones((1, 1))]])


def spectrum(H, others=0, other=0.0):
    """(λmax, trace, condition number λmax/λmin) of a symmetric H, and of ``others`` more eigenvalues equal to
    ``other``; inf where H overflows or is singular."""
    inf = float("inf")
    if not np.isfinite(H).all():
        return inf, inf, inf
    try:
        eigenvalues = np.linalg.eigvalsh(H)
    except np.linalg.LinAlgError:
        return inf, inf, inf
    if others:
        eigenvalues = np.sort(np.r_[eigenvalues, np.full(others, other)])
    condition = float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else inf
    return float(eigenvalues[-1]), float(eigenvalues.sum()), condition


def hessian_spectrum(X, scale=1.0, l2=0.0):
    """``spectrum`` of the Hessian H = scale·AᵀA/n + l2·diag(1, …, 1, 0), A = [X 1] of shape (n, p), p = d + 1.

    With n > d rows, H is the p × p matrix itself.  A wide A (n ≤ d, more coefficients than rows) has
    a smaller way: H maps the span S of A's rows and of the bias direction e = (0, …, 0, 1) into S
    (AᵀA/n into the rows, the diagonal into S), and is l2 on the p − (n + 1) directions orthogonal to
    S.  So with Q an orthonormal basis of S (QR of [Aᵀ e], p × (n + 1)), H's eigenvalues are those of
    the (n + 1) × (n + 1) matrix QᵀHQ = scale·(AQ)ᵀ(AQ)/n + l2·(I − qqᵀ) (q = Qᵀe, the last row of Q)
    and p − n − 1 times l2.  (With l2 = 0 those are σᵢ(A)²/n, the eigenvalues of the smaller Gram
    matrix AAᵀ/n, and zeros.)  For 30 rows and 3000 features: a 31 × 31 problem instead of 3001 × 3001.
    """
    n, d = X.shape
    if n > d:
        return spectrum(scale * gram(X) + np.diag(np.r_[np.full(d, l2), 0.0]))
    with np.errstate(over="ignore", invalid="ignore"):
        A = np.hstack([X, np.ones((n, 1))])
        bias = np.zeros((1, d + 1))
        bias[0, -1] = 1.0
        Q = np.linalg.qr(np.vstack([A, bias]).T)[0]          # (p, n + 1), orthonormal columns spanning S
        AQ, q = A @ Q, Q[-1]
        small = scale * (AQ.T @ AQ) / n + l2 * (np.eye(n + 1) - np.outer(q, q))
    return spectrum(small, others=d - n, other=l2)


def column_mean_and_std(X):
    """The mean and standard deviation of each column, computed on x/max|x| (no overflow near 1e300)."""
    scale = np.abs(X).max(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Xs = X / scale
    return Xs.mean(axis=0) * scale, Xs.std(axis=0) * scale


def ridge_solution(problem, l2):
    """The minimum of ℓ(w, b) = 1/(2n)·‖Zw + b − y‖² + (λ/2)·‖w‖² (λ = l2, bias not penalised), by centring.

    Z are the features trained on (X, or standardized).  Setting the derivatives to 0:

        ∂ℓ/∂b = Σ(Zw + b − y)/n = 0                 ⇒  b = ȳ − z̄ᵀw
        then Zw + b − y = Z_c w − y_c  (Z_c = Z − z̄, y_c = y − ȳ), and
        ∂ℓ/∂w = Z_cᵀ(Z_c w − y_c)/n + λw = 0        ⇒  w = (Z_cᵀZ_c + nλI)⁻¹ Z_cᵀ y_c

    the notes' θ* = (XᵀX)⁻¹Xᵀy on centred data, with nλI added: invertible for every
    λ > 0, even when XᵀX is singular.  (Augmenting A = [Z 1] and solving
    (AᵀA + nλ·diag(1, …, 1, 0))θ = Aᵀy gives the same θ; centring takes the
    unpenalised bias out of the system.)  With fewer rows than features (n < d) the
    same w comes from an n × n system instead of a d × d one, by the identity
    (Z_cᵀZ_c + nλI)⁻¹Z_cᵀ = Z_cᵀ(Z_cZ_cᵀ + nλI)⁻¹.  Returned as [w; b] in the data's units.
    """
    Z, y, n = problem.X_train, problem.data.y, problem.data.n
    z_mean, y_mean = Z.mean(axis=0), y.mean()
    Zc = Z - z_mean
    wide = n < Z.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        normal = (Zc @ Zc.T if wide else Zc.T @ Zc) + n * l2 * np.eye(min(Z.shape))
    if not np.isfinite(normal).all():
        raise linalg.LinAlgError("XᵀX overflows")
    if wide:
        w_z = Zc.T @ linalg.solve(normal, y - y_mean).numpy()
    else:
        w_z = linalg.solve(normal, Zc.T @ (y - y_mean)).numpy()
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
