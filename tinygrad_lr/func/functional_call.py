"""``functional_call``: run a module with other tensors in place of its parameters and buffers.

    out = functional_call(model, {"0.weight": W, "0.bias": b, ...}, (x,))

is ``model(x)`` computed with W, b, … instead of the module's own tensors, which are put back after (also
when the call raises).  With it a model becomes a function of its parameters, which is what ``grad`` and
``vmap`` differentiate and batch: per-sample gradients of an MLP are
``vmap(grad(loss), in_dims=(None, 0, 0))(params, X, y)`` with ``loss`` calling ``functional_call``.
"""
from ..core.tensor import Tensor
from ..ops.shapes import stack


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts`` as its parameters/buffers.

    Args:
        module: an ``nn.Module``.
        parameter_and_buffer_dicts: a dict {dotted name: tensor} (as ``named_parameters()`` names them), or a
            tuple/list of such dicts (no name in two of them).  Names not given keep the module's own tensor.
        args: the positional arguments (a tuple; anything else is the one argument).
        kwargs: the keyword arguments.
        tie_weights: a tensor the module uses under two names (tied weights) is replaced under both when
            one of the names is given (PyTorch's default).
        strict: every parameter and buffer must be given, and nothing else.
    """
    given = _merge(parameter_and_buffer_dicts)
    own = dict(module.named_parameters(remove_duplicate=False))
    own.update(dict(module.named_buffers()))
    unexpected = [name for name in given if name not in own]
    if strict or unexpected:
        missing = [name for name in own if name not in given] if strict else []
        if unexpected or missing:
            raise RuntimeError(f"functional_call: Error(s) in reparametrizing for {type(module).__name__}: "
                               + (f"Unexpected key(s): {', '.join(map(repr, unexpected))}. " if unexpected else "")
                               + (f"Missing key(s): {', '.join(map(repr, missing))}. " if missing else "")
                               + f"The module's parameters and buffers are {sorted(own)}")
    if tie_weights:  # the names that share a tensor with a given one get the same replacement
        by_tensor = {id(own[name]): value for name, value in given.items()}
        given = {name: given.get(name, by_tensor.get(id(t))) for name, t in own.items()
                 if name in given or id(t) in by_tensor}
    saved = []
    try:
        for name, value in given.items():
            owner, attr = _owner(module, name)
            saved.append((owner, attr, _swap(owner, attr, value)))
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, old in reversed(saved):
            _swap(owner, attr, old)


def _merge(dicts):
    if isinstance(dicts, dict):
        return dict(dicts)
    if not isinstance(dicts, (tuple, list)) or not all(isinstance(d, dict) for d in dicts):
        raise TypeError("functional_call: parameter_and_buffer_dicts must be a dict {name: tensor} or a tuple of "
                        f"such dicts, got {type(dicts).__name__}")
    merged = {}
    for d in dicts:
        for name, value in d.items():
            if name in merged:
                raise ValueError(f"functional_call: {name!r} appeared in multiple dictionaries; give each name once")
            merged[name] = value
    return merged


def _owner(module, name):
    """The submodule that holds ``name`` ('layers.0.weight' → (layers[0], 'weight'))."""
    *path, attr = name.split(".")
    for part in path:
        module = module._modules[part]
    return module, attr


def _swap(owner, attr, value):
    """Put ``value`` in the registry (parameters or buffers) ``attr`` is in; returns what was there."""
    if value is not None and not isinstance(value, Tensor):
        raise TypeError(f"functional_call: the value for {attr!r} must be a Tensor, got {type(value).__name__}")
    registry = owner._parameters if attr in owner._parameters else owner._buffers
    old = registry[attr]
    registry[attr] = value
    if attr in owner.__dict__ or registry is owner._parameters:  # a parameter is also a plain attribute (module.py)
        owner.__dict__[attr] = value
    return old


def stack_module_state(models):
    """The parameters and buffers of M models of one class, stacked: ``(params, buffers)``, two dicts
    {name: tensor of shape (M, *shape)}, for an ensemble run with ``vmap`` (PyTorch's ``torch.func``).

        params, buffers = stack_module_state(models)
        out = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))(params, buffers, x)

    The stacked parameters are new leaves (``requires_grad`` as the models' own): an optimizer can train them,
    and the models' tensors are not touched.
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class, got "
                           + ", ".join(sorted({type(m).__name__ for m in models})))
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode "
                           "(call .train() or .eval() on all of them).")

    def stacked(named, leaf):
        tables = [dict(named(m)) for m in models]
        out = {}
        for name, first in tables[0].items():
            try:
                value = stack([t[name].detach() for t in tables])
            except (KeyError, ValueError, RuntimeError) as e:
                raise RuntimeError(f"stack_module_state: {name!r} is not in every model with one shape: {e}") from None
            out[name] = value.requires_grad_(first.requires_grad) if leaf else value
        return out

    return (stacked(lambda m: m.named_parameters(), True), stacked(lambda m: m.named_buffers(), False))
