"""The command with the optimizers beyond SGD: ``compare --methods ...`` and ``fit --optimizer ...``."""
import json
import pathlib

import numpy as np
import pytest
from conftest import optional

from test_cli import run

from tinygrad_lr.cli.problem import synthetic_data


def run_json(argv, capsys):
    status, out, err = run(argv + ["--json", "--quiet"], capsys)
    assert status == 0, err
    return json.loads(out), err


@pytest.fixture(scope="module")
def notes_csv(tmp_path_factory):
    """The lecture notes' data (w = [2, −3.4], b = 4.2, 1000 rows), as a CSV file."""
    data = synthetic_data(0)
    path = tmp_path_factory.mktemp("data") / "notes.csv"
    np.savetxt(path, np.c_[data.X, data.y], delimiter=",", header="x1,x2,y", comments="", fmt="%.17g")
    return str(path)


# ---- compare --methods ------------------------------------------------------------------------
def test_compare_methods_minibatch_adam_lbfgs_table_and_json(capsys):
    status, out, err = run(["compare", "--methods", "minibatch,adam,lbfgs", "--quiet"], capsys)
    assert status == 0, err
    lines = out.splitlines()
    rows = [line.split("  ")[0] for line in lines[3:7]]
    assert rows == ["mini-batch SGD (B = 10)", "Adam (B = 10)", "L-BFGS", "closed form"]
    assert "batch GD" not in out and "Newton (1 step)" not in out      # only the methods asked for
    assert "lr: 0.05 (Adam), 1 (L-BFGS), their defaults" in out

    report, _ = run_json(["compare", "--methods", "minibatch,adam,lbfgs"], capsys)
    (data,) = report["datasets"]
    methods = {m["method"]: m for m in data["methods"]}
    assert list(methods) == ["minibatch", "adam", "lbfgs", "closed"]
    budget = data["budget_gradient_evaluations"]
    assert methods["minibatch"]["gradient_evaluations"] == methods["adam"]["gradient_evaluations"] == budget
    assert methods["adam"]["steps"] == methods["minibatch"]["steps"] == budget // 10   # batches of 10
    assert 0 < methods["lbfgs"]["gradient_evaluations"] <= budget                       # it stops at the optimum
    assert methods["adam"]["label"] == "Adam (B = 10)" and methods["adam"]["lr"] == 0.05
    for name in ("minibatch", "adam"):
        assert methods[name]["relative_loss_gap"] < 1e-3, name
        assert methods[name]["loss_rose"] is not None and methods[name]["loss_after_tenth_epoch"] is not None
    assert methods["lbfgs"]["relative_loss_gap"] < 1e-10 and methods["lbfgs"]["distance_to_optimum"] < 1e-8


def test_compare_every_optimizer_on_one_budget(capsys):
    report, _ = run_json(["compare", "--methods", "sgd,adam,rmsprop,adagrad,lbfgs,newton", "--epochs", "3"], capsys)
    methods = {m["method"]: m for m in report["datasets"][0]["methods"]}
    assert list(methods) == ["sgd", "adam", "rmsprop", "adagrad", "lbfgs", "newton", "closed"]
    start = 0.5 * float((synthetic_data(0).y ** 2).mean())                           # the loss at θ = 0
    for name in ("sgd", "adam", "rmsprop", "adagrad", "lbfgs"):
        assert methods[name]["gradient_evaluations"] <= 3 * 1000, name
        assert methods[name]["loss"] < 1e-2 * start, name                              # all well on their way
    assert methods["adam"]["gradient_evaluations"] == 3 * 1000 and methods["newton"]["relative_loss_gap"] < 1e-10
    assert methods["rmsprop"]["label"] == "RMSprop (B = 10)" and methods["adagrad"]["lr"] == 0.5


def test_compare_methods_keeps_the_default_rows(capsys):
    report, _ = run_json(["compare", "--epochs", "1"], capsys)
    assert [m["method"] for m in report["datasets"][0]["methods"]] == ["batch", "minibatch", "sgd", "newton",
                                                                        "closed"]


def test_compare_methods_with_a_lr_gives_it_to_every_method(capsys):
    report, _ = run_json(["compare", "--methods", "adam,rmsprop", "--lr", "0.02", "--epochs", "1"], capsys)
    assert {m["method"]: m["lr"] for m in report["datasets"][0]["methods"]} == {"adam": 0.02, "rmsprop": 0.02,
                                                                                "closed": None}


def test_compare_plot_with_the_new_methods(tmp_path, capsys):
    optional("matplotlib")
    path = tmp_path / "curves.png"
    status, out, err = run(["compare", "--methods", "adam,adagrad,lbfgs", "--epochs", "1", "--quiet", "--plot",
                            str(path)], capsys)
    assert status == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"plot: {path}" in out


@pytest.mark.parametrize("value, message", [
    ("adam,adamw", "argument --methods: unknown method 'adamw' (choose from batch,minibatch,sgd,newton,adam,"
                   "rmsprop,adagrad,lbfgs)"),
    ("adam,adam", "argument --methods: a method is listed twice in 'adam,adam'"),
    (",", "argument --methods: no method given"),
])
def test_compare_bad_methods_is_a_usage_error(value, message, capsys):
    status, out, err = run(["compare", "--methods", value], capsys)
    assert status == 2 and out == "" and err.startswith(f"tinygrad-lr: error: {message}")


# ---- fit --optimizer ----------------------------------------------------------------------------
def test_fit_optimizer_adam_reaches_the_closed_form_on_the_notes_data(notes_csv, capsys):
    report, err = run_json(["fit", notes_csv, "--target", "y", "--optimizer", "adam"], capsys)
    assert err == ""
    assert report["method"] == "minibatch" and report["hyperparameters"]["optimizer"] == "adam"
    assert report["hyperparameters"]["lr"] == 0.05 and report["steps"] == 100 * 100
    assert report["relative_loss_gap"] < 2e-3 and report["distance_to_optimum"] < 2e-3
    closed = report["closed_form"]
    for name, w in report["coefficients"].items():
        np.testing.assert_allclose(w, closed["coefficients"][name], atol=2e-3)
    np.testing.assert_allclose(report["bias"], closed["bias"], atol=2e-3)
    np.testing.assert_allclose([*report["coefficients"].values(), report["bias"]], [2, -3.4, 4.2], atol=2e-3)


def test_fit_optimizer_lbfgs_lands_on_the_closed_form(notes_csv, capsys):
    report, _ = run_json(["fit", notes_csv, "--target", "y", "--optimizer", "lbfgs"], capsys)
    assert report["method"] == "batch" and report["hyperparameters"]["optimizer"] == "lbfgs"
    assert report["distance_to_optimum"] < 1e-8
    assert report["gradient_evaluations"] <= 100 * 1000 and report["steps"] <= 100


@pytest.mark.parametrize("optimizer", ["rmsprop", "adagrad"])
def test_fit_other_optimizers_text_output(notes_csv, optimizer, capsys):
    status, out, err = run(["fit", notes_csv, "--target", "y", "--optimizer", optimizer, "--epochs", "20",
                            "--quiet"], capsys)
    assert status == 0 and err == ""
    name = {"rmsprop": "RMSprop", "adagrad": "Adagrad"}[optimizer]
    assert f"method: {name} (B = 10), lr " in out and f"(the default for {name})" in out and "2000 steps" in out


@pytest.mark.parametrize("task, target", [("logistic", "passed"), ("softmax", "grade")])
@pytest.mark.parametrize("optimizer, tol", [("lbfgs", 1e-5), ("adam", 2e-2), ("rmsprop", 2e-2)])
def test_fit_a_classifier_with_another_optimizer_reaches_newtons_optimum(task, target, optimizer, tol, capsys):
    """--task logistic|softmax trains with --optimizer too; Newton's answer (‖∇ℓ‖ ≈ 1e-12) is the reference."""
    students = pathlib.Path(__file__).resolve().parents[2] / "docs" / "students.csv"
    common = ["fit", str(students), "--target", target, "--features", "hours", "practice", "--task", task,
              "--standardize"]
    reference, _ = run_json(common + ["--method", "newton"], capsys)
    report, err = run_json(common + ["--optimizer", optimizer], capsys)
    assert err == "" and report["hyperparameters"]["optimizer"] == optimizer
    assert report["gradient_norm"] < tol
    assert abs(report["log_loss"] - reference["log_loss"]) < tol ** 2 + 1e-9
    assert abs(report["accuracy"] - reference["accuracy"]) <= 0.02


def test_fit_optimizer_notes_the_options_it_does_not_use(notes_csv, capsys):
    status, out, err = run(["fit", notes_csv, "--target", "y", "--optimizer", "adam", "--momentum", "0.9",
                            "--epochs", "1", "--quiet"], capsys)
    assert status == 0
    assert err.startswith("tinygrad-lr: note: --momentum does not apply to --optimizer adam; ignored\n")
    status, out, err = run(["fit", notes_csv, "--target", "y", "--optimizer", "adam", "--method", "newton",
                            "--quiet"], capsys)
    assert status == 0 and "--optimizer does not apply to --method newton; ignored" in err
    status, out, err = run(["fit", notes_csv, "--target", "y", "--optimizer", "lbfgs", "--batch-size", "5",
                            "--quiet"], capsys)
    assert status == 0 and "--batch-size does not apply to --optimizer lbfgs (it steps on all rows)" in err
    assert "method: L-BFGS (optim.LBFGS, strong-Wolfe line search) on all rows" in out


def test_fit_unknown_optimizer_is_a_usage_error(notes_csv, capsys):
    status, out, err = run(["fit", notes_csv, "--target", "y", "--optimizer", "adamw"], capsys)
    assert status == 2 and "argument --optimizer: invalid choice: 'adamw'" in err


def test_the_help_documents_the_optimizers(capsys):
    for command, words in (("fit", ["--optimizer", "adam, rmsprop, adagrad", "lbfgs is full-batch optim.LBFGS"]),
                           ("compare", ["--methods", "adam, rmsprop, adagrad", "full-batch optim.LBFGS"])):
        status, out, _ = run([command, "--help"], capsys)
        assert status == 0
        for w in words:
            assert w in out, (command, w)
