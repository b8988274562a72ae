"""The recorder: every NumPy call one eager call makes, in order, and where each comes from.

The tracing arrays (``tracing.py``) hand each NumPy call made on them to the ``Recorder``, which runs
it on the plain arrays, so the eager call computes exactly what it computes without the recorder,
and notes a ``Node``: the function, its arguments (a ``Ref`` for each recorded value, or a
constant), its result (a new recorded value) and the value whose memory it writes.

The core tells the recorder what it is doing through ``core/capture.py``, the one seam between the
two, and the recorder learns from those calls alone where each node comes from: inside an op's
forward (``Linear.forward``) or a backward step (``Linear.backward``), an optimizer's step
(``SGD.step``, which ``recording.py`` marks), gradient bookkeeping (``zero_grad``, ``backward: into
.grad``), an in-place update (``sub_ (in place)``), or between ops.  It never looks at the call stack,
at file names or at docstrings.

A branch the library takes on a recorded value (``if bad.any()``, ``alpha != 1``) becomes a guard of
the program.  Reading values in *your* code inside the step (``.item()``, ``float(t)``, ``if t > 0``,
``print(t)``, ``.numpy()``, ``.tolist()``) cannot be recorded — what your Python does with them is
invisible — so the recorder gives up (``fail``) and the step stays eager.  Whose read is it?  The
library's when it happens inside an op, a backward step or an optimizer's step, or when it reads a
library view (``tracing.LibraryView``: what ``internal.values`` lends the layers above the core,
and what is computed from it); any other read is taken to be yours.
"""
import contextlib

import numpy as np

from ..core import capture
from ..core.primitives import CopySlices
from .tracing import _PY_OPS, LibraryView, Scalar, Traced, _plain, _unwrap_plain

_LIBRARY = ("forward", "backward", "step")  # the regions whose code is the library's (see Recorder.enter)


class Unsupported(Exception):
    """Raised inside the recorder only; turned into ``fail``: the step stays eager."""


class Ref:
    """A recorded value in a node's arguments: ``Ref(7)`` is value 7."""
    __slots__ = ("id",)

    def __init__(self, id):
        self.id = id

    def __repr__(self):
        return f"v{self.id}"


class Node:
    """One recorded call: ``kind`` ('ufunc', 'func', 'method', 'getitem', 'setitem', 'scalar', 'read', 'guard'),
    ``fn`` (the ufunc and its method, the function, the method's or operator's name), the arguments with
    ``Ref`` s in them, the value it makes (``out``) and the value whose memory it writes (``writes``)."""
    __slots__ = ("kind", "fn", "args", "kwargs", "out", "writes", "where", "shape", "dtype")

    def __init__(self, kind, fn, args, kwargs, out=None, writes=None, where=""):
        self.kind, self.fn, self.args, self.kwargs = kind, fn, args, kwargs
        self.out, self.writes, self.where = out, writes, where
        self.shape = self.dtype = None


class Value:
    """What a value id stands for: ``kind`` is 'arg' (the i-th tensor argument), 'ext' (an array the step
    found, e.g. a parameter: used by reference), 'grad' (the array of ``p.grad``, looked up each call),
    'input' (a scalar input: a group's lr), 'const' (an array or number made outside the recorded calls,
    used by value) or 'op' (made by a node)."""
    __slots__ = ("kind", "info", "array", "tensor")

    def __init__(self, kind, info=None, array=None, tensor=None):
        self.kind, self.info, self.array, self.tensor = kind, info, array, tensor


# ---- the recorder --------------------------------------------------------------------------------------
class Recorder:
    """Notes the NumPy calls of one eager call; ``nodes`` and ``values`` are the recording.

    The core reaches it through ``core/capture.py``, whose points call the methods under "the seam"
    below; ``jit/recording.py`` marks each optimizer's step with ``region``.
    """

    def __init__(self):
        self.nodes, self.values = [], {}
        self.reason = None
        self._by_array = {}     # id(array) -> (value id, the tracing view lent for it)
        self._keep = []         # the arrays behind the ids above stay alive while the recording lives
        self.lent = []          # (tensor, value id, its array, grad_of, its version then) for each tensor lent a view
        self.arg_ids = {}       # id(tensor) -> i for the step's tensor arguments
        self.scalars = set()    # the values plain NumPy gives as NumPy scalars (held here as 0-d arrays)
        self.backward_ran = False  # a backward step ran, or a gradient went into a .grad
        self.where = ""         # the label of the calls noted now (see enter and point)
        self._regions = []      # (kind, label) of the regions open now, innermost last
        self._inplace = None    # the last in-place op (its name: the one a CopySlices comes from)
        self._operands = False  # an in-place op runs, and has not written yet: see _encode
        self._library = False   # set by _encode: the call has a library view among its arguments

    # ---- the seam: what the core says it is doing (core/capture.py) ------------------------------
    def op(self, cls):
        """An op of class ``cls`` is applied: True if it may be recorded.  A ``CopySlices`` (a write into a tensor
        in the graph through a view or an index) may not: the recorder stops, and the step stays eager."""
        self._operands = False
        if cls is CopySlices:
            self.fail(f"{self._inplace or 'a write'} writes into a tensor in the graph through a view or an index "
                      "(CopySlices), which a compiled program does not replay yet")
            return False
        return True

    def enter(self, kind, label):
        """A region opens: the code of an op's ``'forward'`` or of a ``'backward'`` step, an optimizer's
        ``'step'`` (the library's code: the values it reads are its own), or ``'user'`` code called back from
        the library (an optimizer's closure).  The calls noted inside are labelled ``label``."""
        self._regions.append((kind, label))
        self.where, self._operands = label, False

    def leave(self):
        """The innermost region closes: the calls noted next belong to the region around it, if any."""
        self._regions.pop()
        self.where, self._operands = (self._regions[-1][1] if self._regions else ""), False

    def point(self, kind, what=""):
        """The core passed a point: ``'backward'`` (the engine's share of the backward step of ``what``),
        ``'grad'`` (a gradient goes into a ``.grad``), ``'clear'`` (``zero_grad``), ``'inplace'`` (the
        in-place op ``what``).  Outside the library's regions, it labels the calls noted next."""
        self._operands = kind == "inplace"
        if self._operands:
            self._inplace = what
        if kind in ("backward", "grad"):
            self.backward_ran = True
        if not self._in_library():
            self.where = {"backward": what, "grad": "backward: into .grad", "clear": "zero_grad",
                          "inplace": f"{what} (in place)"}[kind]

    @contextlib.contextmanager
    def region(self, kind, label):
        """``with rec.region('step', 'SGD.step'):`` — ``enter`` and ``leave`` around a block."""
        self.enter(kind, label)
        try:
            yield
        finally:
            self.leave()

    def _in_library(self):
        return bool(self._regions) and self._regions[-1][0] in _LIBRARY

    # ---- values ---------------------------------------------------------------------------------
    def _new(self, kind, info=None, array=None, tensor=None):
        vid = len(self.values)
        self.values[vid] = Value(kind, info, array, tensor)
        return vid

    def _view(self, array, vid, library=False):
        view = np.ndarray.view(array, LibraryView if library else Traced)
        view._rec, view._v = self, vid
        return view

    def _ours(self, x):
        return isinstance(x, Traced) and getattr(x, "_rec", None) is self and hasattr(x, "_v")

    def lend(self, t, array, grad_of=None, library=False):
        """The tracing view to put behind tensor ``t`` (``core/capture.py``); a ``LibraryView`` of it for
        ``library`` (``internal.values``).  ``grad_of``: the tensor whose ``.grad`` t is."""
        if capture.recorder is not self or not isinstance(array, np.ndarray):
            return array
        if self._ours(array):
            view = self.handed_on(array)  # a tensor holds an array, never a NumPy scalar
        else:
            known = self._by_array.get(id(array))
            if known is not None and known[1] is None and self.values[known[0]].kind == "ext":
                self.values[known[0]].tensor = t  # an in-place op's operand so far: this tensor's memory
                known = self._by_array[id(array)] = (known[0], self._view(array, known[0]))
            elif known is None or known[1] is None:  # (a constant so far: from now on, the tensor's memory)
                i = self.arg_ids.get(id(t))
                if i is not None:
                    vid = self._new("arg", i, array, t)
                elif grad_of is not None:
                    vid = self._new("grad", grad_of, array, t)
                else:
                    vid = self._new("ext", None, array, t)
                known = self._by_array[id(array)] = (vid, self._view(array, vid))
                self._keep.append(array)
            self.lent.append((t, known[0], array, grad_of, t._version))
            view = known[1]
        return self._view(_plain(view), view._v, True) if library else view

    def handed_on(self, x):
        """What an op hands on (its result, a backward step's gradients), as the core keeps it: a NumPy
        scalar's stand-in becomes a 0-d array (``as_array``), a library view a plain one."""
        if not self._ours(x):
            return x
        x = self.as_array(x)
        return self._view(_plain(x), x._v) if isinstance(x, LibraryView) else x

    def as_array(self, x):
        """Where eager turns a NumPy scalar into a 0-d array (a Function's result, a gradient), so does the
        program: ``np.asarray(s)``, a new value that is an array (``s ** y`` on it is np.power, as in eager)."""
        if isinstance(x, Traced) and getattr(x, "_rec", None) is self and getattr(x, "_v", None) in self.scalars:
            return self.call("func", np.asarray, (x,), {})
        return x

    def input_scalar(self, value, info):
        """A Scalar standing for a number the program takes as an input (a group's lr)."""
        return Scalar(value, self, self._new("input", info))

    def _encode(self, x):
        """(the plain argument for NumPy, its recorded form: Refs for values, constants as they are)."""
        if isinstance(x, Traced) and getattr(x, "_rec", None) is self:
            if hasattr(x, "_v"):
                self._library = self._library or isinstance(x, LibraryView)
                # a value plain NumPy has as a NumPy scalar is computed with as one (NumPy's scalar math)
                return (_plain(x)[()] if x._v in self.scalars else _plain(x)), Ref(x._v)
            raise Unsupported("a NumPy result the recorder did not make (an unsupported ndarray method)")
        if isinstance(x, Traced):  # left over from another recording: a plain array here
            x = _plain(x)
        if isinstance(x, Scalar):
            if x._rec is self:
                return x.value, Ref(x._v)
            return x.value, x.value
        if isinstance(x, np.ndarray):  # made outside the recorded calls: a constant, used by value
            known = self._by_array.get(id(x))
            if known is not None:
                return x, Ref(known[0])
            base = x.base
            while base is not None:  # np.asarray(a recorded value) is a plain view of it: not a constant
                if isinstance(base, Traced) and getattr(base, "_rec", None) is self:
                    if hasattr(base, "_v") and base.shape == x.shape and base.dtype == x.dtype \
                            and base.strides == x.strides and base.ctypes.data == x.ctypes.data:
                        return x, Ref(base._v)
                    raise Unsupported("a recorded value was converted to a plain array (np.asarray) and changed")
                base = base.base
            if self._operands:
                # an operand of the in-place op running now (a tensor the core did not lend, or your array):
                # its memory, used by reference, as a lent tensor's is
                vid = self._new("ext", None, x)
            else:
                vid = self._new("const", None, x.copy())
            self._by_array[id(x)] = (vid, None)
            self._keep.append(x)
            return x, Ref(vid)
        if isinstance(x, tuple):
            pairs = [self._encode(i) for i in x]
            return tuple(p for p, _ in pairs), tuple(r for _, r in pairs)
        if isinstance(x, list):
            pairs = [self._encode(i) for i in x]
            return [p for p, _ in pairs], [r for _, r in pairs]
        if isinstance(x, dict):
            pairs = {k: self._encode(v) for k, v in x.items()}
            return {k: p for k, (p, _) in pairs.items()}, {k: r for k, (_, r) in pairs.items()}
        if x is None or isinstance(x, (bool, int, float, complex, str, slice, type(Ellipsis), np.generic,
                                       np.dtype, type)):
            return x, x
        raise Unsupported(f"an argument of type {type(x).__name__} to a NumPy call")

    # ---- calls ----------------------------------------------------------------------------------
    def call(self, kind, fn, args, kwargs, writes=None):
        """Run one NumPy call on the plain arrays, note it, and return its result (tracing if an array)."""
        self._library = False
        try:
            plain_args, ref_args = self._encode(tuple(args))
            plain_kwargs, ref_kwargs = self._encode(dict(kwargs))
            wref = None
            if writes is not None:
                if isinstance(writes, tuple):
                    writes = writes[0]
                _, wref = self._encode(writes)
                if not isinstance(wref, Ref) or self.values[wref.id].kind == "const":
                    raise Unsupported("a NumPy call writes into an array the recorder does not know")
        except Unsupported as e:
            self.fail(str(e))
            return _run(kind, fn, _unwrap_plain(tuple(args)), _unwrap_plain(dict(kwargs)))
        result = _run(kind, fn, plain_args, plain_kwargs)
        node = Node(kind, fn, ref_args, ref_kwargs, writes=None if wref is None else wref.id, where=self.where)
        self.nodes.append(node)
        if writes is not None:
            self._operands = False  # the in-place op wrote: what comes next is not its operand
        if writes is not None and (kind == "ufunc" or kind == "func") and result is not None:
            node.out = wref.id  # an in-place ufunc returns its output array: the same value
            return writes if isinstance(writes, Traced) else result
        if result is None:
            return None
        if isinstance(result, (np.ndarray, np.generic)):
            array = np.asarray(result)
            node.out = self._new("op", len(self.nodes) - 1)
            if isinstance(result, np.generic):
                self.scalars.add(node.out)
            node.shape, node.dtype = array.shape, array.dtype
            return self._view(array, node.out, self._library)
        self.fail(f"np.{getattr(fn, '__name__', fn)} returned a {type(result).__name__}, which the step may "
                  "use in Python")
        return result

    def scalar(self, name, args):
        """Python arithmetic on Scalars: noted, and the result is a Scalar (a comparison: a guarded bool)."""
        plain = [a.value if isinstance(a, Scalar) else a for a in args]
        refs = []
        for a in args:
            if isinstance(a, Scalar) and a._rec is self:
                refs.append(Ref(a._v))
            elif isinstance(a, (bool, int, float)):
                refs.append(float(a) if isinstance(a, Scalar) else a)
            else:
                self.fail(f"Python arithmetic between a recorded number and a {type(a).__name__}")
                return _PY_OPS[name](*plain)
        result = _PY_OPS[name](*plain)
        node = Node("scalar", name, tuple(refs), {}, where=self.where)
        self.nodes.append(node)
        node.out = self._new("op", len(self.nodes) - 1)
        library = self._in_library() or any(isinstance(a, Scalar) and a._library for a in args)
        if isinstance(result, bool):
            if not library:
                self.fail("the step branches on a number computed from tensor values")
            else:
                self.nodes.append(Node("guard", "bool", (Ref(node.out),), {}, where=node.where))
                self.nodes[-1].kwargs = {"expected": result}
            return result
        return Scalar(result, self, node.out, library)

    def scalar_math(self, name, args):
        """An operator on a NumPy-scalar value (see ``tracing._operator``): computed, and noted, as Python arithmetic."""
        self._library = False
        try:
            plain, refs = self._encode(tuple(args))
        except Unsupported as e:
            self.fail(str(e))
            return _PY_OPS[name](*_unwrap_plain(tuple(args)))
        result = _PY_OPS[name](*plain)
        node = Node("scalar", name, refs, {}, where=self.where)
        self.nodes.append(node)
        if not isinstance(result, (np.generic, np.ndarray)):
            self.fail("NumPy scalar arithmetic gave a Python object")
            return result
        array = np.asarray(result)
        node.out = self._new("op", len(self.nodes) - 1)
        node.shape, node.dtype = array.shape, array.dtype
        if isinstance(result, np.generic):
            self.scalars.add(node.out)
        return self._view(array, node.out, self._library)

    def guard_scalar(self, s, how, expected):
        if not (s._library or self._in_library()):
            self.fail(f"the step converts a number computed from tensor values with {how}()")
            return
        self.nodes.append(Node("guard", how, (Ref(s._v),), {"expected": expected}, where=self.where))

    def read_value(self, x, how, args=()):
        """``x.item()``, ``float(x)``, ``bool(x)`` ... on a recorded array: whose read is it?  The library's
        inside its regions or from a library view (a guard, or a recorded number); else the step's own."""
        plain = _plain(x)
        value = plain.item(*args) if how == "item" else {"float": float, "int": int, "index": plain.__class__.__index__,
                                                        "bool": bool}[how](plain)
        if not (isinstance(x, LibraryView) or self._in_library()):
            what = {"item": ".item()", "float": "float(t)", "int": "int(t)", "index": "t as an index",
                    "bool": "a condition on a tensor (bool(t), if t > 0)"}[how]
            self.fail(f"the step reads a tensor's value ({what}), so its Python depends on the values")
            return value
        if isinstance(value, float) and how == "item" and not args:  # float() must return a float, not a Scalar
            node = Node("read", how, (Ref(x._v),), {}, where=self.where)
            self.nodes.append(node)
            node.out = self._new("op", len(self.nodes) - 1)
            return Scalar(value, self, node.out, library=True)
        self.nodes.append(Node("guard", how, (Ref(x._v),) + tuple(args), {"expected": value}, where=self.where))
        return value

    def fail(self, reason):
        """Stop recording: the rest of this call runs as plain eager NumPy; the step stays eager."""
        if self.reason is None:
            self.reason = reason
        if capture.recorder is self:
            capture.recorder = None


def _run(kind, fn, args, kwargs):
    if kind == "ufunc":
        ufunc, method = fn
        return getattr(ufunc, method)(*args, **kwargs)
    if kind == "func":
        return fn(*args, **kwargs)
    if kind == "getitem":
        return args[0][args[1]]
    if kind == "setitem":
        args[0][args[1]] = args[2]
        return None
    attr = getattr(args[0], fn)
    return attr if fn in ("T", "mT") else attr(*args[1:], **kwargs)
