"""``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``vhp``, ``hvp``: derivatives of whole functions.

Names, signatures and return structures are those of ``torch.autograd.functional``:
a function of one tensor gives one result, a function of a tuple of tensors a
tuple (one entry per input; for ``jacobian`` and ``hessian`` of tuples, a tuple
of tuples).  Everything is built from one primitive, ``grad``:

- vjp:  vᵀ J = grad(f(x), x, grad_outputs=v)                       (one backward pass)
- jacobian: row r of J is eᵣᵀ J: one vjp per output element
- jvp:  J v = ∂/∂u [uᵀ J] v, a vjp of a vjp ("double-backward trick": uᵀJ is linear in u)
- hvp:  H v = grad(∇f(x) · v, x): the gradient, with create_graph=True, differentiated again
- hessian: the jacobian of the gradient

Example — Newton's method for linear regression (see examples/newton_linear_regression.py)::

    loss = lambda theta: ((A @ theta - y) ** 2).sum() / (2 * n)
    H = hessian(loss, theta)                    # = AᵀA / n
    g, = grad(loss(theta), theta)
    theta = theta - solve(H, g)                 # one step lands on the least-squares solution
"""
import numpy as np

from ..core import grad_mode, internal, primitives
from ..ops import shapes
from ..ops.creation import ones_like, zeros, zeros_like
from ..core.tensor import Tensor
from .grad import grad


# ---- arguments and results: PyTorch's structures ------------------------------------
def _as_tuple(op, x, what):
    """(is_tuple, the tensors as a tuple), refusing anything that is not a tensor."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            where = f" but the value at index {i} has type {type(t).__name__}" if is_tuple else \
                f" but got {type(t).__name__}"
            raise TypeError(f"{op}: the {what} must be either a Tensor or a tuple of Tensors{where}")
    return is_tuple, xs


def _as_float_tuple(op, inputs):
    is_tuple, xs = _as_tuple(op, inputs, "inputs given to " + op)
    for i, x in enumerate(xs):
        if x.dtype.kind != "f":
            raise TypeError(f"{op}: input {i} has dtype {x.dtype}; derivatives need floating-point inputs "
                            "(convert with .double())")
    return is_tuple, xs


def _prepare(op, inputs, create_graph):
    """Inputs for func: tensors that require grad, sharing memory with the user's.

    With create_graph a tensor that already requires grad is seen through a
    recorded view, so the results stay differentiable with respect to it;
    otherwise a new leaf (like ``x.detach().requires_grad_()``).
    """
    is_tuple, xs = _as_float_tuple(op, inputs)
    prepared = []
    for x in xs:
        if create_graph and x.requires_grad:
            prepared.append(primitives.Reshape.apply(x, shape=x.shape))
        else:
            prepared.append(x.detach().requires_grad_())
    return is_tuple, tuple(prepared)


def _call(op, func, xs):
    with grad_mode.enable_grad():
        out = func(*xs)
    is_tuple, outs = _as_tuple(op, out, f"outputs of the user-provided function given to {op}")
    return is_tuple, outs


def _result(is_tuple, xs):
    return tuple(xs) if is_tuple else xs[0]


def _finish(t, create_graph):
    return t if create_graph else t.detach()


def _grads(outputs, inputs, grad_outputs, create_graph):
    """grad(...) with None for inputs the outputs do not use, and for outputs that use no input."""
    pairs = [(o, v) for o, v in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return [None] * len(inputs)
    return list(grad([o for o, _ in pairs], list(inputs), grad_outputs=[v for _, v in pairs],
                     retain_graph=True, create_graph=create_graph, allow_unused=True))


def _fill(op, g, x, i, strict, what):
    """A missing gradient is zero, except in strict mode, where it is an error."""
    if g is not None:
        return g
    if strict:
        raise RuntimeError(f"{op}: {what} of the user-provided function is independent of input {i}. This is "
                           "not allowed in strict mode (strict=True); pass strict=False to get zeros")
    return zeros_like(x)


def _validate_v(op, v, like, what):
    """v as a tuple with one tensor per entry of ``like``, of the same shapes."""
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(like):
        raise ValueError(f"{op}: v has {len(vs)} entries but the {what} have {len(like)}; pass one per {what[:-1]}")
    out = []
    for i, (t, x) in enumerate(zip(vs, like)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: entry {i} of v must be a Tensor, got {type(t).__name__}")
        if t.shape != x.shape:
            raise ValueError(f"{op}: entry {i} in v has invalid size: should be {tuple(x.shape)} (the shape of "
                             f"{what[:-1]} {i}) but got {tuple(t.shape)}")
        out.append(t)
    return tuple(out)


def _default_v(op, xs, what):
    if len(xs) != 1 or xs[0].numel() != 1:
        raise ValueError(f"{op}: the vector v can only be None if the {what} is a single Tensor with a single "
                         "element; pass v (one tensor per entry, of the same shape)")
    return (ones_like(xs[0]),)


def _scalar_output(op, func, xs):
    is_tuple, outs = _call(op, func, xs)
    if is_tuple:
        raise ValueError(f"{op}: the function given to {op} should return a single Tensor, got a tuple of "
                         f"{len(outs)}")
    if outs[0].numel() != 1:
        raise ValueError(f"{op}: the Tensor returned by the function given to {op} should contain a single "
                         f"element, but it has shape {tuple(outs[0].shape)}; reduce it (e.g. .sum() or .mean())")
    return outs[0]


# ---- the functions -------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector–Jacobian product vᵀ·∂func/∂inputs, and func's output.

    Args:
        func: a function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: one tensor per output, of the output's shape (may be None when func
            returns a single one-element tensor).
        create_graph: make the result differentiable (for higher derivatives).
        strict: raise when an input does not influence the outputs (else its entry is zero).
    Returns:
        ``(func_output, vjp)``, vjp shaped like ``inputs``.
    """
    is_in_tuple, xs = _prepare("vjp", inputs, create_graph)
    is_out_tuple, outs = _call("vjp", func, xs)
    vs = _default_v("vjp", outs, "user-provided function's output") if v is None else \
        _validate_v("vjp", v, outs, "outputs")
    grads = _grads(outs, xs, vs, create_graph)
    res = [_finish(_fill("vjp", g, x, i, strict, "the output"), create_graph)
           for i, (g, x) in enumerate(zip(grads, xs))]
    return _result(is_out_tuple, [_finish(o, create_graph) for o in outs]), _result(is_in_tuple, res)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian–vector product ∂func/∂inputs · v, and func's output.

    Reverse mode only, so it uses the double-backward trick: g(u) = uᵀJ is linear
    in u, and its gradient with respect to u, contracted with v, is J v.

    Returns:
        ``(func_output, jvp)``, jvp shaped like func's output.
    """
    is_in_tuple, xs = _prepare("jvp", inputs, create_graph)
    vs = _default_v("jvp", xs, "input to the user-provided function") if v is None else \
        _validate_v("jvp", v, xs, "inputs")
    is_out_tuple, outs = _call("jvp", func, xs)
    with grad_mode.enable_grad():
        us = [zeros_like(o, requires_grad=True) for o in outs]
        grads = _grads(outs, xs, us, create_graph=True)
        pairs = [(g, v) for g, v in zip(grads, vs) if g is not None and g.requires_grad]
        if pairs:
            jv = grad([g for g, _ in pairs], us, grad_outputs=[v for _, v in pairs], retain_graph=True,
                      create_graph=create_graph, allow_unused=True)
        else:
            jv = [None] * len(us)
    res = []
    for k, (j, o) in enumerate(zip(jv, outs)):
        if j is None and strict:
            raise RuntimeError(f"jvp: output {k} of the user-provided function is independent of the inputs. "
                               "This is not allowed in strict mode (strict=True)")
        res.append(_finish(j if j is not None else zeros_like(o), create_graph))
    return _result(is_out_tuple, [_finish(o, create_graph) for o in outs]), _result(is_out_tuple, res)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian ∂func/∂inputs, one backward pass per output element.

    Args:
        func: a function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        create_graph: make the Jacobian differentiable (``hessian`` uses this).
        strict: raise when an output does not depend on an input (else that block is zero).
        vectorize: accepted for PyTorch compatibility (the rows are computed one by one).
        strategy: only "reverse-mode".
    Returns:
        For output yᵢ and input xⱼ a tensor of shape yᵢ.shape + xⱼ.shape with entry
        [r, c] = ∂yᵢ[r]/∂xⱼ[c]: a Tensor when both are single tensors, a tuple
        when one of them is a tuple, a tuple of tuples (``J[i][j]``) when both are.
    """
    if strategy != "reverse-mode":
        raise ValueError(f"jacobian: strategy={strategy!r} is not supported: tinygrad_lr has reverse mode only; "
                         "use strategy='reverse-mode'")
    is_in_tuple, xs = _prepare("jacobian", inputs, create_graph)
    is_out_tuple, outs = _call("jacobian", func, xs)
    blocks = []
    for k, y in enumerate(outs):
        rows = [[] for _ in xs]  # rows[j][r] = ∂y[r]/∂x_j, flattened
        for r in range(y.numel()):
            onehot = np.zeros(y.numel(), dtype=y.dtype)
            onehot[r] = 1
            grads = _grads([y], xs, [internal.wrap(onehot.reshape(y.shape))], create_graph)
            for j, (g, x) in enumerate(zip(grads, xs)):
                rows[j].append(_fill("jacobian", g, x, j, strict, f"output {k}"))
        row = []
        for j, x in enumerate(xs):
            shape = tuple(y.shape) + tuple(x.shape)
            if not rows[j]:  # an empty output has an empty Jacobian
                row.append(zeros(shape, dtype=x.dtype))
            else:
                row.append(shapes.stack(rows[j]).reshape(shape))
        blocks.append(_result(is_in_tuple, row))
    return _result(is_out_tuple, blocks)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian ∂²func/∂inputs² of a function returning one number: the jacobian of the gradient.

    Returns:
        A tensor of shape x.shape + x.shape for a single input; for a tuple of
        inputs a tuple of tuples with ``H[i][j]`` of shape xᵢ.shape + xⱼ.shape.

    Example: for ℓ(θ) = 1/(2n)·‖Aθ − y‖², ∇ℓ = Aᵀ(Aθ − y)/n and the Hessian is AᵀA/n.
    """
    if outer_jacobian_strategy != "reverse-mode":
        raise ValueError(f"hessian: outer_jacobian_strategy={outer_jacobian_strategy!r} is not supported: "
                         "tinygrad_lr has reverse mode only; use 'reverse-mode'")
    is_tuple, xs = _as_float_tuple("hessian", inputs)

    def gradient(*args):
        out = _scalar_output("hessian", func, args)
        grads = _grads([out], args, [ones_like(out)], create_graph=True)
        return tuple(_fill("hessian", g, x, i, strict, "the output") for i, (g, x) in enumerate(zip(grads, args)))

    def outer(*args):
        first = gradient(*args)
        return tuple(g.reshape(x.shape) for g, x in zip(first, args))  # output shape = input shape
    res = jacobian(outer, xs, create_graph=create_graph, strict=strict)
    return res if is_tuple else res[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector–Hessian product vᵀH = grad(∇func · v), and func's output.

    Returns:
        ``(func_output, vhp)``, vhp shaped like ``inputs``.
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian–vector product H v, and func's output.

    H is symmetric for a twice continuously differentiable function, so H v = (vᵀH)ᵀ:
    differentiate ∇func(x) · v once more.  Newton's method solves H d = ∇f with it.

    Returns:
        ``(func_output, hvp)``, hvp shaped like ``inputs``.
    """
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(op, func, inputs, v, create_graph, strict):
    is_tuple, xs = _prepare(op, inputs, create_graph)
    vs = _default_v(op, xs, "input to the user-provided function") if v is None else \
        _validate_v(op, v, xs, "inputs")
    out = _scalar_output(op, func, xs)
    with grad_mode.enable_grad():
        grads = _grads([out], xs, [ones_like(out)], create_graph=True)
        for i, g in enumerate(grads):
            if g is None and strict:
                raise RuntimeError(f"{op}: the output of the user-provided function is independent of input {i}. "
                                   "This is not allowed in strict mode (strict=True)")
        dot = [(g * v).sum() for g, v in zip(grads, vs) if g is not None and g.requires_grad]
        second = _grads([sum(dot[1:], dot[0])], xs, [None], create_graph) if dot else [None] * len(xs)
    res = []
    for i, (h, x) in enumerate(zip(second, xs)):
        if h is None and strict:
            raise RuntimeError(f"{op}: the gradient of the user-provided function is independent of input {i} "
                               "(the function is linear in it). This is not allowed in strict mode (strict=True)")
        res.append(_finish(h if h is not None else zeros_like(x), create_graph))
    return _finish(out, create_graph), _result(is_tuple, res)
