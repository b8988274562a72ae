"""What a step reaches: the modules, optimizers, tensors and Python values it can read, and by which names.

``discover(step)`` starts from the step's closure cells, the globals its code loads, its default arguments
and ``self`` (for a method), and follows them into dicts, lists and tuples, into the attributes of your own
objects that the step's code names (``self.opt``, ``cfg.l1``), into modules (every submodule, its
parameters, buffers and settings: ``reduction``, ``p``, ``eps``) and into the functions it calls (their
closures and globals, in turn).  It collects:

- the modules, the optimizers (their param groups and state are reached through them), and the tensors;
- ``reads``: each Python value read on the way, with where it was read from (a closure cell, a global, a
  key of a dict, an attribute, an item of a list, a module's child, parameter or buffer) and what it gave:
  numbers, strings, booleans and None by type and value; the length of each dict and list; anything else
  (a module, an optimizer, a tensor, a function, a scheduler, a container) by identity.  Every read is a
  guard of the program (``guards.py``): a change means a new recording.  And a read that the recorded call
  itself changed (``counter += 1``, ``history.append(...)``, ``self.last = loss``) is a side effect that a
  replayed program would skip: the step stays eager (``recording.py``);
- ``names``: a readable name for each tensor (``weight``, ``fc1_bias``), used in the program.

What is not followed, and why: the inside of optimizers (their own guards cover the param groups and the
state; lr is an input of the program), of tensors and arrays (their values are the program's inputs), of
the library's other objects (a DataLoader, a scheduler: by identity only, so a scheduler that changes lr
between calls is no new recording), of Python modules (``np``, ``torch``), and of attributes your objects
have but the step's code never names (``trainer.history`` appended to by the loop outside the step).
Containers of more than ``_ITEMS`` items are guarded by identity and length only, and the walk stops
``_DEPTH`` steps away from the step's own names.

The recording lends all the tensors found a tracing array before the call starts (``recording.py``).
"""
import dis
import functools
import keyword
import types

import numpy as np

from ..core import Function, Tensor
from ..nn.module import Module
from ..optim.optimizer import Optimizer

_DEPTH = 4     # how many steps (a key, an item, an attribute, a function called) away from the step's own names
_ITEMS = 64    # a dict or list with more items is guarded by identity and length only
_SCALARS = (bool, int, float, complex, str, bytes, type(None))
_REGISTRIES = ("training", "_parameters", "_buffers", "_modules", "_non_persistent")
_REGISTRY = {"child": "_modules", "param": "_parameters", "buffer": "_buffers"}


# ---- one thing the step reads ----------------------------------------------------------------------------
class Read:
    """One value the step reads: reached ``how`` from ``holder`` (with ``key``), and what it gave.

    ``how``: ``'cell'`` (a closure cell's contents), ``'key'`` (``holder[key]``, a dict's key or a list's
    index), ``'attr'`` (an attribute in the instance's ``__dict__``), ``'child'``, ``'param'``, ``'buffer'``
    (a module's registries), ``'len'`` (the length of a dict or list), ``'nattrs'`` (how many attributes a
    module or an object of yours has).  ``by_value``: compared by type and value (numbers, strings,
    lengths), else by identity.  ``label`` is how the step's code spells it (``cfg['l1']``, ``self.opt``).
    """
    __slots__ = ("holder", "how", "key", "expected", "by_value", "label", "_plain")

    def __init__(self, holder, how, key, expected, by_value, label):
        self.holder, self.how, self.key, self.expected = holder, how, key, expected
        self.by_value, self.label = by_value, label
        # an attribute is read as ``o.name`` (fast) unless a property or slot of the class would answer instead
        self._plain = how == "attr" and key.isidentifier() and not keyword.iskeyword(key) \
            and not _data_descriptor(type(holder), key)

    def now(self):
        """What it gives now (raises LookupError, AttributeError, TypeError or ValueError if it is gone)."""
        h, how, k = self.holder, self.how, self.key
        if how == "cell":
            return h.cell_contents
        if how == "key":
            return h[k]
        if how == "attr":
            return getattr(h, k) if self._plain else vars(h)[k]
        if how in ("child", "param", "buffer"):
            return vars(h)[_REGISTRY[how]].get(k)
        if how == "len":
            return len(h)
        return len(vars(h))  # nattrs

    def holds(self):
        try:
            now = self.now()
        except (LookupError, AttributeError, TypeError, ValueError):
            return False
        if not self.by_value:
            return now is self.expected
        return now is self.expected or (type(now) is type(self.expected) and now == self.expected)

    def source(self, name):
        """The guard as Python source; ``name(x)`` gives the name of object x in the guard's namespace."""
        h, how, k = name(self.holder), self.how, self.key
        if how == "cell":
            e = f"{h}.cell_contents"
        elif how == "key":
            e = f"{h}[{k!r}]" if type(k) in (str, int) else f"{h}[{name(k)}]"
        elif how == "attr":
            e = f"{h}.{k}" if self._plain else f"{h}.__dict__[{k!r}]"
        elif how in ("child", "param", "buffer"):
            e = f"{h}.{_REGISTRY[how]}.get({k!r})"  # (the registries Module documents: no __getattr__)
        elif how == "len":
            return f"len({h}) == {self.expected!r}"
        else:
            return f"len({h}.__dict__) == {self.expected!r}"
        x = self.expected
        if not self.by_value:
            return f"{e} is {name(x)}"
        if x is None or type(x) is bool:
            return f"{e} is {x!r}"
        # the same object (the usual case: nobody assigned it since), or one of the same type and value
        return f"({e} is {name(x)} or type(_v := {e}) is {name(type(x))} and _v == {name(x)})"

    def describe(self):
        """What changed, when the guard fails."""
        if self.how == "len":
            return f"the length of {self.label} changed (it was {self.expected})"
        if self.how == "nattrs":
            return f"{self.label} has other attributes than when the step was recorded"
        if self.by_value:
            return f"{self.label} changed (it was {_short(self.expected)} when the step was recorded)"
        return f"{self.label} is another object than when the step was recorded"

    def change(self):
        """What the recorded call did to it, for the side-effect warning."""
        try:
            now = self.now()
        except (LookupError, AttributeError, TypeError, ValueError):
            return f"{self.label} was deleted"
        if self.how == "len":
            return f"the length of {self.label} went from {self.expected} to {now}"
        if self.how == "nattrs":
            return f"{self.label} got new attributes (or lost some)"
        if self.by_value:
            return f"{self.label} went from {_short(self.expected)} to {_short(now)}"
        return f"{self.label} was bound to another object ({type(now).__name__})"


def _short(x):
    if not _is_value(x):
        return f"a {type(x).__name__}"
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _data_descriptor(cls, name):
    for klass in cls.__mro__:
        if name in vars(klass):
            attr = vars(klass)[name]
            return hasattr(type(attr), "__set__") or hasattr(type(attr), "__delete__")
    return False


def _is_value(x):
    """Compared by type and value: a number, a string, a boolean, None, a NumPy scalar, a short tuple of those."""
    if type(x) in _SCALARS or isinstance(x, np.generic):
        return True
    return type(x) is tuple and len(x) <= _ITEMS and all(_is_value(i) for i in x)


# ---- the walk ----------------------------------------------------------------------------------------------
class World:
    """The modules, optimizers, tensors and Python values a step reaches through its closure, globals and ``self``."""

    def __init__(self):
        self.modules, self.optimizers, self.tensors = [], [], []
        self.reads = []        # Read: what the step reads, guarded, and checked for side effects
        self.names = {}        # id(tensor) -> a name for the program
        self.groups = []       # (optimizer, param group)
        self._seen = set()     # ids of the objects walked into
        self._read = set()     # (id(holder), how, key) of the reads noted
        self._attrs = set()    # the attribute names the step's code, and the functions it calls, use
        self._objects = []     # [object, label, name, depth, attribute names followed] for each object of yours
        self.failed = None     # why the walk could not finish (see discover)

    def start_state(self):
        return tuple((grad_of(t) is None, t.requires_grad) for t in self.tensors)

    def read(self, holder, how, key, obj, label, name, depth, walk=True):
        """The step reads ``obj`` from ``holder``: note the read (a guard), then walk into ``obj``."""
        mark = (id(holder), how, key)
        if mark in self._read or isinstance(obj, types.ModuleType):  # (a Python module: np, torch)
            return
        self._read.add(mark)
        by_value = _is_value(obj)
        self.reads.append(Read(holder, how, key, obj, by_value, label))
        if walk and not by_value:
            self.add(name, obj, label, depth)

    def add(self, name, obj, label, depth=0):
        """Walk into ``obj``, found under ``name`` (for the program) and ``label`` (for messages)."""
        if id(obj) in self._seen:
            return
        if isinstance(obj, Module):
            self._module(name, obj, label, depth)
        elif isinstance(obj, Optimizer):
            self._seen.add(id(obj))
            self.optimizers.append(obj)
        elif isinstance(obj, Tensor):
            self._seen.add(id(obj))
            self._tensor(obj, name)
        elif isinstance(obj, (np.ndarray, types.ModuleType)) or depth >= _DEPTH:
            return
        elif isinstance(obj, type):  # a class: your custom op's forward and backward are your code
            if issubclass(obj, (Function, Module)) and _is_user_code(obj):
                self._class_functions(obj, depth + 1)
        elif isinstance(obj, dict):
            self._seen.add(id(obj))
            self._length(obj, label)
            if len(obj) <= _ITEMS:
                for k, x in list(obj.items()):
                    self.read(obj, "key", k, x, f"{label}[{k!r}]", f"{name}_{k}", depth + 1)
        elif isinstance(obj, (list, tuple)):
            self._seen.add(id(obj))
            if type(obj) is not tuple:
                self._length(obj, label)
            if len(obj) <= _ITEMS:
                for i, x in enumerate(list(obj)):
                    if type(obj) is tuple:  # its items never change: walk into them, nothing to guard
                        self.add(f"{name}_{i}", x, f"{label}[{i}]", depth + 1)
                    else:
                        self.read(obj, "key", i, x, f"{label}[{i}]", f"{name}_{i}", depth + 1)
        elif isinstance(obj, (types.FunctionType, types.MethodType)):
            if _is_user_code(obj):
                self._seen.add(id(obj))
                self.function(obj, depth + 1, label)
        elif hasattr(obj, "__dict__") and _is_user_code(type(obj)):
            self._seen.add(id(obj))
            entry = [obj, label, name, depth, set()]
            self._objects.append(entry)
            self.reads.append(Read(obj, "nattrs", None, len(vars(obj)), True, label))
            self._expand(entry)

    def function(self, fn, depth, label=""):
        """A function the step is or calls: its closure, the globals it loads, its defaults, its ``self``."""
        bound = getattr(fn, "__self__", None)
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if code is None or id(code) in self._seen:
            return
        self._seen.add(id(code))
        loaded, attrs = _names(code)
        self._attrs |= attrs
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                obj = cell.cell_contents
            except ValueError:  # not assigned yet
                continue
            self.read(cell, "cell", None, obj, name, name, depth)
        g = fn.__globals__
        for name in loaded:
            if name in g:
                self.read(g, "key", name, g[name], name, name, depth)
        positional = code.co_varnames[:code.co_argcount]
        for name, obj in zip(positional[len(positional) - len(fn.__defaults__ or ()):], fn.__defaults__ or ()):
            self.add(name, obj, name, depth)   # (a default is fixed: what is inside it may change)
        for name, obj in (fn.__kwdefaults__ or {}).items():
            self.add(name, obj, name, depth)
        if bound is not None:
            self.add("self", bound, "self", depth)

    def _expand(self, entry):
        """An object of yours: the attributes the step's code names (and the methods of its class it calls)."""
        obj, label, name, depth, done = entry
        attrs = vars(obj)
        for attr in sorted(self._attrs - done):
            done.add(attr)
            if attr in attrs:
                self.read(obj, "attr", attr, attrs[attr], f"{label}.{attr}", attr, depth + 1)
            else:
                method = _class_attribute(type(obj), attr)
                if isinstance(method, property):
                    method = method.fget
                if isinstance(method, (staticmethod, classmethod)):
                    method = method.__func__
                if isinstance(method, types.FunctionType) and _is_user_code(method) and depth + 1 < _DEPTH:
                    self.function(method, depth + 1, f"{label}.{attr}")

    def _class_functions(self, cls, depth):
        """The functions your class defines (a module's forward and the methods it calls, a custom op's forward
        and backward): the globals and closures they read are the step's reads too."""
        for klass in cls.__mro__:
            if not _is_user_code(klass) or id(klass) in self._seen:
                continue
            self._seen.add(id(klass))
            for attr in list(vars(klass).values()):
                if isinstance(attr, property):
                    attr = attr.fget
                if isinstance(attr, (staticmethod, classmethod)):
                    attr = attr.__func__
                if isinstance(attr, types.FunctionType) and _is_user_code(attr):
                    self.function(attr, depth)

    def _module(self, name, m, label, depth):
        """A module: its parameters and buffers (tensors), and for each submodule, its children, parameters and
        buffers by identity and its settings (``reduction``, ``p``, your module's own attributes)."""
        self.modules.append((name, m))
        for pname, p in m.named_parameters():
            self._tensor(p, ident(name, pname))
        for bname, b in m.named_buffers() if hasattr(m, "named_buffers") else ():
            if isinstance(b, Tensor):
                self._tensor(b, ident(name, bname))
        for path, sub in m.named_modules():
            if id(sub) in self._seen:
                continue
            self._seen.add(id(sub))
            where = f"{label}.{path}" if path else label
            attrs = vars(sub)
            # a new attribute (a hook's registry, a cache your forward keeps) means new Python around forward
            self.reads.append(Read(sub, "nattrs", None, len(attrs), True, where))
            if _is_user_code(type(sub)) and depth + 1 < _DEPTH:  # your module: its methods are your code
                self._class_functions(type(sub), depth + 1)
            registered = set()
            for how, registry in _REGISTRY.items():
                for k, x in attrs.get(registry, {}).items():
                    registered.add(k)
                    self.read(sub, how, k, x, f"{where}.{k}", None, depth, walk=False)
            for k, x in list(attrs.items()):
                if k not in registered and k not in _REGISTRIES:
                    self.read(sub, "attr", k, x, f"{where}.{k}", ident(name, path, k), depth + 1)

    def _length(self, container, label):
        self.reads.append(Read(container, "len", None, len(container), True, label))

    def _tensor(self, t, name):
        if id(t) not in self.names:
            self.names[id(t)] = name
            self.tensors.append(t)

    def finish(self):
        """After the walk: the attributes named by functions found late; the optimizers' parameters and state
        (reached through them); short names."""
        while True:  # a method found in the walk may name attributes of an object walked before it
            before = (len(self._attrs), len(self.reads))
            for entry in list(self._objects):
                self._expand(entry)
            if (len(self._attrs), len(self.reads)) == before:
                break
        inside = set()   # an optimizer's own containers, reached by the step too: its guards cover them
        for opt in self.optimizers:
            inside.update((id(opt.param_groups), id(opt.state)))
            for group in opt.param_groups:
                inside.update((id(group), id(group.get("params"))))
            inside.update(id(s) for s in opt.state.values())
        self.reads = [r for r in self.reads if id(r.holder) not in inside]
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
                    self._tensor(p, f"p{len(self.names)}")
        for opt in self.optimizers:
            self.add_state(opt)

    def add_state(self, opt):
        for p, state in opt.state.items():
            for k, v in state.items():
                if isinstance(v, Tensor):
                    self._tensor(v, f"{self.names.get(id(p), 'p')}_{k}")

    def changed(self):
        """The reads whose value is not what the walk saw (after the recorded call: its side effects)."""
        return [r for r in self.reads if not r.holds()]


def grad_of(t):
    """``t.grad``, without the warning reading it gives on a tensor computed by an op (it is None there, unless
    ``retain_grad()`` was called)."""
    if t.grad_fn is not None and not getattr(t, "retains_grad", True):
        return None
    return t.grad


def ident(*parts):
    name = "_".join(str(p) for p in parts if p not in (None, "")).replace(".", "_")
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "t"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "_" + name
    return name


def _class_attribute(cls, name):
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _is_user_code(obj):
    module = getattr(obj, "__module__", "") or ""
    return not (module.startswith("tinygrad_lr") or module.startswith("numpy") or module in ("builtins",))


_GLOBAL_OPS = {"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL"}
_ATTR_OPS = {"LOAD_ATTR", "STORE_ATTR", "DELETE_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR"}


@functools.lru_cache(maxsize=1024)
def _names(code):
    """(the globals ``code`` loads or stores, the attribute names it uses), with the code nested in it (lambdas,
    comprehensions, inner functions).  From the bytecode: ``co_names`` mixes the two, and a loop counter that
    is a global of the same name as a method the step calls (``step``) must not become a guard."""
    loaded, attrs = set(), set()
    for ins in dis.get_instructions(code):
        if ins.opname in _GLOBAL_OPS:
            loaded.add(ins.argval)
        elif ins.opname in _ATTR_OPS:
            attrs.add(ins.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            inner_loaded, inner_attrs = _names(const)
            loaded |= inner_loaded
            attrs |= inner_attrs
    return frozenset(loaded), frozenset(attrs)


def discover(fn):
    """The world of step ``fn``.  If walking it fails (an object whose attributes raise), ``failed`` says why: what
    the step reads cannot be guarded, so the step stays eager."""
    world = World()
    try:
        world.function(fn, 0)
        world.finish()
    except Exception as e:  # noqa: BLE001  (any object of yours may be reached: eager when in doubt)
        world.failed = f"compile could not follow what the step reads ({type(e).__name__}: {e})"
    return world
