"""Logistic and softmax regression from the command line: ``tinygrad-lr fit DATA.csv --target y --task logistic``.

``Classifier`` is the problem object of a classification task.  It answers what
the training loops of training.py ask a ``Problem`` (the targets, the model
nn.Linear(d, K), the loss module, θ of a trained model, the loss at θ, the
default learning rate), so ``gradient_descent`` and ``newton`` train it
unchanged; ``cmd_fit_classifier`` reports accuracy and log-loss (text or --json).

The formulas (n samples, A = [X 1], σ(z) = 1/(1 + e⁻ᶻ))::

    logistic  p = σ(Xw + b),  ℓ = −(1/n)·Σ[y·log p + (1 − y)·log(1 − p)]      nn.BCEWithLogitsLoss on z = Xw + b
              ∂ℓ/∂w = Xᵀ(p − y)/n,  ∂ℓ/∂b = Σ(p − y)/n
              H = Aᵀdiag(p(1 − p))A/n  ≼ ¼·AᵀA/n                               Newton on it is IRLS
    softmax   Z = XWᵀ + b (n × K),  P = softmax(Z),  ℓ = −(1/n)·Σ log P[i, yᵢ]  nn.CrossEntropyLoss
              ∂ℓ/∂Z = (P − onehot(y))/n,  ∂ℓ/∂W = (P − onehot(y))ᵀX/n,  H ≼ ½·AᵀA/n per class
    --l2 λ    + (λ/2)·‖w‖² (‖W‖² for softmax), the bias not penalised

There is no closed form (∇ℓ = 0 is not linear in w): the reference is Newton's
method, which gets ‖∇ℓ‖ below 1e-10 in a handful of steps.
"""
import json

import numpy as np

import tinygrad_lr
from .. import nn
from .output import CommandError, note, table
from .problem import GD_METHODS, Problem
from .methods import fit_lbfgs, method_line, print_history
from .training import BATCH_SIZE, _new_model, gradient_descent, gradient_norm, l2_penalty, newton

TASKS = ("regression", "logistic", "softmax")
NEWTON_STEPS, NEWTON_TOL = 50, 1e-10        # Newton's default: at most 50 steps, stopping at ‖∇ℓ‖ ≤ 1e-10
HESSIAN_BOUND = {"logistic": 0.25, "softmax": 0.5}  # p(1 − p) ≤ ¼; the eigenvalues of diag(P) − PPᵀ are ≤ ½
DEFINITIONS = {
    "logistic": "−(1/n)·Σ[y·log σ(z) + (1 − y)·log(1 − σ(z))], z = Xw + b: the mean binary cross-entropy "
                "(nn.BCEWithLogitsLoss)",
    "softmax": "−(1/n)·Σ log softmax(Z)[i, yᵢ], Z = XWᵀ + b: the mean cross-entropy (nn.CrossEntropyLoss)"}
PENALTY = " + (λ/2)·‖W‖², the bias not penalised (with --standardize, W of the standardized features)"


def _class_labels(data, task):
    """The sorted class labels and each row's class index; a target that does not fit the task is an error."""
    y = data.y
    values = np.unique(y)
    if task == "logistic" and not np.isin(values, (0.0, 1.0)).all():
        bad = values[~np.isin(values, (0.0, 1.0))]
        raise CommandError(f"--task logistic needs a 0/1 target, but column {data.target!r} also holds "
                           f"{', '.join(f'{v:g}' for v in bad[:5])}{' …' if len(bad) > 5 else ''}; for more than "
                           "two classes use --task softmax")
    if task == "softmax" and not (values == np.round(values)).all():
        bad = values[values != np.round(values)]
        raise CommandError(f"--task softmax needs whole-number class labels, but column {data.target!r} holds "
                           f"{bad[0]:g}; for a numeric target use --task regression")
    if len(values) < 2:
        raise CommandError(f"column {data.target!r} holds only the class {values[0]:g}: a classifier needs at "
                           "least two classes")
    return values, np.searchsorted(values, y)


class Classifier(Problem):
    """Logistic (a 0/1 target) or softmax (K whole-number classes) regression on a data set.

    θ is a (d + 1, K) array, [W; b] in the data's units: column j holds the weights and
    the bias of class j's logit (K = 1 for logistic: the logit of class 1).  The model
    trained is nn.Linear(d, K), started at 0.
    ``curvature`` is a bound on the Hessian's largest eigenvalue, λmax(¼·AᵀA/n) for
    logistic and λmax(½·AᵀA/n) for softmax (+ λ with --l2): it sets the default lr
    the way it does for regression (``Problem.default_lr``).
    """

    def __init__(self, data, task, standardize=False, l2=0.0):
        self.data, self.task, self.standardize, self.l2 = data, task, standardize, l2
        self.classes, self.labels = _class_labels(data, task)
        self.outputs = 1 if task == "logistic" else len(self.classes)
        self._set_features()
        self._set_curvature(HESSIAN_BOUND[task])

    @property
    def curvature_of(self):
        """The matrix whose largest eigenvalue is ``self.curvature``: a bound on the Hessian."""
        return f"{'¼' if self.task == 'logistic' else '½'}·AᵀA/n" + (" + λ" if self.l2 else "") + \
            ", a bound on the Hessian's"

    def targets(self):
        """y as a float64 (n, 1) tensor of 0s and 1s (logistic), or the class indices as int64 (n,) (softmax)."""
        if self.task == "logistic":
            return tinygrad_lr.from_numpy(self.labels.astype(np.float64).reshape(-1, 1))
        return tinygrad_lr.tensor(self.labels, dtype=tinygrad_lr.int64)

    def criterion(self):
        """nn.BCEWithLogitsLoss() (logistic) or nn.CrossEntropyLoss() (softmax): both take the logits."""
        return nn.BCEWithLogitsLoss() if self.task == "logistic" else nn.CrossEntropyLoss()

    def theta_of(self, net):
        """θ = [W; b] (d + 1, K) in the data's units: W = W_z/std, b = b_z − meanᵀW (as Problem.theta_of)."""
        W = net.weight.detach().numpy().T / self.std[:, None]
        return np.vstack([W, net.bias.detach().numpy() - self.mean @ W])

    def model_of(self, theta):
        """The nn.Linear(d, K) on the features trained on that has ``theta``: the inverse of ``theta_of``."""
        net = _new_model(len(self.std), self.outputs)
        W = theta[:-1]
        net.load_state_dict({"weight": tinygrad_lr.tensor((W * self.std[:, None]).T.copy()),
                             "bias": tinygrad_lr.tensor(theta[-1] + self.mean @ W)})
        return net

    def objective(self, net):
        """ℓ + (λ/2)·‖W‖² of a model on all the data, as a tensor (with its graph)."""
        X = tinygrad_lr.from_numpy(np.ascontiguousarray(self.X_train))
        return self.criterion()(net(X), self.targets()) + l2_penalty(net, self.l2)

    def loss(self, theta):
        """The objective ℓ + (λ/2)·‖W‖² at θ, by the loss module (no graph)."""
        with tinygrad_lr.no_grad():
            return float(self.objective(self.model_of(theta)).item())

    def data_loss(self, theta):
        """The log-loss ℓ alone (the mean cross-entropy), without the penalty."""
        with tinygrad_lr.no_grad():
            logits = tinygrad_lr.from_numpy(self.A @ theta)
            return float(self.criterion()(logits, self.targets()).item())

    def gradient_norm(self, theta):
        """‖∇ℓ‖ with respect to the trained parameters, by autograd: 0 at the optimum."""
        net = self.model_of(theta)
        return gradient_norm(self.objective(net), net)

    def predict(self, theta):
        """The class index of each row: z ≥ 0 ⇔ σ(z) ≥ ½ (logistic), or the largest logit (softmax)."""
        Z = self.A @ theta
        return (Z[:, 0] >= 0).astype(int) if self.task == "logistic" else Z.argmax(axis=1)


# ============================================================================
# tinygrad-lr fit --task logistic|softmax
# ============================================================================
def _damping(problem, args):
    """--damping, or for softmax 1e-8·λ: its Hessian is singular (adding one vector to every class's weights
    changes no probability); a tiny damping keeps the solve regular and changes the steps, not the point
    ∇ℓ = 0 they converge to."""
    return args.damping or (1e-8 * problem.curvature if args.task == "softmax" else 0.0)


def _train(problem, args):
    method = args.method
    if method == "closed":
        raise CommandError(f"--method closed: {args.task} regression has no closed form (∇ℓ = 0 is not linear in "
                           "w); use --method newton, which converges in a few steps", 2)
    quiet = args.quiet or args.json
    if method == "newton":
        return newton(problem, steps=args.epochs or NEWTON_STEPS, lr=1.0 if args.lr is None else args.lr,
                      damping=_damping(problem, args), quiet=quiet, tol=NEWTON_TOL)
    if args.optimizer == "lbfgs":
        return fit_lbfgs(problem, args)
    return gradient_descent(problem, method, lr=args.lr, epochs=args.epochs,
                            batch_size=args.batch_size or min(BATCH_SIZE, problem.data.n),
                            momentum=args.momentum or 0.0, decay=not args.constant_lr, seed=args.seed, quiet=quiet,
                            optimizer=args.optimizer)


def cmd_fit_classifier(args, data):
    """``fit --task logistic|softmax``: train, then print the report (or --json)."""
    problem = Classifier(data, args.task, args.standardize, args.l2)
    if args.method in GD_METHODS and not args.standardize and problem.condition > 1e4:
        note(f"the features have very different scales (condition number {problem.condition:.1e}), so gradient "
             "descent is slow; --standardize fixes that")
    run = _train(problem, args)
    report = _report(run, problem, args)
    if report["accuracy"] == 1.0 and not args.l2:
        note("every row is classified right: the classes are linearly separable, so the loss has no minimum "
             "(it keeps falling as ‖w‖ grows) and the weights depend on when training stops; --l2 gives a "
             "finite answer")
    if run.method in GD_METHODS and report["gradient_norm"] > 1e-2:
        note(f"the fit is still far from the optimum (‖∇ℓ‖ = {report['gradient_norm']:.2g}): "
             + ("train longer (--epochs), or " if args.standardize else "try --standardize, train longer, or ")
             + "use --method newton")
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print(run, problem, report, args)
    return 0


def _class_name(c):
    return f"{c:g}"


def _report(run, problem, args):
    """The --json object (its fields are listed in `tinygrad-lr fit --help`)."""
    data, theta = problem.data, run.theta
    correct = int((problem.predict(theta) == problem.labels).sum())
    if args.task == "logistic":
        coefficients = dict(zip(data.features, map(float, theta[:-1, 0])))
        bias = float(theta[-1, 0])
    else:
        coefficients = {_class_name(c): dict(zip(data.features, map(float, theta[:-1, j])))
                        for j, c in enumerate(problem.classes)}
        bias = {_class_name(c): float(theta[-1, j]) for j, c in enumerate(problem.classes)}
    return {
        "data": data.name, "rows": data.n, "skipped_lines": data.skipped, "target": data.target,
        "features": list(data.features), "task": args.task, "classes": [_class_name(c) for c in problem.classes],
        "method": run.method, "loss_definition": DEFINITIONS[args.task] + (PENALTY if args.l2 else ""),
        "hyperparameters": {"lr": run.lr, "lr_schedule": run.schedule, "epochs": run.epochs,
                            "batch_size": run.batch_size, "momentum": run.momentum if run.method != "newton" else None,
                            "damping": _damping(problem, args) if run.method == "newton" else None,
                            "standardize": bool(args.standardize), "seed": args.seed, "l2": args.l2,
                            "optimizer": run.optimizer if run.method != "newton" else None},
        "coefficients": coefficients, "bias": bias,
        "log_loss": problem.data_loss(theta), "loss": run.loss,
        "accuracy": correct / data.n, "correct": correct,
        "gradient_norm": problem.gradient_norm(theta),
        "steps": run.steps, "gradient_evaluations": run.evaluations, "seconds": run.seconds,
        "history": {"epoch": list(range(1, len(run.epoch_losses) + 1)), "loss": run.epoch_losses},
    }


def _print(run, problem, report, args):
    data = problem.data
    classes = " and ".join(report["classes"]) if args.task == "logistic" else ", ".join(report["classes"])
    print(f"fit: {data.name}, {data.n} rows: {args.task} regression of {data.target} (classes {classes}) from "
          f"{', '.join(data.features)}")
    if run.method == "newton":
        hessian = "Aᵀdiag(p(1 − p))A/n" if args.task == "logistic" else "the Hessian of the cross-entropy"
        print(f"method: Newton (optim.Newton), {run.steps} step(s) of θ ← θ − {run.lr:g}·(H + "
              f"{_damping(problem, args):.3g}·I)⁻¹∇ℓ, H = {hessian}, until ‖∇ℓ‖ ≤ {NEWTON_TOL:g}"
              + (" (IRLS)" if args.task == "logistic" else ""))
    else:
        print(method_line(run, problem, args))
    print_history(run, args)
    print()
    names = problem.columns
    if args.task == "logistic":
        print(table(["coefficient", "value"], [[n, f"{v:.6g}"] for n, v in zip(names, run.theta[:, 0])], right=(1,)))
    else:
        print(table(["coefficient"] + [f"class {c}" for c in report["classes"]],
                    [[n] + [f"{v:.6g}" for v in row] for n, row in zip(names, run.theta)],
                    right=tuple(range(1, len(report["classes"]) + 1))))
    print()
    if args.l2:
        print(f"ridge: λ = {args.l2:g} on the weights (the bias is not penalised); objective ℓ + (λ/2)·‖W‖²: "
              f"{run.loss:.6g}")
    what = "binary cross-entropy" if args.task == "logistic" else "cross-entropy"
    print(f"log-loss (mean {what}): {report['log_loss']:.6g}")
    print(f"accuracy: {report['accuracy']:.4f} ({report['correct']} of {data.n} rows)")
    print(f"‖∇ℓ‖: {report['gradient_norm']:.2g}   (0 at the optimum)")
