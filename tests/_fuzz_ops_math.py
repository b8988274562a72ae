"""Fuzzer statements for the math ops of the classification issue: ``OPS_MATH`` maps a name to
(op function, weight), exactly like ``OPS`` in tests/_fuzz_graphs.py, which imports this file at its end.

An op function takes the program builder ``b`` and the name ``x`` of a float value, and emits one
statement written with PyTorch's names (``b.emit("lib.sin(x)")``); see op_unary there for the pattern.
Where an op has a kink (clamp at its bounds, maximum where its operands meet, max at ties, |x| at 0,
std where the values are equal), the value must stay clear of it when finite differences are the
oracle (``b.fd_safe``); against PyTorch, ties are fine: their gradient follows PyTorch's rule.
"""
import math

import numpy as np
from hypothesis import strategies as st

# _fuzz_graphs.py imports this file at its end, once these helpers exist:
from _fuzz_graphs import _away_from_zero, _broadcasts, _positive


def _dim(b, nd):
    """A dim of a tensor with nd dims (0 or -1 for a 0-d one), negative half the time."""
    d = b.draw(st.integers(0, max(nd, 1) - 1))
    return d - max(nd, 1) if b.coin() else d


def _dims(b, nd):
    """None, one dim, or a tuple of distinct dims of a tensor with nd dims."""
    kind = b.choice(["none", "one", "tuple"] if nd >= 2 else ["none", "one"])
    if kind == "none":
        return None
    if kind == "one":
        return _dim(b, nd)
    dims = b.draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    return tuple(d - nd if b.coin(0.3) else d for d in dims)


def _axes(dim, nd):
    if dim is None:
        return tuple(range(nd))
    return tuple(d % max(nd, 1) for d in (dim if isinstance(dim, tuple) else (dim,)) if nd)


def _distinct(v, margin=1e-3):
    """No two elements within ``margin``: max, amax and sort-like ops have no tie within reach."""
    flat = np.sort(v.ravel())
    return flat.size < 2 or np.diff(flat).min() > margin


def _spread_ok(v, axes, margin=0.05):
    """Every slice reduced over ``axes`` spans more than ``margin`` (std has a kink where its values are equal)."""
    if not axes:
        return False
    return bool(np.all(v.max(axis=axes) - v.min(axis=axes) > margin))


def _fn(b, name, x, args=""):
    """``x.name(args)`` or ``lib.name(x, args)``."""
    sep = ", " if args else ""
    return b.choice([f"{x}.{name}({args})", f"lib.{name}({x}{sep}{args})"])


def op_math_unary(b, x):
    """sin, cos, tan, log1p, expm1, rsqrt, reciprocal, sign, round (decimals too): methods and functions."""
    v = b.vals[x]
    names = ["sin", "cos", "sign", "round"]
    if v.size and np.abs(v).max() < 1.2:
        names.append("tan")
    if v.size and v.min() > -0.9:
        names.append("log1p")
    if v.size and v.max() < 5:
        names.append("expm1")
    if _positive(v):
        names.append("rsqrt")
    if _away_from_zero(v):
        names.append("reciprocal")
    if b.fd_safe and not _away_from_zero(v, 1e-2):
        names.remove("sign")
    if b.fd_safe and np.abs(v - np.floor(v) - 0.5).min(initial=1) < 1e-2:
        names.remove("round")   # round jumps at the halves
    f = b.choice(names)
    if f == "round" and b.coin(0.3):
        if b.fd_safe and np.abs(v * 10 - np.floor(v * 10) - 0.5).min(initial=1) < 1e-2:
            return None
        return b.emit(_fn(b, "round", x, "decimals=1"))
    return b.emit(_fn(b, f, x))


def op_clamp(b, x):
    """clamp / clip with number bounds (min, max or both) or tensor bounds that broadcast with x."""
    v = b.vals[x]
    lo, hi = sorted(b.draw(st.lists(st.sampled_from([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]), min_size=2,
                                    max_size=2, unique=True)))
    if b.fd_safe and np.abs(v[..., None] - np.array([lo, hi])).min(initial=1) < 1e-2:
        return None   # a value at a bound: a kink
    kind = b.choice(["both", "min", "max", "tensor"])
    name = b.choice(["clamp", "clip"])
    if kind == "both":
        return b.emit(b.choice([f"{x}.{name}({lo}, {hi})", f"lib.{name}({x}, min={lo}, max={hi})"]))
    if kind == "min":
        return b.emit(_fn(b, name, x, f"min={lo}"))
    if kind == "max":
        return b.emit(_fn(b, name, x, f"max={hi}"))
    # tensor bounds: constants of a shape x broadcasts into (PyTorch's backward refuses a bound larger than x)
    shape = b.broadcast_partner_shape(v.shape, into=True)
    low = b.const(np.full(shape, lo))
    high = b.const(np.full(shape, hi)) if b.coin() else "None"
    return b.emit(f"{x}.clamp({low}, {high})")


def op_max_elementwise(b, x):
    """maximum / minimum / max(a, b) / min(a, b) with a value, a leaf or a constant (ties split the gradient)."""
    v = b.vals[x]
    f = b.choice(["maximum", "minimum", "max", "min"])
    y = b.pick(lambda n, w: n != x and w.dtype.kind == "f" and _broadcasts(w.shape, v.shape)) if b.coin() else None
    y = y or b.leaf(b.broadcast_partner_shape(v.shape))
    if b.fd_safe and np.abs(np.subtract(v, b.vals[y])).min(initial=1) < 1e-2:
        return None   # where x and y meet: a kink
    return b.emit(_fn(b, f, x, y))


def op_where(b, x):
    """where(cond, x, y): cond a comparison of x (or a constant mask), y a value, a leaf or a Python number."""
    v = b.vals[x]
    t = b.choice([0.0, 0.5, -0.5])
    if b.coin(0.7):
        if b.fd_safe and np.abs(v - t).min(initial=1) < 1e-2:
            return None   # the mask would flip within reach of the finite differences
        cond, cond_shape = f"({x} > {t})", v.shape
    else:
        cond_shape = b.broadcast_partner_shape(v.shape)
        cond = b.const(np.random.default_rng(b.draw(st.integers(0, 2 ** 16))).random(cond_shape) > 0.5)
    kind = b.choice(["value", "number", "method"])
    if kind == "number":
        return b.emit(b.choice([f"lib.where({cond}, {x}, {b.choice([0.0, 1.5])})",
                                f"lib.where({cond}, {b.choice([-1.0, 2.5])}, {x})"]))
    y = b.pick(lambda n, w: n != x and w.dtype.kind == "f" and _broadcasts(w.shape, v.shape)
               and _broadcasts(w.shape, cond_shape)) if b.coin() else None
    if y is None:   # a leaf that broadcasts with x, and with the mask too (x's shape always does)
        shape = b.broadcast_partner_shape(v.shape)
        y = b.leaf(shape if _broadcasts(shape, cond_shape) else v.shape)
    if kind == "method":
        return b.emit(f"{x}.where({cond}, {y})")
    return b.emit(b.choice([f"lib.where({cond}, {x}, {y})", f"lib.where({cond}, {y}, {x})"]))


def op_pow_tensor(b, x):
    """x ** y with a tensor exponent (both get gradients): x > 0, y a value, a leaf or a 0-d leaf; or 2 ** y."""
    v = b.vals[x]
    if not _positive(v):
        return b.emit(f"({b.choice([2.0, 0.5])} ** {x})") if v.size and np.abs(v).max() < 5 else None
    y = b.pick(lambda n, w: n != x and w.dtype.kind == "f" and _broadcasts(w.shape, v.shape)
               and w.size and np.abs(w).max() < 3) if b.coin() else None
    y = y or b.leaf(b.choice([(), b.broadcast_partner_shape(v.shape)]))
    return b.emit(b.choice([f"({x} ** {y})", f"{x}.pow({y})", f"lib.pow({x}, {y})"]))


def op_extremum(b, x):
    """max / min of all elements, max(dim) / min(dim) (values, or the indices), amax / amin over dims, argmax."""
    v = b.vals[x]
    nd = v.ndim
    if b.fd_safe and not _distinct(v):
        return None   # a tie within reach: the gradient is PyTorch's rule, not a derivative
    f = b.choice(["max", "min"])
    kind = b.choice(["all", "dim", "dim", "amax", "amax", "arg"])
    keep = b.coin()
    if kind == "all":
        return b.emit(_fn(b, f, x))
    if kind == "amax":
        dims = _dims(b, nd)
        args = f"{'()' if dims is None else repr(dims)}, keepdim={keep}" if b.coin() else (
            "" if dims is None else f"dim={dims!r}")
        return b.emit(_fn(b, "a" + f, x, args))
    d = _dim(b, nd)
    if kind == "arg" or (kind == "dim" and b.coin(0.2)):
        # an index (int64), added to x so that the value is a float one the program can go on with
        index = b.choice([_fn(b, f"arg{f}", x, b.choice(["", f"{d}, keepdim=True", f"dim={d}, keepdim=True"])),
                          f"{x}.{f}({d}, True){b.choice(['.indices', '[1]'])}"])
        return b.emit(f"({x} + {index})")
    field = b.choice([".values", "[0]"])
    return b.emit(b.choice([f"{x}.{f}({d}, {keep}){field}", f"lib.{f}({x}, dim={d}, keepdim={keep}){field}"]))


def op_prod(b, x):
    """prod of all elements, or along one dim with keepdim (zeros included)."""
    v = b.vals[x]
    if v.size and np.abs(v).max() > 4:
        return None   # a product of many large values overflows the fuzzer's range
    if b.coin(0.3):
        return b.emit(_fn(b, "prod", x))
    return b.emit(_fn(b, "prod", x, f"{_dim(b, v.ndim)}, keepdim={b.coin()}"))


def op_var(b, x):
    """var / std over dims with correction 0, 1, 2 or unbiased, and keepdim; n − correction > 0."""
    v = b.vals[x]
    nd = v.ndim
    f = b.choice(["var", "std"])
    dims = _dims(b, nd)
    axes = _axes(dims, nd)
    n = math.prod(v.shape[a] for a in axes) if axes else 1
    if f == "std" and not _spread_ok(v, axes):
        return None   # equal values: std's kink (and PyTorch's double backward is NaN there)
    form = b.choice(["default", "correction", "unbiased"])
    args = "" if dims is None else f"{dims!r}"
    if form == "correction":
        c = b.choice([0, 1, 2])
        if n - c <= 0:
            return None
        args += (", " if args else "") + f"correction={c}"
    elif form == "unbiased":
        args += (", " if args else "") + f"unbiased={b.coin()}"
    if n - 1 <= 0 and "correction" not in args and "unbiased=False" not in args:
        return None
    if dims is not None and b.coin():
        args += f", keepdim={b.coin()}"
    return b.emit(_fn(b, f, x, args))


def op_norm(b, x):
    """norm with p = 2, 'fro', 1, 3, 1.5, inf, -inf over dims (Tensor.norm, torch.norm, linalg.vector_norm)."""
    v = b.vals[x]
    nd = v.ndim
    p = b.choice([2, "fro", 1, 3, 1.5, "inf", "-inf"])
    kinked = p in (1, "inf", "-inf")                  # |x| at 0, and ties of |x|
    if b.fd_safe and (not _away_from_zero(v, 0.05) or (kinked and not _distinct(np.abs(v)))):
        return None
    if not b.fd_safe and not _away_from_zero(v, 1e-3):
        return None   # a zero vector: the gradient is 0 in both, the second derivative an open question
    dims = _dims(b, nd)
    if p == "fro" and isinstance(dims, tuple) and len(dims) > 2:
        dims = dims[:2]   # PyTorch's 'fro' takes one or two dims
    text = {"inf": "math.inf", "-inf": "-math.inf"}.get(p, repr(p))
    keep = b.coin()
    if p != "fro" and b.coin(0.3):
        dim = "" if dims is None else f", dim={dims!r}"
        return b.emit(f"lib.linalg.vector_norm({x}, {text}{dim}, keepdim={keep})")
    dim = "None" if dims is None else repr(dims)
    return b.emit(b.choice([f"{x}.norm({text}, {dim}, {keep})", f"lib.norm({x}, p={text}, dim={dim}, keepdim={keep})"]))


def op_softmax(b, x):
    """softmax / log_softmax / logsumexp / cumsum along a dim (logsumexp over a tuple too), methods and functions."""
    v = b.vals[x]
    nd = v.ndim
    f = b.choice(["softmax", "log_softmax", "logsumexp", "cumsum"])
    if f == "logsumexp" and b.coin(0.3) and nd >= 2:
        dims = _dims(b, nd)
        if dims is not None:
            return b.emit(_fn(b, f, x, f"{dims!r}, keepdim={b.coin()}"))
    d = _dim(b, nd)
    if f == "logsumexp":
        return b.emit(_fn(b, f, x, b.choice([f"{d}", f"dim={d}, keepdim={b.coin()}"])))
    return b.emit(_fn(b, f, x, b.choice([f"{d}", f"dim={d}"])))


OPS_MATH = {
    "math_unary": (op_math_unary, 3), "clamp": (op_clamp, 1), "max_elementwise": (op_max_elementwise, 1),
    "where": (op_where, 1), "pow_tensor": (op_pow_tensor, 1), "extremum": (op_extremum, 2),
    "prod": (op_prod, 1), "var": (op_var, 1), "norm": (op_norm, 1), "softmax": (op_softmax, 2),
}
