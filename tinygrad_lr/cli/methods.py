"""What ``fit`` and ``fit --task logistic|softmax`` share: running L-BFGS from the command line, and the lines
that describe a run (the method line, the loss history)."""
import math

from .optimizers import DEFAULT_LR, LBFGS_EVALUATIONS
from .problem import NAMES
from .training import lbfgs


def fit_lbfgs(problem, args):
    """--optimizer lbfgs: full-batch L-BFGS whatever the gradient --method; --epochs counts its closure calls."""
    run = lbfgs(problem, evaluations=args.epochs or LBFGS_EVALUATIONS,
                lr=DEFAULT_LR["lbfgs"] if args.lr is None else args.lr, quiet=args.quiet or args.json)
    run.method = "batch"                       # it steps on all rows
    return run


def method_line(run, problem, args):
    """'method: mini-batch SGD (B = 10), lr 0.09197 (default 0.1/λ, …), …': the line of a gradient method."""
    if args.lr is not None:
        default = ""
    elif run.optimizer == "sgd":
        default = (f" (default {run.lr * problem.curvature:.3g}/λ, λ = {problem.curvature:.4g} the largest "
                   f"eigenvalue of {problem.curvature_of})")
    else:
        default = f" (the default for {NAMES[run.optimizer]})"
    if run.optimizer == "lbfgs":
        return (f"method: L-BFGS (optim.LBFGS, strong-Wolfe line search) on all rows, lr {run.lr:g}{default}: "
                f"{run.steps} iterations, {run.evaluations // problem.data.n} gradient evaluations")
    return (f"method: {run.label}, lr {run.lr:.4g}{default}, {run.schedule}, {run.epochs} epoch(s) = "
            f"{run.steps} steps" + (f", momentum {run.momentum:g}" if run.momentum else "")
            + (", on standardized features" if args.standardize else ""))


def print_history(run, args):
    """The loss after (up to) ten of the epochs or Newton steps, then the training time."""
    if not args.quiet and run.epoch_losses and run.method != "closed":
        E = len(run.epoch_losses)
        shown = sorted(set(range(0, E, max(1, math.ceil(E / 10)))) | {E - 1})
        for k in shown:
            print(f"{'step' if run.method == 'newton' else 'epoch'} {k + 1}, loss {run.epoch_losses[k]:.6g}")
    print(f"time: {run.seconds:.3g} s")
