"""``Sequential``: modules applied one after the other."""
import operator

from .module import Module


class Sequential(Module):
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

    def _add(self, name, module, where):
        _check_module(module, where)
        self.add_module(name, module)

    def _index(self, idx):
        try:
            i = operator.index(idx)
        except TypeError:
            raise TypeError(f"Sequential indices must be integers or slices, not {type(idx).__name__}") from None
        n = len(self._modules)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for a Sequential of length {n}")
        return i % n

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(dict(list(self._modules.items())[idx]))
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
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert a module before position ``index`` (the names are renumbered)."""
        n = len(self)
        if not isinstance(index, int) or not -n <= index <= n:
            raise IndexError(f"insert: index {index!r} is out of range for a Sequential of length {n}")
        _check_module(module, "the inserted module")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


def _check_module(module, where):
    if isinstance(module, type) and issubclass(module, Module):
        raise TypeError(f"Sequential: {where} is the class {module.__name__}, not a module; "
                        f"create one: {module.__name__}(...)")
    if isinstance(module, (list, tuple)):
        raise TypeError(f"Sequential: {where} is a {type(module).__name__}, not a Module; pass the layers "
                        "one by one: Sequential(*layers)")
    if not isinstance(module, Module):
        raise TypeError(f"Sequential: {where} is a {type(module).__name__}, not a Module")
