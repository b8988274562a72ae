"""A one-line progress bar on standard error, with no dependency.

    with Progress(total=10_000, label="sgd") as bar:
        for ...:
            bar.update(done, "epoch 3/10  loss 1.2e-04")

It draws only when it helps, once the work has taken longer than ``delay`` seconds,
and at most every ``interval`` seconds, so that drawing costs nothing next to training:

- on a terminal: one line, redrawn in place;
- in a Jupyter notebook (code running in the kernel, e.g. ``cli.main([...])``): one
  output that is updated in place, so the saved notebook keeps one line, not hundreds;
- in a program started from a notebook cell (``!tinygrad-lr ...``): its output looks
  like a terminal but is saved line by line, so it gets at most four plain lines
  (at 25, 50, 75 and 100 %);
- in a file, a pipe or a log: nothing.

``close()`` (or leaving the ``with`` block) erases the line (a notebook keeps its final state).
"""
import html
import sys
import time

from .. import notebook

QUARTERS = 4  # the plain lines drawn for a program started from a notebook: one per quarter of the work


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
        self.mode = _mode(self.file) if enabled else None  # "terminal", "notebook", "lines" or None
        self.enabled = self.mode is not None
        self.start = time.perf_counter()
        self.shown = False
        self._last_draw = float("-inf")
        self._line_width = 0
        self._display = None    # the notebook output being updated
        self._quarters = 0      # the plain lines drawn so far
        self._latest = (0, "")  # the last update, drawn by close() in a notebook

    def update(self, done, info=""):
        """Report that ``done`` of ``total`` is finished; ``info`` is shown after the bar."""
        if not self.enabled:
            return
        self._latest = (done, info)
        now = time.perf_counter()
        if now - self.start < self.delay or now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw(done, info, now - self.start)

    def _draw(self, done, info, elapsed):
        fraction = min(1.0, done / self.total) if self.total else 1.0
        filled = int(round(fraction * self.width))
        speed = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / speed if speed > 0 else 0.0
        numbers = f"{fraction:4.0%}  {info}  {speed:,.0f} {self.unit}/s  eta {eta:.0f}s"
        line = f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {numbers}"
        if self.mode == "notebook":
            self._draw_in_notebook(line, f"{self.label} {numbers}", fraction)
        elif self.mode == "lines":
            if int(fraction * QUARTERS) > self._quarters:   # a new quarter of the work is done
                self._quarters = int(fraction * QUARTERS)
                self.file.write(line.rstrip() + "\n")
                self.file.flush()
        else:
            self._line_width = max(self._line_width, len(line))
            self.file.write("\r" + line.ljust(self._line_width))
            self.file.flush()
            self.shown = True

    def _draw_in_notebook(self, line, text, fraction):
        from IPython.display import display   # only here: in_kernel() saw IPython running
        bundle = {"text/plain": line,
                  "text/html": f'<progress value="{fraction:.3f}" max="1" style="width:12em"></progress> '
                               f"<code>{html.escape(text)}</code>"}
        if self._display is None:
            self._display = display(bundle, raw=True, display_id=True)
        else:
            self._display.update(bundle, raw=True)
        self.shown = True

    def close(self):
        """Erase the bar (the summary printed next starts on a clean line); a notebook keeps its last state."""
        if self.shown and self.mode == "notebook":
            self._draw(*self._latest, time.perf_counter() - self.start)  # how far it got, and how fast
            self.shown = False
        elif self.shown:
            self.file.write("\r" + " " * self._line_width + "\r")
            self.file.flush()
            self.shown = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _mode(file):
    """How to draw on ``file``: see the module's docstring."""
    if (file is sys.stdout or file is sys.stderr) and notebook.in_kernel():
        return "notebook"
    if _is_terminal(file):
        return "lines" if notebook.under_kernel() else "terminal"
    return None


def _is_terminal(file):
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False
