"""``tinygrad-lr fit DATA.csv --target y``: fit ŷ = Xw + b to a CSV file with one method, and report it.

Reads the file (csvfile.read_csv), sets up the ``Problem``, trains with the
chosen method (training.py), then prints the coefficients next to the closed
form, the loss, R² and ‖θ − θ*‖ — or, with --json, one JSON object whose fields
are listed in parser.FIT_EPILOG.  --save writes the model with tinygrad_lr.save,
--plot draws the loss curve and ŷ against y.
"""
import json
import math

import numpy as np

import tinygrad_lr
from .. import nn
from . import classification, plots
from .csvfile import read_csv
from .output import CommandError, check_output_path, note, prepare_plot, save_plot, table
from .parser import check_batch_size
from .problem import GD_METHODS, LOSS, LOSS_DEFINITION, NAMES, RIDGE_DEFINITION, Problem
from .optimizers import ADAPTIVE, DEFAULT_LR, LBFGS_EVALUATIONS
from .training import BATCH_SIZE, EPOCHS, closed_form, gradient_descent, lbfgs, newton

OPTION_USE = {"--lr": ("minibatch", "sgd", "batch", "newton"), "--epochs": ("minibatch", "sgd", "batch", "newton"),
              "--batch-size": ("minibatch",), "--momentum": ("minibatch", "sgd", "batch"),
              "--constant-lr": ("minibatch", "sgd"), "--damping": ("newton",),
              "--optimizer": ("minibatch", "sgd", "batch")}


def _run_method(problem, method, args):
    if method == "closed":
        return closed_form(problem)
    if method == "newton":
        return newton(problem, steps=args.epochs or EPOCHS["newton"], lr=1.0 if args.lr is None else args.lr,
                      damping=args.damping, quiet=args.quiet or args.json)
    if args.optimizer == "lbfgs":
        return fit_lbfgs(problem, args)
    return gradient_descent(problem, method, lr=args.lr, epochs=args.epochs,
                            batch_size=args.batch_size or min(BATCH_SIZE, problem.data.n),
                            momentum=args.momentum or 0.0, decay=not args.constant_lr, seed=args.seed,
                            quiet=args.quiet or args.json, optimizer=args.optimizer)


def fit_lbfgs(problem, args):
    """--optimizer lbfgs: full-batch L-BFGS whatever the gradient --method; --epochs counts its closure calls."""
    run = lbfgs(problem, evaluations=args.epochs or LBFGS_EVALUATIONS,
                lr=DEFAULT_LR["lbfgs"] if args.lr is None else args.lr, quiet=args.quiet or args.json)
    run.method = "batch"                       # it steps on all rows
    return run


def _note_optimizer_options(args):
    """The options that a non-SGD --optimizer does not use."""
    if args.optimizer == "sgd" or args.method not in OPTION_USE["--optimizer"]:
        return
    unused = [opt for opt, value, used_by in (
        ("--momentum", args.momentum, ("rmsprop",)),
        ("--batch-size", args.batch_size, ADAPTIVE), ("--constant-lr", args.constant_lr or None, ADAPTIVE))
        if value is not None and args.optimizer not in used_by]
    if unused:
        note(f"{', '.join(unused)} {'does' if len(unused) == 1 else 'do'} not apply to --optimizer "
             f"{args.optimizer}" + (" (it steps on all rows)" if args.optimizer == "lbfgs" else "") + "; ignored")


def _optimizer_method_line(run, problem, args):
    """'method: Adam (B = 10), lr 0.1 (the default for Adam), …' for a gradient method with --optimizer."""
    default = f" (the default for {NAMES[run.optimizer]})" if args.lr is None else ""
    if run.optimizer == "lbfgs":
        return (f"method: L-BFGS (optim.LBFGS, strong-Wolfe line search) on all rows, lr {run.lr:g}{default}: "
                f"{run.steps} iterations, {run.evaluations // problem.data.n} gradient evaluations")
    return (f"method: {run.label}, lr {run.lr:.4g}{default}, {run.schedule}, {run.epochs} epoch(s) = "
            f"{run.steps} steps" + (f", momentum {run.momentum:g}" if run.momentum else "")
            + (", on standardized features" if args.standardize else ""))


def cmd_fit(args):
    for option, value in (("--plot", args.plot), ("--save", args.save)):
        if value is not None and args.task != "regression":
            raise CommandError(f"{option} is for --task regression; it is not available with --task {args.task}", 2)
    prepare_plot(args.plot)
    if args.save is not None:
        check_output_path(args.save, "--save")
    data = read_csv(args.data, args.target, args.features, args.drop_bad_rows, args.delimiter, "fit")
    method = args.method
    check_batch_size(args.batch_size, data)
    given = {"--lr": args.lr, "--epochs": args.epochs, "--batch-size": args.batch_size, "--momentum": args.momentum,
             "--constant-lr": args.constant_lr or None, "--damping": args.damping or None,
             "--optimizer": None if args.optimizer == "sgd" else args.optimizer}
    unused = [opt for opt, value in given.items() if value is not None and method not in OPTION_USE[opt]]
    if unused:
        note(f"{', '.join(unused)} {'does' if len(unused) == 1 else 'do'} not apply to --method {method}; ignored")
    _note_optimizer_options(args)
    if args.task != "regression":
        return classification.cmd_fit_classifier(args, data)
    problem = Problem(data, args.standardize, args.l2)
    if method in GD_METHODS and not args.standardize and problem.condition > 1e4:
        note(f"the features have very different scales (the Hessian AᵀA/n has condition number "
             f"{problem.condition:.1e}), so gradient descent is slow; --standardize fixes that")
    run = _run_method(problem, method, args)
    saved = _save_model(args.save, run, data, problem) if args.save else None
    if args.plot:
        curve = (run.samples, run.curve) if run.curve else None
        save_plot(plots.plot_fit, args.plot, data.name, run.label, curve, problem.best_loss, data.y.tolist(),
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
                            "standardize": bool(args.standardize), "seed": args.seed,
                            "optimizer": run.optimizer if run.method in GD_METHODS else None},
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
    } | (_ridge_fields(run, problem) if problem.l2 else {})


def _ridge_fields(run, problem):
    """With --l2: "loss" is the objective ℓ + (λ/2)·‖w‖² that every method minimises, "data_loss" ℓ alone."""
    return {"l2": problem.l2, "loss_definition": RIDGE_DEFINITION,
            "data_loss": problem.data_loss(run.theta)}


def gd_method_line(run, problem, args):
    """'method: mini-batch SGD (B = 10), lr …' — the line of a gradient method (also for classification.py)."""
    if run.optimizer != "sgd":
        return _optimizer_method_line(run, problem, args)
    default = "" if args.lr is not None else (f" (default {run.lr * problem.curvature:.3g}/λ, "
                                              f"λ = {problem.curvature:.4g} the largest eigenvalue of "
                                              f"{problem.curvature_of})")
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


def _print_fit(run, problem, report, args):
    data = problem.data
    print(f"fit: {data.name}, {data.n} rows: {data.target} from {', '.join(data.features)}")
    if run.method == "closed" and problem.l2:
        print(f"method: ridge closed form w* = (X_cᵀX_c + nλI)⁻¹X_cᵀ(y − ȳ), b* = ȳ − x̄ᵀw* (X_c: the centred "
              f"features; the bias is not penalised), λ = {problem.l2:g}"
              + (", on standardized features" if args.standardize else ""))
    elif run.method == "closed":
        print("method: closed form θ* = (AᵀA)⁻¹Aᵀy, by linalg.lstsq on A = [X 1]")
    elif run.method == "newton":
        print(f"method: Newton (optim.Newton), {run.steps} step(s) of θ ← θ − {run.lr:g}·(H + {args.damping:g}·I)⁻¹∇ℓ")
    else:
        print(gd_method_line(run, problem, args))
    print_history(run, args)
    print()
    rows = [[name, f"{v:.6g}", f"{s:.6g}"] for name, v, s in
            zip(problem.columns, run.theta, problem.theta_star)]
    print(table(["coefficient", "value", "closed form"], rows, right=(1, 2)))
    print()
    gap, rel = report["loss_gap"], report["relative_loss_gap"]
    label = f"{LOSS} + (λ/2)·‖w‖²" if problem.l2 else LOSS
    if problem.l2:
        print(f"ridge: λ = {problem.l2:g} on w (the bias is not penalised); {LOSS} alone: {report['data_loss']:.6g}")
    print(f"loss {label}: {run.loss:.6g}   (closed form {problem.best_loss:.6g}; gap {gap:+.2g}"
          + (f", {100 * rel:+.3g}%" if rel is not None else "") + ")")
    print(f"R²: {report['r2']:.6f}")
    print(f"‖θ − θ*‖: {report['distance_to_optimum']:.2g}   (distance to the closed-form solution θ* = [w; b])")
    if run.method in GD_METHODS and rel is not None and rel > 0.01:
        note(f"the fit is still {100 * rel:.3g}% above the best loss: train longer (--epochs), raise --lr, or "
             + ("use --method closed" if args.standardize else "try --standardize"))
    if report["saved"]:
        print(f"saved: {report['saved']} (tinygrad_lr.load(path)['model'] is an nn.Linear({len(data.features)}, 1) "
              "state_dict)")
    if args.plot:
        print(f"plot: {args.plot}")
