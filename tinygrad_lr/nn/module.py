"""``Module``: the base class of layers and models.

A module keeps three registries, filled by plain attribute assignment:

- ``_parameters``: attributes that are ``Parameter`` s (learnable weights),
- ``_buffers``: tensors registered with ``register_buffer`` (saved, not learned),
- ``_modules``: attributes that are themselves modules (the children).

Everything else (``parameters()``, ``state_dict()``, ``train()``, ``repr``) walks
these registries recursively, so a model is a tree of modules whose leaves
hold the parameters; ``named_parameters()`` names them by their path in the
tree (``"0.weight"``).

Hooks (``register_forward_pre_hook``, ``register_forward_hook``, ``register_full_backward_hook`` ...) have
registries of their own; a module that has some is called through ``hooks.py``, which runs them in
PyTorch's order around ``forward``.
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..core import Tensor
from ..core import dtypes, internal
from ..core.arrays import check_device
from ..core.engine import RemovableHandle
from ..core.grad_mode import no_grad
from . import hooks
from .parameter import Parameter

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
_NO_HOOKS = MappingProxyType({})  # each hook registry of a module that has none (read-only, shared)


def _not_initialised(module, what, name):
    cls = type(module).__name__
    return AttributeError(f"cannot assign {what} '{name}' before Module.__init__() call: "
                          f"call super().__init__() at the start of {cls}.__init__")


def _indent(text, spaces):
    """Indent every line but the first (the first follows '(name): ')."""
    lines = text.split("\n")
    return "\n".join(lines[:1] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of all layers and models.

    Subclass it, create parameters and submodules in ``__init__`` (after
    ``super().__init__()``) and write ``forward``; call the module itself,
    ``model(x)``, to run ``forward``.

    Example::

        class LinearRegression(nn.Module):
            def __init__(self, d):
                super().__init__()
                self.linear = nn.Linear(d, 1)      # registered as a child

            def forward(self, X):
                return self.linear(X)              # ŷ = Xwᵀ + b

        model = LinearRegression(2)
        [name for name, _ in model.named_parameters()]   # ['linear.weight', 'linear.bias']
    """

    # hooks, registered with register_forward_pre_hook, register_forward_hook, register_full_backward_pre_hook,
    # register_full_backward_hook: each registry an OrderedDict {handle id: hook}, made with its first hook
    _forward_pre_hooks = _forward_hooks = _backward_pre_hooks = _backward_hooks = _NO_HOOKS
    _hook_options = _NO_HOOKS  # handle id -> {'with_kwargs': ..., 'always_call': ...}, for every hook of them

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these registries to exist
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function: '
                                  "define forward(self, ...) in the subclass")

    def __call__(self, *args, **kwargs):
        if self._hook_options:  # some hook is registered (hooks.py: PyTorch's order)
            return hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ---- registration -----------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        params, modules, buffers = d.get("_parameters"), d.get("_modules"), d.get("_buffers")
        if isinstance(value, Parameter):
            if params is None:
                raise _not_initialised(self, "parameter", name)
            self._forget(name, keep=params)
            self._set_parameter(name, value)
        elif isinstance(value, Module):
            if modules is None:
                raise _not_initialised(self, "module", name)
            self._forget(name, keep=modules)
            modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' "
                                f"(nn.Parameter or None expected); wrap it: nn.Parameter(value)")
            self._set_parameter(name, None)
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}' "
                                "(nn.Module or None expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}' "
                                "(Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _set_parameter(self, name, param):
        """Register ``param`` (or None) under ``name``: in ``_parameters``, the registry that
        ``parameters()`` and ``state_dict()`` read, and as a plain attribute too (speed only: reading
        ``self.weight`` is then a dict lookup, not a failed lookup and a search of the registries)."""
        self._parameters[name] = param
        self.__dict__[name] = param

    def __getattr__(self, name):
        # only called when normal lookup fails: buffers and children live in their registries
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = d.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self.__dict__.pop(name, None)  # a parameter's plain-attribute copy
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def _forget(self, name, keep=None):
        """Remove ``name`` from the plain attributes and from every registry but ``keep``.

        Reassigning into ``keep`` then leaves the entry where it was: the order of
        registration is the order of ``parameters()`` and of ``Sequential``.
        """
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    def _check_name(self, name, what, registry):
        if "_parameters" not in self.__dict__:
            raise _not_initialised(self, what, name)
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{what} name can't be empty or contain '.', got '{name}'")
        if hasattr(self, name) and name not in self.__dict__[registry]:  # a method, an attribute, another kind
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Add a parameter (or None, a placeholder such as a disabled bias) under ``name``."""
        self._check_name(name, "parameter", "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter '{name}' "
                            "(nn.Parameter or None expected)")
        self._forget(name, keep=self._parameters)
        self._set_parameter(name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is part of the module's state but not learned (saved by state_dict if persistent)."""
        self._check_name(name, "buffer", "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer '{name}' (Tensor or None expected)")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name`` (what ``self.name = module`` does)."""
        self._check_name(name, "module", "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ---- hooks: functions called around forward, and in backward -----------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before every ``forward``; it may return new args (a tuple, or one value).

        ``with_kwargs=True``: ``hook(module, args, kwargs)``, returning None or ``(args, kwargs)``.
        ``prepend=True`` runs it before the hooks registered earlier.  Returns a handle:
        ``handle.remove()`` takes the hook away.
        """
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` after every ``forward``; it may return a new output.

        ``with_kwargs=True``: ``hook(module, args, kwargs, output)``.  ``always_call=True``: called (with
        output None) even when forward raises.  Returns a handle: ``handle.remove()``.

        Example, keeping a layer's activations::

            seen = {}
            handle = net[0].register_forward_hook(lambda m, args, out: seen.update(h=out.detach()))
        """
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs=with_kwargs, always_call=always_call)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` in backward, once the gradients of the module's outputs are known.

        ``grad_output`` has one entry per output (None for one that needs no gradient); the hook may return
        a tuple of replacements, which flow on into the module instead.  Returns a handle.
        """
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` in backward, once the gradients of the inputs are known.

        ``grad_input`` has one entry per positional argument of forward (None for one that is not a tensor
        requiring grad), ``grad_output`` one per output: ∂L/∂args and ∂L/∂output, for this call.  The hook may
        return a tuple of replacements for ``grad_input``, which flow on instead.  Returns a handle.
        """
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_backward_hook(self, hook):
        """PyTorch's deprecated backward hook: refused, use ``register_full_backward_hook``."""
        raise RuntimeError("register_backward_hook is deprecated in PyTorch (its grad_input is that of the module's "
                           "last operation, not of the module's inputs) and not supported here: use "
                           "register_full_backward_hook(hook), which takes the same hook; see docs/porting.md")

    def _add_hook(self, registry, hook, prepend, with_kwargs=False, always_call=False):
        """Put ``hook`` in the registry (made with the first hook) under a new handle's id; returns the handle."""
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}: a hook must be a function, got {type(hook).__name__}")
        if registry not in self.__dict__:
            object.__setattr__(self, registry, OrderedDict())
        if "_hook_options" not in self.__dict__:
            object.__setattr__(self, "_hook_options", {})
        handle = RemovableHandle(self.__dict__[registry], extra_dict=self._hook_options)
        self._hook_options[handle.id] = {"with_kwargs": with_kwargs, "always_call": always_call}
        self.__dict__[registry][handle.id] = hook
        if prepend:
            self.__dict__[registry].move_to_end(handle.id, last=False)
        return handle

    # ---- walking the tree -------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Every module of the tree, this one first, as (dotted path, module); a shared module once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """The direct submodules as (name, module), each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Every parameter as (dotted path, parameter), e.g. ('0.weight', …); a shared one once."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, param in module._parameters.items():
                if param is None or (remove_duplicate and id(param) in seen):
                    continue
                seen.add(id(param))
                yield (f"{path}.{name}" if path else name), param

    def parameters(self, recurse=True):
        """The parameters to hand to an optimizer: ``optim.SGD(model.parameters(), lr=0.03)``."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, buf in module._buffers.items():
                if buf is not None and id(buf) not in seen:
                    seen.add(id(buf))
                    yield (f"{path}.{name}" if path else name), buf

    def buffers(self, recurse=True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on this one; returns self.

        The initialisation idiom: ``net.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- training helpers -------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (``.grad = None``, or zeros with ``set_to_none=False``)."""
        for param in self.parameters():
            internal.clear_grad(param, set_to_none)

    def train(self, mode=True):
        """Set ``training`` on this module and all below it (layers such as dropout read it); returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be True or False, got {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """``train(False)``: evaluation mode."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient recording for every parameter (``False`` freezes the module); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args, dtype=None, **kwargs):
        """Convert the floating-point parameters and buffers to ``dtype`` in place; ``to('cpu')`` does nothing.

        ``to('meta')`` does nothing either: there are no meta tensors here, and PyTorch programs make a meta
        module only as the skeleton that ``func.functional_call`` fills with other tensors (model ensembling).
        """
        if kwargs.get("device") != "meta":
            check_device(kwargs.get("device"), "Module.to")
        for a in args:
            if isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta"):
                if a != "meta":
                    check_device(a, "Module.to")  # 'cpu' is fine; 'cuda' gets an error that says why
                continue
            dtype = a
        if dtype is None:
            return self
        dt = dtypes.to_dtype(dtype, "Module.to")
        if not dtypes.is_floating(dt):
            raise TypeError(f"Module.to: only floating dtypes are supported, got {dtypes.dtype_name(dt)}")
        for t in list(self.parameters()) + list(self.buffers()):
            if dtypes.is_floating(t.dtype) and t.dtype != dt:
                internal.set_values(t, internal.copy_array(t, dt))
                if t.grad is not None:
                    t.grad = internal.wrap(internal.copy_array(t.grad, dt))
        return self

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def cpu(self):
        return self

    # ---- saving and loading -----------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """The parameters and persistent buffers by dotted name, as tensors sharing their memory.

        Save it with ``tinygrad_lr.save(model.state_dict(), path)``.  A module used
        twice appears under both names, as in PyTorch.
        """
        if destination is None:
            destination = {}
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from a state_dict into this module's parameters and buffers.

        All checks come first, so on an error nothing has been changed.  A
        shape mismatch is always an error; ``strict=False`` only tolerates
        missing and unexpected keys.

        Returns:
            ``(missing_keys, unexpected_keys)`` as a named tuple.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected state_dict to be dict-like, got {type(state_dict).__name__}")
        for path, module in self.named_modules():  # a lazy module (lazy.py) first takes its sizes from the checkpoint
            if hasattr(module, "_load_sizes"):
                module._load_sizes(state_dict, f"{path}." if path else "")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors, copies = [], []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if isinstance(value, Tensor):
                value = internal.values(value)
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
                errors.append(f"value for {key} must be a Tensor or a numeric array, got {type(value).__name__}.")
            elif value.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                              f"checkpoint, the shape in current model is {tuple(target.shape)}.")
            else:
                copies.append((target, value))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
                               + "\n(the checkpoint must come from a model of the same architecture and sizes; "
                               "strict=False ignores missing and unexpected keys, but never a wrong shape)")
        with no_grad():  # loading is not part of any graph
            for target, value in copies:
                target.copy_(value)
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing ---------------------------------------------------------------
    def extra_repr(self):
        """One line (or more) of settings shown inside the repr; subclasses override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): {_indent(repr(module), 2)}" for name, module in self._modules.items()]
        text = type(self).__name__ + "("
        if len(lines) == 1 and not children:
            text += lines[0]
        elif lines or children:
            text += "\n  " + "\n  ".join(lines + children) + "\n"
        return text + ")"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))
