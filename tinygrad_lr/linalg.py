"""``tinygrad_lr.linalg``: the closed form of linear regression, ``lstsq``, ``solve``, and the norms.

Linear regression has a closed form.  With A = [X 1] (a column of ones for the
bias) and θ = [w; b], the loss ℓ(θ) = 1/(2n)·‖Aθ − y‖² has the gradient
∇ℓ = Aᵀ(Aθ − y)/n, and setting it to zero gives the *normal equations*

    AᵀA θ = Aᵀy,        θ* = (AᵀA)⁻¹Aᵀy        when AᵀA is invertible.

``lstsq(A, y).solution`` is θ*.  It does not form AᵀA (that squares the
condition number and loses half the digits); it uses the singular value
decomposition A = U Σ Vᵀ instead:

    θ* = A⁺y = V Σ⁺ Uᵀy,     Σ⁺ = diag(1/σ₁, …, 1/σᵣ, 0, …, 0),

which is the same θ* when AᵀA is invertible, and otherwise — when the columns
of A are linearly dependent (a constant feature next to the bias, a duplicated
or collinear feature), AᵀA is singular and infinitely many θ fit equally well —
the one of smallest norm ‖θ‖.  That case is never silent: ``lstsq`` warns
(``RankDeficientWarning``) with the rank, the columns involved and the fix.

``solve(A, B)`` solves a square system A X = B exactly, records a graph (its
gradient is ∂L/∂B = A⁻ᵀG, ∂L/∂A = −A⁻ᵀG Xᵀ), and refuses a singular A with an
error that points to ``lstsq``.

``vector_norm(x, ord)`` and ``norm(A, ord)`` are PyTorch's norms (‖θ‖₂ of a ridge
penalty, ‖Aθ − y‖ of a residual); the 2-norm's gradient θ/‖θ‖ is 0 at θ = 0, as
in PyTorch.

Example::

    A = tinygrad_lr.cat([X, tinygrad_lr.ones(n, 1)], dim=1)      # [X 1]
    theta = linalg.lstsq(A, y).solution                          # [w; b]
"""
import math
import warnings
from typing import NamedTuple

import numpy as np

from .core import internal, operators
from .ops import arithmetic
from .core.function import Function
from .core.operators import normalize_dim
from .core.tensor import Tensor

__all__ = ["lstsq", "solve", "norm", "vector_norm", "LstsqResult", "LinAlgError", "RankDeficientWarning"]


class LinAlgError(RuntimeError):
    """A linear-algebra problem with no (unique) answer, e.g. ``solve`` with a singular matrix."""


class RankDeficientWarning(UserWarning):
    """``lstsq``: the columns of A are linearly dependent, so the solution returned is the minimum-norm one.

    Attributes:
        rank: the numerical rank of A.
        columns: the indices of the columns that take part in a linear dependence.
    """

    def __init__(self, message, rank=None, columns=()):
        super().__init__(message)
        self.rank, self.columns = rank, tuple(columns)


class LstsqResult(NamedTuple):
    """What ``lstsq`` returns (PyTorch's field names); unpacks like a tuple.

    Attributes:
        solution: X minimizing ‖AX − B‖, shape (n,) or (n, k); the minimum-norm one if A is rank-deficient.
        residuals: ‖AX − B‖² for each column of B, shape (k,) (() for a vector B); empty, as in
            PyTorch and NumPy, unless m > n and A has full column rank.
        rank: the numerical rank r of A (an int64 tensor of shape ()).
        singular_values: σ₁ ≥ … ≥ σ_min(m,n) of A, shape (min(m, n),).
    """
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


# ============================================================================
# arguments
# ============================================================================
def _array(op, name, x):
    """The float64 array of a Tensor, array, list or number, and the float dtype the result should have."""
    if isinstance(x, Tensor):
        data = internal.values(x)
    else:
        try:
            data = np.asarray(x)
        except (TypeError, ValueError):
            data = None
        if data is None or data.dtype.kind in "OUSV":
            raise TypeError(f"{op}: {name} must be a tensor or an array of numbers, got {type(x).__name__}")
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must hold real numbers, got dtype {data.dtype}")
    dtype = data.dtype if data.dtype.kind == "f" else np.dtype(np.float32)  # integers give float32, as torch
    values = np.asarray(data, dtype=np.float64)
    if not np.isfinite(values).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(f"{op}: {name} contains NaN or inf (first at index {list(where)}); the solution "
                         "would be meaningless: remove or replace those values")
    return values, dtype


def _matrix_and_rhs(op, A, B, square):
    a, a_dtype = _array(op, "A", A)
    b, b_dtype = _array(op, "B", B)
    if a.ndim != 2:
        raise ValueError(f"{op}: A must be a matrix of shape (m, n), got shape {a.shape}"
                         + ("; for a single column use A.reshape(-1, 1)" if a.ndim == 1 else ""))
    if square and a.shape[0] != a.shape[1]:
        raise ValueError(f"{op}: A must be square, got shape {a.shape}; for a least-squares solution of a "
                         "non-square system use linalg.lstsq(A, B)")
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"{op}: A has shape {a.shape} and B has shape {b.shape}: B must have shape "
                         f"({a.shape[0]},) or ({a.shape[0]}, k), one row per row of A")
    if a.shape[0] == 0:
        raise ValueError(f"{op}: A has no rows (shape {a.shape}): there are no equations to solve")
    return a, b, np.result_type(a_dtype, b_dtype)


def _tensor(array, dtype):
    return internal.wrap(np.array(array, dtype=dtype, order="C"))  # a copy, 0-d stays 0-d


def _column_scales(a):
    """The largest |entry| of each column (1 for a column of zeros), and which columns are zero:
    A = (A·D⁻¹)·D with D = diag(scales)."""
    scale = np.abs(a).max(axis=0) if a.shape[0] else np.zeros(a.shape[1])
    return np.where(scale > 0, scale, 1.0), scale == 0


def _default_rcond(m, n):
    """Singular values below rcond·σ₁ count as zero (NumPy's and PyTorch's default rcond: eps·max(m, n))."""
    return np.finfo(np.float64).eps * max(m, n)


# ============================================================================
# lstsq
# ============================================================================
def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X of A X ≈ B: the X minimizing ‖AX − B‖².

    When AᵀA is invertible (A has full column rank n), X is the unique solution of
    the normal equations, X = (AᵀA)⁻¹AᵀB.  When it is not — the columns of A are
    linearly dependent, e.g. a constant feature next to the column of ones, two
    collinear features, or fewer rows than columns — infinitely many X fit equally
    well; ``lstsq`` then **warns** (``RankDeficientWarning``, naming the rank and
    the dependent columns) and returns the one of smallest norm, X = A⁺B, never an
    arbitrary one.

    Computed with the singular value decomposition A = UΣVᵀ in float64:
    X = V Σ⁺ UᵀB, where Σ⁺ inverts the r singular values larger than rcond·σ₁ and
    zeroes the others (r is the numerical rank).  This is more accurate than
    solving the normal equations, whose matrix AᵀA has the squared condition number.
    With the default rcond, the SVD is of A·D⁻¹, each column divided by its largest
    |entry| (D = diag of those), and X = D⁻¹·V Σ⁺ UᵀB: the rank is judged relative to
    each column's own scale, so a feature in units of 1e39 next to one in units of 1
    is not taken for a dependent column, and values near 1e300 do not overflow.  (An
    explicit rcond keeps NumPy's and PyTorch's meaning: relative to σ₁ of A itself.)

    Args:
        A: matrix of shape (m, n) (for linear regression, [X 1]).
        B: right-hand side of shape (m,) or (m, k) (the targets y).
        rcond: relative cutoff for small singular values; default eps·max(m, n), as in NumPy.
        driver: accepted for PyTorch compatibility ('gelsd', 'gelss', 'gelsy', 'gels');
            every driver is computed the same way, by the SVD.

    Returns:
        ``LstsqResult(solution, residuals, rank, singular_values)``, PyTorch's fields
        (see ``LstsqResult``), as tensors of A's and B's float dtype (float64 when either is).
        No graph is recorded: for a differentiable closed form use
        ``solve(A.T @ A, A.T @ B)`` (full column rank only).

    Shape:
        - A: (m, n);  B: (m,) or (m, k)
        - solution: (n,) or (n, k)

    Example::

        >>> A = tinygrad_lr.tensor([[1., 0.], [1., 1.], [1., 2.]])      # [1 x]
        >>> lstsq(A, tinygrad_lr.tensor([1., 3., 5.])).solution          # y = 1 + 2x
        tensor([1., 2.])
    """
    op = "lstsq"
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"{op}: driver must be one of None, 'gels', 'gelsy', 'gelsd', 'gelss', got {driver!r}")
    a, b, dtype = _matrix_and_rhs(op, A, B, square=False)
    m, n = a.shape
    default_rcond = rcond is None
    if rcond is None:
        rcond = _default_rcond(m, n)
    elif isinstance(rcond, bool) or not isinstance(rcond, (int, float, np.floating)) or rcond < 0:
        raise ValueError(f"{op}: rcond must be a number >= 0, got {rcond!r}")

    scale, zero = _column_scales(a) if default_rcond else (np.ones(n), np.zeros(n, bool))
    try:
        U, s, Vt = np.linalg.svd(a / scale, full_matrices=False)   # A·D⁻¹ = U diag(s) Vᵀ, D = diag(scale)
    except np.linalg.LinAlgError as e:
        raise LinAlgError(f"{op}: the singular value decomposition of A (shape {a.shape}) failed ({e}); the values "
                          f"of A range up to {np.abs(a).max():.3g}") from None
    keep = s > rcond * s[0] if s.size and s[0] > 0 else np.zeros(s.shape, bool)
    rank = int(keep.sum())
    s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)  # Σ⁺: 1/σ for the kept values, 0 for the rest
    b2 = b.reshape(m, -1)
    x = Vt.T @ (s_inv[:, None] * (U.T @ b2)) / scale[:, None]  # X = D⁻¹ V Σ⁺ Uᵀ B

    if rank < n:
        if default_rcond:                  # the solution of smallest ‖x‖: x's part in the row space of A = U S Vᵀ D
            rows = np.linalg.qr((Vt[:rank] * scale).T)[0] if rank else np.zeros((n, 0))
            x = rows @ (rows.T @ x)
            x[zero] = 0.0                  # exactly: a column of zeros gets no weight in the minimum-norm solution
        warnings.warn(_rank_warning(op, a.shape, rank, Vt[rank:]), stacklevel=2)
    if default_rcond:                      # A's own singular values: A = U·(diag(s) Vᵀ D), U orthonormal
        s = np.linalg.svd(s[:, None] * Vt * scale, compute_uv=False)
    if m > n and rank == n:
        residuals = ((a @ x - b2) ** 2).sum(axis=0)
        residuals = residuals.reshape(()) if b.ndim == 1 else residuals
    else:
        residuals = np.zeros(0)
    solution = x.reshape(n) if b.ndim == 1 else x
    return LstsqResult(_tensor(solution, dtype), _tensor(residuals, dtype),
                       internal.wrap(np.array(rank, dtype=np.int64)), _tensor(s, dtype))


def _rank_warning(op, shape, rank, null_rows):
    """A RankDeficientWarning: the rank, the columns taking part in a dependence, and the fix.

    The rows of ``null_rows`` span the null space of A (the directions d with Ad = 0, right
    singular vectors of the zero singular values): a column is involved in a dependence when
    some such d has a nonzero entry for it.
    """
    m, n = shape
    involved = np.flatnonzero(np.abs(null_rows).max(axis=0) > 1e-8) if null_rows.size else np.arange(n)
    cols = ", ".join(str(int(c)) for c in involved)
    why = (f"it has fewer rows than columns ({m} < {n})" if m < n else
           f"its columns are linearly dependent (the dependence involves columns {cols}: a constant column "
           "next to a column of ones, a duplicated column, or one that is a combination of others)")
    text = (f"{op}: A of shape {shape} has rank {rank} < {n} columns: {why}, so AᵀA is singular and the "
            "least-squares solution is not unique; returning the minimum-norm solution A⁺B. To get a unique "
            "solution, drop the dependent column(s) (or add a ridge penalty λ‖x‖²)")
    return RankDeficientWarning(text, rank, involved.tolist())


# ============================================================================
# solve
# ============================================================================
class Solve(Function):
    """X = A⁻¹B           ∂L/∂B = A⁻ᵀG      ∂L/∂A = −A⁻ᵀG Xᵀ

    From A X = B:  A dX = dB − dA X,  so  dX = A⁻¹(dB − dA X), and the adjoint of
    that map sends G = ∂L/∂X to ∂L/∂B = A⁻ᵀG and ∂L/∂A = −(A⁻ᵀG) Xᵀ.
    """

    @staticmethod
    def forward(ctx, A, B):
        X = np.linalg.solve(A, B)
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, grad_output):
        A, X = ctx.saved_tensors
        gB = Solve.compute(A.T, grad_output)                       # A⁻ᵀ G (recorded under create_graph)
        gA = None
        if ctx.needs_input_grad[0]:
            if gB.ndim == 1:                                    # a vector B: −(A⁻ᵀg) xᵀ is an outer product
                gA = -(gB.reshape(-1, 1) @ X.reshape(1, -1))
            else:
                gA = -(gB @ X.T)
        return gA, (gB if ctx.needs_input_grad[1] else None)


def solve(A, B):
    """The solution X of the square system A X = B, X = A⁻¹B, with gradients.

    For linear regression, ``solve(A.T @ A, A.T @ y)`` solves the normal equations
    AᵀAθ = Aᵀy (``lstsq(A, y)`` is more accurate and handles a singular AᵀA).

    A singular A (or one singular to working precision: rank, from the singular
    values, below n) has no unique solution: ``solve`` raises ``LinAlgError``
    (a RuntimeError) naming the rank, rather than returning the huge, meaningless
    numbers that elimination produces for a nearly singular matrix.

    Args:
        A: square matrix of shape (n, n).
        B: right-hand side of shape (n,) or (n, k).

    Returns:
        X of B's shape, in A's and B's float dtype; it records a graph when A or B
        requires grad (∂L/∂B = A⁻ᵀG, ∂L/∂A = −A⁻ᵀG Xᵀ).

    Example::

        >>> solve(tinygrad_lr.tensor([[2., 0.], [0., 4.]]), tinygrad_lr.tensor([2., 2.]))
        tensor([1.0000, 0.5000])
    """
    op = "solve"
    a, b, dtype = _matrix_and_rhs(op, A, B, square=True)
    n = a.shape[0]
    s = np.linalg.svd(a, compute_uv=False)
    rank = int((s > _default_rcond(n, n) * s[0]).sum()) if s.size and s[0] > 0 else 0
    if rank < n:
        cond = s[0] / s[-1] if s[-1] > 0 else float("inf")
        raise LinAlgError(f"{op}: A of shape {a.shape} is singular (rank {rank} < {n}, condition number "
                          f"{cond:.1e}): A X = B has no unique solution. For the least-squares, minimum-norm "
                          "solution use linalg.lstsq(A, B); for a regularized one, solve(A + λI, B) with a "
                          "small λ > 0")
    args = []
    for x, arr in ((A, a), (B, b)):
        if isinstance(x, Tensor) and x.dtype == dtype:
            args.append(x)
        elif isinstance(x, Tensor):
            args.append(x.to(dtype))                            # a recorded cast: gradients still flow
        else:
            args.append(internal.wrap(arr.astype(dtype)))
    return Solve.apply(*args)


# ============================================================================
# norms
# ============================================================================
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002  (PyTorch's names)
    """‖x‖_ord = (Σ |xᵢ|^ord)^(1/ord) over ``dim`` (all elements for None), as ``torch.linalg.vector_norm``.

    ord is any number: inf is max |xᵢ|, -inf is min |xᵢ|, 0 counts the nonzeros (no gradient).  The
    gradient of the 2-norm, x / ‖x‖, is 0 at x = 0, as in PyTorch.
    """
    if isinstance(ord, str):
        raise ValueError(f"linalg.vector_norm: ord={ord!r} is not a vector norm; use a number (2, 1, inf, ...), "
                         "or linalg.norm for the matrix norm 'fro'")
    x = x if isinstance(x, Tensor) else Tensor(x)
    return arithmetic.norm(x, ord, dim, keepdim, dtype, op="linalg.vector_norm")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """A vector norm, or a matrix norm of a 2-d A (or over a pair of dims), as ``torch.linalg.norm``.

    - ord None: the 2-norm of all the elements (over ``dim`` if given): for a matrix, the Frobenius norm;
    - a 1-d A or an int ``dim``: ``vector_norm(A, ord)``;
    - a 2-d A or ``dim=(d0, d1)``: 'fro' is √Σ aᵢⱼ²; 1 is the largest column sum maxⱼ Σᵢ |aᵢⱼ|, -1 the
      smallest; inf the largest row sum maxᵢ Σⱼ |aᵢⱼ|, -inf the smallest (ties share the gradient).
      2, -2 and 'nuc' need the singular values and are not supported.
    """
    op = "linalg.norm"
    A = operators.floating(op, A if isinstance(A, Tensor) else Tensor(A), dtype)
    if ord is None or isinstance(dim, int) or (dim is None and A.ndim == 1) or (
            isinstance(dim, (tuple, list)) and len(dim) == 1):
        return arithmetic.norm(A, 2 if ord is None else ord, dim, keepdim, op=op)
    if dim is None and A.ndim != 2:
        raise ValueError(f"{op}: ord={ord!r} needs a 1-d or 2-d input, or dim=, got shape {tuple(A.shape)}")
    d0, d1 = (0, 1) if dim is None else dim
    d0, d1 = normalize_dim(op, d0, A.ndim), normalize_dim(op, d1, A.ndim)
    if ord == "fro":
        return arithmetic.norm(A, 2, (d0, d1), keepdim, op=op)
    if ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"{op}: the matrix norm ord={ord!r} is not supported (2, -2 and 'nuc' need the singular "
                         "values); use 'fro', 1, -1, inf or -inf, or a vector norm with an int dim=")
    summed, over = (d0, d1) if abs(ord) == 1 else (d1, d0)  # 1: column sums, then their max; inf: row sums
    sums = A.abs().sum(summed, keepdim=True)
    out = sums.amax(over, keepdim=True) if ord > 0 else sums.amin(over, keepdim=True)
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(A.shape) if i not in (d0, d1)))
