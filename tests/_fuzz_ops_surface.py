"""Fuzzer statements for the rest of the surface: %, fmod, rounding, log2 … erf, atan2, hypot, masks combined
with & | ^ ~, narrow, roll, diag, triu/tril, trace, cumprod, diff, median, einsum, the *_as methods, and the
element-wise in-place methods on a fresh clone.  ``OPS_SURFACE`` maps a name to (op function, weight),
exactly like ``OPS`` in tests/_fuzz_graphs.py, which imports this file at its end.

Where an op jumps (floor at the integers, x % c where x / c is whole, atan2 across y = 0 for x < 0) or has a
kink (hypot at the origin, median at ties), the values stay clear of it when finite differences are the
oracle (``b.fd_safe``).  ``//`` has no derivative (as in PyTorch), so it is not drawn here: see
tests/ops/test_tensor_methods.py.
"""
import numpy as np
from hypothesis import strategies as st

# _fuzz_graphs.py imports this file at its end, once these helpers exist:
from _fuzz_graphs import _away_from_zero, _broadcasts, _positive
from _fuzz_ops_math import _dim, _distinct, _fn


def _off_grid(v, step=1.0, margin=1e-2):
    """No element within ``margin`` of a multiple of ``step`` (where floor, %, … jump)."""
    r = np.asarray(v) / step
    return bool(np.all(np.abs(r - np.round(r)) > margin / abs(step)))


def op_rounding(b, x):
    """floor / ceil / trunc / frac (and fix), methods and functions: gradients 0 (frac: 1)."""
    v = b.vals[x]
    if b.fd_safe and not _off_grid(v):
        return None
    f = b.choice(["floor", "ceil", "trunc", "frac", "fix"])
    return b.emit(_fn(b, f, x))


def op_remainder(b, x):
    """x % c, x.remainder(c), fmod(x, c) for a number c, or a tensor divisor (a leaf or value away from 0)."""
    v = b.vals[x]
    f = b.choice(["%", "remainder", "fmod"])
    if b.coin(0.6):
        c = b.choice([1.5, -2.0, 3.0, 0.75])
        if b.fd_safe and not _off_grid(v, c):
            return None
        if f == "%":
            return b.emit(f"({x} % {c})")
        return b.emit(_fn(b, f, x, repr(c)))
    y = b.pick(lambda n, w: n != x and w.dtype.kind == "f" and _broadcasts(w.shape, v.shape)
               and _away_from_zero(w, 0.3)) if b.coin() else None
    y = y or b.leaf(b.broadcast_partner_shape(v.shape), away_from_zero=True)
    w = b.vals[y]
    if not _away_from_zero(w, 0.3) or (b.fd_safe and not _off_grid(np.asarray(v) / w, 1.0, 2e-2)):
        return None
    if f == "%":
        return b.emit(f"({x} % {y})")
    return b.emit(b.choice([f"{x}.{f}({y})", f"lib.{f}({x}, {y})"]))


def op_more_math(b, x):
    """log2, log10, exp2, sinh, cosh, asin, acos, atan, erf, and atan2 / hypot with a partner."""
    v = b.vals[x]
    names = ["atan", "erf", "atan2", "hypot"]
    if _positive(v):
        names += ["log2", "log10"]
    if v.size and np.abs(v).max() < 5:
        names += ["exp2", "sinh", "cosh"]
    if v.size and np.abs(v).max() < 0.95:
        names += ["asin", "acos"]
    f = b.choice(names)
    if f not in ("atan2", "hypot"):
        return b.emit(_fn(b, f, x))
    y = b.pick(lambda n, w: n != x and w.dtype.kind == "f" and _broadcasts(w.shape, v.shape)) if b.coin() else None
    y = y or b.leaf(b.broadcast_partner_shape(v.shape))
    w = b.vals[y]
    if f == "hypot":   # the origin is a kink (and 0 / 0 in the gradient)
        if not np.all(np.hypot(v, w) > (0.1 if b.fd_safe else 1e-3)):
            return None
        return b.emit(_fn(b, f, x, y))
    # atan2(x, y): the angle of (y, x); the branch cut is x = 0 with y < 0, the origin a singularity
    near_cut = (np.abs(v) < 0.05) & (w < 0.05)
    if np.any(near_cut) or not np.all(np.hypot(v, w) > 0.1):
        return None
    return b.emit(b.choice([f"lib.atan2({x}, {y})", f"{x}.atan2({y})", f"lib.arctan2({x}, {y})"]))


def op_masks(b, x):
    """x times a mask made of comparisons of x combined with & | ^ ~ or logical_and / or / xor / not."""
    v = b.vals[x]
    lo, hi = sorted(b.draw(st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]), min_size=2, max_size=2,
                                    unique=True)))
    if b.fd_safe and np.abs(v[..., None] - np.array([lo, hi])).min(initial=1) < 1e-2:
        return None   # the mask would flip within reach of the finite differences
    a, c = f"({x} > {lo})", f"({x} < {hi})"
    mask = b.choice([f"({a} & {c})", f"({a} | {c})", f"({a} ^ {c})", f"(~{a})", f"lib.logical_and({a}, {c})",
                     f"{a}.logical_or({c})", f"lib.logical_xor({a}, {c})", f"lib.logical_not({a})",
                     f"({a} & True)", f"(False | {c})"])
    return b.emit(b.choice([f"({x} * {mask})", f"lib.where({mask}, {x}, 0.0)"]))


def op_structure(b, x):
    """narrow, roll, diag, triu / tril, trace, cumprod, diff, median, mH: methods and functions."""
    v = b.vals[x]
    nd = v.ndim
    kinds = ["cumprod"] + (["narrow", "roll", "diff"] if nd else []) + (["diag"] if nd in (1, 2) else []) + \
        (["triu", "trace"] if nd == 2 else []) + (["triu", "mH"] if nd >= 2 else []) + (["median"] if v.size else [])
    kind = b.choice(kinds)
    if kind == "cumprod":
        if v.size and np.abs(v).max() > 2:
            return None   # a product of many large values leaves the fuzzer's range
        return b.emit(_fn(b, "cumprod", x, f"{_dim(b, nd)}"))
    if kind == "narrow":
        d = _dim(b, nd)
        n = v.shape[d]
        start = b.draw(st.integers(0, n))
        return b.emit(_fn(b, "narrow", x, f"{d}, {start}, {b.draw(st.integers(0, n - start))}"))
    if kind == "roll":
        if b.coin(0.3):
            return b.emit(_fn(b, "roll", x, f"{b.draw(st.integers(-5, 5))}"))
        d = _dim(b, nd)
        return b.emit(_fn(b, "roll", x, f"{b.draw(st.integers(-5, 5))}, {d}"))
    if kind == "diff":
        return b.emit(_fn(b, "diff", x, b.choice(["", f"n={b.draw(st.integers(1, 2))}, dim={_dim(b, nd)}"])))
    if kind == "diag":
        return b.emit(_fn(b, "diag", x, b.choice(["", f"{b.draw(st.integers(-2, 2))}"])))
    if kind == "triu":
        return b.emit(_fn(b, b.choice(["triu", "tril"]), x, b.choice(["", f"{b.draw(st.integers(-2, 2))}"])))
    if kind == "trace":
        return b.emit(_fn(b, "trace", x))
    if kind == "mH":
        return b.emit(f"{x}.mH")
    if not _distinct(v, 1e-2 if b.fd_safe else 1e-9):
        return None   # at a tie the gradient is PyTorch's rule, and the index PyTorch's choice
    if nd == 0 or b.coin(0.3):
        return b.emit(_fn(b, "median", x))
    return b.emit(b.choice([f"{x}.median({_dim(b, nd)}, {b.coin()}).values",
                            f"lib.median({x}, dim={_dim(b, nd)})[0]"]))


def op_einsum(b, x):
    """einsum: a transpose, a sum, a diagonal, or a product with a leaf of fitting shape (matmul, outer, dot)."""
    v = b.vals[x]
    nd = v.ndim
    if v.dtype != np.float64 or not 1 <= nd <= 3:
        return None   # (einsum of float32 and float64: PyTorch refuses)
    own = "ijk"[:nd]
    kind = b.choice(["permute", "sum", "product"] + (["diagonal"] if nd >= 2 and v.shape[-1] == v.shape[-2] else []))
    if kind == "permute":
        return b.emit(f"lib.einsum('{own}->{''.join(b.draw(st.permutations(list(own))))}', {x})")
    if kind == "sum":
        keep = "".join(c for c in own if b.coin())
        return b.emit(f"lib.einsum('{own}->{keep}', {x})")
    if kind == "diagonal":
        term = own[:-1] + own[-2]
        return b.emit(f"lib.einsum('{term}->{own[:-1]}', {x})")
    m = b.draw(st.integers(1, 3))
    y = b.leaf((v.shape[-1], m))
    out = own[:-1] + "z" if b.coin() else own[:-1]   # a matmul, or a matmul summed over its new axis
    return b.emit(f"lib.einsum('{own},{own[-1]}z->{out}', {x}, {y})")


_INPLACE = ["abs_", "exp_", "log_", "sqrt_", "square_", "neg_", "pow_", "clamp_", "clip_", "relu_", "sigmoid_",
            "tanh_", "floor_", "round_", "unsqueeze_", "squeeze_", "t_"]


def op_inplace_math(b, x):
    """y = x.clone(); y.op_() for the element-wise and shape in-place methods (recorded like out of place)."""
    v = b.vals[x]
    names = [n for n in _INPLACE
             if not (n in ("log_", "sqrt_") and not _positive(v))
             and not (n == "exp_" and v.size and v.max() > 5)
             and not (n == "t_" and v.ndim > 2)
             and not (b.fd_safe and n in ("abs_", "relu_") and not _away_from_zero(v, 1e-2))
             and not (b.fd_safe and n == "floor_" and not _off_grid(v))
             and not (b.fd_safe and n == "round_" and not _off_grid(v - 0.5))
             and not (b.fd_safe and n in ("clamp_", "clip_") and not _off_grid(v, 0.5))]
    if not names:
        return None
    f = b.choice(names)
    args = {"pow_": b.choice(["2", "3"]), "clamp_": "-0.5, 1.0", "clip_": "min=0.5",
            "unsqueeze_": str(b.draw(st.integers(-v.ndim - 1, v.ndim))), "squeeze_": ""}.get(f, "")
    return b.emit(None, setup="{name} = " + f"{x}.clone()\n" + "{name}" + f".{f}({args})")


def op_as(b, x):
    """view_as / reshape_as / expand_as / type_as a value or leaf of a fitting shape."""
    v = b.vals[x]
    kind = b.choice(["reshape_as", "expand_as", "type_as"])
    if kind == "type_as":
        y = b.pick(lambda n, w: w.dtype.kind == "f")
        return b.emit(f"({x}.type_as({y}) * 2)")
    if kind == "reshape_as":
        y = b.pick(lambda n, w: w.size == v.size and w.shape != v.shape and w.dtype.kind == "f")
        return b.emit(f"{x}.reshape_as({y})") if y else None
    shape = tuple(b.draw(st.integers(1, 3)) if n == 1 else n for n in v.shape)
    y = b.leaf(((2,) if b.coin(0.3) and len(shape) < 3 else ()) + shape)
    return b.emit(f"({x}.expand_as({y}) * {y})")


def op_writes(b, x):
    """Writes into a tensor in the graph: y = x.clone(), then y[part] = z, or an in-place op on a view of y
    (y[part].add_(z), y.T[part].mul_(z)); y's gradient goes through the write (CopySlices, core/views.py)."""
    v = b.vals[x]
    if v.ndim == 0 or v.shape[0] < 2 or v.dtype.kind != "f":
        return None
    form = b.choice(["set", "add_", "mul_", "mul_ on the transpose"])
    transposed = form == "mul_ on the transpose" and v.ndim == 2
    seen = v.T if transposed else v
    n = seen.shape[0]
    part, index = b.choice([("0", 0), ("1:", slice(1, None)), (f":{n - 1}", slice(None, n - 1)), ("-1", -1),
                            (f"[0, {n - 1}]", [0, n - 1])])
    shape = seen[index].shape
    z = b.pick(lambda name, w: w.dtype.kind == "f" and _broadcasts(w.shape, shape, into=True))
    z = z or b.choice(["0.5", "-2.0"])
    target = "{name}.T" if transposed else "{name}"
    if form == "set":
        stmt = f"{target}[{part}] = {z}"
    elif part.startswith("["):
        return None  # an index with a list picks a copy: an in-place op on it changes nothing (in PyTorch too)
    else:
        stmt = f"{target}[{part}].{form.split()[0]}({z})"
    return b.emit(None, setup="{name} = " + f"{x}.clone()\n" + stmt)


OPS_SURFACE = {
    "writes": (op_writes, 2),
    "rounding": (op_rounding, 1), "remainder": (op_remainder, 1), "more_math": (op_more_math, 2),
    "masks": (op_masks, 1), "structure": (op_structure, 2), "einsum": (op_einsum, 1),
    "inplace_math": (op_inplace_math, 1), "as": (op_as, 1),
}
