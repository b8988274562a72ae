"""tinygrad_lr.utils.benchmark: Timer and Measurement, as torch.utils.benchmark has them.

The numbers a Timer measures are checked for what they are (positive seconds, one block per
measurement, the runs counted), never for how fast anything is; the repr and the statistics are
compared with PyTorch's on the same raw times.
"""
import re
import sys

import numpy as np
import pytest

import tinygrad_lr
from conftest import optional
from tinygrad_lr.utils.benchmark import Measurement, TaskSpec, Timer


# ---- timing -------------------------------------------------------------------------------------
def test_timeit_runs_stmt_number_times_after_setup_with_the_globals_given():
    runs = []
    m = Timer("runs.append(x * k)", setup="k = 2", globals={"runs": runs, "x": 21}).timeit(50)
    assert runs == [42] * (2 + 50)                       # a warm-up of max(50 // 100, 2) runs, then 50
    assert m.number_per_run == 50 and len(m.raw_times) == 1 and len(m.times) == 1
    assert isinstance(m.times[0], float) and m.times[0] > 0 and m.times[0] == m.raw_times[0] / 50
    assert m.median == m.mean == m.times[0] and m.iqr == 0.0


def test_blocked_autorange_times_until_min_run_time_is_spent():
    blocks = []
    x = tinygrad_lr.randn(20, 20)
    m = Timer("x @ x", globals={"x": x}).blocked_autorange(callback=lambda n, t: blocks.append((n, t)),
                                                          min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and all(t > 0 for t in m.times)
    assert blocks == [(m.number_per_run, t) for t in m.raw_times]      # one callback per block
    assert m.number_per_run in (1, 10, 100, 1000, 10000, 100000)
    assert min(m.times) <= m.median <= max(m.times) and m.iqr >= 0 and 1 <= m.significant_figures <= 4


def test_adaptive_autorange_stops_once_steady_after_four_blocks():
    m = Timer("pass").adaptive_autorange(threshold=float("inf"), min_run_time=0.0)
    assert len(m.raw_times) == 4 and m.meets_confidence(float("inf"))


def test_num_threads_limits_blas_while_timing():
    threadpoolctl = pytest.importorskip("threadpoolctl")                 # optional, and not in the extras
    seen = []
    stmt = "seen.append({p['num_threads'] for p in tp.threadpool_info() if p['user_api'] == 'blas'})"
    m = Timer(stmt, globals={"seen": seen, "tp": threadpoolctl}, num_threads=1).timeit(1)
    assert seen and all(s <= {1} for s in seen) and m.num_threads == 1


def test_without_threadpoolctl_num_threads_only_labels_the_measurement(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    assert repr(Timer("pass", num_threads=2).timeit(10)).endswith("1 measurement, 10 runs , 2 threads")


def test_the_facade_has_the_same_timer():
    import tinygrad_lr.torch as torch
    from tinygrad_lr.torch.utils.benchmark import Measurement as FacadeMeasurement, Timer as FacadeTimer
    assert FacadeTimer is Timer and FacadeMeasurement is Measurement and torch.utils.benchmark.Timer is Timer
    assert tinygrad_lr.utils.benchmark.Timer is Timer
    out = Timer("torch.ones(2)").timeit(10)                                # `torch` is there by default
    assert out.stmt == "torch.ones(2)" and out.number_per_run == 10


# ---- what a Measurement prints -----------------------------------------------------------------------
def test_the_repr_of_a_trivial_stmt():
    text = repr(Timer("x + 1", setup="x = 1", label="add", sub_label="ints", description="Python").timeit(1000))
    lines = text.split("\n")
    assert re.fullmatch(r"<tinygrad_lr\.utils\.benchmark\.Measurement object at 0x[0-9a-f]+>", lines[0])
    assert lines[1:4] == ["add: ints", "Python", "setup: x = 1"]
    assert re.fullmatch(r"  \d+\.\d\d (ns|us|ms|s)", lines[4])
    assert lines[5:] == ["  1 measurement, 1000 runs , 1 thread"]
    assert str(Measurement(1, [1.5e-3], TaskSpec("f()"))).split("\n")[1:] == [
        "f()", "  1.50 ms", "  1 measurement, 1 runs , 1 thread"]


CASES = [  # (seconds per run, runs per block, TaskSpec fields)
    ([1.23456e-9], 1, {}),
    ([1.2e-5], 10, {"label": "L", "description": "D"}),
    ([0.1234, 0.2], 1, {"sub_label": "S"}),
    ([1e-3, 1.1e-3, 1.2e-3, 1.3e-3], 1000, {"setup": "import math\ny = 2"}),
    ([5e-3, 5.1e-3, 9e-3, 5e-3, 5.2e-3], 100, {"stmt": "a = 1\nb = 2", "sub_label": "S", "num_threads": 4}),
    ([2.0, 2.0001, 2.0002, 1.9999], 1, {"label": "L", "sub_label": "S", "setup": "x = 1"}),
    ([3e-6, 3.1e-6, 3.9e-6, 3.05e-6, 3.4e-6, 3.5e-6], 10000, {"description": "many"}),
    ([1e-3, 2e-3, 3e-3, 4e-3], 10, {"env": "noisy"}),                  # IQR 60% of the median: the gross warning
]


@pytest.mark.parametrize("per_run, number, spec", CASES)
def test_repr_and_statistics_are_pytorchs(per_run, number, spec):
    torch = optional("torch")
    raw = [t * number for t in per_run]
    from torch.utils.benchmark.utils.common import Measurement as TorchMeasurement, TaskSpec as TorchTaskSpec
    spec = {"stmt": "x + 1", "setup": "pass", **spec}
    ours, theirs = Measurement(number, raw, TaskSpec(**spec)), TorchMeasurement(number, raw, TorchTaskSpec(**spec))
    assert repr(ours).split("\n")[1:] == repr(theirs).split("\n")[1:]      # all but the object's address
    for name in ("times", "median", "mean", "iqr"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12, err_msg=name)
    assert ours.significant_figures == theirs.significant_figures and ours.has_warnings == theirs.has_warnings
    assert ours.title == theirs.title and ours.env == theirs.env and torch.__name__ == "torch"


# ---- mistakes ------------------------------------------------------------------------------------------
def test_mistakes_are_named():
    with pytest.raises(SyntaxError, match=r"Timer: stmt '1 \+' is not valid Python: invalid syntax \(line 1\)"):
        Timer("1 +")
    with pytest.raises(SyntaxError, match=r"Timer: setup 'return 1' is not valid Python: 'return' outside"):
        Timer("pass", setup="return 1")
    with pytest.raises(NameError, match=r"Timer: name 'model' is not defined while running stmt 'model\(x\)'; "
                                        r"pass the names it uses with globals=\{\.\.\.\}"):
        Timer("model(x)").timeit(1)
    with pytest.raises(ValueError, match=r"Timer: stmt must be a string of Python code, got function; .*"
                                         r"Timer\('f\(x\)', globals="):
        Timer(lambda: 1)
    with pytest.raises(ValueError, match=r"Timer: num_threads must be a positive integer, got 0"):
        Timer("pass", num_threads=0)
    with pytest.raises(TypeError, match=r"Timer: globals must be a dict .*got list"):
        Timer("pass", globals=[1])
    with pytest.raises(ValueError, match=r"Timer: global_setup is C\+\+ only, got '#include <x>'; put it in setup"):
        Timer("pass", global_setup="#include <x>")
    with pytest.raises(ValueError, match=r"Timer: language must be 'python', got 'cpp'"):
        Timer("pass", language="cpp")
    with pytest.raises(ValueError, match=r"Timer.timeit: number must be at least 1, got 0"):
        Timer("pass").timeit(0)
    with pytest.raises(ZeroDivisionError):                                 # the stmt's own errors pass through
        Timer("1 / 0").timeit(1)
