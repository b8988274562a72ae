"""Pytrees: nested tuples, lists and dicts of tensors, as ``torch.func`` takes and returns them.

``flatten(tree)`` gives the leaves (everything that is not a tuple, list or dict: tensors, numbers, None)
in order, and a *spec* that ``unflatten(leaves, spec)`` uses to rebuild the same structure around new
leaves.  ``match(prefix, tree)`` spreads an ``in_dims``-like prefix over a tree: an int or None stands for
every leaf under it.
"""

LEAF = None  # the spec of a leaf


def flatten(tree):
    """(leaves, spec) of ``tree``: dicts in their order, namedtuples kept as their type."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [flatten(tree[k]) for k in keys]
        return [x for leaves, _ in parts for x in leaves], (dict, keys, [s for _, s in parts])
    if isinstance(tree, (tuple, list)):
        parts = [flatten(x) for x in tree]
        return [x for leaves, _ in parts for x in leaves], (type(tree), len(tree), [s for _, s in parts])
    return [tree], LEAF


def unflatten(leaves, spec):
    """The tree of ``spec`` with ``leaves`` (in order) in its leaves."""
    it = iter(leaves)
    tree = _build(it, spec)
    return tree


def _build(it, spec):
    if spec is LEAF:
        return next(it)
    kind, keys, children = spec
    parts = [_build(it, child) for child in children]
    if kind is dict:
        return dict(zip(keys, parts))
    if hasattr(kind, "_fields"):  # a namedtuple
        return kind(*parts)
    return kind(parts)


def count(spec):
    """The number of leaves of ``spec``."""
    return 1 if spec is LEAF else sum(count(child) for child in spec[2])


def describe(spec):
    """The structure of ``spec`` in a few characters, for errors: (*, {'w': *, 'b': *})."""
    if spec is LEAF:
        return "*"
    kind, keys, children = spec
    if kind is dict:
        return "{" + ", ".join(f"{k!r}: {describe(c)}" for k, c in zip(keys, children)) + "}"
    inner = ", ".join(describe(c) for c in children)
    return f"[{inner}]" if kind is list else f"({inner}{',' if len(children) == 1 else ''})"


def match(prefix, spec, what):
    """One value of ``prefix`` per leaf of ``spec``: an int or None covers a whole subtree; a tuple, list or dict
    must have the structure of the tree there.  ``what`` (e.g. ``'in_dims'``) names the prefix in errors."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * count(spec)
    if spec is LEAF:
        raise ValueError(f"{what}={prefix!r} has structure where the value has a single tensor")
    kind, keys, children = spec
    if isinstance(prefix, dict):
        if kind is not dict or set(prefix) != set(keys):
            raise ValueError(f"{what}: the dict {prefix!r} does not match the structure {describe(spec)} of the "
                             "value; give one entry per key (or one int/None for all)")
        return [d for k, child in zip(keys, children) for d in match(prefix[k], child, what)]
    if kind is dict or len(prefix) != len(children):
        raise ValueError(f"{what}={prefix!r} does not match the structure {describe(spec)} of the value; give one "
                         f"entry per element (or one int/None for all)")
    return [d for p, child in zip(prefix, children) for d in match(p, child, what)]
