"""The command on real data (issue 15, items 2–6): large and messy CSV files, columns that are not numbers,
ill-conditioned and extreme data, constant columns.

The real data are scikit-learn's bundled data sets (no download): diabetes (442 × 10,
strongly correlated features) and digits (1797 × 64, three constant pixels).  The
big-file case is a benchmark (benchmarks/csv_read.py), not a timed test: here the
reader's chunks are made tiny so that a small file goes through every path of it.
"""
import functools
import io
import json
import re
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest

from tinygrad_lr import cli, linalg
from tinygrad_lr.cli import csvfile
from tinygrad_lr.cli.progress import Progress

from conftest import optional
from test_cli import run, run_json


def one_error(argv, capsys, status=1):
    """The one line of a failed run, without the 'tinygrad-lr: error: ' in front."""
    code, out, err = run(argv, capsys)
    assert code == status and out == "", (code, out, err)
    assert err.count("\n") == 1 and err.startswith("tinygrad-lr: error: ") and "Traceback" not in err, err
    return err[len("tinygrad-lr: error: "):-1]


def write(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(str(c) for c in row) for row in rows]) + "\n")
    return str(path)


def closed_form(X, y):
    A = np.hstack([X, np.ones((len(X), 1))])
    return np.linalg.lstsq(A, y, rcond=None)[0]


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of about 2 KB and a 50-row sample, so that a file of a few thousand rows has many chunks."""
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(csvfile, "SAMPLE_ROWS", 50)
    monkeypatch.setattr(csvfile, "SLOW_LINES", 8)


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    d = optional("sklearn.datasets").load_diabetes()
    path = tmp_path_factory.mktemp("real") / "diabetes.csv"
    np.savetxt(path, np.c_[d.data, d.target], delimiter=",", fmt="%.17g", comments="",
               header=",".join(d.feature_names + ["progression"]))
    return str(path), d.data, d.target


@pytest.fixture(scope="module")
def digits_csv(tmp_path_factory):
    d = optional("sklearn.datasets").load_digits()
    path = tmp_path_factory.mktemp("real") / "digits.csv"
    np.savetxt(path, np.c_[d.data, d.target], delimiter=",", fmt="%g", comments="",
               header=",".join(d.feature_names + ["digit"]))
    return str(path), d.data, d.target.astype(float), list(d.feature_names)


def numbers(n=3000, d=4, seed=0):
    rng = np.random.default_rng(seed)
    table = np.round(rng.normal(size=(n, d + 1)), 6)
    return table, [f"x{k}" for k in range(1, d + 1)] + ["y"]


# ============================================================================
# item 2: the reader, fast path and slow path, gives what a plain reader gives
# ============================================================================
def test_reader_gives_numpys_values_chunk_by_chunk(tmp_path, tiny_chunks):
    table, header = numbers()
    path = write(tmp_path / "data.csv", header, table.tolist())
    data = csvfile.read_csv(path, "y")
    assert np.array_equal(data.X, np.loadtxt(path, delimiter=",", skiprows=1)[:, :-1])
    assert np.array_equal(data.y, table[:, -1]) and data.X.flags["C_CONTIGUOUS"] and data.X.dtype == np.float64
    assert data.features == header[:-1] and data.unused == {}


def test_one_line_chunks(tmp_path, monkeypatch, capsys):
    """The smallest chunks: every line its own, the header's chunk holds nothing else."""
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 1)
    path = write(tmp_path / "lines.csv", ["a", "b", "y"], [[1, 2, 3], [2, "x", 5], [4, 1, 2], [0, 0, 1]])
    data = csvfile.read_csv(path, "y", drop_bad_rows=True)
    assert data.X.tolist() == [[1, 2], [4, 1], [0, 0]] and data.y.tolist() == [3, 2, 1] and data.skipped == [3]
    assert "skipped 1 row(s)" in capsys.readouterr().err


def test_bad_lines_are_named_exactly_wherever_the_chunks_fall(tmp_path, tiny_chunks, capsys):
    table, header = numbers()
    rows = [[repr(v) for v in row] for row in table.tolist()]
    bad = {7: (1, "abc"), 1500: (4, ""), 2999: (0, "NA"), 2000: (2, "inf")}     # row index: (column, cell)
    for i, (k, cell) in bad.items():
        rows[i][k] = cell
    path = write(tmp_path / "bad.csv", header, rows)
    message = one_error(["fit", path, "--target", "y"], capsys)
    assert message == (f"{path}: 4 row(s) with missing or non-numeric values: line 9: x2 is not a number ('abc'); "
                       "line 1502: y is empty; line 2002: x3 is not a finite number ('inf'); and 1 more (lines 3001). "
                       "Fix them, or pass --drop-bad-rows to skip them")
    report, err = run_json(["fit", path, "--target", "y", "--method", "closed", "--drop-bad-rows"], capsys)
    assert report["skipped_lines"] == [9, 1502, 2002, 3001] and report["rows"] == 2996
    keep = np.setdiff1d(np.arange(3000), list(bad))
    expected = closed_form(table[keep, :-1], table[keep, -1])
    np.testing.assert_allclose([report["coefficients"][h] for h in header[:-1]] + [report["bias"]], expected,
                               atol=1e-10)


def test_quotes_blank_lines_crlf_and_a_bom(tmp_path, tiny_chunks):
    table, _ = numbers(n=400, d=2)
    lines = ["\ufeffx1,note,x2,y"]
    for i, (a, b, t) in enumerate(table.tolist()):
        note = f'"a note, with a comma\nand a second line {i}"' if i % 7 == 0 else f'"short, {i}"'
        lines.append(f'"{a!r}",{note},{b!r},{t!r}')
        if i % 50 == 0:
            lines += ["", "   ", ",,,"]                      # blank rows are not rows
    path = tmp_path / "quoted.csv"
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")
    data = csvfile.read_csv(str(path), "y")
    assert data.features == ["x1", "x2"] and list(data.unused) == ["note"]
    assert np.array_equal(data.X, table[:, :2]) and np.array_equal(data.y, table[:, 2])


def test_a_row_with_too_many_fields_is_named(tmp_path, tiny_chunks, capsys):
    table, header = numbers(n=300)
    rows = table.tolist()
    rows[120] = rows[120] + [9.0]
    path = write(tmp_path / "long.csv", header, rows)
    assert one_error(["fit", path, "--target", "y"], capsys) == (
        f"{path}: 1 row(s) with missing or non-numeric values: line 122: has 6 fields, the header has 5. Fix them, "
        "or pass --drop-bad-rows to skip them")


def test_reading_needs_about_the_data_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 1 << 16)
    table, header = numbers(n=60_000, d=9)
    path = write(tmp_path / "big.csv", header, table.tolist())
    tracemalloc.start()
    try:
        data = csvfile.read_csv(path, "y", progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = data.X.nbytes + data.y.nbytes                   # 4.8 MB; the reader used to need ~20× that
    assert np.array_equal(data.X, table[:, :-1])
    assert peak < 1.5 * size + 2e6, (peak, size)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_reading_shows_progress_on_a_terminal_unless_quiet(tmp_path, tiny_chunks, monkeypatch):
    table, header = numbers()
    path = write(tmp_path / "data.csv", header, table.tolist())
    monkeypatch.setattr(csvfile, "Progress", functools.partial(Progress, delay=0, interval=0))
    for quiet, expect in ((False, True), (True, False)):
        tty = FakeTerminal()
        monkeypatch.setattr(sys, "stderr", tty)
        assert cli.main(["fit", path, "--target", "y", "--method", "closed"] + ["--quiet"] * quiet) == 0
        assert ("reading data.csv [" in tty.getvalue() and "MB/s" in tty.getvalue() and
                "3,000 rows" in tty.getvalue()) == expect


def test_the_benchmark_runs(tmp_path):
    done = subprocess.run([sys.executable, "benchmarks/csv_read.py", "--rows", "2000", "--rounds", "1"],
                          capture_output=True, text=True, timeout=120, cwd=csvfile.__file__.rsplit("/", 3)[0])
    assert done.returncode == 0, done.stderr
    assert re.search(r"read_csv / loadtxt: time \d+\.\d\d×", done.stdout)


# ============================================================================
# item 3: a column that is not numbers is named, never dropped silently
# ============================================================================
LOOKALIKES = {"price": ("${}", "write the numbers without '$'"),
              "share": ("{}%", "write the percentages as numbers, without '%'"),
              "code": ("0x{}", "write the hexadecimal numbers in decimal"),
              "flag": ("True", "write true/false as 1 and 0")}


@pytest.fixture
def lookalike_csv(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, -2.0] + 0.5
    header = ["x1", "x2"] + list(LOOKALIKES) + ["half", "y"]
    rows = [[repr(a), repr(b)] + [f.format(i + 1) for f, _ in LOOKALIKES.values()] + [i if i % 2 else "n/a?" + "x",
                                                                                     repr(t)]
            for i, (a, b, t) in enumerate(zip(X[:, 0].tolist(), X[:, 1].tolist(), y.tolist()))]
    return write(tmp_path / "lookalike.csv", header, rows), X, y


def test_columns_that_are_not_numbers_are_named_with_what_to_do(lookalike_csv, capsys):
    path, X, y = lookalike_csv
    report, err = run_json(["fit", path, "--target", "y", "--method", "closed"], capsys)
    assert report["features"] == ["x1", "x2"]
    assert set(report["unused_columns"]) == set(LOOKALIKES) | {"half"}
    for name, (_, hint) in LOOKALIKES.items():
        line = next(line for line in err.splitlines() if f"column {name!r}" in line)
        assert line.startswith(f"tinygrad-lr: note: column {name!r} of {path} is not used: it is not numeric: 60 of "
                               "its 60 non-empty cells are not numbers (line 2: ") and line.endswith(hint)
        assert report["unused_columns"][name].startswith("not numeric: 60 of its 60") and hint in \
            report["unused_columns"][name]
    assert "column 'half'" in err and "30 of its 60 non-empty cells are not numbers" in err   # half text: out
    status, out, _ = run(["fit", path, "--target", "y", "--method", "closed"], capsys)
    assert status == 0 and "not used: price (not numeric: 60 of its 60" in out


def test_a_feature_asked_for_must_be_numeric(lookalike_csv, capsys):
    path, *_ = lookalike_csv
    assert one_error(["fit", path, "--target", "y", "--features", "x1", "price"], capsys) == (
        f"the feature column 'price' of {path} is not numeric: 60 of its 60 non-empty cells are not numbers "
        "(line 2: '$1', line 3: '$2', line 4: '$3', …); write the numbers without '$'; the numeric columns are: "
        "x1, x2, y")
    report, err = run_json(["fit", path, "--target", "y", "--features", "x1", "--method", "closed"], capsys)
    assert err == "" and report["unused_columns"]["x2"] == "not in --features"
    assert set(report["unused_columns"]) == {"x2", "half"} | set(LOOKALIKES)


def test_a_column_that_turns_to_text_after_the_first_rows(tmp_path, tiny_chunks, capsys):
    table, header = numbers(n=400, d=2)
    rows = [[repr(v) for v in row] for row in table.tolist()]
    for i in range(100, 400):
        rows[i][1] = f"item {i}"                        # x2: numbers in the sample of 50 rows, then text
    path = write(tmp_path / "turns.csv", header, rows)
    report, err = run_json(["fit", path, "--target", "y", "--method", "closed"], capsys)
    assert report["features"] == ["x1"] and report["rows"] == 400
    assert "column 'x2'" in err and "300 of its 400 non-empty cells are not numbers (line 102: 'item 100'" in err
    np.testing.assert_allclose([report["coefficients"]["x1"], report["bias"]], closed_form(table[:, :1], table[:, 2]),
                               atol=1e-10)
    assert one_error(["fit", path, "--target", "y", "--features", "x1", "x2"], capsys).startswith(
        f"the feature column 'x2' of {path} is not numeric: 300 of its 400 non-empty cells are not numbers")


# ============================================================================
# item 4: gradient descent near the loss but far from θ*: said, with the condition number
# ============================================================================
def test_diabetes_coefficients_far_from_the_closed_form_are_reported(diabetes_csv, capsys):
    path, X, y = diabetes_csv
    report, err = run_json(["fit", path, "--target", "progression", "--standardize"], capsys)
    theta, star = np.array(list(report["coefficients"].values()) + [report["bias"]]), closed_form(X, y)
    relative = np.linalg.norm(theta - star) / np.linalg.norm(star)
    assert report["relative_loss_gap"] < 0.01 and relative > 0.1
    assert report["relative_distance_to_optimum"] == pytest.approx(relative, rel=1e-6)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    A = np.hstack([Z, np.ones((len(Z), 1))])
    eigenvalues = np.linalg.eigvalsh(A.T @ A / len(A))
    assert report["condition_number"] == pytest.approx(eigenvalues[-1] / eigenvalues[0], rel=1e-6)
    effect = np.abs(theta[:-1] - star[:-1]) * X.std(axis=0)
    worst = report["worst_coefficient"]
    assert worst["name"] == report["features"][int(np.argmax(effect))]
    assert worst["closed_form"] == pytest.approx(star[int(np.argmax(effect))], rel=1e-9)
    flipped = [name for name, a, b in zip(report["features"], theta, star) if a * b < 0]
    assert report["opposite_signs"] == flipped
    warning = report["coefficients_warning"]
    assert warning.startswith(f"θ is {100 * relative:.3g}% away from the closed form θ*")
    assert f"condition number {report['condition_number']:.2g}" in warning
    assert f"tinygrad-lr: warning: {warning}\n" in err
    status, out, _ = run(["fit", path, "--target", "progression", "--standardize", "--quiet"], capsys)
    assert f"= {100 * relative:.3g}% of ‖θ*‖" in out and f"furthest coefficient: {worst['name']} " in out


def test_no_coefficient_warning_when_theta_is_close(diabetes_csv, tmp_path, capsys):
    path, *_ = diabetes_csv
    report, err = run_json(["fit", path, "--target", "progression", "--method", "newton"], capsys)
    assert report["coefficients_warning"] is None and report["relative_distance_to_optimum"] < 1e-8
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    easy = write(tmp_path / "easy.csv", ["a", "b", "y"], np.c_[X, X @ [1.0, 2.0] + 0.1 * rng.normal(size=300)])
    report, err = run_json(["fit", easy, "--target", "y"], capsys)
    assert report["coefficients_warning"] is None and "warning" not in err
    assert report["relative_distance_to_optimum"] < 0.01


# ============================================================================
# item 5: extreme values: exact closed form, no false warning, no traceback
# ============================================================================
@pytest.fixture(params=[1e39, 1e300], ids=["1e39", "1e300"])
def extreme_csv(request, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = 2 * X[:, 0] - 3 * X[:, 1] + 1
    rows = [[repr(a * request.param), repr(b), repr(t)] for a, b, t in zip(X[:, 0].tolist(), X[:, 1].tolist(),
                                                                             y.tolist())]
    return write(tmp_path / "extreme.csv", ["huge", "b", "y"], rows), request.param


def test_extreme_values_give_the_exact_closed_form(extreme_csv, capsys):
    path, big = extreme_csv
    report, err = run_json(["fit", path, "--target", "y", "--method", "closed"], capsys)
    assert "linearly dependent" not in err and report["r2"] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose([report["coefficients"]["huge"] * big, report["coefficients"]["b"], report["bias"]],
                               [2.0, -3.0, 1.0], rtol=1e-9)
    report, _ = run_json(["fit", path, "--target", "y", "--standardize", "--method", "batch", "--epochs", "500"],
                         capsys)
    assert report["coefficients"]["huge"] * big == pytest.approx(2.0, rel=1e-6)


def test_extreme_values_never_give_a_traceback(extreme_csv, capsys):
    path, big = extreme_csv
    for method in ("minibatch", "batch", "newton", "sgd"):
        code, out, err = run(["fit", path, "--target", "y", "--method", method, "--quiet"], capsys)
        assert "Traceback" not in err and "Error" not in err
        if big == 1e300:
            assert code == 1 and err.count("\n") == 1 and "the Hessian AᵀA/n overflows (feature 'huge' has values " \
                "up to 2." in err and err.rstrip().endswith("pass --standardize, or use --method closed"), err


def test_a_numerical_failure_is_one_line(diabetes_csv, capsys, monkeypatch):
    path, *_ = diabetes_csv

    def failing_svd(*args, **kwargs):
        raise np.linalg.LinAlgError("SVD did not converge")
    monkeypatch.setattr(np.linalg, "svd", failing_svd)
    message = one_error(["fit", path, "--target", "progression", "--method", "closed"], capsys)
    assert message.startswith("the closed form failed numerically (lstsq: the singular value decomposition of A "
                              "(shape (442, 11)) failed (SVD did not converge)")


def test_lstsq_judges_rank_relative_to_each_columns_scale():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3)) * [1e-200, 1.0, 1e200]
    A = np.hstack([X, np.ones((50, 1))])
    theta = np.array([3e200, -1.0, 2e-200, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # no false rank warning
        result = linalg.lstsq(A, A @ theta)
    np.testing.assert_allclose(result.solution.numpy(), theta, rtol=1e-10)
    assert int(result.rank) == 4
    np.testing.assert_allclose(result.singular_values.numpy()[0], 1e200 * np.linalg.norm(A[:, 2] / 1e200), rtol=1e-6)
    with pytest.warns(linalg.RankDeficientWarning, match="rank 3 < 4"):       # a real dependence still is one
        linalg.lstsq(np.hstack([X[:, :2], 7e150 * X[:, 1:2], np.ones((50, 1))]), A @ theta)


# ============================================================================
# item 6: constant columns: --standardize leaves them unscaled, --exclude leaves them out
# ============================================================================
def test_digits_standardize_leaves_the_constant_pixels_unscaled(digits_csv, capsys):
    path, X, y, names = digits_csv
    constant = [name for name, column in zip(names, X.T) if np.ptp(column) == 0]
    assert len(constant) == 3
    report, err = run_json(["fit", path, "--target", "digit", "--standardize", "--method", "batch", "--epochs", "300"],
                           capsys)
    assert f"--standardize: the constant feature(s) {', '.join(constant)}" in err
    assert f"--exclude {','.join(constant)} leaves them out" in err
    assert all(report["coefficients"][name] == 0.0 for name in constant)
    assert report["relative_loss_gap"] < 0.01


def test_digits_exclude_the_constant_pixels(digits_csv, capsys):
    path, X, y, names = digits_csv
    constant = [name for name, column in zip(names, X.T) if np.ptp(column) == 0]
    code, out, err = run(["fit", path, "--target", "digit", "--method", "closed"], capsys)
    assert code == 0 and "linearly dependent" in err and "--exclude" in err
    report, err = run_json(["fit", path, "--target", "digit", "--method", "closed", "--exclude", ",".join(constant)],
                           capsys)
    assert err == "" and len(report["features"]) == 61 and not set(constant) & set(report["features"])
    assert report["unused_columns"] == {name: "left out by --exclude" for name in constant}
    keep = [k for k, name in enumerate(names) if name not in constant]
    np.testing.assert_allclose(list(report["coefficients"].values()) + [report["bias"]], closed_form(X[:, keep], y),
                               atol=1e-8)
    report, _ = run_json(["fit", path, "--target", "digit", "--method", "closed", "--exclude", *constant[:2],
                          "--exclude", constant[2]], capsys)
    assert len(report["features"]) == 61                 # --exclude a b, and --exclude given twice


def test_without_standardize_the_advice_names_the_constant_columns(digits_csv, capsys):
    path, X, y, names = digits_csv
    code, out, err = run(["fit", path, "--target", "digit", "--method", "batch", "--epochs", "2"], capsys)
    assert code == 0
    assert "note: the feature(s) pixel_0_0, pixel_4_0, pixel_4_7 are constant" in err
    assert "--exclude pixel_0_0,pixel_4_0,pixel_4_7 leaves them out" in err


@pytest.mark.parametrize("argv, message", [
    (["--exclude", "nope"], r"--exclude nope: .* has no column 'nope'; its columns are: x1, x2, y$"),
    (["--exclude", "y"], r"--exclude y: 'y' is the target; it cannot be left out$"),
    (["--exclude", "x1", "--features", "x1"], r"column 'x1' is both in --features and in --exclude: keep it in one$"),
    (["--exclude", "x1,x2"], r"the only numeric column is the target 'y' \(the others are left out by --exclude\)"),
])
def test_exclude_mistakes_are_one_line(tmp_path, capsys, argv, message):
    table, header = numbers(n=20, d=2)
    path = write(tmp_path / "small.csv", header, table.tolist())
    code, out, err = run(["fit", path, "--target", "y"] + argv, capsys)
    assert code in (1, 2) and err.count("\n") == 1 and "Traceback" not in err
    assert re.search(message, err.rstrip("\n")), err


def test_compare_takes_exclude_too(digits_csv, capsys):
    path, X, y, names = digits_csv
    constant = [name for name, column in zip(names, X.T) if np.ptp(column) == 0]
    report, err = run_json(["compare", path, "--target", "digit", "--exclude", ",".join(constant), "--epochs", "1",
                            "--methods", "batch"], capsys)
    text = json.dumps(report)
    assert not any(f'"{name}"' in text for name in constant) and "pixel_0_1" in text
