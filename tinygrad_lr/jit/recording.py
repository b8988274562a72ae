"""One recorded call: the eager step run under a ``trace.Recorder``, and what it left behind.

``record(step, args, kwargs)`` runs the step eagerly once while the recorder notes its NumPy calls:
before the call it lends a tracing array to every tensor the step reaches (``world.py``) and to its
tensor arguments, stands a recorded number in for each param group's lr (so lr is an input of the
program), and marks each optimizer's ``step`` as the library's code (``optimizer_steps``); after it,
it gives every tensor its own array back.  ``Recording`` then notes what the call left behind (which
``.grad`` it set or cleared, which version counters moved, what it returned) and its fingerprint:
when two recordings in a row have the same one, they become a program (``replay.py``).

A replayed program runs none of the step's own Python.  So a call that changed Python state the step
reads (``world.changed()``: a counter, a list it appends to, an attribute it sets) or printed has side
effects the program would skip: the recording fails, and the step stays eager with one warning that
says what changed.
"""
import contextlib
import sys

import numpy as np

from ..core import Tensor, capture, internal
from .program import _key
from .trace import Recorder
from .tracing import Traced
from .world import discover, grad_of


def record(fn, args, kwargs, arg_names):
    """Run ``fn(*args, **kwargs)`` eagerly under a recorder: (its ``Recording``, what it returned)."""
    world = discover(fn)
    rec = Recorder()
    if world.failed:
        rec.fail(world.failed)
    tensors = tensor_args(args, kwargs)
    rec.arg_ids = {id(t): i for i, t in enumerate(tensors)}
    start = world.start_state()
    lent_lr = []
    for gi, (opt, group) in enumerate(world.groups):
        lr = group.get("lr")
        if type(lr) in (float, int):
            group["lr"] = rec.input_scalar(lr, gi)
            lent_lr.append((group, lr, group["lr"]))
    versions = {}
    printing = sys.stdout = _Printing(sys.stdout, rec)
    capture.recorder = rec
    try:
        with optimizer_steps(rec, world.optimizers):
            for t in tensors:
                versions[id(t)] = (t, t._version)
                capture.lend(t)
            for t in world.tensors:
                versions.setdefault(id(t), (t, t._version))
                capture.lend(t)
                g = grad_of(t)
                if g is not None:
                    versions.setdefault(id(g), (g, g._version))
                    capture.lend(g, t)
            result = fn(*args, **kwargs)
    except BaseException:
        capture.recorder = None
        capture.give_back()
        for group, lr, lent in lent_lr:
            if group.get("lr") is lent:
                group["lr"] = lr
        raise
    finally:
        if capture.recorder is rec:
            capture.recorder = None
        if sys.stdout is printing:
            sys.stdout = printing.stream
    replaced = capture.give_back()
    for group, lr, lent in lent_lr:
        if group.get("lr") is lent:
            group["lr"] = lr
        else:
            rec.fail("the step changes a learning rate itself")
    if replaced:
        rec.fail("the step replaces a tensor's array (p.data = ..., module.to(...))")
    changed = world.changed()
    if changed:
        rec.fail(side_effects(changed))
    if any(t.requires_grad for t in returned_tensors(result)) and not rec.backward_ran:
        rec.fail("it returns a tensor that requires grad, so its caller goes on to backpropagate through "
                 "it, and a replayed program returns values, not graphs. Compile the whole training step "
                 "(forward, loss, backward, optimizer.step()) rather than the model")
    for t, _, _, _, version in rec.lent:
        versions.setdefault(id(t), (t, version))
    recording = Recording(rec, world, start, versions, tensors, result, arg_names)
    settle(rec, world, result)
    return recording, result


def side_effects(changed):
    """The warning for a step whose own Python changed what it reads (``world.changed()``)."""
    what = "; ".join(r.change() for r in changed[:3]) + ("; ..." if len(changed) > 3 else "")
    return (f"the step changes Python state it reads ({what}), which a replayed program would not do: it runs "
            "none of the step's own Python. Move that out of the step: keep counters, lists and logs in the loop "
            "that calls it, updated from what the step returns")


class _Printing:
    """``sys.stdout`` while a call is recorded: what the step prints, a replayed program would not print."""

    def __init__(self, stream, rec):
        self.stream, self.rec = stream, rec

    def write(self, text):
        self.rec.fail("the step prints, and a replayed program runs none of the step's own Python: print after "
                      "the call, from what the step returns")
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


@contextlib.contextmanager
def optimizer_steps(rec, optimizers):
    """While the call is recorded, each optimizer's ``step`` runs as a region the recorder labels
    ``SGD.step``: the library's code, whose reads of values become guards (Adam's step count), and a
    closure given to it runs as the step's own code again.  (An attribute of the optimizer over its
    class's method, for the length of the call: the core knows nothing of optimizers.)"""
    before = []
    for opt in optimizers:
        before.append((opt, vars(opt).get("step", _NOTHING)))
        opt.step = _watched(rec, opt.step, f"{type(opt).__name__}.step")
    try:
        yield
    finally:
        for opt, step in reversed(before):
            if step is _NOTHING:
                vars(opt).pop("step", None)
            else:
                opt.step = step


_NOTHING = object()


def _watched(rec, step, label):
    def watched(*args, **kwargs):
        args = [_yours(rec, a) for a in args]
        kwargs = {k: _yours(rec, v) for k, v in kwargs.items()}
        with rec.region("step", label):
            return step(*args, **kwargs)
    return watched


def _yours(rec, fn):
    """A closure handed to an optimizer's step: it runs as the step's own code (its reads are yours)."""
    if not callable(fn) or isinstance(fn, Tensor):
        return fn

    def closure(*args, **kwargs):
        with rec.region("user", ""):
            return fn(*args, **kwargs)
    return closure


def returned_tensors(result):
    """The tensors in what the step returned (itself, or inside tuples, lists and dicts)."""
    if isinstance(result, Tensor):
        return [result]
    items = result.values() if isinstance(result, dict) else result if isinstance(result, (tuple, list)) else ()
    return [t for x in items for t in returned_tensors(x)]


def tensor_args(args, kwargs):
    """The tensors among the step's arguments (inside tuples and lists too), in order."""
    out = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor):
            out.append(a)
        elif isinstance(a, (tuple, list)):
            out.extend(x for x in a if isinstance(x, Tensor))
    return out


class Recording:
    """A finished recording and what the eager call left behind (see ``record``)."""

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
        owner = {id(x[0]): x[3] for x in rec.lent if x[3] is not None}   # a .grad's tensor
        for t, before in versions.values():
            moved = 0 if before is None else t._version - before
            if not moved:
                continue
            if id(t) in arg_of:
                self.bumps.append((("arg", arg_of[id(t)]), moved))
            elif id(t) in owner:
                self.bumps.append((("grad", owner[id(t)]), moved))
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
            if not x.is_leaf and grad_of(x) is not None:
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

    # ---- the fingerprint: two recordings that agree make a program -----------------------------------
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


def settle(rec, world, result):
    """Every tensor the call left behind holds a plain array over its memory, not the recording's tracing one
    (a step that stays eager must not pay for tracing arrays in its parameters' state ever after)."""
    def plain(t):
        if isinstance(t, Tensor):
            array = internal.values(t)
            if isinstance(array, Traced):
                capture.settle(t, np.ndarray.view(array, np.ndarray))
            g = grad_of(t)
            if g is not None and isinstance(internal.values(g), Traced):
                capture.settle(g, np.ndarray.view(internal.values(g), np.ndarray))
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
