"""The front end of shapes: dims, ``reshape``/``view``, ``transpose``, ``expand``, ``cat`` and ``stack``,
``permute``, ``movedim``, ``repeat``/``tile``, ``flip``, ``split``/``chunk`` and ``unbind``.

Each checks sizes and dims (negative dims count from the end, as in PyTorch)
and names the problem in its error, then applies one primitive of
``core/primitives`` or composes a few (``repeat`` is reshape, expand, reshape;
``flip`` and ``split`` are slices of ``Index``).
"""
import math
import operator

import numpy as np

from ..core import dtypes, operators
from ..core.operators import normalize_dim, operand
from ..core.primitives import Cat, Clone, Expand, Index, Permute, Reshape, Stack, Transpose
from ..core.tensor import Tensor


def reshape(op, x, shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        shape = tuple(operator.index(n) for n in shape)  # int(2.5) would quietly be 2
    except TypeError:
        raise TypeError(f"{op}: the shape must be integers, got {shape!r}") from None
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        raise ValueError(f"{op}: invalid shape {shape}: sizes must be >= 0, and at most one may be -1")
    known = math.prod(n for n in shape if n != -1)
    if (-1 in shape and (known == 0 or x.numel() % known)) or (-1 not in shape and known != x.numel()):
        raise ValueError(f"{op}: cannot reshape a tensor of shape {tuple(x.shape)} ({x.numel()} elements) "
                         f"into shape {shape}")
    return Reshape.apply(x, shape=shape)


def transpose(x, dim0, dim1):
    d0, d1 = normalize_dim("transpose", dim0, x.ndim), normalize_dim("transpose", dim1, x.ndim)
    if x.ndim < 2 or d0 == d1:
        return Reshape.apply(x, shape=x.shape)  # nothing to swap, but still a new tensor (a view in PyTorch)
    return Transpose.apply(x, dim0=d0, dim1=d1)


def expand(x, sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if lead < 0 or any(n < 0 for n in shape) or not all(
            m in (1, n) for m, n in zip(x.shape, shape[lead:])):
        raise ValueError(f"expand: a tensor of shape {tuple(x.shape)} cannot be expanded to {tuple(sizes)}; "
                         "only dimensions of size 1 can grow")
    return Expand.apply(x, shape=shape)


# ---- joining -----------------------------------------------------------------
def _join(op, fn, tensors, dim, new_axis):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{op}: expects a non-empty list or tuple of tensors")
    ts = [operand(op, t) for t in tensors]
    ts = [t if isinstance(t, Tensor) else Tensor._make(np.asarray(t, dtype=dtypes.result_dtype(t)))
          for t in ts]
    dt = dtypes.result_dtype(*[t._data for t in ts])
    ts = [t.to(dt) for t in ts]
    ndim = ts[0].ndim + new_axis
    if not new_axis and ts[0].ndim == 0:
        raise ValueError(f"{op}: zero-dimensional tensors cannot be concatenated; use stack")
    axis = normalize_dim(op, dim, ndim)
    for i, t in enumerate(ts[1:], 1):
        a, b = list(ts[0].shape), list(t.shape)
        if not new_axis and len(a) == len(b):
            a[axis] = b[axis] = None
        if a != b:
            need = "the same shape" if new_axis else f"the same shape except in dim {axis}"
            raise ValueError(f"{op}: expects tensors of {need}, but tensor 0 has shape "
                             f"{tuple(ts[0].shape)} and tensor {i} has shape {tuple(t.shape)}")
    return fn.apply(*ts, axis=axis)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    return _join("cat", Cat, tensors, dim, new_axis=False)


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension."""
    return _join("stack", Stack, tensors, dim, new_axis=True)


# ---- reordering, repeating and splitting --------------------------------------------
def _dim_list(op, dims, ndim):
    """Dims given as f(0, 1), f((0, 1)) or f([0, 1]): each in range(ndim), none twice."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    out = tuple(normalize_dim(op, d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dims {tuple(dims)} name the same dimension twice; name each dim at most once")
    return out


def _sizes(op, sizes):
    """Sizes given as f(2, 3) or f((2, 3)): integers (int(2.5) would quietly be 2)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    try:
        return tuple(operator.index(n) for n in sizes)
    except TypeError:
        raise TypeError(f"{op}: the sizes must be integers, got {tuple(sizes)!r}") from None


def permute(x, dims):
    """The dims reordered: out.shape[i] = x.shape[dims[i]] (every dim named once)."""
    order = _dim_list("permute", dims, x.ndim)
    if len(order) != x.ndim:
        raise ValueError(f"permute: a tensor of shape {tuple(x.shape)} has {x.ndim} dims, so dims must name each "
                         f"of them once, got {len(order)} dims {tuple(dims)}")
    return Permute.apply(x, dims=order)


def movedim(x, source, destination):
    """Move dims ``source`` to positions ``destination``; the other dims keep their order (a permute)."""
    src = _dim_list("movedim", source if isinstance(source, (tuple, list)) else (source,), x.ndim)
    dst = _dim_list("movedim", destination if isinstance(destination, (tuple, list)) else (destination,), x.ndim)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must name as many dims")
    order = [None] * x.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(x.ndim) if d not in src)
    return Permute.apply(x, dims=tuple(next(rest) if d is None else d for d in order))


def repeat(x, sizes):
    """Tile x sizes[i] times along dim i: out[r·n + a] = x[a] in every dim (x gets leading 1s for extra sizes).

    Composed: x is broadcast from (1, n₀, 1, n₁, …) to (s₀, n₀, s₁, n₁, …) and each pair merged, so
    the gradient sums the s copies of each element (the adjoint of expand).
    """
    sizes = _sizes("repeat", sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: the sizes {sizes} are fewer than the dims of the tensor of shape {tuple(x.shape)}; "
                         "give one size per dim (1 keeps a dim), or use tile, which fills in leading 1s")
    if any(s < 0 for s in sizes):
        raise ValueError(f"repeat: the sizes must be >= 0, got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    pairs = Reshape.apply(x, shape=tuple(m for n in shape for m in (1, n)))
    pairs = Expand.apply(pairs, shape=tuple(m for s, n in zip(sizes, shape) for m in (s, n)))
    out = Reshape.apply(pairs, shape=tuple(s * n for s, n in zip(sizes, shape)))
    return Clone.apply(out) if np.may_share_memory(out._data, x._data) else out  # a copy, as in PyTorch


def tile(x, dims):
    """repeat, with leading 1s when fewer sizes than dims are given (NumPy's tile)."""
    dims = _sizes("tile", dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def flip(x, dims):
    """x reversed along ``dims``: composed as x[::-1] there, copied (PyTorch's flip is not a view)."""
    if not dims:
        raise TypeError("flip: name the dims to reverse, e.g. x.flip(0) or x.flip((0, 1))")
    axes = _dim_list("flip", dims, x.ndim)
    index = tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(x.ndim))
    return Clone.apply(Index.apply(x, index=index))


def _pieces(x, d, sizes):
    """The slices x[…, a:a + n, …] along dim d, one per size: views, as in PyTorch."""
    starts = np.cumsum((0,) + tuple(sizes[:-1])).tolist()
    lead = (slice(None),) * d
    return tuple(Index.apply(x, index=lead + (slice(a, a + n),)) for a, n in zip(starts, sizes))


def split(x, split_size_or_sections, dim=0):
    """Pieces of size split_size along dim (the last one smaller), or of the sizes in a list of sections."""
    if x.ndim == 0:
        raise ValueError("split: expects a tensor with at least 1 dimension, got a 0-d tensor")
    d = normalize_dim("split", dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _sizes("split", (split_size_or_sections,))
        if any(s < 0 for s in sizes):
            raise ValueError(f"split: the sections {list(sizes)} must be sizes >= 0")
        if sum(sizes) != n:
            raise ValueError(f"split: the sections {list(sizes)} sum to {sum(sizes)}, but dim {d} of the tensor of "
                             f"shape {tuple(x.shape)} has size {n}; they must add up to {n} exactly")
        return _pieces(x, d, sizes)
    size, = _sizes("split", (split_size_or_sections,))
    if size < 0 or size == 0 and n:
        raise ValueError(f"split: split_size must be > 0 (0 only for a dim of size 0), got {size} for dim {d} "
                         f"of size {n}")
    return _pieces(x, d, [min(size, n - a) for a in range(0, n, size)] if n else [0])


def chunk(x, chunks, dim=0):
    """At most ``chunks`` pieces along dim, each of size ⌈n / chunks⌉ (the last one smaller)."""
    chunks, = _sizes("chunk", (chunks,))
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be > 0, got {chunks}")
    if x.ndim == 0:
        raise ValueError("chunk: expects a tensor with at least 1 dimension, got a 0-d tensor")
    d = normalize_dim("chunk", dim, x.ndim)
    if x.shape[d] == 0:
        return _pieces(x, d, [0] * chunks)  # PyTorch gives `chunks` empty pieces
    return split(x, -(-x.shape[d] // chunks), d)


def unbind(x, dim=0):
    """The slices x[…, i, …] along dim, as a tuple (dim removed)."""
    if x.ndim == 0:
        raise IndexError("unbind: a 0-d tensor has no dimension to unbind")
    d = normalize_dim("unbind", dim, x.ndim)
    return tuple(Index.apply(x, index=(slice(None),) * d + (i,)) for i in range(x.shape[d]))


def _slice(d, s):
    """The index x[:, …, s] with s in dim d."""
    return (slice(None),) * d + (s,)


# ---- slices ------------------------------------------------------------------------------
def narrow(x, dim, start, length):
    """x[…, start:start + length, …] along dim (a view in PyTorch; start may be negative)."""
    if x.ndim == 0:
        raise RuntimeError("narrow: a 0-d tensor has no dimension to narrow")
    d = normalize_dim("narrow", dim, x.ndim)
    n = x.shape[d]
    start = int(start.item() if isinstance(start, Tensor) else start)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dim {d} of size {n} (shape {tuple(x.shape)})")
    start %= n if n else 1
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds the size {n} of dim {d} "
                           f"(shape {tuple(x.shape)}); use a length from 0 to {n - start}")
    return Index.apply(x, index=_slice(d, slice(start, start + length)))


def roll(x, shifts, dims=None):
    """out[(i + shift) mod n] = x[i] along each dim: the last ``shift`` elements joined before the others (Cat).
    Without dims, the flattened tensor is rolled and reshaped back."""
    if dims is None:
        if isinstance(shifts, (tuple, list)) and len(shifts) != 1:
            raise RuntimeError(f"roll: without dims, give one shift, got {tuple(shifts)}")
        shift = shifts[0] if isinstance(shifts, (tuple, list)) else shifts
        return Reshape.apply(roll(x.reshape(-1), shift, 0), shape=x.shape)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    out = x
    for shift, dim in zip(shifts, dims):
        d = normalize_dim("roll", dim, x.ndim)
        n = x.shape[d] if x.ndim else 1
        k = shift % n if n else 0
        if k:
            out = Cat.apply(out[_slice(d, slice(n - k, n))], out[_slice(d, slice(0, n - k))], axis=d)
    return out.clone() if out is x else out  # a copy, as in PyTorch


# ---- the Tensor methods: shapes and views ------------------------------------------------------------------
class ShapesMethods:
    """Tensor's methods for shapes and views.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def reshape(self, *shape):
        """The same values in a new shape (one size may be -1: inferred)."""
        return reshape("reshape", self, shape)

    def view(self, *shape):
        """The same values in a new shape, like ``reshape``."""
        return reshape("view", self, shape)

    def view_as(self, other):
        """``view(other.shape)``."""
        return self.view(other.shape)

    def reshape_as(self, other):
        """``reshape(other.shape)``."""
        return self.reshape(other.shape)

    def expand_as(self, other):
        """``expand(other.shape)``."""
        return self.expand(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims start_dim … end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        s = operators.normalize_dim("flatten", start_dim, self.ndim)
        e = operators.normalize_dim("flatten", end_dim, self.ndim)
        size = math.prod(self.shape[s:e + 1])  # not -1: that is ambiguous when another dim is 0
        return self.reshape(self.shape[:s] + (size,) + self.shape[e + 1:])

    def unsqueeze(self, dim):
        """Insert a dimension of size 1 at ``dim``."""
        d = operators.normalize_dim("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        """Remove the dimensions of size 1 (only ``dim``, if given)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        d = operators.normalize_dim("squeeze", dim, self.ndim)
        return self.reshape(self.shape if self.ndim == 0 or self.shape[d] != 1 else self.shape[:d] + self.shape[d + 1:])

    def transpose(self, dim0, dim1):
        """Swap two dimensions."""
        return transpose(self, dim0, dim1)

    swapaxes = transpose  # NumPy's name: backward formulas use it on arrays and tensors alike

    def t(self):
        """Transpose a matrix (0-d and 1-d tensors are returned as they are)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {tuple(self.shape)}; "
                             "use transpose(dim0, dim1) or .mT")
        return self.transpose(0, -1)

    T = property(t, doc="The transpose of a matrix (see t()).")
    mT = property(lambda self: self.transpose(-2, -1), doc="Transpose the last two dimensions.")
    mH = property(lambda self: self.transpose(-2, -1), doc="The conjugate transpose of the last two dims (mT: values are real).")

    def expand(self, *sizes):
        """Broadcast to a larger shape without copying (-1 keeps a size)."""
        return expand(self, sizes)

    def permute(self, *dims_, dims=None):
        """Reorder the dims: ``x.permute(2, 0, 1)`` or ``x.permute((2, 0, 1))``; out.shape[i] = x.shape[dims[i]]."""
        return permute(self, dims_ if dims is None else (dims,))

    def movedim(self, source, destination):
        """Move the dim(s) ``source`` to position(s) ``destination``; the others keep their order."""
        return movedim(self, source, destination)

    moveaxis = movedim

    def repeat(self, *sizes):
        """Tile the tensor sizes[i] times along dim i (a copy; more sizes than dims add leading dims)."""
        return repeat(self, sizes)

    def tile(self, *dims):
        """Like repeat, with leading 1s when fewer sizes than dims are given."""
        return tile(self, dims)

    def flip(self, *dims_, dims=None):
        """Reverse the order of the elements along the given dims (a copy)."""
        return flip(self, dims_ if dims is None else (dims,))

    def split(self, split_size, dim=0):
        """A tuple of pieces along dim: of size split_size (the last may be smaller), or of the sizes in a list."""
        return split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        """A tuple of at most ``chunks`` pieces of size ⌈n / chunks⌉ along dim."""
        return chunk(self, chunks, dim)

    def unbind(self, dim=0):
        """A tuple of the slices along dim, with that dim removed."""
        return unbind(self, dim)

    def narrow(self, dim, start, length):
        """The slice start … start + length − 1 along ``dim``."""
        return narrow(self, dim, start, length)

    def roll(self, shifts, dims=None):
        """Shift the elements along ``dims`` (of the flattened tensor without dims), wrapping around."""
        return roll(self, shifts, dims)
