"""A one-line progress bar on standard error, with no dependency.

    with Progress(total=10_000, label="sgd") as bar:
        for ...:
            bar.update(done, "epoch 3/10  loss 1.2e-04")

It draws only when it helps: on a terminal (not when standard error is a file
or a pipe), once the work has taken longer than ``delay`` seconds, and at most
every ``interval`` seconds, so that drawing costs nothing next to training.
``close()`` (or leaving the ``with`` block) erases the line.
"""
import sys
import time


class Progress:
    """``label [#####-----]  50%  info  12,345 samples/s  eta 3s`` on one line, redrawn in place.

    Args:
        total: the amount of work (e.g. the number of samples to process).
        label: a word in front of the bar (e.g. the method).
        unit: the unit of ``total``, for the speed.
        file: where to draw (default: standard error).
        delay: draw nothing during the first ``delay`` seconds (a short run stays silent).
        interval: redraw at most this often, in seconds.
        enabled: False draws nothing at all (``--quiet``).
        width: the number of characters of the bar.
    """

    def __init__(self, total, label="", unit="samples", file=None, delay=0.5, interval=0.1, enabled=True,
                 width=24):
        self.total, self.label, self.unit, self.width = total, label, unit, width
        self.file = sys.stderr if file is None else file
        self.delay, self.interval = delay, interval
        self.enabled = bool(enabled) and _is_terminal(self.file)
        self.start = time.perf_counter()
        self.shown = False
        self._last_draw = float("-inf")
        self._line_width = 0

    def update(self, done, info=""):
        """Report that ``done`` of ``total`` is finished; ``info`` is shown after the bar."""
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.delay or now - self._last_draw < self.interval:
            return
        self._last_draw = now
        fraction = min(1.0, done / self.total) if self.total else 1.0
        filled = int(round(fraction * self.width))
        speed = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / speed if speed > 0 else 0.0
        line = (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {fraction:4.0%}  {info}  "
                f"{speed:,.0f} {self.unit}/s  eta {eta:.0f}s")
        self._line_width = max(self._line_width, len(line))
        self.file.write("\r" + line.ljust(self._line_width))
        self.file.flush()
        self.shown = True

    def close(self):
        """Erase the bar (the summary printed next starts on a clean line)."""
        if self.shown:
            self.file.write("\r" + " " * self._line_width + "\r")
            self.file.flush()
            self.shown = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _is_terminal(file):
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False
