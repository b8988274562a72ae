"""How the command talks: one-line errors, notes and warnings on standard error, text tables, the files it writes.

Every mistake in the input becomes a ``CommandError``; ``main`` prints it as one
line, ``tinygrad-lr: error: ...``, and exits with its status (2 for a bad command
line, 1 for the rest).
"""
import os
import re
import sys
import warnings

import numpy as np

from .. import linalg
from . import plots

PROG = "tinygrad-lr"
FLOAT_ERRORS = r"(overflow|invalid value|divide by zero) encountered"    # NumPy's RuntimeWarnings, in our words:
OVERFLOWED = ("the numbers overflowed float64 (values near 1e300, or squares beyond 1.8e308): pass --standardize, or "
              "rescale the largest columns (divide them by a power of ten)")


class CommandError(Exception):
    """A problem reported in one line on standard error; status 2 for a bad command line, 1 otherwise."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def note(text):
    print(f"{PROG}: note: {text}", file=sys.stderr)


def warn(text):
    print(f"{PROG}: warning: {text}", file=sys.stderr)


class warnings_as_notes:
    """Collect the library's warnings inside the block and print each as one line on standard error."""

    def __init__(self, columns=None, rows=None):
        self.columns = columns  # names of A's columns, to name those in a rank-deficient warning
        self.rows = rows        # A's rows: fewer than its columns is a reason of its own

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
            p = len(self.columns)
            same = ("the best fit is not unique. The closed form returns the one with the smallest ‖θ‖, gradient "
                    "descent may end at another with the same loss")
            if self.rows is not None and self.rows < p:
                return (f"there are fewer rows ({self.rows}) than coefficients ({p}, counting the bias), so many θ "
                        f"fit equally well: {same}; --l2 λ (ridge) gives a unique fit, as do fewer --features")
            names = _names([self.columns[c] for c in message.columns])
            return (f"the columns {names} are linearly dependent (rank {message.rank} of {p}, counting the bias): "
                    f"{same}; leave one of them out with --exclude")
        if isinstance(message, RuntimeWarning) and re.match(FLOAT_ERRORS, str(message)):
            return OVERFLOWED
        return " ".join(str(message).split())


def _names(names, shown=8):
    """'a, b, c', or 'x0, x1, …, x2999 (3001 columns)' for a long list."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown - 1])}, …, {names[-1]} ({len(names)} columns)"


class numerical_failures:
    """Inside the block, a numerical failure (NumPy's or linalg's LinAlgError, a floating-point error) becomes
    one ``CommandError`` naming ``what`` failed, the data's largest value and what to try."""

    def __init__(self, what, data=None):
        self.what, self.data = what, data

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if kind is None or not issubclass(kind, (np.linalg.LinAlgError, linalg.LinAlgError, FloatingPointError)):
            return False
        size = ""
        if self.data is not None and self.data.X.size:
            k = int(np.argmax(np.abs(self.data.X).max(axis=0)))
            size = (f"; feature {self.data.features[k]!r} has values up to {np.abs(self.data.X[:, k]).max():.3g}: "
                    "try --standardize, or rescale the column")
        raise CommandError(f"{self.what} failed numerically ({' '.join(str(e).split())}){size}") from None


def table(head, rows, right=()):
    """Columns padded to their widest cell; the columns in ``right`` are right-aligned."""
    cells = [head] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(head))]
    lines = []
    for row in cells:
        lines.append("  ".join(c.rjust(w) if k in right else c.ljust(w)
                               for k, (c, w) in enumerate(zip(row, widths))).rstrip())
    return "\n".join(lines)


# ============================================================================
# the files the command writes (--save, --plot, --out)
# ============================================================================
def check_output_path(path, option):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{option} {path}: the directory {directory} does not exist", 2)


def prepare_plot(path):
    """Fail before training, not after, when a plot cannot be made."""
    if path is None:
        return
    try:
        plots.require_matplotlib()
    except plots.MatplotlibMissing:
        raise CommandError(f"--plot needs matplotlib, which is not installed: {plots.INSTALL}") from None
    check_output_path(path, "--plot")


def save_plot(draw, path, *args):
    try:
        draw(path, *args)
    except (OSError, ValueError) as e:    # e.g. an extension matplotlib cannot write
        raise CommandError(f"--plot {path}: cannot write the figure ({e})") from None
