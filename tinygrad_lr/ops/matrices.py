"""Matrix structure: diagonals (``diag``, ``diag_embed``), triangles (``triu``/``tril``), ``trace``, grids
(``meshgrid``) and ``einsum``.

Every one is a composition of primitives already in ``core/primitives``, so none has a backward of its own:

- ``diag`` of a matrix picks the diagonal (``Index``); of a vector it scatters it into zeros (``IndexAdd``);
  ``diag_embed`` multiplies a batch of vectors by a shifted identity;
- ``triu``/``tril`` keep a triangle with ``where`` (not x · mask: 0 · inf is nan); ``trace`` sums the diagonal;
- ``meshgrid`` reshapes each vector along its own dim and expands it (``Expand``: the gradient sums back);
- ``einsum`` takes diagonals and sums, then contracts pairs of operands with one batched matmul each.
"""
import collections
import math
import string
import warnings

import numpy as np

from ..core import dtypes
from ..core.operators import matmul, reduce_sum
from ..core.primitives import Expand, Index, IndexAdd, Permute, Reshape
from ..core.tensor import Tensor
from .arithmetic import where
from .shapes import cat


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


def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Each vector of x's last dim put on diagonal ``offset`` of a square matrix, the matrix in dims
    (dim1, dim2) of the result: out[..., i, i + k] = x[..., i].  Composed: x padded with |k| zeros on one
    side to m = n + |k| entries, times the m × m identity shifted by k (out[i, j] = x_p[j] · [j − i = k]),
    then the two new dims moved; the gradient is the diagonal again (Mul, Cat, Permute)."""
    k = int(offset)
    if x.ndim < 1:
        raise RuntimeError(f"diag_embed: expects a tensor with at least 1 dimension, got shape {tuple(x.shape)}")
    out_ndim = x.ndim + 1
    d1, d2 = (d + out_ndim if d < 0 else d for d in (dim1, dim2))
    if not (0 <= d1 < out_ndim and 0 <= d2 < out_ndim) or d1 == d2:
        raise IndexError(f"diag_embed: dim1={dim1} and dim2={dim2} must be two different dims of the "
                         f"{out_ndim}-d result (in -{out_ndim} … {out_ndim - 1})")
    n = x.shape[-1]
    m = n + abs(k)
    if k:
        zeros = x.new_zeros(tuple(x.shape[:-1]) + (abs(k),))
        x = cat((zeros, x) if k > 0 else (x, zeros), -1)
    eye = Tensor._make(np.eye(m, k=k, dtype=x.dtype if x.dtype.kind in "fc" else np.float64))
    out = x.unsqueeze(-2) * eye                      # (…, m, m): row i, column j holds x_p[j] where j − i = k
    if x.dtype.kind not in "fc":
        out = out.to(x.dtype)
    rest = [d for d in range(out_ndim) if d not in (d1, d2)]
    order = [0] * out_ndim                           # where each dim of the result comes from
    for source, target in zip(list(range(out_ndim - 2)) + [out_ndim - 2, out_ndim - 1], rest + [d1, d2]):
        order[target] = source
    return out.permute(*order)


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


# ---- the Tensor methods: diagonals, triangles, trace -----------------------------------------------------
class MatricesMethods:
    """Tensor's methods for diagonals, triangles and the trace.

    ``tinygrad_lr/ops/__init__.py`` attaches them to ``Tensor``; each calls this module's function that does
    the work.
    """

    def diag(self, diagonal=0):
        """A vector put on diagonal k of a square matrix, or the diagonal k of a matrix."""
        return diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """The last dim's vectors put on diagonal ``offset`` of matrices in dims (dim1, dim2)."""
        return diag_embed(self, offset, dim1, dim2)

    def triu(self, diagonal=0):
        """The upper triangle (on and above diagonal k) of the last two dims; zeros below."""
        return triangle("triu", self, diagonal)

    def tril(self, diagonal=0):
        """The lower triangle (on and below diagonal k) of the last two dims; zeros above."""
        return triangle("tril", self, diagonal)

    def trace(self):
        """The sum of the diagonal of a matrix."""
        return trace(self)
