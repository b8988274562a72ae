"""What a step reaches: the modules, optimizers and tensors it can use, and the names it reaches them by.

``discover(step)`` reads the step's closure cells, the globals its code names and ``self`` (for a
method), one level into lists, dicts, plain objects and the functions it calls, and collects:

- the modules (their parameters and buffers), the optimizers (their param groups and state), and the
  tensors and arrays found;
- ``paths``: for each object the step reads by name (a closure variable, a global), the name's holder,
  so that a guard can check that the name still gives the same object (``guards.py``);
- ``names``: a readable name for each tensor (``weight``, ``fc1_bias``), used in the program.

The recording lends all these tensors a tracing array before the call starts (``recording.py``).
"""
import keyword
import types

import numpy as np

from ..core import Tensor
from ..nn.module import Module
from ..optim.optimizer import Optimizer


class World:
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
                self._tensor(p, ident(name, pname), None)
            for bname, b in obj.named_buffers() if hasattr(obj, "named_buffers") else ():
                if isinstance(b, Tensor):
                    self._tensor(b, ident(name, bname), None)
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


def ident(*parts):
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


def discover(fn):
    world = World()
    _scan(world, fn)
    world.finish()
    return world
