"""``compile(step)``: the dispatch — which program a call runs, when to record, when to give up — and the cache.

How a call goes (``CompiledStep.__call__``):

1. Its *signature* (the shape, dtype and requires_grad of each tensor argument, the other
   arguments' values, grad mode) picks a program; a short last batch gets its own.
2. No program yet: the call runs eagerly while ``trace.Recorder`` notes its NumPy calls
   (``recording.py``).  When two calls in a row recorded the same calls on the same arrays,
   ``program.Program`` writes them out as a Python function of NumPy calls (``replay.py``), and
   later calls run that.
3. A program runs only if its guards hold: everything the step reads (``world.py``: a closure
   variable, a global, a key of a dict, an attribute of ``self``, a module's settings) still gives
   the same module, optimizer, tensor or object, or the same number, string or boolean; every
   parameter, buffer and optimizer state the recording used is still the same array on the same
   tensor; requires_grad, ``.grad`` being None or not, train()/eval(), the param groups' settings
   other than lr (lr is an input of the program: a scheduler changes it without a new recording;
   ``guards.py``).  A guard that fails means a new recording; the program's own guards (a branch the
   library takes on a value) run the call eagerly.
4. After the program ran, what the eager step would have left behind is put in place: each
   ``p.grad`` a new tensor over the gradient computed, the version counters of what was changed
   in place bumped, the returned loss a tensor (its value: its graph was used up by backward).
5. The safety net: at the 2nd, 4th, 8th, ... 1024th replay of each program, then every 1,000th, the
   call runs eagerly for real and the program on copies beside it (``Variant.side_by_side``); the
   first difference stops the step with an error.  ``compile(fn, verify=False)`` turns it off.

What cannot be seen is not guessed: reading values in the step's Python (``.item()``, ``print``),
Python state the step itself changes (a counter, a list it appends to: a replayed program would
not), anomaly mode, backward hooks, or calls whose recordings keep differing make the step eager,
with one warning; ``step.reason`` says why.
"""
import functools
import inspect
import warnings

from ..core import Tensor, capture, internal
from ..core.grad_mode import anomaly_mode, is_grad_enabled
from .program import Changed
from .recording import record
from .replay import MISS, NotCompilable, Variant, check_at, until_next_check

_RECORDINGS = 4      # eager calls recorded, at most, before two in a row agree
_RECOMPILES = 10     # new recordings after a guard failed, at most, before the step stays eager
_SIGNATURES = 16     # signatures at most
_VARIANTS = 4        # programs per signature at most (e.g. .grad None or not: gradient accumulation)


def compile(fn=None, *, check=False, verify=True):  # noqa: A001  (PyTorch's name: torch.compile)
    """Record a training step while it runs eagerly, then replay it as plain NumPy.

    ``step = tinygrad_lr.compile(fn)`` (or ``@tinygrad_lr.compile``) for a function that runs a
    whole step (forward, loss, ``zero_grad``, ``backward``, ``optimizer.step()``) on the tensors it
    is given and the modules and optimizers it uses.  The first calls run eagerly and record the
    NumPy calls they make; once two calls in a row recorded the same program, later calls with
    the same argument shapes run the program instead, and then leave behind what the eager step
    would: ``p.grad``, the updated parameters and optimizer state, the returned loss tensor.

    ``print(step)`` or ``step.program`` shows the program: NumPy source, with each block labelled
    with the op, backward step or update it comes from (``Linear.forward``, ``Linear.backward``, ``SGD.step``).

    What the step reads is guarded: a closure variable, global, key of a dict or attribute of
    ``self`` bound to another module, optimizer or loss, a number, string or boolean the step reads
    that changed, a module's settings — each means a new recording (eager, with one warning, past
    ten).  The step's own Python does not run when the program replays, so a step that changes
    Python state it reads (``counter += 1``, ``history.append(...)``) or prints stays eager, with one
    warning saying what changed.

    Limits (stated plainly):

    - Python that does not depend on tensors or on what the step reads is not seen: a
      ``random.random()`` in the step, an array changed in place, an attribute read with
      ``getattr(obj, name)``.  Two recordings must agree before a program is used, which catches
      most of it; the safety net (``verify``) compares a replay with the eager step now and then;
      ``compile(fn, check=True)`` compares every call.
    - Reading values in the step (``.item()``, ``float(t)``, ``bool(t)``, ``if t > 0``, ``print``,
      ``.tolist()``, ``.numpy()``), anomaly mode and backward hooks make the step eager from then on,
      with one warning; ``step.reason`` says why.  Read the loss after the call instead.
    - Tensors the step makes by means other than ops on tensors (``tinygrad_lr.zeros`` inside the
      step, random numbers: dropout) differ from call to call: the step stays eager.
    - The returned tensors hold values, not graphs.

    Args:
        fn: the step.
        check: run the eager step and the program side by side on every call and raise
            ``RuntimeError`` at the first difference (slow: for testing a step).
        verify: the safety net (on by default): the 2nd, 4th, 8th, ... 1024th replay of each program,
            then every 1,000th, runs eagerly with the program beside it, and ``RuntimeError`` stops
            the step at the first difference.  ``verify=False`` turns it off.

    Example::

        @tinygrad_lr.compile
        def train_step(X, y):
            loss = loss_fn(net(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        for X, y in loader:
            loss = train_step(X, y)
        print(loss.item())
    """
    if fn is None:
        return lambda f: CompiledStep(f, check, verify)
    return CompiledStep(fn, check, verify)


class CompiledStep:
    """What ``compile`` returns: call it like the step.  ``reason`` is None while it compiles; once the
    step runs eagerly for good, it says why.  ``program`` is the source of the program last run."""

    def __init__(self, fn, check=False, verify=True):
        if not callable(fn):
            raise TypeError(f"compile: expected a function (the training step), got {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn, self.check, self.verify = fn, bool(check), bool(verify)
        self.reason = None
        self.recompiles = 0
        self.recordings = 0   # calls recorded (each ran eagerly)
        self.replays = 0      # calls that ran a program
        self.verified = 0     # calls the safety net ran eagerly beside their program (not counted as replays)
        self._entries = {}
        self._last = None
        self._fast = []   # the fast paths of the programs used last (see replay.Variant._fast)
        try:
            self._arg_names = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            self._arg_names = []

    # ---- the call ---------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if self.reason is not None or capture.recorder is not None:  # (inside another step's recording: eager)
            return self.fn(*args, **kwargs)
        if not kwargs and not self.check:
            for fast in self._fast:  # the programs used last, each checking its own signature and guards
                try:
                    result = fast(args)
                except Changed:
                    break  # the slow path below runs it eagerly (and counts)
                if result is not MISS:
                    self.replays += 1
                    return result
        if anomaly_mode()[0]:
            return self._give_up("anomaly mode is on (detect_anomaly): its checks run in Python", args, kwargs)
        if internal.backward_watched():
            return self._give_up("a backward hook is watching (viz.trace_backward): hooks run in Python",
                                 args, kwargs)
        key = _signature(args, kwargs)
        if key is None:
            return self._give_up("an argument is neither a tensor nor a number (or a tuple of them)", args, kwargs)
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= _SIGNATURES:
                return self._give_up(f"more than {_SIGNATURES} different argument shapes", args, kwargs)
            entry = self._entries[key] = _Entry()
        failed = None
        for variant in entry.variants:
            failed = variant.guards_fail()
            if failed is None:
                self._last = variant
                try:
                    if self.check:
                        return variant.checked(self.fn, args, kwargs)
                    if self.verify:
                        variant.left[0] -= 1
                        if variant.left[0] <= 0:
                            return self._verified(variant, args, kwargs)
                    result = variant.replay(args, kwargs)
                    self.replays += 1
                    if variant.fast is not None:
                        self._fast = ([variant.fast] + [f for f in self._fast if f is not variant.fast])[:3]
                    return result
                except Changed as e:
                    entry.changed += 1
                    if entry.changed > _RECOMPILES:
                        return self._give_up(f"its program's guard ({e}) failed {_RECOMPILES} times", args, kwargs)
                    return self.fn(*args, **kwargs)
        if failed is not None:
            self.recompiles += 1
            if self.recompiles > _RECOMPILES:
                return self._give_up(f"it had to be recorded again {_RECOMPILES} times (last: {failed})",
                                     args, kwargs)
        return self._record(entry, args, kwargs, key)

    def _verified(self, variant, args, kwargs):
        """The safety net's turn: this call runs eagerly for real and its program on copies beside it (see
        ``Variant.side_by_side``); the first difference stops the step with an error."""
        eager, difference = variant.side_by_side(self.fn, args, kwargs)
        variant.checks += 1
        self.verified += 1
        if difference is not None:
            name = getattr(self.fn, "__name__", type(self.fn).__name__)
            self.reason = f"the safety net found the program and the eager step disagree on {difference}"
            raise RuntimeError(
                f"tinygrad_lr.compile({name}): the safety net ran replay {check_at(variant.checks)} of the program "
                f"beside the eager step, and they disagree on {difference}. This is a bug in tinygrad_lr.compile: "
                f"please report it with the step's code and its program (print({name}) shows it). The parameters "
                "hold the eager step's result for this call (earlier replays may have been wrong too), and the "
                "step runs eagerly from now on. compile(step, check=True) compares every call; "
                "compile(step, verify=False) turns these checks off.")
        variant.left[0] = until_next_check(variant.checks)
        return eager

    def _give_up(self, reason, args, kwargs):
        self.reason = reason
        warnings.warn(f"tinygrad_lr.compile({getattr(self.fn, '__name__', type(self.fn).__name__)}): the step runs eagerly from now "
                      f"on: {reason}", RuntimeWarning, stacklevel=3)
        return self.fn(*args, **kwargs)

    def _record(self, entry, args, kwargs, key=None):
        self.recordings += 1
        try:
            recording, result = record(self.fn, args, kwargs, self._arg_names)
        except BaseException:
            self.reason = "the step raised an exception while it was recorded"
            raise
        rec = recording.rec
        recording.positional = not kwargs and all(isinstance(a, Tensor) for a in args)
        recording.key = key if recording.positional else None
        if rec.reason is not None:
            return self._stop(rec.reason, result)
        match = next((r for r in entry.recordings if r.fingerprint == recording.fingerprint), None)
        if match is not None:
            try:
                variant = Variant(recording, getattr(self.fn, "__name__", type(self.fn).__name__), self.verify)
            except NotCompilable as e:
                return self._stop(str(e), result)
            entry.variants = (entry.variants + [variant])[-_VARIANTS:]
            entry.recordings = [r for r in entry.recordings if r is not match]
            self._last = variant
        elif len(entry.recordings) >= _RECORDINGS:
            return self._stop("the recorded calls differ from call to call (Python control flow that depends on "
                              "something other than the tensors' shapes?)", result)
        else:
            entry.recordings.append(recording)
        return result

    def _stop(self, reason, result):
        self.reason = reason
        warnings.warn(f"tinygrad_lr.compile({getattr(self.fn, '__name__', type(self.fn).__name__)}): the step runs eagerly from now "
                      f"on: {reason}", RuntimeWarning, stacklevel=3)
        return result

    # ---- for learners ---------------------------------------------------------------------------
    @property
    def program(self):
        """The NumPy source of the program last built or run (None before there is one)."""
        return None if self._last is None else self._last.program.source

    @property
    def programs(self):
        """The sources of all programs, one per signature (a short last batch has its own) and variant."""
        return [v.program.source for e in self._entries.values() for v in e.variants]

    def __str__(self):
        if self.reason is not None:
            return f"<compiled step {getattr(self.fn, '__name__', '')}: runs eagerly: {self.reason}>"
        sources = self.programs
        if not sources:
            return f"<compiled step {getattr(self.fn, '__name__', '')}: no program yet (call it a few times)>"
        return "\n".join(sources)

    def __repr__(self):
        state = "eager" if self.reason else f"{len(self.programs)} program(s)"
        return f"<compiled step {getattr(self.fn, '__name__', '')}: {state}>"


# ---- one signature: its recordings not matched yet, and its programs -----------------------------------------
class _Entry:
    """One signature: the recordings not matched yet, and its programs."""

    def __init__(self):
        self.recordings, self.variants, self.changed = [], [], 0


# ---- the signature of a call --------------------------------------------------------------------------------
def _sig1(a):
    if isinstance(a, Tensor):
        return ("T", tuple(a.shape), a.dtype.str, a.requires_grad)
    if isinstance(a, (tuple, list)):
        parts = tuple(_sig1(x) for x in a)
        return None if None in parts else (type(a).__name__,) + parts
    if a is None or isinstance(a, (bool, int, float, str)):
        return ("C", type(a).__name__, repr(a))
    return None


def _signature(args, kwargs):
    if not kwargs:  # the common case, fast: tensors as (shape, dtype, requires_grad)
        key = [is_grad_enabled()]
        for a in args:
            if not isinstance(a, Tensor):
                break
            array = internal.values(a)
            key.append((array.shape, array.dtype, a.requires_grad))
        else:
            return tuple(key)
    parts = [_sig1(a) for a in args] + [(k, _sig1(v)) for k, v in sorted(kwargs.items())]
    if any(p is None or (isinstance(p, tuple) and len(p) == 2 and p[1] is None) for p in parts):
        return None
    return (is_grad_enabled(),) + tuple(parts)
