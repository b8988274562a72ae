"""``grad`` and ``backward``: the function forms of running the engine (``core/engine.py``)."""
from ..core import engine
from ..core.internal import wrap
from ..core.tensor import Tensor


def _as_list(x, name):
    if isinstance(x, Tensor):
        return [x]
    try:
        xs = list(x)
    except TypeError:
        raise TypeError(f"{name}: expected a tensor or a sequence of tensors, got {type(x).__name__}") from None
    for t in xs:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected tensors, got an element of type {type(t).__name__}")
    return xs


def _grad_outputs(grad_outputs):
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        return None if grad_outputs is None else [grad_outputs]
    return list(grad_outputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated into .grad).

    Args:
        outputs: a tensor or sequence of tensors to differentiate (scalars, or pass grad_outputs).
        inputs: the tensors to differentiate with respect to (leaves or intermediate values).
        grad_outputs: ∂L/∂output for each output ("the vector" of the vector-Jacobian product).
        retain_graph: keep the graph for another pass (default: create_graph).
        create_graph: make the returned gradients differentiable (for second derivatives).
        allow_unused: return None for an input the outputs do not depend on, instead of raising.
    Returns:
        a tuple with one gradient per input.
    """
    outputs, inputs = _as_list(outputs, "grad"), _as_list(inputs, "grad")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {tuple(t.shape)}) does not require grad; "
                               "create it with requires_grad=True")
    grads = engine.grad("grad", outputs, inputs, _grad_outputs(grad_outputs), retain_graph, create_graph)
    for i, (t, g) in enumerate(zip(inputs, grads)):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {tuple(t.shape)}) was not used to compute the outputs, so it "
                "has no gradient; pass allow_unused=True to get None for it")
    return tuple(g if g is None or isinstance(g, Tensor) else wrap(g) for g in grads)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into the leaves' ``.grad`` the gradient of ``tensors`` (like calling .backward() on each)."""
    tensors = _as_list(tensors, "backward")
    if inputs is not None:
        inputs = _as_list(inputs, "backward")
    engine.backward("backward", tensors, _grad_outputs(grad_tensors), retain_graph, create_graph, inputs)
