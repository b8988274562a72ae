"""``tinygrad-lr``: fit, compare and explain linear regression from the command line.

    tinygrad-lr                        the demo: the lecture notes' example, trained the PyTorch way
    tinygrad-lr fit DATA.csv --target y [--method minibatch|sgd|batch|closed|newton] ...
    tinygrad-lr compare [DATA.csv ...] [--target y] [--plot curves.png]
    tinygrad-lr check                  each derivation of the notes against autograd and finite differences
    tinygrad-lr graph [--out graph.svg]

Everything here uses the library the way a user would: ``nn.Linear``,
``nn.MSELoss``, ``DataLoader`` and ``optim.SGD`` / ``optim.Newton`` to train,
``linalg.lstsq`` for the closed form, ``check.check_gradients`` for the
derivations, ``viz`` for the graph.  The formulas (A = [X 1], θ = [w; b],
n samples, B a batch of samples)::

    ŷ = Xw + b                                   the model
    ℓ(θ) = 1/(2n)·Σ(ŷ − y)²                      the loss: half the mean squared error
    ∇ℓ = Aᵀ(Aθ − y)/n                            its gradient: ∂ℓ/∂w = Xᵀ(Xw + b − y)/n, ∂ℓ/∂b = Σ(Xw + b − y)/n
    θ ← θ − η/|B|·Σ_{i∈B} ∇ℓ⁽ⁱ⁾                   gradient descent: |B| = n batch, 1 SGD, else mini-batch
    θ* = (AᵀA)⁻¹Aᵀy                              the closed form
    θ ← θ − H⁻¹∇ℓ,  H = AᵀA/n                    Newton: one step lands on θ*

A mistake in the input (a missing file, an unknown column, a bad cell, a bad
option) is reported in one line on standard error, ``tinygrad-lr: error: ...``,
with exit status 2 for a bad command line and 1 for the rest.
"""
import argparse
import csv
import io
import json
import math
import os
import sys
import textwrap
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

import tinygrad_lr
from . import linalg, nn, optim
from ._progress import Progress
from .data import DataLoader, TensorDataset

PROG = "tinygrad-lr"
METHODS = ("minibatch", "sgd", "batch", "closed", "newton")
GD_METHODS = ("batch", "minibatch", "sgd")
LOSS = "½·mean((ŷ − y)²)"
LOSS_DEFINITION = "1/(2n)·Σ(ŷ − y)², half the mean squared error (the lecture notes' loss)"
TRUE_W, TRUE_B, NOISE, SAMPLES = (2.0, -3.4), 4.2, 0.01, 1000    # the lecture notes' synthetic data
EPOCHS = {"minibatch": 100, "sgd": 20, "batch": 200, "newton": 1}  # fit's defaults, shortened on large data
STEP_BUDGET = 20_000                                               # to about this many steps (at least one epoch)
LR_FACTOR = {"batch": 1.0, "minibatch": 0.1, "sgd": 0.03}          # default lr = factor / λmax(AᵀA/n)
BATCH_SIZE = 10
COMPARE_EPOCHS = 10
PLOT_NOTES = {"batch": "smooth, but one step per epoch", "minibatch": "in between", "sgd": "fast but noisy"}
NAMES = {"batch": "batch GD", "minibatch": "mini-batch SGD", "sgd": "SGD", "newton": "Newton",
         "closed": "closed form"}


# ============================================================================
# errors and output
# ============================================================================
class CommandError(Exception):
    """A problem reported in one line on standard error; status 2 for a bad command line, 1 otherwise."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def _note(text):
    print(f"{PROG}: note: {text}", file=sys.stderr)


class _warnings_as_notes:
    """Collect the library's warnings inside the block and print each as one line on standard error."""

    def __init__(self, columns=None):
        self.columns = columns  # names of A's columns, to name those in a rank-deficient warning

    def __enter__(self):
        self._catcher = warnings.catch_warnings(record=True)
        self.caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catcher.__exit__(*exc)
        seen = set()
        for w in self.caught:
            text = self._words(w.message)
            if text not in seen:
                seen.add(text)
                print(f"{PROG}: warning: {text}", file=sys.stderr)
        return False

    def _words(self, message):
        if isinstance(message, linalg.RankDeficientWarning) and self.columns is not None:
            names = ", ".join(self.columns[c] for c in message.columns)
            return (f"the columns {names} are linearly dependent (rank {message.rank} of {len(self.columns)}, "
                    "counting the bias): the best fit is not unique. The closed form returns the one with the "
                    "smallest ‖θ‖, gradient descent may end at another with the same loss; leave one of them "
                    "out with --features")
        return " ".join(str(message).split())


def _fmt(x, digits=6):
    return "—" if x is None else f"{x:.{digits}g}"


def _table(head, rows, right=()):
    """Columns padded to their widest cell; the columns in ``right`` are right-aligned."""
    cells = [head] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(head))]
    lines = []
    for row in cells:
        lines.append("  ".join(c.rjust(w) if k in right else c.ljust(w)
                               for k, (c, w) in enumerate(zip(row, widths))).rstrip())
    return "\n".join(lines)


# ============================================================================
# data: the lecture notes' synthetic data, or a CSV file
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


_MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}


def _parse_cell(text):
    """(value, None) for a finite number, (None, why) otherwise."""
    text = text.strip()
    if text.lower() in _MISSING:
        return None, "is empty" if not text else f"is missing ({text!r})"
    try:
        value = float(text)
    except ValueError:
        return None, f"is not a number ({text!r})"
    if not math.isfinite(value):
        return None, f"is not a finite number ({text!r})"
    return value, None


def _lines(numbers, limit=8):
    shown = ", ".join(str(k) for k in numbers[:limit])
    return shown + (f", … ({len(numbers)} in all)" if len(numbers) > limit else "")


def read_csv(path, target, features=None, drop_bad_rows=False, delimiter=",", command="fit"):
    """Read a CSV file with a header row into ``Data``; every problem is a ``CommandError`` naming it.

    A column is numeric when most of its non-empty cells are numbers.  A row with a
    missing or non-numeric value in a column that is used (the target and the
    features) is rejected, with its line number, or skipped with ``drop_bad_rows``.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path} is a directory, not a CSV file") from None
    except PermissionError:
        raise CommandError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a UTF-8 text file: is it a CSV file?") from None
    except OSError as e:
        raise CommandError(f"{path}: cannot read it ({e.strerror or e})") from None
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header, rows = None, []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue                                  # blank lines are not rows
            if header is None:
                header = [cell.strip() for cell in row]
            else:
                rows.append((reader.line_num, row))
    except csv.Error as e:
        raise CommandError(f"{path}, line {reader.line_num}: not valid CSV ({e})") from None
    if header is None:
        raise CommandError(f"{path} is empty: a CSV file needs a header row naming the columns, then one row "
                           "per sample")
    for k, name in enumerate(header):
        if not name:
            raise CommandError(f"{path}: column {k + 1} of the header row has no name")
        if header.index(name) != k:
            raise CommandError(f"{path}: the header names column {name!r} twice (columns {header.index(name) + 1} "
                               f"and {k + 1}); column names must be unique")
    if not rows:
        raise CommandError(f"{path} has a header row but no data rows")

    def cell(row, k):
        return row[k] if k < len(row) else ""

    numeric, first_text = [], {}
    for k, name in enumerate(header):
        parsed = [_parse_cell(cell(row, k)) for _, row in rows]
        present = [(line, v) for (line, _), (v, why) in zip(rows, parsed) if v is not None or "number" in why]
        good = sum(v is not None for _, v in present)
        if present and good > len(present) / 2:
            numeric.append(name)
        else:
            first_text[name] = next(((line, cell(row, k).strip()) for line, row in rows if cell(row, k).strip()),
                                    None)
    if not numeric:
        raise CommandError(f"{path} has no numeric columns (its columns: {', '.join(header)}): linear regression "
                           "needs numbers")

    def check_column(name, role):
        if name not in header:
            raise CommandError(f"{path} has no column {name!r}; its columns are: {', '.join(header)}")
        if name not in numeric:
            where = first_text.get(name)
            sample = f" (line {where[0]}: {where[1]!r})" if where else " (it is empty)"
            raise CommandError(f"{role} column {name!r} of {path} is not numeric{sample}; the numeric columns "
                               f"are: {', '.join(numeric)}")

    if target is None:
        raise CommandError(f"{command}: --target is required: name the column to predict; the numeric columns of "
                           f"{path} are: {', '.join(numeric)}", 2)
    check_column(target, "the target")
    if features:
        for name in features:
            check_column(name, "feature")
            if name == target:
                raise CommandError(f"column {name!r} is the target; it cannot also be a feature", 2)
        if len(set(features)) != len(features):
            twice = next(f for f in features if features.count(f) > 1)
            raise CommandError(f"--features names {twice!r} twice", 2)
    else:
        features = [name for name in numeric if name != target]
        if not features:
            raise CommandError(f"{path}: the only numeric column is the target {target!r}: there are no "
                               "features to predict it from")

    used = [header.index(name) for name in features + [target]]
    values, bad, good_lines = [], [], []
    for line, row in rows:
        if len(row) > len(header):
            bad.append((line, f"has {len(row)} fields, the header has {len(header)}"))
            continue
        parsed = [_parse_cell(cell(row, k)) for k in used]
        problem = next(((header[k], why) for k, (v, why) in zip(used, parsed) if v is None), None)
        if problem is not None:
            bad.append((line, f"{problem[0]} {problem[1]}"))
        else:
            values.append([v for v, _ in parsed])
            good_lines.append(line)
    if bad and not drop_bad_rows:
        shown = "; ".join(f"line {line}: {why}" for line, why in bad[:3])
        more = f"; and {len(bad) - 3} more (lines {_lines([b[0] for b in bad[3:]])})" if len(bad) > 3 else ""
        raise CommandError(f"{path}: {len(bad)} row(s) with missing or non-numeric values: {shown}{more}. Fix "
                           "them, or pass --drop-bad-rows to skip them")
    if bad:
        _note(f"skipped {len(bad)} row(s) of {path} with missing or non-numeric values (lines "
              f"{_lines([b[0] for b in bad])})")
    if not values:
        raise CommandError(f"{path}: no rows left after skipping the bad ones")
    table = np.array(values, dtype=np.float64)
    X, y = table[:, :-1], table[:, -1]
    if np.all(y == y[0]):
        raise CommandError(f"{path}: the target column {target!r} is constant (every value is {y[0]:g}): there "
                           "is nothing to fit, and R² is undefined")
    return Data(os.fspath(path), X, y, list(features), target, [b[0] for b in bad])


# ============================================================================
# the problem: A = [X 1], the closed form, the units gradient descent works in
# ============================================================================
class Problem:
    """A data set ready for the methods.

    - ``A = [X 1]`` and the closed form θ* = lstsq(A, y), with its loss L*;
    - the features gradient descent trains on: X itself, or with ``standardize``
      z = (x − mean)/std column by column (the loss is the same: only the units of w change);
    - λ, the largest eigenvalue of the Hessian AᵀA/n of those features, which sets
      the default learning rates (gradient descent is stable for η < 2/λ).
    """

    def __init__(self, data, standardize=False):
        self.data, self.standardize = data, standardize
        n = data.n
        self.columns = list(data.features) + ["(bias)"]
        if standardize:
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
        self.A = np.hstack([data.X, np.ones((n, 1))])
        start = time.perf_counter()
        with _warnings_as_notes(self.columns):
            self.theta_star = linalg.lstsq(self.A, data.y).solution.numpy()   # θ* = [w; b]
        self.closed_seconds = time.perf_counter() - start
        self.best_loss = self.loss(self.theta_star)
        A_train = np.hstack([self.X_train, np.ones((n, 1))])
        eigenvalues = np.linalg.eigvalsh(A_train.T @ A_train / n)
        self.curvature, self.trace = float(eigenvalues[-1]), float(eigenvalues.sum())
        self.condition = float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else float("inf")

    def loss(self, theta):
        """ℓ(θ) = 1/(2n)·‖Aθ − y‖², θ = [w; b] in the data's units."""
        r = self.A @ theta - self.data.y
        return float(r @ r) / (2 * len(r))

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

    @property
    def label(self):
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


# ============================================================================
# the methods
# ============================================================================
def _tensors(problem):
    X = tinygrad_lr.from_numpy(np.ascontiguousarray(problem.X_train))   # float64, no copy
    y = tinygrad_lr.from_numpy(problem.data.y.reshape(-1, 1))
    return X, y


def _new_model(d):
    """ŷ = Xw + b as nn.Linear(d, 1) in float64, starting from θ = 0 (the same start for every method)."""
    net = nn.Linear(d, 1, dtype=tinygrad_lr.float64)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    return net


def _check_finite(run, loss, start_loss, epoch, problem):
    if math.isfinite(loss) and loss <= 1e8 * max(start_loss, 1e-300):
        return
    hint = "" if problem.standardize else ", or --standardize to put the features on one scale"
    raise CommandError(f"{run.label} diverged: the loss grew to {loss:.3g} in epoch {epoch} (it started at "
                       f"{start_loss:.3g}): the learning rate {run.lr:.4g} is too large for this data; try "
                       f"--lr {run.lr / 10:.3g}{hint}")


def gradient_descent(problem, method, lr=None, epochs=None, batch_size=BATCH_SIZE, momentum=0.0, decay=True,
                     seed=0, quiet=False, points_per_epoch=50):
    """Batch, mini-batch or stochastic gradient descent, trained as in PyTorch.

    One step on a batch B of samples is θ ← θ − η/|B|·Σ_{i∈B} ∇ℓ⁽ⁱ⁾(θ): nn.MSELoss
    averages over the batch, backward() gives the averaged gradient, SGD.step()
    subtracts η times it.  |B| = n is batch GD (one step per epoch), |B| = 1 is SGD,
    anything between is mini-batch SGD.  For the stochastic methods, unless ``decay``
    is False, η decreases linearly to 0 over the run (optim.lr_scheduler.LambdaLR):
    with a constant η the noise of the sampled gradients keeps θ rattling around θ*.
    """
    X, y = _tensors(problem)
    n, d = problem.X_train.shape
    B = {"sgd": 1, "batch": n}.get(method, batch_size)
    stochastic = B < n
    lr = problem.default_lr(B) if lr is None else lr
    loader = DataLoader(TensorDataset(X, y), batch_size=B, shuffle=stochastic,
                        generator=tinygrad_lr.Generator().manual_seed(seed))
    if epochs is None:  # the default: fewer passes over a large data set, where one pass has many steps
        epochs = max(1, min(EPOCHS[method], STEP_BUDGET // len(loader)))
    net, loss = _new_model(d), nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    steps_per_epoch = len(loader)
    total = epochs * steps_per_epoch
    decay = decay and stochastic
    schedule = optim.lr_scheduler.LambdaLR(trainer, lambda t: 1 - t / total) if decay else None
    run = Run(method, None, None, lr=lr, epochs=epochs, batch_size=B, momentum=momentum,
              schedule="linear decay to 0" if decay else "constant")
    record_every = max(1, steps_per_epoch // points_per_epoch)
    start_loss = problem.loss(problem.theta_of(net))
    run.samples, run.curve = [0], [start_loss]
    step = seen = 0
    start = time.perf_counter()
    with Progress(total=epochs * n, label=NAMES[method], enabled=not quiet) as bar, np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            for X_batch, y_batch in loader:
                l = loss(net(X_batch), y_batch)  # noqa: E741
                trainer.zero_grad()
                l.backward()
                trainer.step()
                if schedule is not None:
                    schedule.step()
                step += 1
                seen += len(X_batch)
                if step % record_every == 0 or step % steps_per_epoch == 0:
                    current = problem.loss(problem.theta_of(net))
                    run.samples.append(seen)
                    run.curve.append(current)
                    _check_finite(run, current, start_loss, epoch, problem)
                    bar.update(seen, f"epoch {epoch}/{epochs}  loss {current:.3e}")
            run.epoch_losses.append(run.curve[-1])
    run.seconds = time.perf_counter() - start
    run.theta = problem.theta_of(net)
    run.loss, run.steps, run.evaluations = problem.loss(run.theta), step, seen
    return run


def newton(problem, steps=1, lr=1.0, damping=0.0, quiet=False):
    """Newton's method with optim.Newton: θ ← θ − η·(H + λI)⁻¹∇ℓ, the Hessian H by double backward.

    ℓ is quadratic in θ, so with η = 1 the first step lands on θ* from any start.
    A step costs one gradient and P Hessian rows (P = d + 1 parameters), each a
    backward pass over the n samples: n·(1 + P) per-sample gradient evaluations.
    """
    X, y = _tensors(problem)
    n, d = problem.X_train.shape
    net, loss = _new_model(d), nn.MSELoss()
    trainer = optim.Newton(net.parameters(), lr=lr, damping=damping)

    def closure():
        trainer.zero_grad()
        return loss(net(X), y)          # no backward(): Newton differentiates the loss twice itself

    run = Run("newton", None, None, lr=lr, epochs=steps, schedule="constant")
    run.samples, run.curve = [0], [problem.loss(problem.theta_of(net))]
    start = time.perf_counter()
    with _warnings_as_notes(problem.columns), np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            trainer.step(closure)
            run.samples.append(k * n * (d + 2))
            run.curve.append(problem.loss(problem.theta_of(net)))
            _check_finite(run, run.curve[-1], run.curve[0], k, problem)
            run.epoch_losses.append(run.curve[-1])
    run.seconds = time.perf_counter() - start
    run.theta = problem.theta_of(net)
    run.loss, run.steps, run.evaluations = problem.loss(run.theta), steps, steps * n * (d + 2)
    return run


def closed_form(problem):
    """θ* = (AᵀA)⁻¹Aᵀy by linalg.lstsq on A = [X 1] (computed when the problem was set up)."""
    return Run("closed", problem.theta_star, problem.best_loss, seconds=problem.closed_seconds)


# ============================================================================
# subcommand: demo
# ============================================================================
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
    print(_table(["", "true", "learned (SGD)", "closed form (lstsq on [X 1])"], rows, right=(1, 2, 3)))
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


# ============================================================================
# subcommand: fit
# ============================================================================
OPTION_USE = {"--lr": ("minibatch", "sgd", "batch", "newton"), "--epochs": ("minibatch", "sgd", "batch", "newton"),
              "--batch-size": ("minibatch",), "--momentum": ("minibatch", "sgd", "batch"),
              "--constant-lr": ("minibatch", "sgd"), "--damping": ("newton",)}


def _check_output_path(path, option):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{option} {path}: the directory {directory} does not exist", 2)


def _prepare_plot(path):
    """Fail before training, not after, when a plot cannot be made."""
    if path is None:
        return
    from . import plots
    try:
        plots.require_matplotlib()
    except plots.MatplotlibMissing:
        raise CommandError(f"--plot needs matplotlib, which is not installed: {plots.INSTALL}") from None
    _check_output_path(path, "--plot")


def _save_plot(draw, path, *args):
    try:
        draw(path, *args)
    except (OSError, ValueError) as e:    # e.g. an extension matplotlib cannot write
        raise CommandError(f"--plot {path}: cannot write the figure ({e})") from None


def _check_batch_size(batch_size, data):
    """An explicit --batch-size must fit the data (the default, 10, shrinks to the number of rows)."""
    if batch_size is not None and batch_size > data.n:
        raise CommandError(f"--batch-size {batch_size} is larger than the data set ({data.n} rows in {data.name}); "
                           f"use at most {data.n}", 2)


def _run_method(problem, method, args):
    if method == "closed":
        return closed_form(problem)
    if method == "newton":
        return newton(problem, steps=args.epochs or EPOCHS["newton"], lr=1.0 if args.lr is None else args.lr,
                      damping=args.damping, quiet=args.quiet or args.json)
    return gradient_descent(problem, method, lr=args.lr, epochs=args.epochs,
                            batch_size=args.batch_size or min(BATCH_SIZE, problem.data.n),
                            momentum=args.momentum or 0.0, decay=not args.constant_lr, seed=args.seed,
                            quiet=args.quiet or args.json)


def cmd_fit(args):
    _prepare_plot(args.plot)
    if args.save is not None:
        _check_output_path(args.save, "--save")
    data = read_csv(args.data, args.target, args.features, args.drop_bad_rows, args.delimiter, "fit")
    method = args.method
    _check_batch_size(args.batch_size, data)
    given = {"--lr": args.lr, "--epochs": args.epochs, "--batch-size": args.batch_size, "--momentum": args.momentum,
             "--constant-lr": args.constant_lr or None, "--damping": args.damping or None}
    unused = [opt for opt, value in given.items() if value is not None and method not in OPTION_USE[opt]]
    if unused:
        _note(f"{', '.join(unused)} {'does' if len(unused) == 1 else 'do'} not apply to --method {method}; ignored")
    problem = Problem(data, args.standardize)
    if method in GD_METHODS and not args.standardize and problem.condition > 1e4:
        _note(f"the features have very different scales (the Hessian AᵀA/n has condition number "
              f"{problem.condition:.1e}), so gradient descent is slow; --standardize fixes that")
    run = _run_method(problem, method, args)
    saved = _save_model(args.save, run, data, problem) if args.save else None
    if args.plot:
        from . import plots
        curve = (run.samples, run.curve) if run.curve else None
        _save_plot(plots.plot_fit, args.plot, data.name, run.label, curve, problem.best_loss, data.y.tolist(),
                   (problem.A @ run.theta).tolist())
    report = _fit_report(run, problem, args, saved)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print_fit(run, problem, report, args)
    return 0


def _save_model(path, run, data, problem):
    """An nn.Linear state_dict in the data's units, with the names needed to use it, via tinygrad_lr.save."""
    d = len(data.features)
    model = nn.Linear(d, 1, dtype=tinygrad_lr.float64)
    model.load_state_dict({"weight": tinygrad_lr.tensor(run.theta[:-1].reshape(1, d)),
                           "bias": tinygrad_lr.tensor(run.theta[-1:].copy())})
    checkpoint = {"model": model.state_dict(), "features": list(data.features), "target": data.target,
                  "method": run.method, "loss": run.loss}
    try:
        tinygrad_lr.save(checkpoint, path)
    except OSError as e:
        raise CommandError(f"--save {path}: cannot write it ({e.strerror or e})") from None
    return path


def _fit_report(run, problem, args, saved):
    """The --json object (its fields are listed in the epilog of `tinygrad-lr fit --help`)."""
    data = problem.data
    gap = run.loss - problem.best_loss
    return {
        "data": data.name,
        "rows": data.n,
        "skipped_lines": data.skipped,
        "target": data.target,
        "features": list(data.features),
        "method": run.method,
        "loss_definition": LOSS_DEFINITION,
        "hyperparameters": {"lr": run.lr, "lr_schedule": run.schedule, "epochs": run.epochs,
                            "batch_size": run.batch_size, "momentum": run.momentum if run.lr is not None else None,
                            "damping": args.damping if run.method == "newton" else None,
                            "standardize": bool(args.standardize), "seed": args.seed},
        "coefficients": dict(zip(data.features, map(float, run.theta[:-1]))),
        "bias": float(run.theta[-1]),
        "loss": run.loss,
        "r2": problem.r2(run.theta),
        "closed_form": {"coefficients": dict(zip(data.features, map(float, problem.theta_star[:-1]))),
                        "bias": float(problem.theta_star[-1]), "loss": problem.best_loss},
        "loss_gap": gap,
        "relative_loss_gap": gap / problem.best_loss if problem.best_loss > 0 else None,
        "distance_to_optimum": float(np.linalg.norm(run.theta - problem.theta_star)),
        "steps": run.steps,
        "gradient_evaluations": run.evaluations,
        "seconds": run.seconds,
        "history": {"epoch": list(range(1, len(run.epoch_losses) + 1)), "loss": run.epoch_losses},
        "saved": saved,
        "plot": args.plot,
    }


def _print_fit(run, problem, report, args):
    data = problem.data
    print(f"fit: {data.name}, {data.n} rows: {data.target} from {', '.join(data.features)}")
    if run.method == "closed":
        print("method: closed form θ* = (AᵀA)⁻¹Aᵀy, by linalg.lstsq on A = [X 1]")
    elif run.method == "newton":
        print(f"method: Newton (optim.Newton), {run.steps} step(s) of θ ← θ − {run.lr:g}·(H + {args.damping:g}·I)⁻¹∇ℓ")
    else:
        default = "" if args.lr is not None else (f" (default {run.lr * problem.curvature:.3g}/λ, "
                                                  f"λ = {problem.curvature:.4g} the largest eigenvalue of AᵀA/n)")
        print(f"method: {run.label}, lr {run.lr:.4g}{default}, {run.schedule}, {run.epochs} epoch(s) = "
              f"{run.steps} steps" + (f", momentum {run.momentum:g}" if run.momentum else "")
              + (", on standardized features" if args.standardize else ""))
    if not args.quiet and run.epoch_losses and run.method != "closed":
        E = len(run.epoch_losses)
        shown = sorted(set(range(0, E, max(1, math.ceil(E / 10)))) | {E - 1})
        for k in shown:
            print(f"{'step' if run.method == 'newton' else 'epoch'} {k + 1}, loss {run.epoch_losses[k]:.6g}")
    print(f"time: {run.seconds:.3g} s")
    print()
    rows = [[name, f"{v:.6g}", f"{s:.6g}"] for name, v, s in
            zip(problem.columns, run.theta, problem.theta_star)]
    print(_table(["coefficient", "value", "closed form"], rows, right=(1, 2)))
    print()
    gap, rel = report["loss_gap"], report["relative_loss_gap"]
    print(f"loss {LOSS}: {run.loss:.6g}   (closed form {problem.best_loss:.6g}; gap {gap:+.2g}"
          + (f", {100 * rel:+.3g}%" if rel is not None else "") + ")")
    print(f"R²: {report['r2']:.6f}")
    print(f"‖θ − θ*‖: {report['distance_to_optimum']:.2g}   (distance to the closed-form solution θ* = [w; b])")
    if run.method in GD_METHODS and rel is not None and rel > 0.01:
        _note(f"the fit is still {100 * rel:.3g}% above the best loss: train longer (--epochs), raise --lr, or "
              + ("use --method closed" if args.standardize else "try --standardize"))
    if report["saved"]:
        print(f"saved: {report['saved']} (tinygrad_lr.load(path)['model'] is an nn.Linear({len(data.features)}, 1) "
              "state_dict)")
    if args.plot:
        print(f"plot: {args.plot}")


# ============================================================================
# subcommand: compare
# ============================================================================
def compare_methods(problem, epochs=COMPARE_EPOCHS, batch_size=BATCH_SIZE, lr=None, decay=True, seed=0, quiet=False):
    """Batch GD, mini-batch SGD and SGD on the same budget of per-sample gradient evaluations
    (``epochs`` passes over the data each), then Newton and the closed form for reference."""
    runs = [gradient_descent(problem, method, lr=lr, epochs=epochs, batch_size=batch_size, decay=decay, seed=seed,
                             quiet=quiet)
            for method in GD_METHODS]
    runs.append(newton(problem, steps=1, quiet=quiet))
    runs.append(closed_form(problem))
    return runs


def _compare_report(problem, runs, args):
    data, best = problem.data, problem.best_loss
    methods = []
    for run in runs:
        gap = run.loss - best
        methods.append({
            "method": run.method, "label": run.label, "lr": run.lr, "lr_schedule": run.schedule,
            "batch_size": run.batch_size, "steps": run.steps, "gradient_evaluations": run.evaluations,
            "loss": run.loss,
            "loss_after_tenth_epoch": run.loss_after(data.n // 10) if run.method in GD_METHODS else None,
            "loss_gap": gap, "relative_loss_gap": gap / best if best > 0 else None,
            "distance_to_optimum": float(np.linalg.norm(run.theta - problem.theta_star)),
            "loss_rose": run.rises() if run.method in GD_METHODS else None, "seconds": run.seconds,
            "theta": [float(v) for v in run.theta]})
    return {"data": data.name, "rows": data.n, "features": list(data.features), "target": data.target,
            "loss_definition": LOSS_DEFINITION, "budget_epochs": args.epochs,
            "budget_gradient_evaluations": args.epochs * data.n, "closed_form_loss": best,
            "curvature": problem.curvature, "methods": methods}


def _print_compare(problem, runs, report, args):
    data = problem.data
    print(f"compare on {data.name}: {data.n} samples, {len(data.features)} feature(s) → {data.target}"
          + (" (standardized features)" if args.standardize else ""))
    print(f"budget: {args.epochs} epochs = {args.epochs * data.n:,} per-sample gradient evaluations for each "
          "gradient method, all starting from θ = 0")
    rows = []
    for run, m in zip(runs, report["methods"]):
        reference = run.method == "closed"
        rows.append([run.label, "—" if run.lr is None else f"{run.lr:.4g}", "—" if reference else f"{run.steps:,}",
                     "—" if reference else f"{run.evaluations:,}", _fmt(m["loss_after_tenth_epoch"], 3),
                     f"{run.loss:.6g}",
                     "—" if m["relative_loss_gap"] is None else f"{100 * m['relative_loss_gap']:+.3f}%",
                     f"{m['distance_to_optimum']:.1e}",
                     "—" if m["loss_rose"] is None else f"{100 * m['loss_rose']:.0f}%",
                     f"{run.seconds:.2f} s"])
    print(_table(["method", "lr", "steps", "grad evals", "after ⅒ epoch", f"loss {LOSS}", "gap to L*", "‖θ − θ*‖",
                  "loss rose", "time"], rows, right=(1, 2, 3, 4, 5, 6, 7, 8, 9)))
    gd = {r.method: r for r in runs if r.method in GD_METHODS}
    early = data.n // 10
    order = sorted(GD_METHODS, key=lambda m: gd[m].loss_after(early))
    print()
    print(f"after ⅒ epoch ({early:,} samples): " + " < ".join(
        f"{NAMES[m]} {gd[m].loss_after(early):.2g}" + (" (no step yet)" if gd[m].loss_after(early) == gd[m].curve[0]
                                                        else "") for m in order)
        + ("  — per sample processed, SGD is fastest and batch GD slowest" if order == ["sgd", "minibatch", "batch"]
           else ""))
    print(f"loss rose: the share of recorded steps in which the loss on all the data went up — the noise of the "
          f"sampled gradient (SGD {100 * gd['sgd'].rises():.0f}%, mini-batch {100 * gd['minibatch'].rises():.0f}%, "
          f"batch GD {100 * gd['batch'].rises():.0f}%)")
    if args.lr is None:
        capped = gd["sgd"].lr < LR_FACTOR["sgd"] / problem.curvature * (1 - 1e-12)
        print(f"lr: {LR_FACTOR['batch']:g}/λ (batch), {LR_FACTOR['minibatch']:g}/λ (mini-batch), "
              f"{LR_FACTOR['sgd']:g}/λ (SGD), λ = {problem.curvature:.4g} the largest eigenvalue of the Hessian "
              "AᵀA/n" + (f" (with many features at most 0.1·B/tr(AᵀA/n), tr = {problem.trace:.4g})" if capped else "")
              + "; " + ("constant" if args.constant_lr else
                        "the stochastic methods' lr decays linearly to 0 (--constant-lr keeps it fixed)"))
    print(f"L* = {problem.best_loss:.6g}: the closed-form optimum (linalg.lstsq on [X 1]); Newton needs one step")


def cmd_compare(args):
    _prepare_plot(args.plot)
    if args.data and args.target is None:
        raise CommandError("compare: --target is required with a data file: name the column to predict", 2)
    if args.epochs < 1:
        raise CommandError(f"--epochs must be at least 1, got {args.epochs}", 2)
    datasets = [read_csv(path, args.target, args.features, args.drop_bad_rows, args.delimiter, "compare")
                for path in args.data] or [synthetic_data(args.seed)]
    for data in datasets:
        _check_batch_size(args.batch_size, data)
    reports, panels = [], []
    for k, data in enumerate(datasets):
        problem = Problem(data, args.standardize)
        runs = compare_methods(problem, args.epochs, args.batch_size or min(BATCH_SIZE, data.n), args.lr,
                               not args.constant_lr, args.seed, args.quiet or args.json)
        report = _compare_report(problem, runs, args)
        reports.append(report)
        if not args.json:
            if k:
                print()
            _print_compare(problem, runs, report, args)
        panels.append({"name": data.name, "closed_loss": problem.best_loss,
                       "curves": [(r.method, f"{r.label}: {PLOT_NOTES[r.method]}", r.samples, r.curve)
                                  for r in runs if r.method in GD_METHODS],
                       "newton": next((f"{r.label}", r.evaluations, r.loss) for r in runs if r.method == "newton")})
    if args.plot:
        from . import plots
        _save_plot(plots.plot_compare, args.plot, panels,
                   f"Batch GD, mini-batch SGD and SGD on the same budget ({args.epochs} epochs each)")
        if not args.json:
            print(f"plot: {args.plot}")
    if args.json:
        print(json.dumps({"datasets": reports, "plot": args.plot}, indent=2, ensure_ascii=False))
    return 0


# ============================================================================
# subcommand: check
# ============================================================================
def _derivations(seed):
    """The lecture notes' derivations: (title, the formula in words, loss function, inputs, formulas, n, note)."""
    from .autograd.grad import grad
    rng = np.random.default_rng(seed)
    n = 10
    X, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
    x1, y1 = X[:, 0], y[:, 0]
    Xt, yt, x1t, y1t = (tinygrad_lr.tensor(a) for a in (X, y, x1, y1))
    A = np.hstack([X, np.ones((n, 1))])
    At = tinygrad_lr.tensor(A)
    w, b = rng.normal(size=(2, 1)), rng.normal(size=(1,))
    v = rng.normal(size=3)
    items = []

    def vector_form(w, b):
        return ((Xt @ w + b - yt) ** 2).sum() / (2 * n)
    items.append(("vector form: ŷ = Xw + b, ℓ = 1/(2n)·‖ŷ − y‖²",
                  "∂ℓ/∂w = Xᵀ(Xw + b − y)/n,  ∂ℓ/∂b = Σ(Xw + b − y)/n",
                  vector_form, {"w": w, "b": b},
                  {"w": lambda w, b: X.T @ (X @ w + b - y) / n, "b": lambda w, b: (X @ w + b - y).sum(axis=0) / n},
                  n, None))

    def scalar_form(a, b):
        return ((a * x1t + b - y1t) ** 2).sum() / (2 * n)
    items.append(("scalar form: y = ax + b, loss = 1/(2m)·Σ(axᵢ + b − yᵢ)²",
                  "∂loss/∂a = (1/m)·Σ(axᵢ + b − yᵢ)·xᵢ,  ∂loss/∂b = (1/m)·Σ(axᵢ + b − yᵢ)",
                  scalar_form, {"a": np.array(0.7), "b": np.array(-0.3)},
                  {"a": lambda a, b: ((a * x1 + b - y1) * x1).sum() / n, "b": lambda a, b: (a * x1 + b - y1).sum() / n},
                  n, None))

    def minibatch_loss(theta):
        return ((At @ theta - y1t) ** 2).mean() / 2
    items.append(("mini-batch: θ ← θ − η/|B|·Σ_{i∈B} ∇ℓ⁽ⁱ⁾(θ) on a batch B of |B| = 10 samples",
                  "∇ℓ⁽ⁱ⁾ = [x₁⁽ⁱ⁾; x₂⁽ⁱ⁾; 1]·(ŷ⁽ⁱ⁾ − y⁽ⁱ⁾), one sample at a time, summed and divided by |B|",
                  minibatch_loss, {"theta": np.r_[w[:, 0], b]},
                  {"theta": lambda th: sum(A[i] * (A[i] @ th - y1[i]) for i in range(n)) / n},
                  n, None))

    def batch_sum_form(a, b):
        return ((a * x1t + b - y1t) ** 2).sum() / 2
    items.append(("batch GD, sum form: a ← a − α·Σ(axᵢ + b − yᵢ)·xᵢ,  b ← b − α·Σ(axᵢ + b − yᵢ)",
                  "∂/∂a ½Σ(axᵢ + b − yᵢ)² = Σ(axᵢ + b − yᵢ)·xᵢ,  ∂/∂b = Σ(axᵢ + b − yᵢ)",
                  batch_sum_form, {"a": np.array(0.7), "b": np.array(-0.3)},
                  {"a": lambda a, b: ((a * x1 + b - y1) * x1).sum(), "b": lambda a, b: (a * x1 + b - y1).sum()},
                  n, "the notes write loss_batch = Σ(ŷ − y)² without the ½, but the update they give is the gradient "
                     "of ½·Σ(ŷ − y)²: for Σ(ŷ − y)² it is twice that (the 2 goes into α)"))

    def normal_equations(w_hat):
        return ((yt - At @ w_hat) ** 2).sum()
    items.append(("closed form: E(ŵ) = (y − Xŵ)ᵀ(y − Xŵ) with ŵ = (w; b), X = [X 1]",
                  "∂E/∂ŵ = 2Xᵀ(Xŵ − y), zero at ŵ* = (XᵀX)⁻¹Xᵀy",
                  normal_equations, {"w_hat": np.r_[w, [b]]},
                  {"w_hat": lambda wh: 2 * A.T @ (A @ wh - y)}, n, None))

    vt = tinygrad_lr.tensor(v)

    def newton_hessian_times_v(theta):
        # ∇ℓ(θ)·v, differentiated once more by the checker: H v (double backward)
        with tinygrad_lr.enable_grad():
            t = theta if theta.requires_grad else theta.detach().requires_grad_()
            g, = grad(((At @ t - y1t) ** 2).sum() / (2 * n), t, create_graph=True)
            return (g * vt).sum()
    items.append(("Newton: θ ← θ − H⁻¹∇ℓ with the Hessian H = AᵀA/n, A = [X 1]",
                  "H·v = ∂(∇ℓ·v)/∂θ = AᵀA·v/n for a vector v (the Hessian by double backward)",
                  newton_hessian_times_v, {"theta": np.r_[w[:, 0], b]},
                  {"theta": lambda th: A.T @ A @ v / n}, n, None))
    return items


def cmd_check(args):
    from .check import check_gradients
    print("tinygrad-lr check: each derivation of the lecture notes, at a random point in float64, three ways: the "
          "formula, autograd, and central finite differences")
    passed = 0
    items = _derivations(args.seed)
    for k, (title, formula, func, inputs, formulas, n, note) in enumerate(items, 1):
        print()
        print(f"[{k}] {title}")
        print(f"    {formula}")
        if note:
            print(f"    (note: {note})")
        out = io.StringIO()
        result = check_gradients(func, inputs, formulas, batch_size=n, file=out)
        print("    " + out.getvalue().rstrip("\n").replace("\n", "\n    "))
        numeric = max(r.numeric_error for r in result)
        print(f"    autograd vs central finite differences: max abs difference {numeric:.1e}")
        passed += bool(result)
    print()
    print(f"{passed} of {len(items)} derivations confirmed (formula = autograd = finite differences)"
          if passed == len(items) else f"{len(items) - passed} of {len(items)} derivations FAILED")
    return 0 if passed == len(items) else 1


# ============================================================================
# subcommand: graph
# ============================================================================
GRAPH_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf"}


def cmd_graph(args):
    from . import viz
    if args.samples < 1:
        raise CommandError(f"--samples must be at least 1, got {args.samples}", 2)
    kind = None
    if args.out is not None:
        kind = GRAPH_FORMATS.get(os.path.splitext(args.out)[1].lower())
        if kind is None:
            raise CommandError(f"--out {args.out}: the file name must end in .dot, .gv, .svg, .png or .pdf", 2)
        _check_output_path(args.out, "--out")
    n = args.samples
    features, labels = synthetic_tensors(args.seed, n)
    X, y = features.double(), labels.double()
    w = tinygrad_lr.zeros(2, 1, dtype=tinygrad_lr.float64, requires_grad=True)
    b = tinygrad_lr.zeros(1, dtype=tinygrad_lr.float64, requires_grad=True)
    loss = ((X @ w + b - y) ** 2).sum() / (2 * n)        # ℓ = 1/(2n)·Σ(Xw + b − y)²
    params = {"w": w, "b": b}
    dot = viz.to_dot({"loss ℓ": loss}, params=params)
    trace_to = sys.stdout
    if kind is None:
        print(dot, end="")
        trace_to = sys.stderr        # stdout carries only the DOT text: `tinygrad-lr graph | dot -Tsvg > g.svg`
    elif kind == "dot":
        _write_text(args.out, dot)
    else:
        try:
            viz.render({"loss ℓ": loss}, args.out, format=kind, params=params)
        except viz.GraphvizNotFound as e:
            raise CommandError(f"graph: cannot draw {args.out}: {str(e).removeprefix('render: ')}; or write the DOT "
                               "text with --out graph.dot") from None
        except OSError as e:
            raise CommandError(f"--out {args.out}: cannot write it ({e.strerror or e})") from None
    if kind is not None:
        print(f"graph of ℓ = 1/(2n)·Σ(Xw + b − y)² (n = {n}) written to {args.out}")
    print(f"ℓ = 1/(2n)·Σ(Xw + b − y)² on {n} samples, at w = 0, b = 0: {loss.item():.6g}", file=trace_to)
    with viz.trace_backward(params=params, file=trace_to):
        loss.backward()
    Xa, ya = X.numpy(), y.numpy()
    r = Xa @ w.detach().numpy() + b.detach().numpy() - ya
    dw, db = Xa.T @ r / n, r.sum(axis=0) / n
    error = max(np.abs(w.grad.numpy() - dw).max(), np.abs(b.grad.numpy() - db).max())
    print(f"w.grad = {np.round(w.grad.numpy().reshape(-1), 6).tolist()}, "
          f"b.grad = {np.round(b.grad.numpy(), 6).tolist()}: the hand-derived Xᵀ(Xw + b − y)/n and Σ(Xw + b − y)/n (max difference {error:.1e})", file=trace_to)
    return 0


def _write_text(path, text):
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise CommandError(f"{path}: cannot write it ({e.strerror or e})") from None


# ============================================================================
# the command line
# ============================================================================
class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported in one line (and the --help to read)."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _positive_float(text):
    value = _float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return parse


def _momentum(text):
    value = _float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _non_negative(text):
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _delimiter(text):
    if text in ("\\t", "tab", "\t"):
        return "\t"
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"must be one character (or 'tab'), got {text!r}")
    return text


def _column_list(values):
    """--features x1 x2 or --features x1,x2."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


DESCRIPTION = """\
Linear regression ŷ = Xw + b — fitted, compared and explained with tinygrad_lr,
a small autograd framework with PyTorch's names, grown out of lecture notes.

Without a command it runs the demo: the lecture notes' example (w = [2, -3.4],
b = 4.2, 1000 samples) trained with nn.Linear, DataLoader and optim.SGD.

The loss everywhere is the lecture notes' ℓ = 1/(2n)·Σ(ŷ − y)² = ½·mean((ŷ − y)²),
with the ½ (PyTorch's MSELoss has none)."""

EPILOG = """\
examples:
  tinygrad-lr                                   the demo
  tinygrad-lr fit houses.csv --target price     fit price from every other numeric column
  tinygrad-lr fit houses.csv --target price --features area rooms --method closed
  tinygrad-lr fit houses.csv --target price --standardize --json > fit.json
  tinygrad-lr compare --plot curves.png         batch GD vs SGD vs mini-batch, the notes' data
  tinygrad-lr compare houses.csv --target price --standardize
  tinygrad-lr check                             verify the notes' gradient derivations
  tinygrad-lr graph --out graph.svg             the autograd graph of the loss, and the backward trace
  tinygrad-lr COMMAND --help                    the options of one command

exit status: 0 success; 1 a problem with the data, a file or the training (the
message says which: file, column, line number); 2 a bad command line."""

FIT_EPILOG = """\
methods (θ = [w; b], A = [X 1], n rows, one step: θ ← θ − η·gradient):
  minibatch  mini-batch SGD: steps on shuffled batches of --batch-size rows (default 10)
  sgd        stochastic gradient descent: one row per step
  batch      batch gradient descent: all rows per step (an epoch is one step)
  closed     the closed form θ* = (AᵀA)⁻¹Aᵀy, by linalg.lstsq (no training)
  newton     Newton's method θ ← θ − H⁻¹∇ℓ (optim.Newton): one step is exact here
defaults: lr = 1/λ (batch), 0.1/λ (minibatch), 0.03/λ (sgd), 1 (newton), where λ is
the largest eigenvalue of the Hessian AᵀA/n (gradient descent is stable for lr < 2/λ;
with many features minibatch and sgd stay below 0.1·B/tr(AᵀA/n)); for minibatch and
sgd the lr decays linearly to 0 (--constant-lr keeps it); epochs: 100 (minibatch),
20 (sgd), 200 (batch), 1 (newton), fewer on a large data set (about 20,000 steps at
most, and at least one epoch). Training starts from θ = 0. Features on very different
scales make gradient descent slow: --standardize.

the CSV file: a header row naming the columns, then one row per sample; a column
is numeric when most of its cells are numbers. A row with a missing or non-numeric
value in a column that is used is an error naming its line; --drop-bad-rows skips it.

--json prints one JSON object (and nothing else) on standard output, with the fields:
  data, rows, skipped_lines       the file, the rows used, the line numbers skipped
  target, features                the column names
  method, hyperparameters         {lr, lr_schedule, epochs, batch_size, momentum,
                                   damping, standardize, seed} (null where unused)
  coefficients, bias              {feature: w}, b — in the data's units
  loss, loss_definition           the final loss ½·mean((ŷ − y)²), and its definition
  r2                              the coefficient of determination R²
  closed_form                     {coefficients, bias, loss} of θ* = lstsq([X 1], y)
  loss_gap, relative_loss_gap     loss − closed-form loss, and that over the closed-form loss
  distance_to_optimum             ‖θ − θ*‖
  steps, gradient_evaluations     optimizer steps, per-sample gradients computed
  seconds                         training time
  history                         {epoch: [...], loss: [...]} at the end of each epoch
  saved, plot                     the files written (null if none)

--save writes, with tinygrad_lr.save, {"model": the nn.Linear(d, 1) state_dict, "features",
"target", "method", "loss"}; read it back with tinygrad_lr.load(path).

examples:
  tinygrad-lr fit data.csv --target y
  tinygrad-lr fit data.csv --target y --features x1,x2 --method sgd --epochs 5
  tinygrad-lr fit data.csv --target y --method newton --save model.npz --plot fit.png"""

COMPARE_EPILOG = """\
Each gradient method gets the same budget of per-sample gradient evaluations
(--epochs passes over the data) and starts from θ = 0:
  batch GD         one step per epoch, on all n rows        (--epochs steps)
  mini-batch SGD   one step per --batch-size rows            (--epochs·n/B steps)
  SGD              one step per row                          (--epochs·n steps)
Newton (one step) and the closed form are the reference: the best loss L*.

The table: lr; steps; grad evals (per-sample gradients); the loss after a tenth
of an epoch (who is fastest per sample processed); the final loss and its gap to
L*; ‖θ − θ*‖; 'loss rose', the share of recorded steps in which the loss on all
the data went up (the noise of a sampled gradient); the time. --plot draws the
loss curves against samples processed (log scales): SGD fast but noisy, batch GD
smooth but slow per sample, mini-batch in between. --json prints {"datasets": [{data, rows,
features, target, loss_definition, budget_epochs, budget_gradient_evaluations,
closed_form_loss, curvature, methods: [{method, label, lr, lr_schedule, batch_size,
steps, gradient_evaluations, loss, loss_after_tenth_epoch, loss_gap,
relative_loss_gap, distance_to_optimum, loss_rose, seconds, theta}]}], "plot"}.

examples:
  tinygrad-lr compare
  tinygrad-lr compare --plot docs/compare.png
  tinygrad-lr compare --constant-lr --epochs 3       SGD rattling at its noise level
  tinygrad-lr compare data.csv --target y --standardize"""


def _data_options(p, many=False):
    if many:
        p.add_argument("data", nargs="*", metavar="DATA.csv",
                       help="CSV file(s) with a header row (default: the lecture notes' synthetic data)")
    else:
        p.add_argument("data", metavar="DATA.csv", help="a CSV file with a header row naming the columns")
    p.add_argument("--target", metavar="COLUMN", help="the column to predict (y); required with a data file")
    p.add_argument("--features", nargs="+", metavar="COLUMN",
                   help="the columns to predict it from (default: every other numeric column)")
    p.add_argument("--standardize", action="store_true",
                   help="train on features scaled to mean 0, variance 1 (coefficients are reported in the "
                        "original units)")
    p.add_argument("--drop-bad-rows", action="store_true",
                   help="skip rows with missing or non-numeric values (default: report them and stop)")
    p.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR",
                   help="the field separator: one character, or 'tab' (default: ',')")


def build_parser():
    parser = _Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"{PROG} {tinygrad_lr.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    p = sub.add_parser("demo", help="train the lecture notes' example (what runs without a command)",
                       description="The lecture notes' example: 1000 samples of y = Xw + b + ε (w = [2, -3.4], "
                                   "b = 4.2, ε ~ N(0, 0.01²)) fitted with nn.Linear, nn.MSELoss, DataLoader and "
                                   "optim.SGD; then the learned w, b next to the true ones and the closed form, "
                                   "and a gradient check. Needs NumPy only.")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--lr", type=_positive_float, default=0.03, help="learning rate (default 0.03)")
    p.add_argument("--epochs", type=_int_at_least(1), default=3, help="passes over the data (default 3)")
    p.add_argument("--batch-size", type=_int_at_least(1), default=10, help="samples per step (default 10)")

    p = sub.add_parser("fit", help="fit a linear regression to a CSV file",
                       description=textwrap.fill("Fit ŷ = Xw + b to the columns of a CSV file and report the "
                                                 f"coefficients, the loss {LOSS}, R² and the gap to the closed-form "
                                                 "optimum.", 80),
                       epilog=FIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _data_options(p)
    p.add_argument("--method", choices=METHODS, default="minibatch", help="how to fit (default: minibatch)")
    p.add_argument("--batch-size", type=_int_at_least(1), help=f"rows per step of minibatch (default {BATCH_SIZE})")
    p.add_argument("--lr", type=_positive_float, help="learning rate η (default: see below)")
    p.add_argument("--epochs", type=_int_at_least(1), help="passes over the data (Newton: steps)")
    p.add_argument("--momentum", type=_momentum, help="SGD momentum μ in [0, 1) (default 0)")
    p.add_argument("--constant-lr", action="store_true", help="do not decay the lr of minibatch and sgd")
    p.add_argument("--damping", type=_non_negative, default=0.0, help="Newton: λ added to the Hessian (default 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffling (default 0)")
    p.add_argument("--save", metavar="MODEL.npz", help="save the fitted model with tinygrad_lr.save")
    p.add_argument("--plot", metavar="FILE.png", help="draw the loss curve and ŷ against y (needs matplotlib)")
    p.add_argument("--json", action="store_true", help="print one JSON object (fields below) instead of text")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no per-epoch lines")

    p = sub.add_parser("compare", help="batch GD vs SGD vs mini-batch SGD on the same budget (+ Newton, closed form)",
                       description=textwrap.fill("Batch gradient descent, single-sample SGD and mini-batch SGD on "
                                                 "the same data with the same budget of gradient evaluations, with "
                                                 "Newton's method and the closed form as the reference.", 80),
                       epilog=COMPARE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _data_options(p, many=True)
    p.add_argument("--epochs", type=_int_at_least(1), default=COMPARE_EPOCHS,
                   help=f"the budget: passes over the data for each method (default {COMPARE_EPOCHS})")
    p.add_argument("--batch-size", type=_int_at_least(1),
                   help=f"rows per step of mini-batch SGD (default {BATCH_SIZE})")
    p.add_argument("--lr", type=_positive_float, help="one learning rate for all three (default: 1/λ, 0.1/λ, 0.03/λ)")
    p.add_argument("--constant-lr", action="store_true", help="do not decay the lr of SGD and mini-batch SGD")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data and the shuffling (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the loss curves (needs matplotlib)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("check", help="verify the lecture notes' gradient derivations",
                       description="Each derivation of the lecture notes (the vector and scalar forms of ∂ℓ/∂w and "
                                   "∂ℓ/∂b, the per-sample gradients summed over a mini-batch, the sum form of batch "
                                   "GD, the gradient behind the closed form, Newton's Hessian) computed three ways "
                                   "at a random point: the formula, autograd, and finite differences. Exit status 0 "
                                   "when all agree.")
    p.add_argument("--seed", type=int, default=0, help="seed of the random point (default 0)")

    p = sub.add_parser("graph", help="the computation graph of the loss, and its backward pass step by step",
                       description="The autograd graph of ℓ = 1/(2n)·Σ(Xw + b − y)² as Graphviz DOT text, then the "
                                   "backward pass traced op by op. Without --out the DOT text goes to standard "
                                   "output and the trace to standard error (so `tinygrad-lr graph | dot -Tsvg` "
                                   "works); .svg, .png and .pdf need the graphviz package and program "
                                   "(pip install \"tinygrad-lr[graph]\"; apt-get install graphviz).")
    p.add_argument("--out", metavar="FILE", help="write the graph to FILE (.dot, .gv, .svg, .png or .pdf)")
    p.add_argument("--samples", type=int, default=5, help="samples in the batch (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


COMMANDS = {"demo": cmd_demo, "fit": cmd_fit, "compare": cmd_compare, "check": cmd_check, "graph": cmd_graph}


def _tolerant_output():
    """A terminal that cannot show ½ or θ gets an escape sequence, not a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, io.UnsupportedOperation):
            pass


def main(argv=None):
    """Run the command line ``argv`` (default: sys.argv[1:]); returns the exit status, raises SystemExit on errors."""
    _tolerant_output()
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv or ["demo"])
    if getattr(args, "features", None) is not None:
        args.features = _column_list(args.features)
    try:
        return COMMANDS[args.command](args)
    except CommandError as e:
        sys.stdout.flush()
        print(f"{PROG}: error: {e}", file=sys.stderr)
        raise SystemExit(e.status) from None
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except BrokenPipeError:     # `tinygrad-lr ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None


if __name__ == "__main__":
    raise SystemExit(main())
