"""``tinygrad-lr``: fit, compare and explain linear regression from the command line.

    tinygrad-lr                        the demo: the lecture notes' example, trained the PyTorch way
    tinygrad-lr fit DATA.csv --target y [--method minibatch|sgd|batch|closed|newton] ...
    tinygrad-lr fit DATA.csv --target y [--l2 λ] [--task regression|logistic|softmax] ...
    tinygrad-lr compare [DATA.csv ...] [--target y] [--plot curves.png]
    tinygrad-lr check                  each derivation of the notes against autograd and finite differences
    tinygrad-lr graph [--out graph.svg]

Everything here uses the library the way a user would: ``nn.Linear``,
``nn.MSELoss``, ``DataLoader`` and ``optim.SGD`` / ``optim.Newton`` to train,
``linalg.lstsq`` for the closed form, ``check.check_gradients`` for the
derivations, ``viz`` for the graph.  The files, from the bottom up::

    output.py     CommandError, notes and warnings on stderr, text tables, the files written
    problem.py    Data, Problem (A = [X 1], θ*, the default lr), Run; the notes' synthetic data
    csvfile.py    read_csv: a CSV file into Data, every problem named with its line
    training.py   gradient_descent (the PyTorch loop), newton, closed_form, compare_methods
    classification.py   Classifier (logistic, softmax regression) for those loops, and fit --task's report
    parser.py     build_parser: the options, their types, the help texts and epilogs
    demo.py  fit.py  compare.py  check_cmd.py  graph.py       one file per command
    plots.py      the figures of --plot (matplotlib, optional)
    progress.py   the progress bar on stderr

A mistake in the input (a missing file, an unknown column, a bad cell, a bad
option) is reported in one line on standard error, ``tinygrad-lr: error: ...``,
with exit status 2 for a bad command line and 1 for the rest.  ``main(argv, exit=False)``
returns that status instead of raising ``SystemExit`` (for notebooks and scripts).
"""
import io
import os
import re
import sys
import warnings

from . import check_cmd, compare, demo, fit, graph
from .csvfile import read_csv
from .output import FLOAT_ERRORS, OVERFLOWED, PROG, CommandError
from .parser import COMPARE_EPILOG, FIT_EPILOG, build_parser, column_list

__all__ = ["main", "build_parser", "read_csv", "CommandError", "FIT_EPILOG", "COMPARE_EPILOG"]

COMMANDS = {"demo": demo.cmd_demo, "fit": fit.cmd_fit, "compare": compare.cmd_compare, "check": check_cmd.cmd_check,
            "graph": graph.cmd_graph}


def _tolerant_output():
    """A terminal that cannot show ½ or θ gets an escape sequence, not a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, io.UnsupportedOperation):
            pass


def main(argv=None, *, exit=True):
    """Run the command line ``argv`` (default: sys.argv[1:]) and return its exit status (0 on success).

    With ``exit=True`` (the ``tinygrad-lr`` program) an error ends the program: ``SystemExit``
    with status 2 for a bad command line, 1 for the rest, 130 for Ctrl-C.  ``exit=False`` (like
    ``unittest.main``'s) returns those statuses instead, so that a notebook or a script can call
    ``main(["fit", "data.csv", "--target", "y"], exit=False)`` in-process; the messages are the same.
    """
    status = _run(sys.argv[1:] if argv is None else list(argv), exit)
    if exit and status != 0:
        raise SystemExit(status)
    return status


def _run(argv, exiting):
    """The exit status of the command line ``argv``; every error is reported on stderr in one line."""
    _tolerant_output()
    parser = build_parser()
    try:
        args = parser.parse_args(argv or ["demo"])
    except SystemExit as e:     # argparse printed the usage and the error (or --help, status 0)
        return e.code if isinstance(e.code, int) else 2
    if getattr(args, "features", None) is not None:
        args.features = column_list(args.features)
    try:
        with warnings.catch_warnings():      # a NumPy float error nothing caught: one line below, not its warning
            warnings.filterwarnings("error", FLOAT_ERRORS, RuntimeWarning)
            return COMMANDS[args.command](args)
    except CommandError as e:
        sys.stdout.flush()
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.status
    except RuntimeWarning as e:
        if not re.match(FLOAT_ERRORS, str(e)):
            raise
        sys.stdout.flush()
        print(f"{PROG}: error: {OVERFLOWED}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:     # `tinygrad-lr ... | head`: the reader left; say nothing more
        if exiting:             # the program ends: stop Python's last flush from failing on the closed pipe
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1
