"""``Optimizer``: the parameters to update, grouped, and the state each update keeps.

An optimizer holds ``param_groups``, a list of dicts: each has ``'params'``
(a list of leaf tensors) and the settings for them (``'lr'``, ``'momentum'``,
…), those not given filled from the optimizer's defaults; and ``state``, a
dict from each parameter to what its update remembers between steps (SGD's
momentum buffer).  A subclass writes ``step()``.
"""
import copy
import numbers
from collections.abc import Mapping

import numpy as np

from ..core import Tensor
from ..core import internal
from ..ops.creation import full_like, tensor
from ..core.grad_mode import enable_grad


class Optimizer:
    """Base class of optimizers.

    Args:
        params: an iterable of tensors (``model.parameters()``), or of dicts
            ``{'params': [...], 'lr': ...}`` for groups with their own settings.
        defaults: the settings used where a group does not give its own.
    """

    _flat_state = ()   # state entries that are not shaped like their parameter (L-BFGS's flat vectors)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}           # parameter -> its state dict (tensors hash by identity)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got Tensor; wrap a single tensor in a list: [w]")
        if isinstance(params, Mapping):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}; pass model.parameters() (not a state_dict)")
        try:
            groups = list(params)
        except TypeError:
            hint = ("; call the method: model.parameters()" if callable(params) and not hasattr(params, "parameters")
                    else "; pass model.parameters()" if hasattr(params, "parameters") else "")
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}{hint}") from None
        if not groups:
            raise ValueError("optimizer got an empty parameter list: pass model.parameters() of a model that has "
                             "parameters (a generator of parameters can only be used once)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own settings (e.g. another learning rate)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError("param_group must have a 'params' entry: {'params': [...], 'lr': ...}")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                hint = (" (pass model.parameters(), not named_parameters())"
                        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor) else "")
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}{hint}")
            if p.grad_fn is not None:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i} was computed by "
                                 f"{p.grad_fn.name()}); optimize the leaf it was computed from")
            if id(p) in seen:
                raise ValueError(f"parameter {i} appears twice in the same parameter group: it would be "
                                 "updated twice per step; list each parameter once")
            seen.add(id(p))
        for group in self.param_groups:
            if any(id(p) in seen for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of all parameters: ``.grad = None`` (or zeros with ``set_to_none=False``).

        Gradients accumulate in ``backward()``, so call this once per step.
        """
        for group in self.param_groups:
            for p in group["params"]:
                internal.clear_grad(p, set_to_none)

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} does not define step()")

    @staticmethod
    def _closure_loss(closure):
        """The loss ``closure()`` returns (None without a closure), computed with gradient recording on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _gradients(group, weight_decay=True):
        """(p, g) for each parameter of ``group`` that has a gradient, skipping the others.

        g = ∇θ ℓ (−∇θ ℓ if the group maximizes), plus λ·θ when the group's weight_decay
        λ ≠ 0 (the L2 penalty ½λ‖θ‖²; ``weight_decay=False`` leaves it to the caller, e.g. AdamW).
        """
        wd = group.get("weight_decay", 0) if weight_decay else 0
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad if group["maximize"] else p.grad
            yield p, (g.add(p, alpha=wd) if wd != 0 else g)

    def _state_of(self, p, *buffers, fill=0.0):
        """p's state; made at p's first step: ``'step'`` = 0 and, for each name, a tensor like p of ``fill``.

        ``'step'`` is a 0-d float32 tensor, as in PyTorch (``state['step'].item()`` is the count).
        """
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = tensor(0.0)
            for name in buffers:
                state[name] = full_like(p, fill)
        return state

    # ---- saving and loading -----------------------------------------------------
    def state_dict(self):
        """``{'state': {i: {...}}, 'param_groups': [{..., 'params': [i, …]}]}``, parameters by position.

        Parameters are numbered in the order of the groups; the state's tensors
        are the optimizer's own (save them with ``tinygrad_lr.save``).
        """
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore settings and state (momentum buffers) saved by ``state_dict()``.

        The optimizer must have been built for the same parameters (same
        number of groups and of parameters in each); the state is copied.
        """
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("load_state_dict: expected the dict made by optimizer.state_dict(), with "
                             "'state' and 'param_groups' entries")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups: it has "
                             f"{len(saved_groups)}, this optimizer has {len(self.param_groups)}")
        by_index = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group: group {i} has {len(saved['params'])} parameter(s) in the "
                                 f"state dict and {len(group['params'])} in this optimizer")
            by_index.update(zip(saved["params"], group["params"]))
        state = {}
        for key, entries in state_dict["state"].items():
            key = int(key)
            if key not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {key}, which is in no parameter group")
            p = by_index[key]
            state[p] = {name: _restore(value, p, key, name, name not in self._flat_state)
                        for name, value in entries.items()}
        self.state = state
        self.param_groups = [dict(copy.deepcopy({k: v for k, v in saved.items() if k != "params"}),
                                  params=group["params"])
                             for group, saved in zip(self.param_groups, saved_groups)]

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}"
            for key in sorted(k for k in group if k != "params"):
                text += f"\n    {key}: {group[key]}"
        return text + "\n)"


def _restore(value, param, key, name, shaped_like_param=True):
    """A copy of a saved state entry; tensors get the parameter's dtype (and must have its shape).

    As in PyTorch, ``'step'`` keeps its own dtype; lists (L-BFGS's history) are restored entry by entry.
    """
    if isinstance(value, (list, tuple)):
        return type(value)(_restore(v, param, key, name, shaped_like_param) for v in value)
    if isinstance(value, (Tensor, np.ndarray)):
        array = internal.values(value) if isinstance(value, Tensor) else value
        if shaped_like_param and array.ndim and array.shape != param.shape:
            raise ValueError(f"loaded state dict: state '{name}' of parameter {key} has shape "
                             f"{tuple(array.shape)}, but the parameter has shape {tuple(param.shape)}")
        dtype = param.dtype if array.dtype.kind == "f" and name != "step" else array.dtype
        return internal.wrap(np.array(array, dtype=dtype))
    return copy.deepcopy(value)


# ---- PyTorch's argument checks, each message with the rule and a fix -------------------
def _number(name, value, text):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{text}: {value!r} ({name} must be a number)")
    return value


def _check_at_least(text, name, value, example, low=0.0):
    """``Invalid epsilon value: -1e-08 (eps must be >= 0, e.g. eps=1e-08)`` unless low <= value."""
    value = _number(name, value, text)
    if not value >= low:                      # not(...) so that NaN fails too
        raise ValueError(f"{text}: {value} ({name} must be >= {low:g}, e.g. {name}={example})")
    return value


def _check_fraction(text, name, value, example, one_allowed=False):
    """PyTorch's ``0 <= value < 1`` (or ``<= 1``) for betas, alpha-like decay rates and rho."""
    value = _number(name, value, text)
    if not (0.0 <= value <= 1.0 if one_allowed else 0.0 <= value < 1.0):
        interval = "[0, 1]" if one_allowed else "[0, 1)"
        raise ValueError(f"{text}: {value} ({name} must be in {interval}, e.g. {example})")
    return value


def _check_count(text, name, value, example):
    """A whole number >= 1 (L-BFGS's max_iter, max_eval, history_size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{text}: {value!r} ({name} must be a whole number >= 1, e.g. {name}={example})")
    return int(value)
