"""The command on the inputs a new user tries (issue 23, items 7–11): standard input, values near 1e300, data
that fit exactly, files separated by ';' or tabs, and wide data (more features than rows).

Each mistake is one line of ours on stderr with a non-zero exit; nothing NumPy prints reaches the user.
"""
import io
import json
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from test_cli import ROOT, lstsq, num, regression_rows, run, run_json, write_csv

from tinygrad_lr.cli import fit
from tinygrad_lr.cli.problem import hessian_spectrum


def one_line_of_ours(err):
    """stderr is lines of ours only: no NumPy warning, no source line, no traceback."""
    assert err and all(line.startswith("tinygrad-lr: ") for line in err.splitlines()), err
    assert "Warning" not in err and "Traceback" not in err and "return " not in err, err


def save(path, X, y, names=None, delimiter=","):
    names = names or [f"x{k + 1}" for k in range(X.shape[1])] + ["y"]
    np.savetxt(path, np.c_[X, y], delimiter=delimiter, header=delimiter.join(names), comments="", fmt="%.17g")
    return str(path)


def closed_coefficients(report):
    return [*report["coefficients"].values(), report["bias"]]


@pytest.fixture
def small_csv(tmp_path):
    X, y = regression_rows(n=30)
    return save(tmp_path / "data.csv", X, y), X, y


# ============================================================================
# 7. '-' reads standard input
# ============================================================================
@pytest.fixture
def piped(monkeypatch):
    """Pipe ``text`` into the command's standard input."""
    def pipe(text):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))
    return pipe


def test_fit_dash_reads_standard_input(small_csv, piped, capsys):
    path, X, y = small_csv
    piped(open(path).read())
    report, _ = run_json(["fit", "-", "--target", "y", "--method", "closed"], capsys)
    assert report["data"] == "standard input" and report["rows"] == 30
    np.testing.assert_allclose(closed_coefficients(report), lstsq(X, y)[0], atol=1e-8)


def test_fit_dash_text_names_standard_input_and_leaves_no_temporary_file(small_csv, piped, capsys, tmp_path,
                                                                         monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    piped(open(small_csv[0]).read())
    status, out, err = run(["fit", "-", "--target", "y", "--method", "closed"], capsys)
    assert status == 0, err
    assert out.startswith("fit: standard input, 30 rows: y from x1, x2")
    assert list(spool.iterdir()) == []                  # the copy of standard input is gone


def test_compare_dash_reads_standard_input(small_csv, piped, capsys):
    piped(open(small_csv[0]).read())
    report, _ = run_json(["compare", "-", "--target", "y", "--epochs", "2", "--quiet"], capsys)
    assert report["datasets"][0]["data"] == "standard input" and report["datasets"][0]["rows"] == 30


def test_standard_input_is_read_again_when_a_column_turns_out_not_numeric(tmp_path, piped, capsys):
    """A column numeric in the first 1000 rows but text after: the reader reads the file again without it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2500, 2))
    y = X @ [1.5, -2.0] + 0.7
    cells = [num(v) if k < 1000 else "text" for k, v in enumerate(rng.normal(size=2500))]
    rows = [[num(a), num(b), c, num(t)] for a, b, c, t in zip(X[:, 0], X[:, 1], cells, y)]
    piped(open(write_csv(tmp_path / "late.csv", ["x1", "x2", "late", "y"], rows)).read())
    report, err = run_json(["fit", "-", "--target", "y", "--method", "closed"], capsys)
    assert report["features"] == ["x1", "x2"] and "late" in report["unused_columns"]
    assert "column 'late' of standard input is not used" in err


def test_dash_through_a_real_pipe():
    csv = "x,y\n" + "".join(f"{x},{2 * x + 1}\n" for x in range(10))
    done = subprocess.run([sys.executable, "-m", "tinygrad_lr", "fit", "-", "--target", "y", "--method", "closed",
                           "--json"], input=csv, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["coefficients"]["x"] == pytest.approx(2) and report["bias"] == pytest.approx(1)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("argv, stdin, status, message", [
    (["fit", "-", "--target", "y"], _Terminal, 2, r"^tinygrad-lr: error: the file name '-' reads the CSV from "
                                                  r"standard input, but nothing is piped in: cat data.csv \| "
                                                  r"tinygrad-lr fit - --target y$"),
    (["fit", "-", "--target", "y"], lambda: io.StringIO(""), 1, r"^tinygrad-lr: error: standard input is empty"),
    (["fit", "-", "--target", "z"], lambda: io.StringIO("x,y\n1,2\n2,3\n"), 1,
     r"^tinygrad-lr: error: standard input has no column 'z'; its columns are: x, y$"),
    (["compare", "-", "-", "--target", "y"], lambda: io.StringIO("x,y\n1,2\n"), 2,
     r"^tinygrad-lr: error: compare: '-' \(standard input\) is given 2 times; it can be read once: give it once$"),
])
def test_standard_input_mistakes_are_one_line(argv, stdin, status, message, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", stdin())
    code, _, err = run(argv, capsys)
    assert code == status and err.count("\n") == 1, err
    assert re.search(message, err.rstrip("\n")), err


# ============================================================================
# 8. values near 1e300: one line of ours, never a NumPy warning
# ============================================================================
@pytest.fixture
def huge_csv(tmp_path):
    """Features and target near 1e300, y an exact linear function of them (the issue's file)."""
    X = np.random.default_rng(0).normal(size=(50, 2)) * 3e299
    return save(tmp_path / "huge.csv", X, X @ [0.5, 0.2])


@pytest.mark.parametrize("argv", [["fit", "--method", "closed"], ["fit", "--method", "minibatch"],
                                  ["fit", "--method", "newton", "--standardize"],
                                  ["fit", "--method", "closed", "--json"], ["compare", "--methods", "batch,adam,lbfgs"]])
def test_a_target_near_1e300_is_one_line_saying_to_rescale_it(huge_csv, capsys, argv):
    status, out, err = run([argv[0], huge_csv, "--target", "y", "--quiet", *argv[1:]], capsys)
    assert status == 1 and out == "" and err.count("\n") == 1
    one_line_of_ours(err)
    assert err.startswith("tinygrad-lr: error: the target 'y' (values up to 3.62e+299) is too large: the loss "
                          "½·mean((ŷ − y)²) overflows float64 even at the best fit θ* (residuals up to ")
    assert err.rstrip("\n").endswith("divide the column by 1e299"), err


def test_gradient_descent_on_a_target_beyond_1e154_says_to_rescale_it(tmp_path, capsys):
    """The best fit is representable (closed works, R² = 1), but ½·mean(y²) at the start θ = 0 is not."""
    X = np.random.default_rng(0).normal(size=(40, 2)) * 1e160
    path = save(tmp_path / "big.csv", X, X @ [0.5, 0.2])
    report, err = run_json(["fit", path, "--target", "y", "--method", "closed"], capsys)
    assert err == "" and report["r2"] == pytest.approx(1.0) and report["relative_loss_gap"] is None
    status, _, err = run(["fit", path, "--target", "y", "--standardize", "--quiet"], capsys)
    assert status == 1 and err.count("\n") == 1
    one_line_of_ours(err)
    assert err == ("tinygrad-lr: error: gradient descent cannot start: at θ = 0 the loss ½·mean(y²) overflows float64 "
                   "(the target 'y' has values up to 1.21e+160); divide the column by 1e160, or use --method closed\n")


def test_features_on_scales_1e300_and_1e_300_fit_without_a_warning(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=50) * 3e299, rng.normal(size=50), rng.normal(size=50) * 1e-300]
    y = 2 * X[:, 1] + rng.normal(size=50)
    path = save(tmp_path / "scales.csv", X, y)
    scaled = X / np.abs(X).max(axis=0)                  # the same fit, on columns of order 1
    r2 = 1 - 2 * lstsq(scaled, y)[1] / y.var()
    for method in (["--method", "closed"], ["--method", "minibatch", "--standardize"]):
        status, out, err = run(["fit", path, "--target", "y", "--quiet", *method], capsys)
        assert status == 0 and err == "", err
        assert float(out.split("R²: ")[1].split()[0]) == pytest.approx(r2, abs=1e-5)


def test_a_numpy_float_error_nothing_caught_is_one_line_of_ours(small_csv, capsys, monkeypatch):
    """The last resort: an overflow warning anywhere in a command becomes one error line, not NumPy's text."""
    def overflowing(*args):
        return np.float64(1e300) * np.float64(1e300)
    monkeypatch.setattr(fit, "_fit_report", overflowing)
    status, _, err = run(["fit", small_csv[0], "--target", "y", "--method", "closed"], capsys)
    assert status == 1 and err.count("\n") == 1
    one_line_of_ours(err)
    assert err.startswith("tinygrad-lr: error: the numbers overflowed float64") and "--standardize" in err


# ============================================================================
# 9. data that fit exactly: absolute gaps, not percentages of a rounding error
# ============================================================================
@pytest.fixture
def exact_csv(tmp_path):
    X = np.random.default_rng(0).normal(size=(50, 2))
    return save(tmp_path / "exact.csv", X, X @ [1.5, -2.0] + 0.7)


def test_compare_on_exact_data_prints_absolute_gaps_and_says_why(exact_csv, capsys):
    status, out, err = run(["compare", exact_csv, "--target", "y", "--quiet"], capsys)
    assert status == 0, err
    head, *rows = out.splitlines()[2:8]
    assert "loss − L*" in head and "gap to L*" not in head
    assert all("%" not in row.split("  ")[-5:][0] for row in rows)     # the gap column: no percentages
    assert not any(len(word) > 15 and word.endswith("%") for word in out.split())
    assert "L* ≈ 0: the data fit exactly (L* < 1e-12·½·var(y)), so the gaps are absolute, loss − L*" in out
    report, _ = run_json(["compare", exact_csv, "--target", "y", "--quiet"], capsys)
    methods = report["datasets"][0]["methods"]
    assert all(m["relative_loss_gap"] is None for m in methods)
    assert all(m["loss_gap"] == pytest.approx(m["loss"] - report["datasets"][0]["closed_form_loss"]) for m in methods)


def test_fit_on_exact_data_prints_an_absolute_gap(exact_csv, capsys):
    status, out, err = run(["fit", exact_csv, "--target", "y", "--method", "minibatch", "--epochs", "2", "--quiet"],
                           capsys)
    assert status == 0
    line = next(line for line in out.splitlines() if line.startswith("loss "))
    assert "the data fit exactly (L* < 1e-12·½·var(y)), so the gap is absolute; gap +" in line and "%" not in line
    assert "above the best loss, an exact fit (R² = 1): train longer" in err
    report, _ = run_json(["fit", exact_csv, "--target", "y", "--method", "batch"], capsys)
    assert report["relative_loss_gap"] is None and report["coefficients_warning"] is None


def test_data_with_noise_keep_their_percentages(small_csv, capsys):
    status, out, _ = run(["compare", small_csv[0], "--target", "y", "--quiet", "--epochs", "2"], capsys)
    assert status == 0 and "gap to L*" in out and "+0.000%" in out and "L* ≈ 0" not in out


# ============================================================================
# 10. files separated by ';', tabs or '|'
# ============================================================================
@pytest.mark.parametrize("delimiter, option", [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_a_file_with_another_delimiter_says_which_option_to_pass(tmp_path, capsys, delimiter, option):
    X, y = regression_rows(n=30)
    path = save(tmp_path / "data.csv", X, y, delimiter=delimiter)
    status, out, err = run(["fit", path, "--target", "y"], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    name = "tab" if delimiter == "\t" else repr(delimiter)
    assert err.rstrip("\n").endswith(f"data.csv looks {name}-separated: its header row "
                                      f"{delimiter.join(['x1', 'x2', 'y'])!r} has no ',' between the column names; "
                                      f"pass --delimiter {option}"), err
    given = "\\t" if delimiter == "\t" else delimiter          # the option as typed: tab, \t, or the character
    for value in {option.strip("'"), given}:
        report, _ = run_json(["fit", path, "--target", "y", "--method", "closed", "--delimiter", value], capsys)
        np.testing.assert_allclose(closed_coefficients(report), lstsq(X, y)[0], atol=1e-8)


def test_a_comma_file_read_with_semicolons_suggests_the_comma(small_csv, capsys):
    status, _, err = run(["compare", small_csv[0], "--target", "y", "--delimiter", ";"], capsys)
    assert status == 2 and err.rstrip("\n").endswith("has no ';' between the column names; pass --delimiter ,")


def test_decimal_commas_say_to_write_points(tmp_path, capsys):
    path = tmp_path / "european.csv"
    path.write_text("x;y\n" + "".join(f"{k},5;{2 * k},25\n" for k in range(10)))
    status, _, err = run(["fit", str(path), "--target", "y", "--delimiter", ";"], capsys)
    assert status == 1 and err.count("\n") == 1
    assert "has no numeric columns (its columns: x, y): linear regression needs numbers; column 'x': 10 of its 10 " \
           "non-empty cells are not numbers (line 2: '0,5', line 3: '1,5', line 4: '2,5', …); write the decimal " \
           "commas as points (1,5 → 1.5)" in err


def test_compare_reads_a_semicolon_file_with_the_option(tmp_path, capsys):
    X, y = regression_rows(n=40)
    path = save(tmp_path / "data.csv", X, y, delimiter=";")
    report, _ = run_json(["compare", path, "--target", "y", "--delimiter", ";", "--epochs", "2", "--quiet"], capsys)
    assert report["datasets"][0]["features"] == ["x1", "x2"]


# ============================================================================
# 11. wide data: no (d + 1) × (d + 1) eigendecomposition (the timing: benchmarks/cli_closed_wide.py)
# ============================================================================
@pytest.mark.parametrize("n, d", [(5, 40), (10, 10), (9, 10), (30, 3), (3, 50)])
@pytest.mark.parametrize("scale, l2", [(1.0, 0.0), (0.25, 0.3), (1.0, 2.0)])
def test_the_hessian_spectrum_of_wide_data_equals_the_full_eigendecomposition(n, d, scale, l2):
    rng = np.random.default_rng(n * d)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 3, size=d) + rng.normal(size=d)
    A = np.c_[X, np.ones(n)]
    eigenvalues = np.linalg.eigvalsh(scale * A.T @ A / n + np.diag(np.r_[np.full(d, l2), 0.0]))
    largest, trace, condition = hessian_spectrum(X, scale, l2)
    assert largest == pytest.approx(eigenvalues[-1], rel=1e-10)
    assert trace == pytest.approx(eigenvalues.sum(), rel=1e-10)
    if eigenvalues[0] > 1e-8 * eigenvalues[-1]:
        assert condition == pytest.approx(eigenvalues[-1] / eigenvalues[0], rel=1e-6)
    else:
        assert condition > 1e8                  # singular: inf, or 1/rounding


@pytest.fixture
def wide_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 300))
    y = X[:, :5] @ np.arange(1.0, 6.0) + 0.1 * rng.normal(size=30)
    return save(tmp_path / "wide.csv", X, y), X, y


@pytest.fixture
def eigen_sizes(monkeypatch):
    """The sizes of the symmetric eigenproblems solved while the command runs."""
    sizes, eigvalsh = [], np.linalg.eigvalsh

    def recording(H):
        sizes.append(H.shape[0])
        return eigvalsh(H)
    monkeypatch.setattr(np.linalg, "eigvalsh", recording)
    return sizes


def test_fit_closed_on_wide_data_solves_no_large_eigenproblem(wide_csv, capsys, eigen_sizes):
    """Only the report's condition number, from a 31 × 31 matrix: not the 301 × 301 Hessian."""
    path, X, y = wide_csv
    status, out, err = run(["fit", path, "--target", "y", "--method", "closed"], capsys)
    assert status == 0 and max(eigen_sizes, default=0) <= 31
    one_line_of_ours(err)
    assert ("there are fewer rows (30) than coefficients (301, counting the bias), so many θ fit equally well" in err
            and "--l2 λ (ridge) gives a unique fit" in err and "x299" not in err)     # no list of 301 names
    A = np.c_[X, np.ones(30)]
    report, _ = run_json(["fit", path, "--target", "y", "--method", "closed"], capsys)
    np.testing.assert_allclose(closed_coefficients(report), np.linalg.lstsq(A, y, rcond=None)[0], atol=1e-10)
    assert report["condition_number"] == float("inf") and max(eigen_sizes) <= 31


@pytest.mark.parametrize("method", ["batch", "minibatch", "newton"])
def test_gradient_methods_on_wide_data_take_the_curvature_from_a_small_matrix(wide_csv, capsys, eigen_sizes, method):
    path, X, _ = wide_csv
    report, _ = run_json(["fit", path, "--target", "y", "--method", method, "--epochs", "2"], capsys)
    assert eigen_sizes and max(eigen_sizes) <= 31
    if method == "batch":
        A = np.c_[X, np.ones(30)]
        assert report["hyperparameters"]["lr"] == pytest.approx(30 / np.linalg.norm(A, 2) ** 2, rel=1e-10)


def test_ridge_on_wide_data_solves_the_small_system(wide_csv, capsys):
    path, X, y = wide_csv
    report, _ = run_json(["fit", path, "--target", "y", "--method", "closed", "--l2", "0.1"], capsys)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + 30 * 0.1 * np.eye(300), Xc.T @ yc)        # the d × d normal equations
    np.testing.assert_allclose(list(report["coefficients"].values()), w, rtol=1e-8, atol=1e-12)
    assert report["bias"] == pytest.approx(y.mean() - X.mean(axis=0) @ w, abs=1e-10)
