"""The front end of ops on a tensor's structure: ``narrow``, ``roll``, ``diag``, ``triu``/``tril``, ``trace``,
``cumprod``, ``diff``, ``median``, ``unique``, ``count_nonzero``, ``all``/``any``, ``meshgrid`` and ``einsum``.

Every one is a composition of primitives already in ``core/primitives``, so none has a backward of its own:

- ``narrow`` and ``diff`` are slices (``Index``); ``roll`` is two slices joined (``Cat``);
- ``diag`` of a matrix picks the diagonal (``Index``); of a vector it scatters it into zeros (``IndexAdd``);
- ``triu``/``tril`` keep a triangle with ``where`` (not x · mask: 0 · inf is nan);
- ``cumprod`` is a scan of log₂ n element-wise products, exact at zeros (out / x would be 0 / 0 there);
- ``median`` picks its element by sorting, as ``max(dim)`` picks by argmax;
- ``meshgrid`` reshapes each vector along its own dim and expands it (``Expand``: the gradient sums back);
- ``einsum`` takes diagonals and sums, then contracts pairs of operands with one batched matmul each.

``unique``, ``count_nonzero``, ``all`` and ``any`` give values, counts and truths of a tensor's elements: no
gradient.
"""
import collections
import math
import string
import warnings

import numpy as np

from ..core import dtypes
from ..core.operators import matmul, reduce_sum
from .arithmetic import where
from ..core.operators import axes_of, normalize_dim
from ..core.primitives import Amax, Cat, Expand, Index, IndexAdd, Mul, Permute, Reshape, Where
from .shapes import cat
from ..core.tensor import Tensor

median_result = collections.namedtuple("median", ["values", "indices"])  # torch.return_types.median


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


# ---- diagonals and triangles -----------------------------------------------------------------
def _diagonal_index(rows, cols, k):
    """The (row, column) positions of diagonal k of a rows × cols matrix (k > 0 above, k < 0 below)."""
    n = max(0, min(rows, cols - k) if k >= 0 else min(rows + k, cols))
    i = np.arange(n)
    return (i, i + k) if k >= 0 else (i - k, i)


def diag(x, diagonal=0):
    """A vector's entries on diagonal k of a square matrix (IndexAdd into zeros), or a matrix's diagonal k (Index)."""
    k = int(diagonal)
    if x.ndim == 1:
        n = x.shape[0] + abs(k)
        return IndexAdd.apply(x, shape=(n, n), index=_diagonal_index(n, n, k))
    if x.ndim == 2:
        return Index.apply(x, index=_diagonal_index(*x.shape, k))
    raise RuntimeError(f"diag: expects a vector (1-d) or a matrix (2-d), got shape {tuple(x.shape)}; "
                       "for batches use diagonal-free ops such as x * eye(n)")


def triangle(op, x, diagonal=0):
    """triu / tril: x on and above (below) diagonal k of the last two dims, 0 elsewhere (``where``)."""
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expects a tensor with at least 2 dimensions, got shape {tuple(x.shape)}")
    rows, cols = x.shape[-2:]
    keep = (np.triu if op == "triu" else np.tril)(np.ones((rows, cols), dtype=bool), int(diagonal))
    return where(Tensor._make(keep), x, 0)


def trace(x):
    """The sum of the diagonal of a matrix: diag then sum."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expects a matrix (2-d), got shape {tuple(x.shape)}")
    out = reduce_sum("trace", diag(x), None, False)
    return out if x.dtype.kind == "f" else out.to(dtypes.int64)


# ---- running products and differences -----------------------------------------------------------
def cumprod(x, dim, dtype=None):
    """out[i] = Π_{j ≤ i} x[j] along dim, composed as a scan: after step s, t[i] = Π of x[i − 2ˢ + 1 … i].

    Each step multiplies t by itself shifted by 2ˢ (log₂ n Mul nodes), so the gradient is exact where some
    x[j] = 0 (the formula out / x would be 0 / 0 there), at every order.  Integers multiply as int64.
    """
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu":
        x = x.to(dtypes.int64)
    d = normalize_dim("cumprod", dim, x.ndim)
    if x.ndim == 0:
        return x.clone()
    t, n, shift = x, x.shape[d], 1
    while shift < n:
        t = Cat.apply(t[_slice(d, slice(0, shift))],
                      Mul.apply(t[_slice(d, slice(shift, n))], t[_slice(d, slice(0, n - shift))]), axis=d)
        shift *= 2
    return t.clone() if t is x else t


def diff(x, n=1, dim=-1, prepend=None, append=None):
    """out[i] = x[i + 1] − x[i] along dim, n times (x joined first with prepend and append, as in PyTorch)."""
    if x.ndim == 0:
        raise RuntimeError("diff: expects a tensor with at least 1 dimension, got a 0-d tensor")
    d = normalize_dim("diff", dim, x.ndim)
    parts = [p if isinstance(p, Tensor) else Tensor._make(np.asarray(p, dtype=x.dtype))
             for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = cat(parts, d)
    for _ in range(int(n)):
        m = x.shape[d]
        after, before = x[_slice(d, slice(1, m))], x[_slice(d, slice(0, max(m - 1, 0)))]
        x = (after ^ before) if x.dtype == np.bool_ else after - before  # bools: ≠, as in PyTorch
    return x


# ---- order statistics and counts ------------------------------------------------------------
def median(x, dim=None, keepdim=False):
    """The lower median (element ⌊(n − 1) / 2⌋ in sorted order), as in PyTorch.

    Without dim: a 0-d tensor; ties share the gradient evenly (``Where`` keeps the elements equal to the
    median, ``Amax`` takes their max: the median itself).  With dim: (values, indices), the value picked
    at its index, as ``max(dim)`` does, so the gradient goes to the index returned.
    """
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError(f"median: the tensor is empty (shape {tuple(x.shape)}), so it has no median")
        flat = np.sort(x._data.reshape(-1))
        m = flat[(flat.size - 1) // 2]
        hit = Tensor._make(x._data == m)
        return Amax.apply(Where.apply(hit, x, -np.inf if x.dtype.kind == "f" else m), axis=None, keepdims=False)
    d = normalize_dim("median", dim, x.ndim)
    if x.ndim == 0:
        return median_result(x.clone(), Tensor._make(np.zeros((), np.int64)))
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"median: dim {d} of shape {tuple(x.shape)} has size 0, and an empty slice has no median")
    order = np.argsort(x._data, axis=d, kind="stable")
    i = np.take(order, [(n - 1) // 2], axis=d)  # keeps dim d, of size 1
    grid = tuple(i if k == d else np.arange(s).reshape((s,) + (1,) * (x.ndim - k - 1))
                 for k, s in enumerate(i.shape))
    values = Index.apply(x, index=grid)
    if not keepdim:
        values, i = values.squeeze(d), np.squeeze(i, d)
    return median_result(values, Tensor._make(i.astype(np.int64)))


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct elements, in increasing order; with return_inverse, where each element of x went; with
    return_counts, how often each occurs.  Values and counts have no gradient."""
    if dim is not None:
        raise NotImplementedError("unique: dim= is not supported; unique of the whole tensor only")
    values, inverse, counts = np.unique(x._data, return_inverse=True, return_counts=True)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(x.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def count_nonzero(x, dim=None):
    """The number of nonzero elements (over dim, an int or a tuple): int64, no gradient."""
    axes = axes_of("count_nonzero", dim, x.ndim)
    return Tensor._make(np.asarray(np.count_nonzero(x._data, axis=axes), dtype=np.int64))


def all_any(op, x, dim=None, keepdim=False):
    """all: True where every element (over ``dim``: an int, a tuple, or None for all) is nonzero; any: where
    some element is.  A bool tensor (uint8 in, uint8 out, as in PyTorch); NaN counts as nonzero."""
    axes = None if dim is None else axes_of(op, dim, x.ndim)
    truth = (np.all if op == "all" else np.any)(x._data, axis=axes, keepdims=keepdim)
    return Tensor._make(np.asarray(truth, dtype=np.uint8 if x.dtype == np.uint8 else np.bool_))


# ---- grids ---------------------------------------------------------------------------------
def meshgrid(*tensors, indexing=None):
    """Coordinate grids of n vectors: out[k][i₀, i₁, …] = tensors[k][iₖ] ('ij'), each of shape (len₀, len₁, …).

    indexing='xy' swaps the first two dims (out shape (len₁, len₀, …)), as NumPy's and MATLAB's grids.
    Each output is the vector reshaped along its own dim and expanded (``Expand``), so ∂L/∂tensors[k] sums
    the gradient over the other dims.  Without ``indexing``, 'ij' with PyTorch's warning.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise RuntimeError("meshgrid: expects at least one tensor, got none")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid: expects tensors, got {type(t).__name__} as argument {k}")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-d or 1-d tensors, got shape {tuple(t.shape)} as argument {k}; "
                               "flatten it first (t.reshape(-1))")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"meshgrid: expects tensors of one dtype, got {dtypes.dtype_name(tensors[0].dtype)} "
                               f"and {dtypes.dtype_name(t.dtype)}; convert them with .to(dtype)")
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0  # tensor k varies along dim order[k]
    sizes = [t.numel() for t in tensors]
    shape = tuple(sizes[order.index(d)] for d in range(len(tensors)))
    grids = []
    for k, t in enumerate(tensors):
        along = tuple(sizes[k] if d == order[k] else 1 for d in range(len(tensors)))
        grids.append(Expand.apply(Reshape.apply(t, shape=along), shape=shape))
    return tuple(grids)


# ---- einsum -------------------------------------------------------------------------------
def _parse(equation, operands):
    """The terms of each operand and the output's letters ('ij,jk->ik'; without '->', the letters seen once)."""
    eq = equation.replace(" ", "")
    if "." in eq:
        raise NotImplementedError("einsum: '...' (ellipsis) is not supported; name every dim with a letter")
    inputs, arrow, output = eq.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operand(s), got {len(operands)}")
    for term, t in zip(terms, operands):
        if len(term) != t.ndim:
            raise ValueError(f"einsum: the term {term!r} names {len(term)} dims, but its operand has shape "
                             f"{tuple(t.shape)}")
    if not arrow:
        seen = collections.Counter("".join(terms))
        output = "".join(sorted((c for c in seen if seen[c] == 1), key=string.ascii_letters.index))
    return terms, output


def _permuted(t, term, order):
    """t with its axes put in the order of the letters ``order`` (a permutation of ``term``)."""
    dims = tuple(term.index(c) for c in order)
    return t if dims == tuple(range(len(dims))) else Permute.apply(t, dims=dims)


def _prepared(t, term, needed):
    """One operand: a letter twice in its term ('ii') takes that diagonal; the letters not ``needed`` are summed."""
    while len(set(term)) < len(term):
        c = next(c for c in term if term.count(c) > 1)
        a = term.index(c)
        b = term.index(c, a + 1)
        others = tuple(k for k in range(len(term)) if k not in (a, b))
        t = Permute.apply(t, dims=others + (a, b))
        t = Index.apply(t, index=(Ellipsis,) + _diagonal_index(t.shape[-2], t.shape[-1], 0))
        term = "".join(term[k] for k in others) + c
    drop = tuple(k for k, c in enumerate(term) if c not in needed)
    if drop:
        t = reduce_sum("einsum", t, drop, False)
        term = "".join(c for c in term if c in needed)
    return t, term


def _contract(t, term, u, uterm, keep):
    """t and u multiplied and summed over their shared letters that are not in ``keep``, as one batched matmul:
    t as (batch, left, summed) @ u as (batch, summed, right)."""
    size = dict(zip(term, t.shape)) | dict(zip(uterm, u.shape))
    batch = "".join(c for c in term if c in uterm and c in keep)
    summed = "".join(c for c in term if c in uterm and c not in keep)
    left = "".join(c for c in term if c not in uterm)
    right = "".join(c for c in uterm if c not in term)
    n = {k: math.prod(size[c] for c in letters) for k, letters in
         (("b", batch), ("l", left), ("s", summed), ("r", right))}
    a = _permuted(t, term, batch + left + summed).reshape(n["b"], n["l"], n["s"])
    b = _permuted(u, uterm, batch + summed + right).reshape(n["b"], n["s"], n["r"])
    out = matmul(a, b).reshape(tuple(size[c] for c in batch + left + right))
    return out, batch + left + right


def einsum(equation, *operands):
    """Einstein summation: einsum('ij,jk->ik', a, b) = a @ b, einsum('ii->i', a) the diagonal, ...

    Composed: each operand takes its diagonals ('ii') and sums the letters used nowhere else; then, left to
    right, each pair is one batched matmul over their shared letters (``_contract``); the result is
    permuted to the output's letters.  Equal letters must have equal sizes (no broadcasting), and there is
    no '...' (ellipsis).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    terms, output = _parse(equation, operands)
    sizes = {}
    for term, t in zip(terms, operands):
        for c, n in zip(term, t.shape):
            if sizes.setdefault(c, n) != n:
                raise ValueError(f"einsum: the letter {c!r} has size {sizes[c]} in one operand and {n} in another")
    missing = [c for c in output if c not in sizes]
    if missing or len(set(output)) < len(output):
        raise ValueError(f"einsum: the output {output!r} must name letters of the operands, each once")
    t, term = _prepared(operands[0], terms[0], set(output) | set("".join(terms[1:])))
    for i in range(1, len(terms)):
        keep = set(output) | set("".join(terms[i + 1:]))
        u, uterm = _prepared(operands[i], terms[i], keep | set(term))
        t, term = _contract(t, term, u, uterm, keep)
    t = _permuted(t, term, output)
    return t.clone() if t is operands[0] else t


# ---- the Tensor methods: whole-tensor truths (all, any), structure (narrow, roll, diag, triu, tril, trace, diff), order statistics 
class StructureMethods:
    """Tensor's methods for whole-tensor truths (all, any), structure (narrow, roll, diag, triu, tril, trace, diff), order statistics.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def all(self, dim=None, keepdim=False):
        """True if every element (over ``dim``, an int or a tuple) is nonzero: a bool tensor."""
        return all_any("all", self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """True if some element (over ``dim``, an int or a tuple) is nonzero: a bool tensor."""
        return all_any("any", self, dim, keepdim)

    def cumprod(self, dim, *, dtype=None):
        """The running products along ``dim`` (exact gradients where an element is 0)."""
        return cumprod(self, dim, dtype)

    def median(self, dim=None, keepdim=False):
        """The lower median of all elements; with ``dim``, the pair (values, indices) along it."""
        return median(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        """The number of nonzero elements (over ``dim``), int64."""
        return count_nonzero(self, dim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        """The distinct elements, sorted; (values, inverse, counts) as asked (no gradient)."""
        return unique(self, sorted, return_inverse, return_counts, dim)

    def trace(self):
        """The sum of the diagonal of a matrix."""
        return trace(self)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The differences x[i + 1] − x[i] along ``dim``, ``n`` times."""
        return diff(self, n, dim, prepend, append)

    def narrow(self, dim, start, length):
        """The slice start … start + length − 1 along ``dim``."""
        return narrow(self, dim, start, length)

    def roll(self, shifts, dims=None):
        """Shift the elements along ``dims`` (of the flattened tensor without dims), wrapping around."""
        return roll(self, shifts, dims)

    def diag(self, diagonal=0):
        """A vector put on diagonal k of a square matrix, or the diagonal k of a matrix."""
        return diag(self, diagonal)

    def triu(self, diagonal=0):
        """The upper triangle (on and above diagonal k) of the last two dims; zeros below."""
        return triangle("triu", self, diagonal)

    def tril(self, diagonal=0):
        """The lower triangle (on and below diagonal k) of the last two dims; zeros above."""
        return triangle("tril", self, diagonal)
