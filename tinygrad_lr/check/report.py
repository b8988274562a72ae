"""What ``check_gradients`` and ``check_module`` return: a verdict per input, printed as a table, shown as
HTML in notebooks, exported as LaTeX (latex.py)."""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .. import notebook


@dataclass
class InputCheck:
    """The verdict for one input (or parameter).

    ``max_abs_error`` = max |formula − autograd|; ``max_rel_error`` = that divided by
    max |autograd| (NaN for a wrong shape); ``numeric_error`` = max |autograd −
    finite differences|; ``factor`` = c when formula = c · autograd; ``autograd_ok`` is False
    when autograd disagrees with finite differences (a wrong backward: see the report's
    ``localization``).  ``formula``, ``autograd`` and ``numeric`` hold the three gradients.
    """
    name: str
    shape: tuple
    formula_shape: Optional[tuple]
    max_abs_error: float
    max_rel_error: float
    numeric_error: Optional[float]
    passed: bool
    verdict: str
    message: str = ""
    factor: Optional[float] = None
    autograd_ok: bool = True
    formula: Optional[np.ndarray] = field(default=None, repr=False)
    autograd: Optional[np.ndarray] = field(default=None, repr=False)
    numeric: Optional[np.ndarray] = field(default=None, repr=False)
    formula_name: Optional[str] = None

    def __bool__(self):
        return bool(self.passed and self.autograd_ok)


class Report:
    """What the checkers return: a row per input, printed as a table, shown as HTML in notebooks.

    Truthy when every row is; ``result['w']`` is one row; ``str(result)`` is the printed table, the
    notes and the one-line summary.  A subclass gives ``_HEAD`` (the columns), ``_body()`` (one tuple of
    strings per row), ``_summary()`` and, if it has any, ``_notes()``.
    """
    _noun = "input"

    def __init__(self, title, rows):
        self.title, self.rows = title, list(rows)

    @property
    def passed(self):
        return all(bool(r) for r in self.rows)

    def __bool__(self):
        return self.passed

    def __getitem__(self, name):
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no {self._noun} named {name!r}; they are {', '.join(r.name for r in self.rows)}")

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def failures(self):
        return [r for r in self.rows if not r]

    def _notes(self):
        return []

    def _repr_html_(self):
        """The report as a table, for notebooks: a row per input, then the notes and the summary."""
        return notebook.table(self.title, self._HEAD, self._body(), self._notes() + [self._summary()])

    def __str__(self):
        head, body = self._HEAD, self._body()
        widths = [max(len(row[k]) for row in [head] + body) for k in range(len(head) - 1)]
        lines = [self.title]
        for row in [head] + body:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
        return "\n".join(lines + self._notes() + [self._summary()])

    def __repr__(self):
        verdicts = ", ".join(f"{r.name}: {r.verdict}" for r in self.rows)
        return f"{type(self).__name__}(passed={self.passed}, {verdicts})"


class GradientCheck(Report):
    """What ``check_gradients`` / ``check_module`` found: one ``InputCheck`` per input.

    Truthy when every input passes and autograd agrees with finite differences everywhere;
    ``result['w']`` is the check of input w; ``str(result)`` is the printed report; in a notebook
    it displays as an HTML table; ``to_latex()`` writes it for a report.  When autograd disagrees
    with finite differences, ``localization`` names the op whose backward is wrong
    (``autograd.localize``).
    """

    def __init__(self, title, rows, localization=None, eps=None):
        super().__init__(title, rows)
        self.localization, self.eps = localization, eps

    _HEAD = ("input", "shape", "max abs error", "max rel error", "verdict")

    def _body(self):
        def num(x):
            return "—" if x is None or np.isnan(x) else f"{x:.1e}"
        return [(r.name, str(r.shape), num(r.max_abs_error), num(r.max_rel_error), r.verdict) for r in self.rows]

    def _summary(self):
        """The last line.  It says 'agree' only when everything does: formulas, autograd, finite differences."""
        if self.passed:
            return "all gradients agree"
        parts = []
        formulas = [r.name for r in self.rows if r.formula_shape is not None and not r.passed]
        if formulas:
            parts.append(f"{len(formulas)} of {len(self.rows)} gradient(s) WRONG: " + ", ".join(formulas))
        backward = [r.name for r in self.rows if not r.autograd_ok]
        if backward:
            fault = self.localization.fault if self.localization is not None else None
            parts.append(f"autograd's gradient is WRONG for {', '.join(backward)}: " + (
                f"the backward of {fault.node} is wrong (created at {fault.created_at.split(': ')[0]})"
                if fault is not None else "it differs from finite differences (a kink, or a function that is "
                                          "not smooth here?)"))
        return "; ".join(parts)

    def _notes(self):
        notes = [f"{r.name}: {r.message}" for r in self.rows if r.message]
        if self.localization is not None:
            notes.append(str(self.localization))
        return notes

    def to_latex(self, formulas=None, *, standalone=False, max_entries=12):
        """The report as LaTeX: an ``align*`` environment per input, with the formula, its value, autograd's,
        finite differences, and the verdict (see ``tinygrad_lr.check.latex``).

        Args:
            formulas: a dict input name → your formula in LaTeX (``r"X^\\top(Xw + b - y)/n"``), shown as
                the first line; without it the formula function's name is shown, when it has one.
            standalone: a whole document (``\\documentclass{article}`` with amsmath) rather than a
                fragment for your own document (which needs ``\\usepackage{amsmath}``).
            max_entries: arrays with more entries are summarised by their largest errors.
        """
        from .latex import gradient_check_latex
        return gradient_check_latex(self, formulas, standalone=standalone, max_entries=max_entries)
