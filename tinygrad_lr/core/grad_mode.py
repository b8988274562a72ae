"""Whether operations are being recorded for backward: ``no_grad`` and friends.

One process-wide switch.  When it is off, ``Function.apply`` computes the
forward value and records nothing, so no graph (and no memory for one) exists.
"""
import functools
import inspect

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
        """Used as a decorator: ``fn`` runs in this mode (a generator function: each time it resumes)."""
        mode = self.mode
        if inspect.isgeneratorfunction(fn):
            return _generator_in_mode(mode, fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):  # the same as `with no_grad():` around fn, without making a context
            global _enabled
            prev, _enabled = _enabled, mode
            try:
                return fn(*args, **kwargs)
            finally:
                _enabled = prev
        return wrapper


def _generator_in_mode(mode, fn):
    """``@no_grad()`` on a generator function, as PyTorch does it: each resumption of the generator (``next``,
    ``send``, ``throw``, ``close``) runs in ``mode``; the caller's code between two of them keeps its own."""
    @functools.wraps(fn)
    def generator(*args, **kwargs):
        gen = fn(*args, **kwargs)  # runs nothing of fn's body yet
        resume, value = gen.send, None
        while True:
            try:
                response = _call_in_mode(mode, resume, value)
            except StopIteration as stop:
                return stop.value
            try:
                resume, value = gen.send, (yield response)
            except GeneratorExit:
                _call_in_mode(mode, gen.close)
                raise
            except BaseException as e:  # thrown into this generator: pass it on to fn's
                resume, value = gen.throw, e
    return generator


def _call_in_mode(mode, fn, *args):
    global _enabled
    prev, _enabled = _enabled, mode
    try:
        return fn(*args)
    finally:
        _enabled = prev


class _WithoutArguments(_GradModeContext):
    """``no_grad()`` and ``enable_grad()`` take no arguments, but decorate without parentheses too:
    ``@no_grad`` is ``@no_grad()`` (as in PyTorch 2)."""

    def __new__(cls, fn=None):
        if fn is None:
            return super().__new__(cls)
        if not callable(fn):
            name = cls.__name__
            raise TypeError(f"{name}() takes no arguments (got one of type {type(fn).__name__}): write "
                            f"'with {name}():', or decorate a function with @{name}() or @{name}")
        return cls()(fn)


class no_grad(_WithoutArguments):
    """Record nothing inside the block: for parameter updates and evaluation.

    Also a decorator, with or without parentheses (``@no_grad()``, ``@no_grad``); on a generator
    function each step of the generator runs without recording.

    Example::

        with no_grad():
            w -= lr * w.grad
    """
    mode = False


class enable_grad(_WithoutArguments):
    """Record again inside a ``no_grad`` block; also a decorator (``@enable_grad()`` or ``@enable_grad``)."""
    mode = True


class set_grad_enabled(_GradModeContext):
    """Switch recording on or off; as a call, a ``with`` block or a decorator.

    ``set_grad_enabled(False)`` switches it off at once (like PyTorch); used with
    ``with`` it puts the previous mode back at the end of the block.
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            if callable(mode):
                raise TypeError(f"set_grad_enabled: mode must be True or False, got the function "
                                f"{getattr(mode, '__name__', mode)}; as a decorator: @set_grad_enabled(False)")
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
