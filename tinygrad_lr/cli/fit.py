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
from .csvfile import note_unused, read_csv
from .output import CommandError, check_output_path, note, numerical_failures, prepare_plot, save_plot, table, warn
from .parser import check_batch_size, column_list
from .problem import (EXACT, GD_METHODS, LOSS, LOSS_DEFINITION, RIDGE_DEFINITION, Problem, column_mean_and_std,
                      norm, standardized_condition, without_constant_condition)
from .optimizers import ADAPTIVE
from .methods import fit_lbfgs, method_line, print_history
from .training import BATCH_SIZE, EPOCHS, closed_form, gradient_descent, newton

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


def cmd_fit(args):
    for option, value in (("--plot", args.plot), ("--save", args.save)):
        if value is not None and args.task != "regression":
            raise CommandError(f"{option} is for --task regression; it is not available with --task {args.task}", 2)
    prepare_plot(args.plot)
    if args.save is not None:
        check_output_path(args.save, "--save")
    data = read_csv(args.data, args.target, args.features, args.drop_bad_rows, args.delimiter, "fit",
                    exclude=column_list(args.exclude), progress=not (args.quiet or args.json), notes=False)
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
        status = classification.cmd_fit_classifier(args, data)
        note_unused(data)
        return status
    problem = Problem(data, args.standardize, args.l2)
    if method in GD_METHODS and not args.standardize:
        _note_conditioning(problem)
    with numerical_failures(f"--method {method}", data):
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
    note_unused(data)
    if report["coefficients_warning"]:
        warn(report["coefficients_warning"])
    return 0


def _note_conditioning(problem):
    """Why gradient descent will be slow, and what helps: constant features, scales, or correlation."""
    if problem.constant:
        note(f"the feature(s) {', '.join(problem.constant)} are constant: next to the bias they add nothing, and "
             f"the Hessian AᵀA/n is singular; --exclude {','.join(problem.constant)} leaves them out")
    if problem.data.n < len(problem.columns):      # fewer rows than coefficients: the closed form's warning says so
        return
    condition = without_constant_condition(problem)
    if condition <= 1e4 or not math.isfinite(problem.curvature):     # an overflow is an error of its own
        return
    scaled = standardized_condition(problem)
    if scaled < condition / 100:
        note(f"the features have very different scales (the Hessian AᵀA/n has condition number {condition:.1e}, "
             f"{scaled:.1e} on standardized features), so gradient descent is slow; --standardize fixes that")
    else:
        note(f"the features are strongly correlated (the Hessian AᵀA/n has condition number {condition:.1e}, "
             f"{scaled:.1e} even on standardized features), so gradient descent is slow and its coefficients "
             "inexact; --method closed or newton gives the exact ones")


def coefficient_gap(run, problem):
    """(‖θ − θ*‖/‖θ*‖, the coefficient furthest from θ*), or Nones when θ* = 0 or there is no feature.

    The furthest is the one with the largest |w − w*|·σ, σ the std of its feature: the
    change it makes in ŷ for a typical x, which compares features in different units.
    """
    theta, star = run.theta, problem.theta_star
    size = norm(star)
    relative = norm(theta - star) / size if size > 0 else None
    sigma = problem.std if problem.standardize else column_mean_and_std(problem.data.X)[1]
    sigma = np.where(np.isin(problem.data.features, problem.constant), 0.0, sigma)
    effect = np.abs(theta[:-1] - star[:-1]) * sigma
    if not effect.size or not effect.max() > 0:
        return relative, None
    k = int(np.argmax(effect))
    return relative, {"name": problem.data.features[k], "value": float(theta[k]), "closed_form": float(star[k]),
                      "relative_error": float(abs(theta[k] - star[k]) / abs(star[k])) if star[k] else None,
                      "opposite_sign": bool(np.sign(theta[k]) * np.sign(star[k]) < 0)}


def opposite_signs(run, problem):
    """The features whose weight has the other sign than in θ* (both clearly nonzero)."""
    w, w_star = run.theta[:-1], problem.theta_star[:-1]
    tiny = 1e-9 * np.abs(w_star).max(initial=0.0)
    return [name for name, a, b in zip(problem.data.features, w, w_star)
            if np.sign(a) != np.sign(b) and min(abs(a), abs(b)) > tiny]


def _coefficients_warning(run, problem, relative, worst, rel_loss):
    """Why θ can be far from θ* although the loss is close: the Hessian's condition number (None if it is not)."""
    if run.method == "closed" or relative is None or relative < 0.1 or rel_loss is None or rel_loss > 0.01:
        return None
    furthest = "" if worst is None else (
        f"; furthest: {worst['name']} = {worst['value']:.4g} against {worst['closed_form']:.4g}"
        + (", the opposite sign" if worst["opposite_sign"] else ""))
    flipped = opposite_signs(run, problem)
    if flipped:
        furthest += f"; of the opposite sign: {', '.join(flipped)}"
    units = " of the standardized features" if problem.standardize else ""
    why = (f"the Hessian AᵀA/n{units} is singular (constant or linearly dependent columns), so the best fit is not "
           "unique and θ ends at another one" if not math.isfinite(problem.condition) else
           f"the problem is ill-conditioned: the Hessian AᵀA/n{units} has condition number {problem.condition:.2g}, "
           "so the loss is nearly flat along some directions and very different θ fit almost as well")
    return (f"θ is {100 * relative:.3g}% away from the closed form θ* (‖θ − θ*‖/‖θ*‖{furthest}) although the loss "
            f"is within {100 * rel_loss:.2g}% of the best: {why}. For the coefficients, use --method closed (or "
            "newton); training longer closes the gap only slowly")


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
    gap, rel_loss = run.loss - problem.best_loss, problem.relative_gap(run.loss)
    relative, worst = coefficient_gap(run, problem)
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
        "relative_loss_gap": rel_loss,
        "distance_to_optimum": norm(run.theta - problem.theta_star),
        "relative_distance_to_optimum": relative,
        "worst_coefficient": worst,
        "opposite_signs": opposite_signs(run, problem),
        "condition_number": problem.condition,
        "coefficients_warning": _coefficients_warning(run, problem, relative, worst, rel_loss),
        "unused_columns": dict(data.unused),
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
        print(method_line(run, problem, args))
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
    exact = (f": the data fit exactly (L* < {EXACT:g}·½·var(y)), so the gap is absolute" if problem.fits_exactly
             else "")
    print(f"loss {label}: {run.loss:.6g}   (closed form {problem.best_loss:.6g}{exact}; gap {gap:+.2g}"
          + (f", {100 * rel:+.3g}%" if rel is not None else "") + ")")
    print(f"R²: {report['r2']:.6f}")
    relative, worst = report["relative_distance_to_optimum"], report["worst_coefficient"]
    share = "" if relative is None else f" = {100 * relative:.3g}% of ‖θ*‖"
    print(f"‖θ − θ*‖: {report['distance_to_optimum']:.2g}{share}   (distance to the closed-form solution θ* = [w; b])")
    if worst is not None and run.method != "closed":
        off = "" if worst["relative_error"] is None else f", {100 * worst['relative_error']:.3g}% off"
        flipped = report["opposite_signs"]
        print(f"furthest coefficient: {worst['name']} {worst['value']:.6g} (closed form {worst['closed_form']:.6g}"
              f"{off}{', the opposite sign' if worst['opposite_sign'] else ''}); condition number of the Hessian "
              f"AᵀA/n: {problem.condition:.3g}" + (f"; of the opposite sign: {', '.join(flipped)}" if flipped else ""))
    if data.unused:
        print("not used: " + "; ".join(f"{name} ({why})" for name, why in data.unused.items()))
    # 1% above L*; on data that fit exactly (L* ≈ 0), R² below 1 − 1e-6, i.e. a gap above 1e-6·½·var(y)
    if run.method in GD_METHODS and (rel > 0.01 if rel is not None else gap > 1e-6 * problem.baseline_loss):
        above = f"{100 * rel:.3g}% above the best loss" if rel is not None else \
            f"{gap:.2g} above the best loss, an exact fit (R² = 1)"
        note(f"the fit is still {above}: train longer (--epochs), raise --lr, or "
             + ("use --method closed" if args.standardize else "try --standardize"))
    if report["saved"]:
        print(f"saved: {report['saved']} (tinygrad_lr.load(path)['model'] is an nn.Linear({len(data.features)}, 1) "
              "state_dict)")
    if args.plot:
        print(f"plot: {args.plot}")
