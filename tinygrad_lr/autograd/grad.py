"""``grad`` and ``backward``: the function forms of running the engine."""
from ..core import engine, ops
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


def _seeds(op, outputs, grad_outputs, create_graph):
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{op}: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"{op}: output {i} does not require grad and has no grad_fn: it does not "
                               "depend on any tensor with requires_grad=True")
    return [ops.seed_gradient(op, out, g, create_graph) for out, g in zip(outputs, grad_outputs)]


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
    seeds = _seeds("grad", outputs, grad_outputs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    result = engine.backward(outputs, seeds, retain_graph, create_graph, inputs)
    out = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {tuple(t.shape)}) was not used to compute the outputs, so it "
                    "has no gradient; pass allow_unused=True to get None for it")
            out.append(None)
        else:
            out.append(g if isinstance(g, Tensor) else Tensor._make(g))
    return tuple(out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into the leaves' ``.grad`` the gradient of ``tensors`` (like calling .backward() on each)."""
    tensors = _as_list(tensors, "backward")
    seeds = _seeds("backward", tensors, grad_tensors, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_list(inputs, "backward")
        for t, g in zip(inputs, engine.backward(tensors, seeds, retain_graph, create_graph, inputs)):
            if g is not None:
                engine._accumulate(t, g, create_graph)
        return
    engine.backward(tensors, seeds, retain_graph, create_graph)
