"""In-place changes: ``x += y``, ``add_``, ``zero_``, ``copy_`` ... and the rules that keep them safe.

Two rules, both PyTorch's:

- a leaf that requires grad is changed in place only under ``no_grad()`` (an
  optimizer's update), never while operations are recorded;
- every change bumps the tensor's version counter, so a node that saved the
  old values for its backward refuses to run instead of giving a wrong
  gradient (see ``Function.saved_tensors``).

A recorded in-place op on a non-leaf (``h *= w`` inside a model) is computed
out of place from h's old value; then ``record`` makes h the result.  When no other
tensor sees h's memory, h simply takes the new array and node.  When one does (h is a
view ``x[0:2]``, or has views), the values are written into that memory and the
tensor owning it gets a ``CopySlices`` node (views.py), as in PyTorch.
"""
import numpy as np

from ..core import batching, capture, dtypes, grad_mode, operators, random, views
from ..core.operators import operand, shape_of
from ..core.primitives import CopySlices, Index
from ..core.primitives.indexing import batch_index
from ..core.tensor import Tensor


def check_inplace(op, x):
    if x._levels:  # inside vmap: a view's steps are the batch's (see core/batching.py)
        with batching.physical():
            views.fresh(x)
    else:
        views.fresh(x)  # (a view whose base was written in place since: its node and requires_grad first)
    if grad_mode._enabled and x._requires_grad and x.grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad (shape {tuple(x.shape)}) cannot be changed in place "
            "while operations are recorded: autograd would lose track of it. Do the update inside "
            "`with tinygrad_lr.no_grad():` (as optimizers do), or change `.data`")
    if grad_mode._enabled and x._view is not None:
        base = x._view[0]
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(
                f"{op}: a view of a leaf tensor that requires grad (the view has shape {tuple(x.shape)}, the leaf "
                f"{tuple(base.shape)}) is being used in an in-place operation: autograd would lose track of the "
                "leaf. Do the change inside `with tinygrad_lr.no_grad():`, or on a copy (x.clone())")
        if not x._view[3] and base._requires_grad:
            raise RuntimeError(
                f"{op}: this view (shape {tuple(x.shape)}) was made in no_grad mode and is being changed in place "
                "with grad mode enabled: autograd cannot tell how the change reaches its base. Make the view "
                "outside no_grad(), or change it inside no_grad() too")
    if not x._data.flags.writeable:
        raise RuntimeError(
            f"{op}: this tensor's memory is read-only (e.g. a DataLoader batch that is a view of its data "
            "set, or a read-only np.memmap), so it cannot be changed in place; use the out-of-place form "
            "(x = x + y) or change a copy (x = x.clone())")
    if capture.recorder is not None:  # tinygrad_lr.compile: an in-place change (see core/capture.py)
        capture.inplace(op, x)


def update(op, x, other, out_of_place, ufunc, alpha=1):
    """x ⊙= alpha · other: write into x's memory, or, when it must be recorded, rebase x on the new node.

    Not recorded (the common case: an optimizer's ``p.add_(g, alpha=-lr)`` under no_grad), this is
    one NumPy call on the arrays, plus the multiplication by alpha when alpha ≠ 1.
    """
    check_inplace(op, x)
    if type(other) is not Tensor:
        other = operand(op, other)
    if grad_mode._enabled and (x._requires_grad or isinstance(other, Tensor) and other._requires_grad):
        if alpha != 1:
            other = other * alpha
        # Recorded: compute out of place from x's old value (h *= w needs the old h), then x *becomes*
        # the result; earlier nodes that saved x itself would now read the new value, so the bump of
        # x's version makes them refuse to run.
        old = old_value(x)
        return record(op, x, out_of_place(old, old if other is x else other))
    if batching.on and batching.takes((x, other), {}):  # inside vmap: the new values, then written into x's memory
        return write_batch(op, x, out_of_place(x, other if alpha == 1 else other * alpha))
    od = other._data if isinstance(other, Tensor) else other
    if alpha != 1:
        od = od * alpha
    try:
        ufunc(x._data, od, x._data)  # out= given positionally; casting is 'same_kind', NumPy's default
    except TypeError:
        probe = ufunc(np.zeros(1, x.dtype), np.zeros(1, od.dtype) if isinstance(od, np.ndarray) else od)
        raise TypeError(f"{op}: the result of type {probe.dtype} cannot be stored in place "
                        f"in a {dtypes.dtype_name(x.dtype)} tensor; use the out-of-place form "
                        "(x = x + y) or convert x first (x = x.float())") from None
    except ValueError:
        raise ValueError(f"{op}: an operand of shape {shape_of(other)} cannot be applied in place to a "
                         f"tensor of shape {tuple(x.shape)} (the result must keep the tensor's shape)") from None
    x._vc[0] += 1
    return x


def old_value(x):
    """x's value before a recorded change, as a tensor in x's place in the graph.  Its own array, not x's,
    when the new values will be written into x's memory (x is shared, see views.py): a copy, then.
    (Called after ``check_inplace``, which brought a view's node up to date.)"""
    data = x._data.copy() if views.is_shared(x) else x._data
    return batching.tag(Tensor._make(data, x._requires_grad, x.grad_fn), x._levels)  # (batched as x is, in vmap)


def write_batch(op, x, value):
    """Inside vmap, x ← value not recorded: value's array into x's memory.  x must be batched wherever value is:
    a tensor the samples share cannot hold a value per sample."""
    _same_batch(op, x, value)
    np.copyto(x._data, batching.expand(value, x._levels, x._data.shape[:len(x._levels)])._data, casting="same_kind")
    x._vc[0] += 1
    return x


def _same_batch(op, x, value):
    extra = set(batching.levels(value)) - set(x._levels)
    if extra:
        raise RuntimeError(f"vmap: {op} would write a value that differs from sample to sample into a tensor the "
                           f"samples share (shape {tuple(x.shape)}, not batched by that vmap): it cannot hold one value "
                           "per sample. Use the out-of-place form (x = x + y), or map over x too")


def part(op, x, index, value):
    """Inside vmap, ``x[index] = value``'s index and value as the batch's: a full slice per batch dim in front of
    the index, value lined up on the batch dims and on x[index]'s dims."""
    if any(isinstance(p, batching.Batched) for p in (index if isinstance(index, tuple) else (index,))):
        raise RuntimeError(f"vmap: {op} with an index that differs from sample to sample is not supported; use "
                           "the out-of-place scatter / index_put, or torch.where")
    _same_batch(op, x, value)
    physical, front = batch_index(index, len(x._levels))
    if front:
        raise RuntimeError(f"vmap: {op} with advanced indices apart from each other (e.g. x[[0, 1], :, 0] = v) is "
                           "not supported inside vmap; write it out of place, or as two steps")
    part = np.broadcast_to(np.empty((), np.int8), tuple(x.shape))[index].ndim  # a sample's x[index]
    if isinstance(value, batching.Batched):
        value = batching.align(value, x._levels, part)
    return physical, value


def record(op, x, value, index=None):
    """x ← value (or x[index] ← value) as a recorded change: x becomes the result in the graph.

    ``value`` is a Tensor computed out of place from ``old_value(x)`` (``h *= w``), or what is written
    (``copy_``, ``x[index] = v``: a number, an array or a Tensor, broadcast to the part it replaces).
    Called after ``check_inplace``, which brought a view's node up to date.
    """
    whole = index is None and isinstance(value, Tensor) and value._requires_grad
    if x._levels or isinstance(value, batching.Batched):  # inside vmap: as the batch's arrays (core/batching.py)
        return _record_batch(op, x, value, index, whole)
    if whole and value.shape != x.shape:
        raise ValueError(f"{op}: the result has shape {tuple(value.shape)}, which does not fit the "
                         f"tensor of shape {tuple(x.shape)} changed in place")
    if whole and not views.is_shared(x):
        # nobody else sees x's memory: x takes the new array and node (no copy, no write)
        if value.dtype != x.dtype and x.dtype.kind == "f":
            value = value.to(x.dtype)  # in place keeps the tensor's dtype, as in PyTorch
        x._vc[0] += 1
        x._data, x.grad_fn, x._requires_grad, x._vc = value._data, value.grad_fn, True, value._vc
        return x
    # x's memory is seen by other tensors, or only a part is replaced: write into the memory, and the
    # tensor that owns it (x, or x's base) gets a CopySlices node
    base, steps = (x, ()) if x._view is None else x._view[:2]
    if index is not None:
        steps = steps + ((Index, {"index": index}),)
    old = Tensor._make(base._data, base._requires_grad, base.grad_fn)
    try:
        new = CopySlices.apply(old, value, steps=steps)
    except ValueError:
        raise ValueError(f"{op}: a value of shape {shape_of(value)} cannot be written into "
                         f"{'the selected part of ' if index is not None else ''}a tensor of shape "
                         f"{tuple(x.shape)}") from None
    base._vc[0] += 1
    base.grad_fn, base._requires_grad = new.grad_fn, new._requires_grad
    if x is not base:
        views.refresh(x)
    return x


def _record_batch(op, x, value, index, whole):
    """``record`` inside vmap: x and value are batched; the write (CopySlices) is made on their arrays."""
    _same_batch(op, x, value)
    if whole and value.shape != x.shape:
        raise ValueError(f"{op}: the result has shape {tuple(value.shape)}, which does not fit the "
                         f"tensor of shape {tuple(x.shape)} changed in place")
    if whole and not views.is_shared(x):
        if value.dtype != x.dtype and x.dtype.kind == "f":
            value = value.to(x.dtype)
        value = batching.expand(value, x._levels, x._data.shape[:len(x._levels)])
        x._vc[0] += 1
        x._data, x.grad_fn, x._requires_grad, x._vc = value._data, value.grad_fn, True, value._vc
        return x
    base, steps = (x, ()) if x._view is None else x._view[:2]  # (a view's steps are the batch's already)
    index, value = part(op, x, Ellipsis if index is None else index, value)
    steps = steps + ((Index, {"index": index}),)
    old = Tensor._make(base._data, base._requires_grad, base.grad_fn)
    with batching.physical():
        new = CopySlices.apply(old, value, steps=steps)
        base._vc[0] += 1
        base.grad_fn, base._requires_grad = new.grad_fn, new._requires_grad
        if x is not base:
            views.refresh(x)
    return x


def compound(op, x, formula, *others):
    """x ← formula(x, *others) in place: ``addcmul_``, ``addcdiv_``, ``lerp_`` (an optimizer's moment updates).

    ``formula`` is written once in array syntax, so it runs on the NumPy arrays when nothing is
    recorded (an optimizer's step under no_grad: one result, copied into x's memory) and on
    tensors, recording a graph, when something requires grad (then x is rebased, as in ``update``).
    """
    check_inplace(op, x)
    others = [t if type(t) is Tensor else operand(op, t) for t in others]
    if grad_mode._enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (x, *others)):
        old = old_value(x)
        return record(op, x, formula(old, *[old if t is x else t for t in others]))
    if batching.on and batching.takes((x, *others), {}):  # inside vmap: the formula on the batch, written into x
        return write_batch(op, x, formula(x, *others))
    result = None
    try:
        result = formula(x._data, *[t._data if isinstance(t, Tensor) else t for t in others])
        np.copyto(x._data, result, casting="same_kind")
    except ValueError:
        shapes = " and ".join(str(shape_of(t)) for t in others)
        raise ValueError(f"{op}: operands of shapes {shapes} cannot be applied in place to a tensor of shape "
                         f"{tuple(x.shape)} (the result must keep the tensor's shape)") from None
    except TypeError:
        kind = "" if result is None else f" of type {np.asarray(result).dtype}"
        raise TypeError(f"{op}: the result{kind} cannot be stored in place in a {dtypes.dtype_name(x.dtype)} "
                        "tensor; convert x first (x = x.float())") from None
    x._vc[0] += 1
    return x


def lerp_formula(op, weight):
    """x + w·(end − x), in PyTorch's two forms: from x when |w| < 0.5, else end − (end − x)·(1 − w)."""
    if isinstance(weight, Tensor) and weight.numel() == 1:
        weight = weight.item()
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.floating)):
        raise TypeError(f"{op}: weight must be a number, got {type(weight).__name__} (e.g. 0.1)")
    if abs(weight) < 0.5:
        return lambda x, end: x + weight * (end - x)
    return lambda x, end: end - (end - x) * (1 - weight)


def overwrite(op, x, value):
    """zero_, fill_, copy_, normal_, uniform_: replace x's values in place.

    Recorded when x is part of a graph or the source requires grad: the old values get a zero gradient,
    the source its part of g (``copy_`` is x[...] = src).
    """
    check_inplace(op, x)
    if grad_mode._enabled and (x._requires_grad or isinstance(value, Tensor) and value._requires_grad):
        return record(op, x, value if isinstance(value, Tensor) else np.asarray(value), index=Ellipsis)
    if batching.on and batching.takes((x, value), {}):  # inside vmap
        index, value = part(op, x, Ellipsis, value)
        x._data[index] = getattr(value, "_data", value)
        x._vc[0] += 1
        return x
    src = value._data if isinstance(value, Tensor) else value
    try:
        np.copyto(x._data, src, casting="unsafe")
    except ValueError:
        raise ValueError(f"{op}: a source of shape {shape_of(value)} cannot be copied into a tensor "
                         f"of shape {tuple(x.shape)}") from None
    x._vc[0] += 1
    return x


def apply_(op, x, out_of_place):
    """x ← f(x) in place, for f an element-wise op (``exp_``, ``clamp_``, ``floor_`` ...): the out-of-place op
    computes the values, once; unrecorded they are copied into x's memory, recorded x is rebased on the node."""
    check_inplace(op, x)
    if grad_mode._enabled and x._requires_grad:
        return record(op, x, out_of_place(old_value(x)))
    with grad_mode.no_grad():
        result = out_of_place(batching.like(x, x._data))
    try:
        np.copyto(x._data, result._data, casting="same_kind")
    except TypeError:
        raise TypeError(f"{op}: the result is {dtypes.dtype_name(result.dtype)}, which cannot be stored in place in "
                        f"a {dtypes.dtype_name(x.dtype)} tensor; use the out-of-place form or convert x first "
                        "(x = x.float())") from None
    x._vc[0] += 1
    return x


def reshape_(op, x, new):
    """unsqueeze_, squeeze_, t_: x takes the shape of ``new(x)`` in place (a view of the same memory), or,
    recorded, is rebased on the node of ``new`` applied to its old value."""
    check_inplace(op, x)
    if grad_mode._enabled and x._requires_grad:
        old = batching.tag(Tensor._make(x._data, True, x.grad_fn), x._levels)
        out = new(old)
        x._vc[0] += 1
        x._data, x.grad_fn, x._vc = out._data, out.grad_fn, out._vc
        return x
    with grad_mode.no_grad():
        x._data = new(batching.like(x, x._data))._data
    x._vc[0] += 1
    return x


# ---- the Tensor methods: in-place changes (add_, zero_, +=, exp_, unsqueeze_ ...) --------------------------
class InplaceMethods:
    """Tensor's methods for in-place changes (add_, zero_, +=, exp_, unsqueeze_ ...).

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def add_(self, other, alpha=1):
        """self += alpha · other, in place (an optimizer's θ ← θ − η·g is ``p.add_(g, alpha=-lr)``)."""
        return update("add_", self, other, operators.add, np.add, alpha)

    def sub_(self, other, alpha=1):
        """self −= alpha · other, in place."""
        return update("sub_", self, other, operators.sub, np.subtract, alpha)

    def mul_(self, other):
        """self *= other, in place."""
        return update("mul_", self, other, operators.mul, np.multiply)

    def div_(self, other):
        """self /= other, in place."""
        return update("div_", self, other, operators.div, np.true_divide)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """self += value · tensor1 · tensor2, in place (Adam's v ← β₂v + (1 − β₂)g² after ``v.mul_(beta2)``)."""
        return compound("addcmul_", self, lambda x, a, b: x + value * a * b, tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """self += value · tensor1 / tensor2, in place (Adam's θ ← θ − η·m̂/(√v̂ + ε))."""
        return compound("addcdiv_", self, lambda x, a, b: x + value * a / b, tensor1, tensor2)

    def lerp_(self, end, weight):
        """self += weight · (end − self), in place (Adam's m ← β₁m + (1 − β₁)g is ``m.lerp_(g, 1 - beta1)``)."""
        return compound("lerp_", self, lerp_formula("lerp_", weight), end)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def zero_(self):
        """Fill with zeros, in place."""
        return overwrite("zero_", self, 0)

    def fill_(self, value):
        """Fill with one value, in place."""
        return overwrite("fill_", self, value.item() if isinstance(value, Tensor) else value)

    def copy_(self, src):
        """Copy ``src``'s values (broadcast to this shape) into this tensor, in place."""
        return overwrite("copy_", self, src)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std²) from the seeded generator."""
        batching.random_batch("normal_")  # (inside vmap: an error unless vmap's randomness allows it)
        return overwrite("normal_", self, random._normal_array(mean, std, self.shape, self.dtype, generator))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with samples of U(a, b) from the seeded generator."""
        batching.random_batch("uniform_")  # (inside vmap: an error unless vmap's randomness allows it)
        return overwrite("uniform_", self, random._uniform_array(a, b, self.shape, self.dtype, generator))

    def abs_(self):
        """abs, in place."""
        return apply_("abs_", self, Tensor.abs)

    def exp_(self):
        """exp, in place."""
        return apply_("exp_", self, Tensor.exp)

    def log_(self):
        """log, in place."""
        return apply_("log_", self, Tensor.log)

    def sqrt_(self):
        """sqrt, in place."""
        return apply_("sqrt_", self, Tensor.sqrt)

    def square_(self):
        """square, in place."""
        return apply_("square_", self, Tensor.square)

    def neg_(self):
        """neg, in place."""
        return apply_("neg_", self, Tensor.neg)

    def pow_(self, exponent):
        """pow, in place."""
        return apply_("pow_", self, lambda x: x.pow(exponent))

    def clamp_(self, min=None, max=None):  # noqa: A002
        """clamp, in place."""
        return apply_("clamp_", self, lambda x: x.clamp(min, max))

    def clip_(self, min=None, max=None):  # noqa: A002
        """clip (clamp), in place."""
        return apply_("clip_", self, lambda x: x.clamp(min, max))

    def relu_(self):
        """relu, in place."""
        return apply_("relu_", self, Tensor.relu)

    def sigmoid_(self):
        """sigmoid, in place."""
        return apply_("sigmoid_", self, Tensor.sigmoid)

    def tanh_(self):
        """tanh, in place."""
        return apply_("tanh_", self, Tensor.tanh)

    def floor_(self):
        """floor, in place."""
        return apply_("floor_", self, Tensor.floor)

    def ceil_(self):
        """ceil, in place."""
        return apply_("ceil_", self, Tensor.ceil)

    def trunc_(self):
        """trunc, in place."""
        return apply_("trunc_", self, Tensor.trunc)

    def round_(self, *, decimals=0):
        """round, in place."""
        return apply_("round_", self, lambda x: x.round(decimals=decimals))

    def unsqueeze_(self, dim):
        """unsqueeze, in place."""
        return reshape_("unsqueeze_", self, lambda x: x.unsqueeze(dim))

    def squeeze_(self, dim=None):
        """squeeze, in place."""
        return reshape_("squeeze_", self, lambda x: x.squeeze(dim))

    def t_(self):
        """t, in place."""
        return reshape_("t_", self, Tensor.t)
