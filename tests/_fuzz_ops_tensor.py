"""Fuzzer statements for the tensor ops of the classification issue: ``OPS_TENSOR`` maps a name to
(op function, weight), exactly like ``OPS`` in tests/_fuzz_graphs.py, which imports this file at its end.

An op function takes the program builder ``b`` and the name ``x`` of a float value, and emits one
statement written with PyTorch's names (``b.emit("lib.sin(x)")``); see op_unary there for the pattern.
Index tensors are written out as ``lib.tensor([...])`` (int64 in both libraries) and masks as constants.
"""
import numpy as np
from hypothesis import strategies as st


def _dim(b, nd):
    """A dim of a tensor with nd ≥ 1 dims, negative half the time."""
    d = b.draw(st.integers(0, nd - 1))
    return d - nd if b.coin() else d


def _index_list(b, shape, d, n, unique=False):
    """An index of ``shape`` with values in 0 … n − 1, as nested lists; ``unique``: no value twice along dim d."""
    rng = np.random.default_rng(b.draw(st.integers(0, 2 ** 16)))
    if not unique:
        return rng.integers(0, n, size=shape).tolist()
    fibres = np.moveaxis(np.zeros(shape, dtype=np.int64), d, -1)
    for pos in np.ndindex(fibres.shape[:-1]):
        fibres[pos] = rng.permutation(n)[:fibres.shape[-1]]
    return np.moveaxis(fibres, -1, d).tolist()


def _smaller_shape(b, shape, d, along=None):
    """A shape no larger than ``shape`` outside dim d (gather and scatter's index), ``along`` in dim d."""
    out = [b.draw(st.integers(1, n)) if n else 0 for n in shape]
    out[d] = b.draw(st.integers(1, 3)) if along is None else along
    return tuple(out)


def op_gather(b, x):
    """gather along a dim with repeated indices (an index narrower than x too), and index_select."""
    s = b.vals[x].shape
    if not s or 0 in s:
        return None
    d = _dim(b, len(s))
    if b.coin(0.3):
        idx = b.draw(st.lists(st.integers(0, s[d] - 1), min_size=1, max_size=4))
        form = b.choice([f"{x}.index_select({d}, lib.tensor({idx!r}))", f"lib.index_select({x}, {d}, lib.tensor({idx!r}))"])
        return b.emit(form)
    idx = _index_list(b, _smaller_shape(b, s, d), d, s[d])
    return b.emit(b.choice([f"{x}.gather({d}, lib.tensor({idx!r}))", f"lib.gather({x}, {d}, lib.tensor({idx!r}))"]))


def op_scatter(b, x):
    """scatter (src or value; no position written twice, where PyTorch leaves the value open) and scatter_add
    (positions repeated: they add up), out of place and in place on a clone."""
    v = b.vals[x]
    s = v.shape
    if not s or 0 in s or v.dtype != np.float64:
        return None   # (src must have x's dtype, as in PyTorch)
    d = _dim(b, len(s))
    add = b.coin()
    shape = _smaller_shape(b, s, d, along=b.draw(st.integers(1, s[d] if not add else 4)))
    idx = f"lib.tensor({_index_list(b, shape, d, s[d], unique=not add)!r})"
    kind = b.choice(["src", "src", "value"] if not add else ["src"])
    if kind == "value":
        src = repr(b.choice([0.0, 1.5, -2.0]))
    else:   # src has the index's shape (PyTorch's backward refuses a larger src)
        src = b.pick(lambda n, w: w.dtype == np.float64 and w.shape == shape) if b.coin(0.3) else None
        src = src or b.leaf(shape)
    op = "scatter_add" if add else "scatter"
    if b.coin(0.25):   # in place on a fresh tensor: recorded like out of place
        return b.emit(None, setup="{name} = " + f"{x}.clone()\n" + "{name}." + f"{op}_({d}, {idx}, {src})")
    return b.emit(b.choice([f"{x}.{op}({d}, {idx}, {src})", f"lib.{op}({x}, {d}, {idx}, {src})"]))


def op_masked_fill(b, x):
    """masked_fill with a constant mask (of x's shape, a broadcasting one, or x > t) and a number or a 0-d leaf."""
    v = b.vals[x]
    kind = b.choice(["same", "partner", "value"])
    if kind == "value":
        mask = b.const(v > b.choice([0.0, 0.5, -0.5]))
    else:
        shape = v.shape if kind == "same" else b.broadcast_partner_shape(v.shape, into=b.coin())
        mask = b.const(np.random.default_rng(b.draw(st.integers(0, 2 ** 16))).random(shape) < 0.5)
    value = repr(b.choice([0.0, -1.0, 2.5]))
    if v.dtype == np.float64 and b.coin(0.3):
        value = b.leaf(())   # a 0-d tensor value gets the sum of g where the mask is True
    if b.coin(0.2) and np.broadcast_shapes(v.shape, b.p.consts[mask].shape) == v.shape:
        return b.emit(None, setup="{name} = " + f"{x}.clone()\n" + "{name}" + f".masked_fill_({mask}, {value})")
    return b.emit(b.choice([f"{x}.masked_fill({mask}, {value})", f"lib.masked_fill({x}, {mask}, {value})"]))


def op_sort(b, x):
    """sort (values, indices, descending), argsort then gather, topk (largest and smallest), along a dim."""
    v = b.vals[x]
    if v.ndim == 0 or 0 in v.shape:
        return None
    d = _dim(b, v.ndim)
    gaps = np.diff(np.sort(v, axis=d), axis=d)
    tied = gaps.size and gaps.min() < (1e-2 if b.fd_safe else 1e-12)
    if tied and b.fd_safe:
        return None   # at a tie the sorted values have a kink that finite differences see
    # at a tie only the stable order is defined (equal values keep their order, in both libraries)
    stable = ", stable=True" if tied or b.coin(0.2) else ""
    desc = b.coin()
    kind = b.choice(["values", "indices", "argsort", "topk"] if not tied else ["values", "indices", "argsort"])
    if kind == "indices" and not any(b.vals[n].dtype.kind == "f" for n in b.p.values):
        kind = "values"   # (the loss needs a float value among the statements)
    # (with stable=, PyTorch takes dim and descending as keywords only)
    args = f"dim={d}, descending={desc}{stable}" if stable or b.coin() else f"{d}, {desc}"
    if kind == "values":
        return b.emit(b.choice([f"{x}.sort({args}).values", f"lib.sort({x}, {args})[0]"]))
    if kind == "indices":
        return b.emit(f"{x}.sort({args}).indices")
    if kind == "argsort":
        return b.emit(f"{x}.gather({d}, {x}.argsort({args}))")
    k = b.draw(st.integers(0, v.shape[d]))
    return b.emit(b.choice([f"{x}.topk({k}, dim={d}, largest={desc}).values", f"lib.topk({x}, {k}, {d})[0]"]))


def op_move(b, x):
    """repeat / tile / flip / permute / movedim, and split / chunk / unbind put back together with weights."""
    v = b.vals[x]
    nd = v.ndim
    kind = b.choice(["repeat", "tile", "flip", "permute", "movedim"] + (["split", "chunk", "unbind"] if nd else []))
    if kind in ("repeat", "tile"):
        extra = b.draw(st.integers(0, 1)) if nd < 3 else 0   # one more size: a new leading dim
        sizes = tuple(b.draw(st.integers(0 if b.coin(0.1) else 1, 3)) for _ in range(nd + extra))
        if kind == "tile" and sizes and b.coin():
            sizes = sizes[b.draw(st.integers(0, len(sizes) - 1)):]    # fewer sizes: tile pads with 1s
        if kind == "tile" and b.coin():
            return b.emit(f"lib.tile({x}, {sizes!r})")
        return b.emit(b.choice([f"{x}.{kind}({sizes!r})"] + ([f"{x}.{kind}({', '.join(map(str, sizes))})"] if sizes else [])))
    if kind == "flip":
        dims = b.draw(st.lists(st.integers(0, max(nd, 1) - 1), max_size=max(nd, 1), unique=True))
        return b.emit(b.choice([f"{x}.flip({dims!r})", f"lib.flip({x}, {tuple(dims)!r})"]))
    if kind == "permute":
        order = b.draw(st.permutations(list(range(nd))))
        order = [o - nd if b.coin(0.3) else o for o in order]
        return b.emit(b.choice([f"{x}.permute({tuple(order)!r})", f"lib.permute({x}, {tuple(order)!r})"] +
                               ([f"{x}.permute({', '.join(map(str, order))})"] if order else [])))
    if kind == "movedim":
        if nd == 0:
            return None
        src = b.draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        dst = b.draw(st.lists(st.integers(0, nd - 1), min_size=len(src), max_size=len(src), unique=True))
        return b.emit(f"{x}.movedim({tuple(src)!r}, {tuple(dst)!r})" if b.coin() else
                      f"lib.movedim({x}, {src[0]}, {dst[0]})")
    d = _dim(b, nd)
    n = v.shape[d]
    if kind == "split":
        if b.coin() and n:
            cuts = sorted(b.draw(st.lists(st.integers(0, n), max_size=2)))
            parts = repr([q - p for p, q in zip([0] + cuts, cuts + [n])])
        else:
            parts = str(b.draw(st.integers(1, max(n, 1))))
        pieces = f"{x}.split({parts}, {d})"
    elif kind == "chunk":
        pieces = f"lib.chunk({x}, {b.draw(st.integers(1, 4))}, dim={d})"
    else:
        pieces = f"{x}.unbind({d})"
        if n == 0:
            return None
        return b.emit(f"lib.stack([p * (k + 1) for k, p in enumerate({pieces})], {d})")
    return b.emit(f"lib.cat([p * (k + 1) for k, p in enumerate({pieces})], {d})")


def op_product(b, x):
    """dot, mv, mm, bmm and outer with a new leaf (or a value) of the shape each one takes."""
    v = b.vals[x]
    if v.dtype != np.float64 or v.ndim not in (1, 2, 3):
        return None
    s = v.shape
    m = b.draw(st.integers(1, 3))
    if v.ndim == 1:
        op = b.choice(["dot", "outer", "mv"])
        shape = {"dot": s, "outer": (m,), "mv": (m, s[0])}[op]
    elif v.ndim == 2:
        op = b.choice(["mv", "mm", "mm left"])
        shape = {"mv": (s[1],), "mm": (s[1], m), "mm left": (m, s[0])}[op]
    else:
        op = "bmm"
        shape = (s[0], s[2], m)
    y = b.pick(lambda n, w: w.dtype == np.float64 and w.shape == shape) if b.coin(0.3) else None
    y = y or b.leaf(shape)
    a, c = (y, x) if op == "mm left" or (op == "mv" and v.ndim == 1) else (x, y)
    op = op.split()[0]
    return b.emit(b.choice([f"{a}.{op}({c})", f"lib.{op}({a}, {c})"]))


def op_list_index(b, x):
    """Indexing with ranges and lists as PyTorch reads them: x[range(n), y], x[[rows, cols]], x[:, range(k)]."""
    s = b.vals[x].shape
    if not s or 0 in s:
        return None
    n0 = s[0]
    rng = np.random.default_rng(b.draw(st.integers(0, 2 ** 16)))
    kinds = ["range", "range step"] + (["range, y", "list of lists", "range, tensor", ":, range"] if len(s) >= 2 else [])
    kind = b.choice(kinds)
    if kind == "range":
        a = b.draw(st.integers(0, n0))
        return b.emit(f"{x}[range({a}, {b.draw(st.integers(a, n0))})]")
    if kind == "range step":
        return b.emit(f"{x}[range({b.draw(st.integers(0, n0 - 1))}, {n0}, {b.draw(st.integers(1, 3))})]")
    if kind == ":, range":
        return b.emit(f"{x}[:, range({b.draw(st.integers(0, s[1]))})]")
    y = rng.integers(0, s[1], size=n0).tolist()
    if kind == "range, y":
        return b.emit(f"{x}[range({n0}), {y!r}]")
    if kind == "range, tensor":
        return b.emit(f"{x}[range({n0}), lib.tensor({y!r})]")
    rows = rng.integers(0, n0, size=len(y)).tolist()   # a list of two index lists: x[rows, cols] (repeats too)
    return b.emit(f"{x}[{[rows, y]!r}]")


OPS_TENSOR = {
    "gather": (op_gather, 2), "scatter": (op_scatter, 2), "masked_fill": (op_masked_fill, 1), "sort": (op_sort, 2),
    "move": (op_move, 3), "product": (op_product, 1), "list_index": (op_list_index, 2),
}
