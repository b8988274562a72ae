"""The training methods: gradient descent (batch, mini-batch, stochastic), Newton's method, the closed form.

Each takes a ``Problem`` and returns a ``Run``, and trains the way a PyTorch user
would: ``nn.Linear``, ``nn.MSELoss``, ``DataLoader`` and ``optim.SGD`` /
``optim.Newton``.  The step of gradient descent is the canonical PyTorch loop,
line for line the loop of examples/linear_regression_concise.py (a test in
tests/test_cli.py keeps the two the same)::

    for X, y in data_iter:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()

The updates (θ = [w; b], A = [X 1], n samples, B a batch of samples)::

    ∇ℓ = Aᵀ(Aθ − y)/n                            the gradient of ℓ(θ) = 1/(2n)·‖Aθ − y‖²
    θ ← θ − η/|B|·Σ_{i∈B} ∇ℓ⁽ⁱ⁾                   gradient descent: |B| = n batch, 1 SGD, else mini-batch
    θ ← θ − H⁻¹∇ℓ,  H = AᵀA/n                    Newton: one step lands on θ*
    θ* = (AᵀA)⁻¹Aᵀy                              the closed form
"""
import math
import time

import numpy as np

import tinygrad_lr
from .. import nn, optim
from ..data import DataLoader, TensorDataset
from .output import CommandError, warnings_as_notes
from .problem import GD_METHODS, NAMES, Run
from .progress import Progress

EPOCHS = {"minibatch": 100, "sgd": 20, "batch": 200, "newton": 1}  # fit's defaults, shortened on large data
STEP_BUDGET = 20_000                                               # to about this many steps (at least one epoch)
BATCH_SIZE = 10
COMPARE_EPOCHS = 10


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
    features, labels = _tensors(problem)
    n, d = problem.X_train.shape
    B = {"sgd": 1, "batch": n}.get(method, batch_size)
    stochastic = B < n
    lr = problem.default_lr(B) if lr is None else lr
    data_iter = DataLoader(TensorDataset(features, labels), batch_size=B, shuffle=stochastic,
                           generator=tinygrad_lr.Generator().manual_seed(seed))
    if epochs is None:  # the default: fewer passes over a large data set, where one pass has many steps
        epochs = max(1, min(EPOCHS[method], STEP_BUDGET // len(data_iter)))
    net, loss = _new_model(d), nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    steps_per_epoch = len(data_iter)
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
            for X, y in data_iter:
                l = loss(net(X), y)  # noqa: E741
                trainer.zero_grad()
                l.backward()
                trainer.step()
                if schedule is not None:
                    schedule.step()
                step += 1
                seen += len(X)
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
    with warnings_as_notes(problem.columns), np.errstate(all="ignore"):
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


def compare_methods(problem, epochs=COMPARE_EPOCHS, batch_size=BATCH_SIZE, lr=None, decay=True, seed=0, quiet=False):
    """Batch GD, mini-batch SGD and SGD on the same budget of per-sample gradient evaluations
    (``epochs`` passes over the data each), then Newton and the closed form for reference."""
    runs = [gradient_descent(problem, method, lr=lr, epochs=epochs, batch_size=batch_size, decay=decay, seed=seed,
                             quiet=quiet)
            for method in GD_METHODS]
    runs.append(newton(problem, steps=1, quiet=quiet))
    runs.append(closed_form(problem))
    return runs
