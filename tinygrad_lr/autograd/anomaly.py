"""Anomaly mode: find the op whose backward made the first NaN or inf, and the line that created it.

A NaN in ``w.grad`` says nothing about where it came from: one ``log(0)``
early in the forward pass poisons every gradient after it.  Inside
``detect_anomaly()``:

1. every op records the user's source lines that created it (a few frames of
   the call stack: this is what makes anomaly mode slow, so it is off by default);
2. the engine checks each gradient a backward step produces, and stops at the
   first step that returns NaN or ±inf, naming the op, the input, its formula
   and where it was created.

Example::

    x = tensor([0.0, 1.0], requires_grad=True)
    with autograd.detect_anomaly():
        loss = x.log().sum()       # forward: log(0) = −inf
        loss.backward()            # RuntimeError: LogBackward: backward returned inf ... created at: loss = x.log().sum()

The forward pass must run inside the block too, or the ops cannot say where
they were created (the error still names the op).
"""
import functools

from ..core.grad_mode import anomaly_mode, set_anomaly_mode


def is_anomaly_enabled():
    """True inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``)."""
    return anomaly_mode()[0]


def is_anomaly_check_nan_enabled():
    """True when anomaly mode also checks the backward results for NaN and inf."""
    enabled, check_nan = anomaly_mode()
    return enabled and check_nan


def _check_flag(name, value):
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly mode on for a block.

    Args:
        check_nan: check every gradient a backward step returns and raise at the
            first NaN or inf (default True).  With False, ops still record where
            they were created, and any error raised by a backward step mentions it.

    Example::

        with tinygrad_lr.autograd.detect_anomaly():
            loss = model(X).log().mean()
            loss.backward()
    """

    def __init__(self, check_nan=True):
        _check_flag("detect_anomaly: check_nan", check_nan)
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = set_anomaly_mode(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        set_anomaly_mode(*self.prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly mode on or off: at once as a call, or for a ``with`` block.

    ``set_detect_anomaly(True)`` switches it on until ``set_detect_anomaly(False)``;
    used with ``with`` it puts the previous mode back at the end of the block.
    """

    def __init__(self, mode, check_nan=True):
        _check_flag("set_detect_anomaly: mode", mode)
        _check_flag("set_detect_anomaly: check_nan", check_nan)
        self.prev = set_anomaly_mode(mode, check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_anomaly_mode(*self.prev)
        return False
