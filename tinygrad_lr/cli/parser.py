"""The command line: ``build_parser()`` (argparse), the option types, and every help text and epilog.

The help is the manual: DESCRIPTION and EPILOG for ``tinygrad-lr --help``,
FIT_EPILOG (the methods, the defaults, the CSV format, every --json field) and
COMPARE_EPILOG for the commands' ``--help``.  A usage mistake is one line on
standard error and exit status 2; so is an option that only the data can show
to be wrong (``check_batch_size``).
"""
import argparse
import math
import textwrap

import tinygrad_lr
from .output import PROG, CommandError
from .classification import TASKS
from .optimizers import ADAPTIVE, OPTIMIZERS
from .problem import LOSS, METHODS
from .training import BATCH_SIZE, COMPARE_EPOCHS, COMPARE_METHODS

COMPARE_CHOICES = ("batch", "minibatch", "sgd", "newton") + ADAPTIVE + ("lbfgs",)   # compare --methods


# ============================================================================
# argparse, and the types of the options: each a one-line error
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


def _method_list(text):
    """compare --methods adam,lbfgs: a comma list of COMPARE_CHOICES, each once."""
    methods = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in COMPARE_CHOICES]
    if unknown or not methods:
        problem = f"unknown method {unknown[0]!r}" if unknown else "no method given"
        raise argparse.ArgumentTypeError(f"{problem} (choose from {','.join(COMPARE_CHOICES)})")
    if len(set(methods)) < len(methods):
        raise argparse.ArgumentTypeError(f"a method is listed twice in {text!r}")
    return tuple(methods)


def column_list(values):
    """--features x1 x2 or --features x1,x2."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


# ============================================================================
# the help texts: the manual of the command
# ============================================================================
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
  tinygrad-lr fit houses.csv --target price --l2 0.1     ridge: + (λ/2)·‖w‖², the bias not penalised
  tinygrad-lr fit data.csv --target y --task logistic   logistic regression (softmax: --task softmax)
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

optimizers (--optimizer, for minibatch, sgd and batch; default sgd): the same loop with another
update rule: adam, rmsprop, adagrad (optim.Adam, RMSprop, Adagrad; default lr 0.05, 0.03, 0.5,
decayed like SGD's; --momentum applies to rmsprop too); lbfgs is full-batch optim.LBFGS with
a strong-Wolfe line search, --epochs its closure calls (default 100; it stops at the optimum).

the CSV file: a header row naming the columns, then one row per sample; a column
is numeric when most of its cells are numbers (judged on the first 1000 rows). A row
with a missing or non-numeric value in a column that is used is an error naming its
line; --drop-bad-rows skips it. The features are --features, or every numeric column
but the target and --exclude; every other column is named with the reason (in the
text output, and in --json), and one left out because it is not numeric ('$1', '1%',
'0x1', 'True', text) also in a note. A column named in --features must be numeric.
With --standardize, a constant feature is centred but not scaled (its weight stays 0).
The file name '-' reads standard input (cat data.csv | tinygrad-lr fit - --target y);
--delimiter ';' (or tab, or any one character) reads files not separated by commas.

--json prints one JSON object (and nothing else) on standard output, with the fields:
  data, rows, skipped_lines       the file, the rows used, the line numbers skipped
  target, features                the column names
  method, hyperparameters         {lr, lr_schedule, epochs, batch_size, momentum,
                                   damping, standardize, seed, optimizer} (null where unused)
  coefficients, bias              {feature: w}, b — in the data's units
  loss, loss_definition           the final loss ½·mean((ŷ − y)²), and its definition
  r2                              the coefficient of determination R²
  closed_form                     {coefficients, bias, loss} of θ* = lstsq([X 1], y)
  loss_gap, relative_loss_gap     loss − closed-form loss L*, and that over L* (null when L* ≈ 0:
                                  below 1e-12·½·var(y) the data fit exactly, and only the gap counts)
  distance_to_optimum             ‖θ − θ*‖
  relative_distance_to_optimum    ‖θ − θ*‖/‖θ*‖
  worst_coefficient               {name, value, closed_form, relative_error, opposite_sign}: the
                                  coefficient furthest from θ* (by |w − w*|·std of its feature)
  condition_number                λmax/λmin of the Hessian AᵀA/n of the features trained on
  opposite_signs                  the features whose w has the other sign than in θ*
  coefficients_warning            why θ is far from θ* though the loss is close (null if not)
  unused_columns                  {column: why it is not used} for the file's other columns
  steps, gradient_evaluations     optimizer steps, per-sample gradients computed
  seconds                         training time
  history                         {epoch: [...], loss: [...]} at the end of each epoch
  saved, plot                     the files written (null if none)

--save writes, with tinygrad_lr.save, {"model": the nn.Linear(d, 1) state_dict, "features",
"target", "method", "loss"}; read it back with tinygrad_lr.load(path).

ridge (--l2 λ): every method minimises ½·mean((ŷ − y)²) + (λ/2)·‖w‖², the bias not penalised
(with --standardize, w of the standardized features). The closed form centres the data:
w* = (X_cᵀX_c + nλI)⁻¹X_cᵀ(y − ȳ), b* = ȳ − x̄ᵀw*, unique even when XᵀX is singular; the
gradient methods use optim.SGD with weight_decay = λ in the weight's param group only. --json
adds l2 and data_loss (the loss without the penalty); loss is then the penalised one.

classification (--task logistic: a 0/1 target; --task softmax: whole-number class labels):
  logistic  p = σ(Xw + b), loss = mean binary cross-entropy (nn.BCEWithLogitsLoss),
            ∂/∂w = Xᵀ(p − y)/n; newton is IRLS, H = Aᵀdiag(p(1 − p))A/n
  softmax   P = softmax(XWᵀ + b), loss = mean cross-entropy (nn.CrossEntropyLoss),
            ∂/∂Z = (P − onehot(y))/n
No closed form; newton runs up to 50 steps (--epochs), stopping at ‖∇ℓ‖ ≤ 1e-10. The default
lr uses λ = the largest eigenvalue of ¼·AᵀA/n (logistic) or ½·AᵀA/n (softmax), bounds on the
Hessian's. --json prints {data, rows, skipped_lines, target, features, task, classes, method,
loss_definition, hyperparameters (with l2), coefficients ({feature: w}; softmax: {class:
{feature: w}}), bias (softmax: {class: b}), log_loss, loss (with the penalty), accuracy,
correct, gradient_norm (‖∇ℓ‖, 0 at the optimum), steps, gradient_evaluations, seconds, history}.

examples:
  tinygrad-lr fit data.csv --target y
  tinygrad-lr fit data.csv --target y --features x1,x2 --method sgd --epochs 5
  tinygrad-lr fit data.csv --target y --method newton --save model.npz --plot fit.png
  tinygrad-lr fit data.csv --target y --l2 0.1 --method closed      ridge
  tinygrad-lr fit data.csv --target label --task logistic --method newton"""

COMPARE_EPILOG = """\
Each gradient method gets the same budget of per-sample gradient evaluations
(--epochs passes over the data) and starts from θ = 0:
  batch GD         one step per epoch, on all n rows        (--epochs steps)
  mini-batch SGD   one step per --batch-size rows            (--epochs·n/B steps)
  SGD              one step per row                          (--epochs·n steps)
Newton (one step) and the closed form are the reference: the best loss L*.
--methods picks and orders the rows (default batch,minibatch,sgd,newton; the closed form
is always last); besides those:
  adam, rmsprop, adagrad   mini-batch steps of --batch-size rows with optim.Adam, RMSprop,
                           Adagrad (default lr 0.05, 0.03, 0.5, decayed like SGD's)
  lbfgs                    full-batch optim.LBFGS with a strong-Wolfe line search: at most
                           --epochs gradient evaluations on all n rows (it stops at the optimum)

The table: lr; steps; grad evals (per-sample gradients); the loss after a tenth
of an epoch (who is fastest per sample processed); the final loss and its gap to
L* in % (when L* ≈ 0, below 1e-12·½·var(y), the data fit exactly and the column is
the absolute gap loss − L*, with relative_loss_gap null in --json); ‖θ − θ*‖;
'loss rose', the share of recorded steps in which the loss on all the data went up
(the noise of a sampled gradient); the time. --plot draws the
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
  tinygrad-lr compare --methods minibatch,adam,rmsprop,adagrad,lbfgs --epochs 3
  tinygrad-lr compare data.csv --target y --standardize
  cat data.csv | tinygrad-lr compare - --target y           '-' reads standard input"""


# ============================================================================
# the parser
# ============================================================================
def _data_options(p, many=False):
    if many:
        p.add_argument("data", nargs="*", metavar="DATA.csv",
                       help="CSV file(s) with a header row, '-' for standard input (default: the lecture notes' "
                            "synthetic data)")
    else:
        p.add_argument("data", metavar="DATA.csv", help="a CSV file with a header row naming the columns; '-' reads "
                                                        "standard input")
    p.add_argument("--target", metavar="COLUMN", help="the column to predict (y); required with a data file")
    p.add_argument("--features", nargs="+", metavar="COLUMN",
                   help="the columns to predict it from (default: every other numeric column)")
    p.add_argument("--exclude", nargs="+", action="extend", metavar="COLUMN",
                   help="columns to leave out of the default features (every other numeric column), e.g. constant "
                        "ones: --exclude a b or --exclude a,b")
    p.add_argument("--standardize", action="store_true",
                   help="train on features scaled to mean 0, variance 1 (coefficients are reported in the "
                        "original units)")
    p.add_argument("--drop-bad-rows", action="store_true",
                   help="skip rows with missing or non-numeric values (default: report them and stop)")
    p.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR",
                   help="the field separator: one character, e.g. ';' (quoted: the shell reads ; itself), or 'tab' "
                        "(default: ',')")


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
                                                 "optimum; with --task logistic or softmax, fit a classifier and "
                                                 "report its accuracy and log-loss.", 80),
                       epilog=FIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _data_options(p)
    p.add_argument("--method", choices=METHODS, default="minibatch", help="how to fit (default: minibatch)")
    p.add_argument("--batch-size", type=_int_at_least(1), help=f"rows per step of minibatch (default {BATCH_SIZE})")
    p.add_argument("--lr", type=_positive_float, help="learning rate η (default: see below)")
    p.add_argument("--epochs", type=_int_at_least(1), help="passes over the data (Newton: steps)")
    p.add_argument("--momentum", type=_momentum, help="SGD momentum μ in [0, 1) (default 0)")
    p.add_argument("--constant-lr", action="store_true", help="do not decay the lr of minibatch and sgd")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd",
                   help="the update rule of minibatch, sgd and batch (default sgd; see below)")
    p.add_argument("--damping", type=_non_negative, default=0.0, help="Newton: λ added to the Hessian (default 0)")
    p.add_argument("--l2", type=_non_negative, default=0.0, metavar="λ",
                   help="ridge: minimise the loss + (λ/2)·‖w‖², the bias not penalised (default 0)")
    p.add_argument("--task", choices=TASKS, default="regression",
                   help="regression (default); logistic: a 0/1 target, ŷ = σ(Xw + b); softmax: integer classes")
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
    p.add_argument("--lr", type=_positive_float, help="one learning rate for every gradient method (default: 1/λ, "
                                                       "0.1/λ, 0.03/λ for SGD's; see --methods for the others)")
    p.add_argument("--constant-lr", action="store_true", help="do not decay the lr of SGD and mini-batch SGD")
    p.add_argument("--methods", type=_method_list, default=COMPARE_METHODS, metavar="LIST",
                   help=f"the methods, a comma list of {','.join(COMPARE_CHOICES)} (default "
                        f"{','.join(COMPARE_METHODS)})")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data and the shuffling (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the loss curves (needs matplotlib)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("check", help="verify the lecture notes' gradient derivations",
                       description="Each derivation of the lecture notes (the vector and scalar forms of ∂ℓ/∂w and "
                                   "∂ℓ/∂b, the per-sample gradients summed over a mini-batch, the sum form of batch "
                                   "GD, the gradient behind the closed form, Newton's Hessian; then ridge, logistic "
                                   "regression and its Newton (IRLS) Hessian, softmax regression) computed three ways "
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
    p.add_argument("--compiled", action="store_true",
                   help="instead: the mini-batch SGD step of the notes' problem recorded by tinygrad_lr.compile, "
                        "printed as the NumPy program it replays (r = Xw + b − y; ∂ℓ/∂w = Xᵀr/n; ∂ℓ/∂b = Σr/n; "
                        "w ← w − η·∂ℓ/∂w)")
    return parser


# ============================================================================
# an option checked against the data, once it is read
# ============================================================================
def check_batch_size(batch_size, data):
    """An explicit --batch-size must fit the data (the default, 10, shrinks to the number of rows)."""
    if batch_size is not None and batch_size > data.n:
        raise CommandError(f"--batch-size {batch_size} is larger than the data set ({data.n} rows in {data.name}); "
                           f"use at most {data.n}", 2)
