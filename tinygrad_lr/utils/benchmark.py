"""``tinygrad_lr.utils.benchmark``: ``Timer`` and ``Measurement``, as ``torch.utils.benchmark`` has them.

PyTorch's ``torch.func`` tutorials time per-sample gradients against a loop with them::

    from tinygrad_lr.utils.benchmark import Timer
    t = Timer(stmt="compute_sample_grads(data, targets)", globals=globals())
    m = t.timeit(100)          # or t.blocked_autorange(min_run_time=0.5)
    print(m)                   # the statement, the time per run, how many runs
    m.times[0], m.median       # seconds per run

A ``Timer`` runs ``setup`` once, then ``stmt`` ``number`` times in a row between two readings of
the clock (``time.perf_counter``), and divides.  ``Measurement`` holds those blocks and their
statistics: the median and the interquartile range IQR = p75 − p25 of the time per run.
"""
import math
import textwrap
import time
import timeit as _timeit

import numpy as np

__all__ = ["Timer", "Measurement", "TaskSpec"]

_SOME_NOISE, _MUCH_NOISE = 0.1, 0.25     # IQR / median above which a Measurement warns
_MIN_CONFIDENCE = 25e-9                  # seconds: no clock resolves a run better than this
_MAX_FIGURES = 4


class TaskSpec:
    """What was timed: ``stmt``, ``setup`` and the names that label it (label, sub_label, description, env)
    and ``num_threads``."""

    def __init__(self, stmt, setup="pass", global_setup="", label=None, sub_label=None, description=None,
                 env=None, num_threads=1):
        self.stmt, self.setup, self.global_setup = stmt, setup, global_setup
        self.label, self.sub_label, self.description = label, sub_label, description
        self.env, self.num_threads = env, num_threads

    @property
    def title(self):
        """``label: sub_label`` when there is a label, else the statement (indented below 'stmt:' when it has
        several lines)."""
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        return "stmt:" + (f" ({self.sub_label})" if self.sub_label else "") + "\n" + textwrap.indent(self.stmt, "  ")

    def summarize(self):
        """The lines above the numbers of a Measurement: title, description, setup (when not 'pass')."""
        setup = ""
        if self.setup and self.setup != "pass":
            setup = "setup:\n" + textwrap.indent(self.setup, "  ") if "\n" in self.setup else f"setup: {self.setup}"
        parts = [p for p in (self.title, self.description or "", setup) if p]
        return "\n".join(p + "\n" if "\n" in p else p for p in parts)   # a blank line after a block


def _unit(seconds):
    """('ns' | 'us' | 'ms' | 's', its size in seconds) for a time: the unit that shows 1 to 999 of it."""
    thousands = math.floor(math.log10(seconds)) // 3 if seconds > 0 else -3
    return {-3: ("ns", 1e-9), -2: ("us", 1e-6), -1: ("ms", 1e-3)}.get(max(thousands, -3), ("s", 1.0))


class Measurement:
    """Blocks of runs of one statement: ``raw_times[i]`` seconds for ``number_per_run`` runs each.

    Statistics are of the time per run, ``times = raw_times / number_per_run``: ``mean``, ``median``,
    ``iqr`` (p75 − p25, quantiles interpolated linearly), ``significant_figures`` (how many digits of the
    median the spread of the middle half supports, 1 to 4).  Its ``repr`` is laid out as PyTorch's.
    The fields of ``task_spec`` (``stmt``, ``label``, ``num_threads`` ...) read as its own.
    """

    def __init__(self, number_per_run, raw_times, task_spec, metadata=None):
        self.number_per_run, self.raw_times = number_per_run, list(raw_times)
        self.task_spec, self.metadata = task_spec, metadata
        if not self.raw_times:
            raise ValueError("Measurement: raw_times is empty; time at least one block of runs")

    def __getattr__(self, name):
        if name != "task_spec" and hasattr(self.__dict__.get("task_spec"), name):
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute {name!r}")

    @property
    def times(self):
        """Seconds per run, one per block."""
        return [t / self.number_per_run for t in self.raw_times]

    def _quantile(self, q):
        return float(np.quantile(self.times, q))

    @property
    def median(self):
        return self._quantile(0.5)

    @property
    def mean(self):
        return float(np.mean(self.times))

    @property
    def iqr(self):
        """The interquartile range p75 − p25 of the time per run."""
        return self._quantile(0.75) - self._quantile(0.25)

    @property
    def significant_figures(self):
        """⌊log10(median / c)⌋ in [1, 4], c = 1.645 · σ / √k the 90% half-width from the k middle values."""
        ordered = sorted(self.times)
        n = len(ordered)
        middle = ordered[n // 4: math.ceil(3 * n / 4)]
        spread = max(1.645 * float(np.std(middle)) / math.sqrt(len(middle)), _MIN_CONFIDENCE)
        return min(max(math.floor(math.log10(self.median / spread)), 1), _MAX_FIGURES)

    def meets_confidence(self, threshold=_SOME_NOISE):
        """True when IQR / median < ``threshold``."""
        return self.iqr / self.median < threshold

    @property
    def has_warnings(self):
        return bool(self._warnings())

    @property
    def title(self):
        return self.task_spec.title

    def _warnings(self):
        for threshold, why in ((_MUCH_NOISE, "This suggests significant environmental influence."),
                               (_SOME_NOISE, "This could indicate system fluctuation.")):
            if not self.meets_confidence(threshold):
                return [f"  WARNING: Interquartile range is {100 * self.iqr / self.median:.1f}% of the median "
                        f"measurement.\n           {why}"]
        return []

    def __repr__(self):
        n, threads = len(self.raw_times), self.task_spec.num_threads
        unit, size = _unit(self.median)
        lines = [object.__repr__(self), self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{self.median / size:.2f} {unit}"]
        if n >= 4:
            p25, p75 = self._quantile(0.25) / size, self._quantile(0.75) / size
            lines.append(f"  IQR:    {self.iqr / size:.2f} {unit} ({p25:.2f} to {p75:.2f})")
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads} thread{'s' if threads > 1 else ''}")
        return "\n".join(lines + self._warnings())


def _clean(code, what):
    """``code`` dedented, without a leading newline or trailing space; a SyntaxError naming ``what``."""
    if not isinstance(code, str):
        raise ValueError(f"Timer: {what} must be a string of Python code, got {type(code).__name__}; to time a "
                         f"function f, write Timer('f(x)', globals={{'f': f, 'x': x}})")
    code = textwrap.dedent(code)
    code = (code[1:] if code.startswith("\n") else code).rstrip()
    try:
        compile(code or "pass", f"<Timer {what}>", "exec")
    except SyntaxError as e:
        raise SyntaxError(f"Timer: {what} {code!r} is not valid Python: {e.msg} (line {e.lineno})") from None
    return code or "pass"


class Timer:
    """Time a statement, as ``torch.utils.benchmark.Timer``.

    Args:
        stmt: the Python code to time (a string).
        setup: code run once before each measurement (imports, data).
        global_setup: C++ only in PyTorch; must stay empty.
        timer: the clock, ``time.perf_counter`` by default.
        globals: the names ``stmt`` and ``setup`` see (a copy is used), e.g. ``globals()``; ``torch`` is
            ``tinygrad_lr`` unless given (``import tinygrad_lr as torch``).
        label, sub_label, description, env: names that label the Measurement.
        num_threads: BLAS threads while timing (as ``torch.set_num_threads``), applied through
            threadpoolctl when it is installed; without it the number only labels the Measurement.

    ``timeit(number)``: one block of ``number`` runs (after a warm-up of number/100 runs).
    ``blocked_autorange(min_run_time=0.2)``: a block size b = 1, 10, 100 ... large enough for the
    clock's overhead to vanish (≤ 1e-4 of the block, and the block ≥ min_run_time/1000), then blocks
    of b runs until ``min_run_time`` seconds have been spent timing.
    ``adaptive_autorange(threshold=0.1)``: blocks until IQR/median < threshold (at least 4 blocks and
    ``min_run_time``), or ``max_run_time`` is spent.
    """

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=time.perf_counter, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1, language="python"):
        if language not in ("python", "py"):
            raise ValueError(f"Timer: language must be 'python', got {language!r} (PyTorch's C++ timing is not "
                             "part of tinygrad_lr)")
        if global_setup:
            raise ValueError(f"Timer: global_setup is C++ only, got {global_setup!r}; put it in setup")
        if globals is not None and not isinstance(globals, dict):
            raise TypeError(f"Timer: globals must be a dict of the names stmt uses, got {type(globals).__name__}")
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"Timer: num_threads must be a positive integer, got {num_threads!r}")
        stmt, setup = _clean(stmt, "stmt"), _clean(setup, "setup")
        self._globals = dict(globals or {})
        if "torch" not in self._globals:
            import tinygrad_lr
            self._globals["torch"] = tinygrad_lr
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(stmt, setup, global_setup, label, sub_label, description, env, num_threads)

    def _time(self, number):
        """Seconds for ``number`` runs of stmt (at least 1 ns); a NameError says where names come from."""
        try:
            return max(self._timer.timeit(number), 1e-9)
        except NameError as e:
            raise NameError(f"Timer: {e} while running stmt {self._task_spec.stmt!r}; pass the names it uses "
                            "with globals={...} (e.g. globals=globals()) or define them in setup") from e

    def _threads(self):
        """A context that limits BLAS to num_threads while timing (threadpoolctl), or does nothing without it."""
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            import contextlib
            return contextlib.nullcontext()
        return threadpool_limits(limits=self._task_spec.num_threads, user_api="blas")

    def timeit(self, number=1000000):
        """One block of ``number`` runs, after a warm-up of max(number // 100, 2) runs."""
        if number < 1:
            raise ValueError(f"Timer.timeit: number must be at least 1, got {number}")
        with self._threads():
            self._time(max(number // 100, 2))
            return Measurement(number, [self._time(number)], self._task_spec)

    def _block_size(self, min_run_time):
        """Runs per block: ×10 until the clock's overhead is ≤ 1e-4 of a block lasting ≥ min_run_time/1000."""
        overhead = float(np.median([self._time(0) for _ in range(5)]))
        number = 1
        while number * 10 < 2 ** 31:
            spent = self._time(number)
            if spent > min_run_time or (overhead / spent <= 1e-4 and spent >= min_run_time / 1000):
                break
            number *= 10
        return number

    def _blocks(self, number, enough, min_run_time, max_run_time=None, callback=None):
        """Blocks of ``number`` runs until min_run_time is spent and ``enough(times)``, or max_run_time."""
        times, total = [], 0.0
        while True:
            spent = self._time(number)
            times.append(spent)
            total += spent
            if callback is not None:
                callback(number, spent)
            if total >= min_run_time and enough(times) or max_run_time is not None and total > max_run_time:
                return Measurement(number, times, self._task_spec)

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of runs (the block size chosen first) until ``min_run_time`` seconds were spent timing;
        ``callback(number, seconds)`` is called after each block."""
        with self._threads():
            return self._blocks(self._block_size(min_run_time), lambda times: True, min_run_time, callback=callback)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Blocks of runs until IQR / median < ``threshold`` (at least 4 blocks and ``min_run_time`` seconds),
        or ``max_run_time`` seconds were spent."""
        with self._threads():
            number = self._block_size(0.05)

            def steady(times):
                return len(times) > 3 and Measurement(number, times, self._task_spec).meets_confidence(threshold)
            return self._blocks(number, steady, min_run_time, max_run_time, callback)
