"""Reading a CSV file into ``Data``, with one clear ``CommandError`` for every problem in it.

A header row names the columns, then one row per sample.  A column is numeric
when most of its non-empty cells are numbers (judged on the first SAMPLE_ROWS
rows, then checked on the whole file for the columns used); a row with a
missing or non-numeric value in a column that is used is an error naming its
line (or is skipped with ``drop_bad_rows``).  Every column that is not used is
named, with the reason, in ``Data.unused``; the ones left out because they are
not numbers (``$1``, ``1%``, ``0x1``, ``True``, text) also in a note on stderr.
The file name ``-`` reads standard input (copied to a temporary file first); a
file that reads as one column which ';', a tab or '|' would split is an error
that names the ``--delimiter`` to pass.

How a large file is read fast and in little memory:

- the file is read in chunks of whole lines, about CHUNK_BYTES each;
- the fast path: NumPy's own parser (``np.loadtxt``, written in C) reads a chunk,
  only the columns used, straight into float64;
- the slow path: a chunk NumPy refuses (a bad cell, a row with too many fields,
  a row of empty cells, ...) is halved, and each half tried again, down to a few
  hundred lines, which are read cell by cell with the ``csv`` module, only to
  name their bad lines; a bad cell is kept as NaN, so a bad row is a row with a NaN;
- X (n, d) and y (n,) are allocated once, from a count of the file's lines, and
  filled chunk by chunk: the peak memory is the data itself and one chunk.
"""
import array
import contextlib
import csv
import itertools
import math
import os
import re
import shutil
import sys
import tempfile
import warnings

import numpy as np

from .output import PROG, CommandError, note
from .problem import Data
from .progress import Progress

_MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
CHUNK_BYTES = 1 << 18          # about 256 KB of lines per chunk: a chunk refused costs little
SAMPLE_ROWS = 1000             # the rows that decide which columns are numeric
SHOWN = 3                      # the bad cells or rows a message quotes
SLOW_LINES = 256               # a refused chunk is halved down to this many lines, then read cell by cell
STDIN, STDIN_NAME = "-", "standard input"       # the file name that reads standard input, and what messages call it
DELIMITERS = {",": ("','", ","), ";": ("';'", "';'"), "\t": ("tab", "tab"), "|": ("'|'", "'|'")}  # name, option


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


def _is_number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _hint(text):
    """What to do with a cell that is not a number but stands for one ('$1', '1%', '0x1', 'True', '1,000')."""
    t = text.strip()
    if t.lower() in ("true", "false", "yes", "no"):
        return "write true/false as 1 and 0"
    if t[:1] in ("$", "€", "£", "¥") and _is_number(t[1:].replace(",", "")):
        return f"write the numbers without {t[0]!r}"
    if t.endswith("%") and _is_number(t[:-1]):
        return "write the percentages as numbers, without '%'"
    if t.lower().lstrip("+-").startswith("0x"):
        return "write the hexadecimal numbers in decimal"
    if re.fullmatch(r"[+-]?\d*,\d+", t) and not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", t):
        return "write the decimal commas as points (1,5 → 1.5)"
    if "," in t and _is_number(t.replace(",", "")):
        return "write the numbers without thousands separators"
    return None


def _lines(numbers, limit=8):
    shown = ", ".join(str(k) for k in numbers[:limit])
    return shown + (f", … ({len(numbers)} in all)" if len(numbers) > limit else "")


class _Column:
    """How many cells of a column are numbers, not numbers (text), or missing; and the first texts."""

    def __init__(self, name):
        self.name = name
        self.numbers = self.texts = self.missing = 0
        self.first_texts = []                      # (line, cell) of the first cells that are not numbers

    def count(self, line, cell, value, why):
        if value is not None:
            self.numbers += 1
        elif why.startswith("is not"):
            self.texts += 1
            if len(self.first_texts) < SHOWN:
                self.first_texts.append((line, cell.strip()))
        else:
            self.missing += 1

    @property
    def numeric(self):
        return self.numbers > (self.numbers + self.texts) / 2

    def why_not_numeric(self, sampled=False):
        """'3 of its 3 cells are not numbers (line 2: '$1', …); write the numbers without '$'', or 'it is empty'."""
        if not self.numbers + self.texts:
            return "it is empty"
        cells = ", ".join(f"line {line}: {text!r}" for line, text in self.first_texts)
        more = ", …" if self.texts > len(self.first_texts) else ""
        where = f" of the first {SAMPLE_ROWS} rows" if sampled else ""
        hint = _hint(self.first_texts[0][1])
        return (f"{self.texts} of its {self.numbers + self.texts} non-empty cells{where} are not numbers ({cells}"
                f"{more})" + (f"; {hint}" if hint else ""))


class _BadRows:
    """The lines of the rows with a missing or non-numeric value in a used column, and why for the first few."""

    def __init__(self):
        self.lines = array.array("q")
        self.first = []                            # (line, why) of the first SHOWN

    def add(self, line, why):
        self.lines.append(line)
        if len(self.first) < SHOWN:
            self.first.append((line, why))


class _Table:
    """X (capacity, d) and y (capacity,), allocated once and filled chunk by chunk (pages untouched cost nothing)."""

    def __init__(self, capacity, d):
        self.X, self.y, self.rows = np.empty((capacity, d)), np.empty(capacity), 0

    def append(self, values):
        k = len(values)
        if self.rows + k > len(self.y):            # more rows than lines counted: the file grew meanwhile
            X, y = np.empty((2 * (self.rows + k), self.X.shape[1])), np.empty(2 * (self.rows + k))
            X[:self.rows], y[:self.rows] = self.X[:self.rows], self.y[:self.rows]
            self.X, self.y = X, y
        self.X[self.rows:self.rows + k] = values[:, :-1]
        self.y[self.rows:self.rows + k] = values[:, -1]
        self.rows += k


# ============================================================================
# reading: the file, its chunks, their rows
# ============================================================================
class _reading:
    """Turn what can go wrong opening or decoding a file into one line naming it."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        path = self.path
        if kind is None or issubclass(kind, CommandError):
            return False
        if issubclass(kind, FileNotFoundError):
            raise CommandError(f"{path}: no such file") from None
        if issubclass(kind, IsADirectoryError):
            raise CommandError(f"{path} is a directory, not a CSV file") from None
        if issubclass(kind, PermissionError):
            raise CommandError(f"{path}: permission denied") from None
        if issubclass(kind, UnicodeDecodeError):
            raise CommandError(f"{path} is not a UTF-8 text file: is it a CSV file?") from None
        if issubclass(kind, OSError):
            raise CommandError(f"{path}: cannot read it ({e.strerror or e})") from None
        return False


def _count_lines(path):
    """The number of lines of the file (an upper bound on its rows), and its size in bytes."""
    lines, size = 1, 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
            size += len(block)
    return lines, size


def _chunks(f):
    """(number of the first line, lines) of about CHUNK_BYTES each, never ending inside a quoted field."""
    start = 1
    while True:
        lines = f.readlines(CHUNK_BYTES)
        if not lines:
            return
        odd = sum(line.count('"') for line in lines) % 2
        while odd:                                  # a quoted field runs on: take lines until it closes
            line = f.readline()
            if not line:
                break
            lines.append(line)
            odd ^= line.count('"') % 2
        yield start, lines
        start += len(lines)


def _rows(lines, start, delimiter, path):
    """(line number, cells) of the rows of a chunk that are not blank."""
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield start + reader.line_num - 1, row
    except csv.Error as e:
        raise CommandError(f"{path}, line {start + reader.line_num - 1}: not valid CSV ({e})") from None


def _header_and_sample(chunks, delimiter, path):
    """The header row, the first SAMPLE_ROWS rows as (line, cells), and the chunks read to find them."""
    header, sample, pending = None, [], []
    for start, lines in chunks:
        pending.append((start, lines))
        for line, row in _rows(lines, start, delimiter, path):
            if header is None:
                header = [cell.strip() for cell in row]
                pending[-1] = (line + 1, lines[line + 1 - start:])   # the data starts after the header
            else:
                sample.append((line, row))
                if len(sample) == SAMPLE_ROWS:
                    return header, sample, pending
    return header, sample, pending


def _count_sample(columns, sample):
    """Count the numbers, texts and missing cells of each column in the sample rows: all at once when every cell
    is a finite number (the usual file; a wide one has thousands of columns), else cell by cell."""
    if all(len(row) == len(columns) for _, row in sample):
        try:
            values = np.array([row for _, row in sample], dtype=np.float64)
        except ValueError:                         # a cell that is not a number: the cells one by one, below
            values = None
        if values is not None and np.isfinite(values).all():
            for column in columns:
                column.numbers += len(sample)
            return
    for line, row in sample:
        for k, column in enumerate(columns):
            cell = row[k] if k < len(row) else ""
            column.count(line, cell, *_parse_cell(cell))


def _parse_fast(lines, used, fields, delimiter):
    """NumPy's parser on a chunk: the values of the used columns, or None when a line needs the slow path."""
    if max(line.count(delimiter) for line in lines) >= fields:      # a row may have too many fields
        try:
            if max(map(len, csv.reader(lines, delimiter=delimiter))) > fields:
                return None
        except csv.Error:
            return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                            # "input contained no data": blank lines
            values = np.loadtxt(lines, delimiter=delimiter, usecols=used, dtype=np.float64, comments=None,
                                quotechar='"', ndmin=2)
    except ValueError:
        return None
    if values.shape[1:] != (len(used),) or not np.isfinite(values).all():
        return None
    return values


def _parse_slowly(rows, used, fields, columns, bad):
    """The rows cell by cell: their values (NaN for a bad cell); the counts in ``columns``, bad rows in ``bad``."""
    values = []
    for line, row in rows:
        if len(row) > fields:
            bad.add(line, f"has {len(row)} fields, the header has {fields}")
            values.append([math.nan] * len(used))
            continue
        out, problem = [], None
        for column, k in zip(columns, used):
            cell = row[k] if k < len(row) else ""
            value, why = _parse_cell(cell)
            column.count(line, cell, value, why)
            if value is None and problem is None:
                problem = f"{column.name} {why}"
            out.append(math.nan if value is None else value)
        if problem is not None:
            bad.add(line, problem)
        values.append(out)
    return np.array(values, dtype=np.float64).reshape(-1, len(used))


# ============================================================================
# the columns: which are used, and why the others are not
# ============================================================================
def _check_delimiter(header, delimiter, path):
    """A header read as one column that another common delimiter splits into names: the file uses that one."""
    if len(header) != 1:
        return
    for other, (name, option) in DELIMITERS.items():
        if other != delimiter and len(header[0].split(other)) > 1:
            raise CommandError(f"{path} looks {name}-separated: its header row {header[0]!r} has no "
                               f"{DELIMITERS.get(delimiter, (repr(delimiter),))[0]} between the column names; pass "
                               f"--delimiter {option}", 2)


def _check_header(header, path):
    first = {}                                     # column name → its position (a dict: wide files have thousands)
    for k, name in enumerate(header):
        if not name:
            raise CommandError(f"{path}: column {k + 1} of the header row has no name")
        if first.setdefault(name, k) != k:
            raise CommandError(f"{path}: the header names column {name!r} twice (columns {first[name] + 1} "
                               f"and {k + 1}); column names must be unique")


def _choose_columns(path, header, columns, target, features, exclude, command, sampled):
    """The features, and {column: why it is not used} for the others; every mistake a CommandError."""
    numeric = [c.name for c in columns if c.numeric]
    by_name = dict(zip(header, columns))
    if not numeric:
        first = next((c for c in columns if c.texts), None)     # why: the cells of the first column with text
        why = f"; column {first.name!r}: {first.why_not_numeric(sampled)}" if first else ""
        raise CommandError(f"{path} has no numeric columns (its columns: {', '.join(header)}): linear regression "
                           f"needs numbers{why}")

    def check_column(name, role):
        if name not in by_name:
            raise CommandError(f"{path} has no column {name!r}; its columns are: {', '.join(header)}")
        if not by_name[name].numeric:
            raise CommandError(f"{role} column {name!r} of {path} is not numeric: "
                               f"{by_name[name].why_not_numeric(sampled)}; the numeric columns are: "
                               f"{', '.join(numeric)}")

    if target is None:
        raise CommandError(f"{command}: --target is required: name the column to predict; the numeric columns of "
                           f"{path} are: {', '.join(numeric)}", 2)
    check_column(target, "the target")
    for name in exclude:
        if name not in by_name:
            raise CommandError(f"--exclude {name}: {path} has no column {name!r}; its columns are: "
                               f"{', '.join(header)}", 2)
        if name == target:
            raise CommandError(f"--exclude {name}: {name!r} is the target; it cannot be left out", 2)
        if features and name in features:
            raise CommandError(f"column {name!r} is both in --features and in --exclude: keep it in one", 2)
    if features:
        for name in features:
            check_column(name, "the feature")
            if name == target:
                raise CommandError(f"column {name!r} is the target; it cannot also be a feature", 2)
        if len(set(features)) != len(features):
            twice = next(f for f in features if features.count(f) > 1)
            raise CommandError(f"--features names {twice!r} twice", 2)
        chosen = set(features)
        unused = {name: "not in --features" for name in header if name not in chosen and name != target}
        return list(features), unused
    unused = {}
    for column in columns:
        if column.name in exclude:
            unused[column.name] = "left out by --exclude"
        elif not column.numeric:
            unused[column.name] = "not numeric: " + column.why_not_numeric(sampled)
    features = [name for name in numeric if name != target and name not in exclude]
    if not features:
        raise CommandError(f"{path}: the only numeric column is the target {target!r}"
                           + (" (the others are left out by --exclude)" if exclude else "")
                           + ": there are no features to predict it from")
    return features, unused


# ============================================================================
# read_csv
# ============================================================================
def read_csv(path, target, features=None, drop_bad_rows=False, delimiter=",", command="fit", exclude=None,
             progress=True, notes=True):
    """Read a CSV file with a header row into ``Data``; every problem is a ``CommandError`` naming it.

    A column is numeric when most of its non-empty cells are numbers.  The features are
    ``features``, or every numeric column but the target and those in ``exclude``.  A row
    with a missing or non-numeric value in a column that is used is rejected, with its
    line number, or skipped with ``drop_bad_rows``.  ``progress`` draws a progress bar
    on a terminal while a large file is read; ``notes`` False leaves the notes on the
    columns not used to the caller (``note_unused``), to print once the command succeeds.
    The path ``-`` reads standard input (``cat data.csv | tinygrad-lr fit - --target y``).
    """
    options = (target, features, drop_bad_rows, delimiter, command, exclude, progress, notes)
    if os.fspath(path) == STDIN:
        with _standard_input() as copy:
            return _read_file(copy, STDIN_NAME, *options)
    return _read_file(path, os.fspath(path), *options)


@contextlib.contextmanager
def _standard_input():
    """Standard input, copied to a temporary file: the reader counts the lines before it reads them, and reads
    the file again when a column turns out not to be numeric."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        raise CommandError(f"the file name '{STDIN}' reads the CSV from standard input, but nothing is piped in: "
                           f"cat data.csv | {PROG} fit {STDIN} --target y", 2)
    descriptor, copy = tempfile.mkstemp(prefix="tinygrad-lr-", suffix=".csv")
    try:
        with os.fdopen(descriptor, "wb") as f:
            try:
                if hasattr(stream, "buffer"):
                    shutil.copyfileobj(stream.buffer, f)
                else:                                        # a text stream without bytes underneath (io.StringIO)
                    f.write(stream.read().encode("utf-8"))
            except OSError as e:
                raise CommandError(f"{STDIN_NAME}: cannot read it ({e.strerror or e})") from None
        yield copy
    finally:
        os.remove(copy)


def _read_file(path, name, target, features, drop_bad_rows, delimiter, command, exclude, progress, notes):
    """read_csv of the file at ``path``, called ``name`` in every message (the path, or 'standard input')."""
    exclude, given = list(exclude or []), bool(features)
    with _reading(name):
        capacity, size = _count_lines(path)
        with open(path, encoding="utf-8-sig") as f:
            chunks = _chunks(f)
            header, sample, pending = _header_and_sample(chunks, delimiter, name)
            if header is None:
                raise CommandError(f"{name} is empty: a CSV file needs a header row naming the columns, then one "
                                   "row per sample")
            _check_delimiter(header, delimiter, name)
            _check_header(header, name)
            if not sample:
                raise CommandError(f"{name} has a header row but no data rows")
            columns = [_Column(column) for column in header]
            _count_sample(columns, sample)
            sampled = len(sample) == SAMPLE_ROWS
            features, unused = _choose_columns(name, header, columns, target, features, exclude, command, sampled)
            position = {column: k for k, column in enumerate(header)}
            used = [position[column] for column in features + [target]]
            stats = [_Column(column) for column in features + [target]]  # the used columns, on the whole file
            bad, table = _BadRows(), _Table(capacity, len(features))
            with Progress(total=size / 1e6, label=f"reading {os.path.basename(name)}", unit="MB",
                          enabled=progress) as bar:
                for chunk in itertools.chain(pending, chunks):
                    _read_chunk(*chunk, used, len(header), delimiter, name, stats, bad, table)
                    bar.update(f.buffer.tell() / 1e6, f"{table.rows:,} rows")
    not_numeric = [column for column in stats if not column.numeric]
    if not_numeric:      # a used column looked numeric in the first rows, but most of its cells are not numbers
        return _not_numeric_after_all(not_numeric, path, name, target, given, drop_bad_rows, delimiter, command,
                                      exclude, progress, notes)
    X, y = table.X[:table.rows], table.y[:table.rows]
    if bad.lines and not drop_bad_rows:
        shown = "; ".join(f"line {line}: {why}" for line, why in bad.first)
        rest = bad.lines[SHOWN:].tolist()
        more = f"; and {len(rest)} more (lines {_lines(rest)})" if rest else ""
        raise CommandError(f"{name}: {len(bad.lines)} row(s) with missing or non-numeric values: {shown}{more}. Fix "
                           "them, or pass --drop-bad-rows to skip them")
    if bad.lines:
        good = ~np.isnan(y) & ~np.isnan(X).any(axis=1)
        X, y = X[good], y[good]
        note(f"skipped {len(bad.lines)} row(s) of {name} with missing or non-numeric values (lines "
             f"{_lines(bad.lines.tolist())})")
    if not len(y):
        raise CommandError(f"{name}: no rows left after skipping the bad ones")
    if np.all(y == y[0]):
        raise CommandError(f"{name}: the target column {target!r} is constant (every value is {y[0]:g}): there "
                           "is nothing to fit, and R² is undefined")
    data = Data(name, X, y, features, target, bad.lines.tolist() if drop_bad_rows else [], unused=unused)
    if notes:
        note_unused(data)
    return data


def note_unused(data):
    """A note on stderr for each column left out because it is not numeric (the others are the user's choice)."""
    for name, why in data.unused.items():
        if why.startswith("not numeric"):
            note(f"column {name!r} of {data.name} is not used: it is {why}")


def _read_chunk(start, lines, used, fields, delimiter, path, stats, bad, table):
    """Lines into the table: by NumPy's parser; if it refuses them, halve them and try again on each half,
    so that only the few lines around a bad one are read cell by cell (the slow path)."""
    if not lines:                          # the header was the last line of its chunk
        return
    values = _parse_fast(lines, used, fields, delimiter)
    if values is not None:
        for column in stats:
            column.numbers += len(values)
        table.append(values)
        return
    half = _middle(lines) if len(lines) > SLOW_LINES else None
    if half is None:
        table.append(_parse_slowly(_rows(lines, start, delimiter, path), used, fields, stats, bad))
        return
    _read_chunk(start, lines[:half], used, fields, delimiter, path, stats, bad, table)
    _read_chunk(start + half, lines[half:], used, fields, delimiter, path, stats, bad, table)


def _middle(lines):
    """Where to cut ``lines`` in two near the middle, not inside a quoted field (None if there is no such place)."""
    half = len(lines) // 2
    odd = sum(line.count('"') for line in lines[:half]) % 2
    while odd and half < len(lines) - 1:
        odd ^= lines[half].count('"') % 2
        half += 1
    return None if odd else half


def _not_numeric_after_all(columns, path, name, target, given, drop_bad_rows, delimiter, command, exclude,
                           progress, notes):
    """Used columns that looked numeric in the first rows but are mostly not numbers: an error for the target and
    for features the user named; features chosen by default are left out (the file is read again without them)."""
    for column in columns:
        if column.name == target or given:
            role = "the target" if column.name == target else "the feature"
            raise CommandError(f"{role} column {column.name!r} of {name} is not numeric: {column.why_not_numeric()}")
    data = _read_file(path, name, target, None, drop_bad_rows, delimiter, command,
                      exclude + [c.name for c in columns], progress, notes=False)
    for column in columns:
        data.unused[column.name] = "not numeric: " + column.why_not_numeric()
    if notes:
        note_unused(data)
    return data
