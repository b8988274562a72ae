"""``vmap``: run a function written for one sample on a whole batch at once.

    per_sample_grads = vmap(grad(loss), in_dims=(None, 0, 0))(w, X, y)

How (see ``core/batching.py``): each mapped input becomes a *batched tensor*, the same array with the
mapped dim moved to the front and tagged with this call's level; inside f it has the shape of one sample.
Every op f applies runs its batch rule: the ordinary op, once, on the whole array.  On the way out, each
output's batch dim goes where ``out_dims`` says.  Nothing runs once per sample, except an op without a
rule (a custom ``Function``), which warns.
"""
import functools

from ..core import batching
from ..core.tensor import Tensor
from ..ops.shapes import cat
from . import _tree

_RANDOMNESS = ("error", "different", "same")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` vectorised over a batch dim of its inputs: ``vmap(f)(X)[i] == f(X[i])``, computed at once.

    Args:
        func: a function of tensors (pytrees of them: tuples, lists, dicts) returning tensors.
        in_dims: for each positional argument, the dim that is the batch (an int, negative counting from the
            end), or None for an argument every sample shares; one int/None for all of them, or a tuple with
            one entry per argument, each an int/None or a structure like that argument's (a dict for a dict).
            Keyword arguments are never mapped.
        out_dims: where the batch dim goes in each output (an int, or a structure like the output's).
        randomness: what a random op inside does: 'error' (PyTorch's default: raise), 'different' (a
            draw per sample) or 'same' (one draw for all samples).
        chunk_size: run the batch in chunks of this many samples (less memory, same result).

    Nest it for more batch dims: ``vmap(vmap(f))`` maps over two.  Data-dependent Python (``if x > 0``,
    ``.item()``) on a batched tensor raises an error naming it: there is no one value for a batch.
    """
    if randomness not in _RANDOMNESS:
        raise ValueError(f"vmap: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size must be None or a positive integer, got {chunk_size!r}")
    _check_dims_type("in_dims", in_dims)
    _check_dims_type("out_dims", out_dims)

    @functools.wraps(func)
    def vectorized(*args, **kwargs):
        return _call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)
    return vectorized


def _check_dims_type(what, dims):
    leaves, _ = _tree.flatten(dims)
    for d in leaves:
        if d is not None and (not isinstance(d, int) or isinstance(d, bool)):
            raise ValueError(f"vmap: {what} must be ints or None (or tuples/dicts of them), got {d!r} in {dims!r}")


def _name(func):
    return getattr(func, "__name__", type(func).__name__)


def _call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    where = f"vmap({_name(func)}, in_dims={in_dims!r}, ...)(<inputs>)"
    if isinstance(in_dims, (tuple, list)) and len(in_dims) != len(args):
        raise ValueError(f"{where}: in_dims has {len(in_dims)} entries but {len(args)} positional inputs were given; "
                         "give one in_dim (an int or None) per positional input")
    leaves, spec = _tree.flatten(tuple(args))
    dims = _tree.match(tuple(in_dims) if isinstance(in_dims, (tuple, list)) else in_dims, spec, "in_dims")
    dims = [_check_input(where, x, d) for x, d in zip(leaves, dims)]
    sizes = sorted({x.shape[d] for x, d in zip(leaves, dims) if d is not None})
    if not sizes:
        raise ValueError(f"{where}: no input is mapped (every in_dim is None, or there is no tensor input); at "
                         "least one tensor input needs an in_dim (an int) giving its batch dim")
    if len(sizes) > 1:
        raise ValueError(f"{where}: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{[x.shape[d] for x, d in zip(leaves, dims) if d is not None]} for the mapped dimension")
    size = sizes[0]
    if chunk_size is not None and chunk_size < size:
        return _in_chunks(func, dims, spec, leaves, out_dims, randomness, chunk_size, size, kwargs)
    return _run(func, dims, spec, leaves, out_dims, randomness, size, kwargs)


def _check_input(where, x, d):
    if d is None:
        return None
    if not isinstance(x, Tensor):
        raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type {type(x).__name__}. We "
                         "cannot vmap over non-Tensor arguments: use None as its in_dim")
    if not -x.ndim <= d < max(x.ndim, 0) or x.ndim == 0:
        raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                         f"{x.ndim} so expected in_dim to satisfy {-x.ndim} <= in_dim < {x.ndim}"
                         + (" (a 0-d tensor has no dim to map over: use None)" if x.ndim == 0 else ""))
    return d % x.ndim


def _run(func, dims, spec, leaves, out_dims, randomness, size, kwargs):
    level = batching.enter(size, randomness)
    try:
        inputs = [x if d is None else batching.add(x, d, level) for x, d in zip(leaves, dims)]
        previous, batching.on = batching.on, True
        try:
            out = func(*_tree.unflatten(inputs, spec), **kwargs)
        finally:
            batching.on = previous
        flat, out_spec = _tree.flatten(out)
        for o in flat:
            if not isinstance(o, Tensor):
                raise ValueError(f"vmap: {_name(func)} must only return Tensors (or tuples/lists/dicts of them), got "
                                 f"type {type(o).__name__} in its output; return tensors (e.g. tensor(value))")
        result = [_out(o, level, size, d) for o, d in zip(flat, _tree.match(out_dims, out_spec, "out_dims"))]
        return _tree.unflatten(result, out_spec)
    finally:
        batching.leave(level)


def _out(o, level, size, d):
    if d is None:
        if level in batching.levels(o):
            raise ValueError("vmap: out_dims=None for an output that differs from sample to sample (it depends on "
                             "a mapped input); give it an out_dim (an int), or return something the samples share")
        return o
    return batching.remove(o, level, size, d)


def _in_chunks(func, dims, spec, leaves, out_dims, randomness, chunk_size, size, kwargs):
    """The batch in chunks of ``chunk_size`` samples, each one vmap; the outputs joined along their out_dims."""
    pieces = []
    for start in range(0, size, chunk_size):
        n = min(chunk_size, size - start)
        part = [x if d is None else x.narrow(d, start, n) for x, d in zip(leaves, dims)]
        pieces.append(_run(func, dims, spec, part, out_dims, randomness, n, kwargs))
    flats = [_tree.flatten(p) for p in pieces]
    out_spec = flats[0][1]
    joined = []
    for i, d in enumerate(_tree.match(out_dims, out_spec, "out_dims")):
        parts = [leaves_[i] for leaves_, _ in flats]
        joined.append(parts[0] if d is None else cat(parts, d))
    return _tree.unflatten(joined, out_spec)
