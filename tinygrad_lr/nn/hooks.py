"""A module called with hooks: ``Module.__call__`` when ``register_forward_hook`` and friends were used.

PyTorch's order, for ``module(*args, **kwargs)``:

1. the forward pre-hooks, ``hook(module, args)``: each may return new arguments;
2. with full backward hooks, the tensors requiring grad among the arguments go through one node
   (``BackwardHookFunction``), where backward will show their gradients (``grad_input``);
3. ``forward``;
4. the forward hooks, ``hook(module, args, output)``: each may return a new output;
5. with full backward hooks, the output's tensors go through such a node too (``grad_output``).

In backward the outputs' node comes first (it is the newer): the backward pre-hooks see
``grad_output``; the inputs' node comes once everything the module computed has sent its gradient back:
the backward hooks see ``grad_input`` and ``grad_output``.  Each may return replacements, which flow
on instead.  Both nodes are watched with ``Tensor.register_hook`` on their output.
"""
import math
import warnings

import numpy as np

from ..core import Tensor
from ..core.function import Function
from ..core.grad_mode import is_grad_enabled
from ..ops.creation import zeros


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` with its hooks (the module docstring gives the order)."""
    options = module._hook_options
    for i, hook in list(module._forward_pre_hooks.items()):
        if options[i]["with_kwargs"]:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                       f"but got {result!r}.")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward = None
    if (module._backward_hooks or module._backward_pre_hooks) and is_grad_enabled():
        backward = _BackwardHooks(module)
        args = backward.inputs(args)
    try:
        output = module.forward(*args, **kwargs)
    except Exception:
        _call_the_always_called(module, args, kwargs)
        raise
    for i, hook in list(module._forward_hooks.items()):
        result = hook(module, args, kwargs, output) if options[i]["with_kwargs"] else hook(module, args, output)
        if result is not None:
            output = result
    return output if backward is None else backward.outputs(output)


def _call_the_always_called(module, args, kwargs):
    """forward raised: the forward hooks registered with ``always_call=True`` still run, with output None."""
    for i, hook in list(module._forward_hooks.items()):
        if module._hook_options[i]["always_call"]:
            try:
                hook(module, args, kwargs, None) if module._hook_options[i]["with_kwargs"] else hook(module, args, None)
            except Exception as e:  # the error of forward is the one to see
                warnings.warn("forward hook with ``always_call=True`` raised an exception that was silenced as "
                              f"another error was raised in forward: {e}")


# ---- full backward hooks -------------------------------------------------------------------------------
class BackwardHookFunction(Function):
    """y = [x₁ | x₂ | …]: the tensors flattened and put end to end;  ∂L/∂xᵢ = the piece of g where xᵢ is.

    The node a module's full backward hooks watch (PyTorch's node has the same name): the tensors going
    into the module, or coming out of it, pass through it, so its one gradient holds all of theirs.
    (Tensors of different dtypes are put end to end in the wider one, and taken apart in their own.)
    """

    @staticmethod
    def forward(ctx, *xs):
        ctx.shapes = [x.shape for x in xs]
        return np.concatenate([x.reshape(-1) for x in xs])

    @staticmethod
    def backward(ctx, grad_output):
        return tuple(_pieces(grad_output, ctx.shapes))


def _pieces(vector, shapes, dtypes=None):
    """The tensors put end to end in ``vector``, taken apart again (views of it), in their dtypes if given."""
    pieces, start = [], 0
    for k, shape in enumerate(shapes):
        n = math.prod(shape)
        piece = vector[start:start + n].reshape(shape)
        pieces.append(piece if dtypes is None or piece.dtype == dtypes[k] else piece.to(dtypes[k]))
        start += n
    return pieces


def _requires_grad(value):
    return isinstance(value, Tensor) and value.requires_grad


class _Gate:
    """The tensors requiring grad among ``values`` through one ``BackwardHookFunction`` node: ``packed`` is
    its output, and ``values`` the same sequence with each of those tensors replaced by its piece of it."""

    def __init__(self, values):
        self.where = [i for i, v in enumerate(values) if _requires_grad(v)]
        tensors = [values[i] for i in self.where]
        self.shapes, self.dtypes = [t.shape for t in tensors], [t.dtype for t in tensors]
        self.packed = BackwardHookFunction.apply(*tensors)
        self.values = list(values)
        for i, piece in zip(self.where, _pieces(self.packed, self.shapes, self.dtypes)):
            self.values[i] = piece

    def split(self, g):
        """The gradient of ``packed`` as one gradient per value (None for a value that needs none)."""
        grads = [None] * len(self.values)
        for i, gi in zip(self.where, _pieces(g, self.shapes, self.dtypes)):
            grads[i] = gi
        return tuple(grads)

    def join(self, grads, like):
        """Gradients, one per value (None: zeros), put end to end again as a gradient of ``packed`` like ``like``."""
        parts = [zeros(shape, dtype=dtype) if grads[i] is None else grads[i]
                 for i, shape, dtype in zip(self.where, self.shapes, self.dtypes)]
        joined = BackwardHookFunction.apply(*parts)
        return joined if joined.dtype == like.dtype else joined.to(like.dtype)


class _BackwardHooks:
    """One call of a module with full backward hooks: its two gates, and the grad_output seen in between."""

    def __init__(self, module):
        self.module, self.n_inputs, self.n_outputs = module, 0, 0
        self.inputs_gate = self.grad_outputs = None

    def inputs(self, args):
        self.n_inputs = len(args)
        if not any(_requires_grad(a) for a in args):
            return args
        self.inputs_gate = _Gate(args)
        self.inputs_gate.packed.register_hook(self._on_grad_inputs)
        return tuple(self.inputs_gate.values)

    def outputs(self, output):
        if not isinstance(output, (Tensor, tuple)):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of Tensors "
                          f"but received {type(output)}")
            return output
        values = (output,) if isinstance(output, Tensor) else output
        self.n_outputs = len(values)
        if not any(_requires_grad(v) for v in values):
            return output
        gate = self.outputs_gate = _Gate(values)
        gate.packed.register_hook(self._on_grad_outputs)
        return gate.values[0] if isinstance(output, Tensor) else tuple(gate.values)

    def _on_grad_outputs(self, g):
        """The outputs' gradients are complete: the backward pre-hooks see them (and may replace them)."""
        module, grads, replaced = self.module, self.outputs_gate.split(g), False
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, grads)
            if result is not None:
                grads, replaced = _checked("full backward pre-hook", "grad_output", result, grads), True
        self.grad_outputs = grads
        if self.inputs_gate is None and module._backward_hooks:  # no input requires grad: they run now, as in PyTorch
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=6)  # (the line that called backward)
            grad_input = (None,) * self.n_inputs
            for hook in list(module._backward_hooks.values()):
                result = hook(module, grad_input, grads)
                if result is not None and any(r is not None for r in result):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
        return self.outputs_gate.join(grads, g) if replaced else None

    def _on_grad_inputs(self, g):
        """Everything the module computed has sent its gradient back: the backward hooks see grad_input."""
        grad_output, self.grad_outputs = self.grad_outputs, None
        if grad_output is None:  # a gradient that did not come through the outputs (a double backward): not theirs
            return None
        module, grads, replaced = self.module, self.inputs_gate.split(g), False
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grads, grad_output)
            if result is not None:
                grads, replaced = _checked("full backward hook", "grad_input", result, grads), True
        return self.inputs_gate.join(grads, g) if replaced else None


def _checked(what, name, result, grads):
    """A hook's replacement for ``grads``: a tuple as long, each entry None or a Tensor of the same shape."""
    if not isinstance(result, (tuple, list)) or len(result) != len(grads):
        got = len(result) if isinstance(result, (tuple, list)) else type(result).__name__
        raise RuntimeError(f"{what} returned an invalid number of {name}, got {got}, but expected {len(grads)}: "
                           f"return a tuple with one gradient (or None) per entry of {name}")
    for k, (new, old) in enumerate(zip(result, grads)):
        if old is not None and new is not None and (not isinstance(new, Tensor) or new.shape != old.shape):
            got = f"shape {tuple(new.shape)}" if isinstance(new, Tensor) else type(new).__name__
            raise RuntimeError(f"{what} returned {got} for {name}[{k}], which must be a Tensor of shape "
                               f"{tuple(old.shape)} (or None)")
    return tuple(result)
