"""How the facade re-exports: every public name of a ``tinygrad_lr`` module, found when it is imported.

So a name someone adds to ``tinygrad_lr.nn`` tomorrow is in ``tinygrad_lr.torch.nn`` too, and nothing
here lists names by hand.  Submodules are not copied (``tinygrad_lr.nn.container`` is not PyTorch's
``torch.nn.container``): the facade has its own for PyTorch's module paths, and ``fallback`` reaches
the rest.
"""
from types import ModuleType

from tinygrad_lr.core.function import Function

# submodules of ours that are PyTorch's too (torch.nn.init, torch.utils.data ...), reached through the fallback
_PYTORCH_MODULES = {"nn", "functional", "init", "utils", "data", "optim", "lr_scheduler", "autograd", "linalg",
                    "func", "parameter", "cuda", "backends", "accelerator", "jit", "fft", "special", "distributions"}


def _public(name, value):
    """A name PyTorch's users may reach: not private (``_mse_loss``), not one of our modules (``loss_args``),
    and not one of our op classes (``HalfSquaredError``, ``Exp``: the Function subclasses that compute ops)."""
    if name.startswith("_") or isinstance(value, ModuleType):
        return False
    return not (isinstance(value, type) and issubclass(value, Function) and value is not Function)


def reexport(source, namespace):
    """Copy ``source``'s public names (not its submodules) into ``namespace`` where it has none yet (the
    facade's own variants win); returns the ``__all__`` of the result: its public names but modules."""
    for name, value in vars(source).items():
        if _public(name, value):
            namespace.setdefault(name, value)
    return sorted(n for n, v in namespace.items() if not n.startswith("_") and not isinstance(v, ModuleType))


def fallback(source, name):
    """A module ``__getattr__`` that looks up in ``source`` what the facade module ``name`` lacks: a name
    added to ``source`` after the import, or one of its submodules."""
    def __getattr__(attr):
        if not attr.startswith("_"):
            try:
                value = getattr(source, attr)
            except AttributeError:
                pass
            else:
                if _public(attr, value) or isinstance(value, ModuleType) and attr in _PYTORCH_MODULES:
                    return value
        raise AttributeError(f"module {name!r} has no attribute {attr!r} (nor has {source.__name__!r}): "
                             "tinygrad_lr has PyTorch's API from linear models through MLPs, character models, "
                             "a small GPT, convolutional networks and torch.func; docs/porting.md lists what does "
                             "not port")
    return __getattr__
