"""The tracing arrays: an ndarray, and a float, that tell the recorder about every NumPy call made on them.

While ``tinygrad_lr.compile`` records a call, the core lends each tensor it computes with a
*tracing array* (``Traced``): an ndarray subclass over the very same memory.  NumPy hands every
ufunc (``+``, ``@``, ``np.exp``, ``x.sum()``) and every array function (``np.where``,
``np.copyto``) that touches one to ``__array_ufunc__`` / ``__array_function__`` (NumPy's own
override protocols; nothing of NumPy is patched), and from there to the recorder (``trace.py``),
which runs the call on the plain arrays and returns its result as a new tracing array.  The few
ndarray methods that do not go through a ufunc (``reshape``, ``.T``, ``astype``, indexing ...) are
overridden to do the same.  ``LibraryView`` is the tracing array ``internal.values`` hands the
library above the core: the values read from it are the library's (see ``trace.py``).

Python numbers the library computes from array values (Adam's step count t, the number of
targets a cross entropy divides by) become ``Scalar`` s, floats that record their own
arithmetic; the learning rate of each parameter group is one, lent for the call, so that it is an
input of the program rather than a constant baked into it.

Outside their recording, both act as plain arrays and floats.
"""
import numpy as np

from ..core import capture

# array functions that only look at shapes or memory, never at values
_METADATA = {"shape", "ndim", "size", "may_share_memory", "shares_memory", "result_type", "broadcast_shapes",
             "iscomplexobj", "isrealobj", "isscalar", "can_cast", "min_scalar_type"}
# methods that make a view of their array, and the ones that compute a new array, both recorded
_VIEWS = ("reshape", "transpose", "swapaxes", "ravel", "squeeze", "view", "diagonal")
_COMPUTES = ("astype", "copy", "flatten", "take", "repeat", "clip", "cumsum", "cumprod", "sum", "mean", "max", "min",
             "prod", "any", "all", "argmax", "argmin", "argsort", "std", "var", "dot", "nonzero", "round", "conj")


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


class LibraryView(Traced):
    """The tracing array ``internal.values`` gives the library above the core: reading values from it (or from
    what is computed from it) is the library's read, which becomes a guard, not your step's, which stops it."""


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
    if rec is None:
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
    if rec is None or func.__name__ in _METADATA:
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

    def __new__(cls, value, rec, vid, library=False):
        self = super().__new__(cls, value)
        self.value, self._rec, self._v, self._library = float(value), rec, vid, library
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
