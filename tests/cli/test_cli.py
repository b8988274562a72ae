"""The tinygrad-lr command: the demo, fit, compare, check, graph, and one clear line for every mistake.

Most runs call ``cli.main(argv)`` in-process (fast); two real subprocesses check
``python -m tinygrad_lr`` itself: the demo with the optional packages made
unimportable (it needs NumPy only), and an error exit without a traceback.
"""
import contextlib
import functools
import importlib.util
import inspect
import io
import json
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_lr
from conftest import REQUIRE_OPTIONAL, optional
from tinygrad_lr import cli, nn
from tinygrad_lr.cli import check_cmd, demo, training
from tinygrad_lr.cli.progress import Progress

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONCISE = ROOT / "examples" / "linear_regression_concise.py"
FIT_FIELDS = {"data", "rows", "skipped_lines", "target", "features", "method", "loss_definition", "hyperparameters",
              "coefficients", "bias", "loss", "r2", "closed_form", "loss_gap", "relative_loss_gap",
              "distance_to_optimum", "steps", "gradient_evaluations", "seconds", "history", "saved", "plot",
              "relative_distance_to_optimum", "worst_coefficient", "condition_number", "coefficients_warning",
              "unused_columns", "opposite_signs"}
HYPERPARAMETERS = {"lr", "lr_schedule", "epochs", "batch_size", "momentum", "damping", "standardize", "seed",
                   "optimizer"}


def run(argv, capsys):
    """(exit status, stdout, stderr) of ``tinygrad-lr argv``, in-process."""
    try:
        status = cli.main(argv)
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def run_json(argv, capsys):
    status, out, err = run(argv + ["--json"], capsys)
    assert status == 0, err
    return json.loads(out), err


def num(value):
    """A number as CSV text, all its digits."""
    return repr(float(value))


def write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(str(c) for c in row) for row in rows]) + "\n")
    return str(path)


def regression_rows(n=200, seed=1, scale=(1.0, 1.0)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) * scale
    y = X @ (np.array([1.5, -2.0]) / scale) + 0.7 + 0.1 * rng.normal(size=n)
    return X, y


@pytest.fixture
def data_csv(tmp_path):
    X, y = regression_rows()
    rows = [[num(a), num(b), num(t), f"s{i}"] for i, (a, b, t) in enumerate(zip(X[:, 0], X[:, 1], y))]
    return write_csv(tmp_path / "data.csv", ["x1", "x2", "y", "name"], rows), X, y


def lstsq(X, y):
    A = np.hstack([X, np.ones((len(X), 1))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta, float(((A @ theta - y) ** 2).mean() / 2)


# ============================================================================
# the demo
# ============================================================================
def _demo_rows(out):
    """{'w[0]': (true, learned, closed form), ...} from the demo's table."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in ("w[0]", "w[1]", "b"):
            rows[parts[0]] = tuple(float(p) for p in parts[1:4])
    return rows


def _check_demo_output(out):
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("epoch")] == \
        ["epoch 1", "epoch 2", "epoch 3"]
    rows = _demo_rows(out)
    assert set(rows) == {"w[0]", "w[1]", "b"}
    for name, (true, learned, closed) in rows.items():
        assert abs(learned - true) < 0.01, (name, learned, true)
        assert abs(closed - true) < 0.01 and abs(learned - closed) < 0.01
    assert rows["w[0]"][0] == 2.0 and rows["w[1]"][0] == -3.4 and rows["b"][0] == 4.2
    check = next(line for line in out.splitlines() if line.startswith("gradient check"))
    assert check.endswith("PASS") and float(re.search(r"max abs error (\S+)", check).group(1)) < 1e-10


def test_demo_without_arguments(capsys):
    status, out, err = run([], capsys)
    assert status == 0 and err == ""
    _check_demo_output(out)
    assert "closed form (lstsq on [X 1])" in out and "½·mean((ŷ − y)²)" in out
    # the same training as examples/linear_regression_concise.py: the same losses
    assert "epoch 3, loss 0.0000" in out


def test_demo_options(capsys):
    status, out, _ = run(["demo", "--seed", "3", "--epochs", "4"], capsys)
    assert status == 0 and "seed 3" in out and "epoch 4," in out
    _check_demo_output("\n".join(line for line in out.splitlines() if not line.startswith("epoch 4")))


def _training_loop(source):
    """The loop ``for X, y in data_iter:`` and the four lines of its body, without their indentation."""
    lines = [line.strip() for line in source.splitlines()]
    assert lines.count("for X, y in data_iter:") == 1
    start = lines.index("for X, y in data_iter:")
    return lines[start:start + 5]


@pytest.mark.parametrize("function", [training.gradient_descent, demo.cmd_demo], ids=["fit and compare", "demo"])
def test_the_command_trains_with_the_loop_of_the_concise_example(function):
    loop = _training_loop(CONCISE.read_text())
    assert loop == ["for X, y in data_iter:", "l = loss(net(X), y)  # noqa: E741", "trainer.zero_grad()",
                    "l.backward()", "trainer.step()"]                           # the canonical PyTorch loop
    assert _training_loop(inspect.getsource(function)) == loop                 # line for line the same


def test_the_demo_prints_the_losses_and_parameters_of_the_concise_example(capsys):
    spec = importlib.util.spec_from_file_location("linear_regression_concise", CONCISE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    w, b, _ = example.main(seed=0)
    printed = capsys.readouterr().out
    status, out, _ = run(["demo", "--seed", "0"], capsys)
    assert status == 0

    def epochs(text):
        return [line for line in text.splitlines() if line.startswith("epoch ")]
    assert epochs(out) == epochs(printed) and len(epochs(out)) == 3
    rows = _demo_rows(out)
    learned = [f"{v:.4f}" for v in w.detach().numpy().ravel()] + [f"{b.item():.4f}"]
    assert [f"{rows[name][1]:.4f}" for name in ("w[0]", "w[1]", "b")] == learned


NUMPY_ONLY = ("import sys, runpy\n"
              "for name in ('matplotlib', 'torch', 'graphviz', 'pandas', 'scipy'):\n"
              "    sys.modules[name] = None  # importing them now fails: the demo must not need them\n"
              "runpy.run_module('tinygrad_lr', run_name='__main__')\n")


def test_demo_runs_as_a_program_with_numpy_only():
    done = subprocess.run([sys.executable, "-c", NUMPY_ONLY], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    _check_demo_output(done.stdout)


def test_an_error_from_the_program_is_one_line_and_no_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tinygrad_lr", "fit", str(tmp_path / "missing.csv"), "--target",
                           "y"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"tinygrad-lr: error: {tmp_path / 'missing.csv'}: no such file\n"


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    scripts = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    assert 'tinygrad-lr = "tinygrad_lr.cli:main"' in scripts
    assert callable(cli.main)


# ============================================================================
# fit
# ============================================================================
def test_fit_closed_matches_numpy_lstsq(data_csv, capsys):
    path, X, y = data_csv
    report, _ = run_json(["fit", path, "--target", "y", "--method", "closed"], capsys)
    theta, best = lstsq(X, y)
    got = [report["coefficients"]["x1"], report["coefficients"]["x2"], report["bias"]]
    np.testing.assert_allclose(got, theta, rtol=0, atol=1e-8)
    assert report["loss"] == pytest.approx(best, rel=1e-10) and report["distance_to_optimum"] < 1e-8
    assert report["features"] == ["x1", "x2"] and report["rows"] == 200     # the text column 'name' is left out


@pytest.mark.parametrize("method", ["minibatch", "sgd", "batch", "newton"])
def test_fit_methods_reach_the_closed_form_loss_with_the_defaults(data_csv, capsys, method):
    path, X, y = data_csv
    report, _ = run_json(["fit", path, "--target", "y", "--method", method], capsys)
    _, best = lstsq(X, y)
    assert report["method"] == method
    assert best <= report["loss"] * (1 + 1e-12) and report["loss"] <= 1.01 * best      # within 1%
    assert report["relative_loss_gap"] < 0.01
    assert report["r2"] == pytest.approx(1 - 2 * len(y) * best / ((y - y.mean()) ** 2).sum(), rel=1e-3)
    if method == "newton":
        assert report["steps"] == 1 and report["distance_to_optimum"] < 1e-9


def test_fit_text_output(data_csv, capsys):
    path, X, y = data_csv
    status, out, err = run(["fit", path, "--target", "y"], capsys)
    # stderr is not a terminal here: no progress bar; only the note naming the text column left out (issue 15)
    assert status == 0 and err == f"tinygrad-lr: note: column 'name' of {path} is not used: it is not numeric: 200 " \
                                  "of its 200 non-empty cells are not numbers (line 2: 's0', line 3: 's1', line 4: " \
                                  "'s2', …)\n"
    assert "not used: name (not numeric: 200 of its 200 non-empty cells are not numbers" in out
    theta, best = lstsq(X, y)
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()[:1] in
            (["x1"], ["x2"], ["(bias)"])}
    assert set(rows) == {"x1", "x2", "(bias)"}
    for (value, closed), expected in zip(rows.values(), theta):
        assert float(closed) == pytest.approx(expected, rel=1e-5) and float(value) == pytest.approx(expected, abs=0.01)
    assert "mini-batch SGD (B = 10)" in out and "epoch 100, loss" in out and "epoch 91, loss" in out
    assert "loss ½·mean((ŷ − y)²):" in out and "R²:" in out and "‖θ − θ*‖:" in out and "closed form" in out


def test_fit_json_is_the_only_output_and_has_the_documented_fields(data_csv, capsys):
    path, *_ = data_csv
    status, out, err = run(["fit", path, "--target", "y", "--json"], capsys)
    assert status == 0
    report = json.loads(out)                   # nothing but the JSON object on stdout
    assert set(report) == FIT_FIELDS and set(report["hyperparameters"]) == HYPERPARAMETERS
    assert set(report["closed_form"]) == {"coefficients", "bias", "loss"}
    assert report["hyperparameters"]["batch_size"] == 10 and report["hyperparameters"]["epochs"] == 100
    assert report["history"]["epoch"] == list(range(1, 101)) and len(report["history"]["loss"]) == 100
    assert report["loss_definition"].startswith("1/(2n)·Σ(ŷ − y)²")
    assert report["gradient_evaluations"] == 100 * 200 and report["steps"] == 100 * 20
    for name in FIT_FIELDS | HYPERPARAMETERS:       # every field is documented in `fit --help`
        assert re.search(rf"\b{name}\b", cli.FIT_EPILOG), name


def test_fit_default_epochs_shrink_on_large_data(data_csv, capsys, monkeypatch):
    path, *_ = data_csv
    monkeypatch.setattr(training, "STEP_BUDGET", 100)   # as if the data set were large: 20 steps per epoch
    report, _ = run_json(["fit", path, "--target", "y"], capsys)
    assert report["hyperparameters"]["epochs"] == 5 and report["steps"] == 100
    report, _ = run_json(["fit", path, "--target", "y", "--method", "sgd"], capsys)
    assert report["hyperparameters"]["epochs"] == 1                  # at least one epoch
    report, _ = run_json(["fit", path, "--target", "y", "--epochs", "7"], capsys)
    assert report["hyperparameters"]["epochs"] == 7                  # an explicit --epochs wins


def test_fit_save_then_load_round_trips(data_csv, tmp_path, capsys):
    path, X, y = data_csv
    model_path = tmp_path / "model.npz"
    report, _ = run_json(["fit", path, "--target", "y", "--method", "closed", "--save", str(model_path)], capsys)
    assert report["saved"] == str(model_path)
    checkpoint = tinygrad_lr.load(model_path)
    assert checkpoint["features"] == ["x1", "x2"] and checkpoint["target"] == "y"
    assert checkpoint["method"] == "closed" and checkpoint["loss"] == pytest.approx(report["loss"])
    weight, bias = checkpoint["model"]["weight"].numpy(), checkpoint["model"]["bias"].numpy()
    np.testing.assert_array_equal(weight, [[report["coefficients"]["x1"], report["coefficients"]["x2"]]])
    np.testing.assert_array_equal(bias, [report["bias"]])
    model = nn.Linear(2, 1, dtype=tinygrad_lr.float64)
    model.load_state_dict(checkpoint["model"])
    with tinygrad_lr.no_grad():
        predictions = model(tinygrad_lr.tensor(X)).numpy().ravel()
    np.testing.assert_allclose(predictions, np.hstack([X, np.ones((200, 1))]) @ lstsq(X, y)[0], atol=1e-8)


def test_fit_standardize_reports_coefficients_in_the_original_units(tmp_path, capsys):
    X, y = regression_rows(scale=(1000.0, 0.001))           # features on wildly different scales
    path = write_csv(tmp_path / "scaled.csv", ["big", "small", "y"],
                     [[num(a), num(b), num(t)] for a, b, t in zip(X[:, 0], X[:, 1], y)])
    report, _ = run_json(["fit", path, "--target", "y", "--standardize"], capsys)
    theta, best = lstsq(X, y)
    np.testing.assert_allclose([report["coefficients"]["big"], report["coefficients"]["small"], report["bias"]],
                               theta, rtol=1e-2)
    assert report["loss"] <= 1.01 * best and report["hyperparameters"]["standardize"] is True
    # without it, gradient descent is hopeless here, and the command says what to do
    status, out, err = run(["fit", path, "--target", "y", "--quiet"], capsys)
    assert status == 0 and "--standardize fixes that" in err and "try --standardize" in err


def test_fit_features_subset_and_comma_syntax(data_csv, capsys):
    path, X, y = data_csv
    report, _ = run_json(["fit", path, "--target", "y", "--features", "x1", "--method", "closed"], capsys)
    assert list(report["coefficients"]) == ["x1"]
    np.testing.assert_allclose([report["coefficients"]["x1"], report["bias"]], lstsq(X[:, :1], y)[0], atol=1e-8)
    report, _ = run_json(["fit", path, "--target", "y", "--features", "x2,x1", "--method", "closed"], capsys)
    assert list(report["coefficients"]) == ["x2", "x1"]


def test_fit_drop_bad_rows_skips_them_and_names_their_lines(tmp_path, capsys):
    X, y = regression_rows(n=30)
    rows = [[num(a), num(b), num(t)] for a, b, t in zip(X[:, 0], X[:, 1], y)]
    rows[2][1], rows[7][2], rows[11][0] = "abc", "", "NA"         # lines 4, 9 and 13 of the file
    path = write_csv(tmp_path / "bad.csv", ["x1", "x2", "y"], rows)
    report, err = run_json(["fit", path, "--target", "y", "--method", "closed", "--drop-bad-rows"], capsys)
    assert report["skipped_lines"] == [4, 9, 13] and report["rows"] == 27
    assert "skipped 3 row(s) of" in err and "(lines 4, 9, 13)" in err
    keep = [i for i in range(30) if i not in (2, 7, 11)]
    np.testing.assert_allclose([report["coefficients"]["x1"], report["coefficients"]["x2"], report["bias"]],
                               lstsq(X[keep], y[keep])[0], atol=1e-8)


def test_fit_reads_other_delimiters(tmp_path, capsys):
    X, y = regression_rows(n=30)
    rows = [[num(a), num(b), num(t)] for a, b, t in zip(X[:, 0], X[:, 1], y)]
    tabs = tmp_path / "data.tsv"
    tabs.write_text("x1\tx2\ty\n" + "".join("\t".join(r) + "\n" for r in rows))
    report, _ = run_json(["fit", str(tabs), "--target", "y", "--method", "closed", "--delimiter", "tab"], capsys)
    np.testing.assert_allclose([report["coefficients"]["x1"], report["coefficients"]["x2"], report["bias"]],
                               lstsq(X, y)[0], atol=1e-8)


def test_fit_momentum_and_constant_lr(data_csv, capsys):
    path, X, y = data_csv
    report, _ = run_json(["fit", path, "--target", "y", "--momentum", "0.5", "--constant-lr", "--lr", "0.02"],
                         capsys)
    assert report["hyperparameters"]["momentum"] == 0.5 and report["hyperparameters"]["lr_schedule"] == "constant"
    assert report["hyperparameters"]["lr"] == 0.02 and report["relative_loss_gap"] < 0.05


def test_fit_linearly_dependent_columns_warn_and_give_the_minimum_norm_solution(tmp_path, capsys):
    X, y = regression_rows(n=40)
    rows = [[num(a), num(b), num(2 * a), "1", num(t)] for a, b, t in zip(X[:, 0], X[:, 1], y)]
    path = write_csv(tmp_path / "dependent.csv", ["x1", "x2", "twice_x1", "one", "y"], rows)
    report, err = run_json(["fit", path, "--target", "y", "--method", "closed"], capsys)
    assert "warning: the columns x1, twice_x1, one, (bias) are linearly dependent (rank 3 of 5" in err
    A = np.hstack([X, 2 * X[:, :1], np.ones((40, 2))])
    expected = np.linalg.pinv(A) @ y
    got = [report["coefficients"][k] for k in ("x1", "x2", "twice_x1", "one")] + [report["bias"]]
    np.testing.assert_allclose(got, expected, atol=1e-8)


def test_fit_notes_options_that_do_not_apply(data_csv, capsys):
    path, *_ = data_csv
    status, out, err = run(["fit", path, "--target", "y", "--method", "closed", "--lr", "0.1", "--epochs", "3"],
                           capsys)
    assert status == 0 and "note: --lr, --epochs do not apply to --method closed; ignored" in err


def test_fit_small_data_shrinks_the_default_batch(tmp_path, capsys):
    path = write_csv(tmp_path / "tiny.csv", ["x", "y"], [[1, 2.1], [2, 3.9], [3, 6.2], [4, 7.8]])
    report, _ = run_json(["fit", path, "--target", "y", "--epochs", "100", "--standardize"], capsys)
    assert report["hyperparameters"]["batch_size"] == 4 and report["relative_loss_gap"] < 0.01


# ============================================================================
# compare
# ============================================================================
@pytest.fixture(scope="module")
def compare_default():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["compare", "--json"]) == 0
    return json.loads(out.getvalue())


def test_compare_all_methods_reach_the_closed_form_loss(compare_default):
    (report,) = compare_default["datasets"]
    methods = {m["method"]: m for m in report["methods"]}
    assert list(methods) == ["batch", "minibatch", "sgd", "newton", "closed"]
    best = report["closed_form_loss"]
    assert best == pytest.approx(0.01 ** 2 / 2, rel=0.2)            # the noise floor σ²/2
    for name in ("batch", "minibatch", "sgd", "newton"):
        assert methods[name]["loss"] <= 1.01 * best, name             # within 1% of the optimum
        assert methods[name]["relative_loss_gap"] > -1e-9
    assert methods["newton"]["steps"] == 1 and methods["newton"]["distance_to_optimum"] < 1e-9
    assert methods["closed"]["distance_to_optimum"] == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_compare_defaults_are_robust_across_seeds(seed, capsys):
    report, _ = run_json(["compare", "--seed", str(seed)], capsys)
    (data,) = report["datasets"]
    assert data["data"] == f"synthetic data (seed {seed})"
    for m in data["methods"]:
        assert m["loss"] <= 1.01 * data["closed_form_loss"], m["method"]


def test_compare_json_fields_are_documented(compare_default):
    (report,) = compare_default["datasets"]
    assert set(compare_default) == {"datasets", "plot"}
    names = set(report) | set(report["methods"][0])
    assert names == {"data", "rows", "features", "target", "loss_definition", "budget_epochs",
                     "budget_gradient_evaluations", "closed_form_loss", "curvature", "methods", "method", "label", "lr",
                     "lr_schedule", "batch_size", "steps", "gradient_evaluations", "loss", "loss_after_tenth_epoch",
                     "loss_gap", "relative_loss_gap", "distance_to_optimum", "loss_rose", "seconds", "theta"}
    for name in names:
        assert re.search(rf"\b{name}\b", cli.COMPARE_EPILOG), name


def test_compare_gives_every_gradient_method_the_same_budget(compare_default):
    (report,) = compare_default["datasets"]
    methods = {m["method"]: m for m in report["methods"]}
    n, budget = report["rows"], report["budget_gradient_evaluations"]
    assert n == 1000 and budget == 10 * n
    assert [methods[m]["gradient_evaluations"] for m in ("batch", "minibatch", "sgd")] == [budget] * 3
    assert [methods[m]["steps"] for m in ("batch", "minibatch", "sgd")] == [10, 1000, 10000]


def test_compare_ranks_as_the_lecture_notes_say(compare_default):
    """SGD fast but noisy, batch GD smooth but slow per sample, mini-batch in between."""
    (report,) = compare_default["datasets"]
    m = {x["method"]: x for x in report["methods"]}
    early = [m[k]["loss_after_tenth_epoch"] for k in ("sgd", "minibatch", "batch")]
    assert early[0] < early[1] < early[2]                  # per sample processed: SGD fastest, batch slowest
    assert m["batch"]["loss_rose"] == 0                     # batch GD: the loss never goes up
    assert m["sgd"]["loss_rose"] > 0.2 and m["minibatch"]["loss_rose"] > 0.2   # the sampled ones are noisy


def test_compare_text_table_and_two_files(data_csv, tmp_path, capsys):
    path, X, y = data_csv
    other = write_csv(tmp_path / "other.csv", ["x1", "x2", "y"],
                      [[num(a), num(b), num(t)] for a, b, t in zip(X[:50, 0], X[:50, 1], y[:50])])
    status, out, err = run(["compare", path, other, "--target", "y", "--epochs", "2"], capsys)
    assert status == 0 and err == f"tinygrad-lr: note: column 'name' of {path} is not used: it is not numeric: 200 " \
                                  "of its 200 non-empty cells are not numbers (line 2: 's0', line 3: 's1', line 4: " \
                                  "'s2', …)\n"                          # the text column is named (issue 15)
    assert out.count("compare on ") == 2 and "200 samples" in out and "50 samples" in out
    for label in ("batch GD", "mini-batch SGD (B = 10)", "SGD (B = 1)", "Newton (1 step)", "closed form"):
        assert out.count(label) >= 2, label
    assert "budget: 2 epochs = 400 per-sample gradient evaluations" in out
    assert "loss rose" in out and "gap to L*" in out and "‖θ − θ*‖" in out


def test_compare_constant_lr(capsys):
    report, _ = run_json(["compare", "--epochs", "1", "--constant-lr", "--lr", "0.01"], capsys)
    methods = report["datasets"][0]["methods"]
    assert {m["lr_schedule"] for m in methods[:3]} == {"constant"} and {m["lr"] for m in methods[:3]} == {0.01}


# ============================================================================
# plots
# ============================================================================
def _is_png(path):
    data = pathlib.Path(path).read_bytes()
    return len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_plot_writes_a_png(tmp_path, capsys):
    optional("matplotlib")
    path = tmp_path / "curves.png"
    status, out, err = run(["compare", "--epochs", "1", "--plot", str(path)], capsys)
    assert status == 0 and _is_png(path) and f"plot: {path}" in out


def test_fit_plot_writes_a_png(data_csv, tmp_path, capsys):
    optional("matplotlib")
    path, *_ = data_csv
    for method in ("minibatch", "closed"):
        image = tmp_path / f"fit-{method}.png"
        report, _ = run_json(["fit", path, "--target", "y", "--method", method, "--epochs", "5", "--plot",
                              str(image)], capsys)
        assert report["plot"] == str(image) and _is_png(image)


def test_plot_without_matplotlib_says_what_to_install(data_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    path, *_ = data_csv
    for argv in (["fit", path, "--target", "y"], ["compare"]):
        status, out, err = run(argv + ["--plot", str(tmp_path / "x.png")], capsys)
        assert status == 1 and out == ""                 # refused before any training
        assert err == ('tinygrad-lr: error: --plot needs matplotlib, which is not installed: '
                       'pip install "tinygrad-lr[plot]" (or: pip install matplotlib)\n')


# ============================================================================
# check and graph
# ============================================================================
def test_check_confirms_every_derivation(capsys):
    status, out, err = run(["check"], capsys)
    assert status == 0 and err == ""
    k = len(check_cmd._derivations(0))              # the notes' 6, then ridge, logistic and softmax regression
    assert k >= 6 and f"{k} of {k} derivations confirmed" in out
    assert out.count("all gradients agree") == k and "WRONG" not in out
    for words in ("∂ℓ/∂w = Xᵀ(Xw + b − y)/n", "y = ax + b", "mini-batch", "sum form", "2Xᵀ(Xŵ − y)", "AᵀA"):
        assert words in out, words
    assert len(re.findall(r"autograd vs central finite differences: max abs difference", out)) == k


def test_check_fails_when_a_derivation_is_wrong(capsys, monkeypatch):
    original = check_cmd._derivations

    def with_a_slip(seed):
        items = original(seed)
        title, formula, func, inputs, formulas, n, note = items[0]
        wrong = dict(formulas, w=lambda w, b: 2 * formulas["w"](w, b))      # the ½ forgotten
        return [(title, formula, func, inputs, wrong, n, note)] + items[1:]
    monkeypatch.setattr(check_cmd, "_derivations", with_a_slip)
    status, out, _ = run(["check"], capsys)
    k = len(original(0))
    assert status == 1 and f"1 of {k} derivations FAILED" in out and "did you drop the ½ of the loss?" in out


def test_graph_prints_dot_and_the_backward_trace(capsys):
    status, out, err = run(["graph"], capsys)
    assert status == 0
    assert out.startswith("digraph autograd {") and out.rstrip().endswith("}")   # stdout: DOT only
    assert "MatmulBackward" in out and '"w\\n(2, 1)"' in out
    assert "backward trace" in err and "[6] MatmulBackward" in err and "leaf w" in err
    assert re.search(r"Xᵀ\(Xw \+ b − y\)/n and Σ\(Xw \+ b − y\)/n \(max difference \S+e-1\d\)", err)


def test_graph_out_dot(tmp_path, capsys):
    path = tmp_path / "graph.dot"
    status, out, err = run(["graph", "--out", str(path)], capsys)
    assert status == 0 and err == ""
    assert path.read_text().startswith("digraph autograd {")
    assert f"written to {path}" in out and "backward trace" in out


def test_graph_out_svg(tmp_path, capsys):
    optional("graphviz")
    if shutil.which("dot") is None:
        if REQUIRE_OPTIONAL:
            pytest.fail("Graphviz's dot program is required in CI")
        pytest.skip("Graphviz's dot program is not installed")
    path = tmp_path / "graph.svg"
    status, out, err = run(["graph", "--out", str(path)], capsys)
    assert status == 0 and "<svg" in path.read_text()


def test_graph_without_graphviz_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    status, out, err = run(["graph", "--out", str(tmp_path / "g.svg")], capsys)
    assert status == 0 and "<svg" in (tmp_path / "g.svg").read_text()  # .svg: our own layout, no Graphviz needed
    status, out, err = run(["graph", "--out", str(tmp_path / "g.png")], capsys)
    assert status == 1 and err.count("\n") == 1
    assert err.startswith("tinygrad-lr: error: graph: cannot draw") and "pip install graphviz" in err
    assert "--out graph.dot" in err


# ============================================================================
# the progress bar
# ============================================================================
class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_terminal_and_erases_itself():
    tty = FakeTerminal()
    with Progress(total=200, label="SGD", file=tty, delay=0, interval=0) as bar:
        bar.update(100, "epoch 1/2  loss 1.2e-03")
        drawn = tty.getvalue()
    assert drawn.startswith("\rSGD [############------------]  50%  epoch 1/2  loss 1.2e-03")
    assert "samples/s" in drawn and "eta" in drawn
    assert tty.getvalue() == drawn + "\r" + " " * (len(drawn) - 1) + "\r"     # erased by close()


@pytest.mark.parametrize("kwargs", [dict(file=io.StringIO()), dict(file=FakeTerminal(), enabled=False),
                                    dict(file=FakeTerminal(), delay=60)],
                         ids=["not a terminal", "quiet", "a short run"])
def test_progress_bar_stays_silent(kwargs):
    with Progress(total=10, interval=0, **{"delay": 0, **kwargs}) as bar:
        bar.update(5, "x")
    assert kwargs["file"].getvalue() == ""


def test_fit_shows_a_progress_bar_on_a_terminal_unless_quiet(data_csv, capsys, monkeypatch):
    path, *_ = data_csv
    monkeypatch.setattr(training, "Progress", functools.partial(Progress, delay=0, interval=0))
    for quiet, expect in ((False, True), (True, False)):
        tty = FakeTerminal()
        monkeypatch.setattr(sys, "stderr", tty)
        assert cli.main(["fit", path, "--target", "y", "--epochs", "10"] + (["--quiet"] if quiet else [])) == 0
        assert ("epoch 10/10" in tty.getvalue() and "samples/s" in tty.getvalue()) == expect


# ============================================================================
# mistakes: one line on stderr, naming the problem, and a non-zero exit
# ============================================================================
def _files(tmp_path):
    X, y = regression_rows(n=20)
    good = [[num(a), num(b), num(t), "s"] for a, b, t in zip(X[:, 0], X[:, 1], y)]
    bad = [list(r) for r in good]
    bad[1][1] = "abc"
    bad[4][2] = ""
    return {
        "good": write_csv(tmp_path / "good.csv", ["x1", "x2", "y", "name"], good),
        "bad": write_csv(tmp_path / "bad.csv", ["x1", "x2", "y", "name"], bad),
        "empty": _empty(tmp_path / "empty.csv"),
        "header": write_csv(tmp_path / "header.csv", ["x", "y"], []),
        "text": write_csv(tmp_path / "text.csv", ["a", "b"], [["x", "y"], ["z", "w"]]),
        "constant": write_csv(tmp_path / "constant.csv", ["x", "y"], [[1, 2], [2, 2], [3, 2]]),
        "twice": write_csv(tmp_path / "twice.csv", ["x", "x", "y"], [[1, 2, 3]]),
        "flat": write_csv(tmp_path / "flat.csv", ["x", "c", "y"], [[1, 5, 2], [2, 5, 3], [3, 5, 5]]),
        "missing": str(tmp_path / "missing.csv"),
        "dir": str(tmp_path),
    }


def _empty(path):
    path.write_text("")
    return str(path)


MISTAKES = [
    (["fit", "{missing}", "--target", "y"], 1, r"missing.csv: no such file$"),
    (["fit", "{dir}", "--target", "y"], 1, r"is a directory, not a CSV file$"),
    (["fit", "{empty}", "--target", "y"], 1, r"empty.csv is empty: a CSV file needs a header row"),
    (["fit", "{header}", "--target", "y"], 1, r"header.csv has a header row but no data rows"),
    (["fit", "{text}", "--target", "a"], 1, r"text.csv has no numeric columns \(its columns: a, b\)"),
    (["fit", "{good}", "--target", "z"], 1, r"good.csv has no column 'z'; its columns are: x1, x2, y, name$"),
    (["fit", "{good}", "--target", "y", "--features", "x1", "q"], 1, r"has no column 'q'; its columns are: x1, x2"),
    (["fit", "{good}", "--target", "name"], 1, r"the target column 'name' of .*good.csv is not numeric: 20 of its "
                                                r"20 non-empty cells are not numbers \(line 2: 's', line 3: 's', "
                                                r"line 4: 's', …\); the numeric columns are: x1, x2, y$"),
    (["fit", "{good}", "--target", "y", "--features", "y"], 2, r"column 'y' is the target"),
    (["fit", "{good}"], 2, r"fit: --target is required: name the column to predict; the numeric columns of "
                           r".*good.csv are: x1, x2, y$"),
    (["fit", "{bad}", "--target", "y"], 1, r"bad.csv: 2 row\(s\) with missing or non-numeric values: line 3: x2 is "
                                           r"not a number \('abc'\); line 6: y is empty\. Fix them, or pass "
                                           r"--drop-bad-rows to skip them$"),
    (["fit", "{constant}", "--target", "y"], 1, r"the target column 'y' is constant \(every value is 2\)"),
    (["fit", "{twice}", "--target", "y"], 1, r"the header names column 'x' twice \(columns 1 and 2\)"),
    (["fit", "{good}", "--target", "y", "--lr", "0"], 2, r"argument --lr: must be > 0, got 0 \(see 'tinygrad-lr "
                                                         r"fit --help'\)$"),
    (["fit", "{good}", "--target", "y", "--lr", "-0.1"], 2, r"argument --lr: must be > 0, got -0.1"),
    (["fit", "{good}", "--target", "y", "--lr", "fast"], 2, r"argument --lr: expected a number, got 'fast'"),
    (["fit", "{good}", "--target", "y", "--epochs", "0"], 2, r"argument --epochs: must be at least 1, got 0"),
    (["fit", "{good}", "--target", "y", "--batch-size", "0"], 2, r"argument --batch-size: must be at least 1, got 0"),
    (["fit", "{good}", "--target", "y", "--batch-size", "21"], 2, r"--batch-size 21 is larger than the data set "
                                                                  r"\(20 rows in .*good.csv\); use at most 20$"),
    (["fit", "{good}", "--target", "y", "--momentum", "1"], 2, r"argument --momentum: must be in \[0, 1\), got 1"),
    (["fit", "{good}", "--target", "y", "--method", "gauss"], 2, r"argument --method: invalid choice: 'gauss'"),
    (["fit", "{good}", "--target", "y", "--method", "batch", "--lr", "100"], 1,
     r"batch GD diverged: the loss grew to .* the learning rate 100 is too large for this data; try --lr 10"),
    (["fit", "{good}", "--target", "y", "--save", "{dir}/nowhere/m.npz"], 2, r"--save .*: the directory .* does "
                                                                            r"not exist$"),
    (["compare", "{good}"], 2, r"compare: --target is required with a data file"),
    (["compare", "{good}", "--target", "y", "--features", "x1", "x2", "--batch-size", "50"], 2,
     r"--batch-size 50 is larger than the data set"),
    (["compare", "{missing}", "--target", "y"], 1, r"missing.csv: no such file$"),
    (["compare", "--epochs", "0"], 2, r"argument --epochs: must be at least 1, got 0"),
    (["graph", "--out", "graph.txt"], 2, r"--out graph.txt: the file name must end in .dot, .gv, .svg, .png or .pdf"),
    (["fly"], 2, r"argument COMMAND: invalid choice: 'fly'"),
    (["demo", "--lr", "5"], 1, r"demo: training diverged \(loss nan\): --lr 5 is too large; try --lr 0.03$"),
    (["fit", "{good}", "--target", "y", "--delimiter", ";;"], 2, r"argument --delimiter: must be one character "
                                                                 r"\(or 'tab'\), got ';;'"),
]


@pytest.mark.parametrize("argv, status, message", MISTAKES, ids=[" ".join(m[0])[:60] for m in MISTAKES])
def test_mistakes_are_one_clear_line(tmp_path, capsys, argv, status, message):
    files = _files(tmp_path)
    code, out, err = run([a.format(**files) for a in argv], capsys)
    assert code == status
    assert err.count("\n") == 1 and err.startswith("tinygrad-lr: error: "), err
    assert "Traceback" not in err
    assert re.search(message, err.rstrip("\n")), err


# ============================================================================
# --help
# ============================================================================
def test_help_explains_the_command(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0
    assert "Linear regression ŷ = Xw + b" in out and "Without a command it runs the demo" in out
    for command in ("demo", "fit", "compare", "check", "graph"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M), command        # each command has its help line
    assert "examples:" in out and "tinygrad-lr compare --plot curves.png" in out and "exit status" in out


@pytest.mark.parametrize("command, words", [
    ("demo", "Needs NumPy only"), ("fit", "--json prints one JSON object"), ("compare", "same budget"),
    ("check", "finite differences"), ("graph", "dot -Tsvg")])
def test_each_command_has_help(capsys, command, words):
    status, out, _ = run([command, "--help"], capsys)
    assert status == 0 and words in " ".join(out.split())


def test_version(capsys):
    status, out, _ = run(["--version"], capsys)
    assert status == 0 and out.strip() == f"tinygrad-lr {tinygrad_lr.__version__}"
