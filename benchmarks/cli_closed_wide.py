"""`tinygrad-lr fit --method closed` on a wide CSV file (more features than rows) against NumPy.

    python benchmarks/cli_closed_wide.py                  # 30 × 3000, five rounds (about a minute)
    python benchmarks/cli_closed_wide.py --quick          # 30 × 300, three rounds: seconds
    python benchmarks/cli_closed_wide.py --rows 30 --cols 3000 --rounds 9

The file (issue 23, item 11) is generated in a temporary directory: ``--rows`` samples of
``--cols`` normal features and a target, all digits.  The contenders, in interleaved rounds in
this one process, on one thread (``OMP/OPENBLAS/MKL_NUM_THREADS=1`` set before NumPy loads, so that a
machine shared with other jobs slows every contender alike); medians reported, what matters are the ratios:

- numpy: the hand-written baseline for the same job, ``np.loadtxt`` then
  ``np.linalg.lstsq([X 1], y)``;
- fit closed: ``tinygrad-lr fit DATA.csv --target y --method closed --json`` through
  ``cli.main`` (reading, checking, lstsq, the report), its output thrown away;
- fit closed --l2: the same with ``--l2 0.1`` (ridge, solved as an n × n system when n < d);
- old curvature: what the command also did before this case was added, and no longer does for
  the closed form: ``np.linalg.eigvalsh`` of the (d + 1) × (d + 1) Hessian AᵀA/n, for the default
  learning rate that the closed form does not need.  Now the gradient methods get λ from an
  (n + 1) × (n + 1) matrix instead (``problem.hessian_spectrum``): timed as "curvature now".
"""
import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"                 # before NumPy loads its BLAS
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinygrad_lr import cli  # noqa: E402
from tinygrad_lr.cli.problem import gram, hessian_spectrum  # noqa: E402


def generate(path, rows, cols, seed=0):
    """rows × cols normal features; the target depends on the first five, plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    y = X[:, :5] @ np.arange(1.0, 6.0) + 0.1 * rng.standard_normal(rows)
    header = ",".join([f"x{k}" for k in range(cols)] + ["y"])
    np.savetxt(path, np.c_[X, y], delimiter=",", header=header, comments="", fmt="%.17g")
    return X


def numpy_closed(path):
    values = np.loadtxt(path, delimiter=",", skiprows=1)
    X, y = values[:, :-1], values[:, -1]
    return np.linalg.lstsq(np.hstack([X, np.ones((len(X), 1))]), y, rcond=None)[0]


def command(path, *options):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = cli.main(["fit", path, "--target", "y", "--method", "closed", "--json", *options], exit=False)
    assert status == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--cols", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="30 × 300, three rounds")
    args = parser.parse_args()
    if args.quick:
        args.cols, args.rounds = 300, 3
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "wide.csv")
        X = generate(path, args.rows, args.cols)
        contenders = {
            "numpy (loadtxt + lstsq)": lambda: numpy_closed(path),
            "fit closed": lambda: command(path),
            "fit closed --l2 0.1": lambda: command(path, "--l2", "0.1"),
            "old curvature (eigvalsh)": lambda: np.linalg.eigvalsh(gram(X)),
            "curvature now": lambda: hessian_spectrum(X),
        }
        times = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, run in contenders.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    print(f"fit --method closed on {args.rows} × {args.cols} ({args.rows} rows, {args.cols} features); "
          f"medians of {args.rounds} rounds")
    base = statistics.median(times["numpy (loadtxt + lstsq)"])
    for name, samples in times.items():
        t = statistics.median(samples)
        print(f"  {name:26s} {t * 1e3:9.1f} ms   {t / base:6.2f}× numpy")
    old = statistics.median(times["old curvature (eigvalsh)"])
    print(f"  before: fit closed ≈ fit closed + old curvature = "
          f"{(statistics.median(times['fit closed']) + old) / base:.1f}× numpy")


if __name__ == "__main__":
    main()
