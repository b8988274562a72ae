"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``: derivatives as functions.

Each takes a function and returns a new one, as ``torch.func`` does::

    grad(f)(x)            ∂f/∂x for a scalar f                 (argnums picks the inputs, has_aux an extra output)
    vjp(f, x)             (f(x), v ↦ vᵀ ∂f/∂x)                 (the reverse-mode product)
    jvp(f, (x,), (v,))    (f(x), ∂f/∂x · v)                    (the forward-mode product)
    jacrev(f)(x)          ∂f/∂x, shape f(x).shape + x.shape
    hessian(f)(x)         ∂²f/∂x², shape x.shape + x.shape

How: each input the function is differentiated by is replaced by a *stand-in* (``batching.differentiable``):
a fresh leaf, or, if the input already requires grad (an outer grad, a closure's graph), a recorded view
of it.  f runs on the stand-ins, and the one engine computes the gradients with respect to them.  When f's
result depends on tensors outside (an outer grad's), the gradients are computed with ``create_graph`` so
that they can be differentiated again: that is how ``grad(grad(f))`` and ``hessian`` work.

Inside ``vmap`` the stand-ins are batched over every running vmap (a stride-0 view of an input the samples
share), and the engine runs on the physical arrays, seeded with ones for every sample: the gradient that
comes out is one per sample — ``vmap(grad(loss))`` is per-sample gradients in one backward pass.

There is no forward mode here: ``jvp`` and ``jacfwd`` compute their forward-mode results with reverse mode
(jvp by the double-vjp trick, jacfwd as jacrev does); values and shapes are PyTorch's.
"""
import functools

import numpy as np

from .. import autograd
from ..core import batching, grad_mode, internal
from ..core.primitives import Reshape, Stack
from ..core.tensor import Tensor
from . import _tree


# ---- the inputs: argnums, stand-ins --------------------------------------------------------------------------
def _check_argnums(op, argnums, nargs):
    """argnums as a tuple of positions, and whether it was one int."""
    single = isinstance(argnums, int) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, tuple) or not nums or not all(isinstance(a, int) and not isinstance(a, bool) for a in nums):
        raise TypeError(f"{op}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    out = []
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"{op}: Got argnums={argnums!r}, but only {nargs} positional inputs were given; "
                               f"argnums counts the positional inputs from 0 (or from -1 at the end)")
        out.append(a % nargs)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: argnums {argnums!r} names an input twice; name each at most once")
    return tuple(out), single


class _Inputs:
    """The inputs f is differentiated by (``argnums`` of ``args``), replaced by stand-ins."""

    def __init__(self, op, args, argnums):
        self.nums, self.single = _check_argnums(op, argnums, len(args))
        picked = args[self.nums[0]] if self.single else tuple(args[i] for i in self.nums)
        leaves, self.spec = _tree.flatten(picked)
        for t in leaves:
            if not isinstance(t, Tensor) or t.dtype.kind != "f":
                got = f"a tensor of dtype {t.dtype}" if isinstance(t, Tensor) else type(t).__name__
                raise TypeError(f"{op}: the inputs picked by argnums must be floating-point tensors (or pytrees of "
                                f"them), got {got}; convert it with .double() or .float(), or leave it out of argnums")
        self.stand = [batching.differentiable(t) for t in leaves]
        args = list(args)
        placed = _tree.unflatten(self.stand, self.spec)
        for k, i in enumerate(self.nums):
            args[i] = placed if self.single else placed[k]
        self.args = tuple(args)

    def structure(self, values):
        """``values`` (one per stand-in) in the structure of the picked inputs."""
        return _tree.unflatten(values, self.spec)


def _call(op, func, args, kwargs, has_aux):
    """f on the stand-ins (recording, whatever the grad mode outside), split into output and aux."""
    with grad_mode.enable_grad():
        out = func(*args, **kwargs)
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise RuntimeError(f"{op}(f, has_aux=True): f must return a pair (output, aux), got "
                           f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    return out[0], out[1]


def _outer(outputs, stand):
    """True when the outputs depend on a tensor that requires grad besides the stand-ins (an outer grad's input,
    a closure's parameter): then the gradients are recorded (create_graph), to be differentiated again."""
    if any(s.grad_fn is not None for s in stand):  # an input requires grad: its stand-in is a view of it
        return True
    own = {id(s) for s in stand}
    stack = [o.grad_fn if o.grad_fn is not None else o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Tensor):
            if id(node) not in own:
                return True  # a leaf that requires grad and is not a stand-in
            continue
        stack.extend(t for t in internal.next_targets(node) if t is not None)
    return False


def _grads(outputs, seeds, stand, create_graph, again=True):
    """∂(Σ seedᵀ output)/∂stand-in for each stand-in, on the physical arrays; zeros where there is no path.
    ``again``: the graph is kept for another pass (vjp_fn, a jacobian's rows)."""
    pairs = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
    found = [None] * len(stand)
    if pairs:
        with batching.physical():
            found = autograd.grad([o for o, _ in pairs], stand, grad_outputs=[s for _, s in pairs],
                                  retain_graph=again or create_graph, create_graph=create_graph, allow_unused=True)
    out = []
    for s, g in zip(stand, found):
        g = _filled(s, 0) if g is None else g
        out.append(batching.tag(g, batching.levels(s)))
    return out


def _filled(t, value):
    """A tensor of t's array's shape (batch dims and sample) and dtype, filled with ``value``; batched as t is."""
    return batching.tag(internal.wrap(np.full(batching.array_shape(t), value, t.dtype)), batching.levels(t))


def _seed(o, value=None):
    """The physical ∂L/∂o: ones (or ``value``, a sample's) for every sample of o."""
    if value is None:
        return internal.wrap(np.ones(batching.array_shape(o), o.dtype))
    v = batching.expand(value, batching.levels(o), batching.batch_sizes(o))
    return v.to(o.dtype) if v.dtype != o.dtype else v


def _value(t, keep):
    """An output handed back: as it is when it depends on an outer grad (keep), else without history."""
    if keep or not isinstance(t, Tensor):
        return t
    return t.detach()


def _values(tree, keep):
    leaves, spec = _tree.flatten(tree)
    return _tree.unflatten([_value(t, keep) for t in leaves], spec)


# ---- grad, grad_and_value ------------------------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """``f`` ↦ a function returning (∂f/∂x, f(x)) (with aux: (∂f/∂x, (f(x), aux))); see ``grad``."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        inputs = _Inputs("grad_and_value", args, argnums)
        out, aux = _call("grad_and_value", func, inputs.args, kwargs, has_aux)
        if not isinstance(out, Tensor):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                               f"{type(out).__name__}")
        if out.ndim != 0:
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {out.ndim} dims (shape {tuple(out.shape)}). Maybe you wanted to use the vjp or "
                               "jacrev APIs instead?")
        keep = _outer([out], inputs.stand)
        grads = inputs.structure(_grads([out], [_seed(out)], inputs.stand, keep, again=False))
        value = _value(out, keep)
        return (grads, (value, _values(aux, keep))) if has_aux else (grads, value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``f`` ↦ ∇f: a function returning the gradient of the scalar f with respect to its input(s).

    Args:
        func: a function returning a scalar (0-d) tensor (with ``has_aux``: a pair (scalar, aux)).
        argnums: which positional input(s) to differentiate by: an int, or a tuple (then a tuple of gradients).
            An input may be a pytree (a dict of parameters): its gradient is a pytree of the same structure.
        has_aux: f returns (output, aux); the result is then (gradient, aux).

    Example — the per-sample gradient of the notes' squared error, ℓ⁽ⁱ⁾ = ½(x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾)²::

        def loss(w, b, x, y):
            r = x @ w + b - y
            return 0.5 * r * r
        gw, gb = vmap(grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))(w, b, X, y)
        # gw[i] = x⁽ⁱ⁾ r⁽ⁱ⁾,  gb[i] = r⁽ⁱ⁾,  r⁽ⁱ⁾ = x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾
    """
    compute = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = compute(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def _tensors_out(op, out):
    """f's output flattened (its Tensors, and the structure to rebuild it), or an error if one is not a Tensor."""
    flat, spec = _tree.flatten(out)
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{op}: Expected f to return Tensors (or tuples/lists/dicts of them), got "
                               f"{type(o).__name__}")
    return flat, spec


# ---- vjp, jvp -------------------------------------------------------------------------------------------------
def vjp(func, *primals, has_aux=False):
    """(f(primals), vjp_fn[, aux]): vjp_fn(v) = vᵀ ∂f/∂primals, one result per primal (a tuple).

    ``v`` has the structure and shapes of f's output.  vjp_fn may be called many times.  Called inside a vmap
    that started after this vjp (``vmap(vjp_fn)(vs)``, how jacobians are built), it runs once per sample.
    """
    if not primals:
        raise RuntimeError("vjp(f, *primals): give at least one primal (an input of f to differentiate by)")
    inputs = _Inputs("vjp", primals, tuple(range(len(primals))))
    out, aux = _call("vjp", func, inputs.args, {}, has_aux)
    flat, out_spec = _tensors_out("vjp(f, *primals)", out)
    keep = _outer(flat, inputs.stand)
    own = set(batching.levels(inputs.stand[0]))

    def vjp_fn(cotangents):
        cts, ct_spec = _tree.flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(f"vjp_fn: expected cotangents with the structure of f's output "
                               f"{_tree.describe(out_spec)}, got {_tree.describe(ct_spec)}")
        for o, v in zip(flat, cts):
            if not isinstance(v, Tensor) or tuple(v.shape) != tuple(o.shape):
                raise RuntimeError(f"vjp_fn: expected a cotangent of shape {tuple(o.shape)} (the output's), got "
                                   f"{tuple(v.shape) if isinstance(v, Tensor) else type(v).__name__}")
        extra, _ = batching.union(cts)
        extra = tuple(level for level in extra if level not in own)
        if extra:  # cotangents batched by a vmap the graph knows nothing of: once per sample
            return batching.loop(lambda *vs: vjp_fn(_tree.unflatten(list(vs), ct_spec)), cts, {}, "vjp_fn", extra)
        create = keep or any(v.requires_grad for v in cts)
        grads = _grads(flat, [_seed(o, v) for o, v in zip(flat, cts)], inputs.stand, create)
        return tuple(inputs.structure(grads))

    result = (_values(out, keep), vjp_fn)
    return result + (_values(aux, keep),) if has_aux else result


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(f(primals), ∂f/∂primals · tangents): the directional derivative along ``tangents``.

    ``primals`` and ``tangents`` are tuples of the same structure.  Computed with reverse mode (there is no
    forward mode here), by the double-vjp trick: u ↦ uᵀJ is linear in u, so J·v = ∂(uᵀJ·v)/∂u.
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples, e.g. jvp(f, (x,), "
                           "(v,))")
    p_leaves, p_spec = _tree.flatten(primals)
    t_leaves, t_spec = _tree.flatten(tangents)
    if p_spec != t_spec or any(tuple(p.shape) != tuple(t.shape) for p, t in zip(p_leaves, t_leaves)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same structure and "
                           "shapes (one tangent per primal, of its shape)")
    inputs = _Inputs("jvp", primals, tuple(range(len(primals))) or 0)
    out, aux = _call("jvp", func, inputs.args, {}, has_aux)
    flat, out_spec = _tree.flatten(out)
    keep = _outer(flat, inputs.stand) or any(t.requires_grad for t in t_leaves)
    us = [_filled(o, 0).requires_grad_() for o in flat]
    with batching.physical():  # uᵀJ, recorded: a linear function of u
        jtu = autograd.grad(flat, inputs.stand, grad_outputs=us, retain_graph=True, create_graph=True,
                            allow_unused=True)
    pairs = [(g, _seed(s, t)) for g, s, t in zip(jtu, inputs.stand, t_leaves) if g is not None and g.requires_grad]
    found = [None] * len(us)
    if pairs:
        with batching.physical():
            found = autograd.grad([g for g, _ in pairs], us, grad_outputs=[v for _, v in pairs],
                                  retain_graph=keep, create_graph=keep, allow_unused=True)
    tangents_out = [_filled(o, 0) if g is None else batching.tag(g, batching.levels(o)) for o, g in zip(flat, found)]
    result = (_values(out, keep), _tree.unflatten(tangents_out, out_spec))
    return result + (_values(aux, keep),) if has_aux else result


# ---- jacobians ------------------------------------------------------------------------------------------------
def _jacobian(op, func, argnums, has_aux):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        inputs = _Inputs(op, args, argnums)
        out, aux = _call(op, func, inputs.args, kwargs, has_aux)
        flat, out_spec = _tensors_out(f"{op}(f)(*args)", out)
        keep = _outer(flat, inputs.stand)
        jacobians = [inputs.structure(_rows(o, inputs.stand, keep)) for o in flat]
        jac = _tree.unflatten(jacobians, out_spec)
        return (jac, _values(aux, keep)) if has_aux else jac
    return wrapper


def _rows(o, stand, keep):
    """∂o/∂s for each stand-in s, shape o.shape + s.shape (per sample inside vmap): one backward pass per
    element of o, seeded with that element's one-hot vector."""
    sample = tuple(batching.logical_shape(o))
    n = int(np.prod(sample))
    rows = []  # rows[e][j]: ∂o_e/∂s_j
    for e in range(n):
        onehot = np.zeros(n, o.dtype)
        onehot[e] = 1
        seed = internal.wrap(np.broadcast_to(onehot.reshape(sample), batching.array_shape(o)).copy())
        rows.append(_grads([o], [seed], stand, keep))
    out = []
    for j, s in enumerate(stand):
        nb = len(batching.levels(s))
        shape = batching.array_shape(s)
        if n == 0:
            jac = internal.wrap(np.zeros(shape[:nb] + sample + shape[nb:], s.dtype))
        else:
            stacked = batching.run(Stack, *[r[j] for r in rows], axis=nb)
            jac = batching.run(Reshape, stacked, shape=shape[:nb] + sample + shape[nb:])
        out.append(batching.tag(jac, batching.levels(s)))
    return out


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """``f`` ↦ its Jacobian ∂f/∂x by reverse mode: for an output of shape (m…) and an input of shape (n…),
    shape (m…, n…) — one backward pass per element of the output.

    ``argnums`` (int or tuple) and pytrees as in ``grad``: the result has the output's structure, and in
    each of its places the structure of the inputs picked.  ``chunk_size`` is accepted (the passes run one
    by one anyway).
    """
    return _jacobian("jacrev", func, argnums, has_aux)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``f`` ↦ its Jacobian ∂f/∂x, as PyTorch's forward-mode jacfwd gives it (same values and shapes).

    There is no forward mode here: the matrix is computed by reverse mode, as ``jacrev`` does (one backward
    pass per element of the output rather than one forward pass per element of the input).
    """
    return _jacobian("jacfwd", func, argnums, has_aux)


def hessian(func, argnums=0):
    """``f`` ↦ ∂²f/∂x² = jacfwd(jacrev(f)): for a scalar f of x of shape (n…), shape (n…, n…).

    For the notes' loss ℓ(w) = 1/(2n)·‖Xw − y‖², hessian(ℓ)(w) = XᵀX/n.
    """
    return jacfwd(jacrev(func, argnums), argnums)

