"""``compile(step)``: a training step recorded while it runs eagerly, then replayed as NumPy.

How a call goes (``CompiledStep.__call__``):

1. Its *signature* (the shape, dtype and requires_grad of each tensor argument, the other
   arguments' values, grad mode) picks a program; a short last batch gets its own.
2. No program yet: the call runs eagerly while ``trace.Recorder`` notes its NumPy calls.  When
   two calls in a row recorded the same calls on the same arrays, ``program.Program`` writes them
   out as a Python function of NumPy calls, and later calls run that.
3. A program runs only if its guards hold: every parameter, buffer and optimizer state the
   recording used is still the same array on the same tensor, reached the same way (a closure
   variable, a module attribute, ``param_groups``, ``optimizer.state``); requires_grad, ``.grad``
   being None or not, train()/eval(), the param groups' settings other than lr (lr is an input of
   the program: a scheduler changes it without a new recording).  A guard that fails means a new
   recording; the program's own guards (a branch the library takes on a value) run the call eagerly.
4. After the program ran, what the eager step would have left behind is put in place: each
   ``p.grad`` a new tensor over the gradient computed, the version counters of what was changed
   in place bumped, the returned loss a tensor (its value: its graph was used up by backward).

What cannot be seen is not guessed: reading values in the step's Python (``.item()``, ``print``),
anomaly mode, backward hooks, or calls whose recordings keep differing make the step eager, with
one warning; ``step.reason`` says why.
"""
import functools
import inspect
import keyword
import types
import warnings

import numpy as np

from ..core import Tensor, capture, internal
from ..core.grad_mode import anomaly_mode, is_grad_enabled
from ..nn.module import Module
from ..optim.optimizer import Optimizer
from .program import Changed, Program
from .program import _key, _refs
from .trace import Recorder, Traced

_RECORDINGS = 4      # eager calls recorded, at most, before two in a row agree
_RECOMPILES = 10     # new recordings after a guard failed, at most, before the step stays eager
_SIGNATURES = 16     # signatures at most
_VARIANTS = 4        # programs per signature at most (e.g. .grad None or not: gradient accumulation)
MISS = object()  # what a program's fast path returns when the call is not for it


def compile(fn=None, *, check=False):  # noqa: A001  (PyTorch's name: torch.compile)
    """Record a training step while it runs eagerly, then replay it as plain NumPy.

    ``step = tinygrad_lr.compile(fn)`` (or ``@tinygrad_lr.compile``) for a function that runs a
    whole step (forward, loss, ``zero_grad``, ``backward``, ``optimizer.step()``) on the tensors it
    is given and the modules and optimizers it uses.  The first calls run eagerly and record the
    NumPy calls they make; once two calls in a row recorded the same program, later calls with
    the same argument shapes run the program instead, and then leave behind what the eager step
    would: ``p.grad``, the updated parameters and optimizer state, the returned loss tensor.

    ``print(step)`` or ``step.program`` shows the program: NumPy source, with each block labelled
    with the op it comes from and its formula.

    Limits (stated plainly):

    - Python that does not depend on tensors is not seen: a ``random.randint`` or a call counter
      in the step, or a new tensor bound to a name the step reads, is invisible once the program
      runs.  Two recordings must agree before a program is used, which catches most of it;
      ``compile(fn, check=True)`` runs eager and compiled side by side every call and raises at
      the first difference.
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
        return lambda f: CompiledStep(f, check)
    return CompiledStep(fn, check)


class CompiledStep:
    """What ``compile`` returns: call it like the step.  ``reason`` is None while it compiles; once the
    step runs eagerly for good, it says why.  ``program`` is the source of the program last run."""

    def __init__(self, fn, check=False):
        if not callable(fn):
            raise TypeError(f"compile: expected a function (the training step), got {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn, self.check = fn, bool(check)
        self.reason = None
        self.recompiles = 0
        self.replays = 0
        self._entries = {}
        self._last = None
        self._fast = []   # the fast paths of the programs used last (see _Variant._fast)
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

    def _give_up(self, reason, args, kwargs):
        self.reason = reason
        warnings.warn(f"tinygrad_lr.compile({getattr(self.fn, '__name__', type(self.fn).__name__)}): the step runs eagerly from now "
                      f"on: {reason}", RuntimeWarning, stacklevel=3)
        return self.fn(*args, **kwargs)

    def _record(self, entry, args, kwargs, key=None):
        world = _discover(self.fn)
        rec = Recorder()
        tensors = _tensor_args(args, kwargs)
        rec.arg_ids = {id(t): i for i, t in enumerate(tensors)}
        start = world.start_state()
        lent_lr = []
        for gi, (opt, group) in enumerate(world.groups):
            lr = group.get("lr")
            if type(lr) in (float, int):
                group["lr"] = rec.input_scalar(lr, gi)
                lent_lr.append((group, lr, group["lr"]))
        versions = {}
        capture.recorder = rec
        try:
            for t in tensors:
                versions[id(t)] = (t, t._version)
                capture.read(t)
            for t in world.tensors:
                versions.setdefault(id(t), (t, t._version))
                capture.read(t)
                if t.grad is not None:
                    versions.setdefault(id(t.grad), (t.grad, t.grad._version))
                    capture.read(t.grad, t)
            result = self.fn(*args, **kwargs)
        except BaseException:
            capture.recorder = None
            capture.give_back()
            for group, lr, lent in lent_lr:
                if group.get("lr") is lent:
                    group["lr"] = lr
            self.reason = "the step raised an exception while it was recorded"
            raise
        finally:
            if capture.recorder is rec:
                capture.recorder = None
        replaced = capture.give_back()
        for group, lr, lent in lent_lr:
            if group.get("lr") is lent:
                group["lr"] = lr
            else:
                rec.fail("the step changes a learning rate itself")
        if replaced:
            rec.fail("the step replaces a tensor's array (p.data = ..., module.to(...))")
        if any(t.requires_grad for t in _returned_tensors(result)) and rec.backward_passes == 0:
            rec.fail("it returns a tensor that requires grad, so its caller goes on to backpropagate through "
                     "it, and a replayed program returns values, not graphs. Compile the whole training step "
                     "(forward, loss, backward, optimizer.step()) rather than the model")
        for t, _, _, _, version in rec.lent:
            versions.setdefault(id(t), (t, version))
        recording = _Recording(rec, world, start, versions, tensors, result, self._arg_names)
        _settle(rec, world, result)
        recording.positional = not kwargs and all(isinstance(a, Tensor) for a in args)
        recording.key = key if recording.positional else None
        if rec.reason is not None:
            return self._stop(rec.reason, result)
        match = next((r for r in entry.recordings if r.fingerprint == recording.fingerprint), None)
        if match is not None:
            try:
                variant = _Variant(recording, getattr(self.fn, "__name__", type(self.fn).__name__))
            except _NotCompilable as e:
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


class _NotCompilable(Exception):
    pass


# ---- the signature of a call ----------------------------------------------------------------------------
def _returned_tensors(result):
    """The tensors in what the step returned (itself, or inside tuples, lists and dicts)."""
    if isinstance(result, Tensor):
        return [result]
    items = result.values() if isinstance(result, dict) else result if isinstance(result, (tuple, list)) else ()
    return [t for x in items for t in _returned_tensors(x)]


def _tensor_args(args, kwargs):
    out = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor):
            out.append(a)
        elif isinstance(a, (tuple, list)):
            out.extend(x for x in a if isinstance(x, Tensor))
    return out


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


# ---- what the step can reach: modules, optimizers, tensors, and how it reaches them ---------------------
class _World:
    """The modules, optimizers and tensors a step reaches through its closure, globals and ``self``."""

    def __init__(self):
        self.modules, self.optimizers, self.tensors = [], [], []
        self.paths = []        # (getter source, namespace objects, the object it must give)
        self.names = {}        # id(tensor) -> a name for the program
        self.groups = []       # (optimizer, param group)
        self._seen = set()

    def start_state(self):
        return tuple((t.grad is None, t.requires_grad) for t in self.tensors)

    def add(self, name, obj, path, depth=0):
        if id(obj) in self._seen:
            return
        if isinstance(obj, Module):
            self._seen.add(id(obj))
            self.modules.append((name, obj))
            if path:
                self.paths.append((path, obj))
            for pname, p in obj.named_parameters():
                self._tensor(p, _ident(name, pname), None)
            for bname, b in obj.named_buffers() if hasattr(obj, "named_buffers") else ():
                if isinstance(b, Tensor):
                    self._tensor(b, _ident(name, bname), None)
        elif isinstance(obj, Optimizer):
            self._seen.add(id(obj))
            self.optimizers.append(obj)
            if path:
                self.paths.append((path, obj))
        elif isinstance(obj, Tensor):
            self._seen.add(id(obj))
            self._tensor(obj, name, path)
        elif isinstance(obj, np.ndarray):  # an array the step reads: guard the name it is read by
            self._seen.add(id(obj))
            if path:
                self.paths.append((path, obj))
        elif isinstance(obj, (list, tuple)) and depth < 1:
            self._seen.add(id(obj))
            for i, x in enumerate(obj):
                self.add(f"{name}_{i}", x, None, depth + 1)
        elif isinstance(obj, dict) and depth < 1:
            self._seen.add(id(obj))
            for k, x in obj.items():
                self.add(f"{name}_{k}", x, None, depth + 1)
        elif isinstance(obj, (types.FunctionType, types.MethodType)) and depth < 2 and _is_user_code(obj):
            self._seen.add(id(obj))
            _scan(self, obj, depth + 1)
        elif depth == 0 and hasattr(obj, "__dict__") and not isinstance(obj, (type, types.ModuleType)) \
                and _is_user_code(type(obj)):
            self._seen.add(id(obj))
            for attr, x in list(vars(obj).items())[:64]:
                self.add(attr, x, None, depth + 1)

    def _tensor(self, t, name, path):
        if id(t) not in self.names:
            self.names[id(t)] = name
            self.tensors.append(t)
        if path:
            self.paths.append((path, t))

    def finish(self):
        """After the scan: the optimizers' parameters and state are reached through them; short names."""
        short = {}
        for t in self.tensors:
            short.setdefault(self.names[id(t)].split("_")[-1], []).append(t)
        for base, ts in short.items():
            if len(ts) == 1 and "_" in self.names[id(ts[0])] and base.isidentifier() and not base[0].isdigit():
                self.names[id(ts[0])] = base
        for i, opt in enumerate(self.optimizers):
            for group in opt.param_groups:
                self.groups.append((opt, group))
                for p in group["params"]:
                    self._tensor(p, f"p{len(self.names)}", None)
        for opt in self.optimizers:
            self.add_state(opt)

    def add_state(self, opt):
        for p, state in opt.state.items():
            for k, v in state.items():
                if isinstance(v, Tensor):
                    self._tensor(v, f"{self.names.get(id(p), 'p')}_{k}", None)


def _ident(*parts):
    name = "_".join(str(p) for p in parts if p not in (None, "")).replace(".", "_")
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "t"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "_" + name
    return name


def _is_user_code(obj):
    module = getattr(obj, "__module__", "") or ""
    return not (module.startswith("tinygrad_lr") or module.startswith("numpy") or module in ("builtins",))


def _scan(world, fn, depth=0):
    self = getattr(fn, "__self__", None)
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        try:
            obj = cell.cell_contents
        except ValueError:
            continue
        world.add(name, obj, ("cell", cell) if depth == 0 else None, depth)
    g = fn.__globals__
    for name in code.co_names:
        if name in g:
            world.add(name, g[name], ("global", g, name) if depth == 0 else None, depth)
    if self is not None:
        world.add("self", self, None, depth)


def _discover(fn):
    world = _World()
    _scan(world, fn)
    world.finish()
    return world


# ---- one recording, and its fingerprint -------------------------------------------------------------------
class _Recording:
    """A finished recording and what the eager call left behind (see ``CompiledStep._record``)."""

    def __init__(self, rec, world, start, versions, tensors, result, arg_names):
        self.rec, self.world, self.start, self.tensors = rec, world, start, tensors
        self.arg_names = arg_names
        self.outputs = []     # value ids the program returns
        self.grads = []       # (parameter, index into outputs): p.grad = a new tensor over it
        self.cleared = []     # parameters whose .grad ends None
        self.bumps = []       # (how to find the tensor, times its version counter moved)
        if rec.reason is not None:
            return
        for opt in world.optimizers:   # state made by this call (the first step) is reached through them too
            world.add_state(opt)
        self.result = self._result(result)
        arg_of = {id(t): i for i, t in enumerate(tensors)}
        seen = set()
        for t in world.tensors + [t for t, *_ in rec.lent]:
            if id(t) in seen or not (isinstance(t, Tensor) and t.is_leaf and t.requires_grad):
                continue
            seen.add(id(t))
            target = ("arg", arg_of[id(t)]) if id(t) in arg_of else t   # an argument: the call's own tensor
            g = t.grad
            if g is None:
                self.cleared.append(target)
                continue
            if g.requires_grad or g.grad_fn is not None:
                rec.fail("the step takes gradients with create_graph=True (a .grad with a graph of its own)")
                return
            array = internal.values(g)
            if isinstance(array, Traced) and getattr(array, "_rec", None) is rec and hasattr(array, "_v"):
                self.grads.append((target, self._output(array._v)))
                capture.settle(g, np.ndarray.view(array, np.ndarray))
        self._settle_state()
        grad_of = {id(x[0]): x[3] for x in rec.lent if x[3] is not None}
        for t, before in versions.values():
            moved = 0 if before is None else t._version - before
            if not moved:
                continue
            if id(t) in arg_of:
                self.bumps.append((("arg", arg_of[id(t)]), moved))
            elif id(t) in grad_of:
                self.bumps.append((("grad", grad_of[id(t)]), moved))
            else:
                self.bumps.append((("tensor", t), moved))
        if tuple(t.requires_grad for t in world.tensors[:len(start)]) != tuple(s[1] for s in start):
            rec.fail("the step switches requires_grad")
        self.fingerprint = self._fingerprint()

    def _output(self, vid):
        self.outputs.append(vid)
        return len(self.outputs) - 1

    def _result(self, x):
        if isinstance(x, Tensor):
            if not x.is_leaf and x.grad is not None:
                self.rec.fail("the step returns a tensor that kept its gradient (retain_grad)")
                return None
            array = internal.values(x)
            if isinstance(array, Traced) and getattr(array, "_rec", None) is self.rec and hasattr(array, "_v"):
                capture.settle(x, np.ndarray.view(array, np.ndarray))
                return ("tensor", self._output(array._v))
            if any(x is t for t, *_ in self.rec.lent):
                return ("same", x)
            self.rec.fail("the step returns a tensor it did not compute with ops on tensors")
            return None
        if isinstance(x, (tuple, list)):
            return (type(x).__name__, [self._result(i) for i in x])
        if isinstance(x, dict):
            return ("dict", {k: self._result(v) for k, v in x.items()})
        if x is None or isinstance(x, (bool, int, str)) or type(x) is float:
            return ("const", x)
        self.rec.fail(f"the step returns a {type(x).__name__}")
        return None

    def _settle_state(self):
        """Tensors made in the recorded call (optimizer state) get plain arrays over the same memory."""
        for opt in self.world.optimizers:
            for state in opt.state.values():
                for v in state.values():
                    if isinstance(v, Tensor):
                        array = internal.values(v)
                        if isinstance(array, Traced):
                            capture.settle(v, np.ndarray.view(array, np.ndarray))

    def _fingerprint(self):
        rec = self.rec
        nodes = []
        for n in rec.nodes:
            fn = n.fn if n.kind != "ufunc" else (n.fn[0].__name__, n.fn[1])
            fn = getattr(fn, "__qualname__", fn) if not isinstance(fn, (str, tuple)) else fn
            nodes.append((n.kind, fn, _key(n.args), _key(n.kwargs), n.out, n.writes))
        values = []
        for vid, v in rec.values.items():
            if v.kind == "ext":  # by its array: a tensor made afresh each call around one array is that array
                values.append((vid, "ext", id(v.array)))
            elif v.kind == "const":
                a = v.array
                values.append((vid, "const", a.shape, a.dtype.str, a.tobytes()))
            elif v.kind == "grad":
                values.append((vid, "grad", id(v.info)))
            else:
                values.append((vid, v.kind, v.info if not isinstance(v.info, Tensor) else id(v.info)))
        return (tuple(nodes), tuple(values), _key_result(self.result), tuple((_id(p), i) for p, i in self.grads),
                tuple(_id(p) for p in self.cleared), tuple((k[0], id(k[1]) if not isinstance(k[1], int) else k[1], n)
                                                          for k, n in self.bumps),
                self.start, tuple(id(t) for t in self.world.tensors))


def _settle(rec, world, result):
    """Every tensor the call left behind holds a plain array over its memory, not the recording's tracing one
    (a step that stays eager must not pay for tracing arrays in its parameters' state ever after)."""
    def plain(t):
        if isinstance(t, Tensor):
            array = internal.values(t)
            if isinstance(array, Traced):
                capture.settle(t, np.ndarray.view(array, np.ndarray))
            if t.grad is not None and isinstance(internal.values(t.grad), Traced):
                capture.settle(t.grad, np.ndarray.view(internal.values(t.grad), np.ndarray))
        elif isinstance(t, (tuple, list)):
            for x in t:
                plain(x)
        elif isinstance(t, dict):
            for x in t.values():
                plain(x)
    plain(result)
    for t in world.tensors + [x[0] for x in rec.lent]:
        plain(t)
    for opt in world.optimizers:
        for state in opt.state.values():
            plain(list(state.values()))


def _id(target):
    return target if isinstance(target, tuple) else id(target)


def _key_result(spec):
    if spec is None:
        return None
    kind, x = spec
    if kind == "same":
        return (kind, id(x))
    if kind in ("tuple", "list"):
        return (kind, tuple(_key_result(i) for i in x))
    if kind == "dict":
        return (kind, tuple((k, _key_result(v)) for k, v in x.items()))
    return (kind, repr(x))


# ---- one signature: its recordings, its program, its guards, its replay ---------------------------------
class _Entry:
    """One signature: the recordings not matched yet, and its programs."""

    def __init__(self):
        self.recordings, self.variants, self.changed = [], [], 0


class _Variant:
    """One program, its guards, and how to run it and leave behind what the eager step would."""

    def __init__(self, r, title):
        rec, world = r.rec, r.world
        names, used = {}, {"np", "Changed", "step", "operator"}

        def name(vid, base):
            base = _ident(base)
            candidate, k = base, 1
            while candidate in used:
                k += 1
                candidate = f"{base}{k}"
            used.add(candidate)
            names[vid] = candidate

        referenced = set()
        for node in rec.nodes:
            referenced.update(_refs(node.args), _refs(node.kwargs))
            if node.writes is not None:
                referenced.add(node.writes)
        params, inputs = [], []   # program parameters (value ids) and how to fetch each at replay
        lrs = sum(1 for v in rec.values.values() if v.kind == "input")
        for vid, v in rec.values.items():
            if v.kind in ("arg", "grad", "input") and vid not in referenced:
                continue
            if v.kind == "arg":
                arg_name = r.arg_names[v.info] if v.info < len(r.arg_names) else f"arg{v.info}"
                name(vid, arg_name)
                params.append(vid)
                inputs.append(("arg", v.info))
            elif v.kind == "grad":
                name(vid, world.names.get(id(v.info), "p") + "_grad")
                params.append(vid)
                inputs.append(("grad", v.info))
            elif v.kind == "input":
                name(vid, "lr" if lrs == 1 else f"lr_{v.info}")
                params.append(vid)
                inputs.append(("lr", world.groups[v.info][1]))
            elif v.kind == "ext" and id(v.tensor) in world.names:
                name(vid, world.names[id(v.tensor)])
        outputs = []
        result_name = "loss" if r.result and r.result[0] == "tensor" else "out"
        for i, vid in enumerate(r.outputs):
            label = next((world.names.get(id(p), "p") + "_grad" if not isinstance(p, tuple) else
                          f"{r.arg_names[p[1]] if p[1] < len(r.arg_names) else 'arg' + str(p[1])}_grad"
                          for p, j in r.grads if j == i), None)
            if label is None:
                label = result_name if sum(1 for _ in r.outputs) - len(r.grads) == 1 else f"out{i}"
            if vid not in names:
                name(vid, label)
            outputs.append((vid, names[vid]))
        shapes = ", ".join(f"{names.get(vid, '?')} {tuple(rec.values[vid].array.shape)}"
                           for vid in params if rec.values[vid].kind == "arg")
        program = Program(rec, names, params, outputs, title=f"compiled {title}({shapes})")
        inputs = [inputs[params.index(v)] for v in program.params]
        self._check_guard_order(program)
        self.program, self.inputs, self.r = program, inputs, r
        self._guards = _Guards(r, program)
        self._positional = r.positional  # the call's arguments are its tensors, in order
        self._replay = self._glue()

    @staticmethod
    def _check_guard_order(program):
        first_write = None
        for i, node in enumerate(program.nodes):
            if node.writes is not None and program.values[program._root(node.writes)].kind != "op" \
                    and first_write is None:
                first_write = i
            if node.kind == "guard" and first_write is not None:
                raise _NotCompilable(f"the step branches on a value ({node.where.split(':')[0]}) after it has "
                                     "updated a parameter, so a program could not fall back to eager safely")

    def guards_fail(self):
        return self._guards.fail()

    def _gather(self, args, kwargs):
        tensors = _tensor_args(args, kwargs)
        out = []
        for kind, info in self.inputs:
            if kind == "arg":
                out.append(internal.values(tensors[info]))
            elif kind == "grad":
                out.append(internal.values(info.grad))
            else:
                out.append(info["lr"])
        return tensors, out

    def replay(self, args, kwargs):
        return self._replay(args if not kwargs and self._positional else _tensor_args(args, kwargs))

    def _glue(self):
        """``replay(tensors)``, generated: fetch the inputs, run the program, leave behind what eager would."""
        ns = {"run": self.program.run, "values": internal.values, "set_grad": internal.set_grad,
              "mark_changed": internal.mark_changed, "wrap": internal.wrap, "asarray": np.asarray, "ndarray": np.ndarray}

        def obj(x):
            name = f"q{len(ns)}"
            ns[name] = x
            return name
        fetch = []
        for kind, info in self.inputs:
            fetch.append(f"values(tensors[{info}])" if kind == "arg" else f"values({obj(info)}.grad)" if kind == "grad"
                         else f"{obj(info)}['lr']")
        lines = [f"    r = run({', '.join(fetch)})"]
        r = self.r
        def target(p):
            return f"tensors[{p[1]}]" if isinstance(p, tuple) else obj(p)
        lines += [f"    {target(p)}.grad = None" for p in r.cleared]
        for p, i in r.grads:
            lines.append(f"    g = r[{i}]")
            lines.append(f"    set_grad({target(p)}, g if type(g) is ndarray else asarray(g))")
        for (kind, x), times in r.bumps:
            t = f"tensors[{x}]" if kind == "arg" else f"{obj(x)}.grad" if kind == "grad" else obj(x)
            lines += [f"    mark_changed({t})"] * times

        def rebuild(spec):
            if spec is None:
                return "None"
            kind, x = spec
            if kind == "tensor":
                return f"wrap(r[{x}] if type(r[{x}]) is ndarray else asarray(r[{x}]))"
            if kind == "same":
                return obj(x)
            if kind == "const":
                return repr(x)
            if kind == "dict":
                return "{" + ", ".join(f"{k!r}: {rebuild(v)}" for k, v in x.items()) + "}"
            items = "".join(rebuild(i) + ", " for i in x)
            return f"({items})" if kind == "tuple" else f"[{items}]"
        lines.append(f"    return {rebuild(r.result)}")
        self.glue_source = "def replay(tensors):\n" + "\n".join(lines) + "\n"
        exec(self.glue_source, ns)
        self.fast = self._fast(ns, lines) if r.positional and r.key is not None else None
        return ns["replay"]

    def _fast(self, glue_ns, lines):
        """``fast(args)``, generated: the whole call for this program — the signature, the guards and the replay
        in one function, without loops (a small step's time is mostly Python around its kernels).  It returns
        ``MISS`` when anything does not hold; the caller then takes the slow path, which says what."""
        key = self.r.key
        ns = dict(self._guards.ns, **glue_ns)
        ns.update(MISS=MISS, Tensor=Tensor, inspected=internal.backward_inspected)
        n = len(key) - 1
        names = [f"a{i}" for i in range(n)]
        conds = [f"isinstance({a}, Tensor)" for a in names]
        checks = []
        for i, (shape, dtype, requires_grad) in enumerate(key[1:]):
            ns[f"D{i}"] = dtype
            # (dtype by identity: NumPy's dtypes are singletons; another equal one only means the slow path)
            checks.append(f"d{i}.shape == {shape!r} and d{i}.dtype is D{i} and a{i}.requires_grad is {requires_grad!r}")
        body = ["def fast(args):",
                f"    if len(args) != {n} or inspected() or is_grad_enabled() is not {key[0]!r}:",
                "        return MISS"]
        if n:
            body.append(f"    {', '.join(names)}, = args")
            body.append(f"    if not ({' and '.join(conds)}):")
            body.append("        return MISS")
            body.append(f"    {', '.join(f'd{i}' for i in range(n))}, = {', '.join(f'values(a{i})' for i in range(n))},")
            body.append(f"    if not ({' and '.join(checks)}):")
            body.append("        return MISS")
        body.append("    try:")
        body.append("        if not (" + " and ".join(self._guards.conds or ["True"]) + "):")
        body.append("            return MISS")
        body.append("    except (LookupError, AttributeError, TypeError):  # a key, an entry or a name is gone")
        body.append("        return MISS")
        body.append("    tensors = args")
        body += lines
        source = "\n".join(body) + "\n"
        for i in range(n):
            source = source.replace(f"values(tensors[{i}])", f"d{i}")
        self.fast_source = source
        exec(source, ns)
        return ns["fast"]

    def checked(self, fn, args, kwargs):
        """check=True: the program on copies of everything it touches, the eager step on the real thing."""
        tensors, inputs = self._gather(args, kwargs)
        ns = self.program.namespace
        saved = {k: v for k, v in ns.items() if isinstance(v, np.ndarray)}
        copies = {k: v.copy() for k, v in saved.items()}
        ns.update(copies)
        try:
            results = self.program.run(*[a.copy() if isinstance(a, np.ndarray) else a for a in inputs])
        finally:
            ns.update(saved)
        eager = fn(*args, **kwargs)
        for k, v in saved.items():
            if not np.array_equal(copies[k], v, equal_nan=True):
                raise RuntimeError(f"compile(check=True): the program and the eager step disagree on {k} "
                                   f"(max difference {np.max(np.abs(copies[k] - v)):.3g})")
        for p, i in self.r.grads:
            p = tensors[p[1]] if isinstance(p, tuple) else p
            got = _array(results[i])
            if p.grad is None or not np.array_equal(got, internal.values(p.grad), equal_nan=True):
                raise RuntimeError("compile(check=True): the program and the eager step disagree on the gradient "
                                   f"{self.program.names.get(self.r.outputs[i], '?')}")
        _compare_results(self.r.result, results, eager)
        return eager


def _array(x):
    return x if type(x) is np.ndarray else np.asarray(x)


def _compare_results(spec, results, eager):
    if spec is None:
        return
    kind, x = spec
    if kind == "tensor":
        if not np.array_equal(_array(results[x]), internal.values(eager), equal_nan=True):
            raise RuntimeError("compile(check=True): the program and the eager step return different values")
    elif kind in ("tuple", "list"):
        for s, e in zip(x, eager):
            _compare_results(s, results, e)
    elif kind == "dict":
        for k, s in x.items():
            _compare_results(s, results, eager[k])


class _Guards:
    """What must still hold for a program to be run, as one generated function (cheap to call)."""

    def __init__(self, r, program):
        ns, conds, labels = {"values": internal.values, "is_grad_enabled": is_grad_enabled}, [], []

        def obj(x):
            name = f"o{len(ns)}"
            ns[name] = x
            return name

        world = r.world
        for path, target in world.paths:
            if path[0] == "cell":
                conds.append(f"{obj(path[1])}.cell_contents is {obj(target)}")
            else:
                conds.append(f"{obj(path[1])}[{path[2]!r}] is {obj(target)}")  # (a KeyError: the guard fails)
            labels.append("a name the step reads is bound to another object")
        for mname, m in world.modules:
            for sub in m.modules():
                conds.append(f"{obj(sub)}.training is {sub.training!r}")
                labels.append("train()/eval() was switched")
            for pname, p in m.named_parameters():
                owner, _, attr = pname.rpartition(".")
                holder = m
                for part in owner.split(".") if owner else ():
                    holder = getattr(holder, part)
                # the registry Module documents (its docstring): getattr would go through __getattr__, slowly
                conds.append(f"{obj(holder)}._parameters.get({attr!r}) is {obj(p)}")
                labels.append(f"parameter {pname} was replaced")
        for opt in world.optimizers:
            conds.append(f"len({obj(opt)}.param_groups) == {len(opt.param_groups)}")
            labels.append("the optimizer's param groups changed")
            for group in opt.param_groups:
                g = obj(group)
                conds.append(f"len({g}['params']) == {len(group['params'])}")
                labels.append("a param group's parameters changed")
                for i, p in enumerate(group["params"]):
                    conds.append(f"{g}['params'][{i}] is {obj(p)}")
                    labels.append("a param group's parameters changed")
                same = []   # the settings compared by value (one tuple)
                for k, v in group.items():
                    if k == "params":
                        continue
                    if k == "lr" and type(v) in (float, int):
                        conds.append(f"type({g}['lr']) in (float, int)")
                        labels.append("the learning rate is not a number any more")
                    elif v is None or isinstance(v, (bool, int, float, str, tuple)):
                        same.append((k, v))
                    else:
                        conds.append(f"{g}[{k!r}] is {obj(v)}")
                        labels.append(f"the optimizer's setting {k!r} changed")
                if same:
                    keys = "".join(f"{g}[{k!r}], " for k, _ in same)
                    conds.append(f"({keys}) == {obj(tuple(v for _, v in same))}")
                    labels.append("the optimizer's settings (" + ", ".join(k for k, _ in same) + ") changed")
            for p, state in opt.state.items():
                s = obj(state)
                conds.append(f"{obj(opt)}.state[{obj(p)}] is {s}")
                labels.append("the optimizer's state was replaced")
                for k, v in state.items():
                    if isinstance(v, Tensor):
                        conds.append(f"{s}[{k!r}] is {obj(v)}")
                        labels.append("the optimizer's state was replaced")
        seen = set()
        for vid, v in program.values.items():
            if v.kind == "ext" and v.tensor is not None and id(v.tensor) not in seen:
                seen.add(id(v.tensor))
                conds.append(f"values({obj(v.tensor)}) is {obj(v.array)}")
                labels.append("a tensor the program uses was given another array (resized or replaced)")
        for t, (grad_none, requires_grad) in zip(world.tensors, r.start):
            conds.append(f"{obj(t)}.requires_grad is {requires_grad!r}")
            labels.append("requires_grad was switched")
            conds.append(f"({obj(t)}.grad is None) is {grad_none!r}")
            labels.append(".grad was None in the recording and is not now (or the other way)")
        known = {id(t) for t in world.tensors}
        for kind, info in [(k, i) for k, i in program_inputs(r)]:
            if kind == "grad" and id(info) not in known:   # (the others' .grad is guarded above)
                conds.append(f"{obj(info)}.grad is not None")
                labels.append("a gradient the program adds to is None")
        self.ns, self.conds, self.labels = ns, conds, labels
        source = ("def ok():\n    try:\n        return (" + " and\n                ".join(conds or ["True"]) + ")\n"
                  "    except (LookupError, AttributeError, TypeError):  # a key, an entry or a name is gone\n"
                  "        return False\n")
        exec(source, ns)
        self.ok = ns["ok"]

    def fail(self):
        """None if every guard holds, else what changed."""
        if self.ok():
            return None
        for cond, label in zip(self.conds, self.labels):
            try:
                if not eval(cond, self.ns):
                    return label
            except (LookupError, AttributeError, TypeError):
                return label
        return "a guard failed"


def program_inputs(r):
    return [(v.kind, v.info) for v in r.rec.values.values() if v.kind in ("grad",)]

