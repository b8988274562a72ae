"""Containers: ``Sequential`` (modules applied one after the other), ``ModuleList`` and ``ModuleDict``.

All three only hold modules in the registry ``_modules`` that every Module has,
so the parameters of the modules they hold are the container's parameters
(``parameters()``, ``state_dict()`` keys ``"0.weight"`` or ``"encoder.weight"``,
``train()``, ``to()``), exactly as if each were an attribute.  A plain Python
list of layers is not registered: that is what ``ModuleList`` is for.
"""
import operator
from collections.abc import Iterable, Mapping

from .module import Module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: children named "0", "1", … in order, used like a list."""

    def _add(self, name, module, where):
        _check_module(type(self).__name__, module, where)
        self.add_module(name, module)

    def _index(self, idx):
        kind = type(self).__name__
        try:
            i = operator.index(idx)
        except TypeError:
            raise TypeError(f"{kind} indices must be integers or slices, not {type(idx).__name__}") from None
        n = len(self._modules)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for a {kind} of length {n}")
        return i % n

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._slice(idx)
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx, module):
        key = list(self._modules)[self._index(idx)]
        self._add(key, module, f"the module set at index {idx}")

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules)[idx]:
                del self._modules[key]
        else:
            del self._modules[list(self._modules)[self._index(idx)]]
        # renumber so that the names stay 0, 1, …, as in PyTorch
        self._renumber(list(self._modules.values()))

    def _renumber(self, modules):
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add a module at the end; returns self."""
        self._add(str(len(self)), module, "the appended module")
        return self

    def extend(self, modules):
        """Append every module of an iterable; returns self."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"{type(self).__name__}.extend should be called with an iterable, but got "
                            f"{type(modules).__name__}")
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert a module before position ``index`` (the names are renumbered)."""
        n = len(self)
        if not isinstance(index, int) or not -n <= index <= n:
            raise IndexError(f"insert: index {index!r} is out of range for a {type(self).__name__} of length {n}")
        _check_module(type(self).__name__, module, "the inserted module")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self


class Sequential(_ModuleSequence):
    """A chain of modules: ``Sequential(m₀, m₁, …)(x) = … m₁(m₀(x))``.

    The children are named "0", "1", … (or by the keys of a dict passed as the
    only argument), so the first layer's weight is ``net[0].weight`` and is
    named ``"0.weight"`` in ``state_dict()``.  Supports ``len``, iteration,
    indexing with negative ints and slices (a slice is a new ``Sequential``
    sharing the modules), ``append``, ``extend`` and ``insert``.

    Example::

        >>> net = nn.Sequential(nn.Linear(2, 1))
        >>> net[0].weight.shape
        (1, 2)
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], dict):
            for name, module in args[0].items():
                self._add(name, module, f"the module named {name!r}")
        else:
            for i, module in enumerate(args):
                self._add(str(i), module, f"argument {i}")

    def _slice(self, idx):
        return Sequential(dict(list(self._modules.items())[idx]))  # the names are kept, as in PyTorch

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered: ``self.layers = nn.ModuleList([...])``.

    Used like a list (``append``, ``extend``, ``insert``, indexing, slices, ``len``,
    iteration, ``+``); the modules are named "0", "1", … in ``state_dict()``
    (``"layers.0.weight"``).  It has no ``forward``: the model's own forward
    decides how to call them.

    Example::

        >>> class MLP(nn.Module):
        ...     def __init__(self, sizes):
        ...         super().__init__()
        ...         self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        ...     def forward(self, x):
        ...         for layer in self.layers[:-1]:
        ...             x = layer(x).relu()
        ...         return self.layers[-1](x)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, idx):
        return ModuleList(list(self._modules.values())[idx])  # renumbered from 0, as in PyTorch

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def __iadd__(self, modules):
        return self.extend(modules)

    def __repr__(self):
        """As PyTorch prints it: a run of equal modules is one line, ``(0-2): 3 x Linear(...)``."""
        lines, start = [], 0
        reprs = [repr(m) for m in self._modules.values()]
        for i in range(1, len(reprs) + 1):
            if i == len(reprs) or reprs[i] != reprs[start]:
                names = str(start) if i - start == 1 else f"{start}-{i - 1}"
                count = "" if i - start == 1 else f"{i - start} x "
                lines.append(f"({names}): {count}" + reprs[start].replace("\n", "\n  "))
                start = i
        return "ModuleList(" + ("\n  " + "\n  ".join(lines) + "\n" if lines else "") + ")"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, by name: ``state_dict()`` keys ``"encoder.weight"``.

    Used like a dict that keeps its insertion order: ``d[name]``, ``d[name] = m``,
    ``del d[name]``, ``in``, ``len``, iteration over the keys, ``keys()``,
    ``values()``, ``items()``, ``update(mapping or pairs)``, ``pop``, ``clear``.
    It has no ``forward``.

    Example::

        >>> heads = nn.ModuleDict({"price": nn.Linear(8, 1), "kind": nn.Linear(8, 3)})
        >>> heads["kind"].out_features
        3
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        _check_module("ModuleDict", module, f"the module named {key!r}")
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The names, in insertion order."""
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self):
        """(name, module) pairs, in insertion order."""
        return self._modules.items()

    def pop(self, key):
        """Remove the module named ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def update(self, modules):
        """Add (or replace) modules from a mapping or an iterable of (name, module) pairs."""
        if isinstance(modules, Mapping):
            pairs = list(modules.items())
        elif isinstance(modules, Iterable) and not isinstance(modules, (str, Module)):
            pairs = [tuple(p) if isinstance(p, (tuple, list)) else p for p in modules]
            for j, pair in enumerate(pairs):
                if not isinstance(pair, tuple) or len(pair) != 2:
                    raise TypeError(f"ModuleDict update sequence element #{j} should be a (name, module) pair, "
                                    f"got {pair!r}")
        else:
            raise TypeError(f"ModuleDict.update should be called with an iterable of key/value pairs, but got "
                            f"{type(modules).__name__}")
        for key, module in pairs:
            self[key] = module


def _check_module(kind, module, where):
    if isinstance(module, type) and issubclass(module, Module):
        raise TypeError(f"{kind}: {where} is the class {module.__name__}, not a module; "
                        f"create one: {module.__name__}(...)")
    if isinstance(module, (list, tuple)):
        fix = f"{kind}(*layers)" if kind == "Sequential" else f"{kind}(layers)"
        raise TypeError(f"{kind}: {where} is a {type(module).__name__}, not a Module; pass the layers "
                        f"one by one: {fix}")
    if not isinstance(module, Module):
        raise TypeError(f"{kind}: {where} is a {type(module).__name__}, not a Module")
