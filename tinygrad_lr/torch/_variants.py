"""Where ``tinygrad_lr.torch`` is not ``tinygrad_lr``: the few places the main package differs from
PyTorch on purpose, in PyTorch's version.  Each reuses the main package's op; none computes anything
a second time.

``TABLE`` is the table of them in docs/porting.md (tests/porting/test_facade.py checks that the page says the same,
and that every other name of the facade *is* the main package's object).
"""
import numpy as np

from tinygrad_lr import autograd as _autograd
from tinygrad_lr import nn as _nn
from tinygrad_lr.core import internal
from tinygrad_lr.core.grad_mode import is_grad_enabled, no_grad
from tinygrad_lr.core.tensor import Tensor

# (names in the facade, what tinygrad_lr does, what tinygrad_lr.torch does (= PyTorch), why they differ)
TABLE = [
    (("nn.MSELoss", "nn.functional.mse_loss"),
     "½·mean((ŷ − y)²); `'sum'`: ½·Σ(ŷ − y)², `'none'`: ½(ŷ − y)²",
     "mean((ŷ − y)²), Σ(ŷ − y)², (ŷ − y)²: PyTorch's: the same fused op with 1 in place of ½ (one node, `MseLossBackward`)",
     "the lecture notes' ½ cancels the 2 of the derivative, so backward gives their ∂ℓ/∂w = Xᵀ(Xw + b − y)/n; "
     "with PyTorch's loss the same `lr` takes twice the step"),
    (("autograd.Function",),
     "`forward` gets NumPy arrays; `backward` gets arrays (Tensors under `create_graph=True`)",
     "`forward` and `backward` get and return Tensors; `save_for_backward`, `saved_tensors`, "
     "`needs_input_grad`, `mark_non_differentiable`, `setup_context`",
     "the built-in ops are written this way: one backward in array syntax serves NumPy and, recorded, "
     "Tensors; PyTorch's Functions call Tensor methods (`clamp`, `>`) that arrays lack"),
]


# ---- nn.MSELoss and F.mse_loss without the ½ ---------------------------------------------------------
# The same fused op with 1 in place of ½ (nn.functional.MseLoss): one node, as PyTorch's, so that
# loss.grad_fn.next_functions leads to the model as the tutorials print it.  2·½ = 1 exactly, so its value
# and gradient are bit for bit 2 × ours.

class MSELoss(_nn.MSELoss):
    """PyTorch's mean squared error, ℓ = 1/n · Σᵢ (ŷᵢ − yᵢ)²  — without the ½ of ``tinygrad_lr.nn.MSELoss``.

    ∂ℓ/∂ŷ = 2(ŷ − y)/n.  ``'sum'``: Σ(ŷ − y)², ``'none'``: (ŷ − y)² element-wise.  The arguments and
    shape checks are ``tinygrad_lr.nn.MSELoss``'s.
    """

    _door = "tinygrad_lr.torch.nn"  # (using this and tinygrad_lr.nn.MSELoss in one program warns, once)

    def forward(self, input, target):
        return _nn.functional._mse_loss(input, target, self.reduction, _nn.functional.MseLoss)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """PyTorch's ``F.mse_loss``: mean((ŷ − y)²), without the ½ of ``tinygrad_lr.nn.functional.mse_loss``."""
    _nn.loss.squared_error_used(MSELoss._door)
    reduction = _nn.loss_args.reduction("MSELoss", size_average, reduce, reduction)
    return _nn.functional._mse_loss(input, target, reduction, _nn.functional.MseLoss)


# ---- autograd.Function on Tensors -------------------------------------------------------------------

class Function(_autograd.Function):
    """A custom op written as in PyTorch: ``forward`` and ``backward`` get and return Tensors.

    Example::

        class MyReLU(torch.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return input.clamp(min=0)

            @staticmethod
            def backward(ctx, grad_output):        # ∂L/∂x = g · [x > 0]
                input, = ctx.saved_tensors
                return grad_output * (input > 0)

        y = MyReLU.apply(x)

    ``forward`` runs under ``no_grad`` on the arguments given to ``apply``.  ``backward`` gets
    ∂L/∂output as a Tensor and returns one gradient per argument of forward (None where none is
    needed); it records nothing, unless the backward pass itself is recorded
    (``create_graph=True``): then its gradient can be differentiated again.

    How: ``MyReLU.apply`` applies a node class made once for MyReLU (a subclass of it, so ``ctx`` is
    a MyReLU and ``y.grad_fn`` prints as ``<MyReLUBackward>``) whose forward and backward, the ones
    the engine calls with arrays, wrap the arrays as Tensors and call yours.
    """

    _non_differentiable = False

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` on the arguments and, if one requires grad, record ``backward`` for them."""
        node = cls.__dict__.get("_node")
        if node is None:
            node = cls._node = type(cls.__name__, (cls,), {
                "forward": staticmethod(_forward), "backward": staticmethod(_backward), "_user": cls,
                "__module__": cls.__module__, "__qualname__": cls.__qualname__})
        out = super(Function, node).apply(*args, _inputs=args)
        # (getattr: under vmap, an op without a batch rule runs once per sample and a stack makes the output)
        if out.grad_fn is not None and getattr(out.grad_fn, "_non_differentiable", False):
            return out.detach()
        return out

    def save_for_backward(self, *tensors):
        """Keep these Tensors (inputs, the output, or others) for backward, as ``ctx.saved_tensors``."""
        super().save_for_backward(*(internal.values(t) if isinstance(t, Tensor) else t for t in tensors))

    @property
    def saved_tensors(self):
        """What forward saved, as Tensors (the inputs and output of the graph under create_graph=True)."""
        return tuple(internal.wrap(v) if isinstance(v, np.ndarray) else v for v in super().saved_tensors)

    def mark_non_differentiable(self, *outputs):
        """Say that the output gets no gradient (an index, a mask): it will not require grad."""
        self._non_differentiable = True

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch 2's other style: define it, and ``forward(*args)`` without ctx; it saves what backward needs."""


def _forward(ctx, *arrays, _inputs):
    """The node's forward: the user's, under no_grad, on the Tensors given to apply; an array out."""
    user = ctx._user
    if not ctx.needs_input_grad:  # apply sets it only when it records
        ctx.needs_input_grad = (False,) * len(arrays)
    with no_grad():
        if user.setup_context is not Function.setup_context:
            out = user.forward(*_inputs)  # PyTorch 2's style: forward without ctx, then setup_context
            user.setup_context(ctx, _inputs, out)
        else:
            out = user.forward(ctx, *_inputs)
    if not isinstance(out, Tensor):
        several = "; a Function with several outputs is not supported" if isinstance(out, (tuple, list)) else ""
        raise TypeError(f"{user.__name__}.forward must return a Tensor, got {type(out).__name__}{several}")
    return internal.values(out)


def _backward(ctx, grad_output):
    """The node's backward: the user's on Tensors; arrays back, or Tensors when the pass is recorded."""
    recorded = is_grad_enabled()  # the engine records the backward pass only for create_graph=True
    g = grad_output if isinstance(grad_output, Tensor) else internal.wrap(grad_output)
    grads = ctx._user.backward(ctx, g)
    grads = grads if isinstance(grads, tuple) else (grads,)
    return tuple(internal.values(gi) if isinstance(gi, Tensor) and not recorded else gi for gi in grads)
