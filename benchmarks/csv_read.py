"""Reading a large CSV file: the command's reader (cli/csvfile.read_csv) against numpy.loadtxt.

    python benchmarks/csv_read.py                    # 1,000,000 × 20, three rounds (a few minutes)
    python benchmarks/csv_read.py --rows 100000      # quicker
    python benchmarks/csv_read.py --dirty            # also: one bad cell per 100,000 rows, --drop-bad-rows

The file is generated in a temporary directory (19 features and a target, printed
with 6 significant digits, as a spreadsheet would: about 183 MB for 1,000,000 rows).
Each contender reads it in a fresh process, so that its peak memory (the peak RSS
less the RSS after its imports) is its own; the rounds
alternate the contenders, and the medians are reported.  The targets (issue 15):
time ≤ 2× numpy.loadtxt's, peak memory about 2× the data (n × 20 float64) or less.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

CHILD = """
import os, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np
from tinygrad_lr.cli.csvfile import read_csv
try:                                    # the RSS now, in KiB (the peak so far includes the imports' transients)
    with open("/proc/self/statm") as f:
        before = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
except OSError:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if {which!r} == "numpy.loadtxt":
    try:
        rows = len(np.loadtxt({path!r}, delimiter=",", skiprows=1))
    except ValueError:                      # a cell it cannot read: its time is to the error
        rows = 0
else:
    data = read_csv({path!r}, "y", drop_bad_rows=True, progress=False)
    rows = data.n
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(seconds, peak * 1024, rows)
"""


def generate(path, rows, cols, dirty=False, seed=0):
    """rows × cols normal numbers with 6 significant digits; with ``dirty``, one 'n/a' cell per 100,000 rows."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join([f"x{k}" for k in range(1, cols)] + ["y"]) + "\n")
        for start in range(0, rows, 100_000):
            block = rng.standard_normal((min(100_000, rows - start), cols))
            if not dirty:
                np.savetxt(f, block, fmt="%.6g", delimiter=",")
                continue
            lines = [",".join(f"{v:.6g}" for v in row) for row in block]
            lines[len(lines) // 2] = "n/a," + lines[len(lines) // 2].split(",", 1)[1]
            f.write("\n".join(lines) + "\n")


def measure(which, path):
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT, which=which, path=path)],
                          capture_output=True, text=True, check=True)
    seconds, peak, rows = done.stdout.split()
    return float(seconds), float(peak), int(rows)


def run_case(label, path, rows, cols, rounds, contenders=("numpy.loadtxt", "tinygrad_lr read_csv"),
             baseline=None):
    """Time and peak memory of each contender; the ratios to numpy.loadtxt's (``baseline`` if it is not run)."""
    times, peaks = {c: [] for c in contenders}, {c: [] for c in contenders}
    for _ in range(rounds):
        for which in contenders:
            seconds, peak, _ = measure(which, path)
            times[which].append(seconds)
            peaks[which].append(peak)
    data = rows * cols * 8
    print(f"{label}: {rows:,} × {cols}, {os.path.getsize(path) / 1e6:.0f} MB of text, the data "
          f"{data / 2**20:.0f} MiB as float64; medians of {rounds} round(s)")
    medians = {which: (statistics.median(times[which]), statistics.median(peaks[which])) for which in contenders}
    for which, (t, m) in medians.items():
        print(f"  {which:22s} {t:7.2f} s   peak RSS +{m / 2**20:6.0f} MiB = {m / data:.2f}× the data")
    base = medians.get("numpy.loadtxt", baseline)
    t, m = medians["tinygrad_lr read_csv"]
    memory = f"{m / base[1]:.2f}×" if base[1] > 0 else "— (too small to measure)"
    print(f"  read_csv / loadtxt: time {t / base[0]:.2f}× (target ≤ 2×), peak memory {memory} "
          f"(target: about 2× the data or less)")
    return base


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dirty", action="store_true", help="also a file with a bad cell per 100,000 rows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.csv")
        generate(path, args.rows, args.cols)
        base = run_case("clean", path, args.rows, args.cols, args.rounds)
        if args.dirty:    # numpy.loadtxt cannot read 'n/a' at all: the ratios are to its time on the clean file
            generate(path, args.rows, args.cols, dirty=True)
            print()
            run_case("dirty (ratios to loadtxt on the clean file)", path, args.rows, args.cols, args.rounds,
                     ("tinygrad_lr read_csv",), base)


if __name__ == "__main__":
    main()
