"""Helpers of the ridge, logistic and softmax regression tests: a CSV file of the data, and `fit ... --json`."""
import json

from tinygrad_lr import cli


def write_csv(path, X, y, target="y"):
    """Columns x1 … xd and the target, every number with all its digits."""
    lines = [",".join([f"x{k + 1}" for k in range(X.shape[1])] + [target])]
    lines += [",".join(repr(float(v)) for v in [*row, t]) for row, t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def fit_json(argv, capsys):
    """The JSON report of ``tinygrad-lr argv --json`` and what went to standard error."""
    assert cli.main(argv + ["--json"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err
