"""Whether operations are being recorded for backward: ``no_grad`` and friends.

One process-wide switch.  When it is off, ``Function.apply`` computes the
forward value and records nothing, so no graph (and no memory for one) exists.
"""
import functools

_enabled = True


def is_grad_enabled():
    """True when new operations are recorded for backward."""
    return _enabled


class _GradModeContext:
    """A ``with`` block that sets the mode and puts the previous one back; also a decorator."""
    mode = None

    def __enter__(self):
        global _enabled
        self.prev, _enabled = _enabled, self.mode
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):  # the same as `with no_grad():` around fn, without making a context
            global _enabled
            prev, _enabled = _enabled, mode
            try:
                return fn(*args, **kwargs)
            finally:
                _enabled = prev
        return wrapper


class no_grad(_GradModeContext):
    """Record nothing inside the block: for parameter updates and evaluation.

    Example::

        with no_grad():
            w -= lr * w.grad
    """
    mode = False


class enable_grad(_GradModeContext):
    """Record again inside a ``no_grad`` block."""
    mode = True


class set_grad_enabled(_GradModeContext):
    """Switch recording on or off; as a call, a ``with`` block or a decorator.

    ``set_grad_enabled(False)`` switches it off at once (like PyTorch); used with
    ``with`` it puts the previous mode back at the end of the block.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        self.mode = mode
        super().__enter__()  # at once, not only inside a with block

    def __enter__(self):
        return self  # already switched by __init__

    def __call__(self, fn):
        self.__exit__()  # used as a decorator: creating it must change nothing
        return super().__call__(fn)


# ---- anomaly mode: remember where each node was created, check every backward result ----
_anomaly_enabled = False
_anomaly_check_nan = True  # detect_anomaly(check_nan=False) records where ops were made, checks nothing


def anomaly_mode():
    """(enabled, check_nan): the anomaly mode now (``autograd.detect_anomaly`` sets it)."""
    return _anomaly_enabled, _anomaly_check_nan


def set_anomaly_mode(enabled, check_nan=True):
    """Switch anomaly mode; returns the previous (enabled, check_nan), to put back later."""
    global _anomaly_enabled, _anomaly_check_nan
    previous = (_anomaly_enabled, _anomaly_check_nan)
    _anomaly_enabled, _anomaly_check_nan = bool(enabled), bool(check_nan)
    return previous


def _creation_trace():
    """The user's lines that created a node (the library's own frames left out)."""
    import os
    import traceback
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frames = [f for f in traceback.extract_stack()[:-3] if not os.path.abspath(f.filename).startswith(package)]
    return "".join(traceback.format_list(frames[-4:]))
