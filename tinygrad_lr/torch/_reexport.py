"""How the facade re-exports: every public name of a ``tinygrad_lr`` module, found when it is imported.

So a name someone adds to ``tinygrad_lr.nn`` tomorrow is in ``tinygrad_lr.torch.nn`` too, and nothing
here lists names by hand.  Submodules are not copied (``tinygrad_lr.nn.container`` is not PyTorch's
``torch.nn.container``): the facade has its own for PyTorch's module paths, and ``fallback`` reaches
the rest.
"""
from types import ModuleType


def reexport(source, namespace):
    """Copy ``source``'s public names (not its submodules) into ``namespace`` where it has none yet (the
    facade's own variants win); returns the ``__all__`` of the result: its public names but modules."""
    for name, value in vars(source).items():
        if not name.startswith("_") and not isinstance(value, ModuleType):
            namespace.setdefault(name, value)
    return sorted(n for n, v in namespace.items() if not n.startswith("_") and not isinstance(v, ModuleType))


def fallback(source, name):
    """A module ``__getattr__`` that looks up in ``source`` what the facade module ``name`` lacks: a name
    added to ``source`` after the import, or one of its submodules."""
    def __getattr__(attr):
        if not attr.startswith("__"):
            try:
                return getattr(source, attr)
            except AttributeError:
                pass
        raise AttributeError(f"module {name!r} has no attribute {attr!r} (nor has {source.__name__!r}): "
                             "tinygrad_lr has PyTorch's API from linear models through MLPs, character models and "
                             "a small GPT; docs/porting.md lists what does not port")
    return __getattr__
