"""Reading a CSV file into ``Data``, with one clear ``CommandError`` for every problem in it.

A header row names the columns, then one row per sample.  A column is numeric
when most of its non-empty cells are numbers; a row with a missing or
non-numeric value in a column that is used is an error naming its line (or is
skipped with ``drop_bad_rows``).
"""
import csv
import io
import math
import os

import numpy as np

from .output import CommandError, note
from .problem import Data

_MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}


def _parse_cell(text):
    """(value, None) for a finite number, (None, why) otherwise."""
    text = text.strip()
    if text.lower() in _MISSING:
        return None, "is empty" if not text else f"is missing ({text!r})"
    try:
        value = float(text)
    except ValueError:
        return None, f"is not a number ({text!r})"
    if not math.isfinite(value):
        return None, f"is not a finite number ({text!r})"
    return value, None


def _lines(numbers, limit=8):
    shown = ", ".join(str(k) for k in numbers[:limit])
    return shown + (f", … ({len(numbers)} in all)" if len(numbers) > limit else "")


def read_csv(path, target, features=None, drop_bad_rows=False, delimiter=",", command="fit"):
    """Read a CSV file with a header row into ``Data``; every problem is a ``CommandError`` naming it.

    A column is numeric when most of its non-empty cells are numbers.  A row with a
    missing or non-numeric value in a column that is used (the target and the
    features) is rejected, with its line number, or skipped with ``drop_bad_rows``.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{path} is a directory, not a CSV file") from None
    except PermissionError:
        raise CommandError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not a UTF-8 text file: is it a CSV file?") from None
    except OSError as e:
        raise CommandError(f"{path}: cannot read it ({e.strerror or e})") from None
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header, rows = None, []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue                                  # blank lines are not rows
            if header is None:
                header = [cell.strip() for cell in row]
            else:
                rows.append((reader.line_num, row))
    except csv.Error as e:
        raise CommandError(f"{path}, line {reader.line_num}: not valid CSV ({e})") from None
    if header is None:
        raise CommandError(f"{path} is empty: a CSV file needs a header row naming the columns, then one row "
                           "per sample")
    for k, name in enumerate(header):
        if not name:
            raise CommandError(f"{path}: column {k + 1} of the header row has no name")
        if header.index(name) != k:
            raise CommandError(f"{path}: the header names column {name!r} twice (columns {header.index(name) + 1} "
                               f"and {k + 1}); column names must be unique")
    if not rows:
        raise CommandError(f"{path} has a header row but no data rows")

    def cell(row, k):
        return row[k] if k < len(row) else ""

    numeric, first_text = [], {}
    for k, name in enumerate(header):
        parsed = [_parse_cell(cell(row, k)) for _, row in rows]
        present = [(line, v) for (line, _), (v, why) in zip(rows, parsed) if v is not None or "number" in why]
        good = sum(v is not None for _, v in present)
        if present and good > len(present) / 2:
            numeric.append(name)
        else:
            first_text[name] = next(((line, cell(row, k).strip()) for line, row in rows if cell(row, k).strip()),
                                    None)
    if not numeric:
        raise CommandError(f"{path} has no numeric columns (its columns: {', '.join(header)}): linear regression "
                           "needs numbers")

    def check_column(name, role):
        if name not in header:
            raise CommandError(f"{path} has no column {name!r}; its columns are: {', '.join(header)}")
        if name not in numeric:
            where = first_text.get(name)
            sample = f" (line {where[0]}: {where[1]!r})" if where else " (it is empty)"
            raise CommandError(f"{role} column {name!r} of {path} is not numeric{sample}; the numeric columns "
                               f"are: {', '.join(numeric)}")

    if target is None:
        raise CommandError(f"{command}: --target is required: name the column to predict; the numeric columns of "
                           f"{path} are: {', '.join(numeric)}", 2)
    check_column(target, "the target")
    if features:
        for name in features:
            check_column(name, "feature")
            if name == target:
                raise CommandError(f"column {name!r} is the target; it cannot also be a feature", 2)
        if len(set(features)) != len(features):
            twice = next(f for f in features if features.count(f) > 1)
            raise CommandError(f"--features names {twice!r} twice", 2)
    else:
        features = [name for name in numeric if name != target]
        if not features:
            raise CommandError(f"{path}: the only numeric column is the target {target!r}: there are no "
                               "features to predict it from")

    used = [header.index(name) for name in features + [target]]
    values, bad, good_lines = [], [], []
    for line, row in rows:
        if len(row) > len(header):
            bad.append((line, f"has {len(row)} fields, the header has {len(header)}"))
            continue
        parsed = [_parse_cell(cell(row, k)) for k in used]
        problem = next(((header[k], why) for k, (v, why) in zip(used, parsed) if v is None), None)
        if problem is not None:
            bad.append((line, f"{problem[0]} {problem[1]}"))
        else:
            values.append([v for v, _ in parsed])
            good_lines.append(line)
    if bad and not drop_bad_rows:
        shown = "; ".join(f"line {line}: {why}" for line, why in bad[:3])
        more = f"; and {len(bad) - 3} more (lines {_lines([b[0] for b in bad[3:]])})" if len(bad) > 3 else ""
        raise CommandError(f"{path}: {len(bad)} row(s) with missing or non-numeric values: {shown}{more}. Fix "
                           "them, or pass --drop-bad-rows to skip them")
    if bad:
        note(f"skipped {len(bad)} row(s) of {path} with missing or non-numeric values (lines "
             f"{_lines([b[0] for b in bad])})")
    if not values:
        raise CommandError(f"{path}: no rows left after skipping the bad ones")
    table = np.array(values, dtype=np.float64)
    X, y = table[:, :-1], table[:, -1]
    if np.all(y == y[0]):
        raise CommandError(f"{path}: the target column {target!r} is constant (every value is {y[0]:g}): there "
                           "is nothing to fit, and R² is undefined")
    return Data(os.fspath(path), X, y, list(features), target, [b[0] for b in bad])
