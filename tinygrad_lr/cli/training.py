"""The training methods: gradient descent (batch, mini-batch, stochastic), Newton's method, the closed form.

Each takes a ``Problem`` and returns a ``Run``, and trains the way a PyTorch user
would: ``nn.Linear``, ``nn.MSELoss``, ``DataLoader`` and ``optim.SGD`` /
``optim.Newton``.  The step of gradient descent is the canonical PyTorch loop,
line for line the loop of examples/linear_regression_concise.py (a test in
tests/cli/test_cli.py keeps the two the same)::

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
    ridge (l2 = λ > 0): ℓ + (λ/2)·‖w‖², the bias not penalised: SGD's weight_decay = λ on the
    weight's param group only (param_groups); Newton differentiates the penalty in its closure
"""
import math
import time

import numpy as np

import tinygrad_lr
from .. import nn, optim
from ..autograd import grad
from ..data import DataLoader, TensorDataset
from .optimizers import ADAPTIVE, default_lr, make_trainer
from .output import CommandError, warnings_as_notes
from .problem import NAMES, Run
from .progress import Progress

EPOCHS = {"minibatch": 100, "sgd": 20, "batch": 200, "newton": 1}  # fit's defaults, shortened on large data
STEP_BUDGET = 20_000                                               # to about this many steps (at least one epoch)
BATCH_SIZE = 10
COMPARE_EPOCHS = 10
COMPARE_METHODS = ("batch", "minibatch", "sgd", "newton")         # compare's default --methods


def _tensors(problem):
    X = tinygrad_lr.from_numpy(np.ascontiguousarray(problem.X_train))   # float64, no copy
    return X, problem.targets()


def _new_model(d, outputs=1):
    """ŷ = Xw + b as nn.Linear(d, outputs) in float64, starting from θ = 0 (the same start for every method)."""
    net = nn.Linear(d, outputs, dtype=tinygrad_lr.float64)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    return net


def param_groups(net, l2):
    """Ridge with optim.SGD: ``weight_decay`` = λ on the weight only, the bias in a group without it.

    SGD's weight decay adds λ·w to the gradient: the gradient of (λ/2)·‖w‖², so the
    step is on ℓ + (λ/2)‖w‖², ∂/∂w = Xᵀ(Xw + b − y)/n + λw; the bias is not penalised.
    (With l2 = 0 both groups have weight_decay 0: plain SGD.)
    """
    return [{"params": [net.weight], "weight_decay": l2}, {"params": [net.bias]}]


def l2_penalty(net, l2):
    """(λ/2)·‖w‖², the ridge term written into the loss (Newton differentiates it; it has no weight_decay)."""
    return l2 / 2 * (net.weight ** 2).sum() if l2 else 0.0


def _check_finite(run, loss, start_loss, epoch, problem):
    if math.isfinite(loss) and loss <= 1e8 * max(start_loss, 1e-300):
        return
    hint = "" if problem.standardize else ", or --standardize to put the features on one scale"
    raise CommandError(f"{run.label} diverged: the loss grew to {loss:.3g} in epoch {epoch} (it started at "
                       f"{start_loss:.3g}): the learning rate {run.lr:.4g} is too large for this data; try "
                       f"--lr {run.lr / 10:.3g}{hint}")


def gradient_descent(problem, method, lr=None, epochs=None, batch_size=BATCH_SIZE, momentum=0.0, decay=True,
                     seed=0, quiet=False, points_per_epoch=50, optimizer="sgd"):
    """Batch, mini-batch or stochastic gradient descent, trained as in PyTorch.

    One step on a batch B of samples is θ ← θ − η/|B|·Σ_{i∈B} ∇ℓ⁽ⁱ⁾(θ): nn.MSELoss
    averages over the batch, backward() gives the averaged gradient, SGD.step()
    subtracts η times it.  |B| = n is batch GD (one step per epoch), |B| = 1 is SGD,
    anything between is mini-batch SGD.  For the stochastic methods, unless ``decay``
    is False, η decreases linearly to 0 over the run (optim.lr_scheduler.LambdaLR):
    with a constant η the noise of the sampled gradients keeps θ rattling around θ*.
    ``optimizer`` ('adam', 'rmsprop', 'adagrad'; see optimizers.py) changes the update rule only.
    """
    features, labels = _tensors(problem)
    n, d = problem.X_train.shape
    B = {"sgd": 1, "batch": n}.get(method, batch_size)
    stochastic = B < n
    lr = default_lr(problem, B, optimizer) if lr is None else lr
    data_iter = DataLoader(TensorDataset(features, labels), batch_size=B, shuffle=stochastic,
                           generator=tinygrad_lr.Generator().manual_seed(seed))
    if epochs is None:  # the default: fewer passes over a large data set, where one pass has many steps
        epochs = max(1, min(EPOCHS[method], STEP_BUDGET // len(data_iter)))
    net, loss = _new_model(d, problem.outputs), problem.criterion()
    trainer = make_trainer(optimizer, param_groups(net, problem.l2), lr, momentum)
    steps_per_epoch = len(data_iter)
    total = epochs * steps_per_epoch
    decay = decay and stochastic
    schedule = optim.lr_scheduler.LambdaLR(trainer, lambda t: 1 - t / total) if decay else None
    run = Run(method, None, None, lr=lr, epochs=epochs, batch_size=B, momentum=momentum,
              schedule="linear decay to 0" if decay else "constant", optimizer=optimizer)
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


def newton(problem, steps=1, lr=1.0, damping=0.0, quiet=False, tol=0.0):
    """Newton's method with optim.Newton: θ ← θ − η·(H + λI)⁻¹∇ℓ, the Hessian H by double backward.

    ℓ is quadratic in θ, so with η = 1 the first step lands on θ* from any start.
    A step costs one gradient and P Hessian rows (P = d + 1 parameters), each a
    backward pass over the n samples: n·(1 + P) per-sample gradient evaluations.
    With ``tol`` > 0 it stops early once ‖∇ℓ‖ ≤ tol (one more gradient per step):
    logistic regression is not quadratic, and Newton (IRLS) needs a few steps.
    """
    problem.check_trainable("Newton's method")
    X, y = _tensors(problem)
    n, d = problem.X_train.shape
    net, loss = _new_model(d, problem.outputs), problem.criterion()
    trainer = optim.Newton(net.parameters(), lr=lr, damping=damping)

    def closure():
        trainer.zero_grad()
        return loss(net(X), y) + l2_penalty(net, problem.l2)   # no backward(): Newton differentiates it twice

    run = Run("newton", None, None, lr=lr, epochs=steps, schedule="constant")
    run.samples, run.curve = [0], [problem.loss(problem.theta_of(net))]
    start = time.perf_counter()
    per_step = n * (1 + sum(p.numel() for p in net.parameters()) + bool(tol))
    with warnings_as_notes(problem.columns), np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            trainer.step(closure)
            run.samples.append(k * per_step)
            run.curve.append(problem.loss(problem.theta_of(net)))
            _check_finite(run, run.curve[-1], run.curve[0], k, problem)
            run.epoch_losses.append(run.curve[-1])
            if tol and gradient_norm(closure(), net) <= tol:
                break
    run.seconds = time.perf_counter() - start
    run.theta = problem.theta_of(net)
    run.loss, run.steps, run.evaluations = problem.loss(run.theta), k, k * per_step
    return run


def gradient_norm(loss, net):
    """‖∇θ ℓ‖ over all the parameters of ``net``, by autograd.grad (``.grad`` untouched): 0 at the optimum."""
    return math.sqrt(sum(float((g ** 2).sum()) for g in grad(loss, list(net.parameters()))))


def closed_form(problem):
    """θ* = (AᵀA)⁻¹Aᵀy by linalg.lstsq on A = [X 1] (computed when the problem was set up)."""
    return Run("closed", problem.theta_star, problem.best_loss, seconds=problem.closed_seconds)


def compare_methods(problem, epochs=COMPARE_EPOCHS, batch_size=BATCH_SIZE, lr=None, decay=True, seed=0, quiet=False,
                    methods=COMPARE_METHODS):
    """Batch GD, mini-batch SGD and SGD on the same budget of per-sample gradient evaluations
    (``epochs`` passes over the data each), then Newton and the closed form for reference.

    ``methods`` (compare --methods) picks and orders them; 'adam', 'rmsprop' and 'adagrad' are
    mini-batch runs with those optimizers, 'lbfgs' full-batch L-BFGS, on the same budget."""
    runs = [_compare_run(problem, method, epochs, batch_size, lr, decay, seed, quiet) for method in methods]
    runs.append(closed_form(problem))
    return runs


def _compare_run(problem, method, epochs, batch_size, lr, decay, seed, quiet):
    if method == "newton":
        return newton(problem, steps=1, quiet=quiet)
    if method == "lbfgs":
        return lbfgs(problem, evaluations=epochs, lr=1.0 if lr is None else lr, quiet=quiet)
    optimizer = method if method in ADAPTIVE else "sgd"
    run = gradient_descent(problem, "minibatch" if method in ADAPTIVE else method, lr=lr, epochs=epochs,
                           batch_size=batch_size, decay=decay, seed=seed, quiet=quiet, optimizer=optimizer)
    run.method = method                    # in compare an adaptive run is named by its optimizer
    return run


def lbfgs(problem, evaluations, lr=1.0, quiet=False):
    """Full-batch L-BFGS (optim.LBFGS, strong-Wolfe line search) with at most ``evaluations`` closure calls.

    One ``step(closure)`` runs the iterations; each closure call is one gradient on all n
    rows, so the budget is counted as for batch GD: ``evaluations``·n per-sample gradients.
    L-BFGS stops earlier, at the optimum to rounding: once max|∇ℓ| ≤ 1e-10 or the loss changes
    by less than 1e-15 (PyTorch's default tolerances are for losses of order 1).  The curve has
    a point per closure call (line-search probes included: the loss can rise at a probe).
    """
    problem.check_trainable("L-BFGS")
    X, y = _tensors(problem)
    n, d = problem.X_train.shape
    net, loss = _new_model(d, problem.outputs), problem.criterion()
    trainer = optim.LBFGS(net.parameters(), lr=lr, max_iter=evaluations, max_eval=evaluations,
                          tolerance_grad=1e-10, tolerance_change=1e-15, line_search_fn="strong_wolfe")
    run = Run("lbfgs", None, None, lr=lr, epochs=evaluations, schedule="strong-Wolfe line search",
              optimizer="lbfgs")
    start_loss = problem.loss(problem.theta_of(net))
    run.samples, run.curve = [0], [start_loss]

    def closure():
        trainer.zero_grad()
        l = loss(net(X), y) + l2_penalty(net, problem.l2)  # noqa: E741
        l.backward()
        run.samples.append(run.samples[-1] + n)
        run.curve.append(problem.loss(problem.theta_of(net)))
        run.epoch_losses.append(run.curve[-1])
        bar.update(run.samples[-1], f"evaluation {len(run.epoch_losses)}/{evaluations}  loss {run.curve[-1]:.3e}")
        return l

    start = time.perf_counter()
    with Progress(total=evaluations * n, label=NAMES["lbfgs"], enabled=not quiet) as bar, np.errstate(all="ignore"):
        trainer.step(closure)
        _check_finite(run, problem.loss(problem.theta_of(net)), start_loss, len(run.epoch_losses), problem)
    run.seconds = time.perf_counter() - start
    run.theta = problem.theta_of(net)
    state = trainer.state[net.weight]
    run.loss, run.steps, run.evaluations = problem.loss(run.theta), state["n_iter"], state["func_evals"] * n
    return run
