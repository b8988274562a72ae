"""Recording one eager call: every NumPy call its forward, backward and update make, in order.

While ``tinygrad_lr.compile`` records a call, the core lends each tensor it computes with a
*tracing array* (``Traced``): an ndarray subclass over the very same memory.  NumPy hands every
ufunc (``+``, ``@``, ``np.exp``, ``x.sum()``) and every array function (``np.where``,
``np.copyto``) that touches one to ``__array_ufunc__`` / ``__array_function__`` (NumPy's own
override protocols; nothing of NumPy is patched).  There the recorder runs the call on the plain
arrays, so the eager call computes exactly what it computes without the recorder, and notes a
``Node``: the function, its arguments (a ``Ref`` for each recorded value, or a constant) and its
result, a new tracing array.  The few ndarray methods that do not go through a ufunc (``reshape``,
``.T``, ``astype``, indexing ...) are overridden to do the same.

Python numbers the library computes from array values (Adam's step count t, the number of
targets a cross entropy divides by) become ``Scalar`` s, floats that record their own
arithmetic; the learning rate of each parameter group is one, lent for the call, so that it is an
input of the program rather than a constant baked into it.  A branch the library takes on a
recorded value (``if bad.any()``, ``alpha != 1``) becomes a guard of the program.

Reading values in *your* code inside the step (``.item()``, ``float(t)``, ``if t > 0``,
``print(t)``, ``.numpy()``, ``.tolist()``) cannot be recorded — what your Python does with them is
invisible — so the recorder gives up (``fail``) and the step stays eager.
"""
import os
import re
import sys

import numpy as np

from ..core import capture

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_CLI = _PACKAGE + "cli" + os.sep
_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NUMPY = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_TENSOR_PY = _PACKAGE + "core" + os.sep + "tensor.py"
# Tensor's methods that hand values to the caller: the read is the caller's
_CONVERSIONS = {"item", "tolist", "numpy", "__float__", "__int__", "__bool__", "__index__", "__format__",
                "__repr__", "__str__", "__array__", "__iter__"}
# array functions that only look at shapes or memory, never at values
_METADATA = {"shape", "ndim", "size", "may_share_memory", "shares_memory", "result_type", "broadcast_shapes",
             "iscomplexobj", "isrealobj", "isscalar", "can_cast", "min_scalar_type"}
# methods that make a view of their array, and the ones that compute a new array, both recorded
_VIEWS = ("reshape", "transpose", "swapaxes", "ravel", "squeeze", "view", "diagonal")
_COMPUTES = ("astype", "copy", "flatten", "take", "repeat", "clip", "cumsum", "cumprod", "sum", "mean", "max", "min",
             "prod", "any", "all", "argmax", "argmin", "argsort", "std", "var", "dot", "nonzero", "round", "conj")


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


def _plain(a):
    return np.ndarray.view(a, np.ndarray)


def _active(x):
    """The recorder that owns ``x``, if it is recording now; else None."""
    rec = capture.recorder
    if rec is not None and getattr(x, "_rec", None) is rec:
        return rec
    return None


class Traced(np.ndarray):
    """An ndarray that tells the recorder about every NumPy call made on it (see the module docstring).

    Outside its recording it acts as a plain array (its results are plain arrays).
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _dispatch_function(func, args, kwargs)

    # ---- methods that do not go through a ufunc --------------------------------------------
    def __getitem__(self, index):
        rec = _active(self)
        if rec is None:
            return _plain(self)[_unwrap_plain(index)]
        return rec.call("getitem", "getitem", (self, index), {})

    def __setitem__(self, index, value):
        rec = _active(self)
        if rec is None:
            _plain(self)[_unwrap_plain(index)] = _unwrap_plain(value)
            return
        rec.call("setitem", "setitem", (self, index, value), {}, writes=self)

    def fill(self, value):
        rec = _active(self)
        if rec is None:
            return _plain(self).fill(_unwrap_plain(value))
        rec.call("method", "fill", (self, value), {}, writes=self)

    @property
    def T(self):  # noqa: N802
        rec = _active(self)
        return _plain(self).T if rec is None else rec.call("method", "T", (self,), {})

    @property
    def mT(self):  # noqa: N802
        rec = _active(self)
        return _plain(self).mT if rec is None else rec.call("method", "mT", (self,), {})

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---- reading values: a guard when the library branches on them, a failure in your code ------
    def item(self, *args):
        rec = _active(self)
        if rec is None:
            return _plain(self).item(*args)
        return rec.read_value(self, "item", args)

    def __float__(self):
        rec = _active(self)
        return float(_plain(self)) if rec is None else rec.read_value(self, "float")

    def __int__(self):
        rec = _active(self)
        return int(_plain(self)) if rec is None else rec.read_value(self, "int")

    def __index__(self):
        rec = _active(self)
        return _plain(self).__index__() if rec is None else rec.read_value(self, "index")

    def __bool__(self):
        rec = _active(self)
        return bool(_plain(self)) if rec is None else rec.read_value(self, "bool")

    def tolist(self):
        rec = _active(self)
        if rec is not None:
            rec.fail("the step reads a tensor's values (.tolist())")
        return _plain(self).tolist()

    def __repr__(self):
        rec = _active(self)
        if rec is not None:
            rec.fail("the step prints a tensor")
        return repr(_plain(self))

    def __str__(self):
        rec = _active(self)
        if rec is not None:
            rec.fail("the step prints a tensor")
        return str(_plain(self))

    def __format__(self, spec):
        rec = _active(self)
        if rec is not None:
            rec.fail("the step formats a tensor's value")
        return format(_plain(self), spec)

    def __reduce__(self):
        return _plain(self).__reduce__()


def _operator(name):
    """An operator on a value plain NumPy has as a NumPy scalar is NumPy's scalar math (``s ** p`` is pow(s, p)
    there, where on a 0-d array it would be np.power, or np.sqrt for p = 0.5, and may round differently):
    recorded as Python arithmetic on it, as the program will compute it."""
    base = getattr(np.ndarray, f"__{name}__")

    def operator(self, *other):
        rec = _active(self)
        if rec is not None and self._v in rec.scalars and not (
                other and isinstance(other[0], np.ndarray) and not (isinstance(other[0], Traced)
                                                                   and getattr(other[0], "_v", None) in rec.scalars)):
            return rec.scalar_math(name, (self,) + other)
        return base(self, *other)
    operator.__name__ = f"__{name}__"
    return operator


def _method(name):
    base = getattr(np.ndarray, name)

    def method(self, *args, **kwargs):
        rec = _active(self)
        if rec is None:
            return base(_plain(self), *_unwrap_plain(args), **_unwrap_plain(kwargs))
        return rec.call("method", name, (self,) + args, kwargs)
    method.__name__ = name
    return method


for _name in _VIEWS + _COMPUTES:
    setattr(Traced, _name, _method(_name))
for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv", "rfloordiv", "mod",
              "rmod", "pow", "rpow", "neg", "pos", "abs", "lt", "le", "gt", "ge", "eq", "ne"):
    setattr(Traced, f"__{_name}__", _operator(_name))


def _unwrap_plain(x):
    """x with every tracing array and Scalar replaced by the plain array or float (outside a recording)."""
    if isinstance(x, Traced):
        return _plain(x)
    if isinstance(x, Scalar):
        return x.value
    if isinstance(x, tuple):
        return tuple(_unwrap_plain(i) for i in x)
    if isinstance(x, list):
        return [_unwrap_plain(i) for i in x]
    if isinstance(x, dict):
        return {k: _unwrap_plain(v) for k, v in x.items()}
    return x


def _dispatch_ufunc(ufunc, method, inputs, kwargs):
    rec = capture.recorder
    if not isinstance(rec, Recorder):
        return getattr(ufunc, method)(*_unwrap_plain(inputs), **_unwrap_plain(kwargs))
    out = kwargs.get("out")
    writes = None
    if out is not None:
        if len(out) != 1:
            rec.fail(f"np.{ufunc.__name__} with {len(out)} outputs is not supported in a compiled step")
            return getattr(ufunc, method)(*_unwrap_plain(inputs), **_unwrap_plain(kwargs))
        writes = out[0]
    if method == "at":
        writes = inputs[0]
    return rec.call("ufunc", (ufunc, method), inputs, kwargs, writes=writes)


def _dispatch_function(func, args, kwargs):
    rec = capture.recorder
    if not isinstance(rec, Recorder) or func.__name__ in _METADATA:
        return func(*_unwrap_plain(args), **_unwrap_plain(kwargs))
    writes = None
    if func is np.copyto:
        writes = args[0] if args else kwargs.get("dst")
    elif kwargs.get("out") is not None:
        writes = kwargs["out"]
    return rec.call("func", func, args, kwargs, writes=writes)


class Scalar(float):
    """A Python float the library computed from recorded values (or a group's lr, lent for the call).

    Its arithmetic is recorded as Python arithmetic, so the program computes the same float the
    same way (bit for bit); comparing it records a guard.  Outside its recording it is a plain float.
    """

    def __new__(cls, value, rec, vid):
        self = super().__new__(cls, value)
        self.value, self._rec, self._v = float(value), rec, vid
        return self

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __reduce__(self):
        return (float, (self.value,))

    def __hash__(self):
        return hash(self.value)

    def _op(self, name, *args):
        rec = _active(self)
        if rec is None or any(isinstance(a, np.ndarray) for a in args):
            plain = [a.value if isinstance(a, Scalar) else a for a in (self,) + args]
            if any(isinstance(a, np.ndarray) for a in args):
                return NotImplemented
            return _PY_OPS[name](*plain)
        return rec.scalar(name, (self,) + args)

    def __format__(self, spec):
        rec = _active(self)
        if rec is not None:
            rec.fail("the step formats a number computed from tensor values")
        return format(self.value, spec)

    def __repr__(self):
        return repr(self.value)

    __str__ = __repr__

    def __float__(self):
        return self.value

    def __int__(self):
        rec = _active(self)
        if rec is not None:
            rec.guard_scalar(self, "int", int(self.value))
        return int(self.value)

    def __bool__(self):
        rec = _active(self)
        if rec is not None:
            rec.guard_scalar(self, "bool", bool(self.value))
        return bool(self.value)


_PY_OPS = {
    "floordiv": lambda a, b: a // b, "rfloordiv": lambda a, b: b // a, "mod": lambda a, b: a % b,
    "rmod": lambda a, b: b % a,
    "add": lambda a, b: a + b, "radd": lambda a, b: b + a, "sub": lambda a, b: a - b, "rsub": lambda a, b: b - a,
    "mul": lambda a, b: a * b, "rmul": lambda a, b: b * a, "truediv": lambda a, b: a / b,
    "rtruediv": lambda a, b: b / a, "pow": lambda a, b: a ** b, "rpow": lambda a, b: b ** a,
    "neg": lambda a: -a, "pos": lambda a: +a, "abs": lambda a: abs(a),
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}
for _name in _PY_OPS:
    setattr(Scalar, f"__{_name}__", (lambda n: lambda self, *args: self._op(n, *args))(_name))


# ---- the recorder --------------------------------------------------------------------------------------
_FILES = {}  # a frame's file name -> "here", "numpy", "library" or "user"


def _file_kind(name):
    kind = _FILES.get(name)
    if kind is None:
        path = os.path.abspath(name)  # the package may be imported as .../benchmarks/../tinygrad_lr
        kind = _FILES[name] = ("here" if path.startswith(_HERE) else "numpy" if path.startswith(_NUMPY) else
                               "tensor" if path == _TENSOR_PY else
                               "library" if path.startswith(_PACKAGE) and not path.startswith(_CLI) else "user")
    return kind


def _asked_by_user():
    """True if the value being read was asked for by code outside the library (the step itself, or the
    Tensor conversion it called: ``loss.item()``); False if the library's own code reads it (Adam's t)."""
    f = sys._getframe(2)
    entry = None
    while f is not None:
        kind = _file_kind(f.f_code.co_filename)
        if kind in ("here", "numpy"):
            f = f.f_back
            continue
        if kind != "user":
            entry = f
            f = f.f_back
            continue
        break
    return entry is None or (_file_kind(entry.f_code.co_filename) == "tensor" and entry.f_code.co_name in _CONVERSIONS)


def _formula(doc, which):
    """The forward formula (before the first ∂) or the backward one (from it) of an op's docstring."""
    lines = ["   ".join(re.split(r"\s{2,}", line.strip())) for line in (doc or "").strip().splitlines()]
    if which == "forward":
        text = lines[0].split("∂")[0].strip() if lines else ""
    else:
        line = next((line for line in lines if "∂" in line), "")
        text = line[line.index("∂"):] if line else ""
    return f":  {text}" if text else ""


def _where():
    """Which op or update is running: 'Linear.forward', 'SGD.step', ... (for the program's comments)."""
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        if code.co_name in ("forward", "backward") and "ctx" in f.f_locals:
            ctx = f.f_locals["ctx"]
            return f"{type(ctx).__name__}.{code.co_name}" + _formula(type(ctx).__doc__, code.co_name)
        if code.co_name == "step" and "self" in f.f_locals and os.path.abspath(code.co_filename).startswith(
                _PACKAGE + "optim"):
            return f"{type(f.f_locals['self']).__name__}.step"
        if code.co_name == "accumulate" and _file_kind(code.co_filename) == "library":
            return "backward: into .grad"
        if code.co_name == "clear_grad":
            return "zero_grad"
        if code.co_name == "class_targets":
            return "the class targets as a matrix"
        f = f.f_back
    return ""


class Recorder:
    """Notes the NumPy calls of one eager call; ``nodes`` and ``values`` are the recording."""

    def __init__(self):
        self.nodes, self.values = [], {}
        self.reason = None
        self._by_array = {}     # id(array) -> (value id, the tracing view lent for it)
        self._keep = []         # the arrays behind the ids above stay alive while the recording lives
        self.lent = []          # (tensor, value id, its array, grad_of, its version then) for each tensor lent a view
        self.arg_ids = {}       # id(tensor) -> i for the step's tensor arguments
        self.scalars = set()    # the values plain NumPy gives as NumPy scalars (held here as 0-d arrays)
        self.backward_passes = 0  # backward passes run in the call (the engine counts them)

    # ---- values ---------------------------------------------------------------------------------
    def _new(self, kind, info=None, array=None, tensor=None):
        vid = len(self.values)
        self.values[vid] = Value(kind, info, array, tensor)
        return vid

    def _view(self, array, vid):
        view = np.ndarray.view(array, Traced)
        view._rec, view._v = self, vid
        return view

    def lend(self, t, array, grad_of=None):
        """The tracing view the core should put behind tensor ``t`` (see ``core/capture.py``)."""
        if capture.recorder is not self or not isinstance(array, np.ndarray):
            return array
        if isinstance(array, Traced) and getattr(array, "_rec", None) is self and hasattr(array, "_v"):
            return self.as_array(array)  # a tensor holds an array, never a NumPy scalar
        known = self._by_array.get(id(array))
        if known is None:
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
        return known[1]

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
        node = Node(kind, fn, ref_args, ref_kwargs, writes=None if wref is None else wref.id, where=_where())
        self.nodes.append(node)
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
            return self._view(array, node.out)
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
        node = Node("scalar", name, tuple(refs), {}, where=_where())
        self.nodes.append(node)
        node.out = self._new("op", len(self.nodes) - 1)
        if isinstance(result, bool):
            if _asked_by_user():
                self.fail("the step branches on a number computed from tensor values")
            else:
                self.nodes.append(Node("guard", "bool", (Ref(node.out),), {}, where=node.where))
                self.nodes[-1].kwargs = {"expected": result}
            return result
        return Scalar(result, self, node.out)

    def scalar_math(self, name, args):
        """An operator on a NumPy-scalar value (see ``_operator``): computed, and noted, as Python arithmetic."""
        try:
            plain, refs = self._encode(tuple(args))
        except Unsupported as e:
            self.fail(str(e))
            return _PY_OPS[name](*_unwrap_plain(tuple(args)))
        result = _PY_OPS[name](*plain)
        node = Node("scalar", name, refs, {}, where=_where())
        self.nodes.append(node)
        if not isinstance(result, (np.generic, np.ndarray)):
            self.fail("NumPy scalar arithmetic gave a Python object")
            return result
        array = np.asarray(result)
        node.out = self._new("op", len(self.nodes) - 1)
        node.shape, node.dtype = array.shape, array.dtype
        if isinstance(result, np.generic):
            self.scalars.add(node.out)
        return self._view(array, node.out)

    def guard_scalar(self, s, how, expected):
        if _asked_by_user():
            self.fail(f"the step converts a number computed from tensor values with {how}()")
            return
        self.nodes.append(Node("guard", how, (Ref(s._v),), {"expected": expected}, where=_where()))

    def read_value(self, x, how, args=()):
        """``x.item()``, ``float(x)``, ``bool(x)`` ... on a recorded array: whose read is it?"""
        plain = _plain(x)
        value = plain.item(*args) if how == "item" else {"float": float, "int": int, "index": plain.__class__.__index__,
                                                        "bool": bool}[how](plain)
        if _asked_by_user():
            what = {"item": ".item()", "float": "float(t)", "int": "int(t)", "index": "t as an index",
                    "bool": "a condition on a tensor (bool(t), if t > 0)"}[how]
            self.fail(f"the step reads a tensor's value ({what}), so its Python depends on the values")
            return value
        if isinstance(value, float) and how == "item" and not args:  # float() must return a float, not a Scalar
            node = Node("read", how, (Ref(x._v),), {}, where=_where())
            self.nodes.append(node)
            node.out = self._new("op", len(self.nodes) - 1)
            return Scalar(value, self, node.out)
        self.nodes.append(Node("guard", how, (Ref(x._v),) + tuple(args), {"expected": value}, where=_where()))
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

