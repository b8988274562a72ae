"""``tinygrad-lr compare``: batch GD, mini-batch SGD and SGD on the same budget, with Newton and the closed form.

Every gradient method gets ``--epochs`` passes over the data (the same number of
per-sample gradient evaluations) and starts from θ = 0 (training.compare_methods);
the table shows who is fastest per sample processed, how close each gets to the
optimum L*, and how noisy its path is.  Runs on the lecture notes' synthetic
data, or on one or more CSV files.
"""
import json

from . import plots
from .csvfile import read_csv
from .output import CommandError, prepare_plot, save_plot, table
from .parser import check_batch_size, column_list
from .csvfile import STDIN
from .problem import EXACT, GD_METHODS, LOSS, LOSS_DEFINITION, LR_FACTOR, NAMES, Problem, norm, synthetic_data
from .training import BATCH_SIZE, COMPARE_METHODS, compare_methods

PLOT_NOTES = {"batch": "smooth, but one step per epoch", "minibatch": "in between", "sgd": "fast but noisy",
              "adam": "a step of about lr per entry", "rmsprop": "g / √(mean g²)", "adagrad": "g / √(Σ g²)",
              "lbfgs": "curvature from past steps"}
CURVES = GD_METHODS + ("adam", "rmsprop", "adagrad", "lbfgs")     # the methods with a loss curve per sample
SHORT_NAMES = {"minibatch": "mini-batch"}


def _fmt(x, digits=6):
    return "—" if x is None else f"{x:.{digits}g}"


def _compare_report(problem, runs, args):
    data, best = problem.data, problem.best_loss
    methods = []
    for run in runs:
        gap = run.loss - best
        methods.append({
            "method": run.method, "label": run.label, "lr": run.lr, "lr_schedule": run.schedule,
            "batch_size": run.batch_size, "steps": run.steps, "gradient_evaluations": run.evaluations,
            "loss": run.loss,
            "loss_after_tenth_epoch": run.loss_after(data.n // 10) if run.method in CURVES else None,
            "loss_gap": gap, "relative_loss_gap": problem.relative_gap(run.loss),
            "distance_to_optimum": norm(run.theta - problem.theta_star),
            "loss_rose": run.rises() if run.method in CURVES else None, "seconds": run.seconds,
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
    rows, exact = [], problem.fits_exactly        # L* ≈ 0: the gaps are absolute, loss − L*
    for run, m in zip(runs, report["methods"]):
        reference = run.method == "closed"
        rows.append([run.label, "—" if run.lr is None else f"{run.lr:.4g}", "—" if reference else f"{run.steps:,}",
                     "—" if reference else f"{run.evaluations:,}", _fmt(m["loss_after_tenth_epoch"], 3),
                     f"{run.loss:.6g}",
                     f"{m['loss_gap']:+.1e}" if exact else f"{100 * m['relative_loss_gap']:+.3f}%",
                     f"{m['distance_to_optimum']:.1e}",
                     "—" if m["loss_rose"] is None else f"{100 * m['loss_rose']:.0f}%",
                     f"{run.seconds:.2f} s"])
    print(table(["method", "lr", "steps", "grad evals", "after ⅒ epoch", f"loss {LOSS}",
                 "loss − L*" if exact else "gap to L*", "‖θ − θ*‖",
                 "loss rose", "time"], rows, right=(1, 2, 3, 4, 5, 6, 7, 8, 9)))
    _print_summary(problem, runs, args)


def _print_summary(problem, runs, args):
    """Who is fastest early on, how noisy each path is, where the learning rates came from."""
    data = problem.data
    curves = [r for r in runs if r.method in CURVES]
    early = data.n // 10
    order = sorted(curves, key=lambda r: r.loss_after(early))
    print()
    print(f"after ⅒ epoch ({early:,} samples): " + " < ".join(
        f"{NAMES[r.method]} {r.loss_after(early):.2g}" + (" (no step yet)" if r.loss_after(early) == r.curve[0]
                                                          else "") for r in order)
        + ("  — per sample processed, SGD is fastest and batch GD slowest"
           if [r.method for r in order if r.method in GD_METHODS] == ["sgd", "minibatch", "batch"] else ""))
    noisiest_first = sorted(curves, key=lambda r: ("sgd", "minibatch", "batch").index(r.method)
                            if r.method in GD_METHODS else 3)
    print("loss rose: the share of recorded steps in which the loss on all the data went up — the noise of the "
          "sampled gradient (" + ", ".join(f"{SHORT_NAMES.get(r.method, NAMES[r.method])} {100 * r.rises():.0f}%"
                                          for r in noisiest_first) + ")")
    gd = {r.method: r for r in runs if r.method in GD_METHODS}
    if args.lr is None and gd:
        capped = "sgd" in gd and gd["sgd"].lr < LR_FACTOR["sgd"] / problem.curvature * (1 - 1e-12)
        print(f"lr: {LR_FACTOR['batch']:g}/λ (batch), {LR_FACTOR['minibatch']:g}/λ (mini-batch), "
              f"{LR_FACTOR['sgd']:g}/λ (SGD), λ = {problem.curvature:.4g} the largest eigenvalue of the Hessian "
              "AᵀA/n" + (f" (with many features at most 0.1·B/tr(AᵀA/n), tr = {problem.trace:.4g})" if capped else "")
              + "; " + ("constant" if args.constant_lr else
                        "the stochastic methods' lr decays linearly to 0 (--constant-lr keeps it fixed)"))
    others = [r for r in curves if r.method not in GD_METHODS]
    if args.lr is None and others:
        print("lr: " + ", ".join(f"{r.lr:g} ({NAMES[r.method]})" for r in others) + ", their defaults (see --help)")
    print(f"L* = {problem.best_loss:.6g}: the closed-form optimum (linalg.lstsq on [X 1]); Newton needs one step")
    if problem.fits_exactly:
        print(f"L* ≈ 0: the data fit exactly (L* < {EXACT:g}·½·var(y)), so the gaps are absolute, loss − L*, not "
              "percentages of a rounding error")


def cmd_compare(args):
    prepare_plot(args.plot)
    if args.data and args.target is None:
        raise CommandError("compare: --target is required with a data file: name the column to predict", 2)
    if args.epochs < 1:
        raise CommandError(f"--epochs must be at least 1, got {args.epochs}", 2)
    if args.data.count(STDIN) > 1:
        raise CommandError(f"compare: '{STDIN}' (standard input) is given {args.data.count(STDIN)} times; it can be "
                           "read once: give it once", 2)
    datasets = [read_csv(path, args.target, args.features, args.drop_bad_rows, args.delimiter, "compare",
                         exclude=column_list(args.exclude)) for path in args.data] or [synthetic_data(args.seed)]
    for data in datasets:
        check_batch_size(args.batch_size, data)
    reports, panels = [], []
    for k, data in enumerate(datasets):
        problem = Problem(data, args.standardize)
        runs = compare_methods(problem, args.epochs, args.batch_size or min(BATCH_SIZE, data.n), args.lr,
                               not args.constant_lr, args.seed, args.quiet or args.json, args.methods)
        report = _compare_report(problem, runs, args)
        reports.append(report)
        if not args.json:
            if k:
                print()
            _print_compare(problem, runs, report, args)
        panels.append({"name": data.name, "closed_loss": problem.best_loss,
                       "curves": [(r.method, f"{r.label}: {PLOT_NOTES[r.method]}", r.samples, r.curve)
                                  for r in runs if r.method in CURVES],
                       "newton": next(((f"{r.label}", r.evaluations, r.loss) for r in runs if r.method == "newton"),
                                      None)})
    if args.plot:
        names = [NAMES[m] for m in args.methods if m in CURVES]
        title = ("Batch GD, mini-batch SGD and SGD" if tuple(args.methods) == COMPARE_METHODS else
                 ", ".join(names[:-1]) + " and " * (len(names) > 1) + names[-1] if names else "Newton")
        save_plot(plots.plot_compare, args.plot, panels, f"{title} on the same budget ({args.epochs} epochs each)")
        if not args.json:
            print(f"plot: {args.plot}")
    if args.json:
        print(json.dumps({"datasets": reports, "plot": args.plot}, indent=2, ensure_ascii=False))
    return 0
