"""The seam between the core and ``tinygrad_lr.func.vmap``: batched tensors, and each op's batch rule.

``vmap(f)(X)`` runs f once, on all the samples at a time.  Inside f, x stands for one sample, but its
array holds every sample: a *batched tensor* is a ``Tensor`` whose ``_data`` carries the vmap dims in
front of the sample's own dims, and whose ``_levels`` says which vmap each of those dims belongs to::

    X: (10000, 3)   vmap(f)(X)   inside f:  x.shape == (3,)   x._data.shape == (10000, 3)   x._levels == (1,)

Each vmap call gets a new *level* (a number that grows).  A tensor of two nested vmaps has two batch dims,
the newer (inner) level first: a vmap's dim is always added in front.  ``shape``, ``ndim``, ``len`` and
``numel`` report the sample's (*logical*) shape; the array behind is the *physical* one.

When ``Function.apply`` gets a batched argument (``on`` is True only while f runs), it hands the call to
``apply`` below, which runs the op's **batch rule** (``cls.batch_rule``, defined next to each primitive):
a rewrite of the call into calls of the ordinary primitive on the physical arrays, with dispatch off
(``run``).  The rules by kind:

- element-wise (``elementwise``): line the operands up — a dim for each level, of size 1 where an operand
  has none, and size-1 dims to pad each sample to the result's number of dims — then apply the op once;
- along axes (``along_axes``: sum, amax, cumsum, softmax ...): shift each axis past the batch dims;
- on a stack of images (``into_first_dim``: pooling, unfold, a convolution with one weight): the batch dims
  join the images' N;
- movement, indexing, joining and matmul: their own rules, next to them in ``primitives/``.

So the graph records only ordinary ops on physical arrays: the one engine and every backward run
unchanged, and ``vmap(grad(loss))`` over 10,000 samples costs one batched backward.  An op without a rule
(a user's ``Function``) runs once per sample in a Python loop (``loop``), with one warning naming it;
PyTorch's way of giving a custom Function a rule (a static method ``vmap(info, in_dims, *args)``)
is honoured.

While dispatch is off — inside a rule, and while the engine runs a backward pass for ``func.grad`` —
a batched tensor is its physical self (``shape`` is the array's): the backward formulas see the arrays
the graph recorded.
"""
import functools
import itertools
import warnings

import numpy as np

from . import printing
from .arrays import Size

on = False                     # True while the function given to vmap runs (not in a rule, not in backward)
_active = []                   # the vmaps running, outermost first: (level, batch size, randomness)
_new_level = itertools.count(1)
_warned = set()                # the Functions the loop fallback has warned about (once each)
# Handed over by tensor.py, as function.py gets Tensor: the Tensor class, that of batched tensors (Batched + Tensor),
# and the primitives package (the ops the helpers below move arrays with).  This module cannot import them: they
# import Function, whose apply calls this module.
Tensor = BatchedTensor = primitives = None
Function = None  # handed over by function.py


# ---- what a batched tensor is ----------------------------------------------------------------------------------
class Batched:
    """What a batched tensor has that a Tensor has not: the sample's shape, and refusals of what has no meaning
    for a whole batch (``item()``, ``bool()``, ``numpy()``).  ``tensor.py`` makes the class ``BatchedTensor``
    from this and ``Tensor``; ``tag`` turns an op's result into one."""

    __slots__ = ()
    _levels = ()

    shape = property(lambda self: Size(self._data.shape[len(self._levels):] if on else self._data.shape),
                     doc="The shape of one sample (inside vmap); the whole array's while dispatch is off.")
    ndim = property(lambda self: self._data.ndim - len(self._levels) if on else self._data.ndim)

    def numel(self):
        return int(np.prod(self.shape))

    nelement = numel

    def _refuse(self, what, fix, why="each sample has its own value, and there is no one Python value to give"):
        if on:
            raise RuntimeError(f"vmap: {what} on a batched tensor (inside vmap, shape {tuple(self.shape)} for each "
                               f"of the samples): {why}. {fix}")

    def item(self):
        self._refuse(".item()", "Compute with tensor ops instead (e.g. x.sum(), not x.sum().item()), or take the "
                                "value after vmap returns.")
        return super().item()

    def tolist(self):
        self._refuse(".tolist()", "Take the values after vmap returns.")
        return super().tolist()

    def numpy(self):
        self._refuse(".numpy()", "Compute with tensor ops instead, or take the values after vmap returns.")
        return super().numpy()

    def __array__(self, dtype=None, copy=None):
        self._refuse("np.asarray(x)", "Compute with tensor ops instead, or take the values after vmap returns.")
        return super().__array__(dtype, copy)

    def __bool__(self):
        self._refuse("a Python if/while/and/or (bool())", "Write both branches and choose with "
                     "torch.where(condition, a, b).", "data-dependent control flow cannot be vectorised")
        return super().__bool__()

    def __format__(self, spec):
        if spec:
            self._refuse("format()", "Print the result after vmap returns.")
        return super().__format__(spec)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        self._refuse(".backward()", "Take gradients inside vmap with tinygrad_lr.func.grad (or vjp): "
                     "vmap(grad(loss))(...) gives one gradient per sample.",
                     "a leaf's .grad would get the sum of the samples' gradients, not one per sample")
        return super().backward(gradient, retain_graph, create_graph, inputs)

    def detach(self):
        return tag(super().detach(), self._levels)

    @property
    def data(self):
        return tag(Tensor.data.fget(self), self._levels)

    def __repr__(self):
        text = printing.tensor_repr(Tensor._make(self._data))
        for level in reversed(self._levels):  # innermost last, as PyTorch prints it
            text = f"BatchedTensor(lvl={level}, bdim=0, value=\n    {text})"
        return text

    __str__ = __repr__


def levels(t):
    """The vmap levels of t's batch dims, newest first; () for an ordinary tensor or a non-tensor."""
    return t._levels if isinstance(t, Batched) else ()


def logical_shape(t):
    """The shape of one sample of t (t's own shape for an ordinary tensor), whatever the dispatch."""
    return t._data.shape[len(levels(t)):]


def array_shape(t):
    """The shape of t's array: the batch dims (inside vmap) and the sample's (``t.shape`` is the sample's)."""
    return t._data.shape


def batch_sizes(t):
    """The sizes of t's batch dims (one per level, newest first); () for an ordinary tensor."""
    return t._data.shape[:len(levels(t))]


def union(values):
    """The levels of the batched tensors among ``values`` (newest first), and the batch size of each."""
    sizes = {}
    for v in values:
        if isinstance(v, Batched):
            sizes.update(zip(v._levels, v._data.shape))
    order = tuple(sorted(sizes, reverse=True))
    return order, tuple(sizes[level] for level in order)


def takes(args, kwargs):
    """True when some argument of an op is batched (Function.apply's test, made only while ``on``)."""
    for a in args:
        if isinstance(a, Batched):
            return True
    return any(isinstance(v, Batched) or type(v) is tuple and any(isinstance(u, Batched) for u in v)
               for v in kwargs.values())


# ---- tools of the rules ---------------------------------------------------------------------------------------
def run(cls, *args, **kwargs):
    """``cls.apply`` on physical arrays: dispatch off, so a batched argument is just its array."""
    global on
    previous, on = on, False
    try:
        return cls.apply(*args, **kwargs)
    finally:
        on = previous


class physical:
    """``with physical():`` turns dispatch off for the block (func.grad runs the engine inside one)."""

    def __enter__(self):
        global on
        self.previous, on = on, False

    def __exit__(self, *exc):
        global on
        on = self.previous
        return False


def tag(t, levels_):
    """Make ``t`` (an op's fresh result) a batched tensor over ``levels_``; an ordinary one if there are none."""
    if levels_:
        t.__class__ = BatchedTensor
        t._levels = levels_
    return t


def align(t, levels_, ndim=None):
    """t's array viewed with one dim for each of ``levels_`` (size 1 where t has no dim for it), then size-1 dims
    that pad the sample to ``ndim`` dims: so it broadcasts against anything aligned the same way."""
    own, data = levels(t), t._data
    sample = data.shape[len(own):]
    ndim = len(sample) if ndim is None else ndim
    have = dict(zip(own, data.shape))
    shape = tuple(have.get(level, 1) for level in levels_) + (1,) * (ndim - len(sample)) + sample
    return t if shape == data.shape else run(primitives.Reshape, t, shape=shape)


def expand(t, levels_, sizes):
    """t's array with a full batch dim for each of ``levels_`` (a stride-0 view where t has none)."""
    t = align(t, levels_)
    shape = tuple(sizes) + t._data.shape[len(levels_):]
    return t if t._data.shape == shape else run(primitives.Expand, t, shape=shape)


def shift(axis, nb, ndim):
    """A sample's axis (an int, a tuple, or None for all) as the physical one: past the ``nb`` batch dims."""
    if axis is None:
        return tuple(range(nb, nb + ndim))
    if isinstance(axis, tuple):
        return tuple(nb + a % max(ndim, 1) for a in axis)
    return nb + axis % max(ndim, 1)


def move_front(t, start, count):
    """Permute t's dims ``start … start+count−1`` to the front (dispatch off)."""
    n = t._data.ndim
    dims = tuple(range(start, start + count)) + tuple(range(start)) + tuple(range(start + count, n))
    return t if start == 0 else run(primitives.Permute, t, dims=dims)


# ---- the generic rules ---------------------------------------------------------------------------------------
def elementwise(cls, args, kwargs):
    """The rule of every element-wise op: out[b] = op(x[b], y[b], …).

    The batched operands are lined up (``align``) on the union of their levels and on the result's number of
    sample dims; the ordinary ones broadcast as they are (NumPy lines dims up from the right).  One call.
    """
    order, _ = union(args)
    ndim = max(len(logical_shape(a)) for a in args if hasattr(a, "_data"))
    lined_up = [align(a, order, ndim) if isinstance(a, Batched) else a for a in args]
    return tag(run(cls, *lined_up, **kwargs), order)


def values(fn, *operands):
    """``fn`` (an element-wise NumPy function: a comparison, isnan, a logical op) of the operands' values, on a
    batch: lined up as ``elementwise`` does, one call, nothing recorded (no gradient)."""
    order, _ = union(operands)
    ndim = max(len(logical_shape(a)) for a in operands if hasattr(a, "_data"))
    arrays = [align(a, order, ndim)._data if isinstance(a, Batched) else getattr(a, "_data", a) for a in operands]
    return tag(Tensor._make(np.asarray(fn(*arrays))), order)


def like(t, array):
    """A new tensor over ``array``, computed element-wise from t's array: batched as t is (isnan, a copy)."""
    return tag(Tensor._make(array), levels(t))


def along_axes(cls, args, kwargs):
    """The rule of the ops along axes (sum, amax, norm, cumsum, softmax …): out[b] = op(x[b], axis).

    ``axis`` (None for all of a sample's axes, an int or a tuple) moves past the batch dims.
    """
    x = args[0]
    nb, ndim = len(x._levels), x._data.ndim - len(x._levels)
    kwargs = dict(kwargs, axis=shift(kwargs.get("axis"), nb, ndim))
    return tag(run(cls, *args, **kwargs), x._levels)


def into_first_dim(cls, args, kwargs):
    """The rule of an op on a stack of images (N, …) that treats each image by itself (pooling, unfold, a
    convolution with one weight): the batch dims join N, the op runs once on B·N images, and they come back
    out of the result's first dim.  Only the first argument may be batched."""
    x = args[0]
    order, sizes, n = x._levels, batch_sizes(x), logical_shape(x)[0]
    folded = run(primitives.Reshape, x, shape=(-1,) + logical_shape(x)[1:])
    out = run(cls, folded, *args[1:], **kwargs)
    return tag(run(primitives.Reshape, out, shape=tuple(sizes) + (n,) + out._data.shape[1:]), order)


def reduced(cls, args, kwargs):
    """The rule of an element-wise loss with a ``reduction``: element-wise ('none') on the batch, then each
    sample's sum or mean.  ``out[b] = Σ loss(x[b], y[b]) · s``."""
    reduction = kwargs.get("reduction", "mean")
    out = elementwise(cls, args, dict(kwargs, reduction="none"))
    if reduction == "none":
        return out
    total = out.sum()
    n = int(np.prod(out.shape))
    return total if reduction == "sum" else total / n if n else total * np.nan


# ---- ops without a rule: a loop over the samples ------------------------------------------------------------
def sample(v, order, index, cache):
    """The sample ``index`` (one position per level of ``order``) of a batched tensor, or of the tensors in a
    tuple; other values as they are.  A recorded Index, so gradients flow back to the batch.  A batch dim of a
    level not in ``order`` stays (the result is batched over it)."""
    if isinstance(v, Batched):
        if id(v) not in cache:
            picks = tuple(index[order.index(level)] if level in order else slice(None) for level in v._levels)
            rest = tuple(level for level in v._levels if level not in order)
            cache[id(v)] = tag(run(primitives.Index, v, index=picks), rest)
        return cache[id(v)]
    if type(v) in (tuple, list):
        return type(v)(sample(u, order, index, cache) for u in v)
    return v


def loop(fn, args, kwargs, name, order=None):
    """``fn(*args, **kwargs)`` once per sample, the results stacked into a batch: vmap's fallback.

    ``order``: the levels to loop over (all of the arguments' by default).  Each result must be a tensor (or a
    tuple of tensors) of one shape for every sample.
    """
    values = list(args) + [u for v in kwargs.values() for u in (v if type(v) in (tuple, list) else (v,))]
    everything, all_sizes = union(values)
    order = everything if order is None else tuple(order)
    sizes = tuple(all_sizes[everything.index(level)] for level in order)
    results = []
    for index in np.ndindex(*sizes):
        cache = {}
        results.append(fn(*[sample(a, order, index, cache) for a in args],
                          **{k: sample(v, order, index, cache) for k, v in kwargs.items()}))
    return _stack(results, order, sizes, name)


def _stack(results, order, sizes, name):
    """The per-sample results as one batch over ``order`` (in front of any levels the results have)."""
    first = results[0]
    if isinstance(first, tuple):
        parts = [_stack([r[i] for r in results], order, sizes, name) for i in range(len(first))]
        return type(first)(*parts) if hasattr(first, "_fields") else tuple(parts)
    if not hasattr(first, "_data"):
        raise RuntimeError(f"vmap: {name} returned {type(first).__name__} for a sample; under vmap it must return "
                           "tensors (a Python value cannot differ from sample to sample)")
    shapes = {r._data.shape for r in results}
    kinds = {levels(r) for r in results}
    if len(shapes) > 1 or len(kinds) > 1:
        raise RuntimeError(f"vmap: {name} gives results of different shapes for different samples "
                           f"({sorted(shapes)[:2]} ...): a shape that depends on the values cannot be batched. "
                           "Compute it outside vmap (a Python loop), or pad to one shape")
    out = run(primitives.Stack, *results, axis=0)
    return tag(run(primitives.Reshape, out, shape=tuple(sizes) + first._data.shape), tuple(order) + levels(first))


def per_sample(fn):
    """Decorate a surface function that computes on its arguments' values (a histogram, ``unique``): inside vmap,
    given a batched argument, it runs once per sample and the results are stacked (``loop``)."""
    @functools.wraps(fn)
    def each_sample(*args, **kwargs):
        if on and takes(args, kwargs):
            return loop(fn, args, kwargs, fn.__name__)
        return fn(*args, **kwargs)
    return each_sample


def fallback(cls, args, kwargs):
    """An op without a batch rule: PyTorch's ``vmap`` static method if it has one, else the loop (warned once)."""
    if getattr(cls, "vmap", None) is not None:
        return _pytorch_rule(cls, args, kwargs)
    if cls not in _warned:
        _warned.add(cls)
        warnings.warn(
            f"vmap: {cls.__name__} has no batching rule; running it once per sample in a Python loop (slow). "
            f"Define a batch rule (a static method vmap(info, in_dims, *args) returning (output, out_dim), as in "
            f"PyTorch, or a batch_rule: see docs/func.md), or ignore this warning if the loop is fast enough",
            UserWarning, stacklevel=4)
    apply_one = Function.apply.__func__  # (Function's own apply: a subclass's may take other arguments)
    return loop(lambda *a, **k: apply_one(cls, *a, **k), args, kwargs, cls.__name__)


class VmapInfo:
    """What PyTorch's ``Function.vmap(info, in_dims, *args)`` gets as ``info``."""

    def __init__(self, batch_size, randomness):
        self.batch_size, self.randomness = batch_size, randomness


def _pytorch_rule(cls, args, kwargs):
    """PyTorch's rule API: ``cls.vmap(info, in_dims, *args)`` gets the batched args with their batch dim at 0 (all
    the levels as one dim) and returns (output, out_dim)."""
    order, sizes = union(args)
    total = int(np.prod(sizes))
    flat, in_dims = [], []
    for a in args:
        if isinstance(a, Batched):
            a = expand(a, order, sizes)
            flat.append(run(primitives.Reshape, a, shape=(total,) + a._data.shape[len(order):]))
            in_dims.append(0)
        else:
            flat.append(a)
            in_dims.append(None)
    kwargs = {k: v for k, v in kwargs.items() if k != "_inputs"}
    global on
    previous, on = on, False
    try:
        out, out_dim = cls.vmap(VmapInfo(total, _active[-1][2] if _active else "error"), tuple(in_dims),
                                *flat, **kwargs)
        if out_dim is None:
            return out
        out = move_front(out, out_dim % out._data.ndim, 1)
        return tag(run(primitives.Reshape, out, shape=tuple(sizes) + out._data.shape[1:]), order)
    finally:
        on = previous


def apply(cls, args, kwargs):
    """``Function.apply`` with a batched argument (inside vmap): the op's batch rule, or the fallback."""
    rule = cls.batch_rule
    if rule is None:
        return fallback(cls, args, kwargs)
    return rule(cls, args, kwargs)


# ---- vmap's entry and exit, grad's inputs ----------------------------------------------------------------------
def enter(size, randomness):
    """Start a vmap level (a batch of ``size`` samples) and return it; ``add`` puts the inputs in it."""
    level = next(_new_level)
    _active.append((level, size, randomness))
    return level


def add(x, dim, level):
    """x with its logical dim ``dim`` as the batch dim of ``level`` (moved to the front: a view)."""
    nb = len(levels(x))
    d = nb + dim
    out = run(primitives.Permute, x, dims=(d,) + tuple(i for i in range(x._data.ndim) if i != d))
    return tag(out, (level,) + levels(x))


def leave(level):
    """End the vmap level started by ``enter``."""
    assert _active and _active[-1][0] == level, "vmap levels end in the order they started"
    _active.pop()


def remove(out, level, size, out_dim):
    """An output of the function as vmap returns it: the batch dim of ``level`` put at ``out_dim`` of the
    sample's dims (an output the samples share is expanded to the batch, a stride-0 view)."""
    own = levels(out)
    rest = tuple(level_ for level_ in own if level_ != level)
    sample_ndim = out._data.ndim - len(own)
    d = out_dim % (sample_ndim + 1) if -(sample_ndim + 1) <= out_dim <= sample_ndim else None
    if d is None:
        raise IndexError(f"vmap: out_dims={out_dim} is out of range for an output with {sample_ndim} dims per sample "
                         f"(expected a dim from {-(sample_ndim + 1)} to {sample_ndim})")
    if level not in own:  # the same for every sample: a view with the batch dim added
        shape = out._data.shape
        nb = len(own)
        widened = run(primitives.Reshape, out, shape=shape[:nb + d] + (1,) + shape[nb + d:])
        return tag(run(primitives.Expand, widened, shape=shape[:nb + d] + (size,) + shape[nb + d:]), own)
    at = own.index(level)
    order = [i for i in range(out._data.ndim) if i != at]
    order.insert(len(rest) + d, at)
    return tag(run(primitives.Permute, out, dims=tuple(order)), rest)


def active():
    """The levels of the vmaps running (newest first) and their batch sizes."""
    return tuple(level for level, _, _ in reversed(_active)), tuple(n for _, n, _ in reversed(_active))


def differentiable(x):
    """grad's view of its input x: a new tensor that f's dependence on can be told apart from other uses of x.

    Inside vmap it is batched over every running level (a stride-0 view where x has no batch dim), so its
    gradient is one per sample.  If x requires grad (an outer grad, or a closure's graph), the new tensor is a
    recorded view of x, and the gradient found can be differentiated again; else it is a fresh leaf.
    """
    order, sizes = active()
    sample = logical_shape(x)
    full = tuple(sizes) + sample
    if x.requires_grad:
        t = align(x, order) if order else x
        t = run(primitives.Expand, t, shape=full) if order else run(primitives.Reshape, t, shape=full)
        return tag(t, order)
    data = align(x, order)._data if isinstance(x, Batched) else x._data.reshape((1,) * len(order) + sample)
    leaf = Tensor._make(np.broadcast_to(data, full) if order else data, True)
    return tag(leaf, order)


def random_batch(op):
    """For a random op (``op`` names it in the error): the levels and sizes of the batch dims its draw gets.

    Inside vmap, as vmap's ``randomness`` says: 'different', every running level (a draw per sample);
    'same', none (one draw shared by the samples); 'error' (the default), PyTorch's refusal.  Outside: none.
    """
    if not _active:
        return (), ()
    mode = _active[-1][2]
    if mode == "error":
        raise RuntimeError(f"vmap: called random operation {op} while in randomness error mode (the default): pass "
                           "randomness='different' (a draw per sample) or 'same' (one draw shared by all samples) "
                           "to vmap, or draw the random values outside vmap and pass them in")
    return active() if mode == "different" else ((), ())


